/* Vectorisable exp, log, sigmoid and tanh for the engine's element-wise
 * passes. glibc's expf/tanhf are scalar calls that the compiler cannot
 * vectorise; these are branch-free so that `#pragma omp simd` loops turn
 * into AVX code. Accuracy: exp and log within ~2 ulp over the float range
 * (Cephes polynomials); sigmoid and tanh within ~2e-7 absolute. */
#ifndef COGMAP_NN_FASTMATH_H
#define COGMAP_NN_FASTMATH_H

/* The selects below (clamps, the tanh series switch, "q > 0 ? q : 1" in the
 * callers) are float compares; under GCC's default -ftrapping-math they may
 * not be if-converted, and the `omp simd` loops silently stay scalar (3x
 * slower, measured). We never rely on floating-point exception flags, so the
 * files that include this header are compiled without trapping math. */
#pragma GCC optimize("no-trapping-math")

#include <stdint.h>
#include <string.h>

#pragma omp declare simd notinbranch
static inline float cm_fexp(float x)
{
    /* exp(x) = 2^n exp(r), n = round(x / ln 2), r = x - n ln 2 in two parts. */
    x = x < -87.3f ? -87.3f : (x > 88.3f ? 88.3f : x);
    /* round to nearest by the 1.5 * 2^23 trick: plain arithmetic, so it vectorises */
    float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    float r = x - n * 0.693359375f;
    r = r + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    /* shifted as unsigned: a NaN input (whose n converts to INT_MIN) must not be UB; p is NaN anyway */
    uint32_t bits = (uint32_t)((int32_t)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* Natural log for x > 0 (normal floats). */
#pragma omp declare simd notinbranch
static inline float cm_flog(float x)
{
    int32_t bits;
    memcpy(&bits, &x, sizeof bits);
    int32_t e = ((bits >> 23) & 0xff) - 126;
    bits = (bits & 0x007fffff) | 0x3f000000; /* mantissa in [0.5, 1) */
    float m;
    memcpy(&m, &bits, sizeof m);
    /* keep m in [sqrt(1/2), sqrt 2) */
    int small = m < 0.707106781186547524f;
    e -= small;
    m = small ? m + m - 1.0f : m - 1.0f;
    float z = m * m;
    float y = 7.0376836292e-2f;
    y = y * m - 1.1514610310e-1f;
    y = y * m + 1.1676998740e-1f;
    y = y * m - 1.2420140846e-1f;
    y = y * m + 1.4249322787e-1f;
    y = y * m - 1.6668057665e-1f;
    y = y * m + 2.0000714765e-1f;
    y = y * m - 2.4999993993e-1f;
    y = y * m + 3.3333331174e-1f;
    y = y * m * z;
    float fe = (float)e;
    y += fe * -2.12194440e-4f;
    y += -0.5f * z;
    return m + y + fe * 0.693359375f;
}

#pragma omp declare simd notinbranch
static inline float cm_fsigmoid(float x) { return 1.0f / (1.0f + cm_fexp(-x)); }

/* tanh x = 1 - 2 / (exp(2x) + 1); for |x| < 0.0625 a short series keeps the
 * relative accuracy where the subtraction would lose it. */
#pragma omp declare simd notinbranch
static inline float cm_ftanh(float x)
{
    float big = 1.0f - 2.0f / (cm_fexp(2.0f * x) + 1.0f);
    float x2 = x * x;
    float small = x * (1.0f + x2 * (-0.333333333f + x2 * (0.133333333f + x2 * -0.0539682540f)));
    return (x < 0.0625f && x > -0.0625f) ? small : big;
}

#endif
