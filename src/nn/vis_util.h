/* Private helpers shared by the nnvis layers (not part of the public API).
 * Static inline so that the core engine's own helpers never clash with them. */
#ifndef COGMAP_NN_VIS_UTIL_H
#define COGMAP_NN_VIS_UTIL_H

#include <cblas.h>
#include <math.h>
#include <stddef.h>

#include "cogmap/base.h"

static inline float vis_sigmoid(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* y[n, out] (+)= x[n, in] . W[out, in]^T + b[out]. */
static inline void vis_linear_fwd(float *y, const float *x, const float *w, const float *b, int n, int in, int out,
                                  int accumulate)
{
    if (b) {
        for (int r = 0; r < n; r++) {
            float *yr = y + (size_t)r * out;
            for (int o = 0; o < out; o++)
                yr[o] = (accumulate ? yr[o] : 0.0f) + b[o];
        }
        accumulate = 1;
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, accumulate ? 1.0f : 0.0f,
                y, out);
}

/* dx[n, in] += dy . W; dW[out, in] += dy^T . x; db[out] += column sums of dy. */
static inline void vis_linear_bwd(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  int n, int in, int out)
{
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
    if (dw)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (db)
        for (int r = 0; r < n; r++)
            for (int o = 0; o < out; o++)
                db[o] += dy[(size_t)r * out + o];
}

/* Inverted dropout mask: 0 with probability p, else 1/(1-p). */
static inline void vis_dropout_mask(float *mask, size_t n, float p, cm_rng *rng)
{
    const float keep = 1.0f / (1.0f - p);
    for (size_t i = 0; i < n; i++)
        mask[i] = cm_rng_float(rng) < p ? 0.0f : keep;
}

#endif
