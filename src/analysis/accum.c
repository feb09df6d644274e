/* The binned-sum kernel behind every rate map (see accum.h). */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "analysis/accum.h"

#include <math.h>
#include <string.h>

/* Adds units [u0, u0 + width) of every binned sample into tab [nbins,
 * CM_ACCUM_BLOCK]. Always inlined: called with the constant CM_ACCUM_BLOCK
 * for full blocks, the inner loop gets a fixed trip count and vectorises. */
static inline __attribute__((always_inline)) void add_rows(const int32_t *bin, int64_t n, const float *act, int units,
                                                           int u0, int width, double *tab)
{
    for (int64_t t = 0; t < n; t++) {
        int k = bin[t];
        if (k < 0)
            continue;
        const float *row = act + t * units + u0;
        double *dst = tab + (size_t)k * CM_ACCUM_BLOCK;
        for (int j = 0; j < width; j++)
            dst[j] += (double)row[j];
    }
}

cm_status cm_accum_bins(const int32_t *bin, int64_t n, int nbins, const float *act, int units, double *sums,
                        double *counts)
{
    int nblocks = (units + CM_ACCUM_BLOCK - 1) / CM_ACCUM_BLOCK;
    cm_status status = CM_OK;
    if (counts) {
        memset(counts, 0, sizeof(double) * (size_t)nbins);
        for (int64_t t = 0; t < n; t++)
            if (bin[t] >= 0)
                counts[bin[t]] += 1.0;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int b = 0; b < nblocks; b++) {
        int u0 = b * CM_ACCUM_BLOCK;
        int bw = units - u0 < CM_ACCUM_BLOCK ? units - u0 : CM_ACCUM_BLOCK;
        double *tab = cm_calloc((size_t)nbins * CM_ACCUM_BLOCK, sizeof(double));
        if (!tab) {
#pragma omp critical /* unnamed: a named one would be an exported symbol */
            status = CM_ERR_NOMEM;
            continue;
        }
        if (bw == CM_ACCUM_BLOCK)
            add_rows(bin, n, act, units, u0, CM_ACCUM_BLOCK, tab);
        else
            add_rows(bin, n, act, units, u0, bw, tab);
        for (int j = 0; j < bw; j++)
            for (int k = 0; k < nbins; k++)
                sums[(size_t)(u0 + j) * nbins + k] = tab[(size_t)k * CM_ACCUM_BLOCK + j];
        cm_free(tab);
    }
    if (status != CM_OK)
        return cm_error(status, "analysis: binned sums: out of memory for %d bins", nbins);
    return CM_OK;
}

void cm_accum_mean(double *sums, const double *counts, int nbins, int units)
{
    for (int u = 0; u < units; u++)
        for (int k = 0; k < nbins; k++) {
            double *s = sums + (size_t)u * nbins + k;
            *s = counts[k] > 0 ? *s / counts[k] : NAN;
        }
}
