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

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_ANALYSIS_H */
