/* The generic training loop (run.h): limits, the gradient of every shard
 * then the update, periodic evaluation into evals.csv, checkpoints, the
 * stop on NaN and Ctrl-C.
 *
 * In a job of several ranks (dist.h) the loop is data-parallel: rank r
 * computes its shards of the P x n_shards shards of each step, the gradient
 * block and the loss are summed in rank order, and every rank applies the
 * same update, so parameters stay identical (checked by checksum at every
 * checkpoint). Rank 0 alone writes; every decision that could differ
 * between ranks (Ctrl-C, the time limit, a failure) goes through a
 * collective first, so that all ranks take the same path and none waits
 * forever. */
#include "cogmap/dist.h"
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

/* Ranks hold the same parameters (what the update promises); a cheap
 * check at every checkpoint, so that a divergence is caught near where it
 * began. Collective. */
static cm_status check_params(const cm_train_job_ops *ops, void *job, int64_t step)
{
    if (cm_dist_size() == 1)
        return CM_OK;
    char what[64];
    snprintf(what, sizeof what, "parameters at step %lld", (long long)step);
    return cm_dist_check_same(cm_dist_checksum(ops->params(job), ops->n_params(job)), what);
}

/* Saves step_<N> and prunes the older ones (cm_train_checkpoint_prune);
 * rank 0 writes, and no rank goes on before the checkpoint is complete.
 * Collective. */
static cm_status save_step(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job,
                           const cm_train_state *state)
{
    cm_status st = check_params(ops, job, state->step);
    if (st != CM_OK)
        return st;
    if (cm_dist_rank() == 0) {
        char dir[4096], name[64];
        snprintf(name, sizeof name, "step_%08lld", (long long)state->step);
        st = checkpoint_name(dir, sizeof dir, cfg->out, name);
        if (st == CM_OK)
            st = cm_train_checkpoint_save(dir, ops, job, state, cfg->seed);
        const int64_t base = cfg->checkpoint_every > 0 ? cfg->checkpoint_every : cfg->eval_every;
        if (st == CM_OK)
            st = cm_train_checkpoint_prune(cfg->out, cfg->keep, base);
    }
    return cm_dist_agree(st);
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

/* Evaluates (every rank: a job's evaluation may spread its samples over
 * them, and all get the same metrics), appends the row to the history and
 * evals.csv; when it is the best so far, the job as it is becomes
 * checkpoints/best. Rank 0 writes. Collective. */
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
    const int me = cm_dist_rank();
    if (me == 0)
        st = cm_evals_append(hist, state->step, state->wall_seconds, train_loss, &m);
    if (st == CM_OK && me == 0)
        st = cm_evals_write(cfg->out, hist);
    st = cm_dist_agree(st);
    const double value = rank_of(cfg, &m);
    if (st == CM_OK && isfinite(value) && (state->best_step < 0 || value < state->best_value)) {
        state->best_value = value;
        state->best_step = state->step;
        st = check_params(ops, job, state->step);
        char dir[4096];
        if (st == CM_OK && me == 0)
            st = checkpoint_name(dir, sizeof dir, cfg->out, "best");
        if (st == CM_OK && me == 0)
            st = cm_train_checkpoint_save(dir, ops, job, state, cfg->seed);
        st = cm_dist_agree(st);
    }
    return st;
}

/* One optimiser step: zeroed gradient block, every shard's gradient, the
 * update unless the loss is not finite. With several ranks, this rank's
 * shards of the P x n_shards, then the rank-ordered sums of the loss and of
 * the gradient block; a failed gradient anywhere fails the step everywhere. */
static cm_status step_once(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, int64_t step,
                           double *loss)
{
    const int local = cfg->n_shards > 1 ? cfg->n_shards : 1, P = cm_dist_size();
    const int shards = local * P;
    int64_t s0, s1;
    cm_dist_split(shards, cm_dist_rank(), P, &s0, &s1);
    memset(ops->grads(job), 0, ops->n_params(job) * sizeof(float));
    double loss_sum = 0, weight = 0;
    cm_status st = CM_OK;
    for (int s = (int)s0; s < (int)s1 && st == CM_OK; s++) {
        double l = 0, w = 0;
        st = ops->gradient(job, step, s, shards, &l, &w);
        loss_sum += l;
        weight += w;
    }
    if (P == 1) {
        if (st != CM_OK)
            return st;
        /* One shard's loss is passed through as it is (no x w / w rounding). */
        *loss = shards == 1 && weight == 1 ? loss_sum : loss_sum / weight;
        return isfinite(*loss) ? ops->update(job, step) : CM_OK;
    }
    double sums[3] = {loss_sum, weight, st != CM_OK};
    cm_status red = cm_dist_sum_doubles(sums, 3);
    if (red != CM_OK)
        return red;
    if (sums[2] > 0)
        return cm_dist_agree(st);
    *loss = sums[0] / sums[1];
    if (!isfinite(*loss))
        return CM_OK; /* every rank sees the same loss and stops */
    st = cm_dist_sum_floats(ops->grads(job), ops->n_params(job));
    /* The update is deterministic: the same on every rank from the same
     * gradient and state. */
    return st == CM_OK ? ops->update(job, step) : st;
}

/* What every rank must decide alike before a step: the user's Ctrl-C (on
 * any rank) and the time limit (rank 0's clock). Collective. */
static void agree_to_stop(int *interrupted, int *time_up)
{
    if (cm_dist_size() == 1)
        return;
    double v[2] = {*interrupted ? 1 : 0, cm_dist_rank() == 0 && *time_up ? 1 : 0};
    if (cm_dist_sum_doubles(v, 2) != CM_OK)
        cm_dist_abort(1, "cannot agree with the other ranks whether to stop");
    *interrupted = v[0] > 0;
    *time_up = v[1] > 0;
}

/* Whether the history's last row is this step's. Rank 0 alone holds the
 * history, so its answer is broadcast: every rank must then take the same
 * path (an evaluation is collective). */
static int have_row_at(const cm_evals *hist, int64_t step)
{
    int have = cm_dist_rank() == 0 && hist->n_rows > 0 &&
               hist->values[(size_t)(hist->n_rows - 1) * hist->n_cols] == (double)step;
    if (cm_dist_size() > 1 && cm_dist_broadcast(&have, sizeof have, 0) != CM_OK)
        cm_dist_abort(1, "cannot agree with the other ranks on the evaluation history");
    return have;
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
    const int me = cm_dist_rank();
    if (me != 0)
        progress = NULL; /* rank 0 speaks for the job */
    /* One run, one writer: held until the run returns (by rank 0, which
     * alone writes a job's run; cm_run_lock is a no-op on the others). */
    cm_lockfile *lock = NULL;
    cm_status st = cm_run_lock(cfg->out, &lock);
    char dir[4096];
    if (st == CM_OK)
        st = checkpoint_name(dir, sizeof dir, cfg->out, "");
    if (st == CM_OK && me == 0)
        st = cm_mkdir_p(dir);

    /* The evaluation history so far (rank 0's, the one that writes it): rows
     * up to the resumed step. */
    cm_evals hist;
    memset(&hist, 0, sizeof hist);
    char path[4096];
    if (st == CM_OK && me == 0 && state->step > 0 && cm_path_join(path, sizeof path, cfg->out, "evals.csv") == CM_OK &&
        access(path, F_OK) == 0) {
        st = cm_evals_read(cfg->out, &hist);
        if (st == CM_OK)
            cm_evals_truncate(&hist, state->step);
    }
    st = cm_dist_agree(st);
    /* Every rank starts from the same parameters (same seed, or the same
     * checkpoint). */
    if (st == CM_OK)
        st = check_params(ops, job, state->step);
    if (st != CM_OK)
        goto done;

    const int64_t start_step = state->step;
    const double start_wall = state->wall_seconds, t0 = cm_now();
    int64_t last_eval_step = -1, last_ckpt_step = start_step;
    /* A run stopped during an evaluation saved its step without that row
     * (below): resumed, it evaluates first, as the uninterrupted run did at
     * that step, with the training loss it had summed so far. */
    if (start_step > 0 && cfg->eval_every > 0 && start_step % cfg->eval_every == 0 && !have_row_at(&hist, start_step)) {
        st = evaluate(cfg, ops, job, state, &hist, state->loss_count ? state->loss_sum / (double)state->loss_count : NAN,
                      start_wall, t0);
        if (st != CM_OK)
            goto done;
        state->loss_sum = 0;
        state->loss_count = 0;
        last_eval_step = start_step;
    }
    if (progress) {
        cm_progress_start(progress, progress->out, "train", cfg->steps > start_step ? cfg->steps - start_step : 0);
        if (cfg->minutes > 0) /* the budget counts the run's earlier sessions too */
            cm_progress_time_limit(progress, cfg->minutes * 60.0 - start_wall);
    }
    for (;;) {
        state->wall_seconds = start_wall + (cm_now() - t0);
        if (cfg->steps > 0 && state->step >= cfg->steps)
            break;
        int time_up = cfg->minutes > 0 && state->wall_seconds >= cfg->minutes * 60.0;
        int interrupted = cm_interrupted();
        agree_to_stop(&interrupted, &time_up);
        if (time_up)
            break;
        if (interrupted) {
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
        state->loss_sum += loss;
        state->loss_count++;
        if (progress)
            cm_progress_update(progress, state->step - start_step, "step %lld loss %.4f", (long long)state->step,
                               loss);

        const int eval_now = cfg->eval_every > 0 && state->step % cfg->eval_every == 0;
        const int ckpt_now = cfg->checkpoint_every > 0 ? state->step % cfg->checkpoint_every == 0 : eval_now;
        if (eval_now) {
            st = evaluate(cfg, ops, job, state, &hist, state->loss_sum / (double)state->loss_count, start_wall, t0);
            if (st == CM_ERR_INTERRUPTED) {
                /* Ctrl-C during the evaluation: the step itself is complete,
                 * so it is saved (its loss sums kept) and its evaluation is
                 * the first thing a resumed run does. */
                st = save_step(cfg, ops, job, state);
                if (st == CM_OK)
                    st = cm_error(CM_ERR_INTERRUPTED,
                                  "interrupted during the evaluation at step %lld; saved %s/checkpoints/step_%08lld",
                                  (long long)state->step, cfg->out, (long long)state->step);
            }
            if (st != CM_OK)
                goto done;
            state->loss_sum = 0;
            state->loss_count = 0;
            last_eval_step = state->step;
        }
        if (ckpt_now) {
            st = save_step(cfg, ops, job, state);
            if (st != CM_OK)
                goto done;
            last_ckpt_step = state->step;
        }
    }
    /* The end of a run is always evaluated and saved, once: a run resumed at
     * its last step (killed between its last checkpoint and this) still
     * gets the row its history lacks. */
    if (state->step > 0 && last_eval_step != state->step && !have_row_at(&hist, state->step)) {
        const double wall = state->wall_seconds;
        st = evaluate(cfg, ops, job, state, &hist, state->loss_count ? state->loss_sum / (double)state->loss_count : NAN,
                      start_wall, t0);
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
    /* Every way out is taken by every rank together (the decisions above are
     * collective); agreeing once more marks the outcome as the job's. */
    st = cm_dist_size() > 1 ? cm_dist_agree(st) : st;
    cm_run_unlock(lock);
    return st;
}
