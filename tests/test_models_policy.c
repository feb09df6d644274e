/* The HRL-ICM meta-controller and curiosity module (policy.h): gradients by
 * central differences, the PPO objective by hand, sampling, checkpoints,
 * and the mistakes they refuse. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/policy.h"

enum { B = 5 };

typedef struct pbatch {
    float cand[B * 4 * 3], global[B * 2], old_logp[B], adv[B], ret[B];
    uint8_t mask[B * 4];
    int action[B];
    cm_policy_batch b;
} pbatch;

/* Row r has candidates 0..(r % 4) valid (so every row has one, row 0 only one). */
static void make_pbatch(pbatch *pb, uint64_t seed)
{
    cmt_randn(pb->cand, B * 4 * 3, 1.0f, seed);
    cmt_randn(pb->global, B * 2, 1.0f, seed + 1);
    cmt_randn(pb->adv, B, 1.0f, seed + 2);
    cmt_randn(pb->ret, B, 1.0f, seed + 3);
    for (int r = 0; r < B; r++) {
        for (int k = 0; k < 4; k++)
            pb->mask[r * 4 + k] = k <= r % 4;
        pb->action[r] = r % 4;
    }
    memset(&pb->b, 0, sizeof pb->b);
    pb->b.cand = pb->cand;
    pb->b.global = pb->global;
    pb->b.mask = pb->mask;
    pb->b.action = pb->action;
    pb->b.old_logp = pb->old_logp;
    pb->b.advantage = pb->adv;
    pb->b.ret = pb->ret;
}

typedef struct pctx {
    cm_policy *p;
    cm_policy_state *s;
    const cm_policy_batch *b;
} pctx;

static double policy_loss(void *v)
{
    pctx *c = v;
    double L;
    assert_int_equal(cm_policy_forward(c->p, c->s, c->b, B, &L), CM_OK);
    return L;
}

static void test_policy_gradcheck(void **state)
{
    (void)state;
    cm_policy_config cfg;
    assert_int_equal(cm_policy_preset("tiny", &cfg), CM_OK);
    cfg.entropy_coef = 0.1f; /* make the entropy's gradient count */
    cm_policy *p;
    assert_int_equal(cm_policy_create(&cfg, 5, &p), CM_OK);
    cm_policy_state *s;
    assert_int_equal(cm_policy_state_create(p, B, &s), CM_OK);
    pbatch pb;
    make_pbatch(&pb, 3);
    /* old log-probabilities around the current ones: ratios 1 (inside the
     * clip), e^0.5 and e^-0.5 (clipped one way or the other), away from the
     * clip's corners so that differences stay on one side */
    assert_int_equal(cm_policy_forward(p, s, &pb.b, B, NULL), CM_OK);
    const float offs[B] = {0.0f, 0.5f, -0.5f, 0.05f, -0.4f};
    for (int r = 0; r < B; r++)
        pb.old_logp[r] = cm_policy_logp(s)[r * 4 + pb.action[r]] - offs[r];
    cm_params *P = cm_policy_params(p);
    float *grad = calloc(P->total, sizeof(float));
    pctx ctx = {p, s, &pb.b};
    double L = policy_loss(&ctx);
    assert_true(isfinite(L));
    assert_int_equal(cm_policy_backward(p, s, grad), CM_OK);
    for (int i = 0; i < P->count; i++) {
        const cm_tensor_info *t = &P->tensors[i];
        double err = cmt_gradcheck(P->params + t->offset, grad + t->offset, t->count, policy_loss, &ctx, 1e-3f, 0);
        if (err > 1e-2)
            print_error("%s: gradient error %g\n", t->name, err);
        assert_true(err < 1e-2);
    }
    /* the losses by hand for row values from the forward */
    policy_loss(&ctx);
    cm_policy_losses ls;
    cm_policy_get_losses(s, &ls);
    double pol = 0, val = 0, ent = 0;
    for (int r = 0; r < B; r++) {
        const float *lp = cm_policy_logp(s) + r * 4;
        double ratio = exp(lp[pb.action[r]] - pb.old_logp[r]);
        double cl = fmin(fmax(ratio, 0.8), 1.2);
        pol += -fmin(ratio * pb.adv[r], cl * pb.adv[r]);
        double d = cm_policy_value(s)[r] - pb.ret[r];
        val += d * d;
        for (int k = 0; k <= r % 4; k++)
            ent -= exp(lp[k]) * lp[k];
        for (int k = r % 4 + 1; k < 4; k++)
            assert_true(lp[k] < -1e8f); /* masked */
    }
    assert_float_equal(ls.policy, pol / B, 1e-5);
    assert_float_equal(ls.value, val / B, 1e-5);
    assert_float_equal(ls.entropy, ent / B, 1e-5);
    assert_float_equal(ls.total, pol / B + 0.5 * val / B - 0.1 * ent / B, 1e-5);
    assert_float_equal(ls.clip_fraction, 3.0 / B, 1e-12);
    free(grad);
    cm_policy_state_free(s);
    cm_policy_free(p);
}

static void test_policy_sample_and_errors(void **state)
{
    (void)state;
    cm_policy_config cfg;
    assert_int_equal(cm_policy_preset("tiny", &cfg), CM_OK);
    cm_policy *p;
    assert_int_equal(cm_policy_create(&cfg, 1, &p), CM_OK);
    cm_policy_state *s;
    assert_int_equal(cm_policy_state_create(p, B, &s), CM_OK);
    pbatch pb;
    make_pbatch(&pb, 9);
    assert_int_equal(cm_policy_forward(p, s, &pb.b, B, NULL), CM_OK);
    /* sampling follows the distribution and never picks a masked candidate */
    cm_rng rng;
    cm_rng_seed(&rng, 4, 0);
    int counts[4] = {0};
    for (int i = 0; i < 20000; i++) {
        int a = cm_policy_sample(s, 2, &rng);
        assert_true(a >= 0 && a <= 2);
        counts[a]++;
    }
    for (int k = 0; k <= 2; k++)
        assert_float_equal(counts[k] / 20000.0, exp(cm_policy_logp(s)[2 * 4 + k]), 0.015);
    int best = cm_policy_sample(s, 3, NULL);
    for (int k = 0; k <= 3; k++)
        assert_true(cm_policy_logp(s)[3 * 4 + k] <= cm_policy_logp(s)[3 * 4 + best]);
    assert_int_equal(cm_policy_sample(s, 0, &rng), 0);
    /* refused: a row without candidates, an invalid action, too many rows, backward without loss */
    double L;
    assert_int_equal(cm_policy_backward(p, s, cm_policy_params(p)->grads), CM_ERR_ARG);
    assert_int_equal(cm_policy_forward(p, s, &pb.b, B + 1, NULL), CM_ERR_ARG);
    pb.action[1] = 3; /* row 1 has candidates 0, 1 */
    assert_int_equal(cm_policy_forward(p, s, &pb.b, B, &L), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "row 1"));
    pb.action[1] = 1;
    memset(pb.mask + 8, 0, 4);
    assert_int_equal(cm_policy_forward(p, s, &pb.b, B, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "row 2"));
    /* configurations */
    assert_int_equal(cm_policy_preset("huge", &cfg), CM_ERR_ARG);
    assert_int_equal(cm_policy_preset("meta", &cfg), CM_OK);
    assert_int_equal(cfg.n_cand, 8);
    assert_int_equal(cm_policy_config_set(&cfg, "hidden=32"), CM_OK);
    assert_int_equal(cfg.hidden, 32);
    assert_int_equal(cm_policy_config_set(&cfg, "hidden=0"), CM_ERR_ARG);
    assert_int_equal(cm_policy_config_set(&cfg, "width=3"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "width"));
    cm_policy_state_free(s);
    cm_policy_free(p);
}

static void test_policy_checkpoint(void **state)
{
    (void)state;
    cm_policy_config cfg;
    assert_int_equal(cm_policy_preset("meta", &cfg), CM_OK);
    cfg.hidden = 16;
    cm_policy *p, *q;
    assert_int_equal(cm_policy_create(&cfg, 7, &p), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_policy_save(p, dir), CM_OK);
    assert_int_equal(cm_policy_load(dir, &q), CM_OK);
    assert_int_equal(cm_policy_get_config(q)->hidden, 16);
    assert_memory_equal(cm_policy_params(p)->params, cm_policy_params(q)->params, cm_policy_params(p)->total * sizeof(float));
    cm_policy_free(q);
    char path[512];
    snprintf(path, sizeof path, "%s/config.json", dir);
    assert_int_equal(cm_write_file_atomic(path, "{\"format\": \"cogmap link\"}", 25), CM_OK);
    assert_int_equal(cm_policy_load(dir, &q), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "format"));
    cmt_tmpdir_remove(dir);
    cm_policy_free(p);
}

/* ------------------------------------------------------------------ ICM */

typedef struct ictx {
    cm_icm *m;
    cm_icm_state *s;
    const cm_icm_batch *b;
} ictx;

static double icm_loss(void *v)
{
    ictx *c = v;
    double L;
    assert_int_equal(cm_icm_forward(c->m, c->s, c->b, B, NULL, &L, NULL, NULL), CM_OK);
    return L;
}

static void test_icm(void **state)
{
    (void)state;
    cm_icm_config cfg;
    assert_int_equal(cm_icm_preset("tiny", &cfg), CM_OK);
    cm_icm *m;
    assert_int_equal(cm_icm_create(&cfg, 2, &m), CM_OK);
    cm_icm_state *s;
    assert_int_equal(cm_icm_state_create(m, B, &s), CM_OK);
    float s0[B * 3], s1[B * 3], reward[B];
    cmt_randn(s0, B * 3, 1.0f, 11);
    cmt_randn(s1, B * 3, 1.0f, 12);
    int action[B] = {0, 3, 1, 2, 3};
    cm_icm_batch b = {s0, s1, action, 0};
    cm_params *P = cm_icm_params(m);
    float *grad = calloc(P->total, sizeof(float));
    ictx ctx = {m, s, &b};
    double inv, fwd, L;
    assert_int_equal(cm_icm_forward(m, s, &b, B, reward, &L, &inv, &fwd), CM_OK);
    /* the loss is Pathak's weighting, the reward eta/2 |f - phi1|^2 per row */
    assert_float_equal(L, 0.8 * inv + 0.2 * fwd, 1e-9);
    double rsum = 0;
    for (int r = 0; r < B; r++)
        rsum += reward[r];
    assert_float_equal(rsum / B, cfg.eta * fwd, 1e-5);
    assert_int_equal(cm_icm_backward(m, s, grad), CM_OK);
    for (int i = 0; i < P->count; i++) {
        const cm_tensor_info *t = &P->tensors[i];
        double err = cmt_gradcheck(P->params + t->offset, grad + t->offset, t->count, icm_loss, &ctx, 1e-3f, 0);
        if (err > 1e-2)
            print_error("%s: gradient error %g\n", t->name, err);
        assert_true(err < 1e-2);
    }
    /* checkpoints and refusals */
    const char *dir = cmt_tmpdir();
    cm_icm *q;
    assert_int_equal(cm_icm_save(m, dir), CM_OK);
    assert_int_equal(cm_icm_load(dir, &q), CM_OK);
    assert_memory_equal(cm_icm_params(m)->params, cm_icm_params(q)->params, P->total * sizeof(float));
    cm_icm_free(q);
    cmt_tmpdir_remove(dir);
    action[2] = 4;
    assert_int_equal(cm_icm_forward(m, s, &b, B, reward, &L, NULL, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "row 2"));
    assert_int_equal(cm_icm_config_set(&cfg, "beta=2"), CM_ERR_ARG);
    assert_int_equal(cm_icm_config_set(&cfg, "eta=0.5"), CM_OK);
    free(grad);
    cm_icm_state_free(s);
    cm_icm_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_gradcheck),
        cmocka_unit_test(test_policy_sample_and_errors),
        cmocka_unit_test(test_policy_checkpoint),
        cmocka_unit_test(test_icm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
