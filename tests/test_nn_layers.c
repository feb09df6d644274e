/* nn layers and losses against central finite differences, and the LSTM
 * against a step computed by hand. Each layer's loss is a fixed random
 * projection sum_i r_i y_i, so dL/dy = r. */
#include "test_util.h"

#include "cogmap/nn.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TOL 1e-2

static float *randn(size_t n, float sd, uint64_t seed)
{
    float *x = malloc(n * sizeof *x);
    cmt_randn(x, n, sd, seed);
    return x;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---------------------------------------------------------------- linear */

typedef struct {
    int n, in, out, bias;
    float *x, *w, *b, *y, *r;
} lin_ctx;

static double lin_loss(void *p)
{
    lin_ctx *c = p;
    cm_linear_forward(c->y, c->x, c->w, c->bias ? c->b : NULL, c->n, c->in, c->out, 0);
    return dot(c->y, c->r, (size_t)c->n * c->out);
}

static void check_linear(int bias)
{
    lin_ctx c = {5, 4, 3, bias, NULL, NULL, NULL, NULL, NULL};
    c.x = randn(20, 1, 1);
    c.w = randn(12, 1, 2);
    c.b = randn(3, 1, 3);
    c.r = randn(15, 1, 4);
    c.y = calloc(15, sizeof(float));
    float *dx = calloc(20, sizeof(float)), *dw = calloc(12, sizeof(float)), *db = calloc(3, sizeof(float));
    /* Backward accumulates: start from 1 and subtract it afterwards. */
    for (int i = 0; i < 12; i++)
        dw[i] = 1.0f;
    lin_loss(&c);
    cm_linear_backward(dx, dw, bias ? db : NULL, c.r, c.x, c.w, 5, 4, 3);
    for (int i = 0; i < 12; i++)
        dw[i] -= 1.0f;
    assert_true(cmt_gradcheck(c.x, dx, 20, lin_loss, &c, 1e-2f, 0) < TOL);
    assert_true(cmt_gradcheck(c.w, dw, 12, lin_loss, &c, 1e-2f, 0) < TOL);
    if (bias)
        assert_true(cmt_gradcheck(c.b, db, 3, lin_loss, &c, 1e-2f, 0) < TOL);
    /* accumulate = 1 adds to y */
    lin_loss(&c); /* the gradient checks left y at a perturbed x */
    float *y2 = malloc(15 * sizeof(float));
    memcpy(y2, c.y, 15 * sizeof(float));
    cm_linear_forward(y2, c.x, c.w, bias ? c.b : NULL, 5, 4, 3, 1);
    for (int i = 0; i < 15; i++)
        assert_true(fabsf(y2[i] - 2 * c.y[i]) < 1e-5f);
    free(y2);
    free(c.x), free(c.w), free(c.b), free(c.r), free(c.y), free(dx), free(dw), free(db);
}

static void test_linear(void **state)
{
    (void)state;
    check_linear(1);
    check_linear(0);
}

/* ------------------------------------------------------------ activations */

typedef struct {
    int kind;
    size_t n;
    float *x, *y, *r, *mask;
} act_ctx;

static void act_forward(act_ctx *c)
{
    switch (c->kind) {
    case 0: cm_relu_forward(c->y, c->x, c->n); break;
    case 1: cm_tanh_forward(c->y, c->x, c->n); break;
    case 2: cm_sigmoid_forward(c->y, c->x, c->n); break;
    default:
        for (size_t i = 0; i < c->n; i++) /* dropout with the mask held fixed */
            c->y[i] = c->x[i] * c->mask[i];
    }
}

static double act_loss(void *p)
{
    act_ctx *c = p;
    act_forward(c);
    return dot(c->y, c->r, c->n);
}

static void test_activations(void **state)
{
    (void)state;
    act_ctx c = {0, 50, NULL, NULL, NULL, NULL};
    c.x = randn(50, 1, 5);
    for (size_t i = 0; i < 50; i++) /* keep relu's kink away from the probes */
        if (fabsf(c.x[i]) < 0.05f)
            c.x[i] = 0.3f;
    c.r = randn(50, 1, 6);
    c.y = calloc(50, sizeof(float));
    c.mask = calloc(50, sizeof(float));
    float *dx = calloc(50, sizeof(float));
    cm_rng rng;
    cm_rng_seed(&rng, 3, 1);
    for (int kind = 0; kind < 4; kind++) {
        c.kind = kind;
        memset(dx, 0, 50 * sizeof(float));
        if (kind == 3) {
            cm_dropout_forward(c.y, c.mask, c.x, 50, 0.5f, 1, &rng);
            int zeros = 0;
            for (int i = 0; i < 50; i++) {
                assert_true(c.mask[i] == 0.0f || c.mask[i] == 2.0f);
                zeros += c.mask[i] == 0.0f;
            }
            assert_true(zeros > 10 && zeros < 40);
            cm_dropout_backward(dx, c.r, c.mask, 50);
        } else {
            act_forward(&c);
            if (kind == 0)
                cm_relu_backward(dx, c.r, c.y, 50);
            else if (kind == 1)
                cm_tanh_backward(dx, c.r, c.y, 50);
            else
                cm_sigmoid_backward(dx, c.r, c.y, 50);
        }
        assert_true(cmt_gradcheck(c.x, dx, 50, act_loss, &c, 1e-2f, 0) < TOL);
    }
    /* Dropout off in evaluation, and with p = 0: the identity. */
    cm_dropout_forward(c.y, c.mask, c.x, 50, 0.5f, 0, &rng);
    for (int i = 0; i < 50; i++)
        assert_true(c.y[i] == c.x[i] && c.mask[i] == 1.0f);
    free(c.x), free(c.y), free(c.r), free(c.mask), free(dx);
}

static void test_dropout_statistics(void **state)
{
    (void)state;
    size_t n = 100000;
    float *x = malloc(n * sizeof(float)), *y = malloc(n * sizeof(float)), *mask = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        x[i] = 1.0f;
    cm_rng rng;
    cm_rng_seed(&rng, 9, 1);
    cm_dropout_forward(y, mask, x, n, 0.3f, 1, &rng);
    double mean = 0.0, kept = 0.0;
    for (size_t i = 0; i < n; i++) {
        mean += y[i];
        kept += mask[i] != 0.0f;
    }
    /* Inverted dropout keeps the mean: E[y] = x. */
    assert_true(fabs(mean / n - 1.0) < 0.02);
    assert_true(fabs(kept / n - 0.7) < 0.01);
    free(x), free(y), free(mask);
}

/* ------------------------------------------------------------ recurrences */

typedef struct {
    int lstm, T, B, I, H, bias;
    cm_activation act;
    float *x, *wih, *whh, *bih, *bhh, *h0, *c0, *hs, *cs, *gates, *r, *fwork;
} rec_ctx;

static double rec_loss(void *p)
{
    rec_ctx *c = p;
    size_t step = (size_t)c->B * c->H;
    memcpy(c->hs, c->h0, step * sizeof(float));
    if (c->lstm) {
        memcpy(c->cs, c->c0, step * sizeof(float));
        cm_lstm_forward(c->hs, c->cs, c->gates, c->x, c->wih, c->whh, c->bih, c->bhh, c->T, c->B, c->I, c->H,
                        c->fwork);
    } else {
        cm_rnn_forward(c->hs, c->x, c->wih, c->whh, c->bias ? c->bih : NULL, c->bias ? c->bhh : NULL, c->T, c->B,
                       c->I, c->H, c->act);
    }
    return dot(c->hs + step, c->r, (size_t)c->T * step);
}

static void check_recurrent(int lstm, cm_activation act, int bias)
{
    rec_ctx c = {lstm, 4, 3, 2, 5, bias, act, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    int G = lstm ? 4 * c.H : c.H;
    size_t TB = (size_t)c.T * c.B, step = (size_t)c.B * c.H;
    c.x = randn(TB * c.I, 1, 11);
    c.wih = randn((size_t)G * c.I, 0.5f, 12);
    c.whh = randn((size_t)G * c.H, 0.5f, 13);
    c.bih = randn(G, 0.5f, 14);
    c.bhh = randn(G, 0.5f, 15);
    c.h0 = randn(step, 0.5f, 16);
    c.c0 = randn(step, 0.5f, 17);
    c.r = randn(TB * c.H, 1, 18);
    c.hs = calloc(TB * c.H + step, sizeof(float));
    c.cs = calloc(TB * c.H + step, sizeof(float));
    c.gates = calloc(TB * 4 * c.H, sizeof(float));
    c.fwork = calloc(cm_lstm_forward_work_floats(c.H), sizeof(float));
    float *dx = calloc(TB * c.I, sizeof(float)), *dwih = calloc((size_t)G * c.I, sizeof(float));
    float *dwhh = calloc((size_t)G * c.H, sizeof(float)), *dbih = calloc(G, sizeof(float));
    float *dbhh = calloc(G, sizeof(float)), *dh0 = calloc(step, sizeof(float)), *dc0 = calloc(step, sizeof(float));
    float *dhs = malloc(TB * c.H * sizeof(float));
    memcpy(dhs, c.r, TB * c.H * sizeof(float));
    rec_loss(&c);
    if (lstm) {
        float *work = malloc(cm_lstm_work_floats(c.T, c.B, c.H) * sizeof(float));
        cm_lstm_backward(dx, dh0, dc0, dwih, dwhh, dbih, dbhh, dhs, c.hs, c.cs, c.gates, c.x, c.wih, c.whh, c.T, c.B,
                         c.I, c.H, work);
        free(work);
    } else {
        cm_rnn_backward(dx, dh0, dwih, dwhh, bias ? dbih : NULL, bias ? dbhh : NULL, dhs, c.hs, c.x, c.wih, c.whh, c.T,
                        c.B, c.I, c.H, act);
    }
    float eps = act == CM_ACT_RELU && !lstm ? 2e-3f : 1e-2f; /* relu: keep probes off the kinks */
    assert_true(cmt_gradcheck(c.x, dx, TB * c.I, rec_loss, &c, eps, 0) < TOL);
    assert_true(cmt_gradcheck(c.wih, dwih, (size_t)G * c.I, rec_loss, &c, eps, 0) < TOL);
    assert_true(cmt_gradcheck(c.whh, dwhh, (size_t)G * c.H, rec_loss, &c, eps, 0) < TOL);
    assert_true(cmt_gradcheck(c.h0, dh0, step, rec_loss, &c, eps, 0) < TOL);
    if (bias || lstm) {
        assert_true(cmt_gradcheck(c.bih, dbih, G, rec_loss, &c, eps, 0) < TOL);
        assert_true(cmt_gradcheck(c.bhh, dbhh, G, rec_loss, &c, eps, 0) < TOL);
    }
    if (lstm)
        assert_true(cmt_gradcheck(c.c0, dc0, step, rec_loss, &c, eps, 0) < TOL);
    free(c.x), free(c.wih), free(c.whh), free(c.bih), free(c.bhh), free(c.h0), free(c.c0), free(c.r);
    free(c.hs), free(c.cs), free(c.gates), free(c.fwork), free(dx), free(dwih), free(dwhh), free(dbih), free(dbhh), free(dh0);
    free(dc0), free(dhs);
}

static void test_rnn(void **state)
{
    (void)state;
    check_recurrent(0, CM_ACT_TANH, 1);
    check_recurrent(0, CM_ACT_RELU, 0);
    check_recurrent(0, CM_ACT_RELU, 1);
}

static void test_lstm_gradients(void **state)
{
    (void)state;
    check_recurrent(1, CM_ACT_TANH, 1);
}

static double sig(double x) { return 1.0 / (1.0 + exp(-x)); }

/* One step of a 1-unit LSTM with 1 input, by hand, in PyTorch's gate order. */
static void test_lstm_hand_step(void **state)
{
    (void)state;
    /* rows i, f, g, o */
    float wih[4] = {0.5f, -0.3f, 0.8f, 0.1f}, whh[4] = {0.2f, 0.4f, -0.6f, 0.7f};
    float bih[4] = {0.1f, 0.2f, 0.3f, 0.4f}, bhh[4] = {-0.05f, 0.05f, 0.0f, 0.1f};
    float x[1] = {1.5f}, hs[2] = {0.25f, 0}, cs[2] = {-0.5f, 0}, gates[4], work[4];
    cm_lstm_forward(hs, cs, gates, x, wih, whh, bih, bhh, 1, 1, 1, 1, work);
    double pre[4];
    for (int k = 0; k < 4; k++)
        pre[k] = wih[k] * 1.5 + bih[k] + whh[k] * 0.25 + bhh[k];
    double i = sig(pre[0]), f = sig(pre[1]), g = tanh(pre[2]), o = sig(pre[3]);
    double c = f * -0.5 + i * g, h = o * tanh(c);
    assert_true(fabs(cs[1] - c) < 1e-6);
    assert_true(fabs(hs[1] - h) < 1e-6);
    assert_true(fabs(gates[0] - i) < 1e-6 && fabs(gates[1] - f) < 1e-6);
    assert_true(fabs(gates[2] - g) < 1e-6 && fabs(gates[3] - o) < 1e-6);
    /* torch.nn.LSTM(1, 1) with these weights (torch 1.13) prints h = 0.24905723, c = 0.37482268 */
    assert_true(fabs(hs[1] - 0.24905723) < 1e-6 && fabs(cs[1] - 0.37482268) < 1e-6);
}

/* ----------------------------------------------------------------- losses */

typedef struct {
    int kind, n, c;
    float *z, *q, *logp, *r;
} loss_ctx;

static double loss_eval(void *p)
{
    loss_ctx *c = p;
    size_t N = (size_t)c->n * c->c;
    switch (c->kind) {
    case 0: cm_log_softmax_forward(c->logp, c->z, c->n, c->c); return dot(c->logp, c->r, N);
    case 1: return 0.7 * cm_softmax_xent_forward(c->logp, c->z, c->q, c->n, c->c);
    case 2: return 0.7 * cm_kl_div_forward(c->z, c->q, N);
    case 3: return 0.7 * cm_mse_forward(c->z, c->q, N);
    default: return 0.7 * cm_l2_forward(c->z, N);
    }
}

static void test_losses(void **state)
{
    (void)state;
    loss_ctx c = {0, 4, 6, NULL, NULL, NULL, NULL};
    size_t N = 24;
    c.z = randn(N, 1.5f, 21);
    c.r = randn(N, 1, 22);
    c.q = malloc(N * sizeof(float));
    c.logp = calloc(N, sizeof(float));
    /* soft targets: a softmax of random logits, one zero to exercise 0 log 0 */
    float *t = randn(N, 1, 23);
    cm_log_softmax_forward(c.q, t, 4, 6);
    for (size_t i = 0; i < N; i++)
        c.q[i] = expf(c.q[i]);
    c.q[5] = 0.0f;
    float *d = calloc(N, sizeof(float)), *dq = calloc(N, sizeof(float));
    for (int kind = 0; kind < 5; kind++) {
        c.kind = kind;
        memset(d, 0, N * sizeof(float));
        loss_eval(&c);
        switch (kind) {
        case 0: cm_log_softmax_backward(d, c.r, c.logp, 4, 6); break;
        case 1: cm_softmax_xent_backward(d, c.logp, c.q, 4, 6, 0.7f); break;
        case 2: cm_kl_div_backward(d, dq, c.z, c.q, N, 0.7f); break;
        case 3: cm_mse_backward(d, c.z, c.q, N, 0.7f); break;
        default: cm_l2_backward(d, c.z, N, 0.7f);
        }
        assert_true(cmt_gradcheck(c.z, d, N, loss_eval, &c, 1e-2f, 0) < TOL);
    }
    /* kl_div's gradient w.r.t. its target, away from q = 0 */
    c.kind = 2;
    float save = c.q[5];
    c.q[5] = 0.01f;
    memset(dq, 0, N * sizeof(float));
    cm_kl_div_backward(NULL, dq, c.z, c.q, N, 0.7f);
    double worst = 0.0;
    for (size_t i = 0; i < N; i++) {
        float s = c.q[i], e = 1e-3f;
        c.q[i] = s + e;
        double up = loss_eval(&c);
        c.q[i] = s - e;
        double down = loss_eval(&c);
        c.q[i] = s;
        worst = fmax(worst, fabs((up - down) / (2 * e) - dq[i]));
    }
    assert_true(worst < 1e-2);
    c.q[5] = save;
    /* Values: KL of a distribution with itself is 0; CE of one-hot is -log p. */
    float lp[3], z3[3] = {1.0f, 2.0f, 3.0f}, oh[3] = {0, 0, 1};
    double ce = cm_softmax_xent_forward(lp, z3, oh, 1, 3);
    assert_true(fabs(ce - (log(exp(1) + exp(2) + exp(3)) - 3)) < 1e-6);
    float pq[3] = {expf(lp[0]), expf(lp[1]), expf(lp[2])};
    assert_true(fabs(cm_kl_div_forward(lp, pq, 3)) < 1e-6);
    /* Large logits stay finite (stability). */
    float big[3] = {1000.0f, 0.0f, -1000.0f};
    cm_log_softmax_forward(lp, big, 1, 3);
    assert_true(isfinite(lp[0]) && isfinite(lp[2]) && fabsf(lp[0]) < 1e-6f);
    free(c.z), free(c.r), free(c.q), free(c.logp), free(t), free(d), free(dq);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),        cmocka_unit_test(test_activations),
        cmocka_unit_test(test_dropout_statistics), cmocka_unit_test(test_rnn),
        cmocka_unit_test(test_lstm_gradients), cmocka_unit_test(test_lstm_hand_step),
        cmocka_unit_test(test_losses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
