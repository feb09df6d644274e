/* What `train grid` and `train smp` share. Options (train_options.c): the
 * run folder (--out, --resume), the limits (--steps, --minutes: with both,
 * the first reached stops), evaluation and checkpoint cadence (--eval-every,
 * --checkpoint-every, --keep), --set overrides and the common options. The
 * run (train_run.c): resuming from the newest checkpoint, the training loop
 * with progress and Ctrl-C, and the closing report. */
#ifndef COGMAP_CLI_TRAIN_H
#define COGMAP_CLI_TRAIN_H

#include "cli/cli.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#define CLI_TRAIN_MAX_SETS 64

typedef struct cli_train_options {
    cli_common common;
    const char *resume; /* --resume DIR, or NULL for a new run */
    long long steps;    /* 0: no step limit */
    double minutes;     /* 0: no time limit */
    long long eval_every, checkpoint_every, keep;
    int max_sets; /* how many --set the model's run config can hold (<= CLI_TRAIN_MAX_SETS) */
    int n_sets;
    const char *sets[CLI_TRAIN_MAX_SETS];
} cli_train_options;

/* Defaults: evaluation every 100 steps, 3 recent checkpoints kept. */
void cli_train_options_defaults(cli_train_options *t, int max_sets);

/* Tries to consume argv[*i] (and its value) as a shared trainer option or a
 * common one. Returns 1 if consumed, 0 if it is neither, or -1 on a bad value
 * (message printed; the command exits CLI_EXIT_USAGE). */
int cli_train_option(const char *command, cli_train_options *t, int argc, char **argv, int *i);

/* Reads argv[1..]: the shared trainer options, then the command's own table
 * `opts` (NULL: none; cli.h); anything else is an unknown option. Returns
 * CLI_EXIT_OK or, after the message, CLI_EXIT_USAGE. */
int cli_train_parse(const char *command, cli_train_options *t, const cli_opt *opts, int argc, char **argv);

/* With --resume, every --set must name a key `can_change` accepts (a new
 * stage); else a usage error listing `keys`. CLI_EXIT_OK or the exit code. */
int cli_train_stage_keys(const char *command, const cli_train_options *t, int (*can_change)(const char *),
                         const char *keys);

/* The checks once every option is read: --resume takes its own folder as
 * --out, a new run needs --out, and at least one limit is given. Returns
 * CLI_EXIT_OK or prints and returns the exit code. */
int cli_train_options_check(const char *command, cli_train_options *t);

/* One run, one writer: takes the run folder's lock (cm_run_lock) for the
 * rest of the command, and for a new run checks again, holding it, that the
 * folder holds no run. CLI_EXIT_OK, or the message printed and the exit
 * code (another process training the folder: CLI_EXIT_FAILURE, naming it). */
int cli_train_lock(const char *command, const cli_train_options *t, cm_lockfile **lock);

/* The trainer's configuration from the shared options: limits, cadence and
 * the run folder; the caller adds what is model-specific (best-by). */
cm_train_config cli_train_config(const cli_train_options *t, uint64_t seed);

/* Trains until a limit (progress on stderr unless --quiet; a resumed run
 * says where it starts; Ctrl-C saves state first). */
cm_status cli_train_loop(const char *command, const cli_train_options *t, const cm_train_config *tc,
                         const cm_train_job_ops *ops, void *job, cm_train_state *state, const char *loaded);

/* The exit code for the run's status; after a run that ended well, unless
 * --quiet, says how far it got and where its checkpoints and evaluations are. */
int cli_train_finish(const char *command, cm_status st, const cli_train_options *t, const cm_train_state *state);

#endif
