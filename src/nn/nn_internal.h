/* Engine internals shared by the layer files; not part of the public API. */
#ifndef COGMAP_NN_INTERNAL_H
#define COGMAP_NN_INTERNAL_H

#include "cogmap/nn.h"

#include <stddef.h>
#include <stdint.h>

/* C[M, n0:n1] = (accumulate ? C : 0) + A[M, K] . Bm[K, n0:n1], all row-major
 * with leading dimensions lda, ldb, ldc. Single-threaded and allocation-free:
 * made to be called from inside OpenMP regions for the small per-time-step
 * products of a recurrence, where a BLAS call would pack its operands and
 * wake its threads at every step. Each C element sums over k in order 0..K-1,
 * whatever the column split, so results do not depend on the thread count. */
void cm_small_gemm(float *C, int ldc, const float *A, int lda, const float *Bm, int ldb, int M, int n0, int n1, int K,
                   int accumulate);

/* out[cols] += column sums of x[rows, cols], in row order (parallel over columns). */
void cm_colsum_add(float *out, const float *x, int rows, int cols);


/* [n0, n1) of `n` units for thread `tid` of `nt`, in multiples of 8 (one
 * vector) so that no two threads share a cache line of a row. */
static inline void cm_split_units(int n, int nt, int tid, int *n0, int *n1)
{
    int per = (n + nt - 1) / nt;
    per = (per + 7) / 8 * 8;
    int a = tid * per, b = a + per;
    *n0 = a < n ? a : n;
    *n1 = b < n ? b : n;
}

#endif
