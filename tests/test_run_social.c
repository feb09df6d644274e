/* Social and link runs (socialrun.h) on small networks: run.json written
 * and replayed, bad settings refused with the key named; the social and
 * link jobs through the generic trainer, resumed bit-identically (the link's
 * sampled bits included); shards whose gradients add up to the batch's; and
 * the evaluation of both run kinds (summary.json, classes of every unit). */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/io.h"
#include "cogmap/socialrun.h"

/* A network small enough for a test (SSM-PC's ensembles stay: 256 + 12). */
static const char *const small_net[] = {"hidden=12", "bottleneck=16", "relational_hidden=8", "batch=4", "seq_len=8"};
#define N_SMALL ((int)(sizeof small_net / sizeof *small_net))

static void social_small(cm_social_run_config *c)
{
    cm_social_run_config_init(c, 7);
    for (int i = 0; i < N_SMALL; i++)
        assert_int_equal(cm_social_run_config_set(c, small_net[i]), CM_OK);
    assert_int_equal(cm_social_run_config_set(c, "probe_reps=2"), CM_OK);
    assert_int_equal(cm_social_run_config_set(c, "eval_batches=1"), CM_OK);
    assert_int_equal(cm_social_run_config_check(c), CM_OK);
}

static void link_small(cm_link_run_config *c)
{
    cm_link_run_config_init(c, 9);
    for (int i = 0; i < N_SMALL; i++)
        assert_int_equal(cm_link_run_config_set(c, small_net[i]), CM_OK);
    /* the Bernoulli code, so that resuming must replay sampled bits */
    const char *more[] = {"bits=4", "sender_hidden=8", "decoder_hidden=16", "eval_batches=1", "code=bernoulli"};
    for (size_t i = 0; i < sizeof more / sizeof *more; i++)
        assert_int_equal(cm_link_run_config_set(c, more[i]), CM_OK);
    assert_int_equal(cm_link_run_config_check(c), CM_OK);
}

/* The same settings: the key=value lists the configurations write (structs
 * may differ in padding). */
static void assert_same_net(const cm_social_config *a, const cm_social_config *b)
{
    static char ka[64][96], kb[64][96];
    int n = cm_social_config_keys(a, ka, 64);
    assert_int_equal(n, cm_social_config_keys(b, kb, 64));
    assert_true(n > 20);
    for (int i = 0; i < n; i++)
        assert_string_equal(ka[i], kb[i]);
}

static void test_social_config(void **state)
{
    (void)state;
    cm_social_run_config c, d;
    social_small(&c);
    assert_int_equal(cm_social_run_config_set(&c, "world=maze"), CM_OK);
    assert_int_equal(cm_social_run_config_set(&c, "agents=3"), CM_OK);
    assert_int_equal(cm_social_run_config_set(&c, "lr=0.000321"), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_false(cm_social_is_run(dir));
    assert_int_equal(cm_social_run_config_write(&c, dir), CM_OK);
    assert_true(cm_social_is_run(dir));
    assert_false(cm_link_is_run(dir));
    assert_int_equal(cm_social_run_config_read(&d, dir), CM_OK);
    assert_same_net(&d.model, &c.model);
    assert_int_equal(d.agents.world, CM_AGENTS_MAZE);
    assert_int_equal(d.agents.agents, 3);
    assert_int_equal(d.agents.steps, 8);
    assert_int_equal(d.probe_reps, 2);
    assert_true(d.seed == 7);
    cmt_tmpdir_remove(dir);

    /* bad input, the key named */
    assert_int_equal(cm_social_run_config_set(&c, "colour=red"), CM_ERR_ARG);
    assert_int_equal(cm_social_run_config_set(&c, "world=ocean"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "world"));
    assert_int_equal(cm_social_run_config_set(&c, "agents=1"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "agents"));
    assert_int_equal(cm_social_run_config_set(&c, "probe_reps=1"), CM_ERR_ARG);
    assert_int_equal(cm_social_run_config_set(&c, "seq_len"), CM_ERR_ARG);
    social_small(&c);
    assert_int_equal(cm_social_run_config_set(&c, "n_place=100"), CM_OK);
    assert_int_equal(cm_social_run_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "n_place"));
    /* what a resumed run may change */
    assert_true(cm_social_run_key_can_change("lr=0.1"));
    assert_true(cm_social_run_key_can_change("probe_reps=3"));
    assert_false(cm_social_run_key_can_change("hidden=3"));
    assert_false(cm_social_run_key_can_change("agents=3"));
}

static void test_link_config(void **state)
{
    (void)state;
    cm_link_run_config c, d;
    link_small(&c);
    assert_int_equal(cm_link_run_config_set(&c, "scheme=broadcast"), CM_OK);
    assert_int_equal(cm_link_run_config_set(&c, "beta=0.5"), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_link_run_config_write(&c, dir), CM_OK);
    assert_true(cm_link_is_run(dir));
    assert_false(cm_social_is_run(dir));
    assert_int_equal(cm_link_run_config_read(&d, dir), CM_OK);
    assert_int_equal(d.scheme, CM_LINK_BROADCAST);
    assert_int_equal(d.link.bits, 4);
    assert_true(d.link.beta == 0.5f);
    assert_same_net(&d.net, &c.net);
    cmt_tmpdir_remove(dir);
    assert_int_equal(cm_link_run_config_set(&c, "scheme=telepathy"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "scheme"));
    assert_int_equal(cm_link_run_config_set(&c, "bits=0"), CM_ERR_ARG);
    assert_int_equal(cm_link_run_config_set(&c, "bits=100000"), CM_ERR_ARG);
    assert_false(cm_link_run_key_can_change("bits=8"));
    assert_false(cm_link_run_key_can_change("scheme=none"));
    assert_string_equal(cm_link_scheme_name(CM_LINK_NONE), "none");
    /* a network to start from that is not there */
    link_small(&c);
    snprintf(c.init_from, sizeof c.init_from, "/nonexistent/checkpoint");
    cm_link_job *job = NULL;
    assert_int_not_equal(cm_link_job_create(&c, &job), CM_OK);
    assert_null(job);
    assert_non_null(strstr(cm_errmsg(), "init_from"));
}

static cm_status run_to(const char *dir, const cm_train_job_ops *ops, void *job, uint64_t seed, int64_t steps,
                        int n_shards, cm_train_state *st)
{
    cm_train_config tc = {.out = dir, .steps = steps, .eval_every = 3, .keep = 2, .seed = seed, .n_shards = n_shards};
    return cm_train_run(&tc, ops, job, st, NULL);
}

static void test_social_resume_and_report(void **state)
{
    (void)state;
    cm_social_run_config c;
    social_small(&c);
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    cm_social_job *ja, *jb, *jc;
    cm_train_state sa, sb, sc;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    assert_int_equal(cm_social_run_config_write(&c, a), CM_OK);
    assert_int_equal(cm_social_run_config_write(&c, b), CM_OK);
    assert_int_equal(cm_social_job_create(&c, &ja), CM_OK);
    assert_int_equal(run_to(a, &cm_social_job_ops, ja, c.seed, 7, 1, &sa), CM_OK);
    assert_int_equal(cm_social_job_create(&c, &jb), CM_OK);
    assert_int_equal(run_to(b, &cm_social_job_ops, jb, c.seed, 4, 1, &sb), CM_OK);
    cm_social_job_free(jb);
    /* a fresh job, as a new process would have */
    assert_int_equal(cm_social_job_create(&c, &jc), CM_OK);
    char loaded[4096];
    cm_train_state_init(&sc);
    assert_int_equal(cm_train_resume(b, &cm_social_job_ops, jc, c.seed, &sc, loaded), CM_OK);
    assert_int_equal(sc.step, 4);
    assert_int_equal(run_to(b, &cm_social_job_ops, jc, c.seed, 7, 1, &sc), CM_OK);
    const cm_params *pa = cm_social_params(cm_social_job_model(ja)), *pc = cm_social_params(cm_social_job_model(jc));
    assert_memory_equal(pa->params, pc->params, pa->total * sizeof(float));
    assert_true(sa.last_loss == sc.last_loss);
    cm_social_job_free(jc);

    /* the evaluation: every unit in one class, summary.json and the units' file */
    cm_social_report r;
    assert_int_equal(cm_social_report_run(a, NULL, 2, 2, 1, NULL, &r), CM_OK);
    assert_false(r.is_link);
    assert_int_equal(r.spc.units, 16);
    int sum = 0;
    for (int k = 0; k < CM_SPC_N_CLASSES; k++)
        sum += r.spc.counts[k];
    assert_int_equal(sum, 16);
    assert_true(r.errors.self_error > 0 && isfinite(r.errors.partner_error));
    assert_int_equal(r.history.n_rows, 3); /* steps 3, 6, 7 */
    cm_social_report_free(&r);
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.json", a);
    assert_int_equal(access(path, F_OK), 0);
    snprintf(path, sizeof path, "%s/spc_units.csv", a);
    assert_int_equal(access(path, F_OK), 0);
    /* a checkpoint that is not there, a folder that is no run */
    assert_int_not_equal(cm_social_report_run(a, "step_00000999", 2, 2, 1, NULL, &r), CM_OK);
    const char *empty = cmt_tmpdir();
    assert_int_equal(cm_social_report_run(empty, NULL, 2, 2, 1, NULL, &r), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "social or link run"));
    cmt_tmpdir_remove(empty);
    cm_social_job_free(ja);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

/* Two shards' gradients and losses (by the trainer's weights) add up to the
 * whole batch's, at step 5. */
static void assert_shards_add_up(const cm_train_job_ops *ops, void *job)
{
    size_t n = ops->n_params(job);
    float *g = ops->grads(job), *whole = malloc(n * sizeof(float));
    double l1, w1, l2, w2, l3, w3;
    memset(g, 0, n * sizeof(float));
    assert_int_equal(ops->gradient(job, 5, 0, 1, &l1, &w1), CM_OK);
    memcpy(whole, g, n * sizeof(float));
    memset(g, 0, n * sizeof(float));
    assert_int_equal(ops->gradient(job, 5, 0, 2, &l2, &w2), CM_OK);
    assert_int_equal(ops->gradient(job, 5, 1, 2, &l3, &w3), CM_OK);
    double scale = 0;
    for (size_t k = 0; k < n; k++)
        scale = fmax(scale, fabs(whole[k]));
    assert_true(scale > 0);
    assert_true(cmt_max_abs_diff(whole, g, n) < 1e-4 * scale);
    assert_float_equal(l1 / w1, (l2 + l3) / (w2 + w3), 1e-4 * fabs(l1));
    free(whole);
}

static void test_social_shards(void **state)
{
    (void)state;
    cm_social_run_config c;
    social_small(&c);
    assert_int_equal(cm_social_run_config_set(&c, "dropout=0"), CM_OK); /* masks are drawn per shard */
    cm_social_job *j;
    assert_int_equal(cm_social_job_create(&c, &j), CM_OK);
    assert_shards_add_up(&cm_social_job_ops, j);
    double l, w;
    assert_int_equal(cm_social_job_ops.gradient(j, 5, 0, 3, &l, &w), CM_ERR_UNSUPPORTED); /* 3 does not divide 4 */
    cm_social_job_free(j);
}

static void test_link_resume_and_report(void **state)
{
    (void)state;
    cm_link_run_config c;
    link_small(&c);
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    cm_link_job *ja, *jb, *jc;
    cm_train_state sa, sb, sc;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    assert_int_equal(cm_link_run_config_write(&c, a), CM_OK);
    assert_int_equal(cm_link_run_config_write(&c, b), CM_OK);
    assert_int_equal(cm_link_job_create(&c, &ja), CM_OK);
    assert_int_equal(run_to(a, &cm_link_job_ops, ja, c.seed, 6, 1, &sa), CM_OK);
    assert_int_equal(cm_link_job_create(&c, &jb), CM_OK);
    assert_int_equal(run_to(b, &cm_link_job_ops, jb, c.seed, 3, 1, &sb), CM_OK);
    cm_link_job_free(jb);
    assert_int_equal(cm_link_job_create(&c, &jc), CM_OK);
    char loaded[4096];
    cm_train_state_init(&sc);
    assert_int_equal(cm_train_resume(b, &cm_link_job_ops, jc, c.seed, &sc, loaded), CM_OK);
    assert_int_equal(run_to(b, &cm_link_job_ops, jc, c.seed, 6, 1, &sc), CM_OK);
    size_t n = cm_link_job_ops.n_params(ja);
    assert_int_equal(n, cm_link_job_ops.n_params(jc));
    assert_memory_equal(cm_link_job_ops.params(ja), cm_link_job_ops.params(jc), n * sizeof(float));
    assert_true(sa.last_loss == sc.last_loss);

    cm_link_errors e;
    assert_int_equal(cm_link_job_measure(ja, 2, 1, &e), CM_OK);
    assert_true(e.bits_per_step >= 0 && e.bits_per_step <= 4);
    assert_true(e.sent >= 0 && e.sent <= 1);
    assert_true(fabs(e.bits_per_step - 4 * e.sent) < 1e-9); /* a sent message costs the budget, silence nothing */
    assert_true(e.partner_error > 0 && isfinite(e.self_error));
    cm_social_report r;
    assert_int_equal(cm_social_report_run(a, "step_00000006", 2, 0, 1, NULL, &r), CM_OK);
    assert_true(r.is_link);
    assert_int_equal(r.step, 6);
    assert_true(r.link_errors.partner_error == e.partner_error); /* the same network on the same paths */
    cm_social_report_free(&r);
    cm_link_job_free(ja);
    cm_link_job_free(jc);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

/* broadcast_estimate: the senders' bits come from their own path
 * integrators. With the same seed and paths as broadcast, agent 0's own
 * read-out is the same (self_error equal) while the partner error differs
 * (an untrained integrator's estimate is not the truth); every step sends
 * the whole budget; and shards add up to the batch (the senders' loss rows
 * are counted over the global batch too). */
static void test_link_broadcast_estimate(void **state)
{
    (void)state;
    cm_link_run_config c;
    link_small(&c);
    assert_int_equal(cm_link_run_config_set(&c, "dropout=0"), CM_OK);
    assert_int_equal(cm_link_run_config_set(&c, "scheme=broadcast_estimate"), CM_OK);
    assert_string_equal(cm_link_scheme_name(c.scheme), "broadcast_estimate");
    assert_int_equal(cm_link_run_config_check(&c), CM_OK);
    cm_link_run_config cb = c;
    assert_int_equal(cm_link_run_config_set(&cb, "scheme=broadcast"), CM_OK);
    cm_link_job *je, *jb;
    assert_int_equal(cm_link_job_create(&c, &je), CM_OK);
    assert_int_equal(cm_link_job_create(&cb, &jb), CM_OK);
    cm_link_errors ee, eb;
    assert_int_equal(cm_link_job_measure(je, 2, 1, &ee), CM_OK);
    assert_int_equal(cm_link_job_measure(jb, 2, 1, &eb), CM_OK);
    assert_true(ee.self_error == eb.self_error);
    assert_true(ee.partner_error != eb.partner_error);
    assert_true(ee.bits_per_step == 4 && ee.sent == 1);

    assert_shards_add_up(&cm_link_job_ops, je);
    cm_link_job_free(je);
    cm_link_job_free(jb);
}

/* The receiver started from a social network's peer pathway. */
static void test_link_init_from_social(void **state)
{
    (void)state;
    cm_social_run_config sc;
    social_small(&sc);
    const char *dir = cmt_tmpdir();
    cm_social_job *sj;
    assert_int_equal(cm_social_job_create(&sc, &sj), CM_OK);
    assert_int_equal(cm_social_job_ops.save(sj, dir), CM_OK);
    cm_link_run_config c;
    link_small(&c);
    snprintf(c.init_from, sizeof c.init_from, "%s", dir);
    cm_link_job *j;
    assert_int_equal(cm_link_job_create(&c, &j), CM_OK);
    /* the path integrator is the social network's */
    const cm_params *p = cm_social_params(cm_social_job_model(sj));
    assert_memory_equal(cm_link_job_ops.params(j), p->params, p->total * sizeof(float));
    cm_link_job_free(j);
    /* a network of another size does not fit */
    cm_link_run_config_set(&c, "hidden=10");
    assert_int_equal(cm_link_job_create(&c, &j), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "does not fit"));
    cm_social_job_free(sj);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_social_config),         cmocka_unit_test(test_link_config),
        cmocka_unit_test(test_social_resume_and_report), cmocka_unit_test(test_social_shards),
        cmocka_unit_test(test_link_resume_and_report),   cmocka_unit_test(test_link_init_from_social),
        cmocka_unit_test(test_link_broadcast_estimate),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
