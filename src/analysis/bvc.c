/* Boundary-vector cells: SMP's ego- and allocentric distance x angle maps and
 * their resultant-vector scores (smp.md §5.3, classify_units.py). */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>
#include <string.h>

#include "analysis/accum.h"
#include "analysis/numerics.h"

/* Units per block: one block's ego and allo tables (n_dist x R x block
 * doubles each) should stay in the core's L2 cache. */
#ifndef BVC_BLOCK
#define BVC_BLOCK 32
#endif

int cm_bvc_distance_bins(double max_d, double step, double *centres, double *edges, int cap)
{
    if (!(step > 0) || !isfinite(max_d))
        return -1;
    double len = ceil((max_d - step) / step); /* numpy.arange's length */
    if (!(len >= 2) || len > cap)
        return -1; /* SMP's interval maker needs two centres */
    int n = (int)len;
    /* numpy.arange fills start + i * (second - first). */
    double delta = (step + step) - step;
    for (int i = 0; i < n; i++)
        centres[i] = i == 0 ? step : (i == 1 ? step + step : step + (double)i * delta);
    if (edges) {
        edges[0] = centres[0] - (centres[1] - centres[0]) / 2.0;
        for (int i = 0; i + 1 < n; i++)
            edges[i + 1] = centres[i] + (centres[i + 1] - centres[i]) / 2.0;
        edges[n] = centres[n - 1] + (centres[n - 1] - centres[n - 2]) / 2.0;
    }
    return n;
}

int cm_bvc_ego_shift(double hd, int rays, int f32)
{
    /* numpy: n_angles * hd / (2 * pi), in float32 for a float32 hd. */
    double r = f32 ? (double)rintf((float)rays * (float)hd / (float)(2 * M_PI)) : rint((double)rays * hd / (2 * M_PI));
    if (!isfinite(r))
        return 0;
    long long s = (long long)fmod(r, (double)rays);
    if (s < 0)
        s += rays;
    return (int)s;
}

/* numpy.digitize(x, edges) - 1 for the n_dist bins; -1 outside (SMP drops them). */
static int dist_bin(const double *edges, int n_dist, double x)
{
    const int lo = cm_searchsorted_right(edges, n_dist + 1, x); /* NaN: n_dist + 1, dropped */
    return (lo == 0 || lo == n_dist + 1) ? -1 : lo - 1;
}

cm_status cm_bvc_maps(const float *dist, const double *hd, const float *act, int64_t n, int rays, int units,
                      const double *dedges, int n_dist, double *allo, double *ego, int f32)
{
    if (rays <= 0 || rays > CM_MAX_RAYS || units <= 0 || n_dist <= 0 || n < 0)
        return cm_error(CM_ERR_ARG, "bvc maps: expected 1..%d rays, units and distance bins > 0, got %d, %d, %d",
                        CM_MAX_RAYS, rays, units, n_dist);
    if (ego && !hd)
        return cm_error(CM_ERR_ARG, "bvc maps: egocentric maps need headings");
    if (n_dist > 32767)
        return cm_error(CM_ERR_ARG, "bvc maps: too many distance bins (%d)", n_dist);
    size_t cells = (size_t)n_dist * rays;
    int16_t *dbin = cm_alloc(sizeof(int16_t) * (size_t)(n > 0 ? n : 1) * rays);
    int16_t *shift = cm_alloc(sizeof(int16_t) * (size_t)(n > 0 ? n : 1));
    double *cnt_a = cm_calloc(cells, sizeof(double));
    double *cnt_e = cm_calloc(cells, sizeof(double));
    if (!dbin || !shift || !cnt_a || !cnt_e) {
        cm_free(dbin);
        cm_free(shift);
        cm_free(cnt_a);
        cm_free(cnt_e);
        return cm_error(CM_ERR_NOMEM, "bvc maps: out of memory for %lld x %d distances", (long long)n, rays);
    }
    for (int64_t t = 0; t < n; t++) {
        int16_t *db = dbin + t * rays;
        for (int a = 0; a < rays; a++) {
            db[a] = (int16_t)dist_bin(dedges, n_dist, (double)dist[t * rays + a]);
            if (db[a] >= 0)
                cnt_a[(size_t)db[a] * rays + a] += 1;
        }
        int s = hd ? cm_bvc_ego_shift(hd[t], rays, f32) : 0;
        shift[t] = (int16_t)s;
        if (ego)
            for (int j = 0; j < rays; j++) {
                int a = j + s < rays ? j + s : j + s - rays;
                if (db[a] >= 0)
                    cnt_e[(size_t)db[a] * rays + j] += 1;
            }
    }
    int nblocks = (units + BVC_BLOCK - 1) / BVC_BLOCK;
    cm_status status = CM_OK;
    /* One table per map per unit block; each unit's sums come from one thread
     * in sample order (numpy's bincount order), whatever the thread count. */
#pragma omp parallel for schedule(dynamic, 1)
    for (int b = 0; b < nblocks; b++) {
        int u0 = b * BVC_BLOCK;
        int bw = units - u0 < BVC_BLOCK ? units - u0 : BVC_BLOCK;
        double *ta = allo ? cm_calloc(cells * BVC_BLOCK, sizeof(double)) : NULL;
        double *te = ego ? cm_calloc(cells * BVC_BLOCK, sizeof(double)) : NULL;
        if ((allo && !ta) || (ego && !te)) {
            cm_free(ta);
            cm_free(te);
#pragma omp critical /* unnamed: a named one would be an exported symbol */
            status = CM_ERR_NOMEM;
            continue;
        }
        double v[BVC_BLOCK];
        for (int64_t t = 0; t < n; t++) {
            const float *row = act + t * units + u0;
            for (int j = 0; j < BVC_BLOCK; j++)
                v[j] = j < bw ? (double)row[j] : 0.0;
            const int16_t *db = dbin + t * rays;
            if (ta)
                for (int a = 0; a < rays; a++) {
                    if (db[a] < 0)
                        continue;
                    double *dst = ta + ((size_t)db[a] * rays + a) * BVC_BLOCK;
                    for (int j = 0; j < BVC_BLOCK; j++)
                        dst[j] += v[j];
                }
            if (te) {
                int s = shift[t];
                for (int j = 0; j < rays; j++) {
                    int a = j + s < rays ? j + s : j + s - rays;
                    if (db[a] < 0)
                        continue;
                    double *dst = te + ((size_t)db[a] * rays + j) * BVC_BLOCK;
                    for (int k = 0; k < BVC_BLOCK; k++)
                        dst[k] += v[k];
                }
            }
        }
        for (int j = 0; j < bw; j++)
            for (size_t c = 0; c < cells; c++) {
                if (ta)
                    allo[(size_t)(u0 + j) * cells + c] = ta[c * BVC_BLOCK + j] / (cnt_a[c] + 1e-12);
                if (te)
                    ego[(size_t)(u0 + j) * cells + c] = te[c * BVC_BLOCK + j] / (cnt_e[c] + 1e-12);
            }
        cm_free(ta);
        cm_free(te);
    }
    cm_free(dbin);
    cm_free(shift);
    cm_free(cnt_a);
    cm_free(cnt_e);
    if (status != CM_OK)
        return cm_error(status, "bvc maps: out of memory for %zu map cells", cells);
    return CM_OK;
}

double cm_bvc_score(const double *map, int n_dist, int rays, const double *dcentres, double *angle,
                    double *pref_dist, double *profile)
{
    if (rays <= 0 || rays > CM_MAX_RAYS || n_dist <= 0)
        return NAN;
    double l[rays], angs[rays + 1], cs[2 * rays];
    for (int a = 0; a < rays; a++) {
        l[a] = 0;
        for (int d = 0; d < n_dist; d++)
            l[a] += map[(size_t)d * rays + a];
    }
    if (profile)
        memcpy(profile, l, sizeof(double) * (size_t)rays);
    cm_linspace(-M_PI, M_PI, rays + 1, angs); /* sensor angles, then +pi as the last edge */
    double x = 0, y = 0;
    for (int a = 0; a < rays; a++) {
        y += sin(angs[a]) * l[a];
        x += cos(angs[a]) * l[a];
    }
    if (angle)
        *angle = atan2(x, y);
    if (pref_dist) {
        double orig = atan2(y, x);
        int k = 0; /* digitize(orig, [angles..., pi]) - 1 */
        while (k + 1 <= rays && angs[k + 1] <= orig)
            k++;
        if (k >= rays)
            k = rays - 1; /* orig == +pi exactly: numpy would index past the end */
        int best = 0;
        for (int d = 1; d < n_dist; d++) {
            double v = map[(size_t)d * rays + k], bv = map[(size_t)best * rays + k];
            if (isnan(bv))
                break; /* numpy.argmax stops at the first NaN */
            if (v > bv || isnan(v))
                best = d;
        }
        *pref_dist = dcentres[best];
    }
    cm_rv_centres(rays, cs, cs + rays);
    return cm_resultant_vector(l, rays, cs, cs + rays, NULL);
}
