/* The target detector's forward pass and loss (detector.h; ssm-pc.md §7). */
#include <math.h>
#include <string.h>

#include "detector_internal.h"

static inline const float *P(const cm_detector *m, int i) { return cm_params_data(&m->p, i); }

/* Conv i on x (B images), then BatchNorm (batch or running statistics), then ReLU. */
static void conv_forward(const cm_detector *m, cm_detector_state *s, int i, const float *x, int B, int train)
{
    const det_conv *c = &m->convs[i];
    cm_conv2d_cfg cfg = c->cfg;
    cfg.batch = B;
    cm_conv2d_forward(s->y[i], x, P(m, c->w), c->b >= 0 ? P(m, c->b) : NULL, &cfg, s->work);
    const int S = c->out_h * c->out_w;
    if (c->bn) {
        /* evaluation reads the running statistics; cm_batchnorm_forward writes them only in training
         * mode, where they are not passed (cm_detector_update_running moves them) */
        float *rm = train ? NULL : (float *)P(m, c->rm), *rv = train ? NULL : (float *)P(m, c->rv);
        cm_batchnorm_forward(s->z[i], s->mean[i], s->rstd[i], s->y[i], P(m, c->g), P(m, c->beta), rm, rv, B,
                             c->out_c, S, DET_BN_EPS, m->cfg.bn_momentum, train);
    }
    if (c->relu)
        cm_relu_forward(s->z[i], s->z[i], (size_t)B * c->out_c * S);
}

static void mlp_forward(const cm_detector *m, const det_mlp *l, det_mlp_buf *b, int rows, int train, cm_rng *rng)
{
    cm_linear_forward(b->h, b->x, P(m, l->w0), P(m, l->b0), rows, l->in, l->hidden, 0);
    cm_layernorm_forward(b->ln, b->mean, b->rstd, b->h, P(m, l->g), P(m, l->beta), rows, l->hidden, DET_LN_EPS);
    cm_relu_forward(b->ln, b->ln, (size_t)rows * l->hidden);
    cm_dropout_forward(b->d, b->mask, b->ln, (size_t)rows * l->hidden, m->cfg.dropout, train, rng);
    cm_linear_forward(b->y, b->d, P(m, l->w4), P(m, l->b4), rows, l->hidden, l->out, 0);
}

/* The loss of the stored outputs against the stored targets (terms as TargetDetectionLoss). */
static double loss(const cm_detector *m, cm_detector_state *s, int B)
{
    const cm_detector_config *c = &m->cfg;
    const int K = c->objects;
    const size_t n = (size_t)B * K;
    double l_vis = cm_bce_forward(s->vis_prob, s->t_vis, n) / (double)n;
    double l1 = 0.0, dir = 0.0;
    long vis = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(s->t_vis[i] > 0.5f))
            continue;
        vis++;
        const float *p = &s->pos_out[2 * i], *t = &s->t_pos[2 * i];
        for (int k = 0; k < 2; k++) {
            double e = (double)p[k] - t[k], a = fabs(e);
            l1 += a < 1.0 ? 0.5 * e * e : a - 0.5; /* SmoothL1, beta 1 */
        }
        double np = fmax(hypot(p[0], p[1]), 1e-12), nt = fmax(hypot(t[0], t[1]), 1e-12);
        dir += 1.0 - ((double)p[0] * t[0] + (double)p[1] * t[1]) / (np * nt);
    }
    double l_pos = vis ? l1 / (2.0 * vis) + c->dir_weight * dir / vis : 0.0;
    double pen = 0.0, ent = 0.0;
    for (size_t i = 0; i < n; i++) {
        const float *a = &s->att[i * DET_CELLS];
        for (int h = 0; h < DET_CELLS; h++) {
            pen += a[h] * (1.0 - s->t_vis[i]);
            ent -= a[h] * log(a[h] + 1e-10);
        }
    }
    double l_att = pen / n + c->entropy_weight * ent / n;
    s->terms[0] = l_vis, s->terms[1] = l_pos, s->terms[2] = l_att;
    return c->vis_weight * l_vis + c->pos_weight * l_pos + c->att_weight * l_att;
}

cm_status cm_detector_forward(const cm_detector *m, cm_detector_state *s, const cm_detector_batch *b, cm_rng *rng,
                              double *loss_out)
{
    const cm_detector_config *c = &m->cfg;
    const int B = b->batch, K = c->objects, w = c->width, train = rng != NULL;
    if (B < 1 || B > s->batch)
        return cm_error(CM_ERR_ARG, "detector forward: batch %d: expected 1..%d (the state's)", B, s->batch);
    if (!b->image || !b->angle)
        return cm_error(CM_ERR_ARG, "detector forward: image and angle are required");
    if (train && B < 2)
        return cm_error(CM_ERR_ARG, "detector forward: training needs a batch of at least 2 (BatchNorm statistics)");
    const size_t img = (size_t)3 * CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE;
    memcpy(s->image, b->image, (size_t)B * img * sizeof(float));
    memcpy(s->angle, b->angle, (size_t)B * 2 * sizeof(float));
    s->cur = B;
    s->train = train;
    s->has_targets = b->visible != NULL && b->position != NULL;
    s->grad_scale = b->grad_scale == 0.0f ? 1.0f : b->grad_scale;
    /* backbone */
    const det_conv *c1 = &m->convs[m->conv1];
    conv_forward(m, s, m->conv1, s->image, B, train);
    cm_maxpool2d_forward(s->pool, s->argmax, s->z[m->conv1], B, c1->out_c, c1->out_h, c1->out_w, 3, 2, 1);
    const float *x = s->pool;
    for (int j = 0; j < m->n_blocks; j++) {
        const det_block *blk = &m->blocks[j];
        conv_forward(m, s, blk->c1, x, B, train);
        conv_forward(m, s, blk->c2, s->z[blk->c1], B, train);
        const float *skip = x;
        if (blk->ds >= 0) {
            conv_forward(m, s, blk->ds, x, B, train);
            skip = s->z[blk->ds];
        }
        const det_conv *o = &m->convs[blk->c2];
        size_t n = (size_t)B * o->out_c * o->out_h * o->out_w;
        float *out = s->out[j];
        const float *main_path = s->z[blk->c2];
        for (size_t i = 0; i < n; i++) {
            float v = main_path[i] + skip[i];
            out[i] = v > 0.0f ? v : 0.0f;
        }
        x = out;
    }
    conv_forward(m, s, m->sc0, x, B, train);
    conv_forward(m, s, m->sc1, s->z[m->sc0], B, train);
    const float *S = s->z[m->sc1]; /* [B, w, 16] */
    /* attention over the 16 cells, per target */
    conv_forward(m, s, m->at0, S, B, train);
    conv_forward(m, s, m->at1, s->z[m->at0], B, train);
    const float *logits = s->y[m->at1];
    for (int r = 0; r < B * K; r++) {
        const float *z = &logits[(size_t)r * DET_CELLS];
        float *a = &s->att[(size_t)r * DET_CELLS], mx = z[0];
        for (int h = 1; h < DET_CELLS; h++)
            mx = z[h] > mx ? z[h] : mx;
        double sum = 0.0;
        for (int h = 0; h < DET_CELLS; h++)
            sum += a[h] = expf(z[h] - mx);
        for (int h = 0; h < DET_CELLS; h++)
            a[h] = (float)(a[h] / sum);
    }
    /* visibility head */
    const int in = w + 2;
    for (int bi = 0; bi < B; bi++) {
        float *row = &s->vis.x[(size_t)bi * in];
        for (int ch = 0; ch < w; ch++) {
            const float *sp = &S[((size_t)bi * w + ch) * DET_CELLS];
            float sum = 0.0f;
            for (int h = 0; h < DET_CELLS; h++)
                sum += sp[h];
            row[ch] = s->gap[(size_t)bi * w + ch] = sum / DET_CELLS;
        }
        row[w] = s->angle[2 * bi], row[w + 1] = s->angle[2 * bi + 1];
    }
    mlp_forward(m, &m->vis, &s->vis, B, train, rng);
    cm_sigmoid_forward(s->vis_prob, s->vis.y, (size_t)B * K);
    /* position head: attention-pooled features per target */
    for (int bi = 0; bi < B; bi++)
        for (int k = 0; k < K; k++) {
            const float *a = &s->att[((size_t)bi * K + k) * DET_CELLS];
            float *pooled = &s->pooled[((size_t)bi * K + k) * w];
            float *row = &s->pos.x[((size_t)bi * K + k) * in];
            for (int ch = 0; ch < w; ch++) {
                const float *sp = &S[((size_t)bi * w + ch) * DET_CELLS];
                float sum = 0.0f;
                for (int h = 0; h < DET_CELLS; h++)
                    sum += sp[h] * a[h];
                row[ch] = pooled[ch] = sum / DET_CELLS;
            }
            row[w] = s->angle[2 * bi], row[w + 1] = s->angle[2 * bi + 1];
        }
    mlp_forward(m, &m->pos, &s->pos, B * K, train, rng);
    for (int r = 0; r < B * K; r++) {
        s->pos_out[2 * r] = s->pos.y[2 * r] * s->vis_prob[r];
        s->pos_out[2 * r + 1] = s->pos.y[2 * r + 1] * s->vis_prob[r];
    }
    double l = NAN;
    if (s->has_targets) {
        memcpy(s->t_vis, b->visible, (size_t)B * K * sizeof(float));
        memcpy(s->t_pos, b->position, (size_t)B * K * 2 * sizeof(float));
        l = loss(m, s, B);
    }
    if (loss_out)
        *loss_out = l;
    if (s->has_targets && !isfinite(l))
        return cm_error(CM_ERR_NUMERIC, "detector forward: the loss is %g", l);
    return CM_OK;
}
