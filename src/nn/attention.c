/* nn.MultiheadAttention (batch_first=False): packed in_proj [3E, E] with rows
 * q, k, v; per-head scaled dot-product attention with additive / causal /
 * key-padding masks and dropout on the attention weights; out_proj.
 *
 * The heads are never copied out: head h of batch element n is the strided
 * matrix base + n*E + h*hd with leading dimension N*E, which sgemm takes
 * directly. */
#include "cogmap/nn.h"

#include <string.h>

#include "nn/vis_util.h"

/* Cache layout (floats): q[Lq N E] k[Lk N E] v[Lk N E] ctx[Lq N E]
 * P[N h Lq Lk] Pd[N h Lq Lk] (P after dropout), flag (1 if dropout applied). */
typedef struct mha_layout {
    size_t q, k, v, ctx, p, pd, flag, total;
} mha_layout;

static mha_layout layout(const cm_mha_cfg *c)
{
    mha_layout l;
    size_t qn = (size_t)c->lq * c->batch * c->embed, kn = (size_t)c->lk * c->batch * c->embed;
    size_t pn = (size_t)c->batch * c->heads * c->lq * c->lk;
    l.q = 0;
    l.k = l.q + qn;
    l.v = l.k + kn;
    l.ctx = l.v + kn;
    l.p = l.ctx + qn;
    l.pd = l.p + pn;
    l.flag = l.pd + pn;
    l.total = l.flag + 1;
    return l;
}

cm_status cm_mha_check(const cm_mha_cfg *c)
{
    if (c->lq <= 0 || c->lk <= 0 || c->batch <= 0 || c->embed <= 0 || c->heads <= 0)
        return cm_error(CM_ERR_ARG, "attention: lq, lk, batch, embed, heads: expected > 0, got %d, %d, %d, %d, %d",
                        c->lq, c->lk, c->batch, c->embed, c->heads);
    if (c->embed % c->heads)
        return cm_error(CM_ERR_ARG, "attention: embed: expected a multiple of heads (%d), got %d", c->heads,
                        c->embed);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return cm_error(CM_ERR_ARG, "attention: dropout: expected in [0, 1), got %g", (double)c->dropout);
    return CM_OK;
}

size_t cm_mha_cache_floats(const cm_mha_cfg *cfg)
{
    return layout(cfg).total;
}

size_t cm_mha_work_floats(const cm_mha_cfg *c)
{
    size_t qn = (size_t)c->lq * c->batch * c->embed, kn = (size_t)c->lk * c->batch * c->embed;
    return 2 * qn + 2 * kn + (size_t)c->lq * c->lk; /* dctx, dq, dk, dv, one head's dP */
}

const float *cm_mha_attention(const float *cache, const cm_mha_cfg *cfg)
{
    return cache + layout(cfg).p;
}

void cm_mha_forward(float *out, float *cache, const float *query, const float *key, const float *value,
                    const cm_mha_params *p, const float *attn_mask, const uint8_t *key_padding_mask,
                    const cm_mha_cfg *cfg, int train, cm_rng *rng)
{
    const mha_layout l = layout(cfg);
    const int Lq = cfg->lq, Lk = cfg->lk, N = cfg->batch, E = cfg->embed, Hn = cfg->heads, hd = E / Hn;
    const int ld = N * E;
    const float scale = 1.0f / sqrtf((float)hd);
    const int drop = train && cfg->dropout > 0.0f;
    float *q = cache + l.q, *k = cache + l.k, *v = cache + l.v, *ctx = cache + l.ctx;
    vis_linear_fwd_f(cfg->fast, q, query, p->in_w, p->in_b, Lq * N, E, E, 0);
    vis_linear_fwd_f(cfg->fast, k, key, p->in_w + (size_t)E * E, p->in_b ? p->in_b + E : NULL, Lk * N, E, E, 0);
    vis_linear_fwd_f(cfg->fast, v, value, p->in_w + (size_t)2 * E * E, p->in_b ? p->in_b + 2 * E : NULL, Lk * N, E, E, 0);
    cache[l.flag] = drop ? 1.0f : 0.0f;
    for (int n = 0; n < N; n++)
        for (int h = 0; h < Hn; h++) {
            float *P = cache + l.p + ((size_t)n * Hn + h) * Lq * Lk;
            float *Pd = cache + l.pd + ((size_t)n * Hn + h) * Lq * Lk;
            const size_t off = (size_t)n * E + (size_t)h * hd;
            vis_gemm(cfg->fast, 0, 1, Lq, Lk, hd, scale, q + off, ld, k + off, ld, 0.0f, P, Lk);
            for (int i = 0; i < Lq; i++) {
                float *row = P + (size_t)i * Lk;
                float mx = -INFINITY;
                for (int j = 0; j < Lk; j++) {
                    if (attn_mask)
                        row[j] += attn_mask[(size_t)i * Lk + j];
                    if ((cfg->causal && j > i) || (key_padding_mask && key_padding_mask[(size_t)n * Lk + j]))
                        row[j] = -INFINITY;
                    if (row[j] > mx)
                        mx = row[j];
                }
                if (mx == -INFINITY) { /* every key masked: attend to nothing */
                    memset(row, 0, (size_t)Lk * sizeof *row);
                    continue;
                }
                float sum = 0.0f;
                for (int j = 0; j < Lk; j++) {
                    row[j] = expf(row[j] - mx);
                    sum += row[j];
                }
                const float inv = 1.0f / sum;
                for (int j = 0; j < Lk; j++)
                    row[j] *= inv;
            }
            const float *use = P;
            if (drop) {
                vis_dropout_mask_f(cfg->fast, Pd, (size_t)Lq * Lk, cfg->dropout, rng);
                for (size_t i = 0; i < (size_t)Lq * Lk; i++)
                    Pd[i] *= P[i];
                use = Pd;
            }
            vis_gemm(cfg->fast, 0, 0, Lq, hd, Lk, 1.0f, use, Lk, v + off, ld, 0.0f, ctx + off, ld);
        }
    vis_linear_fwd_f(cfg->fast, out, ctx, p->out_w, p->out_b, Lq * N, E, E, 0);
}

void cm_mha_backward(float *dquery, float *dkey, float *dvalue, const cm_mha_params *g, const float *dout,
                     const float *cache, const float *query, const float *key, const float *value,
                     const cm_mha_params *p, const cm_mha_cfg *cfg, float *work)
{
    const mha_layout l = layout(cfg);
    const int Lq = cfg->lq, Lk = cfg->lk, N = cfg->batch, E = cfg->embed, Hn = cfg->heads, hd = E / Hn;
    const int ld = N * E;
    const float scale = 1.0f / sqrtf((float)hd);
    const int drop = cache[l.flag] != 0.0f;
    const float keep = drop ? 1.0f / (1.0f - cfg->dropout) : 1.0f;
    const size_t qn = (size_t)Lq * N * E, kn = (size_t)Lk * N * E;
    const float *q = cache + l.q, *k = cache + l.k, *v = cache + l.v, *ctx = cache + l.ctx;
    float *dctx = work, *dq = dctx + qn, *dk = dq + qn, *dv = dk + kn, *dP = dv + kn;
    memset(dctx, 0, (2 * qn + 2 * kn) * sizeof *work);
    vis_linear_bwd_f(cfg->fast, dctx, g->out_w, g->out_b, dout, ctx, p->out_w, Lq * N, E, E);
    for (int n = 0; n < N; n++)
        for (int h = 0; h < Hn; h++) {
            const float *P = cache + l.p + ((size_t)n * Hn + h) * Lq * Lk;
            const float *Pd = drop ? cache + l.pd + ((size_t)n * Hn + h) * Lq * Lk : P;
            const size_t off = (size_t)n * E + (size_t)h * hd;
            /* dPd = dctx V^T;  dV += Pd^T dctx. */
            vis_gemm(cfg->fast, 0, 1, Lq, Lk, hd, 1.0f, dctx + off, ld, v + off, ld, 0.0f, dP, Lk);
            vis_gemm(cfg->fast, 1, 0, Lk, hd, Lq, 1.0f, Pd, Lk, dctx + off, ld, 1.0f, dv + off, ld);
            /* Through dropout (kept entries are exactly those with Pd != 0
             * where P != 0; where P == 0 the softmax gradient is 0 anyway),
             * then the softmax: dS = P (dP - sum_j dP P). */
            for (int i = 0; i < Lq; i++) {
                float *d = dP + (size_t)i * Lk;
                const float *pr = P + (size_t)i * Lk, *pdr = Pd + (size_t)i * Lk;
                float dot = 0.0f;
                for (int j = 0; j < Lk; j++) {
                    if (drop)
                        d[j] = pdr[j] != 0.0f ? d[j] * keep : 0.0f;
                    dot += d[j] * pr[j];
                }
                for (int j = 0; j < Lk; j++)
                    d[j] = pr[j] * (d[j] - dot);
            }
            /* S = scale Q K^T:  dQ += scale dS K;  dK += scale dS^T Q. */
            vis_gemm(cfg->fast, 0, 0, Lq, hd, Lk, scale, dP, Lk, k + off, ld, 1.0f, dq + off, ld);
            vis_gemm(cfg->fast, 1, 0, Lk, hd, Lq, scale, dP, Lk, q + off, ld, 1.0f, dk + off, ld);
        }
    const size_t EE = (size_t)E * E;
    vis_linear_bwd_f(cfg->fast, dquery, g->in_w, g->in_b, dq, query, p->in_w, Lq * N, E, E);
    vis_linear_bwd_f(cfg->fast, dkey, g->in_w + EE, g->in_b ? g->in_b + E : NULL, dk, key, p->in_w + EE, Lk * N, E, E);
    vis_linear_bwd_f(cfg->fast, dvalue, g->in_w + 2 * EE, g->in_b ? g->in_b + 2 * E : NULL, dv, value, p->in_w + 2 * EE, Lk * N,
                   E, E);
}
