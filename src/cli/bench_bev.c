/* `cogmap bench train --preset bev|bev-small`: the BEV predictor's speed as
 * cm_bench_bev (cogmap/bench.h) times it, in images per second of wall clock
 * and per second of this process's CPU time (the figure that survives a
 * machine shared with other jobs). */
#include "cli/cli.h"
#include "cogmap/bench.h"

static const char bench_bev_usage[] =
    "usage: cogmap bench train --preset bev|bev-small [--steps N] [--batch N] [--threads N] [--seed N]\n"
    "Times SSM-PC's BEV predictor (bev) or its small preset on random 64x64 frames and targets:\n"
    "training steps (forward, loss, backward, Adam) and inference forwards after one warm-up each.\n"
    "Prints images/s (training), inference images/s, the same per CPU-second, and peak memory.\n"
    "bench/bev.sh runs the same model in PyTorch and prints the ratios.\n";

int bench_bev(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *preset = "bev";
    long long steps = 3, batch = 0;
    const cli_opt opts[] = {{"--preset", CLI_STRING, &preset},
                            {"--steps", CLI_INT, &steps, 1, 100000},
                            {"--batch", CLI_INT, &batch, 1, 4096},
                            {0}};
    int rc = cli_parse("bench train", bench_bev_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    cm_set_threads(common.threads);
    cm_bench_bev_result res;
    cm_status st = cm_bench_bev(preset, (int)batch, steps, common.seed, &res);
    if (st == CM_ERR_ARG)
        return cli_usage_error("bench train", "--preset: %s", cm_errmsg());
    if (st != CM_OK)
        return cli_fail("bench train", st);
    const double img = (double)res.batch * steps;
    printf("preset: %s\n", preset);
    printf("threads: %d\n", cm_threads());
    printf("batch: %d\n", res.batch);
    printf("parameters: %zu\n", res.n_params);
    printf("steps: %lld\n", steps);
    printf("final loss: %.6f\n", res.final_loss);
    printf("images/s: %.2f\n", img / res.train_wall_s);
    printf("images/cpu-s: %.2f\n", img / res.train_cpu_s);
    printf("inference images/s: %.2f\n", img / res.infer_wall_s);
    printf("inference images/cpu-s: %.2f\n", img / res.infer_cpu_s);
    printf("state MB: %.1f training, %.1f inference\n", res.train_state_bytes / 1048576.0,
           res.infer_state_bytes / 1048576.0);
    printf("peak RSS MB: %.1f\n", cm_peak_rss_bytes() / 1048576.0);
    return CLI_EXIT_OK;
}
