/* DeepMind's spatial autocorrelogram (SAC), bit for bit as scores.py computes it with
 * numpy 1.24 / scipy 1.10.
 *
 * Why bit for bit: on maps with constant windows (a flat map, equal neighbours at an edge)
 * the ratio cov / (std1 std2) is a ratio of rounding errors. DeepMind's scorer then returns
 * values such as 1.0000000000000002 or 0, or ±DBL_MAX where std is exactly 0 and cov is not,
 * and a whole score follows from those accidents. Reproducing the scorer on such maps means
 * reproducing its sums: scipy's convolve2d accumulates every output in one double, kernel row
 * by kernel row, column by column, with no fused multiply-add. The loops below add the same
 * terms in the same order (vectorised across output columns, each lane its own sequential
 * sum), and the file is compiled without FP contraction so a*b+c stays two roundings.
 */
#pragma GCC optimize("fp-contract=off")

#include "analysis/gridness_internal.h"

#include <float.h>
#if defined(__AVX__)
#include <immintrin.h>
#endif
#include <math.h>
#include <string.h>

/* nan_to_num as numpy applies it to the rate map: NaN -> 0 (infinities are rejected earlier). */
static double nan_to_zero(double v) { return isnan(v) ? 0.0 : v; }

/* Four doubles; GCC lowers the arithmetic to AVX2 (or SSE2) without fusing mul and add here. */
typedef double v4d __attribute__((vector_size(32)));

static inline v4d load4(const double *p)
{
    v4d v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline void store4(double *p, v4d v) { memcpy(p, &v, sizeof v); }

/* Output columns computed together: each of the 8 lanes is its own sequential sum. */
#define LANES 8

static int padded_cols(int w) { return ((2 * w - 1 + LANES - 1) / LANES) * LANES + w - 1; }

size_t cm_gridness_sac_work_size(int h, int w)
{
    const size_t pr = (size_t)(3 * h - 2), pc = (size_t)padded_cols(w);
    const size_t oh = (size_t)(2 * h - 1), ow = (size_t)(2 * w - 1);
    const size_t owp = (size_t)((2 * w - 1 + LANES - 1) / LANES) * LANES;
    return 2 * (size_t)h * w + pr * pc + 4 * (size_t)h * (w + 1) + 4 * (size_t)h + 3 * oh * ow +
           (size_t)h * owp + 2 * (size_t)h * ow;
}

cm_status cm_gridness_sac(const double *map, int h, int w, double *out)
{
    if (!map || !out || h < 1 || w < 1 || h > 4096 || w > 4096)
        return cm_error(CM_ERR_ARG, "gridness sac: map: expected a non-empty map up to 4096 x 4096, got %d x %d", h,
                        w);
    double *work = cm_alloc(sizeof(double) * cm_gridness_sac_work_size(h, w));
    if (!work)
        return cm_error(CM_ERR_NOMEM, "gridness sac: cannot allocate for a %d x %d map", h, w);
    cm_status st = cm_gridness_sac_ws(map, 0, h, w, out, work);
    cm_free(work);
    return st;
}

/* Rows [r0, r1] and columns [c0, c1] of the map that output (m, n) of convolve2d(x, rot180(x))
 * multiplies by the shifted copy: window A of shift (m - (h-1), n - (w-1)). */
static void window(int m, int n, int h, int w, int *r0, int *r1, int *c0, int *c1)
{
    const int dy = m - (h - 1), dx = n - (w - 1);
    *r0 = dy < 0 ? -dy : 0;
    *r1 = dy > 0 ? h - 1 - dy : h - 1;
    *c0 = dx < 0 ? -dx : 0;
    *c1 = dx > 0 ? w - 1 - dx : w - 1;
}

cm_status cm_gridness_sac_ws(const void *map, int is_f32, int h, int w, double *out, double *work)
{
    const int oh = 2 * h - 1, ow = 2 * w - 1;
    const int owp = ((ow + LANES - 1) / LANES) * LANES;
    const int pr = 3 * h - 2, pc = padded_cols(w);
    double *x = work, *x2 = x + (size_t)h * w, *xp = x2 + (size_t)h * w;
    /* row prefix sums (left to right) and suffix sums (right to left), of x and x^2 */
    double *rs = xp + (size_t)pr * pc, *rs2 = rs + (size_t)h * (w + 1);
    double *su = rs2 + (size_t)h * (w + 1), *su2 = su + (size_t)h * (w + 1);
    double *hp = su2 + (size_t)h * (w + 1); /* constant staircases, 4 x h */
    double *s1 = hp + 4 * (size_t)h, *s11 = s1 + (size_t)oh * ow, *flat = s11 + (size_t)oh * ow;
    double *s12 = flat + (size_t)oh * ow, *wr = s12 + (size_t)h * owp, *wr2 = wr + (size_t)h * ow;
    for (int64_t i = 0; i < (int64_t)h * w; i++) {
        const double v = is_f32 ? (double)((const float *)map)[i] : ((const double *)map)[i];
        if (isinf(v))
            return cm_error(CM_ERR_ARG, "gridness: map: expected finite values or NaN, got %g at bin %lld", v,
                            (long long)i);
        x[i] = nan_to_zero(v);
        x2[i] = x[i] * x[i];
    }

    /* S1 (sum of the map over window A) and S11 (of its square) for every shift. scipy adds the
     * window's values one by one; any order gives the same bits when they are all equal, and
     * otherwise differs in the last bits only, which a window with a real spread of values does
     * not feel. Every window's columns are a prefix or a suffix of the row (the shift moves one
     * edge only), so each row's part is a running sum from one end, with no cancellation; the
     * rows are then added up. And an exact sum in scipy's order wherever a window is
     * constant, or its partner is (then a std is exactly 0 or pure rounding, and whether the
     * SAC is 0 or +-DBL_MAX hangs on the exact bits of every sum involved). */
    for (int p = 0; p < h; p++) {
        double a = 0.0, b = 0.0;
        rs[(size_t)p * (w + 1)] = rs2[(size_t)p * (w + 1)] = 0.0;
        for (int q = 0; q < w; q++) {
            a += x[(size_t)p * w + q];
            b += x2[(size_t)p * w + q];
            rs[(size_t)p * (w + 1) + q + 1] = a;
            rs2[(size_t)p * (w + 1) + q + 1] = b;
        }
        a = b = 0.0;
        su[(size_t)p * (w + 1) + w] = su2[(size_t)p * (w + 1) + w] = 0.0;
        for (int q = w - 1; q >= 0; q--) {
            a += x[(size_t)p * w + q];
            b += x2[(size_t)p * w + q];
            su[(size_t)p * (w + 1) + q] = a;
            su2[(size_t)p * (w + 1) + q] = b;
        }
    }
    /* Each row's part of a window depends on the column shift only: wr[p][n] (and wr2 for the
     * squares). A window's sum adds its rows from the bottom up, for all shifts of an output row
     * at once (each lane one sequential sum). */
    for (int p = 0; p < h; p++)
        for (int n = 0; n < ow; n++) {
            const int dx = n - (w - 1);
            const size_t at = (size_t)p * (w + 1) + (size_t)(dx >= 0 ? w - dx : -dx);
            wr[(size_t)p * ow + n] = dx >= 0 ? rs[at] : su[at];
            wr2[(size_t)p * ow + n] = dx >= 0 ? rs2[at] : su2[at];
        }
    for (int m = 0; m < oh; m++) {
        const int dy = m - (h - 1);
        const int r0 = dy < 0 ? -dy : 0, r1 = dy > 0 ? h - 1 - dy : h - 1;
        double *restrict a = s1 + (size_t)m * ow, *restrict b = s11 + (size_t)m * ow;
        for (int n = 0; n < ow; n++)
            a[n] = b[n] = 0.0;
        for (int p = r1; p >= r0; p--) {
            const double *restrict u = wr + (size_t)p * ow, *restrict u2 = wr2 + (size_t)p * ow;
            for (int n = 0; n < ow; n++) {
                a[n] += u[n];
                b[n] += u2[n];
            }
        }
    }
    /* Constant windows. A window of two or more bins can only be constant if two neighbours are
     * equal somewhere. Every window touches a corner of the map (a shift moves one edge per
     * axis), so it is constant exactly when it fits inside that corner's constant staircase:
     * hp[0][r] = the fewest leading bins of rows 0..r equal to x[0][0] (top left), hp[1][r]
     * trailing bins of rows 0..r equal to x[0][w-1] (top right), hp[2][r] and hp[3][r] the same
     * over rows r..h-1 for the bottom corners. */
    int any_equal = 0;
    for (int i = 0; i < h && !any_equal; i++)
        for (int j = 0; j < w; j++)
            if ((j + 1 < w && x[(size_t)i * w + j] == x[(size_t)i * w + j + 1]) ||
                (i + 1 < h && x[(size_t)i * w + j] == x[(size_t)(i + 1) * w + j])) {
                any_equal = 1;
                break;
            }
    if (any_equal) {
        for (int corner = 0; corner < 4; corner++) {
            const int bottom = corner >= 2, right = corner & 1;
            const double v = x[(size_t)(bottom ? h - 1 : 0) * w + (right ? w - 1 : 0)];
            double *stair = hp + (size_t)corner * h;
            double run_min = w;
            for (int k = 0; k < h; k++) {
                const int i = bottom ? h - 1 - k : k;
                int run = 0;
                while (run < w && x[(size_t)i * w + (right ? w - 1 - run : run)] == v)
                    run++;
                run_min = run < run_min ? run : run_min;
                stair[i] = run_min;
            }
        }
        for (int m = 0; m < oh; m++)
            for (int n = 0; n < ow; n++) {
                int r0, r1, c0, c1;
                window(m, n, h, w, &r0, &r1, &c0, &c1);
                const int top = r0 == 0, left = c0 == 0;
                const double width = (double)(c1 - c0 + 1);
                const double fits = hp[(size_t)((top ? 0 : 2) + (left ? 0 : 1)) * h + (top ? r1 : r0)];
                /* single bins are summed exactly by any method */
                flat[(size_t)m * ow + n] = (r1 > r0 || c1 > c0) && width <= fits;
            }
    }
    for (int m = 0; m < oh && any_equal; m++)
        for (int n = 0; n < ow; n++) {
            const size_t at = (size_t)m * ow + n, mirror = (size_t)(oh - 1 - m) * ow + (ow - 1 - n);
            if (flat[at] == 0 && flat[mirror] == 0)
                continue;
            int r0, r1, c0, c1;
            window(m, n, h, w, &r0, &r1, &c0, &c1);
            double a = 0.0, b = 0.0; /* scipy's order: kernel rows then columns, i.e. p and q decreasing */
            for (int p = r1; p >= r0; p--)
                for (int q = c1; q >= c0; q--) {
                    a += x[(size_t)p * w + q] * 1.0;
                    b += x2[(size_t)p * w + q] * 1.0;
                }
            s1[at] = a;
            s11[at] = b;
        }

    /* S12, exactly: convolve2d(x, rot180(x), 'full') at output (m, n) sums, for kernel rows j
     * and columns k in increasing order, K[j][k] * xpad[m - j + h - 1][n - k + w - 1]; with
     * p = h-1-j and q = w-1-k that is x[p][q] * xpad[m + p][n + q] for p and q *decreasing*.
     * Terms that read the zero padding add +-0, which leaves a sum unchanged (a sum that starts
     * at +0 is never -0), so rows wholly outside the map are skipped. S12 is even in the shift
     * bit for bit (p' = p + dy gives the same terms in the same order), and so is the SAC: S2
     * and S22 are S1 and S11 of the opposite shift. Only rows m <= h-1 are computed. */
    memset(xp, 0, sizeof(double) * (size_t)pr * pc);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            xp[(size_t)(i + h - 1) * pc + (size_t)(j + w - 1)] = x[(size_t)i * w + j];
    /* Output rows m and m+1 go together: both walk the rows p = h-1, h-2, ... in the same order
     * (row m+1 has one more at the end), so their sums interleave and the adder is kept busy. */
    for (int m = 0; m < h; m += 2) {
        const int two = m + 1 < h, p_lo = (h - 1) - m;
        for (int nb = 0; nb < owp; nb += LANES) {
            v4d a[2] = {{0}}, c[2] = {{0}}; /* row m, row m+1 */
            /* columns q for which some lane of the block reads inside the map */
            int q_lo = (w - 1) - (nb + LANES - 1), q_hi = 2 * (w - 1) - nb;
            if (q_lo < 0)
                q_lo = 0;
            if (q_hi > w - 1)
                q_hi = w - 1;
            for (int p = h - 1; p >= p_lo; p--) {
                const double *brow = x + (size_t)p * w;
                const double *xa = xp + (size_t)(m + p) * pc + (size_t)nb, *xc = xa + pc;
                if (two) {
                    for (int q = q_hi; q >= q_lo; q--) {
                        const double b = brow[q];
                        const v4d vb = {b, b, b, b};
                        a[0] += vb * load4(xa + q);
                        a[1] += vb * load4(xa + q + 4);
                        c[0] += vb * load4(xc + q);
                        c[1] += vb * load4(xc + q + 4);
                    }
                } else {
                    for (int q = q_hi; q >= q_lo; q--) {
                        const double b = brow[q];
                        const v4d vb = {b, b, b, b};
                        a[0] += vb * load4(xa + q);
                        a[1] += vb * load4(xa + q + 4);
                    }
                }
            }
            if (two) { /* row m+1's last row of the map, p = p_lo - 1 */
                const int p = p_lo - 1;
                const double *brow = x + (size_t)p * w;
                const double *xc = xp + (size_t)(m + 1 + p) * pc + (size_t)nb;
                for (int q = q_hi; q >= q_lo; q--) {
                    const double b = brow[q];
                    const v4d vb = {b, b, b, b};
                    c[0] += vb * load4(xc + q);
                    c[1] += vb * load4(xc + q + 4);
                }
                store4(s12 + (size_t)(m + 1) * owp + nb, c[0]);
                store4(s12 + (size_t)(m + 1) * owp + nb + 4, c[1]);
            }
            store4(s12 + (size_t)m * owp + nb, a[0]);
            store4(s12 + (size_t)m * owp + nb + 4, a[1]);
        }
    }
    /* The ratio, numpy's way, for rows m <= h-1; the other half is its mirror image. Each row
     * is staged in contiguous temporaries so the loop vectorises (division and square root are
     * exact IEEE operations in vector form too). */
    double *v1 = xp, *v11 = v1 + ow, *v2 = v11 + ow, *v22 = v2 + ow, *cnt = v22 + ow, *row = cnt + ow;
    for (int m = 0; m < h; m++) {
        const int dy = m - (h - 1);
        const double rows = (double)(h - (dy < 0 ? -dy : dy));
        const double *mrow1 = s1 + (size_t)(oh - 1 - m) * ow, *mrow11 = s11 + (size_t)(oh - 1 - m) * ow;
        for (int n = 0; n < ow; n++) {
            const int dx = n - (w - 1);
            cnt[n] = rows * (double)(w - (dx < 0 ? -dx : dx)); /* filter2(ones, ones) */
            v1[n] = s1[(size_t)m * ow + n];
            v11[n] = s11[(size_t)m * ow + n];
            v2[n] = mrow1[ow - 1 - n];
            v22[n] = mrow11[ow - 1 - n];
        }
        const double *v12 = s12 + (size_t)m * owp;
        int n0 = 0;
#if defined(__AVX__)
        /* the same IEEE operations four at a time (vsqrtpd and vdivpd round like their scalar
         * forms); the scalar loop below finishes the row */
        for (; n0 + 4 <= ow; n0 += 4) {
            const __m256d nb = _mm256_loadu_pd(cnt + n0), nb2 = _mm256_mul_pd(nb, nb);
            const __m256d a1 = _mm256_loadu_pd(v1 + n0), a11 = _mm256_loadu_pd(v11 + n0);
            const __m256d a2 = _mm256_loadu_pd(v2 + n0), a22 = _mm256_loadu_pd(v22 + n0);
            const __m256d a12 = _mm256_loadu_pd(v12 + n0);
            const __m256d std1 = _mm256_sqrt_pd(
                _mm256_sub_pd(_mm256_div_pd(a11, nb), _mm256_div_pd(_mm256_mul_pd(a1, a1), nb2)));
            const __m256d std2 = _mm256_sqrt_pd(
                _mm256_sub_pd(_mm256_div_pd(a22, nb), _mm256_div_pd(_mm256_mul_pd(a2, a2), nb2)));
            const __m256d cov = _mm256_sub_pd(_mm256_div_pd(a12, nb), _mm256_div_pd(_mm256_mul_pd(a1, a2), nb2));
            _mm256_storeu_pd(row + n0, _mm256_div_pd(cov, _mm256_mul_pd(std1, std2)));
        }
#endif
        for (int n = n0; n < ow; n++) {
            const double nb = cnt[n], nb2 = nb * nb;
            const double std1 = sqrt(v11[n] / nb - (v1[n] * v1[n]) / nb2);
            const double std2 = sqrt(v22[n] / nb - (v2[n] * v2[n]) / nb2);
            const double cov = v12[n] / nb - (v1[n] * v2[n]) / nb2;
            row[n] = cov / (std1 * std2);
        }
        for (int n = 0; n < ow; n++) /* numpy.nan_to_num: NaN -> 0, +-inf -> +-DBL_MAX */
            if (!isfinite(row[n]))
                row[n] = isnan(row[n]) ? 0.0 : (row[n] > 0 ? DBL_MAX : -DBL_MAX);
        double *top = out + (size_t)m * ow, *bottom = out + (size_t)(oh - 1 - m) * ow;
        for (int n = 0; n < ow; n++) {
            top[n] = row[n];
            bottom[ow - 1 - n] = row[n];
        }
    }
    return CM_OK;
}
