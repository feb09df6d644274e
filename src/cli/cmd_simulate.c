/* `cogmap simulate`: trajectories of agents in an open arena, written as
 * trajectory.npz (docs/formats.md, "Trajectories") with a preview.png.
 *
 * Everything is validated before the output folder is touched, so bad input
 * leaves nothing behind. */
#include "cli/cli.h"
#include "cogmap/plot.h"
#include "cogmap/simulate.h"

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

int cmd_simulate(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    common.out = "simulate-out";
    const char *arena_name = "box", *motion_name = "sorscher";
    long long steps = 1000, agents = 1, batch = 1, rays = 36, substeps = 1;
    double scale = 1, dt = 0;
    const cli_opt opts[] = {{"--arena", CLI_STRING, &arena_name},
                            {"--motion", CLI_STRING, &motion_name},
                            {"--steps", CLI_INT, &steps, 1, INT32_MAX},
                            {"--agents", CLI_INT, &agents, 1, 1 << 20},
                            {"--batch", CLI_INT, &batch, 1, 1 << 24},
                            {"--substeps", CLI_INT, &substeps, 1, 1 << 20},
                            {"--rays", CLI_INT, &rays, 0, 4096},
                            {"--scale", CLI_POSITIVE, &scale, 0, 0, "--scale: expected a number > 0, got '%s'"},
                            {"--dt", CLI_POSITIVE, &dt, 0, 0, "--dt: expected a number of seconds > 0, got '%s'"},
                            {0}};
    int rc = cli_parse("simulate", simulate_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;

    /* Validate everything before writing anything. */
    cm_motion motion;
    cm_status st = cm_simulate_motion(&motion, motion_name, scale, dt);
    if (st != CM_OK)
        return cli_fail("simulate", st);
    /* In double: the product of three large options can overflow int64. */
    double agent_steps = (double)batch * (double)steps * (double)agents;
    if (agent_steps * 4.0 * (13.0 + 2.0 * (double)rays) > (double)MAX_OUTPUT_BYTES)
        return cli_usage_error("simulate",
                               "--batch x --steps x --agents = %.0f agent-steps with %lld rays would need more "
                               "than %lld GiB; ask for fewer",
                               agent_steps, rays, MAX_OUTPUT_BYTES >> 30);
    cm_arena arena;
    st = cm_arena_preset(&arena, arena_name);
    if (st != CM_OK)
        return cli_fail("simulate", st);
    cm_set_threads(common.threads);
    cm_simulation sim;
    st = cm_simulate(&arena, &motion, (int)batch, (int)agents, (int)steps, (int)rays, (int)substeps, common.seed, &sim);
    if (st == CM_OK && !common.quiet)
        fprintf(stderr, "cogmap simulate: %lld agent-steps in %.3f s (%.3g steps/s)\n", (long long)agent_steps,
                sim.seconds, agent_steps / (sim.seconds > 0 ? sim.seconds : 1e-9));
    if (st == CM_OK)
        st = cm_simulation_save(common.out, &arena, &sim);
    int code = st == CM_OK ? CLI_EXIT_OK : cli_fail("simulate", st);
    if (st == CM_OK && !common.quiet)
        printf("wrote %s/trajectory.npz and %s/preview.png\n", common.out, common.out);
    cm_simulation_free(&sim);
    cm_arena_free(&arena);
    return code;
}
