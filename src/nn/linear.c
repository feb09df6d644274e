/* Linear layer y = x W^T + b over BLAS (nn.h). */
#include "cogmap/nn.h"

#include "nn/nn_internal.h"

#include <cblas.h>
#include <string.h>

/* y[N, out] = x[N, in] . W[out, in]^T + b[out] */
void cm_linear_forward(float *y, const float *x, const float *w, const float *b, int n, int in, int out,
                       int accumulate)
{
    float beta = accumulate ? 1.0f : 0.0f;
    if (b) {
        /* The bias goes in first so that one GEMM with beta = 1 finishes the job. */
        for (int r = 0; r < n; r++) {
            float *yr = y + (size_t)r * out;
            if (accumulate)
                for (int j = 0; j < out; j++)
                    yr[j] += b[j];
            else
                memcpy(yr, b, (size_t)out * sizeof(float));
        }
        beta = 1.0f;
    }
    cm_gemm(0, 1, n, out, in, 1.0f, x, in, w, in, beta, y, out);
}

/* dx[N, in] += dy[N, out] . W;  dW[out, in] += dy^T . x;  db[out] += sum_n dy */
void cm_linear_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w, int n,
                        int in, int out)
{
    if (dx)
        cm_gemm(0, 0, n, in, out, 1.0f, dy, out, w, in, 1.0f, dx, in);
    if (dw)
        cm_gemm(1, 0, out, in, n, 1.0f, dy, out, x, in, 1.0f, dw, in);
    if (db)
        cm_colsum_add(db, dy, n, out);
}
