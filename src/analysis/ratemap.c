/* Spatial rate maps: SMP's calculate_ratemap (with heading octants) and
 * DeepMind's fixed-range maps, for many units in one pass. */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>

#include "analysis/accum.h"

cm_status cm_ratemaps(const cm_grid2 *g, const double *pos, const double *hd, const float *act, int64_t n,
                      int units, double *maps, double *octants, double *occupancy, int f32)
{
    if (!g || g->nx <= 0 || g->ny <= 0 || !g->xedges || !g->yedges)
        return cm_error(CM_ERR_ARG, "ratemaps: grid: expected nx, ny > 0 and their edges");
    if (n < 0 || units <= 0)
        return cm_error(CM_ERR_ARG, "ratemaps: expected n >= 0 and units > 0, got %lld and %d", (long long)n,
                        units);
    if (octants && !hd)
        return cm_error(CM_ERR_ARG, "ratemaps: octant maps need headings");
    int nb = g->nx * g->ny;
    int32_t *bin = cm_alloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    double *counts = cm_alloc(sizeof(double) * (size_t)nb * 8);
    if (!bin || !counts) {
        cm_free(bin);
        cm_free(counts);
        return cm_error(CM_ERR_NOMEM, "ratemaps: out of memory for %lld samples", (long long)n);
    }
    for (int64_t t = 0; t < n; t++) {
        int ix = cm_bin_index(g->xedges, g->nx, pos[2 * t], f32);
        int iy = ix < 0 ? -1 : cm_bin_index(g->yedges, g->ny, pos[2 * t + 1], f32);
        bin[t] = (ix < 0 || iy < 0) ? -1 : ix * g->ny + iy;
    }
    cm_status st = cm_accum_bins(bin, n, nb, act, units, maps, counts);
    if (st == CM_OK) {
        if (occupancy)
            for (int k = 0; k < nb; k++)
                occupancy[k] = counts[k];
        cm_accum_mean(maps, counts, nb, units);
    }
    if (st == CM_OK && octants) {
        /* SMP: octant = mod(round(hd / (pi/4)), 8), binned over -0.5..7.5; the
         * heading is not wrapped first, the mod does it. */
        for (int64_t t = 0; t < n; t++) {
            if (bin[t] < 0)
                continue;
            double o = f32 ? (double)rintf((float)hd[t] / (float)(M_PI / 4)) : rint(hd[t] / (M_PI / 4));
            o = fmod(o, 8.0);
            if (o < 0)
                o += 8.0;
            if (!(o >= 0 && o < 8)) { /* NaN heading: no octant */
                bin[t] = -1;
                continue;
            }
            bin[t] = bin[t] * 8 + (int)o;
        }
        st = cm_accum_bins(bin, n, nb * 8, act, units, octants, counts);
        if (st == CM_OK)
            cm_accum_mean(octants, counts, nb * 8, units);
    }
    cm_free(bin);
    cm_free(counts);
    return st;
}
