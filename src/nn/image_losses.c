/* Losses of SSM-PC's BEV predictor and target detector (ssm-pc.md §6.3, §7):
 * binary cross-entropy (on probabilities and on logits), L1, and BEVLoss's
 * total-variation smoothness term. Sums in double: a BEV batch has millions
 * of terms. */
#include "cogmap/nn.h"

#include <math.h>

double cm_bce_forward(const float *p, const float *t, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        /* PyTorch clamps each log at -100 so that p = 0 or 1 stays finite. */
        double lp = fmax(log((double)p[i]), -100.0);
        double lq = fmax(log1p(-(double)p[i]), -100.0);
        s -= t[i] * lp + (1.0 - t[i]) * lq;
    }
    return s;
}

void cm_bce_backward(float *dp, const float *p, const float *t, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) {
        float den = fmaxf(p[i] * (1.0f - p[i]), 1e-12f);
        dp[i] += scale * (p[i] - t[i]) / den;
    }
}

double cm_bce_logits_forward(const float *z, const float *t, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) {
        double x = z[i];
        s += fmax(x, 0.0) - x * t[i] + log1p(exp(-fabs(x)));
    }
    return s;
}

void cm_bce_logits_backward(float *dz, const float *z, const float *t, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        dz[i] += scale * (1.0f / (1.0f + expf(-z[i])) - t[i]);
}

double cm_l1_forward(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += fabs((double)a[i] - (double)b[i]);
    return s;
}

void cm_l1_backward(float *da, const float *a, const float *b, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) {
        float d = a[i] - b[i];
        da[i] += d > 0.0f ? scale : (d < 0.0f ? -scale : 0.0f);
    }
}

static float sgn(float d)
{
    return d > 0.0f ? 1.0f : (d < 0.0f ? -1.0f : 0.0f);
}

/* An image one pixel wide or tall has no pairs along that axis: that term's
 * mean would be 0/0 (NaN in PyTorch); it contributes 0 here. */
double cm_tv_forward(const float *x, int planes, int H, int W)
{
    double sh = 0.0, sv = 0.0;
    for (int pl = 0; pl < planes; pl++) {
        const float *img = x + (size_t)pl * H * W;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                if (j + 1 < W)
                    sh += fabs((double)img[i * W + j] - img[i * W + j + 1]);
                if (i + 1 < H)
                    sv += fabs((double)img[i * W + j] - img[(i + 1) * W + j]);
            }
    }
    double nh = (double)planes * H * (W - 1), nv = (double)planes * (H - 1) * W;
    return 0.5 * ((nh > 0 ? sh / nh : 0.0) + (nv > 0 ? sv / nv : 0.0));
}

void cm_tv_backward(float *dx, const float *x, int planes, int H, int W, float scale)
{
    double nh = (double)planes * H * (W - 1), nv = (double)planes * (H - 1) * W;
    float ch = nh > 0 ? (float)(0.5 * scale / nh) : 0.0f, cv = nv > 0 ? (float)(0.5 * scale / nv) : 0.0f;
    for (int pl = 0; pl < planes; pl++) {
        const float *img = x + (size_t)pl * H * W;
        float *d = dx + (size_t)pl * H * W;
        for (int i = 0; i < H; i++)
            for (int j = 0; j < W; j++) {
                if (j + 1 < W) {
                    float s = ch * sgn(img[i * W + j] - img[i * W + j + 1]);
                    d[i * W + j] += s;
                    d[i * W + j + 1] -= s;
                }
                if (i + 1 < H) {
                    float s = cv * sgn(img[i * W + j] - img[(i + 1) * W + j]);
                    d[i * W + j] += s;
                    d[(i + 1) * W + j] -= s;
                }
            }
    }
}
