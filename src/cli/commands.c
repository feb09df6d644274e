/* The table of subcommands. Each lives in its own cmd_<name>.c. */
#include "cli/cli.h"

int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_gridness(int argc, char **argv);

const cli_command cli_commands[] = {
    {"demo", "run the main job on the built-in default (what `make demo` runs)", cmd_demo},
    {"train", "train a model: `train grid` grows grid cells by path integration", cmd_train},
    {"eval", "evaluate a grid-cell run: gridness of every unit, decoding error, figures", cmd_eval},
    {"bench", "built-in benchmarks (cogmap bench --help)", cmd_bench},
    {"analyze", "classify units of an activity file (HD, ego/allo BVC, place, border) as SMP's figure 2", cmd_analyze},
    {"gridness", "DeepMind's gridness of rate maps [N, n, n] as CSV (and a figure)", cmd_gridness},
    {NULL, NULL, NULL},
};
