/* Grid-cell batches: on-the-fly paths from the world's rat model and dataset
 * windows, each batch a pure function of (seed, stream, index) so that a
 * resumed run sees the batches an uninterrupted one would; run.json replays
 * a run's configuration. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cogmap/run.h"

static void test_world_paths(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 7), CM_OK);
    cm_grid_world w;
    assert_int_equal(cm_grid_world_init(&w, &c), CM_OK);
    float pos[2 * 51], theta[51], pos2[2 * 51], theta2[51];
    cm_rng r;
    cm_rng_seed(&r, 7, 123);
    cm_grid_world_path(&w, &r, 50, pos, theta);
    cm_rng_seed(&r, 7, 123);
    cm_grid_world_path(&w, &r, 50, pos2, theta2);
    assert_memory_equal(pos, pos2, sizeof pos);
    assert_memory_equal(theta, theta2, sizeof theta);
    double travelled = 0;
    for (int t = 0; t <= 50; t++) {
        assert_true(pos[2 * t] >= 0 && pos[2 * t] <= 15 && pos[2 * t + 1] >= 0 && pos[2 * t + 1] <= 15);
        assert_true(theta[t] > -M_PI - 1e-6 && theta[t] <= M_PI + 1e-6);
        if (t)
            travelled += hypot(pos[2 * t] - pos[2 * t - 2], pos[2 * t + 1] - pos[2 * t - 1]);
    }
    /* The scaled rat model walks about 0.2 units a step (slower along walls). */
    assert_true(travelled / 50 > 0.05 && travelled / 50 < 0.4);
    cm_grid_world_free(&w);
}

static void test_source_is_a_function_of_index(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "banino", 3), CM_OK);
    cm_grid_world w;
    assert_int_equal(cm_grid_world_init(&w, &c), CM_OK);
    cm_grid_source s;
    assert_int_equal(cm_grid_source_init_paths(&s, CM_GRID_INPUT_VCOSSIN, 10, 3, cm_grid_world_path, &w), CM_OK);
    cm_grid_batch a, b;
    assert_int_equal(cm_grid_batch_alloc(&a, 4, 10, 3), CM_OK);
    assert_int_equal(cm_grid_batch_alloc(&b, 4, 10, 3), CM_OK);
    assert_int_equal(cm_grid_source_fill(&s, 0, 5, &a), CM_OK);
    assert_int_equal(cm_grid_source_fill(&s, 0, 6, &b), CM_OK);
    assert_true(memcmp(a.pos, b.pos, 4 * 10 * 2 * sizeof(float)) != 0);
    assert_int_equal(cm_grid_source_fill(&s, 1, 5, &b), CM_OK); /* another stream */
    assert_true(memcmp(a.pos, b.pos, 4 * 10 * 2 * sizeof(float)) != 0);
    assert_int_equal(cm_grid_source_fill(&s, 0, 5, &b), CM_OK);
    assert_memory_equal(a.pos, b.pos, 4 * 10 * 2 * sizeof(float));
    assert_memory_equal(a.inputs, b.inputs, 4 * 10 * 3 * sizeof(float));
    /* Inputs integrate to the targets: x_t = x_{t-1} + v cos(theta_{t-1}). */
    for (int e = 0; e < 4; e++) {
        double x = a.init_pos[2 * e], y = a.init_pos[2 * e + 1], th = a.init_theta[e];
        for (int t = 0; t < 10; t++) {
            const float *in = a.inputs + (e * 10 + t) * 3;
            x += in[0] * cos(th);
            y += in[0] * sin(th);
            th += atan2(in[2], in[1]);
            assert_float_equal(x, a.pos[(e * 10 + t) * 2], 2e-4);
            assert_float_equal(y, a.pos[(e * 10 + t) * 2 + 1], 2e-4);
        }
    }
    /* A batch of the wrong shape is refused. */
    cm_grid_batch bad;
    assert_int_equal(cm_grid_batch_alloc(&bad, 4, 9, 3), CM_OK);
    assert_int_equal(cm_grid_source_fill(&s, 0, 0, &bad), CM_ERR_ARG);
    cm_grid_batch_free(&bad);
    cm_grid_batch_free(&a);
    cm_grid_batch_free(&b);
    cm_grid_source_free(&s);
    cm_grid_world_free(&w);
}

static void test_dataset_epochs(void **state)
{
    (void)state;
    /* 10 windows of 2 frames from one synthetic folder. */
    cm_grid_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.window = 2;
    ds.n_frames = 11;
    ds.n_windows = 10;
    ds.pos = cm_alloc(22 * sizeof(float));
    ds.theta = cm_alloc(11 * sizeof(float));
    ds.starts = cm_alloc(10 * sizeof(int64_t));
    for (int i = 0; i < 11; i++) {
        ds.pos[2 * i] = (float)i;
        ds.pos[2 * i + 1] = 0;
        ds.theta[i] = 0;
    }
    for (int i = 0; i < 10; i++)
        ds.starts[i] = i;
    cm_grid_source s;
    assert_int_equal(cm_grid_source_init_dataset(&s, CM_GRID_INPUT_VXVYW, &ds, 9), CM_OK);
    cm_grid_batch b;
    assert_int_equal(cm_grid_batch_alloc(&b, 3, 2, 3), CM_OK);
    /* 3 batches of 3 per epoch (drop_last): each window at most once. */
    int seen[10] = {0};
    for (int k = 0; k < 3; k++) {
        assert_int_equal(cm_grid_source_fill(&s, 0, k, &b), CM_OK);
        for (int e = 0; e < 3; e++)
            seen[(int)b.init_pos[2 * e]]++;
    }
    int total = 0;
    for (int i = 0; i < 10; i++) {
        assert_true(seen[i] <= 1);
        total += seen[i];
    }
    assert_int_equal(total, 9);
    /* Index 1 again after moving to the next epoch gives the same batch. */
    float first[6];
    assert_int_equal(cm_grid_source_fill(&s, 0, 1, &b), CM_OK);
    memcpy(first, b.pos, sizeof first);
    assert_int_equal(cm_grid_source_fill(&s, 0, 4, &b), CM_OK);
    assert_int_equal(cm_grid_source_fill(&s, 0, 1, &b), CM_OK);
    assert_memory_equal(first, b.pos, sizeof first);
    cm_grid_batch_free(&b);
    /* A batch larger than the dataset is refused with a message. */
    assert_int_equal(cm_grid_batch_alloc(&b, 11, 2, 3), CM_OK);
    assert_int_equal(cm_grid_source_fill(&s, 0, 0, &b), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "fewer than a batch"));
    cm_grid_batch_free(&b);
    cm_grid_source_free(&s);
    cm_grid_dataset_free(&ds);
}

static void test_run_config(void **state)
{
    (void)state;
    cm_grid_run_config c, d;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 12345678901234ULL), CM_OK);
    assert_int_equal(c.net.hidden, 128);
    assert_string_equal(c.arena, "box15");
    assert_int_equal(cm_grid_run_config_set(&c, "hidden=16"), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "lr=0.01"), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "steps=7"), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "motion_scale=5"), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "hidden"), CM_ERR_ARG);
    assert_int_equal(cm_grid_run_config_set(&c, "hidden=-1"), CM_ERR_ARG);
    assert_int_equal(cm_grid_run_config_set(&c, "dropout=1.5"), CM_ERR_ARG);
    assert_int_equal(cm_grid_run_config_set(&c, "colour=red"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "known keys"));
    assert_int_equal(c.n_sets, 4);
    assert_int_equal(cm_grid_run_config_init(&d, "lstm", 1), CM_ERR_ARG);

    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_grid_run_config_write(&c, dir), CM_OK);
    assert_int_equal(cm_grid_run_config_read(&d, dir), CM_OK);
    assert_string_equal(d.preset, "ssmpc");
    assert_true(d.seed == 12345678901234ULL);
    assert_int_equal(d.net.hidden, 16);
    assert_int_equal(d.net.seq_len, 7);
    assert_float_equal(d.net.optim.lr, 0.01, 1e-12);
    assert_float_equal(d.motion_scale, 5.0f, 0);
    assert_int_equal(d.n_sets, 4);

    /* A damaged run.json says what is wrong. */
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"cogmap grid-cell run\", \"version\": 1, \"preset\": \"ssmpc\", \"seed\": \"x1\"}", f);
    fclose(f);
    assert_int_equal(cm_grid_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "seed"));
    f = fopen(path, "w");
    fputs("{\"format\": \"cogmap grid-cell run\", \"preset\": \"ssmpc\", \"seed\": \"1\", \"sets\": [\"hidden=0\"]}", f);
    fclose(f);
    assert_int_equal(cm_grid_run_config_read(&d, dir), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "run.json"));
    f = fopen(path, "w");
    fputs("{\"format\": \"something else\"}", f);
    fclose(f);
    assert_int_equal(cm_grid_run_config_read(&d, dir), CM_ERR_FORMAT);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_world_paths),
        cmocka_unit_test(test_source_is_a_function_of_index),
        cmocka_unit_test(test_dataset_epochs),
        cmocka_unit_test(test_run_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
