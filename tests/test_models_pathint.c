/* The path-integration networks end to end: gradients of the whole loss by
 * finite differences on tiny shapes, shards whose gradients sum to the
 * batch's, training lowers the loss, same seed => same bits at 1 and 2
 * threads (the pipelined path included), the state-dict names, and bad
 * configurations. */
#include "test_util.h"

#include "cogmap/models.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *vel, *ip, *ih, *pl, *hd;
    cm_pathint_batch b;
} batch_buf;

/* Soft targets: softmax rows of random logits. */
static void soft_rows(float *y, int rows, int c, uint64_t seed)
{
    cmt_randn(y, (size_t)rows * c, 2.0f, seed);
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * c, m = row[0], s = 0.0f;
        for (int k = 1; k < c; k++)
            m = fmaxf(m, row[k]);
        for (int k = 0; k < c; k++)
            s += row[k] = expf(row[k] - m);
        for (int k = 0; k < c; k++)
            row[k] /= s;
    }
}

static void make_batch(batch_buf *bb, const cm_pathint_config *c, uint64_t seed)
{
    int B = c->batch, T = c->seq_len, P = c->n_place, Hd = c->n_hd;
    bb->vel = malloc((size_t)B * T * c->input_size * sizeof(float));
    bb->ip = malloc((size_t)B * P * sizeof(float));
    bb->pl = malloc((size_t)B * T * P * sizeof(float));
    bb->ih = Hd ? malloc((size_t)B * Hd * sizeof(float)) : NULL;
    bb->hd = Hd ? malloc((size_t)B * T * Hd * sizeof(float)) : NULL;
    cmt_randn(bb->vel, (size_t)B * T * c->input_size, 1.0f, seed);
    soft_rows(bb->ip, B, P, seed + 1);
    soft_rows(bb->pl, B * T, P, seed + 2);
    if (Hd) {
        soft_rows(bb->ih, B, Hd, seed + 3);
        soft_rows(bb->hd, B * T, Hd, seed + 4);
    }
    bb->b = (cm_pathint_batch){bb->vel, bb->ip, bb->ih, bb->pl, bb->hd, 0, 0};
}

static void free_batch(batch_buf *bb) { free(bb->vel), free(bb->ip), free(bb->ih), free(bb->pl), free(bb->hd); }

/* PRESET or PRESET+mse: the preset with the squared-error place loss. */
static void tiny(cm_pathint_config *c, const char *preset)
{
    char name[32];
    const char *plus = strchr(preset, '+');
    snprintf(name, sizeof name, "%.*s", plus ? (int)(plus - preset) : (int)strlen(preset), preset);
    assert_int_equal(cm_pathint_preset(name, c), CM_OK);
    if (plus) {
        assert_string_equal(plus, "+mse");
        c->loss = CM_PATHINT_LOSS_MSE;
    }
    c->hidden = 6;
    if (c->bottleneck)
        c->bottleneck = 5;
    c->n_place = 7;
    if (c->n_hd)
        c->n_hd = 3;
    c->batch = 3;
    c->seq_len = 7; /* past the weighted initial frames and the continuity window */
}

/* A model with its state (the config's batch shape), optimiser and dropout stream. */
typedef struct net {
    cm_pathint *m;
    cm_pathint_state *s;
    cm_optim o;
    cm_rng rng;
} net;

static void net_open(net *n, const cm_pathint_config *c, uint64_t seed)
{
    memset(n, 0, sizeof *n);
    assert_int_equal(cm_pathint_create(c, seed, &n->m), CM_OK);
    assert_int_equal(cm_pathint_state_create(n->m, c->batch, c->seq_len, &n->s), CM_OK);
    assert_int_equal(cm_pathint_optim_init(n->m, &n->o), CM_OK);
    cm_rng_seed(&n->rng, seed, 1);
}

static void net_close(net *n)
{
    cm_optim_free(&n->o);
    cm_pathint_state_free(n->s);
    cm_pathint_free(n->m);
}

typedef struct {
    net *n;
    const cm_pathint_batch *b;
} fd_ctx;

static double fd_loss(void *p)
{
    fd_ctx *c = p;
    double L = 0.0;
    assert_int_equal(cm_pathint_forward(c->n->m, c->n->s, c->b, NULL, &L), CM_OK);
    return L;
}

static void gradcheck_config(const char *preset, int relu)
{
    cm_pathint_config c;
    tiny(&c, preset);
    c.bottleneck_relu = relu;
    c.dropout = 0.0f; /* the finite differences need a fixed function */
    if (c.l2_recurrent > 0.0f)
        c.l2_recurrent = 0.05f; /* large enough to matter in the check */
    net n;
    net_open(&n, &c, 5);
    batch_buf bb;
    make_batch(&bb, &c, 77);
    cm_params *p = cm_pathint_params(n.m);
    cm_params_zero_grad(p);
    double L;
    assert_int_equal(cm_pathint_forward(n.m, n.s, &bb.b, NULL, &L), CM_OK);
    assert_true(isfinite(L) && L > 0.0);
    assert_int_equal(cm_pathint_backward(n.m, n.s, p->grads), CM_OK);
    fd_ctx ctx = {&n, &bb.b};
    for (int i = 0; i < p->count; i++) {
        cm_tensor_info *t = &p->tensors[i];
        double err = cmt_gradcheck(p->params + t->offset, p->grads + t->offset, t->count, fd_loss, &ctx, 1e-2f, 0);
        if (err > 1e-2)
            print_error("%s: %s: gradient error %g\n", preset, t->name, err);
        assert_true(err < 1e-2);
    }
    free_batch(&bb);
    net_close(&n);
}

static void gradcheck_preset(const char *preset) { gradcheck_config(preset, 0); }

static void test_gradcheck_ssmpc(void **state)
{
    (void)state;
    gradcheck_preset("ssmpc");
}

static void test_gradcheck_banino(void **state)
{
    (void)state;
    gradcheck_preset("banino");
}

static void test_gradcheck_sorscher(void **state)
{
    (void)state;
    gradcheck_preset("sorscher");
}

/* The squared-error place loss, beside the HD cross-entropy (ssmpc) and
 * alone (sorscher, with its weight penalty). */
static void test_gradcheck_mse(void **state)
{
    (void)state;
    gradcheck_preset("ssmpc+mse");
    gradcheck_config("ssmpc+mse", 1);
    gradcheck_preset("sorscher+mse");
}

/* Its value: sum over cells of the squared error, mean over batch and
 * time, plus the HD read-out's cross-entropy. How it fails: a mean over
 * cells instead of a sum, the softmax left on the place logits, or SSM-PC's
 * frame weights applied. */
static void test_mse_loss_value(void **state)
{
    (void)state;
    cm_pathint_config c;
    tiny(&c, "ssmpc+mse");
    c.dropout = 0.0f;
    net n;
    net_open(&n, &c, 5);
    batch_buf bb;
    make_batch(&bb, &c, 3);
    double L;
    assert_int_equal(cm_pathint_forward(n.m, n.s, &bb.b, NULL, &L), CM_OK);
    const int B = c.batch, T = c.seq_len, Np = c.n_place, Nh = c.n_hd;
    float *pl = malloc((size_t)B * T * Np * sizeof(float)), *hl = malloc((size_t)B * T * Nh * sizeof(float));
    cm_pathint_get_place_logits(n.m, n.s, pl);
    cm_pathint_get_hd_logits(n.m, n.s, hl);
    cm_log_softmax_forward(hl, hl, B * T, Nh);
    double want = 0.0;
    for (size_t i = 0; i < (size_t)B * T * Np; i++)
        want += ((double)pl[i] - bb.pl[i]) * ((double)pl[i] - bb.pl[i]);
    for (size_t i = 0; i < (size_t)B * T * Nh; i++)
        want -= (double)bb.hd[i] * hl[i];
    want /= B * T;
    if (!(fabs(L - want) < 1e-5 * want))
        fail_msg("mse loss %.8g, expected %.8g", L, want);
    free(pl), free(hl);
    free_batch(&bb);
    net_close(&n);
}

/* The non-negative bottleneck: relu folded into the dropout mask. The
 * finite differences step over the kink only where a pre-activation lies
 * within eps of 0, which this seed's tiny network does not have. */
static void test_gradcheck_relu_bottleneck(void **state)
{
    (void)state;
    gradcheck_config("ssmpc", 1);
    gradcheck_config("banino", 1);
}

/* What bottleneck_relu does: every bottleneck output >= 0, some exactly 0
 * (training with dropout and evaluation alike), and it changes the loss; the
 * linear bottleneck has negative outputs on the same batch. */
static void test_relu_bottleneck_effect(void **state)
{
    (void)state;
    double loss[2];
    for (int relu = 0; relu <= 1; relu++) {
        cm_pathint_config c;
        tiny(&c, "ssmpc");
        c.bottleneck_relu = relu;
        net n;
        net_open(&n, &c, 5);
        batch_buf bb;
        make_batch(&bb, &c, 33);
        const size_t len = (size_t)c.batch * c.seq_len * c.bottleneck;
        float *z = malloc(len * sizeof(float));
        for (int train = 0; train <= 1; train++) {
            double L;
            assert_int_equal(cm_pathint_forward(n.m, n.s, &bb.b, train ? &n.rng : NULL, &L), CM_OK);
            if (!train)
                loss[relu] = L;
            cm_pathint_get_bottleneck(n.m, n.s, z);
            size_t neg = 0, zero = 0;
            for (size_t i = 0; i < len; i++)
                neg += z[i] < 0.0f, zero += z[i] == 0.0f;
            if (relu) {
                assert_int_equal(neg, 0);
                assert_true(zero > len / 10 && zero < len);
            } else {
                assert_true(neg > len / 10);
            }
        }
        free(z);
        free_batch(&bb);
        net_close(&n);
    }
    assert_true(loss[0] != loss[1]);
    /* only with a bottleneck, and only 0 or 1 */
    cm_pathint_config c;
    tiny(&c, "sorscher");
    c.bottleneck_relu = 1;
    assert_int_equal(cm_pathint_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "bottleneck_relu"));
    tiny(&c, "ssmpc");
    c.bottleneck_relu = 2;
    assert_int_equal(cm_pathint_config_check(&c), CM_ERR_ARG);
}

/* A training forward writes the read-outs' loss gradients itself (fused with
 * the log-softmax); with dropout off its loss and gradients must match those of
 * an evaluation forward, whose backward computes them separately. */
static void fused_grads_match(const char *preset)
{
    cm_pathint_config c;
    tiny(&c, preset);
    c.dropout = 0.0f;
    net nt;
    net_open(&nt, &c, 5);
    batch_buf bb;
    make_batch(&bb, &c, 91);
    cm_params *p = cm_pathint_params(nt.m);
    size_t n = p->total;
    float *g_eval = malloc(n * sizeof(float));
    double L0, L1;
    cm_params_zero_grad(p);
    assert_int_equal(cm_pathint_forward(nt.m, nt.s, &bb.b, NULL, &L0), CM_OK);
    assert_int_equal(cm_pathint_backward(nt.m, nt.s, p->grads), CM_OK);
    memcpy(g_eval, p->grads, n * sizeof(float));
    cm_params_zero_grad(p);
    assert_int_equal(cm_pathint_forward(nt.m, nt.s, &bb.b, &nt.rng, &L1), CM_OK);
    assert_int_equal(cm_pathint_backward(nt.m, nt.s, p->grads), CM_OK);
    assert_true(L0 == L1);
    double gmax = 0.0, dmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        gmax = fmax(gmax, fabs(g_eval[i]));
        dmax = fmax(dmax, fabs((double)g_eval[i] - p->grads[i]));
    }
    if (!(gmax > 0.0 && dmax <= 1e-5 * gmax))
        print_error("%s: fused gradients differ by %g (max %g)\n", preset, dmax, gmax);
    assert_true(gmax > 0.0 && dmax <= 1e-5 * gmax);
    free(g_eval);
    free_batch(&bb);
    net_close(&nt);
}

static void test_fused_readout_grads(void **state)
{
    (void)state;
    fused_grads_match("ssmpc");
    fused_grads_match("banino");
    fused_grads_match("sorscher");
    fused_grads_match("ssmpc+mse");
}

/* The SSM-PC loss has a closed form when every prediction equals its target
 * and logits are constant in time: KL terms vanish, the continuity term too. */
static void test_ssmpc_loss_value(void **state)
{
    (void)state;
    cm_pathint_config c;
    tiny(&c, "ssmpc");
    c.dropout = 0.0f;
    net n;
    net_open(&n, &c, 5);
    batch_buf bb;
    make_batch(&bb, &c, 3);
    double L;
    assert_int_equal(cm_pathint_forward(n.m, n.s, &bb.b, NULL, &L), CM_OK);
    /* Targets = the model's own predictions: the place and HD KLs are 0, L_init
     * is 0, and what is left is 0.1 L_cont. */
    int B = c.batch, T = c.seq_len;
    float *pl = malloc((size_t)B * T * c.n_place * sizeof(float)), *hl = malloc((size_t)B * T * c.n_hd * sizeof(float));
    cm_pathint_get_place_logits(n.m, n.s, pl);
    cm_pathint_get_hd_logits(n.m, n.s, hl);
    cm_log_softmax_forward(pl, pl, B * T, c.n_place);
    cm_log_softmax_forward(hl, hl, B * T, c.n_hd);
    for (size_t i = 0; i < (size_t)B * T * c.n_place; i++)
        pl[i] = expf(pl[i]);
    for (size_t i = 0; i < (size_t)B * T * c.n_hd; i++)
        hl[i] = expf(hl[i]);
    double cont = 0.0;
    for (int t = 1; t <= 5; t++)
        for (int b = 0; b < B; b++) {
            const float *q = pl + ((size_t)b * T + t - 1) * c.n_place, *p = pl + ((size_t)b * T + t) * c.n_place;
            for (int k = 0; k < c.n_place; k++)
                cont += (1.0 - 0.15 * (t - 1)) * q[k] * (log(q[k]) - log(p[k] + 1e-10)) / B;
        }
    cm_pathint_batch b2 = bb.b;
    b2.place = pl;
    b2.hd = hl;
    assert_int_equal(cm_pathint_forward(n.m, n.s, &b2, NULL, &L), CM_OK);
    assert_true(fabs(L - 0.1 * cont) < 1e-5);
    free(pl), free(hl);
    free_batch(&bb);
    net_close(&n);
}

/* Mean entropy per (b, t) of the per-step targets: the floor of a cross-entropy loss. */
static double target_entropy(const batch_buf *bb, const cm_pathint_config *c)
{
    double h = 0.0;
    int rows = c->batch * c->seq_len;
    for (size_t i = 0; i < (size_t)rows * c->n_place; i++)
        h -= bb->pl[i] * log(bb->pl[i]);
    for (size_t i = 0; i < (size_t)rows * c->n_hd; i++)
        h -= bb->hd[i] * log(bb->hd[i]);
    return h / rows;
}

static double train_steps(const char *preset, int steps, double *first)
{
    cm_pathint_config c;
    assert_int_equal(cm_pathint_preset(preset, &c), CM_OK);
    c.hidden = 16;
    if (c.bottleneck)
        c.bottleneck = 16;
    c.n_place = 16;
    if (c.n_hd)
        c.n_hd = 4;
    c.batch = 4;
    c.seq_len = 10;
    if (c.optim.kind == CM_OPTIM_RMSPROP_TF) {
        /* Banino's recipe (lr 1e-5, clip 1e-5) moves too little for a short test: same optimiser, faster. */
        c.optim.lr = 1e-1; /* ms starts at 1: early steps are plain momentum SGD */
        c.clip_value = 1.0f;
    }
    if (c.optim.kind == CM_OPTIM_ADAM)
        c.optim.lr = 1e-2;
    net n;
    net_open(&n, &c, 1);
    batch_buf bb;
    make_batch(&bb, &c, 11);
    double L = 0.0, L0 = 0.0;
    for (int s = 0; s < steps; s++) {
        assert_int_equal(cm_pathint_step(n.m, n.s, &n.o, &bb.b, &n.rng, &L), CM_OK);
        if (s == 0)
            L0 = L;
    }
    assert_int_equal(n.o.t, steps);
    /* evaluation loss on the same batch, without dropout */
    assert_int_equal(cm_pathint_forward(n.m, n.s, &bb.b, NULL, &L), CM_OK);
    if (c.loss == CM_PATHINT_LOSS_XENT) {
        /* compare the excess over the entropy floor (the KL), as for ssmpc */
        double h = target_entropy(&bb, &c);
        L0 -= h;
        L -= h;
    }
    *first = L0;
    free_batch(&bb);
    net_close(&n);
    return L;
}

static void test_training_lowers_loss(void **state)
{
    (void)state;
    const char *presets[] = {"ssmpc", "banino", "sorscher"};
    for (int i = 0; i < 3; i++) {
        double first, last = train_steps(presets[i], 40, &first);
        if (!(last < 0.9 * first))
            print_error("%s: loss %g -> %g\n", presets[i], first, last);
        assert_true(last < 0.9 * first);
    }
}

/* The shards of a batch (rows split 1 + 2 + 2 of 5) have gradients that sum
 * to the whole batch's and losses that sum to its loss, dropout included:
 * each shard draws the masks of its rows' places in the batch. */
static void shards_sum(const char *preset)
{
    cm_pathint_config c;
    tiny(&c, preset);
    c.batch = 5;
    if (c.l2_recurrent > 0.0f)
        c.l2_recurrent = 0.05f; /* in the first shard only */
    net whole;
    net_open(&whole, &c, 9);
    batch_buf bb;
    make_batch(&bb, &c, 13);
    cm_params *p = cm_pathint_params(whole.m);
    const size_t n = p->total;
    float *g = calloc(n, sizeof(float)), *gs = calloc(n, sizeof(float));
    cm_rng rng = whole.rng;
    double L, Ls = 0.0;
    assert_int_equal(cm_pathint_forward(whole.m, whole.s, &bb.b, &rng, &L), CM_OK);
    assert_int_equal(cm_pathint_backward(whole.m, whole.s, g), CM_OK);
    const int rows[4] = {0, 1, 3, 5}, T = c.seq_len, Np = c.n_place, Nh = c.n_hd, I = c.input_size;
    for (int k = 0; k < 3; k++) {
        const int r0 = rows[k], nr = rows[k + 1] - rows[k];
        cm_pathint_state *s;
        assert_int_equal(cm_pathint_state_create(whole.m, nr, T, &s), CM_OK);
        cm_pathint_batch sb = {bb.vel + (size_t)r0 * T * I, bb.ip + (size_t)r0 * Np, Nh ? bb.ih + (size_t)r0 * Nh : NULL,
                               bb.pl + (size_t)r0 * T * Np, Nh ? bb.hd + (size_t)r0 * T * Nh : NULL, r0, c.batch};
        cm_rng r = whole.rng; /* every shard draws the step's one key */
        double l;
        assert_int_equal(cm_pathint_forward(whole.m, s, &sb, &r, &l), CM_OK);
        assert_int_equal(cm_pathint_backward(whole.m, s, gs), CM_OK);
        Ls += l;
        cm_pathint_state_free(s);
    }
    double gmax = 0.0, dmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        gmax = fmax(gmax, fabs(g[i]));
        dmax = fmax(dmax, fabs((double)g[i] - gs[i]));
    }
    if (!(gmax > 0.0 && dmax <= 1e-5 * gmax && fabs(L - Ls) <= 1e-6 * fabs(L)))
        print_error("%s: shard gradients differ by %g (max %g), losses %.9g vs %.9g\n", preset, dmax, gmax, L, Ls);
    assert_true(gmax > 0.0 && dmax <= 1e-5 * gmax);
    assert_true(fabs(L - Ls) <= 1e-6 * fabs(L));
    free(g), free(gs);
    free_batch(&bb);
    net_close(&whole);
}

static void test_shards_sum_to_the_batch(void **state)
{
    (void)state;
    shards_sum("ssmpc"); /* dropout on the bottleneck, SSM-PC's loss */
    shards_sum("banino");
    shards_sum("sorscher"); /* the recurrent weight penalty */
    shards_sum("ssmpc+mse");
}

/* Same seed => same bits, at one thread and at two, and the same at both.
 * (At three, BLAS's row slices of the read-out products round differently on
 * this machine's OpenBLAS 0.3.21 / Zen 4, as they did before the pipeline
 * got a file of its own: measured, not asserted.) */
/* variant 0: ssmpc's layout; 1: banino's loss with no bottleneck and no HD
 * read-out (the read-outs see h directly: the pipeline's other branches);
 * 2: ssmpc with the non-negative bottleneck. */
static void run_for_bits(int threads, int variant, float **out, size_t *n)
{
    cm_set_threads(threads);
    cm_pathint_config c;
    assert_int_equal(cm_pathint_preset(variant == 1 ? "banino" : "ssmpc", &c), CM_OK);
    c.hidden = 64;
    c.bottleneck = variant == 1 ? 0 : 64;
    c.bottleneck_relu = variant == 2;
    c.n_place = 128;
    if (variant == 1) {
        c.n_hd = 0;
        c.dropout = 0.0f; /* dropout applies to the bottleneck */
    }
    c.batch = 64;
    c.seq_len = 64; /* big enough for the parallel paths to engage (src/nn/nn_internal.h) */
    net nt;
    net_open(&nt, &c, 123);
    batch_buf bb;
    make_batch(&bb, &c, 5);
    for (int s = 0; s < 3; s++)
        assert_int_equal(cm_pathint_step(nt.m, nt.s, &nt.o, &bb.b, &nt.rng, NULL), CM_OK);
    cm_params *p = cm_pathint_params(nt.m);
    *n = p->total;
    *out = malloc(p->total * sizeof(float));
    memcpy(*out, p->params, p->total * sizeof(float));
    free_batch(&bb);
    net_close(&nt);
}

static void test_determinism(void **state)
{
    (void)state;
    for (int variant = 0; variant < 3; variant++) {
        float *first = NULL;
        size_t nfirst = 0;
        for (int threads = 1; threads <= 2; threads++) {
            float *a, *b;
            size_t na, nb;
            run_for_bits(threads, variant, &a, &na);
            run_for_bits(threads, variant, &b, &nb);
            assert_int_equal(na, nb);
            assert_memory_equal(a, b, na * sizeof(float));
            /* and the same bits at 1 and 2 threads: at 2 the training step
             * pipelines the LSTM's recurrence with the read-outs
             * (pathint_pipeline.c), which must not change a bit */
            if (first) {
                assert_int_equal(nfirst, na);
                assert_memory_equal(first, a, na * sizeof(float));
            } else {
                first = malloc(na * sizeof(float));
                memcpy(first, a, na * sizeof(float));
                nfirst = na;
            }
            free(a), free(b);
        }
        free(first);
    }
    cm_set_threads(2);
}

static void test_state_dict_names(void **state)
{
    (void)state;
    cm_pathint_config c;
    assert_int_equal(cm_pathint_preset("ssmpc", &c), CM_OK);
    c.batch = 2;
    c.seq_len = 3;
    cm_pathint *m;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_OK);
    cm_params *p = cm_pathint_params(m);
    /* ssm-pc.md §4.2: 307,468 parameters, init_fc included */
    assert_int_equal(cm_params_count(p), 307468);
    int i = cm_params_find(p, "lstm.weight_hh_l0");
    assert_true(i >= 0 && p->tensors[i].shape[0] == 512 && p->tensors[i].shape[1] == 128);
    i = cm_params_find(p, "h0_init.weight");
    assert_true(i >= 0 && p->tensors[i].shape[1] == 268);
    assert_true(cm_params_find(p, "bottleneck.0.weight") >= 0 && cm_params_find(p, "bottleneck.0.bias") < 0);
    assert_true(cm_params_find(p, "init_fc.weight") >= 0);
    /* PyTorch's LSTM init: everything inside +-1/sqrt(128) */
    i = cm_params_find(p, "lstm.weight_ih_l0");
    float *w = cm_params_data(p, i), k = 1.0f / sqrtf(128.0f), mx = 0.0f;
    for (size_t j = 0; j < p->tensors[i].count; j++)
        mx = fmaxf(mx, fabsf(w[j]));
    assert_true(mx <= k && mx > 0.9f * k);
    cm_pathint_free(m);

    assert_int_equal(cm_pathint_preset("sorscher-512", &c), CM_OK);
    c.batch = 2;
    c.seq_len = 3;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_OK);
    p = cm_pathint_params(m);
    assert_int_equal(p->count, 4);
    assert_true(cm_params_find(p, "RNN.weight_hh_l0") >= 0 && cm_params_find(p, "encoder.weight") >= 0 &&
                cm_params_find(p, "decoder.weight") >= 0 && cm_params_find(p, "RNN.weight_ih_l0") >= 0);
    assert_int_equal(cm_params_count(p), 512 * 512 * 3 + 512 * 2);
    cm_pathint_free(m);
}

static void test_bad_config(void **state)
{
    (void)state;
    cm_pathint_config c;
    assert_int_equal(cm_pathint_preset("nope", &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "nope"));
    assert_int_equal(cm_pathint_preset("ssmpc", &c), CM_OK);
    cm_pathint *m = (cm_pathint *)&c;
    c.dropout = 1.0f;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_ERR_ARG);
    assert_null(m);
    assert_non_null(strstr(cm_errmsg(), "dropout"));
    assert_int_equal(cm_pathint_preset("ssmpc", &c), CM_OK);
    c.hidden = 0;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "hidden"));
    assert_int_equal(cm_pathint_preset("ssmpc", &c), CM_OK);
    c.loss = (cm_pathint_loss)3;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "loss"));
    /* a batch without targets; backward before forward; NaN stops the step */
    tiny(&c, "ssmpc");
    net n;
    net_open(&n, &c, 5);
    cm_pathint_batch empty = {0};
    assert_int_equal(cm_pathint_forward(n.m, n.s, &empty, &n.rng, NULL), CM_ERR_ARG);
    assert_int_equal(cm_pathint_backward(n.m, n.s, cm_pathint_params(n.m)->grads), CM_ERR_ARG);
    batch_buf bb;
    make_batch(&bb, &c, 1);
    cm_pathint_batch outside = bb.b;
    outside.row0 = 2, outside.rows_total = 4; /* rows 2..5 of 4 */
    assert_int_equal(cm_pathint_forward(n.m, n.s, &outside, NULL, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "shard"));
    bb.vel[0] = NAN;
    float before = cm_pathint_params(n.m)->params[0];
    assert_int_equal(cm_pathint_step(n.m, n.s, &n.o, &bb.b, &n.rng, NULL), CM_ERR_NUMERIC);
    assert_non_null(strstr(cm_errmsg(), "step 1"));
    assert_true(cm_pathint_params(n.m)->params[0] == before);
    cm_pathint_state *bad = (cm_pathint_state *)&c;
    assert_int_equal(cm_pathint_state_create(n.m, 0, 5, &bad), CM_ERR_ARG);
    assert_null(bad);
    free_batch(&bb);
    net_close(&n);
}

int main(void)
{
    cm_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gradcheck_ssmpc),   cmocka_unit_test(test_gradcheck_banino),
        cmocka_unit_test(test_gradcheck_sorscher), cmocka_unit_test(test_gradcheck_mse),
        cmocka_unit_test(test_ssmpc_loss_value), cmocka_unit_test(test_mse_loss_value),
        cmocka_unit_test(test_fused_readout_grads), cmocka_unit_test(test_shards_sum_to_the_batch),
        cmocka_unit_test(test_gradcheck_relu_bottleneck), cmocka_unit_test(test_relu_bottleneck_effect),
        cmocka_unit_test(test_training_lowers_loss), cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_state_dict_names),  cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
