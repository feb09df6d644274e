/* The detector's frames (detector.h): generated from maze seeds (pure
 * functions of seed, split and index; held-out mazes apart), read from SSM-PC
 * dataset folders (split as SSM-PC splits them, frames as written), and the
 * bad folders refused naming the file and the frame. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/detector.h"
#include "cogmap/io.h"

#define P (64 * 64 * 3)

static void small_config(cm_detector_data_config *c)
{
    cm_detector_data_config_default(c);
    c->train_mazes = 3;
    c->eval_mazes = 2;
    c->maze_steps = 40;
}

static void test_generated(void **state)
{
    (void)state;
    cm_detector_data_config c;
    small_config(&c);
    cm_detector_data *a, *b, *o;
    assert_int_equal(cm_detector_data_open_mazes(&c, 5, &a), CM_OK);
    assert_int_equal(cm_detector_data_open_mazes(&c, 5, &b), CM_OK);
    assert_int_equal(cm_detector_data_open_mazes(&c, 6, &o), CM_OK);
    assert_int_equal(cm_detector_data_frames(a, CM_DETECTOR_TRAIN), 120);
    assert_int_equal(cm_detector_data_frames(a, CM_DETECTOR_VAL), 80);
    assert_int_equal(cm_detector_data_mazes(a, CM_DETECTOR_TEST), 2);
    assert_null(cm_detector_data_folder(a, CM_DETECTOR_TRAIN, 0));
    static uint8_t r1[P], r2[P];
    float v1[6], v2[6], p1[12], p2[12];
    cm_pose q1, q2;
    int visible = 0, differs = 0;
    for (int s = 0; s < 3; s++)
        for (int64_t i = 0; i < cm_detector_data_frames(a, s); i += 7) {
            /* the same sample twice, and from another object of the same seed: the same bits */
            assert_int_equal(cm_detector_data_sample(a, s, i, r1, &q1, v1, p1), CM_OK);
            assert_int_equal(cm_detector_data_sample(b, s, i, r2, &q2, v2, p2), CM_OK);
            assert_memory_equal(r1, r2, P);
            assert_memory_equal(v1, v2, sizeof v1);
            assert_memory_equal(p1, p2, sizeof p1);
            assert_memory_equal(&q1, &q2, sizeof q1);
            assert_int_equal(cm_detector_data_sample(a, s, i, r2, NULL, v2, p2), CM_OK);
            assert_memory_equal(r1, r2, P);
            assert_int_equal(cm_detector_data_sample(o, s, i, r2, NULL, v2, p2), CM_OK);
            differs += memcmp(r1, r2, P) != 0;
            for (int k = 0; k < 6; k++) {
                if (v1[k] > 0.5f) {
                    visible++;
                    /* within the 10-cell range of the labels */
                    assert_true(hypotf(p1[2 * k], p1[2 * k + 1]) * 7.5f < 10.0f * 1.5f);
                } else {
                    assert_true(p1[2 * k] == 0.0f && p1[2 * k + 1] == 0.0f);
                }
            }
        }
    print_message("%d visible targets over the sampled frames; %d frames differ under another seed\n", visible,
                  differs);
    assert_true(visible > 10);
    assert_true(differs > 20);
    /* training batches: pure in the step, shards of a batch are its pieces */
    const int B = 8;
    float *img1 = cm_alloc(B * 3 * 4096 * sizeof(float)), *img2 = cm_alloc(B * 3 * 4096 * sizeof(float));
    float ang1[16], ang2[16], vb1[48], vb2[48], pb1[96], pb2[96];
    assert_int_equal(cm_detector_data_train_batch(a, 31, B, 0, B, img1, ang1, vb1, pb1), CM_OK); /* epoch 2 */
    assert_int_equal(cm_detector_data_train_batch(a, 3, B, 0, B, img2, ang2, vb2, pb2), CM_OK);
    assert_int_equal(cm_detector_data_train_batch(b, 31, B, 0, 5, img2, ang2, vb2, pb2), CM_OK);
    assert_int_equal(cm_detector_data_train_batch(b, 31, B, 5, 3, img2 + 5 * 3 * 4096, ang2 + 10, vb2 + 30,
                                                  pb2 + 60),
                     CM_OK);
    assert_memory_equal(img1, img2, B * 3 * 4096 * sizeof(float));
    assert_memory_equal(vb1, vb2, sizeof vb1);
    assert_memory_equal(ang1, ang2, sizeof ang1);
    assert_int_equal(cm_detector_data_train_batch(a, 0, B, 6, 3, img2, ang2, vb2, pb2), CM_ERR_ARG);
    /* the evaluation set spreads over the split */
    assert_int_equal(cm_detector_data_spread(a, CM_DETECTOR_VAL, 10, 0, 4, img1, ang1, vb1, pb1), CM_OK);
    assert_int_equal(cm_detector_data_spread(a, CM_DETECTOR_VAL, 10, 8, 3, img1, ang1, vb1, pb1), CM_ERR_ARG);
    assert_int_equal(cm_detector_data_sample(a, CM_DETECTOR_TRAIN, 120, r1, NULL, v1, p1), CM_ERR_ARG);
    assert_int_equal(cm_detector_data_sample(a, 3, 0, r1, NULL, v1, p1), CM_ERR_ARG);
    cm_free(img1);
    cm_free(img2);
    cm_detector_data_free(a);
    cm_detector_data_free(b);
    cm_detector_data_free(o);
    c.maze_steps = 0;
    assert_int_equal(cm_detector_data_open_mazes(&c, 5, &a), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "maze_steps"));
}

/* Writes maze folder `dir`: `frames` frames of an exploration of maze `seed`. */
static void write_folder(const char *dir, uint64_t seed, int frames)
{
    cm_maze_params mp;
    cm_maze maze;
    assert_int_equal(cm_maze_params_default(15, &mp), CM_OK);
    assert_int_equal(cm_maze_generate(&mp, seed, &maze), CM_OK);
    cm_maze_env *env = cm_calloc(1, sizeof *env);
    assert_int_equal(cm_maze_env_init(env, &maze, 1, seed), CM_OK);
    cm_render_config rc;
    cm_render_config_maze(&rc);
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &env->arena, &env->maze, &rc), CM_OK);
    cm_dataset_writer w;
    assert_int_equal(cm_dataset_writer_open(&w, dir, &maze, 75.0f, "test"), CM_OK);
    cm_bev_config bc;
    cm_bev_config_default(&bc);
    static uint8_t rgb[P], vis[15 * 15];
    for (int t = 0; t < frames; t++) {
        const cm_maze_agent *a = &env->agents[0];
        assert_int_equal(cm_maze_env_render(env, r, 0, rgb, NULL), CM_OK);
        cm_bev_visible(maze.layout, 15, a->pose, &bc, vis);
        cm_dataset_frame f;
        memset(&f, 0, sizeof f);
        f.frame_id = t;
        f.position[0] = a->pose.x, f.position[1] = a->pose.y, f.rotation = a->pose.theta;
        for (int k = 0; k < maze.n_targets; k++)
            if (vis[(int)maze.targets[k][1] * 15 + (int)maze.targets[k][0]])
                f.visible[f.n_visible++] = k;
        assert_int_equal(cm_dataset_writer_add(&w, &f, rgb, 64, 64, NULL), CM_OK);
        int act = cm_maze_policy(env, 0, 0.1f);
        float rew;
        assert_int_equal(cm_maze_env_step(env, &act, &rew), CM_OK);
    }
    assert_int_equal(cm_dataset_writer_close(&w), CM_OK);
    cm_renderer_free(r);
    cm_maze_env_free(env);
    cm_free(env);
}

static void test_folders(void **state)
{
    (void)state;
    const char *root = cmt_tmpdir();
    char dir[4096], file[4200];
    /* SSM-PC's layout: DATA_ROOT/D1/000000 ... */
    for (int i = 0; i < 10; i++) {
        snprintf(dir, sizeof dir, "%s/D1/%06d", root, i);
        write_folder(dir, 100 + i, 6);
    }
    cm_detector_data_config c;
    small_config(&c);
    cm_detector_data *d;
    const char *paths[1] = {root};
    assert_int_equal(cm_detector_data_open_folders(&c, paths, 1, 3, &d), CM_OK);
    assert_int_equal(cm_detector_data_mazes(d, CM_DETECTOR_TRAIN), 7);
    assert_int_equal(cm_detector_data_mazes(d, CM_DETECTOR_VAL), 1);
    assert_int_equal(cm_detector_data_mazes(d, CM_DETECTOR_TEST), 2);
    assert_int_equal(cm_detector_data_frames(d, CM_DETECTOR_TRAIN), 42);
    /* the split is numpy's RandomState(42).shuffle of the sorted folders */
    int want[10] = {8, 1, 5, 0, 7, 2, 9, 4, 3, 6};
    const char *py = cmt_python_with("numpy");
    if (py) {
        const char *tmp = cmt_tmpdir();
        FILE *f = cmt_python_output(py, tmp,
                                    "import sys, numpy as np\nnp.random.seed(42)\nx = list(range(10))\n"
                                    "np.random.shuffle(x)\nopen(sys.argv[1], 'w').write(' '.join(map(str, x)))\n");
        for (int i = 0; i < 10; i++)
            assert_int_equal(fscanf(f, "%d", &want[i]), 1);
        fclose(f);
        cmt_tmpdir_remove(tmp);
    }
    for (int i = 0; i < 10; i++) {
        cm_detector_split s = i < 7 ? CM_DETECTOR_TRAIN : i < 8 ? CM_DETECTOR_VAL : CM_DETECTOR_TEST;
        int k = i < 7 ? i : i < 8 ? i - 7 : i - 8;
        snprintf(dir, sizeof dir, "%s/D1/%06d", root, want[i]);
        assert_string_equal(cm_detector_data_folder(d, s, k), dir);
    }
    /* a frame reads back as written: the picture, and labels from frame_info.json */
    snprintf(dir, sizeof dir, "%s/D1/%06d", root, want[0]);
    cm_dataset ds;
    assert_int_equal(cm_dataset_read(dir, &ds), CM_OK);
    static uint8_t rgb[P];
    float v[6], pos[12];
    cm_pose pose;
    assert_int_equal(cm_detector_data_sample(d, CM_DETECTOR_TRAIN, 2, rgb, &pose, v, pos), CM_OK);
    snprintf(file, sizeof file, "%s/%s", dir, ds.frames[2].fps_view);
    cm_image img = {0};
    assert_int_equal(cm_png_read(file, &img), CM_OK);
    assert_memory_equal(img.pixels, rgb, P);
    cm_image_free(&img);
    assert_true(pose.x == ds.frames[2].position[0] && pose.theta == ds.frames[2].rotation);
    int nv = 0;
    for (int k = 0; k < 6; k++)
        nv += v[k] > 0.5f;
    assert_int_equal(nv, ds.frames[2].n_visible);
    cm_dataset_free(&ds);
    cm_detector_data_free(d);

    /* bad folders: named with the file and the frame, nothing opened */
    snprintf(file, sizeof file, "%s/D1/000004/fps_views/frame_000003.png", root);
    assert_int_equal(unlink(file), 0);
    assert_int_not_equal(cm_detector_data_open_folders(&c, paths, 1, 3, &d), CM_OK);
    assert_null(d);
    print_message("missing frame: %s\n", cm_errmsg());
    assert_non_null(strstr(cm_errmsg(), "000004"));
    assert_non_null(strstr(cm_errmsg(), "frame_000003"));
    cm_image small;
    assert_int_equal(cm_image_alloc(&small, 32, 32, 3), CM_OK);
    memset(small.pixels, 90, 32 * 32 * 3);
    assert_int_equal(cm_png_write(file, &small), CM_OK);
    cm_image_free(&small);
    assert_int_equal(cm_detector_data_open_folders(&c, paths, 1, 3, &d), CM_ERR_FORMAT);
    print_message("wrong size: %s\n", cm_errmsg());
    assert_non_null(strstr(cm_errmsg(), "frame_000003.png"));
    assert_non_null(strstr(cm_errmsg(), "32x32"));
    snprintf(dir, sizeof dir, "%s/D1/000004", root);
    write_folder(dir, 104, 6); /* repaired */
    snprintf(file, sizeof file, "%s/D1/000006/frame_info.json", root);
    FILE *f = fopen(file, "w");
    fputs("{\"frame_000000\": {\"what\": 1}}", f);
    fclose(f);
    assert_int_equal(cm_detector_data_open_folders(&c, paths, 1, 3, &d), CM_ERR_FORMAT);
    print_message("wrong schema: %s\n", cm_errmsg());
    assert_non_null(strstr(cm_errmsg(), "000006"));
    snprintf(dir, sizeof dir, "%s/D1/000006", root);
    write_folder(dir, 106, 6);
    /* a target index the mazes do not have */
    c.objects = 2;
    cm_status st = cm_detector_data_open_folders(&c, paths, 1, 3, &d);
    if (st != CM_OK)
        assert_non_null(strstr(cm_errmsg(), "visible target"));
    else
        cm_detector_data_free(d);
    small_config(&c);
    /* too few folders, and a path without any */
    snprintf(dir, sizeof dir, "%s/D1/000001", root);
    const char *two[2] = {dir, dir};
    assert_int_equal(cm_detector_data_open_folders(&c, two, 2, 3, &d), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "at least 3"));
    snprintf(dir, sizeof dir, "%s/D1/000001/fps_views", root);
    const char *none[1] = {dir};
    assert_int_equal(cm_detector_data_open_folders(&c, none, 1, 3, &d), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "no maze folder"));
    cmt_tmpdir_remove(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
