/* Vanilla RNN in PyTorch's form (nn.h). The input projection of every step
 * is one product; the recurrence runs in ONE OpenMP region over the whole
 * sequence, each thread owning a range of hidden units (their rows of W_hh,
 * their columns of h), with one barrier per step. Backward batches the
 * weight gradients of all steps into one product each. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include <cblas.h>
#include <omp.h>

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
    cm_gemm(0, 1, T * B, H, N_in, 1.0f, x, N_in, w_ih, N_in, 1.0f, pre, H);
    if (cm_threads() <= 1 || (size_t)B * H * H < CM_RECUR_PAR_MIN) {
        for (int t = 0; t < T; t++) {
            float *h = hs + (size_t)(t + 1) * step;
            cm_gemm(0, 1, B, H, H, 1.0f, hs + (size_t)t * step, H, w_hh, H, 1.0f, h, H);
            if (act == CM_ACT_RELU)
                cm_relu_forward(h, h, step);
            else
                cm_tanh_forward(h, h, step);
        }
        return;
    }
    const int blas = cm_blas_hold();
#pragma omp parallel
    {
        int u0, u1;
        cm_split_units(H, omp_get_num_threads(), omp_get_thread_num(), &u0, &u1);
        for (int t = 0; t < T; t++) {
            float *h = hs + (size_t)(t + 1) * step;
            if (u1 > u0) {
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, B, u1 - u0, H, 1.0f, hs + (size_t)t * step, H,
                            w_hh + (size_t)u0 * H, H, 1.0f, h + u0, H);
                for (int b = 0; b < B; b++) {
                    float *hb = h + (size_t)b * H;
                    if (act == CM_ACT_RELU) {
#pragma omp simd
                        for (int j = u0; j < u1; j++)
                            hb[j] = hb[j] > 0.0f ? hb[j] : 0.0f;
                    } else {
                        cm_tanh_forward(hb + u0, hb + u0, (size_t)(u1 - u0));
                    }
                }
            }
#pragma omp barrier
        }
    }
    cm_blas_release(blas);
}

void cm_rnn_backward(float *dx, float *dh0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh, float *dhs,
                     const float *hs, const float *x, const float *w_ih, const float *w_hh, int T, int B, int N_in,
                     int H, cm_activation act)
{
    size_t step = (size_t)B * H;
    int par = cm_threads() > 1 && (size_t)B * H * H >= CM_RECUR_PAR_MIN;
    const int blas = par ? cm_blas_hold() : 0;
#pragma omp parallel if (par)
    {
        int u0, u1;
        cm_split_units(H, omp_get_num_threads(), omp_get_thread_num(), &u0, &u1);
        for (int t = T - 1; t >= 0; t--) {
            float *d = dhs + (size_t)t * step;
            const float *h = hs + (size_t)(t + 1) * step;
            /* d holds dL/dh_t, including what step t+1 sent back; turn our
             * units of it into dL/dpre_t in place. */
            for (int b = 0; b < B; b++) {
                float *db_ = d + (size_t)b * H;
                const float *hb = h + (size_t)b * H;
                if (act == CM_ACT_RELU) {
#pragma omp simd
                    for (int j = u0; j < u1; j++)
                        db_[j] = hb[j] > 0.0f ? db_[j] : 0.0f;
                } else {
#pragma omp simd
                    for (int j = u0; j < u1; j++)
                        db_[j] *= 1.0f - hb[j] * hb[j];
                }
            }
#pragma omp barrier
            /* our units of dh_{t-1} += dpre_t . W_hh[:, u0:u1] (needs every unit of dpre_t) */
            float *back = t > 0 ? d - step : dh0;
            if (back && !par)
                cm_gemm(0, 0, B, H, H, 1.0f, d, H, w_hh, H, 1.0f, back, H);
            else if (back && u1 > u0)
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, B, u1 - u0, H, 1.0f, d, H, w_hh + u0, H, 1.0f,
                            back + u0, H);
        }
    }
    if (par)
        cm_blas_release(blas);
    int n = T * B;
    /* All steps' weight gradients at once: dW_hh += dpre^T [H, TB] . h_{t-1} [TB, H]. */
    cm_gemm(1, 0, H, H, n, 1.0f, dhs, H, hs, H, 1.0f, dw_hh, H);
    cm_linear_backward(dx, dw_ih, db_ih, dhs, x, w_ih, n, N_in, H);
    if (db_hh)
        cm_colsum_add(db_hh, dhs, n, H);
}
