/* Split-half spatial stability, SMP's positional_correlations (smp.md §5.5). */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>

#define MAX_EDGES 4097

static cm_status half_maps(const double *pos, const float *act, int64_t n, int units, double bin_size,
                           double **maps, int *nb, int *nxo, int f32)
{
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int64_t t = 0; t < n; t++) {
        xmin = fmin(xmin, pos[2 * t]);
        xmax = fmax(xmax, pos[2 * t]);
        ymin = fmin(ymin, pos[2 * t + 1]);
        ymax = fmax(ymax, pos[2 * t + 1]);
    }
    double xe[MAX_EDGES], ye[MAX_EDGES];
    int nx = cm_smp_edges(xmin, xmax, bin_size, xe, MAX_EDGES, f32);
    int ny = cm_smp_edges(ymin, ymax, bin_size, ye, MAX_EDGES, f32);
    if (nx <= 0 || ny <= 0)
        return cm_error(CM_ERR_ARG,
                        "stability: positions: expected an x and y extent of at least one sample apart and at most "
                        "%d bins, got x [%g, %g], y [%g, %g]",
                        MAX_EDGES - 1, xmin, xmax, ymin, ymax);
    *nb = nx * ny;
    *nxo = nx;
    *maps = cm_alloc(sizeof(double) * (size_t)units * nx * ny);
    if (!*maps)
        return cm_error(CM_ERR_NOMEM, "stability: out of memory");
    cm_grid2 g = {nx, ny, xe, ye};
    cm_status st = cm_ratemaps(&g, pos, NULL, act, n, units, *maps, NULL, NULL, f32);
    if (st != CM_OK) {
        cm_free(*maps);
        *maps = NULL;
    }
    return st;
}

cm_status cm_split_half_stability(const double *pos, const float *act, int64_t n, int units, double bin_size,
                                  double *r, int f32)
{
    if (n < 4)
        return cm_error(CM_ERR_ARG, "stability: expected at least 4 samples, got %lld", (long long)n);
    int64_t half = n / 2;
    double *ma = NULL, *mb = NULL;
    int na = 0, nbb = 0, nxa = 0, nxb = 0;
    cm_status st = half_maps(pos, act, half, units, bin_size, &ma, &na, &nxa, f32);
    if (st == CM_OK)
        st = half_maps(pos + 2 * half, act + half * units, n - half, units, bin_size, &mb, &nbb, &nxb, f32);
    if (st != CM_OK) {
        cm_free(ma);
        return st;
    }
    /* Each half has its own edges; when the two grids differ in shape SMP's
     * code fails (numpy cannot pair the bins). cogmap reports NaN instead. */
    int m = na;
    for (int u = 0; u < units; u++) {
        if (na != nbb || nxa != nxb) {
            r[u] = NAN;
            continue;
        }
        const double *a = ma + (size_t)u * na, *b = mb + (size_t)u * nbb;
        double sa = 0, sb = 0;
        int64_t c = 0;
        for (int k = 0; k < m; k++)
            if (isfinite(a[k]) && isfinite(b[k])) {
                sa += a[k];
                sb += b[k];
                c++;
            }
        if (c < 2) {
            r[u] = NAN;
            continue;
        }
        double mean_a = sa / (double)c, mean_b = sb / (double)c, saa = 0, sbb = 0, sab = 0;
        for (int k = 0; k < m; k++)
            if (isfinite(a[k]) && isfinite(b[k])) {
                double da = a[k] - mean_a, db = b[k] - mean_b;
                saa += da * da;
                sbb += db * db;
                sab += da * db;
            }
        /* numpy.corrcoef: cov / sqrt(var_a) / sqrt(var_b), clipped to [-1, 1];
         * a flat half gives 0/0 = NaN as numpy does. */
        double rr = sab / sqrt(saa) / sqrt(sbb);
        if (rr > 1)
            rr = 1;
        if (rr < -1)
            rr = -1;
        r[u] = rr;
    }
    cm_free(ma);
    cm_free(mb);
    return CM_OK;
}
