/* The BEV predictor's forward pass (ssm-pc.md §6.2), step by step as
 * bev_net.py runs it, on the engine's layers. */
#include "models/bevnet_internal.h"

#include <math.h>
#include <string.h>

static const float *P(const cm_bevnet *m, int i)
{
    return cm_params_data(&m->p, i);
}

void bev_normalise(float *x, const uint8_t *rgb, int n, int side)
{
    /* ToTensor (byte / 255) then Normalize with ImageNet's statistics. */
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    const size_t plane = (size_t)side * side;
    for (int b = 0; b < n; b++)
        for (int ch = 0; ch < 3; ch++) {
            float *dst = x + ((size_t)b * 3 + ch) * plane;
            const uint8_t *src = rgb + (size_t)b * plane * 3 + ch;
            for (size_t i = 0; i < plane; i++)
                dst[i] = ((float)src[3 * i] / 255.0f - mean[ch]) / sd[ch];
        }
}

/* conv (or transposed conv) -> BatchNorm -> ReLU. Training: the batch's
 * statistics normalise, and bm / bv receive its mean and unbiased variance
 * (momentum 1 into zeroed buffers); evaluation: the running statistics. */
static void bn_relu(const cm_bevnet *m, const bev_block_idx *ix, float *act, float *mean, float *rstd, float *bm,
                    float *bv, const float *pre, int n, int C, int S, int train)
{
    const cm_bevnet_config *c = &m->cfg;
    if (train) {
        memset(bm, 0, (size_t)C * sizeof *bm);
        memset(bv, 0, (size_t)C * sizeof *bv);
        cm_batchnorm_forward(act, mean, rstd, pre, P(m, ix->g), P(m, ix->beta), bm, bv, n, C, S, c->bn_eps, 1.0f, 1);
    } else {
        cm_batchnorm_forward(act, mean, rstd, pre, P(m, ix->g), P(m, ix->beta), (float *)P(m, ix->rm),
                             (float *)P(m, ix->rv), n, C, S, c->bn_eps, 0.0f, 0);
    }
    cm_relu_forward(act, act, (size_t)n * C * S);
}

static void forward_reference(const cm_bevnet *m, cm_bevnet_state *s, const cm_bevnet_batch *b, cm_rng *rng);

cm_status cm_bevnet_forward(const cm_bevnet *m, cm_bevnet_state *s, const cm_bevnet_batch *b, cm_rng *rng,
                            double *loss)
{
    const cm_bevnet_config *c = &m->cfg;
    if (!b || !b->rgb || b->n < 1 || b->n > s->batch)
        return cm_error(CM_ERR_ARG, "bev forward: batch: expected 1..%d frames, got %d", s->batch, b ? b->n : 0);
    if (b->target && !(b->grad_scale > 0.0f && isfinite(b->grad_scale)))
        return cm_error(CM_ERR_ARG, "bev forward: grad_scale: expected > 0 (1 for a whole batch), got %g",
                        (double)b->grad_scale);
    const int n = b->n, train = rng != NULL;
    if (train && !s->train)
        return cm_error(CM_ERR_ARG, "bev forward: training mode (rng given) needs a training state (train = 1)");
    s->n = n;
    s->is_train_fwd = train;
    s->has_loss = b->target != NULL;
    s->target = b->target;
    s->grad_scale = b->grad_scale;
    if (s->train) {
        /* BLAS held to one thread (given back as found): the reference convolutions'
         * per-image products are small, and OpenBLAS's workers, yielding between
         * them, took a quarter of a 2-thread bev-small step; the Transformer's
         * products split over OpenMP (cm_sgemm) instead. */
        const int blas = cm_blas_hold();
        forward_reference(m, s, b, rng);
        cm_blas_release(blas);
    } else
        bev_forward_infer(m, s, b->rgb, n);

    s->loss = s->l_alpha = s->l_rgb = s->l_smooth = 0.0;
    if (b->target)
        s->loss = bev_loss_forward(c, s->out, b->target, n, &s->l_alpha, &s->l_rgb, &s->l_smooth);
    if (loss)
        *loss = s->loss;
    if (b->target && !isfinite(s->loss))
        return cm_error(CM_ERR_NUMERIC, "bev forward: loss is %g", s->loss);
    return CM_OK;
}

/* The reference forward of a training state (either mode): the engine's
 * layers, every activation kept for backward. */
static void forward_reference(const cm_bevnet *m, cm_bevnet_state *s, const cm_bevnet_batch *b, cm_rng *rng)
{
    const cm_bevnet_config *c = &m->cfg;
    const int n = b->n, train = rng != NULL, d = m->d, hf = m->hf, N = n * hf;

    /* 1. Encoder CNN. */
    bev_normalise(s->x0, b->rgb, n, c->image);
    const float *in = s->x0;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        const bev_conv_shape *e = &s->enc_shape[i];
        cm_conv2d_cfg cc = bev_enc_conv(s, i, n);
        cm_conv2d_forward(s->enc_pre[i], in, P(m, m->enc[i].w), P(m, m->enc[i].b), &cc, s->work);
        bn_relu(m, &m->enc[i], s->enc_act[i], s->enc_mean[i], s->enc_rstd[i], s->enc_bm[i], s->enc_bv[i],
                s->enc_pre[i], n, e->out_c, e->out_s * e->out_s, train);
        in = s->enc_act[i];
    }

    /* 2. Row tokens: X[w, b*hf + h, c] = F[b, c, h, w] + PE[w, c]. */
    const float *F = s->enc_act[CM_BEVNET_ENC_BLOCKS - 1];
    for (int w = 0; w < hf; w++)
        for (int bb = 0; bb < n; bb++)
            for (int h = 0; h < hf; h++) {
                float *t = s->tok + ((size_t)w * N + (size_t)bb * hf + h) * d;
                for (int ch = 0; ch < d; ch++)
                    t[ch] = F[(((size_t)bb * d + ch) * hf + h) * hf + w] + m->pe_tok[(size_t)w * d + ch];
            }

    /* 3-4. Transformer encoder, then decoder over the fixed sinusoidal queries. */
    bev_transformer_cfgs(m, n, &s->tenc, &s->tdec);
    if (train) {
        const uint64_t key = cm_rng_u64(rng);
        for (int l = 0; l < c->enc_layers + c->dec_layers; l++)
            cm_rng_seed(&s->layer_rng[l], key, (uint64_t)l);
    }
    cm_transformer_params lp;
    for (int l = 0; l < c->enc_layers; l++) {
        bev_layer_ptrs(m, m->p.params, m->enc_layer[l], 0, &lp);
        cm_transformer_encoder_forward(s->enc_x[l + 1], s->enc_cache[l], s->enc_x[l], &lp, NULL, NULL, &s->tenc,
                                       train, train ? &s->layer_rng[l] : NULL);
    }
    const float *mem = s->enc_x[c->enc_layers];
    for (int qi = 0; qi < m->q; qi++)
        for (int r = 0; r < N; r++)
            memcpy(s->dec_x[0] + ((size_t)qi * N + r) * d, m->pe_q + (size_t)qi * d, (size_t)d * sizeof(float));
    for (int l = 0; l < c->dec_layers; l++) {
        bev_layer_ptrs(m, m->p.params, m->dec_layer[l], 1, &lp);
        cm_transformer_decoder_forward(s->dec_x[l + 1], s->dec_cache[l], s->dec_x[l], mem, &lp, NULL, 0, NULL,
                                       &s->tdec, train, train ? &s->layer_rng[c->enc_layers + l] : NULL);
    }

    /* 5. Back to a grid: Z[b, q, h*d + c] = Y[q, b*hf + h, c]; Linear(hf*d -> d);
     *    U[b, c, q] = P[b, q, c]. */
    const float *Y = s->dec_x[c->dec_layers];
    for (int bb = 0; bb < n; bb++)
        for (int qi = 0; qi < m->q; qi++)
            for (int h = 0; h < hf; h++)
                memcpy(s->z + ((size_t)bb * m->q + qi) * hf * d + (size_t)h * d,
                       Y + ((size_t)qi * N + (size_t)bb * hf + h) * d, (size_t)d * sizeof(float));
    cm_linear_forward(s->pz, s->z, P(m, m->proj_w), P(m, m->proj_b), n * m->q, hf * d, d, 0);
    for (int bb = 0; bb < n; bb++)
        for (int qi = 0; qi < m->q; qi++)
            for (int ch = 0; ch < d; ch++)
                s->up_in[((size_t)bb * d + ch) * m->q + qi] = s->pz[((size_t)bb * m->q + qi) * d + ch];

    /* 6. Upsampler, then the 3x3 head. */
    in = s->up_in;
    for (int i = 0; i < c->n_up; i++) {
        const bev_conv_shape *u = &s->up_shape[i];
        cm_conv2d_cfg cc = bev_up_conv(s, i, n);
        cm_conv_transpose2d_forward(s->up_pre[i], in, P(m, m->up[i].w), P(m, m->up[i].b), &cc, s->work);
        bn_relu(m, &m->up[i], s->up_act[i], s->up_mean[i], s->up_rstd[i], s->up_bm[i], s->up_bv[i], s->up_pre[i], n,
                u->out_c, u->out_s * u->out_s, train);
        in = s->up_act[i];
    }
    cm_conv2d_cfg hc = bev_head_conv(m, n);
    cm_conv2d_forward(s->logits, in, P(m, m->head_w), P(m, m->head_b), &hc, s->work);

    /* 7. Sigmoid RGB and alpha, resized bilinearly to the output window. */
    const size_t headn = (size_t)n * 4 * m->side * m->side;
    cm_sigmoid_forward(s->prob, s->logits, headn);
    if (m->side == c->out)
        memcpy(s->out, s->prob, headn * sizeof(float));
    else
        cm_resize_bilinear_forward(s->out, s->prob, n * 4, m->side, m->side, c->out, c->out);
}

cm_status cm_bevnet_predict(const cm_bevnet *m, cm_bevnet_state *s, const uint8_t *rgb, int n, float *out)
{
    if (n < 0 || (n > 0 && (!rgb || !out)))
        return cm_error(CM_ERR_ARG, "bev predict: expected n >= 0 frames and buffers, got %d", n);
    const cm_bevnet_config *c = &m->cfg;
    const size_t in_sz = (size_t)c->image * c->image * 3, out_sz = (size_t)4 * c->out * c->out;
    for (int at = 0; at < n; at += s->batch) {
        cm_bevnet_batch b = {n - at < s->batch ? n - at : s->batch, rgb + (size_t)at * in_sz, NULL, 1.0f};
        cm_status st = cm_bevnet_forward(m, s, &b, NULL, NULL);
        if (st != CM_OK)
            return st;
        memcpy(out + (size_t)at * out_sz, s->out, (size_t)b.n * out_sz * sizeof(float));
    }
    return CM_OK;
}
