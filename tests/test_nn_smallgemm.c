/* The register-blocked per-step product (src/nn/smallgemm.c) against a plain
 * double-precision product, on shapes that exercise every path: full 4-row
 * blocks and leftover rows, full 4-vector blocks, single vectors and scalar
 * column tails, column ranges that start inside a row, overwrite and
 * accumulate. The columns outside [n0, n1) must stay untouched. */
#include "test_util.h"

#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_shape(int M, int N, int K, int n0, int n1, int accumulate, uint64_t seed)
{
    int lda = K + 3, ldb = N + 5, ldc = N + 7; /* padded rows: the kernel must honour the strides */
    float *A = malloc((size_t)M * lda * sizeof(float)), *B = malloc((size_t)K * ldb * sizeof(float));
    float *C = malloc((size_t)M * ldc * sizeof(float)), *C0 = malloc((size_t)M * ldc * sizeof(float));
    cmt_randn(A, (size_t)M * lda, 1.0f, seed);
    cmt_randn(B, (size_t)K * ldb, 1.0f, seed + 1);
    cmt_randn(C0, (size_t)M * ldc, 1.0f, seed + 2);
    memcpy(C, C0, (size_t)M * ldc * sizeof(float));
    cm_small_gemm(C, ldc, A, lda, B, ldb, M, n0, n1, K, accumulate);
    for (int m = 0; m < M; m++)
        for (int n = 0; n < ldc; n++) {
            float got = C[(size_t)m * ldc + n];
            if (n < n0 || n >= n1) {
                assert_true(got == C0[(size_t)m * ldc + n]);
                continue;
            }
            double want = accumulate ? C0[(size_t)m * ldc + n] : 0.0, mag = fabs(want);
            for (int k = 0; k < K; k++) {
                want += (double)A[(size_t)m * lda + k] * B[(size_t)k * ldb + n];
                mag += fabs((double)A[(size_t)m * lda + k] * B[(size_t)k * ldb + n]);
            }
            if (fabs(got - want) > 1e-5 * mag + 1e-6)
                fail_msg("M %d N %d K %d [%d, %d) acc %d: C[%d, %d] = %.8g, want %.8g", M, N, K, n0, n1, accumulate,
                         m, n, got, want);
        }
    free(A), free(B), free(C), free(C0);
}

static void test_small_gemm_shapes(void **state)
{
    (void)state;
    const int Ms[] = {1, 3, 4, 5, 8, 11, 32};
    const int Ns[] = {1, 7, 8, 16, 24, 63, 64, 65, 130, 512};
    const int Ks[] = {1, 5, 128};
    uint64_t seed = 10;
    for (size_t i = 0; i < sizeof Ms / sizeof *Ms; i++)
        for (size_t j = 0; j < sizeof Ns / sizeof *Ns; j++)
            for (size_t k = 0; k < sizeof Ks / sizeof *Ks; k++) {
                int N = Ns[j];
                check_shape(Ms[i], N, Ks[k], 0, N, (int)(seed & 1), seed);
                check_shape(Ms[i], N, Ks[k], N / 3, N - N / 5, (int)(~seed & 1), seed + 7);
                seed += 3;
            }
}

/* Same bits whatever the column split: threads own column ranges. */
static void test_small_gemm_split_invariant(void **state)
{
    (void)state;
    int M = 32, N = 512, K = 128;
    float *A = malloc((size_t)M * K * sizeof(float)), *B = malloc((size_t)K * N * sizeof(float));
    float *C1 = calloc((size_t)M * N, sizeof(float)), *C2 = calloc((size_t)M * N, sizeof(float));
    cmt_randn(A, (size_t)M * K, 1.0f, 1);
    cmt_randn(B, (size_t)K * N, 1.0f, 2);
    cm_small_gemm(C1, N, A, K, B, N, M, 0, N, K, 0);
    cm_small_gemm(C2, N, A, K, B, N, M, 0, 72, K, 0);
    cm_small_gemm(C2, N, A, K, B, N, M, 72, 200, K, 0);
    cm_small_gemm(C2, N, A, K, B, N, M, 200, N, K, 0);
    assert_memory_equal(C1, C2, (size_t)M * N * sizeof(float));
    free(A), free(B), free(C1), free(C2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_small_gemm_shapes),
        cmocka_unit_test(test_small_gemm_split_invariant),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
