/* Classification of every unit, SMP's figure-2 protocol (smp.md §5–6) plus
 * place and border scores (grid-cells.md §5.2–5.3). */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"

#include <math.h>
#include <string.h>

#define MAX_EDGES 4097
#define MAX_DIST 4096

/* Shuffle streams: each score family draws from its own range of streams,
 * unit u from (base + u). */
#define STREAM_HD 0x1000000ULL
#define STREAM_EGO 0x2000000ULL
#define STREAM_ALLO 0x3000000ULL

const char *cm_cell_class_name(cm_cell_class c)
{
    switch (c) {
    case CM_CELL_HD: return "hd";
    case CM_CELL_EGO_BVC: return "ego_bvc";
    case CM_CELL_ALLO_BVC: return "allo_bvc";
    case CM_CELL_PLACE: return "place";
    case CM_CELL_BORDER: return "border";
    case CM_CELL_GRID: return "grid";
    default: return "unclassified";
    }
}

void cm_classify_defaults(cm_classify_opts *o)
{
    memset(o, 0, sizeof *o);
    o->n_shuffles = 1000;
    o->percentile = 99;
    o->hd_bins = 20;
    o->distance_step = 0.025;
    o->ratemap_bin = 0.14;
    o->hd_timeshift = 0;
    o->min_shift = 0; /* 0: N/20 */
    o->box = 0;
    o->dt = 0.02;
    o->place_info = 0.5;
    o->min_stability = 0.5;
    o->border_thresh = 0.5;
    o->grid_bins = 20;
    o->grid_thresh = 0.3;
    o->seed = 1;
}

void cm_classify_free(cm_classify_result *r)
{
    double **d[] = {&r->hd_score,   &r->hd_angle,  &r->ego_score,       &r->ego_angle,   &r->ego_dist,
                    &r->allo_score, &r->allo_angle, &r->allo_dist,      &r->stability,   &r->info_bits_spike,
                    &r->info_bits_s, &r->sparsity, &r->selectivity,     &r->border,      &r->hd_maps,
                    &r->ego_maps,   &r->allo_maps, &r->maps,            &r->octants,     &r->dcentres,
                    &r->grid60,     &r->grid90,    &r->occupancy};
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        cm_free(*d[i]);
        *d[i] = NULL;
    }
    unsigned char **b[] = {&r->is_hd, &r->is_ego, &r->is_allo, &r->is_place, &r->is_border, &r->is_grid};
    for (size_t i = 0; i < sizeof b / sizeof b[0]; i++) {
        cm_free(*b[i]);
        *b[i] = NULL;
    }
    cm_free(r->n_fields);
    cm_free(r->cls);
    r->n_fields = NULL;
    r->cls = NULL;
}

/* DeepMind's gridness (the gridness section of analysis.h) on binned_statistic_2d
 * maps of grid_bins^2 over the data's range, DeepMind's masks. */
static cm_status grid_scores(const double *pos, const float *act, int64_t n, int units, double xmin, double xmax,
                             double ymin, double ymax, const cm_classify_opts *o, cm_classify_result *res)
{
    int nb = o->grid_bins;
    if (nb <= 0) {
        for (int u = 0; u < units; u++)
            res->grid60[u] = res->grid90[u] = NAN;
        return CM_OK;
    }
    if (nb < 4 || nb > 512)
        return cm_error(CM_ERR_ARG, "classify: grid_bins: expected 0 or 4..512, got %d", nb);
    double xe[nb + 1], ye[nb + 1];
    cm_linspace(xmin, xmax, nb + 1, xe);
    cm_linspace(ymin, ymax, nb + 1, ye);
    if (!(xmax > xmin) || !(ymax > ymin))
        return cm_error(CM_ERR_ARG, "classify: positions: a zero extent cannot be binned for gridness");
    cm_grid2 g = {nb, nb, xe, ye};
    double *maps = cm_alloc(sizeof(double) * (size_t)units * nb * nb);
    cm_gridness_result *gr = cm_alloc(sizeof(cm_gridness_result) * (size_t)units);
    cm_gridness_scorer *sc = NULL;
    cm_status st = (!maps || !gr) ? cm_error(CM_ERR_NOMEM, "classify: out of memory for gridness maps") : CM_OK;
    if (st == CM_OK)
        st = cm_ratemaps(&g, pos, NULL, act, n, units, maps, NULL, NULL, o->f32);
    if (st == CM_OK) {
        cm_gridness_config cfg;
        cm_gridness_config_deepmind(&cfg, nb);
        st = cm_gridness_scorer_create(&cfg, &sc);
    }
    if (st == CM_OK)
        st = cm_gridness_score_batch(sc, maps, 0, units, gr, NULL);
    if (st == CM_OK)
        for (int u = 0; u < units; u++) {
            res->grid60[u] = gr[u].score60;
            res->grid90[u] = gr[u].score90;
            res->is_grid[u] = gr[u].score60 > o->grid_thresh; /* and stable: see classify */
        }
    cm_gridness_scorer_free(sc);
    cm_free(maps);
    cm_free(gr);
    return st;
}

static cm_status stage(cm_progress *p, int64_t done, const char *what)
{
    if (p)
        cm_progress_update(p, done, "%s", what);
    return cm_interrupted() ? cm_error(CM_ERR_INTERRUPTED, "classify: interrupted") : CM_OK;
}

cm_status cm_classify_units(const double *pos, const double *hd, const float *dist, int rays, const float *act,
                            int64_t n, int units, const cm_classify_opts *o, cm_progress *progress,
                            cm_classify_result *res)
{
    memset(res, 0, sizeof *res);
    if (n < 4 || units <= 0 || rays < 2 || rays > CM_MAX_RAYS)
        return cm_error(CM_ERR_ARG, "classify: expected >= 4 samples, units > 0, 2..%d rays, got %lld, %d, %d",
                        CM_MAX_RAYS, (long long)n, units, rays);
    if (o->n_shuffles <= 0 || o->hd_bins <= 1 || !(o->percentile >= 0 && o->percentile <= 100))
        return cm_error(CM_ERR_ARG, "classify: options: expected shuffles > 0, hd bins > 1, percentile 0..100");
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int64_t t = 0; t < n; t++) {
        if (!isfinite(pos[2 * t]) || !isfinite(pos[2 * t + 1]))
            return cm_error(CM_ERR_ARG, "classify: positions: expected finite values, got %g, %g at sample %lld",
                            pos[2 * t], pos[2 * t + 1], (long long)t);
        if (!isfinite(hd[t]))
            return cm_error(CM_ERR_ARG, "classify: headings: expected finite values, got %g at sample %lld",
                            hd[t], (long long)t);
        xmin = fmin(xmin, pos[2 * t]);
        xmax = fmax(xmax, pos[2 * t]);
        ymin = fmin(ymin, pos[2 * t + 1]);
        ymax = fmax(ymax, pos[2 * t + 1]);
    }
    double dc[MAX_DIST], de[MAX_DIST + 1];
    /* SMP: preferred distances up to half the enclosure's x extent. */
    double max_d = (o->f32 ? (double)(float)(xmax - xmin) : xmax - xmin) / 2;
    int n_dist = cm_bvc_distance_bins(max_d, o->distance_step, dc, de, MAX_DIST);
    if (n_dist < 2)
        return cm_error(CM_ERR_ARG,
                        "classify: positions: the x extent %g gives fewer than 2 wall-distance bins of %g",
                        xmax - xmin, o->distance_step);
    double xe[MAX_EDGES], ye[MAX_EDGES];
    int nx = cm_smp_edges(xmin, xmax, o->ratemap_bin, xe, MAX_EDGES, o->f32);
    int ny = cm_smp_edges(ymin, ymax, o->ratemap_bin, ye, MAX_EDGES, o->f32);
    if (nx <= 0 || ny <= 0)
        return cm_error(CM_ERR_ARG, "classify: positions: extent x %g, y %g does not give rate-map bins of %g",
                        xmax - xmin, ymax - ymin, o->ratemap_bin);

    res->units = units;
    res->n_dist = n_dist;
    res->rays = rays;
    res->hd_bins = o->hd_bins;
    res->nx = nx;
    res->ny = ny;
    size_t U = (size_t)units, cells = (size_t)n_dist * rays, nb = (size_t)nx * ny;
    double **vecs[] = {&res->hd_score,  &res->hd_angle,    &res->ego_score,      &res->ego_angle,
                       &res->ego_dist,  &res->allo_score,  &res->allo_angle,     &res->allo_dist,
                       &res->stability, &res->info_bits_spike, &res->info_bits_s, &res->sparsity,
                       &res->selectivity, &res->border, &res->grid60, &res->grid90};
    int fail = 0;
    for (size_t i = 0; i < sizeof vecs / sizeof vecs[0]; i++)
        fail |= !(*vecs[i] = cm_alloc(sizeof(double) * U));
    unsigned char **flags[] = {&res->is_hd,    &res->is_ego,    &res->is_allo,
                               &res->is_place, &res->is_border, &res->is_grid};
    for (size_t i = 0; i < sizeof flags / sizeof flags[0]; i++)
        fail |= !(*flags[i] = cm_calloc(U, 1));
    fail |= !(res->n_fields = cm_calloc(U, sizeof(int)));
    fail |= !(res->cls = cm_calloc(U, sizeof(cm_cell_class)));
    fail |= !(res->hd_maps = cm_alloc(sizeof(double) * U * o->hd_bins));
    fail |= !(res->ego_maps = cm_alloc(sizeof(double) * U * cells));
    fail |= !(res->allo_maps = cm_alloc(sizeof(double) * U * cells));
    fail |= !(res->maps = cm_alloc(sizeof(double) * U * nb));
    fail |= !(res->octants = cm_alloc(sizeof(double) * U * nb * 8));
    fail |= !(res->dcentres = cm_alloc(sizeof(double) * (size_t)n_dist));
    double *occ = res->occupancy = cm_alloc(sizeof(double) * nb);
    double *prof = cm_alloc(sizeof(double) * U * rays);
    if (fail || !occ || !prof) {
        cm_free(prof);
        cm_classify_free(res);
        return cm_error(CM_ERR_NOMEM, "classify: out of memory for %d units", units);
    }
    memcpy(res->dcentres, dc, sizeof(double) * (size_t)n_dist);
    cm_status st = CM_OK;
    if (progress)
        cm_progress_start(progress, progress->out, "classify", 5);

    /* 1. Head direction: 20-bin angular maps, threshold from shuffles. */
    st = cm_hd_ratemaps(hd, act, n, units, o->hd_bins, res->hd_maps, o->f32);
    if (st == CM_OK) {
        if (o->hd_timeshift) {
            int64_t ms = o->min_shift > 0 ? o->min_shift : n / 20;
            if (ms < 1)
                ms = 1;
            st = cm_hd_timeshift_threshold(hd, act, n, units, o->hd_bins, o->n_shuffles, ms, o->percentile,
                                           o->seed, STREAM_HD, &res->hd_threshold, o->f32);
        } else {
            st = cm_rv_shuffle_threshold(res->hd_maps, units, o->hd_bins, o->n_shuffles, o->percentile, o->seed,
                                         STREAM_HD, &res->hd_threshold, NULL);
        }
    }
    if (st == CM_OK) {
        double cs[2 * o->hd_bins];
        cm_rv_centres(o->hd_bins, cs, cs + o->hd_bins);
        for (int u = 0; u < units; u++) {
            res->hd_score[u] = cm_resultant_vector(res->hd_maps + (size_t)u * o->hd_bins, o->hd_bins, cs,
                                                   cs + o->hd_bins, &res->hd_angle[u]);
            res->is_hd[u] = res->hd_score[u] > res->hd_threshold;
        }
        st = stage(progress, 1, "head direction");
    }

    /* 2. Boundary vectors, ego then allo, each with its own pooled threshold. */
    if (st == CM_OK)
        st = cm_bvc_maps(dist, hd, act, n, rays, units, de, n_dist, res->allo_maps, res->ego_maps, o->f32);
    for (int pass = 0; pass < 2 && st == CM_OK; pass++) {
        const double *maps = pass == 0 ? res->ego_maps : res->allo_maps;
        double *score = pass == 0 ? res->ego_score : res->allo_score;
        double *angle = pass == 0 ? res->ego_angle : res->allo_angle;
        double *pdist = pass == 0 ? res->ego_dist : res->allo_dist;
        double *thr = pass == 0 ? &res->ego_threshold : &res->allo_threshold;
        unsigned char *is = pass == 0 ? res->is_ego : res->is_allo;
        for (int u = 0; u < units; u++)
            score[u] = cm_bvc_score(maps + u * cells, n_dist, rays, dc, &angle[u], &pdist[u], prof + (size_t)u * rays);
        st = cm_rv_shuffle_threshold(prof, units, rays, o->n_shuffles, o->percentile, o->seed,
                                     pass == 0 ? STREAM_EGO : STREAM_ALLO, thr, NULL);
        for (int u = 0; u < units && st == CM_OK; u++)
            is[u] = score[u] > *thr;
        if (st == CM_OK)
            st = stage(progress, 2 + pass, pass == 0 ? "egocentric BVC" : "allocentric BVC");
    }

    /* 3. Spatial maps (SMP's 0.14 m bins, octants), information, border, fields. */
    if (st == CM_OK) {
        cm_grid2 g = {nx, ny, xe, ye};
        st = cm_ratemaps(&g, pos, hd, act, n, units, res->maps, res->octants, occ, o->f32);
    }
    if (st == CM_OK) {
        double box = o->box > 0 ? o->box : xmax - xmin;
        for (int u = 0; u < units; u++) {
            const double *m = res->maps + (size_t)u * nb;
            cm_spatial_info si;
            cm_spatial_info_compute(m, occ, (int)nb, o->dt, &si);
            res->info_bits_spike[u] = si.bits_per_spike;
            res->info_bits_s[u] = si.bits_per_second;
            res->sparsity[u] = si.sparsity;
            res->selectivity[u] = si.selectivity;
            res->border[u] = cm_border_score(m, nx, ny, box, 0, NULL, NULL);
            res->n_fields[u] = cm_place_fields(m, nx, ny, 0.2, 3, 0.5, NULL, NULL, NULL);
        }
        st = cm_split_half_stability(pos, act, n, units, o->ratemap_bin, res->stability, o->f32);
    }
    if (st == CM_OK)
        st = grid_scores(pos, act, n, units, xmin, xmax, ymin, ymax, o, res);

    /* 4. Flags and one primary class per unit [DESIGN]: SMP's classes are not
     * exclusive; the primary one is the first that holds of HD, BVC (ego or
     * allo, whichever exceeds its threshold by the larger factor), grid,
     * border, place. */
    if (st == CM_OK) {
        for (int u = 0; u < units; u++) {
            res->is_place[u] = res->info_bits_spike[u] > o->place_info && res->stability[u] > o->min_stability &&
                               res->n_fields[u] >= 1;
            res->is_border[u] = res->border[u] > o->border_thresh;
            /* A noisy map can reach score60 0.3 by chance; a grid cell's map
             * must also be stable across the two halves. */
            res->is_grid[u] = res->is_grid[u] && res->stability[u] > o->min_stability;
            cm_cell_class c = CM_CELL_UNCLASSIFIED;
            if (res->is_hd[u])
                c = CM_CELL_HD;
            else if (res->is_ego[u] && res->is_allo[u])
                c = res->ego_score[u] / res->ego_threshold >= res->allo_score[u] / res->allo_threshold
                        ? CM_CELL_EGO_BVC
                        : CM_CELL_ALLO_BVC;
            else if (res->is_ego[u])
                c = CM_CELL_EGO_BVC;
            else if (res->is_allo[u])
                c = CM_CELL_ALLO_BVC;
            else if (res->is_grid[u])
                c = CM_CELL_GRID;
            else if (res->is_border[u])
                c = CM_CELL_BORDER; /* before place: a wall-hugging field also carries much information */
            else if (res->is_place[u])
                c = CM_CELL_PLACE;
            res->cls[u] = c;
        }
        st = stage(progress, 5, "spatial");
    }
    if (progress && st == CM_OK)
        cm_progress_finish(progress, "%d units", units);
    cm_free(prof);
    if (st != CM_OK)
        cm_classify_free(res);
    return st;
}

void cm_class_counts_of(const cm_classify_result *r, int64_t start, int64_t end, cm_class_counts *c)
{
    memset(c, 0, sizeof *c);
    c->units = (int)(end - start);
    for (int64_t u = start; u < end; u++) {
        c->primary[r->cls[u]]++;
        c->hd += r->is_hd[u];
        c->ego_bvc += r->is_ego[u];
        c->allo_bvc += r->is_allo[u];
        c->place += r->is_place[u];
        c->border += r->is_border[u];
        c->grid += r->is_grid[u];
        c->ego_bvc_with_higher_allo_score += r->is_ego[u] && r->allo_score[u] > r->ego_score[u];
    }
}
