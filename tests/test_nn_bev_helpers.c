/* The BEV head's bilinear resize (align_corners=False) and the sinusoidal
 * position encodings. */
#include "vis_check.h"

#include <math.h>

#include "cogmap/nn.h"

typedef struct rs_ctx {
    int planes, H, W, OH, OW;
    float *x;
} rs_ctx;

static void rs_fwd(void *p, float *y)
{
    rs_ctx *c = p;
    cm_resize_bilinear_forward(y, c->x, c->planes, c->H, c->W, c->OH, c->OW);
}

static void test_resize_gradients(void **state)
{
    (void)state;
    const int sizes[][4] = {{8, 8, 7, 7}, {5, 6, 9, 4}, {4, 4, 4, 4}}; /* the BEV 256->250 in small; up/down; same */
    for (int s = 0; s < 3; s++) {
        rs_ctx c = {2, sizes[s][0], sizes[s][1], sizes[s][2], sizes[s][3], NULL};
        size_t nx = (size_t)c.planes * c.H * c.W, ny = (size_t)c.planes * c.OH * c.OW;
        c.x = vc_randn(nx, 1.0f, 5 + s);
        float *y = vc_zeros(ny), *r = vc_randn(ny, 1.0f, 15 + s), *dx = vc_zeros(nx);
        cm_resize_bilinear_backward(dx, r, c.planes, c.H, c.W, c.OH, c.OW);
        vc_loss l = {rs_fwd, &c, y, r, ny};
        vc_check("resize x", &l, c.x, dx, nx, 1e-2f, 1e-3);
        /* Adjointness of the pair: <resize(x), r> == <x, resize^T(r)>. */
        rs_fwd(&c, y);
        assert_true(fabs(vc_dot(y, r, ny) - vc_dot(c.x, dx, nx)) < 1e-4 * fmax(1.0, fabs(vc_dot(y, r, ny))));
        if (s == 2) /* same size: the identity */
            assert_true(cmt_max_abs_diff(y, c.x, nx) < 1e-6);
        cm_free(c.x), cm_free(y), cm_free(r), cm_free(dx);
    }
}

/* 1-D upsampling of [0, 1] to 4 samples: src = (d + 0.5)/2 - 0.5 = -0.25 (clamped to 0),
 * 0.25, 0.75, 1.25 (right neighbour clamped) -> 0, 0.25, 0.75, 1. */
static void test_resize_values(void **state)
{
    (void)state;
    float x[2] = {0.0f, 1.0f}, y[4];
    cm_resize_bilinear_forward(y, x, 1, 1, 2, 1, 4);
    const float want[4] = {0.0f, 0.25f, 0.75f, 1.0f};
    for (int i = 0; i < 4; i++)
        assert_true(fabsf(y[i] - want[i]) < 1e-6f);
}

static void test_positional_encoding(void **state)
{
    (void)state;
    const int P = 64, D = 256; /* the BEV decoder's queries */
    float *pe = vc_zeros((size_t)P * D);
    cm_positional_encoding(pe, P, D);
    for (int i = 0; i < D; i++)
        assert_true(pe[i] == (i % 2 ? 1.0f : 0.0f)); /* position 0: sin 0, cos 0 */
    assert_true(fabsf(pe[D + 0] - sinf(1.0f)) < 1e-6f);
    assert_true(fabsf(pe[D + 1] - cosf(1.0f)) < 1e-6f);
    /* p = 5, i = 10: angle 5 / 10000^(20/256). */
    double a = 5.0 / pow(10000.0, 20.0 / 256.0);
    assert_true(fabs(pe[5 * D + 20] - sin(a)) < 1e-6 && fabs(pe[5 * D + 21] - cos(a)) < 1e-6);
    cm_free(pe);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resize_gradients),
        cmocka_unit_test(test_resize_values),
        cmocka_unit_test(test_positional_encoding),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
