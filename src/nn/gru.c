/* GRU in PyTorch's form (gate rows r, z, n; two biases; the reset gate
 * multiplies W_hn h + b_hn, not h), so nn.GRU state dicts load directly. */
#include "cogmap/nn.h"

#include <string.h>

#include "nn/vis_util.h"

size_t cm_gru_cache_floats(int T, int B, int H)
{
    return (size_t)T * B * 4 * H;
}

void cm_gru_forward(float *hs, float *cache, const float *x, const float *w_ih, const float *w_hh, const float *b_ih,
                    const float *b_hh, int T, int B, int In, int H)
{
    const int C = 4 * H; /* cache row: r, z, n, W_hn h + b_hn */
    const int G = 3 * H;
    for (int t = 0; t < T; t++) {
        float *c = cache + (size_t)t * B * C;
        const float *xt = x + (size_t)t * B * In, *hp = hs + (size_t)t * B * H;
        float *hn = hs + (size_t)(t + 1) * B * H;
        /* Input part of all three gates into cache columns [r z n]. */
        for (int bb = 0; bb < B; bb++)
            for (int g = 0; g < G; g++)
                c[(size_t)bb * C + g] = b_ih ? b_ih[g] : 0.0f;
        if (In > 0)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, G, In, 1.0f, xt, In, w_ih, In, 1.0f, c, C);
        /* r and z accumulate their recurrent part in place; n's recurrent part
         * (needed separately) goes to column block 3. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, 2 * H, H, 1.0f, hp, H, w_hh, H, 1.0f, c, C);
        for (int bb = 0; bb < B; bb++)
            for (int k = 0; k < H; k++)
                c[(size_t)bb * C + 3 * H + k] = b_hh ? b_hh[2 * H + k] : 0.0f;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, H, 1.0f, hp, H, w_hh + (size_t)2 * H * H, H, 1.0f,
                    c + 3 * H, C);
        for (int bb = 0; bb < B; bb++) {
            float *cb = c + (size_t)bb * C;
            for (int k = 0; k < H; k++) {
                float r = vis_sigmoid(cb[k] + (b_hh ? b_hh[k] : 0.0f));
                float z = vis_sigmoid(cb[H + k] + (b_hh ? b_hh[H + k] : 0.0f));
                float n = tanhf(cb[2 * H + k] + r * cb[3 * H + k]);
                cb[k] = r;
                cb[H + k] = z;
                cb[2 * H + k] = n;
                hn[(size_t)bb * H + k] = (1.0f - z) * n + z * hp[(size_t)bb * H + k];
            }
        }
    }
}

size_t cm_gru_work_floats(int T, int B, int H)
{
    /* gradients of the input-side and recurrent-side pre-activations, then dh. */
    return 2 * (size_t)T * B * 3 * H + (size_t)B * H;
}

void cm_gru_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, const float *dhs,
                     const float *hs, const float *cache, const float *x, const float *w_ih, const float *w_hh, int T,
                     int B, int In, int H, float *work)
{
    const int C = 4 * H, G = 3 * H;
    const size_t BH = (size_t)B * H;
    float *dgi = work;
    float *dgh = work + (size_t)T * B * G;
    float *dh = dgh + (size_t)T * B * G;
    memset(dh, 0, BH * sizeof *dh);
    for (int t = T - 1; t >= 0; t--) {
        const float *c = cache + (size_t)t * B * C;
        const float *hp = hs + (size_t)t * BH;
        float *gi = dgi + (size_t)t * B * G, *gh = dgh + (size_t)t * B * G;
        for (int bb = 0; bb < B; bb++) {
            const float *cb = c + (size_t)bb * C;
            for (int k = 0; k < H; k++) {
                size_t s = (size_t)bb * H + k, g = (size_t)bb * G;
                float r = cb[k], z = cb[H + k], n = cb[2 * H + k], hn = cb[3 * H + k];
                float dhv = dhs[(size_t)t * BH + s] + dh[s];
                float dn = dhv * (1.0f - z) * (1.0f - n * n);
                float dz = dhv * (hp[s] - n) * z * (1.0f - z);
                float dr = dn * hn * r * (1.0f - r);
                gi[g + k] = dr;
                gi[g + H + k] = dz;
                gi[g + 2 * H + k] = dn;
                gh[g + k] = dr;
                gh[g + H + k] = dz;
                gh[g + 2 * H + k] = dn * r;
                dh[s] = dhv * z; /* the direct path; the GEMM below adds the rest */
            }
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, G, 1.0f, gh, G, w_hh, H, 1.0f, dh, H);
    }
    if (dh0)
        for (size_t s = 0; s < BH; s++)
            dh0[s] += dh[s];
    const int TB = T * B;
    vis_linear_bwd(In > 0 ? dx : NULL, In > 0 ? dw_ih : NULL, db_ih, dgi, x, w_ih, TB, In, G);
    vis_linear_bwd(NULL, dw_hh, db_hh, dgh, hs, w_hh, TB, H, G);
}
