/* `cogmap bench train`: training steps of a path-integration preset on random
 * inputs of its shapes; prints steps/s, the FLOP rate, the sgemm rate measured
 * in the same run and the share, and peak memory against the model's bytes. */
#include "cli/cli.h"
#include "cogmap/models.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char bench_train_usage[] =
    "usage: cogmap bench train [--preset NAME] [--steps N] [--threads N] [--seed N]\n"
    "                          [--batch N] [--seq-len N] [--hidden N]\n"
    "Trains a path-integration preset (ssmpc, banino, sorscher-512, sorscher; default\n"
    "ssmpc) on random inputs of its shapes after one warm-up step, and prints steps/s,\n"
    "GFLOP/s, the sgemm GFLOP/s of a square 1024 product measured in the same run, the\n"
    "share, and peak memory against the bytes of parameters, optimiser state and\n"
    "activations. bench/train.sh runs the same model in PyTorch and prints the ratio.\n";

/* Best of a few square 1024 sgemms: the machine's matrix-product ceiling now. */
static double sgemm_gflops(void)
{
    const int n = 1024;
    float *a = cm_alloc((size_t)n * n * sizeof(float)), *b = cm_alloc((size_t)n * n * sizeof(float));
    float *c = cm_alloc((size_t)n * n * sizeof(float));
    if (!a || !b || !c) {
        cm_free(a), cm_free(b), cm_free(c);
        return 0.0;
    }
    cm_rng r;
    cm_rng_seed(&r, 1, 99);
    cm_rng_fill_uniform(&r, a, (size_t)n * n, -1, 1);
    cm_rng_fill_uniform(&r, b, (size_t)n * n, -1, 1);
    double best = 1e30;
    for (int rep = 0; rep < 6; rep++) {
        double t0 = cm_now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
        double dt = cm_now() - t0;
        if (rep > 0 && dt < best) /* the first one warms caches and threads */
            best = dt;
    }
    cm_free(a), cm_free(b), cm_free(c);
    return 2.0 * n * n * (double)n / best * 1e-9;
}

static void soft_rows(cm_rng *r, float *y, size_t rows, int c)
{
    for (size_t i = 0; i < rows; i++) {
        float *row = y + i * c, s = 0.0f;
        for (int k = 0; k < c; k++)
            s += row[k] = expf(2.0f * (float)cm_rng_normal(r));
        for (int k = 0; k < c; k++)
            row[k] /= s;
    }
}

static int default_steps(const char *preset)
{
    if (strcmp(preset, "sorscher") == 0)
        return 3;
    if (strcmp(preset, "sorscher-512") == 0)
        return 10;
    return 30;
}

int bench_train(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *preset = "ssmpc";
    long long steps = 0, batch = 0, seq_len = 0, hidden = 0;
    for (int i = 1; i < argc; i++) {
        const char *v;
        int r = cli_standard_option(&common, bench_train_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (strcmp(argv[i], "--preset") == 0) {
            if (cli_option_value(argc, argv, &i, &preset) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--steps") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--steps", v, 1, 1000000, &steps) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--batch") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--batch", v, 1, 100000, &batch) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--seq-len") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--seq-len", v, 1, 100000, &seq_len) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--hidden") == 0) {
            if (cli_option_value(argc, argv, &i, &v) < 0 || cli_parse_int("--hidden", v, 1, 65536, &hidden) < 0)
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error("bench train", "unknown option '%s' (see --help)", argv[i]);
        }
    }
    cm_pathint_config cfg;
    if (cm_pathint_preset(preset, &cfg) != CM_OK)
        return cli_usage_error("bench train", "--preset: %s", cm_errmsg());
    if (batch)
        cfg.batch = (int)batch;
    if (seq_len)
        cfg.seq_len = (int)seq_len;
    if (hidden)
        cfg.hidden = (int)hidden;
    if (!steps)
        steps = default_steps(preset);
    cm_set_threads(common.threads);
    size_t baseline = cm_peak_rss_bytes(); /* the program, its libraries and BLAS before any model */

    cm_pathint *m = NULL;
    cm_pathint_state *state = NULL;
    cm_optim optim;
    memset(&optim, 0, sizeof optim);
    cm_status s = cm_pathint_create(&cfg, common.seed, &m);
    if (!s)
        s = cm_pathint_state_create(m, cfg.batch, cfg.seq_len, &state);
    if (!s)
        s = cm_pathint_optim_init(m, &optim);
    if (s) {
        cm_pathint_state_free(state);
        cm_pathint_free(m);
        return cli_fail("bench train", s);
    }
    cm_rng dropout;
    cm_rng_seed(&dropout, common.seed, 1);
    int B = cfg.batch, T = cfg.seq_len, P = cfg.n_place, Hd = cfg.n_hd;
    size_t nv = (size_t)B * T * cfg.input_size, np = (size_t)B * T * P, nh = (size_t)B * T * Hd;
    float *vel = cm_alloc(nv * sizeof(float)), *ip = cm_alloc((size_t)B * P * sizeof(float));
    float *pl = cm_alloc(np * sizeof(float)), *ih = cm_alloc((size_t)B * (Hd + 1) * sizeof(float));
    float *hd = cm_alloc((nh + 1) * sizeof(float));
    if (!vel || !ip || !pl || !ih || !hd) {
        cm_free(vel), cm_free(ip), cm_free(pl), cm_free(ih), cm_free(hd);
        cm_optim_free(&optim), cm_pathint_state_free(state), cm_pathint_free(m);
        return cli_fail("bench train", cm_error(CM_ERR_NOMEM, "bench train: cannot allocate the batch"));
    }
    cm_rng r;
    cm_rng_seed(&r, common.seed, 7);
    cm_rng_fill_normal(&r, vel, nv, 0.0f, 0.1f);
    soft_rows(&r, ip, (size_t)B, P);
    soft_rows(&r, pl, (size_t)B * T, P);
    if (Hd) {
        soft_rows(&r, ih, (size_t)B, Hd);
        soft_rows(&r, hd, (size_t)B * T, Hd);
    }
    cm_pathint_batch batch_in = {vel, ip, Hd ? ih : NULL, pl, Hd ? hd : NULL, 0, 0};

    double loss = 0.0;
    s = cm_pathint_step(m, state, &optim, &batch_in, &dropout, &loss); /* warm-up: page faults, BLAS buffers, threads */
    double t0 = cm_now();
    for (long long k = 0; k < steps && s == CM_OK; k++)
        s = cm_pathint_step(m, state, &optim, &batch_in, &dropout, &loss);
    double dt = cm_now() - t0;
    if (s) {
        cm_free(vel), cm_free(ip), cm_free(pl), cm_free(ih), cm_free(hd);
        cm_optim_free(&optim), cm_pathint_state_free(state), cm_pathint_free(m);
        return cli_fail("bench train", s);
    }
    size_t peak = cm_peak_rss_bytes(); /* before the sgemm probe adds its 12 MB */
    double sps = (double)steps / dt, flops = cm_pathint_step_flops(&cfg), gf = sps * flops * 1e-9;
    double sg = sgemm_gflops();
    size_t pb = cm_pathint_param_bytes(m), ob = cm_optim_state_floats(&optim) * sizeof(float);
    size_t ab = cm_pathint_activation_bytes(state);
    size_t model = pb + ob + ab;
    printf("preset: %s\n", preset);
    printf("threads: %d\n", cm_threads());
    printf("shape: batch %d, steps %d, hidden %d\n", B, T, cfg.hidden);
    printf("steps: %lld\n", steps);
    printf("final loss: %.6f\n", loss);
    printf("steps/s: %.3f\n", sps);
    printf("step GFLOP: %.4f\n", flops * 1e-9);
    printf("GFLOP/s: %.2f\n", gf);
    printf("sgemm GFLOP/s: %.2f\n", sg);
    printf("share of sgemm: %.1f%%\n", sg > 0 ? 100.0 * gf / sg : 0.0);
    printf("model MB: %.2f (params+grads %.2f, optimiser %.2f, activations %.2f)\n", model / 1048576.0,
           pb / 1048576.0, ob / 1048576.0, ab / 1048576.0);
    printf("peak RSS MB: %.2f\n", peak / 1048576.0);
    printf("baseline RSS MB: %.2f\n", baseline / 1048576.0);
    printf("peak/model: %.2f\n", model ? (double)peak / (double)model : 0.0);
    printf("(peak-baseline)/model: %.2f\n", model ? (double)(peak - (baseline < peak ? baseline : peak)) / (double)model : 0.0);
    cm_free(vel), cm_free(ip), cm_free(pl), cm_free(ih), cm_free(hd);
    cm_optim_free(&optim), cm_pathint_state_free(state), cm_pathint_free(m);
    return CLI_EXIT_OK;
}
