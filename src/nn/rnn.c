/* Vanilla RNN in PyTorch's form (nn.h): the input projection of every step is
 * one GEMM, the recurrence one GEMM per step, and backward batches the weight
 * gradients of all steps into one GEMM each. */
#include "cogmap/nn.h"

#include <cblas.h>

/* hs[T+1, B, H] (hs[0] = h0), x[T, B, N_in], W_ih[H, N_in], W_hh[H, H], b_ih[H], b_hh[H] */
void cm_rnn_forward(float *hs, const float *x, const float *w_ih, const float *w_hh, const float *b_ih,
                    const float *b_hh, int T, int B, int N_in, int H, cm_activation act)
{
    size_t step = (size_t)B * H;
    float *pre = hs + step; /* hs[1..T] first hold the input projections */
    for (int r = 0; r < T * B; r++) {
        float *pr = pre + (size_t)r * H;
        for (int j = 0; j < H; j++)
            pr[j] = (b_ih ? b_ih[j] : 0.0f) + (b_hh ? b_hh[j] : 0.0f);
    }
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, T * B, H, N_in, 1.0f, x, N_in, w_ih, N_in, 1.0f, pre, H);
    for (int t = 0; t < T; t++) {
        float *h = hs + (size_t)(t + 1) * step;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, H, H, 1.0f, hs + (size_t)t * step, H, w_hh, H, 1.0f,
                    h, H);
        if (act == CM_ACT_RELU)
            cm_relu_forward(h, h, step);
        else
            cm_tanh_forward(h, h, step);
    }
}

void cm_rnn_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, float *dhs,
                     const float *hs, const float *x, const float *w_ih, const float *w_hh, int T, int B, int N_in,
                     int H, cm_activation act)
{
    size_t step = (size_t)B * H;
    for (int t = T - 1; t >= 0; t--) {
        float *d = dhs + (size_t)t * step;
        const float *h = hs + (size_t)(t + 1) * step;
        /* d holds dL/dh_t, including what step t+1 sent back; turn it into dL/dpre_t in place. */
        if (act == CM_ACT_RELU) {
#pragma omp parallel for simd if (step > 32768) schedule(static)
            for (size_t k = 0; k < step; k++)
                d[k] = h[k] > 0.0f ? d[k] : 0.0f;
        } else {
#pragma omp parallel for simd if (step > 32768) schedule(static)
            for (size_t k = 0; k < step; k++)
                d[k] *= 1.0f - h[k] * h[k];
        }
        float *back = t > 0 ? d - step : dh0;
        if (back)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, H, H, 1.0f, d, H, w_hh, H, 1.0f, back, H);
    }
    int n = T * B;
    /* All steps' weight gradients at once: dW_hh += dpre^T [H, TB] . h_{t-1} [TB, H]. */
    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, H, H, n, 1.0f, dhs, H, hs, H, 1.0f, dw_hh, H);
    cm_linear_backward(dx, dw_ih, db_ih, dhs, x, w_ih, n, N_in, H);
    if (db_hh)
        for (int r = 0; r < n; r++) {
            const float *dr = dhs + (size_t)r * H;
#pragma omp simd
            for (int j = 0; j < H; j++)
                db_hh[j] += dr[j];
        }
}
