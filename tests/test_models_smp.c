/* The Spatial Memory Pipeline: spec vectors (smp.md §10), gradients of the
 * memory read-out, the SMP LSTM step and the correction path against finite
 * differences, the whole model's backward, training lowering the loss, and
 * bit-identical resume. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cogmap/io.h"
#include "cogmap/smp.h"
#include "models/smp_encoder.h"
#include "models/smp_internal.h"
#include "spec_vectors.h"
#include "test_util.h"

/* ------------------------------------------------------------- LSTM step */

/* smp.md §10 "LSTM step" (spec_vectors.h) through the model's cell and,
 * the same step, the nn module's sequence version. */
static void test_cell_spec_vector(void **state)
{
    (void)state;
    cmt_smp_lstm_vector v;
    cmt_smp_lstm_vector_init(&v);
    float h1[4], c1[4], gates[16], zin[6];
    cm_smp_cell_forward(h1, c1, gates, zin, v.u, v.h0, v.c0, v.w, v.b, 1, 2, 4);
    for (int k = 0; k < 4; k++) {
        assert_true(fabs(h1[k] - v.h1[k]) < 2e-6);
        assert_true(fabs(c1[k] - v.c1[k]) < 2e-6);
    }
    float hs[8], cs[8], g2[16];
    memcpy(hs, v.h0, sizeof v.h0);
    memcpy(cs, v.c0, sizeof v.c0);
    cm_smp_lstm_forward(hs, cs, g2, v.u, v.w, v.b, 1, 1, 2, 4);
    for (int k = 0; k < 4; k++)
        assert_true(fabs(hs[4 + k] - h1[k]) < 1e-6 && fabs(cs[4 + k] - c1[k]) < 1e-6);
}

enum { CB = 3, CIN = 2, CH = 5 };
typedef struct cell_ctx {
    float u[CB * CIN], h0[CB * CH], c0[CB * CH], w[(CIN + CH) * 4 * CH], b[4 * CH];
    float rh[CB * CH], rc[CB * CH]; /* loss = sum rh h1 + rc c1 */
} cell_ctx;

static double cell_loss(void *p)
{
    cell_ctx *c = p;
    float h1[CB * CH], c1[CB * CH], gates[CB * 4 * CH], zin[CB * (CIN + CH)];
    cm_smp_cell_forward(h1, c1, gates, zin, c->u, c->h0, c->c0, c->w, c->b, CB, CIN, CH);
    double l = 0;
    for (int i = 0; i < CB * CH; i++)
        l += (double)c->rh[i] * h1[i] + (double)c->rc[i] * c1[i];
    return l;
}

static void test_cell_gradients(void **state)
{
    (void)state;
    cell_ctx c;
    cmt_randn(c.u, CB * CIN, 1, 1);
    cmt_randn(c.h0, CB * CH, 0.5f, 2);
    cmt_randn(c.c0, CB * CH, 0.5f, 3);
    cmt_randn(c.w, sizeof c.w / sizeof(float), 0.4f, 4);
    cmt_randn(c.b, 4 * CH, 0.2f, 5);
    cmt_randn(c.rh, CB * CH, 1, 6);
    cmt_randn(c.rc, CB * CH, 1, 7);
    float h1[CB * CH], c1[CB * CH], gates[CB * 4 * CH], zin[CB * (CIN + CH)];
    cm_smp_cell_forward(h1, c1, gates, zin, c.u, c.h0, c.c0, c.w, c.b, CB, CIN, CH);
    float du[CB * CIN] = {0}, dh0[CB * CH] = {0}, dc0[CB * CH] = {0}, dw[sizeof c.w / sizeof(float)] = {0},
          db[4 * CH] = {0}, dz[CB * 4 * CH], dzin[CB * (CIN + CH)];
    smp_cell_backward(du, dh0, dc0, dw, db, c.rh, c.rc, c1, gates, zin, c.c0, c.w, CB, CIN, CH, dz, dzin);
    assert_true(cmt_gradcheck(c.u, du, CB * CIN, cell_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.h0, dh0, CB * CH, cell_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.c0, dc0, CB * CH, cell_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.w, dw, sizeof c.w / sizeof(float), cell_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.b, db, 4 * CH, cell_loss, &c, 1e-2f, 0) < 1e-2);
    /* A wrong gradient would be caught: perturb one entry. */
    dw[3] += 0.5f;
    assert_true(cmt_gradcheck(c.w, dw, sizeof c.w / sizeof(float), cell_loss, &c, 1e-2f, 0) > 0.1);
}

/* ------------------------------------------------------------ read-outs */

static void test_correction_spec_vector(void **state)
{
    (void)state;
    const float my[6] = {1, 0, 0, 1, -1, 0}, mx[6] = {1, 2, 3, 4, 5, 6}, y[2] = {.5f, .2f};
    float sim[3], w[3], code[2];
    cm_smp_similarity(sim, y, my, 1, 3, 2);
    cm_smp_correction_forward(code, w, sim, mx, 1, 3, 2, (float)M_E);
    const double ew[3] = {0.66294844, 0.2933049, 0.04374667};
    for (int s = 0; s < 3; s++)
        assert_true(fabs(w[s] - ew[s]) < 1e-6);
    assert_true(fabs(code[0] - 1.76159645) < 1e-5 && fabs(code[1] - 2.76159645) < 1e-5);
}

enum { RN = 4, RS = 6, R = 3 };
static const int RH[R] = {2, 3, 4};
typedef struct read_ctx {
    float h0[RN * 2], h1[RN * 3], h2[RN * 4];
    float m0[RS * 2], m1[RS * 3], m2[RS * 4];
    float rho[R];
    float target[RN * RS];
    /* correction part */
    float sim[RN * RS], q, rcode[RN * 4];
} read_ctx;

static double read_loss(void *p)
{
    read_ctx *c = p;
    const float *h[R] = {c->h0, c->h1, c->h2}, *mx[R] = {c->m0, c->m1, c->m2};
    float pi[R], logp[RN * RS];
    for (int r = 0; r < R; r++)
        pi[r] = expf(c->rho[r]);
    return cm_smp_predict_forward(logp, h, mx, RH, pi, R, c->target, RN, RS);
}

static void fill_read(read_ctx *c)
{
    cmt_randn(c->h0, sizeof c->h0 / 4, 1, 11);
    cmt_randn(c->h1, sizeof c->h1 / 4, 1, 12);
    cmt_randn(c->h2, sizeof c->h2 / 4, 1, 13);
    cmt_randn(c->m0, sizeof c->m0 / 4, 1, 14);
    cmt_randn(c->m1, sizeof c->m1 / 4, 1, 15);
    cmt_randn(c->m2, sizeof c->m2 / 4, 1, 16);
    cmt_randn(c->rho, R, 0.3f, 17);
    cmt_randn(c->sim, RN * RS, 1, 18);
    cmt_randn(c->rcode, RN * 4, 1, 19);
    c->q = 0.7f;
    float z[RN * RS];
    cmt_randn(z, RN * RS, 1, 20);
    cm_smp_softmax(c->target, z, RN, RS, 1.5f);
}

static void test_readout_gradients(void **state)
{
    (void)state;
    read_ctx c;
    fill_read(&c);
    const float *h[R] = {c.h0, c.h1, c.h2}, *mx[R] = {c.m0, c.m1, c.m2};
    float pi[R], logp[RN * RS], g[RN * (RS + 4)];
    for (int r = 0; r < R; r++)
        pi[r] = expf(c.rho[r]);
    cm_smp_predict_forward(logp, h, mx, RH, pi, R, c.target, RN, RS);
    float dh0[RN * 2] = {0}, dh1[RN * 3] = {0}, dh2[RN * 4] = {0}, dm0[RS * 2] = {0}, dm1[RS * 3] = {0},
          dm2[RS * 4] = {0};
    float *dh[R] = {dh0, dh1, dh2}, *dm[R] = {dm0, dm1, dm2};
    double drho[R] = {0, 0, 0};
    cm_smp_predict_backward(dh, dm, drho, logp, h, mx, RH, pi, R, c.target, RN, RS, 1.0f, g);
    float fr[R] = {(float)drho[0], (float)drho[1], (float)drho[2]};
    assert_true(cmt_gradcheck(c.h0, dh0, RN * 2, read_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.h2, dh2, RN * 4, read_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.m1, dm1, RS * 3, read_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.m2, dm2, RS * 4, read_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(c.rho, fr, R, read_loss, &c, 1e-2f, 0) < 1e-2);
    /* The loss is a cross-entropy: never below the target's entropy. */
    double ent = 0;
    for (int i = 0; i < RN * RS; i++)
        ent -= c.target[i] * log(c.target[i]);
    assert_true(read_loss(&c) >= ent - 1e-4);
}

static double corr_loss(void *p)
{
    read_ctx *c = p;
    float code[RN * 4], w[RN * RS];
    cm_smp_correction_forward(code, w, c->sim, c->m2, RN, RS, 4, expf(c->q));
    double l = 0;
    for (int i = 0; i < RN * 4; i++)
        l += (double)c->rcode[i] * code[i];
    return l;
}

static void test_correction_gradients(void **state)
{
    (void)state;
    read_ctx c;
    fill_read(&c);
    float code[RN * 4], w[RN * RS], dw[RN * RS], dm[RS * 4] = {0};
    const float gamma = expf(c.q);
    cm_smp_correction_forward(code, w, c.sim, c.m2, RN, RS, 4, gamma);
    double dq = 0;
    cm_smp_correction_backward(dm, &dq, c.rcode, w, c.sim, c.m2, RN, RS, 4, gamma, dw);
    float fq = (float)dq;
    assert_true(cmt_gradcheck(c.m2, dm, RS * 4, corr_loss, &c, 1e-2f, 0) < 1e-2);
    assert_true(cmt_gradcheck(&c.q, &fq, 1, corr_loss, &c, 1e-3f, 0) < 1e-2);
    assert_true(fabs(fq) > 1e-4); /* the check is not vacuous */
}

/* ----------------------------------------------------------- the model */

static void tiny_config(cm_smp_config *c)
{
    cm_smp_config_default(c);
    c->slots = 12;
    c->embed = 6;
    c->hidden[0] = 3, c->hidden[1] = 4, c->hidden[2] = 5;
    c->enc_channels[0] = c->enc_channels[1] = 4;
    c->enc_channels[2] = c->enc_channels[3] = 4;
    c->image = 16;
    c->batch = 3;
    c->seq_len = 4;
    c->ae_steps = 2;
}

typedef struct model_ctx {
    cm_smp *m;
    cm_smp_state *s;
    float *y;
    float *u[CM_SMP_RNNS];
    float *mask;
    float *drop[CM_SMP_RNNS]; /* all NULL: no dropout */
} model_ctx;

static double model_loss(void *p)
{
    model_ctx *c = p;
    return smp_test_loss_grad(c->m, c->s, c->y, (const float **)c->u, c->mask, c->drop[0] ? (const float **)c->drop : NULL,
                              0);
}

/* with_dropout: a fixed inverted-dropout mask (p = 0.5) on the outputs the
 * prediction reads, so that its gradient path is checked too. */
static void check_model_gradients(int with_dropout)
{
    cm_smp_config cfg;
    tiny_config(&cfg);
    model_ctx c;
    memset(&c, 0, sizeof c);
    assert_int_equal(cm_smp_create(&cfg, 5, &c.m), CM_OK);
    assert_int_equal(cm_smp_state_create(c.m, cfg.batch, cfg.seq_len, &c.s), CM_OK);
    const int B = cfg.batch, T = cfg.seq_len, R1 = (T + 1) * B;
    c.y = malloc((size_t)R1 * cfg.embed * sizeof(float));
    cmt_randn(c.y, (size_t)R1 * cfg.embed, 0.5f, 30);
    cmt_randn(c.m->my, (size_t)cfg.slots * cfg.embed, 0.5f, 31);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        c.u[r] = malloc((size_t)R1 * cm_smp_input_dim(r) * sizeof(float));
        cmt_randn(c.u[r], (size_t)R1 * cm_smp_input_dim(r), 1, 40 + r);
    }
    c.mask = calloc(R1, sizeof(float));
    for (int i = B; i < R1; i++)
        c.mask[i] = (i % 3) == 0; /* some corrections, some not */
    for (int r = 0; with_dropout && r < CM_SMP_RNNS; r++) {
        const int n = T * B * cfg.hidden[r];
        c.drop[r] = malloc((size_t)n * sizeof(float));
        for (int i = 0; i < n; i++)
            c.drop[r][i] = ((i * 7 + r) % 5) < 2 ? 0.0f : 2.0f;
    }
    /* Softer temperatures so that float differences stay informative. */
    cm_params_data(&c.m->p, cm_params_find(&c.m->p, "integrator/multi_integrator_nets/mmap_0_context_2_query_beta"))[0] =
        logf(2.0f);
    c.m->log_beta = log(2.0);
    smp_test_loss_grad(c.m, c.s, c.y, (const float **)c.u, c.mask, with_dropout ? (const float **)c.drop : NULL, 1);
    const char *names[] = {"integrator/multi_integrator_nets/prediction_rnn_0/w_gates",
                           "integrator/multi_integrator_nets/prediction_rnn_1/b_gates",
                           "integrator/multi_integrator_nets/correction_rnn_2/w_gates",
                           "integrator/multi_integrator_nets/correction_rnn_0/b_gates",
                           "integrator/memory_map_0/column_context_3",
                           "integrator/memory_map_0/column_context_5",
                           "integrator/multi_integrator_nets/log_pi",
                           "integrator/multi_integrator_nets/mmap_0_context_2_query_beta"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        const int i = cm_params_find(&c.m->p, names[k]);
        assert_true(i >= 0);
        const cm_tensor_info *t = &c.m->p.tensors[i];
        float *ana = malloc(t->count * sizeof(float));
        memcpy(ana, cm_params_grad(&c.m->p, i), t->count * sizeof(float));
        double norm = 0;
        for (size_t j = 0; j < t->count; j++)
            norm += fabs(ana[j]);
        assert_true(norm > 1e-6); /* every tensor takes part */
        const double err = cmt_gradcheck(cm_params_data(&c.m->p, i), ana, t->count, model_loss, &c, 1e-2f, 24);
        if (!(err < 2e-2))
            fprintf(stderr, "gradient of %s off by %g\n", names[k], err);
        assert_true(err < 2e-2);
        free(ana);
    }
    if (with_dropout) {
        /* The mask changes the loss: dropout is really applied. */
        const double dropped = model_loss(&c);
        float *keep[CM_SMP_RNNS];
        for (int r = 0; r < CM_SMP_RNNS; r++)
            keep[r] = c.drop[r], c.drop[r] = NULL;
        assert_true(fabs(dropped - model_loss(&c)) > 1e-4);
        for (int r = 0; r < CM_SMP_RNNS; r++)
            c.drop[r] = keep[r];
    }
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        free(c.u[r]);
        free(c.drop[r]);
    }
    free(c.y);
    free(c.mask);
    cm_smp_state_free(c.s);
    cm_smp_free(c.m);
}

static void test_model_gradients(void **state)
{
    (void)state;
    check_model_gradients(0);
}

static void test_model_gradients_dropout(void **state)
{
    (void)state;
    check_model_gradients(1);
}

/* Paths for the trainer tests: a deterministic walk in the box. */
static void make_paths(int B, int T, uint64_t seed, float *pos, float *theta)
{
    cm_rng rng;
    cm_rng_seed(&rng, seed, 1);
    for (int b = 0; b < B; b++) {
        float x = (float)cm_rng_uniform(&rng, -0.8, 0.8), y = (float)cm_rng_uniform(&rng, -0.8, 0.8);
        float th = (float)cm_rng_uniform(&rng, -M_PI, M_PI);
        for (int t = 0; t <= T; t++) {
            const size_t k = (size_t)b * (T + 1) + t;
            pos[2 * k] = x, pos[2 * k + 1] = y, theta[k] = th;
            th += (float)(0.3 * cm_rng_normal(&rng));
            th = atan2f(sinf(th), cosf(th));
            x = fminf(1.0f, fmaxf(-1.0f, x + 0.03f * cosf(th)));
            y = fminf(1.0f, fmaxf(-1.0f, y + 0.03f * sinf(th)));
        }
    }
}

static void run_steps(cm_smp *m, cm_smp_state *s, const float *pos, const float *theta, int n, uint64_t seed,
                      double *last)
{
    for (int i = 0; i < n; i++) {
        cm_rng rng;
        cm_rng_seed(&rng, seed, (uint64_t)m->step);
        double loss, err;
        assert_int_equal(cm_smp_train_step(m, s, pos, theta, &rng, &loss, &err), CM_OK);
        assert_true(isfinite(loss));
        if (last)
            *last = loss;
    }
}

static void test_training_lowers_loss(void **state)
{
    (void)state;
    cm_smp_config cfg;
    tiny_config(&cfg);
    cfg.ae_steps = 40;
    cfg.lr = 3e-3;
    cfg.p_write = 0; /* a fixed memory, so that the two losses are comparable */
    cm_smp *m;
    cm_smp_state *s;
    assert_int_equal(cm_smp_create(&cfg, 9, &m), CM_OK);
    const int B = cfg.batch, T = cfg.seq_len;
    assert_int_equal(cm_smp_state_create(m, B, T, &s), CM_OK);
    float pos[3 * 5 * 2], theta[3 * 5];
    make_paths(B, T, 3, pos, theta);
    double ae_first, ae_last;
    run_steps(m, s, pos, theta, 1, 1, &ae_first);
    run_steps(m, s, pos, theta, cfg.ae_steps - 1, 1, &ae_last);
    assert_true(ae_last < ae_first); /* the autoencoder learns */
    run_steps(m, s, pos, theta, 1, 1, NULL); /* fills the memory */
    double before, after;
    assert_int_equal(cm_smp_run(m, s, pos, theta, 0, NULL, NULL, NULL, &before), CM_OK);
    run_steps(m, s, pos, theta, 40, 1, NULL);
    assert_int_equal(cm_smp_run(m, s, pos, theta, 0, NULL, NULL, NULL, &after), CM_OK);
    assert_true(after < before);
    cm_smp_state_free(s);
    cm_smp_free(m);
}

static void test_resume_bit_identical(void **state)
{
    (void)state;
    cm_smp_config cfg;
    tiny_config(&cfg);
    cfg.p_write = 0.5; /* writes happen, so the memory must round-trip too */
    const int B = cfg.batch, T = cfg.seq_len;
    float pos[3 * 5 * 2], theta[3 * 5];
    make_paths(B, T, 4, pos, theta);
    cm_smp *a, *b;
    cm_smp_state *sa, *sb;
    assert_int_equal(cm_smp_create(&cfg, 2, &a), CM_OK);
    assert_int_equal(cm_smp_create(&cfg, 77, &b), CM_OK); /* another init: load must overwrite it all */
    assert_int_equal(cm_smp_state_create(a, B, T, &sa), CM_OK);
    assert_int_equal(cm_smp_state_create(b, B, T, &sb), CM_OK);
    run_steps(a, sa, pos, theta, 4, 8, NULL);
    const char *dir = cmt_tmpdir();
    char ck[4096];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    assert_int_equal(cm_smp_save(a, ck), CM_OK);
    assert_int_equal(cm_smp_load(b, ck), CM_OK);
    run_steps(a, sa, pos, theta, 4, 8, NULL);
    run_steps(b, sb, pos, theta, 4, 8, NULL);
    assert_int_equal(a->step, b->step);
    assert_memory_equal(a->p.params, b->p.params, a->p.total * sizeof(float));
    assert_memory_equal(a->my, b->my, (size_t)cfg.slots * cfg.embed * sizeof(float));
    assert_true(a->log_beta == b->log_beta);
    /* A damaged checkpoint is refused and leaves the model untouched. */
    char mem[4200];
    snprintf(mem, sizeof mem, "%s/memory.safetensors", ck);
    FILE *f = fopen(mem, "wb");
    fputs("junk", f);
    fclose(f);
    float keep = b->p.params[0];
    assert_int_not_equal(cm_smp_load(b, ck), CM_OK);
    assert_true(b->p.params[0] == keep);
    cm_smp_state_free(sa);
    cm_smp_state_free(sb);
    cm_smp_free(a);
    cm_smp_free(b);
    cmt_tmpdir_remove(dir);
}

typedef struct ae_ctx {
    smp_encoder e;
    cm_params *p;
    uint8_t rgb[4 * 16 * 16 * 3];
} ae_ctx;

static double ae_loss(void *ctx)
{
    ae_ctx *c = ctx;
    smp_frames_to_input(&c->e, c->rgb, 4);
    return smp_autoencoder_step(&c->e, c->p, 0, 4, c->p->grads);
}

/* The autoencoder's hand-chained backward (convolutions, ReLUs, linear
 * layers, transposed convolutions) against finite differences. */
static void test_autoencoder_gradients(void **state)
{
    (void)state;
    cm_smp_config cfg;
    tiny_config(&cfg);
    cm_smp *m;
    assert_int_equal(cm_smp_create(&cfg, 3, &m), CM_OK);
    ae_ctx c;
    c.p = &m->p;
    assert_int_equal(smp_encoder_alloc(&c.e, &cfg), CM_OK);
    cm_rng rng;
    cm_rng_seed(&rng, 4, 0);
    for (size_t i = 0; i < sizeof c.rgb; i++)
        c.rgb[i] = (uint8_t)cm_rng_below(&rng, 256);
    /* Tiny layers with PyTorch's init shrink the signal until the biases
     * decide every ReLU; positive biases keep every path alive, so that no
     * gradient below is trivially zero; weights x3 keep the signal up. */
    for (int i = 0; i < SMP_ENC_TENSORS; i++)
        for (size_t j = 0; j < m->p.tensors[i].count; j++) {
            float *v = cm_params_data(&m->p, i) + j;
            *v = m->p.tensors[i].ndim == 1 ? 0.05f : 3.0f * *v;
        }
    cm_params_zero_grad(&m->p);
    ae_loss(&c);
    /* Every finite-difference evaluation accumulates gradients again: keep the analytic ones. */
    float *all = malloc(m->p.total * sizeof(float));
    memcpy(all, m->p.grads, m->p.total * sizeof(float));
    for (int i = 0; i < SMP_ENC_TENSORS; i++) {
        const cm_tensor_info *t = &m->p.tensors[i];
        float *ana = malloc(t->count * sizeof(float));
        memcpy(ana, all + t->offset, t->count * sizeof(float));
        double n1 = 0;
        for (size_t j = 0; j < t->count; j++)
            n1 += fabs(ana[j]);
        /* The reconstruction gradients are small (MSE over pixels in [0, 1]): the
         * tolerance is tight to match. */
        const double err = cmt_gradcheck(cm_params_data(&m->p, i), ana, t->count, ae_loss, &c, 1e-3f, 8);
        if (getenv("SMP_TEST_VERBOSE") || !(err < 5e-4))
            fprintf(stderr, "autoencoder gradient of %s off by %g (|g|_1 %g)\n", t->name, err, n1);
        /* Per-entry gradients range from 1e-6 to 1e-2 across tensors: the error
         * must also be small against the tensor's own mean magnitude. */
        assert_true(n1 > 0);
        assert_true(err < 5e-4 && err < 0.2 * n1 / (double)t->count);
        free(ana);
    }
    free(all);
    smp_encoder_free(&c.e);
    cm_smp_free(m);
}

static void test_bad_config(void **state)
{
    (void)state;
    cm_smp_config cfg;
    cm_smp_config_default(&cfg);
    cfg.image = 50;
    cm_smp *m = NULL;
    assert_int_equal(cm_smp_create(&cfg, 1, &m), CM_ERR_ARG);
    assert_null(m);
    assert_non_null(strstr(cm_errmsg(), "image"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cell_spec_vector),
        cmocka_unit_test(test_cell_gradients),
        cmocka_unit_test(test_correction_spec_vector),
        cmocka_unit_test(test_readout_gradients),
        cmocka_unit_test(test_correction_gradients),
        cmocka_unit_test(test_model_gradients),
        cmocka_unit_test(test_model_gradients_dropout),
        cmocka_unit_test(test_training_lowers_loss),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_autoencoder_gradients),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
