/* Grid spacing and orientation from an autocorrelogram (cogmap's own definition; DeepMind's
 * scorer has none): the local maxima above 0.1 other than the central peak, the six nearest
 * the centre; spacing = the mean of their distances to the centre, orientation = the smallest
 * of their angles modulo 60 degrees. Angles are measured in array coordinates, from the second
 * axis (columns, +j) towards the first (rows, +i). */
#include "cogmap/analysis.h"

#include <math.h>

#define MAX_PEAKS 6

void cm_gridness_spacing(const double *sac, int sh, int sw, double *spacing, double *orientation)
{
    *spacing = NAN;
    *orientation = NAN;
    if (!sac || sh < 3 || sw < 3)
        return;
    const int ci = sh / 2, cj = sw / 2;
    double dist[MAX_PEAKS], ang[MAX_PEAKS];
    int np = 0;
    for (int i = 1; i < sh - 1; i++)
        for (int j = 1; j < sw - 1; j++) {
            if (i == ci && j == cj)
                continue;
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
            const double d = hypot((double)(i - ci), (double)(j - cj));
            /* keep the MAX_PEAKS nearest, sorted by distance (insertion) */
            int pos = np < MAX_PEAKS ? np : MAX_PEAKS;
            while (pos > 0 && dist[pos - 1] > d)
                pos--;
            if (pos >= MAX_PEAKS)
                continue;
            int last = np < MAX_PEAKS ? np : MAX_PEAKS - 1;
            for (int k = last; k > pos; k--) {
                dist[k] = dist[k - 1];
                ang[k] = ang[k - 1];
            }
            dist[pos] = d;
            ang[pos] = atan2((double)(i - ci), (double)(j - cj)) * (180.0 / M_PI);
            if (np < MAX_PEAKS)
                np++;
        }
    if (np < 3)
        return;
    double sum = 0.0, best = 60.0;
    for (int k = 0; k < np; k++) {
        sum += dist[k];
        double a = fmod(ang[k], 60.0);
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
