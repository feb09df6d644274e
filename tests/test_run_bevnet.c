/* BEV run.json: every configuration key written and replayed on read (the
 * same configuration back, dataset folders and a 64-bit seed included), the
 * keys a resumed stage may change, and a damaged file refused naming what is
 * wrong; the rank that picks checkpoints/best. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/bevrun.h"

static void write_text(const char *dir, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/run.json", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_round_trip(void **state)
{
    (void)state;
    cm_bevnet_run_config c, d;
    assert_int_equal(cm_bevnet_run_config_init(&c, "bev-small", 18446744073709551615ULL), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&c.model, "up_channels=24,12,6"), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&c.model, "lr=0.000123"), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&c.model, "fov=60.5"), CM_OK);
    assert_int_equal(cm_bevnet_run_config_add_data(&c, "/data/D1"), CM_OK);
    assert_int_equal(cm_bevnet_run_config_add_data(&c, "/data/D2"), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_false(cm_bevnet_is_run(dir));
    assert_int_equal(cm_bevnet_run_config_write(&c, dir), CM_OK);
    assert_true(cm_bevnet_is_run(dir));
    memset(&d, 0xff, sizeof d);
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_OK);
    assert_true(d.seed == 18446744073709551615ULL);
    assert_string_equal(d.model.preset, "bev-small");
    assert_int_equal(d.model.up_channels[1], 12);
    assert_true(d.model.lr == 0.000123); /* %.17g: the same double back */
    assert_true(d.model.fov == 60.5f);
    assert_int_equal(d.n_data, 2);
    assert_string_equal(d.data[1], "/data/D2");
    assert_memory_equal(&d.model, &c.model, sizeof c.model);
    assert_int_equal(d.model.anchor_pose, 1);

    /* A run.json written before anchor_pose existed: its run learned SSM-PC's cell-anchored targets. */
    char path[4200], *text = NULL;
    snprintf(path, sizeof path, "%s/run.json", dir);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t len = 0;
    text = calloc(1, 1 << 16);
    len = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    char *at = strstr(text, "\"anchor_pose=1\",");
    assert_non_null(at);
    memmove(at, at + strlen("\"anchor_pose=1\","), len - (size_t)(at - text) - strlen("\"anchor_pose=1\",") + 1);
    f = fopen(path, "wb");
    fputs(text, f);
    fclose(f);
    free(text);
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_OK);
    assert_int_equal(d.model.anchor_pose, 0);
    assert_int_equal(cm_bevnet_run_config_write(&c, dir), CM_OK);

    /* A stage: the new value and the stage's record. */
    const char *sets[1] = {"lr=1e-5"};
    assert_int_equal(cm_bevnet_config_set(&c.model, sets[0]), CM_OK);
    assert_int_equal(cm_bevnet_run_config_restage(&c, dir, 40, sets, 1), CM_OK);
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_OK);
    assert_true(d.model.lr == 1e-5);
    cmt_tmpdir_remove(dir);
}

static void test_stage_keys(void **state)
{
    (void)state;
    assert_true(cm_bevnet_run_key_can_change("lr=1e-4"));
    assert_true(cm_bevnet_run_key_can_change("eval_frames=64"));
    assert_false(cm_bevnet_run_key_can_change("lr_x=1"));
    /* The shared look-up behind every model's test: bare keys, prefixes, no list. */
    const char *const keys[] = {"lr", "clip"};
    assert_true(cm_run_set_key_in("clip", keys, 2));
    assert_false(cm_run_set_key_in("cli=1", keys, 2));
    assert_false(cm_run_set_key_in("lr", keys, 0));
    assert_false(cm_bevnet_run_key_can_change("ff=64"));
    assert_false(cm_bevnet_run_key_can_change("batch=8"));
    assert_false(cm_bevnet_run_key_can_change("window=100"));
    cm_bevnet_run_config c;
    assert_int_equal(cm_bevnet_run_config_init(&c, "bev-tiny", 1), CM_ERR_ARG);
    assert_int_equal(cm_bevnet_run_config_init(&c, "bev", 1), CM_OK);
    for (int k = 0; k < CM_BEVNET_MAX_DATA; k++)
        assert_int_equal(cm_bevnet_run_config_add_data(&c, "d"), CM_OK);
    assert_int_equal(cm_bevnet_run_config_add_data(&c, "d"), CM_ERR_ARG);
}

/* A new run's configuration from the preset, the --set list and the data
 * folders, refused when a setting, a folder or the checked whole is bad. */
static void test_new(void **state)
{
    (void)state;
    cm_bevnet_run_config c;
    const char *sets[] = {"lr=0.0005", "fov=75"}, *data[] = {"/data/D1", "/data/D2"}, *bad[] = {"lr=0.0005", "frob=1"};
    assert_int_equal(cm_bevnet_run_config_new(&c, "bev-small", 7, sets, 2, data, 2), CM_OK);
    assert_string_equal(c.model.preset, "bev-small");
    assert_true(c.seed == 7 && c.model.lr == 0.0005 && c.model.fov == 75);
    assert_int_equal(c.n_data, 2);
    assert_string_equal(c.data[1], "/data/D2");
    assert_int_equal(cm_bevnet_run_config_new(&c, "bev-small", 7, bad, 2, data, 2), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "frob"));
    assert_int_equal(cm_bevnet_run_config_new(&c, "bev-huge", 7, sets, 2, NULL, 0), CM_ERR_ARG);
    const char *zero[] = {"lr=0"};
    assert_int_equal(cm_bevnet_run_config_new(&c, "bev-small", 7, zero, 1, NULL, 0), CM_ERR_ARG);
}

static void test_damaged(void **state)
{
    (void)state;
    cm_bevnet_run_config d;
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_IO); /* no run.json */

    write_text(dir, "{\"format\": \"cogmap smp run\", \"model\": \"smp\", \"seed\": \"1\", \"sets\": []}");
    assert_false(cm_bevnet_is_run(dir));
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "format: expected \"cogmap bev run\""));

    write_text(dir, "{\"format\": \"cogmap bev run\", \"model\": \"bev\", \"seed\": \"1\", \"preset\": \"huge\", "
                    "\"data\": [], \"sets\": []}");
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "preset: expected one of bev, bev-small, got 'huge'"));

    write_text(dir, "{\"format\": \"cogmap bev run\", \"model\": \"bev\", \"seed\": \"1\", \"preset\": \"bev\", "
                    "\"sets\": []}");
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "data: expected an array"));

    write_text(dir, "{\"format\": \"cogmap bev run\", \"model\": \"bev\", \"seed\": \"1\", \"preset\": \"bev\", "
                    "\"data\": [7], \"sets\": []}");
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "data: expected folder names"));

    write_text(dir, "{\"format\": \"cogmap bev run\", \"model\": \"bev\", \"seed\": \"1\", \"preset\": \"bev\", "
                    "\"data\": [], \"sets\": [\"heads=5\"]}");
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_ERR_ARG); /* the model check after the replay */
    assert_non_null(strstr(cm_errmsg(), "heads"));

    write_text(dir, "{\"format\": \"cogmap bev run\", \"model\": \"bev\", \"seed\": \"2\", \"preset\": \"bev-small\", "
                    "\"data\": [\"x\"], \"sets\": [\"batch=3\"]}");
    assert_int_equal(cm_bevnet_run_config_read(&d, dir), CM_OK);
    assert_int_equal(d.model.batch, 3);
    assert_int_equal(d.n_data, 1);
    assert_true(d.seed == 2);
    cmt_tmpdir_remove(dir);
}

/* checkpoints/best's rank: alpha_iou first; equal alpha_iou (0 while the
 * model predicts nothing opaque) ranked by eval_loss, so best follows the
 * validation loss instead of staying at the first evaluation. */
static double rank_of(double iou, double loss)
{
    cm_metrics m;
    cm_metrics_clear(&m);
    assert_int_equal(cm_metrics_set(&m, "alpha_iou", iou, CM_HIGHER_IS_BETTER), CM_OK);
    assert_int_equal(cm_metrics_set(&m, "eval_loss", loss, CM_LOWER_IS_BETTER), CM_OK);
    return cm_bevnet_best_rank(NULL, &m);
}

static void test_best_rank(void **state)
{
    (void)state;
    /* ties at alpha_iou 0: the lower validation loss wins */
    assert_true(rank_of(0.0, 0.0798) < rank_of(0.0, 0.0998));
    assert_true(rank_of(0.3, 0.05) < rank_of(0.3, 0.06));
    /* a higher alpha_iou beats any loss */
    assert_true(rank_of(0.0101, 5.0) < rank_of(0.0100, 0.001));
    assert_true(rank_of(0.9, 100.0) < rank_of(0.0, 0.0));
    /* below the rank of best by alpha_iou alone (-alpha_iou): an old run resumed moves over */
    assert_true(rank_of(0.0, 0.08) < -0.0);
    assert_true(rank_of(0.5, 0.08) < -0.5);
    /* a missing or non-finite metric never becomes best */
    assert_true(isnan(rank_of(NAN, 0.1)));
    assert_true(isnan(rank_of(0.2, INFINITY)));
    cm_metrics m;
    cm_metrics_clear(&m);
    assert_int_equal(cm_metrics_set(&m, "alpha_iou", 0.5, CM_HIGHER_IS_BETTER), CM_OK);
    assert_true(isnan(cm_bevnet_best_rank(NULL, &m)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_stage_keys),
        cmocka_unit_test(test_new),
        cmocka_unit_test(test_damaged),
        cmocka_unit_test(test_best_rank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
