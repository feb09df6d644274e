/* SSM-PC's BEVLoss (ssm-pc.md §6.3) on a prediction [n, 4, O, O] and a uint8
 * RGBA target [n, O, O, 4] (ToTensor: byte / 255):
 *   L_alpha  = mean BCE(alpha_hat, alpha) over n O O pixels,
 *   L_rgb    = mean (rgb_hat m - rgb m)^2 over ALL n 3 O O values, m = [alpha > 0.5],
 *   L_smooth = (mean |horizontal diff| + mean |vertical diff|) / 2 of alpha_hat,
 *   L = alpha_w L_alpha + rgb_w L_rgb + smooth_w L_smooth. */
#include "models/bevnet_internal.h"

#include <math.h>

/* alpha > 0.5 on bytes: byte / 255 > 0.5 exactly when byte >= 128. */
#define VISIBLE(a) ((a) >= 128)

double bev_loss_forward(const cm_bevnet_config *c, const float *out, const uint8_t *target, int n, double *l_alpha,
                        double *l_rgb, double *l_smooth)
{
    const int O = c->out;
    const size_t plane = (size_t)O * O;
    double bce = 0.0, se = 0.0, tv = 0.0;
    for (int b = 0; b < n; b++) {
        const float *img = out + (size_t)b * 4 * plane;
        const uint8_t *t = target + (size_t)b * plane * 4;
        const float *ah = img + 3 * plane;
        for (size_t i = 0; i < plane; i++) {
            const float a = (float)t[4 * i + 3] / 255.0f;
            const double p = ah[i];
            bce -= a * fmax(log(p), -100.0) + (1.0 - a) * fmax(log1p(-p), -100.0);
            if (VISIBLE(t[4 * i + 3]))
                for (int ch = 0; ch < 3; ch++) {
                    const double e = (double)img[ch * plane + i] - (double)((float)t[4 * i + ch] / 255.0f);
                    se += e * e;
                }
        }
        tv += cm_tv_forward(ah, 1, O, O);
    }
    *l_alpha = bce / ((double)n * plane);
    *l_rgb = se / ((double)n * 3 * plane);
    *l_smooth = tv / n;
    return c->alpha_w * *l_alpha + c->rgb_w * *l_rgb + c->smooth_w * *l_smooth;
}

void bev_loss_backward(const cm_bevnet_config *c, float *dout, const float *out, const uint8_t *target, int n,
                       float scale)
{
    const int O = c->out;
    const size_t plane = (size_t)O * O;
    const float ka = (float)(scale * c->alpha_w / ((double)n * plane));
    const float kr = (float)(scale * c->rgb_w * 2.0 / ((double)n * 3 * plane));
    const float ks = (float)(scale * c->smooth_w / n);
    for (int b = 0; b < n; b++) {
        const float *img = out + (size_t)b * 4 * plane;
        float *dimg = dout + (size_t)b * 4 * plane;
        const uint8_t *t = target + (size_t)b * plane * 4;
        const float *ah = img + 3 * plane;
        float *dah = dimg + 3 * plane;
        for (size_t i = 0; i < plane; i++) {
            const float a = (float)t[4 * i + 3] / 255.0f, p = ah[i];
            /* PyTorch's BCE gradient: (p - t) / max(p (1 - p), 1e-12). */
            dah[i] += ka * (p - a) / fmaxf(p * (1.0f - p), 1e-12f);
            if (VISIBLE(t[4 * i + 3]))
                for (int ch = 0; ch < 3; ch++)
                    dimg[ch * plane + i] += kr * (img[ch * plane + i] - (float)t[4 * i + ch] / 255.0f);
        }
        cm_tv_backward(dah, ah, 1, O, O, ks);
    }
}
