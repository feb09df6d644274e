/* The timed loop of `cogmap bench train` for the path-integration presets
 * (cogmap/bench.h): training steps on random inputs of the preset's shapes,
 * the machine's sgemm ceiling measured in the same run, and the memory
 * against the model's own bytes. */
#include "cogmap/bench.h"
#include "cogmap/models.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Best of a few square 1024 sgemms: the machine's matrix-product ceiling now. */
static double sgemm_gflops(void)
{
    const int n = 1024;
    float *a = cm_alloc((size_t)n * n * sizeof(float)), *b = cm_alloc((size_t)n * n * sizeof(float));
    float *c = cm_alloc((size_t)n * n * sizeof(float));
    double best = 1e30;
    if (a && b && c) {
        cm_rng r;
        cm_rng_seed(&r, 1, 99);
        cm_rng_fill_uniform(&r, a, (size_t)n * n, -1, 1);
        cm_rng_fill_uniform(&r, b, (size_t)n * n, -1, 1);
        for (int rep = 0; rep < 6; rep++) {
            double t0 = cm_now();
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, b, n, 0.0f, c, n);
            double dt = cm_now() - t0;
            if (rep > 0 && dt < best) /* the first one warms caches and threads */
                best = dt;
        }
    }
    cm_free(a), cm_free(b), cm_free(c);
    return best < 1e30 ? 2.0 * n * n * (double)n / best * 1e-9 : 0.0;
}

/* Rows of softmax-like targets (positive, summing to 1). */
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

/* Steps that take a few seconds of one core at the preset's own shapes. */
static int64_t default_steps(const char *preset)
{
    return strcmp(preset, "sorscher") == 0 ? 3 : strcmp(preset, "sorscher-512") == 0 ? 10 : 30;
}

cm_status cm_bench_pathint(const char *preset, int batch, int seq_len, int hidden, int64_t steps, uint64_t seed,
                           cm_bench_pathint_result *out)
{
    memset(out, 0, sizeof *out);
    if (!preset || batch < 0 || seq_len < 0 || hidden < 0 || steps < 0)
        return cm_error(CM_ERR_ARG, "bench train: batch %d, seq_len %d, hidden %d, steps %lld: expected >= 0 (0: the "
                                    "preset's)", batch, seq_len, hidden, (long long)steps);
    cm_pathint_config cfg;
    cm_status st = cm_pathint_preset(preset, &cfg);
    if (st != CM_OK)
        return st;
    if (batch)
        cfg.batch = batch;
    if (seq_len)
        cfg.seq_len = seq_len;
    if (hidden)
        cfg.hidden = hidden;
    out->steps = steps ? steps : default_steps(preset);
    out->batch = cfg.batch, out->seq_len = cfg.seq_len, out->hidden = cfg.hidden;
    out->threads = cm_threads();
    out->baseline_rss = cm_peak_rss_bytes(); /* the program, its libraries and BLAS before any model */

    cm_pathint *m = NULL;
    cm_pathint_state *state = NULL;
    cm_optim optim;
    memset(&optim, 0, sizeof optim);
    st = cm_pathint_create(&cfg, seed, &m);
    if (st == CM_OK)
        st = cm_pathint_state_create(m, cfg.batch, cfg.seq_len, &state);
    if (st == CM_OK)
        st = cm_pathint_optim_init(m, &optim);
    const int B = cfg.batch, T = cfg.seq_len, P = cfg.n_place, Hd = cfg.n_hd;
    const size_t nv = (size_t)B * T * cfg.input_size, np = (size_t)B * T * P, nh = (size_t)B * T * Hd;
    float *vel = NULL, *ip = NULL, *pl = NULL, *ih = NULL, *hd = NULL;
    if (st == CM_OK) {
        vel = cm_alloc(nv * sizeof(float)), ip = cm_alloc((size_t)B * P * sizeof(float));
        pl = cm_alloc(np * sizeof(float)), ih = cm_alloc((size_t)B * (Hd + 1) * sizeof(float));
        hd = cm_alloc((nh + 1) * sizeof(float));
        if (!vel || !ip || !pl || !ih || !hd)
            st = cm_error(CM_ERR_NOMEM, "bench train: cannot allocate the batch");
    }
    if (st == CM_OK) {
        cm_rng r, dropout;
        cm_rng_seed(&dropout, seed, 1);
        cm_rng_seed(&r, seed, 7);
        cm_rng_fill_normal(&r, vel, nv, 0.0f, 0.1f);
        soft_rows(&r, ip, (size_t)B, P);
        soft_rows(&r, pl, (size_t)B * T, P);
        if (Hd) {
            soft_rows(&r, ih, (size_t)B, Hd);
            soft_rows(&r, hd, (size_t)B * T, Hd);
        }
        cm_pathint_batch in = {vel, ip, Hd ? ih : NULL, pl, Hd ? hd : NULL, 0, 0};
        /* warm-up: page faults, BLAS buffers, threads */
        st = cm_pathint_step(m, state, &optim, &in, &dropout, &out->final_loss);
        const double t0 = cm_now();
        for (int64_t k = 0; k < out->steps && st == CM_OK; k++)
            st = cm_pathint_step(m, state, &optim, &in, &dropout, &out->final_loss);
        out->seconds = cm_now() - t0;
    }
    if (st == CM_OK) {
        out->peak_rss = cm_peak_rss_bytes(); /* before the sgemm probe adds its 12 MB */
        out->steps_per_s = (double)out->steps / (out->seconds > 0 ? out->seconds : 1e-9);
        out->step_flops = cm_pathint_step_flops(&cfg);
        out->gflops = out->steps_per_s * out->step_flops * 1e-9;
        out->sgemm_gflops = sgemm_gflops();
        out->sgemm_share = out->sgemm_gflops > 0 ? out->gflops / out->sgemm_gflops : 0.0;
        out->param_bytes = cm_pathint_param_bytes(m);
        out->optim_bytes = cm_optim_state_floats(&optim) * sizeof(float);
        out->activation_bytes = cm_pathint_activation_bytes(state);
        out->model_bytes = out->param_bytes + out->optim_bytes + out->activation_bytes;
    }
    cm_free(vel), cm_free(ip), cm_free(pl), cm_free(ih), cm_free(hd);
    cm_optim_free(&optim);
    cm_pathint_state_free(state);
    cm_pathint_free(m);
    return st;
}
