/* Gradient-check harness for the nnvis layer tests: a layer's forward is
 * wrapped as loss = <y, r> for a fixed random r, so that backward with dy = r
 * gives the analytic gradient of that loss w.r.t. every input and parameter,
 * and cmt_gradcheck compares it with central differences. */
#ifndef COGMAP_TEST_VIS_CHECK_H
#define COGMAP_TEST_VIS_CHECK_H

#include "test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*vc_forward_fn)(void *ctx, float *y);

typedef struct vc_loss {
    vc_forward_fn forward;
    void *ctx;
    float *y;
    const float *r;
    size_t ny;
} vc_loss;

static inline double vc_loss_eval(void *p)
{
    vc_loss *l = (vc_loss *)p;
    l->forward(l->ctx, l->y);
    double s = 0.0;
    for (size_t i = 0; i < l->ny; i++)
        s += (double)l->y[i] * l->r[i];
    return s;
}

/* Gradient-checks buffer x (n floats) whose analytic gradient is g; fails the
 * test with the buffer's name when the worst error exceeds tol. */
static inline void vc_check(const char *name, vc_loss *l, float *x, const float *g, size_t n, float eps,
                            double tol)
{
    double err = cmt_gradcheck(x, g, n, vc_loss_eval, l, eps, 200);
    if (!(err <= tol)) {
        fprintf(stderr, "gradient of %s: worst error %g > %g\n", name, err, tol);
        fail();
    }
}

/* A zeroed float buffer from cm_calloc that the test must cm_free. */
static inline float *vc_zeros(size_t n)
{
    float *p = (float *)cm_calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

static inline float *vc_randn(size_t n, float sd, uint64_t seed)
{
    float *p = vc_zeros(n);
    cmt_randn(p, n, sd, seed);
    return p;
}

static inline double vc_dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

#endif
