/* Figures and panels: creation, and the items panels collect (copies of the caller's data). */
#include "plot/plot_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

cm_status cm_figure_create(cm_figure **out, int rows, int cols, double panel_w, double panel_h, const char *title)
{
    *out = NULL;
    if (rows < 1 || cols < 1 || rows > 1000 || cols > 1000)
        return cm_error(CM_ERR_ARG, "figure: grid: expected 1..1000 rows and columns, got %d x %d", rows, cols);
    if (!(panel_w >= 20 && panel_w <= 4000 && panel_h >= 20 && panel_h <= 4000))
        return cm_error(CM_ERR_ARG, "figure: panel size: expected 20..4000 points, got %g x %g", panel_w, panel_h);
    if ((double)rows * panel_h > 32000 || (double)cols * panel_w > 32000)
        return cm_error(CM_ERR_ARG, "figure: size: expected at most 32000 points a side, got %g x %g",
                        cols * panel_w, rows * panel_h);
    cm_figure *f = cm_calloc(1, sizeof *f);
    if (!f)
        return cm_error(CM_ERR_NOMEM, "figure: cannot allocate");
    f->panels = cm_calloc((size_t)rows * cols, sizeof *f->panels);
    if (!f->panels) {
        cm_free(f);
        return cm_error(CM_ERR_NOMEM, "figure: cannot allocate %d panels", rows * cols);
    }
    f->rows = rows;
    f->cols = cols;
    f->panel_w = panel_w;
    f->panel_h = panel_h;
    snprintf(f->title, sizeof f->title, "%s", title ? title : "");
    for (int i = 0; i < rows * cols; i++) {
        cm_panel *p = &f->panels[i];
        p->xlo = p->xhi = p->ylo = p->yhi = NAN;
        p->axes = -1;
    }
    *out = f;
    return CM_OK;
}

static void free_item(plot_item *it)
{
    cm_free(it->x);
    cm_free(it->y);
    free(it->text);
    if (it->labels) {
        for (int i = 0; i < it->n; i++)
            free(it->labels[i]);
        free(it->labels);
    }
    cm_free(it);
}

void cm_figure_free(cm_figure *fig)
{
    if (!fig)
        return;
    for (int i = 0; i < fig->rows * fig->cols; i++)
        for (plot_item *it = fig->panels[i].items; it;) {
            plot_item *next = it->next;
            free_item(it);
            it = next;
        }
    cm_free(fig->panels);
    cm_free(fig);
}

cm_panel *cm_figure_panel(cm_figure *fig, int row, int col)
{
    if (!fig || row < 0 || col < 0 || row >= fig->rows || col >= fig->cols)
        return NULL;
    return &fig->panels[row * fig->cols + col];
}

/* Rows up to the last one holding anything: a figure whose grid was sized for the most it might
 * show (five cell families, say) is not drawn with blank rows below what it does show. */
static int rows_used(const cm_figure *fig)
{
    for (int r = fig->rows - 1; r > 0; r--)
        for (int c = 0; c < fig->cols; c++) {
            const cm_panel *p = &fig->panels[r * fig->cols + c];
            if (p->items || p->title[0] || p->xlabel[0] || p->ylabel[0])
                return r + 1;
        }
    return 1;
}

void cm_figure_size(const cm_figure *fig, int *width, int *height)
{
    const double title_h = fig->title[0] ? 28.0 : 0.0;
    *width = (int)ceil(fig->cols * fig->panel_w);
    *height = (int)ceil(rows_used(fig) * fig->panel_h + title_h);
}

cm_status cm_panel_title(cm_panel *p, const char *fmt, ...)
{
    if (!p || !fmt)
        return cm_error(CM_ERR_ARG, "plot: title: expected a panel and a format");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->title, sizeof p->title, fmt, ap);
    va_end(ap);
    return CM_OK;
}

cm_status cm_panel_xlabel(cm_panel *p, const char *text)
{
    if (!p || !text)
        return cm_error(CM_ERR_ARG, "plot: xlabel: expected a panel and a text");
    snprintf(p->xlabel, sizeof p->xlabel, "%s", text);
    return CM_OK;
}

cm_status cm_panel_ylabel(cm_panel *p, const char *text)
{
    if (!p || !text)
        return cm_error(CM_ERR_ARG, "plot: ylabel: expected a panel and a text");
    snprintf(p->ylabel, sizeof p->ylabel, "%s", text);
    return CM_OK;
}

void cm_panel_xlim(cm_panel *p, double lo, double hi)
{
    if (p) {
        p->xlo = lo;
        p->xhi = hi;
    }
}

void cm_panel_ylim(cm_panel *p, double lo, double hi)
{
    if (p) {
        p->ylo = lo;
        p->yhi = hi;
    }
}

void cm_panel_axes(cm_panel *p, int show)
{
    if (p)
        p->axes = show ? 1 : 0;
}

static plot_item *new_item(cm_panel *p, item_kind kind, cm_rgb color, double width)
{
    plot_item *it = cm_calloc(1, sizeof *it);
    if (!it)
        return NULL;
    it->kind = kind;
    it->color = color;
    it->width = width;
    return it;
}

static void append(cm_panel *p, plot_item *it)
{
    if (p->last)
        p->last->next = it;
    else
        p->items = it;
    p->last = it;
}

static double *copy(const double *v, int n)
{
    double *c = cm_alloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    if (c && n > 0)
        memcpy(c, v, sizeof(double) * (size_t)n);
    return c;
}

static cm_status nomem(const char *what) { return cm_error(CM_ERR_NOMEM, "plot: %s: cannot allocate", what); }

static cm_status heatmap_common(cm_panel *p, double *vals, int h, int w, cm_colormap map, double vmin, double vmax)
{
    plot_item *it = new_item(p, ITEM_HEATMAP, CM_BLACK, 0);
    if (!it) {
        cm_free(vals);
        return nomem("heatmap");
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < (int64_t)h * w; i++)
        if (isfinite(vals[i])) {
            lo = vals[i] < lo ? vals[i] : lo;
            hi = vals[i] > hi ? vals[i] : hi;
        }
    if (!isfinite(lo)) /* nothing finite: everything in the NaN colour */
        lo = 0, hi = 1;
    it->x = vals;
    it->h = h;
    it->w = w;
    it->map = map;
    it->a = isnan(vmin) ? lo : vmin;
    it->b = isnan(vmax) ? hi : vmax;
    append(p, it);
    return CM_OK;
}

static cm_status check_heatmap(const cm_panel *p, const void *v, int h, int w, cm_colormap map)
{
    if (!p || !v || h < 1 || w < 1 || (int64_t)h * w > (1 << 26))
        return cm_error(CM_ERR_ARG, "plot: heatmap: expected a panel and a non-empty array, got %d x %d", h, w);
    if ((int)map < 0 || map >= CM_CMAP_COUNT)
        return cm_error(CM_ERR_ARG, "plot: heatmap: colormap: expected 0..%d, got %d", CM_CMAP_COUNT - 1, (int)map);
    return CM_OK;
}

cm_status cm_panel_heatmap(cm_panel *p, const double *v, int h, int w, cm_colormap map, double vmin, double vmax)
{
    cm_status st = check_heatmap(p, v, h, w, map);
    if (st != CM_OK)
        return st;
    double *c = copy(v, h * w);
    if (!c)
        return nomem("heatmap");
    return heatmap_common(p, c, h, w, map, vmin, vmax);
}

cm_status cm_panel_heatmap_f32(cm_panel *p, const float *v, int h, int w, cm_colormap map, double vmin, double vmax)
{
    cm_status st = check_heatmap(p, v, h, w, map);
    if (st != CM_OK)
        return st;
    double *c = cm_alloc(sizeof(double) * (size_t)h * w);
    if (!c)
        return nomem("heatmap");
    for (int64_t i = 0; i < (int64_t)h * w; i++)
        c[i] = v[i];
    return heatmap_common(p, c, h, w, map, vmin, vmax);
}

void cm_panel_heatmap_stretch(cm_panel *p)
{
    if (p)
        p->stretch = 1;
}

cm_status cm_panel_colorbar(cm_panel *p)
{
    if (!p)
        return cm_error(CM_ERR_ARG, "plot: colorbar: expected a panel");
    for (plot_item *it = p->items; it; it = it->next)
        if (it->kind == ITEM_HEATMAP) {
            p->colorbar = 1;
            return CM_OK;
        }
    return cm_error(CM_ERR_ARG, "plot: colorbar: the panel has no heatmap to describe");
}

static cm_status xy_item(cm_panel *p, item_kind kind, const char *what, const double *x, const double *y, int n,
                         cm_rgb color, double width)
{
    if (!p || n < 0 || (n > 0 && (!x || !y)))
        return cm_error(CM_ERR_ARG, "plot: %s: expected a panel and %d x and y values", what, n);
    if (!(width >= 0 && width < 1000))
        return cm_error(CM_ERR_ARG, "plot: %s: width: expected 0..1000 points, got %g", what, width);
    plot_item *it = new_item(p, kind, color, width);
    if (!it)
        return nomem(what);
    it->x = copy(x, n);
    it->y = copy(y, n);
    it->n = n;
    if (!it->x || !it->y) {
        free_item(it);
        return nomem(what);
    }
    append(p, it);
    return CM_OK;
}

cm_status cm_panel_line(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double width)
{
    return xy_item(p, ITEM_LINE, "line", x, y, n, color, width);
}

cm_status cm_panel_scatter(cm_panel *p, const double *x, const double *y, int n, cm_rgb color, double radius)
{
    return xy_item(p, ITEM_SCATTER, "scatter", x, y, n, color, radius);
}

cm_status cm_panel_polar(cm_panel *p, const double *theta, const double *r, int n, cm_rgb color, double width)
{
    return xy_item(p, ITEM_POLAR, "polar", theta, r, n, color, width);
}

/* Bars of width fill * dx starting at x0 + i dx (fill 1 for histograms, 0.8 for bar charts). */
static cm_status bars_item(cm_panel *p, const double *heights, int n, double x0, double dx, double fill, cm_rgb color,
                           plot_item **out)
{
    plot_item *it = new_item(p, ITEM_BARS, color, 0);
    if (!it)
        return nomem("bars");
    it->y = copy(heights, n);
    it->n = n;
    it->a = x0;
    it->b = dx;
    it->c = fill;
    if (!it->y) {
        free_item(it);
        return nomem("bars");
    }
    append(p, it);
    *out = it;
    return CM_OK;
}

cm_status cm_panel_hist(cm_panel *p, const double *v, int n, int bins, double lo, double hi, cm_rgb color)
{
    if (!p || n < 0 || (n > 0 && !v) || bins < 1 || bins > 100000)
        return cm_error(CM_ERR_ARG, "plot: hist: expected a panel, %d values and 1..100000 bins, got %d bins", n,
                        bins);
    double dlo = INFINITY, dhi = -INFINITY;
    for (int i = 0; i < n; i++)
        if (isfinite(v[i])) {
            dlo = v[i] < dlo ? v[i] : dlo;
            dhi = v[i] > dhi ? v[i] : dhi;
        }
    if (isnan(lo))
        lo = isfinite(dlo) ? dlo : 0;
    if (isnan(hi))
        hi = isfinite(dhi) ? dhi : 1;
    if (!(hi > lo))
        hi = lo + 1;
    double *counts = cm_calloc((size_t)bins, sizeof(double));
    if (!counts)
        return nomem("hist");
    const double dx = (hi - lo) / bins;
    for (int i = 0; i < n; i++) {
        if (!isfinite(v[i]) || v[i] < lo || v[i] > hi)
            continue;
        int b = (int)((v[i] - lo) / dx);
        counts[b >= bins ? bins - 1 : b] += 1; /* the last bin includes its right edge */
    }
    plot_item *it = NULL;
    cm_status st = bars_item(p, counts, bins, lo, dx, 1.0, color, &it);
    cm_free(counts);
    return st;
}

cm_status cm_panel_bars(cm_panel *p, const double *heights, int n, const char *const *labels, cm_rgb color)
{
    if (!p || n < 1 || !heights)
        return cm_error(CM_ERR_ARG, "plot: bars: expected a panel and at least one height, got %d", n);
    plot_item *it = NULL;
    cm_status st = bars_item(p, heights, n, -0.4, 1.0, 0.8, color, &it);
    if (st != CM_OK || !labels)
        return st;
    it->labels = calloc((size_t)n, sizeof(char *));
    if (!it->labels)
        return nomem("bars");
    for (int i = 0; i < n; i++)
        it->labels[i] = labels[i] ? strdup(labels[i]) : NULL;
    return CM_OK;
}

static cm_status line_at(cm_panel *p, item_kind kind, double at, cm_rgb color, double width)
{
    if (!p || !isfinite(at) || !(width >= 0 && width < 1000))
        return cm_error(CM_ERR_ARG, "plot: reference line: expected a panel, a finite position and a width");
    plot_item *it = new_item(p, kind, color, width);
    if (!it)
        return nomem("reference line");
    it->a = at;
    append(p, it);
    return CM_OK;
}

cm_status cm_panel_vline(cm_panel *p, double x, cm_rgb color, double width)
{
    return line_at(p, ITEM_VLINE, x, color, width);
}

cm_status cm_panel_hline(cm_panel *p, double y, cm_rgb color, double width)
{
    return line_at(p, ITEM_HLINE, y, color, width);
}

cm_status cm_panel_circle(cm_panel *p, double x, double y, double radius, cm_rgb color, double width)
{
    if (!p || !isfinite(x) || !isfinite(y) || !(radius >= 0 && isfinite(radius)))
        return cm_error(CM_ERR_ARG, "plot: circle: expected a panel, a finite centre and a radius >= 0");
    plot_item *it = new_item(p, ITEM_CIRCLE, color, width);
    if (!it)
        return nomem("circle");
    it->a = x;
    it->b = y;
    it->c = radius;
    append(p, it);
    return CM_OK;
}

cm_status cm_panel_text(cm_panel *p, double fx, double fy, const char *text, double size, cm_rgb color)
{
    if (!p || !text || !isfinite(fx) || !isfinite(fy) || !(size > 0 && size < 500))
        return cm_error(CM_ERR_ARG, "plot: text: expected a panel, a text, a finite position and a size in (0, 500)");
    plot_item *it = new_item(p, ITEM_TEXT, color, 0);
    if (!it || !(it->text = strdup(text))) {
        if (it)
            free_item(it);
        return nomem("text");
    }
    it->a = fx;
    it->b = fy;
    it->c = size;
    append(p, it);
    return CM_OK;
}
