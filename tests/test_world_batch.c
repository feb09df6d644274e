/* Batches of worlds: bad arguments, determinism across thread counts, and
 * the consistency of every sensor with the trajectory it describes. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/world.h"

enum { B = 6, T = 300, A = 3, R = 12 };

typedef struct outputs {
    float pos[B * T * A * 2], hd[B * T * A], vel[B * T * A * 2], speed[B * T * A], angv[B * T * A];
    float ego[B * T * A * 3], smp[B * T * A * 2], wd[B * T * A * R], ewd[B * T * A * R];
    float init_pos[B * A * 2], init_hd[B * A];
} outputs;

static cm_traj traj_of(outputs *o)
{
    return (cm_traj){.position = o->pos, .heading = o->hd, .velocity = o->vel, .speed = o->speed,
                     .ang_vel = o->angv, .ego_banino = o->ego, .ego_smp = o->smp, .wall_dist = o->wd,
                     .ego_wall_dist = o->ewd, .init_position = o->init_pos, .init_heading = o->init_hd};
}

static void simulate(outputs *o, const char *arena_name, const char *motion_name, uint64_t seed, int threads,
                     int runs)
{
    cm_arena a;
    cm_motion m;
    cm_worlds w;
    assert_int_equal(cm_arena_preset(&a, arena_name), CM_OK);
    assert_int_equal(cm_motion_preset(&m, motion_name), CM_OK);
    cm_set_threads(threads);
    assert_int_equal(cm_worlds_create(&w, &a, &m, B, A, R, seed), CM_OK);
    cm_traj t = traj_of(o);
    /* A trainer's loop: reset and run into the same buffers, repeatedly. */
    for (int i = 0; i < runs; i++) {
        assert_int_equal(cm_worlds_reset(&w), CM_OK);
        assert_int_equal(cm_worlds_run(&w, T, &t), CM_OK);
    }
    cm_worlds_free(&w);
    cm_arena_free(&a);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    cm_arena a;
    cm_motion m;
    cm_worlds w;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "sorscher"), CM_OK);
    assert_int_equal(cm_worlds_create(&w, &a, &m, 0, 1, 0, 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "batch"));
    assert_int_equal(cm_worlds_create(&w, &a, &m, 1, 0, 0, 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "agents"));
    assert_int_equal(cm_worlds_create(&w, &a, &m, 1, 1, -1, 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "rays"));
    assert_int_equal(cm_worlds_create(&w, NULL, &m, 1, 1, 0, 1), CM_ERR_ARG);
    m.rat.dt = NAN;
    assert_int_equal(cm_worlds_create(&w, &a, &m, 1, 1, 0, 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "dt"));
    assert_int_equal(cm_motion_preset(&m, "sorscher"), CM_OK);
    assert_int_equal(cm_worlds_create(&w, &a, &m, 2, 1, 0, 1), CM_OK);
    assert_int_equal(cm_worlds_run(&w, 0, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "steps"));
    assert_int_equal(cm_worlds_run(&w, 5, NULL), CM_OK); /* nothing recorded is fine */
    cm_worlds_free(&w);
    cm_worlds_free(&w); /* twice is harmless */
    cm_arena_free(&a);
}

static void test_determinism_across_threads(void **state)
{
    (void)state;
    const char *models[] = {"sorscher", "ratinabox"};
    outputs *o1 = malloc(sizeof *o1), *o2 = malloc(sizeof *o2), *o3 = malloc(sizeof *o3);
    assert_non_null(o1);
    assert_non_null(o2);
    assert_non_null(o3);
    for (int mi = 0; mi < 2; mi++) {
        memset(o1, 0, sizeof *o1);
        memset(o2, 0xff, sizeof *o2);
        simulate(o1, "tworooms", models[mi], 42, 1, 2);
        simulate(o2, "tworooms", models[mi], 42, 2, 2);
        assert_memory_equal(o1, o2, sizeof *o1);
        /* Another seed, other trajectories; another run, other trajectories. */
        simulate(o3, "tworooms", models[mi], 43, 2, 2);
        assert_memory_not_equal(o1->pos, o3->pos, sizeof o1->pos);
        simulate(o3, "tworooms", models[mi], 42, 2, 1);
        assert_memory_not_equal(o1->pos, o3->pos, sizeof o1->pos);
    }
    cm_set_threads(0);
    free(o1);
    free(o2);
    free(o3);
}

/* Every encoding agrees with the positions and headings it came from. */
static void check_consistency(const char *arena_name, const char *motion_name)
{
    outputs *o = malloc(sizeof *o);
    assert_non_null(o);
    simulate(o, arena_name, motion_name, 7, 2, 1);
    cm_arena a;
    cm_motion m;
    assert_int_equal(cm_arena_preset(&a, arena_name), CM_OK);
    assert_int_equal(cm_motion_preset(&m, motion_name), CM_OK);
    const float dt = m.kind == CM_MOTION_RAT ? m.rat.dt : m.ou.dt;
    float wd[R];
    double max_pi_err = 0;
    for (int b = 0; b < B; b++)
        for (int ag = 0; ag < A; ag++) {
            size_t i0 = (size_t)b * A + ag;
            float x = o->init_pos[2 * i0], y = o->init_pos[2 * i0 + 1], hd = o->init_hd[i0];
            /* Banino's integration (jtoy PR #1): move along the old heading
             * by ego[0], then turn by atan2(ego[2], ego[1]). */
            float ix = x, iy = y, ihd = hd;
            for (int t = 0; t < T; t++) {
                size_t i = ((size_t)b * T + t) * A + ag;
                float px = o->pos[2 * i], py = o->pos[2 * i + 1];
                assert_true(cm_arena_contains(&a, px, py));
                assert_float_equal(o->vel[2 * i] * dt, px - x, 1e-5);
                assert_float_equal(o->vel[2 * i + 1] * dt, py - y, 1e-5);
                assert_float_equal(o->speed[i] * dt, hypotf(px - x, py - y), 1e-5);
                float dth = remainderf(o->hd[i] - hd, 2 * (float)M_PI);
                assert_float_equal(o->angv[i] * dt, dth, 1e-4);
                assert_float_equal(o->ego[3 * i], o->speed[i] * dt, 1e-6);
                assert_float_equal(o->ego[3 * i + 1], cosf(dth), 1e-4);
                assert_float_equal(o->ego[3 * i + 2], sinf(dth), 1e-4);
                assert_float_equal(o->smp[2 * i], 10 * o->ego[3 * i + 1], 1e-5);
                assert_float_equal(o->smp[2 * i + 1], 10 * o->ego[3 * i + 2], 1e-5);
                assert_true(o->hd[i] > -(float)M_PI - 1e-6f && o->hd[i] <= (float)M_PI + 1e-6f);
                /* Wall distances: the allocentric fan, and the egocentric one
                 * that is the same fan turned by the heading. */
                cm_arena_distances(&a, px, py, 0.0f, R, wd);
                assert_memory_equal(wd, o->wd + i * R, sizeof wd);
                for (int k = 0; k < R; k++) {
                    float ang = o->hd[i] - (float)M_PI + 2 * (float)M_PI * k / R;
                    cm_ray_hit h = cm_arena_cast(&a, px, py, cosf(ang), sinf(ang));
                    assert_float_equal(o->ewd[i * R + k], h.distance, 1e-4);
                }
                if (m.kind == CM_MOTION_RAT) {
                    ix += cosf(ihd) * o->ego[3 * i];
                    iy += sinf(ihd) * o->ego[3 * i];
                    ihd += atan2f(o->ego[3 * i + 2], o->ego[3 * i + 1]);
                    double e = hypot(ix - px, iy - py);
                    if (e > max_pi_err)
                        max_pi_err = e;
                }
                x = px;
                y = py;
                hd = o->hd[i];
            }
        }
    if (m.kind == CM_MOTION_RAT) {
        /* Path integration from the Banino inputs stays on the true path
         * (float rounding only) over 300 steps. */
        print_message("%s/%s: Banino path integration error %.2e\n", arena_name, motion_name, max_pi_err);
        assert_true(max_pi_err < 1e-3);
    }
    /* Agents of one world have their own trajectories. */
    assert_memory_not_equal(o->pos, o->pos + 2, 2 * sizeof(float));
    cm_arena_free(&a);
    free(o);
}

static void test_consistency_rat(void **state)
{
    (void)state;
    check_consistency("box", "sorscher");
    check_consistency("circle", "banino");
}

static void test_consistency_ou(void **state)
{
    (void)state;
    check_consistency("tworooms", "ratinabox");
}

/* Sub-sampling: K model steps per record are the same steps, recorded less
 * often (one agent per world, so the random draws come in the same order). */
static void test_substeps(void **state)
{
    (void)state;
    enum { K = 4, TS = 50, NB = 3 };
    cm_arena a;
    cm_motion m;
    cm_worlds w1, w4;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "banino"), CM_OK);
    assert_int_equal(cm_worlds_create(&w1, &a, &m, NB, 1, 0, 3), CM_OK);
    assert_int_equal(cm_worlds_create(&w4, &a, &m, NB, 1, 0, 3), CM_OK);
    w4.substeps = K;
    static float p1[NB * K * TS * 2], p4[NB * TS * 2], h1[NB * K * TS], h4[NB * TS], v4[NB * TS * 2];
    static float e4[NB * TS * 3], i4[NB * 2];
    cm_traj t1 = {.position = p1, .heading = h1};
    cm_traj t4 = {.position = p4, .heading = h4, .velocity = v4, .ego_banino = e4, .init_position = i4};
    assert_int_equal(cm_worlds_run(&w1, K * TS, &t1), CM_OK);
    assert_int_equal(cm_worlds_run(&w4, TS, &t4), CM_OK);
    for (int b = 0; b < NB; b++)
        for (int t = 0; t < TS; t++) {
            size_t i = (size_t)b * TS + t, j = (size_t)b * K * TS + (size_t)K * t + K - 1;
            assert_float_equal(p4[2 * i], p1[2 * j], 0);
            assert_float_equal(p4[2 * i + 1], p1[2 * j + 1], 0);
            assert_float_equal(h4[i], h1[j], 0);
            float px = t ? p4[2 * i - 2] : i4[2 * b], py = t ? p4[2 * i - 1] : i4[2 * b + 1];
            assert_float_equal(v4[2 * i] * K * m.rat.dt, p4[2 * i] - px, 1e-5);
            assert_float_equal(v4[2 * i + 1] * K * m.rat.dt, p4[2 * i + 1] - py, 1e-5);
            assert_float_equal(e4[3 * i], hypotf(p4[2 * i] - px, p4[2 * i + 1] - py), 1e-5);
        }
    w4.substeps = 0;
    assert_int_equal(cm_worlds_run(&w4, TS, &t4), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "substeps"));
    cm_worlds_free(&w1);
    cm_worlds_free(&w4);
    cm_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_determinism_across_threads),
        cmocka_unit_test(test_consistency_rat),
        cmocka_unit_test(test_consistency_ou),
        cmocka_unit_test(test_substeps),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
