/* Discrete Memory-Maze control: kinematics, collisions, rewards, the exploring policy. */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/world.h"

static void make_env(cm_maze_env *env, int size, uint64_t seed, int agents)
{
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(size, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, seed, &m), CM_OK);
    assert_int_equal(cm_maze_env_init(env, &m, agents, seed), CM_OK);
}

static int inside_free_space(const cm_maze *m, cm_pose p, float r)
{
    return cm_maze_free(m, (int)floorf(p.x - r), (int)floorf(p.y - r)) &&
           cm_maze_free(m, (int)floorf(p.x + r), (int)floorf(p.y - r)) &&
           cm_maze_free(m, (int)floorf(p.x - r), (int)floorf(p.y + r)) &&
           cm_maze_free(m, (int)floorf(p.x + r), (int)floorf(p.y + r));
}

static void test_kinematics(void **state)
{
    (void)state;
    static cm_maze_env env;
    make_env(&env, 15, 4, 1);
    cm_maze_agent *a = &env.agents[0];
    /* spawned on a 'P' cell centre */
    int sx = (int)a->pose.x, sy = (int)a->pose.y, on_spawn = 0;
    for (int r = 0; r < env.maze.n_rooms; r++)
        on_spawn |= env.maze.spawn[r][0] == sx && env.maze.spawn[r][1] == sy;
    assert_true(on_spawn);
    /* turning: 19.2 degrees a step, in place */
    float th = a->pose.theta, x = a->pose.x;
    int act = CM_ACT_LEFT;
    float rew;
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
    assert_float_equal(a->omega, 19.2f * (float)M_PI / 180.0f, 1e-5);
    assert_float_equal(a->pose.x, x, 0);
    act = CM_ACT_RIGHT;
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
    assert_float_equal(a->pose.theta, th, 1e-5);
    /* forward in open space: ramps 0.11, 0.22, 0.25, then coasts 0.14 */
    a->pose = (cm_pose){0, 0, 0};
    for (int r = 0; r < env.maze.n_rooms; r++)
        if (env.maze.rooms[r].w >= 3) {
            a->pose.x = env.maze.rooms[r].x + 0.5f; /* west edge of a room, facing east */
            a->pose.y = env.maze.rooms[r].y + 1.5f;
            break;
        }
    a->speed = 0;
    const float want[4] = {0.11f, 0.22f, 0.25f, 0.14f};
    for (int k = 0; k < 4; k++) {
        act = k < 3 ? CM_ACT_FORWARD : CM_ACT_NOOP;
        float x0 = a->pose.x;
        assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
        assert_float_equal(a->pose.x - x0, want[k], 1e-5);
        assert_float_equal(a->vel[0], want[k], 1e-5);
    }
    /* bad action */
    act = 6;
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "action"));
    cm_maze_env_free(&env);
}

static void test_collisions_never_inside_walls(void **state)
{
    (void)state;
    static cm_maze_env env;
    make_env(&env, 11, 9, 4);
    cm_rng rng;
    cm_rng_seed(&rng, 3, 0);
    int acts[4];
    float rew[4];
    for (int step = 0; step < 20000; step++) {
        for (int i = 0; i < 4; i++)
            acts[i] = (int)cm_rng_below(&rng, CM_N_ACTIONS);
        assert_int_equal(cm_maze_env_step(&env, acts, rew), CM_OK);
        for (int i = 0; i < 4; i++) {
            if (!inside_free_space(&env.maze, env.agents[i].pose, env.physics.radius * 0.999f))
                fail_msg("step %d agent %d at (%g, %g) overlaps a wall", step, i, env.agents[i].pose.x,
                         env.agents[i].pose.y);
            assert_true(rew[i] == 0.0f || rew[i] == 1.0f);
        }
    }
    cm_maze_env_free(&env);
}

static void test_reward_on_requested_target(void **state)
{
    (void)state;
    static cm_maze_env env;
    make_env(&env, 9, 2, 1);
    cm_maze_agent *a = &env.agents[0];
    int t = a->target, other = (t + 1) % env.maze.n_targets;
    int act = CM_ACT_NOOP;
    float rew;
    /* on a wrong target: nothing */
    a->pose.x = env.maze.targets[other][0];
    a->pose.y = env.maze.targets[other][1];
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
    assert_float_equal(rew, 0.0f, 0);
    assert_int_equal(a->target, t);
    /* on the requested one: +1 and a new target, never the same */
    a->pose.x = env.maze.targets[t][0] + 0.3f;
    a->pose.y = env.maze.targets[t][1];
    if (!inside_free_space(&env.maze, a->pose, 0.1f))
        a->pose.x -= 0.6f;
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
    assert_float_equal(rew, 1.0f, 0);
    assert_int_equal(a->score, 1);
    assert_int_not_equal(a->target, t);
    /* still there: the new target is elsewhere, so no second reward */
    assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
    assert_float_equal(rew, 0.0f, 0);
    cm_maze_env_free(&env);
}

static void test_policy_explores_and_scores(void **state)
{
    (void)state;
    static cm_maze_env env;
    make_env(&env, 15, 11, 2);
    int n = env.maze.size;
    static uint8_t seen[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    memset(seen, 0, sizeof seen);
    int acts[2], n_free = 0, n_seen = 0, score = 0;
    float rew[2];
    for (int i = 0; i < n * n; i++)
        n_free += env.maze.layout[i];
    for (int step = 0; step < 4000; step++) {
        for (int i = 0; i < 2; i++)
            acts[i] = cm_maze_policy(&env, i, 0.1f);
        assert_int_equal(cm_maze_env_step(&env, acts, rew), CM_OK);
        score += (int)rew[0] + (int)rew[1];
        int c = (int)env.agents[0].pose.y * n + (int)env.agents[0].pose.x;
        n_seen += !seen[c];
        seen[c] = 1;
    }
    /* an explorer covers most of the maze in a 15x15 episode, and now and then meets its target */
    if (n_seen < n_free * 7 / 10)
        fail_msg("visited %d of %d free cells", n_seen, n_free);
    assert_true(score >= 1);
    cm_maze_env_free(&env);
}

static void test_env_determinism_and_render(void **state)
{
    (void)state;
    static cm_maze_env a, b;
    make_env(&a, 13, 5, 3);
    make_env(&b, 13, 5, 3);
    cm_render_config c;
    cm_render_config_maze(&c);
    cm_renderer *ra, *rb;
    assert_int_equal(cm_renderer_create(&ra, &a.arena, &a.maze, &c), CM_OK);
    assert_int_equal(cm_renderer_create(&rb, &b.arena, &b.maze, &c), CM_OK);
    static uint8_t ia[64 * 64 * 3], ib[64 * 64 * 3];
    int acts[3];
    float rew[3];
    for (int step = 0; step < 300; step++) {
        for (int i = 0; i < 3; i++)
            acts[i] = cm_maze_policy(&a, i, 0.2f);
        assert_int_equal(cm_maze_env_step(&a, acts, rew), CM_OK);
        for (int i = 0; i < 3; i++)
            acts[i] = cm_maze_policy(&b, i, 0.2f);
        assert_int_equal(cm_maze_env_step(&b, acts, rew), CM_OK);
    }
    for (int i = 0; i < 3; i++) {
        assert_memory_equal(&a.agents[i].pose, &b.agents[i].pose, sizeof(cm_pose));
        cm_maze_env_render(&a, ra, i, ia, NULL);
        cm_maze_env_render(&b, rb, i, ib, NULL);
        assert_memory_equal(ia, ib, sizeof ia);
        /* the border shows the requested target's colour */
        const uint8_t *tc = a.maze.target_rgb[a.agents[i].target];
        assert_int_equal(ia[0], (int)(tc[0] / 220.0f * 255 * 0.7f));
    }
    cm_renderer_free(ra);
    cm_renderer_free(rb);
    cm_maze_env_free(&a);
    cm_maze_env_free(&b);
    /* bad agent counts */
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_OK);
    assert_int_equal(cm_maze_env_init(&a, &m, 0, 1), CM_ERR_ARG);
    assert_int_equal(cm_maze_env_init(&a, &m, CM_MAZE_MAX_AGENTS + 1, 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "agents"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kinematics),
        cmocka_unit_test(test_collisions_never_inside_walls),
        cmocka_unit_test(test_reward_on_requested_target),
        cmocka_unit_test(test_policy_explores_and_scores),
        cmocka_unit_test(test_env_determinism_and_render),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
