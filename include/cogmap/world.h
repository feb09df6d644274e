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
    /* Model steps per recorded step (1; set it after create). With K > 1 a
     * recorded step is K model steps: displacement, heading change and dt
     * add up (Banino's 15 s at 0.02 s as 100 steps: grid-cells.md §10), and
     * ego_banino's integration is then approximate. */
    int substeps;
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

void cm_arena_free(cm_arena *arena);

/* =====================================================================
 * Memory-Maze mazes, discrete control, renderer, BEV, dataset folders
 * (branch `maze`; specs: memory-maze.md §1, ssm-pc.md §2-3).
 * Maze coordinates are grid units of the N x N inner layout (SSM-PC's
 * agent_pos): cell (x, y) covers [x, x+1) x [y, y+1), row 0 at the bottom;
 * everything outside [0, N)^2 is the outer wall.
 * ===================================================================== */

#define CM_MAZE_MIN_SIZE 5
#define CM_MAZE_MAX_SIZE 63
#define CM_MAZE_MAX_ROOMS 32
#define CM_MAZE_MAX_TARGETS 6
#define CM_MAZE_BLOCKS 9 /* wall colours per 3x3 block of the grid */

/* labmaze's parameters (memory-maze.md §1.2). */
typedef struct cm_maze_params {
    int size;      /* N, odd, CM_MAZE_MIN_SIZE..CM_MAZE_MAX_SIZE */
    int n_targets; /* 1..CM_MAZE_MAX_TARGETS, <= max_rooms */
    int max_rooms, room_min_size, room_max_size; /* odd sizes >= 3 */
    int episode_steps; /* time limit x 4 Hz: 1000/2000/3000/4000 upstream */
} cm_maze_params;

/* Memory-Maze's table for N = 9, 11, 13, 15 (3/4/5/6 targets, 15x15 with 9
 * rooms of 3x3); other odd sizes get the 9-13 defaults and 250*(N-7)/2 s.
 * CM_ERR_ARG for an even or out-of-range size. */
cm_status cm_maze_params_default(int size, cm_maze_params *p);

typedef struct cm_maze_room {
    int x, y, w, h; /* inner-grid cells [x, x+w) x [y, y+h) */
} cm_maze_room;

/* One generated layout: walls, rooms, spawns, targets and colours. Plain data
 * (no pointers): copy it freely. */
typedef struct cm_maze {
    cm_maze_params params;
    int size;                                             /* N */
    uint8_t layout[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];  /* [y*N + x], 1 free, 0 wall (maze_layout) */
    int8_t room_of[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];  /* room index or -1 (corridor, door, wall) */
    int n_rooms;
    cm_maze_room rooms[CM_MAZE_MAX_ROOMS];
    int spawn[CM_MAZE_MAX_ROOMS][2];    /* one spawn cell per room ('P') */
    int object[CM_MAZE_MAX_ROOMS][2];   /* one object cell per room ('G') */
    int n_targets;
    float targets[CM_MAZE_MAX_TARGETS][2];        /* target centres (cell centres of shuffled 'G's) */
    uint8_t target_rgb[CM_MAZE_MAX_TARGETS][3];   /* Memory-Maze TARGET_COLORS, in order */
    uint8_t block_rgb[CM_MAZE_BLOCKS][3];         /* wall colour of each 3x3 block of the (N+2) grid */
    uint8_t floor_room_rgb[3], floor_corridor_rgb[3];
    uint64_t seed;
    int attempts; /* layouts generated until one had enough rooms */
} cm_maze;

/* Generates a layout by labmaze's rules: rooms on the odd half-grid, corridors
 * by randomised depth-first search in 2-cell steps, one random door between
 * each pair of adjacent regions, dead ends and U-bends removed, one spawn and
 * one object per room; regenerated while rooms < targets. Same seed, same
 * maze. CM_ERR_ARG names the bad parameter. */
cm_status cm_maze_generate(const cm_maze_params *params, uint64_t seed, cm_maze *maze);

/* Block (0..8) of inner cell (x, y); x, y may be -1 or N (the outer wall). */
int cm_maze_block(const cm_maze *maze, int x, int y);
/* 1 if inner cell (x, y) is free; 0 for walls and anything outside. */
int cm_maze_free(const cm_maze *maze, int x, int y);

/* The layout as text, top row first: (N+2) lines of N+2 characters and '\n',
 * '#' wall, '.' corridor floor, lowercase room letters 'a'.. for room floor,
 * 'P' spawns, digits '1'..'6' targets. `size` >= (N+2)*(N+3)+1. */
cm_status cm_maze_text(const cm_maze *maze, char *buf, size_t size);

/* The maze as an arena: one unit segment per boundary face between a free cell
 * and a wall (coloured by the wall cell's block), ordered vertical faces by
 * (x, y) then horizontal faces by (y, x); plus the grid (layout). Free with
 * cm_arena_free. */
cm_status cm_arena_from_maze(const cm_maze *maze, cm_arena *arena);

/* Ray casts. cm_arena_cast uses the grid DDA when arena->grid is set (cells
 * outside the grid are walls), the segments otherwise; these two call one way
 * explicitly. The DDA reports the wall index when the walls follow
 * cm_arena_from_maze's order, -1 otherwise. */
cm_ray_hit cm_arena_cast_segments(const cm_arena *arena, float ox, float oy, float dx, float dy);
cm_ray_hit cm_arena_cast_grid(const cm_arena *arena, float ox, float oy, float dx, float dy);

/* ------------------------------------------------ discrete Memory-Maze control */

enum { CM_ACT_NOOP = 0, CM_ACT_FORWARD, CM_ACT_LEFT, CM_ACT_RIGHT, CM_ACT_FORWARD_LEFT, CM_ACT_FORWARD_RIGHT,
       CM_N_ACTIONS };

/* Kinematics fitted to the measured walker (memory-maze.md §1.3), in cells. */
typedef struct cm_maze_physics {
    float speed;         /* steady forward speed, cells/step (0.25) */
    float accel;         /* speed gained per forward step (0.11: 0.11, 0.22, 0.25) */
    float coast;         /* speed kept per step without forward (0.56) */
    float turn;          /* radians per turning step (19.2 deg) */
    float radius;        /* agent radius, cells (0.1 = 0.2 m) */
    float touch_radius;  /* agent-target centre distance that touches (0.385 = 0.77 m) */
} cm_maze_physics;
void cm_maze_physics_default(cm_maze_physics *ph);

#define CM_MAZE_MAX_AGENTS 16

typedef struct cm_maze_agent {
    cm_pose pose;
    float speed;           /* cells/step */
    float vel[2];          /* displacement of the last step, cells (SSM-PC's velocity) */
    float omega;           /* heading change of the last step, radians */
    int target;            /* index of the requested target */
    int score;             /* targets reached */
    uint32_t touching;     /* bit t: touching target t after the last step */
    /* exploring policy */
    int goal[2];
    int goal_steps;
    cm_rng rng;            /* this agent's policy stream */
} cm_maze_agent;

/* Several agents in one maze. Each agent spawns on a random 'P' cell with a
 * random heading (distinct cells while there are enough) and gets its own
 * requested target. The BFS buffers of the policy are allocated once. */
typedef struct cm_maze_env {
    cm_maze maze;
    cm_arena arena;
    cm_maze_physics physics;
    int n_agents;
    cm_maze_agent agents[CM_MAZE_MAX_AGENTS];
    cm_rng rng;               /* spawns and target draws */
    int16_t *dist;            /* [n_agents][N*N] BFS distances to each agent's goal */
    int16_t *queue;           /* [N*N] BFS queue */
    int64_t steps;
} cm_maze_env;

cm_status cm_maze_env_init(cm_maze_env *env, const cm_maze *maze, int n_agents, uint64_t seed);
void cm_maze_env_free(cm_maze_env *env);
/* Applies one action per agent (CM_ACT_*; others are CM_ERR_ARG) and writes
 * the rewards (+1 on touching the requested target, which is then redrawn from
 * the targets not being touched). No allocation. */
cm_status cm_maze_env_step(cm_maze_env *env, const int *actions, float *rewards);
/* The scripted exploring policy (Memory-Maze's dataset policy): drive to a
 * random free cell by the shortest path, with action noise `noise`
 * (probability of a random action); a new goal on arrival or after too long. */
int cm_maze_policy(cm_maze_env *env, int agent, float noise);

/* ----------------------------------------------------------- renderer */

typedef struct cm_render_config {
    int width, height;    /* pixels (64 x 64) */
    float fov_deg;        /* vertical field of view (80, MuJoCo's fovy) */
    float camera_height;  /* eye above the floor, world units (0.45 cells = 0.9 m) */
    float wall_height;    /* (0.75 cells = 1.5 m) */
    float pitch_deg;      /* camera pitched down (5.7); by y-shearing */
    float fog;            /* shading: brightness 1/(1 + fog*distance) */
    uint8_t sky_top[3], sky_horizon[3];
    uint8_t floor_rgb[3]; /* open arenas (mazes colour floors per cell) */
} cm_render_config;

/* Wall textures (cm_wall.texture): 0 plain, 1 bricks (8 courses a wall),
 * 2 broad vertical stripes (4 per unit of wall), 3 pinstripes (12 per unit);
 * other values draw plain. */

/* Memory-Maze's camera in cell units. */
void cm_render_config_maze(cm_render_config *c);
/* An open arena in metres (SMP's 2.2 m box: eye 0.3 m, walls 0.8 m, no pitch). */
void cm_render_config_arena(cm_render_config *c);

/* A sphere drawn as a depth-tested sprite: targets (centre on the floor, so
 * only the top half shows) and other agents. */
typedef struct cm_sprite {
    float x, y, z, radius;
    uint8_t rgb[3];
} cm_sprite;

typedef struct cm_renderer cm_renderer;

/* Precomputes tables for one arena and image size. `maze` may be NULL (open
 * arena: plain floor, walls from cm_arena_cast); with a maze, floors are room
 * or corridor coloured and walls cast by grid DDA. The arena and maze must
 * outlive the renderer. */
cm_status cm_renderer_create(cm_renderer **out, const cm_arena *arena, const cm_maze *maze,
                             const cm_render_config *config);
void cm_renderer_free(cm_renderer *r);
void cm_renderer_size(const cm_renderer *r, int *width, int *height);
/* Renders one frame into rgb[height][width][3] (rows top to bottom) and, when
 * depth != NULL, depth[height][width]: distance along the view axis, INFINITY
 * for sky. No allocation; a renderer is used by one thread at a time.
 * CM_ERR_ARG (nothing drawn) for a non-finite pose; sprites with non-finite
 * coordinates or radius <= 0 are skipped. */
cm_status cm_render(cm_renderer *r, cm_pose pose, const cm_sprite *sprites, int n_sprites, uint8_t *rgb,
                    float *depth);
/* Memory-Maze's target cue: a border int(2*sqrt(height/64)) px wide of colour rgb*0.7*255/220. */
void cm_render_border(uint8_t *rgb, int width, int height, const uint8_t target_rgb[3]);
/* Renders agent `agent`'s view in a maze env: targets and the other agents as
 * sprites, the border of its requested target. */
cm_status cm_maze_env_render(const cm_maze_env *env, cm_renderer *r, int agent, uint8_t *rgb, float *depth);

/* ------------------------------------------------- BEV (ssm-pc.md §3.4) */

typedef struct cm_bev_config {
    float fov_deg;   /* 75 (collector), 90 (GUI) */
    int n_rays;      /* 180 */
    float step;      /* 0.2 cells */
    float range;     /* 10 cells */
} cm_bev_config;
void cm_bev_config_default(cm_bev_config *c);

/* Marks visible[y*N + x] = 1 for the cells seen from `pose` (walls included),
 * 0 otherwise: the agent's cell, then along each ray the Bresenham line from
 * the agent's cell to each sample cell inside the view cone, up to and
 * including the first wall. A non-finite pose sees nothing. */
void cm_bev_visible(const uint8_t *layout, int size, cm_pose pose, const cm_bev_config *c, uint8_t *visible);

#define CM_BEV_PIXELS 250
#define CM_BEV_CELL 16
/* Draws SSM-PC's agent-centred, world-aligned 250x250 RGBA BEV (screen y =
 * +world y, i.e. mirrored; agent cell's corner at (125,125)). targets: n x 2
 * centres with colours; `current` gets a white ring (-1: none). */
void cm_bev_draw(const uint8_t *layout, int size, const uint8_t *visible, cm_pose pose, int n_targets,
                 const float (*targets)[2], const uint8_t (*target_rgb)[3], int current, uint8_t *rgba);
/* Rotates a 250x250 RGBA BEV by deg(theta)+90 about (125,125) (agent facing
 * up), transparent outside: SSM-PC's _rotate_bev, i.e. Pillow's
 * Image.rotate(..., BICUBIC): cubic convolution with a = -1 on premultiplied
 * alpha, truncated (within 1 of Pillow 9.4 per channel). */
void cm_bev_rotate(const uint8_t *rgba, float theta, uint8_t *out);
/* The pixels [x0, x0 + w) x [y0, y0 + h) of cm_bev_rotate's output (pixels
 * outside the 250x250 image are transparent) into out [h][w][4]: a training
 * target's window without rotating the rest. */
void cm_bev_rotate_window(const uint8_t *rgba, float theta, int x0, int y0, int w, int h, uint8_t *out);
/* Global occupancy per agent: cells seen so far get 1 (free) or 2 (wall);
 * unseen cells keep 0. */
void cm_bev_accumulate(const uint8_t *layout, int size, const uint8_t *visible, uint8_t *global);

/* ------------------------------- SSM-PC dataset folders (ssm-pc.md §3.2) */

/* One frame's metadata: the new frame_info schema (agent_state). Frames read
 * from the legacy schema have has_motion = 0 (no timestamp, velocity or
 * angular velocity there). */
typedef struct cm_dataset_frame {
    int frame_id;
    double timestamp;
    float position[2];       /* grid units */
    float rotation;          /* theta, radians */
    float velocity[2];       /* displacement since the previous frame, grid units */
    float angular_velocity;  /* heading change since the previous frame, radians */
    int n_visible;
    int visible[CM_MAZE_MAX_TARGETS]; /* visible target indices */
    int has_motion;
    char fps_view[64], bev_view[64]; /* paths relative to the folder */
} cm_dataset_frame;

/* A folder read back: frames sorted by frame_id (ids may have gaps, as the
 * collector drops frames) and env_config.json's main fields. */
typedef struct cm_dataset {
    char dir[1024];
    int legacy;               /* frame_info.json used the legacy schema */
    int n_frames;
    cm_dataset_frame *frames;
    int maze_size;
    float fov_angle;          /* NAN if absent */
    int64_t seed;             /* -1 if null or absent */
    int n_objects;
    float objects[CM_MAZE_MAX_TARGETS][2];
    float object_rgb[CM_MAZE_MAX_TARGETS][3]; /* as stored: RGB / 220 */
    int has_layout;           /* env_config.json carried cogmap's "maze_layout" */
    uint8_t layout[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE]; /* [y*N + x], 1 free */
} cm_dataset;

/* Writes one folder: fps_views/frame_%06d.png (RGB), bev_views/frame_%06d.png
 * (250x250 RGBA), then frame_info.json (new schema) and env_config.json on
 * close. Every file is written atomically. */
typedef struct cm_dataset_writer {
    char dir[1024];
    struct cJSON *frames;  /* frame_info being built */
    struct cJSON *config;  /* env_config */
    int n_frames;
} cm_dataset_writer;

cm_status cm_dataset_writer_open(cm_dataset_writer *w, const char *dir, const cm_maze *maze, float fov_deg,
                                 const char *env_name);
/* bev_rgba may be NULL (no bev_views/ image for this frame). */
cm_status cm_dataset_writer_add(cm_dataset_writer *w, const cm_dataset_frame *frame, const uint8_t *fps_rgb,
                                int fps_width, int fps_height, const uint8_t *bev_rgba);
cm_status cm_dataset_writer_close(cm_dataset_writer *w); /* writes the JSON files, frees */
void cm_dataset_writer_abort(cm_dataset_writer *w);      /* frees; the files written stay */

/* Reads a folder in either frame_info schema; every referenced view must
 * exist. CM_ERR_FORMAT names the file and the field on anything malformed. */
cm_status cm_dataset_read(const char *dir, cm_dataset *out);
void cm_dataset_free(cm_dataset *d);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_WORLD_H */
