/* cogmap/analysis.h — the field's spatial-cell scores, on plain arrays.
 *
 * The analysis module works on arrays (rate maps, activations, positions), never on
 * models, so it scores activity from any source. Every score names the scorer that
 * produced it (docs/analysis.md).
 */
#ifndef COGMAP_ANALYSIS_H
#define COGMAP_ANALYSIS_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- gridness ---- */

/* DeepMind's gridness scorer (deepmind/grid-cells scores.py, GridScorer), reproduced with
 * its quirks (specs: grid-cells.md §1.5, ssm-pc.md §5):
 *   - NaN bins become 0 before the "observed" masks are built, so unvisited bins count as
 *     observed zeros;
 *   - the SAC is computed with the same sums in the same order as scipy's convolve2d, so
 *     degenerate windows (flat maps) give the same accidental values;
 *   - rotations follow scipy 1.10's ndimage.rotate(reshape=False, order=3): cubic B-spline
 *     with a mirror-boundary prefilter, and 0 for sample points outside the array;
 *   - ring correlations use the unrotated ring's mean and variance (+1e-5);
 *   - the best mask is the first maximum, a NaN counting as the maximum (numpy.argmax).
 * Maps are nbins x nbins doubles, row-major, NaN = unvisited. ±inf is rejected. */

#define CM_GRID_MAX_MASKS 64

typedef struct cm_gridness_config {
    int nbins;                            /* maps are nbins x nbins, SAC (2 nbins - 1)^2 */
    int n_masks;                          /* 1..CM_GRID_MAX_MASKS rings */
    double mask_min[CM_GRID_MAX_MASKS];   /* inner radius, fraction of nbins */
    double mask_max[CM_GRID_MAX_MASKS];   /* outer radius, fraction of nbins */
    int min_max;                          /* 1: Sargolini min(c60,c120)-max(c30,c90,c150) */
} cm_gridness_config;

/* DeepMind's masks: inner 0.2, outer numpy.linspace(0.4, 1.0, 10). */
void cm_gridness_config_deepmind(cm_gridness_config *cfg, int nbins);
/* SSM-PC's masks: inner 0.1, outer numpy.linspace(0.2, 0.85, 15). */
void cm_gridness_config_ssmpc(cm_gridness_config *cfg, int nbins);

typedef struct cm_gridness_result {
    double score60, score90;  /* max over masks (NaN when the reference gives NaN) */
    int mask60, mask90;       /* index of the best mask for each */
    double spacing;           /* grid spacing in bins, NaN when fewer than 3 SAC peaks */
    double orientation;       /* degrees in [0, 60), NaN when no spacing */
} cm_gridness_result;

/* A scorer holds the ring masks and the rotation weights for one map size, built once.
 * It is immutable after creation: any number of threads may score with it at once. */
typedef struct cm_gridness_scorer cm_gridness_scorer;

cm_status cm_gridness_scorer_create(const cm_gridness_config *cfg, cm_gridness_scorer **out);
void cm_gridness_scorer_free(cm_gridness_scorer *s);
const cm_gridness_config *cm_gridness_scorer_config(const cm_gridness_scorer *s);

/* Doubles of scratch memory one cm_gridness_score call needs. */
size_t cm_gridness_workspace_size(const cm_gridness_scorer *s);

/* Scores one map. `work` holds cm_gridness_workspace_size doubles (NULL: allocated and freed
 * inside). `sac_out`, if not NULL, receives the (2 nbins - 1)^2 SAC. */
cm_status cm_gridness_score(const cm_gridness_scorer *s, const double *map, double *work,
                            cm_gridness_result *result, double *sac_out);

/* Scores `count` maps stored one after another (float32 when is_f32, else float64), in
 * parallel over maps with cm_threads() threads. `sacs` may be NULL. Same bits for any
 * thread count. */
cm_status cm_gridness_score_batch(const cm_gridness_scorer *s, const void *maps, int is_f32, int64_t count,
                                  cm_gridness_result *results, double *sacs);

/* The pieces, exposed for tests and for other scorers. */

/* DeepMind's spatial autocorrelogram of an h x w map: out is (2h-1) x (2w-1). */
cm_status cm_gridness_sac(const double *map, int h, int w, double *out);

/* scipy.ndimage.rotate(in, angle_deg, reshape=False) (order 3, mode 'constant', cval 0,
 * prefilter on), as scipy 1.10 computes it. `work` holds h*w doubles (NULL: allocated). */
cm_status cm_spline_rotate(const double *in, int h, int w, double angle_deg, double *out, double *work);

/* scipy.special.cosdg / sindg: exact at multiples of 15 degrees as cephes gives them. */
void cm_cos_sin_deg(double angle_deg, double *c, double *s);

/* Grid spacing (bins) and orientation (degrees, [0, 60)) from a SAC of size sh x sw: the
 * six local maxima above 0.1 nearest the centre, the central peak excluded (cogmap's own
 * definition, docs/analysis.md). NaN for both when fewer than three peaks are found. */
void cm_gridness_spacing(const double *sac, int sh, int sw, double *spacing, double *orientation);

/* The BNT / opexebo grid score (Sargolini 2006 lineage; grid-cells.md §5.1 b) of an h x w map.
 * NaN bins are filled with 0. `radius` receives the central field radius used (bins). */
typedef struct cm_bnt_gridness {
    double score;        /* max over sliding means of 3 radii; NaN when undefined */
    double spacing;      /* bins, NaN when not found */
    double orientation;  /* degrees in [0, 60), NaN when not found */
    int central_radius;  /* bins */
} cm_bnt_gridness;

cm_status cm_gridness_bnt(const double *map, int h, int w, cm_bnt_gridness *out);

/* ======================================================================
 * Cell scores: rate maps, head direction, boundary vectors, place, border,
 * stability, shuffles, classification (branch cellscores).
 *
 * Conventions shared by this section:
 * - Activations are float32 [N samples, U units], row-major, samples-major.
 *   Positions are double [N, 2] (x, y), headings double [N] in radians,
 *   wall distances float32 [N, R]. Bin edges and every result are double.
 * - Binning follows scipy's binned_statistic exactly: bins are half-open
 *   [e_k, e_{k+1}) found by binary search on the double edges, a sample at
 *   the last edge (to scipy's rounding tolerance) falls into the last bin,
 *   anything outside is dropped. Means are sums in sample order divided by
 *   counts, so they equal numpy's bincount-based means bit for bit.
 * - Maps are [U, nx, ny] with the first index x (SMP's convention); empty
 *   bins are NaN.
 * - Angles are SMP's: the "angle" of a resultant vector is atan2(Rx, Ry),
 *   i.e. pi/2 - theta_pref (north-up compass for the x-up rate maps).
 * - `f32` (the last parameter where it matters): the positions and headings
 *   were float32 arrays in the caller's data. numpy then does part of SMP's
 *   arithmetic in float32 (position ranges, the heading wrap, octants, ego
 *   shifts); with f32 != 0 cogmap does the same in float32, so that samples
 *   land in the bins SMP's code puts them in. Pass 0 for float64 data.
 * ====================================================================== */

/* ----------------------------------------------------------- bin edges */

/* numpy.linspace(lo, hi, n_edges): k*step + lo, the last one exactly hi. */
void cm_linspace(double lo, double hi, int n_edges, double *edges);

/* SMP's calculate_ratemap edges for one axis: n = ceil((max-min)/bin_size)
 * bins, padded by half of the slack on each side. Returns the number of bins
 * (edges gets n+1 values; pass edges == NULL to only count), or -1 when the
 * range is empty or not finite (a degenerate axis has no SMP edges). f32: the
 * range max-min is rounded to float32, as numpy computes it on float32 data. */
int cm_smp_edges(double vmin, double vmax, double bin_size, double *edges, int cap, int f32);

/* Bin of x among `nbins` increasing edges with scipy's binned_statistic
 * rules (including its rounding test at the last edge, done in float32 for
 * float32 samples as numpy.around does); -1 when outside. */
int cm_bin_index(const double *edges, int nbins, double x, int f32);

/* --------------------------------------------------------- rate maps */

typedef struct cm_grid2 {
    int nx, ny;
    const double *xedges; /* nx + 1 */
    const double *yedges; /* ny + 1 */
} cm_grid2;

/* Grids: SMP's (cm_smp_edges, 0.14 m from the data's range), DeepMind's
 * GridScorer (cm_linspace(-1.1, 1.1, 21) per axis: 20 x 20 over the 2.2 m
 * box) or SSM-PC's (cm_linspace(0, 15, 41): 40 x 40 over its arena).
 *
 * Mean activation per spatial bin for every unit in one pass over the
 * samples. maps: [U, nx, ny] (NaN where unvisited). octants: NULL or
 * [U, nx, ny, 8], the same per heading octant mod(round(hd/(pi/4)), 8) (hd
 * required then). occupancy: NULL or [nx, ny] sample counts. Samples with
 * a non-finite position fall outside every bin. */
cm_status cm_ratemaps(const cm_grid2 *g, const double *pos, const double *hd, const float *act, int64_t n,
                      int units, double *maps, double *octants, double *occupancy, int f32);

/* --------------------------------------------------- head direction */

/* Mean activation per heading bin over [-pi, pi] (headings wrapped with
 * atan2(sin, cos) first): maps [U, nbins], NaN for empty bins. */
cm_status cm_hd_ratemaps(const double *hd, const float *act, int64_t n, int units, int nbins, double *maps,
                         int f32);

/* SMP's ResultantVectorHeadDirectionScorer on one angular profile of
 * `nbins` bins over [-pi, pi]: returns |R| with R = sum r_k (cos c_k, sin c_k)
 * / (sum r_k + 1e-5); *angle (may be NULL) gets atan2(Rx, Ry). A NaN bin
 * gives NaN. `centres` (nbins values, from cm_rv_centres) saves the trig. */
void cm_rv_centres(int nbins, double *cos_c, double *sin_c);
double cm_resultant_vector(const double *rates, int nbins, const double *cos_c, const double *sin_c,
                           double *angle);

/* ---------------------------------------------------------- shuffles */

/* numpy.percentile(values, q) with linear interpolation; NaN if any value is
 * NaN (as numpy). Sorts `values` in place. */
double cm_percentile(double *values, int64_t n, double q);

/* SMP's get_resvec_shuffled_bins_threshold: for every unit (profiles
 * [U, nbins]) n_shuffles random permutations of its bins, the RV length of
 * each, pooled over all units; returns their `percentile` in *threshold.
 * Unit u draws from rng stream (stream + u) of `seed`, so the result does
 * not depend on the thread count. null_out: NULL or [U * n_shuffles]. */
cm_status cm_rv_shuffle_threshold(const double *profiles, int units, int nbins, int n_shuffles,
                                  double percentile, uint64_t seed, uint64_t stream, double *threshold,
                                  double *null_out);

/* Circular time-shift shuffles for head direction: each shuffle shifts a
 * unit's activations against the headings by an offset drawn uniformly from
 * [min_shift, N - min_shift], recomputes the angular rate map and its RV
 * length; pooled over units, `percentile` of all. */
cm_status cm_hd_timeshift_threshold(const double *hd, const float *act, int64_t n, int units, int nbins,
                                    int n_shuffles, int64_t min_shift, double percentile, uint64_t seed,
                                    uint64_t stream, double *threshold, int f32);

/* ---------------------------------------------- boundary-vector cells */

/* SMP's distance bins: centres numpy.arange(step, max_d, step) (n values;
 * returns n, or -1 if none or more than cap), edges midway (n+1 values,
 * the outer ones half a step out). */
int cm_bvc_distance_bins(double max_d, double step, double *centres, double *edges, int cap);

/* Egocentric rotation: ego[j] = allo[(j + round(R*hd/2pi)) mod R]. Returns the
 * shift (j + shift) for one heading. */
int cm_bvc_ego_shift(double hd, int rays, int f32);

/* Allocentric and egocentric distance x angle maps, SMP's bvc_rms: mean
 * activation per (distance bin, sensor angle) as sum / (count + 1e-12), so
 * empty bins are 0. dist: [N, R]; allo, ego: [U, n_dist, R] (either NULL to
 * skip). hd needed only for ego. */
cm_status cm_bvc_maps(const float *dist, const double *hd, const float *act, int64_t n, int rays, int units,
                      const double *dedges, int n_dist, double *allo, double *ego, int f32);

/* Most wall-distance rays the BVC scores take (their per-ray work sits on the stack). */
#define CM_MAX_RAYS 4096

/* Score of one [n_dist, R] map (SMP get_bvc_cell_parameters), R <= CM_MAX_RAYS: RV length of
 * the angular profile l[a] = sum_d map[d, a]; *angle = atan2(x, y) (SMP's
 * convention); *pref_dist = centre of the max-distance bin in the column
 * holding atan2(y, x). profile: NULL or [R] receives l. */
double cm_bvc_score(const double *map, int n_dist, int rays, const double *dcentres, double *angle,
                    double *pref_dist, double *profile);

/* ------------------------------------------------ place, border, info */

/* Skaggs information etc. from a rate map and its occupancy (counts or
 * time; only proportions matter), over bins visited and finite. dt > 0 turns
 * rates per sample into rates per second for bits/s. Rates must be >= 0:
 * with a negative rate or a mean <= 0 the information is NaN. */
typedef struct cm_spatial_info {
    double bits_per_spike; /* sum p (l/lbar) log2(l/lbar) */
    double bits_per_second; /* bits_per_spike * lbar / dt */
    double sparsity;        /* (sum p l)^2 / sum p l^2 */
    double selectivity;     /* max l / lbar */
    double mean_rate;       /* lbar */
} cm_spatial_info;
void cm_spatial_info_compute(const double *map, const double *occupancy, int nbins, double dt,
                             cm_spatial_info *out);

/* 4-neighbour connected components of mask[nx*ny] (non-zero = in): labels
 * 1..count in scan order (as scipy.ndimage.label), 0 outside. Returns count. */
int cm_label_components(const unsigned char *mask, int nx, int ny, int *labels);

/* Border score (Solstad 2008) of an nx x ny map covering a box of side
 * `box` metres: fields are components of bins > 0.3 max with area > 200 cm^2.
 * CM = best wall coverage of any field, DM = rate-weighted distance to the
 * nearest wall (bins counted from 1, times box/n) over field bins, divided
 * by box/2; score (CM - DM)/(CM + DM). sorscher_compat != 0 reproduces
 * Sorscher's scores.py (coverage from the first field only, DM the mean of
 * per-field DMs). NaN bins are never in a field. No field: NaN. */
double cm_border_score(const double *map, int nx, int ny, double box, int sorscher_compat, double *cm_out,
                       double *dm_out);

/* Place fields [DESIGN]: components of finite bins >= frac * peak (peak
 * > 0), at least min_bins bins and at most max_share of the visited bins.
 * Returns the field count; the largest field's size and rate-weighted centroid
 * in bin coordinates (x index, y index) go to the optional outputs. */
int cm_place_fields(const double *map, int nx, int ny, double frac, int min_bins, double max_share,
                    int *largest_bins, double *cx, double *cy);

/* SMP's positional_correlations: Pearson r between the rate maps of the first
 * floor(N/2) samples and the rest, each half with its own SMP edges of
 * `bin_size`, over bins finite in both. r: [U] (NaN if < 2 common bins). */
cm_status cm_split_half_stability(const double *pos, const float *act, int64_t n, int units, double bin_size,
                                  double *r, int f32);

/* ----------------------------------------------------- classification */

typedef enum cm_cell_class {
    CM_CELL_UNCLASSIFIED = 0,
    CM_CELL_HD,
    CM_CELL_EGO_BVC,
    CM_CELL_ALLO_BVC,
    CM_CELL_PLACE,
    CM_CELL_BORDER,
    CM_CELL_GRID
} cm_cell_class;
const char *cm_cell_class_name(cm_cell_class c); /* "hd", "ego_bvc", ..., "unclassified" */

typedef struct cm_classify_opts {
    int n_shuffles;        /* per unit (SMP: 1000) */
    double percentile;     /* SMP: 99 */
    int hd_bins;           /* SMP: 20 */
    double distance_step;  /* SMP: 0.025 m */
    double ratemap_bin;    /* SMP: 0.14 m */
    int hd_timeshift;      /* 0: SMP's bin permutation; else circular time shifts */
    int64_t min_shift;     /* time-shift mode: smallest offset in samples */
    double box;            /* arena side for the border score; <= 0: from the data's x range */
    double dt;             /* seconds per sample for bits/s (default 0.02) */
    double place_info;     /* bits/spike above which a unit may be a place cell [DESIGN] 0.5 */
    double min_stability;  /* place and grid cells need split-half r above [DESIGN] 0.5 */
    double border_thresh;  /* border score above (Solstad) 0.5 */
    int grid_bins;         /* DeepMind gridness on grid_bins^2 maps over the data's range; 0: off (20) */
    double grid_thresh;    /* score60 above which a unit is a grid cell [DESIGN] 0.3 (NFL's lower cut) */
    int f32;               /* positions and headings came as float32 (see the conventions above) */
    uint64_t seed;
} cm_classify_opts;
void cm_classify_defaults(cm_classify_opts *o);

/* Everything per unit; arrays have U entries. Free with cm_classify_free. */
typedef struct cm_classify_result {
    int units, n_dist, rays, hd_bins, nx, ny;
    double hd_threshold, ego_threshold, allo_threshold;
    double *hd_score, *hd_angle;                       /* RV length, SMP angle */
    double *ego_score, *ego_angle, *ego_dist;
    double *allo_score, *allo_angle, *allo_dist;
    double *stability, *info_bits_spike, *info_bits_s, *sparsity, *selectivity, *border;
    double *grid60, *grid90; /* DeepMind score60/score90 (NaN when grid_bins == 0) */
    int *n_fields;
    unsigned char *is_hd, *is_ego, *is_allo, *is_place, *is_border, *is_grid;
    cm_cell_class *cls; /* primary class: the first of hd, ego/allo BVC, grid, border, place */
    /* Maps kept for figures: hd [U, hd_bins]; ego/allo [U, n_dist, R];
     * spatial [U, nx, ny]; octants [U, nx, ny, 8]; dist centres [n_dist];
     * occupancy [nx, ny] (samples per spatial bin). */
    double *hd_maps, *ego_maps, *allo_maps, *maps, *octants, *dcentres, *occupancy;
} cm_classify_result;

/* SMP's classify_units_into_representations plus grid/place/border scores, on
 * all units at once; OpenMP over units and shuffles. Same seed and inputs
 * give the same bits for any thread count. */
cm_status cm_classify_units(const double *pos, const double *hd, const float *dist, int rays, const float *act,
                            int64_t n, int units, const cm_classify_opts *o, cm_progress *progress,
                            cm_classify_result *res);
void cm_classify_free(cm_classify_result *res);

/* ------------------------------------------- social place cells (SSM-PC) */

/* SSM-PC's classes of bottleneck units from their peak activation in the
 * four probing conditions (ssm-pc.md §9.2, spc_module's CellTypeDetector):
 * peaks[4] = condition 1 self moving, 2 peer moving, 3 both, 4 both static;
 * high = 0.5, low = 0.2:
 *   other_static  peak4 >= low ("Other (active when static)")
 *   special_spc   peak1 > high and peak2 > high
 *   pure_place    peak1 > high, peak2 <= high, peak3 > high (else mixed)
 *   pure_spc      peak1 <= high, peak2 > high, peak3 > high (else mixed)
 *   other         neither peak1 nor peak2 above high */
typedef enum cm_spc_class {
    CM_SPC_PURE_PLACE = 0,
    CM_SPC_PURE_SPC = 1,
    CM_SPC_SPECIAL_SPC = 2,
    CM_SPC_MIXED = 3,
    CM_SPC_OTHER = 4,
    CM_SPC_OTHER_STATIC = 5,
    CM_SPC_N_CLASSES = 6
} cm_spc_class;

/* "pure_place", "pure_spc", "special_spc", "mixed", "other", "other_static". */
const char *cm_spc_class_name(cm_spc_class c);
cm_spc_class cm_spc_classify_unit(const double peaks[4], double high, double low);
/* Every unit: peaks [units, 4] -> classes [units] (may be NULL), counts
 * [CM_SPC_N_CLASSES] (may be NULL). */
void cm_spc_classify(const double *peaks, int units, double high, double low, cm_spc_class *classes, int *counts);
/* How well a unit represents its class, for picking the units a figure
 * shows: pure place peak1, pure SPC peak2, special SPC min(peak1, peak2),
 * mixed max(peak1, peak2), others the largest peak. */
double cm_spc_class_strength(cm_spc_class c, const double peaks[4]);

/* SSM-PC's occupancy map of one unit: activity act[i * stride] clipped to
 * [vmin, vmax] and averaged per bin of an nbins x nbins grid over [0, env]^2
 * (bin int(x * nbins / env), clipped to the grid; empty bins 0), then
 * smoothed by cm_gaussian_filter2d with sigma (bins; 0: none). pos [n, 2].
 * map [nbins, nbins] is row y, column x (imshow origin lower). work holds
 * 3 * nbins^2 doubles. */
cm_status cm_spc_map(const float *pos, const float *act, int64_t n, int64_t stride, int nbins, double env,
                     double vmin, double vmax, double sigma, double *map, double *work);

/* scipy.ndimage.gaussian_filter(in, sigma, mode='reflect', truncate) on a
 * [h, w] image: a normalised Gaussian of radius int(truncate * sigma + 0.5)
 * along axis 0, then axis 1, edges mirrored half-sample (d c b a | a b c d).
 * work holds h * w doubles; out may equal in. */
void cm_gaussian_filter2d(const double *in, int h, int w, double sigma, double truncate, double *out, double *work);

/* ------------------------------------------------------ gridness of units */

/* Rate maps and gridness of every bottleneck unit from (units, positions)
 * samples, the way the run's preset is scored: ssmpc 40 x 40 bins over
 * [0, 15]^2 with SSM-PC's masks (ssm-pc.md §5), the box presets 20 x 20 bins
 * over [-1.1, 1.1]^2 with DeepMind's. Buffers are sized once at init. */
typedef struct cm_grid_scorer {
    int nbins, units;
    double lo, hi;
    double *edges;               /* [nbins + 1] */
    cm_gridness_scorer *gs;
    int64_t cap;                 /* samples the position buffer holds */
    double *pos;                 /* [cap, 2] */
    double *maps;                /* [units, nbins, nbins] (x, y), NaN unvisited */
    cm_gridness_result *results; /* [units] */
} cm_grid_scorer;

cm_status cm_grid_scorer_init(cm_grid_scorer *s, const char *cells, int units, int64_t max_samples);
void cm_grid_scorer_free(cm_grid_scorer *s);
/* Maps and scores of n samples: units [n, U], pos [n, 2]. */
cm_status cm_grid_scorer_run(cm_grid_scorer *s, const float *units, const float *pos, int64_t n);
/* Share of units with score60 > threshold (0.3 by convention) after a run. */
double cm_grid_scorer_fraction(const cm_grid_scorer *s, double threshold);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_ANALYSIS_H */
