/* Private helpers shared by the nnvis layers (not part of the public API).
 * Static inline so that the core engine's own helpers never clash with them. */
#ifndef COGMAP_NN_VIS_UTIL_H
#define COGMAP_NN_VIS_UTIL_H

#include <cblas.h>
#include <math.h>
#include <stddef.h>

#include "cogmap/base.h"
#include "cogmap/nn.h"

static inline float vis_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* Row-major C = alpha op(A) op(B) + beta C: through cblas_sgemm (the
 * reference path), or cm_sgemm when `fast` (a layer's fast path). */
static inline void vis_gemm(int fast, int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda,
                            const float *B, int ldb, float beta, float *C, int ldc)
{
    if (fast)
        cm_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    else
        cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha, A,
                    lda, B, ldb, beta, C, ldc);
}

/* y[n, out] (+)= x[n, in] . W[out, in]^T + b[out]. */
static inline void vis_linear_fwd_f(int fast, float *y, const float *x, const float *w, const float *b, int n, int in,
                                    int out, int accumulate)
{
    if (b) {
        for (int r = 0; r < n; r++) {
            float *yr = y + (size_t)r * out;
            for (int o = 0; o < out; o++)
                yr[o] = (accumulate ? yr[o] : 0.0f) + b[o];
        }
        accumulate = 1;
    }
    vis_gemm(fast, 0, 1, n, out, in, 1.0f, x, in, w, in, accumulate ? 1.0f : 0.0f, y, out);
}

static inline void vis_linear_fwd(float *y, const float *x, const float *w, const float *b, int n, int in, int out,
                                  int accumulate)
{
    vis_linear_fwd_f(0, y, x, w, b, n, in, out, accumulate);
}

/* dx[n, in] += dy . W; dW[out, in] += dy^T . x; db[out] += column sums of dy. */
static inline void vis_linear_bwd_f(int fast, float *dx, float *dw, float *db, const float *dy, const float *x,
                                    const float *w, int n, int in, int out)
{
    if (dx)
        vis_gemm(fast, 0, 0, n, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
    if (dw)
        vis_gemm(fast, 1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (db)
        for (int r = 0; r < n; r++)
            for (int o = 0; o < out; o++)
                db[o] += dy[(size_t)r * out + o];
}

static inline void vis_linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  int n, int in, int out)
{
    vis_linear_bwd_f(0, dx, dw, db, dy, x, w, n, in, out);
}

/* Inverted dropout mask: 0 with probability p, else 1/(1-p); with `fast`,
 * cm_dropout_forward's hashed mask (one draw from rng, then a hash of the
 * index: vectorised, 1/65536 resolution of p) instead of a draw per element. */
static inline void vis_dropout_mask_f(int fast, float *mask, size_t n, float p, cm_rng *rng)
{
    const float keep = 1.0f / (1.0f - p);
    if (fast) {
        for (size_t i = 0; i < n; i++)
            mask[i] = 1.0f;
        cm_dropout_forward(mask, mask, mask, n, p, 1, rng);
        return;
    }
    for (size_t i = 0; i < n; i++)
        mask[i] = cm_rng_float(rng) < p ? 0.0f : keep;
}

static inline void vis_dropout_mask(float *mask, size_t n, float p, cm_rng *rng)
{
    vis_dropout_mask_f(0, mask, n, p, rng);
}

#endif
