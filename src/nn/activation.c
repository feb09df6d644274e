/* Element-wise activations and inverted dropout (nn.h). Backward passes use
 * the forward OUTPUT, which every caller keeps anyway. */
#include "cogmap/nn.h"

#include "nn/fastmath.h"

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
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = cm_ftanh(x[i]);
}

void cm_tanh_backward(float *dx, const float *dy, const float *y, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * (1.0f - y[i] * y[i]);
}

void cm_sigmoid_forward(float *y, const float *x, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        y[i] = cm_fsigmoid(x[i]);
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
    /* The mask is drawn serially on purpose: it is a function of the stream
     * alone, whatever the thread count (same seed => same bits). Four 16-bit
     * uniforms per 64-bit draw: p is resolved to 1/65536, plenty for dropout. */
    float scale = 1.0f / (1.0f - p);
    uint32_t cut = (uint32_t)((double)p * 65536.0 + 0.5);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        uint64_t r = cm_rng_u64(rng);
        for (int k = 0; k < 4; k++)
            mask[i + k] = (uint32_t)((r >> (16 * k)) & 0xffffu) >= cut ? scale : 0.0f;
    }
    if (i < n) {
        uint64_t r = cm_rng_u64(rng);
        for (int k = 0; i < n; k++, i++)
            mask[i] = (uint32_t)((r >> (16 * k)) & 0xffffu) >= cut ? scale : 0.0f;
    }
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t j = 0; j < n; j++)
        y[j] = x[j] * mask[j];
}

void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * mask[i];
}
