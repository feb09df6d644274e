/* Skaggs spatial information, sparsity and selectivity (grid-cells.md §5.3). */
#include "cogmap/analysis.h"

#include <math.h>

void cm_spatial_info_compute(const double *map, const double *occupancy, int nbins, double dt,
                             cm_spatial_info *out)
{
    double total = 0, lbar = 0, l2 = 0, lmax = -INFINITY;
    int negative = 0;
    for (int k = 0; k < nbins; k++)
        if (occupancy[k] > 0 && isfinite(map[k]))
            total += occupancy[k];
    for (int k = 0; k < nbins; k++) {
        if (!(occupancy[k] > 0) || !isfinite(map[k]))
            continue;
        double p = occupancy[k] / total;
        lbar += p * map[k];
        l2 += p * map[k] * map[k];
        if (map[k] > lmax)
            lmax = map[k];
        if (map[k] < 0)
            negative = 1;
    }
    out->mean_rate = total > 0 ? lbar : NAN;
    if (!(total > 0) || negative || !(lbar > 0)) {
        /* Information is defined for non-negative rates with a positive mean. */
        out->bits_per_spike = out->bits_per_second = out->sparsity = out->selectivity = NAN;
        return;
    }
    double info = 0;
    for (int k = 0; k < nbins; k++) {
        if (!(occupancy[k] > 0) || !isfinite(map[k]) || map[k] <= 0)
            continue; /* 0 log 0 = 0 */
        double ratio = map[k] / lbar;
        info += occupancy[k] / total * ratio * log2(ratio);
    }
    out->bits_per_spike = info;
    out->bits_per_second = dt > 0 ? info * lbar / dt : NAN;
    out->sparsity = lbar * lbar / l2;
    out->selectivity = lmax / lbar;
}
