/* Batches of independent worlds, several agents each, stepped in parallel
 * into caller-owned [batch, steps, agents, ...] buffers.
 *
 * Determinism: world k owns random stream k and writes only its own slices
 * of the outputs, so the bits do not depend on how OpenMP splits the batch. */
#include "world_internal.h"

#include <string.h>

cm_status cm_worlds_create(cm_worlds *w, const cm_arena *arena, const cm_motion *motion, int batch, int n_agents,
                           int n_rays, uint64_t seed)
{
    memset(w, 0, sizeof *w);
    if (!arena || arena->n_walls < 1 || !arena->walls)
        return cm_error(CM_ERR_ARG, "worlds: arena: expected an arena with walls");
    if (batch < 1)
        return cm_error(CM_ERR_ARG, "worlds: batch: expected at least 1, got %d", batch);
    if (n_agents < 1)
        return cm_error(CM_ERR_ARG, "worlds: agents: expected at least 1, got %d", n_agents);
    if (n_rays < 0)
        return cm_error(CM_ERR_ARG, "worlds: rays: expected 0 or more, got %d", n_rays);
    cm_status st = cm_motion_check(motion);
    if (st != CM_OK)
        return st;
    w->arena = arena;
    w->motion = *motion;
    w->batch = batch;
    w->n_agents = n_agents;
    w->n_rays = n_rays;
    w->seed = seed;
    w->rng = cm_calloc((size_t)batch, sizeof *w->rng);
    w->agents = cm_calloc((size_t)batch * (size_t)n_agents, sizeof *w->agents);
    if (!w->rng || !w->agents) {
        cm_worlds_free(w);
        return cm_error(CM_ERR_NOMEM, "worlds: cannot allocate %d worlds of %d agents", batch, n_agents);
    }
    for (int b = 0; b < batch; b++)
        cm_rng_seed(&w->rng[b], seed, (uint64_t)b);
    st = cm_worlds_reset(w);
    if (st != CM_OK)
        cm_worlds_free(w);
    return st;
}

cm_status cm_worlds_reset(cm_worlds *w)
{
    /* Sequential on purpose: a failure (an arena without interior) is
     * reported once, and resets are cheap next to the steps. */
    for (int b = 0; b < w->batch; b++)
        for (int a = 0; a < w->n_agents; a++) {
            cm_status st = cm_agent_reset(&w->agents[(size_t)b * w->n_agents + a], &w->motion, w->arena, &w->rng[b]);
            if (st != CM_OK)
                return st;
        }
    return CM_OK;
}

/* Writes agent `a` of the world whose per-step slice starts at element
 * `row` (= (b*steps + t)*agents + a) into every requested output. */
static void record(const cm_worlds *w, const cm_agent *ag, size_t row, float dt, const cm_traj *out)
{
    const int R = w->n_rays;
    float dist = sqrtf(ag->dx * ag->dx + ag->dy * ag->dy);
    if (out->position) {
        out->position[2 * row] = ag->pose.x;
        out->position[2 * row + 1] = ag->pose.y;
    }
    if (out->heading)
        out->heading[row] = ag->pose.theta;
    if (out->velocity) {
        out->velocity[2 * row] = ag->dx / dt;
        out->velocity[2 * row + 1] = ag->dy / dt;
    }
    if (out->speed)
        out->speed[row] = dist / dt;
    if (out->ang_vel)
        out->ang_vel[row] = ag->dtheta / dt;
    if (out->ego_banino || out->ego_smp) {
        float c = cosf(ag->dtheta), s = sinf(ag->dtheta);
        if (out->ego_banino) {
            out->ego_banino[3 * row] = dist;
            out->ego_banino[3 * row + 1] = c;
            out->ego_banino[3 * row + 2] = s;
        }
        if (out->ego_smp) {
            out->ego_smp[2 * row] = 10 * c;
            out->ego_smp[2 * row + 1] = 10 * s;
        }
    }
    if (R > 0 && out->wall_dist)
        cm_arena_distances(w->arena, ag->pose.x, ag->pose.y, 0.0f, R, out->wall_dist + row * R);
    if (R > 0 && out->ego_wall_dist)
        cm_arena_distances(w->arena, ag->pose.x, ag->pose.y, ag->pose.theta, R, out->ego_wall_dist + row * R);
}

cm_status cm_worlds_run(cm_worlds *w, int steps, const cm_traj *out)
{
    if (steps < 1)
        return cm_error(CM_ERR_ARG, "worlds: steps: expected at least 1, got %d", steps);
    static const cm_traj none;
    if (!out)
        out = &none;
    const int B = w->batch, A = w->n_agents;
    const float dt = w->motion.kind == CM_MOTION_RAT ? w->motion.rat.dt : w->motion.ou.dt;
#pragma omp parallel for schedule(static)
    for (int b = 0; b < B; b++) {
        cm_agent *agents = &w->agents[(size_t)b * A];
        cm_rng *rng = &w->rng[b];
        for (int a = 0; a < A; a++) {
            size_t i = (size_t)b * A + a;
            if (out->init_position) {
                out->init_position[2 * i] = agents[a].pose.x;
                out->init_position[2 * i + 1] = agents[a].pose.y;
            }
            if (out->init_heading)
                out->init_heading[i] = agents[a].pose.theta;
        }
        for (int t = 0; t < steps; t++)
            for (int a = 0; a < A; a++) {
                cm_agent_step(&agents[a], &w->motion, w->arena, rng);
                record(w, &agents[a], ((size_t)b * steps + t) * A + a, dt, out);
            }
    }
    return CM_OK;
}

void cm_worlds_free(cm_worlds *w)
{
    if (!w)
        return;
    cm_free(w->rng);
    cm_free(w->agents);
    w->rng = NULL;
    w->agents = NULL;
}
