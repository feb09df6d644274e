/* The generic training loop (run.h): limits, the gradient of every shard
 * then the update, periodic evaluation into evals.csv, checkpoints, the
 * stop on NaN and Ctrl-C. */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

void cm_train_state_init(cm_train_state *s)
{
    memset(s, 0, sizeof *s);
    s->best_step = -1;
}

static cm_status checkpoint_name(char *buf, size_t size, const char *out, const char *name)
{
    if ((size_t)snprintf(buf, size, "%s/checkpoints/%s", out, name) >= size)
        return cm_error(CM_ERR_ARG, "%s: run folder path too long", out);
    return CM_OK;
}

/* Saves step_<N> and prunes the older ones (cm_train_checkpoint_prune). */
static cm_status save_step(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job,
                           const cm_train_state *state)
{
    char dir[4096], name[64];
    snprintf(name, sizeof name, "step_%08lld", (long long)state->step);
    cm_status st = checkpoint_name(dir, sizeof dir, cfg->out, name);
    if (st == CM_OK)
        st = cm_train_checkpoint_save(dir, ops, job, state, cfg->seed);
    if (st != CM_OK)
        return st;
    const int64_t base = cfg->checkpoint_every > 0 ? cfg->checkpoint_every : cfg->eval_every;
    return cm_train_checkpoint_prune(cfg->out, cfg->keep, base);
}

/* The evaluation's rank, lower is better: the config's ranking, or the
 * chosen metric (the job's first when none is named) in its direction. */
static double rank_of(const cm_train_config *cfg, const cm_metrics *m)
{
    if (cfg->rank)
        return cfg->rank(cfg->rank_ctx, m);
    const int k = cfg->best ? cm_metrics_find(m, cfg->best) : (m->count > 0 ? 0 : -1);
    if (k < 0)
        return NAN;
    return m->items[k].better == CM_HIGHER_IS_BETTER ? -m->items[k].value : m->items[k].value;
}

/* Evaluates, appends the row to the history and evals.csv; when it is the
 * best so far, the job as it is becomes checkpoints/best. */
static cm_status evaluate(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                          cm_evals *hist, double train_loss, double wall_start, double t0)
{
    cm_metrics m;
    cm_metrics_clear(&m);
    cm_status st = ops->evaluate(job, state->step, &m);
    if (st != CM_OK)
        return cm_error_context(st, "evaluation at step %lld: ", (long long)state->step);
    if (cfg->best && !cfg->rank && cm_metrics_find(&m, cfg->best) < 0)
        return cm_error(CM_ERR_ARG, "best checkpoint by '%s': the %s job has no such metric", cfg->best,
                        ops->model_name ? ops->model_name : "training");
    state->wall_seconds = wall_start + (cm_now() - t0);
    st = cm_evals_append(hist, state->step, state->wall_seconds, train_loss, &m);
    if (st == CM_OK)
        st = cm_evals_write(cfg->out, hist);
    const double value = rank_of(cfg, &m);
    if (st == CM_OK && isfinite(value) && (state->best_step < 0 || value < state->best_value)) {
        state->best_value = value;
        state->best_step = state->step;
        char dir[4096];
        st = checkpoint_name(dir, sizeof dir, cfg->out, "best");
        if (st == CM_OK)
            st = cm_train_checkpoint_save(dir, ops, job, state, cfg->seed);
    }
    return st;
}

/* One optimiser step: zeroed gradient block, every shard's gradient, the
 * update unless the loss is not finite. */
static cm_status step_once(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, int64_t step,
                           double *loss)
{
    const int shards = cfg->n_shards > 1 ? cfg->n_shards : 1;
    memset(ops->grads(job), 0, ops->n_params(job) * sizeof(float));
    double loss_sum = 0, weight = 0;
    for (int s = 0; s < shards; s++) {
        double l = 0, w = 0;
        cm_status st = ops->gradient(job, step, s, shards, &l, &w);
        if (st != CM_OK)
            return st;
        loss_sum += l;
        weight += w;
    }
    /* One shard's loss is passed through as it is (no x w / w rounding). */
    *loss = shards == 1 && weight == 1 ? loss_sum : loss_sum / weight;
    return isfinite(*loss) ? ops->update(job, step) : CM_OK;
}

cm_status cm_train_run(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                       cm_progress *progress)
{
    if (!cfg->out || cfg->keep < 1 || cfg->steps < 0 || cfg->eval_every < 0 || cfg->checkpoint_every < 0 ||
        cfg->n_shards < 0 || !(cfg->minutes >= 0))
        return cm_error(CM_ERR_ARG, "training: expected an output folder, keep >= 1 and non-negative limits");
    if (cfg->steps == 0 && cfg->minutes == 0)
        return cm_error(CM_ERR_ARG, "training: expected a step limit or a time limit");
    if (!ops->n_params || !ops->params || !ops->grads || !ops->gradient || !ops->update || !ops->evaluate ||
        !ops->save || !ops->load)
        return cm_error(CM_ERR_ARG, "training: the %s job lacks an operation", ops->model_name ? ops->model_name : "");
    char dir[4096];
    cm_status st = checkpoint_name(dir, sizeof dir, cfg->out, "");
    if (st == CM_OK)
        st = cm_mkdir_p(dir);
    if (st != CM_OK)
        return st;

    /* The evaluation history so far: rows up to the resumed step. */
    cm_evals hist;
    memset(&hist, 0, sizeof hist);
    char path[4096];
    if (state->step > 0 && cm_path_join(path, sizeof path, cfg->out, "evals.csv") == CM_OK &&
        access(path, F_OK) == 0) {
        st = cm_evals_read(cfg->out, &hist);
        if (st != CM_OK)
            return st;
        cm_evals_truncate(&hist, state->step);
    }

    const int64_t start_step = state->step;
    const double start_wall = state->wall_seconds, t0 = cm_now();
    double loss_sum = 0;
    int64_t loss_n = 0, last_eval_step = -1, last_ckpt_step = start_step;
    if (progress)
        cm_progress_start(progress, progress->out, "train", cfg->steps > start_step ? cfg->steps - start_step : 0);
    for (;;) {
        state->wall_seconds = start_wall + (cm_now() - t0);
        if (cfg->steps > 0 && state->step >= cfg->steps)
            break;
        if (cfg->minutes > 0 && state->wall_seconds >= cfg->minutes * 60.0)
            break;
        if (cm_interrupted()) {
            if (state->step > last_ckpt_step || state->step == 0)
                st = save_step(cfg, ops, job, state);
            if (st == CM_OK)
                st = cm_error(CM_ERR_INTERRUPTED, "interrupted at step %lld; saved %s/checkpoints/step_%08lld",
                              (long long)state->step, cfg->out, (long long)state->step);
            goto done;
        }
        double loss = 0;
        st = step_once(cfg, ops, job, state->step, &loss);
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
        loss_sum += loss;
        loss_n++;
        if (progress)
            cm_progress_update(progress, state->step - start_step, "step %lld loss %.4f", (long long)state->step,
                               loss);

        const int eval_now = cfg->eval_every > 0 && state->step % cfg->eval_every == 0;
        const int ckpt_now = cfg->checkpoint_every > 0 ? state->step % cfg->checkpoint_every == 0 : eval_now;
        if (eval_now) {
            st = evaluate(cfg, ops, job, state, &hist, loss_sum / (double)loss_n, start_wall, t0);
            if (st != CM_OK)
                goto done;
            loss_sum = 0;
            loss_n = 0;
            last_eval_step = state->step;
        }
        if (ckpt_now) {
            st = save_step(cfg, ops, job, state);
            if (st != CM_OK)
                goto done;
            last_ckpt_step = state->step;
        }
    }
    /* The end of a run is always evaluated and saved. */
    if (state->step > start_step && last_eval_step != state->step) {
        const double wall = state->wall_seconds;
        st = evaluate(cfg, ops, job, state, &hist, loss_n ? loss_sum / (double)loss_n : NAN, start_wall, t0);
        state->wall_seconds = wall;
        if (st != CM_OK)
            goto done;
    }
    if (state->step > last_ckpt_step)
        st = save_step(cfg, ops, job, state);
    if (progress && st == CM_OK)
        cm_progress_finish(progress, "step %lld loss %.4f", (long long)state->step, state->last_loss);

done:
    cm_evals_free(&hist);
    return st;
}
