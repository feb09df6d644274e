/* The path-integration network (models.h): building it, forward, loss,
 * backward and the training step. Inside, sequences are time-major
 * ([T, B, .]) so that each step's batch is contiguous for the recurrent
 * GEMMs; the caller's batch-major targets are read in place by index. */
#include "models/pathint_internal.h"
#include "nn/fastmath.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <omp.h>
#include <sched.h>
#include <stdatomic.h>
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

/* One read-out row, fused: log-softmax of the logits z into logp, the row's
 * loss sum_k q_k (log q_k - logp_k) (KL; 0 log 0 = 0) or -sum_k q_k logp_k
 * (cross-entropy), and, when dz is given, the loss gradient with respect to
 * the logits, dz = coef (softmax * sum q - q). Done separately these were
 * five passes over the [T*B, C] arrays (log-softmax, entropy, cross-entropy,
 * and in backward the sum of q and exp(logp) again); here the row stays in
 * L1 and exp is taken once per element. Returns the row's loss. */
static float readout_row(float *logp, float *dz, const float *z, const float *q, int C, int kl, float coef)
{
    float mx = z[0];
#pragma omp simd reduction(max : mx) /* max is exact in any order: vectorising it changes no bit */
    for (int k = 1; k < C; k++)
        mx = z[k] > mx ? z[k] : mx;
    float s = 0.0f, qs = 0.0f;
    if (dz) {
#pragma omp simd reduction(+ : s, qs)
        for (int k = 0; k < C; k++) {
            float e = cm_fexp(z[k] - mx);
            dz[k] = e; /* the unnormalised softmax, finished below */
            s += e;
            qs += q[k];
        }
    } else {
#pragma omp simd reduction(+ : s)
        for (int k = 0; k < C; k++)
            s += cm_fexp(z[k] - mx);
    }
    float lse = mx + logf(s), inv = 1.0f / s, loss = 0.0f;
    if (kl) {
#pragma omp simd reduction(+ : loss)
        for (int k = 0; k < C; k++) {
            float lp = z[k] - lse;
            logp[k] = lp;
            loss += q[k] * (cm_flog(q[k] > 0.0f ? q[k] : 1.0f) - lp); /* no branch: the loop vectorises */
        }
    } else {
#pragma omp simd reduction(+ : loss)
        for (int k = 0; k < C; k++) {
            float lp = z[k] - lse;
            logp[k] = lp;
            loss -= q[k] * lp;
        }
    }
    if (dz) {
        float a = coef * inv * qs;
#pragma omp simd
        for (int k = 0; k < C; k++)
            dz[k] = a * dz[k] - coef * q[k];
    }
    return loss;
}

/* Loss-gradient coefficients of place and HD rows at step t (the d/dlogits
 * of the frame-weighted mean the loss functions below compute). */
static void grad_coefs(const cm_pathint *m, int t, double wsum, float *coef_p, float *coef_h)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T;
    if (c->loss == CM_PATHINT_LOSS_SSMPC) {
        float coef = (float)(frame_weight(c, t) / wsum / B);
        *coef_h = coef;
        *coef_p = coef + (t == 0 ? (float)(c->init_loss_weight / B) : 0.0f);
    } else {
        *coef_p = *coef_h = 1.0f / ((float)B * (float)T);
    }
}

static double frame_weight_sum(const cm_pathint_config *c, int T)
{
    double wsum = 0.0;
    for (int t = 0; t < T; t++)
        wsum += frame_weight(c, t);
    return wsum;
}

/* Rows [r0, r1) of the read-out losses: log-softmax of place and HD logits
 * and per-row KL (kl) or cross-entropy into rowp/rowh; with `grads` also the
 * loss gradients dplog/dhlog for backward. */
static void row_losses_range(cm_pathint *m, int kl, int grads, int r0, int r1, double wsum)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &m->batch;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    for (int r = r0; r < r1; r++) {
        int t = r / B, b = r % B;
        float coef_p, coef_h;
        grad_coefs(m, t, wsum, &coef_p, &coef_h);
        m->rowp[r] = readout_row(m->plogp + (size_t)r * Np, grads ? m->dplog + (size_t)r * Np : NULL,
                                 m->plog + (size_t)r * Np, target_row(bt->place, b, t, T, Np), Np, kl, coef_p);
        if (Nh > 0)
            m->rowh[r] = readout_row(m->hlogp + (size_t)r * Nh, grads ? m->dhlog + (size_t)r * Nh : NULL,
                                     m->hlog + (size_t)r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, kl, coef_h);
    }
}

/* All rows in one parallel pass (one OpenMP region instead of three). The
 * callers sum the rows in a fixed order, so the loss has the same bits at any
 * thread count. */
static void row_losses(cm_pathint *m, int kl, int grads)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd, TB = B * T;
    double wsum = frame_weight_sum(c, T);
#pragma omp parallel for schedule(static) if (TB * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int r = 0; r < TB; r++)
        row_losses_range(m, kl, grads, r, r + 1, wsum);
}

/* rows_done: the pipelined forward has already computed the row losses. */
static double loss_ssmpc(cm_pathint *m, int grads, int rows_done)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = frame_weight_sum(c, T);
    if (!rows_done)
        row_losses(m, 1, grads);
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

static double loss_xent(cm_pathint *m, int grads, int rows_done)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Nh = c->n_hd;
    if (!rows_done)
        row_losses(m, 0, grads);
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

/* ------------------------------------------------- pipelined forward
 *
 * At 2 threads the small LSTM's recurrence (ssmpc, banino) runs on one
 * core: a step is too small to split (a barrier per step costs more than
 * half a step, nn_internal.h). Instead, the read-outs of finished time
 * chunks run beside it: thread 0 runs the recurrence chunk by chunk and
 * publishes each finished chunk with a release store; thread 1 waits for it
 * (acquire) and computes that chunk's bottleneck, dropout, logits and row
 * losses, and thread 0 joins it when the recurrence is done (before that,
 * thread 1 projects the inputs of chunks 1.. while thread 0 projects chunk 0
 * and starts). Synchronisation is per chunk, not per step. Every product is the
 * same row-wise computation as the unpipelined forward on fewer rows, and
 * the dropout mask depends only on the element index (cm_dropout_range), so
 * the bits are those of the unpipelined forward. */

/* Rows per chunk at least: keeps each chunk's products on BLAS's packed path,
 * whose bits do not depend on the number of rows; its small-matrix kernels
 * round differently (OpenBLAS 0.3.21 on AVX-512, measured: the HD read-out
 * [rows, 256] x [256, 12] gives the bits of the whole product for chunks of
 * 128 rows and more, different bits for 100 rows and fewer). */
#define PIPE_MIN_ROWS 192

/* Number of time chunks, or 0 when the forward is not pipelined: at exactly
 * 2 threads (with more, the unpipelined path splits every read-out product
 * across all of them, while the pipeline would leave all but two idle). */
static int pipe_chunks(const cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    size_t step = (size_t)m->B * 4 * c->hidden * c->hidden;
    if (c->cell != CM_PATHINT_LSTM || cm_threads() != 2 || step >= CM_RECUR_PAR_MIN || step > CM_LSTM_SMALL_STEP)
        return 0;
    int chunks = m->T / ((PIPE_MIN_ROWS + m->B - 1) / m->B);
    return chunks >= 2 ? chunks : 0;
}

/* Steps [*t0, *t1) of chunk k of `chunks`: T split evenly (sizes differ by at
 * most one), so that no chunk has fewer than PIPE_MIN_ROWS rows. */
static void pipe_chunk(int T, int chunks, int k, int *t0, int *t1)
{
    *t0 = (int)((long long)T * k / chunks);
    *t1 = (int)((long long)T * (k + 1) / chunks);
}

/* The non-negative bottleneck (bottleneck_relu): z = relu(zpre) * dropout.
 * Folded into the dropout mask (zeroed where zpre <= 0, PyTorch's relu
 * gradient at 0), so that backward, which multiplies dz by the mask, needs
 * no change. Elements [lo, hi). */
static void bottleneck_relu_range(cm_pathint *m, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        if (!(m->zpre[i] > 0.0f)) {
            m->mask[i] = 0.0f;
            m->z[i] = 0.0f;
        }
}

/* The read-outs of rows [r0, r1) (time-major rows of [T*B]). */
static void readout_rows(cm_pathint *m, int r0, int r1, int train, uint64_t key, int kl, double wsum)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck, top = Nb > 0 ? Nb : H;
    int n = r1 - r0;
    const float *hseq = m->hs + (size_t)B * H;
    if (Nb > 0) {
        size_t lo = (size_t)r0 * Nb, hi = (size_t)r1 * Nb;
        cm_linear_forward(m->zpre + lo, hseq + (size_t)r0 * H, P(m, ix->w_bn), P(m, ix->b_bn), n, H, Nb, 0);
        if (train && c->dropout > 0.0f) {
            cm_dropout_range(m->z, m->mask, m->zpre, lo, hi, c->dropout, key);
        } else {
            for (size_t i = lo; i < hi; i++) {
                m->mask[i] = 1.0f;
                m->z[i] = m->zpre[i];
            }
        }
        if (c->bottleneck_relu)
            bottleneck_relu_range(m, lo, hi);
    }
    const float *z = m->z + (size_t)r0 * top;
    cm_linear_forward(m->plog + (size_t)r0 * Np, z, P(m, ix->w_p), P(m, ix->b_p), n, top, Np, 0);
    if (Nh > 0)
        cm_linear_forward(m->hlog + (size_t)r0 * Nh, z, P(m, ix->w_d), P(m, ix->b_d), n, top, Nh, 0);
    row_losses_range(m, kl, train, r0, r1, wsum);
}

static void forward_pipelined(cm_pathint *m, int train, int chunks)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, T = m->T, H = c->hidden, I = c->input_size;
    int kl = c->loss == CM_PATHINT_LOSS_SSMPC;
    double wsum = frame_weight_sum(c, T);
    /* the key cm_dropout_forward would draw */
    uint64_t key = c->bottleneck > 0 && train && c->dropout > 0.0f ? cm_rng_u64(&m->dropout_rng) : 0;
    atomic_int projected = 1;  /* chunks whose input projection is done (thread 0 does chunk 0) */
    atomic_int done = 0;       /* chunks whose recurrence is finished */
    atomic_int next_chunk = 0; /* the next chunk whose read-outs nobody has taken */
    int nt = cm_threads();
    openblas_set_num_threads(1); /* BLAS calls inside the region run on their caller's thread */
#pragma omp parallel num_threads(2)
    {
        int tid = omp_get_thread_num(), alone = omp_get_num_threads() < 2;
        /* The input projection of chunks 1.. on thread 1 while thread 0 starts
         * the recurrence: otherwise it runs alone before the region. */
        if (tid == 1 || alone)
            for (int k = 1; k < chunks; k++) {
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_input_rows(m->gates, m->x, P(m, ix->w_ih), P(m, ix->b_ih), P(m, ix->b_hh), t0 * B, t1 * B, I,
                                   H);
                atomic_store_explicit(&projected, k + 1, memory_order_release);
            }
        if (tid == 0) {
            int t0, t1;
            pipe_chunk(T, chunks, 0, &t0, &t1);
            cm_lstm_input_rows(m->gates, m->x, P(m, ix->w_ih), P(m, ix->b_ih), P(m, ix->b_hh), t0 * B, t1 * B, I, H);
            cm_lstm_transpose_hh(m->fwork, P(m, ix->w_hh), H);
            for (int k = 0; k < chunks; k++) {
                while (atomic_load_explicit(&projected, memory_order_acquire) <= k)
                    sched_yield();
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_forward_steps(m->hs, m->cs, m->gates, t0, t1, B, H, m->fwork);
                atomic_store_explicit(&done, k + 1, memory_order_release);
            }
        }
        /* Thread 1 takes chunks as they finish; thread 0, once the recurrence
         * is done, takes what is left (the read-outs are the larger part). */
        for (int k; (k = atomic_fetch_add_explicit(&next_chunk, 1, memory_order_relaxed)) < chunks;) {
            while (atomic_load_explicit(&done, memory_order_acquire) <= k)
                sched_yield();
            int t0, t1;
            pipe_chunk(T, chunks, k, &t0, &t1);
            readout_rows(m, t0 * B, t1 * B, train, key, kl, wsum);
        }
    }
    openblas_set_num_threads(nt);
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
    int chunks = pipe_chunks(m);
    if (chunks > 0) {
        cm_linear_forward(m->cs, m->r0, P(m, ix->w_c0), P(m, ix->b_c0), B, R, H, 0);
        forward_pipelined(m, train, chunks);
    } else if (c->cell == CM_PATHINT_LSTM) {
        cm_linear_forward(m->cs, m->r0, P(m, ix->w_c0), P(m, ix->b_c0), B, R, H, 0);
        cm_lstm_forward(m->hs, m->cs, m->gates, m->x, P(m, ix->w_ih), P(m, ix->w_hh), P(m, ix->b_ih),
                        P(m, ix->b_hh), T, B, I, H, m->fwork);
    } else {
        cm_rnn_forward(m->hs, m->x, P(m, ix->w_ih), P(m, ix->w_hh), P(m, ix->b_ih), P(m, ix->b_hh), T, B, I, H,
                       c->rnn_activation);
    }
    if (chunks == 0) {
        const float *hseq = m->hs + (size_t)B * H;
        if (Nb > 0) {
            cm_linear_forward(m->zpre, hseq, P(m, ix->w_bn), P(m, ix->b_bn), TB, H, Nb, 0);
            cm_dropout_forward(m->z, m->mask, m->zpre, (size_t)TB * Nb, c->dropout, train, &m->dropout_rng);
            if (c->bottleneck_relu)
                bottleneck_relu_range(m, 0, (size_t)TB * Nb);
        }
        cm_linear_forward(m->plog, m->z, P(m, ix->w_p), P(m, ix->b_p), TB, top, Np, 0);
        if (Nh > 0)
            cm_linear_forward(m->hlog, m->z, P(m, ix->w_d), P(m, ix->b_d), TB, top, Nh, 0);
    }
    /* A training forward also writes the read-outs' loss gradients (fused with
     * the log-softmax and the loss); an evaluation forward leaves them to backward. */
    double L = c->loss == CM_PATHINT_LOSS_SSMPC ? loss_ssmpc(m, train, chunks > 0) : loss_xent(m, train, chunks > 0);
    m->last_loss = L;
    m->have_forward = 1;
    m->grads_ready = train;
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

/* The read-outs' loss gradients when the forward did not write them (an
 * evaluation forward followed by backward). */
static void grad_logits_rows(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &m->batch;
    int B = m->B, T = m->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = frame_weight_sum(c, T);
#pragma omp parallel for schedule(static) if (T * B * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int t = 0; t < T; t++) {
        float coef_p, coef_h;
        grad_coefs(m, t, wsum, &coef_p, &coef_h);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            xent_row_grad(m->dplog + r * Np, m->plogp + r * Np, target_row(bt->place, b, t, T, Np), Np, coef_p);
            if (Nh > 0)
                xent_row_grad(m->dhlog + r * Nh, m->hlogp + r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, coef_h);
        }
    }
}

static void grad_logits_ssmpc(cm_pathint *m)
{
    const cm_pathint_config *c = &m->cfg;
    int B = m->B, T = m->T, Np = c->n_place;
    if (!m->grads_ready)
        grad_logits_rows(m);
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
    if (!m->grads_ready)
        grad_logits_rows(m);
    if (c->l2_recurrent > 0.0f)
        cm_l2_backward(G(m, m->ix.w_hh), P(m, m->ix.w_hh), m->params.tensors[m->ix.w_hh].count, c->l2_recurrent);
}

/* ------------------------------------------------ pipelined backward
 *
 * The mirror of the pipelined forward, in reverse time: thread 1 computes
 * the row-wise part of the read-outs' backward (dz from the logit
 * gradients, the dropout mask, dhs) chunk by chunk from the last, publishing
 * each; thread 0 back-propagates the recurrence through a chunk as soon as
 * its dhs rows are final. Then each thread does weight gradients over all
 * T*B rows as single products: thread 1 those of the read-outs and the
 * bottleneck, thread 0 those of the LSTM. Same products on the same rows as
 * the unpipelined backward, each weight gradient one call over the full
 * depth: the same bits. */

/* Rows [r0, r1): dz = dplog W_p (+ dhlog W_d), masked, then dhs = dz W_bn. */
static void readout_back_rows(cm_pathint *m, int r0, int r1)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck, top = Nb > 0 ? Nb : H, n = r1 - r0;
    float *dz = m->dz + (size_t)r0 * top;
    cm_gemm(0, 0, n, top, Np, 1.0f, m->dplog + (size_t)r0 * Np, Np, P(m, ix->w_p), top, 0.0f, dz, top);
    if (Nh > 0)
        cm_gemm(0, 0, n, top, Nh, 1.0f, m->dhlog + (size_t)r0 * Nh, Nh, P(m, ix->w_d), top, 1.0f, dz, top);
    if (Nb > 0) {
        const float *mask = m->mask + (size_t)r0 * Nb;
        size_t len = (size_t)n * Nb;
#pragma omp simd
        for (size_t i = 0; i < len; i++)
            dz[i] *= mask[i];
        cm_gemm(0, 0, n, H, Nb, 1.0f, dz, Nb, P(m, ix->w_bn), H, 0.0f, m->dhs + (size_t)r0 * H, H);
    }
}

/* Weight and bias gradients of the read-outs and the bottleneck over all
 * rows, one job each (place, bottleneck, HD: largest first); jobs with no
 * tensor do nothing. */
#define READOUT_WEIGHT_JOBS 3
static void readout_back_weights(cm_pathint *m, int job)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, TB = m->T * B, H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck;
    int top = Nb > 0 ? Nb : H;
    if (job == 0)
        cm_linear_backward(NULL, G(m, ix->w_p), G(m, ix->b_p), m->dplog, m->z, P(m, ix->w_p), TB, top, Np);
    else if (job == 1 && Nb > 0)
        cm_linear_backward(NULL, G(m, ix->w_bn), G(m, ix->b_bn), m->dz, m->hs + (size_t)B * H, P(m, ix->w_bn), TB,
                           H, Nb);
    else if (job == 2 && Nh > 0)
        cm_linear_backward(NULL, G(m, ix->w_d), G(m, ix->b_d), m->dhlog, m->z, P(m, ix->w_d), TB, top, Nh);
}

static void backward_pipelined(cm_pathint *m, int chunks)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = m->B, T = m->T, H = c->hidden, I = c->input_size;
    cm_lstm_backward_begin(B, H, T, m->work);
    atomic_int ready = 0; /* chunks whose dhs rows are final, counted from the last */
    atomic_int next_job = 0;
    int nt = cm_threads();
    openblas_set_num_threads(1);
#pragma omp parallel num_threads(2)
    {
        int tid = omp_get_thread_num(), alone = omp_get_num_threads() < 2;
        if (tid == 1 || alone)
            for (int k = chunks - 1; k >= 0; k--) {
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                readout_back_rows(m, t0 * B, t1 * B);
                atomic_store_explicit(&ready, chunks - k, memory_order_release);
            }
        if (tid == 0) {
            for (int k = chunks - 1; k >= 0; k--) {
                while (atomic_load_explicit(&ready, memory_order_acquire) < chunks - k)
                    sched_yield();
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_backward_steps(t0, t1, m->dhs, m->cs, m->gates, P(m, ix->w_hh), T, B, H, m->work);
            }
            cm_lstm_backward_finish(NULL, m->dh0, m->dc0, G(m, ix->w_ih), G(m, ix->w_hh), G(m, ix->b_ih),
                                    G(m, ix->b_hh), m->hs, m->x, P(m, ix->w_ih), T, B, I, H, m->work);
        }
        /* The read-out weight gradients go to whichever thread is free first
         * (each is one call whichever thread makes it: the same bits). Thread 0
         * comes to them only after the LSTM, whose dhs needs every chunk done,
         * so thread 1's rows are all final by then. */
        for (int j; (j = atomic_fetch_add_explicit(&next_job, 1, memory_order_relaxed)) < READOUT_WEIGHT_JOBS;)
            readout_back_weights(m, j);
    }
    openblas_set_num_threads(nt);
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

    int chunks = pipe_chunks(m);
    if (chunks > 0) {
        memset(m->dh0, 0, (size_t)B * H * sizeof(float));
        memset(m->dc0, 0, (size_t)B * H * sizeof(float));
        backward_pipelined(m, chunks);
        cm_linear_backward(NULL, G(m, ix->w_c0), G(m, ix->b_c0), m->dc0, m->r0, P(m, ix->w_c0), B, R, H);
    } else {
        /* The first product into dz and into dhs overwrites (beta 0) instead of
         * accumulating into a zeroed buffer: two memset passes fewer. When there is
         * no bottleneck, dz is dhs. */
        cm_gemm(0, 0, TB, top, Np, 1.0f, m->dplog, Np, P(m, ix->w_p), top, 0.0f, m->dz, top);
        cm_linear_backward(NULL, G(m, ix->w_p), G(m, ix->b_p), m->dplog, m->z, P(m, ix->w_p), TB, top, Np);
        if (Nh > 0)
            cm_linear_backward(m->dz, G(m, ix->w_d), G(m, ix->b_d), m->dhlog, m->z, P(m, ix->w_d), TB, top, Nh);
        const float *hseq = m->hs + (size_t)B * H;
        if (Nb > 0) {
            /* Dropout backward in place: dz becomes the gradient of the pre-dropout bottleneck. */
            float *dz = m->dz;
            const float *mask = m->mask;
            size_t n = (size_t)TB * Nb;
#pragma omp parallel for simd if (n > CM_PAR_MIN_ELEMS) schedule(static)
            for (size_t i = 0; i < n; i++)
                dz[i] *= mask[i];
            cm_gemm(0, 0, TB, H, Nb, 1.0f, m->dz, Nb, P(m, ix->w_bn), H, 0.0f, m->dhs, H);
            cm_linear_backward(NULL, G(m, ix->w_bn), G(m, ix->b_bn), m->dz, hseq, P(m, ix->w_bn), TB, H, Nb);
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
