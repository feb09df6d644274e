/* Head direction: SMP's angular rate maps and resultant vector (smp.md §5.2). */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>

#include "analysis/accum.h"
#include "analysis/numerics.h"

cm_status cm_hd_ratemaps(const double *hd, const float *act, int64_t n, int units, int nbins, double *maps,
                         int f32)
{
    if (nbins <= 0 || units <= 0 || n < 0)
        return cm_error(CM_ERR_ARG, "hd ratemaps: expected nbins > 0, units > 0, got %d and %d", nbins, units);
    double *edges = cm_alloc(sizeof(double) * (size_t)(nbins + 1));
    double *counts = cm_alloc(sizeof(double) * (size_t)nbins);
    int32_t *bin = cm_alloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    if (!edges || !counts || !bin) {
        cm_free(edges);
        cm_free(counts);
        cm_free(bin);
        return cm_error(CM_ERR_NOMEM, "hd ratemaps: out of memory for %lld samples", (long long)n);
    }
    cm_linspace(-M_PI, M_PI, nbins + 1, edges);
    for (int64_t t = 0; t < n; t++) {
        double w = cm_wrap_angle(hd[t], f32);
        bin[t] = cm_bin_index(edges, nbins, w, f32);
    }
    cm_status st = cm_accum_bins(bin, n, nbins, act, units, maps, counts);
    if (st == CM_OK)
        cm_accum_mean(maps, counts, nbins, units);
    cm_free(edges);
    cm_free(counts);
    cm_free(bin);
    return st;
}

double cm_wrap_angle(double h, int f32)
{
    if (f32) { /* numpy on a float32 array stays in float32 */
        float hf = (float)h;
        return (double)atan2f(sinf(hf), cosf(hf));
    }
    return atan2(sin(h), cos(h));
}

void cm_rv_centres(int nbins, double *cos_c, double *sin_c)
{
    double e[nbins + 1];
    cm_linspace(-M_PI, M_PI, nbins + 1, e);
    for (int k = 0; k < nbins; k++) {
        /* numpy: 0.5 * bins[:-1] + 0.5 * bins[1:] */
        double c = 0.5 * e[k] + 0.5 * e[k + 1];
        cos_c[k] = cos(c);
        sin_c[k] = sin(c);
    }
}

double cm_resultant_vector(const double *rates, int nbins, const double *cos_c, const double *sin_c,
                           double *angle)
{
    double x = 0, y = 0, s = 0;
    for (int k = 0; k < nbins; k++) {
        x += rates[k] * cos_c[k];
        y += rates[k] * sin_c[k];
        s += rates[k];
    }
    x /= s + 1e-5;
    y /= s + 1e-5;
    if (angle)
        *angle = atan2(x, y); /* SMP: pi/2 - theta_pref */
    return hypot(x, y);
}
