/* Motion models: presets, validation, and the per-agent entry points that
 * dispatch to the rat model (motion_rat.c) or the OU model (motion_ou.c). */
#include "world_internal.h"

#include <string.h>

static const char motion_names[] = "banino, sorscher (alias rat), ratinabox (alias ou)";

const char *cm_motion_preset_names(void) { return motion_names; }

cm_status cm_motion_preset(cm_motion *m, const char *name)
{
    memset(m, 0, sizeof *m);
    if (!name)
        name = "";
    if (strcmp(name, "banino") == 0) {
        /* Banino et al. 2018, Supplementary Table 1 (grid-cells.md §1.1, §10). */
        m->kind = CM_MOTION_RAT;
        m->rat = (cm_rat_params){
            .dt = 0.02f,
            .turn_sd = (float)(330.12 * M_PI / 180.0),
            .turn_mean = (float)(-0.03 * M_PI / 180.0),
            .speed_scale = 0.1302f,
            .border = 0.03f,
            .wall_slow = 0.25f,
        };
        return CM_OK;
    }
    if (strcmp(name, "sorscher") == 0 || strcmp(name, "rat") == 0) {
        /* Sorscher et al.'s trajectory_generator.py (grid-cells.md §2.4). */
        m->kind = CM_MOTION_RAT;
        m->rat = (cm_rat_params){
            .dt = 0.02f,
            .turn_sd = 5.76f * 2.0f,
            .turn_mean = 0.0f,
            .speed_scale = (float)(0.13 * 2.0 * M_PI),
            .border = 0.03f,
            .wall_slow = 0.25f,
        };
        return CM_OK;
    }
    if (strcmp(name, "ratinabox") == 0 || strcmp(name, "ou") == 0) {
        /* RatInABox's Agent.default_params (grid-cells.md §3.1). */
        m->kind = CM_MOTION_OU;
        m->ou = (cm_ou_params){
            .dt = 0.05f,
            .speed_mean = 0.08f,
            .speed_coherence = 0.7f,
            .rot_sd = (float)(120.0 * M_PI / 180.0),
            .rot_coherence = 0.08f,
            .hd_smoothing = 0.15f,
            .thigmotaxis = 0.5f,
            .wall_repel_distance = 0.1f,
            .wall_repel_strength = 1.0f,
        };
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "motion: expected one of %s, got '%s'", motion_names, name);
}

cm_status cm_motion_scale(cm_motion *m, float scale)
{
    if (!(isfinite(scale) && scale > 0))
        return cm_error(CM_ERR_ARG, "motion: scale: expected a finite number > 0, got %g", (double)scale);
    m->rat.speed_scale *= scale;
    m->rat.border *= scale;
    m->ou.speed_mean *= scale;
    m->ou.wall_repel_distance *= scale;
    return CM_OK;
}

/* One message format for every parameter: "motion sorscher: dt: expected ...". */
static cm_status bad(const char *field, const char *expected, float value)
{
    return cm_error(CM_ERR_ARG, "motion: %s: expected %s, got %g", field, expected, (double)value);
}

#define POSITIVE(v, name)                                                                                              \
    if (!(isfinite(v) && (v) > 0))                                                                                     \
    return bad(name, "a finite number > 0", v)
#define NONNEG(v, name)                                                                                                \
    if (!(isfinite(v) && (v) >= 0))                                                                                    \
    return bad(name, "a finite number >= 0", v)

cm_status cm_motion_check(const cm_motion *m)
{
    if (m->kind == CM_MOTION_RAT) {
        const cm_rat_params *p = &m->rat;
        POSITIVE(p->dt, "dt");
        NONNEG(p->turn_sd, "turn_sd");
        if (!isfinite(p->turn_mean))
            return bad("turn_mean", "a finite number", p->turn_mean);
        POSITIVE(p->speed_scale, "speed_scale");
        NONNEG(p->border, "border");
        if (!(isfinite(p->wall_slow) && p->wall_slow >= 0 && p->wall_slow <= 1))
            return bad("wall_slow", "a number in [0, 1]", p->wall_slow);
        return CM_OK;
    }
    if (m->kind == CM_MOTION_OU) {
        const cm_ou_params *p = &m->ou;
        POSITIVE(p->dt, "dt");
        POSITIVE(p->speed_mean, "speed_mean");
        POSITIVE(p->speed_coherence, "speed_coherence");
        NONNEG(p->rot_sd, "rot_sd");
        POSITIVE(p->rot_coherence, "rot_coherence");
        NONNEG(p->hd_smoothing, "hd_smoothing");
        if (!(isfinite(p->thigmotaxis) && p->thigmotaxis >= 0 && p->thigmotaxis <= 1))
            return bad("thigmotaxis", "a number in [0, 1]", p->thigmotaxis);
        POSITIVE(p->wall_repel_distance, "wall_repel_distance");
        NONNEG(p->wall_repel_strength, "wall_repel_strength");
        /* The OU updates are explicit Euler steps: beyond dt = tau they
         * overshoot and the process is no longer the one RatInABox defines. */
        if (p->dt > p->rot_coherence)
            return bad("dt", "at most rot_coherence (explicit OU steps)", p->dt);
        if (p->dt > p->speed_coherence)
            return bad("dt", "at most speed_coherence (explicit OU steps)", p->dt);
        if (p->hd_smoothing > 0 && p->dt > p->hd_smoothing)
            return bad("dt", "at most hd_smoothing", p->dt);
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "motion: kind: expected CM_MOTION_RAT or CM_MOTION_OU, got %d", (int)m->kind);
}

static void clear_motion_state(cm_agent *agent)
{
    agent->vx = agent->vy = 0;
    agent->omega = 0;
    agent->hx = cosf(agent->pose.theta);
    agent->hy = sinf(agent->pose.theta);
    agent->dx = agent->dy = agent->dtheta = 0;
    agent->collisions = 0;
}

cm_status cm_agent_reset(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_rng *rng)
{
    /* Uniform over free space by rejection from the bounding box; keep twice
     * the clearance so that the first step is never blocked. */
    float c = 2 * cm_arena_clearance(arena);
    for (int tries = 0; tries < 100000; tries++) {
        float x = arena->xmin + (arena->xmax - arena->xmin) * cm_rng_float(rng);
        float y = arena->ymin + (arena->ymax - arena->ymin) * cm_rng_float(rng);
        if (!cm_arena_contains(arena, x, y) || cm_arena_nearest_wall(arena, x, y, NULL, NULL) < c)
            continue;
        agent->pose.x = x;
        agent->pose.y = y;
        agent->pose.theta = cm_wrap_angle(CM_TWO_PI_F * cm_rng_float(rng) - CM_PI_F);
        clear_motion_state(agent);
        if (m->kind == CM_MOTION_OU)
            cm_ou_start(agent, &m->ou, rng);
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "arena %s: no free point found for a start position", arena->name);
}

cm_status cm_agent_place(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_pose pose)
{
    if (!cm_arena_contains(arena, pose.x, pose.y))
        return cm_error(CM_ERR_ARG, "arena %s: start position (%g, %g): expected a point in free space", arena->name,
                        (double)pose.x, (double)pose.y);
    if (!isfinite(pose.theta))
        return cm_error(CM_ERR_ARG, "arena %s: start heading: expected a finite angle", arena->name);
    agent->pose = pose;
    agent->pose.theta = cm_wrap_angle(pose.theta);
    clear_motion_state(agent);
    if (m->kind == CM_MOTION_OU) {
        /* Start at the mean speed along the given heading. */
        agent->vx = m->ou.speed_mean * agent->hx;
        agent->vy = m->ou.speed_mean * agent->hy;
    }
    return CM_OK;
}

void cm_agent_step(cm_agent *agent, const cm_motion *m, const cm_arena *arena, cm_rng *rng)
{
    if (m->kind == CM_MOTION_RAT)
        cm_rat_step(agent, &m->rat, arena, rng);
    else
        cm_ou_step(agent, &m->ou, arena, rng);
}
