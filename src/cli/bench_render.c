/* `cogmap bench render`: how many 64x64 egocentric RGB frames one core renders
 * in a 15x15 Memory-Maze maze (issue 3's goal: >= 150,000 frames/s per core;
 * MuJoCo manages about 300). Poses are drawn once, uniformly over the free
 * cells with random headings, so the loop times the renderer alone. */
#include "cli/cli.h"

#include <math.h>
#include <string.h>
#include <time.h>

#include "cogmap/world.h"

static const char bench_render_usage[] =
    "usage: cogmap bench render [--frames N] [--size PX] [--maze N | --arena NAME] [--seed N] [--quiet]\n"
    "Renders N frames (default 200000) of PX x PX pixels (default 64) from random poses in a\n"
    "maze of size N (default 15) with its targets as sprites, on one core, and prints\n"
    "'frames/s per core: X'. --arena NAME renders an open arena preset instead (box, box15,\n"
    "circle, tworooms; SMP's views), with the open-arena camera.\n";

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int bench_render(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long frames = 200000, size = 64, maze_size = 15;
    const char *arena_name = NULL;
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(bench_render_usage, stdout);
            return CLI_EXIT_OK;
        } else if (strcmp(argv[i], "--frames") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--frames", v, 1, 1000000000, &frames) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--size") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--size", v, 8, 1024, &size) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--maze") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 ||
                cli_parse_int("--maze", v, CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE, &maze_size) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--arena") == 0) {
            if (cli_option_value(argc, argv, &i, &arena_name) < 0)
                return CLI_EXIT_USAGE;
        } else {
            int r = cli_common_option(&common, argc, argv, &i);
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (r == 0)
                return cli_usage_error("bench render", "unknown option '%s'", argv[i]);
        }
    }
    cm_set_threads(1); /* per core: no idle BLAS/OpenMP threads competing for it */
    cm_maze_params p;
    static cm_maze maze;
    cm_arena arena;
    cm_render_config cfg;
    cm_status st;
    if (arena_name) {
        if ((st = cm_arena_preset(&arena, arena_name)) != CM_OK)
            return cli_usage_error("bench render", "%s", cm_errmsg());
        cm_render_config_arena(&cfg);
    } else {
        st = cm_maze_params_default((int)maze_size, &p);
        if (st == CM_OK)
            st = cm_maze_generate(&p, common.seed, &maze);
        if (st != CM_OK)
            return cli_usage_error("bench render", "%s", cm_errmsg());
        if ((st = cm_arena_from_maze(&maze, &arena)) != CM_OK)
            return cli_fail("bench render", st);
        cm_render_config_maze(&cfg);
    }
    cfg.width = cfg.height = (int)size;
    cm_renderer *r;
    if ((st = cm_renderer_create(&r, &arena, arena_name ? NULL : &maze, &cfg)) != CM_OK) {
        cm_arena_free(&arena);
        return cli_fail("bench render", st);
    }
    enum { POSES = 4096 };
    static cm_pose poses[POSES];
    cm_rng rng;
    cm_rng_seed(&rng, common.seed, 7);
    for (int k = 0; k < POSES;) {
        float x, y;
        if (arena_name) {
            x = arena.xmin + cm_rng_float(&rng) * (arena.xmax - arena.xmin);
            y = arena.ymin + cm_rng_float(&rng) * (arena.ymax - arena.ymin);
            if (!cm_arena_contains(&arena, x, y) || cm_arena_nearest_wall(&arena, x, y, NULL, NULL) < 0.05f)
                continue;
        } else {
            x = cm_rng_float(&rng) * maze.size;
            y = cm_rng_float(&rng) * maze.size;
            /* keep the eye 0.1 cells (the ball's radius) off the walls, as an agent's is */
            if (!cm_maze_free(&maze, (int)(x - 0.1f), (int)(y - 0.1f)) ||
                !cm_maze_free(&maze, (int)(x + 0.1f), (int)(y + 0.1f)) ||
                !cm_maze_free(&maze, (int)(x - 0.1f), (int)(y + 0.1f)) ||
                !cm_maze_free(&maze, (int)(x + 0.1f), (int)(y - 0.1f)))
                continue;
        }
        poses[k++] = (cm_pose){x, y, (float)cm_rng_uniform(&rng, -M_PI, M_PI)};
    }
    cm_sprite sprites[CM_MAZE_MAX_TARGETS];
    int n_sprites = arena_name ? 0 : maze.n_targets;
    for (int t = 0; t < n_sprites; t++) {
        sprites[t] = (cm_sprite){maze.targets[t][0], maze.targets[t][1], 0.0f, 0.3f, {0, 0, 0}};
        memcpy(sprites[t].rgb, maze.target_rgb[t], 3);
    }
    uint8_t *rgb = cm_alloc((size_t)size * size * 3);
    if (!rgb) {
        cm_renderer_free(r);
        cm_arena_free(&arena);
        return cli_fail("bench render", cm_error(CM_ERR_NOMEM, "frame buffer"));
    }
    /* warm-up, then the timed loop; the checksum keeps the compiler honest */
    for (int k = 0; k < 1000; k++)
        cm_render(r, poses[k % POSES], sprites, n_sprites, rgb, NULL);
    uint64_t checksum = 0;
    double t0 = cm_now(), c0 = cpu_seconds();
    for (long long k = 0; k < frames; k++) {
        cm_render(r, poses[k % POSES], sprites, n_sprites, rgb, NULL);
        checksum += rgb[(k * 97) % (size * size * 3)];
    }
    double dt = cm_now() - t0, dc = cpu_seconds() - c0;
    if (!common.quiet)
        printf("render: %lld frames of %lldx%lld in %s: %.3f s wall, %.3f s on the core, "
               "%.2f us/frame (checksum %llu)\n",
               frames, size, size, arena.name, dt, dc, 1e6 * dc / (double)frames, (unsigned long long)checksum);
    /* Per core = per second the thread actually ran: on a shared machine the
     * wall clock also counts the time other processes had the core. */
    printf("frames/s wall: %.0f\n", (double)frames / dt);
    printf("frames/s per core: %.0f\n", (double)frames / dc);
    cm_free(rgb);
    cm_renderer_free(r);
    cm_arena_free(&arena);
    return CLI_EXIT_OK;
}
