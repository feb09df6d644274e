/* Laying out and drawing a figure with cairo, and writing it as PNG, SVG or PDF. */
#include "plot/plot_internal.h"

#include "cogmap/io.h"

#include <cairo-pdf.h>
#include <cairo-svg.h>
#include <cairo.h>
#include <ctype.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define FONT "sans-serif"
#define TITLE_H 28.0
#define PANEL_TITLE_H 16.0

typedef struct box {
    double x, y, w, h; /* device space, y down */
} box;

static void set_rgb(cairo_t *cr, cm_rgb c) { cairo_set_source_rgb(cr, c.r, c.g, c.b); }

static void text_at(cairo_t *cr, double x, double y, const char *s, double size, double halign, double valign)
{
    cairo_text_extents_t e;
    cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    /* halign/valign: 0 left/top, 0.5 centre, 1 right/bottom of the ink box */
    cairo_move_to(cr, x - e.x_bearing - halign * e.width, y - e.y_bearing - valign * e.height);
    cairo_show_text(cr, s);
}

static void fit_text(cairo_t *cr, double x, double y, const char *s, double size, double max_w)
{
    cairo_text_extents_t e;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, s, &e);
    if (e.width > max_w && e.width > 0)
        size *= max_w / e.width;
    text_at(cr, x, y, s, size < 5 ? 5 : size, 0.5, 0.5);
}

/* "Nice" tick step: 1, 2 or 5 times a power of ten, about `target` ticks over the range. */
static double tick_step(double lo, double hi, int target)
{
    const double raw = (hi - lo) / target;
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    const double p = pow(10, floor(log10(raw))), f = raw / p;
    return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

typedef enum { PANEL_XY, PANEL_IMAGE, PANEL_POLAR, PANEL_EMPTY } panel_kind;

static panel_kind kind_of(const cm_panel *p)
{
    int any = 0;
    for (const plot_item *it = p->items; it; it = it->next) {
        if (it->kind == ITEM_HEATMAP)
            return PANEL_IMAGE;
        if (it->kind == ITEM_POLAR)
            return PANEL_POLAR;
        if (it->kind != ITEM_TEXT)
            any = 1;
    }
    return any ? PANEL_XY : PANEL_EMPTY;
}

static void extend(double *lo, double *hi, double v)
{
    if (isfinite(v)) {
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}

/* Data limits of an x-y panel. */
static void xy_limits(const cm_panel *p, double *xlo, double *xhi, double *ylo, double *yhi)
{
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    int bars = 0;
    for (const plot_item *it = p->items; it; it = it->next) {
        switch (it->kind) {
        case ITEM_LINE:
        case ITEM_SCATTER:
            for (int i = 0; i < it->n; i++)
                if (isfinite(it->x[i]) && isfinite(it->y[i])) {
                    extend(&x0, &x1, it->x[i]);
                    extend(&y0, &y1, it->y[i]);
                }
            break;
        case ITEM_BARS:
            bars = 1;
            extend(&x0, &x1, it->a);
            extend(&x0, &x1, it->a + (it->n - 1) * it->b + it->c * it->b);
            extend(&y0, &y1, 0);
            for (int i = 0; i < it->n; i++)
                extend(&y0, &y1, it->y[i]);
            break;
        case ITEM_VLINE: extend(&x0, &x1, it->a); break;
        case ITEM_HLINE: extend(&y0, &y1, it->a); break;
        case ITEM_CIRCLE:
            extend(&x0, &x1, it->a - it->c);
            extend(&x0, &x1, it->a + it->c);
            extend(&y0, &y1, it->b - it->c);
            extend(&y0, &y1, it->b + it->c);
            break;
        default: break;
        }
    }
    if (!isfinite(x0))
        x0 = 0, x1 = 1;
    if (!isfinite(y0))
        y0 = 0, y1 = 1;
    if (x1 <= x0)
        x0 -= 0.5, x1 += 0.5;
    if (y1 <= y0)
        y0 -= 0.5, y1 += 0.5;
    /* Padding is a share of the span shown, which a limit the caller set bounds on one side (a
     * curve near a fixed 0 would otherwise touch the top). */
    const double px = bars ? 0 : 0.04 * ((isnan(p->xhi) ? x1 : p->xhi) - (isnan(p->xlo) ? x0 : p->xlo));
    const double py = 0.05 * ((isnan(p->yhi) ? y1 : p->yhi) - (isnan(p->ylo) ? y0 : p->ylo));
    *xlo = isnan(p->xlo) ? x0 - px : p->xlo;
    *xhi = isnan(p->xhi) ? x1 + px : p->xhi;
    *ylo = isnan(p->ylo) ? (bars && y0 >= 0 ? 0 : y0 - py) : p->ylo;
    *yhi = isnan(p->yhi) ? y1 + py : p->yhi;
    if (!(*xhi > *xlo))
        *xhi = *xlo + 1;
    if (!(*yhi > *ylo))
        *yhi = *ylo + 1;
}

static void draw_axes(cairo_t *cr, box a, double xlo, double xhi, double ylo, double yhi, const cm_panel *p,
                      int x_ticks)
{
    cairo_set_line_width(cr, 0.8);
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_rectangle(cr, a.x, a.y, a.w, a.h);
    cairo_stroke(cr);
    char buf[32];
    const double sx = tick_step(xlo, xhi, a.w > 160 ? 5 : 3), sy = tick_step(ylo, yhi, a.h > 160 ? 5 : 3);
    for (double t = ceil(xlo / sx - 1e-9) * sx; x_ticks && t <= xhi + 1e-9 * sx; t += sx) {
        const double X = a.x + (t - xlo) / (xhi - xlo) * a.w;
        cairo_move_to(cr, X, a.y + a.h);
        cairo_line_to(cr, X, a.y + a.h + 3);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", fabs(t) < 1e-12 * sx ? 0.0 : t);
        text_at(cr, X, a.y + a.h + 5, buf, 8, 0.5, 0);
    }
    for (double t = ceil(ylo / sy - 1e-9) * sy; t <= yhi + 1e-9 * sy; t += sy) {
        const double Y = a.y + a.h - (t - ylo) / (yhi - ylo) * a.h;
        cairo_move_to(cr, a.x - 3, Y);
        cairo_line_to(cr, a.x, Y);
        cairo_stroke(cr);
        snprintf(buf, sizeof buf, "%g", fabs(t) < 1e-12 * sy ? 0.0 : t);
        text_at(cr, a.x - 5, Y, buf, 8, 1, 0.5);
    }
    if (p->xlabel[0])
        text_at(cr, a.x + a.w / 2, a.y + a.h + 17, p->xlabel, 9, 0.5, 0);
    if (p->ylabel[0]) {
        cairo_save(cr);
        cairo_translate(cr, a.x - 30, a.y + a.h / 2);
        cairo_rotate(cr, -M_PI / 2);
        text_at(cr, 0, 0, p->ylabel, 9, 0.5, 1);
        cairo_restore(cr);
    }
}

static void draw_xy(cairo_t *cr, const cm_panel *p, box a)
{
    double xlo, xhi, ylo, yhi;
    xy_limits(p, &xlo, &xhi, &ylo, &yhi);
#define PX(v) (a.x + ((v)-xlo) / (xhi - xlo) * a.w)
#define PY(v) (a.y + a.h - ((v)-ylo) / (yhi - ylo) * a.h)
    cairo_save(cr);
    cairo_rectangle(cr, a.x, a.y, a.w, a.h);
    cairo_clip(cr);
    for (const plot_item *it = p->items; it; it = it->next) {
        set_rgb(cr, it->color);
        switch (it->kind) {
        case ITEM_BARS:
            for (int i = 0; i < it->n; i++) {
                if (!isfinite(it->y[i]))
                    continue;
                const double l = it->a + i * it->b, r = l + it->c * it->b;
                const double top = PY(it->y[i]), base = PY(ylo > 0 ? ylo : (yhi < 0 ? yhi : 0));
                cairo_rectangle(cr, PX(l), fmin(top, base), PX(r) - PX(l), fabs(base - top));
                cairo_fill_preserve(cr);
                cairo_set_source_rgba(cr, 1, 1, 1, 0.6);
                cairo_set_line_width(cr, 0.5);
                cairo_stroke(cr);
                set_rgb(cr, it->color);
            }
            break;
        case ITEM_LINE: {
            cairo_set_line_width(cr, it->width > 0 ? it->width : 1);
            cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
            int pen = 0;
            for (int i = 0; i < it->n; i++) {
                if (!isfinite(it->x[i]) || !isfinite(it->y[i])) {
                    pen = 0;
                    continue;
                }
                if (pen)
                    cairo_line_to(cr, PX(it->x[i]), PY(it->y[i]));
                else
                    cairo_move_to(cr, PX(it->x[i]), PY(it->y[i]));
                pen = 1;
            }
            cairo_stroke(cr);
            break;
        }
        case ITEM_SCATTER:
            for (int i = 0; i < it->n; i++)
                if (isfinite(it->x[i]) && isfinite(it->y[i])) {
                    cairo_new_sub_path(cr);
                    cairo_arc(cr, PX(it->x[i]), PY(it->y[i]), it->width > 0 ? it->width : 2, 0, 2 * M_PI);
                }
            cairo_fill(cr);
            break;
        case ITEM_VLINE:
        case ITEM_HLINE:
            cairo_set_line_width(cr, it->width > 0 ? it->width : 1);
            if (it->kind == ITEM_VLINE) {
                cairo_move_to(cr, PX(it->a), a.y);
                cairo_line_to(cr, PX(it->a), a.y + a.h);
            } else {
                cairo_move_to(cr, a.x, PY(it->a));
                cairo_line_to(cr, a.x + a.w, PY(it->a));
            }
            cairo_stroke(cr);
            break;
        case ITEM_CIRCLE:
            cairo_set_line_width(cr, it->width > 0 ? it->width : 1);
            cairo_new_sub_path(cr);
            cairo_save(cr);
            cairo_translate(cr, PX(it->a), PY(it->b));
            cairo_scale(cr, a.w / (xhi - xlo), a.h / (yhi - ylo));
            cairo_arc(cr, 0, 0, it->c, 0, 2 * M_PI);
            cairo_restore(cr);
            cairo_stroke(cr);
            break;
        default: break;
        }
    }
    cairo_restore(cr);
    int labelled = 0; /* categories replace the numeric x ticks */
    for (const plot_item *it = p->items; it; it = it->next)
        labelled |= it->kind == ITEM_BARS && it->labels != NULL;
    if (p->axes != 0)
        draw_axes(cr, a, xlo, xhi, ylo, yhi, p, !labelled);
    /* bar labels under the axis */
    for (const plot_item *it = p->items; it; it = it->next)
        if (it->kind == ITEM_BARS && it->labels) {
            cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
            for (int i = 0; i < it->n; i++)
                if (it->labels[i]) {
                    cairo_save(cr);
                    cairo_translate(cr, PX(it->a + (i + 0.4) * it->b), a.y + a.h + 5);
                    text_at(cr, 0, 0, it->labels[i], 8, 0.5, 0);
                    cairo_restore(cr);
                }
        }
#undef PX
#undef PY
}

static void draw_image(cairo_t *cr, const cm_panel *p, box a, box *bar)
{
    const plot_item *hm = NULL;
    for (const plot_item *it = p->items; it; it = it->next)
        if (it->kind == ITEM_HEATMAP)
            hm = it; /* the last heatmap added wins */
    const int h = hm->h, w = hm->w;
    /* sx, sy: points per bin; square bins unless the panel stretches. */
    const double s = fmin(a.w / w, a.h / h);
    const double sx = p->stretch ? a.w / w : s, sy = p->stretch ? a.h / h : s;
    const double ox = a.x + (a.w - sx * w) / 2, oy = a.y + (a.h - sy * h) / 2;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
        cairo_surface_flush(img);
        unsigned char *data = cairo_image_surface_get_data(img);
        const int stride = cairo_image_surface_get_stride(img);
        const double span = hm->b > hm->a ? hm->b - hm->a : 1;
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                const double v = hm->x[(size_t)i * w + j];
                const cm_rgb c = cm_colormap_at(hm->map, isnan(v) ? NAN : (v - hm->a) / span);
                uint32_t px = (uint32_t)lround(c.r * 255) << 16 | (uint32_t)lround(c.g * 255) << 8 |
                              (uint32_t)lround(c.b * 255);
                memcpy(data + (size_t)i * stride + 4 * (size_t)j, &px, 4);
            }
        cairo_surface_mark_dirty(img);
        cairo_save(cr);
        cairo_translate(cr, ox, oy);
        cairo_scale(cr, sx, sy);
        cairo_set_source_surface(cr, img, 0, 0);
        cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
        cairo_rectangle(cr, 0, 0, w, h);
        cairo_fill(cr);
        cairo_restore(cr);
    }
    cairo_surface_destroy(img);
    /* circles: column x, row y, radius in bins, pixel centres at +0.5 */
    for (const plot_item *it = p->items; it; it = it->next)
        if (it->kind == ITEM_CIRCLE) {
            set_rgb(cr, it->color);
            cairo_set_line_width(cr, it->width > 0 ? it->width : 1);
            cairo_new_sub_path(cr);
            cairo_arc(cr, ox + (it->a + 0.5) * sx, oy + (it->b + 0.5) * sy, it->c * s, 0, 2 * M_PI);
            cairo_stroke(cr);
        }
    if (p->colorbar && bar->w > 0) {
        const int steps = 64;
        const double bh = sy * h, by = oy;
        for (int k = 0; k < steps; k++) {
            set_rgb(cr, cm_colormap_at(hm->map, (k + 0.5) / steps));
            cairo_rectangle(cr, bar->x, by + bh * (steps - 1 - k) / steps, 8, bh / steps + 0.5);
            cairo_fill(cr);
        }
        char buf[32];
        cairo_set_source_rgb(cr, 0.1, 0.1, 0.1);
        snprintf(buf, sizeof buf, "%.3g", hm->b);
        text_at(cr, bar->x + 10, by, buf, 7, 0, 0);
        snprintf(buf, sizeof buf, "%.3g", hm->a);
        text_at(cr, bar->x + 10, by + bh, buf, 7, 0, 1);
    }
}

static void draw_polar(cairo_t *cr, const cm_panel *p, box a)
{
    double rmax = 0;
    for (const plot_item *it = p->items; it; it = it->next)
        if (it->kind == ITEM_POLAR)
            for (int i = 0; i < it->n; i++)
                if (isfinite(it->y[i]) && fabs(it->y[i]) > rmax)
                    rmax = fabs(it->y[i]);
    if (!isnan(p->yhi) && p->yhi > 0)
        rmax = p->yhi;
    if (!(rmax > 0))
        rmax = 1;
    const double R = fmin(a.w, a.h) / 2 - 2, cx = a.x + a.w / 2, cy = a.y + a.h / 2;
    cairo_set_source_rgb(cr, 0.75, 0.75, 0.75);
    cairo_set_line_width(cr, 0.6);
    for (int k = 1; k <= 2; k++) {
        cairo_new_sub_path(cr);
        cairo_arc(cr, cx, cy, R * k / 2, 0, 2 * M_PI);
    }
    for (int k = 0; k < 8; k++) {
        cairo_move_to(cr, cx, cy);
        cairo_line_to(cr, cx + R * cos(k * M_PI / 4), cy - R * sin(k * M_PI / 4));
    }
    cairo_stroke(cr);
    for (const plot_item *it = p->items; it; it = it->next) {
        if (it->kind != ITEM_POLAR)
            continue;
        set_rgb(cr, it->color);
        cairo_set_line_width(cr, it->width > 0 ? it->width : 1.2);
        cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
        int pen = 0;
        for (int i = 0; i < it->n; i++) {
            if (!isfinite(it->x[i]) || !isfinite(it->y[i]))
                continue;
            const double r = R * fabs(it->y[i]) / rmax;
            const double X = cx + r * cos(it->x[i]), Y = cy - r * sin(it->x[i]);
            if (pen)
                cairo_line_to(cr, X, Y);
            else
                cairo_move_to(cr, X, Y);
            pen = 1;
        }
        if (pen)
            cairo_close_path(cr);
        cairo_stroke(cr);
    }
    char buf[32];
    snprintf(buf, sizeof buf, "%.3g", rmax);
    cairo_set_source_rgb(cr, 0.4, 0.4, 0.4);
    text_at(cr, cx + R * 0.72, cy - R * 0.72, buf, 7, 0, 1);
}

static void draw_texts(cairo_t *cr, const cm_panel *p, box a)
{
    for (const plot_item *it = p->items; it; it = it->next) {
        if (it->kind != ITEM_TEXT)
            continue;
        cairo_text_extents_t e;
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        cairo_set_font_size(cr, it->c);
        cairo_text_extents(cr, it->text, &e);
        const double x = a.x + it->a * a.w, y = a.y + (1 - it->b) * a.h;
        /* anchor: left edge at fx, vertically centred at fy; kept inside the area */
        double l = x, t = y - e.height / 2;
        if (l + e.width + 2 > a.x + a.w)
            l = a.x + a.w - e.width - 2;
        if (t < a.y + 1)
            t = a.y + 1;
        if (t + e.height + 1 > a.y + a.h)
            t = a.y + a.h - e.height - 1;
        cairo_set_source_rgba(cr, 1, 1, 1, 0.7);
        cairo_rectangle(cr, l - 1.5, t - 1.5, e.width + 3, e.height + 3);
        cairo_fill(cr);
        set_rgb(cr, it->color);
        cairo_move_to(cr, l - e.x_bearing, t - e.y_bearing);
        cairo_show_text(cr, it->text);
    }
}

void cm_plot_render(const cm_figure *fig, void *context)
{
    cairo_t *cr = context;
    int W, H;
    cm_figure_size(fig, &W, &H);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    const double top = fig->title[0] ? TITLE_H : 0;
    if (fig->title[0]) {
        cairo_set_source_rgb(cr, 0, 0, 0);
        cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
        fit_text(cr, W / 2.0, TITLE_H / 2, fig->title, 14, W - 10);
    }
    for (int r = 0; r < fig->rows; r++)
        for (int c = 0; c < fig->cols; c++) {
            const cm_panel *p = &fig->panels[r * fig->cols + c];
            const panel_kind kind = kind_of(p);
            box cell = {c * fig->panel_w, top + r * fig->panel_h, fig->panel_w, fig->panel_h};
            if (p->title[0]) {
                cairo_set_source_rgb(cr, 0.05, 0.05, 0.05);
                cairo_select_font_face(cr, FONT, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
                fit_text(cr, cell.x + cell.w / 2, cell.y + PANEL_TITLE_H / 2 + 1, p->title, 10, cell.w - 6);
            }
            const double t = p->title[0] ? PANEL_TITLE_H + 2 : 4;
            const int axes = kind == PANEL_XY && p->axes != 0;
            int has_labels = 0;
            for (const plot_item *it = p->items; it; it = it->next)
                has_labels |= it->kind == ITEM_BARS && it->labels != NULL;
            const double left = axes ? 34 + (p->ylabel[0] ? 12 : 0) : 4;
            const double bottom = axes ? 18 + (p->xlabel[0] || has_labels ? 12 : 0) : 4;
            const double right = 6 + (p->colorbar && kind == PANEL_IMAGE ? 30 : 0);
            box area = {cell.x + left, cell.y + t, cell.w - left - right, cell.h - t - bottom};
            box bar = {area.x + area.w + 4, area.y, p->colorbar ? 8 : 0, area.h};
            if (area.w < 4 || area.h < 4)
                continue;
            switch (kind) {
            case PANEL_IMAGE: draw_image(cr, p, area, &bar); break;
            case PANEL_POLAR: draw_polar(cr, p, area); break;
            case PANEL_XY: draw_xy(cr, p, area); break;
            default: break;
            }
            draw_texts(cr, p, area);
        }
}

/* ------------------------------------------------------------------ files */

static cairo_status_t write_to_file(void *closure, const unsigned char *data, unsigned int length)
{
    cm_atomic_file *f = closure;
    return fwrite(data, 1, length, f->fp) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

static int ends_with(const char *s, const char *suffix)
{
    const size_t n = strlen(s), k = strlen(suffix);
    if (n < k)
        return 0;
    for (size_t i = 0; i < k; i++)
        if (tolower((unsigned char)s[n - k + i]) != suffix[i])
            return 0;
    return 1;
}

cm_status cm_figure_save(const cm_figure *fig, const char *path)
{
    if (!fig || !path || !path[0])
        return cm_error(CM_ERR_ARG, "figure: save: expected a figure and a file name");
    int W, H;
    cm_figure_size(fig, &W, &H);
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    cairo_surface_t *surface;
    const int vector = ends_with(path, ".svg") || ends_with(path, ".pdf");
    if (ends_with(path, ".svg"))
        surface = cairo_svg_surface_create_for_stream(write_to_file, &f, W, H);
    else if (ends_with(path, ".pdf"))
        surface = cairo_pdf_surface_create_for_stream(write_to_file, &f, W, H);
    else
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, W, H);
    cairo_t *cr = cairo_create(surface);
    cm_plot_render(fig, cr);
    cairo_status_t cs = cairo_status(cr);
    cairo_destroy(cr);
    if (cs == CAIRO_STATUS_SUCCESS) {
        if (vector) {
            cairo_surface_finish(surface);
            cs = cairo_surface_status(surface);
        } else {
            cs = cairo_surface_write_to_png_stream(surface, write_to_file, &f);
        }
    }
    cairo_surface_destroy(surface);
    if (cs != CAIRO_STATUS_SUCCESS) {
        cm_atomic_abort(&f);
        return cm_error(CM_ERR_IO, "%s: drawing the figure failed: %s", path, cairo_status_to_string(cs));
    }
    return cm_atomic_commit(&f);
}

void cm_plot_release_caches(void)
{
    cairo_debug_reset_static_data();
    /* fontconfig comes in through cairo; cogmap does not link it itself, so find FcFini in the
     * process instead of depending on its headers and library. */
    void (*fc_fini)(void) = (void (*)(void))dlsym(RTLD_DEFAULT, "FcFini");
    if (fc_fini)
        fc_fini();
}
