/* Option parsing shared by the trainers (train_options.h), so that `train
 * grid` and `train smp` spell, bound and check their common options alike. */
#include "cli/train.h"

#include <string.h>

void cli_train_options_defaults(cli_train_options *t, int max_sets)
{
    memset(t, 0, sizeof *t);
    cli_common_defaults(&t->common);
    t->eval_every = 100;
    t->keep = 3;
    t->max_sets = max_sets < CLI_TRAIN_MAX_SETS ? max_sets : CLI_TRAIN_MAX_SETS;
}

int cli_train_option(const char *command, cli_train_options *t, int argc, char **argv, int *i)
{
    int r = cli_common_option(&t->common, argc, argv, i);
    if (r != 0)
        return r;
    cli_list sets = {t->sets, t->n_sets, t->max_sets};
    const cli_opt opts[] = {
        {"--resume", CLI_STRING, &t->resume},
        {"--steps", CLI_INT, &t->steps, 1, INT64_MAX / 2},
        {"--minutes", CLI_POSITIVE, &t->minutes, 0, 0, "--minutes: expected a positive number, got '%s'"},
        {"--eval-every", CLI_INT, &t->eval_every, 0, INT64_MAX / 2},
        {"--checkpoint-every", CLI_INT, &t->checkpoint_every, 0, INT64_MAX / 2},
        {"--keep", CLI_INT, &t->keep, 1, 1000000},
        {"--set", CLI_LIST, &sets, 0, 0, "--set: at most %d overrides"},
        {0}};
    r = cli_table_option(command, opts, argc, argv, i);
    t->n_sets = sets.n;
    return r == CLI_OPTION_TAKEN ? 1 : r == CLI_OPTION_OWN ? 0 : -1;
}

int cli_train_options_check(const char *command, cli_train_options *t)
{
    if (t->resume) {
        int rc = cli_resume_folder(command, t->resume, &t->common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
    } else if (!t->common.out) {
        return cli_usage_error(command, "--out is required");
    }
    /* Both limits together are allowed: the trainer stops at the first reached. */
    if (!t->steps && !(t->minutes > 0))
        return cli_usage_error(command, "give a limit: --steps N or --minutes M");
    return CLI_EXIT_OK;
}

int cli_train_parse(const char *command, cli_train_options *t, const cli_opt *opts, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        int r = cli_train_option(command, t, argc, argv, &i);
        if (r != 0) {
            if (r < 0)
                return CLI_EXIT_USAGE;
            continue;
        }
        r = opts ? cli_table_option(command, opts, argc, argv, &i) : CLI_OPTION_OWN;
        if (r == CLI_OPTION_OWN)
            return cli_usage_error(command, "unknown option '%s'", argv[i]);
        if (r != CLI_OPTION_TAKEN)
            return r;
    }
    return CLI_EXIT_OK;
}

int cli_train_stage_keys(const char *command, const cli_train_options *t, int (*can_change)(const char *),
                         const char *keys)
{
    for (int k = 0; t->resume && k < t->n_sets; k++)
        if (!can_change(t->sets[k]))
            return cli_usage_error(command, "--set %s: a resumed run can change only %s", t->sets[k], keys);
    return CLI_EXIT_OK;
}
