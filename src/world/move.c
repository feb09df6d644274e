/* Collision-safe displacement: the one place that guarantees agents never
 * leave free space, whatever the motion model asks for. */
#include "world_internal.h"

int cm_world_move(const cm_arena *arena, float *x, float *y, float dx, float dy, float near)
{
    float len = sqrtf(dx * dx + dy * dy);
    if (!(len > 0))
        return -1;
    float c = cm_arena_clearance(arena);
    /* Fast path: the disc of radius `near` around the start holds no wall,
     * so a shorter move ends more than the clearance away from all of them. */
    if (len < near - c) {
        *x += dx;
        *y += dy;
        return -1;
    }
    float ux = dx / len, uy = dy / len;
    float allowed = len;
    int limiting = -1;
    for (int i = 0; i < arena->n_walls; i++) {
        const cm_wall *w = &arena->walls[i];
        float ex = w->x1 - w->x0, ey = w->y1 - w->y0;
        float denom = ux * ey - uy * ex;
        if (denom == 0.0f)
            continue; /* parallel: never crossed */
        float wx = w->x0 - *x, wy = w->y0 - *y;
        float s = (wx * ey - wy * ex) / denom; /* along the move */
        float u = (wx * uy - wy * ux) / denom; /* along the wall */
        /* A little slack at the ends so that a move through a shared vertex
         * is caught by at least one of the two walls despite rounding. */
        float elen = sqrtf(ex * ex + ey * ey);
        float slack = c / elen;
        /* Walls behind the start never block (agents keep about c from every
         * wall, so a wall ahead has s >= c/2 and rounding cannot flip it). */
        if (s < 0 || u < -slack || u > 1 + slack)
            continue;
        /* Stop where the perpendicular distance to the wall's line is c. */
        float sin_inc = fabsf(denom) / elen;
        float stop = s - c / sin_inc;
        if (stop < allowed) {
            allowed = stop;
            limiting = i;
        }
    }
    if (limiting < 0) {
        *x += dx;
        *y += dy;
        return -1;
    }
    if (allowed > 0) {
        float nx = *x + ux * allowed, ny = *y + uy * allowed;
        /* Belt and braces: accept the shortened move only if the end point is
         * inside and clear of every wall (corners, other walls nearby). */
        if (cm_arena_contains(arena, nx, ny) && cm_arena_nearest_wall(arena, nx, ny, NULL, NULL) >= 0.5f * c) {
            *x = nx;
            *y = ny;
        }
    }
    return limiting;
}
