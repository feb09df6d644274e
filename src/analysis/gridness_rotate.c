/* Rotation by a cubic B-spline, as scipy 1.10's ndimage.rotate(x, angle, reshape=False)
 * computes it with its defaults (order 3, mode 'constant', cval 0, prefilter on):
 *   1. prefilter: the B-spline coefficients of the whole array, along axis 0 then axis 1,
 *      with the mirror boundary scipy uses for mode 'constant' (no padding: scipy pre-pads
 *      only for 'nearest' and 'grid-constant');
 *   2. every output pixel maps back through the rotation about the array centre; a source
 *      coordinate outside [0, n-1] on either axis gives cval (0) — scipy's 'constant' does not
 *      interpolate beyond the edge — and otherwise the 4 x 4 spline taps are read with
 *      mirrored indices past the border.
 * The arithmetic follows scipy's operation order (no FP contraction in this file), so results
 * agree to the last bits; what must agree exactly is which points fall outside, and that
 * hangs on cos/sin of the angle (cephes' cosdg/sindg) and on the centre offset.
 */
#pragma GCC optimize("fp-contract=off")

#include "analysis/gridness_internal.h"

#include <math.h>
#include <string.h>

/* cephes cosdg/sindg at multiples of 15 degrees, as scipy.special returns them: these are not
 * always the correctly rounded values (cos 60 is 0.49999999999999994), and cos 90 is -0.0. */
static const double deg15[24][2] = {
    {1.0, 0.0},
    {0.9659258262890683, 0.25881904510252074},
    {0.8660254037844387, 0.49999999999999994},
    {0.7071067811865475, 0.7071067811865476},
    {0.49999999999999994, 0.8660254037844387},
    {0.25881904510252074, 0.9659258262890683},
    {-0.0, 1.0},
    {-0.25881904510252074, 0.9659258262890683},
    {-0.49999999999999994, 0.8660254037844387},
    {-0.7071067811865476, 0.7071067811865475},
    {-0.8660254037844387, 0.49999999999999994},
    {-0.9659258262890683, 0.25881904510252074},
    {-1.0, -0.0},
    {-0.9659258262890683, -0.25881904510252074},
    {-0.8660254037844387, -0.49999999999999994},
    {-0.7071067811865475, -0.7071067811865476},
    {-0.49999999999999994, -0.8660254037844387},
    {-0.25881904510252074, -0.9659258262890683},
    {0.0, -1.0},
    {0.25881904510252074, -0.9659258262890683},
    {0.49999999999999994, -0.8660254037844387},
    {0.7071067811865476, -0.7071067811865475},
    {0.8660254037844387, -0.49999999999999994},
    {0.9659258262890683, -0.25881904510252074},
};

void cm_cos_sin_deg(double angle_deg, double *c, double *s)
{
    double a = fmod(angle_deg, 360.0);
    if (a < 0)
        a += 360.0;
    double k = a / 15.0;
    if (k == floor(k) && k < 24) {
        *c = deg15[(int)k][0];
        *s = deg15[(int)k][1];
        return;
    }
    /* Other angles: libm on the reduced angle, within an ulp or two of cephes. */
    double r = a * (M_PI / 180.0);
    *c = cos(r);
    *s = sin(r);
}

void cm_rotation_source(int i, int j, double c, double s, int h, int w, double *ri, double *rj)
{
    /* offset = in_centre - R @ out_centre, R = [[c, s], [-s, c]]; numpy's 2x2 matmul goes
     * through OpenBLAS, whose kernel fuses the second product: fma(R[r][0], h0, R[r][1] * h1). */
    const double h0 = (double)(h - 1) / 2.0, h1 = (double)(w - 1) / 2.0;
    const double oc0 = fma(c, h0, s * h1), oc1 = fma(-s, h0, c * h1);
    const double off0 = h0 - oc0, off1 = h1 - oc1;
    /* NI_GeometricTransform: icoor = sum over output axes of coordinate * matrix entry, + shift. */
    double a = 0.0;
    a += (double)i * c;
    a += (double)j * s;
    *ri = a + off0;
    double b = 0.0;
    b += (double)i * -s;
    b += (double)j * c;
    *rj = b + off1;
}

/* Whole-sample mirror of an integer index into [0, n). */
static int mirror_index(int idx, int n)
{
    if (n <= 1)
        return 0;
    const int period = 2 * n - 2;
    if (idx < 0) {
        idx = period * (-idx / period) + idx;
        idx = idx <= 1 - n ? idx + period : -idx;
    } else if (idx >= n) {
        idx -= period * (idx / period);
        if (idx >= n)
            idx = period - idx;
    }
    return idx;
}

/* Cubic B-spline weights for the 4 taps starting at floor(x) - 1. */
static void cubic_weights(double x, double *wt)
{
    x -= floor(x);
    const double y = x, z = 1.0 - x;
    wt[1] = (y * y * (y - 2.0) * 3.0 + 4.0) / 6.0;
    wt[2] = (z * z * (z - 2.0) * 3.0 + 4.0) / 6.0;
    wt[0] = z * z * z / 6.0;
    wt[3] = 1.0;
    for (int k = 0; k < 3; k++)
        wt[3] -= wt[k];
}

void cm_spline_tap_at(double ri, double rj, int h, int w, cm_spline_tap *t)
{
    /* Mode 'constant': a source coordinate outside [0, n-1] on any axis is cval. */
    if (!(ri >= 0.0 && ri <= (double)(h - 1) && rj >= 0.0 && rj <= (double)(w - 1))) {
        memset(t, 0, sizeof *t);
        t->inside = 0;
        return;
    }
    t->inside = 1;
    const int si = (int)floor(ri) - 1, sj = (int)floor(rj) - 1;
    for (int k = 0; k < 4; k++) {
        t->row[k] = mirror_index(si + k, h) * w;
        t->col[k] = mirror_index(sj + k, w);
    }
    cubic_weights(ri, t->wy);
    cubic_weights(rj, t->wx);
    t->contiguous = t->col[1] == t->col[0] + 1 && t->col[2] == t->col[0] + 2 && t->col[3] == t->col[0] + 3;
}

typedef double v4d __attribute__((vector_size(32)));

double cm_spline_sample_fast(const double *coef, const cm_spline_tap *t)
{
    if (!t->inside)
        return 0.0;
    if (!t->contiguous)
        return cm_spline_sample(coef, t);
    v4d wx, acc = {0, 0, 0, 0};
    memcpy(&wx, t->wx, sizeof wx);
    for (int a = 0; a < 4; a++) {
        v4d c;
        memcpy(&c, coef + t->row[a] + t->col[0], sizeof c);
        const double wy = t->wy[a];
        const v4d vwy = {wy, wy, wy, wy};
        acc += c * vwy;
    }
    acc *= wx;
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

double cm_spline_sample(const double *coef, const cm_spline_tap *t)
{
    if (!t->inside)
        return 0.0;
    /* scipy walks the 4 x 4 footprint with the last axis fastest and scales each coefficient
     * by the axis-0 weight, then the axis-1 weight. */
    double v = 0.0;
    for (int a = 0; a < 4; a++) {
        const double *row = coef + t->row[a];
        for (int b = 0; b < 4; b++) {
            double term = row[t->col[b]];
            term *= t->wy[a];
            term *= t->wx[b];
            v += term;
        }
    }
    return v;
}

/* One line of the recursive B-spline filter (Unser, Aldroubi & Eden 1991), cubic pole
 * z = sqrt(3) - 2, mirror-symmetric boundary for the initial values of both passes. */
static const double pole = -0.267949192431122706472553658494127633;

/* The filter along axis 0 of an n x m array (row stride `stride`): every column is a line, and
 * the columns are filtered side by side (the inner loops run along a row and vectorise), each
 * with exactly the operations of the one-line filter. zn1 = pow(pole, n - 1). */
static void prefilter_columns(double *c, int n, int m, size_t stride, double zn1)
{
    if (n <= 1)
        return;
    const double z = pole;
    const double gain = 1.0 * ((1.0 - z) * (1.0 - 1.0 / z));
    double *restrict c0 = c, *restrict last = c + (size_t)(n - 1) * stride;
    for (int i = 0; i < n; i++) {
        double *restrict row = c + (size_t)i * stride;
        for (int j = 0; j < m; j++)
            row[j] *= gain;
    }
    /* causal pass, first value from the mirrored sequence summed in closed form */
    for (int j = 0; j < m; j++)
        c0[j] = c0[j] + zn1 * last[j];
    double zi = z;
    for (int i = 1; i < n - 1; i++) {
        const double *restrict a = c + (size_t)i * stride, *restrict b = c + (size_t)(n - 1 - i) * stride;
        for (int j = 0; j < m; j++)
            c0[j] += zi * (a[j] + zn1 * b[j]);
        zi *= z;
    }
    const double denom = 1 - zn1 * zn1;
    for (int j = 0; j < m; j++)
        c0[j] /= denom;
    for (int i = 1; i < n; i++) {
        double *restrict row = c + (size_t)i * stride;
        const double *restrict prev = row - stride;
        for (int j = 0; j < m; j++)
            row[j] += z * prev[j];
    }
    /* anti-causal pass */
    const double *restrict before = c + (size_t)(n - 2) * stride;
    const double zz = z * z - 1;
    for (int j = 0; j < m; j++)
        last[j] = (z * before[j] + last[j]) * z / zz;
    for (int i = n - 2; i >= 0; i--) {
        double *restrict row = c + (size_t)i * stride;
        const double *restrict next = row + stride;
        for (int j = 0; j < m; j++)
            row[j] = z * (next[j] - row[j]);
    }
}

void cm_spline_prefilter(double *c, int h, int w, double *t)
{
    /* axis 0 in place; axis 1 on the transpose, so both passes run along rows */
    prefilter_columns(c, h, w, (size_t)w, pow(pole, h - 1));
    if (w <= 1)
        return;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            t[(size_t)j * h + i] = c[(size_t)i * w + j];
    prefilter_columns(t, w, h, (size_t)h, pow(pole, w - 1));
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++)
            c[(size_t)i * w + j] = t[(size_t)j * h + i];
}

cm_status cm_spline_rotate(const double *in, int h, int w, double angle_deg, double *out, double *work)
{
    if (!in || !out || h < 1 || w < 1 || h > 65536 || w > 65536 || (int64_t)h * w > (1 << 28))
        return cm_error(CM_ERR_ARG, "spline rotate: input: expected a non-empty array, got %d x %d", h, w);
    if (!isfinite(angle_deg))
        return cm_error(CM_ERR_ARG, "spline rotate: angle: expected a finite number of degrees, got %g", angle_deg);
    double *own = NULL;
    if (!work) {
        own = cm_alloc(sizeof(double) * (size_t)h * w);
        if (!own)
            return cm_error(CM_ERR_NOMEM, "spline rotate: cannot allocate %d x %d coefficients", h, w);
        work = own;
    }
    double *line = cm_alloc(sizeof(double) * (size_t)h * w);
    if (!line) {
        cm_free(own);
        return cm_error(CM_ERR_NOMEM, "spline rotate: cannot allocate %d x %d", h, w);
    }
    memcpy(work, in, sizeof(double) * (size_t)h * w);
    cm_spline_prefilter(work, h, w, line);
    double c, s;
    cm_cos_sin_deg(angle_deg, &c, &s);
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            double ri, rj;
            cm_spline_tap t;
            cm_rotation_source(i, j, c, s, h, w, &ri, &rj);
            cm_spline_tap_at(ri, rj, h, w, &t);
            out[(size_t)i * w + j] = cm_spline_sample(work, &t);
        }
    cm_free(line);
    cm_free(own);
    return CM_OK;
}
