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

CM_API void cm_params_init(cm_params *p);
/* Registers a tensor; *index receives its index. CM_ERR_ARG on a duplicate
 * name, bad shape or after finalize. */
CM_API cm_status cm_params_add(cm_params *p, const char *name, int ndim, const int64_t *shape, int *index);
CM_API cm_status cm_params_finalize(cm_params *p);
CM_API void cm_params_free(cm_params *p);
CM_API float *cm_params_data(const cm_params *p, int index);
CM_API float *cm_params_grad(const cm_params *p, int index);
CM_API int cm_params_find(const cm_params *p, const char *name); /* index, or -1 */
CM_API void cm_params_zero_grad(cm_params *p);
CM_API size_t cm_params_count(const cm_params *p); /* real parameters, no padding */

/* Row-major C[M, N] = alpha op(A) op(B) + beta C (cblas_sgemm's arguments;
 * trans_a / trans_b != 0: op is the transpose), on the engine's AVX-512
 * kernels where the build has AVX-512 (else, and for products under 2^16
 * multiply-adds, through BLAS), split over cm_threads() OpenMP threads
 * (single-threaded inside a parallel region). Every C element is summed in
 * one fixed order, so the bits do not depend on the thread count; they
 * differ from BLAS's by rounding. beta == 0: C is not read. For the layers'
 * fast paths (the BEV predictor's); the reference layers keep cblas_sgemm. */
CM_API void cm_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc);

/* ----------------------------------------------------------- initialisers */

/* U(lo, hi) from a cm_rng stream. */
CM_API void cm_init_uniform(cm_rng *rng, float *w, size_t n, float lo, float hi);
/* PyTorch's nn.Linear default: kaiming_uniform(a=sqrt(5)) = U(+-1/sqrt(fan_in))
 * for the weight, and the same bound for the bias (bias may be NULL). */
CM_API void cm_init_linear(cm_rng *rng, float *w, float *bias, int out, int in);
/* TensorFlow's truncated_normal(mean, sd): redraws beyond two sd. */
CM_API void cm_init_truncated_normal(cm_rng *rng, float *w, size_t n, float mean, float sd);

/* ---------------------------------------------------------------- layers */

/* Linear: y[N, out] = x[N, in] . W[out, in]^T + b[out]   (b may be NULL).
 * With accumulate != 0 the product is added to y instead of overwriting it. */
CM_API void cm_linear_forward(float *y, const float *x, const float *w, const float *b, int n, int in, int out,
                       int accumulate);
/* dx[N, in] += dy . W (dx may be NULL); dW[out, in] += dy^T . x; db[out] += sum_n dy (db may be NULL). */
CM_API void cm_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int n,
                        int in, int out);

/* Element-wise activations; y may equal x. Backward uses the OUTPUT y:
 * dx[n] += dy[n] * f'(.) (dx may equal dy only if the caller zeroed nothing else). */
CM_API void cm_relu_forward(float *y, const float *x, size_t n);
CM_API void cm_relu_backward(float *dx, const float *dy, const float *y, size_t n);
CM_API void cm_tanh_forward(float *y, const float *x, size_t n);
CM_API void cm_tanh_backward(float *dx, const float *dy, const float *y, size_t n);
CM_API void cm_sigmoid_forward(float *y, const float *x, size_t n);
CM_API void cm_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n);

/* Inverted dropout with drop probability p: mask[n] = 0 or 1/(1-p) drawn
 * from `rng` (its own stream), y = x * mask. p == 0 or train == 0: mask = 1.
 * y may equal x. Backward: dx += dy * mask. */
CM_API void cm_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, int train, cm_rng *rng);
CM_API void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n);

/* Vanilla RNN, PyTorch form: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh).
 *   x[T, B, N_in]; hs[T+1, B, H] with hs[0] = h0 set by the caller, hs[t+1] = h_t;
 *   W_ih[H, N_in], W_hh[H, H], b_ih[H], b_hh[H] (both biases may be NULL).
 * act: CM_ACT_RELU or CM_ACT_TANH. */
typedef enum cm_activation { CM_ACT_RELU = 0, CM_ACT_TANH = 1 } cm_activation;
CM_API void cm_rnn_forward(float *hs, const float *x, const float *w_ih, const float *w_hh, const float *b_ih,
                    const float *b_hh, int T, int B, int N_in, int H, cm_activation act);
/* dhs[T, B, H]: the loss gradient w.r.t. h_1..h_T (from the layers above); it
 * is OVERWRITTEN with the gradient w.r.t. the pre-activations (scratch).
 * dx[T, B, N_in] (NULL: not needed), dh0[B, H] (NULL: not needed) accumulate;
 * dW_ih, dW_hh, db_ih, db_hh accumulate (the biases may be NULL). */
CM_API void cm_rnn_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, float *dhs,
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
CM_API void cm_lstm_forward(float *hs, float *cs, float *gates, const float *x, const float *w_ih, const float *w_hh,
                     const float *b_ih, const float *b_hh, int T, int B, int N_in, int H, float *work);
/* Scratch floats cm_lstm_forward needs in `work` (W_hh transposed). */
CM_API size_t cm_lstm_forward_work_floats(int H);
/* Scratch floats cm_lstm_backward needs in `work`. */
CM_API size_t cm_lstm_work_floats(int T, int B, int H);
/* dhs[T, B, H]: loss gradient w.r.t. h_1..h_T (read only). dcs_T: none (the
 * final cell state feeds nothing). dx, dh0, dc0 may be NULL; all accumulate.
 * `work` holds cm_lstm_work_floats floats; on return its first T*B*4H floats
 * hold the gate pre-activation gradients. */
CM_API void cm_lstm_backward(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                      const float *dhs, const float *hs, const float *cs, const float *gates, const float *x,
                      const float *w_ih, const float *w_hh, int T, int B, int N_in, int H, float *work);

/* ---------------------------------------------------------------- losses */

/* Row-wise log-softmax, numerically stable: logp[N, C] from z[N, C] (may alias). */
CM_API void cm_log_softmax_forward(float *logp, const float *z, int n, int c);
/* dz[N, C] += dlogp - softmax(z) * sum_c dlogp. */
CM_API void cm_log_softmax_backward(float *dz, const float *dlogp, const float *logp, int n, int c);

/* Softmax cross-entropy against soft targets q[N, C] (rows need not sum to 1):
 * returns sum_n -sum_c q log softmax(z) (a SUM over rows: divide by what the
 * recipe averages over). logp[N, C] receives log softmax(z) for backward. */
CM_API double cm_softmax_xent_forward(float *logp, const float *z, const float *q, int n, int c);
/* dz += scale * (softmax(z) * sum_c q - q). */
CM_API void cm_softmax_xent_backward(float *dz, const float *logp, const float *q, int n, int c, float scale);

/* PyTorch F.kl_div(input = log p, target = q, reduction='sum'):
 * sum q (log q - input), terms with q <= 0 count 0. Divide by the batch for 'batchmean'. */
CM_API double cm_kl_div_forward(const float *input, const float *q, size_t n);
/* dinput += -scale * q;  dq (may be NULL) += scale * (log q + 1 - input) where q > 0. */
CM_API void cm_kl_div_backward(float *dinput, float *dq, const float *input, const float *q, size_t n, float scale);

/* Mean squared error: mean (y - t)^2 over n. Backward: dy += scale * 2 (y - t) / n. */
CM_API double cm_mse_forward(const float *y, const float *t, size_t n);
CM_API void cm_mse_backward(float *dy, const float *y, const float *t, size_t n, float scale);

/* Weight decay as a loss term: returns sum w^2; backward dw += scale * 2 w.
 * (Sorscher's loss adds wd * sum W_hh^2 to the loss: scale = wd.) */
CM_API double cm_l2_forward(const float *w, size_t n);
CM_API void cm_l2_backward(float *dw, const float *w, size_t n, float scale);

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
CM_API cm_optim_config cm_optim_defaults(cm_optim_kind kind);
CM_API const char *cm_optim_name(cm_optim_kind kind);

typedef struct cm_optim {
    cm_optim_config cfg;
    size_t n;
    int64_t t;      /* steps taken (Adam's bias correction) */
    float *state;   /* one allocation: 1 or 2 buffers of n floats */
    float *buf1, *buf2;
} cm_optim;

CM_API cm_status cm_optim_init(cm_optim *o, const cm_optim_config *cfg, size_t n);
CM_API void cm_optim_free(cm_optim *o);
/* theta[n] -= update(grad[n]); lr is cfg.lr (schedules write it). */
CM_API void cm_optim_step(cm_optim *o, float *theta, const float *grad);
CM_API size_t cm_optim_state_floats(const cm_optim *o);

/* PyTorch clip_grad_norm_: scales g by max_norm / (norm + 1e-6) when that is
 * below 1; returns the norm before clipping (in double). */
CM_API double cm_clip_grad_norm(float *g, size_t n, double max_norm);
/* Element-wise clip to [-v, v] (TF clip_by_value). */
CM_API void cm_clip_grad_value(float *g, size_t n, float v);
/* L2 norm of g (double accumulation, fixed order). */
CM_API double cm_norm2(const float *g, size_t n);

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

CM_API void cm_sched_init(cm_sched *s, cm_sched_kind kind, double lr0);
/* Step and cosine: the lr for `epoch` (0-based). Plateau: call with the
 * epoch's metric; returns the (possibly reduced) lr. Constant: lr0. */
CM_API double cm_sched_step(cm_sched *s, int epoch, double metric);

/* ------------------------------------------------------------- checkpoints */

/* Writes every tensor of the store as F32 into a safetensors file
 * (atomically), with optional string metadata. */
CM_API cm_status cm_params_save(const cm_params *p, const char *path, const char *const *meta_keys,
                         const char *const *meta_values, int meta_count);
/* Reads a safetensors file into the store. Every tensor of the store must be
 * present with the same shape and dtype F32; otherwise the error names the
 * tensor and NOTHING is loaded. Extra tensors in the file are ignored unless
 * strict != 0, where they are an error too. */
CM_API cm_status cm_params_load(cm_params *p, const char *path, int strict);

/* ----------------------------------------------- building blocks of models
 *
 * What a model's own forward/backward composes beyond the layers above
 * (pathint.c, pathint_pipeline.c): the engine's matrix product, dropout by
 * element index, the LSTM in pieces, fused read-out losses, and the sizes
 * above which the engine opens a parallel region. */

/* Element-wise passes and row loops open an OpenMP region only above this
 * many elements: each region costs microseconds on a quiet machine, but
 * milliseconds on a loaded one, where the partner thread must first be
 * scheduled; small models then run faster on fewer, larger regions. */
#define CM_PAR_MIN_ELEMS (1 << 18)

/* A recurrence runs its steps on several threads (one barrier per step)
 * only when a step has at least this many multiply-adds: below it, the
 * barrier and, on a loaded machine, waiting for a descheduled partner
 * thread cost more than the split saves. */
#ifndef CM_RECUR_PAR_MIN
#define CM_RECUR_PAR_MIN (1 << 22)
#endif

/* Row-major C = alpha op(A) op(B) + beta C, as cblas_sgemm, split over the
 * cm_threads() OpenMP threads by output slices (BLAS at one thread). Inside a
 * parallel region it is a plain single-threaded call. */
CM_API void cm_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc);

/* Elements [lo, hi) of cm_dropout_forward's output and mask for the key it
 * draws from its stream (train, 0 < p < 1): the mask depends on the element's
 * index alone, so a sequence filled range by range, in any order, has the
 * bits of one call over the whole. */
CM_API void cm_dropout_range(float *y, float *mask, const float *x, size_t lo, size_t hi, float p, uint64_t key);
/* The same mask for n elements whose global indices start at `first`,
 * written to y[0..n), mask[0..n) from x[0..n): a part of a larger array
 * (a shard of a batch) gets the mask the whole array would. */
CM_API void cm_dropout_range_at(float *y, float *mask, const float *x, size_t n, size_t first, float p, uint64_t key);

/* The LSTM forward (cm_lstm_forward) in pieces, for callers that interleave
 * the recurrence with other work: cm_lstm_input_rows fills rows [r0, r1) of
 * gates[T*B, 4H] with the input projection and both biases (the rows of any
 * split give the bits of one call over all rows); cm_lstm_transpose_hh
 * writes W_hh^T [H, 4H] into work; cm_lstm_forward_steps then runs steps
 * [t0, t1) on the calling thread alone. Only for small steps
 * (4H * B * H <= CM_LSTM_SMALL_STEP); together they give the bits of
 * cm_lstm_forward at one thread. */
#define CM_LSTM_SMALL_STEP (1 << 22)
CM_API void cm_lstm_input_rows(float *gates, const float *x, const float *w_ih, const float *b_ih, const float *b_hh, int r0,
                        int r1, int N_in, int H);
CM_API void cm_lstm_transpose_hh(float *work, const float *w_hh, int H);
CM_API void cm_lstm_forward_steps(float *hs, float *cs, float *gates, int t0, int t1, int B, int H, const float *work);

/* The LSTM backward (cm_lstm_backward, same arguments) in pieces: begin
 * clears the carried dh, dc in work; steps runs steps t1-1 down to t0 on the
 * calling thread alone (small steps only; dhs rows of those steps must be
 * final); finish adds the carried gradients into dh0, dc0 and computes the
 * weight and bias gradients over all T*B rows. begin + steps over [0, T) +
 * finish give the bits of cm_lstm_backward. */
CM_API void cm_lstm_backward_begin(int B, int H, int T, float *work);
CM_API void cm_lstm_backward_steps(int t0, int t1, const float *dhs, const float *cs, const float *gates, const float *w_hh,
                            int T, int B, int H, float *work);
CM_API void cm_lstm_backward_finish(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih,
                             float *db_hh, const float *hs, const float *x, const float *w_ih, int T, int B, int N_in,
                             int H, const float *work);

/* One soft-target read-out row, fused: logp[C] = log-softmax of z[C]; returns
 * the row's loss, sum_k q_k (log q_k - logp_k) (KL, kl != 0; 0 log 0 = 0) or
 * -sum_k q_k logp_k (cross-entropy); when dz is given, also the loss
 * gradient w.r.t. the logits, dz = coef (softmax * sum q - q). One pass
 * where separate layers make five. */
CM_API float cm_softmax_loss_row(float *logp, float *dz, const float *z, const float *q, int C, int kl, float coef);
/* dz[C] = coef (softmax * sum q - q) from a row's logp (after an evaluation forward). */
CM_API void cm_softmax_loss_row_grad(float *dz, const float *logp, const float *q, int C, float coef);
/* KL(P_{t-1} || P_t) of two log-softmax rows lq, lp [C], with log(P_t + 1e-10)
 * (SSM-PC's continuity term); backward: dq, dp [C] (logit gradients) += u
 * times the term's gradient through both softmaxes. */
CM_API float cm_kl_next_row(const float *lq, const float *lp, int C);
CM_API void cm_kl_next_row_backward(float *dq, float *dp, const float *lq, const float *lp, int C, float u);

/* ======================================================================
 * Part 2 (branch nnvis): recurrent variants, vision and attention layers,
 * image losses.
 *
 * Same conventions as Part 1: plain functions over flat float buffers; the
 * shapes are in the comment above each; backward ACCUMULATES (+=) into
 * parameter gradients and input gradients (the caller zeroes them); the
 * caller owns every buffer (caches and scratch sized by the *_floats()
 * helpers); nothing allocates. Weight layouts are PyTorch's (Conv2d weight
 * [out, in, kh, kw], ConvTranspose2d weight [in, out, kh, kw],
 * MultiheadAttention in_proj_weight [3E, E] with rows q, k, v) so that state
 * dicts load directly. Sequences are time-major / sequence-first [T, B, ...]
 * (PyTorch's batch_first=False). BLAS is called from the calling thread only.
 * ====================================================================== */

/* ------------------------------------------------ LSTM, SMP's form (smp.md §3.3) */

/* z = [u_t ; h_{t-1}] . W + b, split into gates i, j, f, o (blocks of H);
 * c_t = sigmoid(f + 1) * c_{t-1} + sigmoid(i) * tanh(j);  h_t = sigmoid(c_t) * sigmoid(o).
 * The forget bias 1 is added at run time, not stored in b.
 *   x[T, B, In]; W[In + H, 4H] (input rows first: TensorFlow's layout); b[4H] (may be NULL);
 *   hs[T+1, B, H], cs[T+1, B, H] with hs[0] = h0, cs[0] = c0 set by the caller;
 *   gates[T, B, 4H] keeps sigmoid(i), tanh(j), sigmoid(f+1), sigmoid(o) for backward. */
CM_API void cm_smp_lstm_forward(float *hs, float *cs, float *gates, const float *x, const float *w, const float *b, int T,
                         int B, int In, int H);
/* Scratch floats cm_smp_lstm_backward needs in `work`. */
CM_API size_t cm_smp_lstm_work_floats(int T, int B, int H);
/* dhs[T, B, H]: loss gradient w.r.t. h_1..h_T (read only). dx, dh0, dc0, db may
 * be NULL; everything accumulates. */
CM_API void cm_smp_lstm_backward(float *dx, float *dh0, float *dc0, float *dw, float *db, const float *dhs, const float *hs,
                          const float *cs, const float *gates, const float *x, const float *w, int T, int B, int In,
                          int H, float *work);

/* ---------------------------------------------------------- GRU, PyTorch's form */

/* r = sigmoid(W_ir x + b_ir + W_hr h + b_hr), z = sigmoid(W_iz x + b_iz + W_hz h + b_hz),
 * n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h' = (1 - z) * n + z * h.
 *   x[T, B, In]; hs[T+1, B, H] with hs[0] = h0 set by the caller;
 *   W_ih[3H, In], W_hh[3H, H] (gate rows r, z, n), b_ih[3H], b_hh[3H] (may be NULL);
 *   cache[T, B, 4H]: r, z, n and W_hn h + b_hn of every step (cm_gru_cache_floats). */
CM_API size_t cm_gru_cache_floats(int T, int B, int H);
CM_API void cm_gru_forward(float *hs, float *cache, const float *x, const float *w_ih, const float *w_hh, const float *b_ih,
                    const float *b_hh, int T, int B, int In, int H);
CM_API size_t cm_gru_work_floats(int T, int B, int H);
/* dhs[T, B, H] read only; dx, dh0, db_ih, db_hh may be NULL; all accumulate. */
CM_API void cm_gru_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, const float *dhs,
                     const float *hs, const float *cache, const float *x, const float *w_ih, const float *w_hh, int T,
                     int B, int In, int H, float *work);

/* ------------------------------------------------------- 2-D convolutions */

/* Geometry of a Conv2d or ConvTranspose2d (PyTorch's arguments; groups = 1).
 * [0] is the height, [1] the width. output_padding is for the transposed
 * convolution only (must be < stride or < dilation, as in PyTorch). */
typedef struct cm_conv2d_cfg {
    int batch, in_c, in_h, in_w; /* input x[batch, in_c, in_h, in_w] */
    int out_c, kh, kw;
    int stride[2], pad[2], dilation[2], output_padding[2];
} cm_conv2d_cfg;

/* A cfg with stride 1, pad 0, dilation 1, output_padding 0. */
CM_API cm_conv2d_cfg cm_conv2d_make(int batch, int in_c, int in_h, int in_w, int out_c, int kh, int kw);
/* Output size; CM_ERR_ARG naming the field when the geometry is invalid
 * (non-positive sizes, an empty output, output_padding too large). */
CM_API cm_status cm_conv2d_out_size(const cm_conv2d_cfg *cfg, int *out_h, int *out_w);
CM_API cm_status cm_conv_transpose2d_out_size(const cm_conv2d_cfg *cfg, int *out_h, int *out_w);

/* Conv2d: y[N, out_c, OH, OW] = W[out_c, in_c, kh, kw] * x + b[out_c] (b may be NULL),
 * by im2col + sgemm per image. `work` holds cm_conv2d_work_floats floats
 * (the column matrix of one image and the zero-padded image).
 * cfg must have passed cm_conv2d_out_size. */
CM_API size_t cm_conv2d_work_floats(const cm_conv2d_cfg *cfg);
CM_API void cm_conv2d_forward(float *y, const float *x, const float *w, const float *b, const cm_conv2d_cfg *cfg,
                       float *work);
/* dx (may be NULL), dw, db (may be NULL) accumulate. */
CM_API void cm_conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        const cm_conv2d_cfg *cfg, float *work);

/* ConvTranspose2d: x[N, in_c, H, W] -> y[N, out_c, OH, OW] with
 * OH = (H - 1) stride - 2 pad + dilation (kh - 1) + output_padding + 1;
 * W[in_c, out_c, kh, kw], b[out_c] (may be NULL). The adjoint of Conv2d with
 * the same geometry: GEMM then col2im. */
CM_API size_t cm_conv_transpose2d_work_floats(const cm_conv2d_cfg *cfg);
CM_API void cm_conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, const cm_conv2d_cfg *cfg,
                                 float *work);
CM_API void cm_conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  const cm_conv2d_cfg *cfg, float *work);

/* ----------------------------------------------------------- normalisation */

/* Batch norm over x[N, C, S] (S = H*W for BatchNorm2d, S = L or 1 for
 * BatchNorm1d), per channel.
 * train != 0: batch statistics; the biased variance normalises, and the running
 *   statistics (if not NULL) move by momentum with the UNBIASED variance:
 *   r = (1 - momentum) r + momentum stat   (PyTorch; momentum 0.1, eps 1e-5).
 * train == 0: the running statistics normalise.
 * gamma, beta [C] may be NULL (affine=False). mean[C], rstd[C] receive the
 * statistics used (1/sqrt(var + eps)) for backward. y must not alias x when
 * backward follows (it reads x). */
CM_API void cm_batchnorm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                          float *running_mean, float *running_var, int N, int C, int S, float eps, float momentum,
                          int train);
/* `train` must match the forward call. dx, dgamma, dbeta (may be NULL) accumulate. */
CM_API void cm_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *gamma, int N, int C, int S, int train);

/* Layer norm over the last dimension: x[N, D] -> y[N, D], eps (PyTorch 1e-5),
 * gamma, beta [D] (may be NULL). mean[N], rstd[N] cached for backward. */
CM_API void cm_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                          int N, int D, float eps);
CM_API void cm_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *gamma, int N, int D);

/* ------------------------------------------------------------------ pooling */

/* MaxPool2d(kernel k, stride s, padding p) on x[N, C, H, W] (padding counts as
 * -inf, floor mode). argmax[N, C, OH, OW] keeps the flat input index within
 * the plane for backward. OH = (H + 2p - k) / s + 1. */
CM_API int cm_pool2d_out(int in, int k, int s, int p); /* output size, <= 0 if invalid */
CM_API void cm_maxpool2d_forward(float *y, int32_t *argmax, const float *x, int N, int C, int H, int W, int k, int s, int p);
CM_API void cm_maxpool2d_backward(float *dx, const float *dy, const int32_t *argmax, int N, int C, int H, int W, int k, int s,
                           int p);
/* AvgPool2d(k, s, p) with count_include_pad=True (PyTorch's default): the sum
 * over the window divided by k*k. */
CM_API void cm_avgpool2d_forward(float *y, const float *x, int N, int C, int H, int W, int k, int s, int p);
CM_API void cm_avgpool2d_backward(float *dx, const float *dy, int N, int C, int H, int W, int k, int s, int p);
/* Global average pooling (AdaptiveAvgPool2d(1)): x[N, C, S] -> y[N, C]. */
CM_API void cm_global_avgpool_forward(float *y, const float *x, int N, int C, int S);
CM_API void cm_global_avgpool_backward(float *dx, const float *dy, int N, int C, int S);

/* ---------------------------------------------------- multi-head attention */

/* nn.MultiheadAttention (batch_first=False, bias=True, kdim = vdim = embed):
 *   query[Lq, N, E], key[Lk, N, E], value[Lk, N, E] -> out[Lq, N, E].
 *   q, k, v = input . W_{q,k,v}^T + b, W = in_proj_weight[3E, E] (rows q, k, v),
 *   b = in_proj_bias[3E]; per head (head_dim E/heads), P = softmax(q k^T / sqrt(hd)
 *   + attn_mask, masked keys -inf), P is dropped out, ctx = P v; out = ctx Wo^T + bo.
 * Masks: attn_mask[Lq, Lk] additive float (may be NULL); causal != 0 masks keys
 * j > i; key_padding_mask[N, Lk] (may be NULL), nonzero = ignore that key. A
 * query whose keys are all masked attends to nothing (output = out bias;
 * PyTorch returns NaN there). */
typedef struct cm_mha_cfg {
    int lq, lk, batch, embed, heads;
    float dropout; /* on the attention weights, training only */
    int causal;
    int fast;      /* nonzero: cm_sgemm and hashed dropout masks (other bits, same distribution) */
} cm_mha_cfg;

/* Parameter (or gradient) pointers, PyTorch names: in_proj_weight [3E, E],
 * in_proj_bias [3E], out_proj.weight [E, E], out_proj.bias [E]. */
typedef struct cm_mha_params {
    float *in_w, *in_b, *out_w, *out_b;
} cm_mha_params;

CM_API cm_status cm_mha_check(const cm_mha_cfg *cfg); /* E divisible by heads, sizes positive, dropout in [0, 1) */
CM_API size_t cm_mha_cache_floats(const cm_mha_cfg *cfg);
CM_API size_t cm_mha_work_floats(const cm_mha_cfg *cfg);
/* train != 0 with cfg->dropout > 0 draws the dropout mask from rng (its own
 * stream; must not be NULL then). */
CM_API void cm_mha_forward(float *out, float *cache, const float *query, const float *key, const float *value,
                    const cm_mha_params *p, const float *attn_mask, const uint8_t *key_padding_mask,
                    const cm_mha_cfg *cfg, int train, cm_rng *rng);
/* dquery, dkey, dvalue may be NULL or alias each other (self-attention passes
 * one buffer three times); all accumulate, as does every gradient in g. */
CM_API void cm_mha_backward(float *dquery, float *dkey, float *dvalue, const cm_mha_params *g, const float *dout,
                     const float *cache, const float *query, const float *key, const float *value,
                     const cm_mha_params *p, const cm_mha_cfg *cfg, float *work);
/* The attention weights P[N, heads, Lq, Lk] (before dropout) held in a cache. */
CM_API const float *cm_mha_attention(const float *cache, const cm_mha_cfg *cfg);

/* ------------------------------------------- post-norm Transformer layers */

/* nn.TransformerEncoderLayer / TransformerDecoderLayer with norm_first=False,
 * activation ReLU (SSM-PC's BEV model), dropout p everywhere PyTorch puts it
 * (attention weights, after each attention block, inside and after the
 * feed-forward block), LayerNorm eps 1e-5:
 *   encoder: x = LN1(x + Drop(SA(x)));  x = LN2(x + Drop(FF(x)))
 *   decoder: x = LN1(x + Drop(SA(x)));  x = LN2(x + Drop(CA(x, mem)));  x = LN3(x + Drop(FF(x)))
 *   FF(x) = linear2(Drop(relu(linear1(x)))).
 * Tokens are [L, N, E]; memory [Lm, N, E]. */
typedef struct cm_transformer_cfg {
    int len, mem_len, batch, embed, heads, ff; /* mem_len: decoder only */
    float dropout;
    int fast; /* nonzero: cm_sgemm products and hashed dropout masks (cm_dropout_forward's); 0: the
               * reference path (cblas_sgemm, a stream draw per mask element) */
} cm_transformer_cfg;

/* Parameter (or gradient) pointers named as in PyTorch's state dict. */
typedef struct cm_transformer_params {
    cm_mha_params self_attn;      /* self_attn.* */
    cm_mha_params cross_attn;     /* multihead_attn.* (decoder only) */
    float *linear1_w, *linear1_b; /* [ff, E], [ff] */
    float *linear2_w, *linear2_b; /* [E, ff], [E] */
    float *norm1_w, *norm1_b, *norm2_w, *norm2_b, *norm3_w, *norm3_b; /* [E]; norm3 decoder only */
} cm_transformer_params;

CM_API cm_status cm_transformer_check(const cm_transformer_cfg *cfg, int decoder);
/* The decoder layer's inference path (src/nn/transformer_infer.c): the function of
 * cm_transformer_decoder_forward with train = 0 and no masks, keeping nothing for backward,
 * on cm_sgemm with fused element-wise passes (other rounding: tested against the reference
 * layer to a tolerance). x_shared != 0: x is [len, embed], the same tokens for every batch
 * column (fixed queries), and the self-attention runs once for all. `work` holds
 * cm_transformer_decoder_infer_work_floats floats; y [len, batch, embed] must not alias x,
 * mem or work. The bits do not depend on the thread count. */
CM_API size_t cm_transformer_decoder_infer_work_floats(const cm_transformer_cfg *cfg);
CM_API void cm_transformer_decoder_infer(float *y, const float *x, int x_shared, const float *mem,
                                         const cm_transformer_params *p, const cm_transformer_cfg *cfg, float *work);

CM_API size_t cm_transformer_cache_floats(const cm_transformer_cfg *cfg, int decoder);
CM_API size_t cm_transformer_work_floats(const cm_transformer_cfg *cfg, int decoder);

/* Self-attention masks (attn_mask [L, L], key_padding_mask [N, L]) may be NULL. */
CM_API void cm_transformer_encoder_forward(float *y, float *cache, const float *x, const cm_transformer_params *p,
                                    const float *attn_mask, const uint8_t *key_padding_mask,
                                    const cm_transformer_cfg *cfg, int train, cm_rng *rng);
CM_API void cm_transformer_encoder_backward(float *dx, const cm_transformer_params *g, const float *dy, const float *cache,
                                     const float *x, const cm_transformer_params *p, const cm_transformer_cfg *cfg,
                                     float *work);
/* tgt_mask [L, L] / causal flag for self-attention; no mask on cross-attention
 * except memory_key_padding_mask [N, Lm]. dmem may be NULL. */
CM_API void cm_transformer_decoder_forward(float *y, float *cache, const float *x, const float *mem,
                                    const cm_transformer_params *p, const float *tgt_mask, int tgt_causal,
                                    const uint8_t *memory_key_padding_mask, const cm_transformer_cfg *cfg, int train,
                                    cm_rng *rng);
CM_API void cm_transformer_decoder_backward(float *dx, float *dmem, const cm_transformer_params *g, const float *dy,
                                     const float *cache, const float *x, const float *mem,
                                     const cm_transformer_params *p, const cm_transformer_cfg *cfg, float *work);

/* ------------------------------------------------- BEV model helpers */

/* Bilinear resize, align_corners=False (F.interpolate(mode="bilinear")):
 * x[planes, H, W] -> y[planes, OH, OW], src = (dst + 0.5) H/OH - 0.5 clamped
 * at 0. Backward scatters dy into dx (accumulates). */
CM_API void cm_resize_bilinear_forward(float *y, const float *x, int planes, int H, int W, int OH, int OW);
CM_API void cm_resize_bilinear_backward(float *dx, const float *dy, int planes, int H, int W, int OH, int OW);

/* Sinusoidal position encodings pe[positions, d] (ssm-pc.md §6.2):
 * pe[p, 2i] = sin(p / 10000^(2i/d)), pe[p, 2i+1] = cos(p / 10000^(2i/d)). */
CM_API void cm_positional_encoding(float *pe, int positions, int d);

/* ----------------------------------------------------------- image losses */

/* Like Part 1's losses these return a SUM (divide by what the recipe averages
 * over), and backward adds scale * d(sum)/d(input).
 * Binary cross-entropy on probabilities p in [0, 1] against targets t:
 *   -(t max(log p, -100) + (1 - t) max(log(1 - p), -100))   (F.binary_cross_entropy);
 * its gradient is (p - t) / max(p (1 - p), 1e-12), as PyTorch computes it. */
CM_API double cm_bce_forward(const float *p, const float *t, size_t n);
CM_API void cm_bce_backward(float *dp, const float *p, const float *t, size_t n, float scale);
/* BCE with logits z: max(z, 0) - z t + log(1 + exp(-|z|)); gradient sigmoid(z) - t. */
CM_API double cm_bce_logits_forward(const float *z, const float *t, size_t n);
CM_API void cm_bce_logits_backward(float *dz, const float *z, const float *t, size_t n, float scale);
/* L1: sum |a - b|; gradient sign(a - b) (0 at 0, as torch.sign). db may be NULL. */
CM_API double cm_l1_forward(const float *a, const float *b, size_t n);
CM_API void cm_l1_backward(float *da, const float *a, const float *b, size_t n, float scale);
/* Total variation as SSM-PC's BEVLoss smoothness term (ssm-pc.md §6.3), over
 * `planes` images x[planes, H, W]:
 *   (mean |x[.., :, :-1] - x[.., :, 1:]| + mean |x[.., :-1, :] - x[.., 1:, :]|) / 2.
 * This one is already the MEAN (as the recipe defines it); backward adds scale * d/dx. */
CM_API double cm_tv_forward(const float *x, int planes, int H, int W);
CM_API void cm_tv_backward(float *dx, const float *x, int planes, int H, int W, float scale);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_NN_H */
