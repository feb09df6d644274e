/* Cooperative search (coop.h): the task, memories, the schemes' bits, the
 * frontier planner, reproducibility and thread invariance of the benchmark. */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/coop.h"

/* ------------------------------------------------------------ config */

static void test_config(void **state)
{
    (void)state;
    cm_coop_config c;
    cm_coop_config_default(&c);
    assert_int_equal(cm_coop_config_check(&c), CM_OK);
    assert_int_equal(c.maze_size, 15);
    assert_int_equal(c.n_agents, 3);
    assert_int_equal(c.max_steps, 150);
    assert_int_equal(cm_coop_config_set(&c, "n_agents=5"), CM_OK);
    assert_int_equal(c.n_agents, 5);
    assert_int_equal(cm_coop_config_set(&c, "start=apart"), CM_OK);
    assert_int_equal(c.start, CM_COOP_START_APART);
    assert_int_equal(cm_coop_config_set(&c, "target_range=2.5"), CM_OK);
    assert_float_equal(c.target_range, 2.5f, 0);
    /* bad values name the field */
    assert_int_equal(cm_coop_config_set(&c, "n_agents=0"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "n_agents"));
    cm_coop_config_default(&c);
    assert_int_equal(cm_coop_config_set(&c, "maze_size=14"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "maze_size"));
    cm_coop_config_default(&c);
    assert_int_equal(cm_coop_config_set(&c, "max_steps=1.5"), CM_ERR_ARG);
    assert_int_equal(cm_coop_config_set(&c, "colour=3"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "colour"));
    assert_int_equal(cm_coop_config_set(&c, "max_steps"), CM_ERR_ARG);
    assert_int_equal(cm_coop_config_set(&c, "start=sideways"), CM_ERR_ARG);
    c.n_agents = CM_COOP_MAX_AGENTS + 1;
    assert_int_equal(cm_coop_config_check(&c), CM_ERR_ARG);
}

static void test_episode_seeds(void **state)
{
    (void)state;
    /* evaluation and training mazes never meet: the split is bit 63 */
    for (int64_t e = 0; e < 1000; e++) {
        uint64_t ev = cm_coop_episode_seed(CM_COOP_EVAL, 1, e), tr = cm_coop_episode_seed(CM_COOP_TRAIN, 1, e);
        assert_true(ev >> 63);
        assert_false(tr >> 63);
        assert_true(ev != cm_coop_episode_seed(CM_COOP_EVAL, 1, e + 1));
        assert_true(ev != cm_coop_episode_seed(CM_COOP_EVAL, 2, e));
    }
    assert_true(cm_coop_episode_seed(CM_COOP_EVAL, 7, 3) == cm_coop_episode_seed(CM_COOP_EVAL, 7, 3));
}

/* ------------------------------------------------------------ the env */

static cm_coop_env *make_env(const cm_coop_config *cfg, const char *scheme, int bits)
{
    cm_coop_perception per;
    cm_coop_perception_truth(&per);
    cm_coop_comm comm;
    assert_int_equal(cm_coop_comm_builtin(scheme, bits, &comm), CM_OK);
    cm_coop_env *env = NULL;
    assert_int_equal(cm_coop_env_create(&env, cfg, &per, &comm, 0), CM_OK);
    return env;
}

static int cell_of(cm_pose p, int n) { return (int)floorf(p.y) * n + (int)floorf(p.x); }

static void test_reset(void **state)
{
    (void)state;
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    cm_coop_env *env = make_env(&cfg, "none", 0);
    for (int64_t e = 0; e < 30; e++) {
        assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 5, e), CM_OK);
        const cm_maze *mz = &env->world.maze;
        int n = mz->size, c0 = cell_of(env->world.agents[0].pose, n);
        /* the team enters at one spawn cell; the target is in another room */
        for (int i = 0; i < 3; i++) {
            assert_int_equal(cell_of(env->world.agents[i].pose, n), c0);
            assert_int_equal(env->world.agents[i].target, env->target);
            /* every agent saw its own cell */
            assert_int_equal(env->mem[i].cell[c0], CM_COOP_FREE);
        }
        assert_true(mz->room_of[env->target_cell] != mz->room_of[c0]);
        assert_int_equal(env->target_cell, (int)floorf(mz->targets[env->target][1]) * n +
                                               (int)floorf(mz->targets[env->target][0]));
        assert_int_equal(env->t, 0);
        assert_false(env->done);
    }
    cm_coop_env_free(env);
    /* apart: every agent in its own room, and none in the target's */
    cfg.start = CM_COOP_START_APART;
    env = make_env(&cfg, "none", 0);
    for (int64_t e = 0; e < 30; e++) {
        assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 5, e), CM_OK);
        const cm_maze *mz = &env->world.maze;
        int n = mz->size;
        for (int i = 0; i < 3; i++) {
            int ri = mz->room_of[cell_of(env->world.agents[i].pose, n)];
            assert_true(ri >= 0);
            assert_true(ri != mz->room_of[env->target_cell]);
            for (int j = 0; j < i; j++)
                assert_true(ri != mz->room_of[cell_of(env->world.agents[j].pose, n)]);
        }
    }
    /* stepping a finished episode is an error, bad actions are rejected */
    int bad[3] = {0, 9, 0};
    assert_int_equal(cm_coop_env_step(env, bad), CM_ERR_ARG);
    env->done = 1;
    int ok[3] = {0, 0, 0};
    assert_int_equal(cm_coop_env_step(env, ok), CM_ERR_ARG);
    cm_coop_env_free(env);
}

static void test_truth_perception(void **state)
{
    (void)state;
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    cm_coop_env *env = make_env(&cfg, "none", 0);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 3, 0), CM_OK);
    const cm_maze *mz = &env->world.maze;
    int n = mz->size;
    uint8_t vis[CM_COOP_MAX_CELLS];
    cm_bev_visible(mz->layout, n, env->world.agents[1].pose, &cfg.view, vis);
    const cm_coop_memory *m = &env->mem[1];
    for (int c = 0; c < n * n; c++) {
        if (vis[c])
            assert_int_equal(m->cell[c], mz->layout[c] ? CM_COOP_FREE : CM_COOP_WALL);
        else
            assert_int_equal(m->cell[c], CM_COOP_UNKNOWN);
    }
    assert_int_equal(m->n_fresh, cm_coop_memory_known(m)); /* all of it is news */
    assert_float_equal(m->pose.x, env->world.agents[1].pose.x, 0);
    cm_coop_env_free(env);
}

static void test_memory(void **state)
{
    (void)state;
    static cm_coop_memory m;
    cm_coop_memory_reset(&m, 15);
    assert_int_equal(cm_coop_memory_known(&m), 0);
    assert_int_equal(m.target, -1);
    cm_coop_memory_see(&m, 17, CM_COOP_FREE);
    cm_coop_memory_see(&m, 17, CM_COOP_FREE); /* seen again: not news */
    cm_coop_memory_see(&m, 18, CM_COOP_WALL);
    cm_coop_memory_see(&m, 999, CM_COOP_WALL); /* outside: ignored */
    cm_coop_memory_see(&m, 19, 7);             /* not a state: ignored */
    assert_int_equal(m.n_fresh, 2);
    assert_int_equal(m.fresh[0], 17);
    assert_int_equal(m.fresh[1], 18);
    /* received cells fill only the unknown ones and are not fresh */
    assert_int_equal(cm_coop_memory_receive(&m, 17, CM_COOP_WALL), 0);
    assert_int_equal(m.cell[17], CM_COOP_FREE);
    assert_int_equal(cm_coop_memory_receive(&m, 20, CM_COOP_FREE), 1);
    assert_int_equal(m.origin[20], CM_COOP_FROM_LINK);
    assert_int_equal(m.n_fresh, 2);
    /* confirming a received cell by sight is not news either */
    cm_coop_memory_see(&m, 20, CM_COOP_FREE);
    assert_int_equal(m.origin[20], CM_COOP_FROM_SELF);
    assert_int_equal(m.n_fresh, 2);
    assert_int_equal(cm_coop_memory_known(&m), 3);
    assert_int_equal(cm_coop_memory_receive_target(&m, 40), 1);
    assert_int_equal(m.target_origin, CM_COOP_FROM_LINK);
    assert_int_equal(m.fresh_target, 0);
    assert_int_equal(cm_coop_memory_receive_target(&m, 41), 0);
    cm_coop_memory_see_target(&m, 40);
    assert_int_equal(m.fresh_target, 0); /* it knew the cell already */
    assert_int_equal(m.target_origin, CM_COOP_FROM_SELF);
}

/* ---------------------------------------------------------- schemes */

/* A hand-made round: agent 0 knows its position (cell 16), two fresh cells
 * and the target; the others know nothing. */
static void prepare_round(cm_coop_env *env)
{
    for (int i = 0; i < env->cfg.n_agents; i++)
        cm_coop_memory_reset(&env->mem[i], 15);
    cm_coop_memory *m = &env->mem[0];
    m->pose = (cm_pose){1.5f, 1.5f, 0.0f}; /* cell 16 */
    cm_coop_memory_see(m, 16, CM_COOP_FREE);
    cm_coop_memory_see(m, 0, CM_COOP_WALL);
    cm_coop_memory_see_target(m, 200);
}

static int payload_bit(const cm_coop_messages *msg, int agent, int k)
{
    return (msg->payload[agent][k >> 3] >> (7 - (k & 7))) & 1;
}

static void test_broadcast_bits(void **state)
{
    (void)state;
    assert_int_equal(cm_coop_cell_bits(15), 8);
    assert_int_equal(cm_coop_cell_bits(9), 7);
    assert_int_equal(cm_coop_record_bits(15), 10);
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    /* B = 128: the whole queue in one round, bit for bit */
    cm_coop_env *env = make_env(&cfg, "broadcast", 128);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 0), CM_OK);
    prepare_round(env);
    cm_coop_messages msg;
    memset(&msg, 0, sizeof msg);
    assert_int_equal(env->comm.reset(env->comm_state, env), CM_OK);
    assert_int_equal(env->comm.round(env->comm_state, env, &msg), CM_OK);
    /* position 16, free 16, wall 0, target 200: 2-bit tag + 8-bit cell each */
    const int want[4][2] = {{CM_COOP_REC_POS, 16}, {CM_COOP_REC_FREE, 16}, {CM_COOP_REC_WALL, 0}, {CM_COOP_REC_TARGET, 200}};
    assert_int_equal(msg.bits[0], 40);
    assert_int_equal(msg.bits[1], 0);
    for (int r = 0; r < 4; r++) {
        int v = 0;
        for (int k = 0; k < 10; k++)
            v = (v << 1) | payload_bit(&msg, 0, 10 * r + k);
        assert_int_equal(v >> 8, want[r][0]);
        assert_int_equal(v & 255, want[r][1]);
    }
    for (int j = 1; j < 3; j++) {
        assert_int_equal(env->mem[j].cell[16], CM_COOP_FREE);
        assert_int_equal(env->mem[j].cell[0], CM_COOP_WALL);
        assert_int_equal(env->mem[j].origin[0], CM_COOP_FROM_LINK);
        assert_int_equal(env->mem[j].target, 200);
        assert_int_equal(env->mem[j].partner_cell[0], 16);
        assert_int_equal(env->mem[j].partner_cell[1], -1);
    }
    assert_int_equal(env->mem[0].n_fresh, 0);
    cm_coop_env_free(env);

    /* B = 4: the 40 bits go out over 10 rounds; a record arrives once its
     * last bit has (rounds 3, 5, 8, 10) */
    env = make_env(&cfg, "broadcast", 4);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 0), CM_OK);
    prepare_round(env);
    assert_int_equal(env->comm.reset(env->comm_state, env), CM_OK);
    int total = 0;
    for (int round = 1; round <= 11; round++) {
        memset(&msg, 0, sizeof msg);
        assert_int_equal(env->comm.round(env->comm_state, env, &msg), CM_OK);
        assert_true(msg.bits[0] <= 4);
        total += msg.bits[0];
        cm_coop_memory *r = &env->mem[2];
        assert_int_equal(r->partner_cell[0] == 16, round >= 3);
        assert_int_equal(r->cell[16] == CM_COOP_FREE, round >= 5);
        assert_int_equal(r->cell[0] == CM_COOP_WALL, round >= 8);
        assert_int_equal(r->target == 200, round >= 10);
    }
    assert_int_equal(total, 40);
    assert_int_equal(msg.bits[0], 0); /* nothing left to say */
    cm_coop_env_free(env);
    /* budgets out of range */
    cm_coop_comm comm;
    assert_int_equal(cm_coop_comm_builtin("broadcast", 0, &comm), CM_ERR_ARG);
    assert_int_equal(cm_coop_comm_builtin("broadcast", CM_COOP_MAX_BITS + 1, &comm), CM_ERR_ARG);
    assert_int_equal(cm_coop_comm_builtin("learned", 8, &comm), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "learned"));
}

static void test_oracle_and_none(void **state)
{
    (void)state;
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    cm_coop_env *env = make_env(&cfg, "oracle", 0);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 0), CM_OK);
    prepare_round(env);
    cm_coop_messages msg;
    memset(&msg, 0, sizeof msg);
    assert_int_equal(env->comm.round(env->comm_state, env, &msg), CM_OK);
    assert_int_equal(msg.bits[0], 40); /* what broadcast would have needed */
    assert_int_equal(env->mem[1].target, 200);
    assert_int_equal(env->mem[2].cell[0], CM_COOP_WALL);
    cm_coop_env_free(env);
    /* a whole oracle episode: every agent's map is the same shared map */
    env = make_env(&cfg, "oracle", 0);
    cm_coop_policy pol;
    cm_coop_policy_frontier(&pol);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &cfg, &ps), CM_OK);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 2), CM_OK);
    assert_int_equal(pol.reset(ps, env), CM_OK);
    int act[CM_COOP_MAX_AGENTS];
    while (!env->done) {
        assert_int_equal(pol.act(ps, env, act), CM_OK);
        assert_int_equal(cm_coop_env_step(env, act), CM_OK);
        for (int j = 1; j < 3; j++)
            assert_memory_equal(env->mem[0].cell, env->mem[j].cell, 225);
    }
    cm_coop_env_free(env);
    /* none: nobody hears anything */
    env = make_env(&cfg, "none", 0);
    assert_int_equal(cm_coop_env_reset(env, CM_COOP_EVAL, 1, 0), CM_OK);
    prepare_round(env);
    memset(&msg, 0, sizeof msg);
    assert_int_equal(env->comm.round(env->comm_state, env, &msg), CM_OK);
    assert_int_equal(msg.bits[0], 0);
    assert_int_equal(env->mem[1].target, -1);
    assert_int_equal(cm_coop_memory_known(&env->mem[2]), 0);
    assert_int_equal(env->mem[0].n_fresh, 0);
    cm_coop_env_free(env);
    pol.state_free(ps);
}

/* ---------------------------------------------------------- planner */

static void test_planner(void **state)
{
    (void)state;
    /* a corridor along y = 1 from x = 1 to 5, walls around, x = 6 unknown */
    static cm_coop_memory m;
    cm_coop_memory_reset(&m, 7);
    for (int c = 0; c < 49; c++)
        m.cell[c] = CM_COOP_WALL;
    for (int x = 1; x <= 5; x++)
        m.cell[7 + x] = CM_COOP_FREE;
    m.cell[7 + 6] = CM_COOP_UNKNOWN;
    int16_t dist[49], queue[49], out[49];
    m.pose = (cm_pose){1.5f, 1.5f, 0.0f}; /* west end, facing east */
    assert_int_equal(cm_coop_frontiers(&m, 8, dist, queue, out), 1);
    assert_int_equal(out[0], 13);
    assert_int_equal(dist[13], 5);
    assert_int_equal(cm_coop_nearest_frontier(&m, dist, queue), 13);
    assert_int_equal(cm_coop_plan_action(&m, 13, dist, queue), CM_ACT_FORWARD);
    m.pose.theta = (float)M_PI; /* facing west: turn around */
    int a = cm_coop_plan_action(&m, 13, dist, queue);
    assert_true(a == CM_ACT_LEFT || a == CM_ACT_RIGHT);
    m.pose.theta = 0.5f; /* a bit left of the way: veer right while driving */
    assert_int_equal(cm_coop_plan_action(&m, 13, dist, queue), CM_ACT_FORWARD_RIGHT);
    /* a goal behind walls cannot be reached; a pose that is nowhere plans nothing */
    m.pose.theta = 0.0f;
    assert_int_equal(cm_coop_plan_action(&m, 40, dist, queue), -1);
    assert_int_equal(cm_coop_plan_action(&m, -1, dist, queue), -1);
    m.cell[13] = CM_COOP_WALL;
    assert_int_equal(cm_coop_nearest_frontier(&m, dist, queue), -1);
    m.pose.x = NAN;
    assert_int_equal(cm_coop_plan_action(&m, 12, dist, queue), -1);
}

/* ------------------------------------------------------ whole episodes */

static void test_episode_reproducible(void **state)
{
    (void)state;
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    cm_coop_policy pol;
    cm_coop_policy_frontier(&pol);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &cfg, &ps), CM_OK);
    cm_coop_env *a = make_env(&cfg, "broadcast", 8), *b = make_env(&cfg, "broadcast", 8);
    int successes = 0;
    for (int64_t e = 0; e < 6; e++) {
        cm_coop_episode ra, rb;
        /* b first runs another episode: nothing may carry over */
        assert_int_equal(cm_coop_run_episode(b, &pol, ps, CM_COOP_EVAL, 9, e + 100, &rb), CM_OK);
        assert_int_equal(cm_coop_run_episode(a, &pol, ps, CM_COOP_EVAL, 9, e, &ra), CM_OK);
        assert_int_equal(cm_coop_run_episode(b, &pol, ps, CM_COOP_EVAL, 9, e, &rb), CM_OK);
        assert_int_equal(ra.success, rb.success);
        assert_int_equal(ra.steps, rb.steps);
        assert_int_equal(ra.first_sight, rb.first_sight);
        assert_true(ra.bits_sent == rb.bits_sent);
        assert_true(ra.bits_sent <= (int64_t)8 * 3 * ra.steps);
        assert_true(ra.steps >= 1 && ra.steps <= cfg.max_steps);
        assert_true(!ra.success || ra.first_sight >= 0);
        successes += ra.success;
    }
    (void)successes;
    cm_coop_env_free(a);
    cm_coop_env_free(b);
    pol.state_free(ps);
}

/* Renders (for recorders) change nothing in what the agents do. */
static void test_render_changes_nothing(void **state)
{
    (void)state;
    cm_coop_config cfg;
    cm_coop_config_default(&cfg);
    cm_coop_perception per;
    cm_coop_perception_truth(&per);
    cm_coop_comm comm;
    assert_int_equal(cm_coop_comm_builtin("oracle", 0, &comm), CM_OK);
    cm_coop_env *plain, *drawn;
    assert_int_equal(cm_coop_env_create(&plain, &cfg, &per, &comm, 0), CM_OK);
    assert_int_equal(cm_coop_env_create(&drawn, &cfg, &per, &comm, 1), CM_OK);
    cm_coop_policy pol;
    cm_coop_policy_frontier(&pol);
    void *ps;
    assert_int_equal(pol.state_create(pol.model, &cfg, &ps), CM_OK);
    cm_coop_episode r1, r2;
    assert_int_equal(cm_coop_run_episode(plain, &pol, ps, CM_COOP_EVAL, 2, 1, &r1), CM_OK);
    assert_int_equal(cm_coop_run_episode(drawn, &pol, ps, CM_COOP_EVAL, 2, 1, &r2), CM_OK);
    assert_int_equal(r1.steps, r2.steps);
    assert_int_equal(r1.success, r2.success);
    /* the frame shows the requested colour as its border */
    const uint8_t *px = drawn->frames; /* agent 0, pixel (0, 0) */
    const uint8_t *rgb = drawn->world.maze.target_rgb[drawn->target];
    for (int c = 0; c < 3; c++)
        assert_int_equal(px[c], (int)(rgb[c] / 220.0f * 255.0f * 0.7f));
    cm_coop_env_free(plain);
    cm_coop_env_free(drawn);
    pol.state_free(ps);
}

/* -------------------------------------------------------- statistics */

static void test_wilson(void **state)
{
    (void)state;
    /* By hand, z = 1.95996: 8 of 10, p = 0.8, z^2/n = 0.384146;
     * centre = (0.8 + 0.192073) / 1.384146 = 0.716738,
     * half = 1.95996 / 1.384146 * sqrt(0.016 + 0.0096037) = 0.226577. */
    double lo, hi;
    cm_wilson_interval(8, 10, &lo, &hi);
    assert_float_equal(lo, 0.490162, 1e-6);
    assert_float_equal(hi, 0.943318, 1e-6);
    /* 0 of 10: [0, z^2 / (n + z^2)] */
    cm_wilson_interval(0, 10, &lo, &hi);
    assert_float_equal(lo, 0.0, 1e-12);
    assert_float_equal(hi, 3.841459 / 13.841459, 1e-6);
    cm_wilson_interval(10, 10, &lo, &hi);
    assert_float_equal(lo, 1.0 - 3.841459 / 13.841459, 1e-6);
    assert_float_equal(hi, 1.0, 1e-12);
    /* the paper's 73.5% at 500 episodes: about +-0.04 */
    cm_wilson_interval(367, 500, &lo, &hi);
    assert_float_equal(lo, 0.693592, 1e-6);
    assert_float_equal(hi, 0.770840, 1e-6);
    cm_wilson_interval(0, 0, &lo, &hi);
    assert_float_equal(lo, 0.0, 0);
    assert_float_equal(hi, 1.0, 0);
}

static void bench_at(int threads, cm_coop_table *t)
{
    cm_coop_bench_config cfg;
    cm_coop_bench_config_default(&cfg);
    cfg.n_schemes = 3;
    snprintf(cfg.schemes[0], 16, "broadcast");
    snprintf(cfg.schemes[1], 16, "none");
    snprintf(cfg.schemes[2], 16, "oracle");
    cfg.n_bits = 2;
    cfg.bits[0] = 4;
    cfg.bits[1] = 64;
    cfg.episodes = 24;
    cfg.seed = 11;
    cm_coop_plugins pl;
    memset(&pl, 0, sizeof pl);
    cm_coop_perception_truth(&pl.perception);
    cm_coop_policy_frontier(&pl.policy);
    cm_set_threads(threads);
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, t), CM_OK);
    cm_set_threads(2);
}

static void test_bench_threads(void **state)
{
    (void)state;
    static cm_coop_table t1, t2;
    bench_at(1, &t1);
    bench_at(2, &t2);
    assert_int_equal(t1.n_rows, 4);
    assert_int_equal(t2.n_rows, 4);
    const char *names[4] = {"broadcast", "broadcast", "none", "oracle"};
    const int bits[4] = {4, 64, 0, -1};
    for (int r = 0; r < 4; r++) {
        assert_string_equal(t1.rows[r].scheme, names[r]);
        assert_int_equal(t1.rows[r].bits, bits[r]);
        assert_int_equal(t1.rows[r].episodes, 24);
        assert_int_equal(t1.rows[r].successes, t2.rows[r].successes);
        assert_true(t1.rows[r].mean_steps == t2.rows[r].mean_steps);
        assert_true(t1.rows[r].bits_per_step == t2.rows[r].bits_per_step);
        assert_true(t1.rows[r].ci_low <= t1.rows[r].success && t1.rows[r].success <= t1.rows[r].ci_high);
    }
    assert_true(t1.rows[0].bits_per_step <= 4.0);
    assert_true(t1.rows[2].bits_per_step == 0.0);
    assert_true(t1.rows[3].bits_per_step > 0.0);
    /* the table as CSV */
    const char *dir = cmt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/table.csv", dir);
    assert_int_equal(cm_coop_table_write_csv(&t1, path), CM_OK);
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    assert_non_null(fgets(line, sizeof line, f));
    assert_string_equal(line, "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step\n");
    int n_lines = 0, saw_inf = 0;
    while (fgets(line, sizeof line, f)) {
        n_lines++;
        saw_inf |= strncmp(line, "oracle,inf,24,", 14) == 0;
    }
    fclose(f);
    assert_int_equal(n_lines, 4);
    assert_true(saw_inf);
    /* read back: the same rows (the interval recomputed from the successes) */
    static cm_coop_table back;
    memset(&back, 0, sizeof back);
    assert_int_equal(cm_coop_table_append_csv(path, &back), CM_OK);
    assert_int_equal(back.n_rows, 4);
    for (int r = 0; r < 4; r++) {
        assert_string_equal(back.rows[r].scheme, t1.rows[r].scheme);
        assert_int_equal(back.rows[r].bits, t1.rows[r].bits);
        assert_int_equal(back.rows[r].episodes, 24);
        assert_int_equal(back.rows[r].successes, t1.rows[r].successes);
        assert_true(fabs(back.rows[r].ci_low - t1.rows[r].ci_low) < 1e-12);
        assert_true(fabs(back.rows[r].mean_steps - t1.rows[r].mean_steps) < 1e-3);
    }
    /* the same file again: every row would be there twice */
    assert_int_equal(cm_coop_table_append_csv(path, &back), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "already"));
    /* malformed files name the line */
    const char *bad[3] = {"scheme,bits\nnone,0\n",
                          "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step\nnone,0,10,0.5,0,1,9\n",
                          "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step\nnone,inf,10,0.5,0,1,9,0\n"};
    for (int k = 0; k < 3; k++) {
        f = fopen(path, "w");
        assert_non_null(f);
        fputs(bad[k], f);
        fclose(f);
        memset(&back, 0, sizeof back);
        assert_int_equal(cm_coop_table_append_csv(path, &back), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), k == 0 ? "line 1" : "line 2"));
    }
    snprintf(path, sizeof path, "%s/none.csv", dir);
    assert_int_equal(cm_coop_table_append_csv(path, &back), CM_ERR_IO);
    cmt_tmpdir_remove(dir);
}

static void test_bench_errors(void **state)
{
    (void)state;
    cm_coop_bench_config cfg;
    cm_coop_bench_config_default(&cfg);
    cfg.episodes = 2;
    cm_coop_plugins pl;
    memset(&pl, 0, sizeof pl);
    cm_coop_perception_truth(&pl.perception);
    cm_coop_policy_frontier(&pl.policy);
    static cm_coop_table t;
    /* the default schemes include learned, which needs a trained link */
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, &t), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "learned"));
    cfg.n_schemes = 1;
    snprintf(cfg.schemes[0], 16, "shout");
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, &t), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "shout"));
    snprintf(cfg.schemes[0], 16, "broadcast");
    cfg.bits[0] = 0;
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, &t), CM_ERR_ARG);
    cfg.bits[0] = 4;
    cfg.episodes = 0;
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, &t), CM_ERR_ARG);
    cfg.episodes = 2;
    memset(&pl.policy, 0, sizeof pl.policy);
    assert_int_equal(cm_coop_bench(&cfg, &pl, NULL, &t), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config),
        cmocka_unit_test(test_episode_seeds),
        cmocka_unit_test(test_reset),
        cmocka_unit_test(test_truth_perception),
        cmocka_unit_test(test_memory),
        cmocka_unit_test(test_broadcast_bits),
        cmocka_unit_test(test_oracle_and_none),
        cmocka_unit_test(test_planner),
        cmocka_unit_test(test_episode_reproducible),
        cmocka_unit_test(test_render_changes_nothing),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_bench_threads),
        cmocka_unit_test(test_bench_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
