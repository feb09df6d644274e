/* Random numbers: MT19937 against numpy's RandomState, xoshiro's streams. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reference values printed by numpy 1.24 (RandomState, legacy seeding). */
static void test_mt_seeding_matches_numpy(void **state)
{
    (void)state;
    cm_mt19937 mt;
    cm_mt_seed(&mt, 42);
    assert_int_equal(mt.key[0], 42u);
    assert_int_equal(mt.key[1], 3107752595u);
    assert_int_equal(mt.key[2], 1895908407u);
    assert_int_equal(mt.key[623], 26719530u);
}

static void test_mt_random_sample_uniform_normal(void **state)
{
    (void)state;
    cm_mt19937 mt;
    const double rs42[] = {0.3745401188473625, 0.9507143064099162, 0.7319939418114051};
    cm_mt_seed(&mt, 42);
    for (int i = 0; i < 3; i++)
        assert_true(cm_mt_random_sample(&mt) == rs42[i]);

    const double n123[] = {-1.0856306033005612, 0.9973454465835858, 0.28297849805199204, -1.506294713918092,
                           -0.5786002519685364};
    cm_mt_seed(&mt, 123);
    for (int i = 0; i < 5; i++)
        assert_true(fabs(cm_mt_normal(&mt, 0.0, 1.0) - n123[i]) < 1e-15);

    const double u7[] = {-1.618458553130214, 1.8995939612005732, 0.1920461572044676, 1.617325889154706};
    cm_mt_seed(&mt, 7);
    for (int i = 0; i < 4; i++)
        assert_true(fabs(cm_mt_uniform(&mt, -2.0, 3.0) - u7[i]) < 1e-15);

    /* Past the first regeneration of the 624-word state. */
    const double n0[] = {-1.059378346408479, 0.32913759144445476, 0.9767091085781986};
    cm_mt_seed(&mt, 0);
    for (int i = 0; i < 700; i++)
        cm_mt_random_sample(&mt);
    for (int i = 0; i < 3; i++)
        assert_true(fabs(cm_mt_normal(&mt, 1.5, 2.0) - n0[i]) < 1e-14);
}

/* The specs' test vectors: SSM-PC's place-cell and head-direction centres. */
static int read_values(const char *path, double *v, int max)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#')
            continue;
        char *p = line, *end;
        for (;;) {
            double x = strtod(p, &end);
            if (end == p)
                break;
            assert_true(n < max);
            v[n++] = x;
            p = end;
        }
    }
    fclose(f);
    return n;
}

static void test_mt_ssmpc_centres(void **state)
{
    (void)state;
    static double expect[512];
    cm_mt19937 mt;

    int n = read_values(cmt_data_path("place_cell_centres_seed42.txt"), expect, 512);
    assert_int_equal(n, 512);
    cm_mt_seed(&mt, 42);
    for (int i = 0; i < n; i++) {
        float got = (float)cm_mt_uniform(&mt, 0.0, 15.0);
        assert_true(fabs(got - expect[i]) < 5e-7 * 15);
    }

    n = read_values(cmt_data_path("hd_cell_centres_seed42.txt"), expect, 512);
    assert_int_equal(n, 12);
    cm_mt_seed(&mt, 42);
    for (int i = 0; i < n; i++) {
        float got = (float)cm_mt_uniform(&mt, -M_PI, M_PI);
        assert_true(fabs(got - expect[i]) < 1e-6);
    }
}

/* numpy itself, when the Debian python3-numpy is there: 2000 normals across
 * several regenerations, interleaved with uniforms (the cached gauss). */
static void test_mt_against_live_numpy(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy");
    if (!py)
        skip();
    const char *dir = cmt_tmpdir();
    FILE *f = cmt_python_output(py, dir,
                                "import sys\n"
                                "import numpy as np\n"
                                "r = np.random.RandomState(2024)\n"
                                "v = []\n"
                                "for i in range(1000): v.append(r.normal(0.5, 3.0)); v.append(r.uniform(-1, 1))\n"
                                "open(sys.argv[1], 'w').write('\\n'.join(repr(float(x)) for x in v))\n");
    cm_mt19937 mt;
    cm_mt_seed(&mt, 2024);
    for (int i = 0; i < 1000; i++) {
        double a, b;
        assert_int_equal(fscanf(f, "%lf %lf", &a, &b), 2);
        assert_true(fabs(cm_mt_normal(&mt, 0.5, 3.0) - a) < 1e-12);
        assert_true(cm_mt_uniform(&mt, -1.0, 1.0) == b);
    }
    fclose(f);
    cmt_tmpdir_remove(dir);
}

static void test_rng_deterministic_and_streams_differ(void **state)
{
    (void)state;
    cm_rng a, b, c;
    cm_rng_seed(&a, 7, 0);
    cm_rng_seed(&b, 7, 0);
    cm_rng_seed(&c, 7, 1);
    int same_ab = 0, same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = cm_rng_u64(&a), y = cm_rng_u64(&b), z = cm_rng_u64(&c);
        same_ab += x == y;
        same_ac += x == z;
    }
    assert_int_equal(same_ab, 1000);
    assert_int_equal(same_ac, 0);
}

static void test_rng_distributions(void **state)
{
    (void)state;
    cm_rng r;
    cm_rng_seed(&r, 1, 2);
    const int n = 200000;
    double sum = 0, sum2 = 0, usum = 0, rsum = 0;
    int counts[7] = {0};
    for (int i = 0; i < n; i++) {
        double g = cm_rng_normal(&r);
        sum += g;
        sum2 += g * g;
        double u = cm_rng_double(&r);
        assert_true(u >= 0.0 && u < 1.0);
        usum += u;
        uint64_t k = cm_rng_below(&r, 7);
        assert_true(k < 7);
        counts[k]++;
        rsum += cm_rng_rayleigh(&r, 0.13);
    }
    assert_true(fabs(sum / n) < 0.01);
    assert_true(fabs(sum2 / n - 1.0) < 0.02);
    assert_true(fabs(usum / n - 0.5) < 0.005);
    for (int k = 0; k < 7; k++)
        assert_true(abs(counts[k] - n / 7) < n / 7 / 20);
    /* Rayleigh mean is sigma * sqrt(pi / 2). */
    assert_true(fabs(rsum / n - 0.13 * sqrt(M_PI / 2)) < 0.002);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mt_seeding_matches_numpy),
        cmocka_unit_test(test_mt_random_sample_uniform_normal),
        cmocka_unit_test(test_mt_ssmpc_centres),
        cmocka_unit_test(test_mt_against_live_numpy),
        cmocka_unit_test(test_rng_deterministic_and_streams_differ),
        cmocka_unit_test(test_rng_distributions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
