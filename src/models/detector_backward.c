/* The target detector's backward pass, and the BatchNorm running statistics
 * (detector.h). Every gradient accumulates into the caller's block; the
 * state's own gradient buffers are zeroed first. */
#include <math.h>
#include <string.h>

#include "detector_internal.h"

static inline const float *P(const cm_detector *m, int i) { return cm_params_data(&m->p, i); }
static inline float *G(const cm_detector *m, float *grad, int i) { return grad + m->p.tensors[i].offset; }

static size_t conv_out_floats(const det_conv *c, int B) { return (size_t)B * c->out_c * c->out_h * c->out_w; }

/* s->dz[i] holds d loss / d (conv i's output after BN and ReLU); pushes it
 * through ReLU, BN and the convolution into dx (may be NULL) and the
 * parameter gradients. */
static void conv_backward(const cm_detector *m, cm_detector_state *s, int i, const float *x, float *dx, float *grad,
                          int B)
{
    const det_conv *c = &m->convs[i];
    const size_t n = conv_out_floats(c, B);
    if (c->relu) {
        float *d = s->dz[i];
        const float *z = s->z[i];
        for (size_t k = 0; k < n; k++)
            d[k] = z[k] > 0.0f ? d[k] : 0.0f;
    }
    if (c->bn) {
        memset(s->dy[i], 0, n * sizeof(float));
        cm_batchnorm_backward(s->dy[i], G(m, grad, c->g), G(m, grad, c->beta), s->dz[i], s->y[i], s->mean[i],
                              s->rstd[i], P(m, c->g), B, c->out_c, c->out_h * c->out_w, 1);
    }
    cm_conv2d_cfg cfg = c->cfg;
    cfg.batch = B;
    cm_conv2d_backward(dx, G(m, grad, c->w), c->b >= 0 ? G(m, grad, c->b) : NULL, s->dy[i], x, P(m, c->w), &cfg,
                       s->work);
}

/* b->dy holds d loss / d output; into b->dx and the parameter gradients. */
static void mlp_backward(const cm_detector *m, const det_mlp *l, det_mlp_buf *b, int rows, float *grad)
{
    const size_t nh = (size_t)rows * l->hidden;
    memset(b->dd, 0, nh * sizeof(float));
    memset(b->dln, 0, nh * sizeof(float));
    memset(b->dh, 0, nh * sizeof(float));
    memset(b->dx, 0, (size_t)rows * l->in * sizeof(float));
    cm_linear_backward(b->dd, G(m, grad, l->w4), G(m, grad, l->b4), b->dy, b->d, P(m, l->w4), rows, l->hidden,
                       l->out);
    cm_dropout_backward(b->dln, b->dd, b->mask, nh);
    for (size_t k = 0; k < nh; k++) /* ReLU, applied in place on the LayerNorm output */
        b->dln[k] = b->ln[k] > 0.0f ? b->dln[k] : 0.0f;
    cm_layernorm_backward(b->dh, G(m, grad, l->g), G(m, grad, l->beta), b->dln, b->h, b->mean, b->rstd, P(m, l->g),
                          rows, l->hidden);
    cm_linear_backward(b->dx, G(m, grad, l->w0), G(m, grad, l->b0), b->dh, b->x, P(m, l->w0), rows, l->in, l->hidden);
}

cm_status cm_detector_backward(const cm_detector *m, cm_detector_state *s, float *grad)
{
    if (!s->train || !s->has_targets)
        return cm_error(CM_ERR_ARG, "detector backward: expected a training-mode forward with targets before it");
    const cm_detector_config *c = &m->cfg;
    const int B = s->cur, K = c->objects, w = c->width, in = w + 2;
    const size_t n = (size_t)B * K;
    const double inv = s->grad_scale / (double)n; /* the loss's means over B x K, times the batch's scale */
    /* zero the state's gradients of activations */
    for (int i = 0; i < m->n_convs; i++)
        memset(s->dz[i], 0, conv_out_floats(&m->convs[i], B) * sizeof(float));
    const det_conv *c1 = &m->convs[m->conv1];
    const int ph = cm_pool2d_out(c1->out_h, 3, 2, 1);
    memset(s->dpool, 0, (size_t)B * c1->out_c * ph * ph * sizeof(float));
    for (int j = 0; j < m->n_blocks; j++)
        memset(s->dout[j], 0, conv_out_floats(&m->convs[m->blocks[j].c2], B) * sizeof(float));
    memset(s->dvis, 0, n * sizeof(float));
    memset(s->datt, 0, n * DET_CELLS * sizeof(float));

    /* loss -> visibility (BCE) */
    cm_bce_backward(s->dvis, s->vis_prob, s->t_vis, n, (float)(c->vis_weight * inv));
    /* loss -> positions p = mlp_out * v, over the visible targets */
    long vis = 0;
    for (size_t i = 0; i < n; i++)
        vis += s->t_vis[i] > 0.5f;
    for (size_t i = 0; i < n; i++) {
        float *dy = &s->pos.dy[2 * i];
        dy[0] = dy[1] = 0.0f;
        if (!(s->t_vis[i] > 0.5f))
            continue;
        const float *p = &s->pos_out[2 * i], *t = &s->t_pos[2 * i];
        double np = hypot(p[0], p[1]), nt = fmax(hypot(t[0], t[1]), 1e-12);
        double u[2], tt[2] = {t[0] / nt, t[1] / nt}, dp[2];
        double cl = fmax(np, 1e-12), cosv = 0.0;
        for (int k = 0; k < 2; k++) {
            u[k] = p[k] / cl;
            cosv += u[k] * tt[k];
        }
        for (int k = 0; k < 2; k++) {
            double e = (double)p[k] - t[k];
            double g1 = fabs(e) < 1.0 ? e : (e > 0 ? 1.0 : e < 0 ? -1.0 : 0.0);
            /* d cos / d p: (t - cos u) / |p| above the clamp; t / eps below it (the norm is clamped) */
            double dcos = np > 1e-12 ? (tt[k] - cosv * u[k]) / np : tt[k] / 1e-12;
            dp[k] = s->grad_scale * c->pos_weight * (g1 / (2.0 * vis) - c->dir_weight * dcos / vis);
        }
        const float *raw = &s->pos.y[2 * i];
        dy[0] = (float)(dp[0] * s->vis_prob[i]);
        dy[1] = (float)(dp[1] * s->vis_prob[i]);
        s->dvis[i] += (float)(dp[0] * raw[0] + dp[1] * raw[1]);
    }
    mlp_backward(m, &m->pos, &s->pos, B * K, grad);
    /* attention loss -> A; pooled features -> A and S */
    float *dS = s->dz[m->sc1];
    const float *S = s->z[m->sc1];
    for (size_t i = 0; i < n; i++) {
        const float *a = &s->att[i * DET_CELLS];
        float *da = &s->datt[i * DET_CELLS];
        for (int h = 0; h < DET_CELLS; h++)
            da[h] = (float)(c->att_weight * inv *
                            ((1.0 - s->t_vis[i]) + c->entropy_weight * (-log(a[h] + 1e-10) - a[h] / (a[h] + 1e-10))));
    }
    for (int bi = 0; bi < B; bi++)
        for (int k = 0; k < K; k++) {
            const size_t r = (size_t)bi * K + k;
            const float *a = &s->att[r * DET_CELLS], *dp = &s->pos.dx[r * in];
            float *da = &s->datt[r * DET_CELLS];
            for (int ch = 0; ch < w; ch++) {
                const float g = dp[ch] / DET_CELLS;
                const float *sp = &S[((size_t)bi * w + ch) * DET_CELLS];
                float *dsp = &dS[((size_t)bi * w + ch) * DET_CELLS];
                for (int h = 0; h < DET_CELLS; h++) {
                    dsp[h] += g * a[h];
                    da[h] += g * sp[h];
                }
            }
        }
    /* softmax over the cells -> attention logits (the last attention conv's output) */
    float *dlogits = s->dz[m->at1];
    for (size_t i = 0; i < n; i++) {
        const float *a = &s->att[i * DET_CELLS], *da = &s->datt[i * DET_CELLS];
        double dot = 0.0;
        for (int h = 0; h < DET_CELLS; h++)
            dot += (double)a[h] * da[h];
        for (int h = 0; h < DET_CELLS; h++)
            dlogits[i * DET_CELLS + h] += (float)(a[h] * (da[h] - dot));
    }
    conv_backward(m, s, m->at1, s->z[m->at0], s->dz[m->at0], grad, B);
    conv_backward(m, s, m->at0, S, dS, grad, B);
    /* visibility head: sigmoid, MLP, global average pool */
    memset(s->vis.dy, 0, n * sizeof(float));
    cm_sigmoid_backward(s->vis.dy, s->dvis, s->vis_prob, n);
    mlp_backward(m, &m->vis, &s->vis, B, grad);
    for (int bi = 0; bi < B; bi++)
        for (int ch = 0; ch < w; ch++) {
            const float g = s->vis.dx[(size_t)bi * in + ch] / DET_CELLS;
            float *dsp = &dS[((size_t)bi * w + ch) * DET_CELLS];
            for (int h = 0; h < DET_CELLS; h++)
                dsp[h] += g;
        }
    /* spatial convolutions, blocks (last to first), stem */
    const int last = m->n_blocks - 1;
    conv_backward(m, s, m->sc1, s->z[m->sc0], s->dz[m->sc0], grad, B);
    conv_backward(m, s, m->sc0, s->out[last], s->dout[last], grad, B);
    for (int j = last; j >= 0; j--) {
        const det_block *blk = &m->blocks[j];
        const float *x = j ? s->out[j - 1] : s->pool;
        float *dx = j ? s->dout[j - 1] : s->dpool;
        const size_t no = conv_out_floats(&m->convs[blk->c2], B);
        float *d = s->dout[j];
        const float *o = s->out[j];
        float *d2 = s->dz[blk->c2], *dskip = blk->ds >= 0 ? s->dz[blk->ds] : dx;
        for (size_t k = 0; k < no; k++) {
            float g = o[k] > 0.0f ? d[k] : 0.0f;
            d2[k] += g;
            dskip[k] += g;
        }
        conv_backward(m, s, blk->c2, s->z[blk->c1], s->dz[blk->c1], grad, B);
        conv_backward(m, s, blk->c1, x, dx, grad, B);
        if (blk->ds >= 0)
            conv_backward(m, s, blk->ds, x, dx, grad, B);
    }
    cm_maxpool2d_backward(s->dz[m->conv1], s->dpool, s->argmax, B, c1->out_c, c1->out_h, c1->out_w, 3, 2, 1);
    conv_backward(m, s, m->conv1, s->image, NULL, grad, B);
    /* the batch statistics ride in the running statistics' slots */
    for (int i = 0; i < m->n_convs; i++) {
        const det_conv *cv = &m->convs[i];
        if (!cv->bn)
            continue;
        float *gm = G(m, grad, cv->rm), *gv = G(m, grad, cv->rv);
        const double cnt = (double)B * cv->out_h * cv->out_w;
        for (int ch = 0; ch < cv->out_c; ch++) {
            double r = s->rstd[i][ch], vb = 1.0 / (r * r) - DET_BN_EPS;
            gm[ch] += s->grad_scale * s->mean[i][ch];
            gv[ch] += (float)(s->grad_scale * (vb < 0.0 ? 0.0 : vb) * cnt / (cnt - 1.0)); /* unbiased, as PyTorch */
        }
    }
    return CM_OK;
}

void cm_detector_update_running(cm_detector *m, float *grad)
{
    const float mom = m->cfg.bn_momentum;
    for (int i = 0; i < m->n_convs; i++) {
        const det_conv *c = &m->convs[i];
        if (!c->bn)
            continue;
        float *rm = cm_params_data(&m->p, c->rm), *rv = cm_params_data(&m->p, c->rv);
        float *gm = G(m, grad, c->rm), *gv = G(m, grad, c->rv);
        for (int ch = 0; ch < c->out_c; ch++) {
            rm[ch] = (1.0f - mom) * rm[ch] + mom * gm[ch];
            rv[ch] = (1.0f - mom) * rv[ch] + mom * gv[ch];
            gm[ch] = gv[ch] = 0.0f;
        }
    }
}
