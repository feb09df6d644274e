/* `cogmap bench render`: how many 64x64 egocentric RGB frames one core renders
 * in a 15x15 Memory-Maze maze (issue 3's goal: >= 150,000 frames/s per core;
 * MuJoCo manages about 300). Poses are drawn once, uniformly over the free
 * cells with random headings, so the loop times the renderer alone. */
#include "cli/cli.h"

#include "cogmap/bench.h"
#include "cogmap/world.h"

static const char bench_render_usage[] =
    "usage: cogmap bench render [--frames N] [--size PX] [--maze N | --arena NAME] [--seed N] [--quiet]\n"
    "Renders N frames (default 200000) of PX x PX pixels (default 64) from random poses in a\n"
    "maze of size N (default 15) with its targets as sprites, on one core, and prints\n"
    "'frames/s per core: X'. --arena NAME renders an open arena preset instead (box, box15,\n"
    "circle, tworooms; SMP's views), with the open-arena camera.\n";

int bench_render(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long frames = 200000, size = 64, maze_size = 15;
    const char *arena_name = NULL;
    const cli_opt opts[] = {{"--frames", CLI_INT, &frames, 1, 1000000000},
                            {"--size", CLI_INT, &size, 8, 1024},
                            {"--maze", CLI_INT, &maze_size, CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE},
                            {"--arena", CLI_STRING, &arena_name},
                            {0}};
    int rc = cli_parse("bench render", bench_render_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    cm_bench_render_result res;
    cm_status st = cm_bench_render(arena_name, (int)maze_size, (int)size, frames, common.seed, &res);
    if (st == CM_ERR_ARG) /* an unknown arena or an impossible maze */
        return cli_usage_error("bench render", "%s", cm_errmsg());
    if (st != CM_OK)
        return cli_fail("bench render", st);
    const double dt = res.wall_s, dc = res.cpu_s;
    if (!common.quiet)
        printf("render: %lld frames of %lldx%lld in %s: %.3f s wall, %.3f s on the core, "
               "%.2f us/frame (checksum %llu)\n",
               frames, size, size, res.arena, dt, dc, 1e6 * dc / (double)frames, (unsigned long long)res.checksum);
    /* Per core = per second the thread actually ran: on a shared machine the
     * wall clock also counts the time other processes had the core. */
    printf("frames/s wall: %.0f\n", (double)frames / dt);
    printf("frames/s per core: %.0f\n", (double)frames / dc);
    return CLI_EXIT_OK;
}
