/* Place and head-direction target codes against the specs' test vectors. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/cells.h"

static void top3(const float *v, int n, int idx[3])
{
    for (int k = 0; k < 3; k++) {
        idx[k] = -1;
        for (int i = 0; i < n; i++) {
            if ((k > 0 && i == idx[0]) || (k > 1 && i == idx[1]))
                continue;
            if (idx[k] < 0 || v[i] > v[idx[k]])
                idx[k] = i;
        }
    }
}

/* ssm-pc.md §4.1: first centres, and the top-3 activations at (7.5, 7.5). */
static void test_ssmpc_place_cells(void **state)
{
    (void)state;
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_preset(&pc, "ssmpc"), CM_OK);
    assert_int_equal(pc.n, 256);
    assert_float_equal(pc.centres[0], 5.61810160f, 1e-6);
    assert_float_equal(pc.centres[1], 14.26071453f, 1e-6);
    assert_float_equal(pc.centres[8], 9.01672554f, 1e-6);
    assert_float_equal(pc.centres[9], 10.62108898f, 1e-6);

    float pos[2] = {7.5f, 7.5f}, act[256];
    cm_place_cells_activate(&pc, pos, 1, act);
    int idx[3];
    top3(act, 256, idx);
    assert_int_equal(idx[0], 137);
    assert_int_equal(idx[1], 170);
    assert_int_equal(idx[2], 143);
    assert_float_equal(act[137], 0.421579f, 2e-6);
    assert_float_equal(act[170], 0.315644f, 2e-6);
    assert_float_equal(act[143], 0.115816f, 2e-6);
    double sum = 0;
    for (int i = 0; i < 256; i++)
        sum += act[i];
    assert_float_equal(sum, 1.0, 1e-5);

    /* Decoding the log of the code recovers a nearby position. */
    float logits[256], decoded[2];
    for (int i = 0; i < 256; i++)
        logits[i] = logf(act[i] + 1e-30f);
    cm_place_cells_decode(&pc, logits, 1, 0, decoded);
    assert_true(hypotf(decoded[0] - 7.5f, decoded[1] - 7.5f) < 0.5f);
    cm_place_cells_decode(&pc, logits, 1, 3, decoded);
    assert_true(hypotf(decoded[0] - 7.5f, decoded[1] - 7.5f) < 1.0f);
    cm_place_cells_free(&pc);
}

static void test_ssmpc_hd_cells(void **state)
{
    (void)state;
    const float centres[12] = {-0.78828770f, 2.83192158f, 1.45766091f, 0.61988956f, -2.16129851f, -2.16145015f,
                               -2.77664256f, 2.30075264f, 0.63532436f, 1.30735862f, -3.01225638f, 2.95253062f};
    cm_hd_cells hd;
    assert_int_equal(cm_hd_cells_create(&hd, 12, 20.0f, 42), CM_OK);
    for (int j = 0; j < 12; j++)
        assert_float_equal(hd.centres[j], centres[j], 2e-7);
    float theta = 0.0f, act[12];
    cm_hd_cells_activate(&hd, &theta, 1, act);
    int idx[3];
    top3(act, 12, idx);
    assert_int_equal(idx[0], 3);
    assert_int_equal(idx[1], 8);
    assert_int_equal(idx[2], 0);
    assert_float_equal(act[3], 0.513469f, 2e-6);
    assert_float_equal(act[8], 0.428343f, 2e-6);
    assert_float_equal(act[0], 0.058180f, 2e-6);

    float logits[12], decoded;
    for (int j = 0; j < 12; j++)
        logits[j] = logf(act[j]);
    cm_hd_cells_decode(&hd, logits, 1, &decoded);
    /* The population vector of this code, computed directly: with only 12
     * random centres it sits near cells 3 and 8 (~0.62 rad), not at 0. */
    double c = 0, sn = 0;
    for (int j = 0; j < 12; j++) {
        c += act[j] * cos(centres[j]);
        sn += act[j] * sin(centres[j]);
    }
    assert_float_equal(decoded, atan2(sn, c), 1e-5);
    assert_true(decoded > 0.55f && decoded < 0.66f);
    cm_hd_cells_free(&hd);
}

static void test_dog_is_a_distribution(void **state)
{
    (void)state;
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_preset(&pc, "sorscher"), CM_OK);
    assert_int_equal(pc.dog, 1);
    float pos[6] = {0.0f, 0.0f, 1.0f, -1.05f, -0.3f, 0.7f}, act[3 * 512];
    cm_place_cells_activate(&pc, pos, 3, act);
    for (int s = 0; s < 3; s++) {
        double sum = 0;
        float mn = INFINITY;
        for (int i = 0; i < 512; i++) {
            sum += act[s * 512 + i];
            mn = fminf(mn, act[s * 512 + i]);
        }
        assert_float_equal(sum, 1.0, 1e-5);
        assert_float_equal(mn, 0.0f, 1e-7); /* shifted so the minimum is zero */
    }
    cm_place_cells_free(&pc);
}

/* The DoG at a temperature: a distribution whose log-odds between any two
 * cells are the difference of their raw DoG values over the temperature (the
 * raw DoG recomputed here in double precision), so the read-out it trains
 * has the DoG itself as its ideal logits. How it fails: a min shift left in
 * (log-odds then follow log(DoG - min), not DoG), or the temperature applied
 * twice or not at all. */
static void test_dog_temperature_is_the_dog_as_logits(void **state)
{
    (void)state;
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_preset(&pc, "ssmpc"), CM_OK);
    pc.sigma = 0.75f;
    pc.dog = 1;
    pc.dog_temperature = 0.02f;
    const float pos[2] = {6.3f, 9.1f};
    float act[256];
    cm_place_cells_activate(&pc, pos, 1, act);
    double sum = 0, raw[256], zn = 0, zw = 0;
    for (int i = 0; i < 256; i++) {
        double dx = pos[0] - pc.centres[2 * i], dy = pos[1] - pc.centres[2 * i + 1], d2 = dx * dx + dy * dy;
        zn += exp(-d2 / (2 * 0.75 * 0.75));
        zw += exp(-d2 / (2 * 2 * 0.75 * 0.75));
        sum += act[i];
    }
    assert_float_equal(sum, 1.0, 1e-5);
    for (int i = 0; i < 256; i++) {
        double dx = pos[0] - pc.centres[2 * i], dy = pos[1] - pc.centres[2 * i + 1], d2 = dx * dx + dy * dy;
        raw[i] = exp(-d2 / (2 * 0.75 * 0.75)) / zn - exp(-d2 / (2 * 2 * 0.75 * 0.75)) / zw;
    }
    int peak = 0;
    for (int i = 1; i < 256; i++)
        peak = raw[i] > raw[peak] ? i : peak;
    for (int i = 0; i < 256; i++) {
        double want = (raw[i] - raw[peak]) / 0.02, got = log(act[i]) - log(act[peak]);
        if (fabs(got - want) > 1e-3 * (1 + fabs(want)))
            fail_msg("cell %d: log-odds against the peak %g, expected %g", i, got, want);
    }
    /* The surround dips below the floor far away (raw DoG ~ 0 there): the
     * code keeps the DoG's negative ring, which a Gaussian code lacks. */
    int far = 0, low = 0;
    double far_d2 = 0;
    for (int i = 0; i < 256; i++) {
        double dx = pos[0] - pc.centres[2 * i], dy = pos[1] - pc.centres[2 * i + 1];
        if (dx * dx + dy * dy > far_d2) {
            far_d2 = dx * dx + dy * dy;
            far = i;
        }
        low = act[i] < act[low] ? i : low;
    }
    if (!(act[low] < 0.8f * act[far]))
        fail_msg("lowest cell %g, a far cell %g: no surround dip", act[low], act[far]);
    cm_place_cells_free(&pc);
}

/* Sorscher's centres and DoG code against numpy itself, when it is there. */
/* Tuning curves (cm_place_cells.tuning): each cell's own curve, 1 at its
 * centre for a Gaussian and 1 - 1/s for a DoG, whose spatial mean is zero;
 * away from the walls the DoG curve is Sorscher's difference of softmaxes up
 * to a scale. How it fails: a population normalisation left in (the curve
 * then depends on the other cells), the surround's weight or width not 1/s
 * and s (a non-zero mean), or the shift of Sorscher's code. */
static void test_tuning_curves(void **state)
{
    (void)state;
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_preset(&pc, "ssmpc"), CM_OK);
    pc.sigma = 0.75f;
    pc.tuning = 1;
    float act[256];
    /* At cell 17's centre: 1 (Gaussian), 1 - 1/2 (DoG, surround_scale 2). */
    for (int dog = 0; dog <= 1; dog++) {
        pc.dog = dog;
        cm_place_cells_activate(&pc, pc.centres + 2 * 17, 1, act);
        assert_float_equal(act[17], dog ? 0.5f : 1.0f, 1e-6f);
    }
    /* Cell 17's curve against the closed form along a line, and its spatial
     * mean over a plane (Riemann sum, the cell's centre moved to the origin):
     * zero for the DoG, 2 pi sigma^2 for the Gaussian. */
    cm_place_cells one = pc;
    float centre[2] = {0.0f, 0.0f};
    one.n = 1;
    one.centres = centre;
    const double h = 0.05, s2 = 0.75 * 0.75;
    for (int dog = 0; dog <= 1; dog++) {
        one.dog = dog;
        double integral = 0.0;
        for (int i = -160; i <= 160; i++)
            for (int j = -160; j <= 160; j++) {
                float p[2] = {(float)(i * h), (float)(j * h)}, v;
                cm_place_cells_activate(&one, p, 1, &v);
                integral += v * h * h;
                if (j == 0) {
                    double d2 = p[0] * p[0], want = exp(-d2 / (2 * s2)) - (dog ? exp(-d2 / (4 * s2)) / 2 : 0.0);
                    assert_float_equal(v, want, 1e-6);
                }
            }
        assert_float_equal(integral, dog ? 0.0 : 2 * M_PI * s2, 1e-3);
    }
    /* Away from the walls, Sorscher's difference of softmaxes (before its
     * shift) is the DoG curve times one constant: its ratio to the curve over
     * the cells where the curve is not small varies by under 10% (the random
     * centres make the two softmaxes' sums differ from 2 pi sigma^2 rho a little). */
    pc.dog = 1;
    const float pos[2] = {7.2f, 7.6f};
    cm_place_cells_activate(&pc, pos, 1, act);
    double zn = 0, zw = 0;
    for (int i = 0; i < 256; i++) {
        double dx = pos[0] - pc.centres[2 * i], dy = pos[1] - pc.centres[2 * i + 1], d2 = dx * dx + dy * dy;
        zn += exp(-d2 / (2 * s2));
        zw += exp(-d2 / (4 * s2));
    }
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < 256; i++) {
        double dx = pos[0] - pc.centres[2 * i], dy = pos[1] - pc.centres[2 * i + 1], d2 = dx * dx + dy * dy;
        double soft = exp(-d2 / (2 * s2)) / zn - exp(-d2 / (4 * s2)) / zw;
        if (fabs(act[i]) > 0.1) {
            lo = fmin(lo, soft / act[i]);
            hi = fmax(hi, soft / act[i]);
        }
    }
    if (!(lo > 0 && hi / lo < 1.1))
        fail_msg("difference of softmaxes over the tuning curve: %g..%g", lo, hi);
    cm_place_cells_free(&pc);
}

static void test_sorscher_against_numpy(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy");
    if (!py)
        skip();
    const char *dir = cmt_tmpdir();
    FILE *f = cmt_python_output(
        py, dir,
        "import sys\n"
        "import numpy as np\n"
        "np.random.seed(0)\n"
        "ux = np.random.uniform(-1.1, 1.1, (512,)); uy = np.random.uniform(-1.1, 1.1, (512,))\n"
        "us = np.stack([ux, uy], 1); p = np.array([0.2, -0.4]); d2 = ((p - us)**2).sum(1); s = 0.12\n"
        "sm = lambda l: np.exp(l - l.max()) / np.exp(l - l.max()).sum()\n"
        "o = sm(-d2 / (2*s*s)) - sm(-d2 / (2*2*s*s)); o = o + abs(o.min()); o = o / o.sum()\n"
        "open(sys.argv[1], 'w').write(' '.join(repr(float(v)) for v in np.concatenate([us.ravel(), o])))\n");
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_preset(&pc, "sorscher"), CM_OK);
    for (int i = 0; i < 1024; i++) {
        double v;
        assert_int_equal(fscanf(f, "%lf", &v), 1);
        assert_float_equal(pc.centres[i], (float)v, 1e-7);
    }
    float pos[2] = {0.2f, -0.4f}, act[512];
    cm_place_cells_activate(&pc, pos, 1, act);
    for (int i = 0; i < 512; i++) {
        double v;
        assert_int_equal(fscanf(f, "%lf", &v), 1);
        assert_true(fabs(act[i] - v) < 1e-6 + 1e-4 * fabs(v));
    }
    fclose(f);
    cm_place_cells_free(&pc);
    cmt_tmpdir_remove(dir);
}

/* The vectorised targets (place_cells_fast.c) against the reference in every
 * mode, on the ensembles grid runs train with: each value within 1e-5 of its
 * row's largest where the loops vectorise (measured: 3.5e-6 at most, at the
 * demo's temperature), 1e-4 in an unoptimised build whose float sums add in
 * order (measured 5.5e-5; place_cells_fast.c says why), rows that still sum
 * to 1, and the same bits whatever the thread count. */
#ifdef __OPTIMIZE__
#define FAST_TARGETS_TOLERANCE 1e-5f
#else
#define FAST_TARGETS_TOLERANCE 1e-4f
#endif
static void test_fast_targets_match_the_reference(void **state)
{
    (void)state;
    enum { R = 600 };
    struct {
        const char *preset;
        int count;
        float sigma, lo, hi;
    } ensembles[] = {{"ssmpc", 1024, 0.6f, 0.0f, 15.0f}, {"ssmpc", 256, 0.5f, 0.0f, 15.0f},
                     {"sorscher", 0, 0.12f, -1.1f, 1.1f}};
    for (size_t e = 0; e < sizeof ensembles / sizeof ensembles[0]; e++)
        for (int mode = 0; mode < 5; mode++) {
            cm_place_cells pc;
            assert_int_equal(cm_place_cells_preset_sized(&pc, ensembles[e].preset, 1.0f, ensembles[e].count), CM_OK);
            pc.sigma = ensembles[e].sigma;
            /* 0 softmax, 1 DoG, 2 DoG at a temperature, 3 and 4 the Gaussian and DoG tuning curves */
            pc.dog = mode == 1 || mode == 2 || mode == 4;
            pc.dog_temperature = mode == 2 ? 0.0062f : 0.0f;
            pc.tuning = mode >= 3;
            const int n = pc.n;
            float *pos = malloc(2 * R * sizeof(float)), *ref = malloc((size_t)R * n * sizeof(float)),
                  *fast = malloc((size_t)R * n * sizeof(float)), *one = malloc((size_t)R * n * sizeof(float));
            assert_non_null(pos);
            assert_non_null(ref);
            assert_non_null(fast);
            assert_non_null(one);
            cm_rng rng;
            cm_rng_seed(&rng, 7, e);
            for (int i = 0; i < 2 * R; i++)
                pos[i] = (float)cm_rng_uniform(&rng, ensembles[e].lo, ensembles[e].hi);
            cm_place_cells_activate(&pc, pos, R, ref);
            cm_set_threads(2);
            cm_place_cells_activate_fast(&pc, pos, R, fast);
            cm_set_threads(1);
            cm_place_cells_activate_fast(&pc, pos, R, one);
            cm_set_threads(0);
            assert_memory_equal(fast, one, (size_t)R * n * sizeof(float));
            for (int r = 0; r < R; r++) {
                const float *a = ref + (size_t)r * n, *b = fast + (size_t)r * n;
                float top = 0.0f;
                double sum = 0.0;
                for (int i = 0; i < n; i++) {
                    top = fmaxf(top, fabsf(a[i]));
                    sum += b[i];
                }
                for (int i = 0; i < n; i++)
                    if (!(fabsf(a[i] - b[i]) <= FAST_TARGETS_TOLERANCE * top + 1e-30f))
                        fail_msg("%s %d cells, mode %d, row %d, cell %d: reference %g, fast %g", ensembles[e].preset,
                                 n, mode, r, i, a[i], b[i]);
                if (!pc.tuning)
                    assert_float_equal(sum, 1.0, 1e-4);
            }
            free(pos);
            free(ref);
            free(fast);
            free(one);
            cm_place_cells_free(&pc);
        }
}

/* A DoG far narrower than the cells' spacing vanishes up to denormals: on a
 * centre 0.195 m from the only other one, at width 0.01 m, the other cell's
 * surround is exp(-95) (a denormal) and everything else rounds to 0 or 1, so
 * the shifted row sums to about 1e-41 and 1 / total overflows. Both paths
 * give a zero row there, not inf. */
static void test_degenerate_dog_stays_finite(void **state)
{
    (void)state;
    cm_place_cells pc;
    assert_int_equal(cm_place_cells_create(&pc, 2, 0.01f, 0.0f, 1.0f, 1, CM_CENTRES_PAIRS), CM_OK);
    pc.dog = 1;
    const float centres[4] = {0.5f, 0.5f, 0.695f, 0.5f}, pos[4] = {0.5f, 0.5f, 0.6f, 0.5f};
    memcpy(pc.centres, centres, sizeof centres);
    float ref[4], fast[4];
    cm_place_cells_activate(&pc, pos, 2, ref);
    cm_place_cells_activate_fast(&pc, pos, 2, fast);
    for (int i = 0; i < 2; i++) /* plain compares: cmocka's float compare passes inf against 0 */
        assert_true(ref[i] == 0.0f && fast[i] == 0.0f);
    /* Between the two centres the DoG has a shape again: a distribution. */
    assert_float_equal(ref[2] + ref[3], 1.0f, 1e-6f);
    assert_float_equal(fast[2] + fast[3], 1.0f, 1e-5f);
    cm_place_cells_free(&pc);
}

static void test_bad_parameters(void **state)
{
    (void)state;
    cm_place_cells pc;
    cm_hd_cells hd;
    assert_int_equal(cm_place_cells_preset(&pc, "nope"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "nope"));
    assert_int_equal(cm_place_cells_create(&pc, 0, 0.5f, 0, 15, 1, CM_CENTRES_PAIRS), CM_ERR_ARG);
    assert_int_equal(cm_place_cells_create(&pc, 10, -1.0f, 0, 15, 1, CM_CENTRES_PAIRS), CM_ERR_ARG);
    assert_int_equal(cm_place_cells_create(&pc, 10, NAN, 0, 15, 1, CM_CENTRES_PAIRS), CM_ERR_ARG);
    assert_int_equal(cm_place_cells_create(&pc, 10, 0.5f, 3, 3, 1, CM_CENTRES_PAIRS), CM_ERR_ARG);
    assert_int_equal(cm_hd_cells_create(&hd, -2, 20.0f, 1), CM_ERR_ARG);
    assert_int_equal(cm_hd_cells_create(&hd, 12, INFINITY, 1), CM_ERR_ARG);
    cm_place_cells_free(&pc); /* safe after a failed create */
    cm_hd_cells_free(&hd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ssmpc_place_cells),   cmocka_unit_test(test_ssmpc_hd_cells),
        cmocka_unit_test(test_dog_is_a_distribution),
        cmocka_unit_test(test_dog_temperature_is_the_dog_as_logits), cmocka_unit_test(test_tuning_curves),
        cmocka_unit_test(test_sorscher_against_numpy),
        cmocka_unit_test(test_fast_targets_match_the_reference), cmocka_unit_test(test_degenerate_dog_stays_finite),
        cmocka_unit_test(test_bad_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
