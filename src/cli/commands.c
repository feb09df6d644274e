/* The table of subcommands. Each lives in its own cmd_<name>.c. */
#include "cli/cli.h"

int cmd_demo(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_maze(int argc, char **argv);
int cmd_analyze(int argc, char **argv);
int cmd_gridness(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_figure(int argc, char **argv);
int cmd_sweep(int argc, char **argv);
int cmd_map(int argc, char **argv);

const cli_command cli_commands[] = {
    {"demo", "run the main job on the built-in default (what `make demo` runs)", cmd_demo},
    {"train", "train a model: `train grid` grows grid cells by path integration, `train smp` the Spatial Memory Pipeline, `train bev` SSM-PC's BEV predictor, `train detector` its target detector, `train coop` the cooperative-search link and policy, `train social` social place cells, `train link` the learned link", cmd_train},
    {"eval", "evaluate a run: grid-cell (gridness, decoding error), SMP (cell types, figures 2 and 3), BEV (alpha IoU), detector (AP, position error), social (unit classes) or link (partner error, bits)", cmd_eval},
    {"simulate", "trajectories of agents in an open arena: trajectory.npz and a preview", cmd_simulate},
    {"maze", "generate a Memory-Maze layout; with --out, explore it and write a dataset", cmd_maze},
    {"map", "one agent maps a maze from predicted BEVs: spatial memory, targets, pose drift", cmd_map},
    {"analyze", "classify units of an activity file (HD, ego/allo BVC, place, border) as SMP's figure 2", cmd_analyze},
    {"gridness", "DeepMind's gridness of rate maps [N, n, n] as CSV (and a figure)", cmd_gridness},
    {"bench", "built-in benchmarks (cogmap bench --help)", cmd_bench},
    {"figure", "SMP's figures 2 and 3 from DeepMind's released data or a cogmap SMP run", cmd_figure},
    {"sweep", "train a grid of settings (over MPI ranks), one run each, one table (sweep.csv)", cmd_sweep},
    {NULL, NULL, NULL},
};
