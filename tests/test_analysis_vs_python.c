/* cogmap's classification against the Python reference (bench/classify_ref.py,
 * SMP's algorithms in numpy/scipy) on the same synthetic data: every exact
 * score equal to rounding, shuffle thresholds within sampling spread. Also
 * the synthetic classification of smp.md §10: HD, ego- and allo-BVC units
 * are recognised as such. Skipped without numpy/scipy. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/analysis.h"

static const char *tmp;
static int64_t N;
static int U, R;
static double *pos, *hd;
static float *dist, *act;
static cm_classify_result res, res32;
static const int shuffles = 100;

static void *read_raw(const char *dir, const char *name, size_t bytes)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    void *p = malloc(bytes ? bytes : 1);
    size_t got = fread(p, 1, bytes, f);
    fclose(f);
    if (got != bytes) {
        free(p);
        return NULL;
    }
    return p;
}

static int setup(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy scipy");
    if (!py)
        return 0;
    tmp = cmt_tmpdir();
    const char *src = getenv("COGMAP_SOURCE_DIR");
    if (cmt_system("%s %s/bench/classify_ref.py generate --out %s --trajectories 16 --steps 400 --seed 3", py, src,
                   tmp) != 0)
        return -1;
    if (cmt_system("%s %s/bench/classify_ref.py classify --in %s --out %s/py --shuffles %d --seed 5 >/dev/null", py,
                   src, tmp, tmp, shuffles) != 0)
        return -1;
    /* The same with positions and headings as float32, as SMP's data are. */
    if (cmt_system("%s %s/bench/classify_ref.py classify --in %s --out %s/py32 --shuffles 5 --f32 >/dev/null", py, src,
                   tmp, tmp) != 0)
        return -1;
    char meta[4096];
    snprintf(meta, sizeof meta, "%s/meta.txt", tmp);
    FILE *f = fopen(meta, "r");
    long long n;
    if (!f || fscanf(f, "%lld %d %d", &n, &U, &R) != 3)
        return -1;
    fclose(f);
    N = n;
    pos = read_raw(tmp, "pos.f64", sizeof(double) * 2 * N);
    hd = read_raw(tmp, "hd.f64", sizeof(double) * N);
    dist = read_raw(tmp, "dist.f32", sizeof(float) * N * R);
    act = read_raw(tmp, "act.f32", sizeof(float) * N * U);
    if (!pos || !hd || !dist || !act)
        return -1;
    cm_classify_opts o;
    cm_classify_defaults(&o);
    o.n_shuffles = shuffles;
    o.seed = 11;
    if (cm_classify_units(pos, hd, dist, R, act, N, U, &o, NULL, &res) != CM_OK)
        return -1;
    o.n_shuffles = 5;
    o.f32 = 1;
    return cm_classify_units(pos, hd, dist, R, act, N, U, &o, NULL, &res32) == CM_OK ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    cm_classify_free(&res);
    cm_classify_free(&res32);
    free(pos);
    free(hd);
    free(dist);
    free(act);
    if (tmp)
        cmt_tmpdir_remove(tmp);
    return 0;
}

/* Largest difference between cogmap's values and the reference's, NaN
 * matching NaN. */
static const char *refdir = "py";

static double compare(const char *name, const double *ours, size_t count)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", tmp, refdir);
    double *ref = read_raw(dir, name, sizeof(double) * count);
    assert_non_null(ref);
    double worst = 0;
    for (size_t i = 0; i < count; i++) {
        if (isnan(ref[i]) || isnan(ours[i])) {
            if (!(isnan(ref[i]) && isnan(ours[i]))) {
                print_error("%s[%zu]: cogmap %g, python %g\n", name, i, ours[i], ref[i]);
                worst = INFINITY;
            }
            continue;
        }
        double d = fabs(ref[i] - ours[i]);
        if (d > 1e-12 && worst <= 1e-12)
            print_error("%s[%zu]: cogmap %.17g, python %.17g\n", name, i, ours[i], ref[i]);
        if (d > worst)
            worst = d;
    }
    free(ref);
    return worst;
}

#define SKIP_WITHOUT_PYTHON()                                                                                         \
    do {                                                                                                              \
        if (!tmp)                                                                                                     \
            skip();                                                                                                   \
    } while (0)

static void test_exact_scores(void **state)
{
    (void)state;
    SKIP_WITHOUT_PYTHON();
    size_t u = (size_t)U, cells = (size_t)res.n_dist * R, nb = (size_t)res.nx * res.ny;
    assert_true(compare("hd_maps.f64", res.hd_maps, u * 20) < 1e-12);
    assert_true(compare("hd_score.f64", res.hd_score, u) < 1e-12);
    assert_true(compare("hd_angle.f64", res.hd_angle, u) < 1e-10);
    assert_true(compare("ego_maps.f64", res.ego_maps, u * cells) < 1e-12);
    assert_true(compare("allo_maps.f64", res.allo_maps, u * cells) < 1e-12);
    assert_true(compare("ego_score.f64", res.ego_score, u) < 1e-12);
    assert_true(compare("allo_score.f64", res.allo_score, u) < 1e-12);
    assert_true(compare("ego_angle.f64", res.ego_angle, u) < 1e-10);
    assert_true(compare("allo_angle.f64", res.allo_angle, u) < 1e-10);
    assert_true(compare("ego_dist.f64", res.ego_dist, u) == 0);
    assert_true(compare("allo_dist.f64", res.allo_dist, u) == 0);
    assert_true(compare("maps.f64", res.maps, u * nb) < 1e-12);
    assert_true(compare("octants.f64", res.octants, u * nb * 8) < 1e-12);
    assert_true(compare("stability.f64", res.stability, u) < 1e-10);
}

static void test_exact_scores_float32_inputs(void **state)
{
    (void)state;
    SKIP_WITHOUT_PYTHON();
    /* numpy/scipy on float32 positions and headings: edges cast to float32,
     * the heading wrap, octants and ego shifts in float32. */
    refdir = "py32";
    const cm_classify_result *r = &res32;
    size_t u = (size_t)U, cells = (size_t)r->n_dist * R, nb = (size_t)r->nx * r->ny;
    assert_true(compare("hd_maps.f64", r->hd_maps, u * 20) < 1e-12);
    assert_true(compare("hd_score.f64", r->hd_score, u) < 1e-12);
    assert_true(compare("ego_maps.f64", r->ego_maps, u * cells) < 1e-12);
    assert_true(compare("allo_maps.f64", r->allo_maps, u * cells) < 1e-12);
    assert_true(compare("ego_dist.f64", r->ego_dist, u) == 0);
    assert_true(compare("maps.f64", r->maps, u * nb) < 1e-12);
    assert_true(compare("octants.f64", r->octants, u * nb * 8) < 1e-12);
    assert_true(compare("stability.f64", r->stability, u) < 1e-10);
    refdir = "py";
}

static void test_deepmind_fixed_range_maps(void **state)
{
    (void)state;
    SKIP_WITHOUT_PYTHON();
    /* scipy's binned_statistic_2d(bins=20, range=((-1.1, 1.1),)*2) for the
     * first 16 units. The walk is clipped to +-1.1 and stored as float32, so
     * many samples sit at 1.1000000238 > 1.1: scipy's rounding test puts them
     * in the last bin, and so must cogmap. */
    double e[21];
    cm_linspace(-1.1, 1.1, 21, e);
    cm_grid2 g = {20, 20, e, e};
    int64_t on_edge = 0;
    for (int64_t t = 0; t < N; t++)
        on_edge += pos[2 * t] > 1.1 || pos[2 * t + 1] > 1.1;
    assert_true(on_edge > 0);
    float *sub = malloc(sizeof(float) * (size_t)N * 16);
    for (int64_t t = 0; t < N; t++)
        memcpy(sub + t * 16, act + t * U, sizeof(float) * 16);
    double *maps = malloc(sizeof(double) * 16 * 400);
    assert_int_equal(cm_ratemaps(&g, pos, NULL, sub, N, 16, maps, NULL, NULL, 0), CM_OK);
    assert_true(compare("dm_maps.f64", maps, 16 * 400) < 1e-12);
    /* With float32 positions scipy compares against float32 edges: other
     * samples change bins, and cogmap's f32 mode follows. */
    double *maps32 = malloc(sizeof(double) * 16 * 400);
    assert_int_equal(cm_ratemaps(&g, pos, NULL, sub, N, 16, maps32, NULL, NULL, 1), CM_OK);
    refdir = "py32";
    assert_true(compare("dm_maps.f64", maps32, 16 * 400) < 1e-12);
    refdir = "py";
    double differ = 0;
    for (int i = 0; i < 16 * 400; i++)
        if (isfinite(maps[i]) && isfinite(maps32[i]))
            differ = fmax(differ, fabs(maps[i] - maps32[i]));
    assert_true(differ > 1e-6); /* the two modes do differ on this data */
    free(maps32);
    free(sub);
    free(maps);
}

static void test_thresholds_within_spread(void **state)
{
    (void)state;
    SKIP_WITHOUT_PYTHON();
    /* Different random streams: the 99th percentile of 28,800 pooled
     * shuffles moves by about a percent between seeds. */
    const char *names[3] = {"hd_threshold.f64", "ego_threshold.f64", "allo_threshold.f64"};
    double ours[3] = {res.hd_threshold, res.ego_threshold, res.allo_threshold};
    for (int k = 0; k < 3; k++) {
        char dir[4096];
        snprintf(dir, sizeof dir, "%s/py", tmp);
        double *ref = read_raw(dir, names[k], sizeof(double));
        assert_non_null(ref);
        if (fabs(*ref - ours[k]) > 0.05 * *ref)
            print_error("%s: cogmap %.5f, python %.5f\n", names[k], ours[k], *ref);
        assert_true(fabs(*ref - ours[k]) <= 0.05 * *ref);
        free(ref);
    }
}

static void test_synthetic_classification(void **state)
{
    (void)state;
    SKIP_WITHOUT_PYTHON();
    /* smp.md §10 populations: 0-31 HD, 32-95 ego-BVC, 96-159 place-like,
     * 160-223 allo-BVC, 224-287 noise. */
    int hd_ok = 0, ego_ok = 0, allo_ok = 0, noise_hd = 0, noise_bvc = 0, ego_in_rnn3 = 0;
    for (int u = 0; u < 32; u++)
        hd_ok += res.is_hd[u];
    for (int u = 32; u < 96; u++)
        ego_ok += res.is_ego[u];
    for (int u = 160; u < 224; u++) {
        allo_ok += res.is_allo[u];
        ego_in_rnn3 += res.is_ego[u];
    }
    for (int u = 224; u < 288; u++) {
        noise_hd += res.is_hd[u];
        noise_bvc += res.is_ego[u] || res.is_allo[u];
    }
    print_message("HD %d/32, ego %d/64, allo %d/64 (ego among allo units %d), noise HD %d BVC %d; thresholds %.3f "
                  "%.3f %.3f\n",
                  hd_ok, ego_ok, allo_ok, ego_in_rnn3, noise_hd, noise_bvc, res.hd_threshold, res.ego_threshold,
                  res.allo_threshold);
    assert_int_equal(hd_ok, 32);
    assert_true(ego_ok >= 48);
    assert_true(allo_ok >= 48);
    assert_true(ego_in_rnn3 <= 4);
    assert_true(noise_hd <= 2 && noise_bvc <= 2);
    for (int u = 0; u < 32; u++)
        assert_int_equal(res.cls[u], CM_CELL_HD);
    /* Preferred HD of unit i is mu_i = -pi + 2 pi i / 32; SMP reports pi/2 - mu. */
    for (int u = 0; u < 32; u++) {
        double mu = -M_PI + 2 * M_PI * u / 32, want = M_PI / 2 - mu;
        double d = remainder(res.hd_angle[u] - want, 2 * M_PI);
        assert_true(fabs(d) < 0.1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exact_scores),
        cmocka_unit_test(test_exact_scores_float32_inputs),
        cmocka_unit_test(test_deepmind_fixed_range_maps),
        cmocka_unit_test(test_thresholds_within_spread),
        cmocka_unit_test(test_synthetic_classification),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
