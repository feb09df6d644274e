/* A network's units on fresh trajectories: rate maps, SACs, gridness and the
 * decoding error (run.h). */
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
    memset(ev, 0, sizeof *ev);
}

cm_status cm_grid_evaluate(cm_grid_forward_fn forward, void *model, int units, cm_grid_source *src, cm_grid_batch *b,
                           const char *cells, int64_t samples, uint64_t stream, cm_grid_evaluation *ev,
                           cm_progress *progress)
{
    memset(ev, 0, sizeof *ev);
    if (samples <= 0)
        return cm_error(CM_ERR_ARG, "evaluation: samples: expected >= 1, got %lld", (long long)samples);
    if (units <= 0)
        return cm_error(CM_ERR_ARG, "evaluation: units: expected >= 1, got %d", units);
    const int U = units, B = b->batch, T = b->steps;
    cm_gridness_config gc;
    /* The maps each preset's paper scored: SSM-PC 40 x 40 over [0, 15]^2
     * with its masks, the 2.2 m box 20 x 20 with DeepMind's. */
    if (strcmp(cells, "ssmpc") == 0) {
        ev->nbins = 40;
        ev->lo = 0.0;
        ev->hi = 15.0;
        cm_gridness_config_ssmpc(&gc, ev->nbins);
    } else {
        ev->nbins = 20;
        ev->lo = -1.1;
        ev->hi = 1.1;
        cm_gridness_config_deepmind(&gc, ev->nbins);
    }
    const int nb = ev->nbins, nb2 = nb * nb;
    ev->units = U;
    ev->sac_size = 2 * nb - 1;
    ev->steps = T;
    ev->n_paths = B < EXAMPLE_PATHS ? B : EXAMPLE_PATHS;
    const size_t BT = (size_t)B * T;
    double edges[256];
    double *sums = cm_calloc((size_t)U * nb2, sizeof(double));
    int64_t *counts = cm_calloc((size_t)nb2, sizeof(int64_t));
    float *acts = cm_alloc(BT * U * sizeof(float));
    float *decoded = cm_alloc(BT * 2 * sizeof(float));
    int *bins = cm_alloc(BT * sizeof(int));
    ev->maps = cm_alloc((size_t)U * nb2 * sizeof(double));
    ev->sacs = cm_alloc((size_t)U * ev->sac_size * ev->sac_size * sizeof(double));
    ev->results = cm_alloc((size_t)U * sizeof *ev->results);
    ev->true_paths = cm_alloc((size_t)ev->n_paths * (T + 1) * 2 * sizeof(float));
    ev->decoded_paths = cm_alloc((size_t)ev->n_paths * (T + 1) * 2 * sizeof(float));
    cm_gridness_scorer *gs = NULL;
    cm_status st = CM_OK;
    if (!sums || !counts || !acts || !decoded || !bins || !ev->maps || !ev->sacs || !ev->results ||
        !ev->true_paths || !ev->decoded_paths) {
        st = cm_error(CM_ERR_NOMEM, "evaluation: cannot allocate maps of %d units", U);
        goto done;
    }
    cm_linspace(ev->lo, ev->hi, nb + 1, edges);
    double err_sum = 0;
    int64_t err_n = 0;
    if (progress)
        cm_progress_start(progress, progress->out, "eval", (samples + (int64_t)BT - 1) / (int64_t)BT);
    for (int64_t k = 0; ev->samples < samples; k++) {
        st = cm_grid_source_fill(src, stream, k, b);
        if (st != CM_OK)
            goto done;
        double loss;
        st = forward(model, b, acts, decoded, &loss);
        if (st != CM_OK)
            goto done;
        if (k == 0) {
            for (int p = 0; p < ev->n_paths; p++) {
                float *tp = ev->true_paths + (size_t)p * (T + 1) * 2;
                float *dp = ev->decoded_paths + (size_t)p * (T + 1) * 2;
                tp[0] = dp[0] = b->init_pos[2 * p];
                tp[1] = dp[1] = b->init_pos[2 * p + 1];
                memcpy(tp + 2, b->pos + (size_t)p * T * 2, (size_t)T * 2 * sizeof(float));
                memcpy(dp + 2, decoded + (size_t)p * T * 2, (size_t)T * 2 * sizeof(float));
            }
        }
        /* Every sample (t = 0 included, as SSM-PC's scorer) goes into the maps. */
        for (size_t i = 0; i < BT; i++) {
            int bx = cm_bin_index(edges, nb, b->pos[2 * i], 1);
            int by = cm_bin_index(edges, nb, b->pos[2 * i + 1], 1);
            bins[i] = bx >= 0 && by >= 0 ? bx * nb + by : -1;
            if (bins[i] >= 0)
                counts[bins[i]]++;
            if (T == 1 || i % T != 0) {
                err_sum += hypot((double)decoded[2 * i] - b->pos[2 * i], (double)decoded[2 * i + 1] - b->pos[2 * i + 1]);
                err_n++;
            }
        }
        for (int u = 0; u < U; u++) {
            double *s = sums + (size_t)u * nb2;
            for (size_t i = 0; i < BT; i++)
                if (bins[i] >= 0)
                    s[bins[i]] += acts[i * U + u];
        }
        ev->samples += (int64_t)BT;
        if (progress)
            cm_progress_update(progress, k + 1, "%lld samples", (long long)ev->samples);
    }
    for (int u = 0; u < U; u++)
        for (int j = 0; j < nb2; j++)
            ev->maps[(size_t)u * nb2 + j] = counts[j] ? sums[(size_t)u * nb2 + j] / (double)counts[j] : NAN;
    ev->decoding_error = err_n ? err_sum / (double)err_n : NAN;
    st = cm_gridness_scorer_create(&gc, &gs);
    if (st == CM_OK)
        st = cm_gridness_score_batch(gs, ev->maps, 0, U, ev->results, ev->sacs);
    if (st != CM_OK)
        goto done;
    int grid = 0;
    for (int u = 0; u < U; u++)
        grid += ev->results[u].score60 > 0.3;
    ev->grid_fraction = (double)grid / U;
    if (progress)
        cm_progress_finish(progress, "%lld samples", (long long)ev->samples);
done:
    cm_gridness_scorer_free(gs);
    cm_free(sums);
    cm_free(counts);
    cm_free(acts);
    cm_free(decoded);
    cm_free(bins);
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
