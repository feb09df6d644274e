/* Element-wise activations and inverted dropout (nn.h). Backward passes use
 * the forward OUTPUT, which every caller keeps anyway. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include "nn/fastmath.h"

#include <math.h>

/* Below this many elements a parallel region costs more than it saves. */
#define CM_ELEMWISE_PAR CM_PAR_MIN_ELEMS

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

/* splitmix64's finaliser of key + q * golden ratio: 64 well-mixed bits per index. */
#pragma omp declare simd uniform(key) notinbranch
static inline uint64_t dropout_hash(uint64_t key, uint64_t q)
{
    uint64_t z = key + q * 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
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
    /* One 64-bit key from the stream per call; the mask is then a hash of
     * (key, index) (splitmix64's finaliser), so it is the same whatever the
     * thread count, and the loop vectorises and splits across threads. Four
     * 16-bit uniforms per hash: p is resolved to 1/65536, plenty for dropout. */
    float scale = 1.0f / (1.0f - p);
    uint32_t cut = (uint32_t)((double)p * 65536.0 + 0.5);
    uint64_t key = cm_rng_u64(rng);
    size_t full = n / 4;
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t q = 0; q < full; q++) {
        uint64_t z = dropout_hash(key, q);
        for (int k = 0; k < 4; k++) {
            float mk = (uint32_t)((z >> (16 * k)) & 0xffffu) >= cut ? scale : 0.0f;
            mask[4 * q + k] = mk;
            y[4 * q + k] = x[4 * q + k] * mk;
        }
    }
    if (full * 4 < n) {
        uint64_t z = dropout_hash(key, full);
        for (size_t i = full * 4; i < n; i++) {
            mask[i] = (uint32_t)((z >> (16 * (i - full * 4))) & 0xffffu) >= cut ? scale : 0.0f;
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
