/* A maze as a cm_arena (unit wall segments + grid) and the grid DDA ray cast. */
#include "cogmap/world.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int grid_free(const cm_arena *a, int x, int y)
{
    return x >= 0 && y >= 0 && x < a->grid_width && y < a->grid_height && a->grid[y * a->grid_width + x];
}

cm_status cm_arena_from_maze(const cm_maze *maze, cm_arena *arena)
{
    int n = maze->size;
    memset(arena, 0, sizeof *arena);
    snprintf(arena->name, sizeof arena->name, "maze%dx%d", n, n);
    /* Count faces first: the walls are one allocation of the exact size. */
    int count = 0;
    for (int pass = 0; pass < 2; pass++) {
        int k = 0;
        /* vertical faces at x = X between cells X-1 and X, ordered by (X, y) */
        for (int X = 0; X <= n; X++)
            for (int y = 0; y < n; y++) {
                int l = cm_maze_free(maze, X - 1, y), r = cm_maze_free(maze, X, y);
                if (l == r)
                    continue;
                if (pass == 1) {
                    cm_wall *w = &arena->walls[k];
                    *w = (cm_wall){(float)X, (float)y, (float)X, (float)(y + 1), {0, 0, 0}, 1};
                    int b = l ? cm_maze_block(maze, X, y) : cm_maze_block(maze, X - 1, y);
                    memcpy(w->rgb, maze->block_rgb[b], 3);
                }
                k++;
            }
        /* horizontal faces at y = Y between cells Y-1 and Y, ordered by (Y, x) */
        for (int Y = 0; Y <= n; Y++)
            for (int x = 0; x < n; x++) {
                int b0 = cm_maze_free(maze, x, Y - 1), t = cm_maze_free(maze, x, Y);
                if (b0 == t)
                    continue;
                if (pass == 1) {
                    cm_wall *w = &arena->walls[k];
                    *w = (cm_wall){(float)x, (float)Y, (float)(x + 1), (float)Y, {0, 0, 0}, 1};
                    int b = b0 ? cm_maze_block(maze, x, Y) : cm_maze_block(maze, x, Y - 1);
                    memcpy(w->rgb, maze->block_rgb[b], 3);
                }
                k++;
            }
        if (pass == 0) {
            count = k;
            arena->walls = cm_alloc((size_t)count * sizeof *arena->walls);
            arena->grid = cm_alloc((size_t)n * (size_t)n);
            if (!arena->walls || !arena->grid) {
                cm_arena_free(arena);
                return cm_error(CM_ERR_NOMEM, "maze arena: cannot allocate %d walls", count);
            }
        }
    }
    arena->n_walls = count;
    arena->grid_width = arena->grid_height = n;
    memcpy(arena->grid, maze->layout, (size_t)n * (size_t)n);
    arena->xmin = arena->ymin = 0.0f;
    arena->xmax = arena->ymax = (float)n;
    return CM_OK;
}

/* Index of the unit face (vertical: x = line, from y = start; horizontal:
 * y = line, from x = start) among walls in cm_arena_from_maze's order; -1 if
 * the arena's walls are not in that order. */
static int find_face(const cm_arena *a, int vertical, int line, int start)
{
    int lo = 0, hi = a->n_walls - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        const cm_wall *w = &a->walls[mid];
        int wv = w->x0 == w->x1;
        int wl = wv ? (int)w->x0 : (int)w->y0;
        int ws = wv ? (int)fminf(w->y0, w->y1) : (int)fminf(w->x0, w->x1);
        /* order: vertical before horizontal, then line, then start */
        int cmp = wv != vertical ? (wv ? -1 : 1) : wl != line ? (wl < line ? -1 : 1) : ws != start ? (ws < start ? -1 : 1) : 0;
        if (cmp == 0)
            return mid;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

cm_ray_hit cm_arena_cast_grid(const cm_arena *a, float ox, float oy, float dx, float dy)
{
    cm_ray_hit hit = {INFINITY, -1, 0.0f};
    if (!(fabsf(ox) < 1e6f && fabsf(oy) < 1e6f && isfinite(dx) && isfinite(dy)))
        return hit; /* nowhere, or no direction: nothing is hit */
    int cx = (int)floorf(ox), cy = (int)floorf(oy);
    int sx = dx > 0 ? 1 : -1, sy = dy > 0 ? 1 : -1;
    /* Distance along the ray to the next vertical / horizontal grid line, and between lines. */
    float tdx = dx != 0.0f ? fabsf(1.0f / dx) : INFINITY;
    float tdy = dy != 0.0f ? fabsf(1.0f / dy) : INFINITY;
    float tx = dx != 0.0f ? ((dx > 0 ? (float)(cx + 1) - ox : ox - (float)cx) * tdx) : INFINITY;
    float ty = dy != 0.0f ? ((dy > 0 ? (float)(cy + 1) - oy : oy - (float)cy) * tdy) : INFINITY;
    int here = grid_free(a, cx, cy);
    int w = a->grid_width, h = a->grid_height;
    for (;;) {
        int vertical = tx < ty;
        float t = vertical ? tx : ty;
        if (isinf(t))
            return hit;
        int line;
        if (vertical) {
            line = sx > 0 ? cx + 1 : cx;
            cx += sx;
            tx += tdx;
        } else {
            line = sy > 0 ? cy + 1 : cy;
            cy += sy;
            ty += tdy;
        }
        /* Outside the grid and moving away: every cell from here on is wall. */
        if ((cx < -1 && sx < 0 && vertical) || (cx > w && sx > 0 && vertical) || (cy < -1 && sy < 0 && !vertical) ||
            (cy > h && sy > 0 && !vertical))
            return hit;
        int next = grid_free(a, cx, cy);
        if (next == here)
            continue;
        /* A wall face: between a free cell and a wall (either way round, as the segments are). */
        hit.distance = t;
        float px = ox + t * dx, py = oy + t * dy;
        hit.wall = find_face(a, vertical, line, vertical ? cy : cx);
        if (hit.wall >= 0) {
            const cm_wall *wl = &a->walls[hit.wall];
            hit.u = hypotf(px - wl->x0, py - wl->y0);
        } else {
            hit.u = vertical ? py - floorf(py) : px - floorf(px);
        }
        return hit;
    }
}
