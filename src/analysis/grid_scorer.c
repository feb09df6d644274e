/* Rate maps and gridness of a network's units (analysis.h): binned rate
 * maps and the DeepMind/SSM-PC gridness scorer, set up the way each
 * preset's paper scored its units. */
#include "cogmap/analysis.h"

#include <math.h>
#include <string.h>

void cm_grid_scorer_free(cm_grid_scorer *s)
{
    if (!s)
        return;
    cm_gridness_scorer_free(s->gs);
    cm_free(s->edges);
    cm_free(s->pos);
    cm_free(s->maps);
    cm_free(s->results);
    memset(s, 0, sizeof *s);
}

cm_status cm_grid_scorer_init(cm_grid_scorer *s, const char *cells, int units, int64_t max_samples)
{
    memset(s, 0, sizeof *s);
    if (units <= 0 || max_samples <= 0)
        return cm_error(CM_ERR_ARG, "gridness: expected units >= 1 and samples >= 1, got %d and %lld", units,
                        (long long)max_samples);
    cm_gridness_config gc;
    if (strcmp(cells, "ssmpc") == 0) {
        s->nbins = 40;
        s->lo = 0.0;
        s->hi = 15.0;
        cm_gridness_config_ssmpc(&gc, s->nbins);
    } else {
        s->nbins = 20;
        s->lo = -1.1;
        s->hi = 1.1;
        cm_gridness_config_deepmind(&gc, s->nbins);
    }
    s->units = units;
    s->cap = max_samples;
    const size_t nb2 = (size_t)s->nbins * s->nbins;
    s->edges = cm_alloc((size_t)(s->nbins + 1) * sizeof(double));
    s->pos = cm_alloc((size_t)max_samples * 2 * sizeof(double));
    s->maps = cm_alloc((size_t)units * nb2 * sizeof(double));
    s->results = cm_alloc((size_t)units * sizeof *s->results);
    if (!s->edges || !s->pos || !s->maps || !s->results) {
        cm_grid_scorer_free(s);
        return cm_error(CM_ERR_NOMEM, "gridness: cannot allocate maps of %d units for %lld samples", units,
                        (long long)max_samples);
    }
    cm_linspace(s->lo, s->hi, s->nbins + 1, s->edges);
    cm_status st = cm_gridness_scorer_create(&gc, &s->gs);
    if (st != CM_OK)
        cm_grid_scorer_free(s);
    return st;
}

cm_status cm_grid_scorer_run(cm_grid_scorer *s, const float *units, const float *pos, int64_t n)
{
    if (n > s->cap || n <= 0)
        return cm_error(CM_ERR_ARG, "gridness: expected 1..%lld samples, got %lld", (long long)s->cap, (long long)n);
    for (int64_t i = 0; i < 2 * n; i++)
        s->pos[i] = pos[i];
    const cm_grid2 g = {s->nbins, s->nbins, s->edges, s->edges};
    cm_status st = cm_ratemaps(&g, s->pos, NULL, units, n, s->units, s->maps, NULL, NULL, 1);
    if (st != CM_OK)
        return st;
    return cm_gridness_score_batch(s->gs, s->maps, 0, s->units, s->results, NULL);
}

double cm_grid_scorer_fraction(const cm_grid_scorer *s, double threshold)
{
    int k = 0;
    for (int u = 0; u < s->units; u++)
        k += s->results[u].score60 > threshold; /* NaN never counts */
    return (double)k / s->units;
}
