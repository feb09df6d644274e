/* Element-wise activations and inverted dropout (nn.h). Backward passes use
 * the forward OUTPUT, which every caller keeps anyway. */
#include "cogmap/nn.h"

#include <math.h>

/* Below this many elements a parallel region costs more than it saves. */
#define CM_ELEMWISE_PAR 32768

void cm_relu_forward(float *y, const float *x, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

void cm_relu_backward(float *dx, const float *dy, const float *y, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += y[i] > 0.0f ? dy[i] : 0.0f;
}

void cm_tanh_forward(float *y, const float *x, size_t n)
{
#pragma omp parallel for if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = tanhf(x[i]);
}

void cm_tanh_backward(float *dx, const float *dy, const float *y, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

void cm_sigmoid_forward(float *y, const float *x, size_t n)
{
#pragma omp parallel for if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = 1.0f / (1.0f + expf(-x[i]));
}

void cm_sigmoid_backward(float *dx, const float *dy, const float *y, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * y[i] * (1.0f - y[i]);
}

void cm_dropout_forward(float *y, float *mask, const float *x, size_t n, float p, int train, cm_rng *rng)
{
    if (!train || p <= 0.0f) {
        for (size_t i = 0; i < n; i++) {
            mask[i] = 1.0f;
            y[i] = x[i];
        }
        return;
    }
    /* Serial on purpose: the mask is a function of the stream alone, whatever
     * the thread count (same seed => same bits). 24-bit uniforms are plenty. */
    float scale = 1.0f / (1.0f - p);
    uint32_t cut = (uint32_t)((double)p * 16777216.0);
    for (size_t i = 0; i < n;) {
        uint64_t r = cm_rng_u64(rng);
        /* Two 24-bit draws per 64-bit output. */
        for (int k = 0; k < 2 && i < n; k++, i++) {
            uint32_t u = (uint32_t)(r >> (40 - 24 * k)) & 0xffffffu;
            mask[i] = u >= cut ? scale : 0.0f;
            y[i] = x[i] * mask[i];
        }
    }
}

void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * mask[i];
}
