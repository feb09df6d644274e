/* The path-integration network (models.h): building it, the per-batch
 * state, the reference forward, loss and backward, the read-outs both
 * forwards share, and the update. Inside, sequences are time-major
 * ([T, B, .]) so that each step's batch is contiguous for the recurrent
 * GEMMs; the caller's batch-major targets are read in place by index. The
 * 2-thread pipelined forward/backward is in pathint_pipeline.c. */
#include "models/pathint_internal.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

/* A tensor of the parameters, or of the caller's gradient block. */
#define P(index) pathint_at(m, m->params.params, (index))
#define G(index) pathint_at(m, grad, (index))

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

/* PyTorch's defaults, drawn in state-dict order from stream 0 of the seed. */
static void init_weights(cm_pathint *m, uint64_t seed)
{
    const cm_pathint_config *c = &m->cfg;
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
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

cm_status cm_pathint_create(const cm_pathint_config *cfg, uint64_t seed, cm_pathint **out)
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
    if (s) {
        cm_pathint_free(m);
        return s;
    }
    init_weights(m, seed);
    *out = m;
    return CM_OK;
}

void cm_pathint_free(cm_pathint *m)
{
    if (!m)
        return;
    cm_params_free(&m->params);
    free(m);
}

const cm_pathint_config *cm_pathint_get_config(const cm_pathint *m) { return &m->cfg; }
cm_params *cm_pathint_params(cm_pathint *m) { return &m->params; }
size_t cm_pathint_trained_floats(const cm_pathint *m) { return m->n_trained; }
int cm_pathint_bottleneck_size(const cm_pathint *m) { return m->cfg.bottleneck > 0 ? m->cfg.bottleneck : m->cfg.hidden; }
size_t cm_pathint_param_bytes(const cm_pathint *m) { return 2 * m->params.total * sizeof(float); }

/* ---------------------------------------------------------------- state */

cm_status cm_pathint_state_create(const cm_pathint *m, int batch, int seq_len, cm_pathint_state **out)
{
    *out = NULL;
    if (batch < 1 || seq_len < 1 || (int64_t)batch * seq_len > (1 << 26))
        return cm_error(CM_ERR_ARG, "path-integration state: batch %d x sequence %d: expected >= 1 and a product <= 2^26",
                        batch, seq_len);
    const cm_pathint_config *c = &m->cfg;
    const int B = batch, T = seq_len;
    size_t H = (size_t)c->hidden, I = (size_t)c->input_size, Np = (size_t)c->n_place, Nh = (size_t)c->n_hd;
    size_t Nb = (size_t)c->bottleneck, R = Np + Nh, TB = (size_t)T * (size_t)B;
    int lstm = c->cell == CM_PATHINT_LSTM;
    cm_pathint_state *s = calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "path-integration state: cannot allocate");
    size_t sizes[32], n = 0, total = 0;
    float **slots[32];
#define SLOT(ptr, count) (slots[n] = &(ptr), sizes[n++] = (count))
    SLOT(s->x, TB * I);
    SLOT(s->r0, (size_t)B * R);
    SLOT(s->hs, (TB + B) * H);
    SLOT(s->cs, lstm ? (TB + B) * H : 0);
    SLOT(s->gates, lstm ? TB * 4 * H : 0);
    SLOT(s->zpre, TB * Nb);
    SLOT(s->mask, TB * Nb);
    SLOT(s->z, TB * Nb);
    SLOT(s->plog, TB * Np);
    SLOT(s->plogp, TB * Np);
    SLOT(s->hlog, TB * Nh);
    SLOT(s->hlogp, TB * Nh);
    SLOT(s->rowp, TB);
    SLOT(s->rowh, TB);
    SLOT(s->dplog, TB * Np);
    SLOT(s->dhlog, TB * Nh);
    SLOT(s->dz, TB * Nb);
    SLOT(s->dhs, TB * H);
    SLOT(s->dh0, (size_t)B * H);
    SLOT(s->dc0, lstm ? (size_t)B * H : 0);
    SLOT(s->work, lstm ? cm_lstm_work_floats(T, B, (int)H) : 0);
    SLOT(s->fwork, lstm ? cm_lstm_forward_work_floats((int)H) : 0);
#undef SLOT
    float *block = cm_alloc_slots(slots, sizes, n, &total);
    if (!block) {
        free(s);
        return cm_error(CM_ERR_NOMEM, "path-integration state: cannot allocate %zu MB of activations",
                        total * sizeof(float) >> 20);
    }
    s->act = block;
    s->act_floats = total;
    if (Nb == 0) {
        /* No bottleneck: the read-outs see h_1..h_T directly. */
        s->z = s->hs + (size_t)B * H;
        s->dz = s->dhs;
    }
    s->B = B;
    s->T = T;
    s->Bn = B;
    *out = s;
    return CM_OK;
}

void cm_pathint_state_free(cm_pathint_state *s)
{
    if (!s)
        return;
    cm_free(s->act);
    free(s);
}

int cm_pathint_state_batch(const cm_pathint_state *s) { return s->B; }
int cm_pathint_state_seq_len(const cm_pathint_state *s) { return s->T; }
size_t cm_pathint_activation_bytes(const cm_pathint_state *s) { return s->act_floats * sizeof(float); }

/* --------------------------------------------------------------- losses */

/* Frame weight of the SSM-PC loss at step t (ssm-pc.md §4.3). */
static double frame_weight(const cm_pathint_config *c, int t)
{
    if (t == 0)
        return c->frame0_weight;
    if (t < c->initial_frames)
        return c->initial_frames_weight * pow(c->decay_factor, t - 1);
    return 1.0;
}

double pathint_frame_weight_sum(const cm_pathint_config *c, int T)
{
    double wsum = 0.0;
    for (int t = 0; t < T; t++)
        wsum += frame_weight(c, t);
    return wsum;
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

/* Loss-gradient coefficients of place and HD rows at step t (the d/dlogits
 * of the frame-weighted mean the loss functions below compute). Means are
 * over Bn rows: a shard's losses are its share of the global batch's. */
static void grad_coefs(const cm_pathint *m, const cm_pathint_state *s, int t, double wsum, float *coef_p,
                       float *coef_h)
{
    const cm_pathint_config *c = &m->cfg;
    int Bn = s->Bn, T = s->T;
    if (c->loss == CM_PATHINT_LOSS_SSMPC) {
        float coef = (float)(frame_weight(c, t) / wsum / Bn);
        *coef_h = coef;
        *coef_p = coef + (t == 0 ? (float)(c->init_loss_weight / Bn) : 0.0f);
    } else {
        *coef_p = *coef_h = 1.0f / ((float)Bn * (float)T);
    }
}

/* The squared-error place loss of one row, sum_i (y_i - q_i)^2 (the nn
 * module's mean squared error times n, so that its PyTorch check covers
 * it); with dy, also its gradient times coef (dy is overwritten, as the
 * softmax rows' are). */
static float squared_error_row(const float *y, const float *q, float *dy, int n, float coef)
{
    if (dy) {
        memset(dy, 0, (size_t)n * sizeof(float));
        cm_mse_backward(dy, y, q, (size_t)n, coef * (float)n);
    }
    return (float)(cm_mse_forward(y, q, (size_t)n) * n);
}

/* Rows [r0, r1) of the read-out losses: log-softmax of place and HD logits
 * and per-row KL (kl) or cross-entropy into rowp/rowh; with `grads` also the
 * loss gradients dplog/dhlog for backward. */
static void row_losses_range(const cm_pathint *m, cm_pathint_state *s, int kl, int grads, int r0, int r1,
                             double wsum)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &s->batch;
    int B = s->B, T = s->T, Np = c->n_place, Nh = c->n_hd;
    for (int r = r0; r < r1; r++) {
        int t = r / B, b = r % B;
        float coef_p, coef_h;
        grad_coefs(m, s, t, wsum, &coef_p, &coef_h);
        if (c->loss == CM_PATHINT_LOSS_MSE)
            s->rowp[r] = squared_error_row(s->plog + (size_t)r * Np, target_row(bt->place, b, t, T, Np),
                                           grads ? s->dplog + (size_t)r * Np : NULL, Np, coef_p);
        else
            s->rowp[r] = cm_softmax_loss_row(s->plogp + (size_t)r * Np, grads ? s->dplog + (size_t)r * Np : NULL,
                                             s->plog + (size_t)r * Np, target_row(bt->place, b, t, T, Np), Np, kl,
                                             coef_p);
        if (Nh > 0)
            s->rowh[r] = cm_softmax_loss_row(s->hlogp + (size_t)r * Nh, grads ? s->dhlog + (size_t)r * Nh : NULL,
                                     s->hlog + (size_t)r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, kl, coef_h);
    }
}

/* The dropout of time-major rows [r0, r1): the mask of `key` at each
 * element's index in the GLOBAL batch, so that the shards of a batch draw
 * the masks the whole batch would. */
static void dropout_rows(const cm_pathint *m, cm_pathint_state *s, int r0, int r1, uint64_t key)
{
    const int Nb = m->cfg.bottleneck, B = s->B;
    if (s->Bn == B) {
        cm_dropout_range(s->z, s->mask, s->zpre, (size_t)r0 * Nb, (size_t)r1 * Nb, m->cfg.dropout, key);
        return;
    }
    for (int t = r0 / B; t < r1 / B; t++) {
        const size_t local = (size_t)t * B * Nb, global = ((size_t)t * s->Bn + s->batch.row0) * Nb;
        cm_dropout_range_at(s->z + local, s->mask + local, s->zpre + local, (size_t)B * Nb, global, m->cfg.dropout,
                            key);
    }
}

/* The non-negative bottleneck (bottleneck_relu): z = relu(zpre) * dropout.
 * Folded into the dropout mask (zeroed where zpre <= 0, PyTorch's relu
 * gradient at 0), so that backward, which multiplies dz by the mask, needs
 * no change. Elements [lo, hi). */
static void bottleneck_relu_range(cm_pathint_state *s, size_t lo, size_t hi)
{
    for (size_t i = lo; i < hi; i++)
        if (!(s->zpre[i] > 0.0f)) {
            s->mask[i] = 0.0f;
            s->z[i] = 0.0f;
        }
}

/* The one read-out implementation: the plain forward runs it over all rows
 * (its products spread over BLAS's threads, its rows over OpenMP's), the
 * pipelined forward over each time chunk as it finishes. */
void pathint_readout_rows(const cm_pathint *m, cm_pathint_state *s, int r0, int r1, int train, uint64_t key,
                          double wsum)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck, top = Nb > 0 ? Nb : H;
    int n = r1 - r0, kl = c->loss == CM_PATHINT_LOSS_SSMPC;
    const float *hseq = s->hs + (size_t)B * H;
    if (Nb > 0) {
        size_t lo = (size_t)r0 * Nb, hi = (size_t)r1 * Nb;
        cm_linear_forward(s->zpre + lo, hseq + (size_t)r0 * H, P(ix->w_bn), P(ix->b_bn), n, H, Nb, 0);
        if (train && c->dropout > 0.0f) {
            dropout_rows(m, s, r0, r1, key);
        } else {
            for (size_t i = lo; i < hi; i++) {
                s->mask[i] = 1.0f;
                s->z[i] = s->zpre[i];
            }
        }
        if (c->bottleneck_relu)
            bottleneck_relu_range(s, lo, hi);
    }
    const float *z = s->z + (size_t)r0 * top;
    cm_linear_forward(s->plog + (size_t)r0 * Np, z, P(ix->w_p), P(ix->b_p), n, top, Np, 0);
    if (Nh > 0)
        cm_linear_forward(s->hlog + (size_t)r0 * Nh, z, P(ix->w_d), P(ix->b_d), n, top, Nh, 0);
    /* Rows in parallel unless the caller already is; the losses are summed
     * in a fixed order later, so the bits do not depend on the threads. */
#pragma omp parallel for schedule(static) if (!omp_in_parallel() && (size_t)n * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int r = r0; r < r1; r++)
        row_losses_range(m, s, kl, train, r, r + 1, wsum);
}

static double loss_ssmpc(const cm_pathint *m, cm_pathint_state *s)
{
    const cm_pathint_config *c = &m->cfg;
    int B = s->B, Bn = s->Bn, T = s->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = pathint_frame_weight_sum(c, T);
    double place = 0.0, hd = 0.0, init = 0.0, cont = 0.0;
    for (int t = 0; t < T; t++) {
        double w = frame_weight(c, t), kp = 0.0, kh = 0.0;
        for (int b = 0; b < B; b++) {
            kp += s->rowp[(size_t)t * B + b];
            if (Nh > 0)
                kh += s->rowh[(size_t)t * B + b];
        }
        place += w * kp / Bn;
        hd += w * kh / Bn;
        if (t == 0)
            init = kp / Bn;
    }
    /* Continuity: KL(P_{t-1} || P_t) with log(P_t + 1e-10), t = 1..frames. */
    for (int t = 1; t <= c->continuity_frames && t < T; t++) {
        double u = 1.0 - c->continuity_step * (t - 1), k = 0.0;
        for (int b = 0; b < B; b++) {
            k += cm_kl_next_row(s->plogp + ((size_t)(t - 1) * B + b) * Np, s->plogp + ((size_t)t * B + b) * Np, Np);
        }
        cont += u * k / Bn;
    }
    return place / wsum + hd / wsum + c->init_loss_weight * init + c->continuity_weight * cont;
}

/* The weight penalty belongs to the global batch once: to its first shard. */
static int first_shard(const cm_pathint_state *s) { return s->batch.row0 == 0; }

static double loss_xent(const cm_pathint *m, cm_pathint_state *s)
{
    const cm_pathint_config *c = &m->cfg;
    int B = s->B, T = s->T, Nh = c->n_hd;
    double total = 0.0;
    for (size_t r = 0; r < (size_t)B * T; r++)
        total += s->rowp[r] + (Nh > 0 ? s->rowh[r] : 0.0f);
    total /= (double)s->Bn * T;
    if (c->l2_recurrent > 0.0f && first_shard(s)) {
        const cm_tensor_info *t = &m->params.tensors[m->ix.w_hh];
        total += c->l2_recurrent * cm_l2_forward(P(m->ix.w_hh), t->count);
    }
    return total;
}

static cm_status check_batch(const cm_pathint *m, const cm_pathint_state *s, const cm_pathint_batch *b)
{
    if (!b || !b->velocity || !b->init_place || !b->place)
        return cm_error(CM_ERR_ARG, "path-integration batch: velocity, init_place and place are required");
    if (m->cfg.n_hd > 0 && (!b->init_hd || !b->hd))
        return cm_error(CM_ERR_ARG, "path-integration batch: init_hd and hd are required (n_hd = %d)", m->cfg.n_hd);
    if (b->rows_total != 0 && (b->row0 < 0 || b->rows_total < s->B || b->row0 > b->rows_total - s->B))
        return cm_error(CM_ERR_ARG, "path-integration batch: rows %d..%d of %d: expected a shard inside the batch",
                        b->row0, b->row0 + s->B, b->rows_total);
    return CM_OK;
}

/* --------------------------------------------------------------- forward */

cm_status cm_pathint_forward(const cm_pathint *m, cm_pathint_state *s, const cm_pathint_batch *bt, cm_rng *rng,
                             double *loss)
{
    cm_status st = check_batch(m, s, bt);
    if (st)
        return st;
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, I = c->input_size, Np = c->n_place, Nh = c->n_hd;
    int R = Np + Nh, TB = T * B, train = rng != NULL;
    s->batch = *bt;
    s->Bn = bt->rows_total ? bt->rows_total : B;

    transpose_bt(s->x, bt->velocity, B, T, I, 1);
    for (int b = 0; b < B; b++) {
        memcpy(s->r0 + (size_t)b * R, bt->init_place + (size_t)b * Np, (size_t)Np * sizeof(float));
        if (Nh > 0)
            memcpy(s->r0 + (size_t)b * R + Np, bt->init_hd + (size_t)b * Nh, (size_t)Nh * sizeof(float));
    }
    /* One key per training forward (cm_dropout_forward's draw): the masks are
     * a hash of (key, element index). */
    const uint64_t key = train && c->bottleneck > 0 && c->dropout > 0.0f ? cm_rng_u64(rng) : 0;
    cm_linear_forward(s->hs, s->r0, P(ix->w_h0), P(ix->b_h0), B, R, H, 0);
    if (c->cell == CM_PATHINT_LSTM)
        cm_linear_forward(s->cs, s->r0, P(ix->w_c0), P(ix->b_c0), B, R, H, 0);
    const int chunks = pathint_pipe_chunks(m, s);
    if (chunks > 0) {
        pathint_forward_pipelined(m, s, train, key, chunks);
    } else {
        if (c->cell == CM_PATHINT_LSTM)
            cm_lstm_forward(s->hs, s->cs, s->gates, s->x, P(ix->w_ih), P(ix->w_hh), P(ix->b_ih), P(ix->b_hh), T, B,
                            I, H, s->fwork);
        else
            cm_rnn_forward(s->hs, s->x, P(ix->w_ih), P(ix->w_hh), P(ix->b_ih), P(ix->b_hh), T, B, I, H,
                           c->rnn_activation);
        pathint_readout_rows(m, s, 0, TB, train, key, pathint_frame_weight_sum(c, T));
    }
    /* A training forward also wrote the read-outs' loss gradients (fused with
     * the log-softmax and the loss); an evaluation forward leaves them to backward. */
    double L = c->loss == CM_PATHINT_LOSS_SSMPC ? loss_ssmpc(m, s) : loss_xent(m, s);
    s->last_loss = L;
    s->have_forward = 1;
    s->grads_ready = train;
    if (loss)
        *loss = L;
    return CM_OK;
}

/* -------------------------------------------------------------- backward */

/* The read-outs' loss gradients when the forward did not write them (an
 * evaluation forward followed by backward). */
static void grad_logits_rows(const cm_pathint *m, cm_pathint_state *s)
{
    const cm_pathint_config *c = &m->cfg;
    const cm_pathint_batch *bt = &s->batch;
    int B = s->B, T = s->T, Np = c->n_place, Nh = c->n_hd;
    double wsum = pathint_frame_weight_sum(c, T);
#pragma omp parallel for schedule(static) if (T * B * (Np + Nh) > CM_PAR_MIN_ELEMS)
    for (int t = 0; t < T; t++) {
        float coef_p, coef_h;
        grad_coefs(m, s, t, wsum, &coef_p, &coef_h);
        for (int b = 0; b < B; b++) {
            size_t r = (size_t)t * B + b;
            if (c->loss == CM_PATHINT_LOSS_MSE)
                squared_error_row(s->plog + r * Np, target_row(bt->place, b, t, T, Np), s->dplog + r * Np, Np, coef_p);
            else
                cm_softmax_loss_row_grad(s->dplog + r * Np, s->plogp + r * Np, target_row(bt->place, b, t, T, Np), Np,
                                         coef_p);
            if (Nh > 0)
                cm_softmax_loss_row_grad(s->dhlog + r * Nh, s->hlogp + r * Nh, target_row(bt->hd, b, t, T, Nh), Nh, coef_h);
        }
    }
}

static void grad_logits_ssmpc(const cm_pathint *m, cm_pathint_state *s)
{
    const cm_pathint_config *c = &m->cfg;
    int B = s->B, T = s->T, Np = c->n_place;
    if (!s->grads_ready)
        grad_logits_rows(m, s);
    /* Continuity: through P_t (the input side) and P_{t-1} (the target side). */
    for (int t = 1; t <= c->continuity_frames && t < T; t++) {
        float u = (float)(c->continuity_weight * (1.0 - c->continuity_step * (t - 1)) / s->Bn);
        for (int b = 0; b < B; b++) {
            const size_t q = ((size_t)(t - 1) * B + b) * Np, p = ((size_t)t * B + b) * Np;
            cm_kl_next_row_backward(s->dplog + q, s->dplog + p, s->plogp + q, s->plogp + p, Np, u);
        }
    }
}

static void grad_logits_xent(const cm_pathint *m, cm_pathint_state *s, float *grad)
{
    const cm_pathint_config *c = &m->cfg;
    if (!s->grads_ready)
        grad_logits_rows(m, s);
    if (c->l2_recurrent > 0.0f && first_shard(s))
        cm_l2_backward(G(m->ix.w_hh), P(m->ix.w_hh), m->params.tensors[m->ix.w_hh].count, c->l2_recurrent);
}

void pathint_readout_back_rows(const cm_pathint *m, cm_pathint_state *s, int r0, int r1)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck, top = Nb > 0 ? Nb : H, n = r1 - r0;
    /* The first product into dz and into dhs overwrites (beta 0) instead of
     * accumulating into a zeroed buffer: two memset passes fewer. When there
     * is no bottleneck, dz is dhs. */
    float *dz = s->dz + (size_t)r0 * top;
    cm_gemm(0, 0, n, top, Np, 1.0f, s->dplog + (size_t)r0 * Np, Np, P(ix->w_p), top, 0.0f, dz, top);
    if (Nh > 0)
        cm_gemm(0, 0, n, top, Nh, 1.0f, s->dhlog + (size_t)r0 * Nh, Nh, P(ix->w_d), top, 1.0f, dz, top);
    if (Nb > 0) {
        /* Dropout backward in place: dz becomes the gradient of the pre-dropout bottleneck. */
        const float *mask = s->mask + (size_t)r0 * Nb;
        size_t len = (size_t)n * Nb;
#pragma omp parallel for simd schedule(static) if (!omp_in_parallel() && len > CM_PAR_MIN_ELEMS)
        for (size_t i = 0; i < len; i++)
            dz[i] *= mask[i];
        cm_gemm(0, 0, n, H, Nb, 1.0f, dz, Nb, P(ix->w_bn), H, 0.0f, s->dhs + (size_t)r0 * H, H);
    }
}

void pathint_readout_back_weights(const cm_pathint *m, cm_pathint_state *s, float *grad, int job)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, TB = s->T * B, H = c->hidden, Np = c->n_place, Nh = c->n_hd, Nb = c->bottleneck;
    int top = Nb > 0 ? Nb : H;
    if (job == 0)
        cm_linear_backward(NULL, G(ix->w_p), G(ix->b_p), s->dplog, s->z, P(ix->w_p), TB, top, Np);
    else if (job == 1 && Nb > 0)
        cm_linear_backward(NULL, G(ix->w_bn), G(ix->b_bn), s->dz, s->hs + (size_t)B * H, P(ix->w_bn), TB, H, Nb);
    else if (job == 2 && Nh > 0)
        cm_linear_backward(NULL, G(ix->w_d), G(ix->b_d), s->dhlog, s->z, P(ix->w_d), TB, top, Nh);
}

cm_status cm_pathint_backward(const cm_pathint *m, cm_pathint_state *s, float *grad)
{
    if (!s->have_forward)
        return cm_error(CM_ERR_ARG, "path-integration network: backward needs a forward first");
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, I = c->input_size, Np = c->n_place, Nh = c->n_hd, R = Np + Nh;

    if (c->loss == CM_PATHINT_LOSS_SSMPC)
        grad_logits_ssmpc(m, s);
    else
        grad_logits_xent(m, s, grad);

    memset(s->dh0, 0, (size_t)B * H * sizeof(float));
    if (c->cell == CM_PATHINT_LSTM)
        memset(s->dc0, 0, (size_t)B * H * sizeof(float));
    const int chunks = pathint_pipe_chunks(m, s);
    if (chunks > 0) {
        pathint_backward_pipelined(m, s, grad, chunks);
    } else {
        pathint_readout_back_rows(m, s, 0, T * B);
        for (int j = 0; j < PATHINT_READOUT_WEIGHT_JOBS; j++)
            pathint_readout_back_weights(m, s, grad, j);
        if (c->cell == CM_PATHINT_LSTM)
            cm_lstm_backward(NULL, s->dh0, s->dc0, G(ix->w_ih), G(ix->w_hh), G(ix->b_ih), G(ix->b_hh), s->dhs, s->hs,
                             s->cs, s->gates, s->x, P(ix->w_ih), P(ix->w_hh), T, B, I, H, s->work);
        else
            cm_rnn_backward(NULL, s->dh0, G(ix->w_ih), G(ix->w_hh), G(ix->b_ih), G(ix->b_hh), s->dhs, s->hs, s->x,
                            P(ix->w_ih), P(ix->w_hh), T, B, I, H, c->rnn_activation);
    }
    if (c->cell == CM_PATHINT_LSTM)
        cm_linear_backward(NULL, G(ix->w_c0), G(ix->b_c0), s->dc0, s->r0, P(ix->w_c0), B, R, H);
    cm_linear_backward(NULL, G(ix->w_h0), G(ix->b_h0), s->dh0, s->r0, P(ix->w_h0), B, R, H);
    /* backward consumed dhs (the RNN turns it into pre-activation gradients) */
    s->have_forward = 0;
    return CM_OK;
}

/* ------------------------------------------------------------- updating */

cm_status cm_pathint_optim_init(const cm_pathint *m, cm_optim *o)
{
    return cm_optim_init(o, &m->cfg.optim, m->n_trained);
}

void cm_pathint_update(cm_pathint *m, cm_optim *o, float *grad)
{
    if (m->cfg.clip_value > 0.0f)
        cm_clip_grad_value(grad, m->n_trained, m->cfg.clip_value);
    if (m->cfg.clip_norm > 0.0f)
        cm_clip_grad_norm(grad, m->n_trained, m->cfg.clip_norm);
    cm_optim_step(o, m->params.params, grad);
}

cm_status cm_pathint_step(cm_pathint *m, cm_pathint_state *s, cm_optim *o, const cm_pathint_batch *b, cm_rng *rng,
                          double *loss)
{
    cm_params_zero_grad(&m->params);
    double L;
    cm_status st = cm_pathint_forward(m, s, b, rng, &L);
    if (st)
        return st;
    if (loss)
        *loss = L;
    if (!isfinite(L))
        return cm_error(CM_ERR_NUMERIC, "path-integration training: step %lld: loss is %g", (long long)o->t + 1, L);
    st = cm_pathint_backward(m, s, m->params.grads);
    if (st)
        return st;
    cm_pathint_update(m, o, m->params.grads);
    return CM_OK;
}

/* ------------------------------------------------------------ read-outs */

void cm_pathint_get_bottleneck(const cm_pathint *m, const cm_pathint_state *s, float *out)
{
    transpose_bt(out, s->z, s->B, s->T, cm_pathint_bottleneck_size(m), 0);
}

void cm_pathint_get_place_logits(const cm_pathint *m, const cm_pathint_state *s, float *out)
{
    transpose_bt(out, s->plog, s->B, s->T, m->cfg.n_place, 0);
}

void cm_pathint_get_hd_logits(const cm_pathint *m, const cm_pathint_state *s, float *out)
{
    if (m->cfg.n_hd > 0)
        transpose_bt(out, s->hlog, s->B, s->T, m->cfg.n_hd, 0);
}
