/* A register-blocked matrix product for the small per-step products of the
 * recurrent layers (nn_internal.h). 4 rows x 32 columns of C stay in 16
 * vector registers while k runs over the whole depth; GCC's vector
 * extensions compile this to AVX/AVX-512 under -march=native and to SSE
 * pairs otherwise, with no intrinsics. */
#include "nn/nn_internal.h"

#include <string.h>

typedef float v8f __attribute__((vector_size(32), aligned(4)));

static inline __attribute__((always_inline)) void block(float *C, int ldc, const float *A, int lda, const float *Bm,
                                                         int ldb, int K, int rows, int nv, int accumulate)
{
    v8f acc[4][4];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = accumulate ? *(const v8f *)(C + (size_t)r * ldc + 8 * v) : (v8f){0};
    for (int k = 0; k < K; k++) {
        const float *b = Bm + (size_t)k * ldb;
        v8f bv[4];
        for (int v = 0; v < nv; v++)
            bv[v] = *(const v8f *)(b + 8 * v);
        for (int r = 0; r < rows; r++) {
            float a = A[(size_t)r * lda + k];
            for (int v = 0; v < nv; v++)
                acc[r][v] += a * bv[v];
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            *(v8f *)(C + (size_t)r * ldc + 8 * v) = acc[r][v];
}

static void rows_block(float *C, int ldc, const float *A, int lda, const float *Bm, int ldb, int rows, int n0, int n1,
                       int K, int accumulate)
{
    int n = n0;
    for (; n + 32 <= n1; n += 32) {
        if (rows == 4)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 4, 4, accumulate);
        else
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 1, 4, accumulate);
    }
    for (; n + 8 <= n1; n += 8) {
        if (rows == 4)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 4, 1, accumulate);
        else
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 1, 1, accumulate);
    }
    for (; n < n1; n++) /* a tail narrower than a vector */
        for (int r = 0; r < rows; r++) {
            float s = accumulate ? C[(size_t)r * ldc + n] : 0.0f;
            for (int k = 0; k < K; k++)
                s += A[(size_t)r * lda + k] * Bm[(size_t)k * ldb + n];
            C[(size_t)r * ldc + n] = s;
        }
}

void cm_small_gemm(float *C, int ldc, const float *A, int lda, const float *Bm, int ldb, int M, int n0, int n1, int K,
                   int accumulate)
{
    int m = 0;
    for (; m + 4 <= M; m += 4)
        rows_block(C + (size_t)m * ldc, ldc, A + (size_t)m * lda, lda, Bm, ldb, 4, n0, n1, K, accumulate);
    for (; m < M; m++)
        rows_block(C + (size_t)m * ldc, ldc, A + (size_t)m * lda, lda, Bm, ldb, 1, n0, n1, K, accumulate);
}
