/* cm_simulate and cm_simulation_write (cogmap/simulate.h), what `cogmap
 * simulate` runs: the agents stay in the arena, a seed gives the same paths
 * and another seed others, dt is the model's step times the substeps,
 * trajectory.npz holds every array with its shape (the rays' arrays only
 * with rays), and bad counts are refused with nothing to free. The command
 * itself is tests/cli_world.sh. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/simulate.h"

static void test_simulate_and_write(void **state)
{
    (void)state;
    cm_arena arena;
    cm_motion motion;
    assert_int_equal(cm_arena_preset(&arena, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&motion, "sorscher"), CM_OK);
    cm_simulation a, b, c;
    assert_int_equal(cm_simulate(&arena, &motion, 2, 1, 30, 4, 2, 7, &a), CM_OK);
    assert_int_equal(cm_simulate(&arena, &motion, 2, 1, 30, 4, 2, 7, &b), CM_OK);
    assert_int_equal(cm_simulate(&arena, &motion, 2, 1, 30, 0, 2, 8, &c), CM_OK);
    assert_true(fabsf(a.dt - 2 * motion.rat.dt) < 1e-7f);
    for (int k = 0; k < 2 * 30; k++)
        assert_true(cm_arena_contains(&arena, a.position[2 * k], a.position[2 * k + 1]));
    assert_memory_equal(a.position, b.position, 2 * 30 * 2 * sizeof(float));
    assert_true(memcmp(a.position, c.position, 2 * 30 * 2 * sizeof(float)) != 0);
    assert_null(c.wall_dist);
    assert_non_null(a.wall_dist);

    const char *dir = cmt_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/trajectory.npz", dir);
    assert_int_equal(cm_simulation_write(path, &arena, &a), CM_OK);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    const cm_array *pos = cm_npz_get(&z, "position"), *wd = cm_npz_get(&z, "wall_distances");
    const cm_array *dt = cm_npz_get(&z, "dt"), *walls = cm_npz_get(&z, "walls");
    assert_non_null(pos);
    assert_int_equal(pos->ndim, 4);
    assert_true(pos->shape[0] == 2 && pos->shape[1] == 30 && pos->shape[2] == 1 && pos->shape[3] == 2);
    assert_memory_equal(pos->data, a.position, 2 * 30 * 2 * sizeof(float));
    assert_non_null(wd);
    assert_true(wd->shape[3] == 4);
    assert_non_null(dt);
    assert_true(*(const float *)dt->data == a.dt);
    assert_non_null(walls);
    assert_true(walls->shape[0] == arena.n_walls);
    cm_npz_free(&z);
    assert_int_equal(cm_simulation_write(path, &arena, &c), CM_OK);
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    assert_null(cm_npz_get(&z, "wall_distances"));
    assert_null(cm_npz_get(&z, "ray_angles"));
    cm_npz_free(&z);
    cmt_tmpdir_remove(dir);

    cm_simulation_free(&a);
    cm_simulation_free(&b);
    cm_simulation_free(&c);
    cm_simulation_free(&c); /* twice is harmless */
    assert_int_equal(cm_simulate(&arena, &motion, 0, 1, 30, 4, 1, 7, &a), CM_ERR_ARG);
    assert_int_equal(cm_simulate(&arena, &motion, 1, 1, 30, -1, 1, 7, &a), CM_ERR_ARG);
    assert_int_equal(cm_simulate(&arena, &motion, 1, 1, 30, 4, 0, 7, &a), CM_ERR_ARG);
    assert_null(a.position);
    cm_arena_free(&arena);
}

/* `simulate --motion --scale --dt`: the preset's lengths scaled, its step
 * replaced when dt > 0 (kept at 0), for the rat and the OU model alike; an
 * unknown preset or a scale the model refuses is an argument error. */
static void test_motion(void **state)
{
    (void)state;
    cm_motion base, m;
    assert_int_equal(cm_motion_preset(&base, "sorscher"), CM_OK);
    assert_int_equal(cm_simulate_motion(&m, "sorscher", 1.0, 0), CM_OK);
    assert_memory_equal(&m, &base, sizeof m);
    assert_int_equal(cm_simulate_motion(&m, "sorscher", 2.0, 0.05), CM_OK);
    assert_true(fabsf(m.rat.dt - 0.05f) < 1e-7f);
    assert_true(memcmp(&m, &base, sizeof m) != 0);
    assert_int_equal(cm_simulate_motion(&m, "ou", 1.0, 0.03), CM_OK);
    assert_true(m.kind != CM_MOTION_RAT && fabsf(m.ou.dt - 0.03f) < 1e-7f);
    assert_int_equal(cm_simulate_motion(&m, "nobody", 1.0, 0), CM_ERR_ARG);
    assert_int_equal(cm_simulate_motion(&m, "sorscher", -1.0, 0), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motion),
        cmocka_unit_test(test_simulate_and_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
