/* Cell scores against the spec's test vectors (smp.md §10) and hand-made
 * cases: rate maps, resultant vector, ego rotation, BVC maps, shuffles,
 * stability, spatial information, border score, place fields. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/analysis.h"

static void test_smp_edges(void **state)
{
    (void)state;
    double e[32];
    /* 2.2 m: 16 bins, pad 0.02 of which each side gets half (SMP's quirk): +-1.11, width 0.13875. */
    int n = cm_smp_edges(-1.1, 1.1, 0.14, e, 32, 0);
    assert_int_equal(n, 16);
    assert_float_equal(e[0], -1.11, 1e-12);
    assert_float_equal(e[16], 1.11, 1e-12);
    assert_float_equal(e[1] - e[0], 0.13875, 1e-12);
    assert_int_equal(cm_smp_edges(0, 0, 0.14, e, 32, 0), -1); /* degenerate axis */
    assert_int_equal(cm_smp_edges(0, NAN, 0.14, e, 32, 0), -1);
    assert_int_equal(cm_smp_edges(0, 100, 0.14, e, 32, 0), -1); /* does not fit */
    double l[5];
    cm_linspace(-1, 1, 5, l);
    assert_true(l[0] == -1 && l[2] == 0 && l[4] == 1);
}

static void test_bin_index_scipy_rules(void **state)
{
    (void)state;
    double e[5];
    cm_linspace(0, 4, 5, e);
    assert_int_equal(cm_bin_index(e, 4, 0.0, 0), 0);
    assert_int_equal(cm_bin_index(e, 4, 0.999, 0), 0);
    assert_int_equal(cm_bin_index(e, 4, 1.0, 0), 1);  /* half-open */
    assert_int_equal(cm_bin_index(e, 4, 4.0, 0), 3);  /* the last edge is in */
    assert_int_equal(cm_bin_index(e, 4, 4.0 + 1e-9, 0), 3); /* within scipy's rounding */
    assert_int_equal(cm_bin_index(e, 4, 4.001, 0), -1);
    assert_int_equal(cm_bin_index(e, 4, -1e-9, 0), -1);
    assert_int_equal(cm_bin_index(e, 4, NAN, 0), -1);
    assert_int_equal(cm_bin_index(e, 4, INFINITY, 0), -1);
    /* float32 samples: scipy casts the edges to float32 and compares there.
     * 0.55 as float32 is 0.55000001 > 0.55, so in float64 it falls in the
     * second bin, in float32 it sits on the second edge (also the second
     * bin); 0.5499999 (float32 0.54999989) lies below the float32 edge. */
    double f[3] = {0, 0.55, 1.1};
    assert_int_equal(cm_bin_index(f, 2, (double)1.1f, 0), 1);
    assert_int_equal(cm_bin_index(f, 2, (double)1.1f, 1), 1);
    assert_int_equal(cm_bin_index(f, 2, (double)1.1000001f, 1), 1); /* rounds onto the edge */
    assert_int_equal(cm_bin_index(f, 2, (double)1.2f, 1), -1);
    assert_int_equal(cm_bin_index(f, 2, (double)0.55f, 1), 1);
    /* float32(-pi) < -pi: outside in float64, the first bin in float32. */
    double h[3] = {-M_PI, 0, M_PI};
    assert_int_equal(cm_bin_index(h, 2, (double)(float)-M_PI, 0), -1);
    assert_int_equal(cm_bin_index(h, 2, (double)(float)-M_PI, 1), 0);
}

static void test_ratemaps_means_and_octants(void **state)
{
    (void)state;
    double xe[3] = {0, 1, 2}, ye[3] = {0, 1, 2};
    cm_grid2 g = {2, 2, xe, ye};
    /* 2 units; samples in bins (0,0) twice, (1,0) once, (0,1) never visited,
     * (1,1) once; one sample outside. */
    double pos[] = {0.5, 0.5, 0.2, 0.1, 1.5, 0.5, 1.5, 1.5, 3.0, 0.5};
    double hd[] = {0.0, M_PI / 2, M_PI, -M_PI / 4, 0.0};
    float act[] = {1, 10, 3, 30, 5, 50, 7, 70, 100, 100};
    double maps[8], oct[2 * 4 * 8], occ[4];
    assert_int_equal(cm_ratemaps(&g, pos, hd, act, 5, 2, maps, oct, occ, 0), CM_OK);
    assert_float_equal(maps[0], 2.0, 1e-12);      /* unit 0, (0,0): mean of 1 and 3 */
    assert_true(isnan(maps[1]));                   /* (0,1) unvisited */
    assert_float_equal(maps[2], 5.0, 1e-12);      /* (1,0) */
    assert_float_equal(maps[3], 7.0, 1e-12);
    assert_float_equal(maps[4], 20.0, 1e-12);     /* unit 1 */
    assert_float_equal(occ[0], 2, 0);
    assert_float_equal(occ[1], 0, 0);
    /* Octants: hd 0 -> 0, pi/2 -> 2, pi -> 4, -pi/4 -> 7. */
    assert_float_equal(oct[0 * 8 + 0], 1.0, 1e-12);
    assert_float_equal(oct[0 * 8 + 2], 3.0, 1e-12);
    assert_float_equal(oct[2 * 8 + 4], 5.0, 1e-12);
    assert_float_equal(oct[3 * 8 + 7], 7.0, 1e-12);
    assert_true(isnan(oct[0 * 8 + 1]));
    /* Bad arguments: a clear status, never a crash. */
    assert_int_equal(cm_ratemaps(&g, pos, NULL, act, 5, 2, maps, oct, NULL, 0), CM_ERR_ARG);
    cm_grid2 bad = {0, 2, xe, ye};
    assert_int_equal(cm_ratemaps(&bad, pos, NULL, act, 5, 2, maps, NULL, NULL, 0), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "grid"));
}

static void test_resultant_vector_vector(void **state)
{
    (void)state;
    /* smp.md §10: 20 bins, r_k = exp(2 cos(theta_k - 1)). */
    double r[20], c[20], s[20], angle;
    cm_rv_centres(20, c, s);
    for (int k = 0; k < 20; k++)
        r[k] = exp(2 * cos(-M_PI + (k + 0.5) * 2 * M_PI / 20 - 1));
    double len = cm_resultant_vector(r, 20, c, s, &angle);
    assert_float_equal(len, 0.69777450, 1e-8);
    assert_float_equal(angle, 0.57079633, 1e-8);
    /* A flat profile has no direction; a NaN bin gives NaN (SMP's pitfall). */
    for (int k = 0; k < 20; k++)
        r[k] = 1;
    assert_true(cm_resultant_vector(r, 20, c, s, NULL) < 1e-12);
    r[3] = NAN;
    assert_true(isnan(cm_resultant_vector(r, 20, c, s, NULL)));
}

static void test_hd_ratemaps(void **state)
{
    (void)state;
    /* Headings outside [-pi, pi] are wrapped; +pi falls in the last bin. */
    double hd[] = {0.1, 0.1 + 2 * M_PI, M_PI, -M_PI, -3.0};
    float act[] = {1, 3, 5, 7, 9};
    double m[4];
    assert_int_equal(cm_hd_ratemaps(hd, act, 5, 1, 4, m, 0), CM_OK);
    assert_float_equal(m[2], 2.0, 1e-12); /* [0, pi/2) */
    assert_float_equal(m[3], 5.0, 1e-12); /* pi */
    assert_float_equal(m[0], 8.0, 1e-12); /* -pi and -3 */
    assert_true(isnan(m[1]));
}

static void test_ego_rotation_vector(void **state)
{
    (void)state;
    /* smp.md §10: n = 8, row 0..7; ego[j] = allo[(j + shift) mod n]. */
    const double hds[3] = {0, M_PI / 4, -M_PI / 2};
    const int expect[3][8] = {{0, 1, 2, 3, 4, 5, 6, 7}, {1, 2, 3, 4, 5, 6, 7, 0}, {6, 7, 0, 1, 2, 3, 4, 5}};
    for (int h = 0; h < 3; h++) {
        int s = cm_bvc_ego_shift(hds[h], 8, 0);
        for (int j = 0; j < 8; j++)
            assert_int_equal((j + s) % 8, expect[h][j]);
    }
    /* Round half to even, as numpy: 8 * (pi/8) / 2pi = 0.5 -> 0; 1.5 -> 2. */
    assert_int_equal(cm_bvc_ego_shift(M_PI / 8, 8, 0), 0);
    assert_int_equal(cm_bvc_ego_shift(3 * M_PI / 8, 8, 0), 2);
}

static void test_bvc_bins_and_maps(void **state)
{
    (void)state;
    double c[64], e[65];
    int n = cm_bvc_distance_bins(1.1, 0.025, c, e, 64);
    assert_true(n == 43 || n == 44); /* the spec's floating-point edge effect */
    assert_float_equal(c[0], 0.025, 1e-15);
    assert_float_equal(e[0], 0.0125, 1e-12);
    assert_float_equal(e[1], 0.0375, 1e-12);
    assert_int_equal(cm_bvc_distance_bins(0.03, 0.025, c, e, 64), -1); /* one centre: SMP cannot */

    /* 4 rays, 3 distance bins (centres .1 .2 .3). One unit fires when the
     * wall is 0.2 away along ray 1 (allocentric). */
    double dc[3] = {0.1, 0.2, 0.3}, de[4] = {0.05, 0.15, 0.25, 0.35};
    float dist[] = {0.2f, 0.2f, 0.1f, 0.3f, /* s0 */
                    0.1f, 0.3f, 0.2f, 0.2f, /* s1 */
                    0.3f, 0.2f, 0.3f, 9.0f /* s2: last ray out of range */};
    float act[] = {1, 0, 1};
    double hd[] = {0.0, 0.0, M_PI / 2}; /* s2 rotated by one ray */
    double allo[12], ego[12];
    assert_int_equal(cm_bvc_maps(dist, hd, act, 3, 4, 1, de, 3, allo, ego, 0), CM_OK);
    /* allo[d=1 (0.2), a=1]: samples s0 (1) and s2 (1): mean 1. */
    assert_float_equal(allo[1 * 4 + 1], 1.0, 1e-9);
    /* allo[d=2 (0.3), a=1]: s1 only (0). */
    assert_float_equal(allo[2 * 4 + 1], 0.0, 1e-9);
    /* Empty bin: 0, not NaN. */
    assert_float_equal(allo[0 * 4 + 1], 0.0, 0);
    /* ego: s2 shift = 1: ego[j] = allo[j+1] = {0.2, 0.3, 9.0, 0.3}. */
    assert_float_equal(ego[1 * 4 + 0], 1.0, 1e-9); /* s0 (0.2 at 0) and s2 (0.2 at ego 0) */
    double angle, pd, prof[4];
    double score = cm_bvc_score(allo, 3, 4, dc, &angle, &pd, prof);
    assert_true(score > 0 && score <= 1);
    double sum = 0;
    for (int d = 0; d < 3; d++)
        sum += allo[d * 4 + 2];
    assert_float_equal(prof[2], sum, 1e-12);
    assert_int_equal(cm_bvc_maps(dist, NULL, act, 3, 4, 1, de, 3, allo, ego, 0), CM_ERR_ARG);
}

static void test_bvc_score_preferred(void **state)
{
    (void)state;
    /* A map peaked at sensor angle k = 6 of 8 (pi/2) and distance bin 2. */
    double map[4 * 8] = {0}, dc[4] = {0.1, 0.2, 0.3, 0.4}, angle, pd;
    map[2 * 8 + 6] = 1.0;
    double s = cm_bvc_score(map, 4, 8, dc, &angle, &pd, NULL);
    assert_float_equal(s, 1.0 / (1.0 + 1e-5), 1e-9);
    assert_float_equal(angle, 0.0, 1e-9); /* SMP: pi/2 - theta = 0 */
    assert_float_equal(pd, 0.3, 0);
}

static void test_percentile_numpy(void **state)
{
    (void)state;
    double v[] = {5, 1, 4, 2, 3};
    assert_float_equal(cm_percentile(v, 5, 50), 3.0, 0);
    double w[] = {1, 2, 3, 4};
    assert_float_equal(cm_percentile(w, 4, 99), 3.97, 1e-12); /* 1 + 0.99*3 = 3.97 */
    double x[] = {1, NAN, 3};
    assert_true(isnan(cm_percentile(x, 3, 50)));
}

static void test_shuffle_threshold_deterministic(void **state)
{
    (void)state;
    enum { U = 7, B = 20, S = 300 };
    double prof[U * B];
    for (int u = 0; u < U; u++)
        for (int k = 0; k < B; k++)
            prof[u * B + k] = 1.0 + 0.5 * sin(0.3 * k * (u + 1)) + 0.1 * u;
    double t1, t2, t3, nulls[U * S];
    cm_set_threads(1);
    assert_int_equal(cm_rv_shuffle_threshold(prof, U, B, S, 99, 42, 0, &t1, nulls), CM_OK);
    cm_set_threads(2);
    assert_int_equal(cm_rv_shuffle_threshold(prof, U, B, S, 99, 42, 0, &t2, NULL), CM_OK);
    assert_true(t1 == t2); /* same bits for any thread count */
    assert_int_equal(cm_rv_shuffle_threshold(prof, U, B, S, 99, 43, 0, &t3, NULL), CM_OK);
    assert_true(t3 != t1);
    /* The threshold is the 99th percentile of the pooled nulls: ~1% above it. */
    int above = 0;
    for (int i = 0; i < U * S; i++)
        above += nulls[i] > t1;
    assert_true(above >= 15 && above <= 25);
    assert_int_equal(cm_rv_shuffle_threshold(prof, U, B, 0, 99, 42, 0, &t1, NULL), CM_ERR_ARG);
    assert_int_equal(cm_rv_shuffle_threshold(prof, U, B, S, 101, 42, 0, &t1, NULL), CM_ERR_ARG);
}

static void test_timeshift_threshold(void **state)
{
    (void)state;
    /* A strongly tuned unit: shifting it against the headings destroys the
     * tuning, so the time-shift threshold lies far below its own score. */
    enum { N = 4000 };
    double *hd = malloc(sizeof(double) * N);
    float *act = malloc(sizeof(float) * N);
    cm_rng r;
    cm_rng_seed(&r, 5, 0);
    double h = 0;
    for (int t = 0; t < N; t++) {
        h += 0.3 * cm_rng_normal(&r);
        hd[t] = h;
        act[t] = (float)exp(3 * (cos(h - 1.0) - 1));
    }
    double maps[20], c[20], s[20], thr, thr2;
    cm_rv_centres(20, c, s);
    assert_int_equal(cm_hd_ratemaps(hd, act, N, 1, 20, maps, 0), CM_OK);
    double score = cm_resultant_vector(maps, 20, c, s, NULL);
    assert_int_equal(cm_hd_timeshift_threshold(hd, act, N, 1, 20, 100, 200, 99, 1, 0, &thr, 0), CM_OK);
    assert_true(score > 0.4);
    assert_true(thr < score);
    cm_set_threads(1);
    assert_int_equal(cm_hd_timeshift_threshold(hd, act, N, 1, 20, 100, 200, 99, 1, 0, &thr2, 0), CM_OK);
    cm_set_threads(2);
    assert_true(thr == thr2);
    assert_int_equal(cm_hd_timeshift_threshold(hd, act, N, 1, 20, 100, N, 99, 1, 0, &thr, 0), CM_ERR_ARG);
    free(hd);
    free(act);
}

static void test_stability(void **state)
{
    (void)state;
    /* The same walk twice: a spatially tuned unit is perfectly stable. */
    enum { H = 3000 };
    double *pos = malloc(sizeof(double) * 4 * H);
    float *act = malloc(sizeof(float) * 2 * H * 2);
    cm_rng r;
    cm_rng_seed(&r, 9, 0);
    for (int t = 0; t < H; t++) {
        double x = cm_rng_uniform(&r, -1.1, 1.1), y = cm_rng_uniform(&r, -1.1, 1.1);
        pos[2 * t] = pos[2 * (t + H)] = x;
        pos[2 * t + 1] = pos[2 * (t + H) + 1] = y;
        act[2 * t] = act[2 * (t + H)] = (float)exp(-(x * x + y * y));
        act[2 * t + 1] = (float)cm_rng_double(&r); /* noise: unstable */
        act[2 * (t + H) + 1] = (float)cm_rng_double(&r);
    }
    double rr[2];
    assert_int_equal(cm_split_half_stability(pos, act, 2 * H, 2, 0.14, rr, 0), CM_OK);
    assert_float_equal(rr[0], 1.0, 1e-12);
    assert_true(fabs(rr[1]) < 0.3);
    assert_int_equal(cm_split_half_stability(pos, act, 3, 2, 0.14, rr, 0), CM_ERR_ARG);
    free(pos);
    free(act);
}

static void test_spatial_info(void **state)
{
    (void)state;
    double occ[4] = {1, 1, 1, 1}, flat[4] = {2, 2, 2, 2}, one[4] = {4, 0, 0, 0}, neg[4] = {1, -1, 1, 1};
    cm_spatial_info si;
    cm_spatial_info_compute(flat, occ, 4, 0.02, &si);
    assert_float_equal(si.bits_per_spike, 0.0, 1e-12);
    assert_float_equal(si.sparsity, 1.0, 1e-12);
    assert_float_equal(si.selectivity, 1.0, 1e-12);
    cm_spatial_info_compute(one, occ, 4, 0.02, &si);
    assert_float_equal(si.bits_per_spike, 2.0, 1e-12); /* log2(1/p) with p = 1/4 */
    assert_float_equal(si.bits_per_second, 2.0 * 1.0 / 0.02, 1e-9);
    assert_float_equal(si.sparsity, 0.25, 1e-12);
    assert_float_equal(si.selectivity, 4.0, 1e-12);
    cm_spatial_info_compute(neg, occ, 4, 0.02, &si);
    assert_true(isnan(si.bits_per_spike));
}

static void test_border_and_fields(void **state)
{
    (void)state;
    enum { R = 20 };
    double wall[R * R], centre[R * R];
    for (int i = 0; i < R; i++)
        for (int j = 0; j < R; j++) {
            wall[i * R + j] = i == 0 ? 1.0 : 0.0;                      /* a field along the x=0 wall */
            double d2 = (i - 9.5) * (i - 9.5) + (j - 9.5) * (j - 9.5); /* a central field */
            centre[i * R + j] = exp(-d2 / 8);
        }
    double cmv, dmv;
    double b = cm_border_score(wall, R, R, 2.2, 0, &cmv, &dmv);
    assert_float_equal(cmv, 1.0, 0);
    assert_float_equal(dmv, 0.11 / 1.1, 1e-12); /* distance 1 bin = 0.11 m over half the box */
    assert_float_equal(b, (1 - 0.1) / (1 + 0.1), 1e-12);
    assert_true(cm_border_score(centre, R, R, 2.2, 0, NULL, NULL) < 0);
    /* Sorscher's compat mode agrees on a one-field map. */
    assert_float_equal(cm_border_score(wall, R, R, 2.2, 1, NULL, NULL), b, 1e-12);
    double zeros[R * R] = {0};
    assert_true(isnan(cm_border_score(zeros, R, R, 2.2, 0, NULL, NULL))); /* no field */

    int big;
    double cx, cy;
    assert_int_equal(cm_place_fields(centre, R, R, 0.2, 3, 0.5, &big, &cx, &cy), 1);
    assert_true(big > 3);
    assert_float_equal(cx, 9.5, 1e-9);
    assert_float_equal(cy, 9.5, 1e-9);
    /* Two separated bumps: two fields. */
    double two[R * R];
    for (int k = 0; k < R * R; k++) {
        int i = k / R, j = k % R;
        two[k] = exp(-((i - 4) * (i - 4) + (j - 4) * (j - 4)) / 4.0) + exp(-((i - 15) * (i - 15) + (j - 15) * (j - 15)) / 4.0);
    }
    assert_int_equal(cm_place_fields(two, R, R, 0.2, 3, 0.5, NULL, NULL, NULL), 2);
    assert_int_equal(cm_place_fields(zeros, R, R, 0.2, 3, 0.5, NULL, NULL, NULL), 0);
    unsigned char mask[6] = {1, 0, 1, 1, 0, 1};
    int lab[6];
    assert_int_equal(cm_label_components(mask, 2, 3, lab), 2); /* 4-neighbour: (0,0)-(1,0); (0,2)-(1,2) */
    assert_int_equal(lab[0], 1);
    assert_int_equal(lab[3], 1);
    assert_int_equal(lab[2], 2);
}

/* Distance from (x, y) to the wall of the box [-1.1, 1.1]^2 along angle a. */
static double box_distance(double x, double y, double a)
{
    double c = cos(a), s = sin(a), t = INFINITY;
    if (c > 1e-12)
        t = fmin(t, (1.1 - x) / c);
    if (c < -1e-12)
        t = fmin(t, (-1.1 - x) / c);
    if (s > 1e-12)
        t = fmin(t, (1.1 - y) / s);
    if (s < -1e-12)
        t = fmin(t, (-1.1 - y) / s);
    return t;
}

/* A small synthetic population without Python: 4 HD, 4 allo-BVC, 2 grid and
 * 2 noise units on a wall-avoiding random walk (smp.md §2.1, simplified). */
static void test_classify_synthetic(void **state)
{
    (void)state;
    enum { N = 30000, U = 12, R = 36 };
    double *pos = malloc(sizeof(double) * 2 * N), *hd = malloc(sizeof(double) * N);
    float *dist = malloc(sizeof(float) * N * R), *act = malloc(sizeof(float) * N * U);
    cm_rng r;
    cm_rng_seed(&r, 21, 0);
    double x = 0, y = 0, h = 0;
    for (int t = 0; t < N; t++) {
        double v = cm_rng_rayleigh(&r, 0.13 * 2 * M_PI) * 0.02;
        double nx = x + v * cos(h), ny = y + v * sin(h);
        if (fabs(nx) > 1.08 || fabs(ny) > 1.08) { /* turn away from the wall */
            h += M_PI / 2 + 0.5 * cm_rng_normal(&r);
            nx = fmax(-1.1, fmin(1.1, x));
            ny = fmax(-1.1, fmin(1.1, y));
        }
        x = nx;
        y = ny;
        h += 0.02 * 5.76 * cm_rng_normal(&r);
        pos[2 * t] = x;
        pos[2 * t + 1] = y;
        hd[t] = h;
        for (int a = 0; a < R; a++)
            dist[t * R + a] = (float)box_distance(x, y, -M_PI + 2 * M_PI * a / R);
        float *row = act + t * U;
        for (int i = 0; i < 4; i++)
            row[i] = (float)exp(4 * (cos(h - (-M_PI + M_PI * i / 2)) - 1));
        for (int i = 0; i < 4; i++) {
            double d = dist[t * R + i * 9] - 0.2;
            row[4 + i] = (float)exp(-d * d / (2 * 0.08 * 0.08));
        }
        for (int i = 0; i < 2; i++) { /* three plane waves 60 degrees apart: a hexagonal grid */
            double k = 4 * M_PI / (sqrt(3) * 0.6), g = 0, o = 0.3 * i;
            for (int j = 0; j < 3; j++)
                g += cos(k * ((x - o) * cos(j * M_PI / 3 + o) + (y - o) * sin(j * M_PI / 3 + o)));
            row[8 + i] = (float)exp(0.6 * (g - 3));
        }
        row[10] = (float)cm_rng_double(&r);
        row[11] = (float)cm_rng_double(&r);
    }
    cm_classify_opts o;
    cm_classify_defaults(&o);
    o.n_shuffles = 100;
    o.seed = 3;
    cm_classify_result a, b;
    cm_set_threads(1);
    assert_int_equal(cm_classify_units(pos, hd, dist, R, act, N, U, &o, NULL, &a), CM_OK);
    cm_set_threads(2);
    assert_int_equal(cm_classify_units(pos, hd, dist, R, act, N, U, &o, NULL, &b), CM_OK);
    /* Same seed: the same bits whatever the thread count. */
    assert_true(a.hd_threshold == b.hd_threshold && a.ego_threshold == b.ego_threshold &&
                a.allo_threshold == b.allo_threshold);
    assert_memory_equal(a.ego_score, b.ego_score, sizeof(double) * U);
    assert_memory_equal(a.grid60, b.grid60, sizeof(double) * U);
    for (int i = 0; i < 4; i++)
        assert_int_equal(a.cls[i], CM_CELL_HD);
    for (int i = 4; i < 8; i++) {
        assert_true(a.is_allo[i]);
        assert_float_equal(a.allo_dist[i], 0.2, 0.0251);
        assert_true(a.border[i] > 0.3); /* a wall at 0.2 m is a border-like field */
    }
    for (int i = 8; i < 10; i++) {
        print_message("grid unit %d: score60 %.3f score90 %.3f class %s\n", i, a.grid60[i], a.grid90[i],
                      cm_cell_class_name(a.cls[i]));
        assert_true(a.is_grid[i]);
        assert_int_equal(a.cls[i], CM_CELL_GRID);
    }
    for (int i = 10; i < 12; i++) {
        assert_int_equal(a.cls[i], CM_CELL_UNCLASSIFIED);
        assert_true(fabs(a.stability[i]) < 0.3);
    }
    cm_classify_free(&a);
    cm_classify_free(&b);
    /* Bad input: a non-finite position is named, nothing is allocated. */
    pos[2 * 7 + 1] = NAN;
    assert_int_equal(cm_classify_units(pos, hd, dist, R, act, N, U, &o, NULL, &a), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "positions"));
    assert_null(a.hd_score);
    free(pos);
    free(hd);
    free(dist);
    free(act);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smp_edges),
        cmocka_unit_test(test_bin_index_scipy_rules),
        cmocka_unit_test(test_ratemaps_means_and_octants),
        cmocka_unit_test(test_resultant_vector_vector),
        cmocka_unit_test(test_hd_ratemaps),
        cmocka_unit_test(test_ego_rotation_vector),
        cmocka_unit_test(test_bvc_bins_and_maps),
        cmocka_unit_test(test_bvc_score_preferred),
        cmocka_unit_test(test_percentile_numpy),
        cmocka_unit_test(test_shuffle_threshold_deterministic),
        cmocka_unit_test(test_timeshift_threshold),
        cmocka_unit_test(test_stability),
        cmocka_unit_test(test_spatial_info),
        cmocka_unit_test(test_border_and_fields),
        cmocka_unit_test(test_classify_synthetic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
