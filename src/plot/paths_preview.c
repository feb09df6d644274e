/* Top-down preview of an arena and paths (plot.h), drawn with cairo and
 * written with the io module's (atomic) PNG writer. */
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "cogmap/world.h"

#include <cairo.h>
#include <math.h>

#define PREVIEW_SIZE 640 /* pixels along the arena's longer side */
#define PREVIEW_MARGIN 16
#define MAX_PATHS 16
#define MAX_POINTS 100000

/* Dark, distinct path colours that read on the light floor. */
static const double path_rgb[8][3] = {{0.10, 0.10, 0.10}, {0.80, 0.20, 0.10}, {0.10, 0.35, 0.80},
                                      {0.10, 0.55, 0.20}, {0.55, 0.15, 0.60}, {0.85, 0.50, 0.05},
                                      {0.05, 0.55, 0.60}, {0.45, 0.30, 0.15}};

cm_status cm_arena_paths_preview(const char *path, const cm_arena *arena, const float *positions, int batch,
                                 int steps, int agents)
{
    double w = arena->xmax - arena->xmin, h = arena->ymax - arena->ymin;
    if (!(w > 0 && h > 0))
        return cm_error(CM_ERR_ARG, "%s: arena %s has an empty extent", path, arena->name);
    double scale = (PREVIEW_SIZE - 2 * PREVIEW_MARGIN) / fmax(w, h);
    int width = (int)ceil(w * scale) + 2 * PREVIEW_MARGIN, height = (int)ceil(h * scale) + 2 * PREVIEW_MARGIN;
    cairo_surface_t *surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    if (cairo_surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        cairo_surface_destroy(surface);
        return cm_error(CM_ERR_NOMEM, "%s: cannot create a %dx%d image", path, width, height);
    }
    cairo_t *cr = cairo_create(surface);
    cairo_set_source_rgb(cr, 0.80, 0.80, 0.80); /* outside the arena */
    cairo_paint(cr);
    /* World to pixels, y up. */
    cairo_translate(cr, PREVIEW_MARGIN - arena->xmin * scale, height - PREVIEW_MARGIN + arena->ymin * scale);
    cairo_scale(cr, scale, -scale);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);

    /* Free space as a pale floor (the walls form closed loops). */
    if (!arena->grid && arena->n_walls > 0) {
        cairo_set_fill_rule(cr, CAIRO_FILL_RULE_EVEN_ODD);
        /* Chain consecutive walls into loops; a wall that does not start
         * where the previous one ended starts a new loop. */
        for (int i = 0; i < arena->n_walls; i++) {
            const cm_wall *wl = &arena->walls[i];
            if (i == 0 || wl->x0 != arena->walls[i - 1].x1 || wl->y0 != arena->walls[i - 1].y1) {
                cairo_close_path(cr);
                cairo_move_to(cr, wl->x0, wl->y0);
            }
            cairo_line_to(cr, wl->x1, wl->y1);
        }
        cairo_close_path(cr);
        cairo_set_source_rgb(cr, 1.0, 1.0, 0.98);
        cairo_fill(cr);
    }

    int n_paths = batch * agents < MAX_PATHS ? batch * agents : MAX_PATHS;
    int stride = steps > MAX_POINTS ? (steps + MAX_POINTS - 1) / MAX_POINTS : 1;
    cairo_set_line_width(cr, 1.2 / scale);
    for (int p = 0; p < n_paths; p++) {
        int b = p / agents, a = p % agents;
        const double *rgb = path_rgb[p % 8];
        for (int t = 0; t < steps; t += stride) {
            const float *xy = positions + (((size_t)b * steps + t) * agents + a) * 2;
            if (t == 0)
                cairo_move_to(cr, xy[0], xy[1]);
            else
                cairo_line_to(cr, xy[0], xy[1]);
        }
        cairo_set_source_rgba(cr, rgb[0], rgb[1], rgb[2], 0.75);
        cairo_stroke(cr);
        /* Where the path ends: a dot. */
        const float *end = positions + (((size_t)b * steps + steps - 1) * agents + a) * 2;
        cairo_arc(cr, end[0], end[1], 4.0 / scale, 0, 2 * M_PI);
        cairo_set_source_rgb(cr, rgb[0], rgb[1], rgb[2]);
        cairo_fill(cr);
    }

    /* Walls last, thick, in their own colours. */
    cairo_set_line_width(cr, 5.0 / scale);
    for (int i = 0; i < arena->n_walls; i++) {
        const cm_wall *wl = &arena->walls[i];
        cairo_move_to(cr, wl->x0, wl->y0);
        cairo_line_to(cr, wl->x1, wl->y1);
        cairo_set_source_rgb(cr, wl->rgb[0] / 255.0, wl->rgb[1] / 255.0, wl->rgb[2] / 255.0);
        cairo_stroke(cr);
    }
    cairo_destroy(cr);
    cairo_surface_flush(surface);

    cm_image img;
    cm_status st = cm_image_alloc(&img, width, height, 3);
    if (st == CM_OK) {
        const unsigned char *data = cairo_image_surface_get_data(surface);
        int stride_bytes = cairo_image_surface_get_stride(surface);
        for (int y = 0; y < height; y++) {
            const uint32_t *row = (const uint32_t *)(data + (size_t)y * stride_bytes);
            for (int x = 0; x < width; x++) {
                uint8_t *px = img.pixels + ((size_t)y * width + x) * 3;
                px[0] = (uint8_t)(row[x] >> 16);
                px[1] = (uint8_t)(row[x] >> 8);
                px[2] = (uint8_t)row[x];
            }
        }
        st = cm_png_write(path, &img);
        cm_image_free(&img);
    }
    cairo_surface_destroy(surface);
    return st;
}

cm_status cm_simulation_save(const char *dir, const cm_arena *arena, const cm_simulation *s)
{
    char path[4096];
    cm_status st = cm_mkdir_p(dir);
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "trajectory.npz");
    if (st == CM_OK)
        st = cm_simulation_write(path, arena, s);
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "preview.png");
    if (st == CM_OK)
        st = cm_arena_paths_preview(path, arena, s->position, s->batch, s->steps, s->agents);
    return st;
}
