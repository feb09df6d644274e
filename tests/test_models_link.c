/* The learned link (link.h): gradients by central differences in the relaxed
 * mode (where the straight-through estimators are exact), with fixed
 * messages, with Bernoulli targets, and with respect to the inputs; the
 * one-step API against the sequence forward; the broadcast quantiser; bad
 * input. */
#include "test_util.h"

#include "cogmap/link.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lbatch {
    float *buf;
    uint8_t *bits;
    cm_link_batch b;
} lbatch;

static void softmax_rows(float *x, size_t rows, int n)
{
    for (size_t r = 0; r < rows; r++) {
        float *v = x + r * n, s = 0.0f;
        for (int j = 0; j < n; j++)
            s += v[j] = expf(2.0f * v[j]);
        for (int j = 0; j < n; j++)
            v[j] /= s;
    }
}

static void make_batch(lbatch *lb, const cm_link_config *c, int B, int T, uint64_t seed)
{
    memset(lb, 0, sizeof *lb);
    size_t NB = (size_t)c->senders * B, TNB = (size_t)T * NB, O = c->out_dim;
    size_t n = TNB * c->state_dim + (size_t)T * B * c->ctx_dim + NB * c->init_dim + TNB * O + (size_t)T * B * O;
    lb->buf = malloc(n * sizeof(float));
    cmt_randn(lb->buf, n, 0.7f, seed);
    float *p = lb->buf;
    lb->b.state = p, p += TNB * c->state_dim;
    lb->b.ctx = p, p += (size_t)T * B * c->ctx_dim;
    lb->b.init = p, p += NB * c->init_dim;
    float *tg = p, *tp = p + TNB * O;
    if (c->target == CM_LINK_SOFTMAX) {
        softmax_rows(tg, TNB, (int)O);
        softmax_rows(tp, (size_t)T * B, (int)O);
    } else {
        for (size_t k = 0; k < TNB * O + (size_t)T * B * O; k++)
            tg[k] = 1.0f / (1.0f + expf(-3.0f * tg[k]));
    }
    lb->b.target = tg;
    lb->b.target_pool = tp;
    lb->bits = malloc(TNB * c->bits);
    cm_rng r;
    cm_rng_seed(&r, seed, 9);
    for (size_t k = 0; k < TNB * c->bits; k++)
        lb->bits[k] = (uint8_t)cm_rng_below(&r, 2);
}

typedef struct fd_ctx {
    cm_link *l;
    cm_link_state *s;
    const cm_link_batch *b;
    uint64_t seed; /* 0: evaluation mode; else the same noise at every evaluation (DRU) */
} fd_ctx;

static double fd_loss(void *v)
{
    fd_ctx *c = v;
    double L;
    cm_rng rng;
    cm_rng_seed(&rng, c->seed, 3);
    assert_int_equal(cm_link_forward(c->l, c->s, c->b, c->seed ? &rng : NULL, &L), CM_OK);
    return L;
}

/* fixed: 1 fixed messages, 0 relaxed messages, -1 DRU's noisy messages (a fixed noise draw) */
static void gradcheck(cm_link_config *c, int fixed, int check_inputs)
{
    cm_link *l;
    assert_int_equal(cm_link_create(c, 3, &l), CM_OK);
    int B = 3, T = 4;
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, B, T, &s), CM_OK);
    lbatch lb;
    make_batch(&lb, c, B, T, 17);
    if (fixed > 0)
        lb.b.fixed_bits = lb.bits;
    else if (fixed == 0)
        lb.b.relaxed = 1;
    cm_params *p = cm_link_params(l);
    float *grad = calloc(p->total, sizeof(float));
    fd_ctx ctx = {l, s, &lb.b, fixed < 0 ? 77 : 0};
    double L = fd_loss(&ctx);
    assert_true(isfinite(L) && L > 0.0);
    assert_int_equal(cm_link_backward(l, s, grad), CM_OK);
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        int sender = strncmp(t->name, "sender.", 7) == 0;
        double err = cmt_gradcheck(p->params + t->offset, grad + t->offset, t->count, fd_loss, &ctx, 3e-3f /* small: the decoder's ReLU kinks */, 0);
        if (err > 1e-2)
            print_error("%s: gradient error %g\n", t->name, err);
        assert_true(err < 1e-2);
        if (fixed > 0 && sender) /* fixed messages: the sender takes no part */
            for (size_t k = 0; k < t->count; k++)
                assert_true(grad[t->offset + k] == 0.0f);
    }
    if (check_inputs) {
        size_t NB = (size_t)c->senders * B;
        float *st = (float *)lb.b.state, *cx = (float *)lb.b.ctx;
        float *ds = malloc(T * NB * c->state_dim * sizeof(float)), *dc = malloc((size_t)T * B * c->ctx_dim * sizeof(float));
        fd_loss(&ctx);
        assert_int_equal(cm_link_backward(l, s, grad), CM_OK);
        memcpy(ds, cm_link_input_grad(s, 0), T * NB * c->state_dim * sizeof(float));
        memcpy(dc, cm_link_input_grad(s, 1), (size_t)T * B * c->ctx_dim * sizeof(float));
        double e1 = cmt_gradcheck(st, ds, T * NB * c->state_dim, fd_loss, &ctx, 1e-2f, 0);
        double e2 = cmt_gradcheck(cx, dc, (size_t)T * B * c->ctx_dim, fd_loss, &ctx, 1e-2f, 0);
        if (e1 > 1e-2 || e2 > 1e-2)
            print_error("input gradients: state %g ctx %g\n", e1, e2);
        assert_true(e1 < 1e-2 && e2 < 1e-2);
        free(ds);
        free(dc);
    }
    free(grad);
    free(lb.buf);
    free(lb.bits);
    cm_link_state_free(s);
    cm_link_free(l);
}

static void test_gradcheck_relaxed(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    gradcheck(&c, 0, 1);
}

/* DRU's training messages are the noisy sigmoid itself: exact gradients for a fixed noise draw. */
static void test_gradcheck_dru(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "code=dru"), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "noise=0.7"), CM_OK);
    gradcheck(&c, -1, 1);
}

static void test_gradcheck_fixed_bits(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    gradcheck(&c, 1, 0);
}

static void test_gradcheck_bernoulli_no_gate(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "target=bernoulli"), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "gate=0"), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "who=0"), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "init_dim=0"), CM_OK);
    gradcheck(&c, 0, 0);
}

/* The threshold code trains on evaluation's own messages: a training forward
 * sends exactly what evaluation sends (and draws nothing), the receiver's
 * gradients are those of those messages held fixed, and the sender still
 * gets straight-through gradients. */
static void test_threshold_trains_on_eval_messages(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "code=threshold"), CM_OK);
    c.gate_bias = 8.0f; /* every step sent, so that fixed messages can replay them */
    cm_link *l;
    assert_int_equal(cm_link_create(&c, 6, &l), CM_OK);
    int B = 3, T = 5;
    size_t TNB = (size_t)T * c.senders * B;
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, B, T, &s), CM_OK);
    lbatch lb;
    make_batch(&lb, &c, B, T, 31);
    double Le, Lt, Lf;
    assert_int_equal(cm_link_forward(l, s, &lb.b, NULL, &Le), CM_OK);
    float *bits = malloc(TNB * c.bits * sizeof(float)), *sent = malloc(TNB * sizeof(float));
    memcpy(bits, cm_link_output_get(s, CM_LINK_BITS), TNB * c.bits * sizeof(float));
    memcpy(sent, cm_link_output_get(s, CM_LINK_SENT), TNB * sizeof(float));
    cm_rng rng, rng0;
    cm_rng_seed(&rng, 4, 4);
    rng0 = rng;
    assert_int_equal(cm_link_forward(l, s, &lb.b, &rng, &Lt), CM_OK);
    assert_memory_equal(&rng, &rng0, sizeof rng);
    assert_true(Lt == Le);
    assert_memory_equal(cm_link_output_get(s, CM_LINK_BITS), bits, TNB * c.bits * sizeof(float));
    assert_memory_equal(cm_link_output_get(s, CM_LINK_SENT), sent, TNB * sizeof(float));
    for (size_t r = 0; r < TNB; r++)
        assert_true(sent[r] == 1.0f);
    cm_params *p = cm_link_params(l);
    float *gt = calloc(p->total, sizeof(float)), *gf = calloc(p->total, sizeof(float));
    assert_int_equal(cm_link_backward(l, s, gt), CM_OK);
    /* the same messages as fixed input */
    uint8_t *fixed = malloc(TNB * c.bits);
    for (size_t k = 0; k < TNB * c.bits; k++)
        fixed[k] = bits[k] > 0.5f;
    cm_link_batch fb = lb.b;
    fb.fixed_bits = fixed;
    assert_int_equal(cm_link_forward(l, s, &fb, NULL, &Lf), CM_OK);
    assert_int_equal(cm_link_backward(l, s, gf), CM_OK);
    double sender_norm = 0.0;
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        int sender = strncmp(t->name, "sender.", 7) == 0;
        for (size_t k = 0; k < t->count; k++) {
            if (sender)
                sender_norm += fabs(gt[t->offset + k]);
            else
                assert_float_equal(gt[t->offset + k], gf[t->offset + k], 1e-6);
        }
    }
    assert_true(sender_norm > 0.0);
    free(fixed);
    free(gt);
    free(gf);
    free(bits);
    free(sent);
    free(lb.buf);
    free(lb.bits);
    cm_link_state_free(s);
    cm_link_free(l);
}

/* The one-step API (what a task reuses) gives exactly the sequence forward's
 * evaluation-mode messages and predictions. */
static void test_step_api_matches_sequences(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    c.gate_bias = 0.0f; /* some steps silent, some sent */
    cm_link *l;
    assert_int_equal(cm_link_create(&c, 5, &l), CM_OK);
    int B = 2, T = 6, N = c.senders, NB = N * B, O = c.out_dim;
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, B, T, &s), CM_OK);
    lbatch lb;
    make_batch(&lb, &c, B, T, 23);
    assert_int_equal(cm_link_forward(l, s, &lb.b, NULL, NULL), CM_OK);
    const float *pred = cm_link_output_get(s, CM_LINK_PRED), *pooled = cm_link_output_get(s, CM_LINK_POOLED);
    const float *sent = cm_link_output_get(s, CM_LINK_SENT), *bits = cm_link_output_get(s, CM_LINK_BITS);
    const float *who = cm_link_output_get(s, CM_LINK_WHO);
    int n_sent = 0;
    for (int bb = 0; bb < B; bb++) {
        /* one receiver (batch row bb) and its N senders, each an agent of its own */
        cm_link_agent *rx, *tx[8];
        assert_int_equal(cm_link_agent_create(l, &rx), CM_OK);
        float init[8 * 16];
        for (int n = 0; n < N; n++) {
            assert_int_equal(cm_link_agent_create(l, &tx[n]), CM_OK);
            memcpy(init + n * c.init_dim, lb.b.init + ((size_t)n * B + bb) * c.init_dim, c.init_dim * sizeof(float));
            assert_int_equal(cm_link_agent_reset(l, tx[n], init + n * c.init_dim, NULL), CM_OK);
        }
        assert_int_equal(cm_link_agent_reset(l, rx, NULL, init), CM_OK);
        for (int t = 0; t < T; t++) {
            cm_link_message msg[8];
            for (int n = 0; n < N; n++) {
                size_t r = (size_t)t * NB + (size_t)n * B + bb;
                assert_int_equal(cm_link_send(l, tx[n], lb.b.state + r * c.state_dim, NULL, &msg[n]), CM_OK);
                assert_int_equal(msg[n].sent, (int)sent[r]);
                n_sent += msg[n].sent;
                for (int k = 0; k < c.bits; k++)
                    assert_int_equal(msg[n].bit[k], (int)bits[r * c.bits + k]);
            }
            float out[8 * 16], pool[16], w[8];
            assert_int_equal(cm_link_receive(l, rx, msg, lb.b.ctx + ((size_t)t * B + bb) * c.ctx_dim, out, pool, w),
                             CM_OK);
            for (int n = 0; n < N; n++) {
                size_t r = (size_t)t * NB + (size_t)n * B + bb;
                for (int k = 0; k < O; k++)
                    assert_float_equal(out[n * O + k], pred[r * O + k], 1e-5);
                assert_float_equal(w[n], who[((size_t)t * B + bb) * N + n], 1e-6);
            }
            for (int k = 0; k < O; k++)
                assert_float_equal(pool[k], pooled[((size_t)t * B + bb) * O + k], 1e-5);
        }
        for (int n = 0; n < N; n++)
            cm_link_agent_free(tx[n]);
        cm_link_agent_free(rx);
    }
    assert_true(n_sent > 0 && n_sent < T * NB);
    cm_link_losses ls;
    cm_link_get_losses(s, &ls);
    assert_float_equal(ls.bits_per_step, (double)n_sent / (T * NB) * c.bits, 1e-9);
    free(lb.buf);
    free(lb.bits);
    cm_link_state_free(s);
    cm_link_free(l);
}

/* Sampled (Bernoulli) gates send about as often as the gate says; the gate's cost pulls
 * the send rate down when nothing is to be gained. */
static void test_sampling_and_quiet_gate(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "code=bernoulli"), CM_OK);
    c.lambda = 5.0f;
    cm_link *l;
    assert_int_equal(cm_link_create(&c, 8, &l), CM_OK);
    int B = 16, T = 10;
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, B, T, &s), CM_OK);
    lbatch lb;
    make_batch(&lb, &c, B, T, 4);
    cm_rng rng;
    cm_rng_seed(&rng, 1, 2);
    double L;
    assert_int_equal(cm_link_forward(l, s, &lb.b, &rng, &L), CM_OK);
    const float *pi = cm_link_output_get(s, CM_LINK_P_SEND);
    double mean_pi = 0;
    for (int r = 0; r < T * B * c.senders; r++)
        mean_pi += pi[r];
    mean_pi /= T * B * c.senders;
    cm_link_losses ls;
    cm_link_get_losses(s, &ls);
    assert_true(fabs(ls.sent - mean_pi) < 0.08);
    /* a few steps of plain gradient descent on the gate cost alone */
    cm_params *p = cm_link_params(l);
    float *g = calloc(p->total, sizeof(float));
    double sent0 = ls.sent;
    for (int it = 0; it < 30; it++) {
        memset(g, 0, p->total * sizeof(float));
        cm_link_batch b = lb.b;
        b.relaxed = 1;
        assert_int_equal(cm_link_forward(l, s, &b, NULL, &L), CM_OK);
        assert_int_equal(cm_link_backward(l, s, g), CM_OK);
        for (size_t k = 0; k < p->total; k++)
            p->params[k] -= 0.5f * g[k];
    }
    assert_int_equal(cm_link_forward(l, s, &lb.b, &rng, &L), CM_OK);
    cm_link_get_losses(s, &ls);
    assert_true(ls.sent < sent0 - 0.2);
    assert_true(ls.bits_per_step < c.bits * 0.8);
    free(g);
    free(lb.buf);
    free(lb.bits);
    cm_link_state_free(s);
    cm_link_free(l);
}

static void test_quantizer(void **state)
{
    (void)state;
    const int budgets[] = {1, 2, 4, 7, 8, 16, 32, 64, 128};
    cm_rng r;
    cm_rng_seed(&r, 3, 3);
    for (size_t k = 0; k < sizeof budgets / sizeof *budgets; k++) {
        int bits = budgets[k], bx = (bits + 1) / 2, by = bits / 2;
        double cellx = 15.0 / ldexp(1.0, bx > 52 ? 52 : bx), celly = 15.0 / ldexp(1.0, by > 52 ? 52 : by);
        for (int i = 0; i < 200; i++) {
            float x = (float)cm_rng_uniform(&r, 0, 15), y = (float)cm_rng_uniform(&r, 0, 15), qx, qy;
            cm_link_message m;
            cm_link_quantize_position(x, y, 0.0f, 15.0f, bits, &m);
            assert_int_equal(m.n_bits, bits);
            assert_int_equal(m.sent, 1);
            cm_link_dequantize_position(&m, 0.0f, 15.0f, &qx, &qy);
            assert_true(fabs(qx - x) <= cellx / 2 + 1e-5 && fabs(qy - y) <= celly / 2 + 1e-5);
        }
    }
    cm_link_message m;
    float qx, qy;
    cm_link_quantize_position(-3.0f, 99.0f, 0.0f, 15.0f, 4, &m); /* clipped into the arena */
    cm_link_dequantize_position(&m, 0.0f, 15.0f, &qx, &qy);
    assert_float_equal(qx, 15.0 / 8, 1e-6);
    assert_float_equal(qy, 15.0 - 15.0 / 8, 1e-6);
}

static void test_bad_input(void **state)
{
    (void)state;
    cm_link_config c;
    assert_int_equal(cm_link_preset("huge", &c), CM_ERR_ARG);
    assert_int_equal(cm_link_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_link_config_set(&c, "bits=0"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "bits"));
    assert_int_equal(cm_link_config_set(&c, "bits=257"), CM_ERR_ARG);
    assert_int_equal(cm_link_config_set(&c, "senders=17"), CM_ERR_ARG);
    assert_int_equal(cm_link_config_set(&c, "target=gauss"), CM_ERR_ARG);
    assert_int_equal(cm_link_config_set(&c, "code=morse"), CM_ERR_ARG);
    assert_int_equal(cm_link_config_set(&c, "nothing=1"), CM_ERR_ARG);
    assert_int_equal(cm_link_config_set(&c, "beta=0.5"), CM_OK);
    cm_link *l;
    assert_int_equal(cm_link_create(&c, 1, &l), CM_OK);
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, 2, 3, &s), CM_OK);
    cm_link_batch b;
    memset(&b, 0, sizeof b);
    double L;
    assert_int_equal(cm_link_forward(l, s, &b, NULL, &L), CM_ERR_ARG);
    lbatch lb;
    make_batch(&lb, &c, 2, 3, 1);
    b = lb.b;
    b.target = NULL;
    assert_int_equal(cm_link_forward(l, s, &b, NULL, &L), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "target"));
    assert_int_equal(cm_link_forward(l, s, &b, NULL, NULL), CM_OK);
    float *g = calloc(cm_link_params(l)->total, sizeof(float));
    assert_int_equal(cm_link_backward(l, s, g), CM_ERR_ARG);
    cm_link_agent *a;
    assert_int_equal(cm_link_agent_create(l, &a), CM_OK);
    cm_link_message msg[2];
    memset(msg, 0, sizeof msg);
    msg[0].sent = 1;
    msg[0].n_bits = 5;
    float out[12];
    assert_int_equal(cm_link_receive(l, a, msg, lb.b.ctx, out, NULL, NULL), CM_ERR_ARG);
    cm_link_agent_free(a);
    /* checkpoints round-trip, and a damaged config is named */
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_link_save(l, dir), CM_OK);
    cm_link *l2;
    assert_int_equal(cm_link_load(dir, &l2), CM_OK);
    assert_float_equal(cm_link_get_config(l2)->beta, 0.5, 0);
    assert_memory_equal(cm_link_params(l)->params, cm_link_params(l2)->params, cm_link_params(l)->total * 4);
    cm_link_free(l2);
    char path[4200];
    snprintf(path, sizeof path, "%s/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"cogmap link\", \"preset\": \"tiny\", \"optim\": \"adam\", \"target\": \"softmax\", \"bits\": 0}",
          f);
    fclose(f);
    assert_int_equal(cm_link_load(dir, &l2), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "bits"));
    cmt_tmpdir_remove(dir);
    free(g);
    free(lb.buf);
    free(lb.bits);
    cm_link_state_free(s);
    cm_link_free(l);
}

int main(void)
{
    cm_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_relaxed),
        cmocka_unit_test(test_gradcheck_fixed_bits),
        cmocka_unit_test(test_gradcheck_dru),
        cmocka_unit_test(test_gradcheck_bernoulli_no_gate),
        cmocka_unit_test(test_threshold_trains_on_eval_messages),
        cmocka_unit_test(test_step_api_matches_sequences),
        cmocka_unit_test(test_sampling_and_quiet_gate),
        cmocka_unit_test(test_quantizer),
        cmocka_unit_test(test_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
