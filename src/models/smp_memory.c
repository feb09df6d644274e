/* SMP's memory read-outs (smp.md §3.4-3.5, gradients §3.7): the visual
 * similarity, the softmaxes over slots, the prediction P(s|x) with its
 * cross-entropy, and the correction code. Plain functions over flat buffers. */
#include "cogmap/smp.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

void cm_smp_similarity(float *sim, const float *y, const float *my, int n, int s, int d)
{
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, s, d, 1.0f, y, d, my, d, 0.0f, sim, s);
}

/* Softmax of one row in double (the sums over 512 slots must not lose the
 * small probabilities the cross-entropy weighs); returns its entropy. */
static double softmax_row(float *p, const float *z, int s, float scale)
{
    double mx = -INFINITY;
    for (int j = 0; j < s; j++)
        if (scale * z[j] > mx)
            mx = scale * z[j];
    double sum = 0;
    for (int j = 0; j < s; j++)
        sum += exp(scale * (double)z[j] - mx);
    const double lse = mx + log(sum);
    double ent = 0;
    for (int j = 0; j < s; j++) {
        const double lp = scale * (double)z[j] - lse;
        const double pj = exp(lp);
        ent -= pj * lp;
        p[j] = (float)pj;
    }
    return ent;
}

double cm_smp_softmax(float *p, const float *sim, int n, int s, float scale)
{
    double ent = 0;
    for (int i = 0; i < n; i++)
        ent += softmax_row(p + (size_t)i * s, sim + (size_t)i * s, s, scale);
    return n > 0 ? ent / n : 0;
}

double cm_smp_predict_forward(float *logp, const float *const *h, const float *const *mx, const int *H,
                              const float *pi, int R, const float *target, int n, int s)
{
    for (int r = 0; r < R; r++)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, s, H[r], pi[r], h[r], H[r], mx[r], H[r],
                    r == 0 ? 0.0f : 1.0f, logp, s);
    double loss = 0;
    for (int i = 0; i < n; i++) {
        float *z = logp + (size_t)i * s;
        const float *t = target + (size_t)i * s;
        double m = -INFINITY;
        for (int j = 0; j < s; j++)
            if (z[j] > m)
                m = z[j];
        double sum = 0;
        for (int j = 0; j < s; j++)
            sum += exp((double)z[j] - m);
        const double lse = m + log(sum);
        for (int j = 0; j < s; j++) {
            const double lp = (double)z[j] - lse;
            z[j] = (float)lp;
            loss -= t[j] * lp;
        }
    }
    return loss;
}

void cm_smp_predict_backward(float *const *dh, float *const *dmx, double *drho, const float *logp,
                             const float *const *h, const float *const *mx, const int *H, const float *pi, int R,
                             const float *target, int n, int s, float scale, float *g)
{
    const size_t ns = (size_t)n * s;
    float *gm = g + ns; /* [n, H_r]: g . mx_r, shared by dh and drho */
    for (size_t k = 0; k < ns; k++)
        g[k] = scale * (expf(logp[k]) - target[k]);
    for (int r = 0; r < R; r++) {
        if (dmx && dmx[r])
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, H[r], n, pi[r], g, s, h[r], H[r], 1.0f, dmx[r],
                        H[r]);
        if (!(dh && dh[r]) && !drho)
            continue;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, H[r], s, 1.0f, g, s, mx[r], H[r], 0.0f, gm, H[r]);
        const size_t nh = (size_t)n * H[r];
        if (dh && dh[r])
            for (size_t k = 0; k < nh; k++)
                dh[r][k] += pi[r] * gm[k];
        if (drho) {
            /* d/d rho_r of pi_r sum_ij g_ij (h_i . mx_j) = pi_r sum_i h_i . (g mx)_i */
            double acc = 0;
            for (size_t k = 0; k < nh; k++)
                acc += (double)h[r][k] * gm[k];
            drho[r] += pi[r] * acc;
        }
    }
}

void cm_smp_correction_forward(float *code, float *w, const float *sim, const float *mx, int n, int s, int h,
                               float gamma)
{
    cm_smp_softmax(w, sim, n, s, gamma);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, h, s, 1.0f, w, s, mx, h, 0.0f, code, h);
}

void cm_smp_correction_backward(float *dmx, double *dq, const float *dcode, const float *w, const float *sim,
                                const float *mx, int n, int s, int h, float gamma, float *dw)
{
    if (dmx)
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, s, h, n, 1.0f, w, s, dcode, h, 1.0f, dmx, h);
    if (!dq)
        return;
    /* dw = dcode . mx^T; through the softmax: dlogit = w (dw - w.dw);
     * logit = gamma sim, gamma = exp(q): dq = gamma sum dlogit sim. */
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, s, h, 1.0f, dcode, h, mx, h, 0.0f, dw, s);
    double acc = 0;
    for (int i = 0; i < n; i++) {
        const float *wi = w + (size_t)i * s, *dwi = dw + (size_t)i * s, *si = sim + (size_t)i * s;
        double wdw = 0;
        for (int j = 0; j < s; j++)
            wdw += (double)wi[j] * dwi[j];
        for (int j = 0; j < s; j++)
            acc += (double)wi[j] * (dwi[j] - wdw) * si[j];
    }
    *dq += gamma * acc;
}
