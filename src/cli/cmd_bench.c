/* `cogmap bench <name>`: built-in benchmarks, one table entry each, so that
 * every module can plug its own in (add a line to bench_table). They print
 * machine-readable lines ("<what>: <value>") for bench/ scripts and BENCHMARKS.md. */
#include "cli/cli.h"

#include <string.h>

int bench_train(int argc, char **argv);
int bench_render(int argc, char **argv);
int bench_motion(int argc, char **argv);
int bench_targets(int argc, char **argv);
int bench_dist(int argc, char **argv);
int bench_coop(int argc, char **argv);
int bench_link(int argc, char **argv);

typedef struct bench_entry {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the benchmark's name */
} bench_entry;

static const bench_entry bench_table[] = {
    {"train", "path-integration training steps on random inputs (steps/s, share of sgemm)", bench_train},
    {"render", "64x64 egocentric RGB frames in a 15x15 maze (frames/s per core)", bench_render},
    {"motion", "rat-model trajectories (Sorscher preset, 2.2 m box): steps/s per core", bench_motion},
    {"targets", "place-cell targets, reference against vectorised (the demo's DoG): rows/s per core", bench_targets},
    {"dist", "training steps through the generic trainer, plain or under mpirun (steps/s)", bench_dist},
    {"coop", "cooperative search in Memory-Maze: success against bits per step (table, figure, GIF)", bench_coop},
    {"link", "learned link vs broadcast vs velocity vs none over bit budgets: DIR/table.csv (trains)", bench_link},
    {NULL, NULL, NULL},
};

static void bench_help(FILE *out)
{
    fprintf(out, "usage: cogmap bench <name> [options]\n       cogmap bench <name> --help\n\nbenchmarks:\n");
    for (const bench_entry *b = bench_table; b->name; b++)
        fprintf(out, "  %-10s %s\n", b->name, b->summary);
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2) {
        bench_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        bench_help(stdout);
        return CLI_EXIT_OK;
    }
    for (const bench_entry *b = bench_table; b->name; b++)
        if (strcmp(argv[1], b->name) == 0)
            return b->run(argc - 1, argv + 1);
    return cli_usage_error("bench", "unknown benchmark '%s' (see 'cogmap bench --help')", argv[1]);
}
