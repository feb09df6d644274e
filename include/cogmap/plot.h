/* cogmap/plot.h — figures made of panels, drawn with cairo.
 *
 * A figure is a grid of panels under an optional title. Each panel collects items (a heatmap,
 * lines, scatter points, a histogram, bars, a polar curve, text, circles, a colour bar); data
 * are copied when added, so callers may free their arrays at once. Nothing is drawn until
 * cm_figure_save, which lays the panels out (axis limits from the data unless set) and writes
 * PNG, or SVG / PDF when the file name ends in .svg / .pdf, through an atomic file.
 *
 *   cm_figure *fig;
 *   cm_figure_create(&fig, 2, 4, 160, 180, "grid cells, sorted by score60");
 *   cm_panel *p = cm_figure_panel(fig, 0, 0);
 *   cm_panel_heatmap(p, ratemap, 20, 20, CM_CMAP_JET, NAN, NAN);
 *   cm_panel_title(p, "unit 17  g=%.2f", score);
 *   cm_figure_save(fig, "grid.png");
 *   cm_figure_free(fig);
 *
 * Coordinates: heatmaps put array row 0 at the top and column 0 at the left (imshow). Line,
 * scatter, histogram and bar panels have y up. Polar panels take angles in radians,
 * counter-clockwise from the +x axis (to the right).
 */
#ifndef COGMAP_PLOT_H
#define COGMAP_PLOT_H

#include "cogmap/base.h"
#include "cogmap/run.h"
#include "cogmap/simulate.h"
#include "cogmap/socialrun.h"
#include "cogmap/evaluate.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum cm_colormap {
    CM_CMAP_VIRIDIS = 0, /* perceptually uniform, dark blue -> yellow (rate maps) */
    CM_CMAP_JET,         /* matplotlib's jet, what most grid-cell figures use */
    CM_CMAP_GRAY,
    CM_CMAP_COOLWARM,    /* diverging blue -> light grey -> red (correlations, SACs) */
    CM_CMAP_HSV,         /* cyclic (angles, heading) */
    CM_CMAP_COUNT
} cm_colormap;

typedef struct cm_rgb {
    double r, g, b; /* 0..1 */
} cm_rgb;

/* Colour of t in [0, 1] (clamped; NaN gives the NaN colour, light grey). */
CM_API cm_rgb cm_colormap_at(cm_colormap map, double t);
/* "viridis", "jet", "gray", "coolwarm", "hsv" -> the map; CM_ERR_ARG naming the choices. */
CM_API cm_status cm_colormap_parse(const char *name, cm_colormap *out);

/* A few named colours for series; cm_plot_color(i) cycles through a qualitative palette. */
CM_API cm_rgb cm_plot_color(int i);
#define CM_BLACK ((cm_rgb){0, 0, 0})
#define CM_WHITE ((cm_rgb){1, 1, 1})

typedef struct cm_figure cm_figure;
typedef struct cm_panel cm_panel;

/* rows x cols panels of panel_w x panel_h points (1 point = 1 PNG pixel); title may be NULL. */
CM_API cm_status cm_figure_create(cm_figure **out, int rows, int cols, double panel_w, double panel_h, const char *title);
CM_API void cm_figure_free(cm_figure *fig);
/* The panel at (row, col); NULL when out of range. */
CM_API cm_panel *cm_figure_panel(cm_figure *fig, int row, int col);
/* PNG by default; SVG or PDF when the name ends in .svg or .pdf (any case). Atomic. */
CM_API cm_status cm_figure_save(const cm_figure *fig, const char *path);
/* Figure size in points (the PNG's pixel size). Trailing rows whose panels hold nothing (no
 * item, title or label) are left out: a grid sized for the most a figure might show does not
 * leave blank rows under what it shows. */
CM_API void cm_figure_size(const cm_figure *fig, int *width, int *height);

/* ---- panel decoration */
CM_API cm_status cm_panel_title(cm_panel *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
CM_API cm_status cm_panel_xlabel(cm_panel *p, const char *text);
CM_API cm_status cm_panel_ylabel(cm_panel *p, const char *text);
/* Axis limits; NaN leaves that end automatic. */
CM_API void cm_panel_xlim(cm_panel *p, double lo, double hi);
CM_API void cm_panel_ylim(cm_panel *p, double lo, double hi);
/* Axes box with ticks: on by default for x-y panels, off for heatmaps and polar panels. */
CM_API void cm_panel_axes(cm_panel *p, int show);

/* ---- items (each copies its data) */

/* h x w values, row-major; NaN drawn in the NaN colour (light grey). vmin/vmax NaN: the
 * finite min / max. The array keeps its aspect ratio. */
CM_API cm_status cm_panel_heatmap(cm_panel *p, const double *v, int h, int w, cm_colormap map, double vmin, double vmax);
CM_API cm_status cm_panel_heatmap_f32(cm_panel *p, const float *v, int h, int w, cm_colormap map, double vmin,
                               double vmax);
/* The heatmap fills the panel's plot area instead of keeping square bins (matplotlib's
 * aspect='auto'): for a few rows over a long time axis. */
CM_API void cm_panel_heatmap_stretch(cm_panel *p);
/* A colour bar beside the heatmap of this panel (its map and range), labelled min / max. */
CM_API cm_status cm_panel_colorbar(cm_panel *p);

/* A polyline; NaN points break it. width in points. */
CM_API cm_status cm_panel_line(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double width);
/* Filled dots of the given radius (points); NaN points skipped. */
CM_API cm_status cm_panel_scatter(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double radius);
/* Histogram of n values (NaN skipped) in `bins` equal bins over [lo, hi] (NaN: data range). */
CM_API cm_status cm_panel_hist(cm_panel *p, const double *v, int n, int bins, double lo, double hi, cm_rgb color);
/* Bars at x = 0..n-1; labels (may be NULL) under each. */
CM_API cm_status cm_panel_bars(cm_panel *p, const double *heights, int n, const char *const *labels, cm_rgb color);
/* Vertical / horizontal reference line across the panel (thresholds). */
CM_API cm_status cm_panel_vline(cm_panel *p, double x, cm_rgb color, double width);
CM_API cm_status cm_panel_hline(cm_panel *p, double y, cm_rgb color, double width);
/* Polar curve r(theta) (theta in radians), closed; the panel becomes polar with rings at half
 * and all of the largest r. Several curves may share a panel. */
CM_API cm_status cm_panel_polar(cm_panel *p, const double *theta, const double *r, int n, cm_rgb color, double width);
/* A circle in data coordinates (on a heatmap: column x, row y, radius in bins). */
CM_API cm_status cm_panel_circle(cm_panel *p, double x, double y, double radius, cm_rgb color, double width);
/* Text at (fx, fy) as fractions of the panel's plot area (0, 0 = bottom left), size in
 * points; drawn on a translucent white box so it reads over a heatmap. */
CM_API cm_status cm_panel_text(cm_panel *p, double fx, double fy, const char *text, double size, cm_rgb color);

/* Releases cairo's and fontconfig's process-wide caches (fonts, patterns). Optional: call it
 * once at exit, after the last figure, so that leak checkers see a clean process. No figure may
 * be drawn concurrently or afterwards in a program that relies on fontconfig being set up. */
CM_API void cm_plot_release_caches(void);

/* ---- ready-made figures */

/* Rate maps (row 2k) and their autocorrelograms (row 2k+1) of the `top` units with the highest
 * score60 (NaN last), up to `per_row` units a row, each labelled with its unit index and
 * scores; the SAC shows the best 60-degree ring. maps: count x n x n (float32 when is_f32),
 * sacs: count x (2n-1)^2, results: count, from cm_gridness_score_batch with `cfg`. */
struct cm_gridness_config;
struct cm_gridness_result;
CM_API cm_status cm_plot_gridness(const char *path, const void *maps, int is_f32, const double *sacs,
                           const struct cm_gridness_result *results, int64_t count,
                           const struct cm_gridness_config *cfg, int top, int per_row, const char *title);

/* --------------------------------------------------------------- figures */

/* PNG figures of a grid-cell run (cairo), each written atomically. */
/* The `n` units with the highest score60: rate map and SAC, scores above. */
CM_API cm_status cm_grid_fig_units(const char *path, const cm_grid_evaluation *ev, int n);
/* Histogram of score60 over units, with the untrained network's beside it
 * when `baseline` is not NULL, and the 0.3 threshold. */
CM_API cm_status cm_grid_fig_histogram(const char *path, const cm_grid_evaluation *ev, const cm_grid_evaluation *baseline);
/* True (black) and decoded (red) example paths in the arena, and the
 * decoding error along the paths; `unit` names the error's unit ("grid
 * units", "m"; NULL: "units"). */
CM_API cm_status cm_grid_fig_paths(const char *path, const cm_grid_evaluation *ev, const char *unit);
/* Grid fraction and decoding error against training step, side by side. */
CM_API cm_status cm_grid_fig_training(const char *path, const cm_grid_eval_row *rows, int count);
/* SSM-PC figure 2: rate maps of `n_units` chosen units (rows) at `n_stages`
 * stages of training (columns: evaluations evs[k] labelled steps[k]), with
 * their score60; and the same as an animated GIF, one frame per stage
 * (gif_path may be NULL). */
CM_API cm_status cm_grid_fig_emergence(const char *png_path, const char *gif_path, const cm_grid_evaluation *const *evs,
                                const int64_t *steps, int n_stages, const int *units, int n_units);

/* The figures of a grid-cell evaluation in dir/figures: top_units,
 * gridness_histogram (trained vs untrained), paths, training (when the run
 * has evals.csv rows) and emergence.png + emergence.gif (when the report
 * has stages). */
CM_API cm_status cm_grid_eval_figures(const char *dir, const cm_grid_eval_report *rep);

/* The figures of a run evaluated by cm_eval_run (evaluate.h), by its model,
 * in r->dir/figures: a grid run's (cm_grid_eval_figures), an SMP run's
 * figure-2 panels and figure 3 (when computed), a BEV run's bev_samples.png
 * (when frames were kept), a social run's spc_<class>.png and
 * spc_growth.png; nothing for detector and link runs. */
CM_API cm_status cm_eval_figures(const cm_eval_result *r);

/* ------------------------------------------------------- path previews */

/* A top-down preview for people (`cogmap simulate`): the arena's walls in
 * their colours and the agents' paths, as a PNG. positions: [batch, steps,
 * agents, 2] as cm_worlds_run writes them; the first 16 paths (world-major)
 * are drawn, each thinned to at most 100,000 points. Written atomically. */
CM_API cm_status cm_arena_paths_preview(const char *path, const cm_arena *arena, const float *positions, int batch,
                                 int steps, int agents);

/* `cogmap simulate`'s folder: dir/trajectory.npz (cm_simulation_write) and
 * dir/preview.png (cm_arena_paths_preview), the folder made first. */
CM_API cm_status cm_simulation_save(const char *dir, const cm_arena *arena, const cm_simulation *s);

/* ------------------------------------------------ classification figures */

/* SMP's figure-2 panels from a classification: polar HD plots, rate maps with
 * heading octants, BVC maps, score histograms, RV sticks and the ego-vs-allo
 * scatter, one file each in dir. ext: "png", "svg" or "pdf". hd/act are
 * needed for the 36-bin polar curves (SMP's plotting resolution). */
CM_API cm_status cm_classify_figures(const char *dir, const char *ext, const double *hd, const float *act, int64_t n, int f32,
                              const cm_classify_result *r, const cm_unit_group *groups, int n_groups);
/* SMP's octant_grid: the map and its 8 heading-octant maps (nx x ny, x
 * first) in 3 x 3 blocks, out [3 (nx + 2), 3 (ny + 2)] top row first. */
CM_API void cm_octant_grid(const double *map, const double *oct, int nx, int ny, double *out);

/* `cogmap analyze` as one call: reads the activity file `input`
 * (cm_activity_read), classifies every unit with `opts` (its f32 taken from
 * the file), writes out/report.json and out/maps.npz and, when `format`
 * ("png", "svg", "pdf") is not NULL, the panels of cm_classify_figures.
 * progress may be NULL. CM_ERR_ARG: min_shift beyond N/2 with time shifts;
 * what the classification refuses of the file's data is CM_ERR_FORMAT. */
typedef struct cm_analyze_summary {
    int64_t samples;
    int units, shuffles;
    double seconds; /* of the classification, wall clock */
    double hd_threshold, ego_threshold, allo_threshold;
    int n_groups;
    cm_unit_group groups[CM_ACTIVITY_MAX_GROUPS];
    cm_class_counts counts[CM_ACTIVITY_MAX_GROUPS]; /* per group */
} cm_analyze_summary;
CM_API cm_status cm_analyze_file(const char *input, const char *out, const cm_classify_opts *opts, const char *format,
                                 cm_progress *progress, cm_analyze_summary *s);

/* ------------------------------------------------------ SMP figures 2, 3 */

/* Figure 3's panels A-I (fig3_ab_integration, fig3_cd_convergence,
 * fig3_ef_rotation, fig3_gi_correction .png in dir) from its numbers. */
CM_API cm_status cm_smp_fig3(const char *dir, const cm_smp_hd_result *d);
/* Figure 2 E: rate maps (nx x ny, NaN unvisited) of P(s|y) for the given
 * slots (fig2e_place_slots.png). */
CM_API cm_status cm_smp_fig2_places(const char *dir, const double *maps, int nx, int ny, const int *slots, int n_slots);
/* Figure 2 A-D with the notebook's own units (fig2_notebook_units.png):
 * RNN-1 units 0-4 (A: 36-bin polar tuning, B: rate maps with octants),
 * RNN-2 units 14, 56, 73, 76, 81 (C) and RNN-3 units 57, 64, 87, 104, 119
 * (D); rows whose units a smaller model lacks are left empty. */
CM_API cm_status cm_smp_fig2_notebook_units(const char *dir, const cm_smp_fig2_data *d, const cm_classify_result *r);

/* `cogmap figure smp2` and `smp3` as one call each: data is a folder of
 * DeepMind's released arrays (scripts/smp-data-to-npz) or a cogmap SMP run
 * (cm_smp_fig2_load, cm_smp_fig3_inputs_load say what each reads); out gets
 * figure2.json and its panels, or figure3.json, rnn1_check.json and
 * fig3_*.png. progress may be NULL. The summary holds what the command
 * prints. CM_ERR_ARG: a count out of range. */
typedef struct cm_smp_figure_opts {
    int shuffles;      /* smp2: shuffles per unit for the thresholds (1000, the notebook's) */
    int fig3_init;     /* smp3: random initial states (1000, the notebook's; >= 2) */
    int max_attractor; /* smp3: attractor states the correction runs start from (64) */
    int images;        /* smp3: probe views for the corrections (512; released data: the first N) */
    uint64_t seed;     /* (1) */
} cm_smp_figure_opts;
CM_API void cm_smp_figure_opts_default(cm_smp_figure_opts *o);
typedef struct cm_smp_figure2_summary {
    char file[4096];          /* the array file read */
    char source[16];          /* "released" or "cogmap" */
    int64_t samples;
    int units;
    double hd_threshold, ego_threshold, allo_threshold;
    char groups[3][32];       /* rnn1..rnn3 */
    cm_class_counts counts[3];
} cm_smp_figure2_summary;
CM_API cm_status cm_smp_figure2(const char *data, const char *out, const cm_smp_figure_opts *o, cm_progress *progress,
                                cm_smp_figure2_summary *s);
typedef struct cm_smp_figure3_summary {
    int64_t step;             /* the run's checkpoint step; -1: released data */
    int hidden, slots;        /* RNN-1's units and memory slots */
    double gamma;             /* its memory's query sharpness */
    int n_hd_units, images, converged_within_10, never_converged, attractor_states;
    double median_convergence; /* steps, over views that converge (NaN: none) */
} cm_smp_figure3_summary;
CM_API cm_status cm_smp_figure3(const char *data, const char *out, const cm_smp_figure_opts *o, cm_progress *progress,
                                cm_smp_figure3_summary *s);

/* ----------------------------------------------------------- animated GIF */

/* Writes RGB frames (each [height, width, 3], rows top to bottom) as a looping
 * animated GIF with `delay_cs` hundredths of a second per frame. Colours are
 * quantised to one shared 256-colour palette (a 6x7x6 cube plus greys), which
 * suits rate maps and plots. Written atomically. */
CM_API cm_status cm_gif_write(const char *path, const uint8_t *const *frames, int count, int width, int height,
                       int delay_cs);

/* The BEV predictor's samples (SSM-PC's BEV figure): one row per frame with the egocentric view,
 * the predicted BEV and the true BEV, each BEV's RGB over a dark ground by its alpha. rgb [n,
 * image, image, 3]; pred [n, 4, out, out] (R, G, B, alpha in [0, 1]); target [n, out, out, 4]
 * RGBA. title may be NULL. PNG, atomic. */
CM_API cm_status cm_plot_bev_samples(const char *path, int n, int image, int out, const uint8_t *rgb, const float *pred,
                              const uint8_t *target, const char *title);

/* --------------------------------------------- social place cells, link */

/* One probed class (ssm-pc.md §9.2): a row per strongest unit of class
 * `cls` (ev->per_class at most), four 50 x 50 maps each — against self
 * position with the self moving (condition 1), against partner position
 * with the partner moving (2), and both against self and partner with both
 * moving (3) — jet, 0..0.8, SSM-PC's smoothing; the peaks in the titles.
 * CM_ERR_ARG when the class has no unit or the evaluation no maps. */
CM_API cm_status cm_spc_fig_class(const char *path, const cm_spc_evaluation *ev, cm_spc_class cls);
/* The class counts at every periodic evaluation of a social run (evals.csv
 * columns pure_place, pure_spc, special_spc, mixed) against step. */
CM_API cm_status cm_spc_fig_growth(const char *path, const cm_evals *history);
/* Partner error against bits per step (log2 axis): learned and broadcast
 * per budget, velocity and none as horizontal lines. */
CM_API cm_status cm_link_fig_bits(const char *path, const cm_link_bench_row *rows, int n);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_PLOT_H */
