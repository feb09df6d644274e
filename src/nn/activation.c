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

/* Elements [lo, hi) of the mask of `key`, inside one 256-element block
 * (lo / 256 == (hi - 1) / 256). Element i reads its 16-bit uniform from bits
 * 16 (i % 4).. of hash i / 4, so the mask is a function of the global index
 * alone: the same whatever the blocks, ranges or threads. The block's 64
 * hashes first (a loop of 64-bit integer arithmetic that vectorises), then
 * the elements read them as an array of 16-bit values. Hashing and masking in
 * one loop with 4 elements per hash kept GCC from vectorising it (scalar
 * code, measured ~3x slower). */
static void dropout_block(float *y, float *mask, const float *x, size_t lo, size_t hi, size_t shift, uint64_t key,
                          uint32_t cut, float scale)
{
    uint64_t h[64];
    uint16_t u[256];
    size_t i0 = lo / 256 * 256;
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
    /* Buffer element i - shift holds global element i. */
    const uint16_t *uc = u + (lo - i0);
    float *yc = y + (lo - shift), *mc = mask + (lo - shift);
    const float *xc = x + (lo - shift);
    size_t len = hi - lo;
#pragma omp simd
    for (size_t i = 0; i < len; i++) {
        float mk = (uint32_t)uc[i] >= cut ? scale : 0.0f;
        mc[i] = mk;
        yc[i] = xc[i] * mk;
    }
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
    uint64_t key = cm_rng_u64(rng);
    cm_dropout_range(y, mask, x, 0, n, p, key);
}

/* Global elements [lo, hi) into buffers whose element 0 is global element `shift`. */
static void dropout_span(float *y, float *mask, const float *x, size_t lo, size_t hi, size_t shift, float p,
                         uint64_t key)
{
    float scale = 1.0f / (1.0f - p);
    uint32_t cut = (uint32_t)((double)p * 65536.0 + 0.5);
    size_t b0 = lo / 256, b1 = (hi + 255) / 256;
#pragma omp parallel for if (hi - lo > CM_ELEMWISE_PAR) schedule(static)
    for (size_t c = b0; c < b1; c++) {
        size_t a = c * 256 > lo ? c * 256 : lo, e = (c + 1) * 256 < hi ? (c + 1) * 256 : hi;
        dropout_block(y, mask, x, a, e, shift, key, cut, scale);
    }
}

void cm_dropout_range(float *y, float *mask, const float *x, size_t lo, size_t hi, float p, uint64_t key)
{
    dropout_span(y, mask, x, lo, hi, 0, p, key);
}

void cm_dropout_range_at(float *y, float *mask, const float *x, size_t n, size_t first, float p, uint64_t key)
{
    dropout_span(y, mask, x, first, first + n, first, p, key);
}

void cm_dropout_backward(float *dx, const float *dy, const float *mask, size_t n)
{
#pragma omp parallel for simd if (n > CM_ELEMWISE_PAR) schedule(static)
    for (size_t i = 0; i < n; i++)
        dx[i] += dy[i] * mask[i];
}
