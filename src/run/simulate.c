/* cm_simulate and trajectory.npz (cogmap/simulate.h). */
#include "cogmap/simulate.h"
#include "cogmap/io.h"

#include <math.h>
#include <string.h>

void cm_simulation_free(cm_simulation *s)
{
    float **all[] = {&s->position,  &s->heading,      &s->velocity,  &s->speed,         &s->ang_vel,     &s->ego_velocity,
                     &s->smp_velocity, &s->wall_dist, &s->ego_wall_dist, &s->init_position, &s->init_heading};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        cm_free(*all[i]);
        *all[i] = NULL;
    }
}

static cm_status alloc_outputs(cm_simulation *s)
{
    const size_t n = (size_t)s->batch * s->steps * s->agents, inits = (size_t)s->batch * s->agents;
    s->position = cm_alloc(n * 2 * sizeof(float));
    s->heading = cm_alloc(n * sizeof(float));
    s->velocity = cm_alloc(n * 2 * sizeof(float));
    s->speed = cm_alloc(n * sizeof(float));
    s->ang_vel = cm_alloc(n * sizeof(float));
    s->ego_velocity = cm_alloc(n * 3 * sizeof(float));
    s->smp_velocity = cm_alloc(n * 2 * sizeof(float));
    s->init_position = cm_alloc(inits * 2 * sizeof(float));
    s->init_heading = cm_alloc(inits * sizeof(float));
    int ok = s->position && s->heading && s->velocity && s->speed && s->ang_vel && s->ego_velocity &&
             s->smp_velocity && s->init_position && s->init_heading;
    if (s->rays > 0) {
        s->wall_dist = cm_alloc(n * s->rays * sizeof(float));
        s->ego_wall_dist = cm_alloc(n * s->rays * sizeof(float));
        ok = ok && s->wall_dist && s->ego_wall_dist;
    }
    if (!ok) {
        cm_simulation_free(s);
        return cm_error(CM_ERR_NOMEM, "simulate: cannot allocate the outputs of %zu agent-steps", n);
    }
    return CM_OK;
}

cm_status cm_simulate(const cm_arena *arena, const cm_motion *motion, int batch, int agents, int steps, int rays,
                      int substeps, uint64_t seed, cm_simulation *out)
{
    memset(out, 0, sizeof *out);
    if (batch < 1 || agents < 1 || steps < 1 || rays < 0 || substeps < 1)
        return cm_error(CM_ERR_ARG, "simulate: batch %d, agents %d, steps %d, rays %d, substeps %d: expected >= 1 "
                                    "(rays >= 0)", batch, agents, steps, rays, substeps);
    cm_worlds w;
    cm_status st = cm_worlds_create(&w, arena, motion, batch, agents, rays, seed);
    if (st != CM_OK)
        return st;
    w.substeps = substeps;
    *out = (cm_simulation){.batch = batch, .steps = steps, .agents = agents, .rays = rays,
                           .dt = (float)substeps * (motion->kind == CM_MOTION_RAT ? motion->rat.dt : motion->ou.dt)};
    st = alloc_outputs(out);
    if (st == CM_OK) {
        cm_traj traj = {.position = out->position, .heading = out->heading, .velocity = out->velocity,
                        .speed = out->speed, .ang_vel = out->ang_vel, .ego_banino = out->ego_velocity,
                        .ego_smp = out->smp_velocity, .wall_dist = out->wall_dist, .ego_wall_dist = out->ego_wall_dist,
                        .init_position = out->init_position, .init_heading = out->init_heading};
        double t0 = cm_now();
        st = cm_worlds_run(&w, steps, &traj);
        out->seconds = cm_now() - t0;
        if (st != CM_OK)
            cm_simulation_free(out);
    }
    cm_worlds_free(&w);
    return st;
}

cm_status cm_simulation_write(const char *path, const cm_arena *arena, const cm_simulation *s)
{
    const int64_t B = s->batch, T = s->steps, A = s->agents, R = s->rays, W = arena->n_walls;
    float *walls = cm_alloc((size_t)(W > 0 ? W : 1) * 4 * sizeof(float));
    uint8_t *colors = cm_alloc((size_t)(W > 0 ? W : 1) * 3);
    float *angles = cm_alloc((size_t)(R > 0 ? R : 1) * sizeof(float));
    if (!walls || !colors || !angles) {
        cm_free(walls);
        cm_free(colors);
        cm_free(angles);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate the arena description", path);
    }
    for (int64_t i = 0; i < W; i++) {
        const cm_wall *wl = &arena->walls[i];
        walls[4 * i] = wl->x0;
        walls[4 * i + 1] = wl->y0;
        walls[4 * i + 2] = wl->x1;
        walls[4 * i + 3] = wl->y1;
        memcpy(colors + 3 * i, wl->rgb, 3);
    }
    for (int64_t k = 0; k < R; k++)
        angles[k] = (float)(-M_PI + 2 * M_PI * (double)k / (double)R);
    float dt = s->dt;
    const int64_t s_step[] = {B, T, A}, s_vec2[] = {B, T, A, 2}, s_vec3[] = {B, T, A, 3}, s_rays[] = {B, T, A, R};
    const int64_t s_init2[] = {B, A, 2}, s_init[] = {B, A}, s_walls[] = {W, 4}, s_colors[] = {W, 3}, s_r[] = {R};
    cm_array arrays[16];
    int n = 0;
    arrays[n++] = cm_array_view("position", CM_F32, 4, s_vec2, s->position);
    arrays[n++] = cm_array_view("heading", CM_F32, 3, s_step, s->heading);
    arrays[n++] = cm_array_view("velocity", CM_F32, 4, s_vec2, s->velocity);
    arrays[n++] = cm_array_view("speed", CM_F32, 3, s_step, s->speed);
    arrays[n++] = cm_array_view("angular_velocity", CM_F32, 3, s_step, s->ang_vel);
    arrays[n++] = cm_array_view("ego_velocity", CM_F32, 4, s_vec3, s->ego_velocity);
    arrays[n++] = cm_array_view("smp_velocity", CM_F32, 4, s_vec2, s->smp_velocity);
    if (R > 0) {
        arrays[n++] = cm_array_view("wall_distances", CM_F32, 4, s_rays, s->wall_dist);
        arrays[n++] = cm_array_view("ego_wall_distances", CM_F32, 4, s_rays, s->ego_wall_dist);
        arrays[n++] = cm_array_view("ray_angles", CM_F32, 1, s_r, angles);
    }
    arrays[n++] = cm_array_view("init_position", CM_F32, 3, s_init2, s->init_position);
    arrays[n++] = cm_array_view("init_heading", CM_F32, 2, s_init, s->init_heading);
    arrays[n++] = cm_array_view("dt", CM_F32, 0, NULL, &dt);
    arrays[n++] = cm_array_view("walls", CM_F32, 2, s_walls, walls);
    arrays[n++] = cm_array_view("wall_colors", CM_U8, 2, s_colors, colors);
    cm_status st = cm_npz_write(path, arrays, n, 0);
    cm_free(walls);
    cm_free(colors);
    cm_free(angles);
    return st;
}

cm_status cm_simulate_motion(cm_motion *m, const char *preset, double scale, double dt)
{
    cm_status st = cm_motion_preset(m, preset);
    if (st == CM_OK)
        st = cm_motion_scale(m, (float)scale);
    if (st == CM_OK && dt > 0) {
        if (m->kind == CM_MOTION_RAT)
            m->rat.dt = (float)dt;
        else
            m->ou.dt = (float)dt;
    }
    return st == CM_OK ? cm_motion_check(m) : st;
}
