/* Shuffle tests of gridness and the grid-period / module summaries (analysis.h): the
 * time-shift null against numpy + scipy (tests/gridshuffle_ref_driver.py), what the tests
 * decide on a grid-tuned and a noise unit, the same bits at 1 and 2 threads, the bin
 * permutation for maps alone, and bad arguments. */
#include "test_util.h"

#include "cogmap/analysis.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_SAMPLES 3000
#define UNITS 3
#define SHUFFLES 40
#define NB 20
#define MIN_SHIFT 300

/* A hexagonal grid of period lambda at (x, y), in [0, 1]. */
static double hex(double x, double y, double lambda)
{
    const double k = 4 * M_PI / (sqrt(3.0) * lambda);
    double s = 0;
    for (int j = 0; j < 3; j++) {
        const double phi = 0.2 + j * M_PI / 3;
        s += cos(k * ((x - 0.3) * cos(phi) + (y - 0.7) * sin(phi)));
    }
    return (s + 1.5) / 4.5;
}

/* Samples along a smooth random walk in [-1.1, 1.1]^2: unit 0 a grid cell (period 0.8),
 * unit 1 noise, unit 2 a weaker, noisier grid. */
typedef struct data {
    double pos[N_SAMPLES * 2];
    float act[N_SAMPLES * UNITS];
    double edges[NB + 1];
    cm_grid2 g;
} data;

static void make_data(data *d)
{
    cm_rng r;
    cm_rng_seed(&r, 7, 0);
    double x = 0, y = 0, th = 0;
    for (int t = 0; t < N_SAMPLES; t++) {
        th += 0.4 * cm_rng_normal(&r);
        x += 0.08 * cos(th);
        y += 0.08 * sin(th);
        if (fabs(x) > 1.09 || fabs(y) > 1.09) { /* reflect at the walls */
            x = fmax(-1.09, fmin(1.09, x));
            y = fmax(-1.09, fmin(1.09, y));
            th += M_PI;
        }
        d->pos[2 * t] = x;
        d->pos[2 * t + 1] = y;
        d->act[t * UNITS + 0] = (float)(hex(x, y, 0.8) + 0.1 * cm_rng_normal(&r));
        d->act[t * UNITS + 1] = (float)cm_rng_uniform(&r, 0, 1);
        d->act[t * UNITS + 2] = (float)(0.4 * hex(x, y, 1.0) + 0.5 * cm_rng_uniform(&r, 0, 1));
    }
    cm_linspace(-1.1, 1.1, NB + 1, d->edges);
    d->g = (cm_grid2){NB, NB, d->edges, d->edges};
}

static cm_gridness_scorer *scorer(void)
{
    cm_gridness_config gc;
    cm_gridness_config_deepmind(&gc, NB);
    cm_gridness_scorer *s = NULL;
    assert_int_equal(cm_gridness_scorer_create(&gc, &s), CM_OK);
    return s;
}

/* The observed scores of the data's units. */
static void observed(const data *d, const cm_gridness_scorer *s, cm_gridness_result *res)
{
    double maps[UNITS * NB * NB];
    assert_int_equal(cm_ratemaps(&d->g, d->pos, NULL, d->act, N_SAMPLES, UNITS, maps, NULL, NULL, 0), CM_OK);
    assert_int_equal(cm_gridness_score_batch(s, maps, 0, UNITS, res, NULL), CM_OK);
}

static void write_file(const char *dir, const char *name, const void *p, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, bytes, f), bytes);
    fclose(f);
}

static void read_file(const char *dir, const char *name, void *p, size_t bytes)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(p, 1, bytes, f), bytes);
    fclose(f);
}

static void test_timeshift_against_numpy(void **state)
{
    (void)state;
    const char *python = cmt_python_with("numpy scipy");
    if (!python)
        skip();
    static data d;
    make_data(&d);
    cm_gridness_scorer *s = scorer();
    double p95[UNITS], p99[UNITS], null[UNITS * SHUFFLES];
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, SHUFFLES, MIN_SHIFT, 5,
                                                   100, 0, p95, p99, null),
                     CM_OK);
    /* the offsets as documented: unit u's stream, in order */
    int64_t off[UNITS * SHUFFLES];
    for (int u = 0; u < UNITS; u++) {
        cm_rng r;
        cm_rng_seed(&r, 5, 100 + (uint64_t)u);
        for (int k = 0; k < SHUFFLES; k++) {
            off[u * SHUFFLES + k] = cm_gridness_shift_offset(&r, N_SAMPLES, MIN_SHIFT);
            assert_true(off[u * SHUFFLES + k] >= MIN_SHIFT && off[u * SHUFFLES + k] <= N_SAMPLES - MIN_SHIFT);
        }
    }
    const char *dir = cmt_tmpdir();
    char meta[256];
    snprintf(meta, sizeof meta, "%d %d %d %d -1.1 1.1\n", N_SAMPLES, UNITS, SHUFFLES, NB);
    write_file(dir, "meta.txt", meta, strlen(meta));
    write_file(dir, "pos.bin", d.pos, sizeof d.pos);
    write_file(dir, "act.bin", d.act, sizeof d.act);
    write_file(dir, "offsets.bin", off, sizeof off);
    const char *src = getenv("COGMAP_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(cmt_system("%s %s/tests/gridshuffle_ref_driver.py %s %s", python, src, src, dir), 0);
    double ref_null[UNITS * SHUFFLES], ref_pct[UNITS * 2];
    read_file(dir, "null.bin", ref_null, sizeof ref_null);
    read_file(dir, "pct.bin", ref_pct, sizeof ref_pct);
    cmt_tmpdir_remove(dir);
    for (int i = 0; i < UNITS * SHUFFLES; i++)
        if (!(fabs(null[i] - ref_null[i]) <= 1e-9))
            fail_msg("null score %d (unit %d): cogmap %.17g, numpy %.17g", i, i / SHUFFLES, null[i], ref_null[i]);
    for (int u = 0; u < UNITS; u++) {
        if (!(fabs(p95[u] - ref_pct[2 * u]) <= 1e-9 && fabs(p99[u] - ref_pct[2 * u + 1]) <= 1e-9))
            fail_msg("unit %d: p95/p99 cogmap %.17g %.17g, numpy %.17g %.17g", u, p95[u], p99[u], ref_pct[2 * u],
                     ref_pct[2 * u + 1]);
        assert_true(p99[u] >= p95[u]);
    }
    cm_gridness_scorer_free(s);
}

/* The grid unit passes its own 99th percentile, the noise unit does not
 * come near the grid unit's score; the fraction counts accordingly. */
static void test_timeshift_decides(void **state)
{
    (void)state;
    static data d;
    make_data(&d);
    cm_gridness_scorer *s = scorer();
    cm_gridness_result res[UNITS];
    observed(&d, s, res);
    double p95[UNITS], p99[UNITS];
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, SHUFFLES, MIN_SHIFT, 5,
                                                   100, 0, p95, p99, NULL),
                     CM_OK);
    if (!(res[0].score60 > 0.8 && res[0].score60 > p99[0]))
        fail_msg("grid unit: score60 %g, p99 %g", res[0].score60, p99[0]);
    assert_true(p99[1] < 0.5 * res[0].score60);
    assert_true(res[1].score60 < res[0].score60);
    const double f = cm_gridness_shuffle_fraction(res, p99, UNITS);
    assert_true(f >= 1.0 / UNITS - 1e-12);
    /* a threshold everybody fails */
    double high[UNITS] = {9, 9, 9};
    assert_float_equal(cm_gridness_shuffle_fraction(res, high, UNITS), 0.0, 0.0);
    cm_gridness_scorer_free(s);
}

static void test_same_bits_any_threads(void **state)
{
    (void)state;
    static data d;
    make_data(&d);
    cm_gridness_scorer *s = scorer();
    double a95[UNITS], a99[UNITS], b95[UNITS], b99[UNITS], an[UNITS * 8], bn[UNITS * 8];
    cm_set_threads(1);
    assert_int_equal(
        cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 8, MIN_SHIFT, 9, 0, 0, a95, a99, an),
        CM_OK);
    cm_set_threads(2);
    assert_int_equal(
        cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 8, MIN_SHIFT, 9, 0, 0, b95, b99, bn),
        CM_OK);
    assert_memory_equal(an, bn, sizeof an);
    assert_memory_equal(a95, b95, sizeof a95);
    /* another seed, another null */
    assert_int_equal(
        cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 8, MIN_SHIFT, 10, 0, 0, b95, b99, bn),
        CM_OK);
    assert_true(memcmp(an, bn, sizeof an) != 0);
    cm_gridness_scorer_free(s);
}

/* Maps alone: the visited bins are permuted, NaN bins stay; a grid map passes,
 * thread counts give the same bits. */
static void test_bin_shuffle(void **state)
{
    (void)state;
    static double maps[2 * NB * NB];
    cm_rng r;
    cm_rng_seed(&r, 3, 0);
    for (int i = 0; i < NB; i++)
        for (int j = 0; j < NB; j++) {
            const double x = -1.1 + (i + 0.5) * 2.2 / NB, y = -1.1 + (j + 0.5) * 2.2 / NB;
            maps[i * NB + j] = hex(x, y, 0.8);
            maps[NB * NB + i * NB + j] = cm_rng_uniform(&r, 0, 1);
        }
    maps[5] = NAN; /* an unvisited bin */
    cm_gridness_scorer *s = scorer();
    cm_gridness_result res[2];
    assert_int_equal(cm_gridness_score_batch(s, maps, 0, 2, res, NULL), CM_OK);
    double p95[2], p99[2], q95[2], q99[2];
    cm_set_threads(1);
    assert_int_equal(cm_gridness_shuffle_bins(s, maps, 2, 50, 4, 0, p95, p99, NULL), CM_OK);
    cm_set_threads(2);
    assert_int_equal(cm_gridness_shuffle_bins(s, maps, 2, 50, 4, 0, q95, q99, NULL), CM_OK);
    assert_memory_equal(p95, q95, sizeof p95);
    assert_memory_equal(p99, q99, sizeof p99);
    assert_true(res[0].score60 > p99[0]);
    assert_true(p95[0] < 0.5 && p95[1] < 0.5);
    assert_true(isnan(maps[5])); /* input untouched */
    cm_gridness_scorer_free(s);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    static data d;
    make_data(&d);
    cm_gridness_scorer *s = scorer();
    double p95[UNITS], p99[UNITS];
    /* min_shift 0, or more than half the samples */
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 4, 0, 1, 0, 0, p95, p99,
                                                   NULL),
                     CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "min_shift"));
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 4, N_SAMPLES / 2 + 1, 1,
                                                   0, 0, p95, p99, NULL),
                     CM_ERR_ARG);
    /* a grid of another size than the scorer's */
    double e[11];
    cm_linspace(-1.1, 1.1, 11, e);
    cm_grid2 g10 = {10, 10, e, e};
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &g10, d.pos, d.act, N_SAMPLES, UNITS, 4, MIN_SHIFT, 1, 0, 0, p95,
                                                   p99, NULL),
                     CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "grid"));
    assert_int_equal(cm_gridness_shuffle_timeshift(s, &d.g, d.pos, d.act, N_SAMPLES, UNITS, 0, MIN_SHIFT, 1, 0, 0, p95,
                                                   p99, NULL),
                     CM_ERR_ARG);
    assert_int_equal(cm_gridness_shuffle_bins(s, NULL, 2, 4, 1, 0, p95, p99, NULL), CM_ERR_ARG);
    cm_gridness_scorer_free(s);
}

/* Periods across the map and modules by spacing, on hand-made results. */
static void test_periods_and_modules(void **state)
{
    (void)state;
    cm_gridness_result r[10];
    memset(r, 0, sizeof r);
    /* spacings in bins: a module near 5, one near 7 (ratio 1.4), a noisy unit, two
     * units below the score cut and one without a spacing */
    const double sp[10] = {5.0, 5.1, 4.9, 7.0, 7.1, 6.9, 12.0, 3.0, 3.0, NAN};
    const double ori[10] = {58, 2, 0, 10, 12, 14, 30, 0, 0, NAN};
    const double sc[10] = {0.5, 0.6, 0.4, 0.9, 0.7, 0.5, 0.4, 0.1, 0.2, 0.8};
    for (int u = 0; u < 10; u++)
        r[u] = (cm_gridness_result){sc[u], 0, 0, 0, sp[u], ori[u]};
    int counted = 0;
    /* counted: the 7 units with score > 0.3 and a spacing; periods 40 / spacing, the median 40 / 6.9 */
    assert_float_equal(cm_grid_periods_across(r, 10, 40, 0.3, &counted), 40.0 / 6.9, 1e-12);
    assert_int_equal(counted, 7);
    assert_true(isnan(cm_grid_periods_across(r, 10, 40, 2.0, &counted)));
    assert_int_equal(counted, 0);
    cm_grid_module m[4];
    int nm = cm_grid_modules(r, 10, 0.3, 1.2, 2, m, 4);
    assert_int_equal(nm, 2); /* the lone 12-bin unit is no module */
    assert_float_equal(m[0].spacing, 5.0, 1e-12);
    assert_int_equal(m[0].count, 3);
    assert_float_equal(m[1].spacing, 7.0, 1e-12);
    assert_float_equal(m[1].spacing / m[0].spacing, 1.4, 1e-12);
    /* 58, 2 and 0 degrees average across the 60-degree wrap to 0 */
    assert_true(fabs(m[0].orientation) < 1e-9 || fabs(m[0].orientation - 60.0) < 1e-9);
    assert_float_equal(m[1].orientation, 12.0, 1e-9);
    assert_int_equal(cm_grid_modules(r, 10, 0.3, 1.0, 2, m, 4), 0); /* gap ratio must exceed 1 */
}

int main(void)
{
    cm_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_timeshift_against_numpy), cmocka_unit_test(test_timeshift_decides),
        cmocka_unit_test(test_same_bits_any_threads),   cmocka_unit_test(test_bin_shuffle),
        cmocka_unit_test(test_bad_arguments),           cmocka_unit_test(test_periods_and_modules),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
