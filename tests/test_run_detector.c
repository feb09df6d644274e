/* A new detector run's configuration (cm_detector_run_config_new): the
 * preset's, the --set list recorded and applied in order, the data folders;
 * a bad setting, preset or checked whole refused as an argument. */
#include "test_util.h"

#include <string.h>

#include "cogmap/detrun.h"

static void test_new(void **state)
{
    (void)state;
    cm_detector_run_config c;
    const char *sets[] = {"lr=0.0005", "eval_frames=64"}, *data[] = {"/data/D1"}, *bad[] = {"lr=0.0005", "frob=1"};
    assert_int_equal(cm_detector_run_config_new(&c, "detector-small", 9, sets, 2, data, 1), CM_OK);
    assert_string_equal(c.model.preset, "detector-small");
    assert_true(c.seed == 9 && c.model.lr == 0.0005);
    assert_int_equal(c.eval_frames, 64);
    assert_int_equal(c.n_sets, 2);
    assert_string_equal(c.sets[1], "eval_frames=64");
    assert_int_equal(c.n_dirs, 1);
    assert_string_equal(c.dirs[0], "/data/D1");
    assert_int_equal(cm_detector_run_config_new(&c, "detector-small", 9, bad, 2, NULL, 0), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "frob"));
    assert_int_equal(cm_detector_run_config_new(&c, "detector-huge", 9, NULL, 0, NULL, 0), CM_ERR_ARG);
    const char *zero[] = {"width=0"};
    assert_int_equal(cm_detector_run_config_new(&c, "detector-small", 9, zero, 1, NULL, 0), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
