/* SSM-PC's training-time BEV rotation (ssm-pc.md §3.4: PIL's Image.rotate,
 * BICUBIC, about (125, 125)), for any window of the output; cm_bev_rotate is
 * the whole-image window. Output pixels whose sixteen source pixels are all
 * transparent -- most of a BEV -- are 0 without arithmetic (their
 * premultiplied taps are all 0, so the sum would be too), found with one
 * look-up in a map of the source's alpha dilated by the kernel's support:
 * several times faster than computing every pixel, same bits. */
#include "cogmap/world.h"

#include <math.h>
#include <string.h>

/* The cubic convolution kernel of Pillow's affine transforms (a = -1), as in bev.c. */
static double cubic(double x)
{
    const double a = -1.0;
    x = fabs(x);
    if (x < 1.0)
        return ((a + 2.0) * x - (a + 3.0)) * x * x + 1.0;
    if (x < 2.0)
        return (((x - 5.0) * x + 8.0) * x - 4.0) * a;
    return 0.0;
}

static uint8_t muldiv255(unsigned a, unsigned b)
{
    unsigned t = a * b + 128;
    return (uint8_t)((t + (t >> 8)) >> 8);
}

void cm_bev_rotate_window(const uint8_t *rgba, float theta, int x0, int y0, int w, int h, uint8_t *out)
{
    const int P = CM_BEV_PIXELS;
    /* PIL Image.rotate(deg(theta) + 90, BICUBIC, center=(125, 125)): output
     * pixel centres map back through the rotation by -angle (an affine
     * transform sampled at pixel centres); outside the source is transparent.
     * Pillow resamples RGBA as premultiplied RGBa and truncates, so this does
     * too: partly transparent edges keep their colour instead of darkening. */
    /* any[(iy + 1) * (P + 1) + ix + 1]: some alpha > 0 among the source rows
     * iy-1..iy+2 and columns ix-1..ix+2 (clamped), for ix, iy in -1..P-1. */
    enum { Q = CM_BEV_PIXELS + 1, W = CM_BEV_PIXELS + 4 };
    /* alpha != 0 with two columns / rows of zeros around: the clamped
     * neighbourhood's OR is the OR over the padded one */
    uint8_t pad[W * W], rows[W * Q], any[Q * Q]; /* 190 kB of stack */
    memset(pad, 0, sizeof pad);
    for (int y = 0; y < P; y++)
        for (int x = 0; x < P; x++)
            pad[(y + 2) * W + x + 2] = rgba[(y * P + x) * 4 + 3] != 0;
    for (int y = 0; y < W; y++) /* columns ix-1..ix+2 = padded x ix+1..ix+4, ix = -1..P-1 */
        for (int i = 0; i < Q; i++)
            rows[y * Q + i] = pad[y * W + i] | pad[y * W + i + 1] | pad[y * W + i + 2] | pad[y * W + i + 3];
    for (int i = 0; i < Q; i++)
        for (int x = 0; x < Q; x++)
            any[i * Q + x] = rows[i * Q + x] | rows[(i + 1) * Q + x] | rows[(i + 2) * Q + x] | rows[(i + 3) * Q + x];
    double phi = -(theta + M_PI / 2.0);
    double ca = cos(phi), sa = sin(phi);
    const double c = 125.0;
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            uint8_t *o = &out[((size_t)(y - y0) * w + (x - x0)) * 4];
            memset(o, 0, 4);
            if (x < 0 || y < 0 || x >= P || y >= P)
                continue;
            double ox = x + 0.5 - c, oy = y + 0.5 - c;
            double sx = ca * ox + sa * oy + c, sy = -sa * ox + ca * oy + c;
            if (!(sx >= 0.0 && sy >= 0.0 && sx < P && sy < P))
                continue;
            double fx = sx - 0.5, fy = sy - 0.5;
            int ix = (int)floor(fx), iy = (int)floor(fy); /* in -1..P-1 */
            if (!any[(iy + 1) * Q + ix + 1])
                continue;
            int xs[4], ys[4];
            for (int k = 0; k < 4; k++) {
                int xx = ix + k - 1, yy = iy + k - 1;
                xs[k] = xx < 0 ? 0 : xx >= P ? P - 1 : xx;
                ys[k] = yy < 0 ? 0 : yy >= P ? P - 1 : yy;
            }
            double tx = fx - ix, ty = fy - iy;
            double wx[4], wy[4];
            for (int k = 0; k < 4; k++) {
                wx[k] = cubic((double)(k - 1) - tx);
                wy[k] = cubic((double)(k - 1) - ty);
            }
            double acc[4] = {0, 0, 0, 0};
            for (int j = 0; j < 4; j++)
                for (int i = 0; i < 4; i++) {
                    const uint8_t *s = &rgba[(ys[j] * P + xs[i]) * 4];
                    double wgt = wx[i] * wy[j];
                    acc[0] += wgt * muldiv255(s[0], s[3]);
                    acc[1] += wgt * muldiv255(s[1], s[3]);
                    acc[2] += wgt * muldiv255(s[2], s[3]);
                    acc[3] += wgt * s[3];
                }
            for (int k = 0; k < 4; k++)
                o[k] = (uint8_t)(acc[k] <= 0.0 ? 0.0 : acc[k] >= 255.0 ? 255.0 : acc[k]);
            /* back to straight alpha (Pillow's RGBa -> RGBA) */
            unsigned a = o[3];
            if (a != 0 && a != 255)
                for (int k = 0; k < 3; k++) {
                    unsigned v = 255u * o[k] / a;
                    o[k] = (uint8_t)(v > 255 ? 255 : v);
                }
        }
}
