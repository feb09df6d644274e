/* `cogmap bench dist`: training steps through the generic trainer
 * (cm_train_run) of a grid-cell preset, SMP or a BEV preset, in whatever job it runs in:
 * plain, or `mpirun -np N` (data-parallel, the same global batch). The job's
 * evaluation and checkpoint files are left out, so the time is the steps':
 * shards' gradients, the all-reduce, the update. Prints steps/s, the bytes
 * all-reduced per step and the step's FLOPs (pathint). bench/dist.sh runs
 * 1 rank x 1 thread, 2 ranks x 1 thread and 1 rank x 2 threads. */
#include "cli/cli.h"
#include "cogmap/dist.h"
#include "cogmap/bench.h"

#include <string.h>

static const char bench_dist_usage[] =
    "usage: cogmap bench dist [--model grid|smp|bev] [--preset P] [--steps N] [--set key=value]... [--threads N]\n"
    "Times training steps of the generic trainer: `train grid` (preset ssmpc, banino, sorscher,\n"
    "sorscher-512; default ssmpc), `train smp` or `train bev` (preset bev, the default, or\n"
    "bev-small; on generated mazes), its evaluation and checkpoint files left out,\n"
    "after 2 warm-up steps. Under `mpirun -np N` the same global batch is split over the ranks.\n"
    "Prints steps/s, seconds per step, the parameters all-reduced per step and (grid) the\n"
    "step's GFLOP.\n";

#define MAX_SETS 32

int bench_dist(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *model = "grid", *preset = NULL, *sets[MAX_SETS];
    long long steps = 10;
    cli_list set_list = {sets, 0, MAX_SETS};
    const cli_opt opts[] = {{"--model", CLI_CHOICE, &model, 0, 0, "--model: expected grid, smp or bev, got '%s'", "grid|smp|bev"},
                            {"--preset", CLI_STRING, &preset},
                            {"--steps", CLI_INT, &steps, 1, 1000000},
                            {"--set", CLI_LIST, &set_list, 0, 0, "--set: at most %d"},
                            {0}};
    int rc = cli_parse("bench dist", bench_dist_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    cm_set_threads(common.threads);
    const int has_preset = strcmp(model, "smp") != 0, is_bev = strcmp(model, "bev") == 0;
    cm_bench_train_result res;
    cm_status st = cm_bench_train(model, preset, sets, set_list.n, steps, common.seed, &res);
    if (res.scratch_left[0])
        fprintf(stderr, "bench dist: could not remove %s\n", res.scratch_left);
    if (st != CM_OK)
        return cli_fail("bench dist", st);
    const double dt = res.seconds;
    const size_t n = res.n_params;
    printf("model: %s%s%s\n", model, has_preset ? " " : "", has_preset ? (preset ? preset : is_bev ? "bev" : "ssmpc") : "");
    printf("ranks: %d\n", cm_dist_size());
    printf("threads per rank: %d\n", cm_threads());
    printf("global batch: %d\n", res.batch);
    printf("steps: %lld\n", steps);
    printf("steps/s: %.3f\n", (double)steps / dt);
    printf("seconds/step: %.4f\n", dt / (double)steps);
    printf("parameters: %zu\n", n);
    printf("bytes all-reduced per step: %zu\n", n * sizeof(float));
    if (res.step_flops > 0)
        printf("step GFLOP: %.4f\n", res.step_flops * 1e-9);
    printf("final loss: %.6f\n", res.final_loss);
    return CLI_EXIT_OK;
}
