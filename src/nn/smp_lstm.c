/* The LSTM variant of DeepMind's Spatial Memory Pipeline (smp.md §3.3): TF
 * layout z = [u ; h] . W + b with gates i, j, f, o, a forget bias of 1 added at
 * run time, and a SIGMOID output h = sigmoid(c) * sigmoid(o), so that units
 * behave like firing rates in (0, 1). */
#include "cogmap/nn.h"

#include <string.h>

#include "nn/vis_util.h"

void cm_smp_lstm_forward(float *hs, float *cs, float *gates, const float *x, const float *w, const float *b, int T,
                         int B, int In, int H)
{
    const int G = 4 * H;
    const float *w_u = w;                  /* [In, 4H]: input rows */
    const float *w_h = w + (size_t)In * G;  /* [H, 4H]: recurrent rows */
    /* The input part of every step in one GEMM, straight into the gate buffer. */
    for (size_t r = 0; r < (size_t)T * B; r++)
        for (int g = 0; g < G; g++)
            gates[r * G + g] = b ? b[g] : 0.0f;
    if (In > 0)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, T * B, G, In, 1.0f, x, In, w_u, G, 1.0f, gates, G);
    for (int t = 0; t < T; t++) {
        float *z = gates + (size_t)t * B * G;
        const float *hp = hs + (size_t)t * B * H, *cp = cs + (size_t)t * B * H;
        float *hn = hs + (size_t)(t + 1) * B * H, *cn = cs + (size_t)(t + 1) * B * H;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, G, H, 1.0f, hp, H, w_h, G, 1.0f, z, G);
        for (int bb = 0; bb < B; bb++) {
            float *zb = z + (size_t)bb * G;
            for (int k = 0; k < H; k++) {
                float i = vis_sigmoid(zb[k]);
                float j = tanhf(zb[H + k]);
                float f = vis_sigmoid(zb[2 * H + k] + 1.0f);
                float o = vis_sigmoid(zb[3 * H + k]);
                float c = f * cp[(size_t)bb * H + k] + i * j;
                cn[(size_t)bb * H + k] = c;
                hn[(size_t)bb * H + k] = vis_sigmoid(c) * o;
                zb[k] = i;
                zb[H + k] = j;
                zb[2 * H + k] = f;
                zb[3 * H + k] = o;
            }
        }
    }
}

size_t cm_smp_lstm_work_floats(int T, int B, int H)
{
    /* dz of every step, then the carried dh and dc. */
    return (size_t)T * B * 4 * H + 2 * (size_t)B * H;
}

void cm_smp_lstm_backward(float *dx, float *dh0, float *dc0, float *dw, float *db, const float *dhs, const float *hs,
                          const float *cs, const float *gates, const float *x, const float *w, int T, int B, int In,
                          int H, float *work)
{
    const int G = 4 * H;
    const size_t BH = (size_t)B * H;
    float *dz = work;
    float *dh = work + (size_t)T * B * G; /* gradient reaching h_t from step t+1 */
    float *dc = dh + BH;                  /* gradient reaching c_t from step t+1 */
    memset(dh, 0, BH * sizeof *dh);
    memset(dc, 0, BH * sizeof *dc);
    const float *w_u = w, *w_h = w + (size_t)In * G;
    for (int t = T - 1; t >= 0; t--) {
        const float *a = gates + (size_t)t * B * G;
        float *d = dz + (size_t)t * B * G;
        const float *cp = cs + (size_t)t * BH, *cn = cs + (size_t)(t + 1) * BH;
        const float *dht = dhs + (size_t)t * BH;
        for (int bb = 0; bb < B; bb++) {
            for (int k = 0; k < H; k++) {
                size_t s = (size_t)bb * H + k, g = (size_t)bb * G;
                float i = a[g + k], j = a[g + H + k], f = a[g + 2 * H + k], o = a[g + 3 * H + k];
                float sc = vis_sigmoid(cn[s]);
                float dhv = dht[s] + dh[s];
                float dcv = dc[s] + dhv * sc * (1.0f - sc) * o;
                d[g + 3 * H + k] = dhv * sc * o * (1.0f - o);
                d[g + 2 * H + k] = dcv * cp[s] * f * (1.0f - f);
                d[g + k] = dcv * j * i * (1.0f - i);
                d[g + H + k] = dcv * i * (1.0f - j * j);
                dc[s] = dcv * f;
            }
        }
        /* dh_{t-1} = dz_t . W_h^T (overwrites: the step's own dh is consumed). */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, G, 1.0f, d, G, w_h, G, 0.0f, dh, H);
    }
    if (dh0)
        for (size_t s = 0; s < BH; s++)
            dh0[s] += dh[s];
    if (dc0)
        for (size_t s = 0; s < BH; s++)
            dc0[s] += dc[s];
    const int TB = T * B;
    if (In > 0) {
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, In, G, TB, 1.0f, x, In, dz, G, 1.0f, dw, G);
        if (dx)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, TB, In, G, 1.0f, dz, G, w_u, G, 1.0f, dx, In);
    }
    /* Recurrent rows: h_{t-1} for t = 0..T-1 is hs[0..T-1], contiguous. */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, G, TB, 1.0f, hs, H, dz, G, 1.0f, dw + (size_t)In * G, G);
    if (db)
        for (size_t r = 0; r < (size_t)TB; r++)
            for (int g = 0; g < G; g++)
                db[g] += dz[r * G + g];
}
