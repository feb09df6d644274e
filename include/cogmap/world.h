/* cogmap/world.h — arenas, mazes, motion, sensors, renderer, BEV, many agents.
 *
 * Conventions (all of cogmap):
 * - World units: metres for open arenas (box: 2.2 m square centred on 0), grid
 *   cells for mazes (1 unit = 1 cell; SSM-PC's "grid units").
 * - x to the right, y up; heading theta = atan2(dir_y, dir_x), counter-clockwise
 *   from +x, in (-pi, pi].
 * - Maze grids are indexed grid[y * width + x] with row 0 at the BOTTOM
 *   (SSM-PC's maze_layout[y][x]); cell (x, y) covers [x, x+1) x [y, y+1).
 * - An immutable description (cm_arena) sits beside mutable state (agents),
 *   as in MuJoCo's mjModel/mjData: stepping never allocates.
 */
#ifndef COGMAP_WORLD_H
#define COGMAP_WORLD_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ geometry */

typedef struct cm_pose {
    float x, y;  /* position */
    float theta; /* heading, radians */
} cm_pose;

/* A wall is a line segment; its colour and texture make views differ by place
 * (SMP needs distal cues). texture: 0 plain, others a pattern id the renderer knows. */
typedef struct cm_wall {
    float x0, y0, x1, y1;
    uint8_t rgb[3];
    uint8_t texture;
} cm_wall;

/* Where a ray first meets a wall. */
typedef struct cm_ray_hit {
    float distance; /* along the (unit) ray; INFINITY when nothing is hit */
    int wall;       /* index into arena->walls, -1 when nothing is hit */
    float u;        /* position along the wall, 0 at (x0,y0) to its length at (x1,y1) */
} cm_ray_hit;

/* Distance along a ray from (ox, oy) in unit direction (dx, dy) to the segment
 * (x0,y0)-(x1,y1): >= 0 if hit, INFINITY otherwise. *t gets the hit's fraction
 * along the segment (0..1) when non-NULL. Parallel rays never hit. */
float cm_ray_segment(float ox, float oy, float dx, float dy, float x0, float y0, float x1, float y1, float *t);

/* ---------------------------------------------------------------- arena */

/* The immutable description of a world's walls. Mazes also keep their grid,
 * which renderers and sensors use for fast grid traversal (DDA) instead of
 * testing every segment. */
typedef struct cm_arena {
    char name[32];
    int n_walls;
    cm_wall *walls;
    float xmin, ymin, xmax, ymax; /* bounding box of the free space */
    /* Occupancy grid, or grid == NULL for open arenas. 1 = free, 0 = wall. */
    int grid_width, grid_height;
    uint8_t *grid;
} cm_arena;

/* Casts one ray through the arena: the nearest wall hit. */
cm_ray_hit cm_arena_cast(const cm_arena *arena, float ox, float oy, float dx, float dy);

void cm_arena_free(cm_arena *arena);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_WORLD_H */
