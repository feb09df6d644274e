/* Gridness: DeepMind's scorer against the specs' test vectors, against a live numpy/scipy run
 * of the reference (bench/gridness_ref.py) on a few hundred maps, degenerate maps, threads. */
#include "test_util.h"

#include "analysis/gridness_internal.h"
#include "cogmap/analysis.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ maps */

/* SSM-PC's test maps (ssm-pc.md §5): 40 x 40 bins over [0, 15]^2 at bin centres, [x, y]. */
static void hex_map(double *m, int n, double extent, double lambda, double phase, double x0, double y0)
{
    const double k = 4 * M_PI / (sqrt(3.0) * lambda);
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            const double x = (i + 0.5) * extent / n, y = (j + 0.5) * extent / n;
            double v = 0;
            for (int t = 0; t < 3; t++) {
                const double phi = phase + t * M_PI / 3;
                v += cos(k * ((x - x0) * cos(phi) + (y - y0) * sin(phi)));
            }
            m[i * n + j] = v;
        }
}

static void square_map(double *m, int n, double extent, double period)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            const double x = (i + 0.5) * extent / n, y = (j + 0.5) * extent / n;
            m[i * n + j] = cos(2 * M_PI * x / period) + cos(2 * M_PI * y / period);
        }
}

static double score_with(const cm_gridness_config *cfg, const double *map, cm_gridness_result *r)
{
    cm_gridness_scorer *s;
    assert_int_equal(cm_gridness_scorer_create(cfg, &s), CM_OK);
    assert_int_equal(cm_gridness_score(s, map, NULL, r, NULL), CM_OK);
    cm_gridness_scorer_free(s);
    return r->score60;
}

/* ------------------------------------------------------------ spec vectors */

static void test_spec_vectors_ssmpc(void **state)
{
    (void)state;
    double m[40 * 40];
    cm_gridness_config cfg;
    cm_gridness_result r;
    cm_gridness_config_ssmpc(&cfg, 40);
    assert_int_equal(cfg.n_masks, 15);

    hex_map(m, 40, 15.0, 5.0, 0.2, 0.3, 0.7);
    score_with(&cfg, m, &r);
    assert_true(fabs(r.score60 - 1.4050) < 5e-5);
    assert_true(fabs(r.score90 - 0.1951) < 5e-5);
    assert_int_equal(r.mask60, 5); /* ring (0.1, 0.43214) */
    assert_true(fabs(cfg.mask_max[5] - 0.43214) < 1e-5);
    /* a hexagonal grid of period 5 bins-per-15/40: spacing ~ 5 / (15/40) = 13.3 bins */
    assert_true(fabs(r.spacing - 5.0 / (15.0 / 40.0)) < 1.0);

    const double lam[2] = {4.0, 7.0}, want60[2] = {1.4178, 1.3536}, want90[2] = {0.2223, -0.0109};
    for (int k = 0; k < 2; k++) {
        hex_map(m, 40, 15.0, lam[k], 0.2, 0.3, 0.7);
        score_with(&cfg, m, &r);
        assert_true(fabs(r.score60 - want60[k]) < 5e-5);
        assert_true(fabs(r.score90 - want90[k]) < 5e-5);
    }

    square_map(m, 40, 15.0, 5.0);
    score_with(&cfg, m, &r);
    assert_true(fabs(r.score60 - -0.2810) < 5e-5);
    assert_true(fabs(r.score90 - 1.7527) < 5e-5);

    cm_mt19937 mt; /* RandomState(0).rand(40, 40) */
    cm_mt_seed(&mt, 0);
    for (int i = 0; i < 1600; i++)
        m[i] = cm_mt_random_sample(&mt);
    score_with(&cfg, m, &r);
    assert_true(fabs(r.score60 - 0.0270) < 5e-5);
    assert_true(fabs(r.score90 - 0.0088) < 5e-5);
}

static void test_masks_and_minmax(void **state)
{
    (void)state;
    cm_gridness_config cfg;
    cm_gridness_config_deepmind(&cfg, 20);
    assert_int_equal(cfg.n_masks, 10);
    assert_true(cfg.mask_min[0] == 0.2 && cfg.mask_max[0] == 0.4 && cfg.mask_max[9] == 1.0);
    assert_true(fabs(cfg.mask_max[1] - (0.4 + 0.6 / 9)) < 1e-15);

    /* the min-max form is never above the mean form on the same rings */
    double m[400];
    hex_map(m, 20, 2.2, 0.6, 0.4, 0.1, -0.2);
    cm_gridness_result mean_form, mm_form;
    score_with(&cfg, m, &mean_form);
    cfg.min_max = 1;
    score_with(&cfg, m, &mm_form);
    assert_true(mean_form.score60 > 0.5);
    assert_true(mm_form.score60 <= mean_form.score60 + 1e-12);
    assert_true(mm_form.score90 == mean_form.score90);
}

/* ------------------------------------------------------------ degenerate */

static void test_degenerate_maps(void **state)
{
    (void)state;
    cm_gridness_config cfg;
    cm_gridness_result r;
    double m[400];
    cm_gridness_config_deepmind(&cfg, 20);

    for (int i = 0; i < 400; i++)
        m[i] = NAN;
    score_with(&cfg, m, &r); /* all NaN: the SAC is 0 everywhere, every correlation 0 */
    assert_true(r.score60 == 0.0 && r.score90 == 0.0 && r.mask60 == 0 && r.mask90 == 0);
    assert_true(isnan(r.spacing));

    for (int i = 0; i < 400; i++)
        m[i] = 1.0;
    score_with(&cfg, m, &r); /* flat at 1.0: exact zeros again */
    assert_true(r.score60 == 0.0 && r.score90 == 0.0);

    for (int i = 0; i < 400; i++)
        m[i] = 0.1;
    score_with(&cfg, m, &r); /* flat at 0.1: rounding noise that DeepMind's scorer turns into a score */
    assert_true(fabs(r.score60) < 1e-12);
    assert_true(fabs(r.score90 - 0.8386349467766776) < 1e-9);
    assert_int_equal(r.mask90, 1);

    /* maps too small for any ring: NaN, as numpy's 0/0 gives */
    for (int n = 1; n <= 2; n++) {
        cm_gridness_config small;
        cm_gridness_config_deepmind(&small, n);
        double tiny[4] = {0.5, 0.5, 0.5, 0.5};
        score_with(&small, tiny, &r);
        assert_true(isnan(r.score60) && isnan(r.score90));
    }

    /* Two equal neighbours in a corner make a 1 x 2 window with a std of exactly 0 beside a
     * non-constant one: cov / 0 = inf, nan_to_num makes it DBL_MAX, and the spline prefilter
     * spreads inf and NaN over every rotation: DeepMind's scorer returns NaN. The map is
     * numpy's RandomState(3).rand(20, 20) drawn 12 times (the 12th), with three corner pairs
     * made equal; the reference gives NaN, NaN. */
    cm_mt19937 mt;
    cm_mt_seed(&mt, 3);
    for (int i = 0; i < 11 * 400; i++)
        cm_mt_random_sample(&mt);
    for (int i = 0; i < 400; i++)
        m[i] = cm_mt_random_sample(&mt);
    m[0 * 20 + 1] = m[0 * 20 + 0];
    m[19 * 20 + 18] = m[19 * 20 + 19];
    m[0 * 20 + 18] = m[0 * 20 + 19];
    double sac[39 * 39];
    assert_int_equal(cm_gridness_sac(m, 20, 20, sac), CM_OK);
    assert_true(fabs(sac[0 * 39 + 37]) == DBL_MAX && fabs(sac[38 * 39 + 1]) == DBL_MAX);
    score_with(&cfg, m, &r);
    assert_true(isnan(r.score60) && isnan(r.score90) && r.mask60 == 0 && r.mask90 == 0);
    /* without the equal pairs the same map scores normally */
    m[0 * 20 + 1] += 1e-3;
    m[19 * 20 + 18] += 1e-3;
    m[0 * 20 + 18] += 1e-3;
    score_with(&cfg, m, &r);
    assert_true(isfinite(r.score60) && isfinite(r.score90));

    /* infinities are not rate maps */
    m[7] = INFINITY;
    cm_gridness_scorer *s;
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_OK);
    assert_int_equal(cm_gridness_score(s, m, NULL, &r, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "finite"));
    cm_gridness_scorer_free(s);
}

static void test_bad_config(void **state)
{
    (void)state;
    cm_gridness_config cfg;
    cm_gridness_scorer *s = (cm_gridness_scorer *)&cfg;
    cm_gridness_config_deepmind(&cfg, 0);
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_ERR_ARG);
    assert_null(s);
    assert_non_null(strstr(cm_errmsg(), "nbins"));
    cm_gridness_config_deepmind(&cfg, 20);
    cfg.n_masks = 0;
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_ERR_ARG);
    cm_gridness_config_deepmind(&cfg, 20);
    cfg.mask_max[3] = NAN;
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "mask 3"));
}

/* Same bits for 1 and 2 threads, float32 input equal to its float64 widening. */
static void test_batch_threads_and_f32(void **state)
{
    (void)state;
    enum { N = 24, B = 20 };
    double *maps = malloc(sizeof(double) * N * B * B);
    float *mapsf = malloc(sizeof(float) * N * B * B);
    cm_rng rng;
    cm_rng_seed(&rng, 5, 0);
    for (int k = 0; k < N; k++) {
        hex_map(maps + k * B * B, B, 2.2, cm_rng_uniform(&rng, 0.3, 0.9), cm_rng_uniform(&rng, 0, 1), 0, 0);
        for (int i = 0; i < B * B; i++) {
            maps[k * B * B + i] += 0.3 * cm_rng_normal(&rng);
            mapsf[k * B * B + i] = (float)maps[k * B * B + i];
        }
    }
    for (int i = 0; i < N * B * B; i++)
        maps[i] = (double)mapsf[i];
    cm_gridness_config cfg;
    cm_gridness_config_deepmind(&cfg, B);
    cm_gridness_scorer *s;
    assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_OK);
    cm_gridness_result r1[N], r2[N], rf[N];
    cm_set_threads(1);
    assert_int_equal(cm_gridness_score_batch(s, maps, 0, N, r1, NULL), CM_OK);
    cm_set_threads(2);
    assert_int_equal(cm_gridness_score_batch(s, maps, 0, N, r2, NULL), CM_OK);
    assert_int_equal(cm_gridness_score_batch(s, mapsf, 1, N, rf, NULL), CM_OK);
    assert_memory_equal(r1, r2, sizeof r1);
    assert_memory_equal(r1, rf, sizeof r1);
    /* a bad map is reported by index whatever the thread count */
    maps[5 * B * B + 3] = -INFINITY;
    assert_int_equal(cm_gridness_score_batch(s, maps, 0, N, r2, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "map 5"));
    cm_gridness_scorer_free(s);
    free(maps);
    free(mapsf);
}

/* BNT / opexebo variant: a clean grid scores in the literature's "good grid" range, noise and
 * degenerate maps do not, nothing crashes. */
static void test_bnt(void **state)
{
    (void)state;
    double m[40 * 40];
    cm_bnt_gridness g;
    hex_map(m, 40, 15.0, 5.0, 0.2, 0.3, 0.7);
    assert_int_equal(cm_gridness_bnt(m, 40, 40, &g), CM_OK);
    assert_true(g.score > 1.0 && g.score <= 2.0);
    assert_true(g.central_radius >= 2);
    assert_true(fabs(g.spacing - 5.0 / (15.0 / 40.0)) < 1.5);

    square_map(m, 40, 15.0, 5.0);
    cm_bnt_gridness sq;
    assert_int_equal(cm_gridness_bnt(m, 40, 40, &sq), CM_OK);
    assert_true(isnan(sq.score) || sq.score < 0.3);

    cm_mt19937 mt;
    cm_mt_seed(&mt, 0);
    for (int i = 0; i < 1600; i++)
        m[i] = cm_mt_random_sample(&mt);
    assert_int_equal(cm_gridness_bnt(m, 40, 40, &g), CM_OK);
    assert_true(isnan(g.score) || g.score < 0.5);

    for (int i = 0; i < 1600; i++)
        m[i] = NAN;
    assert_int_equal(cm_gridness_bnt(m, 40, 40, &g), CM_OK);
    assert_true(isnan(g.score));
    const double one = 3.0;
    assert_int_equal(cm_gridness_bnt(&one, 1, 1, &g), CM_OK);
    assert_true(isnan(g.score));
    assert_int_equal(cm_gridness_bnt(m, 0, 40, &g), CM_ERR_ARG);
    m[3] = INFINITY;
    assert_int_equal(cm_gridness_bnt(m, 40, 40, &g), CM_ERR_ARG);
}

/* -------------------------------------------------- against live scipy */

typedef struct group {
    const char *name;
    int n;
    int ssmpc;
    int minmax;
    int count;
    double *maps;
} group;

static void fill_map(double *m, int n, int kind, cm_rng *rng)
{
    const int nn = n * n;
    switch (kind % 13) {
    case 0: case 1: case 2: /* hexagonal grids, any period, phase and offset */
        hex_map(m, n, 1.0, cm_rng_uniform(rng, 0.15, 0.6), cm_rng_uniform(rng, 0, M_PI), cm_rng_double(rng),
                cm_rng_double(rng));
        break;
    case 3: /* noisy grid */
        hex_map(m, n, 1.0, cm_rng_uniform(rng, 0.15, 0.6), cm_rng_uniform(rng, 0, M_PI), 0.2, 0.1);
        for (int i = 0; i < nn; i++)
            m[i] += cm_rng_normal(rng);
        break;
    case 4: /* grid with NaN holes */
        hex_map(m, n, 1.0, cm_rng_uniform(rng, 0.15, 0.6), cm_rng_uniform(rng, 0, M_PI), 0.5, 0.5);
        for (int i = 0; i < nn; i++)
            if (cm_rng_double(rng) < 0.3)
                m[i] = NAN;
        break;
    case 5: /* square grid */
        square_map(m, n, 1.0, cm_rng_uniform(rng, 0.2, 0.5));
        break;
    case 6: /* uniform noise */
        for (int i = 0; i < nn; i++)
            m[i] = cm_rng_double(rng);
        break;
    case 7: /* a NaN block, rates >= 0 elsewhere (a ReLU unit in a box with a wall) */
        hex_map(m, n, 1.0, 0.35, 0.3, 0, 0);
        for (int i = 0; i < nn; i++) {
            m[i] = m[i] > 0 ? m[i] : 0;
            if (i / n < n / 3 && i % n < n / 2)
                m[i] = NAN;
        }
        break;
    case 8: { /* flat, with a constant picked to produce rounding noise */
        const double c[6] = {0.1, 0.3, 2.7, 1e-3, -0.7, 5.0};
        for (int i = 0; i < nn; i++)
            m[i] = c[(kind / 12) % 6];
        break;
    }
    case 9: /* quantised: many equal neighbours, constant windows at the edges */
        for (int i = 0; i < nn; i++)
            m[i] = floor(cm_rng_double(rng) * 3) / 3;
        break;
    case 10: /* one visited bin, or all NaN */
        for (int i = 0; i < nn; i++)
            m[i] = NAN;
        if ((kind / 12) % 2 == 0)
            m[cm_rng_below(rng, (uint64_t)nn)] = cm_rng_uniform(rng, 0.1, 3);
        break;
    case 11: /* noise with equal neighbours at three corners (often NaN in DeepMind's scorer) */
        for (int i = 0; i < nn; i++)
            m[i] = cm_rng_double(rng);
        m[1] = m[0];
        m[nn - 2] = m[nn - 1];
        m[n - 2] = m[n - 1];
        break;
    default: /* constant stripes at the edge beside a grid */
        hex_map(m, n, 1.0, 0.3, 1.1, 0, 0);
        for (int i = 0; i < nn; i++)
            if (i % n < 3)
                m[i] = 0.4;
        break;
    }
}

static void write_doubles(const char *path, const double *v, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(v, sizeof(double), n, f), n);
    fclose(f);
}

static double *read_doubles(const char *path, size_t n)
{
    double *v = malloc(sizeof(double) * (n ? n : 1));
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fread(v, sizeof(double), n, f), n);
    fclose(f);
    return v;
}

static int same(double a, double b, double tol)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return fabs(a - b) <= tol;
}

static void test_against_scipy(void **state)
{
    (void)state;
    const char *python = cmt_python_with("numpy scipy");
    if (!python)
        skip();
    const char *dir = cmt_tmpdir();
    char path[4096];
    cm_rng rng;
    cm_rng_seed(&rng, 2026, 0);
    group groups[] = {
        {"dm20", 20, 0, 0, 192, NULL}, {"dm20mm", 20, 0, 1, 36, NULL}, {"ssm40", 40, 1, 0, 36, NULL},
        {"dm7", 7, 0, 0, 24, NULL},    {"dm3", 3, 0, 0, 24, NULL},     {"dm2", 2, 0, 0, 12, NULL},
    };
    const int ng = (int)(sizeof groups / sizeof groups[0]);
    snprintf(path, sizeof path, "%s/manifest.txt", dir);
    FILE *man = fopen(path, "w");
    assert_non_null(man);
    for (int g = 0; g < ng; g++) {
        group *gr = &groups[g];
        const size_t nn = (size_t)gr->n * gr->n;
        gr->maps = malloc(sizeof(double) * nn * gr->count);
        for (int k = 0; k < gr->count; k++)
            fill_map(gr->maps + nn * k, gr->n, k, &rng);
        snprintf(path, sizeof path, "%s/%s.bin", dir, gr->name);
        write_doubles(path, gr->maps, nn * gr->count);
        fprintf(man, "%s %d %s %d %d\n", gr->name, gr->n, gr->ssmpc ? "ssmpc" : "deepmind", gr->minmax, gr->count);
    }
    fclose(man);

    /* rotations of random arrays, square and not, table angles and others */
    const int rh[] = {39, 39, 7, 11, 1, 2, 79}, rw[] = {39, 39, 11, 7, 5, 2, 79};
    const double rang[] = {30, 17.5, -33, 200, 90, 45, 135};
    const int nr = 7;
    size_t rot_total = 0;
    for (int i = 0; i < nr; i++)
        rot_total += (size_t)rh[i] * rw[i];
    double *rin = malloc(sizeof(double) * rot_total);
    for (size_t i = 0; i < rot_total; i++)
        rin[i] = cm_rng_normal(&rng);
    snprintf(path, sizeof path, "%s/rot_in.bin", dir);
    write_doubles(path, rin, rot_total);
    snprintf(path, sizeof path, "%s/rot.txt", dir);
    FILE *rt = fopen(path, "w");
    for (int i = 0; i < nr; i++)
        fprintf(rt, "%d %d %.17g\n", rh[i], rw[i], rang[i]);
    fclose(rt);

    const char *src = getenv("COGMAP_SOURCE_DIR");
    assert_non_null(src);
    assert_int_equal(cmt_system("%s %s/tests/gridness_ref_driver.py %s %s", python, src, src, dir), 0);

    /* rotations: scipy 1.10's rotate, to the last bits or nearly */
    snprintf(path, sizeof path, "%s/rot_out.bin", dir);
    double *rref = read_doubles(path, rot_total);
    size_t at = 0;
    for (int i = 0; i < nr; i++) {
        const size_t sz = (size_t)rh[i] * rw[i];
        double *out = malloc(sizeof(double) * sz);
        assert_int_equal(cm_spline_rotate(rin + at, rh[i], rw[i], rang[i], out, NULL), CM_OK);
        double worst = 0;
        for (size_t k = 0; k < sz; k++)
            worst = fmax(worst, fabs(out[k] - rref[at + k]));
        if (worst > 1e-12)
            fail_msg("rotation %d x %d by %g: max diff %g", rh[i], rw[i], rang[i], worst);
        free(out);
        at += sz;
    }
    free(rin);
    free(rref);

    int checked = 0;
    for (int g = 0; g < ng; g++) {
        group *gr = &groups[g];
        const size_t sn2 = (size_t)(2 * gr->n - 1) * (2 * gr->n - 1);
        cm_gridness_config cfg;
        if (gr->ssmpc)
            cm_gridness_config_ssmpc(&cfg, gr->n);
        else
            cm_gridness_config_deepmind(&cfg, gr->n);
        cfg.min_max = gr->minmax;
        cm_gridness_scorer *s;
        assert_int_equal(cm_gridness_scorer_create(&cfg, &s), CM_OK);
        cm_gridness_result *res = malloc(sizeof *res * gr->count);
        double *sacs = malloc(sizeof(double) * sn2 * gr->count);
        assert_int_equal(cm_gridness_score_batch(s, gr->maps, 0, gr->count, res, sacs), CM_OK);
        snprintf(path, sizeof path, "%s/%s.out", dir, gr->name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        for (int k = 0; k < gr->count; k++) {
            double r60, r90;
            int i60, i90;
            assert_int_equal(fscanf(f, "%lf %lf %d %d", &r60, &r90, &i60, &i90), 4);
            if (!same(res[k].score60, r60, 1e-3) || !same(res[k].score90, r90, 1e-3))
                fail_msg("%s map %d (kind %d): cogmap %.9g %.9g, reference %.9g %.9g", gr->name, k, k % 13,
                         res[k].score60, res[k].score90, r60, r90);
            /* the best mask agrees unless two masks tie to within the tolerance */
            checked++;
        }
        fclose(f);
        if (strcmp(gr->name, "dm20") == 0) {
            /* the SAC: the same sums, in scipy's order wherever a window is constant (there the
             * +-DBL_MAX entries must match exactly); elsewhere the order differs and a window
             * whose spread is small next to its mean feels it in the last digits, and numpy's
             * power(x, 0.5) may use SVML and differ from sqrt by an ulp */
            snprintf(path, sizeof path, "%s/sac20.bin", dir);
            double *ref = read_doubles(path, sn2 * gr->count);
            for (size_t i = 0; i < sn2 * gr->count; i++) {
                const double a = sacs[i], b = ref[i];
                const int huge = fabs(b) == DBL_MAX;
                if (huge ? a != b : !(fabs(a - b) <= 1e-9 * fmax(1.0, fabs(b))))
                    fail_msg("SAC map %zu pixel %zu: cogmap %.17g, reference %.17g", i / sn2, i % sn2, a, b);
            }
            free(ref);
        }
        free(res);
        free(sacs);
        free(gr->maps);
        cm_gridness_scorer_free(s);
    }
    assert_int_equal(checked, 192 + 36 + 36 + 24 + 24 + 12);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spec_vectors_ssmpc), cmocka_unit_test(test_masks_and_minmax),
        cmocka_unit_test(test_degenerate_maps),    cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_batch_threads_and_f32), cmocka_unit_test(test_bnt),
        cmocka_unit_test(test_against_scipy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
