/* The BEV predictor's per-batch state: every activation, cache and
 * workspace a forward (and, for training states, a backward) pass needs,
 * allocated once for the largest batch so that a step never allocates. */
#include "models/bevnet_internal.h"

#include <string.h>

/* Every buffer is its own zeroed, 64-byte aligned allocation. */
static float *grab(cm_bevnet_state *s, size_t floats)
{
    float *p = cm_calloc(floats ? floats : 1, sizeof(float));
    if (p)
        s->bytes += floats * sizeof(float);
    return p;
}

/* Sizes of the encoder's and upsampler's conv blocks for this model. */
static void shapes(const cm_bevnet *m, cm_bevnet_state *s)
{
    const cm_bevnet_config *c = &m->cfg;
    int in_c = 3, side = c->image;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        s->enc_shape[i] = (bev_conv_shape){in_c, side, c->enc_channels[i], (side + 1) / 2};
        in_c = c->enc_channels[i];
        side = (side + 1) / 2;
    }
    in_c = m->d;
    side = c->grid;
    for (int i = 0; i < c->n_up; i++) {
        s->up_shape[i] = (bev_conv_shape){in_c, side, c->up_channels[i], 2 * side};
        in_c = c->up_channels[i];
        side *= 2;
    }
}

static size_t max_sz(size_t a, size_t b)
{
    return a > b ? a : b;
}

/* Transformer configurations at batch B frames (hf tokens of width d per row). */
void bev_transformer_cfgs(const cm_bevnet *m, int B, cm_transformer_cfg *enc, cm_transformer_cfg *dec)
{
    const cm_bevnet_config *c = &m->cfg;
    *enc = (cm_transformer_cfg){m->hf, 0, B * m->hf, m->d, c->heads, c->ff, c->dropout, 1};
    *dec = (cm_transformer_cfg){m->q, m->hf, B * m->hf, m->d, c->heads, c->ff, c->dropout, 1};
}

/* Scratch floats every layer of a forward (and backward) at batch B needs. */
static size_t work_floats(const cm_bevnet *m, const cm_bevnet_state *s, int B, int train)
{
    size_t w = 0;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        const bev_conv_shape *e = &s->enc_shape[i];
        cm_conv2d_cfg cc = cm_conv2d_make(1, e->in_c, e->in_s, e->in_s, e->out_c, 3, 3);
        cc.stride[0] = cc.stride[1] = 2;
        cc.pad[0] = cc.pad[1] = 1;
        w = max_sz(w, cm_conv2d_work_floats(&cc));
    }
    for (int i = 0; i < m->cfg.n_up; i++) {
        const bev_conv_shape *u = &s->up_shape[i];
        cm_conv2d_cfg cc = cm_conv2d_make(1, u->in_c, u->in_s, u->in_s, u->out_c, 4, 4);
        cc.stride[0] = cc.stride[1] = 2;
        cc.pad[0] = cc.pad[1] = 1;
        w = max_sz(w, cm_conv_transpose2d_work_floats(&cc));
    }
    cm_conv2d_cfg hc = cm_conv2d_make(1, m->cfg.up_channels[m->cfg.n_up - 1], m->side, m->side, 4, 3, 3);
    hc.pad[0] = hc.pad[1] = 1;
    w = max_sz(w, cm_conv2d_work_floats(&hc));
    if (train) {
        cm_transformer_cfg te, td;
        bev_transformer_cfgs(m, B, &te, &td);
        w = max_sz(w, cm_transformer_work_floats(&te, 0));
        w = max_sz(w, cm_transformer_work_floats(&td, 1));
    }
    return w;
}

#define GRAB(ptr, n)                                                                                                   \
    do {                                                                                                               \
        (ptr) = grab(s, (n));                                                                                          \
        ok = ok && (ptr);                                                                                              \
    } while (0)

/* A training state: every activation and cache of the reference layers, and
 * the backward buffers. */
static int alloc_train(const cm_bevnet *m, cm_bevnet_state *s, int batch)
{
    const cm_bevnet_config *c = &m->cfg;
    const size_t B = (size_t)batch;
    int ok = 1;
    GRAB(s->x0, B * 3 * c->image * c->image);
    size_t biggest = B * 4 * (size_t)c->out * c->out;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        const bev_conv_shape *e = &s->enc_shape[i];
        const size_t n = B * e->out_c * e->out_s * e->out_s;
        GRAB(s->enc_pre[i], n);
        GRAB(s->enc_act[i], n);
        GRAB(s->enc_mean[i], e->out_c);
        GRAB(s->enc_rstd[i], e->out_c);
        GRAB(s->enc_bm[i], e->out_c);
        GRAB(s->enc_bv[i], e->out_c);
        biggest = max_sz(biggest, n);
    }
    const size_t tokn = (size_t)m->hf * B * m->hf * m->d, qn = (size_t)m->q * B * m->hf * m->d;
    for (int l = 0; l <= c->enc_layers; l++)
        GRAB(s->enc_x[l], tokn);
    s->tok = s->enc_x[0];
    for (int l = 0; l < c->enc_layers; l++)
        GRAB(s->enc_cache[l], cm_transformer_cache_floats(&s->tenc, 0));
    for (int l = 0; l <= c->dec_layers; l++)
        GRAB(s->dec_x[l], qn);
    for (int l = 0; l < c->dec_layers; l++)
        GRAB(s->dec_cache[l], cm_transformer_cache_floats(&s->tdec, 1));
    GRAB(s->z, qn);
    GRAB(s->pz, B * m->q * m->d);
    GRAB(s->up_in, B * m->q * m->d);
    biggest = max_sz(biggest, B * m->q * m->d);
    for (int i = 0; i < c->n_up; i++) {
        const bev_conv_shape *u = &s->up_shape[i];
        const size_t n = B * u->out_c * u->out_s * u->out_s;
        GRAB(s->up_pre[i], n);
        GRAB(s->up_act[i], n);
        GRAB(s->up_mean[i], u->out_c);
        GRAB(s->up_rstd[i], u->out_c);
        GRAB(s->up_bm[i], u->out_c);
        GRAB(s->up_bv[i], u->out_c);
        biggest = max_sz(biggest, n);
    }
    const size_t headn = B * 4 * (size_t)m->side * m->side;
    GRAB(s->logits, headn);
    GRAB(s->prob, headn);
    GRAB(s->out, B * 4 * (size_t)c->out * c->out);
    biggest = max_sz(biggest, headn);
    s->work_floats = work_floats(m, s, batch, 1);
    GRAB(s->work, s->work_floats);
    GRAB(s->g_a, biggest);
    GRAB(s->g_b, biggest);
    GRAB(s->g_tok, tokn);
    GRAB(s->g_mem, tokn);
    GRAB(s->g_dec_a, qn);
    GRAB(s->g_dec_b, qn);
    GRAB(s->g_z, qn);
    GRAB(s->g_pz, B * m->q * m->d);
    return ok;
}

/* An inference state (bevnet_infer.c): two ping-pong image buffers, one
 * column matrix, one folded block, the Transformers' inputs and outputs
 * (one encoder cache for all layers), the decoder's inference workspace. */
static int alloc_infer(const cm_bevnet *m, cm_bevnet_state *s, int batch)
{
    const cm_bevnet_config *c = &m->cfg;
    const size_t B = (size_t)batch;
    int ok = 1;
    size_t act = B * 3 * c->image * c->image, col = 0, fold = 0;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        const bev_conv_shape *e = &s->enc_shape[i];
        const size_t P = (size_t)e->out_s * e->out_s, per = (size_t)e->in_c * 9 * P;
        act = max_sz(act, B * e->out_c * P);
        col = max_sz(col, per * max_sz(1, BEV_COL_FLOATS / per < B ? BEV_COL_FLOATS / per : B));
        fold = max_sz(fold, (size_t)e->out_c * (e->in_c * 9 + 1));
    }
    for (int i = 0; i < c->n_up; i++) {
        const bev_conv_shape *u = &s->up_shape[i];
        const size_t per = (size_t)u->out_c * 16 * u->in_s * u->in_s;
        act = max_sz(act, B * u->out_c * u->out_s * u->out_s);
        col = max_sz(col, per * max_sz(1, BEV_COL_FLOATS / per < B ? BEV_COL_FLOATS / per : B));
        fold = max_sz(fold, (size_t)u->in_c * u->out_c * 16 + u->out_c);
    }
    /* the head's padded input rows, per thread (bevnet_infer.c), in the column buffer */
    const size_t head_rows = (size_t)3 * c->up_channels[c->n_up - 1] * ((m->side + 15) / 16 * 16 + 2);
    s->slots = cm_threads() < 1 ? 1 : (cm_threads() > 64 ? 64 : cm_threads());
    col = max_sz(col, head_rows * (size_t)s->slots);
    GRAB(s->fa, act);
    GRAB(s->fb, act);
    GRAB(s->col, col);
    GRAB(s->fold, fold);
    const size_t tokn = (size_t)m->hf * B * m->hf * m->d, qn = (size_t)m->q * B * m->hf * m->d;
    GRAB(s->enc_x[0], tokn);
    GRAB(s->enc_x[1], tokn);
    s->tok = s->enc_x[0];
    GRAB(s->enc_cache[0], cm_transformer_cache_floats(&s->tenc, 0));
    GRAB(s->dec_x[0], qn);
    GRAB(s->dec_x[1], qn);
    s->work_floats = cm_transformer_decoder_infer_work_floats(&s->tdec);
    GRAB(s->work, s->work_floats);
    GRAB(s->pz, B * m->q * m->d);
    GRAB(s->up_in, B * m->q * m->d);
    const size_t headn = B * 4 * (size_t)m->side * m->side;
    GRAB(s->logits, headn);
    GRAB(s->prob, headn);
    GRAB(s->out, B * 4 * (size_t)c->out * c->out);
    return ok;
}
#undef GRAB

cm_status cm_bevnet_state_create(const cm_bevnet *m, int batch, int train, cm_bevnet_state **out)
{
    *out = NULL;
    if (batch < 1 || batch > 65536)
        return cm_error(CM_ERR_ARG, "bev state: batch: expected 1..65536, got %d", batch);
    cm_bevnet_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "bev state: out of memory");
    s->batch = batch;
    s->train = train != 0;
    shapes(m, s);
    bev_transformer_cfgs(m, batch, &s->tenc, &s->tdec);
    const int ok = s->train ? alloc_train(m, s, batch) : alloc_infer(m, s, batch);
    if (!ok) {
        size_t bytes = s->bytes;
        cm_bevnet_state_free(s);
        return cm_error(CM_ERR_NOMEM, "bev state: out of memory for batch %d (%.1f MB allocated before failing)", batch,
                        bytes / 1e6);
    }
    *out = s;
    return CM_OK;
}

void cm_bevnet_state_free(cm_bevnet_state *s)
{
    if (!s)
        return;
    cm_free(s->x0);
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        cm_free(s->enc_pre[i]);
        cm_free(s->enc_act[i]);
        cm_free(s->enc_mean[i]);
        cm_free(s->enc_rstd[i]);
        cm_free(s->enc_bm[i]);
        cm_free(s->enc_bv[i]);
    }
    for (int l = 0; l <= BEV_MAX_LAYERS; l++) {
        cm_free(s->enc_x[l]);
        cm_free(s->dec_x[l]);
    }
    for (int l = 0; l < BEV_MAX_LAYERS; l++) {
        cm_free(s->enc_cache[l]);
        cm_free(s->dec_cache[l]);
    }
    cm_free(s->z);
    cm_free(s->pz);
    cm_free(s->up_in);
    for (int i = 0; i < CM_BEVNET_MAX_UP; i++) {
        cm_free(s->up_pre[i]);
        cm_free(s->up_act[i]);
        cm_free(s->up_mean[i]);
        cm_free(s->up_rstd[i]);
        cm_free(s->up_bm[i]);
        cm_free(s->up_bv[i]);
    }
    cm_free(s->logits);
    cm_free(s->prob);
    cm_free(s->out);
    cm_free(s->work);
    cm_free(s->g_a);
    cm_free(s->g_b);
    cm_free(s->g_tok);
    cm_free(s->g_mem);
    cm_free(s->g_dec_a);
    cm_free(s->g_dec_b);
    cm_free(s->g_z);
    cm_free(s->g_pz);
    cm_free(s->fa);
    cm_free(s->fb);
    cm_free(s->col);
    cm_free(s->fold);
    cm_free(s);
}

size_t cm_bevnet_state_bytes(const cm_bevnet_state *s)
{
    return s->bytes;
}

const float *cm_bevnet_output(const cm_bevnet_state *s)
{
    return s->out;
}

void cm_bevnet_loss_terms(const cm_bevnet_state *s, double *alpha_bce, double *rgb_mse, double *smooth)
{
    if (alpha_bce)
        *alpha_bce = s->l_alpha;
    if (rgb_mse)
        *rgb_mse = s->l_rgb;
    if (smooth)
        *smooth = s->l_smooth;
}
