/* Gradient clipping (nn.h). The norm is summed in fixed chunks and then in
 * chunk order, so it has the same bits at every thread count. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include <math.h>

#define CM_NORM_CHUNKS 64

double cm_norm2(const float *g, size_t n)
{
    double part[CM_NORM_CHUNKS];
    size_t chunk = (n + CM_NORM_CHUNKS - 1) / CM_NORM_CHUNKS;
#pragma omp parallel for if (n > CM_PAR_MIN_ELEMS) schedule(static)
    for (int k = 0; k < CM_NORM_CHUNKS; k++) {
        size_t lo = (size_t)k * chunk, hi = lo + chunk < n ? lo + chunk : n;
        double s = 0.0;
        for (size_t i = lo; i < hi; i++)
            s += (double)g[i] * (double)g[i];
        part[k] = s;
    }
    double total = 0.0;
    for (int k = 0; k < CM_NORM_CHUNKS; k++)
        total += part[k];
    return sqrt(total);
}

double cm_clip_grad_norm(float *g, size_t n, double max_norm)
{
    double norm = cm_norm2(g, n);
    double coef = max_norm / (norm + 1e-6); /* PyTorch's epsilon */
    if (coef < 1.0) {
        float c = (float)coef;
#pragma omp parallel for simd if (n > CM_PAR_MIN_ELEMS) schedule(static)
        for (size_t i = 0; i < n; i++)
            g[i] *= c;
    }
    return norm;
}

void cm_clip_grad_value(float *g, size_t n, float v)
{
#pragma omp parallel for simd if (n > CM_PAR_MIN_ELEMS) schedule(static)
    for (size_t i = 0; i < n; i++)
        g[i] = g[i] > v ? v : (g[i] < -v ? -v : g[i]);
}
