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
    const size_t owp = (size_t)((2 * w - 1 + LANES - 1) / LANES) * LANES;
    return 2 * (size_t)h * w + 2 * pr * pc + 3 * (size_t)(2 * h - 1) * owp;
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

cm_status cm_gridness_sac_ws(const void *map, int is_f32, int h, int w, double *out, double *work)
{
    const int oh = 2 * h - 1, ow = 2 * w - 1;
    const int owp = ((ow + LANES - 1) / LANES) * LANES;
    const int pr = 3 * h - 2, pc = padded_cols(w);
    double *x = work, *x2 = x + (size_t)h * w;
    double *xp = x2 + (size_t)h * w, *op = xp + (size_t)pr * pc;
    double *acc = op + (size_t)pr * pc;
    for (int64_t i = 0; i < (int64_t)h * w; i++) {
        const double v = is_f32 ? (double)((const float *)map)[i] : ((const double *)map)[i];
        if (isinf(v))
            return cm_error(CM_ERR_ARG, "gridness: map: expected finite values or NaN, got %g at bin %lld", v,
                            (long long)i);
        x[i] = nan_to_zero(v);
        x2[i] = x[i] * x[i];
    }
    /* The map and the all-ones "observed" mask, zero-padded by h-1 rows and w-1
     * columns on each side (and to a whole number of lane blocks on the right). */
    memset(xp, 0, sizeof(double) * (size_t)pr * pc * 2);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            const size_t at = (size_t)(i + h - 1) * pc + (size_t)(j + w - 1);
            xp[at] = x[(size_t)i * w + j];
            op[at] = 1.0;
        }
    /* S2 and S22 are S1 and S11 of the mirrored shift, and S12 is even in the shift, bit for bit:
     * substituting p' = p + dy turns one sum into the other with the same terms in the same
     * (decreasing) order. So S1 and S11 are summed for every output row, S12 for the top half,
     * and the rest read from the mirror. Rows are buffered whole: acc holds oh rows of each. */
    double *s12 = acc, *s1 = acc + (size_t)oh * owp, *s11 = acc + 2 * (size_t)oh * owp;

    /* convolve2d(x, rot180(b), 'full') at output (m, n) sums, for kernel rows j and columns k in
     * increasing order, K[j][k] * xpad[m - j + h - 1][n - k + w - 1]; with p = h-1-j and
     * q = w-1-k that is b[p][q] * xpad[m + p][n + q] for p and q *decreasing*. Terms that read
     * the zero padding add +-0, which leaves a sum unchanged (a sum that starts at +0 is never
     * -0), so rows wholly outside the map are skipped. */
    for (int m = 0; m < oh; m++) {
        const int with12 = m <= h - 1;
        int p_lo = (h - 1) - m, p_hi = 2 * (h - 1) - m; /* rows of b that meet the map */
        if (p_lo < 0)
            p_lo = 0;
        if (p_hi > h - 1)
            p_hi = h - 1;
        for (int nb = 0; nb < owp; nb += LANES) {
            v4d a12[2] = {{0}}, a1[2] = {{0}}, a11[2] = {{0}};
            /* columns q for which some lane of the block reads inside the map */
            int q_lo = (w - 1) - (nb + LANES - 1), q_hi = 2 * (w - 1) - nb;
            if (q_lo < 0)
                q_lo = 0;
            if (q_hi > w - 1)
                q_hi = w - 1;
            for (int p = p_hi; p >= p_lo; p--) {
                const double *brow = x + (size_t)p * w, *b2row = x2 + (size_t)p * w;
                const size_t rowoff = (size_t)(m + p) * pc + (size_t)nb;
                if (with12) {
                    for (int q = q_hi; q >= q_lo; q--) {
                        const double b = brow[q], bb = b2row[q];
                        const v4d vb = {b, b, b, b}, vbb = {bb, bb, bb, bb};
                        for (int half = 0; half < 2; half++) {
                            const size_t at = rowoff + (size_t)q + 4 * half;
                            const v4d vx = load4(xp + at), vo = load4(op + at);
                            a12[half] += vb * vx;  /* filter2(seq1, seq2) */
                            a1[half] += vb * vo;   /* filter2(seq1, ones) */
                            a11[half] += vbb * vo; /* filter2(seq1^2, ones) */
                        }
                    }
                } else {
                    for (int q = q_hi; q >= q_lo; q--) {
                        const double b = brow[q], bb = b2row[q];
                        const v4d vb = {b, b, b, b}, vbb = {bb, bb, bb, bb};
                        for (int half = 0; half < 2; half++) {
                            const v4d vo = load4(op + rowoff + (size_t)q + 4 * half);
                            a1[half] += vb * vo;
                            a11[half] += vbb * vo;
                        }
                    }
                }
            }
            for (int half = 0; half < 2; half++) {
                const size_t at = (size_t)m * owp + nb + 4 * half;
                store4(s12 + at, a12[half]);
                store4(s1 + at, a1[half]);
                store4(s11 + at, a11[half]);
            }
        }
    }
    for (int m = 0; m < oh; m++) {
        const int dy = m - (h - 1);
        const double rows = (double)(h - (dy < 0 ? -dy : dy));
        for (int n = 0; n < ow; n++) {
            const int dx = n - (w - 1);
            const double nb = rows * (double)(w - (dx < 0 ? -dx : dx)); /* filter2(ones, ones) */
            const double nb2 = nb * nb;
            const size_t at = (size_t)m * owp + n, mirror = (size_t)(oh - 1 - m) * owp + (ow - 1 - n);
            const double v1 = s1[at], v11 = s11[at], v2 = s1[mirror], v22 = s11[mirror];
            const double v12 = m <= h - 1 ? s12[at] : s12[mirror];
            const double std1 = sqrt(v11 / nb - (v1 * v1) / nb2);
            const double std2 = sqrt(v22 / nb - (v2 * v2) / nb2);
            const double cov = v12 / nb - (v1 * v2) / nb2;
            double v = cov / (std1 * std2);
            /* numpy.nan_to_num: NaN -> 0, +-inf -> +-DBL_MAX (a zero std with a nonzero cov). */
            if (isnan(v))
                v = 0.0;
            else if (isinf(v))
                v = v > 0 ? DBL_MAX : -DBL_MAX;
            out[(size_t)m * ow + n] = v;
        }
    }
    return CM_OK;
}
