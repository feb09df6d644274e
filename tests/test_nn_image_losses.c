/* BCE (probabilities, logits), L1 and BEVLoss's total variation. */
#include "vis_check.h"

#include <math.h>

#include "cogmap/nn.h"

typedef struct loss_ctx {
    int kind; /* 0 bce, 1 bce logits, 2 l1, 3 tv */
    float *x, *t;
    size_t n;
    int planes, H, W;
} loss_ctx;

/* The losses return doubles: kept in double here, no float rounding in the check. */
static double loss_eval(void *p)
{
    loss_ctx *c = p;
    switch (c->kind) {
    case 0: return cm_bce_forward(c->x, c->t, c->n);
    case 1: return cm_bce_logits_forward(c->x, c->t, c->n);
    case 2: return cm_l1_forward(c->x, c->t, c->n);
    default: return cm_tv_forward(c->x, c->planes, c->H, c->W);
    }
}

static void test_loss_gradients(void **state)
{
    (void)state;
    for (int kind = 0; kind < 4; kind++) {
        loss_ctx c = {.kind = kind, .n = 2 * 5 * 6, .planes = 2, .H = 5, .W = 6};
        c.x = vc_randn(c.n, 1.0f, 10 + kind);
        c.t = vc_randn(c.n, 1.0f, 20 + kind);
        for (size_t i = 0; i < c.n; i++) {
            if (kind == 0) /* probabilities away from 0 and 1, soft targets */
                c.x[i] = 0.1f + 0.8f / (1.0f + expf(-c.x[i]));
            if (kind <= 1)
                c.t[i] = 1.0f / (1.0f + expf(-c.t[i]));
        }
        float *g = vc_zeros(c.n);
        switch (kind) {
        case 0: cm_bce_backward(g, c.x, c.t, c.n, 1.0f); break;
        case 1: cm_bce_logits_backward(g, c.x, c.t, c.n, 1.0f); break;
        case 2: cm_l1_backward(g, c.x, c.t, c.n, 1.0f); break;
        default: cm_tv_backward(g, c.x, c.planes, c.H, c.W, 1.0f); break;
        }
        /* |.| has kinks too: a small step keeps every difference on one side. */
        double err = cmt_gradcheck(c.x, g, c.n, loss_eval, &c, kind >= 2 ? 1e-4f : 1e-3f, 0);
        if (!(err < 1e-2))
            fail_msg("loss %d: gradient error %g", kind, err);
        cm_free(c.x), cm_free(c.t), cm_free(g);
    }
}

static void test_loss_values(void **state)
{
    (void)state;
    /* PyTorch clamps log at -100: p = 0 with target 1 costs exactly 100, and p = 1 with target 1 costs 0. */
    float p[3] = {0.0f, 1.0f, 0.25f}, t[3] = {1.0f, 1.0f, 0.0f};
    assert_true(fabs(cm_bce_forward(p, t, 3) - (100.0 + 0.0 - log(0.75))) < 1e-5);
    float g[3] = {0, 0, 0};
    cm_bce_backward(g, p, t, 3, 1.0f);
    assert_true(isfinite(g[0]) && g[0] < -1e11f); /* (0 - 1) / 1e-12 */
    assert_true(fabsf(g[2] - 0.25f / (0.25f * 0.75f)) < 1e-5f);
    /* BCE with logits equals BCE of the sigmoid, and stays finite for large logits. */
    float z[4] = {-3.0f, 0.5f, 2.0f, 80.0f}, tz[4] = {0.2f, 1.0f, 0.0f, 0.0f}, s[4];
    for (int i = 0; i < 4; i++)
        s[i] = 1.0f / (1.0f + expf(-z[i]));
    assert_true(fabs(cm_bce_logits_forward(z, tz, 3) - cm_bce_forward(s, tz, 3)) < 1e-5);
    assert_true(fabs(cm_bce_logits_forward(z + 3, tz + 3, 1) - 80.0) < 1e-4);
    /* L1 and its sign gradient, 0 where equal. */
    float a[3] = {1.0f, -2.0f, 3.0f}, b[3] = {0.5f, 1.0f, 3.0f}, da[3] = {0, 0, 0};
    assert_true(fabs(cm_l1_forward(a, b, 3) - 3.5) < 1e-6);
    cm_l1_backward(da, a, b, 3, 2.0f);
    assert_true(da[0] == 2.0f && da[1] == -2.0f && da[2] == 0.0f);
    /* TV of [[0, 1], [3, 5]]: horizontal |0-1|, |3-5| -> mean 1.5; vertical |0-3|, |1-5| -> 3.5; (1.5 + 3.5) / 2. */
    float img[4] = {0, 1, 3, 5};
    assert_true(fabs(cm_tv_forward(img, 1, 2, 2) - 2.5) < 1e-6);
    float one_row[3] = {1, 4, 2}; /* no vertical pairs: that term contributes 0 */
    assert_true(fabs(cm_tv_forward(one_row, 1, 1, 3) - 0.5 * 2.5) < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loss_gradients),
        cmocka_unit_test(test_loss_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
