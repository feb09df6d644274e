/* cm_bev_rotate_window gives cm_bev_rotate's pixels: the whole
 * image, a window inside it and one reaching outside it (transparent there),
 * on real maze BEVs at many headings, and on an opaque image (no pixel is
 * skipped as transparent). */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/world.h"

#define P CM_BEV_PIXELS

static void check_window(const uint8_t *bev, float theta, int x0, int y0, int w, int h)
{
    static uint8_t full[P * P * 4], win[(P + 40) * (P + 40) * 4];
    cm_bev_rotate(bev, theta, full);
    cm_bev_rotate_window(bev, theta, x0, y0, w, h, win);
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++) {
            const uint8_t *o = &win[((size_t)(y - y0) * w + (x - x0)) * 4];
            static const uint8_t zero[4] = {0, 0, 0, 0};
            const uint8_t *want = (x < 0 || y < 0 || x >= P || y >= P) ? zero : &full[(y * P + x) * 4];
            if (memcmp(o, want, 4) != 0)
                fail_msg("theta %g window (%d,%d %dx%d): pixel (%d,%d) %d %d %d %d, cm_bev_rotate %d %d %d %d",
                         (double)theta, x0, y0, w, h, x, y, o[0], o[1], o[2], o[3], want[0], want[1], want[2],
                         want[3]);
        }
}

static void test_window_equals_rotate(void **state)
{
    (void)state;
    cm_maze_params mp;
    assert_int_equal(cm_maze_params_default(15, &mp), CM_OK);
    static cm_maze maze;
    assert_int_equal(cm_maze_generate(&mp, 4, &maze), CM_OK);
    cm_bev_config bc;
    cm_bev_config_default(&bc);
    static uint8_t vis[15 * 15], bev[P * P * 4];
    for (int k = 0; k < 6; k++) {
        cm_pose pose = {(float)maze.spawn[k % maze.n_rooms][0] + 0.5f, (float)maze.spawn[k % maze.n_rooms][1] + 0.5f,
                        -3.0f + 1.13f * (float)k};
        cm_bev_visible(maze.layout, 15, pose, &bc, vis);
        cm_bev_draw(maze.layout, 15, vis, pose, maze.n_targets, maze.targets, maze.target_rgb, k % maze.n_targets,
                    bev);
        check_window(bev, pose.theta, 0, 0, P, P);
        check_window(bev, pose.theta, 29, 29, 192, 192);
        check_window(bev, pose.theta, -20, 200, 90, 70);
    }
    /* opaque, textured: every pixel computed */
    for (int i = 0; i < P * P; i++) {
        bev[4 * i] = (uint8_t)(i * 7);
        bev[4 * i + 1] = (uint8_t)(i * 13 + 5);
        bev[4 * i + 2] = (uint8_t)(i / P);
        bev[4 * i + 3] = (uint8_t)(i % 3 == 0 ? 255 : 90 + i % 160);
    }
    check_window(bev, 0.7f, 0, 0, P, P);
    check_window(bev, -2.2f, 100, 3, 40, 200);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_window_equals_rotate)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
