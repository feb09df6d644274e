/* Batch norm (train and eval, running statistics) and layer norm. */
#include "vis_check.h"

#include <math.h>

#include "cogmap/nn.h"

typedef struct bn_ctx {
    int N, C, S, train;
    float *x, *g, *b, *rm, *rv, *mean, *rstd;
} bn_ctx;

static void bn_fwd(void *p, float *y)
{
    bn_ctx *c = p;
    /* No running statistics in the check: they must not change between calls. */
    cm_batchnorm_forward(y, c->mean, c->rstd, c->x, c->g, c->b, c->train ? NULL : c->rm, c->train ? NULL : c->rv,
                         c->N, c->C, c->S, 1e-5f, 0.1f, c->train);
}

static void test_batchnorm_gradients(void **state)
{
    (void)state;
    const int shapes[][3] = {{4, 3, 5}, {6, 4, 1}}; /* BatchNorm2d over 5 pixels; BatchNorm1d [N, C] */
    for (int train = 0; train < 2; train++)
        for (int s = 0; s < 2; s++) {
            bn_ctx c = {.N = shapes[s][0], .C = shapes[s][1], .S = shapes[s][2], .train = train};
            size_t n = (size_t)c.N * c.C * c.S;
            c.x = vc_randn(n, 2.0f, 1 + s);
            for (size_t i = 0; i < n; i++)
                c.x[i] += 1.5f;
            c.g = vc_randn(c.C, 1.0f, 3);
            c.b = vc_randn(c.C, 1.0f, 4);
            c.rm = vc_randn(c.C, 0.3f, 5);
            c.rv = vc_zeros(c.C);
            for (int i = 0; i < c.C; i++)
                c.rv[i] = 0.5f + 0.25f * i;
            c.mean = vc_zeros(c.C);
            c.rstd = vc_zeros(c.C);
            float *y = vc_zeros(n), *r = vc_randn(n, 1.0f, 6), *dx = vc_zeros(n), *dg = vc_zeros(c.C),
                  *db = vc_zeros(c.C);
            bn_fwd(&c, y);
            cm_batchnorm_backward(dx, dg, db, r, c.x, c.mean, c.rstd, c.g, c.N, c.C, c.S, train);
            vc_loss l = {bn_fwd, &c, y, r, n};
            vc_check("batchnorm x", &l, c.x, dx, n, 1e-2f, 1e-2);
            vc_check("batchnorm gamma", &l, c.g, dg, c.C, 1e-2f, 1e-2);
            vc_check("batchnorm beta", &l, c.b, db, c.C, 1e-2f, 1e-2);
            cm_free(c.x), cm_free(c.g), cm_free(c.b), cm_free(c.rm), cm_free(c.rv), cm_free(c.mean);
            cm_free(c.rstd), cm_free(y), cm_free(r), cm_free(dx), cm_free(dg), cm_free(db);
        }
}

/* Train mode: per-channel batch mean 0 and biased variance 1 before the affine
 * map; running stats move by 0.1 towards the batch mean and UNBIASED variance.
 * Eval mode: the running statistics normalise, whatever the batch holds. */
static void test_batchnorm_statistics(void **state)
{
    (void)state;
    const int N = 3, C = 2, S = 4, M = N * S;
    float *x = vc_randn((size_t)N * C * S, 3.0f, 9), y[24], mean[2], rstd[2];
    float rm[2] = {0.5f, -1.0f}, rv[2] = {2.0f, 0.25f};
    cm_batchnorm_forward(y, mean, rstd, x, NULL, NULL, rm, rv, N, C, S, 1e-5f, 0.1f, 1);
    for (int c = 0; c < C; c++) {
        double s = 0, q = 0, ys = 0, yq = 0;
        for (int n = 0; n < N; n++)
            for (int i = 0; i < S; i++) {
                double v = x[(n * C + c) * S + i];
                s += v;
                q += v * v;
                ys += y[(n * C + c) * S + i];
                yq += (double)y[(n * C + c) * S + i] * y[(n * C + c) * S + i];
            }
        double mu = s / M, var = q / M - mu * mu;
        assert_true(fabs(ys / M) < 1e-5);
        assert_true(fabs(yq / M - var / (var + 1e-5)) < 1e-4);
        const double rm0 = c == 0 ? 0.5 : -1.0, rv0 = c == 0 ? 2.0 : 0.25;
        assert_true(fabs(rm[c] - (0.9 * rm0 + 0.1 * mu)) < 1e-5);
        assert_true(fabs(rv[c] - (0.9 * rv0 + 0.1 * var * M / (M - 1))) < 1e-4);
    }
    /* Eval with known running stats. */
    float rm2[2] = {1.0f, -2.0f}, rv2[2] = {4.0f, 0.25f}, g[2] = {2.0f, 0.5f}, b[2] = {0.1f, -0.1f};
    cm_batchnorm_forward(y, mean, rstd, x, g, b, rm2, rv2, N, C, S, 1e-5f, 0.1f, 0);
    assert_true(rm2[0] == 1.0f && rv2[1] == 0.25f); /* untouched in eval */
    for (int n = 0; n < N; n++)
        for (int c = 0; c < C; c++)
            for (int i = 0; i < S; i++) {
                size_t k = ((size_t)n * C + c) * S + i;
                double want = (x[k] - rm2[c]) / sqrt(rv2[c] + 1e-5) * g[c] + b[c];
                assert_true(fabs(y[k] - want) < 1e-5);
            }
    cm_free(x);
}

typedef struct ln_ctx {
    int N, D;
    float *x, *g, *b, *mean, *rstd;
} ln_ctx;

static void ln_fwd(void *p, float *y)
{
    ln_ctx *c = p;
    cm_layernorm_forward(y, c->mean, c->rstd, c->x, c->g, c->b, c->N, c->D, 1e-5f);
}

static void test_layernorm(void **state)
{
    (void)state;
    ln_ctx c = {.N = 5, .D = 8};
    size_t n = (size_t)c.N * c.D;
    c.x = vc_randn(n, 2.0f, 31);
    c.g = vc_randn(c.D, 1.0f, 32);
    c.b = vc_randn(c.D, 1.0f, 33);
    c.mean = vc_zeros(c.N);
    c.rstd = vc_zeros(c.N);
    float *y = vc_zeros(n), *r = vc_randn(n, 1.0f, 34), *dx = vc_zeros(n), *dg = vc_zeros(c.D), *db = vc_zeros(c.D);
    /* Without affine: each row has mean 0 and biased variance ~1. */
    cm_layernorm_forward(y, c.mean, c.rstd, c.x, NULL, NULL, c.N, c.D, 1e-5f);
    for (int i = 0; i < c.N; i++) {
        double s = 0, q = 0;
        for (int j = 0; j < c.D; j++)
            s += y[i * c.D + j], q += (double)y[i * c.D + j] * y[i * c.D + j];
        assert_true(fabs(s / c.D) < 1e-5);
        assert_true(fabs(q / c.D - 1.0) < 1e-3);
    }
    ln_fwd(&c, y);
    cm_layernorm_backward(dx, dg, db, r, c.x, c.mean, c.rstd, c.g, c.N, c.D);
    vc_loss l = {ln_fwd, &c, y, r, n};
    vc_check("layernorm x", &l, c.x, dx, n, 1e-2f, 1e-2);
    vc_check("layernorm gamma", &l, c.g, dg, c.D, 1e-2f, 1e-2);
    vc_check("layernorm beta", &l, c.b, db, c.D, 1e-2f, 1e-2);
    cm_free(c.x), cm_free(c.g), cm_free(c.b), cm_free(c.mean), cm_free(c.rstd), cm_free(y), cm_free(r);
    cm_free(dx), cm_free(dg), cm_free(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batchnorm_gradients),
        cmocka_unit_test(test_batchnorm_statistics),
        cmocka_unit_test(test_layernorm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
