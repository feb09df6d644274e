/* The run part the trainer commands share (train.h): the same loop and
 * closing report for every model's job. */
#include "cli/train.h"

cm_train_config cli_train_config(const cli_train_options *t, uint64_t seed)
{
    cm_train_config tc = {
        .out = t->common.out,
        .steps = t->steps,
        .minutes = t->minutes,
        .eval_every = t->eval_every,
        .checkpoint_every = t->checkpoint_every,
        .keep = (int)t->keep,
        .seed = seed,
    };
    return tc;
}

cm_status cli_train_loop(const char *command, const cli_train_options *t, const cm_train_config *tc,
                         const cm_train_job_ops *ops, void *job, cm_train_state *state, const char *loaded)
{
    cm_progress progress;
    FILE *out = cli_progress_stream(&t->common);
    progress.out = out;
    if (t->resume && out)
        fprintf(out, "%s: resuming %s at step %lld\n", command, loaded, (long long)state->step);
    cm_interrupt_install();
    return cm_train_run(tc, ops, job, state, out ? &progress : NULL);
}

int cli_train_finish(const char *command, cm_status st, const cli_train_options *t, const cm_train_state *state)
{
    if (st != CM_OK)
        return cli_fail(command, st);
    FILE *out = cli_progress_stream(&t->common);
    if (out)
        fprintf(out, "%s: %lld steps in %.1f s; checkpoints in %s/checkpoints, evaluations in %s/evals.csv\n", command,
                (long long)state->step, state->wall_seconds, t->common.out, t->common.out);
    return CLI_EXIT_OK;
}
