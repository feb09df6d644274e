/* cm_gridness_table_compute (cogmap/gridness_table.h), what `cogmap
 * gridness` prints: the same scores as the scorer called directly, for
 * float32 and float64 maps alike; a hexagonal map scores above a striped
 * one (whose score may be NaN); the BNT column, the shuffle percentiles and the autocorrelograms
 * come only when asked; another dtype or shape is a bad file (named). The
 * command's CSV is tests/cli_gridness.sh. */
#define _GNU_SOURCE /* open_memstream */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The CSV `cogmap gridness` prints: a header naming the columns asked for,
 * one row per map in order, NaN as "nan"; no table or no stream is refused. */
static void test_csv(void **state)
{
    (void)state;
    static double m64[MAPS * N * N];
    static float m32[MAPS * N * N];
    make_maps(m64, m32);
    m64[N * N] = NAN; /* map 1 loses a bin */
    const int64_t shape[] = {MAPS, N, N};
    cm_array a = cm_array_view("maps", CM_F64, 3, shape, m64);
    cm_gridness_table_opts o = {.bnt = 1, .shuffles = 5, .seed = 2};
    cm_gridness_table t;
    assert_int_equal(cm_gridness_table_compute(&a, "m", &o, &t), CM_OK);
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    assert_int_equal(cm_gridness_table_csv(&t, f), CM_OK);
    fclose(f);
    const char *header = "unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation,bnt,shuffle95,shuffle99\n";
    assert_true(strncmp(text, header, strlen(header)) == 0);
    char row0[64];
    snprintf(row0, sizeof row0, "\n0,%.6f,", t.res[0].score60);
    assert_non_null(strstr(text, row0));
    assert_non_null(strstr(text, "\n1,"));
    assert_null(strstr(text, "\n2,"));
    int commas = 0;
    text[len - 1] = 0; /* the last newline */
    for (const char *c = text + len - 2; c > text && *c != '\n'; c--)
        commas += *c == ',';
    assert_int_equal(commas, 9); /* the last row has every column */
    free(text);
    assert_int_equal(cm_gridness_table_csv(NULL, stdout), CM_ERR_ARG);
    assert_int_equal(cm_gridness_table_csv(&t, NULL), CM_ERR_ARG);
    cm_gridness_table_free(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table),
        cmocka_unit_test(test_csv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
