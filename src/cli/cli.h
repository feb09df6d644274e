/* The `cogmap` command: one table of subcommands, shared option handling,
 * and the mapping from library statuses to exit codes (docs/cli.md). */
#ifndef COGMAP_CLI_H
#define COGMAP_CLI_H

#include "cogmap/base.h"

/* Exit codes, documented in docs/cli.md. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILURE = 1,     /* the job failed: bad file, i/o, diverged training */
    CLI_EXIT_USAGE = 2,       /* unknown command or option, bad option value */
    CLI_EXIT_INTERRUPTED = 130 /* Ctrl-C; state was saved first */
};

typedef struct cli_command {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name */
} cli_command;

extern const cli_command cli_commands[]; /* ends with a {NULL} entry */

/* Options spelled the same in every command. */
typedef struct cli_common {
    uint64_t seed;   /* --seed N (default 1) */
    int threads;     /* --threads N (default: all cores) */
    const char *out; /* --out DIR */
    int quiet;       /* --quiet: no progress output */
} cli_common;

void cli_common_defaults(cli_common *c);

/* Tries to consume argv[*i] (and its value) as a common option. Returns 1 if
 * consumed, 0 if not a common option, -1 on a bad value (message printed). */
int cli_common_option(cli_common *c, int argc, char **argv, int *i);

/* What every command's option loop does first with argv[*i]: --help or -h
 * prints `usage` to stdout, a common option is consumed. Returns
 * CLI_OPTION_TAKEN (go on with the next argument), CLI_OPTION_OWN (the
 * command's own option or argument) or the exit code to return now (0 after
 * --help, CLI_EXIT_USAGE after a bad common option's message). */
enum { CLI_OPTION_TAKEN = -1, CLI_OPTION_OWN = -2 };
int cli_standard_option(cli_common *c, const char *usage, int argc, char **argv, int *i);

/* Whether argv element `arg` names option `name`: "--steps" and "--steps=3" both
 * name "--steps", "--stepsize" does not. */
int cli_option_is(const char *arg, const char *name);

/* Reads the value of option argv[*i] into *value and advances *i; prints a
 * message and returns -1 when it is missing. */
int cli_option_value(int argc, char **argv, int *i, const char **value);
int cli_parse_int(const char *option, const char *text, long long min, long long max, long long *out);
int cli_parse_double(const char *option, const char *text, double *out);

/* Prints "cogmap <command>: <message>" from cm_errmsg() and returns the exit
 * code for `status`. */
int cli_fail(const char *command, cm_status status);
/* Prints a usage error and returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where error messages go: stderr on rank 0 (and in a plain start); ranks
 * other than 0 of an MPI job hold theirs in memory until main.c knows
 * whether rank 0 failed the same way (cli_err_release(1) prints them, 0
 * drops them). */
FILE *cli_err(void);
void cli_err_release(int show);

/* Progress output for long commands: stderr unless --quiet. */
FILE *cli_progress_stream(const cli_common *c);

/* `cogmap eval` of a grid-cell run (cmd_eval.c), which `cogmap demo` ends
 * with: evaluates, draws, prints the summary unless --quiet. */
struct cm_grid_eval_opts;
int cli_grid_eval(const char *command, const char *dir, const struct cm_grid_eval_opts *o, const cli_common *common);

/* `cogmap train` of a request (cmd_train.c), which `cogmap demo` runs too:
 * sets the threads, trains through cm_train_model with progress unless
 * --quiet, says where a resumed run starts and where the run ended, and
 * returns the exit code. */

/* A command's options as a table, read by cli_parse: one row per option.
 * CLI_INT: an integer in [min, max] into a long long; CLI_DOUBLE: a finite
 * number into a double; CLI_POSITIVE: the same, refused with `refusal` (its
 * "%s": the value as given) unless > 0; CLI_STRING: a const char * (refused
 * with `refusal` when empty, if one is given); CLI_CHOICE: a string among
 * `choices` ("a|b|c"), else `refusal`; CLI_FLAG: no value, sets an int to 1;
 * CLI_LIST: a repeatable value appended to a cli_list, `refusal` ("%d": max)
 * beyond its max; CLI_ARG (name NULL): the one positional argument, a second
 * refused with `refusal` ("%s" twice: the first and the second). */
/* Rows name only the fields their kind reads; the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
enum cli_kind { CLI_END, CLI_INT, CLI_DOUBLE, CLI_POSITIVE, CLI_STRING, CLI_CHOICE, CLI_FLAG, CLI_LIST, CLI_ARG };
typedef struct cli_list {
    const char **items;
    int n, max;
} cli_list;
typedef struct cli_opt {
    const char *name;
    enum cli_kind kind;
    void *dest;
    long long min, max;
    const char *refusal;
    const char *choices;
} cli_opt;

/* Reads argv[1..] by `opts` (ended by a row of kind CLI_END) after --help
 * (prints `usage`) and the common options; anything else is an unknown
 * option. Returns CLI_PARSED, or the exit code to return now (0 after
 * --help, CLI_EXIT_USAGE after the message of a refused value). */
enum { CLI_PARSED = -3 };
/* One argument, argv[*i], by the table alone: CLI_OPTION_TAKEN, CLI_OPTION_OWN
 * (no row names it) or the exit code after a refused value's message. */
int cli_table_option(const char *command, const cli_opt *opts, int argc, char **argv, int *i);
int cli_parse(const char *command, const char *usage, cli_common *c, const cli_opt *opts, int argc, char **argv);

/* `cogmap train` (cmd_train.c): cli_train_parse reads a model's options
 * (the shared ones, then --preset, --data, --best, --bits where the model
 * takes them) into a request, whose strings point into argv and `a`;
 * returns CLI_PARSED or the exit code to return now. cli_train runs a
 * request, which `cogmap demo` makes too: sets the threads, trains through
 * cm_train_model with progress unless --quiet, says where a resumed run
 * starts and where the run ended, and returns the exit code. */
#include "cogmap/trainmodel.h"
typedef struct cli_train_args {
    char command[64]; /* "train MODEL" */
    cli_common common;
    cm_train_request r;
    const char *sets[65], *data[64];
    char bits_kv[32];
} cli_train_args;
int cli_train_parse(const cm_train_model_info *m, cli_train_args *a, int argc, char **argv);
int cli_train(const char *command, cm_train_request *r, const cli_common *common);

#endif
