/* Optimisers, clipping and schedules against steps computed by hand. */
#include "test_util.h"

#include "cogmap/nn.h"

#include <math.h>
#include <string.h>

/* Two steps on theta = (1, -2) with gradients g1 then g2; returns theta. */
static void run2(const cm_optim_config *cfg, float theta[2])
{
    cm_optim o;
    assert_int_equal(cm_optim_init(&o, cfg, 2), CM_OK);
    const float g1[2] = {0.5f, -0.25f}, g2[2] = {0.5f, 1.0f};
    theta[0] = 1.0f;
    theta[1] = -2.0f;
    cm_optim_step(&o, theta, g1);
    cm_optim_step(&o, theta, g2);
    assert_int_equal(o.t, 2);
    cm_optim_free(&o);
}

#define NEAR(a, b) assert_true(fabs((double)(a) - (double)(b)) < 1e-6)

static void test_sgd_momentum(void **state)
{
    (void)state;
    cm_optim_config c = cm_optim_defaults(CM_OPTIM_SGD);
    c.lr = 0.1;
    c.momentum = 0.9;
    c.weight_decay = 0.01;
    float th[2];
    run2(&c, th);
    /* step 1: g = 0.5 + 0.01*1 = 0.51, buf = g, theta = 1 - 0.051 = 0.949
     * step 2: g = 0.5 + 0.00949 = 0.50949, buf = 0.9*0.51 + 0.50949 = 0.96849, theta = 0.949 - 0.096849 */
    NEAR(th[0], 0.949 - 0.096849);
}

static void test_adam_adamw(void **state)
{
    (void)state;
    cm_optim_config c = cm_optim_defaults(CM_OPTIM_ADAM);
    c.lr = 0.1;
    float th[2];
    run2(&c, th);
    /* Adam: step 1 moves by lr * sign(g) (bias-corrected m/sqrt(v) = 1): theta0 = 0.9.
     * step 2, g = 0.5 again: m = 0.9*0.05 + 0.05 = 0.095, v = 0.999*0.00025 + 0.00025,
     * m/(1-0.81) = 0.5, v/(1-0.999^2) = 0.25: moves by 0.1 again -> 0.8. */
    NEAR(th[0], 0.8);
    /* theta1: g = -0.25 then 1.0: m = 0.9*(-0.025) + 0.1 = 0.0775, mhat = 0.0775/0.19;
     * v = 0.999*0.0000625 + 0.001 = 0.0010624375, vhat = v / 0.001999 */
    double m = 0.0775 / 0.19, v = (0.999 * 0.0000625 + 0.001) / (1 - 0.999 * 0.999);
    NEAR(th[1], -2.0 + 0.1 - 0.1 * m / (sqrt(v) + 1e-8));
    c = cm_optim_defaults(CM_OPTIM_ADAMW);
    c.lr = 0.1;
    c.weight_decay = 0.5;
    run2(&c, th);
    /* AdamW: theta *= 1 - lr*wd (0.95) before each Adam move: (1*0.95 - 0.1)*0.95 - 0.1 */
    NEAR(th[0], (0.95 - 0.1) * 0.95 - 0.1);
}

static void test_rmsprop_pytorch(void **state)
{
    (void)state;
    cm_optim_config c = cm_optim_defaults(CM_OPTIM_RMSPROP);
    c.lr = 0.01;
    float th[2];
    run2(&c, th);
    /* no momentum: v1 = 0.01*0.25 -> sqrt 0.05, theta = 1 - 0.01*0.5/(0.05+1e-8);
     * v2 = 0.99*0.0025 + 0.0025 = 0.004975 */
    double t1 = 1.0 - 0.01 * 0.5 / (0.05 + 1e-8);
    NEAR(th[0], t1 - 0.01 * 0.5 / (sqrt(0.004975) + 1e-8));
    c.momentum = 0.9;
    run2(&c, th);
    double b1 = 0.5 / (0.05 + 1e-8), b2 = 0.9 * b1 + 0.5 / (sqrt(0.004975) + 1e-8);
    NEAR(th[0], 1.0 - 0.01 * b1 - 0.01 * b2);
}

static void test_rmsprop_tf(void **state)
{
    (void)state;
    cm_optim_config c = cm_optim_defaults(CM_OPTIM_RMSPROP_TF);
    assert_true(c.alpha == 0.9 && c.eps == 1e-10);
    c.lr = 0.01;
    c.momentum = 0.9;
    cm_optim o;
    assert_int_equal(cm_optim_init(&o, &c, 2), CM_OK);
    /* the mean-square accumulator starts at ONE */
    assert_true(o.buf1[0] == 1.0f && o.buf1[1] == 1.0f);
    cm_optim_free(&o);
    float th[2];
    run2(&c, th);
    /* ms1 = 0.9*1 + 0.1*0.25 = 0.925, mom1 = 0.01*0.5/sqrt(0.925 + 1e-10)
     * ms2 = 0.9*0.925 + 0.025 = 0.8575, mom2 = 0.9 mom1 + 0.01*0.5/sqrt(0.8575 + 1e-10) */
    double m1 = 0.01 * 0.5 / sqrt(0.925 + 1e-10), m2 = 0.9 * m1 + 0.01 * 0.5 / sqrt(0.8575 + 1e-10);
    NEAR(th[0], 1.0 - m1 - m2);
    /* with a zero-initialised accumulator the first move would be ~0.0316, not ~0.0052 */
    assert_true(fabs(m1 - 0.0051988) < 1e-6);
}

static void test_clipping(void **state)
{
    (void)state;
    float g[4] = {3.0f, 4.0f, 0.0f, 0.0f};
    double n = cm_clip_grad_norm(g, 4, 1.0);
    NEAR(n, 5.0);
    NEAR(g[0], 3.0 / (5.0 + 1e-6));
    NEAR(g[1], 4.0 / (5.0 + 1e-6));
    float h[3] = {0.1f, 0.2f, 0.0f};
    cm_clip_grad_norm(h, 3, 1.0); /* below the limit: untouched */
    assert_true(h[0] == 0.1f && h[1] == 0.2f);
    float v[4] = {-2.0f, 1e-6f, 3e-5f, -1e-5f};
    cm_clip_grad_value(v, 4, 1e-5f);
    assert_true(v[0] == -1e-5f && v[1] == 1e-6f && v[2] == 1e-5f && v[3] == -1e-5f);
}

static void test_schedules(void **state)
{
    (void)state;
    cm_sched s;
    cm_sched_init(&s, CM_SCHED_STEP, 1.0);
    s.step_size = 2;
    s.gamma = 0.5;
    NEAR(cm_sched_step(&s, 0, 0), 1.0);
    NEAR(cm_sched_step(&s, 1, 0), 1.0);
    NEAR(cm_sched_step(&s, 2, 0), 0.5);
    NEAR(cm_sched_step(&s, 5, 0), 0.25);
    cm_sched_init(&s, CM_SCHED_COSINE, 1.0);
    s.t_max = 10;
    s.eta_min = 0.1;
    NEAR(cm_sched_step(&s, 0, 0), 1.0);
    NEAR(cm_sched_step(&s, 5, 0), 0.55);
    NEAR(cm_sched_step(&s, 10, 0), 0.1);
    cm_sched_init(&s, CM_SCHED_PLATEAU, 1e-3);
    s.patience = 2;
    NEAR(cm_sched_step(&s, 0, 1.0), 1e-3); /* best = 1 */
    NEAR(cm_sched_step(&s, 1, 0.5), 1e-3); /* better */
    NEAR(cm_sched_step(&s, 2, 0.5), 1e-3); /* bad 1 */
    NEAR(cm_sched_step(&s, 3, 0.6), 1e-3); /* bad 2 */
    NEAR(cm_sched_step(&s, 4, 0.5), 5e-4); /* bad 3 > patience: halve */
    NEAR(cm_sched_step(&s, 5, 0.1), 5e-4);
}

static void test_bad_config(void **state)
{
    (void)state;
    cm_optim o;
    cm_optim_config c = cm_optim_defaults(CM_OPTIM_ADAM);
    c.lr = -1.0;
    assert_int_equal(cm_optim_init(&o, &c, 4), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "adam"));
    c = cm_optim_defaults(CM_OPTIM_SGD);
    c.kind = (cm_optim_kind)9;
    assert_int_equal(cm_optim_init(&o, &c, 4), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_momentum), cmocka_unit_test(test_adam_adamw),
        cmocka_unit_test(test_rmsprop_pytorch), cmocka_unit_test(test_rmsprop_tf),
        cmocka_unit_test(test_clipping),      cmocka_unit_test(test_schedules),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
