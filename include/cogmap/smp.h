/* cogmap/smp.h — the Spatial Memory Pipeline (Uria et al. 2020; spec
 * ../shared/specs/smp.md): memory read-outs as plain functions over flat
 * buffers (llm.c style), the model (visual autoencoder, three SMP-form LSTMs
 * with their correction LSTMs, slot memory), its training step and the
 * figure-3 dynamics of the head-direction RNN.
 *
 * Shapes: N rows (batch elements, or batch x time), S memory slots, D the
 * visual embedding size, H an RNN's units. Row-major float32 everywhere.
 * Backward functions ACCUMULATE into their gradient outputs.
 */
#ifndef COGMAP_SMP_H
#define COGMAP_SMP_H

#include "cogmap/base.h"
#include "cogmap/nn.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------ memory read-outs (§3.4-3.5) */

/* sim[N, S] = y[N, D] . my[S, D]^T (the visual similarity every read-out uses). */
void cm_smp_similarity(float *sim, const float *y, const float *my, int n, int s, int d);

/* p[N, S] = softmax_s(scale * sim[N, S]) row by row (p may equal sim).
 * Returns the mean entropy of the rows, nats. Used for the reactivation
 * target P(s|y) (scale = beta) and the correction weights (scale = gamma). */
double cm_smp_softmax(float *p, const float *sim, int n, int s, float scale);

/* The prediction P(s|x) = softmax_s(sum_r pi_r h_r . mx_r[s]) of R RNNs and its
 * cross-entropy against the target:
 *   h[r][N, H_r], mx[r][S, H_r], pi[r] > 0; target[N, S] rows summing to 1;
 *   logp[N, S] receives log P(s|x).
 * Returns sum_n sum_s -target log P (summed, not averaged, over rows). */
double cm_smp_predict_forward(float *logp, const float *const *h, const float *const *mx, const int *H,
                              const float *pi, int R, const float *target, int n, int s);
/* Backward of scale * the forward's loss: g = scale (P - target), then
 *   dh[r] += pi_r g . mx_r,  dmx[r] += pi_r g^T . h_r,
 *   drho[r] += pi_r sum g (h_r . mx_r)  (gradient w.r.t. rho_r = log pi_r).
 * Any dh[r], dmx[r] or drho may be NULL. `g` is scratch [N, S + max_r H_r]. */
void cm_smp_predict_backward(float *const *dh, float *const *dmx, double *drho, const float *logp,
                             const float *const *h, const float *const *mx, const int *H, const float *pi, int R,
                             const float *target, int n, int s, float scale, float *g);

/* Correction code (§3.5): w[N, S] = softmax(gamma sim), code[N, H] = w . mx[S, H]. */
void cm_smp_correction_forward(float *code, float *w, const float *sim, const float *mx, int n, int s, int h,
                               float gamma);
/* dmx[S, H] += w^T dcode; *dq += gradient w.r.t. q = log gamma through the
 * softmax. dmx or dq may be NULL. `dw` is scratch [N, S]. */
void cm_smp_correction_backward(float *dmx, double *dq, const float *dcode, const float *w, const float *sim,
                                const float *mx, int n, int s, int h, float gamma, float *dw);

/* ------------------------------------------------------------- the model */

#define CM_SMP_RNNS 3

typedef struct cm_smp_config {
    int slots;              /* S (512) */
    int embed;              /* D_y (64) */
    int hidden[CM_SMP_RNNS];/* 32, 128, 128 */
    int enc_channels[4];    /* encoder convolutions (16, 16, 32, 32) */
    int image;              /* frame side (64) */
    int batch, seq_len;     /* trajectories per step, steps per trajectory */
    int ae_steps;           /* autoencoder-only steps before the SMP trains */
    double ae_lr, lr;       /* Adam learning rates */
    double clip;            /* global gradient-norm clip of the SMP step */
    double p_correct;       /* probability of a correction per step and trajectory */
    double p_write;         /* probability of a slot write per step */
    double entropy_target;  /* of P(s|y), nats; beta steered toward it */
    double beta_rate;       /* change of log beta per step */
    double init_beta, init_gamma, init_pi;
    double dropout;         /* on the RNN outputs the prediction reads, training only (0) */
} cm_smp_config;

/* The spec's proposed defaults (smp.md §3, §11). */
void cm_smp_config_default(cm_smp_config *c);
/* CM_ERR_ARG naming the first bad field. */
cm_status cm_smp_config_check(const cm_smp_config *c);

/* The model: parameters, optimisers, memory contents that are not trained
 * (m^(y), the written RNN states, slot positions, beta) and every buffer a
 * step needs, allocated once for (batch, seq_len). */
typedef struct cm_smp {
    cm_smp_config cfg;
    int64_t step;           /* optimiser steps taken (AE phase included) */
    int memory_filled;      /* the slots were filled after the AE phase */
    double log_beta;
    cm_params p;            /* the trainable tensors (names in smp_model.c) */
    int n_ae;               /* p.tensors[0..n_ae) are the autoencoder's */
    cm_optim ae_opt, smp_opt;
    float *my;              /* [S, D] visual column (m^(y)), overwritten only */
    float *written[CM_SMP_RNNS]; /* [S, H_r] RNN states as written */
    float *slot_pos;        /* [S, 3] x, y, heading at write time (for decoding) */
    struct smp_work *w;     /* step buffers */
    cm_arena arena;         /* the room the frames are rendered in */
    cm_renderer *renderer;
} cm_smp;

cm_status cm_smp_create(cm_smp **out, const cm_smp_config *cfg, uint64_t seed);
void cm_smp_free(cm_smp *m);

/* Tensor access by role. */
float *cm_smp_pred_w(const cm_smp *m, int r);   /* [In_r + H_r, 4 H_r] */
float *cm_smp_pred_b(const cm_smp *m, int r);
float *cm_smp_corr_w(const cm_smp *m, int r);   /* [H_r + H_r, 4 H_r] */
float *cm_smp_corr_b(const cm_smp *m, int r);
float *cm_smp_mx(const cm_smp *m, int r);       /* [S, H_r] trained RNN column */
int cm_smp_input_dim(int r);                    /* 2, 3, 1 */
float cm_smp_gamma(const cm_smp *m);
float cm_smp_pi(const cm_smp *m, int r);

/* Frames -> embeddings: rgb[n, side, side, 3] bytes -> y[n, D], unit length. */
cm_status cm_smp_embed(cm_smp *m, const uint8_t *rgb, int64_t n, float *y);

/* Inputs of RNN r for one step of heading change dtheta (radians) and
 * distance moved (metres per step): 10[cos, sin], 10[cos, sin] + speed, 1. */
void cm_smp_rnn_input(int r, float dtheta, float dist, float *u);

/* One SMP step as the trainer drives it, in two halves. A batch of B paths
 * of T+1 poses (pos [B, T+1, 2], theta [B, T+1]) is rendered, embedded and
 * (AE phase) reconstructed or (SMP phase) run through the RNNs, loss and
 * backward: cm_smp_train_gradient ACCUMULATES the gradient of the mean loss
 * into m->p.grads (the caller zeroes them). Then cm_smp_train_update: clip,
 * optimiser step, beta control and slot writes (which read the forward's
 * states and the same pos/theta). rng: this step's own stream, used by both
 * halves in turn. *loss: mean cross-entropy per sample (AE phase: mean
 * squared error); a non-finite one must not be followed by the update. */
cm_status cm_smp_train_gradient(cm_smp *m, const float *pos, const float *theta, cm_rng *rng, double *loss);
cm_status cm_smp_train_update(cm_smp *m, const float *pos, const float *theta, cm_rng *rng);
/* Both halves (gradients zeroed first); CM_ERR_NUMERIC for a non-finite
 * loss, the model untouched. *err: mean distance between the true position
 * and the slot-decoded one (NaN in the AE phase). */
cm_status cm_smp_train_step(cm_smp *m, const float *pos, const float *theta, cm_rng *rng, double *loss,
                            double *err);
/* The forward pass without learning: states [B, T, 288] (RNN outputs before
 * each correction, may be NULL), logp_y [B, T, S] log P(s|y) (may be NULL),
 * decoded [B, T, 2] (may be NULL); *loss as in training (correction every
 * `correct_every` steps, 0: never after the start). */
cm_status cm_smp_run(cm_smp *m, const float *pos, const float *theta, int B, int T, int correct_every,
                     float *states, float *logp_y, float *decoded, double *loss);

/* Checkpoint: parameters (model.safetensors), optimisers and memory
 * (memory.safetensors, step/beta in its metadata) into / from a folder. */
cm_status cm_smp_save(const cm_smp *m, const char *dir);
cm_status cm_smp_load(cm_smp *m, const char *dir);

#ifdef __cplusplus
}
#endif

#endif
