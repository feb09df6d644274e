/* The wall-distance sensor: distances to the nearest wall along a fan of
 * rays, allocentric (SMP's world_distances, smp.md §2) or turned by the
 * heading (egocentric). */
#include "cogmap/world.h"

#include <math.h>

/* Rays are processed in chunks whose directions live on the stack (no
 * allocation in a step); for each wall the loop over a chunk's rays is
 * branch-free so that the compiler vectorises it. */
#define FAN_CHUNK 256

void cm_arena_distances(const cm_arena *arena, float x, float y, float theta0, int n, float *out)
{
    /* Rotating one base direction by a fixed step keeps this to a single
     * sincos per fan; in double so that the error does not grow with k. */
    const double step = 2 * M_PI / n, cs = cos(step), ss = sin(step);
    double c = cos((double)theta0 - M_PI), s = sin((double)theta0 - M_PI);
    float dx[FAN_CHUNK], dy[FAN_CHUNK];
    for (int base = 0; base < n; base += FAN_CHUNK) {
        int m = n - base < FAN_CHUNK ? n - base : FAN_CHUNK;
        for (int k = 0; k < m; k++) {
            dx[k] = (float)c;
            dy[k] = (float)s;
            double c2 = c * cs - s * ss;
            s = s * cs + c * ss;
            c = c2;
        }
        float *o = out + base;
        if (arena->grid) {
            /* Mazes: cm_arena_cast walks the grid. */
            for (int k = 0; k < m; k++)
                o[k] = cm_arena_cast(arena, x, y, dx[k], dy[k]).distance;
            continue;
        }
        for (int k = 0; k < m; k++)
            o[k] = INFINITY;
        /* cm_ray_segment's solution with the ray-independent terms hoisted
         * and the range tests done by multiplication. */
        for (int i = 0; i < arena->n_walls; i++) {
            const cm_wall *w = &arena->walls[i];
            const float ex = w->x1 - w->x0, ey = w->y1 - w->y0;
            const float wx = w->x0 - x, wy = w->y0 - y;
            const float sn = wx * ey - wy * ex;
            for (int k = 0; k < m; k++) {
                float denom = dx[k] * ey - dy[k] * ex;
                float un = wx * dy[k] - wy * dx[k];
                int hit = ((denom > 0) & (sn >= 0) & (un >= 0) & (un <= denom)) |
                          ((denom < 0) & (sn <= 0) & (un <= 0) & (un >= denom));
                float d = sn / (denom != 0 ? denom : 1.0f);
                o[k] = (hit & (d < o[k])) ? d : o[k];
            }
        }
    }
}
