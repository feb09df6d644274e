/* Grid-cell run data: each preset's input code from a path, and SSM-PC dataset
 * folders (frames, runs of consecutive ids, windows, the 70/15/15 split) with
 * clear errors on malformed folders. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cogmap/run.h"

static void test_wrap_angle(void **state)
{
    (void)state;
    assert_float_equal(cm_grid_wrap_angle(0.5f), 0.5f, 1e-6);
    assert_float_equal(cm_grid_wrap_angle(3.0f * (float)M_PI / 2), -(float)M_PI / 2, 1e-5);
    assert_float_equal(cm_grid_wrap_angle(-(float)M_PI), (float)M_PI, 1e-6);
    assert_float_equal(cm_grid_wrap_angle(7.0f), 7.0f - 2.0f * (float)M_PI, 1e-5);
}

/* A path that moves 0.3 right, then 0.4 up turning from 0 to pi/2, then turns
 * across the -pi/pi seam: each preset's inputs are what its paper feeds. */
static void test_path_inputs(void **state)
{
    (void)state;
    const float pos[8] = {1, 1, 1.3f, 1, 1.3f, 1.4f, 1.3f, 1.4f};
    const float theta[4] = {0, 0, (float)M_PI / 2, -3.0f};
    float in[9];
    cm_grid_input k;
    assert_int_equal(cm_grid_input_of_preset("ssmpc", &k), CM_OK);
    assert_int_equal(k, CM_GRID_INPUT_VXVYW);
    assert_int_equal(cm_grid_input_dim(k), 3);
    cm_grid_path_inputs(k, pos, theta, 3, in);
    assert_float_equal(in[0], 0.3f, 1e-6);
    assert_float_equal(in[1], 0.0f, 1e-6);
    assert_float_equal(in[2], 0.0f, 1e-6);
    assert_float_equal(in[3], 0.0f, 1e-6);
    assert_float_equal(in[4], 0.4f, 1e-6);
    assert_float_equal(in[5], (float)M_PI / 2, 1e-6);
    /* pi/2 -> -3 is a turn of -3 - pi/2 + 2 pi = 1.7124 counter-clockwise. */
    assert_float_equal(in[8], -3.0f - (float)M_PI / 2 + 2 * (float)M_PI, 1e-5);

    assert_int_equal(cm_grid_input_of_preset("banino", &k), CM_OK);
    cm_grid_path_inputs(k, pos, theta, 3, in);
    assert_float_equal(in[0], 0.3f, 1e-6);
    assert_float_equal(in[1], 1.0f, 1e-6); /* cos 0 */
    assert_float_equal(in[2], 0.0f, 1e-6);
    assert_float_equal(in[3], 0.4f, 1e-6);
    assert_float_equal(in[4], 0.0f, 1e-6); /* cos pi/2 */
    assert_float_equal(in[5], 1.0f, 1e-6);

    assert_int_equal(cm_grid_input_of_preset("sorscher", &k), CM_OK);
    assert_int_equal(cm_grid_input_dim(k), 2);
    cm_grid_path_inputs(k, pos, theta, 3, in);
    assert_float_equal(in[0], 0.3f, 1e-6);
    assert_float_equal(in[1], 0.0f, 1e-6);
    assert_float_equal(in[2], 0.0f, 1e-6);
    assert_float_equal(in[3], 0.4f, 1e-6);

    assert_int_equal(cm_grid_input_of_preset("lstm", &k), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "ssmpc"));
}

/* Writes <root>/<folder>/000000/frame_info.json with frames ids[0..n): the
 * agent walks along x by 0.1 per id and turns by 0.05 rad per id. */
static void write_folder(const char *root, const char *folder, const int *ids, int n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, folder);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/%s/000000", root, folder);
    assert_int_equal(mkdir(path, 0777), 0);
    snprintf(path, sizeof path, "%s/%s/000000/frame_info.json", root, folder);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fprintf(f, "{");
    /* Written out of order: the reader sorts by frame_id. */
    for (int k = n - 1; k >= 0; k--)
        fprintf(f,
                "%s\"frame_%06d\": {\"frame_id\": %d, \"timestamp\": %d, \"agent_state\": {\"position\": [%g, 2.5], "
                "\"rotation\": %g, \"velocity\": [0.1, 0], \"angular_velocity\": 0.05}, \"observations\": {}}",
                k == n - 1 ? "" : ", ", ids[k], ids[k], ids[k], 0.1 * ids[k], 0.05 * ids[k]);
    fprintf(f, "}\n");
    fclose(f);
}

static void write_text(const char *root, const char *folder, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", root, folder);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/000000", root, folder);
    mkdir(path, 0777);
    snprintf(path, sizeof path, "%s/%s/000000/frame_info.json", root, folder);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_dataset_windows_and_split(void **state)
{
    (void)state;
    const char *root = cmt_tmpdir();
    assert_non_null(root);
    /* 0..6 and 10..14 are two runs (7 and 5 frames); 20..22 is too short. */
    const int a[] = {0, 1, 2, 3, 4, 5, 6, 10, 11, 12, 13, 14, 20, 21, 22};
    const int b[] = {0, 1, 2, 3, 4};
    const int c[] = {0, 1, 2, 3, 4, 5};
    write_folder(root, "D000001_P1", a, 15);
    write_folder(root, "D000002_P1", b, 5);
    write_folder(root, "D000003_P1", c, 6);
    char other[4096];
    snprintf(other, sizeof other, "%s/notes", root); /* not D*_P*: ignored */
    mkdir(other, 0777);

    cm_grid_dataset ds;
    /* 3 folders: int(2.1) = 2 train, int(2.55) = 2, so validation is empty. */
    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_TRAIN, 4), CM_OK);
    assert_int_equal(ds.n_folders, 2);
    assert_int_equal(ds.n_frames, 20);
    /* windows of 4: run 0..6 gives 4, run 10..14 gives 2, 20..22 none; folder b gives 2. */
    assert_int_equal(ds.n_windows, 8);
    float pos[10], theta[5];
    /* Window 4 starts at id 10 of folder a. */
    cm_grid_dataset_path(&ds, 4, pos, theta);
    assert_float_equal(pos[0], 1.0f, 1e-6);
    assert_float_equal(pos[2], 1.0f, 1e-6); /* frame 0 repeated: v_0 = 0 */
    assert_float_equal(pos[4], 1.1f, 1e-6);
    assert_float_equal(pos[8], 1.3f, 1e-6);
    assert_float_equal(pos[9], 2.5f, 1e-6);
    assert_float_equal(theta[1], 0.5f, 1e-6);
    assert_float_equal(theta[4], 0.65f, 1e-6);
    float in[12];
    cm_grid_path_inputs(CM_GRID_INPUT_VXVYW, pos, theta, 4, in);
    assert_float_equal(in[0], 0.0f, 0);
    assert_float_equal(in[2], 0.0f, 0);
    assert_float_equal(in[3], 0.1f, 1e-5);
    assert_float_equal(in[5], 0.05f, 1e-5);
    /* The last window is folder b's second. */
    cm_grid_dataset_path(&ds, 7, pos, theta);
    assert_float_equal(pos[0], 0.1f, 1e-6);
    cm_grid_dataset_free(&ds);

    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_VAL, 4), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "validation split"));
    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_TEST, 4), CM_OK);
    assert_int_equal(ds.n_folders, 1);
    assert_int_equal(ds.n_windows, 3);
    cm_grid_dataset_free(&ds);
    /* Windows longer than every run. */
    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_TRAIN, 8), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "no run of 8 consecutive"));
    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_TRAIN, 1), CM_ERR_ARG);
    cmt_tmpdir_remove(root);
}

/* A malformed folder never crashes: the message names the file and the field. */
static void expect_bad(const char *text, cm_status want, const char *needle)
{
    const char *root = cmt_tmpdir();
    assert_non_null(root);
    write_text(root, "D000001_P1", text);
    cm_grid_dataset ds;
    cm_status st = cm_grid_dataset_open(&ds, root, CM_SPLIT_TEST, 2);
    if (st != want || !strstr(cm_errmsg(), needle))
        fail_msg("for %s: got status %d message '%s', expected %d with '%s'", text, st, cm_errmsg(), want, needle);
    assert_non_null(strstr(cm_errmsg(), "frame_info.json"));
    cmt_tmpdir_remove(root);
}

static void test_dataset_errors(void **state)
{
    (void)state;
    cm_grid_dataset ds;
    assert_int_equal(cm_grid_dataset_open(&ds, "/nonexistent/cogmap", CM_SPLIT_TRAIN, 100), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/cogmap"));
    const char *empty = cmt_tmpdir();
    assert_int_equal(cm_grid_dataset_open(&ds, empty, CM_SPLIT_TRAIN, 100), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "D*_P*"));
    cmt_tmpdir_remove(empty);

    expect_bad("{\"frame_000001\": {\"frame_id\": 1,", CM_ERR_FORMAT, "not valid JSON");
    expect_bad("[1, 2]", CM_ERR_FORMAT, "expected a JSON object");
    expect_bad("{}", CM_ERR_FORMAT, "at least one frame");
    expect_bad("{\"frame_000001\": {\"rotation_angle\": 0, \"agent_position\": [1, 2]}}", CM_ERR_FORMAT, "frame_id");
    expect_bad("{\"frame_000001\": {\"frame_id\": 1, \"rotation_angle\": 0, \"agent_position\": [1, 2]}}",
               CM_ERR_FORMAT, "legacy schema");
    expect_bad("{\"frame_000001\": {\"frame_id\": 1.5, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0}}}",
               CM_ERR_FORMAT, "non-negative integer");
    expect_bad("{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1], \"rotation\": 0}}}",
               CM_ERR_FORMAT, "agent_state.position");
    expect_bad("{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": \"x\"}}}",
               CM_ERR_FORMAT, "agent_state.rotation");
    /* beyond a float: inf, and a NaN heading once wrapped (found by the fuzz campaign) */
    expect_bad("{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 2e119}}}",
               CM_ERR_FORMAT, "agent_state.rotation: expected a finite number within float range");
    expect_bad("{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1e39, 2], \"rotation\": 0}}}",
               CM_ERR_FORMAT, "within float range");
    expect_bad("{\"a\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0}},"
               " \"b\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0}}}",
               CM_ERR_FORMAT, "appears twice");
    /* A folder without frame_info.json. */
    const char *root = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/D000001_P1", root);
    mkdir(path, 0777);
    assert_int_equal(cm_grid_dataset_open(&ds, root, CM_SPLIT_TEST, 2), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "D000001_P1/000000/frame_info.json"));
    cmt_tmpdir_remove(root);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wrap_angle),
        cmocka_unit_test(test_path_inputs),
        cmocka_unit_test(test_dataset_windows_and_split),
        cmocka_unit_test(test_dataset_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
