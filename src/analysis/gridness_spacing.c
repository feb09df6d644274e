/* Grid spacing and orientation from an autocorrelogram (cogmap's own definition; DeepMind's
 * scorer has none): the local maxima above 0.1 other than the central peak, the six nearest
 * the centre; spacing = the mean of their distances to the centre, orientation = the smallest
 * of their angles modulo 60 degrees. Angles are measured in array coordinates, from the second
 * axis (columns, +j) towards the first (rows, +i). */
#include "cogmap/analysis.h"

#include <math.h>

/* An autocorrelogram is point-symmetric: peaks come in pairs p, -p with the same distance and the
 * same angle modulo 60 degrees, so the half before the centre (raster order) is scanned and the
 * three nearest peaks there stand for the six. */
#define MAX_PEAKS 3

void cm_gridness_spacing(const double *sac, int sh, int sw, double *spacing, double *orientation)
{
    *spacing = NAN;
    *orientation = NAN;
    if (!sac || sh < 3 || sw < 3)
        return;
    const int ci = sh / 2, cj = sw / 2;
    int d2[MAX_PEAKS], di_[MAX_PEAKS], dj_[MAX_PEAKS]; /* squared distance and offset of the kept peaks */
    int np = 0;
    for (int i = 1; i <= ci; i++)
        for (int j = 1; j < sw - 1; j++) {
            if (i == ci && j >= cj)
                break;
            const double v = sac[(size_t)i * sw + j];
            if (!(v > 0.1))
                continue;
            /* a maximum over its 8 neighbours; ties go to the first in raster order */
            int peak = 1;
            for (int di = -1; di <= 1 && peak; di++)
                for (int dj = -1; dj <= 1; dj++) {
                    if (!di && !dj)
                        continue;
                    const double u = sac[(size_t)(i + di) * sw + (j + dj)];
                    const int before = di < 0 || (di == 0 && dj < 0);
                    if (before ? !(v > u) : !(v >= u)) {
                        peak = 0;
                        break;
                    }
                }
            if (!peak)
                continue;
            const int d = (i - ci) * (i - ci) + (j - cj) * (j - cj);
            /* keep the MAX_PEAKS nearest, sorted by distance (insertion; ties keep raster order) */
            int pos = np < MAX_PEAKS ? np : MAX_PEAKS;
            while (pos > 0 && d2[pos - 1] > d)
                pos--;
            if (pos >= MAX_PEAKS)
                continue;
            int last = np < MAX_PEAKS ? np : MAX_PEAKS - 1;
            for (int k = last; k > pos; k--) {
                d2[k] = d2[k - 1];
                di_[k] = di_[k - 1];
                dj_[k] = dj_[k - 1];
            }
            d2[pos] = d;
            di_[pos] = i - ci;
            dj_[pos] = j - cj;
            if (np < MAX_PEAKS)
                np++;
        }
    if (np < 2) /* fewer than 3 peaks in all (they come in pairs) */
        return;
    double sum = 0.0, best = 60.0;
    for (int k = 0; k < np; k++) {
        sum += sqrt((double)d2[k]);
        double a = fmod(atan2((double)di_[k], (double)dj_[k]) * (180.0 / M_PI), 60.0);
        if (a < 0)
            a += 60.0;
        if (a >= 60.0 - 1e-9)
            a = 0.0;
        if (a < best)
            best = a;
    }
    *spacing = sum / np;
    *orientation = best;
}
