/* cm_sgemm (nn.h): row-major single-precision matrix products on AVX-512
 * kernels, beside the engine's plain cblas_sgemm calls. OpenBLAS 0.3.21 does
 * not know AMD's Zen 4/5 and runs its 256-bit Haswell kernels there; this is
 * the Goto/BLIS design at 512 bits: B packed in panels of 32 columns, A read
 * in place 12 rows at a time, a 12 x 32 register tile (24 accumulators) per
 * micro-kernel call, k in blocks of 256.
 *
 * Every element of C is summed over k in the same order whatever the thread
 * split (blocks of KC in order, k in order inside a block), so the bits do not
 * depend on the number of threads. Builds without AVX-512 (and small
 * products, where packing does not pay) call cblas_sgemm. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include <cblas.h>
#include <omp.h>
#include <string.h>

#if defined(__AVX512F__)
#include <immintrin.h>

#define MR 12
#define NR 32
#define KC 256
#define MC 144  /* rows of A per pass over a B panel: 144 x 256 floats = 144 kB, in L2 */
#define NC 2048 /* 64 panels of B: 256 x 2048 floats = 2 MB, in L3 */
#define MAX_SLOTS 64

/* Packing buffers of B, one per OpenMP thread number, allocated at first use
 * and kept for the process (a product is never allocated inside a step). */
static float *slot_b[MAX_SLOTS];

/* Makes sure threads 0 .. n-1 have their buffers (called before any thread
 * starts, so that a failed allocation leaves C untouched). */
static int buffers(int n)
{
    int ok = n <= MAX_SLOTS;
#pragma omp critical /* unnamed: a named one would be an exported symbol */
    for (int t = 0; ok && t < n; t++) {
        if (!slot_b[t])
            slot_b[t] = cm_alloc((size_t)KC * NC * sizeof(float));
        ok = slot_b[t] != NULL;
    }
    return ok;
}

/* op(B)[p0 .. p0+kc, j0 .. j0+nc] into panels of NR columns: bp[panel][k][c], zero-padded. */
static void pack_b(float *bp, int tb, const float *B, int ldb, int p0, int kc, int j0, int nc)
{
    for (int s = 0; s < nc; s += NR) {
        const int cols = nc - s < NR ? nc - s : NR;
        float *dst = bp + (size_t)s * kc;
        if (!tb) { /* op(B)(k, j) = B[k][j]: NR contiguous values per k */
            const __mmask16 m0 = (__mmask16)(cols >= 16 ? 0xffff : (1u << cols) - 1);
            const __mmask16 m1 = (__mmask16)(cols >= 32 ? 0xffff : cols > 16 ? (1u << (cols - 16)) - 1 : 0);
            for (int k = 0; k < kc; k++) {
                const float *src = B + (size_t)(p0 + k) * ldb + j0 + s;
                _mm512_store_ps(dst + k * NR, _mm512_maskz_loadu_ps(m0, src));
                _mm512_store_ps(dst + k * NR + 16, _mm512_maskz_loadu_ps(m1, src + 16));
            }
        } else { /* op(B)(k, j) = B[j][k]: a 32 x kc block transposed */
            for (int c = 0; c < NR; c++) {
                if (c < cols) {
                    const float *src = B + (size_t)(j0 + s + c) * ldb + p0;
                    for (int k = 0; k < kc; k++)
                        dst[k * NR + c] = src[k];
                } else {
                    for (int k = 0; k < kc; k++)
                        dst[k * NR + c] = 0.0f;
                }
            }
        }
    }
}

/* C[0 .. m, 0 .. n] (ldc) = alpha * op(A)[12 rows, kc] . bp + (first ? beta C : C),
 * m <= MR, n <= NR. A is read where it lies -- row r, step k at a + r rs + k ks
 * (rows past m repeat row m - 1, computed and dropped) -- instead of packed:
 * copying A costs as much as using it when K is long and N short. */
static inline __attribute__((always_inline)) void kernel_body(int kc, const float *a, long rs, long ks,
                                                              const float *bp, float *C, int ldc, int m, int n,
                                                              float alpha, float beta, int first)
{
    const float *r[MR];
    for (int i = 0; i < MR; i++)
        r[i] = a + (long)(i < m ? i : m - 1) * rs;
    __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
    __m512 c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
    __m512 c80 = c00, c81 = c00, c90 = c00, c91 = c00, ca0 = c00, ca1 = c00, cb0 = c00, cb1 = c00;
    for (long k = 0; k < kc; k++) {
        const __m512 b0 = _mm512_load_ps(bp), b1 = _mm512_load_ps(bp + 16);
        const long o = k * ks;
        __m512 x;
#define ROW(i, x0, x1)                                                                                                 \
    x = _mm512_set1_ps(r[i][o]);                                                                                       \
    x0 = _mm512_fmadd_ps(x, b0, x0);                                                                                   \
    x1 = _mm512_fmadd_ps(x, b1, x1);
        ROW(0, c00, c01) ROW(1, c10, c11) ROW(2, c20, c21) ROW(3, c30, c31) ROW(4, c40, c41) ROW(5, c50, c51)
        ROW(6, c60, c61) ROW(7, c70, c71) ROW(8, c80, c81) ROW(9, c90, c91) ROW(10, ca0, ca1) ROW(11, cb0, cb1)
#undef ROW
        bp += NR;
    }
    const __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51},
                               {c60, c61}, {c70, c71}, {c80, c81}, {c90, c91}, {ca0, ca1}, {cb0, cb1}};
    const __mmask16 m0 = (__mmask16)(n >= 16 ? 0xffff : (1u << n) - 1);
    const __mmask16 m1 = (__mmask16)(n >= 32 ? 0xffff : n > 16 ? (1u << (n - 16)) - 1 : 0);
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    for (int i = 0; i < m; i++) {
        float *c = C + (size_t)i * ldc;
        __m512 x0 = _mm512_mul_ps(va, acc[i][0]), x1 = _mm512_mul_ps(va, acc[i][1]);
        if (!first) {
            x0 = _mm512_add_ps(x0, _mm512_maskz_loadu_ps(m0, c));
            x1 = _mm512_add_ps(x1, _mm512_maskz_loadu_ps(m1, c + 16));
        } else if (beta != 0.0f) { /* beta == 0: C is not read (it may hold anything) */
            x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, c), x0);
            x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, c + 16), x1);
        }
        _mm512_mask_storeu_ps(c, m0, x0);
        _mm512_mask_storeu_ps(c + 16, m1, x1);
    }
}

/* The two layouts of A as separate functions, so that each inner loop's
 * strides are known: rows apart by lda, k contiguous (op(A) = A), or the
 * transpose (op(A) = A^T: one row of A holds the 12 values of a step). */
static void kernel_n(int kc, const float *a, int lda, const float *bp, float *C, int ldc, int m, int n, float alpha,
                     float beta, int first)
{
    kernel_body(kc, a, lda, 1, bp, C, ldc, m, n, alpha, beta, first);
}

static void kernel_t(int kc, const float *a, int lda, const float *bp, float *C, int ldc, int m, int n, float alpha,
                     float beta, int first)
{
    kernel_body(kc, a, 1, lda, bp, C, ldc, m, n, alpha, beta, first);
}

/* C[M, N] on one thread: the blocked loops. */
static void gemm_blocked(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                         int ldb, float beta, float *C, int ldc, float *bp)
{
    for (int jc = 0; jc < N; jc += NC) {
        const int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            const int kc = K - pc < KC ? K - pc : KC;
            pack_b(bp, tb, B, ldb, pc, kc, jc, nc);
            for (int ic = 0; ic < M; ic += MC) {
                const int mc = M - ic < MC ? M - ic : MC;
                for (int jr = 0; jr < nc; jr += NR)
                    for (int ir = 0; ir < mc; ir += MR) {
                        const int i = ic + ir, m = mc - ir < MR ? mc - ir : MR, n = nc - jr < NR ? nc - jr : NR;
                        float *c = C + (size_t)i * ldc + jc + jr;
                        if (ta)
                            kernel_t(kc, A + (size_t)pc * lda + i, lda, bp + (size_t)jr * kc, c, ldc, m, n, alpha,
                                     beta, pc == 0);
                        else
                            kernel_n(kc, A + (size_t)i * lda + pc, lda, bp + (size_t)jr * kc, c, ldc, m, n, alpha,
                                     beta, pc == 0);
                    }
            }
        }
    }
}
#endif /* __AVX512F__ */

/* Below this many multiply-adds packing costs more than it saves. */
#define SGEMM_FAST_MIN (1 << 16)
/* Below this many a product stays on the calling thread: waking a passive
 * OpenMP worker costs tens of microseconds on a shared machine, and the BEV
 * predictor's per-head attention products (65,536 multiply-adds each,
 * thousands per step) made 2 threads train bev-small at half the rate of 1
 * (measured: 81 against 173 images/s, a third of the time in futex and
 * yield). The split never changes the bits, so neither does this. */
#define SGEMM_PAR_MIN (1 << 22)

void cm_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
              int ldb, float beta, float *C, int ldc)
{
    if (M <= 0 || N <= 0)
        return;
#if defined(__AVX512F__)
    if (K > 0 && (double)M * N * K >= SGEMM_FAST_MIN) {
        const int nt = omp_in_parallel() || (double)M * N * K < SGEMM_PAR_MIN ? 1 : cm_threads();
        /* Split the longer side of C into thread slices of whole tiles. */
        const int by_cols = N >= M, len = by_cols ? N : M, unit = by_cols ? NR : MR;
        const int tiles = (len + unit - 1) / unit, use = nt < tiles ? nt : tiles;
        /* Inside someone else's parallel region this thread uses the slot of its number. */
        const int base = omp_in_parallel() ? omp_get_thread_num() : 0;
        if (buffers(base + use)) {
#pragma omp parallel num_threads(use) if (use > 1)
        {
            const int t = omp_get_thread_num(), n = omp_get_num_threads();
            const int t0 = (int)((long long)tiles * t / n), t1 = (int)((long long)tiles * (t + 1) / n);
            const int s0 = t0 * unit, s1 = t1 * unit < len ? t1 * unit : len;
            float *bp = slot_b[base + t];
            if (s1 > s0) {
                if (by_cols)
                    gemm_blocked(trans_a, trans_b, M, s1 - s0, K, alpha, A, lda,
                                 trans_b ? B + (size_t)s0 * ldb : B + s0, ldb, beta, C + s0, ldc, bp);
                else
                    gemm_blocked(trans_a, trans_b, s1 - s0, N, K, alpha, trans_a ? A + s0 : A + (size_t)s0 * lda, lda,
                                 B, ldb, beta, C + (size_t)s0 * ldc, ldc, bp);
            }
        }
        return;
        }
    }
#endif
    if (K <= 0) { /* C = beta C, as BLAS defines it */
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + j];
        return;
    }
    cm_gemm(trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
