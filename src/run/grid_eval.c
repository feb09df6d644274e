/* A network's units on fresh trajectories: rate maps, SACs, gridness and the
 * decoding error (run.h). */
#include "cogmap/dist.h"
#include "cogmap/run.h"

#include <math.h>
#include <string.h>

#define EXAMPLE_PATHS 4

void cm_grid_evaluation_free(cm_grid_evaluation *ev)
{
    if (!ev)
        return;
    cm_free(ev->maps);
    cm_free(ev->sacs);
    cm_free(ev->results);
    cm_free(ev->true_paths);
    cm_free(ev->decoded_paths);
    cm_free(ev->decoding_error_by_step);
    cm_free(ev->shuffle95);
    cm_free(ev->shuffle99);
    memset(ev, 0, sizeof *ev);
}

/* One evaluation batch's results, what a rank sends the others: the
 * network's units and decoded positions, the true positions. */
typedef struct eval_loop {
    cm_grid_forward_fn forward;
    void *model;
    cm_grid_source *src;
    cm_grid_batch *b;
    uint64_t stream;
    int U, B, T, nb;
    const double *edges;
    cm_grid_evaluation *ev;
    double *sums, err_sum;
    int64_t *counts, err_n;
    double *err_by_step; /* [T] sums over paths */
    int64_t paths;
    int *bins;
    float *all_units; /* every sample's units and position, for the shuffle test (NULL without) */
    double *all_pos;
    size_t acts_at, dec_at, pos_at, init_at, bytes; /* the item's layout */
} eval_loop;

static cm_status eval_compute(void *ctx, int64_t k, void *out)
{
    eval_loop *L = ctx;
    cm_grid_batch *b = L->b;
    cm_status st = cm_grid_source_fill(L->src, L->stream, k, b);
    if (st != CM_OK)
        return st;
    char *o = out;
    double loss;
    st = L->forward(L->model, b, (float *)(o + L->acts_at), (float *)(o + L->dec_at), &loss);
    const size_t BT = (size_t)L->B * L->T;
    memcpy(o + L->pos_at, b->pos, BT * 2 * sizeof(float));
    memcpy(o + L->init_at, b->init_pos, (size_t)L->B * 2 * sizeof(float));
    return st;
}

/* Adds batch k to the maps and the decoding error, in batch order. */
static cm_status eval_fold(void *ctx, int64_t k, const void *in)
{
    eval_loop *L = ctx;
    cm_grid_evaluation *ev = L->ev;
    const char *o = in;
    const float *acts = (const float *)(o + L->acts_at), *decoded = (const float *)(o + L->dec_at);
    const float *pos = (const float *)(o + L->pos_at), *init_pos = (const float *)(o + L->init_at);
    const int U = L->U, T = L->T, nb = L->nb, nb2 = nb * nb;
    const size_t BT = (size_t)L->B * T;
    if (k == 0) {
        for (int p = 0; p < ev->n_paths; p++) {
            float *tp = ev->true_paths + (size_t)p * (T + 1) * 2;
            float *dp = ev->decoded_paths + (size_t)p * (T + 1) * 2;
            tp[0] = dp[0] = init_pos[2 * p];
            tp[1] = dp[1] = init_pos[2 * p + 1];
            memcpy(tp + 2, pos + (size_t)p * T * 2, (size_t)T * 2 * sizeof(float));
            memcpy(dp + 2, decoded + (size_t)p * T * 2, (size_t)T * 2 * sizeof(float));
        }
    }
    /* Every sample (t = 0 included, as SSM-PC's scorer) goes into the maps. */
    for (size_t i = 0; i < BT; i++) {
        int bx = cm_bin_index(L->edges, nb, pos[2 * i], 1);
        int by = cm_bin_index(L->edges, nb, pos[2 * i + 1], 1);
        L->bins[i] = bx >= 0 && by >= 0 ? bx * nb + by : -1;
        if (L->bins[i] >= 0)
            L->counts[L->bins[i]]++;
        const double e = hypot((double)decoded[2 * i] - pos[2 * i], (double)decoded[2 * i + 1] - pos[2 * i + 1]);
        L->err_by_step[i % T] += e;
        if (T == 1 || i % T != 0) {
            L->err_sum += e;
            L->err_n++;
        }
    }
    for (int u = 0; u < U; u++) {
        double *s = L->sums + (size_t)u * nb2;
        for (size_t i = 0; i < BT; i++)
            if (L->bins[i] >= 0)
                s[L->bins[i]] += acts[i * U + u];
    }
    if (L->all_units) {
        memcpy(L->all_units + (size_t)ev->samples * U, acts, BT * U * sizeof(float));
        for (size_t i = 0; i < 2 * BT; i++)
            L->all_pos[(size_t)ev->samples * 2 + i] = pos[i];
    }
    ev->samples += (int64_t)BT;
    L->paths += L->B;
    return CM_OK;
}

/* Streams of the shuffle test's units ('SH'). */
#define SHUFFLE_STREAM (0x5348ULL << 48)

/* The time-shift shuffle test on the kept samples (run.h). Every rank runs
 * it whole on the same data: the same bits everywhere. */
static cm_status shuffle_test(cm_grid_evaluation *ev, const cm_gridness_config *gc, const double *edges,
                              const double *pos, const float *act, uint64_t seed)
{
    ev->shuffle95 = cm_alloc(sizeof(double) * (size_t)ev->units);
    ev->shuffle99 = cm_alloc(sizeof(double) * (size_t)ev->units);
    if (!ev->shuffle95 || !ev->shuffle99)
        return cm_error(CM_ERR_NOMEM, "evaluation: shuffle test of %d units", ev->units);
    const int64_t n = ev->samples;
    ev->min_shift = n / 50 > ev->steps ? n / 50 : ev->steps;
    if (n < 2 * ev->min_shift)
        return cm_error(CM_ERR_ARG, "evaluation: the shuffle test needs at least %lld samples, got %lld",
                        (long long)(2 * ev->min_shift), (long long)n);
    cm_gridness_scorer *gs = NULL;
    cm_status st = cm_gridness_scorer_create(gc, &gs);
    const cm_grid2 g = {ev->nbins, ev->nbins, edges, edges};
    if (st == CM_OK)
        st = cm_gridness_shuffle_timeshift(gs, &g, pos, act, n, ev->units, ev->shuffles, ev->min_shift, seed,
                                           SHUFFLE_STREAM, 1, ev->shuffle95, ev->shuffle99, NULL);
    cm_gridness_scorer_free(gs);
    if (st != CM_OK)
        return st;
    ev->grid_fraction_shuffle = cm_gridness_shuffle_fraction(ev->results, ev->shuffle95, ev->units);
    ev->grid_fraction_shuffle99 = cm_gridness_shuffle_fraction(ev->results, ev->shuffle99, ev->units);
    return CM_OK;
}

/* Gridness of every unit, the units split over the ranks and the scores
 * gathered in unit order (each unit's score is its own: the same bits). */
static cm_status score_units(const cm_gridness_config *gc, cm_grid_evaluation *ev)
{
    const int U = ev->units, P = cm_dist_size();
    const size_t sac = (size_t)ev->sac_size * ev->sac_size, nb2 = (size_t)ev->nbins * ev->nbins;
    int64_t u0, u1;
    cm_dist_split(U, cm_dist_rank(), P, &u0, &u1);
    cm_gridness_scorer *gs = NULL;
    cm_status st = cm_gridness_scorer_create(gc, &gs);
    /* Every rank scores its slice in place; the gathers then fill the rest. */
    if (st == CM_OK)
        st = cm_gridness_score_batch(gs, ev->maps + (size_t)u0 * nb2, 0, u1 - u0, ev->results + u0,
                                     ev->sacs + (size_t)u0 * sac);
    cm_gridness_scorer_free(gs);
    st = cm_dist_agree(st);
    if (st != CM_OK || P == 1)
        return st;
    size_t total;
    cm_gridness_result *res = cm_alloc((size_t)U * sizeof *res);
    double *sacs = cm_alloc((size_t)U * sac * sizeof(double));
    st = cm_dist_agree(res && sacs ? CM_OK : cm_error(CM_ERR_NOMEM, "evaluation: cannot gather %d units' scores", U));
    if (st == CM_OK)
        st = cm_dist_gather_all(ev->results + u0, (size_t)(u1 - u0) * sizeof *res, res, (size_t)U * sizeof *res,
                                &total);
    if (st == CM_OK)
        st = cm_dist_gather_all(ev->sacs + (size_t)u0 * sac, (size_t)(u1 - u0) * sac * sizeof(double), sacs,
                                (size_t)U * sac * sizeof(double), &total);
    if (st == CM_OK) {
        memcpy(ev->results, res, (size_t)U * sizeof *res);
        memcpy(ev->sacs, sacs, (size_t)U * sac * sizeof(double));
    }
    cm_free(res);
    cm_free(sacs);
    return st;
}

cm_status cm_grid_evaluate(cm_grid_forward_fn forward, void *model, int units, cm_grid_source *src, cm_grid_batch *b,
                           const cm_grid_map_spec *map, int64_t samples, uint64_t stream, int shuffles,
                           cm_grid_evaluation *ev, cm_progress *progress)
{
    memset(ev, 0, sizeof *ev);
    ev->grid_fraction_shuffle = ev->grid_fraction_shuffle99 = ev->grid_periods_across = NAN;
    if (samples <= 0 || shuffles < 0)
        return cm_error(CM_ERR_ARG, "evaluation: expected samples >= 1 and shuffles >= 0, got %lld and %d",
                        (long long)samples, shuffles);
    if (units <= 0)
        return cm_error(CM_ERR_ARG, "evaluation: units: expected >= 1, got %d", units);
    const int U = units, B = b->batch, T = b->steps;
    cm_gridness_config gc;
    /* The maps each preset's paper scored (cm_grid_run_map). */
    ev->nbins = map->nbins;
    ev->lo = map->lo;
    ev->hi = map->hi;
    ev->ssmpc_masks = map->ssmpc_masks;
    if (map->ssmpc_masks)
        cm_gridness_config_ssmpc(&gc, ev->nbins);
    else
        cm_gridness_config_deepmind(&gc, ev->nbins);
    ev->shuffles = shuffles;
    const int nb = ev->nbins, nb2 = nb * nb;
    ev->units = U;
    ev->sac_size = 2 * nb - 1;
    ev->steps = T;
    ev->n_paths = B < EXAMPLE_PATHS ? B : EXAMPLE_PATHS;
    const size_t BT = (size_t)B * T;
    double *edges = cm_alloc(sizeof(double) * (size_t)(nb + 1));
    eval_loop L = {.forward = forward, .model = model, .src = src, .b = b, .stream = stream, .U = U, .B = B, .T = T,
                   .nb = nb, .edges = edges, .ev = ev};
    L.acts_at = 0;
    L.dec_at = L.acts_at + BT * U * sizeof(float);
    L.pos_at = L.dec_at + BT * 2 * sizeof(float);
    L.init_at = L.pos_at + BT * 2 * sizeof(float);
    L.bytes = L.init_at + (size_t)B * 2 * sizeof(float);
    L.sums = cm_calloc((size_t)U * nb2, sizeof(double));
    L.counts = cm_calloc((size_t)nb2, sizeof(int64_t));
    L.bins = cm_alloc(BT * sizeof(int));
    L.err_by_step = cm_calloc((size_t)T, sizeof(double));
    const int64_t n_batches = (samples + (int64_t)BT - 1) / (int64_t)BT;
    if (shuffles > 0) {
        L.all_units = cm_alloc(sizeof(float) * (size_t)n_batches * BT * U);
        L.all_pos = cm_alloc(sizeof(double) * (size_t)n_batches * BT * 2);
    }
    ev->maps = cm_alloc((size_t)U * nb2 * sizeof(double));
    ev->sacs = cm_alloc((size_t)U * ev->sac_size * ev->sac_size * sizeof(double));
    ev->results = cm_alloc((size_t)U * sizeof *ev->results);
    ev->true_paths = cm_alloc((size_t)ev->n_paths * (T + 1) * 2 * sizeof(float));
    ev->decoded_paths = cm_alloc((size_t)ev->n_paths * (T + 1) * 2 * sizeof(float));
    ev->decoding_error_by_step = cm_alloc((size_t)T * sizeof(double));
    cm_status st = CM_OK;
    if (!edges || !L.sums || !L.counts || !L.bins || !L.err_by_step || !ev->maps || !ev->sacs || !ev->results ||
        !ev->true_paths || !ev->decoded_paths || !ev->decoding_error_by_step ||
        (shuffles > 0 && (!L.all_units || !L.all_pos)))
        st = cm_error(CM_ERR_NOMEM, "evaluation: cannot allocate maps of %d units", U);
    /* Every rank must know before the loop's collectives. */
    st = cm_dist_agree(st);
    if (st != CM_OK)
        goto done;
    cm_linspace(ev->lo, ev->hi, nb + 1, edges);
    /* Batches 0, 1, ... until `samples` are seen, spread over the ranks and
     * folded in batch order: the maps' sums are the serial loop's. */
    if (progress)
        cm_progress_start(progress, progress->out, "eval", n_batches);
    st = cm_dist_map_fold(n_batches, L.bytes, eval_compute, eval_fold, &L, progress);
    if (st != CM_OK)
        goto done;
    for (int u = 0; u < U; u++)
        for (int j = 0; j < nb2; j++)
            ev->maps[(size_t)u * nb2 + j] = L.counts[j] ? L.sums[(size_t)u * nb2 + j] / (double)L.counts[j] : NAN;
    ev->decoding_error = L.err_n ? L.err_sum / (double)L.err_n : NAN;
    for (int t = 0; t < T; t++)
        ev->decoding_error_by_step[t] = L.paths ? L.err_by_step[t] / (double)L.paths : NAN;
    st = score_units(&gc, ev);
    if (st != CM_OK)
        goto done;
    int grid = 0;
    for (int u = 0; u < U; u++)
        grid += ev->results[u].score60 > 0.3;
    ev->grid_fraction = (double)grid / U;
    ev->grid_periods_across = cm_grid_periods_across(ev->results, U, nb, 0.3, NULL);
    if (shuffles > 0) {
        st = cm_dist_agree(shuffle_test(ev, &gc, edges, L.all_pos, L.all_units, src->seed));
        if (st != CM_OK)
            goto done;
    }
    if (progress)
        cm_progress_finish(progress, "%lld samples", (long long)ev->samples);
done:
    cm_free(edges);
    cm_free(L.all_units);
    cm_free(L.all_pos);
    cm_free(L.sums);
    cm_free(L.counts);
    cm_free(L.bins);
    cm_free(L.err_by_step);
    if (st != CM_OK)
        cm_grid_evaluation_free(ev);
    return st;
}

cm_status cm_grid_evals_read(const char *run, cm_grid_eval_row **rows, int *count)
{
    *rows = NULL;
    *count = 0;
    cm_evals e;
    cm_status st = cm_evals_read(run, &e);
    if (st != CM_OK)
        return st;
    cm_grid_eval_row *out = cm_alloc((size_t)(e.n_rows > 0 ? e.n_rows : 1) * sizeof *out);
    if (!out) {
        cm_evals_free(&e);
        return cm_error(CM_ERR_NOMEM, "%s/evals.csv: cannot allocate %d rows", run, e.n_rows);
    }
    for (int r = 0; r < e.n_rows; r++)
        out[r] = (cm_grid_eval_row){
            .step = (int64_t)cm_evals_get(&e, r, "step"),
            .wall_seconds = cm_evals_get(&e, r, "wall_seconds"),
            .train_loss = cm_evals_get(&e, r, "train_loss"),
            .eval_loss = cm_evals_get(&e, r, "eval_loss"),
            .decoding_error = cm_evals_get(&e, r, "decoding_error"),
            .grid_fraction = cm_evals_get(&e, r, "grid_fraction"),
        };
    *rows = out;
    *count = e.n_rows;
    cm_evals_free(&e);
    return CM_OK;
}
