/* The map as a picture (mapping.h): north up, confidence as shading, the
 * true layout faint beneath, paths and targets on top. */
#include <math.h>
#include <string.h>

#include "mapping_internal.h"

static void mix(uint8_t *o, const uint8_t a[3], const uint8_t b[3], float t)
{
    for (int k = 0; k < 3; k++)
        o[k] = (uint8_t)lrintf(a[k] + (b[k] - a[k]) * t);
}

void cm_map_render(const cm_spatial_map *m, const uint8_t *layout, int scale, uint8_t *rgb)
{
    static const uint8_t unknown[3] = {58, 58, 62}, unknown_wall[3] = {40, 44, 78};
    static const uint8_t free_rgb[3] = {236, 236, 230}, occ_rgb[3] = {178, 64, 40};
    const int n = m->cfg.size, b = m->cfg.border, k = m->cfg.px_per_cell;
    const int SW = m->width * scale;
    for (int r = 0; r < m->height; r++) {
        int cy = r / k - b;
        for (int c = 0; c < m->width; c++) {
            int cx = c / k - b;
            int wall = layout && !(cx >= 0 && cy >= 0 && cx < n && cy < n && layout[cy * n + cx]);
            const uint8_t *base = wall ? unknown_wall : unknown;
            float l = m->logodds[(size_t)r * m->width + c];
            float conf = fminf(1.0f, fabsf(l) / 3.0f);
            uint8_t px[3];
            mix(px, base, l < 0.0f ? free_rgb : occ_rgb, conf);
            int sr = (m->height - 1 - r) * scale;
            for (int dy = 0; dy < scale; dy++)
                for (int dx = 0; dx < scale; dx++)
                    memcpy(&rgb[((size_t)(sr + dy) * SW + c * scale + dx) * 3], px, 3);
        }
    }
}

/* World point -> screen pixel (continuous). */
static void to_screen(const cm_spatial_map *m, int scale, float x, float y, float *sx, float *sy)
{
    float k = (float)m->cfg.px_per_cell * scale;
    *sx = (x + m->cfg.border) * k;
    *sy = m->height * scale - (y + m->cfg.border) * k;
}

static void put(const cm_spatial_map *m, int scale, int x, int y, const uint8_t color[3], uint8_t *rgb)
{
    int W = m->width * scale, H = m->height * scale;
    if (x >= 0 && y >= 0 && x < W && y < H)
        memcpy(&rgb[((size_t)y * W + x) * 3], color, 3);
}

void cm_map_draw_path(const cm_spatial_map *m, int scale, const float *xy, int n, const uint8_t color[3],
                      uint8_t *rgb)
{
    for (int i = 0; i + 1 < n; i++) {
        float x0, y0, x1, y1;
        to_screen(m, scale, xy[2 * i], xy[2 * i + 1], &x0, &y0);
        to_screen(m, scale, xy[2 * i + 2], xy[2 * i + 3], &x1, &y1);
        if (!isfinite(x0) || !isfinite(y0) || !isfinite(x1) || !isfinite(y1))
            continue;
        int steps = (int)ceilf(fmaxf(fabsf(x1 - x0), fabsf(y1 - y0))) + 1;
        if (steps > 100000)
            continue;
        for (int s = 0; s <= steps; s++) {
            float t = (float)s / steps;
            put(m, scale, (int)floorf(x0 + (x1 - x0) * t), (int)floorf(y0 + (y1 - y0) * t), color, rgb);
        }
    }
    if (n == 1) {
        float x0, y0;
        to_screen(m, scale, xy[0], xy[1], &x0, &y0);
        if (isfinite(x0) && isfinite(y0))
            put(m, scale, (int)floorf(x0), (int)floorf(y0), color, rgb);
    }
}

void cm_map_draw_point(const cm_spatial_map *m, int scale, float x, float y, int radius, const uint8_t color[3],
                       uint8_t *rgb)
{
    float sx, sy;
    to_screen(m, scale, x, y, &sx, &sy);
    if (!isfinite(sx) || !isfinite(sy) || radius < 0 || radius > 1000)
        return;
    int cx = (int)floorf(sx), cy = (int)floorf(sy);
    for (int dy = -radius; dy <= radius; dy++)
        for (int dx = -radius; dx <= radius; dx++)
            if (dx * dx + dy * dy <= radius * radius)
                put(m, scale, cx + dx, cy + dy, color, rgb);
}
