/* Cooperative search's learned parts (coop.h, models layer): what messages
 * are about, how a receiver takes a prediction into memory, the learned
 * scheme's bit accounting, the link's training batches, and HRL-ICM acting. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/bevnet.h"
#include "cogmap/coop.h"
#include "cogmap/detector.h"
#include "cogmap/link.h"
#include "cogmap/policy.h"
#include "cogmap/run.h"

static void test_features(void **state)
{
    (void)state;
    assert_int_equal(cm_coop_learned_state_dim(15), 333);
    assert_int_equal(cm_coop_learned_out_dim(15), 46);
    assert_int_equal(cm_coop_learned_init_dim(15), 10);
    static cm_coop_memory m;
    cm_coop_memory_reset(&m, 15);
    m.pose = (cm_pose){7.5f, 4.5f, 0.0f}; /* cell (7, 4): block (2, 1) */
    for (int x = 6; x <= 8; x++)
        for (int y = 3; y <= 4; y++)
            cm_coop_memory_see(&m, y * 15 + x, CM_COOP_FREE); /* block (2,1) = x 6..8, y 3..5: 6 of its 9 cells */
    cm_coop_memory_see_target(&m, 13 * 15 + 14);             /* cell (14, 13): block (4, 4) */
    float y[46];
    cm_coop_learned_target(&m, y);
    for (int k = 0; k < 5; k++) {
        assert_float_equal(y[k], k == 2 ? 1.0f : 0.0f, 0);
        assert_float_equal(y[5 + k], k == 1 ? 1.0f : 0.0f, 0);
        assert_float_equal(y[11 + k], k == 4 ? 1.0f : 0.0f, 0);
        assert_float_equal(y[16 + k], k == 4 ? 1.0f : 0.0f, 0);
    }
    assert_float_equal(y[10], 1.0f, 0);
    /* explored shares: block (2,1) 6/9, nothing elsewhere */
    assert_float_equal(y[21 + 1 * 5 + 2], 6.0f / 9.0f, 1e-6);
    assert_float_equal(y[21 + 0], 0.0f, 0);
    float s[333];
    cm_coop_learned_state(&m, s);
    assert_float_equal(s[7], 1.0f, 0);      /* x one-hot */
    assert_float_equal(s[15 + 4], 1.0f, 0); /* y one-hot */
    assert_float_equal(s[30], 1.0f, 1e-6);  /* cos heading */
    assert_float_equal(s[32], 1.0f, 0);     /* knows the target */
}

static void test_receive(void **state)
{
    (void)state;
    static cm_coop_memory m;
    cm_coop_memory_reset(&m, 15);
    float o[46];
    for (int k = 0; k < 46; k++)
        o[k] = -5.0f;
    /* sure of the partner's block (3, 0), of the target in block (1, 4), of block 7 explored */
    o[3] = 2.0f;
    o[5 + 0] = 2.0f;
    o[10] = 3.0f;
    o[11 + 1] = 1.0f;
    o[16 + 4] = 1.0f;
    o[21 + 7] = 0.0f; /* share 0.5 > 0.3 */
    cm_coop_learned_receive(&m, 2, 17, o);
    assert_int_equal(m.partner_cell[2], 1 * 15 + 10);  /* block (3, 0)'s centre (10, 1) */
    assert_int_equal(m.partner_step[2], 17);
    assert_int_equal(m.target, 13 * 15 + 4);           /* block (1, 4)'s centre (4, 13) */
    assert_int_equal(m.target_origin, CM_COOP_FROM_LINK);
    assert_true(m.partner_seen[3 * 15 + 6] && m.partner_seen[5 * 15 + 8]); /* block 7 = (2, 1) */
    assert_false(m.partner_seen[0]);
    /* unsure: nothing changes */
    static cm_coop_memory u;
    cm_coop_memory_reset(&u, 15);
    o[10] = 1.0f;     /* "knows" at p = 0.73 < 0.9 */
    o[3] = -0.5f;     /* block x at p < 0.5 */
    o[21 + 7] = -1.0f; /* share 0.27 < 0.3 */
    cm_coop_learned_receive(&u, 1, 3, o);
    assert_int_equal(u.partner_cell[1], -1);
    assert_int_equal(u.target, -1);
    assert_false(u.partner_seen[3 * 15 + 6]);
    /* a rejected hint is not taken again */
    cm_coop_memory_reject_target(&m);
    assert_int_equal(m.target, -1);
    o[10] = 3.0f;
    cm_coop_learned_receive(&m, 2, 18, o);
    assert_int_equal(m.target, -1);
}

static cm_link *small_link(const cm_coop_config *task, int budget)
{
    cm_link_config lc;
    assert_int_equal(cm_coop_link_config(task, budget, &lc), CM_OK);
    assert_int_equal(lc.bits, budget - 1);
    assert_int_equal(lc.senders, task->n_agents - 1);
    lc.memory = 8;
    lc.sender_hidden = 8;
    lc.decoder_hidden = 8;
    cm_link *l;
    assert_int_equal(cm_link_create(&lc, 3, &l), CM_OK);
    return l;
}

static void test_learned_scheme(void **state)
{
    (void)state;
    cm_coop_config task;
    cm_coop_config_default(&task);
    task.max_steps = 40;
    cm_link_config lc;
    assert_int_equal(cm_coop_link_config(&task, 1, &lc), CM_ERR_ARG); /* no room for a code */
    cm_link *l = small_link(&task, 6);
    cm_coop_link_set set = {1, {l}};
    cm_coop_comm comm;
    assert_int_equal(cm_coop_learned_from_set(&set, 8, &comm), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "6")); /* names the budgets there are */
    assert_int_equal(cm_coop_learned_from_set(&set, 6, &comm), CM_OK);
    assert_int_equal(comm.bits, 6);
    cm_coop_perception per;
    cm_coop_perception_truth(&per);
    cm_coop_policy pol;
    cm_coop_policy_frontier(&pol);
    cm_coop_env *env;
    assert_int_equal(cm_coop_env_create(&env, &task, &per, &comm, 0), CM_OK);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &task, &ps), CM_OK);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 0), CM_OK);
    assert_int_equal(pol.reset(ps, env), CM_OK);
    int act[CM_COOP_MAX_AGENTS];
    while (!env->done) {
        assert_int_equal(pol.act(ps, env, act), CM_OK);
        assert_int_equal(cm_coop_env_step(env, act), CM_OK);
        for (int i = 0; i < 3; i++) {
            /* one gate bit every step, 5 code bits when it opens */
            assert_int_equal(env->msg.bits[i], env->msg.gate[i] ? 6 : 1);
            assert_int_equal((env->msg.payload[i][0] >> 7) & 1, env->msg.gate[i]);
        }
    }
    assert_true(env->bits_sent <= (int64_t)6 * 3 * env->t);
    cm_coop_env_free(env);
    pol.state_free(ps);
    /* a link of other shapes is refused */
    task.n_agents = 4;
    assert_int_equal(cm_coop_env_create(&env, &task, &per, &comm, 0), CM_ERR_ARG);
    cm_link_free(l);
}

static void test_link_data(void **state)
{
    (void)state;
    cm_coop_config task;
    cm_coop_config_default(&task);
    task.max_steps = 30;
    cm_coop_plugins beh;
    memset(&beh, 0, sizeof beh);
    cm_coop_perception_truth(&beh.perception);
    cm_coop_policy_frontier(&beh.policy);
    cm_coop_comm oracle;
    assert_int_equal(cm_coop_comm_builtin("oracle", 0, &oracle), CM_OK);
    static cm_coop_link_data d;
    assert_int_equal(cm_coop_link_data_init(&d, &task, 2, &beh, &oracle), CM_OK);
    assert_int_equal(cm_coop_link_data_fill(&d, CM_COOP_TRAIN, 5, 10), CM_OK);
    const int K = 3, T = 30, N = 2, R = 6, S = d.S, O = d.O;
    /* receiver r = e*K + j hears the other agents in order: sender row (n, r) */
    for (int e = 0; e < 2; e++)
        for (int j = 0; j < K; j++) {
            int r = e * K + j, q = 0;
            for (int i = 0; i < K; i++) {
                if (i == j)
                    continue;
                for (int t = 0; t < T; t += 7) {
                    assert_memory_equal(d.state + ((size_t)t * N * R + (size_t)q * R + r) * S,
                                        d.rec_state + (((size_t)e * T + t) * K + i) * S, S * sizeof(float));
                    assert_memory_equal(d.target + ((size_t)t * N * R + (size_t)q * R + r) * O,
                                        d.rec_target + (((size_t)e * T + t) * K + i) * O, O * sizeof(float));
                }
                q++;
            }
            assert_memory_equal(d.ctx + ((size_t)5 * R + r) * S, d.rec_state + (((size_t)e * T + 5) * K + j) * S,
                                S * sizeof(float));
        }
    /* the same batch again: a pure function of (split, seed, first episode) */
    float *copy = malloc((size_t)T * N * R * O * sizeof(float));
    memcpy(copy, d.target, (size_t)T * N * R * O * sizeof(float));
    assert_int_equal(cm_coop_link_data_fill(&d, CM_COOP_TRAIN, 5, 11), CM_OK);
    assert_int_equal(cm_coop_link_data_fill(&d, CM_COOP_TRAIN, 5, 10), CM_OK);
    assert_memory_equal(copy, d.target, (size_t)T * N * R * O * sizeof(float));
    free(copy);
    /* and the link trains on it */
    cm_link *l = small_link(&task, 4);
    cm_link_state *s;
    assert_int_equal(cm_link_state_create(l, R, T, &s), CM_OK);
    double loss;
    cm_rng rng;
    cm_rng_seed(&rng, 1, 2);
    assert_int_equal(cm_link_forward(l, s, d.batch, &rng, &loss), CM_OK);
    assert_true(isfinite(loss) && loss > 0);
    cm_link_state_free(s);
    cm_link_free(l);
    cm_coop_link_data_free(&d);
}

static void test_hrl_acting(void **state)
{
    (void)state;
    cm_coop_config task;
    cm_coop_config_default(&task);
    task.max_steps = 60;
    cm_policy_config pc;
    assert_int_equal(cm_policy_preset("meta", &pc), CM_OK);
    cm_policy *p;
    assert_int_equal(cm_policy_create(&pc, 2, &p), CM_OK);
    cm_coop_hrl h = {p, 10, 1, 7};
    cm_coop_policy pol;
    cm_coop_policy_hrl(&h, &pol);
    cm_coop_perception per;
    cm_coop_perception_truth(&per);
    cm_coop_comm comm;
    assert_int_equal(cm_coop_comm_builtin("oracle", 0, &comm), CM_OK);
    cm_coop_env *env;
    assert_int_equal(cm_coop_env_create(&env, &task, &per, &comm, 0), CM_OK);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &task, &ps), CM_OK);
    cm_coop_hrl_log log = {0, 0, NULL};
    cm_coop_hrl_attach_log(ps, &log);
    cm_coop_episode r1, r2;
    assert_int_equal(cm_coop_run_episode(env, &pol, ps, CM_COOP_TRAIN, 3, 4, &r1), CM_OK);
    assert_int_equal(cm_coop_hrl_finish(ps, env), CM_OK);
    assert_true(log.n > 3);
    int last[CM_COOP_MAX_AGENTS] = {-1, -1, -1};
    for (int k = 0; k < log.n; k++) {
        const cm_coop_hrl_record *d = &log.rec[k];
        assert_true(d->agent >= 0 && d->agent < 3);
        assert_true(d->t_end >= d->t);
        assert_true(d->action >= 0 && d->mask[d->action]);
        assert_true(d->logp <= 0.0f && isfinite(d->value));
        /* a decision lasts at most `interval` steps unless it is the last */
        if (!d->done)
            assert_true(d->t_end - d->t <= 10);
        if (last[d->agent] >= 0)
            assert_int_equal(log.rec[last[d->agent]].t_end, d->t);
        last[d->agent] = k;
    }
    for (int i = 0; i < 3; i++)
        if (last[i] >= 0)
            assert_int_equal(log.rec[last[i]].done, 1);
    /* the same episode again: the same decisions (drawn from its own streams) */
    int n1 = log.n;
    cm_coop_hrl_log_clear(&log);
    assert_int_equal(cm_coop_run_episode(env, &pol, ps, CM_COOP_TRAIN, 3, 4, &r2), CM_OK);
    assert_int_equal(cm_coop_hrl_finish(ps, env), CM_OK);
    assert_int_equal(log.n, n1);
    assert_int_equal(r1.steps, r2.steps);
    cm_coop_hrl_log_free(&log);
    pol.state_free(ps);
    cm_coop_env_free(env);
    cm_policy_free(p);
}

/* The vision perception runs the models on every agent's frame and keeps a
 * map per agent (untrained weights: what matters here is the plumbing). */
static void test_vision(void **state)
{
    (void)state;
    cm_bevnet_config bc;
    assert_int_equal(cm_bevnet_preset("bev-small", &bc), CM_OK);
    cm_bevnet *bev;
    assert_int_equal(cm_bevnet_create(&bc, 1, &bev), CM_OK);
    cm_detector_config dc;
    assert_int_equal(cm_detector_preset("detector-small", &dc), CM_OK);
    cm_detector *det;
    assert_int_equal(cm_detector_create(&dc, 1, &det), CM_OK);
    cm_coop_vision v = {bev, det, 0.7f};
    cm_coop_perception per;
    cm_coop_perception_vision(&v, &per);
    assert_true(per.needs_frames);
    cm_coop_config task;
    cm_coop_config_default(&task);
    task.max_steps = 6;
    cm_coop_comm comm;
    assert_int_equal(cm_coop_comm_builtin("oracle", 0, &comm), CM_OK);
    cm_coop_env *env;
    assert_int_equal(cm_coop_env_create(&env, &task, &per, &comm, 0), CM_OK);
    assert_non_null(env->frames); /* the perception asked for frames */
    cm_coop_policy pol;
    cm_coop_policy_frontier(&pol);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &task, &ps), CM_OK);
    cm_coop_episode r;
    assert_int_equal(cm_coop_run_episode(env, &pol, ps, CM_COOP_EVAL, 1, 0, &r), CM_OK);
    assert_int_equal(r.steps, 6);
    for (int i = 0; i < 3; i++)
        assert_float_equal(env->mem[i].pose.x, env->world.agents[i].pose.x, 0); /* true poses */
    pol.state_free(ps);
    cm_coop_env_free(env);
    cm_detector_free(det);
    cm_bevnet_free(bev);
}

/* vision:BEV,DETECTOR@T sets when a detection counts; 0.7 (SSM-PC's) without
 * @T; a threshold outside [0, 1) or not a number is refused, naming it. */
static void test_vision_threshold(void **state)
{
    (void)state;
    cm_coop_loaded l;
    assert_int_equal(cm_coop_load("vision:bev-small,detector-small@0.25", NULL, NULL, 0, &l), CM_OK);
    assert_non_null(l.detector);
    assert_true(l.vision.threshold == 0.25f);
    cm_coop_loaded_free(&l);
    assert_int_equal(cm_coop_load("vision:bev-small,detector-small", NULL, NULL, 0, &l), CM_OK);
    assert_true(l.vision.threshold == 0.7f);
    cm_coop_loaded_free(&l);
    const char *bad[] = {"vision:bev-small,detector-small@1.5", "vision:bev-small,detector-small@x",
                         "vision:bev-small,detector-small@", "vision:bev-small,@0.3",
                         "vision:bev-small,detector-small@0.3z"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cm_coop_load(bad[i], NULL, NULL, 0, &l), CM_ERR_ARG);
        assert_non_null(strstr(cm_errmsg(), "threshold"));
        cm_error_clear();
    }
}

/* A job whose checkpoints hold subfolders (link/, policy/, icm/): saving the
 * same checkpoint name again and again replaces it cleanly, and it loads. */
static void test_checkpoint_subfolders(void **state)
{
    (void)state;
    cm_coop_train_config c;
    cm_coop_train_config_default(&c, 3);
    assert_int_equal(cm_coop_train_config_set(&c, "episodes=1"), CM_OK);
    assert_int_equal(cm_coop_train_config_set(&c, "max_steps=20"), CM_OK);
    assert_int_equal(c.task.max_steps, 20);
    assert_int_equal(cm_coop_train_config_set(&c, "bits=1"), CM_ERR_ARG);
    cm_coop_job *job;
    assert_int_equal(cm_coop_job_create(&c, &job), CM_OK);
    const char *dir = cmt_tmpdir();
    char best[512], old[512];
    snprintf(best, sizeof best, "%s/best", dir);
    snprintf(old, sizeof old, "%s/.old-best", dir);
    cm_train_state st;
    cm_train_state_init(&st);
    for (int k = 0; k < 3; k++) {
        st.step = k;
        assert_int_equal(cm_train_checkpoint_save(best, &cm_coop_job_ops, job, &st, 3), CM_OK);
        FILE *f = fopen(old, "r");
        assert_null(f); /* nothing left aside */
    }
    cm_train_state back;
    assert_int_equal(cm_train_checkpoint_load(best, &cm_coop_job_ops, job, &back, NULL, NULL), CM_OK);
    assert_int_equal(back.step, 2);
    cmt_tmpdir_remove(dir);
    cm_coop_job_free(job);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_receive),
        cmocka_unit_test(test_learned_scheme),
        cmocka_unit_test(test_link_data),
        cmocka_unit_test(test_hrl_acting),
        cmocka_unit_test(test_vision),
        cmocka_unit_test(test_vision_threshold),
        cmocka_unit_test(test_checkpoint_subfolders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
