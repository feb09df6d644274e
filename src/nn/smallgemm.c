/* A register-blocked matrix product for the small per-time-step products of
 * the recurrent layers (nn_internal.h). A block of 4 rows x 4 vectors of C
 * stays in 16 vector registers while k runs over the whole depth; each k
 * loads 4 vectors of B and broadcasts 4 elements of A for 16 FMAs.
 *
 * The vector is 16 floats (one AVX-512 register) when the compiler targets
 * AVX-512 and 8 floats otherwise. GCC's auto-vectoriser prefers 256-bit
 * vectors even on AVX-512 machines, so the width is chosen here explicitly:
 * on the per-step LSTM products (B 32, 4H 512, H 128) the 16-wide block does
 * the same work in about half the instructions of the 8-wide one. No
 * intrinsics: GCC's vector extensions compile to SSE pairs elsewhere. */
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>

#ifdef __AVX512F__
#define VW 16
#else
#define VW 8
#endif
typedef float vf __attribute__((vector_size(VW * 4), aligned(4)));

/* C[rows, nv*VW] (+)= A[rows, K] . B[K, nv*VW]; rows <= 4, nv <= 4. */
static inline __attribute__((always_inline)) void block(float *C, int ldc, const float *A, int lda, const float *Bm,
                                                         int ldb, int K, int rows, int nv, int accumulate)
{
    vf acc[4][4];
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            acc[r][v] = accumulate ? *(const vf *)(C + (size_t)r * ldc + VW * v) : (vf){0};
    for (int k = 0; k < K; k++) {
        const float *b = Bm + (size_t)k * ldb;
        vf bv[4];
        for (int v = 0; v < nv; v++)
            bv[v] = *(const vf *)(b + VW * v);
        for (int r = 0; r < rows; r++) {
            float a = A[(size_t)r * lda + k];
            for (int v = 0; v < nv; v++)
                acc[r][v] += a * bv[v];
        }
    }
    for (int r = 0; r < rows; r++)
        for (int v = 0; v < nv; v++)
            *(vf *)(C + (size_t)r * ldc + VW * v) = acc[r][v];
}

static void rows_block(float *C, int ldc, const float *A, int lda, const float *Bm, int ldb, int rows, int n0, int n1,
                       int K, int accumulate)
{
    int n = n0;
    for (; n + 4 * VW <= n1; n += 4 * VW) {
        if (rows == 4)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 4, 4, accumulate);
        else if (rows == 2)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 2, 4, accumulate);
        else
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 1, 4, accumulate);
    }
    for (; n + VW <= n1; n += VW) {
        if (rows == 4)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 4, 1, accumulate);
        else if (rows == 2)
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 2, 1, accumulate);
        else
            block(C + n, ldc, A, lda, Bm + n, ldb, K, 1, 1, accumulate);
    }
#if VW > 8
    /* 8 columns left over: threads split columns in multiples of 8
     * (cm_split_units), and such a column must get the same vector FMAs
     * as in a wider block, not the scalar tail's, for the same bits. */
    /* fmaf, not `acc += a * b`: GCC (12, znver4) leaves that product and sum
     * unfused here while it fuses the wide block's, and the bits then differ. */
    for (; n + 8 <= n1; n += 8)
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < 8; j++) {
                float s = accumulate ? C[(size_t)r * ldc + n + j] : 0.0f;
                for (int k = 0; k < K; k++)
                    s = fmaf(A[(size_t)r * lda + k], Bm[(size_t)k * ldb + n + j], s);
                C[(size_t)r * ldc + n + j] = s;
            }
#endif
    for (; n < n1; n++) /* a tail narrower than 8 */
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
    /* 2-row blocks for the rest (banino's batch of 10 = 4 + 4 + 2): a single
     * row does 4 FMAs per 4 vector loads, two rows 8. */
    for (; m + 2 <= M; m += 2)
        rows_block(C + (size_t)m * ldc, ldc, A + (size_t)m * lda, lda, Bm, ldb, 2, n0, n1, K, accumulate);
    for (; m < M; m++)
        rows_block(C + (size_t)m * ldc, ldc, A + (size_t)m * lda, lda, Bm, ldb, 1, n0, n1, K, accumulate);
}
