/* `cogmap eval` and `cogmap map` as library calls (evaluate.h, maprun.h):
 * summaries (named values, the printed lines), the dispatch on run.json's
 * model with its refusals, a grid-cell run's values against the
 * summary.json it wrote, and cm_maprun's summary without any output folder. */
#include "run_check.h"
#include "test_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cogmap/evaluate.h"
#include "cogmap/io.h"
#include "cogmap/maprun.h"

static void test_summary(void **state)
{
    (void)state;
    cm_summary s;
    memset(&s, 0, sizeof s);
    assert_int_equal(cm_summary_add(&s, "map_iou", "", 0.5), CM_OK);
    assert_int_equal(cm_summary_add(&s, "pose_drift.mean", "cells", 1.25), CM_OK);
    assert_true(cm_summary_get(&s, "pose_drift.mean") == 1.25);
    assert_true(isnan(cm_summary_get(&s, "pose_drift")));
    assert_string_equal(s.values[1].unit, "cells");
    char key[100];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = '\0';
    assert_int_equal(cm_summary_add(&s, key, "", 1), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "too long"));
    assert_int_equal(s.n, 2);
    while (s.n < CM_SUMMARY_MAX)
        assert_int_equal(cm_summary_add(&s, "x", "", s.n), CM_OK);
    assert_int_equal(cm_summary_add(&s, "one_more", "", 0), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "one_more"));
    cm_summary_printf(&s, "a %d\n", 1);
    cm_summary_printf(&s, "b %s\n", "two");
    assert_string_equal(s.text, "a 1\nb two\n");
    for (int i = 0; i < 1000; i++) /* cut at its size, never beyond */
        cm_summary_printf(&s, "0123456789");
    assert_int_equal(strlen(s.text), sizeof s.text - 1);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_refusals(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    cm_eval_opts o;
    cm_eval_opts_default(&o);
    cm_eval_result r;
    assert_int_equal(cm_eval_run(NULL, &o, NULL, &r), CM_ERR_ARG);
    cm_eval_result_free(&r);
    /* no run.json: the file is named */
    char dir[4096], p[4200];
    snprintf(dir, sizeof dir, "%s/none", tmp);
    assert_int_not_equal(cm_eval_run(dir, &o, NULL, &r), CM_OK);
    assert_non_null(strstr(cm_errmsg(), "run.json"));
    cm_eval_result_free(&r);
    /* a model without an evaluation */
    snprintf(dir, sizeof dir, "%s/coop", tmp);
    assert_int_equal(cm_mkdir_p(dir), CM_OK);
    snprintf(p, sizeof p, "%s/run.json", dir);
    write_text(p, "{\"model\": \"coop\"}\n");
    assert_int_equal(cm_eval_run(dir, &o, NULL, &r), CM_ERR_UNSUPPORTED);
    assert_non_null(strstr(cm_errmsg(), "\"coop\""));
    assert_string_equal(r.model, "coop");
    cm_eval_result_free(&r);
    /* a checkpoint file needs its preset; a missing one is named */
    o.file = "/nonexistent/net.safetensors";
    assert_int_equal(cm_eval_run(NULL, &o, NULL, &r), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "preset"));
    o.preset = "ssmpc";
    assert_int_not_equal(cm_eval_run(NULL, &o, NULL, &r), CM_OK);
    assert_string_equal(r.dir, "/nonexistent/net-eval");
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/net.safetensors"));
    cm_eval_result_free(&r);
    cmt_tmpdir_remove(tmp);
}

static void test_grid_run(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char run[4096], p[4200];
    snprintf(run, sizeof run, "%s/grid", tmp);
    cmt_train_grid_run(run, NULL);

    cm_eval_opts o;
    cm_eval_opts_default(&o);
    o.samples = 800, o.stages = 1, o.baseline = 0;
    cm_eval_result r;
    assert_int_equal(cm_eval_run(run, &o, NULL, &r), CM_OK);
    assert_string_equal(r.model, "grid");
    assert_non_null(r.grid);
    assert_null(r.smp);
    /* every value is summary.json's number of the same name, bit for bit (null: NaN) */
    snprintf(p, sizeof p, "%s/summary.json", run);
    cJSON *js;
    assert_int_equal(cm_json_read(p, &js), CM_OK);
    assert_true(r.summary.n >= 10);
    for (int i = 0; i < r.summary.n; i++) {
        const cm_summary_value *v = &r.summary.values[i];
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(js, v->key);
        if (!item)
            fail_msg("summary.json has no %s", v->key);
        if (cJSON_IsNull(item))
            assert_true(isnan(v->value));
        else if (item->valuedouble != v->value)
            fail_msg("%s: summary.json %.17g, summary %.17g", v->key, item->valuedouble, v->value);
    }
    cJSON_Delete(js);
    assert_true(cm_summary_get(&r.summary, "grid_fraction") == r.grid->grid_fraction);
    assert_true(cm_summary_get(&r.summary, "samples") >= 800);
    assert_true(isnan(cm_summary_get(&r.summary, "untrained_grid_fraction"))); /* no baseline */
    assert_non_null(strstr(r.summary.text, "grid-like units"));
    assert_non_null(strstr(r.summary.text, run));
    cm_eval_result_free(&r);
    assert_null(r.grid);
    cmt_tmpdir_remove(tmp);
}

static void test_map_summary(void **state)
{
    (void)state;
    cm_maprun_options o;
    cm_maprun_options_default(&o);
    /* refusals name the option */
    o.pose = "compass";
    assert_int_equal(cm_maprun_options_check(&o), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "--pose"));
    o.pose = "truth";
    o.correct = 1;
    assert_int_equal(cm_maprun_options_check(&o), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "--correct"));
    o.correct = 0;
    o.bev_run = NULL;
    cm_map_run_result r;
    assert_int_equal(cm_maprun(&o, NULL, &r, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "--bev"));
    /* true views at true poses on a small maze, no folder: numbers only */
    o.bev_run = "truth";
    o.run.size = 7;
    o.run.steps = 40;
    o.run.seed = 2;
    assert_int_equal(cm_maprun(&o, NULL, &r, NULL), CM_OK);
    assert_int_equal(r.size, 7);
    assert_int_equal(cm_map_get_config(r.map)->size, 7);
    cm_summary s;
    assert_int_equal(cm_maprun_summary(&o, &r, NULL, &s), CM_OK);
    assert_true(cm_summary_get(&s, "map_iou") == r.scores.iou && r.scores.iou > 0.9);
    assert_true(cm_summary_get(&s, "pose_drift.mean") == 0.0);
    assert_true(cm_summary_get(&s, "steps") == 40 && cm_summary_get(&s, "seed") == 2);
    assert_true(isnan(cm_summary_get(&s, "target_error"))); /* no detector: null in summary.json */
    assert_non_null(strstr(s.text, "map_iou"));
    assert_null(strstr(s.text, "outputs"));
    cm_map_run_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_summary),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_grid_run),
        cmocka_unit_test(test_map_summary),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
