/* nn-check handlers of the engine's layers and losses (nn.h): one per
 * layer, each running forward and backward once on the arrays of DIR. */
#include "nncheck.h"

#include <string.h>

/* ------------------------------------------------------------ recurrent */

static cm_status h_smp_lstm(nc_ctx *c)
{
    int64_t xs[3] = {-1, -1, -1}, ws[2] = {-1, -1};
    float *x = nc_in(c, "x", 3, xs);
    float *w = nc_in(c, "w", 2, ws);
    NC_CHECK(c);
    const int T = (int)xs[0], B = (int)xs[1], In = (int)xs[2], H = (int)ws[1] / 4;
    int64_t bs[1] = {4 * H}, hs0[2] = {B, H}, wexp[2] = {In + H, 4 * H};
    if (ws[0] != In + H || ws[1] != 4 * H)
        return cm_error(CM_ERR_FORMAT, "%s/w.npy: expected shape [%d + H, 4H], got [%lld, %lld]", c->dir, In,
                        (long long)ws[0], (long long)ws[1]);
    (void)wexp;
    float *b = nc_in(c, "b", 1, bs), *h0 = nc_in(c, "h0", 2, hs0), *c0 = nc_in(c, "c0", 2, hs0);
    int64_t ys[3] = {T, B, H};
    float *dy = nc_in(c, "dy", 3, ys);
    float *y = nc_out(c, "y", 3, ys), *cy = nc_out(c, "c", 3, ys);
    float *hsb = nc_scratch(c, (size_t)(T + 1) * B * H), *csb = nc_scratch(c, (size_t)(T + 1) * B * H);
    float *gates = nc_scratch(c, (size_t)T * B * 4 * H), *work = nc_scratch(c, cm_smp_lstm_work_floats(T, B, H));
    float *dx = nc_grad(c, "x"), *dw = nc_grad(c, "w"), *db = nc_grad(c, "b"), *dh0 = nc_grad(c, "h0"),
          *dc0 = nc_grad(c, "c0");
    NC_CHECK(c);
    memcpy(hsb, h0, sizeof(float) * B * H);
    memcpy(csb, c0, sizeof(float) * B * H);
    cm_smp_lstm_forward(hsb, csb, gates, x, w, b, T, B, In, H);
    memcpy(y, hsb + (size_t)B * H, sizeof(float) * T * B * H);
    memcpy(cy, csb + (size_t)B * H, sizeof(float) * T * B * H);
    cm_smp_lstm_backward(dx, dh0, dc0, dw, db, dy, hsb, csb, gates, x, w, T, B, In, H, work);
    return CM_OK;
}

static cm_status h_gru(nc_ctx *c)
{
    int64_t xs[3] = {-1, -1, -1}, ws[2] = {-1, -1};
    float *x = nc_in(c, "x", 3, xs);
    float *whh = nc_in(c, "weight_hh_l0", 2, ws);
    NC_CHECK(c);
    const int T = (int)xs[0], B = (int)xs[1], In = (int)xs[2], H = (int)ws[1];
    int64_t wis[2] = {3 * H, In}, whs[2] = {3 * H, H}, bs[1] = {3 * H}, h0s[2] = {B, H}, ys[3] = {T, B, H};
    if (ws[0] != 3 * H)
        return cm_error(CM_ERR_FORMAT, "%s/weight_hh_l0.npy: expected shape [3H, H]", c->dir);
    (void)whs;
    float *wih = nc_in(c, "weight_ih_l0", 2, wis), *bih = nc_in(c, "bias_ih_l0", 1, bs);
    float *bhh = nc_in(c, "bias_hh_l0", 1, bs), *h0 = nc_in(c, "h0", 2, h0s), *dy = nc_in(c, "dy", 3, ys);
    float *y = nc_out(c, "y", 3, ys), *hsb = nc_scratch(c, (size_t)(T + 1) * B * H);
    float *cache = nc_scratch(c, cm_gru_cache_floats(T, B, H)), *work = nc_scratch(c, cm_gru_work_floats(T, B, H));
    float *dx = nc_grad(c, "x"), *dwih = nc_grad(c, "weight_ih_l0"), *dwhh = nc_grad(c, "weight_hh_l0");
    float *dbih = nc_grad(c, "bias_ih_l0"), *dbhh = nc_grad(c, "bias_hh_l0"), *dh0 = nc_grad(c, "h0");
    NC_CHECK(c);
    memcpy(hsb, h0, sizeof(float) * B * H);
    cm_gru_forward(hsb, cache, x, wih, whh, bih, bhh, T, B, In, H);
    memcpy(y, hsb + (size_t)B * H, sizeof(float) * T * B * H);
    cm_gru_backward(dx, dh0, dwih, dwhh, dbih, dbhh, dy, hsb, cache, x, wih, whh, T, B, In, H, work);
    return CM_OK;
}

/* --------------------------------------------------------- convolutions */

static cm_status conv_common(nc_ctx *c, int transposed)
{
    int64_t xs[4] = {-1, -1, -1, -1}, ws[4] = {-1, -1, -1, -1};
    float *x = nc_in(c, "x", 4, xs);
    float *w = nc_in(c, "weight", 4, ws);
    NC_CHECK(c);
    const int out_c = (int)(transposed ? ws[1] : ws[0]);
    cm_conv2d_cfg cfg = cm_conv2d_make((int)xs[0], (int)xs[1], (int)xs[2], (int)xs[3], out_c, (int)ws[2], (int)ws[3]);
    cfg.stride[0] = (int)nc_int(c, "stride_h", 1);
    cfg.stride[1] = (int)nc_int(c, "stride_w", 1);
    cfg.pad[0] = (int)nc_int(c, "pad_h", 0);
    cfg.pad[1] = (int)nc_int(c, "pad_w", 0);
    cfg.dilation[0] = (int)nc_int(c, "dilation_h", 1);
    cfg.dilation[1] = (int)nc_int(c, "dilation_w", 1);
    cfg.output_padding[0] = (int)nc_int(c, "output_padding_h", 0);
    cfg.output_padding[1] = (int)nc_int(c, "output_padding_w", 0);
    NC_CHECK(c);
    if ((transposed ? ws[0] : ws[1]) != xs[1])
        return cm_error(CM_ERR_FORMAT, "%s/weight.npy: input channels: expected %lld", c->dir, (long long)xs[1]);
    int oh, ow;
    cm_status st = transposed ? cm_conv_transpose2d_out_size(&cfg, &oh, &ow) : cm_conv2d_out_size(&cfg, &oh, &ow);
    if (st)
        return st;
    int64_t bs[1] = {out_c}, ys[4] = {xs[0], out_c, oh, ow};
    float *b = nc_in_optional(c, "bias", 1, bs);
    float *dy = nc_in(c, "dy", 4, ys), *y = nc_out(c, "y", 4, ys);
    float *work = nc_scratch(c, transposed ? cm_conv_transpose2d_work_floats(&cfg) : cm_conv2d_work_floats(&cfg));
    float *dx = nc_grad(c, "x"), *dw = nc_grad(c, "weight"), *db = b ? nc_grad(c, "bias") : NULL;
    NC_CHECK(c);
    if (transposed)
        NC_TIMED(c, cm_conv_transpose2d_forward(y, x, w, b, &cfg, work);
                 cm_conv_transpose2d_backward(dx, dw, db, dy, x, w, &cfg, work));
    else
        NC_TIMED(c, cm_conv2d_forward(y, x, w, b, &cfg, work); cm_conv2d_backward(dx, dw, db, dy, x, w, &cfg, work));
    return CM_OK;
}

static cm_status h_conv2d(nc_ctx *c)
{
    return conv_common(c, 0);
}

static cm_status h_conv_transpose2d(nc_ctx *c)
{
    return conv_common(c, 1);
}

/* -------------------------------------------------------- normalisation */

static cm_status h_batchnorm(nc_ctx *c)
{
    int64_t xs[3] = {-1, -1, -1};
    float *x = nc_in(c, "x", 3, xs); /* [N, C, S]: the python side flattens H, W */
    NC_CHECK(c);
    const int N = (int)xs[0], C = (int)xs[1], S = (int)xs[2];
    int64_t cs[1] = {C};
    float *g = nc_in(c, "weight", 1, cs), *b = nc_in(c, "bias", 1, cs);
    float *rm_in = nc_in(c, "running_mean", 1, cs), *rv_in = nc_in(c, "running_var", 1, cs);
    float *dy = nc_in(c, "dy", 3, xs), *y = nc_out(c, "y", 3, xs);
    float *rm = nc_out(c, "running_mean", 1, cs), *rv = nc_out(c, "running_var", 1, cs);
    float *mean = nc_scratch(c, C), *rstd = nc_scratch(c, C);
    float *dx = nc_grad(c, "x"), *dg = nc_grad(c, "weight"), *db = nc_grad(c, "bias");
    const int train = (int)nc_int(c, "train", 1);
    const float eps = (float)nc_num(c, "eps", 1e-5), momentum = (float)nc_num(c, "momentum", 0.1);
    NC_CHECK(c);
    memcpy(rm, rm_in, sizeof(float) * C);
    memcpy(rv, rv_in, sizeof(float) * C);
    NC_TIMED(c, cm_batchnorm_forward(y, mean, rstd, x, g, b, rm, rv, N, C, S, eps, momentum, train);
             cm_batchnorm_backward(dx, dg, db, dy, x, mean, rstd, g, N, C, S, train));
    return CM_OK;
}

static cm_status h_layernorm(nc_ctx *c)
{
    int64_t xs[2] = {-1, -1};
    float *x = nc_in(c, "x", 2, xs);
    NC_CHECK(c);
    const int N = (int)xs[0], D = (int)xs[1];
    int64_t ds[1] = {D};
    float *g = nc_in(c, "weight", 1, ds), *b = nc_in(c, "bias", 1, ds), *dy = nc_in(c, "dy", 2, xs);
    float *y = nc_out(c, "y", 2, xs), *mean = nc_scratch(c, N), *rstd = nc_scratch(c, N);
    float *dx = nc_grad(c, "x"), *dg = nc_grad(c, "weight"), *db = nc_grad(c, "bias");
    const float eps = (float)nc_num(c, "eps", 1e-5);
    NC_CHECK(c);
    cm_layernorm_forward(y, mean, rstd, x, g, b, N, D, eps);
    cm_layernorm_backward(dx, dg, db, dy, x, mean, rstd, g, N, D);
    return CM_OK;
}

/* --------------------------------------------------------------- pooling */

static cm_status pool_common(nc_ctx *c, int kind)
{
    int64_t xs[4] = {-1, -1, -1, -1};
    float *x = nc_in(c, "x", 4, xs);
    const int k = (int)nc_int(c, "kernel", 2), s = (int)nc_int(c, "stride", 2), p = (int)nc_int(c, "pad", 0);
    NC_CHECK(c);
    const int N = (int)xs[0], C = (int)xs[1], H = (int)xs[2], W = (int)xs[3];
    int64_t ys[4] = {N, C, 1, 1};
    if (kind < 2) {
        ys[2] = cm_pool2d_out(H, k, s, p);
        ys[3] = cm_pool2d_out(W, k, s, p);
        if (ys[2] <= 0 || ys[3] <= 0)
            return cm_error(CM_ERR_ARG, "%s: kernel %d stride %d pad %d: invalid for a %dx%d input", c->cfg_path, k,
                            s, p, H, W);
    }
    float *dy = nc_in(c, "dy", 4, ys), *y = nc_out(c, "y", 4, ys), *dx = nc_grad(c, "x");
    int32_t *arg = NULL;
    if (kind == 0) {
        float *a = nc_scratch(c, (size_t)ys[0] * ys[1] * ys[2] * ys[3]); /* int32 fits in float slots */
        arg = (int32_t *)a;
    }
    NC_CHECK(c);
    if (kind == 0) {
        cm_maxpool2d_forward(y, arg, x, N, C, H, W, k, s, p);
        cm_maxpool2d_backward(dx, dy, arg, N, C, H, W, k, s, p);
    } else if (kind == 1) {
        cm_avgpool2d_forward(y, x, N, C, H, W, k, s, p);
        cm_avgpool2d_backward(dx, dy, N, C, H, W, k, s, p);
    } else {
        cm_global_avgpool_forward(y, x, N, C, H * W);
        cm_global_avgpool_backward(dx, dy, N, C, H * W);
    }
    return CM_OK;
}

static cm_status h_maxpool2d(nc_ctx *c)
{
    return pool_common(c, 0);
}
static cm_status h_avgpool2d(nc_ctx *c)
{
    return pool_common(c, 1);
}
static cm_status h_global_avgpool(nc_ctx *c)
{
    return pool_common(c, 2);
}

/* -------------------------------------------------------------- attention */

/* Loads the four MHA tensors under `prefix` ("" or "self_attn." ...) and their gradients. */
static void load_mha(nc_ctx *c, const char *prefix, int E, cm_mha_params *p, cm_mha_params *g)
{
    char n[4][160];
    snprintf(n[0], sizeof n[0], "%sin_proj_weight", prefix);
    snprintf(n[1], sizeof n[1], "%sin_proj_bias", prefix);
    snprintf(n[2], sizeof n[2], "%sout_proj.weight", prefix);
    snprintf(n[3], sizeof n[3], "%sout_proj.bias", prefix);
    int64_t s0[2] = {3 * E, E}, s1[1] = {3 * E}, s2[2] = {E, E}, s3[1] = {E};
    p->in_w = nc_in(c, n[0], 2, s0);
    p->in_b = nc_in(c, n[1], 1, s1);
    p->out_w = nc_in(c, n[2], 2, s2);
    p->out_b = nc_in(c, n[3], 1, s3);
    g->in_w = nc_grad(c, n[0]);
    g->in_b = nc_grad(c, n[1]);
    g->out_w = nc_grad(c, n[2]);
    g->out_b = nc_grad(c, n[3]);
}

/* Key padding masks travel as float32 0/1; the layers take bytes. */
static uint8_t *load_kpm(nc_ctx *c, const char *name, int N, int L)
{
    int64_t s[2] = {N, L};
    float *m = nc_in_optional(c, name, 2, s);
    if (!m)
        return NULL;
    uint8_t *u = (uint8_t *)nc_scratch(c, ((size_t)N * L + 3) / 4);
    if (!u)
        return NULL;
    for (size_t i = 0; i < (size_t)N * L; i++)
        u[i] = m[i] != 0.0f;
    return u;
}

static cm_status h_mha(nc_ctx *c)
{
    int64_t qs[3] = {-1, -1, -1};
    float *q = nc_in(c, "query", 3, qs);
    const int self = (int)nc_int(c, "self", 1);
    NC_CHECK(c);
    int64_t ks[3] = {-1, qs[1], qs[2]};
    float *k = self ? q : nc_in(c, "key", 3, ks);
    NC_CHECK(c);
    if (self)
        ks[0] = qs[0];
    float *v = self ? q : nc_in(c, "value", 3, ks);
    cm_mha_cfg cfg = {(int)qs[0], (int)ks[0], (int)qs[1], (int)qs[2], (int)nc_int(c, "heads", 1), 0.0f,
                      (int)nc_int(c, "causal", 0), (int)nc_int(c, "fast", 0)};
    NC_CHECK(c);
    cm_status st = cm_mha_check(&cfg);
    if (st)
        return st;
    cm_mha_params p, g;
    load_mha(c, "", cfg.embed, &p, &g);
    int64_t ms[2] = {cfg.lq, cfg.lk}, as[3] = {cfg.batch, cfg.lq, cfg.lk};
    float *mask = nc_in_optional(c, "attn_mask", 2, ms);
    uint8_t *kpm = load_kpm(c, "key_padding_mask", cfg.batch, cfg.lk);
    float *dy = nc_in(c, "dy", 3, qs), *y = nc_out(c, "y", 3, qs), *attn = nc_out(c, "attn", 3, as);
    float *cache = nc_scratch(c, cm_mha_cache_floats(&cfg)), *work = nc_scratch(c, cm_mha_work_floats(&cfg));
    float *dq = nc_grad(c, "query"), *dk = self ? dq : nc_grad(c, "key"), *dv = self ? dq : nc_grad(c, "value");
    NC_CHECK(c);
    NC_TIMED(c, cm_mha_forward(y, cache, q, k, v, &p, mask, kpm, &cfg, 0, NULL);
             cm_mha_backward(dq, dk, dv, &g, dy, cache, q, k, v, &p, &cfg, work));
    /* PyTorch returns the attention weights averaged over the heads. */
    const float *P = cm_mha_attention(cache, &cfg);
    const size_t plane = (size_t)cfg.lq * cfg.lk;
    for (int n = 0; n < cfg.batch; n++)
        for (int h = 0; h < cfg.heads; h++)
            for (size_t i = 0; i < plane; i++)
                attn[n * plane + i] += P[((size_t)n * cfg.heads + h) * plane + i] / cfg.heads;
    return CM_OK;
}

static void load_transformer(nc_ctx *c, int E, int F, int decoder, cm_transformer_params *p,
                             cm_transformer_params *g)
{
    memset(p, 0, sizeof *p);
    memset(g, 0, sizeof *g);
    load_mha(c, "self_attn.", E, &p->self_attn, &g->self_attn);
    if (decoder)
        load_mha(c, "multihead_attn.", E, &p->cross_attn, &g->cross_attn);
    int64_t l1w[2] = {F, E}, l1b[1] = {F}, l2w[2] = {E, F}, e[1] = {E};
    struct {
        const char *name;
        int ndim;
        int64_t *shape;
        float **pp, **gg;
    } t[] = {{"linear1.weight", 2, l1w, &p->linear1_w, &g->linear1_w}, {"linear1.bias", 1, l1b, &p->linear1_b, &g->linear1_b},
             {"linear2.weight", 2, l2w, &p->linear2_w, &g->linear2_w}, {"linear2.bias", 1, e, &p->linear2_b, &g->linear2_b},
             {"norm1.weight", 1, e, &p->norm1_w, &g->norm1_w},         {"norm1.bias", 1, e, &p->norm1_b, &g->norm1_b},
             {"norm2.weight", 1, e, &p->norm2_w, &g->norm2_w},         {"norm2.bias", 1, e, &p->norm2_b, &g->norm2_b},
             {"norm3.weight", 1, e, &p->norm3_w, &g->norm3_w},         {"norm3.bias", 1, e, &p->norm3_b, &g->norm3_b}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        if (!decoder && strncmp(t[i].name, "norm3", 5) == 0)
            continue;
        int64_t s[2] = {t[i].shape[0], t[i].ndim > 1 ? t[i].shape[1] : 0};
        *t[i].pp = nc_in(c, t[i].name, t[i].ndim, s);
        *t[i].gg = nc_grad(c, t[i].name);
    }
}

static cm_status transformer_common(nc_ctx *c, int decoder)
{
    int64_t xs[3] = {-1, -1, -1}, ms[3] = {-1, -1, -1}, l1[2] = {-1, -1};
    float *x = nc_in(c, "x", 3, xs);
    NC_CHECK(c);
    ms[1] = xs[1];
    ms[2] = xs[2];
    l1[1] = xs[2];
    float *mem = decoder ? nc_in(c, "memory", 3, ms) : NULL;
    nc_in(c, "linear1.weight", 2, l1); /* only to learn the feed-forward width */
    NC_CHECK(c);
    c->count--; /* loaded again (with its gradient) below */
    cm_array_free(&c->bufs[c->count].arr);
    cm_transformer_cfg cfg = {(int)xs[0], decoder ? (int)ms[0] : 0, (int)xs[1], (int)xs[2],
                              (int)nc_int(c, "heads", 1), (int)l1[0], 0.0f, (int)nc_int(c, "fast", 0)};
    NC_CHECK(c);
    cm_status st = cm_transformer_check(&cfg, decoder);
    if (st)
        return st;
    cm_transformer_params p, g;
    load_transformer(c, cfg.embed, cfg.ff, decoder, &p, &g);
    float *dy = nc_in(c, "dy", 3, xs), *y = nc_out(c, "y", 3, xs);
    float *cache = nc_scratch(c, cm_transformer_cache_floats(&cfg, decoder));
    float *work = nc_scratch(c, cm_transformer_work_floats(&cfg, decoder));
    float *dx = nc_grad(c, "x"), *dmem = decoder ? nc_grad(c, "memory") : NULL;
    const int causal = (int)nc_int(c, "causal", 0);
    /* Optional masks: the self-attention's additive mask [L, L]; key padding
     * over the tokens (encoder) or over the memory (decoder). */
    int64_t ms2[2] = {cfg.len, cfg.len};
    float *mask = nc_in_optional(c, "attn_mask", 2, ms2);
    uint8_t *kpm = load_kpm(c, "key_padding_mask", cfg.batch, decoder ? cfg.mem_len : cfg.len);
    NC_CHECK(c);
    if (decoder)
        NC_TIMED(c, cm_transformer_decoder_forward(y, cache, x, mem, &p, mask, causal, kpm, &cfg, 0, NULL);
                 cm_transformer_decoder_backward(dx, dmem, &g, dy, cache, x, mem, &p, &cfg, work));
    else
        NC_TIMED(c, cm_transformer_encoder_forward(y, cache, x, &p, mask, kpm, &cfg, 0, NULL);
                 cm_transformer_encoder_backward(dx, &g, dy, cache, x, &p, &cfg, work));
    return CM_OK;
}

static cm_status h_transformer_encoder(nc_ctx *c)
{
    return transformer_common(c, 0);
}
static cm_status h_transformer_decoder(nc_ctx *c)
{
    return transformer_common(c, 1);
}

static cm_status h_resize_bilinear(nc_ctx *c)
{
    int64_t xs[4] = {-1, -1, -1, -1};
    float *x = nc_in(c, "x", 4, xs);
    const int OH = (int)nc_int(c, "out_h", 0), OW = (int)nc_int(c, "out_w", 0);
    NC_CHECK(c);
    if (OH <= 0 || OW <= 0)
        return cm_error(CM_ERR_ARG, "%s: out_h, out_w: expected > 0, got %d, %d", c->cfg_path, OH, OW);
    int64_t ys[4] = {xs[0], xs[1], OH, OW};
    float *dy = nc_in(c, "dy", 4, ys), *y = nc_out(c, "y", 4, ys), *dx = nc_grad(c, "x");
    NC_CHECK(c);
    const int planes = (int)(xs[0] * xs[1]);
    NC_TIMED(c, cm_resize_bilinear_forward(y, x, planes, (int)xs[2], (int)xs[3], OH, OW);
             cm_resize_bilinear_backward(dx, dy, planes, (int)xs[2], (int)xs[3], OH, OW));
    return CM_OK;
}

/* ----------------------------------------------------------------- losses */

/* Element-wise losses: input "x" (probabilities, logits, or a), target "t";
 * the loss is written as "loss" [1], the gradient of scale * loss as grad_x. */
static cm_status loss_common(nc_ctx *c, int kind)
{
    int64_t xs[3] = {-1, -1, -1};
    float *x = nc_in(c, "x", 3, xs);
    float *t = kind == 3 ? NULL : nc_in(c, "t", 3, xs);
    const float scale = (float)nc_num(c, "scale", 1.0);
    int64_t one[1] = {1};
    float *loss = nc_out(c, "loss", 1, one), *dx = nc_grad(c, "x");
    NC_CHECK(c);
    const size_t n = (size_t)xs[0] * xs[1] * xs[2];
    double v;
    switch (kind) {
    case 0: v = cm_bce_forward(x, t, n), cm_bce_backward(dx, x, t, n, scale); break;
    case 1: v = cm_bce_logits_forward(x, t, n), cm_bce_logits_backward(dx, x, t, n, scale); break;
    case 2: v = cm_l1_forward(x, t, n), cm_l1_backward(dx, x, t, n, scale); break;
    default:
        v = cm_tv_forward(x, (int)xs[0], (int)xs[1], (int)xs[2]);
        cm_tv_backward(dx, x, (int)xs[0], (int)xs[1], (int)xs[2], scale);
        break;
    }
    loss[0] = (float)(kind == 3 ? v : v * scale);
    return CM_OK;
}

static cm_status h_bce(nc_ctx *c)
{
    return loss_common(c, 0);
}
static cm_status h_bce_logits(nc_ctx *c)
{
    return loss_common(c, 1);
}
static cm_status h_l1(nc_ctx *c)
{
    return loss_common(c, 2);
}
static cm_status h_tv(nc_ctx *c)
{
    return loss_common(c, 3);
}

/* ------------------------------------------------ the engine core (Part 1) */

static cm_status h_linear(nc_ctx *c)
{
    int64_t xs[2] = {-1, -1}, ws[2] = {-1, -1};
    float *x = nc_in(c, "x", 2, xs);
    float *w = nc_in(c, "weight", 2, ws);
    NC_CHECK(c);
    if (ws[1] != xs[1])
        return cm_error(CM_ERR_FORMAT, "%s/weight.npy: expected %lld columns, got %lld", c->dir, (long long)xs[1],
                        (long long)ws[1]);
    const int N = (int)xs[0], In = (int)xs[1], Out = (int)ws[0];
    int64_t bs[1] = {Out}, ys[2] = {N, Out};
    float *b = nc_in_optional(c, "bias", 1, bs);
    float *dy = nc_in(c, "dy", 2, ys), *y = nc_out(c, "y", 2, ys);
    float *dx = nc_grad(c, "x"), *dw = nc_grad(c, "weight"), *db = b ? nc_grad(c, "bias") : NULL;
    NC_CHECK(c);
    cm_linear_forward(y, x, w, b, N, In, Out, 0);
    cm_linear_backward(dx, dw, db, dy, x, w, N, In, Out);
    return CM_OK;
}

static cm_status activation_common(nc_ctx *c, int kind)
{
    int64_t xs[2] = {-1, -1};
    float *x = nc_in(c, "x", 2, xs);
    float *dy = nc_in(c, "dy", 2, xs), *y = nc_out(c, "y", 2, xs), *dx = nc_grad(c, "x");
    NC_CHECK(c);
    const size_t n = (size_t)xs[0] * xs[1];
    switch (kind) {
    case 0: cm_relu_forward(y, x, n), cm_relu_backward(dx, dy, y, n); break;
    case 1: cm_tanh_forward(y, x, n), cm_tanh_backward(dx, dy, y, n); break;
    default: cm_sigmoid_forward(y, x, n), cm_sigmoid_backward(dx, dy, y, n); break;
    }
    return CM_OK;
}

static cm_status h_relu(nc_ctx *c)
{
    return activation_common(c, 0);
}
static cm_status h_tanh(nc_ctx *c)
{
    return activation_common(c, 1);
}
static cm_status h_sigmoid(nc_ctx *c)
{
    return activation_common(c, 2);
}

/* PyTorch's nn.RNN (config "nonlinearity": 0 relu, 1 tanh) and nn.LSTM, one layer. */
static cm_status recurrent_common(nc_ctx *c, int lstm)
{
    int64_t xs[3] = {-1, -1, -1}, ws[2] = {-1, -1};
    float *x = nc_in(c, "x", 3, xs);
    float *whh = nc_in(c, "weight_hh_l0", 2, ws);
    NC_CHECK(c);
    const int T = (int)xs[0], B = (int)xs[1], In = (int)xs[2], H = (int)ws[1], G = lstm ? 4 * H : H;
    if (ws[0] != G)
        return cm_error(CM_ERR_FORMAT, "%s/weight_hh_l0.npy: expected shape [%s, H]", c->dir, lstm ? "4H" : "H");
    int64_t wis[2] = {G, In}, bs[1] = {G}, h0s[2] = {B, H}, ys[3] = {T, B, H};
    float *wih = nc_in(c, "weight_ih_l0", 2, wis), *bih = nc_in(c, "bias_ih_l0", 1, bs);
    float *bhh = nc_in(c, "bias_hh_l0", 1, bs), *h0 = nc_in(c, "h0", 2, h0s);
    float *c0 = lstm ? nc_in(c, "c0", 2, h0s) : NULL;
    float *dy = nc_in(c, "dy", 3, ys), *y = nc_out(c, "y", 3, ys);
    const cm_activation act = nc_int(c, "nonlinearity", 1) ? CM_ACT_TANH : CM_ACT_RELU;
    const size_t BH = (size_t)B * H;
    float *hs = nc_scratch(c, (T + 1) * BH), *cs = lstm ? nc_scratch(c, (T + 1) * BH) : NULL;
    float *gates = lstm ? nc_scratch(c, (size_t)T * B * G) : NULL;
    float *work = nc_scratch(c, lstm ? cm_lstm_work_floats(T, B, H) : (size_t)T * BH);
    float *fwork = lstm ? nc_scratch(c, cm_lstm_forward_work_floats(H)) : NULL;
    float *dx = nc_grad(c, "x"), *dwih = nc_grad(c, "weight_ih_l0"), *dwhh = nc_grad(c, "weight_hh_l0");
    float *dbih = nc_grad(c, "bias_ih_l0"), *dbhh = nc_grad(c, "bias_hh_l0"), *dh0 = nc_grad(c, "h0");
    float *dc0 = lstm ? nc_grad(c, "c0") : NULL;
    NC_CHECK(c);
    memcpy(hs, h0, BH * sizeof(float));
    if (lstm) {
        memcpy(cs, c0, BH * sizeof(float));
        cm_lstm_forward(hs, cs, gates, x, wih, whh, bih, bhh, T, B, In, H, fwork);
        cm_lstm_backward(dx, dh0, dc0, dwih, dwhh, dbih, dbhh, dy, hs, cs, gates, x, wih, whh, T, B, In, H, work);
    } else {
        cm_rnn_forward(hs, x, wih, whh, bih, bhh, T, B, In, H, act);
        memcpy(work, dy, (size_t)T * BH * sizeof(float)); /* backward overwrites its dhs */
        cm_rnn_backward(dx, dh0, dwih, dwhh, dbih, dbhh, work, hs, x, wih, whh, T, B, In, H, act);
    }
    memcpy(y, hs + BH, (size_t)T * BH * sizeof(float));
    return CM_OK;
}

static cm_status h_rnn(nc_ctx *c)
{
    return recurrent_common(c, 0);
}
static cm_status h_lstm(nc_ctx *c)
{
    return recurrent_common(c, 1);
}

static cm_status h_log_softmax(nc_ctx *c)
{
    int64_t zs[2] = {-1, -1};
    float *z = nc_in(c, "x", 2, zs);
    float *dy = nc_in(c, "dy", 2, zs), *y = nc_out(c, "y", 2, zs), *dz = nc_grad(c, "x");
    NC_CHECK(c);
    cm_log_softmax_forward(y, z, (int)zs[0], (int)zs[1]);
    cm_log_softmax_backward(dz, dy, y, (int)zs[0], (int)zs[1]);
    return CM_OK;
}

/* Row losses on x[N, C] against t[N, C]: "loss" [1] = scale * sum (or the mean
 * for mse, as the core defines it), grad_x (and grad_t for kl_div). */
static cm_status core_loss_common(nc_ctx *c, int kind)
{
    int64_t xs[2] = {-1, -1}, one[1] = {1};
    float *x = nc_in(c, "x", 2, xs), *t = nc_in(c, "t", 2, xs);
    const float scale = (float)nc_num(c, "scale", 1.0);
    float *loss = nc_out(c, "loss", 1, one), *dx = nc_grad(c, "x"), *dt = kind == 1 ? nc_grad(c, "t") : NULL;
    float *logp = kind == 0 ? nc_scratch(c, (size_t)xs[0] * xs[1]) : NULL;
    NC_CHECK(c);
    const int N = (int)xs[0], C = (int)xs[1];
    const size_t n = (size_t)N * C;
    double v;
    switch (kind) {
    case 0:
        v = cm_softmax_xent_forward(logp, x, t, N, C);
        cm_softmax_xent_backward(dx, logp, t, N, C, scale);
        break;
    case 1: v = cm_kl_div_forward(x, t, n), cm_kl_div_backward(dx, dt, x, t, n, scale); break;
    default: v = cm_mse_forward(x, t, n), cm_mse_backward(dx, x, t, n, scale); break;
    }
    loss[0] = (float)(v * scale);
    return CM_OK;
}

static cm_status h_softmax_xent(nc_ctx *c)
{
    return core_loss_common(c, 0);
}
static cm_status h_kl_div(nc_ctx *c)
{
    return core_loss_common(c, 1);
}
static cm_status h_mse(nc_ctx *c)
{
    return core_loss_common(c, 2);
}

/* ------------------------------------------------------------------ table */

const nc_layer nc_nn_layers[] = {
    {"smp_lstm", h_smp_lstm},
    {"gru", h_gru},
    {"conv2d", h_conv2d},
    {"conv_transpose2d", h_conv_transpose2d},
    {"batchnorm", h_batchnorm},
    {"layernorm", h_layernorm},
    {"maxpool2d", h_maxpool2d},
    {"avgpool2d", h_avgpool2d},
    {"global_avgpool", h_global_avgpool},
    {"mha", h_mha},
    {"transformer_encoder", h_transformer_encoder},
    {"transformer_decoder", h_transformer_decoder},
    {"bce", h_bce},
    {"bce_logits", h_bce_logits},
    {"l1", h_l1},
    {"tv", h_tv},
    {"resize_bilinear", h_resize_bilinear},
    {"linear", h_linear},
    {"relu", h_relu},
    {"tanh", h_tanh},
    {"sigmoid", h_sigmoid},
    {"rnn", h_rnn},
    {"lstm", h_lstm},
    {"log_softmax", h_log_softmax},
    {"softmax_xent", h_softmax_xent},
    {"kl_div", h_kl_div},
    {"mse", h_mse},
    {NULL, NULL},
};
