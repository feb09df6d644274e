/* Engine internals shared by the layer files; not part of the public API. */
#ifndef COGMAP_NN_INTERNAL_H
#define COGMAP_NN_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* C[M, n0:n1] = (accumulate ? C : 0) + A[M, K] . Bm[K, n0:n1], all row-major
 * with leading dimensions lda, ldb, ldc. Single-threaded and allocation-free:
 * made to be called from inside OpenMP regions for the small per-time-step
 * products of a recurrence, where a BLAS call would pack its operands and
 * wake its threads at every step. Each C element sums over k in order 0..K-1,
 * whatever the column split, so results do not depend on the thread count. */
void cm_small_gemm(float *C, int ldc, const float *A, int lda, const float *Bm, int ldb, int M, int n0, int n1, int K,
                   int accumulate);

/* Row-major C = alpha op(A) op(B) + beta C, as cblas_sgemm, split over the
 * cm_threads() OpenMP threads by output slices (BLAS at one thread). Inside a
 * parallel region it is a plain single-threaded call. */
void cm_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc);
/* out[cols] += column sums of x[rows, cols], in row order (parallel over columns). */
void cm_colsum_add(float *out, const float *x, int rows, int cols);
/* OpenBLAS's thread knob (declared here: cblas.h is not included everywhere). */
void openblas_set_num_threads(int num_threads);

/* Elements [lo, hi) of cm_dropout_forward's output and mask for the key it
 * draws from its stream (train, 0 < p < 1): the mask depends on the element's
 * index alone, so a sequence filled range by range, in any order, has the
 * bits of one call over the whole. */
void cm_dropout_range(float *y, float *mask, const float *x, size_t lo, size_t hi, float p, uint64_t key);

/* The LSTM forward (cm_lstm_forward) in pieces, for callers that interleave
 * the recurrence with other work: cm_lstm_input_rows fills rows [r0, r1) of
 * gates[T*B, 4H] with the input projection and both biases (the rows of any
 * split give the bits of one call over all rows); cm_lstm_transpose_hh
 * writes W_hh^T [H, 4H] into work; cm_lstm_forward_steps then runs steps
 * [t0, t1) on the calling thread alone. Only for small steps
 * (4H * B * H <= CM_LSTM_SMALL_STEP); together they give the bits of
 * cm_lstm_forward at one thread. */
#define CM_LSTM_SMALL_STEP (1 << 22)
void cm_lstm_input_rows(float *gates, const float *x, const float *w_ih, const float *b_ih, const float *b_hh, int r0,
                        int r1, int N_in, int H);
void cm_lstm_transpose_hh(float *work, const float *w_hh, int H);
void cm_lstm_forward_steps(float *hs, float *cs, float *gates, int t0, int t1, int B, int H, const float *work);
/* The LSTM backward (cm_lstm_backward, same arguments) in pieces: begin
 * clears the carried dh, dc in work; steps runs steps t1-1 down to t0 on the
 * calling thread alone (small steps only; dhs rows of those steps must be
 * final); finish adds the carried gradients into dh0, dc0 and computes the
 * weight and bias gradients over all T*B rows. begin + steps over [0, T) +
 * finish give the bits of cm_lstm_backward. */
void cm_lstm_backward_begin(int B, int H, int T, float *work);
void cm_lstm_backward_steps(int t0, int t1, const float *dhs, const float *cs, const float *gates, const float *w_hh,
                            int T, int B, int H, float *work);
void cm_lstm_backward_finish(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih,
                             float *db_hh, const float *hs, const float *x, const float *w_ih, int T, int B, int N_in,
                             int H, const float *work);

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

/* [n0, n1) of `n` units for thread `tid` of `nt`, in multiples of 8 (one
 * vector) so that no two threads share a cache line of a row. */
static inline void cm_split_units(int n, int nt, int tid, int *n0, int *n1)
{
    int per = (n + nt - 1) / nt;
    per = (per + 7) / 8 * 8;
    int a = tid * per, b = a + per;
    *n0 = a < n ? a : n;
    *n1 = b < n ? b : n;
}

#endif
