/* Figures of a grid-cell run, drawn with cairo (plot.h). */
#define _GNU_SOURCE
#include "cogmap/plot.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <cairo.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- helpers */

static cairo_status_t png_write_cb(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* Writes a surface as PNG through an atomic file. */
static cm_status save_png(cairo_surface_t *surface, const char *path)
{
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    cairo_surface_flush(surface);
    if (cairo_surface_write_to_png_stream(surface, png_write_cb, f.fp) != CAIRO_STATUS_SUCCESS) {
        cm_atomic_abort(&f);
        return cm_error(CM_ERR_IO, "%s: cannot write the PNG", path);
    }
    return cm_atomic_commit(&f);
}

static cm_status new_canvas(int w, int h, cairo_surface_t **s, cairo_t **cr, const char *path)
{
    *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(*s) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(*s);
        return cm_error(CM_ERR_NOMEM, "%s: cannot create a %d x %d canvas", path, w, h);
    }
    *cr = cairo_create(*s);
    cairo_set_source_rgb(*cr, 1, 1, 1);
    cairo_paint(*cr);
    cairo_select_font_face(*cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    return CM_OK;
}

static cm_status finish(cairo_surface_t *s, cairo_t *cr, const char *path)
{
    cairo_destroy(cr);
    cm_status st = save_png(s, path);
    cairo_surface_destroy(s);
    return st;
}

static void text(cairo_t *cr, double x, double y, double size, int centred, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
static void text(cairo_t *cr, double x, double y, double size, int centred, const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cairo_set_font_size(cr, size);
    cairo_text_extents_t e;
    cairo_text_extents(cr, buf, &e);
    cairo_set_source_rgb(cr, 0, 0, 0);
    cairo_move_to(cr, centred ? x - e.width / 2 - e.x_bearing : x, y);
    cairo_show_text(cr, buf);
}

/* The jet colour map (SSM-PC's rate maps) at v in [0, 1]. */
static void jet(double v, double *r, double *g, double *b)
{
    v = v < 0 ? 0 : v > 1 ? 1 : v;
    *r = fmin(fmax(fmin(4 * v - 1.5, -4 * v + 4.5), 0), 1);
    *g = fmin(fmax(fmin(4 * v - 0.5, -4 * v + 3.5), 0), 1);
    *b = fmin(fmax(fmin(4 * v + 0.5, -4 * v + 2.5), 0), 1);
}

/* Draws an n x n map indexed [x, y] with y up, min-max scaled; NaN white. */
static void draw_map(cairo_t *cr, const double *m, int n, double x0, double y0, double size)
{
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < n * n; i++)
        if (isfinite(m[i])) {
            lo = fmin(lo, m[i]);
            hi = fmax(hi, m[i]);
        }
    const double cell = size / n;
    for (int x = 0; x < n; x++)
        for (int y = 0; y < n; y++) {
            double v = m[x * n + y], r = 1, g = 1, b = 1;
            if (isfinite(v))
                jet(hi > lo ? (v - lo) / (hi - lo) : 0.5, &r, &g, &b);
            cairo_set_source_rgb(cr, r, g, b);
            cairo_rectangle(cr, x0 + x * cell, y0 + (n - 1 - y) * cell, cell + 0.5, cell + 0.5);
            cairo_fill(cr);
        }
}

static int cmp_score_desc(const void *a, const void *b, void *ctx);

/* Units sorted by score60, best first (NaN last). */
static int *rank_units(const cm_grid_evaluation *ev)
{
    int *order = malloc((size_t)ev->units * sizeof *order);
    if (!order)
        return NULL;
    for (int u = 0; u < ev->units; u++)
        order[u] = u;
    qsort_r(order, (size_t)ev->units, sizeof *order, cmp_score_desc, (void *)ev);
    return order;
}

static int cmp_score_desc(const void *a, const void *b, void *ctx)
{
    const cm_grid_evaluation *ev = ctx;
    double x = ev->results[*(const int *)a].score60, y = ev->results[*(const int *)b].score60;
    if (isnan(x))
        x = -INFINITY;
    if (isnan(y))
        y = -INFINITY;
    if (x != y)
        return x < y ? 1 : -1;
    return *(const int *)a - *(const int *)b;
}

/* -------------------------------------------------------------- figures */

cm_status cm_grid_fig_units(const char *path, const cm_grid_evaluation *ev, int n)
{
    if (n > ev->units)
        n = ev->units;
    if (n <= 0)
        return cm_error(CM_ERR_ARG, "%s: expected at least one unit", path);
    int *order = rank_units(ev);
    if (!order)
        return cm_error(CM_ERR_NOMEM, "%s: cannot sort units", path);
    const int cols = n < 8 ? n : 8, rows = (n + cols - 1) / cols;
    const double panel = 120, pad = 12, head = 40;
    cairo_surface_t *s;
    cairo_t *cr;
    cm_status st = new_canvas((int)(cols * (panel + pad) + pad), (int)(rows * (2 * panel + head + pad) + 30), &s, &cr, path);
    if (st != CM_OK) {
        free(order);
        return st;
    }
    text(cr, pad, 20, 14, 0, "Top %d of %d units by gridness (score60 > 0.3: %.1f%% of units)", n, ev->units,
         100 * ev->grid_fraction);
    for (int k = 0; k < n; k++) {
        const int u = order[k];
        const double x = pad + (k % cols) * (panel + pad), y = 30 + (k / cols) * (2 * panel + head + pad);
        text(cr, x + panel / 2, y + 14, 11, 1, "unit %d", u);
        text(cr, x + panel / 2, y + 28, 10, 1, "g60 %.2f  g90 %.2f", ev->results[u].score60, ev->results[u].score90);
        draw_map(cr, ev->maps + (size_t)u * ev->nbins * ev->nbins, ev->nbins, x, y + head - 6, panel);
        draw_map(cr, ev->sacs + (size_t)u * ev->sac_size * ev->sac_size, ev->sac_size, x, y + head + panel, panel);
    }
    free(order);
    return finish(s, cr, path);
}

/* The score60 values of an evaluation, clamped into [lo, hi] so that the end bins count what lies
 * beyond them; NULL when out of memory. */
static double *clamped_scores(const cm_grid_evaluation *ev, double lo, double hi)
{
    double *v = cm_alloc(sizeof(double) * (size_t)(ev->units > 0 ? ev->units : 1));
    if (v)
        for (int u = 0; u < ev->units; u++) {
            const double x = ev->results[u].score60;
            v[u] = isfinite(x) ? fmin(fmax(x, lo), hi) : NAN;
        }
    return v;
}

/* The line and bar figures go through the plot module, which draws their axes and ticks. */
cm_status cm_grid_fig_histogram(const char *path, const cm_grid_evaluation *ev, const cm_grid_evaluation *baseline)
{
    enum { NB = 30 };
    const double lo = -1.0, hi = 2.0;
    char title[160];
    snprintf(title, sizeof title, "Units: trained %.1f%% > 0.3 (blue)", 100 * ev->grid_fraction);
    if (baseline)
        snprintf(title + strlen(title), sizeof title - strlen(title), ", untrained %.1f%% > 0.3 (grey)",
                 100 * baseline->grid_fraction);
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 1, 640, 380, title);
    if (st != CM_OK)
        return st;
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    const cm_grid_evaluation *sets[2] = {baseline, ev}; /* the trained bars drawn over the untrained */
    const cm_rgb colors[2] = {{0.6, 0.6, 0.6}, {0.1, 0.3, 0.8}};
    for (int k = 0; k < 2 && st == CM_OK; k++) {
        if (!sets[k])
            continue;
        double *v = clamped_scores(sets[k], lo, hi);
        st = v ? cm_panel_hist(p, v, sets[k]->units, NB, lo, hi, colors[k])
               : cm_error(CM_ERR_NOMEM, "%s: cannot allocate the scores", path);
        cm_free(v);
    }
    if (st == CM_OK)
        st = cm_panel_vline(p, 0.3, (cm_rgb){0.8, 0, 0}, 1.5);
    if (st == CM_OK)
        st = cm_panel_xlabel(p, "gridness score60 (threshold 0.3 in red)");
    if (st == CM_OK)
        st = cm_panel_ylabel(p, "units");
    cm_panel_xlim(p, lo, hi);
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

cm_status cm_grid_fig_paths(const char *path, const cm_grid_evaluation *ev, const char *unit)
{
    if (!unit)
        unit = "units";
    const int n = ev->n_paths;
    if (n <= 0)
        return cm_error(CM_ERR_ARG, "%s: no example paths", path);
    char title[160];
    snprintf(title, sizeof title, "True (black) and decoded (red) paths, start in green; mean decoding error %.3f %s",
             ev->decoding_error, unit);
    /* 300 x 282 points: a square plot area inside the axes' margins; the
     * last panel is the error against the step along the path (drift). */
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, n + 1, 300, 282, title);
    const int len = ev->steps + 1;
    double *x = cm_alloc(sizeof(double) * (size_t)len), *y = cm_alloc(sizeof(double) * (size_t)len);
    if (st == CM_OK && (!x || !y))
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate the paths", path);
    for (int p = 0; p < n && st == CM_OK; p++) {
        cm_panel *pn = cm_figure_panel(fig, 0, p);
        cm_panel_xlim(pn, ev->lo, ev->hi);
        cm_panel_ylim(pn, ev->lo, ev->hi);
        for (int k = 0; k < 2 && st == CM_OK; k++) {
            const float *q = (k == 0 ? ev->true_paths : ev->decoded_paths) + (size_t)p * len * 2;
            for (int t = 0; t < len; t++) {
                x[t] = q[2 * t];
                y[t] = q[2 * t + 1];
            }
            st = cm_panel_line(pn, x, y, len, k == 0 ? CM_BLACK : (cm_rgb){0.85, 0.1, 0.1}, 1.5);
        }
        if (st == CM_OK) {
            const float *q = ev->true_paths + (size_t)p * len * 2;
            const double sx = q[0], sy = q[1];
            st = cm_panel_scatter(pn, &sx, &sy, 1, (cm_rgb){0.1, 0.6, 0.1}, 4);
        }
    }
    if (st == CM_OK && ev->decoding_error_by_step) {
        cm_panel *pn = cm_figure_panel(fig, 0, n);
        for (int t = 0; t < ev->steps; t++) {
            x[t] = t + 1; /* target frame t + 1: the first step after the start */
            y[t] = ev->decoding_error_by_step[t];
        }
        cm_panel_xlim(pn, 0, ev->steps);
        cm_panel_ylim(pn, 0, NAN);
        st = cm_panel_line(pn, x, y, ev->steps, (cm_rgb){0.85, 0.1, 0.1}, 2);
        if (st == CM_OK)
            st = cm_panel_title(pn, "decoding error along the paths");
        if (st == CM_OK)
            st = cm_panel_xlabel(pn, "step");
        if (st == CM_OK) {
            char label[64];
            snprintf(label, sizeof label, "mean error (%s)", unit);
            st = cm_panel_ylabel(pn, label);
        }
    }
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_free(x);
    cm_free(y);
    cm_figure_free(fig);
    return st;
}

/* One panel of a curve against step: the grid fraction in % (which = 0) or the decoding error. */
static cm_status curve(cm_panel *p, const cm_grid_eval_row *rows, int n, int which, const char *title,
                       const char *ylabel, double *x, double *y)
{
    int m = 0;
    for (int i = 0; i < n; i++) {
        const double v = which ? rows[i].decoding_error : rows[i].grid_fraction * 100;
        if (isfinite(v)) { /* unscored evaluations are left out, the curve joins the others */
            x[m] = (double)rows[i].step;
            y[m++] = v;
        }
    }
    const cm_rgb color = which ? (cm_rgb){0.85, 0.2, 0.1} : (cm_rgb){0.1, 0.2, 0.8};
    cm_panel_xlim(p, 0, NAN);
    cm_panel_ylim(p, 0, NAN); /* both quantities are >= 0: the axis starts at 0 */
    cm_status st = cm_panel_title(p, "%s", title);
    if (st == CM_OK && m > 0)
        st = cm_panel_line(p, x, y, m, color, 2);
    if (st == CM_OK && m > 0)
        st = cm_panel_scatter(p, x, y, m, color, 3);
    if (st == CM_OK)
        st = cm_panel_xlabel(p, "training step");
    if (st == CM_OK)
        st = cm_panel_ylabel(p, ylabel);
    return st;
}

cm_status cm_grid_fig_training(const char *path, const cm_grid_eval_row *rows, int count)
{
    if (count <= 0)
        return cm_error(CM_ERR_ARG, "%s: no evaluations to plot", path);
    double *x = cm_alloc(sizeof(double) * (size_t)count), *y = cm_alloc(sizeof(double) * (size_t)count);
    cm_figure *fig = NULL;
    cm_status st = x && y ? cm_figure_create(&fig, 1, 2, 450, 380, NULL)
                          : cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d evaluations", path, count);
    if (st == CM_OK)
        st = curve(cm_figure_panel(fig, 0, 0), rows, count, 0, "% of units with score60 > 0.3", "% of units", x, y);
    if (st == CM_OK)
        st = curve(cm_figure_panel(fig, 0, 1), rows, count, 1, "decoding error", "world units", x, y);
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    cm_free(x);
    cm_free(y);
    return st;
}

/* Renders the emergence grid up to column `upto` (all columns: upto = n_stages). */
static void draw_emergence(cairo_t *cr, const cm_grid_evaluation *const *evs, const int64_t *steps, int n_stages,
                           int upto, const int *units, int n_units, double panel, double pad, double head)
{
    for (int c = 0; c < upto; c++) {
        const double x = 80 + c * (panel + pad);
        text(cr, x + panel / 2, 20, 12, 1, "step %lld", (long long)steps[c]);
        for (int r = 0; r < n_units; r++) {
            const int u = units[r];
            const double y = 30 + r * (panel + head);
            if (c == 0)
                text(cr, 8, y + panel / 2 + head, 12, 0, "unit %d", u);
            text(cr, x + panel / 2, y + 14, 10, 1, "g60 %.2f", evs[c]->results[u].score60);
            draw_map(cr, evs[c]->maps + (size_t)u * evs[c]->nbins * evs[c]->nbins, evs[c]->nbins, x, y + head - 4,
                     panel);
        }
    }
}

cm_status cm_grid_fig_emergence(const char *png_path, const char *gif_path, const cm_grid_evaluation *const *evs,
                                const int64_t *steps, int n_stages, const int *units, int n_units)
{
    if (n_stages <= 0 || n_units <= 0)
        return cm_error(CM_ERR_ARG, "%s: expected stages and units to show", png_path);
    const double panel = 110, pad = 10, head = 20;
    const int w = (int)(80 + n_stages * (panel + pad)), h = (int)(40 + n_units * (panel + head));
    cairo_surface_t *s;
    cairo_t *cr;
    cm_status st = new_canvas(w, h, &s, &cr, png_path);
    if (st != CM_OK)
        return st;
    draw_emergence(cr, evs, steps, n_stages, n_stages, units, n_units, panel, pad, head);
    st = finish(s, cr, png_path);
    if (st != CM_OK || !gif_path)
        return st;

    /* The GIF: one column (stage) per frame, all frames the size of one column. */
    const int fw = (int)(80 + panel + pad), fh = h;
    uint8_t *rgb = cm_alloc((size_t)n_stages * fw * fh * 3);
    const uint8_t **frames = cm_alloc((size_t)n_stages * sizeof *frames);
    if (!rgb || !frames) {
        cm_free(rgb);
        cm_free(frames);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d frames", gif_path, n_stages);
    }
    for (int c = 0; c < n_stages && st == CM_OK; c++) {
        cairo_surface_t *fs = cairo_image_surface_create(CAIRO_FORMAT_RGB24, fw, fh);
        cairo_t *fc = cairo_create(fs);
        cairo_set_source_rgb(fc, 1, 1, 1);
        cairo_paint(fc);
        /* Stage c drawn as the first column, unit labels included. */
        draw_emergence(fc, evs + c, steps + c, 1, 1, units, n_units, panel, pad, head);
        cairo_destroy(fc);
        cairo_surface_flush(fs);
        const unsigned char *px = cairo_image_surface_get_data(fs);
        const int stride = cairo_image_surface_get_stride(fs);
        uint8_t *out = rgb + (size_t)c * fw * fh * 3;
        for (int y = 0; y < fh; y++)
            for (int x = 0; x < fw; x++) {
                uint32_t v = *(const uint32_t *)(px + (size_t)y * stride + 4 * x);
                out[((size_t)y * fw + x) * 3 + 0] = (uint8_t)(v >> 16);
                out[((size_t)y * fw + x) * 3 + 1] = (uint8_t)(v >> 8);
                out[((size_t)y * fw + x) * 3 + 2] = (uint8_t)v;
            }
        cairo_surface_destroy(fs);
        frames[c] = out;
    }
    st = cm_gif_write(gif_path, frames, n_stages, fw, fh, 80);
    cm_free(rgb);
    cm_free(frames);
    return st;
}

cm_status cm_grid_eval_figures(const char *dir, const cm_grid_eval_report *rep)
{
    char fig[4096], gif[4096];
    snprintf(fig, sizeof fig, "%s/figures", dir);
    cm_status st = cm_mkdir_p(fig);
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/top_units.png", dir);
        st = cm_grid_fig_units(fig, &rep->eval, 16);
    }
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/gridness_histogram.png", dir);
        st = cm_grid_fig_histogram(fig, &rep->eval, rep->has_baseline ? &rep->baseline : NULL);
    }
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/paths.png", dir);
        st = cm_grid_fig_paths(fig, &rep->eval, rep->unit_name);
    }
    if (st == CM_OK && rep->n_rows > 0) {
        snprintf(fig, sizeof fig, "%s/figures/training.png", dir);
        st = cm_grid_fig_training(fig, rep->rows, rep->n_rows);
    }
    if (st == CM_OK && rep->n_stages > 0) {
        snprintf(fig, sizeof fig, "%s/figures/emergence.png", dir);
        snprintf(gif, sizeof gif, "%s/figures/emergence.gif", dir);
        st = cm_grid_fig_emergence(fig, gif, rep->stages, rep->stage_steps, rep->n_stages, rep->emergence_units,
                                   rep->n_emergence_units);
    }
    return st;
}
