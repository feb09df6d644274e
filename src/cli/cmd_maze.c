/* `cogmap maze`: generate a Memory-Maze layout and print it, top row first. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/world.h"

static const char maze_usage[] =
    "usage: cogmap maze --size N [--seed S] [--targets K]\n"
    "                   [--out DIR [--steps T] [--agents A] [--fov DEG] [--quiet]]\n"
    "Generates a Memory-Maze layout by labmaze's rules (N odd, 5..63; 9, 11, 13, 15 are\n"
    "Memory-Maze's with 3, 4, 5, 6 targets) and prints it, one text row per maze row from the\n"
    "top, outer wall included: '#' wall, '.' corridor, 'a'.. room floor, 'P' spawn, '1'..'6'\n"
    "targets (every letter or digit is free floor).\n"
    "With --out, A agents (default 1) explore the maze for T steps (default 500) with the scripted\n"
    "policy and DIR gets SSM-PC's dataset folder (fps_views/, bev_views/, frame_info.json,\n"
    "env_config.json; in DIR/agent_K/ when A > 1; BEV field of view DEG, default 75) and\n"
    "preview.png (the map, the paths and a strip of agent 0's views).\n";

int cmd_maze(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long size = -1, targets = -1, steps = 500, agents = 1;
    double fov = 75.0;
    const cli_opt opts[] = {{"--size", CLI_INT, &size, 1, 1000000},
                            {"--targets", CLI_INT, &targets, 1, 1000000},
                            {"--steps", CLI_INT, &steps, 1, 999999},
                            {"--agents", CLI_INT, &agents, 1, CM_MAZE_MAX_AGENTS},
                            {"--fov", CLI_DOUBLE, &fov},
                            {0}};
    int rc = cli_parse("maze", maze_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!(fov > 0.0 && fov <= 360.0))
        return cli_usage_error("maze", "--fov: expected 0 < degrees <= 360, got %g", fov);
    if (size < 0)
        return cli_usage_error("maze", "--size N is required (9, 11, 13 or 15 for Memory-Maze's mazes)");
    cm_maze_params p;
    static cm_maze maze;
    cm_status st = cm_maze_params_default((int)(size > CM_MAZE_MAX_SIZE ? CM_MAZE_MAX_SIZE + 1 : size), &p);
    if (st == CM_OK && targets > 0)
        p.n_targets = (int)(targets > 1000 ? 1000 : targets);
    if (st == CM_OK)
        st = cm_maze_generate(&p, common.seed, &maze);
    if (st != CM_OK) /* impossible parameters are usage errors: nothing is written */
        return cli_usage_error("maze", "%s", cm_errmsg());
    static char text[(CM_MAZE_MAX_SIZE + 2) * (CM_MAZE_MAX_SIZE + 3) + 1];
    if ((st = cm_maze_text(&maze, text, sizeof text)) != CM_OK)
        return cli_fail("maze", st);
    fputs(text, stdout);
    if (common.out) {
        fflush(stdout);
        cm_progress progress;
        progress.out = cli_progress_stream(&common);
        st = cm_maze_explore(&maze, common.out, (int)steps, (int)agents, (float)fov, common.seed,
                             progress.out ? &progress : NULL);
        if (st != CM_OK)
            return cli_fail("maze", st);
    }
    return CLI_EXIT_OK;
}
