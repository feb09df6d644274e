/* Private layout of the learned link (link.h), shared by its files. */
#ifndef COGMAP_LINK_INTERNAL_H
#define COGMAP_LINK_INTERNAL_H

#include "cogmap/link.h"

typedef struct link_tensors {
    int s0_w, s0_b, code_w, code_b, gate_w, gate_b;   /* sender (gate_* -1 without a gate) */
    int msg_w, msg_b;                                 /* message read-in (-1 without message_dim) */
    int m_ih, m_hh, m_bih, m_bhh;                     /* memory LSTM */
    int h0_w, h0_b, c0_w, c0_b;                       /* memory's initial state (-1 without init_dim) */
    int d0_w, d0_b, d2_w, d2_b;                       /* decoder */
    int w0_w, w0_b, w2_w, pool_w, pool_b;             /* who (-1 without) */
} link_tensors;

struct cm_link {
    cm_link_config cfg;
    cm_params params;
    link_tensors ix;
};

static inline const float *link_p(const cm_link *l, int i) { return i >= 0 ? cm_params_data(&l->params, i) : NULL; }

/* Inputs of the memory LSTM per row: message_dim, or B + 1. */
static inline int link_memory_input(const cm_link_config *c) { return c->message_dim > 0 ? c->message_dim : c->bits + 1; }

/* One LSTM step for n rows (PyTorch form, gate rows i, f, g, o): gates[n, 4M]
 * receives the ACTIVATED gates in cm_lstm_backward's layout, h1/c1 [n, M]
 * the new state from h0/c0 [n, M] and inputs x [n, link_memory_input]. */
void link_lstm_step(const cm_link *l, const float *x, const float *h0, const float *c0, float *gates, float *h1,
                    float *c1, int n);
/* The sender's layer: e[n, E] = ReLU(W [state ; mem] + b) from sin[n, S + M];
 * code logits -> probabilities p[n, B]; gate probability pi[n] (1 without a
 * gate). */
void link_sender(const cm_link *l, const float *sin, float *e, float *p, float *pi, int n);
/* A sampled 0/1 value of probability p under the configured code: a
 * Bernoulli draw, or (DRU) the sign of the noisy logit. */
int link_draw(const cm_link_config *c, cm_rng *rng, float p);
/* DRU's training value sigmoid(logit(p) + N(0, noise^2)). */
float link_noisy(const cm_link_config *c, cm_rng *rng, float p);
/* The memory input of a message: [g (2 m - 1) ; g]. */
void link_message_input(int bits, const float *m, float g, float *u);
/* u [n, B + 1] -> the memory's inputs x [n, link_memory_input] (a copy
 * without message_dim). */
void link_read_message(const cm_link *l, const float *u, float *x, int n);

#endif
