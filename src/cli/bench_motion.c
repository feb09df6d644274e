/* `cogmap bench motion`: how many rat-model steps one core makes, recording
 * what a path-integration trainer reads (position, heading, Banino's ego
 * velocity), as Sorscher's generator does in numpy (bench/motion.sh). */
#include "cli/cli.h"
#include "cogmap/bench.h"

static const char motion_usage[] =
    "usage: cogmap bench motion [--batch N] [--steps N] [--motion NAME] [--arena NAME] [--repeat N] [--threads N]\n"
    "Times cm_worlds_run on one thread (then on --threads, if more than one) for a batch of\n"
    "trajectories (default 200 worlds x 1000 steps, Sorscher's preset, the 2.2 m box) and prints\n"
    "  steps/s wall: X\n"
    "  steps/s per core: X      (per second of CPU time the thread got)\n"
    "the best of --repeat runs (default 5).\n";


int bench_motion(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long batch = 200, steps = 1000, repeat = 5;
    const char *motion_name = "sorscher", *arena_name = "box";
    const cli_opt opts[] = {{"--batch", CLI_INT, &batch, 1, 1 << 20},
                            {"--steps", CLI_INT, &steps, 1, 1 << 24},
                            {"--repeat", CLI_INT, &repeat, 1, 1000},
                            {"--motion", CLI_STRING, &motion_name},
                            {"--arena", CLI_STRING, &arena_name},
                            {0}};
    int rc = cli_parse("bench motion", motion_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if ((double)batch * (double)steps > 1e8)
        return cli_usage_error("bench motion", "--batch x --steps: expected at most 1e8 steps");
    cm_bench_motion_result res;
    cm_status st = cm_bench_motion(arena_name, motion_name, (int)batch, (int)steps, (int)repeat, common.threads,
                                   common.seed, &res);
    if (st != CM_OK)
        return cli_fail("bench motion", st);
    printf("motion: %s model, %s arena, %lld worlds x %lld steps, best of %lld\n", motion_name, arena_name, batch,
           steps, repeat);
    printf("steps/s wall: %.4g\n", res.wall);
    printf("steps/s per core: %.4g\n", res.cpu);
    if (res.threads > 1)
        printf("steps/s on %d threads (wall): %.4g\n", res.threads, res.threaded_wall);
    return CLI_EXIT_OK;
}
