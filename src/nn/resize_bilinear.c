/* Bilinear resize with align_corners=False (F.interpolate(mode="bilinear")),
 * the last step of SSM-PC's BEV head: 256x256 -> 250x250 (ssm-pc.md §6.2 step 7,
 * §13). Source coordinates use half-pixel centres, src = (dst + 0.5) in/out - 0.5,
 * clamped at 0 as PyTorch does; the right/bottom neighbour is clamped to the edge. */
#include "cogmap/nn.h"

/* Per output index: the two source indices and their weights. */
static void axis_weights(int in, int out, int o, int *i0, int *i1, float *w0, float *w1)
{
    const float scale = (float)in / (float)out;
    float src = ((float)o + 0.5f) * scale - 0.5f;
    if (src < 0.0f)
        src = 0.0f;
    int lo = (int)src;
    if (lo > in - 1)
        lo = in - 1;
    float l1 = src - (float)lo;
    *i0 = lo;
    *i1 = lo < in - 1 ? lo + 1 : lo;
    *w0 = 1.0f - l1;
    *w1 = l1;
}

void cm_resize_bilinear_forward(float *y, const float *x, int planes, int H, int W, int OH, int OW)
{
    /* The columns' indices and weights once per call (OW <= 2048 in every
     * caller; wider outputs take them per pixel): the same values and the
     * same expression per pixel, without its index arithmetic (4% of a BEV
     * inference). */
    enum { MAX_COLS = 2048 };
    int cx0[MAX_COLS], cx1[MAX_COLS];
    float cb0[MAX_COLS], cb1[MAX_COLS];
    const int cached = OW <= MAX_COLS;
    for (int ox = 0; cached && ox < OW; ox++)
        axis_weights(W, OW, ox, &cx0[ox], &cx1[ox], &cb0[ox], &cb1[ox]);
    for (int p = 0; p < planes; p++) {
        const float *img = x + (size_t)p * H * W;
        for (int oy = 0; oy < OH; oy++) {
            int y0, y1;
            float a0, a1;
            axis_weights(H, OH, oy, &y0, &y1, &a0, &a1);
            const float *r0 = img + (size_t)y0 * W, *r1 = img + (size_t)y1 * W;
            float *dst = y + ((size_t)p * OH + oy) * OW;
            for (int ox = 0; ox < OW; ox++) {
                int x0, x1;
                float b0, b1;
                if (cached) {
                    x0 = cx0[ox], x1 = cx1[ox], b0 = cb0[ox], b1 = cb1[ox];
                } else {
                    axis_weights(W, OW, ox, &x0, &x1, &b0, &b1);
                }
                dst[ox] = a0 * (b0 * r0[x0] + b1 * r0[x1]) + a1 * (b0 * r1[x0] + b1 * r1[x1]);
            }
        }
    }
}

void cm_resize_bilinear_backward(float *dx, const float *dy, int planes, int H, int W, int OH, int OW)
{
    for (int p = 0; p < planes; p++) {
        float *d = dx + (size_t)p * H * W;
        const float *g = dy + (size_t)p * OH * OW;
        for (int oy = 0; oy < OH; oy++) {
            int y0, y1;
            float a0, a1;
            axis_weights(H, OH, oy, &y0, &y1, &a0, &a1);
            for (int ox = 0; ox < OW; ox++) {
                int x0, x1;
                float b0, b1;
                axis_weights(W, OW, ox, &x0, &x1, &b0, &b1);
                const float v = g[oy * OW + ox];
                d[y0 * W + x0] += a0 * b0 * v;
                d[y0 * W + x1] += a0 * b1 * v;
                d[y1 * W + x0] += a1 * b0 * v;
                d[y1 * W + x1] += a1 * b1 * v;
            }
        }
    }
}
