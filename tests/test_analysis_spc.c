/* Social place cells (analysis.h): SSM-PC's classification rules at and
 * around their thresholds, the occupancy map, and the Gaussian smoothing
 * against scipy.ndimage.gaussian_filter. */
#include "test_util.h"

#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cm_spc_class cls(double p1, double p2, double p3, double p4)
{
    double p[4] = {p1, p2, p3, p4};
    return cm_spc_classify_unit(p, 0.5, 0.2);
}

static void test_rules(void **state)
{
    (void)state;
    assert_int_equal(cls(0.9, 0.1, 0.8, 0.0), CM_SPC_PURE_PLACE);
    assert_int_equal(cls(0.9, 0.1, 0.4, 0.0), CM_SPC_MIXED);     /* self-only, quiet when both move */
    assert_int_equal(cls(0.1, 0.9, 0.8, 0.0), CM_SPC_PURE_SPC);
    assert_int_equal(cls(0.1, 0.9, 0.5, 0.0), CM_SPC_MIXED);     /* 0.5 is not above high */
    assert_int_equal(cls(0.6, 0.7, 0.0, 0.1), CM_SPC_SPECIAL_SPC);
    assert_int_equal(cls(0.5, 0.5, 0.9, 0.0), CM_SPC_OTHER);     /* neither strictly above 0.5 */
    assert_int_equal(cls(0.9, 0.9, 0.9, 0.2), CM_SPC_OTHER_STATIC); /* quiet means strictly below 0.2 */
    assert_int_equal(cls(0.9, 0.9, 0.9, 0.199), CM_SPC_SPECIAL_SPC);
    assert_int_equal(cls(0.9, 0.1, 0.9, NAN), CM_SPC_OTHER_STATIC);
    double peaks[5 * 4] = {0.9, 0.1, 0.8, 0, 0.1, 0.9, 0.8, 0, 0.6, 0.7, 0, 0.1, 0.9, 0.1, 0.4, 0, 0, 0, 0, 0.3};
    cm_spc_class c[5];
    int counts[CM_SPC_N_CLASSES];
    cm_spc_classify(peaks, 5, 0.5, 0.2, c, counts);
    assert_int_equal(c[0], CM_SPC_PURE_PLACE);
    assert_int_equal(c[4], CM_SPC_OTHER_STATIC);
    int want[CM_SPC_N_CLASSES] = {1, 1, 1, 1, 0, 1};
    assert_memory_equal(counts, want, sizeof want);
    assert_string_equal(cm_spc_class_name(CM_SPC_SPECIAL_SPC), "special_spc");
    assert_string_equal(cm_spc_class_name((cm_spc_class)99), "unknown");
    assert_float_equal(cm_spc_class_strength(CM_SPC_SPECIAL_SPC, peaks + 8), 0.6, 1e-12);
    assert_float_equal(cm_spc_class_strength(CM_SPC_PURE_SPC, peaks + 4), 0.9, 1e-12);
}

static void test_map_bins(void **state)
{
    (void)state;
    /* 3 x 3 bins over [0, 15]: x in [0, 5) bin 0, [5, 10) bin 1, beyond clipped. */
    float pos[] = {1.0f, 1.0f, 2.0f, 3.0f, 7.0f, 12.0f, 16.0f, -1.0f, 14.9f, 14.9f};
    float act[] = {0.4f, 1.5f, 0.3f, -2.0f, 0.5f};
    double map[9], work[27];
    assert_int_equal(cm_spc_map(pos, act, 5, 1, 3, 15.0, 0.0, 0.8, 0.0, map, work), CM_OK);
    assert_float_equal(map[0], (0.4 + 0.8) / 2, 1e-7); /* clipped to 0.8, averaged */
    assert_float_equal(map[2 * 3 + 1], 0.3, 1e-7);     /* row y = 2, column x = 1 */
    assert_float_equal(map[0 * 3 + 2], 0.0, 1e-12);    /* (16, -1) -> (2, 0), activity clipped to 0 */
    assert_float_equal(map[8], 0.5, 1e-7);
    assert_float_equal(map[4], 0.0, 1e-12);            /* empty */
    assert_int_equal(cm_spc_map(pos, act, 5, 1, 0, 15.0, 0.0, 0.8, 0.0, map, work), CM_ERR_ARG);
    assert_int_equal(cm_spc_map(pos, act, 5, 1, 3, 15.0, 1.0, 0.8, 0.0, map, work), CM_ERR_ARG);
}

static void test_gaussian_vs_scipy(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy scipy");
    if (!py)
        skip();
    const char *dir = cmt_tmpdir();
    FILE *f = cmt_python_output(py, dir,
                                "import sys\n"
                                "import numpy as np\n"
                                "from scipy.ndimage import gaussian_filter\n"
                                "x = np.sin(np.arange(7 * 9).reshape(7, 9) * 0.7) ** 2\n"
                                "x[2, 3] = 5.0\n"
                                "out = [gaussian_filter(x, s) for s in (1.5, 1.3, 0.4, 3.0)]\n"
                                "open(sys.argv[1], 'w').write(' '.join(repr(float(v)) for o in out for v in o.ravel()))\n");
    double x[63], y[63], work[63];
    for (int i = 0; i < 63; i++)
        x[i] = pow(sin(i * 0.7), 2);
    x[2 * 9 + 3] = 5.0;
    const double sigmas[4] = {1.5, 1.3, 0.4, 3.0};
    for (int k = 0; k < 4; k++) {
        cm_gaussian_filter2d(x, 7, 9, sigmas[k], 4.0, y, work);
        for (int i = 0; i < 63; i++) {
            double v;
            assert_int_equal(fscanf(f, "%lf", &v), 1);
            assert_float_equal(y[i], v, 1e-12);
        }
    }
    fclose(f);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rules),
        cmocka_unit_test(test_map_bins),
        cmocka_unit_test(test_gaussian_vs_scipy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
