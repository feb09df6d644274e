/* The periodic evaluation the path models' jobs share (run_internal.h). */
#include "run/run_internal.h"

#include <math.h>
#include <string.h>

double run_decoding_error_sum(const float *decoded, const float *pos, int B, int T, int64_t *count)
{
    double sum = 0;
    const int t0 = T > 1 ? 1 : 0;
    for (int b = 0; b < B; b++)
        for (int t = t0; t < T; t++) {
            size_t i = ((size_t)b * T + t) * 2;
            sum += hypot((double)decoded[i] - pos[i], (double)decoded[i + 1] - pos[i + 1]);
        }
    *count += (int64_t)B * (T - t0);
    return sum;
}

void run_path_eval_free(run_path_evaluator *e)
{
    cm_grid_batch_free(&e->batch);
    cm_free(e->units);
    cm_free(e->pos);
    cm_free(e->decoded);
    memset(e, 0, sizeof *e);
}

cm_status run_path_eval_init(run_path_evaluator *e, int batch, int steps, int in_dim, int n_batches, int n_units,
                             cm_grid_scorer *scorer)
{
    memset(e, 0, sizeof *e);
    if (n_batches < 1)
        return cm_error(CM_ERR_ARG, "evaluation: expected eval batches >= 1, got %d", n_batches);
    cm_status st = cm_grid_batch_alloc(&e->batch, batch, steps, in_dim);
    if (st != CM_OK)
        return st;
    e->n_batches = n_batches;
    e->n_units = n_units;
    e->scorer = scorer;
    const size_t per_batch = (size_t)batch * steps, n = scorer ? per_batch * n_batches : 0;
    e->decoded = cm_alloc(per_batch * 2 * sizeof(float));
    if (scorer) {
        e->units = cm_alloc(n * n_units * sizeof(float));
        e->pos = cm_alloc(n * 2 * sizeof(float));
    }
    if (!e->decoded || (scorer && (!e->units || !e->pos))) {
        run_path_eval_free(e);
        return cm_error(CM_ERR_NOMEM, "evaluation: cannot allocate the buffers (%zu samples x %d units)", n, n_units);
    }
    return CM_OK;
}

cm_status run_path_eval(run_path_evaluator *e, cm_grid_forward_fn forward, void *model, cm_grid_source *src,
                        cm_metrics *out)
{
    const int B = e->batch.batch, T = e->batch.steps;
    const size_t per_batch = (size_t)B * T;
    double loss_sum = 0, err_sum = 0;
    int64_t err_n = 0;
    for (int k = 0; k < e->n_batches; k++) {
        cm_status st = cm_grid_source_fill(src, 1, k, &e->batch);
        if (st != CM_OK)
            return st;
        float *units = e->scorer ? e->units + (size_t)k * per_batch * e->n_units : NULL;
        double loss = 0;
        st = forward(model, &e->batch, units, e->decoded, &loss);
        if (st != CM_OK)
            return st;
        loss_sum += loss;
        err_sum += run_decoding_error_sum(e->decoded, e->batch.pos, B, T, &err_n);
        if (e->scorer)
            memcpy(e->pos + (size_t)k * per_batch * 2, e->batch.pos, per_batch * 2 * sizeof(float));
    }
    cm_status st = cm_metrics_set(out, "eval_loss", loss_sum / e->n_batches, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_metrics_set(out, "decoding_error", err_n ? err_sum / (double)err_n : NAN, CM_LOWER_IS_BETTER);
    if (st == CM_OK && e->scorer) {
        st = cm_grid_scorer_run(e->scorer, e->units, e->pos, (int64_t)e->n_batches * per_batch);
        if (st != CM_OK)
            return cm_error_context(st, "scoring gridness: ");
        st = cm_metrics_set(out, "grid_fraction", cm_grid_scorer_fraction(e->scorer, 0.3), CM_HIGHER_IS_BETTER);
    }
    return st;
}
