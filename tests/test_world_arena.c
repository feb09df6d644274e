/* Open arenas: presets, polygons, the inside test, nearest walls, ray fans. */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/world.h"
#include "world/world_internal.h"

static void test_presets_shapes(void **state)
{
    (void)state;
    cm_arena a;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_string_equal(a.name, "box");
    assert_int_equal(a.n_walls, 4);
    assert_null(a.grid);
    assert_float_equal(a.xmin, -1.1f, 1e-6);
    assert_float_equal(a.xmax, 1.1f, 1e-6);
    assert_float_equal(a.ymin, -1.1f, 1e-6);
    assert_float_equal(a.ymax, 1.1f, 1e-6);
    /* Four distinct colours: the walls are distal cues. */
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            assert_true(memcmp(a.walls[i].rgb, a.walls[j].rgb, 3) != 0);
    cm_arena_free(&a);

    assert_int_equal(cm_arena_preset(&a, "box15"), CM_OK);
    assert_int_equal(a.n_walls, 4);
    assert_float_equal(a.xmin, 0.0f, 1e-6);
    assert_float_equal(a.xmax, 15.0f, 1e-6);
    assert_float_equal(a.ymax, 15.0f, 1e-6);
    cm_arena_free(&a);

    assert_int_equal(cm_arena_preset(&a, "circle"), CM_OK);
    assert_int_equal(a.n_walls, 64);
    for (int i = 0; i < a.n_walls; i++) {
        const cm_wall *w = &a.walls[i];
        assert_float_equal(hypotf(w->x0, w->y0), 1.1f, 1e-5);
        /* Consecutive walls share a vertex (closed loop) and differ in colour. */
        const cm_wall *n = &a.walls[(i + 1) % a.n_walls];
        assert_float_equal(w->x1, n->x0, 0);
        assert_float_equal(w->y1, n->y0, 0);
        assert_true(memcmp(w->rgb, n->rgb, 3) != 0);
    }
    cm_arena_free(&a);

    assert_int_equal(cm_arena_preset(&a, "tworooms"), CM_OK);
    assert_int_equal(a.n_walls, 12);
    assert_float_equal(a.xmin, -2.2f, 1e-6);
    assert_float_equal(a.xmax, 2.2f, 1e-6);
    cm_arena_free(&a);
    cm_arena_free(NULL); /* harmless */
}

static void test_unknown_preset_and_bad_polygons(void **state)
{
    (void)state;
    cm_arena a;
    assert_int_equal(cm_arena_preset(&a, "hexagon"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "hexagon"));
    assert_non_null(strstr(cm_errmsg(), "tworooms")); /* lists the known ones */
    assert_null(a.walls);
    assert_int_equal(cm_arena_preset(&a, NULL), CM_ERR_ARG);

    const float two[4] = {0, 0, 1, 0};
    assert_int_equal(cm_arena_polygon(&a, "p", 2, two), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "at least 3"));
    const float line[6] = {0, 0, 1, 1, 2, 2};
    assert_int_equal(cm_arena_polygon(&a, "p", 3, line), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "area"));
    const float nan_v[6] = {0, 0, 1, 0, NAN, 1};
    assert_int_equal(cm_arena_polygon(&a, "p", 3, nan_v), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "vertex 2"));
    assert_null(a.walls);
}

static void test_contains(void **state)
{
    (void)state;
    cm_arena a;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_true(cm_arena_contains(&a, 0, 0));
    assert_true(cm_arena_contains(&a, 1.09f, -1.09f));
    assert_false(cm_arena_contains(&a, 1.11f, 0));
    assert_false(cm_arena_contains(&a, 0, -1.2f));
    assert_false(cm_arena_contains(&a, NAN, 0));
    assert_false(cm_arena_contains(&a, 0, INFINITY));
    cm_arena_free(&a);

    assert_int_equal(cm_arena_preset(&a, "circle"), CM_OK);
    assert_true(cm_arena_contains(&a, 1.09f, 0));     /* toward a vertex */
    assert_true(cm_arena_contains(&a, 0.777f, 0.777f)); /* the 45 degree vertex is at 0.7778 */
    assert_false(cm_arena_contains(&a, 0.78f, 0.78f));
    assert_false(cm_arena_contains(&a, 1.0f, 1.0f)); /* inside the bounding box only */
    cm_arena_free(&a);

    assert_int_equal(cm_arena_preset(&a, "tworooms"), CM_OK);
    assert_true(cm_arena_contains(&a, -1.0f, 0.7f)); /* west room */
    assert_true(cm_arena_contains(&a, 1.0f, -0.7f)); /* east room */
    assert_true(cm_arena_contains(&a, 0.0f, 0.0f));  /* in the door */
    assert_true(cm_arena_contains(&a, 0.0f, 0.24f));
    assert_false(cm_arena_contains(&a, 0.0f, 0.5f));   /* inside the partition */
    assert_false(cm_arena_contains(&a, 0.0f, -1.0f));
    assert_false(cm_arena_contains(&a, 0.04f, 0.26f));
    assert_false(cm_arena_contains(&a, 2.3f, 0.0f));
    cm_arena_free(&a);

    /* A maze-style arena answers from its grid: row 0 at the bottom. */
    uint8_t grid[6] = {1, 0, 1, 1, 1, 1}; /* 3 x 2, cell (1, 0) is a wall */
    cm_wall dummy = {0, 0, 3, 0, {0, 0, 0}, 0};
    cm_arena g = {.name = "grid", .n_walls = 1, .walls = &dummy, .xmax = 3, .ymax = 2,
                  .grid_width = 3, .grid_height = 2, .grid = grid};
    assert_true(cm_arena_contains(&g, 0.5f, 0.5f));
    assert_false(cm_arena_contains(&g, 1.5f, 0.5f));
    assert_true(cm_arena_contains(&g, 1.5f, 1.5f));
    assert_false(cm_arena_contains(&g, -0.1f, 0.5f));
    assert_false(cm_arena_contains(&g, 0.5f, 2.0f));
}

static void test_nearest_wall(void **state)
{
    (void)state;
    cm_arena a;
    float nx, ny;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_float_equal(cm_arena_nearest_wall(&a, 0.5f, 0.0f, &nx, &ny), 0.6f, 1e-6);
    assert_float_equal(nx, 1.0f, 1e-6);
    assert_float_equal(ny, 0.0f, 1e-6);
    assert_float_equal(cm_arena_nearest_wall(&a, 1.0f, 1.05f, &nx, &ny), 0.05f, 1e-6);
    assert_float_equal(ny, 1.0f, 1e-6);
    assert_float_equal(cm_arena_nearest_wall(&a, -0.3f, -1.0f, &nx, &ny), 0.1f, 1e-6);
    assert_float_equal(ny, -1.0f, 1e-6);
    assert_float_equal(cm_arena_nearest_wall(&a, 0, 0, NULL, NULL), 1.1f, 1e-6);
    cm_arena_free(&a);

    /* Near a door jamb the nearest point is the partition's corner. */
    assert_int_equal(cm_arena_preset(&a, "tworooms"), CM_OK);
    float d = cm_arena_nearest_wall(&a, -0.08f, 0.21f, &nx, &ny);
    assert_float_equal(d, hypotf(0.03f, 0.04f), 1e-6);
    assert_float_equal(nx, 0.6f, 1e-5);
    assert_float_equal(ny, 0.8f, 1e-5);
    cm_arena_free(&a);
}

static void test_ray_fans(void **state)
{
    (void)state;
    cm_arena a;
    float d[8];
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    /* Allocentric: ray k at -pi + 2 pi k / n, as SMP's world_distances. */
    cm_arena_distances(&a, 0.5f, -0.2f, 0.0f, 4, d);
    assert_float_equal(d[0], 1.6f, 1e-5); /* -pi: west */
    assert_float_equal(d[1], 0.9f, 1e-5); /* -pi/2: south */
    assert_float_equal(d[2], 0.6f, 1e-5); /* 0: east */
    assert_float_equal(d[3], 1.3f, 1e-5); /* pi/2: north */
    /* Egocentric, heading north: ray n/2 looks ahead. */
    float e[4];
    cm_arena_distances(&a, 0.5f, -0.2f, (float)M_PI_2, 4, e);
    assert_float_equal(e[2], 1.3f, 1e-5);
    assert_float_equal(e[3], 1.6f, 1e-5); /* to the left = west */
    assert_float_equal(e[1], 0.6f, 1e-5); /* to the right = east */
    assert_float_equal(e[0], 0.9f, 1e-5); /* behind */
    /* SMP's rotation rule ego[j] = allo[(j + round(n hd / 2 pi)) mod n]. */
    for (int j = 0; j < 4; j++)
        assert_float_equal(e[j], d[(j + 1) % 4], 1e-5);
    /* Diagonals from the centre. */
    cm_arena_distances(&a, 0, 0, 0.0f, 8, d);
    for (int k = 0; k < 8; k++)
        assert_float_equal(d[k], (k % 2) ? 1.1f * (float)M_SQRT2 : 1.1f, 1e-5);
    cm_arena_free(&a);

    /* Through the door of the two rooms, and onto the partition beside it. */
    assert_int_equal(cm_arena_preset(&a, "tworooms"), CM_OK);
    cm_arena_distances(&a, -1.0f, 0.0f, 0.0f, 4, d);
    assert_float_equal(d[2], 3.2f, 1e-5);
    assert_float_equal(d[0], 1.2f, 1e-5);
    cm_arena_distances(&a, -1.0f, 0.5f, 0.0f, 4, d);
    assert_float_equal(d[2], 0.95f, 1e-5);
    assert_float_equal(d[3], 0.6f, 1e-5);
    cm_arena_free(&a);

    /* In the circle every ray ends between the apothem and the radius. */
    assert_int_equal(cm_arena_preset(&a, "circle"), CM_OK);
    float c[36];
    cm_arena_distances(&a, 0, 0, 0.3f, 36, c);
    for (int k = 0; k < 36; k++) {
        assert_true(c[k] >= 1.1f * cosf((float)M_PI / 64) - 1e-5f);
        assert_true(c[k] <= 1.1f + 1e-5f);
    }
    cm_arena_free(&a);
}

/* The collision-safe move every motion model goes through. */
static void test_safe_move(void **state)
{
    (void)state;
    cm_arena a;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    const float c = cm_arena_clearance(&a);
    float x = 0, y = 0;
    /* Free moves are made exactly. */
    assert_int_equal(cm_world_move(&a, &x, &y, 0.3f, -0.2f, 0), -1);
    assert_float_equal(x, 0.3f, 0);
    assert_float_equal(y, -0.2f, 0);
    /* Through the east wall: stops the clearance short of it. */
    x = 0, y = 0;
    assert_int_equal(cm_world_move(&a, &x, &y, 5.0f, 0.0f, 1.1f), 1);
    assert_float_equal(x, 1.1f - c, 1e-6);
    assert_float_equal(y, 0.0f, 0);
    /* Already there: a move into the wall stays, a move away is made. */
    assert_int_equal(cm_world_move(&a, &x, &y, 0.01f, 0.0f, 0), 1);
    assert_float_equal(x, 1.1f - c, 1e-6);
    assert_int_equal(cm_world_move(&a, &x, &y, -0.5f, 0.0f, 0), -1);
    assert_float_equal(x, 0.6f - c, 1e-6);
    /* Diagonally into a corner, exactly through the shared vertex. */
    x = 0, y = 0;
    assert_true(cm_world_move(&a, &x, &y, 3.0f, 3.0f, 1.1f) >= 0);
    assert_true(cm_arena_contains(&a, x, y));
    assert_true(x < 1.1f && y < 1.1f && x > 1.0f && y > 1.0f);
    /* Parallel to a wall 5 cm away: never a hit. */
    x = -1.0f, y = 1.05f;
    assert_int_equal(cm_world_move(&a, &x, &y, 1.5f, 0.0f, 0), -1);
    assert_float_equal(x, 0.5f, 1e-6);
    cm_arena_free(&a);

    /* Into the partition of the two rooms, and through the door. */
    assert_int_equal(cm_arena_preset(&a, "tworooms"), CM_OK);
    x = -1.0f, y = 0.6f;
    assert_true(cm_world_move(&a, &x, &y, 2.0f, 0.0f, 0) >= 0);
    assert_true(x < -0.05f && x > -0.06f);
    x = -1.0f, y = 0.0f;
    assert_int_equal(cm_world_move(&a, &x, &y, 2.0f, 0.0f, 0), -1);
    assert_float_equal(x, 1.0f, 1e-6);
    /* Random moves from random points never end outside. */
    cm_rng rng;
    cm_rng_seed(&rng, 1, 0);
    for (int i = 0; i < 20000; i++) {
        float px, py;
        do {
            px = (float)cm_rng_uniform(&rng, -2.2, 2.2);
            py = (float)cm_rng_uniform(&rng, -1.1, 1.1);
        } while (!cm_arena_contains(&a, px, py) || cm_arena_nearest_wall(&a, px, py, NULL, NULL) < c);
        float dx = (float)cm_rng_uniform(&rng, -3, 3), dy = (float)cm_rng_uniform(&rng, -3, 3);
        cm_world_move(&a, &px, &py, dx, dy, 0);
        assert_true(cm_arena_contains(&a, px, py));
    }
    cm_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets_shapes),       cmocka_unit_test(test_unknown_preset_and_bad_polygons),
        cmocka_unit_test(test_contains),             cmocka_unit_test(test_nearest_wall),
        cmocka_unit_test(test_ray_fans),             cmocka_unit_test(test_safe_move),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
