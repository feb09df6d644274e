/* The grid-cell training loop: batches, steps, periodic evaluation,
 * checkpoints, the stop on NaN and Ctrl-C (gridrun.h). */
#include "cogmap/gridrun.h"
#include "cogmap/io.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

/* The dropout masks of step k come from their own stream (seed, tag + k), so
 * that a resumed run draws the very masks the uninterrupted run would. */
#define DROPOUT_STREAM_TAG (0x4452ULL << 48)

typedef struct evaluator {
    cm_grid_batch batch;
    float *units;   /* [eval_batches * B * T, U] when scoring, else one batch */
    float *pos;     /* [eval_batches * B * T, 2] when scoring */
    float *decoded; /* [B, T, 2] */
} evaluator;

static void evaluator_free(evaluator *e)
{
    cm_grid_batch_free(&e->batch);
    cm_free(e->units);
    cm_free(e->pos);
    cm_free(e->decoded);
}

/* Mean Euclidean distance between decoded and true positions, t >= 1 (SSM-PC
 * leaves t = 0, the encoded start, out), or all t when T == 1. */
static double decoding_error_sum(const float *decoded, const float *pos, int B, int T, int64_t *count)
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

static cm_status run_eval(const cm_grid_train_config *cfg, const cm_grid_model_ops *ops, void *model,
                          cm_grid_source *src, evaluator *ev, int n_units, cm_grid_eval_row *row)
{
    const int B = ev->batch.batch, T = ev->batch.steps;
    const size_t per_batch = (size_t)B * T;
    double loss_sum = 0, err_sum = 0;
    int64_t err_n = 0;
    for (int k = 0; k < cfg->eval_batches; k++) {
        cm_status st = cm_grid_source_fill(src, 1, k, &ev->batch);
        if (st != CM_OK)
            return st;
        float *units = cfg->score ? ev->units + (size_t)k * per_batch * n_units : NULL;
        double loss = 0;
        st = ops->evaluate(model, &ev->batch, units, ev->decoded, &loss);
        if (st != CM_OK)
            return st;
        loss_sum += loss;
        err_sum += decoding_error_sum(ev->decoded, ev->batch.pos, B, T, &err_n);
        if (cfg->score)
            memcpy(ev->pos + (size_t)k * per_batch * 2, ev->batch.pos, per_batch * 2 * sizeof(float));
    }
    row->eval_loss = loss_sum / cfg->eval_batches;
    row->decoding_error = err_n ? err_sum / (double)err_n : NAN;
    row->grid_fraction = NAN;
    if (cfg->score) {
        cm_status st = cfg->score(cfg->score_ctx, ev->units, ev->pos, (int64_t)cfg->eval_batches * per_batch,
                                  n_units, &row->grid_fraction);
        if (st != CM_OK)
            return cm_error_context(st, "scoring gridness: ");
    }
    return CM_OK;
}

static cm_status checkpoint_name(char *buf, size_t size, const char *out, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/checkpoints/%s", out, name) >= size)
        return cm_error(CM_ERR_ARG, "%s: run folder path too long", out);
    return CM_OK;
}

/* Saves step_<N> and prunes the older ones (cm_grid_checkpoint_prune). */
static cm_status save_step(const cm_grid_train_config *cfg, const cm_grid_model_ops *ops, void *model,
                           const cm_grid_run_state *state)
{
    char dir[4096], name[64];
    snprintf(name, sizeof name, "step_%08lld", (long long)state->step);
    cm_status st = checkpoint_name(dir, sizeof dir, cfg->out, name);
    if (st == CM_OK)
        st = cm_grid_checkpoint_save(dir, ops, model, state, cfg->seed);
    if (st != CM_OK)
        return st;
    const int64_t base = cfg->checkpoint_every > 0 ? cfg->checkpoint_every : cfg->eval_every;
    return cm_grid_checkpoint_prune(cfg->out, cfg->keep, base);
}

static int is_better(const cm_grid_train_config *cfg, const cm_grid_run_state *state, const cm_grid_eval_row *row,
                     double *value)
{
    const int by_grid = cfg->best_by_grid && isfinite(row->grid_fraction);
    const int by_goal = cfg->goal_fraction > 0 && cfg->goal_error > 0 && isfinite(row->grid_fraction) &&
                        row->decoding_error > 0;
    /* Stored as "lower is better" so that one comparison serves all. */
    if (by_goal) {
        const double g = row->grid_fraction / cfg->goal_fraction, d = cfg->goal_error / row->decoding_error;
        *value = -(g < d ? g : d);
    } else
        *value = by_grid ? -row->grid_fraction : row->eval_loss;
    if (!isfinite(*value))
        return 0;
    return state->best_step < 0 || *value < state->best_value;
}

/* The evaluation history: the rows of evals.csv, rewritten whole after each. */
typedef struct eval_history {
    cm_grid_eval_row *rows;
    int n, cap;
} eval_history;

/* Appends an evaluation's row to the history and evals.csv; when it is the
 * best so far, the model as it is becomes checkpoints/best. */
static cm_status record_eval(const cm_grid_train_config *cfg, const cm_grid_model_ops *ops, void *model,
                             cm_grid_run_state *state, eval_history *h, const cm_grid_eval_row *row)
{
    if (h->n == h->cap) {
        const int cap = h->cap ? 2 * h->cap : 64;
        cm_grid_eval_row *grown = cm_alloc((size_t)cap * sizeof *grown);
        if (!grown)
            return cm_error(CM_ERR_NOMEM, "training: cannot grow the evaluation history");
        if (h->n)
            memcpy(grown, h->rows, (size_t)h->n * sizeof *h->rows);
        cm_free(h->rows);
        h->rows = grown;
        h->cap = cap;
    }
    h->rows[h->n++] = *row;
    cm_status st = cm_grid_evals_write(cfg->out, h->rows, h->n);
    double value;
    if (st == CM_OK && is_better(cfg, state, row, &value)) {
        state->best_value = value;
        state->best_step = state->step;
        char dir[4096];
        st = checkpoint_name(dir, sizeof dir, cfg->out, "best");
        if (st == CM_OK)
            st = cm_grid_checkpoint_save(dir, ops, model, state, cfg->seed);
    }
    return st;
}

cm_status cm_grid_train(const cm_grid_train_config *cfg, const cm_grid_model_ops *ops, void *model,
                        cm_grid_source *train, cm_grid_source *eval, cm_grid_run_state *state, cm_progress *progress)
{
    if (!cfg->out || cfg->batch <= 0 || cfg->keep < 1 || cfg->eval_batches < 1 || cfg->steps < 0 ||
        cfg->eval_every < 0 || cfg->checkpoint_every < 0 || !(cfg->minutes >= 0))
        return cm_error(CM_ERR_ARG, "training: expected an output folder, batch >= 1, keep >= 1, eval batches >= 1 "
                                    "and non-negative limits");
    if (cfg->steps == 0 && cfg->minutes == 0)
        return cm_error(CM_ERR_ARG, "training: expected a step limit or a time limit");
    char dir[4096];
    cm_status st = checkpoint_name(dir, sizeof dir, cfg->out, "");
    if (st == CM_OK)
        st = cm_mkdir_p(dir);
    if (st != CM_OK)
        return st;

    const int n_units = ops->units(model);
    const int in_dim = cm_grid_input_dim(train->input);
    cm_grid_batch batch;
    evaluator ev;
    memset(&ev, 0, sizeof ev);
    eval_history hist = {NULL, 0, 0};
    st = cm_grid_batch_alloc(&batch, cfg->batch, train->steps, in_dim);
    if (st != CM_OK)
        return st;
    st = cm_grid_batch_alloc(&ev.batch, cfg->batch, eval->steps, cm_grid_input_dim(eval->input));
    if (st != CM_OK)
        goto done;
    {
        const size_t per_batch = (size_t)cfg->batch * eval->steps;
        const size_t n_eval = cfg->score ? per_batch * cfg->eval_batches : 0;
        ev.decoded = cm_alloc(per_batch * 2 * sizeof(float));
        if (cfg->score) {
            ev.units = cm_alloc(n_eval * n_units * sizeof(float));
            ev.pos = cm_alloc(n_eval * 2 * sizeof(float));
        }
        if (!ev.decoded || (cfg->score && (!ev.units || !ev.pos))) {
            st = cm_error(CM_ERR_NOMEM, "training: cannot allocate the evaluation buffers (%zu samples x %d units)",
                          n_eval, n_units);
            goto done;
        }
    }

    /* The evaluation history so far: rows up to the resumed step. */
    {
        char path[4096];
        if (state->step > 0 && cm_path_join(path, sizeof path, cfg->out, "evals.csv") == CM_OK &&
            access(path, F_OK) == 0) {
            st = cm_grid_evals_read(cfg->out, &hist.rows, &hist.n);
            if (st != CM_OK)
                goto done;
            hist.cap = hist.n;
            while (hist.n > 0 && hist.rows[hist.n - 1].step > state->step)
                hist.n--;
        }
    }

    const int64_t start_step = state->step;
    const double start_wall = state->wall_seconds, t0 = cm_now();
    double loss_sum = 0;
    int64_t loss_n = 0, last_eval_step = -1, last_ckpt_step = start_step;
    if (progress)
        cm_progress_start(progress, progress->out, "train",
                          cfg->steps > start_step ? cfg->steps - start_step : 0);
    for (;;) {
        state->wall_seconds = start_wall + (cm_now() - t0);
        if (cfg->steps > 0 && state->step >= cfg->steps)
            break;
        if (cfg->minutes > 0 && state->wall_seconds >= cfg->minutes * 60.0)
            break;
        if (cm_interrupted()) {
            if (state->step > last_ckpt_step || state->step == 0)
                st = save_step(cfg, ops, model, state);
            if (st == CM_OK)
                st = cm_error(CM_ERR_INTERRUPTED, "interrupted at step %lld; saved %s/checkpoints/step_%08lld",
                              (long long)state->step, cfg->out, (long long)state->step);
            goto done;
        }
        st = cm_grid_source_fill(train, 0, state->step, &batch);
        if (st != CM_OK)
            goto done;
        cm_rng rng;
        cm_rng_seed(&rng, cfg->seed, DROPOUT_STREAM_TAG | (uint64_t)state->step);
        double loss = 0, err = 0;
        st = ops->train_step(model, &batch, &rng, &loss, &err);
        if (st != CM_OK)
            goto done;
        if (!isfinite(loss)) {
            st = cm_error(CM_ERR_NUMERIC,
                          "training diverged at step %lld: the loss is %g; the last good checkpoint is "
                          "%s/checkpoints/step_%08lld",
                          (long long)state->step + 1, loss, cfg->out, (long long)last_ckpt_step);
            goto done;
        }
        state->step++;
        state->last_loss = loss;
        state->last_error = err;
        loss_sum += loss;
        loss_n++;
        if (progress)
            cm_progress_update(progress, state->step - start_step, "step %lld loss %.4f err %.3f",
                               (long long)state->step, loss, err);

        const int eval_now = cfg->eval_every > 0 && state->step % cfg->eval_every == 0;
        const int ckpt_now = cfg->checkpoint_every > 0 ? state->step % cfg->checkpoint_every == 0 : eval_now;
        if (eval_now) {
            cm_grid_eval_row row = {.step = state->step, .train_loss = loss_sum / (double)loss_n};
            st = run_eval(cfg, ops, model, eval, &ev, n_units, &row);
            if (st != CM_OK)
                goto done;
            state->wall_seconds = start_wall + (cm_now() - t0);
            row.wall_seconds = state->wall_seconds;
            loss_sum = 0;
            loss_n = 0;
            last_eval_step = state->step;
            st = record_eval(cfg, ops, model, state, &hist, &row);
            if (st != CM_OK)
                goto done;
        }
        if (ckpt_now) {
            st = save_step(cfg, ops, model, state);
            if (st != CM_OK)
                goto done;
            last_ckpt_step = state->step;
        }
    }
    /* The end of a run is always evaluated and saved. */
    if (state->step > start_step && last_eval_step != state->step) {
        cm_grid_eval_row row = {.step = state->step, .train_loss = loss_n ? loss_sum / (double)loss_n : NAN};
        st = run_eval(cfg, ops, model, eval, &ev, n_units, &row);
        if (st != CM_OK)
            goto done;
        row.wall_seconds = state->wall_seconds;
        st = record_eval(cfg, ops, model, state, &hist, &row);
        if (st != CM_OK)
            goto done;
    }
    if (state->step > last_ckpt_step)
        st = save_step(cfg, ops, model, state);
    if (progress && st == CM_OK)
        cm_progress_finish(progress, "step %lld loss %.4f err %.3f", (long long)state->step, state->last_loss,
                           state->last_error);

done:
    cm_free(hist.rows);
    evaluator_free(&ev);
    cm_grid_batch_free(&batch);
    return st;
}
