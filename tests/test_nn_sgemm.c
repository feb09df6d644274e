/* cm_sgemm against a double-precision reference: every transpose, alpha and
 * beta (beta 0 never reads C, NaN there stays out), strides wider than the
 * matrices, shapes off the 12 x 32 tiles and the k blocks, products small
 * enough for the BLAS path; and the same bits at 1 and 2 threads. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/nn.h"

static void reference(int ta, int tb, int M, int N, int K, float alpha, const float *A, int lda, const float *B,
                      int ldb, float beta, const float *C0, float *C, int ldc)
{
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++)
                s += (double)(ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k]) *
                     (tb ? B[(size_t)j * ldb + k] : B[(size_t)k * ldb + j]);
            C[(size_t)i * ldc + j] = (float)(alpha * s + (beta == 0.0f ? 0.0 : beta * (double)C0[(size_t)i * ldc + j]));
        }
}

static void check(int ta, int tb, int M, int N, int K, float alpha, float beta, int pad)
{
    const int ra = ta ? K : M, ca = ta ? M : K, rb = tb ? N : K, cb = tb ? K : N;
    const int lda = ca + pad, ldb = cb + pad, ldc = N + pad;
    float *A = malloc((size_t)ra * lda * sizeof(float)), *B = malloc((size_t)rb * ldb * sizeof(float));
    float *C0 = malloc((size_t)M * ldc * sizeof(float)), *C = malloc((size_t)M * ldc * sizeof(float));
    float *R = malloc((size_t)M * ldc * sizeof(float)), *C2 = malloc((size_t)M * ldc * sizeof(float));
    cmt_randn(A, (size_t)ra * lda, 1.0f, 1);
    cmt_randn(B, (size_t)rb * ldb, 1.0f, 2);
    cmt_randn(C0, (size_t)M * ldc, 1.0f, 3);
    if (beta == 0.0f)
        for (size_t i = 0; i < (size_t)M * ldc; i++)
            C0[i] = NAN; /* never read */
    memcpy(C, C0, (size_t)M * ldc * sizeof(float));
    memcpy(R, C0, (size_t)M * ldc * sizeof(float));
    reference(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C0, R, ldc);
    cm_set_threads(1);
    cm_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
    double worst = 0.0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < ldc; j++) {
            const size_t at = (size_t)i * ldc + j;
            if (j >= N) { /* the padding is not written */
                assert_true(memcmp(&C[at], &C0[at], sizeof(float)) == 0);
                continue;
            }
            double e = fabs((double)C[at] - R[at]) / (1.0 + sqrt((double)K) + fabs(R[at]));
            if (!(e <= worst))
                worst = isnan(e) ? INFINITY : e;
        }
    if (!(worst < 1e-5))
        fail_msg("sgemm %s%s %dx%dx%d alpha %g beta %g pad %d: error %g", ta ? "T" : "N", tb ? "T" : "N", M, N, K,
                 (double)alpha, (double)beta, pad, worst);
#if defined(__AVX512F__)
    /* The AVX-512 kernels split C into whole tiles per thread: the same bits
     * at any thread count. Without them (a portable build, as the sanitizer
     * one) cm_sgemm is BLAS's, whose threads may sum in another order. */
    memcpy(C2, C0, (size_t)M * ldc * sizeof(float));
    cm_set_threads(2);
    cm_sgemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
    cm_set_threads(1);
    assert_memory_equal(C, C2, (size_t)M * ldc * sizeof(float));
#endif
    free(A), free(B), free(C0), free(C), free(R), free(C2);
}

static void test_sgemm(void **state)
{
    (void)state;
    const int shapes[][3] = {{1, 1, 1},     {5, 7, 3},      {12, 32, 256}, {13, 33, 257}, {100, 70, 300},
                             {145, 2049, 9}, {300, 40, 520}, {8, 4096, 64}, {64, 64, 32},  {37, 129, 700}};
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                const int *d = shapes[s];
                check(ta, tb, d[0], d[1], d[2], 1.0f, 0.0f, 0);
                check(ta, tb, d[0], d[1], d[2], 0.5f, 1.0f, 3);
                check(ta, tb, d[0], d[1], d[2], -2.0f, 0.25f, 17);
            }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sgemm)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
