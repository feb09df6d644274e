/* The run part the trainer commands share (train.h): the same resume check,
 * loop and closing report for every model the grid-cell trainer drives. */
#include "cli/train.h"

cm_status cli_train_resume(const char *dir, const cm_grid_model_ops *ops, void *model, uint64_t run_seed,
                           cm_grid_run_state *state, char loaded[4096])
{
    uint64_t seed = 0;
    cm_status st = cm_grid_checkpoint_load(dir, ops, model, state, &seed, loaded);
    /* A checkpoint from another seed would silently change the run's data stream. */
    if (st == CM_OK && seed != run_seed)
        st = cm_error(CM_ERR_FORMAT, "%s: seed %llu differs from run.json's %llu", loaded, (unsigned long long)seed,
                      (unsigned long long)run_seed);
    return st;
}

cm_grid_train_config cli_train_config(const cli_train_options *t, int batch, int eval_batches, uint64_t seed)
{
    cm_grid_train_config tc = {
        .out = t->common.out,
        .batch = batch,
        .steps = t->steps,
        .minutes = t->minutes,
        .eval_every = t->eval_every,
        .checkpoint_every = t->checkpoint_every,
        .keep = (int)t->keep,
        .eval_batches = eval_batches,
        .seed = seed,
    };
    return tc;
}

cm_status cli_train_loop(const char *command, const cli_train_options *t, const cm_grid_train_config *tc,
                         const cm_grid_model_ops *ops, void *model, cm_grid_source *train, cm_grid_source *eval,
                         cm_grid_run_state *state, const char *loaded)
{
    cm_progress progress;
    FILE *out = cli_progress_stream(&t->common);
    progress.out = out;
    if (t->resume && out)
        fprintf(out, "%s: resuming %s at step %lld\n", command, loaded, (long long)state->step);
    cm_interrupt_install();
    return cm_grid_train(tc, ops, model, train, eval, state, out ? &progress : NULL);
}

int cli_train_finish(const char *command, cm_status st, const cli_train_options *t, const cm_grid_run_state *state)
{
    if (st != CM_OK)
        return cli_fail(command, st);
    FILE *out = cli_progress_stream(&t->common);
    if (out)
        fprintf(out, "%s: %lld steps in %.1f s; checkpoints in %s/checkpoints, evaluations in %s/evals.csv\n", command,
                (long long)state->step, state->wall_seconds, t->common.out, t->common.out);
    return CLI_EXIT_OK;
}
