/* On-the-fly paths for grid-cell training: the world module's motion model,
 * one agent per path, each path a pure function of its rng (run.h). */
#include "cogmap/run.h"

#include <math.h>
#include <string.h>

/* The policy's action noise: the Memory-Maze explorer as `cogmap maze` runs it. */
#define MAZE_NOISE 0.1f
/* Stream of the layouts' seeds ('MAZE'). */
#define MAZE_STREAM 0x4D415A45ULL

static cm_status mazes_init(cm_grid_world *w, const cm_grid_run_config *c)
{
    if (strcmp(c->arena, "box15") != 0 || c->arena_scale != 1.0f)
        return cm_error(CM_ERR_ARG, "--set motion=maze: the mazes are 15 x 15 grid units: expected arena box15 and "
                                    "arena_scale 1, got %s and %g",
                        c->arena, c->arena_scale);
    cm_maze_params mp;
    cm_status st = cm_maze_params_default(15, &mp);
    if (st != CM_OK)
        return st;
    w->mazes = cm_calloc((size_t)c->maze_count, sizeof *w->mazes);
    if (!w->mazes)
        return cm_error(CM_ERR_NOMEM, "maze motion: cannot allocate %d mazes", c->maze_count);
    cm_rng r;
    cm_rng_seed(&r, c->seed, MAZE_STREAM);
    for (int k = 0; k < c->maze_count && st == CM_OK; k++) {
        cm_maze maze;
        const uint64_t seed = cm_rng_u64(&r);
        st = cm_maze_generate(&mp, seed, &maze);
        if (st == CM_OK)
            st = cm_maze_env_init(&w->mazes[k], &maze, 1, seed);
        if (st == CM_OK)
            w->n_mazes = k + 1;
    }
    return st;
}

/* A path in one of the mazes: a random free cell and heading, then the
 * exploring policy. Everything the env's step and policy draw is reseeded
 * from `rng` first, so that the path depends on `rng` alone. */
static void maze_path(const cm_grid_world *w, cm_rng *rng, int steps, float *pos, float *theta)
{
    cm_maze_env *env = &w->mazes[cm_rng_below(rng, (uint64_t)w->n_mazes)];
    const int n = env->maze.size;
    int cx, cy;
    do {
        cx = (int)cm_rng_below(rng, (uint64_t)n);
        cy = (int)cm_rng_below(rng, (uint64_t)n);
    } while (!cm_maze_free(&env->maze, cx, cy));
    cm_maze_agent *a = &env->agents[0];
    cm_rng_seed(&env->rng, cm_rng_u64(rng), 1000);
    cm_rng_seed(&a->rng, cm_rng_u64(rng), 1001);
    a->pose.x = (float)cx + (float)cm_rng_uniform(rng, 0.25, 0.75);
    a->pose.y = (float)cy + (float)cm_rng_uniform(rng, 0.25, 0.75);
    a->pose.theta = (float)cm_rng_uniform(rng, -M_PI, M_PI);
    a->speed = 0.0f;
    a->goal[0] = a->goal[1] = -1;
    a->goal_steps = 0;
    a->target = 0;
    a->touching = 0;
    pos[0] = a->pose.x;
    pos[1] = a->pose.y;
    theta[0] = a->pose.theta;
    for (int t = 1; t <= steps; t++) {
        int act = cm_maze_policy(env, 0, MAZE_NOISE);
        float reward;
        (void)cm_maze_env_step(env, &act, &reward); /* the policy's actions are always valid */
        pos[2 * t] = a->pose.x;
        pos[2 * t + 1] = a->pose.y;
        theta[t] = a->pose.theta;
    }
}

/* box / box15 scaled about the origin ([0, 15 s]^2, [-1.1 s, 1.1 s]^2). */
static cm_status scaled_arena(cm_arena *arena, const char *name, float scale)
{
    if (strcmp(name, "box") != 0 && strcmp(name, "box15") != 0)
        return cm_error(CM_ERR_ARG, "--set arena_scale: applies to the arenas box and box15, got %s", name);
    const float lo = (strcmp(name, "box") == 0 ? -1.1f : 0.0f) * scale;
    const float hi = (strcmp(name, "box") == 0 ? 1.1f : 15.0f) * scale;
    const float xy[8] = {lo, lo, hi, lo, hi, hi, lo, hi};
    return cm_arena_polygon(arena, name, 4, xy);
}

cm_status cm_grid_world_init(cm_grid_world *w, const cm_grid_run_config *c)
{
    memset(w, 0, sizeof *w);
    const int maze = strcmp(c->motion, "maze") == 0;
    cm_status st = c->arena_scale != 1.0f ? scaled_arena(&w->arena, c->arena, c->arena_scale)
                                          : cm_arena_preset(&w->arena, c->arena);
    if (st == CM_OK && maze)
        st = mazes_init(w, c);
    /* The rat model stays the motion's fallback for code that reads it. */
    if (st == CM_OK)
        st = cm_motion_preset(&w->motion, maze ? "sorscher" : c->motion);
    if (st == CM_OK && c->motion_scale != 1.0f)
        st = cm_motion_scale(&w->motion, c->motion_scale);
    if (st == CM_OK)
        st = cm_motion_check(&w->motion);
    if (st != CM_OK)
        cm_grid_world_free(w);
    return st;
}

void cm_grid_world_free(cm_grid_world *w)
{
    if (!w)
        return;
    cm_arena_free(&w->arena);
    for (int k = 0; k < w->n_mazes; k++)
        cm_maze_env_free(&w->mazes[k]);
    cm_free(w->mazes);
    memset(w, 0, sizeof *w);
}

void cm_grid_world_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta)
{
    const cm_grid_world *w = ctx;
    if (w->n_mazes > 0) {
        maze_path(w, rng, steps, pos, theta);
        return;
    }
    cm_agent agent;
    memset(&agent, 0, sizeof agent);
    /* A closed preset arena always has free space, so the reset cannot fail;
     * should it ever, the path stays at the arena's centre rather than
     * holding uninitialised values. */
    if (cm_agent_reset(&agent, &w->motion, &w->arena, rng) != CM_OK) {
        agent.pose.x = 0.5f * (w->arena.xmin + w->arena.xmax);
        agent.pose.y = 0.5f * (w->arena.ymin + w->arena.ymax);
    }
    pos[0] = agent.pose.x;
    pos[1] = agent.pose.y;
    theta[0] = agent.pose.theta;
    for (int t = 1; t <= steps; t++) {
        cm_agent_step(&agent, &w->motion, &w->arena, rng);
        pos[2 * t] = agent.pose.x;
        pos[2 * t + 1] = agent.pose.y;
        theta[t] = agent.pose.theta;
    }
}
