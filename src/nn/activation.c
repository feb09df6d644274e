/* Element-wise activations and inverted dropout (nn.h). Backward passes use
 * the forward OUTPUT, which every caller keeps anyway. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include "nn/fastmath.h"

#include <math.h>
#include <string.h>

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
    /* Chunks of 256 elements: first the 64 hashes (a loop of 64-bit integer
     * arithmetic that vectorises), then the elements read their 16-bit
     * uniform from the hashes' bits as an array, element 4q + k getting bits
     * 16k.. of hash q. Hashing and masking in one loop with 4 elements per
     * hash kept GCC from vectorising it (scalar code, measured ~3x slower). */
    size_t chunks = (n + 255) / 256;
#pragma omp parallel for if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t c = 0; c < chunks; c++) {
        uint64_t h[64];
        uint16_t u[256];
        size_t i0 = c * 256, len = n - i0 < 256 ? n - i0 : 256;
#pragma omp simd
        for (size_t q = 0; q < 64; q++)
            h[q] = dropout_hash(key, i0 / 4 + q);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        memcpy(u, h, sizeof u); /* u[4q + k] = bits 16k.. of h[q] */
#else
        for (size_t q = 0; q < 64; q++)
            for (int k = 0; k < 4; k++)
                u[4 * q + k] = (uint16_t)(h[q] >> (16 * k));
#endif
        float *yc = y + i0, *mc = mask + i0;
        const float *xc = x + i0;
#pragma omp simd
        for (size_t i = 0; i < len; i++) {
            float mk = (uint32_t)u[i] >= cut ? scale : 0.0f;
            mc[i] = mk;
            yc[i] = xc[i] * mk;
        }
    }
}

void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * mask[i];
}
