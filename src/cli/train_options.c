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

/* Reads option argv[*i]'s value as an integer in [min, max]. */
static int int_value(int argc, char **argv, int *i, const char *name, long long min, long long max, long long *out)
{
    const char *v;
    return cli_option_value(argc, argv, i, &v) || cli_parse_int(name, v, min, max, out) ? -1 : 1;
}

int cli_train_option(const char *command, cli_train_options *t, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *v;
    int r = cli_common_option(&t->common, argc, argv, i);
    if (r != 0)
        return r;
    if (cli_option_is(arg, "--resume"))
        return cli_option_value(argc, argv, i, &t->resume) ? -1 : 1;
    if (cli_option_is(arg, "--steps"))
        return int_value(argc, argv, i, "--steps", 1, INT64_MAX / 2, &t->steps);
    if (cli_option_is(arg, "--minutes")) {
        if (cli_option_value(argc, argv, i, &v) || cli_parse_double("--minutes", v, &t->minutes))
            return -1;
        if (!(t->minutes > 0)) {
            cli_usage_error(command, "--minutes: expected a positive number, got '%s'", v);
            return -1;
        }
        return 1;
    }
    if (cli_option_is(arg, "--eval-every"))
        return int_value(argc, argv, i, "--eval-every", 0, INT64_MAX / 2, &t->eval_every);
    if (cli_option_is(arg, "--checkpoint-every"))
        return int_value(argc, argv, i, "--checkpoint-every", 0, INT64_MAX / 2, &t->checkpoint_every);
    if (cli_option_is(arg, "--keep"))
        return int_value(argc, argv, i, "--keep", 1, 1000000, &t->keep);
    if (cli_option_is(arg, "--set")) {
        if (cli_option_value(argc, argv, i, &v))
            return -1;
        if (t->n_sets >= t->max_sets) {
            cli_usage_error(command, "--set: at most %d overrides", t->max_sets);
            return -1;
        }
        t->sets[t->n_sets++] = v;
        return 1;
    }
    return 0;
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
