/* Losses (nn.h): log-softmax, soft-target cross-entropy, PyTorch's kl_div,
 * mean squared error and L2 weight decay. Sums are accumulated in double
 * and in a fixed order, so the loss does not depend on the thread count. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include "nn/fastmath.h"

#include <math.h>

/* Rows are independent: parallel over rows once there is enough work. */
#define CM_ROWS_PAR CM_PAR_MIN_ELEMS

void cm_log_softmax_forward(float *logp, const float *z, int n, int c)
{
#pragma omp parallel for if ((size_t)n * c > CM_ROWS_PAR) schedule(static)
    for (int r = 0; r < n; r++) {
        const float *zr = z + (size_t)r * c;
        float *lr = logp + (size_t)r * c;
        float m = zr[0];
        for (int k = 1; k < c; k++)
            m = zr[k] > m ? zr[k] : m;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int k = 0; k < c; k++)
            s += cm_fexp(zr[k] - m);
        float lse = m + logf(s);
        for (int k = 0; k < c; k++)
            lr[k] = zr[k] - lse;
    }
}

void cm_log_softmax_backward(float *dz, const float *dlogp, const float *logp, int n, int c)
{
#pragma omp parallel for if ((size_t)n * c > CM_ROWS_PAR) schedule(static)
    for (int r = 0; r < n; r++) {
        const float *g = dlogp + (size_t)r * c, *lp = logp + (size_t)r * c;
        float *d = dz + (size_t)r * c;
        float s = 0.0f;
        for (int k = 0; k < c; k++)
            s += g[k];
        for (int k = 0; k < c; k++)
            d[k] += g[k] - cm_fexp(lp[k]) * s;
    }
}

double cm_softmax_xent_forward(float *logp, const float *z, const float *q, int n, int c)
{
    cm_log_softmax_forward(logp, z, n, c);
    double total = 0.0;
    for (int r = 0; r < n; r++) {
        const float *lr = logp + (size_t)r * c, *qr = q + (size_t)r * c;
        float s = 0.0f;
        for (int k = 0; k < c; k++)
            s += qr[k] * lr[k];
        total -= s;
    }
    return total;
}

void cm_softmax_xent_backward(float *dz, const float *logp, const float *q, int n, int c, float scale)
{
#pragma omp parallel for if ((size_t)n * c > CM_ROWS_PAR) schedule(static)
    for (int r = 0; r < n; r++) {
        const float *lr = logp + (size_t)r * c, *qr = q + (size_t)r * c;
        float *d = dz + (size_t)r * c;
        float qs = 0.0f;
        for (int k = 0; k < c; k++)
            qs += qr[k];
        for (int k = 0; k < c; k++)
            d[k] += scale * (cm_fexp(lr[k]) * qs - qr[k]);
    }
}

double cm_kl_div_forward(const float *input, const float *q, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        if (q[i] > 0.0f)
            total += (double)q[i] * ((double)logf(q[i]) - (double)input[i]);
    return total;
}

void cm_kl_div_backward(float *dinput, float *dq, const float *input, const float *q, size_t n, float scale)
{
    if (dinput)
        for (size_t i = 0; i < n; i++)
            dinput[i] -= scale * q[i];
    if (dq)
        for (size_t i = 0; i < n; i++)
            if (q[i] > 0.0f)
                dq[i] += scale * (logf(q[i]) + 1.0f - input[i]);
}

double cm_mse_forward(const float *y, const float *t, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)y[i] - (double)t[i];
        total += d * d;
    }
    return n ? total / (double)n : 0.0;
}

void cm_mse_backward(float *dy, const float *y, const float *t, size_t n, float scale)
{
    float k = n ? 2.0f * scale / (float)n : 0.0f;
    for (size_t i = 0; i < n; i++)
        dy[i] += k * (y[i] - t[i]);
}

double cm_l2_forward(const float *w, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += (double)w[i] * (double)w[i];
    return total;
}

void cm_l2_backward(float *dw, const float *w, size_t n, float scale)
{
    float k = 2.0f * scale;
#pragma omp parallel for simd if (n > CM_PAR_MIN_ELEMS) schedule(static)
    for (size_t i = 0; i < n; i++)
        dw[i] += k * w[i];
}
