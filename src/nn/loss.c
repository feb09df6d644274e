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

/* One read-out row, fused: log-softmax of the logits z into logp, the row's
 * loss sum_k q_k (log q_k - logp_k) (KL; 0 log 0 = 0) or -sum_k q_k logp_k
 * (cross-entropy), and, when dz is given, the loss gradient with respect to
 * the logits, dz = coef (softmax * sum q - q). Done separately these were
 * five passes over the [T*B, C] arrays (log-softmax, entropy, cross-entropy,
 * and in backward the sum of q and exp(logp) again); here the row stays in
 * L1 and exp is taken once per element. Returns the row's loss. */
float cm_softmax_loss_row(float *logp, float *dz, const float *z, const float *q, int C, int kl, float coef)
{
    float mx = z[0];
#pragma omp simd reduction(max : mx) /* max is exact in any order: vectorising it changes no bit */
    for (int k = 1; k < C; k++)
        mx = z[k] > mx ? z[k] : mx;
    float s = 0.0f, qs = 0.0f;
    if (dz) {
#pragma omp simd reduction(+ : s, qs)
        for (int k = 0; k < C; k++) {
            float e = cm_fexp(z[k] - mx);
            dz[k] = e; /* the unnormalised softmax, finished below */
            s += e;
            qs += q[k];
        }
    } else {
#pragma omp simd reduction(+ : s)
        for (int k = 0; k < C; k++)
            s += cm_fexp(z[k] - mx);
    }
    float lse = mx + logf(s), inv = 1.0f / s, loss = 0.0f;
    if (kl) {
#pragma omp simd reduction(+ : loss)
        for (int k = 0; k < C; k++) {
            float lp = z[k] - lse;
            logp[k] = lp;
            loss += q[k] * (cm_flog(q[k] > 0.0f ? q[k] : 1.0f) - lp); /* no branch: the loop vectorises */
        }
    } else {
#pragma omp simd reduction(+ : loss)
        for (int k = 0; k < C; k++) {
            float lp = z[k] - lse;
            logp[k] = lp;
            loss -= q[k] * lp;
        }
    }
    if (dz) {
        float a = coef * inv * qs;
#pragma omp simd
        for (int k = 0; k < C; k++)
            dz[k] = a * dz[k] - coef * q[k];
    }
    return loss;
}

/* dz[row] = coef * (softmax * sum q - q) for a soft target row. */
void cm_softmax_loss_row_grad(float *dz, const float *logp, const float *q, int C, float coef)
{
    float qs = 0.0f;
#pragma omp simd reduction(+ : qs)
    for (int k = 0; k < C; k++)
        qs += q[k];
#pragma omp simd
    for (int k = 0; k < C; k++)
        dz[k] = coef * (cm_fexp(logp[k]) * qs - q[k]);
}

/* KL(P_{t-1} || P_t) with log(P_t + 1e-10), of two log-softmax rows. */
float cm_kl_next_row(const float *lq, const float *lp, int C)
{
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < C; j++) {
        float q = cm_fexp(lq[j]);
        sum += q * (lq[j] - cm_flog(cm_fexp(lp[j]) + 1e-10f));
    }
    return sum;
}

void cm_kl_next_row_backward(float *dq, float *dp, const float *lq, const float *lp, int C, float u)
{
    /* d/dP_t = -u q / (P_t + 1e-10); d/dq = u (log q + 1 - log(P_t + 1e-10));
     * then through each softmax: dz = p (d - sum p d). */
    float sp = 0.0f, sq = 0.0f;
#pragma omp simd reduction(+ : sp, sq)
    for (int j = 0; j < C; j++) {
        float q = cm_fexp(lq[j]), p = cm_fexp(lp[j]);
        sp += p * (-u * q / (p + 1e-10f));
        sq += q * (u * (lq[j] + 1.0f - cm_flog(p + 1e-10f)));
    }
#pragma omp simd
    for (int j = 0; j < C; j++) {
        float q = cm_fexp(lq[j]), p = cm_fexp(lp[j]);
        dp[j] += p * (-u * q / (p + 1e-10f) - sp);
        dq[j] += q * (u * (lq[j] + 1.0f - cm_flog(p + 1e-10f)) - sq);
    }
}
