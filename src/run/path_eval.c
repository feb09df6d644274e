/* The periodic evaluation the path models' jobs share (run_internal.h). */
#include "cogmap/dist.h"
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

/* One evaluation batch as a rank sends it: loss, decoding error sum and
 * count, then (when scoring) the units and positions. */
typedef struct path_item {
    double loss, err_sum;
    int64_t err_n;
} path_item;

typedef struct path_loop {
    run_path_evaluator *e;
    cm_grid_forward_fn forward;
    void *model;
    cm_grid_source *src;
    double loss_sum, err_sum;
    int64_t err_n;
} path_loop;

static cm_status path_compute(void *ctx, int64_t k, void *out)
{
    path_loop *L = ctx;
    run_path_evaluator *e = L->e;
    const int B = e->batch.batch, T = e->batch.steps;
    const size_t per_batch = (size_t)B * T;
    path_item it = {0, 0, 0};
    float *units = (float *)((char *)out + sizeof it);
    cm_status st = cm_grid_source_fill(L->src, 1, k, &e->batch);
    if (st == CM_OK)
        st = L->forward(L->model, &e->batch, e->scorer ? units : NULL, e->decoded, &it.loss);
    if (st != CM_OK)
        return st;
    it.err_sum = run_decoding_error_sum(e->decoded, e->batch.pos, B, T, &it.err_n);
    memcpy(out, &it, sizeof it);
    if (e->scorer)
        memcpy(units + per_batch * e->n_units, e->batch.pos, per_batch * 2 * sizeof(float));
    return CM_OK;
}

static cm_status path_fold(void *ctx, int64_t k, const void *in)
{
    path_loop *L = ctx;
    run_path_evaluator *e = L->e;
    const size_t per_batch = (size_t)e->batch.batch * e->batch.steps;
    path_item it;
    memcpy(&it, in, sizeof it);
    L->loss_sum += it.loss;
    L->err_sum += it.err_sum;
    L->err_n += it.err_n;
    if (e->scorer) {
        const float *units = (const float *)((const char *)in + sizeof it);
        memcpy(e->units + (size_t)k * per_batch * e->n_units, units, per_batch * e->n_units * sizeof(float));
        memcpy(e->pos + (size_t)k * per_batch * 2, units + per_batch * e->n_units, per_batch * 2 * sizeof(float));
    }
    return CM_OK;
}

cm_status run_path_eval(run_path_evaluator *e, cm_grid_forward_fn forward, void *model, cm_grid_source *src,
                        cm_metrics *out)
{
    const size_t per_batch = (size_t)e->batch.batch * e->batch.steps;
    path_loop L = {.e = e, .forward = forward, .model = model, .src = src};
    /* The batches spread over the ranks, folded in batch order (dist.h):
     * every rank gets the serial loop's sums. */
    const size_t bytes = sizeof(path_item) + (e->scorer ? per_batch * (e->n_units + 2) * sizeof(float) : 0);
    cm_status st = cm_dist_map_fold(e->n_batches, bytes, path_compute, path_fold, &L, NULL);
    if (st != CM_OK)
        return st;
    st = cm_metrics_set(out, "eval_loss", L.loss_sum / e->n_batches, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_metrics_set(out, "decoding_error", L.err_n ? L.err_sum / (double)L.err_n : NAN, CM_LOWER_IS_BETTER);
    if (st == CM_OK && e->scorer) {
        st = cm_grid_scorer_run(e->scorer, e->units, e->pos, (int64_t)e->n_batches * per_batch);
        if (st != CM_OK)
            return cm_error_context(st, "scoring gridness: ");
        st = cm_metrics_set(out, "grid_fraction", cm_grid_scorer_fraction(e->scorer, 0.3), CM_HIGHER_IS_BETTER);
    }
    return st;
}
