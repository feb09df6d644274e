/* SMP run.json: written with every setting and replayed on read (the same
 * bits for the same seed), and a damaged file says what is wrong (the run.json
 * reader it shares with grid-cell runs, run/run_json.c). */
#include "test_util.h"

#include <stdio.h>
#include <string.h>

#include "cogmap/run.h"

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
    cm_smp_run_config c, d;
    cm_smp_run_config_init(&c, 18446744073709551615ULL); /* 2^64 - 1: no JSON number holds it */
    assert_int_equal(cm_smp_run_config_set(&c, "slots=24"), CM_OK);
    assert_int_equal(cm_smp_run_config_set(&c, "lr=0.000123"), CM_OK);
    assert_int_equal(cm_smp_run_config_set(&c, "motion=banino"), CM_OK);
    assert_int_equal(cm_smp_run_config_set(&c, "eval_batches=5"), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_false(cm_smp_is_run(dir));
    assert_int_equal(cm_smp_run_config_write(&c, dir), CM_OK);
    assert_true(cm_smp_is_run(dir));
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_OK);
    assert_true(d.seed == 18446744073709551615ULL);
    assert_int_equal(d.model.slots, 24);
    assert_true(d.model.lr == 0.000123); /* %.17g: the same double back */
    assert_string_equal(d.motion, "banino");
    assert_int_equal(d.eval_batches, 5);
    assert_memory_equal(&d.model, &c.model, sizeof c.model);
    cmt_tmpdir_remove(dir);
}

static void test_damaged(void **state)
{
    (void)state;
    cm_smp_run_config d;
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_IO); /* no run.json */

    write_text(dir, "{\"format\": \"cogmap grid-cell run\", \"seed\": \"1\", \"sets\": []}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "format: expected \"cogmap smp run\""));

    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"-3\", \"sets\": []}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "seed: expected a decimal"));

    /* Unlike a grid-cell run's, an SMP run.json always lists its settings. */
    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"1\"}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "sets: expected an array"));

    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"1\", \"sets\": [3]}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "sets: expected strings"));

    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"1\", \"sets\": [\"colour=red\"]}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "run.json: sets: "));
    assert_non_null(strstr(cm_errmsg(), "unknown key 'colour'"));

    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"1\", \"sets\": [\"image=50\"]}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_ERR_ARG); /* the model check after the replay */

    write_text(dir, "{\"format\": \"cogmap smp run\", \"seed\": \"2\", \"sets\": [\"batch=3\"]}");
    assert_int_equal(cm_smp_run_config_read(&d, dir), CM_OK);
    assert_int_equal(d.model.batch, 3);
    assert_true(d.seed == 2);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_damaged),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
