/* cogmap/nn.h — the neural-network engine: parameter store, layers, losses,
 * optimisers, initialisers and checkpoints.
 *
 * Conventions (DEVELOPERS.md, "nn layers"):
 * - Layers are forward/backward pairs of plain functions over flat float
 *   buffers, llm.c style; the shapes are in the comment above each.
 * - Backward ACCUMULATES (+=) into parameter gradients and input gradients;
 *   the caller zeroes them (cm_params_zero_grad for the parameters).
 * - Weights follow PyTorch's layouts (weight[out, in]; LSTM gate rows i, f, g, o,
 *   two biases) so that a checkpoint is a PyTorch state dict.
 * - Sequences are TIME-MAJOR inside the engine: x[T, B, I], so that one step's
 *   batch is contiguous for the recurrent GEMM.
 * - Parameters, gradients and optimiser state each live in ONE allocation;
 *   layers get pointers into them. Nothing here allocates inside a step.
 * - BLAS is called from the calling thread only (never inside an OpenMP
 *   region): BLAS gets the threads for GEMMs, OpenMP for element-wise loops.
 */
#ifndef COGMAP_NN_H
#define COGMAP_NN_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================
 * Part 1 (branch nn): store, dense/recurrent layers, losses, optimisers.
 * ====================================================================== */

/* ------------------------------------------------------- parameter store */

#define CM_PARAM_MAX_DIMS 4

typedef struct cm_tensor_info {
    char name[96];                  /* PyTorch state-dict name, e.g. "lstm.weight_ih_l0" */
    int ndim;
    int64_t shape[CM_PARAM_MAX_DIMS];
    size_t offset;                  /* in floats, into params/grads */
    size_t count;                   /* number of floats */
} cm_tensor_info;

/* Build in two phases: cm_params_add every tensor (names and shapes), then
 * cm_params_finalize allocates params and grads (zeroed), one block each.
 * Each tensor starts on a 64-byte boundary inside the block. */
typedef struct cm_params {
    int count, capacity;
    cm_tensor_info *tensors;
    size_t total;  /* floats in each block, padding included */
    float *params; /* NULL until finalized */
    float *grads;
} cm_params;

void cm_params_init(cm_params *p);
/* Registers a tensor; *index receives its index. CM_ERR_ARG on a duplicate
 * name, bad shape or after finalize. */
cm_status cm_params_add(cm_params *p, const char *name, int ndim, const int64_t *shape, int *index);
cm_status cm_params_finalize(cm_params *p);
void cm_params_free(cm_params *p);
float *cm_params_data(const cm_params *p, int index);
float *cm_params_grad(const cm_params *p, int index);
int cm_params_find(const cm_params *p, const char *name); /* index, or -1 */
void cm_params_zero_grad(cm_params *p);
size_t cm_params_count(const cm_params *p); /* real parameters, no padding */

/* ----------------------------------------------------------- initialisers */

/* U(lo, hi) from a cm_rng stream. */
void cm_init_uniform(cm_rng *rng, float *w, size_t n, float lo, float hi);
/* PyTorch's nn.Linear default: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
 * for the weight, and the same bound for the bias (bias may be NULL). */
void cm_init_linear(cm_rng *rng, float *w, float *bias, int out, int in);
/* TensorFlow's truncated_normal(mean, sd): redraws beyond two sd. */
void cm_init_truncated_normal(cm_rng *rng, float *w, size_t n, float mean, float sd);

/* ---------------------------------------------------------------- layers */

/* Linear: y[N, out] = x[N, in] . W[out, in]^T + b[out]   (b may be NULL).
 * With accumulate != 0 the product is added to y instead of overwriting it. */
void cm_linear_forward(float *y, const float *x, const float *w, const float *b, int n, int in, int out,
                       int accumulate);
/* dx[N, in] += dy . W (dx may be NULL); dW[out, in] += dy^T . x; db[out] += sum_n dy (db may be NULL). */
void cm_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int n,
                        int in, int out);

/* Element-wise activations; y may equal x. Backward uses the OUTPUT y:
 * dx[n] += dy[n] * f'(.) (dx may equal dy only if the caller zeroed nothing else). */
void cm_relu_forward(float *y, const float *x, size_t n);
void cm_relu_backward(float *dx, const float *dy, const float *y, size_t n);
void cm_tanh_forward(float *y, const float *x, size_t n);
void cm_tanh_backward(float *dx, const float *dy, const float *y, size_t n);
void cm_sigmoid_forward(float *y, const float *x, size_t n);
void cm_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n);

/* Inverted dropout with drop probability p: mask[n] = 0 or 1/(1-p) drawn
 * from `rng` (its own stream), y = x * mask. p == 0 or train == 0: mask = 1.
 * y may equal x. Backward: dx += dy * mask. */
void cm_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, int train, cm_rng *rng);
void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n);

/* Vanilla RNN, PyTorch form: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).
 *   x[T, B, N_in]; hs[T+1, B, H] with hs[0] = h0 set by the caller, hs[t+1] = h_t;
 *   W_ih[H, N_in], W_hh[H, H], b_ih[H], b_hh[H] (both biases may be NULL).
 * act: CM_ACT_RELU or CM_ACT_TANH. */
typedef enum cm_activation { CM_ACT_RELU = 0, CM_ACT_TANH = 1 } cm_activation;
void cm_rnn_forward(float *hs, const float *x, const float *w_ih, const float *w_hh, const float *b_ih,
                    const float *b_hh, int T, int B, int N_in, int H, cm_activation act);
/* dhs[T, B, H]: the loss gradient w.r.t. h_1..h_T (from the layers above); it
 * is OVERWRITTEN with the gradient w.r.t. the pre-activations (scratch).
 * dx[T, B, N_in] (NULL: not needed), dh0[B, H] (NULL: not needed) accumulate;
 * dW_ih, dW_hh, db_ih, db_hh accumulate (the biases may be NULL). */
void cm_rnn_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, float *dhs,
                     const float *hs, const float *x, const float *w_ih, const float *w_hh, int T, int B, int N_in,
                     int H, cm_activation act);

/* LSTM, PyTorch form (gate rows i, f, g, o; two biases):
 *   gates = x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh,  i, f, o = sigmoid, g = tanh,
 *   c_t = f * c_{t-1} + i * g,   h_t = o * tanh(c_t).
 *   x[T, B, N_in]; hs[T+1, B, H], cs[T+1, B, H] with hs[0] = h0 and cs[0] = c0
 *   set by the caller; gates[T, B, 4H] keeps the gate activations for backward.
 *   W_ih[4H, N_in], W_hh[4H, H], b_ih[4H], b_hh[4H] (biases may be NULL).
 * The input projection of all steps is one GEMM; the recurrent product of
 * each step and the fused nonlinearities run inside ONE OpenMP region over
 * the whole sequence, threads owning ranges of units (one barrier per step);
 * large steps (B*4H*H > 2^22) call BLAS per step instead. */
void cm_lstm_forward(float *hs, float *cs, float *gates, const float *x, const float *w_ih, const float *w_hh,
                     const float *b_ih, const float *b_hh, int T, int B, int N_in, int H, float *work);
/* Scratch floats cm_lstm_forward needs in `work` (W_hh transposed). */
size_t cm_lstm_forward_work_floats(int H);
/* Scratch floats cm_lstm_backward needs in `work`. */
size_t cm_lstm_work_floats(int T, int B, int H);
/* dhs[T, B, H]: loss gradient w.r.t. h_1..h_T (read only). dcs_T: none (the
 * final cell state feeds nothing). dx, dh0, dc0 may be NULL; all accumulate.
 * `work` holds cm_lstm_work_floats floats; on return its first T*B*4H floats
 * hold the gate pre-activation gradients. */
void cm_lstm_backward(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                      const float *dhs, const float *hs, const float *cs, const float *gates, const float *x,
                      const float *w_ih, const float *w_hh, int T, int B, int N_in, int H, float *work);

/* ---------------------------------------------------------------- losses */

/* Row-wise log-softmax, numerically stable: logp[N, C] from z[N, C] (may alias). */
void cm_log_softmax_forward(float *logp, const float *z, int n, int c);
/* dz[N, C] += dlogp - softmax(z) * sum_c dlogp. */
void cm_log_softmax_backward(float *dz, const float *dlogp, const float *logp, int n, int c);

/* Softmax cross-entropy against soft targets q[N, C] (rows need not sum to 1):
 * returns sum_n -sum_c q log softmax(z) (a SUM over rows: divide by what the
 * recipe averages over). logp[N, C] receives log softmax(z) for backward. */
double cm_softmax_xent_forward(float *logp, const float *z, const float *q, int n, int c);
/* dz += scale * (softmax(z) * sum_c q - q). */
void cm_softmax_xent_backward(float *dz, const float *logp, const float *q, int n, int c, float scale);

/* PyTorch F.kl_div(input = log p, target = q, reduction='sum'):
 * sum q (log q - input), terms with q <= 0 count 0. Divide by the batch for 'batchmean'. */
double cm_kl_div_forward(const float *input, const float *q, size_t n);
/* dinput += -scale * q;  dq (may be NULL) += scale * (log q + 1 - input) where q > 0. */
void cm_kl_div_backward(float *dinput, float *dq, const float *input, const float *q, size_t n, float scale);

/* Mean squared error: mean (y - t)^2 over n. Backward: dy += scale * 2 (y - t) / n. */
double cm_mse_forward(const float *y, const float *t, size_t n);
void cm_mse_backward(float *dy, const float *y, const float *t, size_t n, float scale);

/* Weight decay as a loss term: returns sum w^2; backward dw += scale * 2 w.
 * (Sorscher's loss adds wd * sum W_hh^2 to the loss: scale = wd.) */
double cm_l2_forward(const float *w, size_t n);
void cm_l2_backward(float *dw, const float *w, size_t n, float scale);

/* ------------------------------------------------------------ optimisers */

typedef enum cm_optim_kind {
    CM_OPTIM_SGD = 0,       /* PyTorch SGD with momentum / dampening 0 / nesterov off */
    CM_OPTIM_ADAM = 1,      /* PyTorch Adam (L2 weight decay added to the gradient) */
    CM_OPTIM_ADAMW = 2,     /* PyTorch AdamW (decoupled decay: theta *= 1 - lr wd) */
    CM_OPTIM_RMSPROP = 3,   /* PyTorch RMSprop: v starts at 0, eps outside the sqrt */
    CM_OPTIM_RMSPROP_TF = 4 /* TensorFlow 1 RMSPropOptimizer: ms starts at ONE, eps inside the sqrt */
} cm_optim_kind;

typedef struct cm_optim_config {
    cm_optim_kind kind;
    double lr;
    double momentum;     /* SGD, RMSprop (both forms) */
    double alpha;        /* RMSprop decay (PyTorch alpha 0.99; TF decay 0.9) */
    double beta1, beta2; /* Adam(W) */
    double eps;          /* PyTorch 1e-8; TF RMSProp 1e-10 */
    double weight_decay; /* L2 added to the gradient (SGD, Adam, RMSprop); decoupled for AdamW */
} cm_optim_config;

/* Defaults of the kind as PyTorch / TensorFlow 1 define them (lr 1e-3). */
cm_optim_config cm_optim_defaults(cm_optim_kind kind);
const char *cm_optim_name(cm_optim_kind kind);

typedef struct cm_optim {
    cm_optim_config cfg;
    size_t n;
    int64_t t;      /* steps taken (Adam's bias correction) */
    float *state;   /* one allocation: 1 or 2 buffers of n floats */
    float *buf1, *buf2;
} cm_optim;

cm_status cm_optim_init(cm_optim *o, const cm_optim_config *cfg, size_t n);
void cm_optim_free(cm_optim *o);
/* theta[n] -= update(grad[n]); lr is cfg.lr (schedules write it). */
void cm_optim_step(cm_optim *o, float *theta, const float *grad);
size_t cm_optim_state_floats(const cm_optim *o);

/* PyTorch clip_grad_norm_: scales g by max_norm / (norm + 1e-6) when that is
 * below 1; returns the norm before clipping (in double). */
double cm_clip_grad_norm(float *g, size_t n, double max_norm);
/* Element-wise clip to [-v, v] (TF clip_by_value). */
void cm_clip_grad_value(float *g, size_t n, float v);
/* L2 norm of g (double accumulation, fixed order). */
double cm_norm2(const float *g, size_t n);

/* ------------------------------------------------- learning-rate schedules */

typedef enum cm_sched_kind {
    CM_SCHED_CONSTANT = 0,
    CM_SCHED_STEP = 1,    /* lr0 * gamma^floor(epoch / step_size) */
    CM_SCHED_COSINE = 2,  /* eta_min + (lr0 - eta_min)(1 + cos(pi epoch / t_max)) / 2 */
    CM_SCHED_PLATEAU = 3  /* ReduceLROnPlateau(mode=min, threshold rel 1e-4, cooldown 0) */
} cm_sched_kind;

typedef struct cm_sched {
    cm_sched_kind kind;
    double lr0, lr;
    int step_size;
    double gamma;    /* step: decay; plateau: factor */
    int t_max;
    double eta_min;  /* cosine floor; plateau min_lr */
    int patience;
    double threshold;
    double best;
    int bad_epochs;
} cm_sched;

void cm_sched_init(cm_sched *s, cm_sched_kind kind, double lr0);
/* Step and cosine: the lr for `epoch` (0-based). Plateau: call with the
 * epoch's metric; returns the (possibly reduced) lr. Constant: lr0. */
double cm_sched_step(cm_sched *s, int epoch, double metric);

/* ------------------------------------------------------------- checkpoints */

/* Writes every tensor of the store as F32 into a safetensors file
 * (atomically), with optional string metadata. */
cm_status cm_params_save(const cm_params *p, const char *path, const char *const *meta_keys,
                         const char *const *meta_values, int meta_count);
/* Reads a safetensors file into the store. Every tensor of the store must be
 * present with the same shape and dtype F32; otherwise the error names the
 * tensor and NOTHING is loaded. Extra tensors in the file are ignored unless
 * strict != 0, where they are an error too. */
cm_status cm_params_load(cm_params *p, const char *path, int strict);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_NN_H */
