/* Max, average and global average pooling (PyTorch semantics, floor mode). */
#include "cogmap/nn.h"

#include <float.h>

int cm_pool2d_out(int in, int k, int s, int p)
{
    if (in <= 0 || k <= 0 || s <= 0 || p < 0 || 2 * p > k) /* PyTorch: pad <= kernel / 2 */
        return 0;
    int span = in + 2 * p - k;
    return span < 0 ? 0 : span / s + 1;
}

void cm_maxpool2d_forward(float *y, int32_t *argmax, const float *x, int N, int C, int H, int W, int k, int s, int p)
{
    const int OH = cm_pool2d_out(H, k, s, p), OW = cm_pool2d_out(W, k, s, p);
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        const float *xp = x + plane * H * W;
        float *yp = y + plane * OH * OW;
        int32_t *ap = argmax + plane * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float best = -FLT_MAX;
                int32_t at = -1;
                for (int ki = 0; ki < k; ki++) {
                    int iy = oy * s - p + ki;
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kj = 0; kj < k; kj++) {
                        int ix = ox * s - p + kj;
                        if (ix < 0 || ix >= W)
                            continue;
                        float v = xp[iy * W + ix];
                        /* First maximum wins; NaN propagates as in PyTorch. */
                        if (at < 0 || v > best || v != v) {
                            best = v;
                            at = iy * W + ix;
                            if (v != v)
                                goto done;
                        }
                    }
                }
            done:
                yp[oy * OW + ox] = best;
                ap[oy * OW + ox] = at;
            }
    }
}

void cm_maxpool2d_backward(float *dx, const float *dy, const int32_t *argmax, int N, int C, int H, int W, int k, int s,
                           int p)
{
    const int OH = cm_pool2d_out(H, k, s, p), OW = cm_pool2d_out(W, k, s, p);
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        float *dxp = dx + plane * H * W;
        const float *dyp = dy + plane * OH * OW;
        const int32_t *ap = argmax + plane * OH * OW;
        for (int i = 0; i < OH * OW; i++)
            if (ap[i] >= 0)
                dxp[ap[i]] += dyp[i];
    }
}

void cm_avgpool2d_forward(float *y, const float *x, int N, int C, int H, int W, int k, int s, int p)
{
    const int OH = cm_pool2d_out(H, k, s, p), OW = cm_pool2d_out(W, k, s, p);
    const float inv = 1.0f / (float)(k * k);
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        const float *xp = x + plane * H * W;
        float *yp = y + plane * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float sum = 0.0f;
                for (int ki = 0; ki < k; ki++) {
                    int iy = oy * s - p + ki;
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kj = 0; kj < k; kj++) {
                        int ix = ox * s - p + kj;
                        if (ix >= 0 && ix < W)
                            sum += xp[iy * W + ix];
                    }
                }
                yp[oy * OW + ox] = sum * inv;
            }
    }
}

void cm_avgpool2d_backward(float *dx, const float *dy, int N, int C, int H, int W, int k, int s, int p)
{
    const int OH = cm_pool2d_out(H, k, s, p), OW = cm_pool2d_out(W, k, s, p);
    const float inv = 1.0f / (float)(k * k);
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        float *dxp = dx + plane * H * W;
        const float *dyp = dy + plane * OH * OW;
        for (int oy = 0; oy < OH; oy++)
            for (int ox = 0; ox < OW; ox++) {
                float g = dyp[oy * OW + ox] * inv;
                for (int ki = 0; ki < k; ki++) {
                    int iy = oy * s - p + ki;
                    if (iy < 0 || iy >= H)
                        continue;
                    for (int kj = 0; kj < k; kj++) {
                        int ix = ox * s - p + kj;
                        if (ix >= 0 && ix < W)
                            dxp[iy * W + ix] += g;
                    }
                }
            }
    }
}

void cm_global_avgpool_forward(float *y, const float *x, int N, int C, int S)
{
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        double sum = 0.0;
        for (int i = 0; i < S; i++)
            sum += x[plane * S + i];
        y[plane] = (float)(sum / S);
    }
}

void cm_global_avgpool_backward(float *dx, const float *dy, int N, int C, int S)
{
    for (size_t plane = 0; plane < (size_t)N * C; plane++) {
        float g = dy[plane] / (float)S;
        for (int i = 0; i < S; i++)
            dx[plane * S + i] += g;
    }
}
