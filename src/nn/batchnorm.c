/* Batch normalisation over x[N, C, S] per channel (BatchNorm1d/2d), PyTorch's
 * exact statistics: biased variance to normalise, unbiased variance for the
 * running average. Sums are taken in double so that large batches of images
 * (B*250*250 values per channel) keep float32 accuracy. */
#include "cogmap/nn.h"

#include <math.h>

void cm_batchnorm_forward(float *y, float *mean, float *rstd, const float *x, const float *gamma, const float *beta,
                          float *running_mean, float *running_var, int N, int C, int S, float eps, float momentum,
                          int train)
{
    const size_t M = (size_t)N * S;
    for (int c = 0; c < C; c++) {
        double mu, var;
        if (train) {
            double s = 0.0;
            for (int n = 0; n < N; n++) {
                const float *xc = x + ((size_t)n * C + c) * S;
                for (int i = 0; i < S; i++)
                    s += xc[i];
            }
            mu = s / (double)M;
            double q = 0.0;
            for (int n = 0; n < N; n++) {
                const float *xc = x + ((size_t)n * C + c) * S;
                for (int i = 0; i < S; i++) {
                    double d = xc[i] - mu;
                    q += d * d;
                }
            }
            var = q / (double)M;
            if (running_mean)
                running_mean[c] = (float)((1.0 - momentum) * running_mean[c] + momentum * mu);
            if (running_var) {
                double unbiased = M > 1 ? q / (double)(M - 1) : q;
                running_var[c] = (float)((1.0 - momentum) * running_var[c] + momentum * unbiased);
            }
        } else {
            mu = running_mean ? running_mean[c] : 0.0;
            var = running_var ? running_var[c] : 1.0;
        }
        float m = (float)mu, r = (float)(1.0 / sqrt(var + eps));
        mean[c] = m;
        rstd[c] = r;
        float a = (gamma ? gamma[c] : 1.0f) * r, b0 = beta ? beta[c] : 0.0f;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S;
            float *yc = y + ((size_t)n * C + c) * S;
            for (int i = 0; i < S; i++)
                yc[i] = (xc[i] - m) * a + b0;
        }
    }
}

void cm_batchnorm_backward(float *dx, float *dgamma, float *dbeta, const float *dy, const float *x, const float *mean,
                           const float *rstd, const float *gamma, int N, int C, int S, int train)
{
    const size_t M = (size_t)N * S;
    for (int c = 0; c < C; c++) {
        const float m = mean[c], r = rstd[c], gm = gamma ? gamma[c] : 1.0f;
        double sdy = 0.0, sdyx = 0.0; /* sum dy, sum dy * xhat */
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
            for (int i = 0; i < S; i++) {
                sdy += dc[i];
                sdyx += dc[i] * ((xc[i] - m) * r);
            }
        }
        if (dgamma)
            dgamma[c] += (float)sdyx;
        if (dbeta)
            dbeta[c] += (float)sdy;
        if (!dx)
            continue;
        /* train: dx = gamma r (dy - mean(dy) - xhat mean(dy xhat)); eval: the
         * statistics are constants, dx = gamma r dy. */
        const float k = gm * r;
        const float mdy = train ? (float)(sdy / (double)M) : 0.0f;
        const float mdyx = train ? (float)(sdyx / (double)M) : 0.0f;
        for (int n = 0; n < N; n++) {
            const float *xc = x + ((size_t)n * C + c) * S, *dc = dy + ((size_t)n * C + c) * S;
            float *dxc = dx + ((size_t)n * C + c) * S;
            for (int i = 0; i < S; i++)
                dxc[i] += k * (dc[i] - mdy - (xc[i] - m) * r * mdyx);
        }
    }
}
