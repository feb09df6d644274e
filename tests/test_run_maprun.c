/* cogmap map as a library call (maprun.h): an (untrained) BEV predictor's
 * views in its own frame, a grid-cell run as odometry, the outputs, and
 * refused inputs leaving nothing behind. */
#include "run_check.h"
#include "test_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cogmap/bevnet.h"
#include "cogmap/io.h"
#include "cogmap/maprun.h"

static int exists(const char *dir, const char *name)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0 && sb.st_size > 0;
}

static void test_bev_model(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char bev[4096], out[4096];
    snprintf(bev, sizeof bev, "%s/bev", tmp);
    snprintf(out, sizeof out, "%s/map", tmp);
    cm_bevnet_config c;
    assert_int_equal(cm_bevnet_preset("bev-small", &c), CM_OK);
    cm_bevnet *m;
    assert_int_equal(cm_bevnet_create(&c, 1, &m), CM_OK);
    assert_int_equal(cm_bevnet_save(m, bev), CM_OK);
    cm_bevnet_free(m);
    cm_maprun_options o;
    cm_maprun_options_default(&o);
    o.bev_run = bev;
    o.run.steps = 12;
    o.gif_frames = 3;
    cm_map_run_result r;
    assert_int_equal(cm_maprun(&o, out, &r, NULL), CM_OK);
    /* the model's frame: 64 px over the central 192 of the BEV */
    const cm_map_config *mc = cm_map_get_config(r.map);
    assert_int_equal(mc->frame.width, 64);
    assert_true(fabsf(mc->frame.px_per_cell - 16.0f * 64 / 192) < 1e-5f && mc->frame.pivot_u == 32.0f);
    assert_true(r.truth_scores.iou > 0.9);
    assert_true(r.drift_mean == 0.0);
    assert_int_equal(r.n_snapshots, 4); /* steps 0, 4, 8 and the end */
    for (const char *const *f = (const char *const[]){"map.npy", "map.png", "map.gif", "summary.json", NULL}; *f; f++)
        if (!exists(out, *f))
            fail_msg("cogmap map wrote no %s", *f);
    char p[4200];
    snprintf(p, sizeof p, "%s/map.npy", out);
    cm_array a;
    assert_int_equal(cm_npy_read(p, &a), CM_OK);
    assert_int_equal(a.ndim, 2);
    assert_int_equal(a.shape[0], 17 * 8);
    cm_array_free(&a);
    snprintf(p, sizeof p, "%s/summary.json", out);
    cJSON *s;
    assert_int_equal(cm_json_read(p, &s), CM_OK);
    for (const char *const *k = (const char *const[]){"map_iou", "map_iou_truth_bev", "coverage", "pose_drift",
                                                       "target_error", NULL};
         *k; k++)
        assert_non_null(cJSON_GetObjectItemCaseSensitive(s, *k));
    cJSON_Delete(s);
    cm_map_run_result_free(&r);
    /* a missing model, a bad pose: refused, nothing written */
    snprintf(out, sizeof out, "%s/none", tmp);
    o.bev_run = "/nonexistent/bev";
    assert_int_not_equal(cm_maprun(&o, out, &r, NULL), CM_OK);
    assert_non_null(strstr(cm_errmsg(), "--bev /nonexistent/bev"));
    o.bev_run = "truth";
    o.pose = "compass";
    assert_int_equal(cm_maprun(&o, out, &r, NULL), CM_ERR_ARG);
    o.pose = "pathint:/nonexistent/grid";
    assert_int_not_equal(cm_maprun(&o, out, &r, NULL), CM_OK);
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/grid"));
    struct stat sb;
    assert_int_not_equal(stat(out, &sb), 0);
    cmt_tmpdir_remove(tmp);
}

static void test_pathint_odometry(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char run[4096], out[4096];
    snprintf(run, sizeof run, "%s/grid", tmp);
    snprintf(out, sizeof out, "%s/map", tmp);
    cmt_train_grid_run(run, "steps=20");
    cm_pathint_odometry *po;
    assert_int_equal(cm_pathint_odometry_open(run, 10, &po), CM_OK);
    cm_map_odometry odo = cm_pathint_odometry_ops(po);
    cm_pose e;
    assert_int_equal(odo.reset(odo.ctx, (cm_pose){7.5f, 7.5f, 0.3f}), CM_OK);
    for (int t = 0; t < 25; t++) { /* windows restart every 10 steps */
        const float d[2] = {0.1f, 0.0f};
        assert_int_equal(odo.step(odo.ctx, d, 0.0f, &e), CM_OK);
        assert_true(isfinite(e.x) && isfinite(e.y) && isfinite(e.theta));
    }
    assert_int_equal(odo.anchor(odo.ctx, (cm_pose){3.5f, 3.5f, 0.0f}), CM_OK);
    cm_pathint_odometry_free(po);
    /* through cogmap map: drift measured, corrections counted */
    cm_maprun_options o;
    cm_maprun_options_default(&o);
    char pose[4200];
    snprintf(pose, sizeof pose, "pathint:%s", run);
    o.pose = pose;
    o.chunk = 10;
    o.correct = 1;
    o.run.steps = 30;
    o.gif_frames = 0;
    cm_map_run_result r;
    assert_int_equal(cm_maprun(&o, out, &r, NULL), CM_OK);
    print_message("untrained pathint: drift %.2f cells, map iou %.3f (ceiling %.3f)\n", r.drift_mean, r.scores.iou,
                  r.truth_scores.iou);
    assert_true(isfinite(r.drift_mean) && r.drift_mean > 0.0);
    assert_true(exists(out, "summary.json") && exists(out, "map.npy") && !exists(out, "map.gif"));
    cm_map_run_result_free(&r);
    /* a network of another input (Banino's [v, cos, sin]) is refused */
    snprintf(run, sizeof run, "%s/banino", tmp);
    cm_grid_run_config gc;
    assert_int_equal(cm_grid_run_config_init(&gc, "banino", 3), CM_OK);
    assert_int_equal(cm_mkdir_p(run), CM_OK);
    assert_int_equal(cm_grid_run_config_write(&gc, run), CM_OK);
    assert_int_equal(cm_pathint_odometry_open(run, 10, &po), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "[vx, vy, w]"));
    cmt_tmpdir_remove(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bev_model),
        cmocka_unit_test(test_pathint_odometry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
