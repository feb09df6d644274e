/* The path-integration network (models.h): building it, forward, loss,
 * backward and the training step. Inside, sequences are time-major
 * ([T, B, .]) so that each step's batch is contiguous for the recurrent
 * GEMMs; the caller's batch-major targets are read in place by index. */
#include "models/pathint_internal.h"
#include "nn/fastmath.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------- building */

static cm_status add(cm_pathint *m, const char *name, int64_t d0, int64_t d1, int *index)
{
    int64_t shape[2] = {d0, d1};
    return cm_params_add(&m->params, name, d1 > 0 ? 2 : 1, shape, index);
}

static cm_status build_tensors(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    pathint_tensors *ix = &m->ix;
    memset(ix, -1, sizeof *ix);
    int H = c->hidden, I = c->input_size, R = c->n_place + c->n_hd;
    int top = c->bottleneck > 0 ? c->bottleneck : H;
    cm_status s = CM_OK;
    if (c->cell == CM_PATHINT_LSTM) {
        /* SSM-PC's GridCellNetwork state dict, in its order (init_fc goes last: it is not trained). */
        s = add(m, "lstm.weight_ih_l0", 4 * H, I, &ix->w_ih);
        if (!s) s = add(m, "lstm.weight_hh_l0", 4 * H, H, &ix->w_hh);
        if (!s) s = add(m, "lstm.bias_ih_l0", 4 * H, 0, &ix->b_ih);
        if (!s) s = add(m, "lstm.bias_hh_l0", 4 * H, 0, &ix->b_hh);
        if (!s && c->bottleneck > 0) s = add(m, "bottleneck.0.weight", c->bottleneck, H, &ix->w_bn);
        if (!s && c->bottleneck > 0 && c->bottleneck_bias) s = add(m, "bottleneck.0.bias", c->bottleneck, 0, &ix->b_bn);
        if (!s) s = add(m, "place_predictor.weight", c->n_place, top, &ix->w_p);
        if (!s && c->readout_bias) s = add(m, "place_predictor.bias", c->n_place, 0, &ix->b_p);
        if (!s && c->n_hd > 0) s = add(m, "hd_predictor.weight", c->n_hd, top, &ix->w_d);
        if (!s && c->n_hd > 0 && c->readout_bias) s = add(m, "hd_predictor.bias", c->n_hd, 0, &ix->b_d);
        if (!s) s = add(m, "h0_init.weight", H, R, &ix->w_h0);
        if (!s && c->init_bias) s = add(m, "h0_init.bias", H, 0, &ix->b_h0);
        if (!s) s = add(m, "c0_init.weight", H, R, &ix->w_c0);
        if (!s && c->init_bias) s = add(m, "c0_init.bias", H, 0, &ix->b_c0);
    } else {
        /* Sorscher's RNN model: encoder, RNN, decoder. */
        s = add(m, "encoder.weight", H, R, &ix->w_h0);
        if (!s && c->init_bias) s = add(m, "encoder.bias", H, 0, &ix->b_h0);
        if (!s) s = add(m, "RNN.weight_ih_l0", H, I, &ix->w_ih);
        if (!s) s = add(m, "RNN.weight_hh_l0", H, H, &ix->w_hh);
        if (!s && c->rnn_bias) s = add(m, "RNN.bias_ih_l0", H, 0, &ix->b_ih);
        if (!s && c->rnn_bias) s = add(m, "RNN.bias_hh_l0", H, 0, &ix->b_hh);
        if (!s && c->bottleneck > 0) s = add(m, "bottleneck.0.weight", c->bottleneck, H, &ix->w_bn);
        if (!s && c->bottleneck > 0 && c->bottleneck_bias) s = add(m, "bottleneck.0.bias", c->bottleneck, 0, &ix->b_bn);
        if (!s) s = add(m, "decoder.weight", c->n_place, top, &ix->w_p);
        if (!s && c->readout_bias) s = add(m, "decoder.bias", c->n_place, 0, &ix->b_p);
        if (!s && c->n_hd > 0) s = add(m, "hd_decoder.weight", c->n_hd, top, &ix->w_d);
        if (!s && c->n_hd > 0 && c->readout_bias) s = add(m, "hd_decoder.bias", c->n_hd, 0, &ix->b_d);
    }
    if (s)
        return s;
    m->n_trained = m->params.total;
    if (c->unused_init_fc) {
        s = add(m, "init_fc.weight", c->bottleneck > 0 ? c->bottleneck : H, R, &ix->w_unused);
        if (!s) s = add(m, "init_fc.bias", c->bottleneck > 0 ? c->bottleneck : H, 0, &ix->b_unused);
    }
    return s;
}

static float *P(const cm_pathint *m, int index) { return index >= 0 ? cm_params_data(&m->params, index) : NULL; }
static float *G(const cm_pathint *m, int index) { return index >= 0 ? cm_params_grad(&m->params, index) : NULL; }

/* PyTorch's defaults, drawn in state-dict order from stream 0 of the seed. */
static void init_weights(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    cm_rng rng;
    cm_rng_seed(&rng, c->seed, 0);
    for (int i = 0; i < m->params.count; i++) {
        cm_tensor_info *t = &m->params.tensors[i];
        float *w = m->params.params + t->offset;
        int fan_in = t->ndim == 2 ? (int)t->shape[1] : 0;
        if (i == m->ix.w_ih || i == m->ix.w_hh || i == m->ix.b_ih || i == m->ix.b_hh) {
            float k = 1.0f / sqrtf((float)c->hidden); /* nn.LSTM / nn.RNN: U(+-1/sqrt(hidden)) */
            cm_init_uniform(&rng, w, t->count, -k, k);
        } else if (t->ndim == 2) {
            if (c->readout_truncnormal && (i == m->ix.w_p || i == m->ix.w_d))
                cm_init_truncated_normal(&rng, w, t->count, 0.0f, 1.0f / sqrtf((float)fan_in));
            else
                cm_init_linear(&rng, w, NULL, (int)t->shape[0], fan_in);
        } else {
            /* A Linear bias: the bound of its weight, the tensor before it. */
            const cm_tensor_info *wt = &m->params.tensors[i - 1];
            float k = 1.0f / sqrtf((float)wt->shape[1]);
            if (c->readout_truncnormal && (i == m->ix.b_p || i == m->ix.b_d))
                memset(w, 0, t->count * sizeof(float)); /* Sonnet: zero biases */
            else
                cm_init_uniform(&rng, w, t->count, -k, k);
        }
    }
}

static cm_status alloc_activations(cm_pathint *m, int B, int T)
{
    const cm_pathint_config *c = &m->cfg;
    size_t H = (size_t)c->hidden, I = (size_t)c->input_size, Np = (size_t)c->n_place, Nh = (size_t)c->n_hd;
    size_t Nb = (size_t)c->bottleneck, R = Np + Nh, TB = (size_t)T * (size_t)B;
    int lstm = c->cell == CM_PATHINT_LSTM;
    /* Each buffer rounded to 16 floats keeps them all 64-byte aligned. */
    size_t sizes[32], n = 0, total = 0;
    float **slots[32];
#define SLOT(ptr, count) (slots[n] = &(ptr), sizes[n++] = (count))
    SLOT(m->x, TB * I);
    SLOT(m->r0, (size_t)B * R);
    SLOT(m->hs, (TB + B) * H);
    SLOT(m->cs, lstm ? (TB + B) * H : 0);
    SLOT(m->gates, lstm ? TB * 4 * H : 0);
    SLOT(m->zpre, TB * Nb);
    SLOT(m->mask, TB * Nb);
    SLOT(m->z, TB * Nb);
    SLOT(m->plog, TB * Np);
    SLOT(m->plogp, TB * Np);
    SLOT(m->hlog, TB * Nh);
    SLOT(m->hlogp, TB * Nh);
    SLOT(m->rowp, TB);
    SLOT(m->rowh, TB);
    SLOT(m->dplog, TB * Np);
    SLOT(m->dhlog, TB * Nh);
    SLOT(m->dz, TB * Nb);
    SLOT(m->dzpre, TB * Nb);
    SLOT(m->dhs, TB * H);
    SLOT(m->dh0, (size_t)B * H);
    SLOT(m->dc0, lstm ? (size_t)B * H : 0);
    SLOT(m->work, lstm ? cm_lstm_work_floats(T, B, (int)H) : 0);
    SLOT(m->fwork, lstm ? cm_lstm_forward_work_floats((int)H) : 0);
#undef SLOT
    for (size_t k = 0; k < n; k++)
        total += (sizes[k] + 15) / 16 * 16;
    float *block = cm_calloc(total, sizeof(float));
    if (!block)
        return cm_error(CM_ERR_NOMEM, "path-integration network: cannot allocate %zu MB of activations",
                        total * sizeof(float) >> 20);
    cm_free(m->act);
    m->act = block;
    m->act_floats = total;
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        *slots[k] = sizes[k] ? block + off : NULL;
        off += (sizes[k] + 15) / 16 * 16;
    }
    if (Nb == 0) {
        /* No bottleneck: the read-outs see h_1..h_T directly. */
        m->z = m->hs + (size_t)B * H;
        m->dz = m->dhs;
    }
    m->B = B;
    m->T = T;
    m->have_forward = 0;
    return CM_OK;
}

cm_status cm_pathint_create(const cm_pathint_config *cfg, cm_pathint **out)
{
    *out = NULL;
    cm_status s = cm_pathint_config_check(cfg);
    if (s)
        return s;
    cm_pathint *m = calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "path-integration network: cannot allocate the model");
    m->cfg = *cfg;
    cm_params_init(&m->params);
    s = build_tensors(m);
    if (!s)
        s = cm_params_finalize(&m->params);
    if (!s)
        s = cm_optim_init(&m->optim, &cfg->optim, m->n_trained);
    if (!s)
        s = alloc_activations(m, cfg->batch, cfg->seq_len);
    if (s) {
        cm_pathint_free(m);
        return s;
    }
    init_weights(m);
    cm_rng_seed(&m->dropout_rng, cfg->seed, 1);
    *out = m;
    return CM_OK;
}

void cm_pathint_free(cm_pathint *m)
{
    if (!m)
        return;
    cm_params_free(&m->params);
    cm_optim_free(&m->optim);
    cm_free(m->act);
    free(m);
}

cm_status cm_pathint_resize(cm_pathint *m, int batch, int seq_len)
{
    if (batch < 1 || seq_len < 1 || (int64_t)batch * seq_len > (1 << 26))
        return cm_error(CM_ERR_ARG, "path-integration network: batch %d x sequence %d: expected >= 1 and a product <= 2^26",
                        batch, seq_len);
    if (batch == m->B && seq_len == m->T)
        return CM_OK;
    return alloc_activations(m, batch, seq_len);
}

const cm_pathint_config *cm_pathint_get_config(const cm_pathint *m) { return &m->cfg; }
cm_params *cm_pathint_params(cm_pathint *m) { return &m->params; }
cm_optim *cm_pathint_optim(cm_pathint *m) { return &m->optim; }
int64_t cm_pathint_steps(const cm_pathint *m) { return m->optim.t; }
int cm_pathint_bottleneck_size(const cm_pathint *m) { return m->cfg.bottleneck > 0 ? m->cfg.bottleneck : m->cfg.hidden; }

size_t cm_pathint_param_bytes(const cm_pathint *m) { return 2 * m->params.total * sizeof(float); }
size_t cm_pathint_optim_bytes(const cm_pathint *m) { return cm_optim_state_floats(&m->optim) * sizeof(float); }
size_t cm_pathint_activation_bytes(const cm_pathint *m) { return m->act_floats * sizeof(float); }

/* --------------------------------------------------------------- forward */

/* Frame weight of the SSM-PC loss at step t (ssm-pc.md §4.3). */
static double frame_weight(const cm_pathint_config *c, int t)
{
    if (t == 0)
        return c->frame0_weight;
    if (t < c->initial_frames)
        return c->initial_frames_weight * pow(c->decay_factor, t - 1);
    return 1.0;
}

/* Copies [B, T, C] rows into [T, B, C] or back. */
static void transpose_bt(float *dst, const float *src, int B, int T, int C, int to_time_major)
{
    for (int b = 0; b < B; b++)
        for (int t = 0; t < T; t++) {
            const float *s = to_time_major ? src + ((size_t)b * T + t) * C : src + ((size_t)t * B + b) * C;
            float *d = to_time_major ? dst + ((size_t)t * B + b) * C : dst + ((size_t)b * T + t) * C;
            memcpy(d, s, (size_t)C * sizeof(float));
        }
}

/* Row (t, b) of a caller's batch-major [B, T, C] target. */
static const float *target_row(const float *y, int b, int t, int T, int C) { return y + ((size_t)b * T + t) * C; }

/* sum_c q log q over one row (0 log 0 = 0): the constant that turns cross-entropy into KL. */
__attribute__((noinline)) static double entropy_term(const float *q, int C)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int k = 0; k < C; k++)
        s += q[k] * cm_flog(q[k] > 0.0f ? q[k] : 1.0f); /* no branch: the loop vectorises */
    return s;
}

static double row_xent(const float *logp, const float *q, int C)
{
    float s = 0.0f;
#pragma omp simd reduction(+ : s)
    for (int k = 0; k < C; k++)
        s += q[k] * logp[k];
    return -s;
}

/* Per-row KL (ssmpc) or cross-entropy (xent) of place and HD predictions
 * into rowp/rowh [T*B], in parallel over rows; the callers sum them in a
 * fixed order, so the loss has the same bits at any thread count. */
static void row_losses(cm_pathint *m, int kl)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &m->batch;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd, TB = B * T;
#pragma omp parallel for schedule(static) if (TB * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int r = 0; r < TB; r++) {
        int t = r / B, b = r % B;
        const float *a = target_row(bt->place, b, t, T, Np);
        m->rowp[r] = (float)((kl ? entropy_term(a, Np) : 0.0) + row_xent(m->plogp + (size_t)r * Np, a, Np));
        if (Nh > 0) {
            const float *h = target_row(bt->hd, b, t, T, Nh);
            m->rowh[r] = (float)((kl ? entropy_term(h, Nh) : 0.0) + row_xent(m->hlogp + (size_t)r * Nh, h, Nh));
        }
    }
}

static double loss_ssmpc(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = 0.0;
    for (int t = 0; t < T; t++)
        wsum += frame_weight(c, t);
    row_losses(m, 1);
    double place = 0.0, hd = 0.0, init = 0.0, cont = 0.0;
    for (int t = 0; t < T; t++) {
        double w = frame_weight(c, t), kp = 0.0, kh = 0.0;
        for (int b = 0; b < B; b++) {
            kp += m->rowp[(size_t)t * B + b];
            if (Nh > 0)
                kh += m->rowh[(size_t)t * B + b];
        }
        place += w * kp / B;
        hd += w * kh / B;
        if (t == 0)
            init = kp / B;
    }
    /* Continuity: KL(P_{t-1} || P_t) with log(P_t + 1e-10), t = 1..frames. */
    for (int t = 1; t <= c->continuity_frames && t < T; t++) {
        double u = 1.0 - c->continuity_step * (t - 1), k = 0.0;
        for (int b = 0; b < B; b++) {
            const float *lq = m->plogp + ((size_t)(t - 1) * B + b) * Np;
            const float *lp = m->plogp + ((size_t)t * B + b) * Np;
            float s = 0.0f;
#pragma omp simd reduction(+ : s)
            for (int j = 0; j < Np; j++) {
                float q = cm_fexp(lq[j]);
                s += q * (lq[j] - cm_flog(cm_fexp(lp[j]) + 1e-10f));
            }
            k += s;
        }
        cont += u * k / B;
    }
    return place / wsum + hd / wsum + c->init_loss_weight * init + c->continuity_weight * cont;
}

static double loss_xent(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Nh = c->n_hd;
    row_losses(m, 0);
    double total = 0.0;
    for (size_t r = 0; r < (size_t)B * T; r++)
        total += m->rowp[r] + (Nh > 0 ? m->rowh[r] : 0.0f);
    total /= (double)B * T;
    if (c->l2_recurrent > 0.0f) {
        const cm_tensor_info *t = &m->params.tensors[m->ix.w_hh];
        total += c->l2_recurrent * cm_l2_forward(P(m, m->ix.w_hh), t->count);
    }
    return total;
}

static cm_status check_batch(const cm_pathint *m, const cm_pathint_batch *b)
{
    if (!b || !b->velocity || !b->init_place || !b->place)
        return cm_error(CM_ERR_ARG, "path-integration batch: velocity, init_place and place are required");
    if (m->cfg.n_hd > 0 && (!b->init_hd || !b->hd))
        return cm_error(CM_ERR_ARG, "path-integration batch: init_hd and hd are required (n_hd = %d)", m->cfg.n_hd);
    return CM_OK;
}

cm_status cm_pathint_forward(cm_pathint *m, const cm_pathint_batch *bt, int train, double *loss)
{
    cm_status s = check_batch(m, bt);
    if (s)
        return s;
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, T = m->T, H = c->hidden, I = c->input_size, Np = c->n_place, Nh = c->n_hd;
    int Nb = c->bottleneck, top = Nb > 0 ? Nb : H, R = Np + Nh, TB = T * B;
    m->batch = *bt;

    transpose_bt(m->x, bt->velocity, B, T, I, 1);
    for (int b = 0; b < B; b++) {
        memcpy(m->r0 + (size_t)b * R, bt->init_place + (size_t)b * Np, (size_t)Np * sizeof(float));
        if (Nh > 0)
            memcpy(m->r0 + (size_t)b * R + Np, bt->init_hd + (size_t)b * Nh, (size_t)Nh * sizeof(float));
    }
    cm_linear_forward(m->hs, m->r0, P(m, ix->w_h0), P(m, ix->b_h0), B, R, H, 0);
    if (c->cell == CM_PATHINT_LSTM) {
        cm_linear_forward(m->cs, m->r0, P(m, ix->w_c0), P(m, ix->b_c0), B, R, H, 0);
        cm_lstm_forward(m->hs, m->cs, m->gates, m->x, P(m, ix->w_ih), P(m, ix->w_hh), P(m, ix->b_ih),
                        P(m, ix->b_hh), T, B, I, H, m->fwork);
    } else {
        cm_rnn_forward(m->hs, m->x, P(m, ix->w_ih), P(m, ix->w_hh), P(m, ix->b_ih), P(m, ix->b_hh), T, B, I, H,
                       c->rnn_activation);
    }
    const float *hseq = m->hs + (size_t)B * H;
    if (Nb > 0) {
        cm_linear_forward(m->zpre, hseq, P(m, ix->w_bn), P(m, ix->b_bn), TB, H, Nb, 0);
        cm_dropout_forward(m->z, m->mask, m->zpre, (size_t)TB * Nb, c->dropout, train, &m->dropout_rng);
    }
    cm_linear_forward(m->plog, m->z, P(m, ix->w_p), P(m, ix->b_p), TB, top, Np, 0);
    cm_log_softmax_forward(m->plogp, m->plog, TB, Np);
    if (Nh > 0) {
        cm_linear_forward(m->hlog, m->z, P(m, ix->w_d), P(m, ix->b_d), TB, top, Nh, 0);
        cm_log_softmax_forward(m->hlogp, m->hlog, TB, Nh);
    }
    double L = c->loss == CM_PATHINT_LOSS_SSMPC ? loss_ssmpc(m) : loss_xent(m);
    m->last_loss = L;
    m->have_forward = 1;
    if (loss)
        *loss = L;
    return CM_OK;
}

/* -------------------------------------------------------------- backward */

/* dz[row] = coef * (softmax * sum q - q) for a soft target row. */
static void xent_row_grad(float *dz, const float *logp, const float *q, int C, float coef)
{
    float qs = 0.0f;
#pragma omp simd reduction(+ : qs)
    for (int k = 0; k < C; k++)
        qs += q[k];
#pragma omp simd
    for (int k = 0; k < C; k++)
        dz[k] = coef * (cm_fexp(logp[k]) * qs - q[k]);
}

static void grad_logits_ssmpc(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &m->batch;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = 0.0;
    for (int t = 0; t < T; t++)
        wsum += frame_weight(c, t);
#pragma omp parallel for schedule(static) if (T * B * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int t = 0; t < T; t++) {
        float coef = (float)(frame_weight(c, t) / wsum / B);
        float coef_p = coef + (t == 0 ? (float)(c->init_loss_weight / B) : 0.0f);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            xent_row_grad(m->dplog + r * Np, m->plogp + r * Np, target_row(bt->place, b, t, T, Np), Np, coef_p);
            if (Nh > 0)
                xent_row_grad(m->dhlog + r * Nh, m->hlogp + r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, coef);
        }
    }
    /* Continuity: through P_t (the input side) and P_{t-1} (the target side). */
    for (int t = 1; t <= c->continuity_frames && t < T; t++) {
        float u = (float)(c->continuity_weight * (1.0 - c->continuity_step * (t - 1)) / B);
        for (int b = 0; b < B; b++) {
            const float *lq = m->plogp + ((size_t)(t - 1) * B + b) * Np;
            const float *lp = m->plogp + ((size_t)t * B + b) * Np;
            float *dq = m->dplog + ((size_t)(t - 1) * B + b) * Np;
            float *dp = m->dplog + ((size_t)t * B + b) * Np;
            /* d/dP_t = -u q / (P_t + 1e-10); d/dq = u (log q + 1 - log(P_t + 1e-10));
             * then through each softmax: dz = p (d - sum p d). */
            float sp = 0.0f, sq = 0.0f;
#pragma omp simd reduction(+ : sp, sq)
            for (int j = 0; j < Np; j++) {
                float q = cm_fexp(lq[j]), p = cm_fexp(lp[j]);
                sp += p * (-u * q / (p + 1e-10f));
                sq += q * (u * (lq[j] + 1.0f - cm_flog(p + 1e-10f)));
            }
#pragma omp simd
            for (int j = 0; j < Np; j++) {
                float q = cm_fexp(lq[j]), p = cm_fexp(lp[j]);
                dp[j] += p * (-u * q / (p + 1e-10f) - sp);
                dq[j] += q * (u * (lq[j] + 1.0f - cm_flog(p + 1e-10f)) - sq);
            }
        }
    }
}

static void grad_logits_xent(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &m->batch;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    float coef = 1.0f / ((float)B * (float)T);
#pragma omp parallel for schedule(static) if (T * B * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            xent_row_grad(m->dplog + r * Np, m->plogp + r * Np, target_row(bt->place, b, t, T, Np), Np, coef);
            if (Nh > 0)
                xent_row_grad(m->dhlog + r * Nh, m->hlogp + r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, coef);
        }
    if (c->l2_recurrent > 0.0f)
        cm_l2_backward(G(m, m->ix.w_hh), P(m, m->ix.w_hh), m->params.tensors[m->ix.w_hh].count, c->l2_recurrent);
}

cm_status cm_pathint_backward(cm_pathint *m)
{
    if (!m->have_forward)
        return cm_error(CM_ERR_ARG, "path-integration network: backward needs a forward first");
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, T = m->T, H = c->hidden, I = c->input_size, Np = c->n_place, Nh = c->n_hd;
    int Nb = c->bottleneck, top = Nb > 0 ? Nb : H, R = Np + Nh, TB = T * B;

    if (c->loss == CM_PATHINT_LOSS_SSMPC)
        grad_logits_ssmpc(m);
    else
        grad_logits_xent(m);

    memset(m->dz, 0, (size_t)TB * top * sizeof(float));
    cm_linear_backward(m->dz, G(m, ix->w_p), G(m, ix->b_p), m->dplog, m->z, P(m, ix->w_p), TB, top, Np);
    if (Nh > 0)
        cm_linear_backward(m->dz, G(m, ix->w_d), G(m, ix->b_d), m->dhlog, m->z, P(m, ix->w_d), TB, top, Nh);
    const float *hseq = m->hs + (size_t)B * H;
    if (Nb > 0) {
        memset(m->dzpre, 0, (size_t)TB * Nb * sizeof(float));
        cm_dropout_backward(m->dzpre, m->dz, m->mask, (size_t)TB * Nb);
        memset(m->dhs, 0, (size_t)TB * H * sizeof(float));
        cm_linear_backward(m->dhs, G(m, ix->w_bn), G(m, ix->b_bn), m->dzpre, hseq, P(m, ix->w_bn), TB, H, Nb);
    }
    memset(m->dh0, 0, (size_t)B * H * sizeof(float));
    if (c->cell == CM_PATHINT_LSTM) {
        memset(m->dc0, 0, (size_t)B * H * sizeof(float));
        cm_lstm_backward(NULL, m->dh0, m->dc0, G(m, ix->w_ih), G(m, ix->w_hh), G(m, ix->b_ih), G(m, ix->b_hh),
                         m->dhs, m->hs, m->cs, m->gates, m->x, P(m, ix->w_ih), P(m, ix->w_hh), T, B, I, H, m->work);
        cm_linear_backward(NULL, G(m, ix->w_c0), G(m, ix->b_c0), m->dc0, m->r0, P(m, ix->w_c0), B, R, H);
    } else {
        cm_rnn_backward(NULL, m->dh0, G(m, ix->w_ih), G(m, ix->w_hh), G(m, ix->b_ih), G(m, ix->b_hh), m->dhs, m->hs,
                        m->x, P(m, ix->w_ih), P(m, ix->w_hh), T, B, I, H, c->rnn_activation);
    }
    cm_linear_backward(NULL, G(m, ix->w_h0), G(m, ix->b_h0), m->dh0, m->r0, P(m, ix->w_h0), B, R, H);
    /* backward consumed dhs (the RNN turns it into pre-activation gradients) */
    m->have_forward = 0;
    return CM_OK;
}

cm_status cm_pathint_step(cm_pathint *m, const cm_pathint_batch *b, double *loss)
{
    cm_params_zero_grad(&m->params);
    double L;
    cm_status s = cm_pathint_forward(m, b, 1, &L);
    if (s)
        return s;
    if (loss)
        *loss = L;
    if (!isfinite(L))
        return cm_error(CM_ERR_NUMERIC, "path-integration training: step %lld: loss is %g",
                        (long long)m->optim.t + 1, L);
    s = cm_pathint_backward(m);
    if (s)
        return s;
    float *g = m->params.grads;
    if (m->cfg.clip_value > 0.0f)
        cm_clip_grad_value(g, m->n_trained, m->cfg.clip_value);
    if (m->cfg.clip_norm > 0.0f)
        cm_clip_grad_norm(g, m->n_trained, m->cfg.clip_norm);
    cm_optim_step(&m->optim, m->params.params, g);
    return CM_OK;
}

/* ------------------------------------------------------------ read-outs */

void cm_pathint_get_bottleneck(const cm_pathint *m, float *out)
{
    transpose_bt(out, m->z, m->B, m->T, cm_pathint_bottleneck_size(m), 0);
}

void cm_pathint_get_place_logits(const cm_pathint *m, float *out)
{
    transpose_bt(out, m->plog, m->B, m->T, m->cfg.n_place, 0);
}

void cm_pathint_get_hd_logits(const cm_pathint *m, float *out)
{
    if (m->cfg.n_hd > 0)
        transpose_bt(out, m->hlog, m->B, m->T, m->cfg.n_hd, 0);
}
