/* cm_run_set_aside (run.h), what `cogmap demo` does before a new run: the
 * parent folders are made, a folder without run.json stays where it is, one
 * with a run is renamed to <run>-<seconds> with its files, and a name with
 * no room for the new one, or no name, is refused. */
#include "test_util.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/run.h"

static void test_set_aside(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char run[512], moved[600], probe[700];
    snprintf(run, sizeof run, "%s/out/deeper/grid", tmp);
    assert_int_equal(cm_run_set_aside(run, moved, sizeof moved), CM_OK); /* nothing there yet */
    assert_string_equal(moved, "");
    snprintf(probe, sizeof probe, "%s/out/deeper", tmp);
    assert_int_equal(access(probe, F_OK), 0);

    assert_int_equal(cm_mkdir_p(run), CM_OK);
    assert_int_equal(cm_run_set_aside(run, moved, sizeof moved), CM_OK); /* a folder, but no run */
    assert_string_equal(moved, "");
    assert_int_equal(access(run, F_OK), 0);

    snprintf(probe, sizeof probe, "%s/run.json", run);
    FILE *f = fopen(probe, "w");
    assert_non_null(f);
    fputs("{}\n", f);
    fclose(f);
    assert_int_equal(cm_run_set_aside(run, moved, sizeof moved), CM_OK);
    assert_true(strncmp(moved, run, strlen(run)) == 0 && moved[strlen(run)] == '-');
    assert_true(access(run, F_OK) != 0);
    snprintf(probe, sizeof probe, "%s/run.json", moved);
    assert_int_equal(access(probe, F_OK), 0);

    assert_int_equal(cm_mkdir_p(run), CM_OK);
    snprintf(probe, sizeof probe, "%s/run.json", run);
    f = fopen(probe, "w");
    fclose(f);
    char small[8];
    assert_int_equal(cm_run_set_aside(run, small, sizeof small), CM_ERR_ARG);
    assert_string_equal(small, "");
    assert_int_equal(access(probe, F_OK), 0); /* not moved */
    assert_int_equal(cm_run_set_aside("", moved, sizeof moved), CM_ERR_ARG);
    assert_int_equal(cm_run_set_aside(run, NULL, 0), CM_ERR_ARG);
    cmt_tmpdir_remove(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set_aside),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
