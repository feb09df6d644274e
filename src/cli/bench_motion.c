/* `cogmap bench motion`: how many rat-model steps one core makes, recording
 * what a path-integration trainer reads (position, heading, Banino's ego
 * velocity), as Sorscher's generator does in numpy (bench/motion.sh). */
#include "cli/cli.h"
#include "cogmap/world.h"

#include <string.h>
#include <time.h>

static const char motion_usage[] =
    "usage: cogmap bench motion [--batch N] [--steps N] [--motion NAME] [--arena NAME] [--repeat N] [--threads N]\n"
    "Times cm_worlds_run on one thread (then on --threads, if more than one) for a batch of\n"
    "trajectories (default 200 worlds x 1000 steps, Sorscher's preset, the 2.2 m box) and prints\n"
    "  steps/s wall: X\n"
    "  steps/s per core: X      (per second of CPU time the thread got)\n"
    "the best of --repeat runs (default 5).\n";

/* CPU seconds of the calling thread: on a shared machine the wall clock also
 * counts other processes' turns, the thread's CPU time does not. */
static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best steps/s of `repeat` runs, by the wall clock and (single-threaded runs
 * only) by this thread's CPU time. */
static void best_rates(cm_worlds *w, int steps, const cm_traj *traj, int repeat, double *wall, double *cpu)
{
    *wall = *cpu = 0;
    double n = (double)w->batch * w->n_agents * steps;
    for (int r = 0; r < repeat; r++) {
        cm_worlds_reset(w);
        double c0 = thread_cpu_seconds(), t0 = cm_now();
        cm_worlds_run(w, steps, traj);
        double el = cm_now() - t0, cel = thread_cpu_seconds() - c0;
        if (n / (el > 0 ? el : 1e-9) > *wall)
            *wall = n / (el > 0 ? el : 1e-9);
        if (n / (cel > 0 ? cel : 1e-9) > *cpu)
            *cpu = n / (cel > 0 ? cel : 1e-9);
    }
}


int bench_motion(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long batch = 200, steps = 1000, repeat = 5;
    const char *motion_name = "sorscher", *arena_name = "box", *value;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = cli_standard_option(&common, motion_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--batch")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--batch", value, 1, 1 << 20, &batch))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--steps")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--steps", value, 1, 1 << 24, &steps))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--repeat")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--repeat", value, 1, 1000, &repeat))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--motion")) {
            if (cli_option_value(argc, argv, &i, &motion_name))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--arena")) {
            if (cli_option_value(argc, argv, &i, &arena_name))
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error("bench motion", "unknown option '%s'", arg);
        }
    }
    if ((double)batch * (double)steps > 1e8)
        return cli_usage_error("bench motion", "--batch x --steps: expected at most 1e8 steps");
    cm_arena arena;
    cm_motion motion;
    cm_status st = cm_arena_preset(&arena, arena_name);
    if (st != CM_OK)
        return cli_fail("bench motion", st);
    st = cm_motion_preset(&motion, motion_name);
    if (st != CM_OK) {
        cm_arena_free(&arena);
        return cli_fail("bench motion", st);
    }
    size_t n = (size_t)batch * (size_t)steps;
    float *pos = cm_alloc(n * 2 * sizeof(float)), *hd = cm_alloc(n * sizeof(float));
    float *ego = cm_alloc(n * 3 * sizeof(float));
    cm_worlds w;
    int made = 0;
    if (!pos || !hd || !ego)
        st = cm_error(CM_ERR_NOMEM, "bench motion: cannot allocate %zu steps of outputs", n);
    if (st == CM_OK)
        st = cm_worlds_create(&w, &arena, &motion, (int)batch, 1, 0, common.seed);
    made = st == CM_OK;
    if (st == CM_OK) {
        cm_traj traj = {.position = pos, .heading = hd, .ego_banino = ego};
        /* Touch the outputs once so page faults are not timed. */
        cm_worlds_run(&w, (int)steps, &traj);
        cm_set_threads(1);
        double wall, cpu;
        best_rates(&w, (int)steps, &traj, (int)repeat, &wall, &cpu);
        printf("motion: %s model, %s arena, %lld worlds x %lld steps, best of %lld\n", motion_name, arena_name,
               batch, steps, repeat);
        printf("steps/s wall: %.4g\n", wall);
        printf("steps/s per core: %.4g\n", cpu);
        cm_set_threads(common.threads);
        int threads = cm_threads();
        if (threads > 1) {
            best_rates(&w, (int)steps, &traj, (int)repeat, &wall, &cpu);
            printf("steps/s on %d threads (wall): %.4g\n", threads, wall);
        }
    }
    if (made)
        cm_worlds_free(&w);
    cm_free(pos);
    cm_free(hd);
    cm_free(ego);
    cm_arena_free(&arena);
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("bench motion", st);
}
