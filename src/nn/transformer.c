/* Post-norm Transformer encoder and decoder layers, exactly as PyTorch's
 * nn.TransformerEncoderLayer / nn.TransformerDecoderLayer with norm_first=False
 * and ReLU (SSM-PC's BEV predictor, ssm-pc.md §6.2). Every sub-block is
 *   x <- LayerNorm(x + Dropout(f(x))),
 * so forward and backward are written once for that pattern (add_norm_*) and
 * the layers chain them. */
#include "cogmap/nn.h"

#include <string.h>

#include "nn/vis_util.h"

#define LN_EPS 1e-5f

/* One "add & norm" block's cache: f's output, the dropout mask, the residual
 * sum, the LayerNorm statistics and the block's output. */
typedef struct an_layout {
    size_t f, mask, pre, mean, rstd, out, total;
} an_layout;

static an_layout an_at(size_t base, size_t R, int E)
{
    an_layout a;
    a.f = base;
    a.mask = a.f + R * E;
    a.pre = a.mask + R * E;
    a.mean = a.pre + R * E;
    a.rstd = a.mean + R;
    a.out = a.rstd + R;
    a.total = a.out + R * E - base;
    return a;
}

/* Feed-forward cache: relu(linear1) output, its dropout mask, the dropped values. */
typedef struct ff_layout {
    size_t h, mask, hd, total;
} ff_layout;

static ff_layout ff_at(size_t base, size_t R, int F)
{
    ff_layout f;
    f.h = base;
    f.mask = f.h + R * F;
    f.hd = f.mask + R * F;
    f.total = f.hd + R * F - base;
    return f;
}

typedef struct tf_layout {
    cm_mha_cfg sa, ca;
    size_t sa_cache, ca_cache, flag;
    an_layout an1, an2, an3;
    ff_layout ff;
    size_t total;
} tf_layout;

static tf_layout tf_at(const cm_transformer_cfg *c, int decoder)
{
    tf_layout t;
    const size_t R = (size_t)c->len * c->batch;
    memset(&t, 0, sizeof t);
    t.sa = (cm_mha_cfg){c->len, c->len, c->batch, c->embed, c->heads, c->dropout, 0, c->fast};
    t.ca = (cm_mha_cfg){c->len, decoder ? c->mem_len : c->len, c->batch, c->embed, c->heads, c->dropout, 0, c->fast};
    size_t at = 0;
    t.sa_cache = at;
    at += cm_mha_cache_floats(&t.sa);
    t.an1 = an_at(at, R, c->embed);
    at += t.an1.total;
    if (decoder) {
        t.ca_cache = at;
        at += cm_mha_cache_floats(&t.ca);
        t.an2 = an_at(at, R, c->embed);
        at += t.an2.total;
    }
    t.ff = ff_at(at, R, c->ff);
    at += t.ff.total;
    an_layout last = an_at(at, R, c->embed);
    at += last.total;
    if (decoder)
        t.an3 = last;
    else
        t.an2 = last;
    t.flag = at;
    t.total = at + 1;
    return t;
}

cm_status cm_transformer_check(const cm_transformer_cfg *c, int decoder)
{
    if (c->len <= 0 || c->batch <= 0 || c->embed <= 0 || c->heads <= 0 || c->ff <= 0 ||
        (decoder && c->mem_len <= 0))
        return cm_error(CM_ERR_ARG,
                        "transformer: len, mem_len, batch, embed, heads, ff: expected > 0, got %d, %d, %d, %d, %d, %d",
                        c->len, c->mem_len, c->batch, c->embed, c->heads, c->ff);
    cm_mha_cfg m = {c->len, decoder ? c->mem_len : c->len, c->batch, c->embed, c->heads, c->dropout, 0, c->fast};
    return cm_mha_check(&m);
}

size_t cm_transformer_cache_floats(const cm_transformer_cfg *cfg, int decoder)
{
    return tf_at(cfg, decoder).total;
}

size_t cm_transformer_work_floats(const cm_transformer_cfg *c, int decoder)
{
    const size_t R = (size_t)c->len * c->batch;
    tf_layout t = tf_at(c, decoder);
    size_t mha = cm_mha_work_floats(&t.sa);
    if (decoder && cm_mha_work_floats(&t.ca) > mha)
        mha = cm_mha_work_floats(&t.ca);
    /* dpre, df, two running input gradients, dh (FF hidden), attention scratch. */
    return 4 * R * c->embed + R * c->ff + mha;
}

/* out = LN(x + Drop(f)) with f already in cache[a.f]. */
static void add_norm_forward(float *cache, const an_layout *a, const float *x, const float *gamma, const float *beta,
                             size_t R, int E, int drop, float p, cm_rng *rng, int fast)
{
    const size_t n = R * E;
    float *f = cache + a->f, *mask = cache + a->mask, *pre = cache + a->pre;
    if (drop) {
        vis_dropout_mask_f(fast, mask, n, p, rng);
        for (size_t i = 0; i < n; i++)
            pre[i] = x[i] + f[i] * mask[i];
    } else {
        for (size_t i = 0; i < n; i++)
            pre[i] = x[i] + f[i];
    }
    cm_layernorm_forward(cache + a->out, cache + a->mean, cache + a->rstd, pre, gamma, beta, (int)R, E, LN_EPS);
}

/* Given dout, accumulates the norm's parameter gradients, adds the residual
 * gradient to dx and writes the gradient w.r.t. f into df (overwritten). */
static void add_norm_backward(float *dx, float *df, float *dpre, float *dgamma, float *dbeta, const float *dout,
                              const float *cache, const an_layout *a, const float *gamma, size_t R, int E, int drop)
{
    const size_t n = R * E;
    memset(dpre, 0, n * sizeof *dpre);
    cm_layernorm_backward(dpre, dgamma, dbeta, dout, cache + a->pre, cache + a->mean, cache + a->rstd, gamma, (int)R,
                          E);
    const float *mask = cache + a->mask;
    for (size_t i = 0; i < n; i++) {
        dx[i] += dpre[i];
        df[i] = drop ? dpre[i] * mask[i] : dpre[i];
    }
}

/* f = linear2(Drop(relu(linear1(x)))) into cache[a->f]. */
static void ff_forward(float *cache, const ff_layout *fl, const an_layout *a, const float *x,
                       const cm_transformer_params *p, size_t R, int E, int F, int drop, float pd, cm_rng *rng,
                       int fast)
{
    float *h = cache + fl->h, *mask = cache + fl->mask, *hd = cache + fl->hd;
    vis_linear_fwd_f(fast, h, x, p->linear1_w, p->linear1_b, (int)R, E, F, 0);
    const size_t n = R * F;
    for (size_t i = 0; i < n; i++)
        h[i] = h[i] > 0.0f ? h[i] : 0.0f;
    if (drop) {
        vis_dropout_mask_f(fast, mask, n, pd, rng);
        for (size_t i = 0; i < n; i++)
            hd[i] = h[i] * mask[i];
    } else {
        memcpy(hd, h, n * sizeof *h);
    }
    vis_linear_fwd_f(fast, cache + a->f, hd, p->linear2_w, p->linear2_b, (int)R, F, E, 0);
}

static void ff_backward(float *dx, float *dh, const cm_transformer_params *g, const float *df, const float *cache,
                        const ff_layout *fl, const float *x, const cm_transformer_params *p, size_t R, int E, int F,
                        int drop, int fast)
{
    const size_t n = R * F;
    memset(dh, 0, n * sizeof *dh);
    vis_linear_bwd_f(fast, dh, g->linear2_w, g->linear2_b, df, cache + fl->hd, p->linear2_w, (int)R, F, E);
    const float *h = cache + fl->h, *mask = cache + fl->mask;
    for (size_t i = 0; i < n; i++)
        dh[i] = h[i] > 0.0f ? (drop ? dh[i] * mask[i] : dh[i]) : 0.0f;
    vis_linear_bwd_f(fast, dx, g->linear1_w, g->linear1_b, dh, x, p->linear1_w, (int)R, E, F);
}

void cm_transformer_encoder_forward(float *y, float *cache, const float *x, const cm_transformer_params *p,
                                    const float *attn_mask, const uint8_t *key_padding_mask,
                                    const cm_transformer_cfg *cfg, int train, cm_rng *rng)
{
    const tf_layout t = tf_at(cfg, 0);
    const size_t R = (size_t)cfg->len * cfg->batch;
    const int E = cfg->embed, drop = train && cfg->dropout > 0.0f;
    cache[t.flag] = drop ? 1.0f : 0.0f;
    cm_mha_forward(cache + t.an1.f, cache + t.sa_cache, x, x, x, &p->self_attn, attn_mask, key_padding_mask, &t.sa,
                   train, rng);
    add_norm_forward(cache, &t.an1, x, p->norm1_w, p->norm1_b, R, E, drop, cfg->dropout, rng, cfg->fast);
    const float *x1 = cache + t.an1.out;
    ff_forward(cache, &t.ff, &t.an2, x1, p, R, E, cfg->ff, drop, cfg->dropout, rng, cfg->fast);
    add_norm_forward(cache, &t.an2, x1, p->norm2_w, p->norm2_b, R, E, drop, cfg->dropout, rng, cfg->fast);
    memcpy(y, cache + t.an2.out, R * E * sizeof *y);
}

void cm_transformer_encoder_backward(float *dx, const cm_transformer_params *g, const float *dy, const float *cache,
                                     const float *x, const cm_transformer_params *p, const cm_transformer_cfg *cfg,
                                     float *work)
{
    const tf_layout t = tf_at(cfg, 0);
    const size_t R = (size_t)cfg->len * cfg->batch, RE = R * cfg->embed;
    const int E = cfg->embed, drop = cache[t.flag] != 0.0f;
    float *dpre = work, *df = dpre + RE, *dx1 = df + RE, *dh = dx1 + 2 * RE, *mw = dh + R * cfg->ff;
    memset(dx1, 0, RE * sizeof *dx1);
    const float *x1 = cache + t.an1.out;
    add_norm_backward(dx1, df, dpre, g->norm2_w, g->norm2_b, dy, cache, &t.an2, p->norm2_w, R, E, drop);
    ff_backward(dx1, dh, g, df, cache, &t.ff, x1, p, R, E, cfg->ff, drop, cfg->fast);
    add_norm_backward(dx, df, dpre, g->norm1_w, g->norm1_b, dx1, cache, &t.an1, p->norm1_w, R, E, drop);
    cm_mha_backward(dx, dx, dx, &g->self_attn, df, cache + t.sa_cache, x, x, x, &p->self_attn, &t.sa, mw);
}

void cm_transformer_decoder_forward(float *y, float *cache, const float *x, const float *mem,
                                    const cm_transformer_params *p, const float *tgt_mask, int tgt_causal,
                                    const uint8_t *memory_key_padding_mask, const cm_transformer_cfg *cfg, int train,
                                    cm_rng *rng)
{
    tf_layout t = tf_at(cfg, 1);
    t.sa.causal = tgt_causal;
    const size_t R = (size_t)cfg->len * cfg->batch;
    const int E = cfg->embed, drop = train && cfg->dropout > 0.0f;
    cache[t.flag] = drop ? 1.0f : 0.0f;
    cm_mha_forward(cache + t.an1.f, cache + t.sa_cache, x, x, x, &p->self_attn, tgt_mask, NULL, &t.sa, train, rng);
    add_norm_forward(cache, &t.an1, x, p->norm1_w, p->norm1_b, R, E, drop, cfg->dropout, rng, cfg->fast);
    const float *x1 = cache + t.an1.out;
    cm_mha_forward(cache + t.an2.f, cache + t.ca_cache, x1, mem, mem, &p->cross_attn, NULL, memory_key_padding_mask,
                   &t.ca, train, rng);
    add_norm_forward(cache, &t.an2, x1, p->norm2_w, p->norm2_b, R, E, drop, cfg->dropout, rng, cfg->fast);
    const float *x2 = cache + t.an2.out;
    ff_forward(cache, &t.ff, &t.an3, x2, p, R, E, cfg->ff, drop, cfg->dropout, rng, cfg->fast);
    add_norm_forward(cache, &t.an3, x2, p->norm3_w, p->norm3_b, R, E, drop, cfg->dropout, rng, cfg->fast);
    memcpy(y, cache + t.an3.out, R * E * sizeof *y);
}

void cm_transformer_decoder_backward(float *dx, float *dmem, const cm_transformer_params *g, const float *dy,
                                     const float *cache, const float *x, const float *mem,
                                     const cm_transformer_params *p, const cm_transformer_cfg *cfg, float *work)
{
    const tf_layout t = tf_at(cfg, 1);
    const size_t R = (size_t)cfg->len * cfg->batch, RE = R * cfg->embed;
    const int E = cfg->embed, drop = cache[t.flag] != 0.0f;
    float *dpre = work, *df = dpre + RE, *dx2 = df + RE, *dx1 = dx2 + RE, *dh = dx1 + RE, *mw = dh + R * cfg->ff;
    memset(dx2, 0, 2 * RE * sizeof *dx2);
    const float *x1 = cache + t.an1.out, *x2 = cache + t.an2.out;
    add_norm_backward(dx2, df, dpre, g->norm3_w, g->norm3_b, dy, cache, &t.an3, p->norm3_w, R, E, drop);
    ff_backward(dx2, dh, g, df, cache, &t.ff, x2, p, R, E, cfg->ff, drop, cfg->fast);
    add_norm_backward(dx1, df, dpre, g->norm2_w, g->norm2_b, dx2, cache, &t.an2, p->norm2_w, R, E, drop);
    cm_mha_backward(dx1, dmem, dmem, &g->cross_attn, df, cache + t.ca_cache, x1, mem, mem, &p->cross_attn, &t.ca, mw);
    add_norm_backward(dx, df, dpre, g->norm1_w, g->norm1_b, dx1, cache, &t.an1, p->norm1_w, R, E, drop);
    cm_mha_backward(dx, dx, dx, &g->self_attn, df, cache + t.sa_cache, x, x, x, &p->self_attn, &t.sa, mw);
}
