/* The BNT / opexebo grid score (Sargolini et al. 2006 lineage; opexebo's grid_score), following
 * grid-cells.md §5.1 (b). cogmap's own implementation, not bit-compatible with opexebo:
 *   - autocorrelogram: the overlap-normalised Pearson SAC (NaN bins as 0, the same formula as
 *     DeepMind's), cropped centrally to round(1.8 n) per axis (odd), divided by its maximum;
 *   - central field: the 4-connected region around the centre above half the peak (opexebo
 *     grows it with an adaptive threshold from 0.95); r_c = floor(sqrt(area / pi));
 *   - rotations by 30..150 degrees, bilinear, 0 outside (skimage.transform.rotate defaults);
 *   - radii linspace(max(3, r_c + 1), floor(min(shape) / 2), floor(min(shape) / 2) - r_c) as
 *     integers, 1-based Matlab coordinates centred at ceil(shape / 2); mask r_c < d < radius;
 *   - Pearson r per angle, GNS = min(r60, r120) - max(r30, r90, r150) per radius; the score is
 *     the largest sliding mean (nanmean) of 3 consecutive radii, or the plain mean when there
 *     are fewer than 4 radii.
 * Spacing and orientation come from cm_gridness_spacing on the normalised autocorrelogram. */
#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* numpy.round: halves to even */
static double round_even(double x) { return nearbyint(x); }

static double pearson(const double *a, const double *b, int n)
{
    if (n < 2)
        return NAN;
    double ma = 0, mb = 0;
    for (int i = 0; i < n; i++) {
        ma += a[i];
        mb += b[i];
    }
    ma /= n;
    mb /= n;
    double sab = 0, saa = 0, sbb = 0;
    for (int i = 0; i < n; i++) {
        sab += (a[i] - ma) * (b[i] - mb);
        saa += (a[i] - ma) * (a[i] - ma);
        sbb += (b[i] - mb) * (b[i] - mb);
    }
    return (saa > 0 && sbb > 0) ? sab / sqrt(saa * sbb) : NAN;
}

/* Bilinear rotation about the array centre, counter-clockwise as displayed (rows down). */
static void rotate_bilinear(const double *in, int h, int w, double deg, double *out)
{
    const double t = deg * M_PI / 180.0, c = cos(t), s = sin(t);
    const double ci = (h - 1) / 2.0, cj = (w - 1) / 2.0;
    for (int i = 0; i < h; i++)
        for (int j = 0; j < w; j++) {
            const double y = i - ci, x = j - cj;
            const double sx = c * x - s * y + cj, sy = s * x + c * y + ci;
            double v = 0;
            if (sx >= 0 && sy >= 0 && sx <= w - 1 && sy <= h - 1) {
                int x0 = (int)floor(sx), y0 = (int)floor(sy);
                if (x0 == w - 1)
                    x0--;
                if (y0 == h - 1)
                    y0--;
                const double fx = sx - x0, fy = sy - y0;
                if (w == 1 || h == 1) {
                    v = in[(size_t)(y0 < 0 ? 0 : y0) * w + (x0 < 0 ? 0 : x0)];
                } else {
                    const double *r0 = in + (size_t)y0 * w, *r1 = r0 + w;
                    v = (1 - fy) * ((1 - fx) * r0[x0] + fx * r0[x0 + 1]) + fy * ((1 - fx) * r1[x0] + fx * r1[x0 + 1]);
                }
            }
            out[(size_t)i * w + j] = v;
        }
}

cm_status cm_gridness_bnt(const double *map, int h, int w, cm_bnt_gridness *out)
{
    if (!map || !out || h < 1 || w < 1 || h > 2048 || w > 2048)
        return cm_error(CM_ERR_ARG, "bnt gridness: map: expected 1..2048 x 1..2048 bins, got %d x %d", h, w);
    out->score = out->spacing = out->orientation = NAN;
    out->central_radius = 0;
    const int sh = 2 * h - 1, sw = 2 * w - 1;
    /* crop to round(1.8 n) per axis, kept odd and centred as opexebo's slicing does */
    const int off_i = (int)round_even((sh - round_even(1.8 * h)) / 2.0 + 1) - 1;
    const int off_j = (int)round_even((sw - round_even(1.8 * w)) / 2.0 + 1) - 1;
    const int ch = sh - 2 * (off_i > 0 ? off_i : 0), cw = sw - 2 * (off_j > 0 ? off_j : 0);
    const int oi = (sh - ch) / 2, oj = (sw - cw) / 2;
    const size_t csz = (size_t)ch * cw;
    double *sac = malloc(sizeof(double) * (size_t)sh * sw);
    double *ac = malloc(sizeof(double) * csz * 3);
    double *va = malloc(sizeof(double) * csz * 2);
    int *stack = malloc(sizeof(int) * csz);
    unsigned char *field = calloc(csz, 1);
    double *rot[5] = {0};
    for (int k = 0; k < 5; k++)
        rot[k] = malloc(sizeof(double) * csz);
    int ok = sac && ac && va && stack && field;
    for (int k = 0; k < 5; k++)
        ok = ok && rot[k];
    cm_status st = ok ? CM_OK : cm_error(CM_ERR_NOMEM, "bnt gridness: cannot allocate for a %d x %d map", h, w);
    if (st == CM_OK)
        st = cm_gridness_sac(map, h, w, sac);
    if (st != CM_OK)
        goto done;
    double peak = -INFINITY;
    for (int i = 0; i < ch; i++)
        for (int j = 0; j < cw; j++) {
            ac[i * cw + j] = sac[(size_t)(i + oi) * sw + (j + oj)];
            peak = fmax(peak, ac[i * cw + j]);
        }
    if (!(peak > 0) || !isfinite(peak) || ch < 3 || cw < 3)
        goto done; /* no structure to score: NaN, as opexebo's invalid output */
    for (size_t k = 0; k < csz; k++)
        ac[k] /= peak;

    /* central field: flood fill from the centre over pixels above half the peak */
    const int ci = ch / 2, cj = cw / 2;
    int top = 0, area = 0;
    if (ac[ci * cw + cj] > 0.5) {
        stack[top++] = ci * cw + cj;
        field[ci * cw + cj] = 1;
    }
    while (top > 0) {
        const int at = stack[--top], i = at / cw, j = at % cw;
        area++;
        const int nb[4][2] = {{i - 1, j}, {i + 1, j}, {i, j - 1}, {i, j + 1}};
        for (int k = 0; k < 4; k++) {
            const int y = nb[k][0], x = nb[k][1];
            if (y < 0 || x < 0 || y >= ch || x >= cw || field[y * cw + x] || !(ac[y * cw + x] > 0.5))
                continue;
            field[y * cw + x] = 1;
            stack[top++] = y * cw + x;
        }
    }
    const int rc = (int)floor(sqrt(area / M_PI));
    out->central_radius = rc;
    const int outer = (ch < cw ? ch : cw) / 2;
    if (rc == 0 || outer < rc)
        goto done;
    const int steps = outer - rc;
    if (steps < 1)
        goto done;
    for (int k = 0; k < 5; k++)
        rotate_bilinear(ac, ch, cw, 30.0 * (k + 1), rot[k]);
    double *gns = malloc(sizeof(double) * (size_t)steps);
    if (!gns) {
        st = cm_error(CM_ERR_NOMEM, "bnt gridness: cannot allocate %d radii", steps);
        goto done;
    }
    const double first = rc + 1 > 3 ? rc + 1 : 3, half_h = ceil(ch / 2.0), half_w = ceil(cw / 2.0);
    for (int s = 0; s < steps; s++) {
        const int radius = (int)(steps > 1 ? first + s * ((outer - first) / (steps - 1)) : first);
        int n = 0;
        double r[5];
        for (int k = 0; k < 5; k++) {
            n = 0;
            for (int i = 0; i < ch; i++)
                for (int j = 0; j < cw; j++) {
                    const double d = hypot(j + 1 - half_w, i + 1 - half_h);
                    if (d > rc && d < radius) {
                        va[n] = ac[i * cw + j];
                        va[csz + n] = rot[k][i * cw + j];
                        n++;
                    }
                }
            r[k] = pearson(va, va + csz, n);
        }
        const double mn = (isnan(r[1]) || isnan(r[3])) ? NAN : fmin(r[1], r[3]);
        const double mx = (isnan(r[0]) || isnan(r[2]) || isnan(r[4])) ? NAN : fmax(r[0], fmax(r[2], r[4]));
        gns[s] = mn - mx;
    }
    const int windows = steps - 3 > 1 ? steps - 3 : 1;
    double score = NAN;
    if (windows == 1) {
        double sum = 0;
        for (int s = 0; s < steps; s++)
            sum += gns[s];
        score = sum / steps; /* np.mean: NaN if any is NaN */
    } else {
        for (int s = 0; s < windows; s++) {
            double sum = 0;
            int cnt = 0;
            for (int k = s; k < s + 3 && k < steps; k++)
                if (!isnan(gns[k])) {
                    sum += gns[k];
                    cnt++;
                }
            const double m = cnt ? sum / cnt : NAN;
            if (!isnan(m) && (isnan(score) || m > score))
                score = m;
        }
    }
    free(gns);
    out->score = score;
    cm_gridness_spacing(ac, ch, cw, &out->spacing, &out->orientation);
done:
    free(sac);
    free(ac);
    free(va);
    free(stack);
    free(field);
    for (int k = 0; k < 5; k++)
        free(rot[k]);
    return st;
}
