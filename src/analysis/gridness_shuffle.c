/* Shuffle tests of gridness (grid-cells.md §5.5, docs/analysis.md): each unit's score60
 * against the 95th and 99th percentiles of its own null distribution, from circular time
 * shifts of its activity against the trajectory (opexebo's general/shuffle.py, the
 * experimental standard) or, for rate maps alone, from permutations of the visited bins.
 * Unit u draws from rng stream (stream + u) of `seed`: the same bits for any thread count. */
#include "cogmap/analysis.h"

#include <math.h>
#include <string.h>

#include <omp.h>

static cm_status check_common(const cm_gridness_scorer *s, int units, int n_shuffles, const double *p95,
                              const double *p99)
{
    if (!s || units <= 0 || n_shuffles < 1)
        return cm_error(CM_ERR_ARG, "gridness shuffle: expected a scorer, units >= 1 and shuffles >= 1, got %d and %d",
                        units, n_shuffles);
    if (!p95 || !p99)
        return cm_error(CM_ERR_ARG, "gridness shuffle: expected the p95 and p99 outputs");
    return CM_OK;
}

/* The percentiles of one unit's null scores (sorted in place); NaN scores
 * (flat maps) are left out, a unit with none left gets NaN. */
static void unit_percentiles(double *null, int n, double *p95, double *p99)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        if (!isnan(null[i]))
            null[k++] = null[i];
    *p95 = cm_percentile(null, k, 95.0);
    *p99 = cm_percentile(null, k, 99.0);
}

int64_t cm_gridness_shift_offset(cm_rng *r, int64_t n, int64_t min_shift)
{
    return min_shift + (int64_t)cm_rng_below(r, (uint64_t)(n - 2 * min_shift + 1));
}

cm_status cm_gridness_shuffle_timeshift(const cm_gridness_scorer *s, const cm_grid2 *g, const double *pos,
                                        const float *act, int64_t n, int units, int n_shuffles, int64_t min_shift,
                                        uint64_t seed, uint64_t stream, int f32, double *p95, double *p99,
                                        double *null_out)
{
    cm_status st = check_common(s, units, n_shuffles, p95, p99);
    if (st != CM_OK)
        return st;
    const int nb = cm_gridness_scorer_config(s)->nbins;
    if (!g || g->nx != nb || g->ny != nb || !g->xedges || !g->yedges)
        return cm_error(CM_ERR_ARG, "gridness shuffle: grid: expected %d x %d bins with edges (the scorer's size)", nb,
                        nb);
    if (!pos || !act || min_shift < 1 || n < 2 * min_shift)
        return cm_error(CM_ERR_ARG,
                        "gridness shuffle: expected samples and 1 <= min_shift <= n / 2, got n %lld, min_shift %lld",
                        (long long)n, (long long)min_shift);
    const int nb2 = nb * nb;
    const size_t ws = cm_gridness_workspace_size(s);
    const int threads = cm_threads() < 1 ? 1 : cm_threads();
    int32_t *bin = cm_alloc(sizeof(int32_t) * (size_t)n);
    double *counts = cm_calloc((size_t)nb2, sizeof(double));
    /* per thread: one unit's activity, its map sums, the map, the null, the scorer's workspace */
    const size_t per_thread = (size_t)n + 2 * (size_t)nb2 + (size_t)n_shuffles + ws;
    double *work = cm_alloc(sizeof(double) * per_thread * (size_t)threads);
    if (!bin || !counts || !work) {
        cm_free(bin), cm_free(counts), cm_free(work);
        return cm_error(CM_ERR_NOMEM, "gridness shuffle: out of memory for %lld samples", (long long)n);
    }
    for (int64_t t = 0; t < n; t++) {
        int ix = cm_bin_index(g->xedges, nb, pos[2 * t], f32);
        int iy = ix < 0 ? -1 : cm_bin_index(g->yedges, nb, pos[2 * t + 1], f32);
        bin[t] = (ix < 0 || iy < 0) ? -1 : ix * nb + iy;
        if (bin[t] >= 0)
            counts[bin[t]] += 1.0;
    }
    int failed = -1;
#pragma omp parallel num_threads(threads)
    {
        double *a = work + per_thread * (size_t)omp_get_thread_num();
        double *sums = a + n, *map = sums + nb2, *null = map + nb2, *w = null + n_shuffles;
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < units; u++) {
            cm_rng r;
            cm_rng_seed(&r, seed, stream + (uint64_t)u);
            for (int64_t t = 0; t < n; t++)
                a[t] = act[(size_t)t * units + u];
            for (int k = 0; k < n_shuffles; k++) {
                /* shifted[j] = a[(j - off) mod n] (numpy.roll(a, off)): sample j keeps its
                 * position and takes the activity of sample j - off. Sums in j order, as
                 * binned_statistic's bincount adds them. */
                const int64_t off = cm_gridness_shift_offset(&r, n, min_shift);
                memset(sums, 0, sizeof(double) * (size_t)nb2);
                for (int64_t j = 0; j < off; j++)
                    if (bin[j] >= 0)
                        sums[bin[j]] += a[n - off + j];
                for (int64_t j = off; j < n; j++)
                    if (bin[j] >= 0)
                        sums[bin[j]] += a[j - off];
                for (int b = 0; b < nb2; b++)
                    map[b] = counts[b] > 0 ? sums[b] / counts[b] : NAN;
                cm_gridness_result res;
                if (cm_gridness_score(s, map, w, &res, NULL) != CM_OK) {
#pragma omp critical /* unnamed: a named one would be an exported symbol */
                    if (failed < 0 || u < failed)
                        failed = u;
                    res.score60 = NAN;
                }
                null[k] = res.score60;
            }
            if (null_out)
                memcpy(null_out + (size_t)u * n_shuffles, null, sizeof(double) * (size_t)n_shuffles);
            unit_percentiles(null, n_shuffles, &p95[u], &p99[u]);
        }
    }
    cm_free(bin);
    cm_free(counts);
    cm_free(work);
    if (failed >= 0)
        return cm_error(CM_ERR_NUMERIC, "gridness shuffle: unit %d: a shuffled map could not be scored", failed);
    return CM_OK;
}

cm_status cm_gridness_shuffle_bins(const cm_gridness_scorer *s, const double *maps, int count, int n_shuffles,
                                   uint64_t seed, uint64_t stream, double *p95, double *p99, double *null_out)
{
    cm_status st = check_common(s, count, n_shuffles, p95, p99);
    if (st != CM_OK)
        return st;
    if (!maps)
        return cm_error(CM_ERR_ARG, "gridness shuffle: expected maps");
    const int nb = cm_gridness_scorer_config(s)->nbins, nb2 = nb * nb;
    const size_t ws = cm_gridness_workspace_size(s);
    const int threads = cm_threads() < 1 ? 1 : cm_threads();
    const size_t per_thread = 2 * (size_t)nb2 + (size_t)n_shuffles + ws;
    double *work = cm_alloc(sizeof(double) * per_thread * (size_t)threads);
    int *visited = cm_alloc(sizeof(int) * (size_t)nb2 * (size_t)threads);
    if (!work || !visited) {
        cm_free(work), cm_free(visited);
        return cm_error(CM_ERR_NOMEM, "gridness shuffle: out of memory");
    }
    int failed = -1;
#pragma omp parallel num_threads(threads)
    {
        double *vals = work + per_thread * (size_t)omp_get_thread_num();
        double *map = vals + nb2, *null = map + nb2, *w = null + n_shuffles;
        int *idx = visited + (size_t)nb2 * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 1)
        for (int u = 0; u < count; u++) {
            const double *m = maps + (size_t)u * nb2;
            cm_rng r;
            cm_rng_seed(&r, seed, stream + (uint64_t)u);
            /* the visited (non-NaN) bins, in raster order; unvisited ones stay NaN */
            int nv = 0;
            for (int b = 0; b < nb2; b++)
                if (!isnan(m[b]))
                    idx[nv++] = b;
            for (int k = 0; k < n_shuffles; k++) {
                for (int i = 0; i < nv; i++)
                    vals[i] = m[idx[i]];
                for (int i = nv - 1; i > 0; i--) { /* Fisher-Yates, as cm_rv_shuffle_threshold */
                    int j = (int)cm_rng_below(&r, (uint64_t)i + 1);
                    double t = vals[i];
                    vals[i] = vals[j];
                    vals[j] = t;
                }
                memcpy(map, m, sizeof(double) * (size_t)nb2);
                for (int i = 0; i < nv; i++)
                    map[idx[i]] = vals[i];
                cm_gridness_result res;
                if (cm_gridness_score(s, map, w, &res, NULL) != CM_OK) {
#pragma omp critical /* unnamed: a named one would be an exported symbol */
                    if (failed < 0 || u < failed)
                        failed = u;
                    res.score60 = NAN;
                }
                null[k] = res.score60;
            }
            if (null_out)
                memcpy(null_out + (size_t)u * n_shuffles, null, sizeof(double) * (size_t)n_shuffles);
            unit_percentiles(null, n_shuffles, &p95[u], &p99[u]);
        }
    }
    cm_free(work);
    cm_free(visited);
    if (failed >= 0)
        return cm_error(CM_ERR_NUMERIC, "gridness shuffle: map %d: a shuffled map could not be scored", failed);
    return CM_OK;
}

double cm_gridness_shuffle_fraction(const cm_gridness_result *results, const double *threshold, int units)
{
    if (units <= 0)
        return NAN;
    int k = 0;
    for (int u = 0; u < units; u++)
        k += results[u].score60 > threshold[u]; /* NaN on either side never passes */
    return (double)k / units;
}
