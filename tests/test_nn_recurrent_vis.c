/* SMP's sigmoid-output LSTM (smp.md §3.3, test vector §10) and PyTorch's GRU. */
#include "spec_vectors.h"
#include "vis_check.h"

#include <math.h>
#include <string.h>

#include "cogmap/nn.h"

/* smp.md §10 "LSTM step" (spec_vectors.h). */
static void test_smp_lstm_spec_vector(void **state)
{
    (void)state;
    cmt_smp_lstm_vector v;
    cmt_smp_lstm_vector_init(&v);
    float hs[2 * 4], cs[2 * 4], gates[16];
    memcpy(hs, v.h0, sizeof v.h0);
    memcpy(cs, v.c0, sizeof v.c0);
    cm_smp_lstm_forward(hs, cs, gates, v.u, v.w, v.b, 1, 1, 2, 4);
    for (int k = 0; k < 4; k++) {
        assert_true(fabs(hs[4 + k] - v.h1[k]) < 2e-6);
        assert_true(fabs(cs[4 + k] - v.c1[k]) < 2e-6);
    }
}

/* The output is sigmoid(c) * sigmoid(o): always in (0, 1), never tanh's (-1, 1). */
static void test_smp_lstm_output_is_a_rate(void **state)
{
    (void)state;
    const int T = 6, B = 3, In = 2, H = 5;
    float *x = vc_randn((size_t)T * B * In, 5.0f, 1), *w = vc_randn((size_t)(In + H) * 4 * H, 2.0f, 2);
    float *hs = vc_zeros((size_t)(T + 1) * B * H), *cs = vc_zeros((size_t)(T + 1) * B * H);
    float *gates = vc_zeros((size_t)T * B * 4 * H);
    cm_smp_lstm_forward(hs, cs, gates, x, w, NULL, T, B, In, H);
    int negative_c = 0;
    for (size_t i = (size_t)B * H; i < (size_t)(T + 1) * B * H; i++) {
        assert_true(hs[i] > 0.0f && hs[i] < 1.0f);
        negative_c += cs[i] < 0.0f;
    }
    assert_true(negative_c > 0); /* a tanh output would have been negative there */
    cm_free(x), cm_free(w), cm_free(hs), cm_free(cs), cm_free(gates);
}

typedef struct lstm_ctx {
    int T, B, In, H;
    float *x, *w, *b, *h0, *c0, *hs, *cs, *gates;
} lstm_ctx;

static void lstm_fwd(void *p, float *y)
{
    lstm_ctx *c = p;
    size_t BH = (size_t)c->B * c->H;
    memcpy(c->hs, c->h0, BH * sizeof(float));
    memcpy(c->cs, c->c0, BH * sizeof(float));
    cm_smp_lstm_forward(c->hs, c->cs, c->gates, c->x, c->w, c->b, c->T, c->B, c->In, c->H);
    memcpy(y, c->hs + BH, (size_t)c->T * BH * sizeof(float)); /* the loss reads every h_t */
}

static void test_smp_lstm_gradients(void **state)
{
    (void)state;
    lstm_ctx c = {.T = 5, .B = 3, .In = 4, .H = 6};
    const size_t BH = (size_t)c.B * c.H, G = 4 * (size_t)c.H, nw = (size_t)(c.In + c.H) * G;
    c.x = vc_randn((size_t)c.T * c.B * c.In, 1.0f, 11);
    c.w = vc_randn(nw, 0.4f, 12);
    c.b = vc_randn(G, 0.3f, 13);
    c.h0 = vc_randn(BH, 0.5f, 14);
    c.c0 = vc_randn(BH, 0.5f, 15);
    c.hs = vc_zeros((c.T + 1) * BH);
    c.cs = vc_zeros((c.T + 1) * BH);
    c.gates = vc_zeros(c.T * BH * 4);
    size_t ny = c.T * BH;
    float *y = vc_zeros(ny), *r = vc_randn(ny, 1.0f, 16);
    lstm_fwd(&c, y);
    float *dx = vc_zeros((size_t)c.T * c.B * c.In), *dw = vc_zeros(nw), *db = vc_zeros(G);
    float *dh0 = vc_zeros(BH), *dc0 = vc_zeros(BH), *work = vc_zeros(cm_smp_lstm_work_floats(c.T, c.B, c.H));
    cm_smp_lstm_backward(dx, dh0, dc0, dw, db, r, c.hs, c.cs, c.gates, c.x, c.w, c.T, c.B, c.In, c.H, work);
    vc_loss l = {lstm_fwd, &c, y, r, ny};
    vc_check("smp lstm x", &l, c.x, dx, (size_t)c.T * c.B * c.In, 1e-2f, 1e-2);
    vc_check("smp lstm W", &l, c.w, dw, nw, 1e-2f, 1e-2);
    vc_check("smp lstm b", &l, c.b, db, G, 1e-2f, 1e-2);
    vc_check("smp lstm h0", &l, c.h0, dh0, BH, 1e-2f, 1e-2);
    vc_check("smp lstm c0", &l, c.c0, dc0, BH, 1e-2f, 1e-2);
    /* Accumulation: a second backward doubles every gradient. */
    float w0 = dw[7];
    cm_smp_lstm_backward(dx, dh0, dc0, dw, db, r, c.hs, c.cs, c.gates, c.x, c.w, c.T, c.B, c.In, c.H, work);
    assert_true(fabs(dw[7] - 2 * w0) <= 1e-5 * fmax(1.0, fabs(w0)));
    cm_free(c.x), cm_free(c.w), cm_free(c.b), cm_free(c.h0), cm_free(c.c0), cm_free(c.hs), cm_free(c.cs);
    cm_free(c.gates), cm_free(y), cm_free(r), cm_free(dx), cm_free(dw), cm_free(db), cm_free(dh0), cm_free(dc0);
    cm_free(work);
}

typedef struct gru_ctx {
    int T, B, In, H;
    float *x, *wih, *whh, *bih, *bhh, *h0, *hs, *cache;
} gru_ctx;

static void gru_fwd(void *p, float *y)
{
    gru_ctx *c = p;
    size_t BH = (size_t)c->B * c->H;
    memcpy(c->hs, c->h0, BH * sizeof(float));
    cm_gru_forward(c->hs, c->cache, c->x, c->wih, c->whh, c->bih, c->bhh, c->T, c->B, c->In, c->H);
    memcpy(y, c->hs + BH, (size_t)c->T * BH * sizeof(float));
}

/* One step by hand: h' = (1 - z) n + z h with r gating (W_hn h + b_hn). */
static void test_gru_step_by_hand(void **state)
{
    (void)state;
    const int In = 1, H = 1;
    float wih[3] = {0.5f, -0.3f, 0.8f}, whh[3] = {0.2f, 0.4f, -0.6f};
    float bih[3] = {0.1f, 0.0f, -0.2f}, bhh[3] = {0.05f, 0.3f, 0.7f};
    float x = 1.5f, hs[2] = {0.4f, 0.0f}, cache[4];
    cm_gru_forward(hs, cache, &x, wih, whh, bih, bhh, 1, 1, In, H);
    double r = 1 / (1 + exp(-(0.5 * 1.5 + 0.1 + 0.2 * 0.4 + 0.05)));
    double z = 1 / (1 + exp(-(-0.3 * 1.5 + 0.0 + 0.4 * 0.4 + 0.3)));
    double n = tanh(0.8 * 1.5 - 0.2 + r * (-0.6 * 0.4 + 0.7));
    assert_true(fabs(hs[1] - ((1 - z) * n + z * 0.4)) < 1e-6);
}

static void test_gru_gradients(void **state)
{
    (void)state;
    gru_ctx c = {.T = 4, .B = 3, .In = 5, .H = 4};
    const size_t BH = (size_t)c.B * c.H, G = 3 * (size_t)c.H;
    c.x = vc_randn((size_t)c.T * c.B * c.In, 1.0f, 21);
    c.wih = vc_randn(G * c.In, 0.5f, 22);
    c.whh = vc_randn(G * c.H, 0.5f, 23);
    c.bih = vc_randn(G, 0.3f, 24);
    c.bhh = vc_randn(G, 0.3f, 25);
    c.h0 = vc_randn(BH, 0.5f, 26);
    c.hs = vc_zeros((c.T + 1) * BH);
    c.cache = vc_zeros(cm_gru_cache_floats(c.T, c.B, c.H));
    size_t ny = c.T * BH;
    float *y = vc_zeros(ny), *r = vc_randn(ny, 1.0f, 27);
    gru_fwd(&c, y);
    float *dx = vc_zeros((size_t)c.T * c.B * c.In), *dwih = vc_zeros(G * c.In), *dwhh = vc_zeros(G * c.H);
    float *dbih = vc_zeros(G), *dbhh = vc_zeros(G), *dh0 = vc_zeros(BH);
    float *work = vc_zeros(cm_gru_work_floats(c.T, c.B, c.H));
    cm_gru_backward(dx, dh0, dwih, dwhh, dbih, dbhh, r, c.hs, c.cache, c.x, c.wih, c.whh, c.T, c.B, c.In, c.H, work);
    vc_loss l = {gru_fwd, &c, y, r, ny};
    vc_check("gru x", &l, c.x, dx, (size_t)c.T * c.B * c.In, 1e-2f, 1e-2);
    vc_check("gru W_ih", &l, c.wih, dwih, G * c.In, 1e-2f, 1e-2);
    vc_check("gru W_hh", &l, c.whh, dwhh, G * c.H, 1e-2f, 1e-2);
    vc_check("gru b_ih", &l, c.bih, dbih, G, 1e-2f, 1e-2);
    vc_check("gru b_hh", &l, c.bhh, dbhh, G, 1e-2f, 1e-2);
    vc_check("gru h0", &l, c.h0, dh0, BH, 1e-2f, 1e-2);
    cm_free(c.x), cm_free(c.wih), cm_free(c.whh), cm_free(c.bih), cm_free(c.bhh), cm_free(c.h0), cm_free(c.hs);
    cm_free(c.cache), cm_free(y), cm_free(r), cm_free(dx), cm_free(dwih), cm_free(dwhh), cm_free(dbih);
    cm_free(dbhh), cm_free(dh0), cm_free(work);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smp_lstm_spec_vector), cmocka_unit_test(test_smp_lstm_output_is_a_rate),
        cmocka_unit_test(test_smp_lstm_gradients),   cmocka_unit_test(test_gru_step_by_hand),
        cmocka_unit_test(test_gru_gradients),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
