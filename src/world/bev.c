/* BEV ground truth in SSM-PC's conventions (ssm-pc.md §3.4, FOVTopViewRenderer):
 * visibility by rays and Bresenham lines, the 250x250 agent-centred RGBA map,
 * its agent-up rotation, and the per-agent global occupancy grid. */
#include "cogmap/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cm_bev_config_default(cm_bev_config *c)
{
    c->fov_deg = 75.0f; /* the collector's; the GUI uses 90 */
    c->n_rays = 180;
    c->step = 0.2f;
    c->range = 10.0f;
}

static int in_grid(int size, int x, int y) { return x >= 0 && y >= 0 && x < size && y < size; }

static float wrap_pi(float a)
{
    while (a > (float)M_PI)
        a -= (float)(2 * M_PI);
    while (a <= -(float)M_PI)
        a += (float)(2 * M_PI);
    return a;
}

/* Marks the cells of the Bresenham line from (x0,y0) to (x1,y1), stopping
 * after the first wall; returns 1 if a wall stopped it. */
static int bresenham_mark(const uint8_t *layout, int size, int x0, int y0, int x1, int y1, uint8_t *visible)
{
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    for (;;) {
        if (!in_grid(size, x0, y0))
            return 1;
        visible[y0 * size + x0] = 1;
        if (!layout[y0 * size + x0])
            return 1;
        if (x0 == x1 && y0 == y1)
            return 0;
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

void cm_bev_visible(const uint8_t *layout, int size, cm_pose pose, const cm_bev_config *c, uint8_t *visible)
{
    memset(visible, 0, (size_t)size * (size_t)size);
    if (!(fabsf(pose.x) < 1e6f && fabsf(pose.y) < 1e6f && isfinite(pose.theta)))
        return;
    int ax = (int)floorf(pose.x), ay = (int)floorf(pose.y);
    if (!in_grid(size, ax, ay))
        return;
    visible[ay * size + ax] = 1; /* the agent's own cell, always */
    /* a configuration that samples nothing (or absurdly much) sees only the own cell */
    if (!(c->step > 0.0f) || !(c->range >= 0.0f) || !(c->range / c->step <= 1e5f) || !(c->fov_deg >= 0.0f) ||
        !(c->fov_deg <= 360.0f))
        return;
    float half = 0.5f * c->fov_deg * (float)M_PI / 180.0f;
    int samples = (int)floorf(c->range / c->step + 1e-4f);
    for (int i = 0; i < c->n_rays; i++) {
        float a = pose.theta - half + (c->n_rays > 1 ? 2.0f * half * (float)i / (float)(c->n_rays - 1) : half);
        float dx = cosf(a), dy = sinf(a);
        int last = -1;
        for (int k = 1; k <= samples; k++) {
            float s = c->step * (float)k;
            int cx = (int)floorf(pose.x + s * dx), cy = (int)floorf(pose.y + s * dy);
            if (!in_grid(size, cx, cy))
                break;
            int cell = cy * size + cx;
            if (cell == last)
                continue;
            last = cell;
            /* only cells whose centre lies inside the view cone */
            float bearing = atan2f((float)cy + 0.5f - pose.y, (float)cx + 0.5f - pose.x);
            if (fabsf(wrap_pi(bearing - pose.theta)) > half + 1e-6f)
                continue;
            if (bresenham_mark(layout, size, ax, ay, cx, cy, visible))
                break;
        }
    }
}

static void put_px(uint8_t *rgba, int x, int y, const uint8_t c[4])
{
    if (x < 0 || y < 0 || x >= CM_BEV_PIXELS || y >= CM_BEV_PIXELS)
        return;
    memcpy(&rgba[(y * CM_BEV_PIXELS + x) * 4], c, 4);
}

/* Pixels whose centres lie within [r_in, r_out] of (cx, cy). */
static void disc(uint8_t *rgba, float cx, float cy, float r_in, float r_out, const uint8_t c[4])
{
    for (int y = (int)floorf(cy - r_out) - 1; y <= (int)ceilf(cy + r_out) + 1; y++)
        for (int x = (int)floorf(cx - r_out) - 1; x <= (int)ceilf(cx + r_out) + 1; x++) {
            float d2 = ((float)x + 0.5f - cx) * ((float)x + 0.5f - cx) + ((float)y + 0.5f - cy) * ((float)y + 0.5f - cy);
            if (d2 <= r_out * r_out && d2 >= r_in * r_in)
                put_px(rgba, x, y, c);
        }
}

void cm_bev_draw(const uint8_t *layout, int size, const uint8_t *visible, cm_pose pose, int n_targets,
                 const float (*targets)[2], const uint8_t (*target_rgb)[3], int current, uint8_t *rgba)
{
    const int P = CM_BEV_PIXELS, S = CM_BEV_CELL;
    const int centre = 125 + S / 2; /* the agent cell's corner sits at (125, 125) */
    memset(rgba, 0, (size_t)P * P * 4);
    if (!(fabsf(pose.x) < 1e6f && fabsf(pose.y) < 1e6f && isfinite(pose.theta)))
        return; /* nothing to draw for a pose that is nowhere */
    int ax = (int)floorf(pose.x), ay = (int)floorf(pose.y);
    static const uint8_t grey[4] = {102, 102, 102, 255};
    for (int dy = -10; dy <= 10; dy++)
        for (int dx = -10; dx <= 10; dx++) {
            int x = ax + dx, y = ay + dy;
            if (!in_grid(size, x, y) || !visible[y * size + x] || !layout[y * size + x])
                continue;
            /* screen rows grow with world y: the map is mirrored vertically */
            int x0 = centre + dx * S - S / 2, y0 = centre + dy * S - S / 2;
            for (int py = y0; py < y0 + S; py++)
                for (int px = x0; px < x0 + S; px++)
                    put_px(rgba, px, py, grey);
        }
    for (int t = 0; t < n_targets; t++) {
        if (!(fabsf(targets[t][0]) < 1e6f && fabsf(targets[t][1]) < 1e6f))
            continue;
        int tx = (int)floorf(targets[t][0]), ty = (int)floorf(targets[t][1]);
        if (!in_grid(size, tx, ty) || !visible[ty * size + tx] || abs(tx - ax) > 10 || abs(ty - ay) > 10)
            continue;
        float cx = (float)(centre + (tx - ax) * S), cy = (float)(centre + (ty - ay) * S);
        const uint8_t col[4] = {target_rgb[t][0], target_rgb[t][1], target_rgb[t][2], 255};
        disc(rgba, cx, cy, 0.0f, 4.0f, col);
        if (t == current) {
            static const uint8_t white[4] = {255, 255, 255, 255};
            disc(rgba, cx, cy, 2.0f, 4.0f, white);
        }
    }
    static const uint8_t yellow[4] = {255, 215, 0, 255}, black[4] = {0, 0, 0, 255};
    disc(rgba, (float)centre + 0.5f, (float)centre + 0.5f, 0.0f, 5.0f, yellow);
    /* heading line, 8 px along (cos, sin) in screen coordinates */
    for (int k = 0; k <= 16; k++) {
        float s = 0.5f * (float)k;
        put_px(rgba, centre + (int)lroundf(s * cosf(pose.theta)), centre + (int)lroundf(s * sinf(pose.theta)), black);
    }
}

/* (the bicubic rotation itself is in bev_window.c) */
void cm_bev_rotate(const uint8_t *rgba, float theta, uint8_t *out)
{
    cm_bev_rotate_window(rgba, theta, 0, 0, CM_BEV_PIXELS, CM_BEV_PIXELS, out);
}

void cm_bev_accumulate(const uint8_t *layout, int size, const uint8_t *visible, uint8_t *global)
{
    for (int i = 0; i < size * size; i++)
        if (visible[i])
            global[i] = layout[i] ? 1 : 2;
}
