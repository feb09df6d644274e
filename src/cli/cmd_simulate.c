/* `cogmap simulate`: trajectories of agents in an open arena, written as
 * trajectory.npz (docs/formats.md, "Trajectories") with a preview.png.
 *
 * Everything is validated before the output folder is touched, so bad input
 * leaves nothing behind. */
#include "cli/cli.h"
#include "cogmap/plot.h"
#include "cogmap/io.h"
#include "cogmap/world.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char simulate_usage[] =
    "usage: cogmap simulate [--arena NAME] [--motion NAME] [--steps N] [--agents N] [--batch N]\n"
    "                       [--rays N] [--scale S] [--dt SECONDS] [--substeps K] [--out DIR] [--seed N]\n"
    "                       [--threads N] [--quiet]\n"
    "Simulates `batch` independent worlds of `agents` agents each for `steps` steps and writes\n"
    "DIR/trajectory.npz (positions, headings, velocities, wall distances; docs/formats.md) and\n"
    "DIR/preview.png (the arena's walls in their colours and the paths).\n"
    "  --arena NAME    box (default), box15, circle, tworooms\n"
    "  --motion NAME   sorscher (default; alias rat), banino, ratinabox (alias ou)\n"
    "  --steps N       time steps per trajectory (default 1000)\n"
    "  --agents N      agents per world (default 1)\n"
    "  --batch N       independent worlds (default 1); world k uses random stream k of --seed\n"
    "  --rays N        wall-distance rays, allocentric and egocentric (default 36; 0: none)\n"
    "  --scale S       multiplies the model's lengths and speeds (e.g. 6.82 for box15; default 1)\n"
    "  --dt SECONDS    overrides the model's time step\n"
    "  --substeps K    model steps per recorded step (default 1); motion adds up over them\n"
    "  --out DIR       output folder (default simulate-out)\n";

/* The largest output cogmap will allocate for one run: beyond this a typo in
 * --steps should not take the machine's memory. */
#define MAX_OUTPUT_BYTES (8ll << 30)

typedef struct sim_buffers {
    float *pos, *hd, *vel, *speed, *angv, *ego, *smp, *wd, *ewd, *init_pos, *init_hd;
} sim_buffers;

static void free_buffers(sim_buffers *b)
{
    float **all[] = {&b->pos, &b->hd, &b->vel, &b->speed, &b->angv, &b->ego,
                     &b->smp, &b->wd, &b->ewd, &b->init_pos, &b->init_hd};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        cm_free(*all[i]);
        *all[i] = NULL;
    }
}

static cm_status alloc_buffers(sim_buffers *b, int64_t n, int64_t inits, int rays)
{
    memset(b, 0, sizeof *b);
    b->pos = cm_alloc((size_t)n * 2 * sizeof(float));
    b->hd = cm_alloc((size_t)n * sizeof(float));
    b->vel = cm_alloc((size_t)n * 2 * sizeof(float));
    b->speed = cm_alloc((size_t)n * sizeof(float));
    b->angv = cm_alloc((size_t)n * sizeof(float));
    b->ego = cm_alloc((size_t)n * 3 * sizeof(float));
    b->smp = cm_alloc((size_t)n * 2 * sizeof(float));
    b->init_pos = cm_alloc((size_t)inits * 2 * sizeof(float));
    b->init_hd = cm_alloc((size_t)inits * sizeof(float));
    int ok = b->pos && b->hd && b->vel && b->speed && b->angv && b->ego && b->smp && b->init_pos && b->init_hd;
    if (rays > 0) {
        b->wd = cm_alloc((size_t)n * rays * sizeof(float));
        b->ewd = cm_alloc((size_t)n * rays * sizeof(float));
        ok = ok && b->wd && b->ewd;
    }
    if (!ok) {
        free_buffers(b);
        return cm_error(CM_ERR_NOMEM, "simulate: cannot allocate the outputs of %lld agent-steps", (long long)n);
    }
    return CM_OK;
}

static cm_status write_npz(const char *path, const cm_worlds *w, int steps, const sim_buffers *b, float dt)
{
    const int64_t B = w->batch, T = steps, A = w->n_agents, R = w->n_rays;
    const cm_arena *arena = w->arena;
    int64_t W = arena->n_walls;
    float *walls = cm_alloc((size_t)W * 4 * sizeof(float));
    uint8_t *colors = cm_alloc((size_t)W * 3);
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

    const int64_t s_step[] = {B, T, A}, s_vec2[] = {B, T, A, 2}, s_vec3[] = {B, T, A, 3}, s_rays[] = {B, T, A, R};
    const int64_t s_init2[] = {B, A, 2}, s_init[] = {B, A}, s_walls[] = {W, 4}, s_colors[] = {W, 3}, s_r[] = {R};
    cm_array arrays[16];
    int n = 0;
    arrays[n++] = cm_array_view("position", CM_F32, 4, s_vec2, b->pos);
    arrays[n++] = cm_array_view("heading", CM_F32, 3, s_step, b->hd);
    arrays[n++] = cm_array_view("velocity", CM_F32, 4, s_vec2, b->vel);
    arrays[n++] = cm_array_view("speed", CM_F32, 3, s_step, b->speed);
    arrays[n++] = cm_array_view("angular_velocity", CM_F32, 3, s_step, b->angv);
    arrays[n++] = cm_array_view("ego_velocity", CM_F32, 4, s_vec3, b->ego);
    arrays[n++] = cm_array_view("smp_velocity", CM_F32, 4, s_vec2, b->smp);
    if (R > 0) {
        arrays[n++] = cm_array_view("wall_distances", CM_F32, 4, s_rays, b->wd);
        arrays[n++] = cm_array_view("ego_wall_distances", CM_F32, 4, s_rays, b->ewd);
        arrays[n++] = cm_array_view("ray_angles", CM_F32, 1, s_r, angles);
    }
    arrays[n++] = cm_array_view("init_position", CM_F32, 3, s_init2, b->init_pos);
    arrays[n++] = cm_array_view("init_heading", CM_F32, 2, s_init, b->init_hd);
    arrays[n++] = cm_array_view("dt", CM_F32, 0, NULL, &dt);
    arrays[n++] = cm_array_view("walls", CM_F32, 2, s_walls, walls);
    arrays[n++] = cm_array_view("wall_colors", CM_U8, 2, s_colors, colors);
    cm_status st = cm_npz_write(path, arrays, n, 0);
    cm_free(walls);
    cm_free(colors);
    cm_free(angles);
    return st;
}


int cmd_simulate(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    common.out = "simulate-out";
    const char *arena_name = "box", *motion_name = "sorscher";
    long long steps = 1000, agents = 1, batch = 1, rays = 36, substeps = 1;
    double scale = 1, dt = 0;
    int have_dt = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        int r = cli_standard_option(&common, simulate_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--arena")) {
            if (cli_option_value(argc, argv, &i, &arena_name))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--motion")) {
            if (cli_option_value(argc, argv, &i, &motion_name))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--steps")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--steps", value, 1, INT32_MAX, &steps))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--agents")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--agents", value, 1, 1 << 20, &agents))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--batch")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--batch", value, 1, 1 << 24, &batch))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--substeps")) {
            if (cli_option_value(argc, argv, &i, &value) ||
                cli_parse_int("--substeps", value, 1, 1 << 20, &substeps))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--rays")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--rays", value, 0, 4096, &rays))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--scale")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_double("--scale", value, &scale))
                return CLI_EXIT_USAGE;
            if (!(scale > 0))
                return cli_usage_error("simulate", "--scale: expected a number > 0, got '%s'", value);
        } else if (cli_option_is(arg, "--dt")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_double("--dt", value, &dt))
                return CLI_EXIT_USAGE;
            if (!(dt > 0))
                return cli_usage_error("simulate", "--dt: expected a number of seconds > 0, got '%s'", value);
            have_dt = 1;
        } else {
            return cli_usage_error("simulate", "unknown option '%s'", arg);
        }
    }

    /* Validate everything before writing anything. */
    cm_motion motion;
    cm_status st = cm_motion_preset(&motion, motion_name);
    if (st == CM_OK)
        st = cm_motion_scale(&motion, (float)scale);
    if (st == CM_OK && have_dt) {
        if (motion.kind == CM_MOTION_RAT)
            motion.rat.dt = (float)dt;
        else
            motion.ou.dt = (float)dt;
    }
    if (st == CM_OK)
        st = cm_motion_check(&motion);
    if (st != CM_OK)
        return cli_fail("simulate", st);
    /* In double: the product of three large options can overflow int64. */
    double agent_steps = (double)batch * (double)steps * (double)agents;
    if (agent_steps * 4.0 * (13.0 + 2.0 * (double)rays) > (double)MAX_OUTPUT_BYTES)
        return cli_usage_error("simulate",
                               "--batch x --steps x --agents = %.0f agent-steps with %lld rays would need more "
                               "than %lld GiB; ask for fewer",
                               agent_steps, rays, MAX_OUTPUT_BYTES >> 30);
    int64_t n = (int64_t)batch * steps * agents;
    cm_arena arena;
    st = cm_arena_preset(&arena, arena_name);
    if (st != CM_OK)
        return cli_fail("simulate", st);
    cm_set_threads(common.threads);

    cm_worlds worlds;
    sim_buffers buf;
    int worlds_made = 0, buffers_made = 0;
    char path[4096];
    st = cm_worlds_create(&worlds, &arena, &motion, (int)batch, (int)agents, (int)rays, common.seed);
    worlds_made = st == CM_OK;
    if (st == CM_OK) {
        worlds.substeps = (int)substeps;
        st = alloc_buffers(&buf, n, batch * agents, (int)rays);
        buffers_made = st == CM_OK;
    }
    if (st == CM_OK) {
        cm_traj traj = {.position = buf.pos, .heading = buf.hd, .velocity = buf.vel, .speed = buf.speed,
                        .ang_vel = buf.angv, .ego_banino = buf.ego, .ego_smp = buf.smp, .wall_dist = buf.wd,
                        .ego_wall_dist = buf.ewd, .init_position = buf.init_pos, .init_heading = buf.init_hd};
        double t0 = cm_now();
        st = cm_worlds_run(&worlds, (int)steps, &traj);
        double elapsed = cm_now() - t0;
        if (st == CM_OK && !common.quiet)
            fprintf(stderr, "cogmap simulate: %lld agent-steps in %.3f s (%.3g steps/s)\n", (long long)n, elapsed,
                    (double)n / (elapsed > 0 ? elapsed : 1e-9));
    }
    if (st == CM_OK)
        st = cm_mkdir_p(common.out);
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, common.out, "trajectory.npz");
    if (st == CM_OK) {
        float step_dt = (float)substeps * (motion.kind == CM_MOTION_RAT ? motion.rat.dt : motion.ou.dt);
        st = write_npz(path, &worlds, (int)steps, &buf, step_dt);
    }
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, common.out, "preview.png");
    if (st == CM_OK)
        st = cm_arena_paths_preview(path, &arena, buf.pos, (int)batch, (int)steps, (int)agents);
    int code = st == CM_OK ? CLI_EXIT_OK : cli_fail("simulate", st);
    if (st == CM_OK && !common.quiet)
        printf("wrote %s/trajectory.npz and %s/preview.png\n", common.out, common.out);
    if (buffers_made)
        free_buffers(&buf);
    if (worlds_made)
        cm_worlds_free(&worlds);
    cm_arena_free(&arena);
    return code;
}
