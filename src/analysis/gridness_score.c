/* DeepMind's gridness scorer: ring masks, rotated-SAC correlations, score60/score90, best
 * mask; a scorer object precomputes, per map size and mask geometry, which SAC pixels any ring
 * covers and the spline taps of their rotated values, so a map costs one SAC, one prefilter
 * and 7 x (ring pixels) x 16 multiply-adds.
 */
#pragma GCC optimize("fp-contract=off")

#include "analysis/gridness_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

static const int angles[7] = {30, 45, 60, 90, 120, 135, 150};
enum { A30, A45, A60, A90, A120, A135, A150, NANG };

/* The SAC is point-symmetric bit for bit (gridness_sac.c), so are the rings and, up to
 * rounding, the rotated SACs: only the ring pixels before the centre in raster order are
 * visited, each standing for itself and its mirror. Sorted by radius, every ring
 * lo*n < r <= hi*n is a contiguous run, so all masks read one set of prefix sums. */
struct cm_gridness_scorer {
    cm_gridness_config cfg;
    int n, sn;           /* map side, SAC side */
    int npts;            /* half-plane SAC pixels inside at least one ring */
    int32_t *pts;        /* their pixel indices, by increasing radius */
    int32_t *mask_lo;    /* mask k covers pts[mask_lo[k] .. mask_hi[k]) */
    int32_t *mask_hi;
    cm_spline_tap *taps; /* [NANG][npts] */
};

/* numpy.linspace(start, stop, num)[i]: i * step + start, the last value exactly stop. */
static double linspace_at(double start, double stop, int num, int i)
{
    if (num > 1 && i == num - 1)
        return stop;
    const double step = (stop - start) / (double)(num - 1);
    double v = (double)i * step;
    return v + start;
}

void cm_gridness_config_deepmind(cm_gridness_config *cfg, int nbins)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->nbins = nbins;
    cfg->n_masks = 10;
    for (int i = 0; i < 10; i++) {
        cfg->mask_min[i] = 0.2;
        cfg->mask_max[i] = linspace_at(0.4, 1.0, 10, i);
    }
}

void cm_gridness_config_ssmpc(cm_gridness_config *cfg, int nbins)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->nbins = nbins;
    cfg->n_masks = 15;
    for (int i = 0; i < 15; i++) {
        cfg->mask_min[i] = 0.1;
        cfg->mask_max[i] = linspace_at(0.2, 0.85, 15, i);
    }
}

const cm_gridness_config *cm_gridness_scorer_config(const cm_gridness_scorer *s) { return &s->cfg; }

void cm_gridness_scorer_free(cm_gridness_scorer *s)
{
    if (!s)
        return;
    cm_free(s->pts);
    cm_free(s->mask_lo);
    cm_free(s->mask_hi);
    cm_free(s->taps);
    cm_free(s);
}

/* circle_mask of scores.py: integer coordinates -(n-1)..(n-1), inside when sqrt(x^2+y^2) <= R. */
static int in_ring(int di, int dj, int n, double lo, double hi)
{
    const double r = sqrt((double)di * di + (double)dj * dj);
    return r <= hi * (double)n && !(r <= lo * (double)n);
}

cm_status cm_gridness_scorer_create(const cm_gridness_config *cfg, cm_gridness_scorer **out)
{
    *out = NULL;
    if (!cfg || cfg->nbins < 1 || cfg->nbins > 2048)
        return cm_error(CM_ERR_ARG, "gridness: nbins: expected 1..2048, got %d", cfg ? cfg->nbins : 0);
    if (cfg->n_masks < 1 || cfg->n_masks > CM_GRID_MAX_MASKS)
        return cm_error(CM_ERR_ARG, "gridness: n_masks: expected 1..%d, got %d", CM_GRID_MAX_MASKS, cfg->n_masks);
    for (int k = 0; k < cfg->n_masks; k++)
        if (!isfinite(cfg->mask_min[k]) || !isfinite(cfg->mask_max[k]) || cfg->mask_min[k] < 0 ||
            cfg->mask_max[k] < 0)
            return cm_error(CM_ERR_ARG, "gridness: mask %d: expected finite radii >= 0, got (%g, %g)", k,
                            cfg->mask_min[k], cfg->mask_max[k]);
    double *rad = NULL;
    cm_gridness_scorer *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "gridness: cannot allocate a scorer");
    s->cfg = *cfg;
    const int n = cfg->nbins, sn = 2 * n - 1;
    s->n = n;
    s->sn = sn;
    s->pts = cm_alloc(sizeof(int32_t) * (size_t)sn * sn);
    s->mask_lo = cm_alloc(sizeof(int32_t) * (size_t)cfg->n_masks);
    s->mask_hi = cm_alloc(sizeof(int32_t) * (size_t)cfg->n_masks);
    rad = cm_alloc(sizeof(double) * (size_t)sn * sn);
    if (!s->pts || !s->mask_lo || !s->mask_hi || !rad)
        goto nomem;
    const int centre = (n - 1) * sn + (n - 1);
    for (int idx = 0; idx < centre; idx++) { /* the centre (r = 0) is in no ring */
        const int di = idx / sn - (n - 1), dj = idx % sn - (n - 1);
        for (int k = 0; k < cfg->n_masks; k++)
            if (in_ring(di, dj, n, cfg->mask_min[k], cfg->mask_max[k])) {
                s->pts[s->npts++] = idx;
                break;
            }
    }
    /* insertion sort by integer squared radius (stable: raster order within a radius) */
    for (int i = 1; i < s->npts; i++) {
        const int32_t v = s->pts[i];
        const int di = v / sn - (n - 1), dj = v % sn - (n - 1), r2 = di * di + dj * dj;
        int k = i;
        while (k > 0) {
            const int ui = s->pts[k - 1] / sn - (n - 1), uj = s->pts[k - 1] % sn - (n - 1);
            if (ui * ui + uj * uj <= r2)
                break;
            s->pts[k] = s->pts[k - 1];
            k--;
        }
        s->pts[k] = v;
    }
    for (int k = 0; k < cfg->n_masks; k++) {
        int lo = -1, hi = -1;
        for (int i = 0; i < s->npts; i++)
            if (in_ring(s->pts[i] / sn - (n - 1), s->pts[i] % sn - (n - 1), n, cfg->mask_min[k], cfg->mask_max[k])) {
                if (lo < 0)
                    lo = i;
                hi = i + 1;
            }
        if (lo < 0)
            lo = hi = 0;
        s->mask_lo[k] = lo;
        s->mask_hi[k] = hi;
    }
    s->taps = cm_alloc(sizeof(cm_spline_tap) * (size_t)NANG * (s->npts ? s->npts : 1));
    if (!s->taps)
        goto nomem;
    for (int a = 0; a < NANG; a++) {
        double c, sn_;
        cm_cos_sin_deg(angles[a], &c, &sn_);
        for (int p = 0; p < s->npts; p++) {
            double ri, rj;
            cm_rotation_source(s->pts[p] / sn, s->pts[p] % sn, c, sn_, sn, sn, &ri, &rj);
            cm_spline_tap_at(ri, rj, sn, sn, &s->taps[(size_t)a * s->npts + p]);
        }
    }
    cm_free(rad);
    *out = s;
    return CM_OK;
nomem:
    cm_free(rad);
    cm_gridness_scorer_free(s);
    return cm_error(CM_ERR_NOMEM, "gridness: cannot allocate the tables for %d x %d maps", n, n);
}

size_t cm_gridness_workspace_size(const cm_gridness_scorer *s)
{
    const size_t sn = (size_t)s->sn, n = (size_t)s->n;
    return 2 * sn * sn                   /* sac, coefficients */
           + cm_gridness_sac_work_size((int)n, (int)n) /* SAC sums */
           + sn * sn                      /* prefilter scratch */
           + (size_t)NANG * (size_t)s->npts + 16 * (size_t)(s->npts + 1) /* rotated pixels, prefix sums */
           + 8;
}

/* numpy's NaN-propagating minimum/maximum. */
static double np_min(double a, double b) { return (isnan(a) || isnan(b)) ? NAN : (a < b ? a : b); }
static double np_max(double a, double b) { return (isnan(a) || isnan(b)) ? NAN : (a > b ? a : b); }

/* numpy.argmax: the first maximum, and the first NaN if there is one. */
static int np_argmax(const double *v, int n)
{
    int best = 0;
    for (int i = 0; i < n; i++) {
        if (isnan(v[i]))
            return i;
        if (v[i] > v[best])
            best = i;
    }
    return best;
}

/* Whether any pixel of the full rotated array is non-finite (it then poisons every mask's
 * correlation for that angle, through (rot - mean) * 0). Only called when a coefficient is. */
static int rotation_poisoned(const double *coef, int sn, int angle)
{
    double c, s;
    cm_cos_sin_deg(angle, &c, &s);
    for (int i = 0; i < sn; i++)
        for (int j = 0; j < sn; j++) {
            double ri, rj;
            cm_spline_tap t;
            cm_rotation_source(i, j, c, s, sn, sn, &ri, &rj);
            cm_spline_tap_at(ri, rj, sn, sn, &t);
            if (!isfinite(cm_spline_sample(coef, &t)))
                return 1;
        }
    return 0;
}

static cm_status score_one(const cm_gridness_scorer *s, const void *map, int is_f32, double *work,
                           cm_gridness_result *r, double *sac_out)
{
    const int n = s->n, sn = s->sn, npts = s->npts;
    double *sac = work, *coef = sac + (size_t)sn * sn, *sacws = coef + (size_t)sn * sn;
    double *line = sacws + cm_gridness_sac_work_size(n, n), *rot = line + (size_t)sn * sn;
    (void)n;
    cm_status st = cm_gridness_sac_ws(map, is_f32, n, n, sac, sacws);
    if (st != CM_OK)
        return st;
    if (sac_out)
        memcpy(sac_out, sac, sizeof(double) * (size_t)sn * sn);
    memcpy(coef, sac, sizeof(double) * (size_t)sn * sn);
    cm_spline_prefilter(coef, sn, sn, line);

    int finite = 1;
    for (size_t i = 0; i < (size_t)sn * sn; i++)
        if (!isfinite(coef[i])) {
            finite = 0;
            break;
        }
    int poisoned[NANG] = {0};
    if (!finite)
        for (int a = 0; a < NANG; a++)
            poisoned[a] = rotation_poisoned(coef, sn, angles[a]);

    /* The rotated SAC at the half-ring pixels, per angle. */
    double *rv = rot, *pre = rv + (size_t)NANG * npts;
    for (int a = 0; a < NANG; a++) {
        const cm_spline_tap *t = s->taps + (size_t)a * npts;
        double *ra = rv + (size_t)a * npts;
        if (a == A90 && finite) {
            /* A quarter turn samples the spline at the grid points, where it interpolates the
             * SAC itself: read the SAC (equal to the spline sum but for the last bits). The
             * source of output (i, j) is (j, sn - 1 - i). */
            for (int p = 0; p < npts; p++) {
                const int i = s->pts[p] / sn, j = s->pts[p] % sn;
                ra[p] = sac[(size_t)j * sn + (sn - 1 - i)];
            }
            continue;
        }
        for (int p = 0; p < npts; p++)
            ra[p] = cm_spline_sample_fast(coef, &t[p]);
    }
    /* Prefix sums over the radius-sorted half ring, 16 side by side for each pixel:
     * sac, sac^2, then rot and sac*rot for each angle. */
    enum { PS = 0, PS2 = 1, PR = 2, PX = 2 + NANG, NPRE = 16 };
    for (int k = 0; k < NPRE; k++)
        pre[k] = 0.0;
    for (int p = 0; p < npts; p++) {
        const double v = sac[s->pts[p]];
        double val[NPRE];
        val[PS] = v;
        val[PS2] = v * v;
        for (int a = 0; a < NANG; a++) {
            val[PR + a] = rv[(size_t)a * npts + p];
            val[PX + a] = v * rv[(size_t)a * npts + p];
        }
        const double *restrict prev = pre + (size_t)p * NPRE;
        double *restrict next = pre + (size_t)(p + 1) * NPRE;
        for (int k = 0; k < NPRE; k++)
            next[k] = prev[k] + val[k];
    }
#define PRE(idx, k) pre[(size_t)(idx)*NPRE + (k)]

    double s60[CM_GRID_MAX_MASKS], s90[CM_GRID_MAX_MASKS];
    for (int k = 0; k < s->cfg.n_masks; k++) {
        const int lo = s->mask_lo[k], hi = s->mask_hi[k];
        /* every half-plane pixel stands for two */
        const double area = 2.0 * (double)(hi - lo);
        const double sum = 2.0 * (PRE(hi, PS) - PRE(lo, PS));
        const double mean = sum / area;
        double corr[NANG];
        if (!isfinite(mean)) {
            /* (sac*mask - mean) * mask is NaN off the ring as well: every sum is NaN. */
            for (int a = 0; a < NANG; a++)
                corr[a] = NAN;
        } else {
            /* sum (sac - m)^2 = S2 - 2 m S + A m^2, and likewise for the cross products */
            const double ss = 2.0 * (PRE(hi, PS2) - PRE(lo, PS2)) - mean * sum;
            const double var = ss / area + 1e-5;
            for (int a = 0; a < NANG; a++) {
                const double sr = 2.0 * (PRE(hi, PR + a) - PRE(lo, PR + a));
                const double sx = 2.0 * (PRE(hi, PX + a) - PRE(lo, PX + a));
                const double cross = sx - mean * sr - mean * sum + area * mean * mean;
                corr[a] = poisoned[a] ? NAN : cross / area / var;
            }
        }
        if (s->cfg.min_max)
            s60[k] = np_min(corr[A60], corr[A120]) - np_max(corr[A30], np_max(corr[A90], corr[A150]));
        else
            s60[k] = (corr[A60] + corr[A120]) / 2 - (corr[A30] + corr[A90] + corr[A150]) / 3;
        s90[k] = corr[A90] - (corr[A45] + corr[A135]) / 2;
    }
#undef PRE
    r->mask60 = np_argmax(s60, s->cfg.n_masks);
    r->mask90 = np_argmax(s90, s->cfg.n_masks);
    r->score60 = s60[r->mask60];
    r->score90 = s90[r->mask90];
    cm_gridness_spacing(sac, sn, sn, &r->spacing, &r->orientation);
    return CM_OK;
}

cm_status cm_gridness_score(const cm_gridness_scorer *s, const double *map, double *work, cm_gridness_result *result,
                            double *sac_out)
{
    if (!s || !map || !result)
        return cm_error(CM_ERR_ARG, "gridness: expected a scorer, a map and a result");
    double *own = NULL;
    if (!work) {
        own = cm_alloc(sizeof(double) * cm_gridness_workspace_size(s));
        if (!own)
            return cm_error(CM_ERR_NOMEM, "gridness: cannot allocate the workspace");
        work = own;
    }
    cm_status st = score_one(s, map, 0, work, result, sac_out);
    cm_free(own);
    return st;
}

cm_status cm_gridness_score_batch(const cm_gridness_scorer *s, const void *maps, int is_f32, int64_t count,
                                  cm_gridness_result *results, double *sacs)
{
    if (!s || (!maps && count > 0) || (!results && count > 0) || count < 0)
        return cm_error(CM_ERR_ARG, "gridness: expected a scorer, maps and results for %lld maps", (long long)count);
    const size_t per_map = (size_t)s->n * s->n, sac_size = (size_t)s->sn * s->sn;
    const size_t ws = cm_gridness_workspace_size(s);
    const int threads = cm_threads() < 1 ? 1 : cm_threads();
    double *work = cm_alloc(sizeof(double) * ws * (size_t)threads);
    if (!work)
        return cm_error(CM_ERR_NOMEM, "gridness: cannot allocate workspaces for %d threads", threads);
    /* First failure by map index, so the message does not depend on the thread count. */
    int64_t failed = -1;
    cm_status fail_status = CM_OK;
    char fail_msg[512] = "";
#pragma omp parallel num_threads(threads)
    {
        double *w = work + ws * (size_t)omp_get_thread_num();
#pragma omp for schedule(dynamic, 4)
        for (int64_t i = 0; i < count; i++) {
            const void *m = is_f32 ? (const void *)((const float *)maps + per_map * i)
                                   : (const void *)((const double *)maps + per_map * i);
            cm_status st = score_one(s, m, is_f32, w, &results[i], sacs ? sacs + sac_size * i : NULL);
            if (st != CM_OK) {
#pragma omp critical /* unnamed: a named one would be an exported symbol */
                if (failed < 0 || i < failed) {
                    failed = i;
                    fail_status = st;
                    snprintf(fail_msg, sizeof fail_msg, "%s", cm_errmsg());
                }
            }
        }
    }
    cm_free(work);
    if (failed >= 0)
        return cm_error(fail_status, "map %lld: %s", (long long)failed, fail_msg);
    return CM_OK;
}
