/* cm_gridness_table_compute (cogmap/gridness_table.h), what `cogmap
 * gridness` prints: the same scores as the scorer called directly, for
 * float32 and float64 maps alike; a hexagonal map scores above a striped
 * one (whose score may be NaN); the BNT column, the shuffle percentiles and the autocorrelograms
 * come only when asked; another dtype or shape is a bad file (named). The
 * command's CSV is tests/cli_gridness.sh. */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/gridness_table.h"

enum { N = 20, MAPS = 2 };

/* Map 0: three plane waves 60 degrees apart (a grid); map 1: one wave (stripes). */
static void make_maps(double *m64, float *m32)
{
    for (int u = 0; u < MAPS; u++)
        for (int i = 0; i < N; i++)
            for (int j = 0; j < N; j++) {
                double v = 0;
                for (int k = 0; k < (u == 0 ? 3 : 1); k++) {
                    double th = k * M_PI / 3, f = 2 * M_PI / 6.0;
                    v += cos(f * (i * cos(th) + j * sin(th)));
                }
                m64[(u * N + i) * N + j] = v;
                m32[(u * N + i) * N + j] = (float)v;
            }
}

/* Equal, NaN included. */
static int same(double a, double b) { return a == b || (isnan(a) && isnan(b)); }

static void test_table(void **state)
{
    (void)state;
    static double m64[MAPS * N * N];
    static float m32[MAPS * N * N];
    make_maps(m64, m32);
    const int64_t shape[] = {MAPS, N, N};
    cm_array a64 = cm_array_view("maps", CM_F64, 3, shape, m64), a32 = cm_array_view("maps", CM_F32, 3, shape, m32);
    cm_gridness_table_opts o = {0};
    cm_gridness_table t, u;
    assert_int_equal(cm_gridness_table_compute(&a64, "m64", &o, &t), CM_OK);
    assert_int_equal(t.count, MAPS);
    assert_int_equal(t.n, N);
    assert_null(t.bnt);
    assert_null(t.p95);
    assert_null(t.sacs);
    assert_true(t.res[0].score60 > 0.3);
    assert_false(t.res[1].score60 >= t.res[0].score60); /* stripes: lower, or NaN */

    /* The scorer called directly gives the same numbers. */
    cm_gridness_config cfg;
    cm_gridness_config_deepmind(&cfg, N);
    cm_gridness_scorer *s;
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_OK);
    cm_gridness_result direct[MAPS];
    assert_int_equal(cm_gridness_score_batch(s, m64, 0, MAPS, direct, NULL), CM_OK);
    cm_gridness_scorer_free(s);
    for (int k = 0; k < MAPS; k++)
        assert_true(same(direct[k].score60, t.res[k].score60) && same(direct[k].score90, t.res[k].score90));

    o = (cm_gridness_table_opts){.bnt = 1, .shuffles = 20, .seed = 3, .keep_sacs = 1, .ssmpc_masks = 1};
    assert_int_equal(cm_gridness_table_compute(&a32, "m32", &o, &u), CM_OK);
    assert_non_null(u.bnt);
    assert_non_null(u.p95);
    assert_non_null(u.p99);
    assert_non_null(u.sacs);
    assert_true(u.p99[0] >= u.p95[0]);
    assert_true(isfinite(u.bnt[0]));
    assert_false(u.bnt[1] >= u.bnt[0]);
    assert_true(u.cfg.n_masks != t.cfg.n_masks || u.cfg.mask_max[0] != t.cfg.mask_max[0]);
    cm_gridness_table_free(&t);
    cm_gridness_table_free(&u);
    cm_gridness_table_free(&u); /* twice is harmless */

    int ints[N * N] = {0};
    const int64_t one[] = {1, N, N}, flat[] = {N, N}, oblong[] = {1, N, N - 1};
    cm_array bad = cm_array_view("maps", CM_I32, 3, one, ints);
    assert_int_equal(cm_gridness_table_compute(&bad, "ints.npy", &o, &t), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "ints.npy: expected dtype float32 or float64"));
    bad = cm_array_view("maps", CM_F64, 2, flat, m64);
    assert_int_equal(cm_gridness_table_compute(&bad, "flat.npy", &o, &t), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "expected shape [N, n, n]"));
    bad = cm_array_view("maps", CM_F64, 3, oblong, m64);
    assert_int_equal(cm_gridness_table_compute(&bad, "oblong.npy", &o, &t), CM_ERR_FORMAT);
    assert_null(t.res);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
