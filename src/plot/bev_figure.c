/* The BEV predictor's figure (plot.h): for each frame, the egocentric view,
 * the predicted BEV and the true BEV side by side, as SSM-PC's figures of
 * BEV predictions show them. Drawn with cairo straight from the pixels. */
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CELL 192   /* points per image */
#define GAP 8
#define HEAD 28    /* column titles */
#define BG 0.16    /* the dark ground a BEV's transparent pixels show */

static cairo_status_t png_write_cb(void *closure, const unsigned char *data, unsigned int length)
{
    return fwrite(data, 1, length, (FILE *)closure) == length ? CAIRO_STATUS_SUCCESS : CAIRO_STATUS_WRITE_ERROR;
}

/* An RGB24 surface of w x h pixels filled by pixel(ctx, x, y, rgb[3] 0..1). */
typedef void (*pixel_fn)(const void *ctx, int x, int y, double *rgb);

static cairo_surface_t *make_image(int w, int h, pixel_fn fn, const void *ctx)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, w, h);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return s;
    cairo_surface_flush(s);
    unsigned char *data = cairo_image_surface_get_data(s);
    const int stride = cairo_image_surface_get_stride(s);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double c[3];
            fn(ctx, x, y, c);
            uint32_t v = 0;
            for (int k = 0; k < 3; k++) {
                double u = c[k] < 0 ? 0 : c[k] > 1 ? 1 : c[k];
                v = (v << 8) | (uint32_t)lrint(u * 255.0);
            }
            memcpy(data + (size_t)y * stride + 4 * (size_t)x, &v, 4);
        }
    cairo_surface_mark_dirty(s);
    return s;
}

typedef struct frame_ctx {
    const uint8_t *rgb;
    int side;
} frame_ctx;

static void frame_px(const void *p, int x, int y, double *c)
{
    const frame_ctx *f = p;
    for (int k = 0; k < 3; k++)
        c[k] = f->rgb[((size_t)y * f->side + x) * 3 + k] / 255.0;
}

typedef struct bev_ctx {
    const float *pred;     /* [4, O, O] or NULL */
    const uint8_t *target; /* [O, O, 4] or NULL */
    int out;
} bev_ctx;

/* RGB over the dark ground by alpha. */
static void bev_px(const void *p, int x, int y, double *c)
{
    const bev_ctx *b = p;
    const size_t plane = (size_t)b->out * b->out, i = (size_t)y * b->out + x;
    double a, rgb[3];
    if (b->pred) {
        a = b->pred[3 * plane + i];
        for (int k = 0; k < 3; k++)
            rgb[k] = b->pred[k * plane + i];
    } else {
        a = b->target[4 * i + 3] / 255.0;
        for (int k = 0; k < 3; k++)
            rgb[k] = b->target[4 * i + k] / 255.0;
    }
    for (int k = 0; k < 3; k++)
        c[k] = a * rgb[k] + (1.0 - a) * BG;
}

/* Paints surface s scaled into the square at (x, y), nearest-neighbour. */
static void paint(cairo_t *cr, cairo_surface_t *s, int w, double x, double y)
{
    cairo_save(cr);
    cairo_translate(cr, x, y);
    cairo_scale(cr, (double)CELL / w, (double)CELL / w);
    cairo_set_source_surface(cr, s, 0, 0);
    cairo_pattern_set_filter(cairo_get_source(cr), CAIRO_FILTER_NEAREST);
    cairo_paint(cr);
    cairo_restore(cr);
}

static void label(cairo_t *cr, double x, double y, double size, const char *t)
{
    cairo_text_extents_t e;
    cairo_set_font_size(cr, size);
    cairo_text_extents(cr, t, &e);
    cairo_move_to(cr, x - e.width / 2 - e.x_bearing, y);
    cairo_show_text(cr, t);
}

cm_status cm_plot_bev_samples(const char *path, int n, int image, int out, const uint8_t *rgb, const float *pred,
                              const uint8_t *target, const char *title)
{
    if (n < 1 || image < 1 || out < 1 || !rgb || !pred || !target)
        return cm_error(CM_ERR_ARG, "%s: BEV figure: expected frames, predictions and targets, got %d", path, n);
    const int title_h = title ? 30 : 0;
    const int W = 3 * CELL + 4 * GAP, H = title_h + HEAD + n * (CELL + GAP) + GAP;
    cairo_surface_t *canvas = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W, H);
    if (cairo_surface_status(canvas) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(canvas);
        return cm_error(CM_ERR_NOMEM, "%s: cannot create a %d x %d canvas", path, W, H);
    }
    cairo_t *cr = cairo_create(canvas);
    cairo_set_source_rgb(cr, 1, 1, 1);
    cairo_paint(cr);
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_source_rgb(cr, 0, 0, 0);
    if (title)
        label(cr, W / 2.0, 21, 15, title);
    static const char *const heads[3] = {"egocentric frame", "predicted BEV", "true BEV"};
    for (int c = 0; c < 3; c++)
        label(cr, GAP + c * (CELL + GAP) + CELL / 2.0, title_h + 19, 13, heads[c]);
    cm_status st = CM_OK;
    const size_t plane = (size_t)out * out;
    for (int k = 0; k < n && st == CM_OK; k++) {
        const double y = title_h + HEAD + k * (CELL + GAP);
        frame_ctx f = {rgb + (size_t)k * image * image * 3, image};
        bev_ctx p = {pred + (size_t)k * 4 * plane, NULL, out}, t = {NULL, target + (size_t)k * plane * 4, out};
        cairo_surface_t *s[3] = {make_image(image, image, frame_px, &f), make_image(out, out, bev_px, &p),
                                 make_image(out, out, bev_px, &t)};
        for (int c = 0; c < 3; c++) {
            if (cairo_surface_status(s[c]) != CAIRO_STATUS_SUCCESS)
                st = cm_error(CM_ERR_NOMEM, "%s: cannot create an image", path);
            else
                paint(cr, s[c], c ? out : image, GAP + c * (CELL + GAP), y);
        }
        for (int c = 0; c < 3; c++)
            cairo_surface_destroy(s[c]);
    }
    cairo_destroy(cr);
    if (st == CM_OK) {
        cm_atomic_file af;
        cairo_surface_flush(canvas);
        st = cm_atomic_open(&af, path);
        if (st == CM_OK) {
            if (cairo_surface_write_to_png_stream(canvas, png_write_cb, af.fp) != CAIRO_STATUS_SUCCESS) {
                cm_atomic_abort(&af);
                st = cm_error(CM_ERR_IO, "%s: cannot write the PNG", path);
            } else {
                st = cm_atomic_commit(&af);
            }
        }
    }
    cairo_surface_destroy(canvas);
    return st;
}
