/* The ray-casting renderer: wall heights in pixels, sprites, border, errors. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/world.h"

static cm_wall box_walls[4] = {
    {-5, -5, 5, -5, {200, 40, 40}, 0},
    {5, -5, 5, 5, {40, 200, 40}, 1},
    {5, 5, -5, 5, {40, 40, 200}, 2},
    {-5, 5, -5, -5, {200, 200, 40}, 0},
};
static cm_arena box = {.name = "box10", .n_walls = 4, .walls = box_walls, .xmin = -5, .ymin = -5, .xmax = 5, .ymax = 5};

/* Rows of column `col` whose depth equals z (the wall's rows). */
static void wall_rows(const float *depth, int w, int h, int col, float z, int *first, int *count)
{
    *first = -1;
    *count = 0;
    for (int row = 0; row < h; row++)
        if (fabsf(depth[row * w + col] - z) < 1e-3f * z) {
            if (*first < 0)
                *first = row;
            (*count)++;
        }
}

static void test_wall_height_open_arena(void **state)
{
    (void)state;
    cm_render_config c;
    cm_render_config_arena(&c);
    c.fov_deg = 90.0f; /* f = 32 px for 64 rows */
    c.pitch_deg = 0.0f;
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_OK);
    static uint8_t rgb[64 * 64 * 3];
    static float depth[64 * 64];
    const float f = 32.0f;
    for (float d = 1.0f; d <= 9.0f; d += 0.75f) {
        /* facing +x from x = 5 - d: the wall x = 5 is d ahead */
        cm_render(r, (cm_pose){5.0f - d, 0.0f, 0.0f}, NULL, 0, rgb, depth);
        int first, count;
        wall_rows(depth, 64, 64, 31, d, &first, &count);
        float top = 32.0f - f * (c.wall_height - c.camera_height) / d;
        float bottom = 32.0f + f * c.camera_height / d;
        int want_first = (int)ceilf(top - 0.5f), want_end = (int)ceilf(bottom - 0.5f);
        assert_int_equal(first, want_first);
        assert_int_equal(count, want_end - want_first);
        assert_true(fabsf((float)count - f * c.wall_height / d) <= 1.0f);
        /* the wall is green (wall 1), shaded but green-dominant; the sky above, the floor below */
        const uint8_t *px = &rgb[((first + count / 2) * 64 + 31) * 3];
        assert_true(px[1] > px[0] && px[1] > px[2]);
        assert_true(isinf(depth[0 * 64 + 31]));
        assert_true(depth[63 * 64 + 31] < d);
    }
    cm_renderer_free(r);
}

static void test_wall_height_maze_with_pitch(void **state)
{
    (void)state;
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(15, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 3, &m), CM_OK);
    cm_arena a;
    assert_int_equal(cm_arena_from_maze(&m, &a), CM_OK);
    cm_render_config c;
    cm_render_config_maze(&c);
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &a, &m, &c), CM_OK);
    static uint8_t rgb[64 * 64 * 3];
    static float depth[64 * 64];
    double f = 32.0 / tan(40.0 * M_PI / 180.0), horizon = 32.0 - f * tan(5.7 * M_PI / 180.0);
    int tested = 0;
    for (int y = 0; y < m.size; y++)
        for (int x = 0; x < m.size; x++) {
            if (!cm_maze_free(&m, x, y) || cm_maze_free(&m, x + 1, y))
                continue;
            /* a wall 0.5 cells east of the cell centre; try 0.3 cells further back too */
            for (int back = 0; back < 2; back++) {
                float d = 0.5f + 0.3f * back;
                if (back && !cm_maze_free(&m, x - 1, y))
                    continue;
                cm_render(r, (cm_pose){x + 1.0f - d, y + 0.5f, 0.0f}, NULL, 0, rgb, depth);
                int first, count;
                wall_rows(depth, 64, 64, 31, d, &first, &count);
                double top = horizon - f * (0.75 - 0.45) / d, bottom = horizon + f * 0.45 / d;
                int want_first = (int)ceil(top - 0.5), want_end = (int)ceil(bottom - 0.5);
                want_first = want_first < 0 ? 0 : want_first;
                want_end = want_end > 64 ? 64 : want_end;
                assert_int_equal(first, want_first);
                assert_int_equal(count, want_end - want_first);
                /* the wall colour is its block's, darkened (x-facing side, fog, joints) */
                const uint8_t *blk = m.block_rgb[cm_maze_block(&m, x + 1, y)];
                const uint8_t *px = &rgb[((first + count / 2) * 64 + 31) * 3];
                for (int k = 0; k < 3; k++)
                    assert_true(px[k] <= blk[k]);
                tested++;
            }
        }
    assert_true(tested > 5);
    cm_renderer_free(r);
    cm_arena_free(&a);
}

static void test_sprites_and_occlusion(void **state)
{
    (void)state;
    cm_render_config c;
    cm_render_config_arena(&c);
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_OK);
    static uint8_t rgb[64 * 64 * 3], plain[64 * 64 * 3];
    static float depth[64 * 64];
    cm_pose pose = {0, 0, 0};
    cm_render(r, pose, NULL, 0, plain, NULL);
    /* a magenta ball 2 m ahead, resting on the floor */
    cm_sprite ball = {2.0f, 0.0f, 0.2f, 0.2f, {255, 0, 255}};
    cm_render(r, pose, &ball, 1, rgb, depth);
    int magenta = 0;
    for (int i = 0; i < 64 * 64; i++)
        if (rgb[i * 3] > 2 * rgb[i * 3 + 1] + 20 && rgb[i * 3 + 2] > 2 * rgb[i * 3 + 1] + 20) {
            magenta++;
            assert_true(depth[i] < 2.0f && depth[i] >= 1.8f - 1e-3f);
        }
    assert_true(magenta > 20);
    /* behind the wall (outside the box): hidden */
    cm_sprite hidden = {7.0f, 0.0f, 0.2f, 0.5f, {255, 0, 255}};
    cm_render(r, pose, &hidden, 1, rgb, NULL);
    assert_memory_equal(rgb, plain, sizeof plain);
    /* behind the camera: nothing */
    cm_sprite behind = {-2.0f, 0.0f, 0.2f, 0.2f, {255, 0, 255}};
    cm_render(r, pose, &behind, 1, rgb, NULL);
    assert_memory_equal(rgb, plain, sizeof plain);
    /* a pose that is nowhere: an error, not a crash; a sprite that is nowhere: skipped */
    assert_int_equal(cm_render(r, (cm_pose){NAN, 0, 0}, NULL, 0, rgb, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "pose"));
    cm_sprite wild[2] = {{INFINITY, 0, 0, 1, {1, 2, 3}}, {1e30f, 1e-30f, 0, 1e30f, {1, 2, 3}}};
    assert_int_equal(cm_render(r, pose, wild, 2, rgb, NULL), CM_OK);
    /* determinism: the same pose gives the same bytes */
    static uint8_t again[64 * 64 * 3];
    cm_render(r, pose, NULL, 0, again, NULL);
    assert_memory_equal(again, plain, sizeof plain);
    cm_renderer_free(r);
}

static void test_border_and_sizes(void **state)
{
    (void)state;
    static uint8_t img[256 * 256 * 3];
    const uint8_t red[3] = {170, 38, 30};
    memset(img, 0, sizeof img);
    cm_render_border(img, 64, 64, red);
    /* int(2*sqrt(64//64)) = 2 px at 64x64; colour = rgb/220*255*0.7 */
    assert_int_equal(img[(1 * 64 + 30) * 3], (int)(170 / 220.0f * 255 * 0.7f));
    assert_int_equal(img[(30 * 64 + 63) * 3 + 1], (int)(38 / 220.0f * 255 * 0.7f));
    assert_int_equal(img[(2 * 64 + 30) * 3], 0);
    assert_int_equal(img[(30 * 64 + 2) * 3], 0);
    memset(img, 0, sizeof img);
    cm_render_border(img, 256, 256, red);
    assert_true(img[(3 * 256 + 100) * 3] > 0);
    assert_int_equal(img[(4 * 256 + 100) * 3], 0);
    /* any size, non-square too */
    cm_render_config c;
    cm_render_config_arena(&c);
    c.width = 40;
    c.height = 24;
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_OK);
    int w, h;
    cm_renderer_size(r, &w, &h);
    assert_int_equal(w, 40);
    assert_int_equal(h, 24);
    cm_render(r, (cm_pose){1, 1, 2.0f}, NULL, 0, img, NULL);
    cm_renderer_free(r);
}

static void test_renderer_bad_config(void **state)
{
    (void)state;
    cm_render_config c;
    cm_renderer *r = (cm_renderer *)1;
    cm_render_config_arena(&c);
    c.width = 0;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_ERR_ARG);
    assert_null(r);
    assert_non_null(strstr(cm_errmsg(), "size"));
    cm_render_config_arena(&c);
    c.fov_deg = NAN;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "fov"));
    cm_render_config_arena(&c);
    c.camera_height = -1;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_ERR_ARG);
    cm_render_config_arena(&c);
    c.fog = INFINITY;
    assert_int_equal(cm_renderer_create(&r, &box, NULL, &c), CM_ERR_ARG);
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_OK);
    cm_render_config_maze(&c);
    assert_int_equal(cm_renderer_create(&r, &box, &m, &c), CM_ERR_ARG); /* a maze needs its arena */
}

/* SMP's box (the world branch's preset): each wall has its own colour, so the
 * view tells the heading (distal cues); the texture makes columns differ. */
static void test_box_preset_views_differ(void **state)
{
    (void)state;
    cm_arena a;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    cm_render_config c;
    cm_render_config_arena(&c);
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &a, NULL, &c), CM_OK);
    static uint8_t rgb[4][64 * 64 * 3];
    static float depth[64 * 64];
    for (int k = 0; k < 4; k++) {
        cm_render(r, (cm_pose){0.0f, 0.0f, (float)(k * M_PI / 2)}, NULL, 0, rgb[k], depth);
        /* facing a wall 1.1 m away: the centre column's wall rows at that depth */
        int first, count;
        wall_rows(depth, 64, 64, 31, 1.1f, &first, &count);
        float f = 32.0f / tanf(40.0f * (float)M_PI / 180.0f);
        assert_true(fabsf((float)count - f * c.wall_height / 1.1f) <= 1.0f);
        for (int q = 0; q < k; q++)
            assert_memory_not_equal(rgb[k], rgb[q], sizeof rgb[k]);
    }
    /* the wall straight ahead is the one the ray cast names */
    for (int k = 0; k < 4; k++) {
        float th = (float)(k * M_PI / 2);
        cm_ray_hit hit = cm_arena_cast(&a, 0.0f, 0.0f, cosf(th), sinf(th));
        assert_true(hit.wall >= 0);
        const uint8_t *wc = a.walls[hit.wall].rgb;
        const uint8_t *px = &rgb[k][(33 * 64 + 31) * 3];
        int best = wc[0] >= wc[1] && wc[0] >= wc[2] ? 0 : wc[1] >= wc[2] ? 1 : 2;
        assert_true(px[best] >= px[(best + 1) % 3] && px[best] >= px[(best + 2) % 3]);
    }
    cm_renderer_free(r);
    cm_arena_free(&a);
}

/* The world branch's wall-distance sensor in a maze goes through the grid DDA. */
static void test_wall_sensor_in_maze(void **state)
{
    (void)state;
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(11, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 21, &m), CM_OK);
    cm_arena a;
    assert_int_equal(cm_arena_from_maze(&m, &a), CM_OK);
    float d[36];
    for (int y = 0; y < m.size; y++)
        for (int x = 0; x < m.size; x++) {
            if (!cm_maze_free(&m, x, y))
                continue;
            assert_true(cm_arena_contains(&a, x + 0.5f, y + 0.5f));
            cm_arena_distances(&a, x + 0.3f, y + 0.6f, 0.0f, 36, d);
            for (int k = 0; k < 36; k++) {
                float th = (float)(-M_PI + 2 * M_PI * k / 36);
                cm_ray_hit s = cm_arena_cast_segments(&a, x + 0.3f, y + 0.6f, cosf(th), sinf(th));
                assert_float_equal(d[k], s.distance, 1e-4 * (1 + s.distance));
            }
        }
    cm_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wall_height_open_arena),
        cmocka_unit_test(test_wall_height_maze_with_pitch),
        cmocka_unit_test(test_sprites_and_occlusion),
        cmocka_unit_test(test_border_and_sizes),
        cmocka_unit_test(test_renderer_bad_config),
        cmocka_unit_test(test_box_preset_views_differ),
        cmocka_unit_test(test_wall_sensor_in_maze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
