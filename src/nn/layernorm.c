/* Layer normalisation over the last dimension (nn.LayerNorm(D), eps 1e-5 in
 * PyTorch), with the biased variance as PyTorch uses. */
#include "cogmap/nn.h"

#include <math.h>

void cm_layernorm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                          int N, int D, float eps)
{
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * D;
        float *yr = y + (size_t)n * D;
        double s = 0.0;
        for (int i = 0; i < D; i++)
            s += xr[i];
        double mu = s / D, q = 0.0;
        for (int i = 0; i < D; i++) {
            double d = xr[i] - mu;
            q += d * d;
        }
        float m = (float)mu, r = (float)(1.0 / sqrt(q / D + eps));
        mean[n] = m;
        rstd[n] = r;
        for (int i = 0; i < D; i++) {
            float h = (xr[i] - m) * r;
            yr[i] = gamma ? h * gamma[i] + (beta ? beta[i] : 0.0f) : h + (beta ? beta[i] : 0.0f);
        }
    }
}

void cm_layernorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *gamma, int N, int D)
{
    for (int n = 0; n < N; n++) {
        const float *xr = x + (size_t)n * D, *dr = dy + (size_t)n * D;
        const float m = mean[n], r = rstd[n];
        float sg = 0.0f, sgx = 0.0f; /* sum g, sum g * xhat, with g = dy * gamma */
        for (int i = 0; i < D; i++) {
            float h = (xr[i] - m) * r;
            float g = dr[i] * (gamma ? gamma[i] : 1.0f);
            sg += g;
            sgx += g * h;
            if (dgamma)
                dgamma[i] += dr[i] * h;
            if (dbeta)
                dbeta[i] += dr[i];
        }
        if (!dx)
            continue;
        float *dxr = dx + (size_t)n * D;
        const float mg = sg / D, mgx = sgx / D;
        for (int i = 0; i < D; i++) {
            float h = (xr[i] - m) * r;
            float g = dr[i] * (gamma ? gamma[i] : 1.0f);
            dxr[i] += r * (g - mg - h * mgx);
        }
    }
}
