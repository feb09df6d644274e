/* Multi-head attention and the post-norm Transformer layers: gradients
 * (with masks, with dropout on a reseeded stream), what masks hide, and
 * equivariance under a permutation of the batch. */
#include "vis_check.h"

#include <math.h>

#include "cogmap/nn.h"

/* Carves MHA parameters out of one block; returns the floats used. */
static size_t carve_mha(float *base, int E, cm_mha_params *p)
{
    p->in_w = base;
    p->in_b = p->in_w + 3 * E * E;
    p->out_w = p->in_b + 3 * E;
    p->out_b = p->out_w + E * E;
    return 4 * (size_t)E * E + 4 * (size_t)E;
}

static size_t carve_tf(float *base, int E, int F, int decoder, cm_transformer_params *p)
{
    float *at = base;
    at += carve_mha(at, E, &p->self_attn);
    if (decoder)
        at += carve_mha(at, E, &p->cross_attn);
    p->linear1_w = at, at += (size_t)F * E;
    p->linear1_b = at, at += F;
    p->linear2_w = at, at += (size_t)E * F;
    p->linear2_b = at, at += E;
    p->norm1_w = at, at += E;
    p->norm1_b = at, at += E;
    p->norm2_w = at, at += E;
    p->norm2_b = at, at += E;
    if (decoder) {
        p->norm3_w = at, at += E;
        p->norm3_b = at, at += E;
    }
    return (size_t)(at - base);
}

typedef struct mha_ctx {
    cm_mha_cfg cfg;
    int self, train;
    float *q, *kv, *cache, *mask;
    uint8_t *kpm;
    cm_mha_params p;
} mha_ctx;

static void mha_fwd(void *v, float *y)
{
    mha_ctx *c = v;
    cm_rng rng;
    cm_rng_seed(&rng, 5, 3); /* the same dropout mask at every call */
    const float *kv = c->self ? c->q : c->kv;
    cm_mha_forward(y, c->cache, c->q, kv, kv, &c->p, c->mask, c->kpm, &c->cfg, c->train, &rng);
}

static void run_mha_gradcheck(cm_mha_cfg cfg, int self, int use_masks, int train, uint64_t seed)
{
    mha_ctx c = {.cfg = cfg, .self = self, .train = train};
    assert_int_equal(cm_mha_check(&cfg), CM_OK);
    const int E = cfg.embed;
    size_t nq = (size_t)cfg.lq * cfg.batch * E, nk = (size_t)cfg.lk * cfg.batch * E;
    size_t np = 4 * (size_t)E * E + 4 * (size_t)E;
    float *params = vc_randn(np, 0.4f, seed), *grads = vc_zeros(np);
    carve_mha(params, E, &c.p);
    cm_mha_params g;
    carve_mha(grads, E, &g);
    c.q = vc_randn(nq, 1.0f, seed + 1);
    c.kv = vc_randn(nk, 1.0f, seed + 2);
    c.cache = vc_zeros(cm_mha_cache_floats(&cfg));
    if (use_masks) {
        c.mask = vc_randn((size_t)cfg.lq * cfg.lk, 0.5f, seed + 3);
        c.kpm = (uint8_t *)cm_calloc((size_t)cfg.batch * cfg.lk, 1);
        c.kpm[cfg.lk - 1] = 1; /* batch 0 ignores its last key */
    }
    float *y = vc_zeros(nq), *r = vc_randn(nq, 1.0f, seed + 4), *dq = vc_zeros(nq), *dkv = vc_zeros(nk);
    float *work = vc_zeros(cm_mha_work_floats(&cfg));
    mha_fwd(&c, y);
    if (self)
        cm_mha_backward(dq, dq, dq, &g, r, c.cache, c.q, c.q, c.q, &c.p, &cfg, work);
    else
        cm_mha_backward(dq, dkv, dkv, &g, r, c.cache, c.q, c.kv, c.kv, &c.p, &cfg, work);
    vc_loss l = {mha_fwd, &c, y, r, nq};
    vc_check("mha query", &l, c.q, dq, nq, 1e-2f, 1e-2);
    if (!self)
        vc_check("mha key/value", &l, c.kv, dkv, nk, 1e-2f, 1e-2);
    vc_check("mha in_proj_weight", &l, c.p.in_w, g.in_w, 3 * (size_t)E * E, 1e-2f, 1e-2);
    vc_check("mha in_proj_bias", &l, c.p.in_b, g.in_b, 3 * (size_t)E, 1e-2f, 1e-2);
    vc_check("mha out_proj.weight", &l, c.p.out_w, g.out_w, (size_t)E * E, 1e-2f, 1e-2);
    vc_check("mha out_proj.bias", &l, c.p.out_b, g.out_b, E, 1e-2f, 1e-2);
    cm_free(params), cm_free(grads), cm_free(c.q), cm_free(c.kv), cm_free(c.cache), cm_free(c.mask);
    cm_free(c.kpm), cm_free(y), cm_free(r), cm_free(dq), cm_free(dkv), cm_free(work);
}

static void test_mha_gradients(void **state)
{
    (void)state;
    cm_mha_cfg self = {.lq = 4, .lk = 4, .batch = 2, .embed = 8, .heads = 2};
    run_mha_gradcheck(self, 1, 0, 0, 100);
    self.causal = 1;
    run_mha_gradcheck(self, 1, 1, 0, 110); /* causal + additive mask + key padding */
    cm_mha_cfg cross = {.lq = 3, .lk = 5, .batch = 2, .embed = 8, .heads = 4};
    run_mha_gradcheck(cross, 0, 1, 0, 120);
    cross.dropout = 0.3f;
    run_mha_gradcheck(cross, 0, 0, 1, 130); /* dropout on the attention weights, fixed mask */
}

/* Causal: query i sees keys <= i only, so changing token j changes no output
 * before j. Key padding: a masked key's content changes nothing. */
static void test_mha_masks_hide_keys(void **state)
{
    (void)state;
    cm_mha_cfg cfg = {.lq = 5, .lk = 5, .batch = 2, .embed = 8, .heads = 2, .causal = 1};
    const int E = 8;
    size_t n = (size_t)5 * 2 * E;
    float *params = vc_randn(4 * E * E + 4 * E, 0.4f, 1), *x = vc_randn(n, 1.0f, 2), *y0 = vc_zeros(n),
          *y1 = vc_zeros(n), *cache = vc_zeros(cm_mha_cache_floats(&cfg));
    cm_mha_params p;
    carve_mha(params, E, &p);
    cm_mha_forward(y0, cache, x, x, x, &p, NULL, NULL, &cfg, 0, NULL);
    for (int e = 0; e < E; e++)
        x[(3 * 2 + 1) * E + e] += 1.0f; /* token 3 of batch element 1 */
    cm_mha_forward(y1, cache, x, x, x, &p, NULL, NULL, &cfg, 0, NULL);
    for (int t = 0; t < 5; t++)
        for (int b = 0; b < 2; b++) {
            double d = cmt_max_abs_diff(y0 + (t * 2 + b) * E, y1 + (t * 2 + b) * E, E);
            if (b == 1 && t >= 3)
                assert_true(d > 1e-4);
            else
                assert_true(d < 1e-6);
        }
    /* Key padding (no causal mask): hide key 4 of batch 0, then change it. */
    cfg.causal = 0;
    uint8_t kpm[10] = {0, 0, 0, 0, 1, 0, 0, 0, 0, 0};
    float *kv = vc_randn(n, 1.0f, 3);
    cm_mha_forward(y0, cache, x, kv, kv, &p, NULL, kpm, &cfg, 0, NULL);
    for (int e = 0; e < E; e++)
        kv[(4 * 2 + 0) * E + e] -= 2.0f;
    cm_mha_forward(y1, cache, x, kv, kv, &p, NULL, kpm, &cfg, 0, NULL);
    for (int t = 0; t < 5; t++) {
        assert_true(cmt_max_abs_diff(y0 + (t * 2) * E, y1 + (t * 2) * E, E) < 1e-6);
        const float *P = cm_mha_attention(cache, &cfg); /* [N, heads, Lq, Lk] */
        assert_true(P[(0 * 2 + 0) * 25 + t * 5 + 4] == 0.0f);
        double s = 0;
        for (int j = 0; j < 5; j++)
            s += P[(0 * 2 + 1) * 25 + t * 5 + j];
        assert_true(fabs(s - 1.0) < 1e-5);
    }
    cm_free(params), cm_free(x), cm_free(y0), cm_free(y1), cm_free(cache), cm_free(kv);
}

static void test_mha_bad_config(void **state)
{
    (void)state;
    cm_mha_cfg cfg = {.lq = 4, .lk = 4, .batch = 2, .embed = 10, .heads = 4};
    assert_int_equal(cm_mha_check(&cfg), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "multiple of heads"));
    cfg.heads = 5;
    assert_int_equal(cm_mha_check(&cfg), CM_OK);
    cfg.dropout = 1.0f;
    assert_int_equal(cm_mha_check(&cfg), CM_ERR_ARG);
    cm_transformer_cfg t = {.len = 4, .mem_len = 0, .batch = 2, .embed = 8, .heads = 2, .ff = 16};
    assert_int_equal(cm_transformer_check(&t, 0), CM_OK);
    assert_int_equal(cm_transformer_check(&t, 1), CM_ERR_ARG); /* a decoder needs a memory */
}

typedef struct tf_ctx {
    cm_transformer_cfg cfg;
    int decoder, train;
    float *x, *mem, *cache;
    cm_transformer_params p;
} tf_ctx;

static void tf_fwd(void *v, float *y)
{
    tf_ctx *c = v;
    cm_rng rng;
    cm_rng_seed(&rng, 9, 1);
    if (c->decoder)
        cm_transformer_decoder_forward(y, c->cache, c->x, c->mem, &c->p, NULL, 1, NULL, &c->cfg, c->train, &rng);
    else
        cm_transformer_encoder_forward(y, c->cache, c->x, &c->p, NULL, NULL, &c->cfg, c->train, &rng);
}

/* Random parameters, LayerNorm gains near 1 as in a trained model. */
static float *tf_params(const cm_transformer_cfg *cfg, int decoder, cm_transformer_params *p, uint64_t seed)
{
    cm_transformer_params probe;
    size_t np = carve_tf(NULL, cfg->embed, cfg->ff, decoder, &probe) + 1;
    float *params = vc_randn(np, 0.3f, seed);
    carve_tf(params, cfg->embed, cfg->ff, decoder, p);
    float *norms[3] = {p->norm1_w, p->norm2_w, decoder ? p->norm3_w : NULL};
    for (int k = 0; k < 3; k++)
        for (int e = 0; norms[k] && e < cfg->embed; e++)
            norms[k][e] += 1.0f;
    return params;
}

static void run_tf_gradcheck(cm_transformer_cfg cfg, int decoder, int train, uint64_t seed)
{
    tf_ctx c = {.cfg = cfg, .decoder = decoder, .train = train};
    assert_int_equal(cm_transformer_check(&cfg, decoder), CM_OK);
    cm_transformer_params g, probe;
    size_t np = carve_tf(NULL, cfg.embed, cfg.ff, decoder, &probe);
    float *params = tf_params(&cfg, decoder, &c.p, seed), *grads = vc_zeros(np + 1);
    carve_tf(grads, cfg.embed, cfg.ff, decoder, &g);
    size_t nx = (size_t)cfg.len * cfg.batch * cfg.embed, nm = (size_t)cfg.mem_len * cfg.batch * cfg.embed;
    c.x = vc_randn(nx, 1.0f, seed + 1);
    c.mem = vc_randn(nm + 1, 1.0f, seed + 2);
    c.cache = vc_zeros(cm_transformer_cache_floats(&cfg, decoder));
    float *y = vc_zeros(nx), *r = vc_randn(nx, 1.0f, seed + 3), *dx = vc_zeros(nx), *dmem = vc_zeros(nm + 1);
    float *work = vc_zeros(cm_transformer_work_floats(&cfg, decoder));
    tf_fwd(&c, y);
    if (decoder)
        cm_transformer_decoder_backward(dx, dmem, &g, r, c.cache, c.x, c.mem, &c.p, &cfg, work);
    else
        cm_transformer_encoder_backward(dx, &g, r, c.cache, c.x, &c.p, &cfg, work);
    /* eps 1e-3: a step of 1e-2 can carry a ReLU unit of the feed-forward block
     * across its kink, which makes the difference quotient meaningless. */
    vc_loss l = {tf_fwd, &c, y, r, nx};
    vc_check("transformer x", &l, c.x, dx, nx, 1e-3f, 2e-2);
    if (decoder)
        vc_check("transformer memory", &l, c.mem, dmem, nm, 1e-3f, 2e-2);
    vc_check("transformer parameters", &l, params, grads, np, 1e-3f, 2e-2);
    cm_free(params), cm_free(grads), cm_free(c.x), cm_free(c.mem), cm_free(c.cache), cm_free(y), cm_free(r);
    cm_free(dx), cm_free(dmem), cm_free(work);
}

static void test_transformer_gradients(void **state)
{
    (void)state;
    cm_transformer_cfg cfg = {.len = 3, .mem_len = 4, .batch = 2, .embed = 8, .heads = 2, .ff = 12};
    run_tf_gradcheck(cfg, 0, 0, 300);
    run_tf_gradcheck(cfg, 1, 0, 310);
    cfg.dropout = 0.2f;
    run_tf_gradcheck(cfg, 0, 1, 320);
    run_tf_gradcheck(cfg, 1, 1, 330);
}

/* Batch elements never mix: permuting the batch of x (and memory) permutes the output. */
static void test_transformer_batch_permutation(void **state)
{
    (void)state;
    const int perm[4] = {2, 0, 3, 1};
    for (int decoder = 0; decoder < 2; decoder++) {
        cm_transformer_cfg cfg = {.len = 3, .mem_len = 4, .batch = 4, .embed = 8, .heads = 2, .ff = 16};
        cm_transformer_params p;
        float *params = tf_params(&cfg, decoder, &p, 40);
        const int E = cfg.embed;
        size_t nx = (size_t)cfg.len * 4 * E, nm = (size_t)cfg.mem_len * 4 * E;
        float *x = vc_randn(nx, 1.0f, 41), *mem = vc_randn(nm, 1.0f, 42), *xp = vc_zeros(nx), *mp = vc_zeros(nm);
        float *y = vc_zeros(nx), *yp = vc_zeros(nx), *cache = vc_zeros(cm_transformer_cache_floats(&cfg, decoder));
        for (int t = 0; t < cfg.len; t++)
            for (int b = 0; b < 4; b++)
                memcpy(xp + (t * 4 + b) * E, x + (t * 4 + perm[b]) * E, E * sizeof(float));
        for (int t = 0; t < cfg.mem_len; t++)
            for (int b = 0; b < 4; b++)
                memcpy(mp + (t * 4 + b) * E, mem + (t * 4 + perm[b]) * E, E * sizeof(float));
        if (decoder) {
            cm_transformer_decoder_forward(y, cache, x, mem, &p, NULL, 0, NULL, &cfg, 0, NULL);
            cm_transformer_decoder_forward(yp, cache, xp, mp, &p, NULL, 0, NULL, &cfg, 0, NULL);
        } else {
            cm_transformer_encoder_forward(y, cache, x, &p, NULL, NULL, &cfg, 0, NULL);
            cm_transformer_encoder_forward(yp, cache, xp, &p, NULL, NULL, &cfg, 0, NULL);
        }
        double row_diff = 0;
        for (int t = 0; t < cfg.len; t++)
            for (int b = 0; b < 4; b++) {
                assert_true(cmt_max_abs_diff(yp + (t * 4 + b) * E, y + (t * 4 + perm[b]) * E, E) < 1e-5);
                row_diff += cmt_max_abs_diff(y + (t * 4 + b) * E, y + (t * 4 + perm[b]) * E, E);
            }
        assert_true(row_diff > 1e-2); /* the batch elements really differ */
        /* Post-norm: every output token is layer-normalised (gamma ~ 1 +- 0.3, so just finite). */
        for (size_t i = 0; i < nx; i++)
            assert_true(isfinite(y[i]));
        cm_free(params), cm_free(x), cm_free(mem), cm_free(xp), cm_free(mp), cm_free(y), cm_free(yp);
        cm_free(cache);
    }
}

/* The decoder's inference path (transformer_infer.c) against the reference
 * layer in evaluation mode: a small layer and one big enough for its
 * parallel passes; every token distinct, and shared by the batch (x [len, E]
 * against the reference on x broadcast). Other rounding (cm_sgemm, fused
 * passes, cm_fexp): within 4x the reference layer's own spread between its
 * two GEMMs (cblas_sgemm and cm_sgemm, cfg.fast; 0 and 1.4e-5 here, the
 * inference path 1.2e-6 and 1.6e-5) plus 4e-6; the same bits at 1 and 2
 * threads (on the AVX-512 kernels; a portable build's cm_sgemm is BLAS's). */
static void test_transformer_decoder_infer(void **state)
{
    (void)state;
    const cm_transformer_cfg cfgs[2] = {{.len = 5, .mem_len = 3, .batch = 6, .embed = 16, .heads = 4, .ff = 40},
                                        {.len = 64, .mem_len = 4, .batch = 16, .embed = 64, .heads = 4, .ff = 96}};
    for (int k = 0; k < 2; k++)
        for (int shared = 0; shared < 2; shared++) {
            cm_transformer_cfg cfg = cfgs[k];
            cm_transformer_params p;
            float *params = tf_params(&cfg, 1, &p, 50 + k);
            const int E = cfg.embed, L = cfg.len, N = cfg.batch;
            const size_t nx = (size_t)L * N * E, nm = (size_t)cfg.mem_len * N * E;
            float *xs = vc_randn((size_t)L * E, 1.0f, 60 + k), *x = vc_randn(nx, 1.0f, 61 + k);
            float *mem = vc_randn(nm, 1.0f, 62 + k), *y = vc_zeros(nx), *yi = vc_zeros(nx), *y2 = vc_zeros(nx);
            float *cache = vc_zeros(cm_transformer_cache_floats(&cfg, 1));
            float *work = vc_zeros(cm_transformer_decoder_infer_work_floats(&cfg));
            if (shared)
                for (int t = 0; t < L; t++)
                    for (int b = 0; b < N; b++)
                        memcpy(x + ((size_t)t * N + b) * E, xs + (size_t)t * E, E * sizeof(float));
            cm_transformer_decoder_forward(y, cache, x, mem, &p, NULL, 0, NULL, &cfg, 0, NULL);
            const int threads = cm_threads();
            cm_set_threads(1);
            cm_transformer_decoder_infer(yi, shared ? xs : x, shared, mem, &p, &cfg, work);
            cm_set_threads(2);
            cm_transformer_decoder_infer(y2, shared ? xs : x, shared, mem, &p, &cfg, work);
            cm_set_threads(threads);
#if defined(__AVX512F__) /* a portable build's cm_sgemm is BLAS's, whose threads may sum in another order */
            assert_memory_equal(yi, y2, nx * sizeof(float));
#endif
            cm_transformer_cfg cf = cfg;
            cf.fast = 1;
            cm_transformer_decoder_forward(y2, cache, x, mem, &p, NULL, 0, NULL, &cf, 0, NULL);
            const double spread = cmt_max_abs_diff(y, y2, nx), diff = cmt_max_abs_diff(y, yi, nx);
            print_message("decoder inference path, L %d N %d E %d, shared %d: max |diff| %.3g (reference on its two "
                          "GEMMs: %.3g)\n",
                          L, N, E, shared, diff, spread);
            assert_true(diff <= 4.0 * spread + 4e-6);
            cm_free(params), cm_free(xs), cm_free(x), cm_free(mem), cm_free(y), cm_free(yi), cm_free(y2);
            cm_free(cache), cm_free(work);
        }
}

/* Train-mode dropout keeps about 1 - p of the entries and scales them by 1/(1-p);
 * eval mode is deterministic and uses no random numbers. */
static void test_transformer_dropout_modes(void **state)
{
    (void)state;
    cm_transformer_cfg cfg = {.len = 4, .batch = 8, .embed = 16, .heads = 4, .ff = 64, .dropout = 0.25f};
    cm_transformer_params p;
    float *params = tf_params(&cfg, 0, &p, 50);
    size_t nx = (size_t)cfg.len * cfg.batch * cfg.embed;
    float *x = vc_randn(nx, 1.0f, 51), *y0 = vc_zeros(nx), *y1 = vc_zeros(nx), *y2 = vc_zeros(nx);
    float *cache = vc_zeros(cm_transformer_cache_floats(&cfg, 0));
    cm_rng rng;
    cm_transformer_encoder_forward(y0, cache, x, &p, NULL, NULL, &cfg, 0, NULL);
    cm_transformer_encoder_forward(y1, cache, x, &p, NULL, NULL, &cfg, 0, NULL);
    assert_true(cmt_max_abs_diff(y0, y1, nx) == 0.0);
    cm_rng_seed(&rng, 1, 2);
    cm_transformer_encoder_forward(y1, cache, x, &p, NULL, NULL, &cfg, 1, &rng);
    cm_rng_seed(&rng, 1, 2);
    cm_transformer_encoder_forward(y2, cache, x, &p, NULL, NULL, &cfg, 1, &rng);
    assert_true(cmt_max_abs_diff(y1, y2, nx) == 0.0); /* same stream, same bits */
    assert_true(cmt_max_abs_diff(y0, y1, nx) > 1e-3);
    cm_free(params), cm_free(x), cm_free(y0), cm_free(y1), cm_free(y2), cm_free(cache);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mha_gradients),
        cmocka_unit_test(test_mha_masks_hide_keys),
        cmocka_unit_test(test_mha_bad_config),
        cmocka_unit_test(test_transformer_gradients),
        cmocka_unit_test(test_transformer_batch_permutation),
        cmocka_unit_test(test_transformer_dropout_modes),
        cmocka_unit_test(test_transformer_decoder_infer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
