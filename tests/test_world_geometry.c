/* Ray–segment intersection and brute-force arena casts. */
#include "test_util.h"

#include <math.h>

#include "cogmap/world.h"

static void test_ray_segment_cases(void **state)
{
    (void)state;
    float t = -1;
    /* Straight ahead, hitting the middle of a vertical wall at x = 2. */
    assert_float_equal(cm_ray_segment(0, 0, 1, 0, 2, -1, 2, 1, &t), 2.0f, 1e-6);
    assert_float_equal(t, 0.5f, 1e-6);
    /* Behind the origin: no hit. */
    assert_true(isinf(cm_ray_segment(0, 0, -1, 0, 2, -1, 2, 1, NULL)));
    /* Missing the segment's end. */
    assert_true(isinf(cm_ray_segment(0, 2, 1, 0, 2, -1, 2, 1, NULL)));
    /* Exactly the endpoint counts. */
    assert_float_equal(cm_ray_segment(0, 1, 1, 0, 2, -1, 2, 1, &t), 2.0f, 1e-6);
    assert_float_equal(t, 1.0f, 1e-6);
    /* Parallel: never. */
    assert_true(isinf(cm_ray_segment(0, 0, 1, 0, 1, 0, 3, 0, NULL)));
    /* Diagonal ray onto a horizontal wall y = 1: distance sqrt(2). */
    float s = (float)M_SQRT1_2;
    assert_float_equal(cm_ray_segment(0, 0, s, s, -5, 1, 5, 1, &t), (float)M_SQRT2, 1e-5);
    assert_float_equal(t, 0.6f, 1e-5);
}

static void test_arena_cast_nearest(void **state)
{
    (void)state;
    cm_wall walls[4] = {
        {-1.1f, -1.1f, 1.1f, -1.1f, {255, 0, 0}, 0},
        {1.1f, -1.1f, 1.1f, 1.1f, {0, 255, 0}, 0},
        {1.1f, 1.1f, -1.1f, 1.1f, {0, 0, 255}, 0},
        {-1.1f, 1.1f, -1.1f, -1.1f, {255, 255, 0}, 0},
    };
    cm_arena arena = {.name = "box", .n_walls = 4, .walls = walls, .xmin = -1.1f, .ymin = -1.1f,
                      .xmax = 1.1f, .ymax = 1.1f};
    cm_ray_hit h = cm_arena_cast(&arena, 0.5f, 0.0f, 1.0f, 0.0f);
    assert_int_equal(h.wall, 1);
    assert_float_equal(h.distance, 0.6f, 1e-6);
    assert_float_equal(h.u, 1.1f, 1e-6);
    h = cm_arena_cast(&arena, 0.0f, 0.0f, 0.0f, -1.0f);
    assert_int_equal(h.wall, 0);
    assert_float_equal(h.distance, 1.1f, 1e-6);
    /* From every direction the box is hit within its diagonal. */
    for (int k = 0; k < 360; k++) {
        float a = (float)(k * M_PI / 180);
        h = cm_arena_cast(&arena, 0.3f, -0.2f, cosf(a), sinf(a));
        assert_true(h.wall >= 0);
        assert_true(h.distance > 0 && h.distance < 3.2f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ray_segment_cases),
        cmocka_unit_test(test_arena_cast_nearest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
