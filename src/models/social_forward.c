/* The social network's state, forward pass, loss and backward pass
 * (social.h). The two streams run through the shared LSTM as ONE batch of
 * 2B sequences (self rows first), time-major; everything after the sum of
 * the streams is batch-major (row b * T + t), the layout of the caller's
 * targets and of the outputs it reads. */
#include "models/social_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const float *P(const cm_social *m, int i) { return cm_params_data(&m->params, i); }
static float *G(const cm_social *m, float *grad, int i) { return grad + m->params.tensors[i].offset; }

/* ---------------------------------------------------------------- state */

cm_status cm_social_state_create(const cm_social *m, int B, int T, cm_social_state **out)
{
    *out = NULL;
    const cm_social_config *c = &m->cfg;
    if (B < 1 || T < 1 || (int64_t)B * T > (1 << 24))
        return cm_error(CM_ERR_ARG, "social state: batch %d x seq_len %d: expected >= 1 and a product <= 2^24", B, T);
    cm_social_state *s = calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "social state: cannot allocate");
    size_t H = (size_t)c->hidden, I = (size_t)(c->input_size + c->ego_size), R = (size_t)(c->n_place + c->n_hd);
    size_t Nb = (size_t)c->bottleneck, Np = (size_t)c->n_place, Nh = (size_t)c->n_hd, Rh = (size_t)c->relational_hidden;
    size_t B2 = 2 * (size_t)B, BT = (size_t)B * T, Tt = (size_t)T;
    size_t sizes[40], n = 0, total = 0;
    float **slots[40];
#define SLOT(ptr, count) (slots[n] = &(ptr), sizes[n++] = (count))
    SLOT(s->x, Tt * B2 * I);
    SLOT(s->r0, B2 * R);
    SLOT(s->hs, (Tt + 1) * B2 * H);
    SLOT(s->cs, (Tt + 1) * B2 * H);
    SLOT(s->gates, Tt * B2 * 4 * H);
    SLOT(s->fwork, cm_lstm_forward_work_floats((int)H));
    SLOT(s->hself, (Tt + 1) * B * H);
    SLOT(s->hpeer, (Tt + 1) * B * H);
    SLOT(s->dhself, (Tt + 1) * B * H);
    SLOT(s->joint, BT * H);
    SLOT(s->a, BT * Nb);
    SLOT(s->mask, BT * Nb);
    SLOT(s->z, BT * Nb);
    SLOT(s->sp, BT * Np);
    SLOT(s->sh, BT * Nh);
    SLOT(s->pp, BT * Np);
    SLOT(s->ph, BT * Nh);
    SLOT(s->r1, BT * Rh);
    SLOT(s->dist, BT);
    SLOT(s->logp, BT * Np);
    SLOT(s->dsp, BT * Np);
    SLOT(s->dsh, BT * Nh);
    SLOT(s->dpp, BT * Np);
    SLOT(s->dph, BT * Nh);
    SLOT(s->ddist, BT);
    SLOT(s->dr1, BT * Rh);
    SLOT(s->dz, BT * Nb);
    SLOT(s->djoint, BT * H);
    SLOT(s->dhs, Tt * B2 * H);
    SLOT(s->dx, Tt * B2 * I);
    SLOT(s->dh0, B2 * H);
    SLOT(s->dc0, B2 * H);
    SLOT(s->bwork, cm_lstm_work_floats(T, (int)B2, (int)H));
#undef SLOT
    s->block = cm_alloc_slots(slots, sizes, n, &total);
    if (!s->block) {
        free(s);
        return cm_error(CM_ERR_NOMEM, "social state: cannot allocate %zu MB of activations",
                        total * sizeof(float) >> 20);
    }
    s->floats = total;
    s->B = B;
    s->T = T;
    *out = s;
    return CM_OK;
}

void cm_social_state_free(cm_social_state *s)
{
    if (!s)
        return;
    cm_free(s->block);
    free(s);
}

int cm_social_state_batch(const cm_social_state *s) { return s->B; }
int cm_social_state_seq_len(const cm_social_state *s) { return s->T; }
void cm_social_get_losses(const cm_social_state *s, cm_social_losses *out) { *out = s->losses; }

const float *cm_social_output_get(const cm_social_state *s, cm_social_output which)
{
    switch (which) {
    case CM_SOCIAL_BOTTLENECK: return s->z;
    case CM_SOCIAL_SELF_PLACE: return s->sp;
    case CM_SOCIAL_SELF_HD: return s->sh;
    case CM_SOCIAL_PEER_PLACE: return s->pp;
    case CM_SOCIAL_PEER_HD: return s->ph;
    case CM_SOCIAL_DISTANCE: return s->dist;
    case CM_SOCIAL_H_SELF: return s->hself;
    case CM_SOCIAL_H_PEER: return s->hpeer;
    }
    return NULL;
}

/* --------------------------------------------------------------- forward */

/* Soft-target cross-entropy of rows [n, C] of logits z against q: returns
 * the sum over rows; dz (when not NULL) = coef (softmax * sum q - q). */
static double xent_rows(float *logp, float *dz, const float *z, const float *q, int n, int C, float coef)
{
    double total = cm_softmax_xent_forward(logp, z, q, n, C);
    if (dz) {
        memset(dz, 0, (size_t)n * C * sizeof(float));
        cm_softmax_xent_backward(dz, logp, q, n, C, coef);
    }
    return total;
}

static cm_status check_batch(const cm_social_batch *b, int need_targets)
{
    if (!b)
        return cm_error(CM_ERR_ARG, "social batch: NULL");
    if (b->rows < 0 || !isfinite(b->rows))
        return cm_error(CM_ERR_ARG, "social batch: rows: expected >= 0, got %g", b->rows);
    if (b->solo) {
        if (!b->self_vel || !b->self_init_place || !b->self_init_hd)
            return cm_error(CM_ERR_ARG, "social batch: the self stream's velocities and initial codes are required");
        if (need_targets && (!b->self_place || !b->self_hd))
            return cm_error(CM_ERR_ARG, "social batch: a loss needs the self targets (place and HD)");
        return CM_OK;
    }
    if (!b->self_vel || !b->peer_vel || !b->self_init_place || !b->peer_init_place || !b->self_init_hd ||
        !b->peer_init_hd)
        return cm_error(CM_ERR_ARG, "social batch: velocities and initial codes of both agents are required");
    if (need_targets && (!b->self_place || !b->peer_place || !b->self_hd || !b->peer_hd || !b->distance))
        return cm_error(CM_ERR_ARG, "social batch: a loss needs every target (self/peer place and HD, distance)");
    return CM_OK;
}

cm_status cm_social_forward(const cm_social *m, cm_social_state *s, const cm_social_batch *b, cm_rng *rng,
                            double *loss)
{
    cm_status st = check_batch(b, loss != NULL);
    if (st)
        return st;
    const cm_social_config *c = &m->cfg;
    const social_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, In = c->input_size, E = c->ego_size, I = In + E;
    int Np = c->n_place, Nh = c->n_hd, R = Np + Nh, Nb = c->bottleneck, Rh = c->relational_hidden;
    int solo = b->solo != 0, NR = solo ? B : 2 * B, BT = B * T;
    /* alone, the read-outs may be limited to the first elements */
    int RB = solo && b->readout > 0 && b->readout < B ? b->readout : B, BTr = RB * T;
    s->rb = RB;
    s->batch = *b;
    s->have_forward = 0;
    s->have_loss = 0;
    s->train = rng != NULL;
    s->nr = NR;
    memset(s->dhself, 0, (size_t)(T + 1) * B * H * sizeof(float));

    /* Inputs: [v, w, ego] for the self stream, [v, w, 0...] for the peer. */
    const float *ego = P(m, ix->ego);
    for (int t = 0; t < T; t++)
        for (int r = 0; r < NR; r++) {
            int self = r < B, bb = self ? r : r - B;
            float *x = s->x + ((size_t)t * NR + r) * I;
            memcpy(x, (self ? b->self_vel : b->peer_vel) + ((size_t)bb * T + t) * In, (size_t)In * sizeof(float));
            for (int e = 0; e < E; e++)
                x[In + e] = self ? ego[e] : 0.0f;
        }
    for (int r = 0; r < NR; r++) {
        int self = r < B, bb = self ? r : r - B;
        memcpy(s->r0 + (size_t)r * R, (self ? b->self_init_place : b->peer_init_place) + (size_t)bb * Np,
               (size_t)Np * sizeof(float));
        memcpy(s->r0 + (size_t)r * R + Np, (self ? b->self_init_hd : b->peer_init_hd) + (size_t)bb * Nh,
               (size_t)Nh * sizeof(float));
    }
    /* h0, c0 of both streams from the shared generators. */
    cm_linear_forward(s->hs, s->r0, P(m, ix->h0_w), P(m, ix->h0_b), NR, R, H, 0);
    cm_linear_forward(s->cs, s->r0, P(m, ix->c0_w), P(m, ix->c0_b), NR, R, H, 0);
    cm_lstm_forward(s->hs, s->cs, s->gates, s->x, P(m, ix->w_ih), P(m, ix->w_hh), P(m, ix->b_ih), P(m, ix->b_hh), T,
                    NR, I, H, s->fwork);
    /* joint_t = h_self_t + h_peer_t (h_self_t alone), batch-major; the streams' states copied out. */
    for (int t = 0; t <= T; t++)
        for (int bb = 0; bb < B; bb++) {
            const float *hsf = s->hs + ((size_t)t * NR + bb) * H;
            const float *hpr = solo ? NULL : s->hs + ((size_t)t * NR + B + bb) * H;
            memcpy(s->hself + ((size_t)t * B + bb) * H, hsf, (size_t)H * sizeof(float));
            if (hpr)
                memcpy(s->hpeer + ((size_t)t * B + bb) * H, hpr, (size_t)H * sizeof(float));
            else
                memset(s->hpeer + ((size_t)t * B + bb) * H, 0, (size_t)H * sizeof(float));
            if (t > 0) {
                float *j = s->joint + ((size_t)bb * T + (t - 1)) * H;
                for (int k = 0; k < H; k++)
                    j[k] = hsf[k] + (hpr ? hpr[k] : 0.0f);
            }
        }
    /* Bottleneck: Dropout(ReLU(W joint + b)). */
    cm_linear_forward(s->a, s->joint, P(m, ix->bn_w), P(m, ix->bn_b), BTr, H, Nb, 0);
    cm_relu_forward(s->a, s->a, (size_t)BTr * Nb);
    cm_dropout_forward(s->z, s->mask, s->a, (size_t)BTr * Nb, c->dropout, rng != NULL, rng);
    /* Read-outs (alone, a network has no partner to read out). */
    cm_linear_forward(s->sp, s->z, P(m, ix->sp_w), P(m, ix->sp_b), BTr, Nb, Np, 0);
    cm_linear_forward(s->sh, s->z, P(m, ix->sh_w), P(m, ix->sh_b), BTr, Nb, Nh, 0);
    if (!solo) {
        cm_linear_forward(s->pp, s->z, P(m, ix->pp_w), P(m, ix->pp_b), BT, Nb, Np, 0);
        cm_linear_forward(s->ph, s->z, P(m, ix->ph_w), P(m, ix->ph_b), BT, Nb, Nh, 0);
        cm_linear_forward(s->r1, s->z, P(m, ix->r0_w), P(m, ix->r0_b), BT, Nb, Rh, 0);
        cm_relu_forward(s->r1, s->r1, (size_t)BT * Rh);
        cm_linear_forward(s->dist, s->r1, P(m, ix->r2_w), P(m, ix->r2_b), BT, Rh, 1, 0);
    }
    s->have_forward = 1;
    if (!loss)
        return CM_OK;

    /* Loss: weighted soft-target cross-entropies + w_distance * MSE, each a
     * sum over rows divided by `rows`; the logits' gradients are kept. */
    double rows = b->rows > 0 ? b->rows : (double)BTr;
    s->rows = rows;
    float inv = (float)(1.0 / rows);
    cm_social_losses *L = &s->losses;
    memset(L, 0, sizeof *L);
    L->self_place = xent_rows(s->logp, s->dsp, s->sp, b->self_place, BTr, Np, c->w_self_place * inv) / rows;
    L->self_hd = xent_rows(s->logp, s->dsh, s->sh, b->self_hd, BTr, Nh, c->w_self_hd * inv) / rows;
    if (!solo) {
        L->peer_place = xent_rows(s->logp, s->dpp, s->pp, b->peer_place, BT, Np, c->w_peer_place * inv) / rows;
        L->peer_hd = xent_rows(s->logp, s->dph, s->ph, b->peer_hd, BT, Nh, c->w_peer_hd * inv) / rows;
        double se = 0.0;
        for (int r = 0; r < BT; r++) {
            float d = s->dist[r] - b->distance[r];
            se += (double)d * d;
            s->ddist[r] = 2.0f * c->w_distance * inv * d;
        }
        L->distance_mse = se / rows;
    }
    L->total = c->w_self_place * L->self_place + c->w_self_hd * L->self_hd;
    if (!solo)
        L->total += c->w_peer_place * L->peer_place + c->w_peer_hd * L->peer_hd + c->w_distance * L->distance_mse;
    *loss = L->total;
    s->have_loss = 1;
    return isfinite(L->total) ? CM_OK : cm_error(CM_ERR_NUMERIC, "social network: loss is %g", L->total);
}

float *cm_social_state_output_grad(cm_social_state *s, cm_social_output which)
{
    return which == CM_SOCIAL_H_SELF ? s->dhself : NULL;
}

/* -------------------------------------------------------------- backward */

cm_status cm_social_backward(const cm_social *m, cm_social_state *s, float *grad)
{
    if (!s->have_loss)
        return cm_error(CM_ERR_ARG, "social backward: the last forward computed no loss");
    const cm_social_config *c = &m->cfg;
    const social_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, In = c->input_size, E = c->ego_size, I = In + E;
    int Np = c->n_place, Nh = c->n_hd, R = Np + Nh, Nb = c->bottleneck, Rh = c->relational_hidden;
    int solo = s->batch.solo != 0, NR = s->nr, BT = B * T, BTr = s->rb * T;

    /* Read-outs into dz. */
    memset(s->dz, 0, (size_t)BTr * Nb * sizeof(float));
    cm_linear_backward(s->dz, G(m, grad, ix->sp_w), G(m, grad, ix->sp_b), s->dsp, s->z, P(m, ix->sp_w), BTr, Nb, Np);
    cm_linear_backward(s->dz, G(m, grad, ix->sh_w), G(m, grad, ix->sh_b), s->dsh, s->z, P(m, ix->sh_w), BTr, Nb, Nh);
    if (!solo) {
        cm_linear_backward(s->dz, G(m, grad, ix->pp_w), G(m, grad, ix->pp_b), s->dpp, s->z, P(m, ix->pp_w), BT, Nb,
                           Np);
        cm_linear_backward(s->dz, G(m, grad, ix->ph_w), G(m, grad, ix->ph_b), s->dph, s->z, P(m, ix->ph_w), BT, Nb,
                           Nh);
        memset(s->dr1, 0, (size_t)BT * Rh * sizeof(float));
        cm_linear_backward(s->dr1, G(m, grad, ix->r2_w), G(m, grad, ix->r2_b), s->ddist, s->r1, P(m, ix->r2_w), BT,
                           Rh, 1);
        for (size_t k = 0; k < (size_t)BT * Rh; k++) /* ReLU in place */
            s->dr1[k] = s->r1[k] > 0.0f ? s->dr1[k] : 0.0f;
        cm_linear_backward(s->dz, G(m, grad, ix->r0_w), G(m, grad, ix->r0_b), s->dr1, s->z, P(m, ix->r0_w), BT, Nb,
                           Rh);
    }
    /* Dropout and ReLU in place: da = dz * mask where a > 0. */
    for (size_t k = 0; k < (size_t)BTr * Nb; k++)
        s->dz[k] = s->a[k] > 0.0f ? s->dz[k] * s->mask[k] : 0.0f;
    memset(s->djoint, 0, (size_t)BT * H * sizeof(float));
    cm_linear_backward(s->djoint, G(m, grad, ix->bn_w), G(m, grad, ix->bn_b), s->dz, s->joint, P(m, ix->bn_w), BTr, H,
                       Nb);
    /* d joint reaches both streams unchanged; the self stream also gets what
     * callers added for its states (cm_social_state_output_grad). */
    for (int t = 0; t < T; t++)
        for (int bb = 0; bb < B; bb++) {
            const float *dj = s->djoint + ((size_t)bb * T + t) * H;
            const float *ext = s->dhself + ((size_t)(t + 1) * B + bb) * H;
            float *ds = s->dhs + ((size_t)t * NR + bb) * H;
            for (int k = 0; k < H; k++)
                ds[k] = dj[k] + ext[k];
            if (!solo)
                memcpy(s->dhs + ((size_t)t * NR + B + bb) * H, dj, (size_t)H * sizeof(float));
        }
    memset(s->dx, 0, (size_t)T * NR * I * sizeof(float));
    memset(s->dh0, 0, (size_t)NR * H * sizeof(float));
    memcpy(s->dh0, s->dhself, (size_t)B * H * sizeof(float)); /* the external gradient of h_self at t = 0 */
    memset(s->dc0, 0, (size_t)NR * H * sizeof(float));
    cm_lstm_backward(s->dx, s->dh0, s->dc0, G(m, grad, ix->w_ih), G(m, grad, ix->w_hh), G(m, grad, ix->b_ih),
                     G(m, grad, ix->b_hh), s->dhs, s->hs, s->cs, s->gates, s->x, P(m, ix->w_ih), P(m, ix->w_hh), T,
                     NR, I, H, s->bwork);
    /* The ego token is an input of every self row. */
    float *dego = G(m, grad, ix->ego);
    for (int e = 0; e < E; e++) {
        double acc = 0.0;
        for (int t = 0; t < T; t++)
            for (int bb = 0; bb < B; bb++)
                acc += s->dx[((size_t)t * NR + bb) * I + In + e];
        dego[e] += (float)acc;
    }
    cm_linear_backward(NULL, G(m, grad, ix->h0_w), G(m, grad, ix->h0_b), s->dh0, s->r0, P(m, ix->h0_w), NR, R, H);
    cm_linear_backward(NULL, G(m, grad, ix->c0_w), G(m, grad, ix->c0_b), s->dc0, s->r0, P(m, ix->c0_w), NR, R, H);
    return CM_OK;
}
