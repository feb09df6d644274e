/* On-the-fly paths for grid-cell training: the world module's motion model,
 * one agent per path, each path a pure function of its rng (run.h). */
#include "cogmap/run.h"

#include <string.h>

cm_status cm_grid_world_init(cm_grid_world *w, const cm_grid_run_config *c)
{
    memset(w, 0, sizeof *w);
    cm_status st = cm_arena_preset(&w->arena, c->arena);
    if (st == CM_OK)
        st = cm_motion_preset(&w->motion, c->motion);
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
    memset(w, 0, sizeof *w);
}

void cm_grid_world_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta)
{
    const cm_grid_world *w = ctx;
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
