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


/* =====================================================================
 * Open arenas, continuous motion, sensors, batches of worlds
 * (branch `world`; specs: grid-cells.md §1.1, §2.4, §3.1, §10; smp.md §2).
 * ===================================================================== */

/* ------------------------------------------------------- open arenas */

/* Builds an open arena from one closed simple polygon of n >= 3 vertices
 * (xy[2i], xy[2i+1]), either orientation: wall i runs from vertex i to vertex
 * i+1 (mod n). Colours are spread around the hue circle (golden angle) so that
 * every wall differs from its neighbours; textures cycle 1..3. Free space is
 * the polygon's interior. CM_ERR_ARG for too few or non-finite vertices or a
 * degenerate (zero-area) polygon. Free with cm_arena_free. */
cm_status cm_arena_polygon(cm_arena *arena, const char *name, int n, const float *xy);

/* The presets, by name:
 *   "box"      2.2 m square centred on 0 (Banino, Sorscher, SMP), walls N/E/S/W
 *              red/green/blue/yellow with distinct textures
 *   "box15"    15 x 15 units, x, y in [0, 15] (SSM-PC's grid-cell arena)
 *   "circle"   a 64-gon inscribed in a circle of radius 1.1 m centred on 0,
 *              coloured by a hue wheel so that every direction differs
 *   "tworooms" two 2.2 m rooms side by side (x in [-2.2, 2.2], y in
 *              [-1.1, 1.1]) split by a 0.1 m thick wall at x = 0 with a
 *              0.5 m door centred on y = 0
 * An unknown name is CM_ERR_ARG listing the known ones. */
cm_status cm_arena_preset(cm_arena *arena, const char *name);
const char *cm_arena_preset_names(void); /* "box, box15, circle, tworooms" */

/* 1 if (x, y) is in free space: inside the walls (even-odd rule over all
 * segments, which form closed loops) for open arenas, a free grid cell for
 * mazes; 0 otherwise (also for non-finite points). */
int cm_arena_contains(const cm_arena *arena, float x, float y);

/* Distance from (x, y) to the nearest point of any wall; *nx, *ny (may be
 * NULL) get the unit vector from (x, y) toward that point, i.e. the direction
 * "into the wall" of the rat model (smp.md §2.1 step 2). */
float cm_arena_nearest_wall(const cm_arena *arena, float x, float y, float *nx, float *ny);

/* Distances to the nearest wall along n rays from (x, y): ray k points at
 * theta0 - pi + 2*pi*k/n. theta0 = 0 gives SMP's allocentric sensor
 * (world_distances, smp.md §2); theta0 = heading gives the egocentric one
 * (ray k at ego angle -pi + 2*pi*k/n; k = n/2 straight ahead). INFINITY where
 * no wall is hit (never inside a closed arena). */
void cm_arena_distances(const cm_arena *arena, float x, float y, float theta0, int n, float *out);

/* ------------------------------------------------------------ motion */

typedef enum cm_motion_kind {
    CM_MOTION_RAT = 0, /* Raudies & Hasselmo as Banino / Sorscher (grid-cells.md §2.4) */
    CM_MOTION_OU = 1   /* smooth Ornstein-Uhlenbeck with wall repulsion (RatInABox, §3.1) */
} cm_motion_kind;

/* The rat model. Lengths in world units, times in seconds, angles in radians. */
typedef struct cm_rat_params {
    float dt;          /* time step (0.02 s) */
    float turn_sd;     /* sd of the rotational velocity, rad/s */
    float turn_mean;   /* mean of the rotational velocity, rad/s */
    float speed_scale; /* Rayleigh scale b of the forward speed, units/s */
    float border;      /* wall region: closer than this to a wall and heading into it... */
    float wall_slow;   /* ...multiplies the speed by this (0.25) and turns parallel to the wall */
} cm_rat_params;

/* The Ornstein-Uhlenbeck model with RatInABox's defaults. */
typedef struct cm_ou_params {
    float dt;                 /* 0.05 s */
    float speed_mean;         /* Rayleigh sigma of the speed, 0.08 m/s */
    float speed_coherence;    /* OU time constant of the speed, 0.7 s */
    float rot_sd;             /* stationary sd of the rotational velocity, 120 deg/s */
    float rot_coherence;      /* its OU time constant, 0.08 s */
    float hd_smoothing;       /* head direction smoothing time constant, 0.15 s (0: none) */
    float thigmotaxis;        /* 0.5, in [0, 1] */
    float wall_repel_distance;/* 0.1 m */
    float wall_repel_strength;/* 1.0 */
} cm_ou_params;

/* A motion model: immutable, shared by every agent that uses it. */
typedef struct cm_motion {
    cm_motion_kind kind;
    cm_rat_params rat; /* when kind == CM_MOTION_RAT */
    cm_ou_params ou;   /* when kind == CM_MOTION_OU */
} cm_motion;

/* Presets (grid-cells.md §10):
 *   "banino"    rat model, turn sd 5.7617 rad/s (330.12 deg/s), mean -0.03 deg/s,
 *               Rayleigh b 0.1302 m/s, dt 0.02 s, border 0.03 m, slow-down 0.25
 *   "sorscher"  rat model, turn sd 11.52 rad/s, mean 0, b 0.13*2*pi m/s, same dt,
 *               border and slow-down ("rat" is an alias)
 *   "ratinabox" the OU model with RatInABox's Agent defaults ("ou" is an alias)
 * An unknown name is CM_ERR_ARG listing the known ones. */
cm_status cm_motion_preset(cm_motion *m, const char *name);
const char *cm_motion_preset_names(void);
/* Multiplies every length of the model (speeds, border, repel distance) by
 * `scale`: the same behaviour in an arena `scale` times larger. */
cm_status cm_motion_scale(cm_motion *m, float scale);
/* CM_ERR_ARG naming the first bad parameter (non-finite, negative, zero dt...). */
cm_status cm_motion_check(const cm_motion *m);

/* One agent's mutable state. */
typedef struct cm_agent {
    cm_pose pose;      /* position and heading (the smoothed head direction for OU) */
    float vx, vy;      /* OU: velocity, units/s */
    float omega;       /* OU: rotational velocity, rad/s */
    float hx, hy;      /* OU: head direction as a unit vector */
    /* What the last step did (the self-motion sensors read these). */
    float dx, dy;      /* displacement, units */
    float dtheta;      /* heading change, radians, wrapped into (-pi, pi] */
    int64_t collisions;/* steps whose move was cut short by a wall */
} cm_agent;

/* Puts the agent at a random pose in free space (uniform position at least a
 * small clearance from every wall, heading uniform; OU speed from its
 * Rayleigh). CM_ERR_ARG if no free point is found (an arena without interior). */
cm_status cm_agent_reset(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_rng *rng);
/* Puts the agent at a given pose; CM_ERR_ARG if the position is not free. */
cm_status cm_agent_place(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_pose pose);
/* One time step. Never allocates, never leaves free space: a move that would
 * cross a wall stops just short of it (the rat model) or bounces (OU). */
void cm_agent_step(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_rng *rng);

/* ---------------------------------------------- many agents, batches */

/* Caller-owned float32 outputs of cm_worlds_run. Per-step arrays are
 * [batch, steps, agents, ...] in C order and hold the state AFTER step t;
 * the init_ arrays are [batch, agents, ...], the pose before the first step.
 * Any pointer may be NULL: that output is skipped. The self-motion of step t
 * takes the agent from pose t-1 to pose t; for the rat model it moves along
 * heading t-1 and then turns by dtheta (Banino's integration order). */
typedef struct cm_traj {
    float *position;      /* [..., 2] */
    float *heading;       /* [...] radians in (-pi, pi] */
    float *velocity;      /* [..., 2] allocentric, displacement / dt, units/s */
    float *speed;         /* [...] |displacement| / dt, units/s */
    float *ang_vel;       /* [...] dtheta / dt, rad/s */
    float *ego_banino;    /* [..., 3] [|displacement|, cos dtheta, sin dtheta] (grid-cells.md §1.1) */
    float *ego_smp;       /* [..., 2] 10 * [cos dtheta, sin dtheta] (smp.md §3.3, RNN-1) */
    float *wall_dist;     /* [..., n_rays] allocentric, see cm_arena_distances (theta0 = 0) */
    float *ego_wall_dist; /* [..., n_rays] egocentric (theta0 = heading) */
    float *init_position; /* [batch, agents, 2] */
    float *init_heading;  /* [batch, agents] */
} cm_traj;

/* A batch of independent worlds sharing one arena and motion model, each with
 * n_agents agents (which do not interact) and its own random stream:
 * world k draws from cm_rng_seed(seed, k). Worlds are stepped in parallel
 * (OpenMP, cm_set_threads); the bits do not depend on the thread count. */
typedef struct cm_worlds {
    const cm_arena *arena; /* must outlive the worlds */
    cm_motion motion;
    int batch, n_agents, n_rays;
    uint64_t seed;
    cm_rng *rng;       /* [batch] */
    cm_agent *agents;  /* [batch * n_agents] */
} cm_worlds;

/* Allocates the state and puts every agent at a random start (cm_worlds_reset). */
cm_status cm_worlds_create(cm_worlds *w, const cm_arena *arena, const cm_motion *motion, int batch, int n_agents,
                           int n_rays, uint64_t seed);
/* New random start poses for every agent (continuing each world's stream). */
cm_status cm_worlds_reset(cm_worlds *w);
/* Runs `steps` steps of every world from where they are, writing into `out`.
 * No allocation: a trainer calls reset + run into the same buffers for every
 * batch. CM_ERR_ARG for steps < 1. */
cm_status cm_worlds_run(cm_worlds *w, int steps, const cm_traj *out);
void cm_worlds_free(cm_worlds *w);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_WORLD_H */
