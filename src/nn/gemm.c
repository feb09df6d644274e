/* Matrix products of the engine (nn_internal.h): one BLAS call per thread on
 * a slice of the output, inside one OpenMP region, with BLAS itself held to
 * one thread meanwhile. cogmap never stacks the two thread pools, and the
 * engine's recurrences (OpenMP regions over whole sequences) then share the
 * cores with nothing but their own threads. Each output element is computed
 * by one call over the full depth, so the bits do not depend on the split. */
#include "nn/nn_internal.h"

#include "cogmap/base.h"

#include <cblas.h>
#include <omp.h>

/* Below this many multiply-adds a single call is faster than a region. */
#define CM_GEMM_SPLIT_MIN (1 << 22)

void cm_gemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
             int ldb, float beta, float *C, int ldc)
{
    enum CBLAS_TRANSPOSE ta = trans_a ? CblasTrans : CblasNoTrans, tb = trans_b ? CblasTrans : CblasNoTrans;
    int nt = cm_threads();
    if (nt <= 1 || omp_in_parallel() || (double)M * N * K < CM_GEMM_SPLIT_MIN) {
        /* Outside a region BLAS may use its threads on a small product: keep it to one. */
        if (nt > 1 && !omp_in_parallel()) {
            const int blas = cm_blas_hold();
            cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            cm_blas_release(blas);
        } else {
            cblas_sgemm(CblasRowMajor, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        }
        return;
    }
    const int blas = cm_blas_hold();
    /* Split the longer output side into one slice per thread (multiples of 16). */
    int split_m = M >= N;
#pragma omp parallel num_threads(nt)
    {
        int tid = omp_get_thread_num(), n = omp_get_num_threads(), s0, s1;
        cm_split_units(split_m ? M : N, n, tid, &s0, &s1);
        if (s1 > s0) {
            if (split_m) {
                /* rows s0..s1 of C: rows of op(A) */
                const float *a = trans_a ? A + s0 : A + (size_t)s0 * lda;
                cblas_sgemm(CblasRowMajor, ta, tb, s1 - s0, N, K, alpha, a, lda, B, ldb, beta, C + (size_t)s0 * ldc,
                            ldc);
            } else {
                /* columns s0..s1 of C: columns of op(B) */
                const float *b = trans_b ? B + (size_t)s0 * ldb : B + s0;
                cblas_sgemm(CblasRowMajor, ta, tb, M, s1 - s0, K, alpha, A, lda, b, ldb, beta, C + s0, ldc);
            }
        }
    }
    cm_blas_release(blas); /* the application's setting (cm_set_threads), as it was */
}

void cm_colsum_add(float *out, const float *x, int rows, int cols)
{
#pragma omp parallel if ((size_t)rows * cols > CM_PAR_MIN_ELEMS)
    {
        int tid = omp_get_thread_num(), n = omp_get_num_threads(), c0, c1;
        cm_split_units(cols, n, tid, &c0, &c1);
        for (int r = 0; r < rows; r++) {
            const float *xr = x + (size_t)r * cols;
#pragma omp simd
            for (int j = c0; j < c1; j++)
                out[j] += xr[j];
        }
    }
}
