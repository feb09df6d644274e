/* `cogmap bench train`: training steps of a path-integration preset on random
 * inputs of its shapes; prints steps/s, the FLOP rate, the sgemm rate measured
 * in the same run and the share, and peak memory against the model's bytes. */
#include "cli/cli.h"
#include "cogmap/bench.h"

#include <string.h>

static const char bench_train_usage[] =
    "usage: cogmap bench train [--preset NAME] [--steps N] [--threads N] [--seed N]\n"
    "                          [--batch N] [--seq-len N] [--hidden N]\n"
    "Trains a path-integration preset (ssmpc, banino, sorscher-512, sorscher; default\n"
    "ssmpc) on random inputs of its shapes after one warm-up step, and prints steps/s,\n"
    "GFLOP/s, the sgemm GFLOP/s of a square 1024 product measured in the same run, the\n"
    "share, and peak memory against the bytes of parameters, optimiser state and\n"
    "activations. bench/train.sh runs the same model in PyTorch and prints the ratio.\n"
    "With --preset bev or bev-small it times the BEV predictor instead (images/s; see\n"
    "`cogmap bench train --preset bev --help`).\n";

/* The BEV predictor's presets are timed by bench_bev.c. */
int bench_bev(int argc, char **argv);

int bench_train(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) { /* --preset bev... and --preset=bev... */
        const char *v = strncmp(argv[i], "--preset=", 9) == 0 ? argv[i] + 9 : NULL;
        if ((v || (strcmp(argv[i], "--preset") == 0 && (v = argv[i + 1]))) && strncmp(v, "bev", 3) == 0)
            return bench_bev(argc, argv);
    }
    cli_common common;
    cli_common_defaults(&common);
    const char *preset = "ssmpc";
    long long steps = 0, batch = 0, seq_len = 0, hidden = 0;
    const cli_opt opts[] = {{"--preset", CLI_STRING, &preset},
                            {"--steps", CLI_INT, &steps, 1, 1000000},
                            {"--batch", CLI_INT, &batch, 1, 100000},
                            {"--seq-len", CLI_INT, &seq_len, 1, 100000},
                            {"--hidden", CLI_INT, &hidden, 1, 65536},
                            {0}};
    int rc = cli_parse("bench train", bench_train_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    cm_set_threads(common.threads);
    cm_bench_pathint_result r;
    cm_status st = cm_bench_pathint(preset, (int)batch, (int)seq_len, (int)hidden, steps, common.seed, &r);
    if (st == CM_ERR_ARG)
        return cli_usage_error("bench train", "%s", cm_errmsg());
    if (st != CM_OK)
        return cli_fail("bench train", st);
    const double MB = 1048576.0, model = (double)r.model_bytes;
    printf("preset: %s\nthreads: %d\n", preset, r.threads);
    printf("shape: batch %d, steps %d, hidden %d\n", r.batch, r.seq_len, r.hidden);
    printf("steps: %lld\nfinal loss: %.6f\nsteps/s: %.3f\n", (long long)r.steps, r.final_loss, r.steps_per_s);
    printf("step GFLOP: %.4f\nGFLOP/s: %.2f\n", r.step_flops * 1e-9, r.gflops);
    printf("sgemm GFLOP/s: %.2f\nshare of sgemm: %.1f%%\n", r.sgemm_gflops, 100.0 * r.sgemm_share);
    printf("model MB: %.2f (params+grads %.2f, optimiser %.2f, activations %.2f)\n", model / MB, r.param_bytes / MB,
           r.optim_bytes / MB, r.activation_bytes / MB);
    printf("peak RSS MB: %.2f\nbaseline RSS MB: %.2f\n", r.peak_rss / MB, r.baseline_rss / MB);
    printf("peak/model: %.2f\n", model > 0 ? (double)r.peak_rss / model : 0.0);
    const size_t base = r.baseline_rss < r.peak_rss ? r.baseline_rss : r.peak_rss;
    printf("(peak-baseline)/model: %.2f\n", model > 0 ? (double)(r.peak_rss - base) / model : 0.0);
    return CLI_EXIT_OK;
}
