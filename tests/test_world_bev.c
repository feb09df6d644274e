/* SSM-PC BEV ground truth: visibility on hand-built layouts, drawing, rotation, global map. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/world.h"

/* Builds a size x size layout from text rows given top row first ('#' wall). */
static void layout_from(const char *const *rows, int size, uint8_t *layout)
{
    for (int r = 0; r < size; r++)
        for (int x = 0; x < size; x++)
            layout[(size - 1 - r) * size + x] = rows[r][x] != '#';
}

static void test_visible_open_room(void **state)
{
    (void)state;
    uint8_t layout[7 * 7], vis[7 * 7];
    memset(layout, 1, sizeof layout);
    cm_bev_config c;
    cm_bev_config_default(&c);
    c.fov_deg = 90.0f;
    cm_bev_visible(layout, 7, (cm_pose){3.5f, 3.5f, 0.0f}, &c, vis);
    /* own cell; everything east within the +-45 degree cone; nothing west or due north/south */
    assert_int_equal(vis[3 * 7 + 3], 1);
    for (int x = 4; x < 7; x++)
        assert_int_equal(vis[3 * 7 + x], 1);
    assert_int_equal(vis[4 * 7 + 4], 1); /* on the cone's edge (45 degrees) */
    assert_int_equal(vis[6 * 7 + 6], 1);
    assert_int_equal(vis[5 * 7 + 6], 1);
    assert_int_equal(vis[4 * 7 + 3], 0); /* due north: outside */
    assert_int_equal(vis[2 * 7 + 3], 0);
    for (int y = 0; y < 7; y++)
        for (int x = 0; x < 3; x++)
            assert_int_equal(vis[y * 7 + x], 0);
    assert_int_equal(vis[6 * 7 + 4], 0); /* bearing 68 degrees */
    /* facing north (theta = pi/2), the same room turns with it */
    cm_bev_visible(layout, 7, (cm_pose){3.5f, 3.5f, (float)M_PI_2}, &c, vis);
    assert_int_equal(vis[6 * 7 + 3], 1);
    assert_int_equal(vis[3 * 7 + 6], 0);
}

static void test_visible_walls_block(void **state)
{
    (void)state;
    const char *rows[7] = {
        "#######",
        "#.....#",
        "#.#####",
        "#...#..", /* y = 3: agent at x = 1, wall at x = 4, free beyond */
        "#.###.#",
        "#.....#",
        "#######",
    };
    uint8_t layout[49], vis[49];
    layout_from(rows, 7, layout);
    cm_bev_config c;
    cm_bev_config_default(&c);
    cm_bev_visible(layout, 7, (cm_pose){1.5f, 3.5f, 0.0f}, &c, vis);
    assert_int_equal(vis[3 * 7 + 1], 1);
    assert_int_equal(vis[3 * 7 + 2], 1);
    assert_int_equal(vis[3 * 7 + 3], 1);
    assert_int_equal(vis[3 * 7 + 4], 1); /* the wall itself is seen */
    assert_int_equal(vis[3 * 7 + 5], 0); /* behind it: not */
    assert_int_equal(vis[3 * 7 + 6], 0);
    assert_int_equal(vis[5 * 7 + 5], 0); /* around the corner */
    /* free cells drawn grey, walls and unseen cells transparent */
    static uint8_t bev[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    float tpos[1][2] = {{3.5f, 3.5f}};
    uint8_t trgb[1][3] = {{170, 38, 30}};
    cm_bev_draw(layout, 7, vis, (cm_pose){1.5f, 3.5f, 0.0f}, 1, tpos, trgb, 0, bev);
    const uint8_t *px = &bev[(133 * CM_BEV_PIXELS + 133 + 16 + 3) * 4]; /* dx = 1, same row */
    assert_int_equal(px[0], 102);
    assert_int_equal(px[3], 255);
    px = &bev[(133 * CM_BEV_PIXELS + 133 + 3 * 16) * 4]; /* dx = 3: the wall */
    assert_int_equal(px[3], 0);
    px = &bev[((133 + 16) * CM_BEV_PIXELS + 133) * 4]; /* dy = +1 (y up in the world, down on screen): wall */
    assert_int_equal(px[3], 0);
    /* the target at dx = 2: red centre, white ring */
    px = &bev[(133 * CM_BEV_PIXELS + 133 + 32) * 4];
    assert_int_equal(px[0], 170);
    px = &bev[(133 * CM_BEV_PIXELS + 133 + 32 + 3) * 4];
    assert_int_equal(px[0], 255);
    assert_int_equal(px[1], 255);
    /* the agent: yellow disc, black heading line towards +x */
    px = &bev[(130 * CM_BEV_PIXELS + 131) * 4];
    assert_int_equal(px[0], 255);
    assert_int_equal(px[1], 215);
    px = &bev[(133 * CM_BEV_PIXELS + 133 + 4) * 4];
    assert_int_equal(px[0], 0);
    assert_int_equal(px[3], 255);
}

static void test_rotate_agent_up(void **state)
{
    (void)state;
    uint8_t layout[21 * 21], vis[21 * 21];
    memset(layout, 0, sizeof layout);
    for (int x = 0; x < 21; x++)
        layout[10 * 21 + x] = 1; /* a long east-west corridor through y = 10 */
    static uint8_t bev[CM_BEV_PIXELS * CM_BEV_PIXELS * 4], rot[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    cm_bev_config c;
    cm_bev_config_default(&c);
    for (int facing = 0; facing < 2; facing++) {
        float th = facing ? (float)M_PI : 0.0f;
        cm_pose pose = {10.5f, 10.5f, th};
        cm_bev_visible(layout, 21, pose, &c, vis);
        cm_bev_draw(layout, 21, vis, pose, 0, NULL, NULL, -1, bev);
        cm_bev_rotate(bev, th, rot);
        /* the corridor ahead (3.5 cells) ends up straight above the centre of rotation */
        for (int k = 1; k < 4; k++) {
            /* cell k ahead is drawn around (133 +- 16k, 133), i.e. (8 +- 16k, 8) from the
             * centre of rotation (125, 125). Facing +x the image turns 90 degrees
             * counter-clockwise: (x, y) -> (y, -x); facing -x, 270: (x, y) -> (-y, x). */
            int x = 125 + 8, y = 125 - 8 - 16 * k;
            if (facing)
                x = 125 - 8, y = 125 + 8 - 16 * k;
            const uint8_t *px = &rot[(y * CM_BEV_PIXELS + x) * 4];
            if (px[3] < 200)
                fail_msg("facing %d cell %d: alpha %d at (%d, %d)", facing, k, px[3], x, y);
        }
        /* and nothing below (behind the agent) beyond the marker */
        const uint8_t *px = &rot[((125 + 60) * CM_BEV_PIXELS + 125) * 4];
        assert_int_equal(px[3], 0);
    }
}

static void test_rotate_identity(void **state)
{
    (void)state;
    /* theta = -pi/2 rotates by 0 degrees: the image is unchanged */
    static uint8_t img[CM_BEV_PIXELS * CM_BEV_PIXELS * 4], out[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    cm_rng r;
    cm_rng_seed(&r, 1, 0);
    for (size_t i = 0; i < sizeof img; i++)
        img[i] = i % 4 == 3 ? 255 : (uint8_t)cm_rng_below(&r, 256); /* opaque: premultiplying is exact */
    cm_bev_rotate(img, -(float)M_PI_2, out);
    /* float(-pi/2) leaves a 4e-8 rad turn, and truncation (Pillow's) turns the
     * resulting 1e-6 shortfall into 1 level at most */
    for (size_t i = 0; i < sizeof img; i++)
        if (abs((int)img[i] - (int)out[i]) > 1)
            fail_msg("byte %zu: %d became %d", i, img[i], out[i]);
}

static void test_global_occupancy(void **state)
{
    (void)state;
    const char *rows[5] = {"#####", "#...#", "#.#.#", "#...#", "#####"};
    uint8_t layout[25], vis[25], global[25];
    layout_from(rows, 5, layout);
    memset(global, 0, sizeof global);
    cm_bev_config c;
    cm_bev_config_default(&c);
    cm_bev_visible(layout, 5, (cm_pose){1.5f, 1.5f, 0.0f}, &c, vis);
    cm_bev_accumulate(layout, 5, vis, global);
    assert_int_equal(global[1 * 5 + 1], 1);
    assert_int_equal(global[1 * 5 + 3], 1);
    assert_int_equal(global[1 * 5 + 4], 2); /* the east wall: seen, occupied */
    assert_int_equal(global[3 * 5 + 1], 0); /* north, never looked at */
    cm_bev_visible(layout, 5, (cm_pose){1.5f, 1.5f, (float)M_PI_2}, &c, vis);
    cm_bev_accumulate(layout, 5, vis, global);
    assert_int_equal(global[3 * 5 + 1], 1);
    assert_int_equal(global[1 * 5 + 3], 1); /* still remembered */
}

static void test_bad_input_sees_nothing(void **state)
{
    (void)state;
    uint8_t layout[25], vis[25];
    memset(layout, 1, sizeof layout);
    cm_bev_config c;
    cm_bev_config_default(&c);
    cm_bev_visible(layout, 5, (cm_pose){NAN, 1.0f, 0.0f}, &c, vis);
    for (int i = 0; i < 25; i++)
        assert_int_equal(vis[i], 0);
    cm_bev_visible(layout, 5, (cm_pose){2.5f, 2.5f, 0.0f}, &(cm_bev_config){75.0f, 180, 0.0f, 10.0f}, vis);
    int seen = 0;
    for (int i = 0; i < 25; i++)
        seen += vis[i];
    assert_int_equal(seen, 1); /* zero step: only the own cell */
    static uint8_t bev[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    cm_bev_draw(layout, 5, vis, (cm_pose){INFINITY, 0.0f, 0.0f}, 0, NULL, NULL, -1, bev);
    for (size_t i = 3; i < sizeof bev; i += 4)
        assert_int_equal(bev[i], 0);
    /* the grid ray cast from nowhere hits nothing; the renderer refuses */
    uint8_t grid[4] = {1, 1, 1, 1};
    cm_arena a = {.name = "g", .grid_width = 2, .grid_height = 2, .grid = grid};
    assert_true(isinf(cm_arena_cast_grid(&a, NAN, 0.5f, 1.0f, 0.0f).distance));
}

/* SSM-PC rotates with Pillow's Image.rotate(deg(theta) + 90, BICUBIC, center=(125, 125)):
 * cm_bev_rotate must give the same pixels (to 1 level) on a real BEV. */
static void test_rotate_matches_pillow(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy PIL");
    if (!py)
        skip();
    const char *dir = cmt_tmpdir();
    uint8_t layout[15 * 15], vis[15 * 15];
    cm_rng r;
    cm_rng_seed(&r, 9, 0);
    for (int i = 0; i < 15 * 15; i++)
        layout[i] = cm_rng_below(&r, 4) != 0;
    cm_bev_config c;
    cm_bev_config_default(&c);
    static uint8_t bev[CM_BEV_PIXELS * CM_BEV_PIXELS * 4], rot[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    float targets[2][2] = {{8.5f, 7.5f}, {9.5f, 9.5f}};
    uint8_t trgb[2][3] = {{170, 38, 30}, {39, 140, 217}};
    const float thetas[3] = {0.3f, 2.5f, -1.9f};
    for (int k = 0; k < 3; k++) {
        cm_pose pose = {7.3f, 7.6f, thetas[k]};
        layout[7 * 15 + 7] = 1;
        cm_bev_visible(layout, 15, pose, &c, vis);
        cm_bev_draw(layout, 15, vis, pose, 2, targets, trgb, 1, bev);
        cm_bev_rotate(bev, pose.theta, rot);
        char a[1200], b[1200];
        snprintf(a, sizeof a, "%s/bev%d.png", dir, k);
        snprintf(b, sizeof b, "%s/rot%d.png", dir, k);
        cm_image ia = {CM_BEV_PIXELS, CM_BEV_PIXELS, 4, bev}, ib = {CM_BEV_PIXELS, CM_BEV_PIXELS, 4, rot};
        assert_int_equal(cm_png_write(a, &ia), CM_OK);
        assert_int_equal(cm_png_write(b, &ib), CM_OK);
        int rc = cmt_system("%s -c 'import math, numpy as np; from PIL import Image; "
                            "src = Image.open(\"%s\").convert(\"RGBA\"); "
                            "ref = np.asarray(src.rotate(math.degrees(%.9g) + 90, resample=Image.BICUBIC, "
                            "center=(125, 125), fillcolor=(0, 0, 0, 0))).astype(int); "
                            "ours = np.asarray(Image.open(\"%s\").convert(\"RGBA\")).astype(int); "
                            "d = np.abs(ours - ref).max(); print(\"max diff\", d); raise SystemExit(int(d > 1))'",
                            py, a, (double)pose.theta, b);
        assert_int_equal(rc, 0);
    }
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_visible_open_room),
        cmocka_unit_test(test_visible_walls_block),
        cmocka_unit_test(test_rotate_agent_up),
        cmocka_unit_test(test_rotate_identity),
        cmocka_unit_test(test_rotate_matches_pillow),
        cmocka_unit_test(test_global_occupancy),
        cmocka_unit_test(test_bad_input_sees_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
