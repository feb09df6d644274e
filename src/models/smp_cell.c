/* One step of SMP's LSTM form (smp.md §3.3) with a gradient into the new
 * cell state as well as the new output. The nn module's cm_smp_lstm_* runs
 * whole sequences whose final cell state feeds nothing; SMP interleaves a
 * prediction and a correction LSTM per time step and mixes their states per
 * trajectory, so every step needs dc' from the step after it. */
#include "smp_internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static inline float sigm(float x) { return 1.0f / (1.0f + expf(-x)); }

void cm_smp_cell_forward(float *h1, float *c1, float *gates, float *zin, const float *u, const float *h0,
                      const float *c0, const float *w, const float *b, int B, int In, int H)
{
    const int K = In + H, G = 4 * H;
    for (int n = 0; n < B; n++) {
        memcpy(zin + (size_t)n * K, u + (size_t)n * In, (size_t)In * sizeof(float));
        memcpy(zin + (size_t)n * K + In, h0 + (size_t)n * H, (size_t)H * sizeof(float));
    }
    for (int n = 0; n < B; n++)
        memcpy(gates + (size_t)n * G, b, (size_t)G * sizeof(float));
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, G, K, 1.0f, zin, K, w, G, 1.0f, gates, G);
    for (int n = 0; n < B; n++) {
        float *g = gates + (size_t)n * G;
        for (int k = 0; k < H; k++) {
            const float i = sigm(g[k]), j = tanhf(g[H + k]), f = sigm(g[2 * H + k] + 1.0f), o = sigm(g[3 * H + k]);
            const float c = f * c0[(size_t)n * H + k] + i * j;
            c1[(size_t)n * H + k] = c;
            h1[(size_t)n * H + k] = sigm(c) * o;
            g[k] = i, g[H + k] = j, g[2 * H + k] = f, g[3 * H + k] = o;
        }
    }
}

void smp_cell_backward(float *du, float *dh0, float *dc0, float *dw, float *db, const float *dh1, const float *dc1,
                       const float *c1, const float *gates, const float *zin, const float *c0, const float *w,
                       int B, int In, int H, float *dz, float *dzin)
{
    const int K = In + H, G = 4 * H;
    for (int n = 0; n < B; n++) {
        const float *g = gates + (size_t)n * G;
        float *d = dz + (size_t)n * G;
        for (int k = 0; k < H; k++) {
            const float i = g[k], j = g[H + k], f = g[2 * H + k], o = g[3 * H + k];
            const float sc = sigm(c1[(size_t)n * H + k]);
            const float dh = dh1 ? dh1[(size_t)n * H + k] : 0.0f;
            const float dc = (dc1 ? dc1[(size_t)n * H + k] : 0.0f) + dh * o * sc * (1.0f - sc);
            d[3 * H + k] = dh * sc * o * (1.0f - o);
            d[2 * H + k] = dc * c0[(size_t)n * H + k] * f * (1.0f - f);
            d[k] = dc * j * i * (1.0f - i);
            d[H + k] = dc * i * (1.0f - j * j);
            if (dc0)
                dc0[(size_t)n * H + k] += dc * f;
        }
    }
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, G, B, 1.0f, zin, K, dz, G, 1.0f, dw, G);
    if (db)
        for (int n = 0; n < B; n++)
            for (int k = 0; k < G; k++)
                db[k] += dz[(size_t)n * G + k];
    if (!du && !dh0)
        return;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, K, G, 1.0f, dz, G, w, G, 0.0f, dzin, K);
    for (int n = 0; n < B; n++) {
        if (du)
            for (int k = 0; k < In; k++)
                du[(size_t)n * In + k] += dzin[(size_t)n * K + k];
        if (dh0)
            for (int k = 0; k < H; k++)
                dh0[(size_t)n * H + k] += dzin[(size_t)n * K + In + k];
    }
}
