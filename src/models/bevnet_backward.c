/* The BEV predictor's backward pass: the forward's steps in reverse, every
 * parameter gradient accumulated into the caller's block, and (training
 * mode) the batch statistics into the running-statistic slots
 * (bevnet.h). Two ping-pong buffers carry the image gradients. */
#include "models/bevnet_internal.h"

#include <string.h>

static const float *P(const cm_bevnet *m, int i)
{
    return cm_params_data(&m->p, i);
}

static float *G(const cm_bevnet *m, float *grad, int i)
{
    return grad + m->p.tensors[i].offset;
}

/* Through ReLU (in place on dact, using the block's output act), BatchNorm
 * (into dpre, zeroed here) and the statistic slots. */
static void relu_bn_backward(const cm_bevnet *m, const cm_bevnet_state *s, float *grad, const bev_block_idx *ix,
                             float *dact, float *dpre, const float *act, const float *pre, const float *mean,
                             const float *rstd, const float *bm, const float *bv, int n, int C, int S)
{
    const size_t cnt = (size_t)n * C * S;
    for (size_t i = 0; i < cnt; i++)
        if (!(act[i] > 0.0f))
            dact[i] = 0.0f;
    memset(dpre, 0, cnt * sizeof *dpre);
    cm_batchnorm_backward(dpre, G(m, grad, ix->g), G(m, grad, ix->beta), dact, pre, mean, rstd, P(m, ix->g), n, C, S,
                          s->is_train_fwd);
    if (s->is_train_fwd) {
        float *grm = G(m, grad, ix->rm), *grv = G(m, grad, ix->rv);
        for (int c = 0; c < C; c++) {
            grm[c] += s->grad_scale * bm[c];
            grv[c] += s->grad_scale * bv[c];
        }
    }
}

static void backward_body(const cm_bevnet *m, cm_bevnet_state *s, float *grad);

cm_status cm_bevnet_backward(const cm_bevnet *m, cm_bevnet_state *s, float *grad)
{
    if (!s->train)
        return cm_error(CM_ERR_ARG, "bev backward: the state was created for inference (train = 0)");
    if (!s->has_loss || s->n < 1)
        return cm_error(CM_ERR_ARG, "bev backward: the last forward had no target (no loss to differentiate)");
    const int blas = cm_blas_hold(); /* held to one thread as in the forward (bevnet_forward.c) */
    backward_body(m, s, grad);
    cm_blas_release(blas);
    return CM_OK;
}

static void backward_body(const cm_bevnet *m, cm_bevnet_state *s, float *grad)
{
    const cm_bevnet_config *c = &m->cfg;
    const int n = s->n, d = m->d, hf = m->hf, N = n * hf;
    float *ga = s->g_a, *gb = s->g_b;

    /* 7. Loss -> output -> (resize) -> sigmoid. */
    const size_t outn = (size_t)n * 4 * c->out * c->out, headn = (size_t)n * 4 * m->side * m->side;
    memset(ga, 0, outn * sizeof *ga);
    bev_loss_backward(c, ga, s->out, s->target, n, s->grad_scale);
    if (m->side == c->out) {
        memcpy(gb, ga, headn * sizeof *gb);
    } else {
        memset(gb, 0, headn * sizeof *gb);
        cm_resize_bilinear_backward(gb, ga, n * 4, m->side, m->side, c->out, c->out);
    }
    memset(ga, 0, headn * sizeof *ga);
    cm_sigmoid_backward(ga, gb, s->prob, headn); /* ga = d logits */

    /* 6. Head, then the upsampler in reverse. */
    const bev_conv_shape *last = &s->up_shape[c->n_up - 1];
    cm_conv2d_cfg hc = bev_head_conv(m, n);
    memset(gb, 0, (size_t)n * last->out_c * last->out_s * last->out_s * sizeof *gb);
    cm_conv2d_backward(gb, G(m, grad, m->head_w), G(m, grad, m->head_b), ga, s->up_act[c->n_up - 1],
                       P(m, m->head_w), &hc, s->work);
    for (int i = c->n_up - 1; i >= 0; i--) {
        const bev_conv_shape *u = &s->up_shape[i];
        const int S = u->out_s * u->out_s;
        /* gb = d act_i -> ga = d pre_i -> gb = d input_i */
        relu_bn_backward(m, s, grad, &m->up[i], gb, ga, s->up_act[i], s->up_pre[i], s->up_mean[i], s->up_rstd[i],
                         s->up_bm[i], s->up_bv[i], n, u->out_c, S);
        memset(gb, 0, (size_t)n * u->in_c * u->in_s * u->in_s * sizeof *gb);
        cm_conv2d_cfg cc = bev_up_conv(s, i, n);
        cm_conv_transpose2d_backward(gb, G(m, grad, m->up[i].w), G(m, grad, m->up[i].b), ga,
                                     i ? s->up_act[i - 1] : s->up_in, P(m, m->up[i].w), &cc, s->work);
    }

    /* 5. Grid -> projection -> decoder outputs. gb = d up_in [n, d, q]. */
    for (int bb = 0; bb < n; bb++)
        for (int qi = 0; qi < m->q; qi++)
            for (int ch = 0; ch < d; ch++)
                s->g_pz[((size_t)bb * m->q + qi) * d + ch] = gb[((size_t)bb * d + ch) * m->q + qi];
    memset(s->g_z, 0, (size_t)n * m->q * hf * d * sizeof(float));
    cm_linear_backward(s->g_z, G(m, grad, m->proj_w), G(m, grad, m->proj_b), s->g_pz, s->z, P(m, m->proj_w),
                       n * m->q, hf * d, d);
    float *dy = s->g_dec_a, *dx = s->g_dec_b;
    for (int bb = 0; bb < n; bb++)
        for (int qi = 0; qi < m->q; qi++)
            for (int h = 0; h < hf; h++)
                memcpy(dy + ((size_t)qi * N + (size_t)bb * hf + h) * d,
                       s->g_z + ((size_t)bb * m->q + qi) * hf * d + (size_t)h * d, (size_t)d * sizeof(float));

    /* 4. Decoder layers in reverse; the memory's gradient accumulates. */
    const size_t qn = (size_t)m->q * N * d, tokn = (size_t)hf * N * d;
    memset(s->g_mem, 0, tokn * sizeof(float));
    const float *mem = s->enc_x[c->enc_layers];
    cm_transformer_params lp, lg;
    for (int l = c->dec_layers - 1; l >= 0; l--) {
        bev_layer_ptrs(m, m->p.params, m->dec_layer[l], 1, &lp);
        bev_layer_ptrs(m, grad, m->dec_layer[l], 1, &lg);
        memset(dx, 0, qn * sizeof *dx);
        cm_transformer_decoder_backward(dx, s->g_mem, &lg, dy, s->dec_cache[l], s->dec_x[l], mem, &lp, &s->tdec,
                                        s->work);
        float *t = dy;
        dy = dx;
        dx = t;
    }
    /* (the queries are constants: their gradient is dropped) */

    /* 3. Encoder layers in reverse, from the memory's gradient. */
    float *ey = s->g_mem, *ex = s->g_tok;
    for (int l = c->enc_layers - 1; l >= 0; l--) {
        bev_layer_ptrs(m, m->p.params, m->enc_layer[l], 0, &lp);
        bev_layer_ptrs(m, grad, m->enc_layer[l], 0, &lg);
        memset(ex, 0, tokn * sizeof *ex);
        cm_transformer_encoder_backward(ex, &lg, ey, s->enc_cache[l], s->enc_x[l], &lp, &s->tenc, s->work);
        float *t = ey;
        ey = ex;
        ex = t;
    }

    /* 2. Tokens -> feature map: dF[b, c, h, w] = dX[w, b*hf + h, c]. */
    for (int bb = 0; bb < n; bb++)
        for (int ch = 0; ch < d; ch++)
            for (int h = 0; h < hf; h++)
                for (int w = 0; w < hf; w++)
                    gb[(((size_t)bb * d + ch) * hf + h) * hf + w] = ey[((size_t)w * N + (size_t)bb * hf + h) * d + ch];

    /* 1. Encoder CNN in reverse (the image needs no gradient). */
    for (int i = CM_BEVNET_ENC_BLOCKS - 1; i >= 0; i--) {
        const bev_conv_shape *e = &s->enc_shape[i];
        relu_bn_backward(m, s, grad, &m->enc[i], gb, ga, s->enc_act[i], s->enc_pre[i], s->enc_mean[i],
                         s->enc_rstd[i], s->enc_bm[i], s->enc_bv[i], n, e->out_c, e->out_s * e->out_s);
        cm_conv2d_cfg cc = bev_enc_conv(s, i, n);
        if (i > 0)
            memset(gb, 0, (size_t)n * e->in_c * e->in_s * e->in_s * sizeof *gb);
        cm_conv2d_backward(i ? gb : NULL, G(m, grad, m->enc[i].w), G(m, grad, m->enc[i].b), ga,
                           i ? s->enc_act[i - 1] : s->x0, P(m, m->enc[i].w), &cc, s->work);
    }
}
