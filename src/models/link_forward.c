/* The learned link on sequences (link.h): state, forward pass with the
 * sender, gate and memory interleaved step by step (the sender at step t sees
 * the memory after step t-1), the receiver's decoder and "who" over all steps
 * at once, the loss, and the backward pass (straight-through estimators for
 * the sampled bits and gates; the sender's copy of the memory is a
 * stop-gradient input). Time-major throughout; per-sender rows are (n, b). */
#include "models/link_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cm_link_state {
    int B, T;
    int have_forward, have_loss, sender_used;
    int sampled; /* the last forward drew from an rng (not relaxed, not evaluation) */
    cm_link_batch batch;
    double rows;
    cm_link_losses losses;
    float *block;
    float *sin, *e, *cl, *p, *m, *pi, *g, *u, *xm, *hm, *cm, *gates, *din, *d1, *pred;
    float *wh, *score, *alpha, *pd, *pooled, *logp;
    float *dxm, *dpred, *dpooled, *dscore, *dd1, *ddin, *dpd, *dwh, *dhm, *du, *dh0, *dc0, *dcl, *dz, *de, *dsin, *dstate, *dctx;
    float *work;
};

static float *G(const cm_link *l, float *grad, int i) { return i >= 0 ? grad + l->params.tensors[i].offset : NULL; }

cm_status cm_link_state_create(const cm_link *l, int B, int T, cm_link_state **out)
{
    *out = NULL;
    const cm_link_config *c = &l->cfg;
    if (B < 1 || T < 1 || (int64_t)B * T * c->senders > (1 << 24))
        return cm_error(CM_ERR_ARG, "link state: batch %d x seq_len %d x %d senders: expected >= 1, product <= 2^24", B,
                        T, c->senders);
    cm_link_state *s = calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "link state: cannot allocate");
    size_t N = c->senders, S = c->state_dim, C = c->ctx_dim, Bb = c->bits, E = c->sender_hidden, M = c->memory;
    size_t D = c->decoder_hidden, O = c->out_dim, A = c->who_hidden, Tt = T, NB = N * B, TNB = Tt * NB, TB = Tt * B;
    int who = c->who;
    size_t sizes[48], n = 0, total = 0;
    float **slots[48];
#define SLOT(ptr, count) (slots[n] = &(ptr), sizes[n++] = (count))
    SLOT(s->sin, TNB * (S + M));
    SLOT(s->e, TNB * E);
    SLOT(s->cl, TNB * Bb);
    SLOT(s->p, TNB * Bb);
    SLOT(s->m, TNB * Bb);
    SLOT(s->pi, TNB);
    SLOT(s->g, TNB);
    SLOT(s->u, TNB * (Bb + 1));
    SLOT(s->xm, TNB * (size_t)link_memory_input(c));
    SLOT(s->dxm, TNB * (size_t)link_memory_input(c));
    SLOT(s->hm, (Tt + 1) * NB * M);
    SLOT(s->cm, (Tt + 1) * NB * M);
    SLOT(s->gates, TNB * 4 * M);
    SLOT(s->din, TNB * (C + M));
    SLOT(s->d1, TNB * D);
    SLOT(s->pred, TNB * O);
    SLOT(s->wh, who ? TNB * A : 0);
    SLOT(s->score, who ? TNB : 0);
    SLOT(s->alpha, who ? TNB : 0);
    SLOT(s->pd, who ? TB * D : 0);
    SLOT(s->pooled, who ? TB * O : 0);
    SLOT(s->logp, TNB * O);
    SLOT(s->dpred, TNB * O);
    SLOT(s->dpooled, who ? TB * O : 0);
    SLOT(s->dscore, who ? TNB : 0);
    SLOT(s->dd1, TNB * D);
    SLOT(s->ddin, TNB * (C + M));
    SLOT(s->dpd, who ? TB * D : 0);
    SLOT(s->dwh, who ? TNB * A : 0);
    SLOT(s->dhm, TNB * M);
    SLOT(s->du, TNB * (Bb + 1));
    SLOT(s->dh0, NB * M);
    SLOT(s->dc0, NB * M);
    SLOT(s->dcl, TNB * Bb);
    SLOT(s->dz, TNB);
    SLOT(s->de, TNB * E);
    SLOT(s->dsin, TNB * (S + M));
    SLOT(s->dstate, TNB * S);
    SLOT(s->dctx, TB * (C ? C : 1));
    SLOT(s->work, cm_lstm_work_floats(T, (int)NB, (int)M));
#undef SLOT
    s->block = cm_alloc_slots(slots, sizes, n, &total);
    if (!s->block) {
        free(s);
        return cm_error(CM_ERR_NOMEM, "link state: cannot allocate %zu MB", total * sizeof(float) >> 20);
    }
    s->B = B;
    s->T = T;
    *out = s;
    return CM_OK;
}

void cm_link_state_free(cm_link_state *s)
{
    if (!s)
        return;
    cm_free(s->block);
    free(s);
}

void cm_link_get_losses(const cm_link_state *s, cm_link_losses *out) { *out = s->losses; }

const float *cm_link_output_get(const cm_link_state *s, cm_link_output which)
{
    switch (which) {
    case CM_LINK_PRED: return s->pred;
    case CM_LINK_POOLED: return s->pooled;
    case CM_LINK_WHO: return s->alpha;
    case CM_LINK_SENT: return s->g;
    case CM_LINK_P_SEND: return s->pi;
    case CM_LINK_BITS: return s->m;
    case CM_LINK_DECODER: return s->d1;
    }
    return NULL;
}

const float *cm_link_input_grad(const cm_link_state *s, int ctx) { return ctx ? s->dctx : s->dstate; }

/* What training sends for probability p: a Bernoulli draw, DRU's noisy
 * sigmoid, or (threshold) what evaluation sends. */
static float train_value(const cm_link_config *c, cm_rng *rng, float p)
{
    if (c->code == CM_LINK_CODE_THRESHOLD)
        return (float)(p > 0.5f);
    return c->code == CM_LINK_CODE_DRU ? link_noisy(c, rng, p) : (float)(cm_rng_float(rng) < p);
}

/* sum_bits KL(Bern(p) || Bern(1/2)) in nats. */
static double kl_half(const float *p, int bits)
{
    double k = 0.0;
    for (int j = 0; j < bits; j++) {
        double q = p[j] < 1e-7f ? 1e-7 : p[j] > 1.0f - 1e-7f ? 1.0 - 1e-7 : p[j];
        k += q * log(q) + (1.0 - q) * log(1.0 - q) + M_LN2;
    }
    return k;
}

static cm_status check_batch(const cm_link *l, const cm_link_batch *b, int need_targets)
{
    const cm_link_config *c = &l->cfg;
    if (!b)
        return cm_error(CM_ERR_ARG, "link batch: NULL");
    if (!b->fixed_bits && !b->silent && !b->state)
        return cm_error(CM_ERR_ARG, "link batch: state is required (or fixed_bits, or silent)");
    if (c->ctx_dim > 0 && !b->ctx)
        return cm_error(CM_ERR_ARG, "link batch: ctx is required (ctx_dim = %d)", c->ctx_dim);
    if (c->init_dim > 0 && !b->init)
        return cm_error(CM_ERR_ARG, "link batch: init is required (init_dim = %d)", c->init_dim);
    if (need_targets && (!b->target || (c->who && !b->target_pool)))
        return cm_error(CM_ERR_ARG, "link batch: a loss needs target%s", c->who ? " and target_pool" : "");
    if (b->rows < 0 || !isfinite(b->rows))
        return cm_error(CM_ERR_ARG, "link batch: rows: expected >= 0, got %g", b->rows);
    return CM_OK;
}

/* Loss of one block of prediction rows; dz (may be NULL) = coef * d/dz. */
static double nll_rows(const cm_link *l, float *logp, float *dz, const float *z, const float *q, int n, float coef)
{
    int O = l->cfg.out_dim;
    if (l->cfg.target == CM_LINK_BERNOULLI) {
        double v = cm_bce_logits_forward(z, q, (size_t)n * O);
        if (dz) {
            memset(dz, 0, (size_t)n * O * sizeof(float));
            cm_bce_logits_backward(dz, z, q, (size_t)n * O, coef);
        }
        return v;
    }
    double v = cm_softmax_xent_forward(logp, z, q, n, O);
    if (dz) {
        memset(dz, 0, (size_t)n * O * sizeof(float));
        cm_softmax_xent_backward(dz, logp, q, n, O, coef);
    }
    return v;
}

cm_status cm_link_forward(const cm_link *l, cm_link_state *s, const cm_link_batch *b, cm_rng *rng, double *loss)
{
    cm_status st = check_batch(l, b, loss != NULL);
    if (st)
        return st;
    const cm_link_config *c = &l->cfg;
    const link_tensors *ix = &l->ix;
    int B = s->B, T = s->T, N = c->senders, NB = N * B, S = c->state_dim, C = c->ctx_dim, Bb = c->bits;
    int E = c->sender_hidden, M = c->memory, D = c->decoder_hidden, O = c->out_dim, A = c->who_hidden;
    int Pm = link_memory_input(c);
    size_t TNB = (size_t)T * NB;
    int64_t sst = b->state_stride ? b->state_stride : (int64_t)NB * S;
    int64_t cst = b->ctx_stride ? b->ctx_stride : (int64_t)B * C;
    s->batch = *b;
    s->have_forward = s->have_loss = 0;
    s->sender_used = !b->fixed_bits && !b->silent;
    s->sampled = rng != NULL && !b->relaxed;
    (void)E;

    /* Memories start from each sender's initial code. */
    if (c->init_dim > 0) {
        cm_linear_forward(s->hm, b->init, link_p(l, ix->h0_w), link_p(l, ix->h0_b), NB, c->init_dim, M, 0);
        cm_linear_forward(s->cm, b->init, link_p(l, ix->c0_w), link_p(l, ix->c0_b), NB, c->init_dim, M, 0);
    } else {
        memset(s->hm, 0, (size_t)NB * M * sizeof(float));
        memset(s->cm, 0, (size_t)NB * M * sizeof(float));
    }
    for (int t = 0; t < T; t++) {
        size_t r0 = (size_t)t * NB;
        float *sin = s->sin + r0 * (S + M), *p = s->p + r0 * Bb, *m = s->m + r0 * Bb, *pi = s->pi + r0;
        float *g = s->g + r0, *u = s->u + r0 * (Bb + 1);
        const float *hprev = s->hm + r0 * M;
        if (s->sender_used) {
            for (int r = 0; r < NB; r++) {
                memcpy(sin + (size_t)r * (S + M), b->state + t * sst + (int64_t)r * S, (size_t)S * sizeof(float));
                memcpy(sin + (size_t)r * (S + M) + S, hprev + (size_t)r * M, (size_t)M * sizeof(float));
            }
            link_sender(l, sin, s->e + r0 * c->sender_hidden, p, pi, NB);
            /* keep the code's logits for the rate's gradient */
            for (size_t k = 0; k < (size_t)NB * Bb; k++) {
                float q = p[k] < 1e-7f ? 1e-7f : p[k] > 1.0f - 1e-7f ? 1.0f - 1e-7f : p[k];
                s->cl[r0 * Bb + k] = logf(q / (1.0f - q));
            }
            for (int r = 0; r < NB; r++) {
                g[r] = !c->gate ? 1.0f : b->relaxed ? pi[r] : rng ? train_value(c, rng, pi[r]) : (float)(pi[r] > 0.5f);
                for (int k = 0; k < Bb; k++) {
                    float pk = p[(size_t)r * Bb + k];
                    m[(size_t)r * Bb + k] = b->relaxed ? pk : rng ? train_value(c, rng, pk) : (float)(pk > 0.5f);
                }
            }
        } else {
            for (int r = 0; r < NB; r++) {
                g[r] = b->silent ? 0.0f : 1.0f;
                pi[r] = g[r];
                for (int k = 0; k < Bb; k++)
                    m[(size_t)r * Bb + k] = b->silent ? 0.0f : (float)(b->fixed_bits[r0 * Bb + (size_t)r * Bb + k] != 0);
            }
        }
        for (int r = 0; r < NB; r++)
            link_message_input(Bb, m + (size_t)r * Bb, g[r], u + (size_t)r * (Bb + 1));
        float *xm = s->xm + r0 * Pm;
        link_read_message(l, u, xm, NB);
        link_lstm_step(l, xm, s->hm + r0 * M, s->cm + r0 * M, s->gates + r0 * 4 * M, s->hm + (r0 + NB) * M,
                       s->cm + (r0 + NB) * M, NB);
    }
    /* Decoder over every step: [ctx ; memory after step t]. */
    for (int t = 0; t < T; t++)
        for (int n = 0; n < N; n++)
            for (int bb = 0; bb < B; bb++) {
                size_t r = (size_t)t * NB + (size_t)n * B + bb;
                float *d = s->din + r * (C + M);
                if (C > 0)
                    memcpy(d, b->ctx + t * cst + (int64_t)bb * C, (size_t)C * sizeof(float));
                memcpy(d + C, s->hm + (r + NB) * M, (size_t)M * sizeof(float));
            }
    cm_linear_forward(s->d1, s->din, link_p(l, ix->d0_w), link_p(l, ix->d0_b), (int)TNB, C + M, D, 0);
    cm_relu_forward(s->d1, s->d1, TNB * D);
    cm_linear_forward(s->pred, s->d1, link_p(l, ix->d2_w), link_p(l, ix->d2_b), (int)TNB, D, O, 0);
    if (c->who) {
        cm_linear_forward(s->wh, s->din, link_p(l, ix->w0_w), link_p(l, ix->w0_b), (int)TNB, C + M, A, 0);
        cm_tanh_forward(s->wh, s->wh, TNB * A);
        cm_linear_forward(s->score, s->wh, link_p(l, ix->w2_w), NULL, (int)TNB, A, 1, 0);
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < B; bb++) {
                float mx = -INFINITY, sum = 0.0f;
                for (int n = 0; n < N; n++)
                    mx = fmaxf(mx, s->score[(size_t)t * NB + (size_t)n * B + bb]);
                float *al = s->alpha + ((size_t)t * B + bb) * N;
                for (int n = 0; n < N; n++)
                    sum += al[n] = expf(s->score[(size_t)t * NB + (size_t)n * B + bb] - mx);
                float *pd = s->pd + ((size_t)t * B + bb) * D;
                memset(pd, 0, (size_t)D * sizeof(float));
                for (int n = 0; n < N; n++) {
                    al[n] /= sum;
                    const float *d1 = s->d1 + ((size_t)t * NB + (size_t)n * B + bb) * D;
                    for (int j = 0; j < D; j++)
                        pd[j] += al[n] * d1[j];
                }
            }
        cm_linear_forward(s->pooled, s->pd, link_p(l, ix->pool_w), link_p(l, ix->pool_b), T * B, D, O, 0);
    }
    /* Bits actually sent. */
    double sent = 0.0;
    for (size_t r = 0; r < TNB; r++)
        sent += s->g[r];
    s->losses.sent = sent / (double)TNB;
    s->losses.bits_per_step = s->losses.sent * Bb;
    s->have_forward = 1;
    if (!loss)
        return CM_OK;

    double rows = b->rows > 0 ? b->rows : (double)B * T;
    s->rows = rows;
    float coef = (float)(1.0 / (N * rows));
    cm_link_losses *L = &s->losses;
    L->nll = nll_rows(l, s->logp, s->dpred, s->pred, b->target, (int)TNB, coef) / (N * rows);
    L->nll_pool = c->who ? nll_rows(l, s->logp, s->dpooled, s->pooled, b->target_pool, T * B,
                                    (float)(c->w_pool / rows)) / rows
                         : 0.0;
    L->rate = L->gate = 0.0;
    if (s->sender_used) {
        double rate = 0.0, gate = 0.0;
        for (size_t r = 0; r < TNB; r++) {
            rate += s->pi[r] * kl_half(s->p + r * Bb, Bb);
            gate += s->pi[r];
        }
        L->rate = rate / (N * rows);
        L->gate = c->gate ? gate / (N * rows) : 0.0;
    }
    L->total = L->nll + c->w_pool * L->nll_pool + c->beta * L->rate + c->lambda * L->gate;
    *loss = L->total;
    s->have_loss = 1;
    return isfinite(L->total) ? CM_OK : cm_error(CM_ERR_NUMERIC, "link: loss is %g", L->total);
}

cm_status cm_link_backward(const cm_link *l, cm_link_state *s, float *grad)
{
    if (!s->have_loss)
        return cm_error(CM_ERR_ARG, "link backward: the last forward computed no loss");
    const cm_link_config *c = &l->cfg;
    const link_tensors *ix = &l->ix;
    const cm_link_batch *b = &s->batch;
    int B = s->B, T = s->T, N = c->senders, NB = N * B, S = c->state_dim, C = c->ctx_dim, Bb = c->bits;
    int E = c->sender_hidden, M = c->memory, D = c->decoder_hidden, O = c->out_dim, A = c->who_hidden;
    size_t TNB = (size_t)T * NB;

    /* Decoder and who: into d(decoder input). */
    memset(s->dd1, 0, TNB * D * sizeof(float));
    memset(s->ddin, 0, TNB * (C + M) * sizeof(float));
    cm_linear_backward(s->dd1, G(l, grad, ix->d2_w), G(l, grad, ix->d2_b), s->dpred, s->d1, link_p(l, ix->d2_w),
                       (int)TNB, D, O);
    if (c->who) {
        memset(s->dpd, 0, (size_t)T * B * D * sizeof(float));
        cm_linear_backward(s->dpd, G(l, grad, ix->pool_w), G(l, grad, ix->pool_b), s->dpooled, s->pd,
                           link_p(l, ix->pool_w), T * B, D, O);
        /* pd = sum_n alpha_n d1_n: d d1_n += alpha_n dpd; d alpha_n = <dpd, d1_n>; softmax back to scores */
        float *dscore = s->dscore;
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < B; bb++) {
                const float *al = s->alpha + ((size_t)t * B + bb) * N, *dpd = s->dpd + ((size_t)t * B + bb) * D;
                float da[CM_LINK_MAX_SENDERS], dot = 0.0f;
                for (int n = 0; n < N; n++) {
                    size_t r = (size_t)t * NB + (size_t)n * B + bb;
                    const float *d1 = s->d1 + r * D;
                    float *dd1 = s->dd1 + r * D;
                    float acc = 0.0f;
                    for (int j = 0; j < D; j++) {
                        dd1[j] += al[n] * dpd[j];
                        acc += dpd[j] * d1[j];
                    }
                    da[n] = acc;
                    dot += al[n] * acc;
                }
                for (int n = 0; n < N; n++)
                    dscore[(size_t)t * NB + (size_t)n * B + bb] = al[n] * (da[n] - dot);
            }
        memset(s->dwh, 0, TNB * A * sizeof(float));
        cm_linear_backward(s->dwh, G(l, grad, ix->w2_w), NULL, dscore, s->wh, link_p(l, ix->w2_w), (int)TNB, A, 1);
        for (size_t k = 0; k < TNB * A; k++)
            s->dwh[k] *= 1.0f - s->wh[k] * s->wh[k];
        cm_linear_backward(s->ddin, G(l, grad, ix->w0_w), G(l, grad, ix->w0_b), s->dwh, s->din, link_p(l, ix->w0_w),
                           (int)TNB, C + M, A);
    }
    for (size_t k = 0; k < TNB * D; k++)
        s->dd1[k] = s->d1[k] > 0.0f ? s->dd1[k] : 0.0f;
    cm_linear_backward(s->ddin, G(l, grad, ix->d0_w), G(l, grad, ix->d0_b), s->dd1, s->din, link_p(l, ix->d0_w),
                       (int)TNB, C + M, D);
    /* Split: the receiver's own state and the memories after each step. */
    if (C > 0)
        memset(s->dctx, 0, (size_t)T * B * C * sizeof(float));
    for (int t = 0; t < T; t++)
        for (int n = 0; n < N; n++)
            for (int bb = 0; bb < B; bb++) {
                size_t r = (size_t)t * NB + (size_t)n * B + bb;
                const float *dd = s->ddin + r * (C + M);
                float *dc = s->dctx + ((size_t)t * B + bb) * C;
                for (int j = 0; j < C; j++)
                    dc[j] += dd[j];
                memcpy(s->dhm + r * M, dd + C, (size_t)M * sizeof(float));
            }
    /* The memory LSTM over the whole sequence. */
    int Pm = link_memory_input(c);
    memset(s->dxm, 0, TNB * Pm * sizeof(float));
    memset(s->dh0, 0, (size_t)NB * M * sizeof(float));
    memset(s->dc0, 0, (size_t)NB * M * sizeof(float));
    cm_lstm_backward(s->dxm, s->dh0, s->dc0, G(l, grad, ix->m_ih), G(l, grad, ix->m_hh), G(l, grad, ix->m_bih),
                     G(l, grad, ix->m_bhh), s->dhm, s->hm, s->cm, s->gates, s->xm, link_p(l, ix->m_ih),
                     link_p(l, ix->m_hh), T, NB, Pm, M, s->work);
    /* back through the message read-in to the messages themselves */
    memset(s->du, 0, TNB * (Bb + 1) * sizeof(float));
    if (c->message_dim > 0)
        cm_linear_backward(s->du, G(l, grad, ix->msg_w), G(l, grad, ix->msg_b), s->dxm, s->u, link_p(l, ix->msg_w),
                           (int)TNB, Bb + 1, Pm);
    else
        memcpy(s->du, s->dxm, TNB * (Bb + 1) * sizeof(float));
    if (c->init_dim > 0) {
        cm_linear_backward(NULL, G(l, grad, ix->h0_w), G(l, grad, ix->h0_b), s->dh0, b->init, link_p(l, ix->h0_w), NB,
                           c->init_dim, M);
        cm_linear_backward(NULL, G(l, grad, ix->c0_w), G(l, grad, ix->c0_b), s->dc0, b->init, link_p(l, ix->c0_w), NB,
                           c->init_dim, M);
    }
    memset(s->dstate, 0, TNB * S * sizeof(float));
    if (!s->sender_used)
        return CM_OK;
    /* Through the message u = [g (2m - 1) ; g] by straight-through
     * estimators (dm/dlogit ~ p (1 - p), dg/dz ~ pi (1 - pi)), plus the rate
     * and gate terms. */
    float rcoef = (float)(c->beta / (N * s->rows)), gcoef = (float)(c->lambda / (N * s->rows));
    /* DRU sent the noisy sigmoid itself: its own slope; otherwise the
     * straight-through slope of the probability (exact in the relaxed mode) */
    int dru = c->code == CM_LINK_CODE_DRU && s->sampled;
    for (size_t r = 0; r < TNB; r++) {
        const float *du = s->du + r * (Bb + 1), *m = s->m + r * Bb, *p = s->p + r * Bb, *cl = s->cl + r * Bb;
        float g = s->g[r], pi = s->pi[r], dg = du[Bb];
        float *dcl = s->dcl + r * Bb;
        for (int k = 0; k < Bb; k++) {
            dg += du[k] * (2.0f * m[k] - 1.0f);
            float slope = dru ? m[k] * (1.0f - m[k]) : p[k] * (1.0f - p[k]);
            dcl[k] = du[k] * 2.0f * g * slope + rcoef * pi * cl[k] * p[k] * (1.0f - p[k]);
        }
        double klv = kl_half(p, Bb);
        float gslope = dru ? g * (1.0f - g) : pi * (1.0f - pi);
        s->dz[r] = c->gate ? dg * gslope + (rcoef * (float)klv + gcoef) * pi * (1.0f - pi) : 0.0f;
    }
    memset(s->de, 0, TNB * E * sizeof(float));
    cm_linear_backward(s->de, G(l, grad, ix->code_w), G(l, grad, ix->code_b), s->dcl, s->e, link_p(l, ix->code_w),
                       (int)TNB, E, Bb);
    if (c->gate)
        cm_linear_backward(s->de, G(l, grad, ix->gate_w), G(l, grad, ix->gate_b), s->dz, s->e, link_p(l, ix->gate_w),
                           (int)TNB, E, 1);
    for (size_t k = 0; k < TNB * E; k++)
        s->de[k] = s->e[k] > 0.0f ? s->de[k] : 0.0f;
    memset(s->dsin, 0, TNB * (S + M) * sizeof(float));
    cm_linear_backward(s->dsin, G(l, grad, ix->s0_w), G(l, grad, ix->s0_b), s->de, s->sin, link_p(l, ix->s0_w),
                       (int)TNB, S + M, E);
    /* The state's share; the memory copy is a stop-gradient input. */
    for (size_t r = 0; r < TNB; r++)
        memcpy(s->dstate + r * S, s->dsin + r * (S + M), (size_t)S * sizeof(float));
    return CM_OK;
}
