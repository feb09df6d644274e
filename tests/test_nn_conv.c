/* Conv2d, ConvTranspose2d and pooling: gradients by central differences over
 * stride / padding / dilation / output_padding combinations, a 1x1 conv equal
 * to a linear map, the transposed conv as the adjoint of the conv, and bad
 * geometries rejected. */
#include "vis_check.h"

#include <math.h>

#include "cogmap/nn.h"

typedef struct conv_ctx {
    cm_conv2d_cfg cfg;
    int transposed;
    float *x, *w, *b, *work;
} conv_ctx;

static void conv_fwd(void *p, float *y)
{
    conv_ctx *c = p;
    if (c->transposed)
        cm_conv_transpose2d_forward(y, c->x, c->w, c->b, &c->cfg, c->work);
    else
        cm_conv2d_forward(y, c->x, c->w, c->b, &c->cfg, c->work);
}

static void check_conv(cm_conv2d_cfg cfg, int transposed, uint64_t seed)
{
    conv_ctx c = {.cfg = cfg, .transposed = transposed};
    int oh, ow;
    cm_status st = transposed ? cm_conv_transpose2d_out_size(&cfg, &oh, &ow) : cm_conv2d_out_size(&cfg, &oh, &ow);
    assert_int_equal(st, CM_OK);
    size_t nx = (size_t)cfg.batch * cfg.in_c * cfg.in_h * cfg.in_w, nw = (size_t)cfg.in_c * cfg.out_c * cfg.kh * cfg.kw;
    size_t ny = (size_t)cfg.batch * cfg.out_c * oh * ow;
    size_t nwork = transposed ? cm_conv_transpose2d_work_floats(&cfg) : cm_conv2d_work_floats(&cfg);
    c.x = vc_randn(nx, 1.0f, seed);
    c.w = vc_randn(nw, 0.5f, seed + 1);
    c.b = vc_randn(cfg.out_c, 0.5f, seed + 2);
    c.work = vc_zeros(nwork);
    float *y = vc_zeros(ny), *r = vc_randn(ny, 1.0f, seed + 3);
    float *dx = vc_zeros(nx), *dw = vc_zeros(nw), *db = vc_zeros(cfg.out_c);
    if (transposed)
        cm_conv_transpose2d_backward(dx, dw, db, r, c.x, c.w, &cfg, c.work);
    else
        cm_conv2d_backward(dx, dw, db, r, c.x, c.w, &cfg, c.work);
    vc_loss l = {conv_fwd, &c, y, r, ny};
    vc_check("conv x", &l, c.x, dx, nx, 1e-2f, 1e-2);
    vc_check("conv w", &l, c.w, dw, nw, 1e-2f, 1e-2);
    vc_check("conv b", &l, c.b, db, cfg.out_c, 1e-2f, 1e-2);
    cm_free(c.x), cm_free(c.w), cm_free(c.b), cm_free(c.work), cm_free(y), cm_free(r), cm_free(dx), cm_free(dw);
    cm_free(db);
}

static void test_conv2d_gradients(void **state)
{
    (void)state;
    /* plain 3x3; the BEV encoder's stride 2 pad 1; dilation 2; mixed per-axis; 1x1 */
    const int geo[][8] = {/* kh kw sh sw ph pw dh dw */
                          {3, 3, 1, 1, 0, 0, 1, 1}, {3, 3, 2, 2, 1, 1, 1, 1}, {3, 3, 1, 1, 2, 2, 2, 2},
                          {2, 3, 2, 1, 1, 0, 1, 2}, {1, 1, 1, 1, 0, 0, 1, 1}, {4, 4, 3, 2, 1, 2, 1, 1}};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) {
        cm_conv2d_cfg cfg = cm_conv2d_make(2, 3, 7, 6, 4, geo[i][0], geo[i][1]);
        cfg.stride[0] = geo[i][2], cfg.stride[1] = geo[i][3];
        cfg.pad[0] = geo[i][4], cfg.pad[1] = geo[i][5];
        cfg.dilation[0] = geo[i][6], cfg.dilation[1] = geo[i][7];
        check_conv(cfg, 0, 100 + 10 * i);
    }
}

static void test_conv_transpose2d_gradients(void **state)
{
    (void)state;
    /* the BEV upsampler's kernel 4 stride 2 pad 1; output padding; dilation */
    const int geo[][6] = {/* k s p op d */
                          {4, 2, 1, 0, 1}, {3, 2, 1, 1, 1}, {3, 1, 0, 0, 2}, {2, 3, 0, 2, 1}};
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) {
        cm_conv2d_cfg cfg = cm_conv2d_make(2, 3, 4, 5, 2, geo[i][0], geo[i][0]);
        cfg.stride[0] = cfg.stride[1] = geo[i][1];
        cfg.pad[0] = cfg.pad[1] = geo[i][2];
        cfg.output_padding[0] = cfg.output_padding[1] = geo[i][3];
        cfg.dilation[0] = cfg.dilation[1] = geo[i][4];
        check_conv(cfg, 1, 200 + 10 * i);
    }
}

/* y[n, o, p] = sum_c W[o, c] x[n, c, p] + b[o]: a 1x1 convolution is a linear map per pixel. */
static void test_conv1x1_is_linear(void **state)
{
    (void)state;
    cm_conv2d_cfg cfg = cm_conv2d_make(2, 3, 4, 5, 6, 1, 1);
    const int P = 20;
    float *x = vc_randn(2 * 3 * P, 1.0f, 1), *w = vc_randn(6 * 3, 1.0f, 2), *b = vc_randn(6, 1.0f, 3);
    float *y = vc_zeros(2 * 6 * P), *work = vc_zeros(cm_conv2d_work_floats(&cfg) + 1);
    cm_conv2d_forward(y, x, w, b, &cfg, work);
    for (int n = 0; n < 2; n++)
        for (int o = 0; o < 6; o++)
            for (int p = 0; p < P; p++) {
                double s = b[o];
                for (int c = 0; c < 3; c++)
                    s += (double)w[o * 3 + c] * x[(n * 3 + c) * P + p];
                assert_true(fabs(y[(n * 6 + o) * P + p] - s) < 1e-5);
            }
    cm_free(x), cm_free(w), cm_free(b), cm_free(y), cm_free(work);
}

/* <conv(x), y> == <x, convT(y)> with the same weight and geometry (no bias):
 * the transposed convolution is the adjoint, which is what the upsampler needs. */
static void test_conv_transpose_is_adjoint(void **state)
{
    (void)state;
    const int geo[][4] = {{3, 2, 1, 1}, {4, 2, 1, 1}, {3, 1, 1, 2}, {2, 3, 0, 1}}; /* k s p d */
    for (size_t i = 0; i < sizeof geo / sizeof geo[0]; i++) {
        cm_conv2d_cfg c = cm_conv2d_make(2, 3, 9, 8, 5, geo[i][0], geo[i][0]);
        c.stride[0] = c.stride[1] = geo[i][1];
        c.pad[0] = c.pad[1] = geo[i][2];
        c.dilation[0] = c.dilation[1] = geo[i][3];
        int oh, ow;
        assert_int_equal(cm_conv2d_out_size(&c, &oh, &ow), CM_OK);
        /* The transposed layer maps [5, oh, ow] back to [3, 9, 8]; output_padding
         * makes up for the rows the strided conv dropped. */
        cm_conv2d_cfg t = cm_conv2d_make(2, 5, oh, ow, 3, geo[i][0], geo[i][0]);
        t.stride[0] = t.stride[1] = geo[i][1];
        t.pad[0] = t.pad[1] = geo[i][2];
        t.dilation[0] = t.dilation[1] = geo[i][3];
        int th, tw;
        assert_int_equal(cm_conv_transpose2d_out_size(&t, &th, &tw), CM_OK);
        t.output_padding[0] = 9 - th;
        t.output_padding[1] = 8 - tw;
        assert_int_equal(cm_conv_transpose2d_out_size(&t, &th, &tw), CM_OK);
        assert_int_equal(th, 9);
        assert_int_equal(tw, 8);
        size_t nx = 2 * 3 * 9 * 8, ny = (size_t)2 * 5 * oh * ow;
        float *x = vc_randn(nx, 1.0f, 40 + i), *yv = vc_randn(ny, 1.0f, 50 + i);
        float *w = vc_randn(5 * 3 * geo[i][0] * geo[i][0], 1.0f, 60 + i); /* conv [5,3,k,k] == convT [in 5, out 3, k, k] */
        float *cx = vc_zeros(ny), *ty = vc_zeros(nx);
        float *work = vc_zeros(cm_conv2d_work_floats(&c) + cm_conv_transpose2d_work_floats(&t));
        cm_conv2d_forward(cx, x, w, NULL, &c, work);
        cm_conv_transpose2d_forward(ty, yv, w, NULL, &t, work);
        double a = vc_dot(cx, yv, ny), b = vc_dot(x, ty, nx);
        assert_true(fabs(a - b) <= 1e-4 * fmax(1.0, fabs(a)));
        cm_free(x), cm_free(yv), cm_free(w), cm_free(cx), cm_free(ty), cm_free(work);
    }
}

static void test_conv_bad_geometry(void **state)
{
    (void)state;
    int oh, ow;
    cm_conv2d_cfg c = cm_conv2d_make(1, 3, 2, 2, 4, 3, 3);
    assert_int_equal(cm_conv2d_out_size(&c, &oh, &ow), CM_ERR_ARG); /* kernel larger than the image */
    assert_non_null(strstr(cm_errmsg(), "too small"));
    c = cm_conv2d_make(1, 3, 8, 8, 4, 3, 3);
    c.stride[1] = 0;
    assert_int_equal(cm_conv2d_out_size(&c, &oh, &ow), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "stride"));
    c = cm_conv2d_make(1, 0, 8, 8, 4, 3, 3);
    assert_int_equal(cm_conv2d_out_size(&c, &oh, &ow), CM_ERR_ARG);
    c = cm_conv2d_make(1, 3, 8, 8, 4, 3, 3);
    c.stride[0] = c.stride[1] = 2;
    c.output_padding[0] = 2;
    assert_int_equal(cm_conv_transpose2d_out_size(&c, &oh, &ow), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "output_padding"));
    c.output_padding[0] = 1;
    assert_int_equal(cm_conv_transpose2d_out_size(&c, &oh, &ow), CM_OK);
    assert_int_equal(oh, 18); /* (8 - 1) 2 - 0 + (3 - 1) + 1 + 1 */
    c = cm_conv2d_make(1, 3, 8, 8, 4, 4, 4);
    c.stride[0] = c.stride[1] = 2;
    c.pad[0] = c.pad[1] = 1;
    assert_int_equal(cm_conv_transpose2d_out_size(&c, &oh, &ow), CM_OK);
    assert_int_equal(oh, 16);
    assert_int_equal(ow, 16);
}

typedef struct pool_ctx {
    int kind, N, C, H, W, k, s, p;
    float *x;
    int32_t *arg;
} pool_ctx;

static void pool_fwd(void *q, float *y)
{
    pool_ctx *c = q;
    if (c->kind == 0)
        cm_maxpool2d_forward(y, c->arg, c->x, c->N, c->C, c->H, c->W, c->k, c->s, c->p);
    else if (c->kind == 1)
        cm_avgpool2d_forward(y, c->x, c->N, c->C, c->H, c->W, c->k, c->s, c->p);
    else
        cm_global_avgpool_forward(y, c->x, c->N, c->C, c->H * c->W);
}

static void test_pool_gradients_and_values(void **state)
{
    (void)state;
    for (int kind = 0; kind < 3; kind++) {
        pool_ctx c = {kind, 2, 3, 7, 6, 3, 2, 1, NULL, NULL}; /* ResNet18's max-pool geometry */
        int OH = cm_pool2d_out(c.H, c.k, c.s, c.p), OW = cm_pool2d_out(c.W, c.k, c.s, c.p);
        assert_int_equal(OH, 4);
        assert_int_equal(OW, 3);
        size_t nx = (size_t)c.N * c.C * c.H * c.W, ny = kind == 2 ? (size_t)c.N * c.C : (size_t)c.N * c.C * OH * OW;
        c.x = vc_randn(nx, 1.0f, 70 + kind);
        c.arg = (int32_t *)cm_calloc(ny, sizeof(int32_t));
        float *y = vc_zeros(ny), *r = vc_randn(ny, 1.0f, 80 + kind), *dx = vc_zeros(nx);
        pool_fwd(&c, y);
        if (kind == 0) {
            /* Output (0, 0) covers rows -1..1, cols -1..1: the max of x[0..1][0..1]. */
            float m = fmaxf(fmaxf(c.x[0], c.x[1]), fmaxf(c.x[6], c.x[7]));
            assert_true(y[0] == m);
            cm_maxpool2d_backward(dx, r, c.arg, c.N, c.C, c.H, c.W, c.k, c.s, c.p);
        } else if (kind == 1) {
            /* count_include_pad: the corner window holds 4 real pixels out of 9. */
            assert_true(fabsf(y[0] - (c.x[0] + c.x[1] + c.x[6] + c.x[7]) / 9.0f) < 1e-6f);
            cm_avgpool2d_backward(dx, r, c.N, c.C, c.H, c.W, c.k, c.s, c.p);
        } else {
            double s = 0;
            for (int i = 0; i < 42; i++)
                s += c.x[i];
            assert_true(fabs(y[0] - s / 42) < 1e-6);
            cm_global_avgpool_backward(dx, r, c.N, c.C, c.H * c.W);
        }
        vc_loss l = {pool_fwd, &c, y, r, ny};
        vc_check("pool x", &l, c.x, dx, nx, 1e-3f, 1e-2);
        cm_free(c.x), cm_free(c.arg), cm_free(y), cm_free(r), cm_free(dx);
    }
    assert_true(cm_pool2d_out(7, 3, 2, 2) <= 0); /* padding over half the kernel, as PyTorch refuses */
    assert_true(cm_pool2d_out(2, 3, 1, 0) <= 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conv2d_gradients),          cmocka_unit_test(test_conv_transpose2d_gradients),
        cmocka_unit_test(test_conv1x1_is_linear),         cmocka_unit_test(test_conv_transpose_is_adjoint),
        cmocka_unit_test(test_conv_bad_geometry),         cmocka_unit_test(test_pool_gradients_and_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
