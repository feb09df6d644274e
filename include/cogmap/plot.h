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
#include "cogmap/socialrun.h"

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
cm_rgb cm_colormap_at(cm_colormap map, double t);
/* "viridis", "jet", "gray", "coolwarm", "hsv" -> the map; CM_ERR_ARG naming the choices. */
cm_status cm_colormap_parse(const char *name, cm_colormap *out);

/* A few named colours for series; cm_plot_color(i) cycles through a qualitative palette. */
cm_rgb cm_plot_color(int i);
#define CM_BLACK ((cm_rgb){0, 0, 0})
#define CM_WHITE ((cm_rgb){1, 1, 1})

typedef struct cm_figure cm_figure;
typedef struct cm_panel cm_panel;

/* rows x cols panels of panel_w x panel_h points (1 point = 1 PNG pixel); title may be NULL. */
cm_status cm_figure_create(cm_figure **out, int rows, int cols, double panel_w, double panel_h, const char *title);
void cm_figure_free(cm_figure *fig);
/* The panel at (row, col); NULL when out of range. */
cm_panel *cm_figure_panel(cm_figure *fig, int row, int col);
/* PNG by default; SVG or PDF when the name ends in .svg or .pdf (any case). Atomic. */
cm_status cm_figure_save(const cm_figure *fig, const char *path);
/* Figure size in points (the PNG's pixel size). Trailing rows whose panels hold nothing (no
 * item, title or label) are left out: a grid sized for the most a figure might show does not
 * leave blank rows under what it shows. */
void cm_figure_size(const cm_figure *fig, int *width, int *height);

/* ---- panel decoration */
cm_status cm_panel_title(cm_panel *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
cm_status cm_panel_xlabel(cm_panel *p, const char *text);
cm_status cm_panel_ylabel(cm_panel *p, const char *text);
/* Axis limits; NaN leaves that end automatic. */
void cm_panel_xlim(cm_panel *p, double lo, double hi);
void cm_panel_ylim(cm_panel *p, double lo, double hi);
/* Axes box with ticks: on by default for x-y panels, off for heatmaps and polar panels. */
void cm_panel_axes(cm_panel *p, int show);

/* ---- items (each copies its data) */

/* h x w values, row-major; NaN drawn in the NaN colour (light grey). vmin/vmax NaN: the
 * finite min / max. The array keeps its aspect ratio. */
cm_status cm_panel_heatmap(cm_panel *p, const double *v, int h, int w, cm_colormap map, double vmin, double vmax);
cm_status cm_panel_heatmap_f32(cm_panel *p, const float *v, int h, int w, cm_colormap map, double vmin,
                               double vmax);
/* The heatmap fills the panel's plot area instead of keeping square bins (matplotlib's
 * aspect='auto'): for a few rows over a long time axis. */
void cm_panel_heatmap_stretch(cm_panel *p);
/* A colour bar beside the heatmap of this panel (its map and range), labelled min / max. */
cm_status cm_panel_colorbar(cm_panel *p);

/* A polyline; NaN points break it. width in points. */
cm_status cm_panel_line(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double width);
/* Filled dots of the given radius (points); NaN points skipped. */
cm_status cm_panel_scatter(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double radius);
/* Histogram of n values (NaN skipped) in `bins` equal bins over [lo, hi] (NaN: data range). */
cm_status cm_panel_hist(cm_panel *p, const double *v, int n, int bins, double lo, double hi, cm_rgb color);
/* Bars at x = 0..n-1; labels (may be NULL) under each. */
cm_status cm_panel_bars(cm_panel *p, const double *heights, int n, const char *const *labels, cm_rgb color);
/* Vertical / horizontal reference line across the panel (thresholds). */
cm_status cm_panel_vline(cm_panel *p, double x, cm_rgb color, double width);
cm_status cm_panel_hline(cm_panel *p, double y, cm_rgb color, double width);
/* Polar curve r(theta) (theta in radians), closed; the panel becomes polar with rings at half
 * and all of the largest r. Several curves may share a panel. */
cm_status cm_panel_polar(cm_panel *p, const double *theta, const double *r, int n, cm_rgb color, double width);
/* A circle in data coordinates (on a heatmap: column x, row y, radius in bins). */
cm_status cm_panel_circle(cm_panel *p, double x, double y, double radius, cm_rgb color, double width);
/* Text at (fx, fy) as fractions of the panel's plot area (0, 0 = bottom left), size in
 * points; drawn on a translucent white box so it reads over a heatmap. */
cm_status cm_panel_text(cm_panel *p, double fx, double fy, const char *text, double size, cm_rgb color);

/* Releases cairo's and fontconfig's process-wide caches (fonts, patterns). Optional: call it
 * once at exit, after the last figure, so that leak checkers see a clean process. No figure may
 * be drawn concurrently or afterwards in a program that relies on fontconfig being set up. */
void cm_plot_release_caches(void);

/* ---- ready-made figures */

/* Rate maps (row 2k) and their autocorrelograms (row 2k+1) of the `top` units with the highest
 * score60 (NaN last), up to `per_row` units a row, each labelled with its unit index and
 * scores; the SAC shows the best 60-degree ring. maps: count x n x n (float32 when is_f32),
 * sacs: count x (2n-1)^2, results: count, from cm_gridness_score_batch with `cfg`. */
struct cm_gridness_config;
struct cm_gridness_result;
cm_status cm_plot_gridness(const char *path, const void *maps, int is_f32, const double *sacs,
                           const struct cm_gridness_result *results, int64_t count,
                           const struct cm_gridness_config *cfg, int top, int per_row, const char *title);

/* --------------------------------------------------------------- figures */

/* PNG figures of a grid-cell run (cairo), each written atomically. */
/* The `n` units with the highest score60: rate map and SAC, scores above. */
cm_status cm_grid_fig_units(const char *path, const cm_grid_evaluation *ev, int n);
/* Histogram of score60 over units, with the untrained network's beside it
 * when `baseline` is not NULL, and the 0.3 threshold. */
cm_status cm_grid_fig_histogram(const char *path, const cm_grid_evaluation *ev, const cm_grid_evaluation *baseline);
/* True (black) and decoded (red) example paths in the arena. */
cm_status cm_grid_fig_paths(const char *path, const cm_grid_evaluation *ev);
/* Grid fraction and decoding error against training step, side by side. */
cm_status cm_grid_fig_training(const char *path, const cm_grid_eval_row *rows, int count);
/* SSM-PC figure 2: rate maps of `n_units` chosen units (rows) at `n_stages`
 * stages of training (columns: evaluations evs[k] labelled steps[k]), with
 * their score60; and the same as an animated GIF, one frame per stage
 * (gif_path may be NULL). */
cm_status cm_grid_fig_emergence(const char *png_path, const char *gif_path, const cm_grid_evaluation *const *evs,
                                const int64_t *steps, int n_stages, const int *units, int n_units);

/* ----------------------------------------------------------- animated GIF */

/* Writes RGB frames (each [height, width, 3], rows top to bottom) as a looping
 * animated GIF with `delay_cs` hundredths of a second per frame. Colours are
 * quantised to one shared 256-colour palette (a 6x7x6 cube plus greys), which
 * suits rate maps and plots. Written atomically. */
cm_status cm_gif_write(const char *path, const uint8_t *const *frames, int count, int width, int height,
                       int delay_cs);

/* --------------------------------------------- social place cells, link */

/* One probed class (ssm-pc.md §9.2): a row per strongest unit of class
 * `cls` (ev->per_class at most), four 50 x 50 maps each — against self
 * position with the self moving (condition 1), against partner position
 * with the partner moving (2), and both against self and partner with both
 * moving (3) — jet, 0..0.8, SSM-PC's smoothing; the peaks in the titles.
 * CM_ERR_ARG when the class has no unit or the evaluation no maps. */
cm_status cm_spc_fig_class(const char *path, const cm_spc_evaluation *ev, cm_spc_class cls);
/* The class counts at every periodic evaluation of a social run (evals.csv
 * columns pure_place, pure_spc, special_spc, mixed) against step. */
cm_status cm_spc_fig_growth(const char *path, const cm_evals *history);
/* Partner error against bits per step (log2 axis): learned and broadcast
 * per budget, velocity and none as horizontal lines. */
cm_status cm_link_fig_bits(const char *path, const cm_link_bench_row *rows, int n);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_PLOT_H */
