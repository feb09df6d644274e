/* `cogmap bench train --preset bev|bev-small`: the BEV predictor's speed on
 * random frames and targets, as bench/bev_torch.py times PyTorch: a training
 * step (forward, BEVLoss, backward, Adam) and an inference forward, in images
 * per second of wall clock and per second of this process's CPU time (the
 * figure that survives a machine shared with other jobs). */
#include "cli/cli.h"
#include "cogmap/bevnet.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char bench_bev_usage[] =
    "usage: cogmap bench train --preset bev|bev-small [--steps N] [--batch N] [--threads N] [--seed N]\n"
    "Times SSM-PC's BEV predictor (bev) or its small preset on random 64x64 frames and targets:\n"
    "training steps (forward, loss, backward, Adam) and inference forwards after one warm-up each.\n"
    "Prints images/s (training), inference images/s, the same per CPU-second, and peak memory.\n"
    "bench/bev.sh runs the same model in PyTorch and prints the ratios.\n";

static double cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

int bench_bev(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *preset = "bev";
    long long steps = 3, batch = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r = cli_standard_option(&common, bench_bev_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (strcmp(argv[i], "--preset") == 0) {
            if (cli_option_value(argc, argv, &i, &preset) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--steps") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--steps", v, 1, 100000, &steps) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--batch") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--batch", v, 1, 4096, &batch) < 0)
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error("bench train", "unknown option '%s' (see --help)", argv[i]);
        }
    }
    cm_bevnet_config cfg;
    if (cm_bevnet_preset(preset, &cfg) != CM_OK)
        return cli_usage_error("bench train", "--preset: %s", cm_errmsg());
    if (batch)
        cfg.batch = (int)batch;
    cm_set_threads(common.threads);
    const int B = cfg.batch;
    cm_bevnet *m = NULL;
    cm_bevnet_state *s = NULL, *si = NULL;
    cm_optim opt;
    memset(&opt, 0, sizeof opt);
    const size_t in = (size_t)B * cfg.image * cfg.image * 3, tn = (size_t)B * cfg.out * cfg.out * 4;
    uint8_t *rgb = cm_alloc(in), *tgt = cm_alloc(tn);
    float *grad = NULL, *pred = cm_alloc((size_t)B * 4 * cfg.out * cfg.out * sizeof(float));
    cm_status st = rgb && tgt && pred ? CM_OK : cm_error(CM_ERR_NOMEM, "bench train: out of memory");
    if (st == CM_OK)
        st = cm_bevnet_create(&cfg, common.seed, &m);
    if (st == CM_OK)
        st = cm_bevnet_state_create(m, B, 1, &s);
    if (st == CM_OK)
        st = cm_bevnet_state_create(m, B, 0, &si);
    if (st == CM_OK) {
        cm_params *p = cm_bevnet_params(m);
        cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
        oc.lr = cfg.lr;
        st = cm_optim_init(&opt, &oc, p->total);
        if (st == CM_OK && !(grad = cm_calloc(p->total, sizeof(float))))
            st = cm_error(CM_ERR_NOMEM, "bench train: out of memory");
    }
    if (st != CM_OK)
        goto done;
    cm_rng r;
    cm_rng_seed(&r, common.seed, 7);
    for (size_t i = 0; i < in; i++)
        rgb[i] = (uint8_t)cm_rng_below(&r, 256);
    for (size_t i = 0; i < tn; i++) /* visible floor in a tenth of the pixels, as in real BEVs */
        tgt[i] = cm_rng_float(&r) < 0.1f ? 255 : 0;
    cm_bevnet_batch b = {B, rgb, tgt, 1.0f};
    double loss = 0.0, wall[2], cpu[2];
    for (int phase = 0; phase < 2 && st == CM_OK; phase++) {
        for (long long k = -1; k < steps && st == CM_OK; k++) { /* k = -1: the warm-up */
            if (k == 0) {
                wall[phase] = cm_now();
                cpu[phase] = cpu_seconds();
            }
            if (phase == 0) {
                st = cm_bevnet_forward(m, s, &b, &r, &loss);
                if (st == CM_OK)
                    st = cm_bevnet_backward(m, s, grad);
                if (st == CM_OK) {
                    cm_params *p = cm_bevnet_params(m);
                    cm_bevnet_update_running(m, grad);
                    cm_optim_step(&opt, p->params, grad);
                    memset(grad, 0, p->total * sizeof(float));
                }
            } else {
                st = cm_bevnet_predict(m, si, rgb, B, pred);
            }
        }
        wall[phase] = cm_now() - wall[phase];
        cpu[phase] = cpu_seconds() - cpu[phase];
    }
    if (st != CM_OK)
        goto done;
    const double img = (double)B * steps;
    printf("preset: %s\n", preset);
    printf("threads: %d\n", cm_threads());
    printf("batch: %d\n", B);
    printf("parameters: %zu\n", cm_bevnet_n_trainable(m));
    printf("steps: %lld\n", steps);
    printf("final loss: %.6f\n", loss);
    printf("images/s: %.2f\n", img / wall[0]);
    printf("images/cpu-s: %.2f\n", img / cpu[0]);
    printf("inference images/s: %.2f\n", img / wall[1]);
    printf("inference images/cpu-s: %.2f\n", img / cpu[1]);
    printf("state MB: %.1f training, %.1f inference\n", cm_bevnet_state_bytes(s) / 1048576.0,
           cm_bevnet_state_bytes(si) / 1048576.0);
    printf("peak RSS MB: %.1f\n", cm_peak_rss_bytes() / 1048576.0);
done:
    cm_optim_free(&opt);
    cm_free(grad);
    cm_free(pred);
    cm_free(rgb);
    cm_free(tgt);
    cm_bevnet_state_free(s);
    cm_bevnet_state_free(si);
    cm_bevnet_free(m);
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("bench train", st);
}
