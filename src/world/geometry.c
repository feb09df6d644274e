/* Ray–segment intersection and the brute-force arena ray cast (see world.h). */
#include "cogmap/world.h"

#include <math.h>
#include <stdlib.h>

float cm_ray_segment(float ox, float oy, float dx, float dy, float x0, float y0, float x1, float y1, float *t)
{
    /* Solve o + s*d = p0 + u*(p1 - p0) for s >= 0 and 0 <= u <= 1 (Cramer's rule). */
    float ex = x1 - x0, ey = y1 - y0;
    float denom = dx * ey - dy * ex;
    if (denom == 0.0f)
        return INFINITY;
    float wx = x0 - ox, wy = y0 - oy;
    float s = (wx * ey - wy * ex) / denom;
    float u = (wx * dy - wy * dx) / denom;
    if (s < 0.0f || u < 0.0f || u > 1.0f)
        return INFINITY;
    if (t)
        *t = u;
    return s;
}

cm_ray_hit cm_arena_cast(const cm_arena *arena, float ox, float oy, float dx, float dy)
{
    /* Mazes: walk the grid (DDA) instead of testing every segment. */
    if (arena->grid)
        return cm_arena_cast_grid(arena, ox, oy, dx, dy);
    return cm_arena_cast_segments(arena, ox, oy, dx, dy);
}

cm_ray_hit cm_arena_cast_segments(const cm_arena *arena, float ox, float oy, float dx, float dy)
{
    cm_ray_hit hit = {INFINITY, -1, 0.0f};
    for (int i = 0; i < arena->n_walls; i++) {
        const cm_wall *w = &arena->walls[i];
        float t;
        float s = cm_ray_segment(ox, oy, dx, dy, w->x0, w->y0, w->x1, w->y1, &t);
        if (s < hit.distance) {
            hit.distance = s;
            hit.wall = i;
            hit.u = t * hypotf(w->x1 - w->x0, w->y1 - w->y0);
        }
    }
    return hit;
}

void cm_arena_free(cm_arena *arena)
{
    if (!arena)
        return;
    cm_free(arena->walls);
    cm_free(arena->grid);
    arena->walls = NULL;
    arena->grid = NULL;
    arena->n_walls = 0;
}
