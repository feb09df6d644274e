/* Shuffle thresholds: SMP's pooled bin permutation and circular time shifts
 * (smp.md §5.2, grid-cells.md §5.5), and numpy's percentile. */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/numerics.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double cm_percentile(double *values, int64_t n, double q)
{
    if (n <= 0)
        return NAN;
    for (int64_t i = 0; i < n; i++)
        if (isnan(values[i]))
            return NAN;
    qsort(values, (size_t)n, sizeof(double), cmp_double);
    double pos = q / 100.0 * (double)(n - 1);
    int64_t lo = (int64_t)floor(pos);
    if (lo >= n - 1)
        return values[n - 1];
    double t = pos - (double)lo;
    double a = values[lo], b = values[lo + 1], d = b - a;
    /* numpy's _lerp: from the nearer end, so the result stays in [a, b]. */
    return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

cm_status cm_rv_shuffle_threshold(const double *profiles, int units, int nbins, int n_shuffles,
                                  double percentile, uint64_t seed, uint64_t stream, double *threshold,
                                  double *null_out)
{
    if (units <= 0 || nbins <= 0 || n_shuffles <= 0)
        return cm_error(CM_ERR_ARG, "shuffle threshold: expected units, bins and shuffles > 0, got %d, %d, %d",
                        units, nbins, n_shuffles);
    if (!(percentile >= 0 && percentile <= 100))
        return cm_error(CM_ERR_ARG, "shuffle threshold: percentile: expected 0..100, got %g", percentile);
    int64_t total = (int64_t)units * n_shuffles;
    double *lens = cm_alloc(sizeof(double) * (size_t)total);
    double *cs = cm_alloc(sizeof(double) * (size_t)nbins * 2);
    if (!lens || !cs) {
        cm_free(lens);
        cm_free(cs);
        return cm_error(CM_ERR_NOMEM, "shuffle threshold: out of memory for %lld shuffles", (long long)total);
    }
    cm_rv_centres(nbins, cs, cs + nbins);
#pragma omp parallel for schedule(dynamic, 4)
    for (int u = 0; u < units; u++) {
        double perm[nbins];
        cm_rng rng;
        cm_rng_seed(&rng, seed, stream + (uint64_t)u);
        const double *p = profiles + (size_t)u * nbins;
        for (int s = 0; s < n_shuffles; s++) {
            memcpy(perm, p, sizeof(double) * (size_t)nbins);
            for (int i = nbins - 1; i > 0; i--) { /* Fisher–Yates */
                int j = (int)cm_rng_below(&rng, (uint64_t)i + 1);
                double tmp = perm[i];
                perm[i] = perm[j];
                perm[j] = tmp;
            }
            lens[(int64_t)u * n_shuffles + s] = cm_resultant_vector(perm, nbins, cs, cs + nbins, NULL);
        }
    }
    if (null_out)
        memcpy(null_out, lens, sizeof(double) * (size_t)total);
    *threshold = cm_percentile(lens, total, percentile);
    cm_free(lens);
    cm_free(cs);
    return CM_OK;
}

cm_status cm_hd_timeshift_threshold(const double *hd, const float *act, int64_t n, int units, int nbins,
                                    int n_shuffles, int64_t min_shift, double percentile, uint64_t seed,
                                    uint64_t stream, double *threshold, int f32)
{
    if (units <= 0 || nbins <= 0 || n_shuffles <= 0 || n < 2)
        return cm_error(CM_ERR_ARG, "time-shift threshold: expected units, bins, shuffles > 0 and n >= 2");
    if (min_shift < 1 || 2 * min_shift > n)
        return cm_error(CM_ERR_ARG, "time-shift threshold: min_shift: expected 1..%lld, got %lld",
                        (long long)(n / 2), (long long)min_shift);
    if (!(percentile >= 0 && percentile <= 100))
        return cm_error(CM_ERR_ARG, "time-shift threshold: percentile: expected 0..100, got %g", percentile);
    int64_t total = (int64_t)units * n_shuffles;
    double *lens = cm_alloc(sizeof(double) * (size_t)total);
    double *edges = cm_alloc(sizeof(double) * (size_t)(nbins + 1));
    double *cs = cm_alloc(sizeof(double) * (size_t)nbins * 2);
    double *counts = cm_calloc((size_t)nbins, sizeof(double));
    int32_t *bin = cm_alloc(sizeof(int32_t) * (size_t)n);
    if (!lens || !edges || !cs || !counts || !bin) {
        cm_free(lens);
        cm_free(edges);
        cm_free(cs);
        cm_free(counts);
        cm_free(bin);
        return cm_error(CM_ERR_NOMEM, "time-shift threshold: out of memory");
    }
    cm_linspace(-M_PI, M_PI, nbins + 1, edges);
    cm_rv_centres(nbins, cs, cs + nbins);
    for (int64_t t = 0; t < n; t++) {
        bin[t] = cm_bin_index(edges, nbins, cm_wrap_angle(hd[t], f32), f32);
        if (bin[t] >= 0)
            counts[bin[t]] += 1;
    }
    /* The heading bins and their counts do not move; only the activity is
     * shifted against them, so one pass per shuffle suffices. */
    int fail = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int u = 0; u < units; u++) {
        double sums[nbins];
        cm_rng rng;
        cm_rng_seed(&rng, seed, stream + (uint64_t)u);
        /* The unit's column, contiguous: each shuffle streams it once. */
        float *col = cm_alloc(sizeof(float) * (size_t)n);
        if (!col) {
#pragma omp atomic write
            fail = 1;
            continue;
        }
        for (int64_t t = 0; t < n; t++)
            col[t] = act[t * units + u];
        for (int s = 0; s < n_shuffles; s++) {
            int64_t off = min_shift + (int64_t)cm_rng_below(&rng, (uint64_t)(n - 2 * min_shift + 1));
            for (int k = 0; k < nbins; k++)
                sums[k] = 0;
            /* Heading sample t meets activity sample (t + off) mod n, in
             * two runs so that no modulo sits in the loop. */
            for (int64_t t = 0; t < n - off; t++)
                if (bin[t] >= 0)
                    sums[bin[t]] += (double)col[t + off];
            for (int64_t t = n - off; t < n; t++)
                if (bin[t] >= 0)
                    sums[bin[t]] += (double)col[t + off - n];
            for (int k = 0; k < nbins; k++)
                sums[k] = counts[k] > 0 ? sums[k] / counts[k] : NAN;
            lens[(int64_t)u * n_shuffles + s] = cm_resultant_vector(sums, nbins, cs, cs + nbins, NULL);
        }
        cm_free(col);
    }
    if (fail) {
        cm_free(lens);
        cm_free(edges);
        cm_free(cs);
        cm_free(counts);
        cm_free(bin);
        return cm_error(CM_ERR_NOMEM, "time-shift threshold: out of memory for a column of %lld samples",
                        (long long)n);
    }
    *threshold = cm_percentile(lens, total, percentile);
    cm_free(lens);
    cm_free(edges);
    cm_free(cs);
    cm_free(counts);
    cm_free(bin);
    return CM_OK;
}
