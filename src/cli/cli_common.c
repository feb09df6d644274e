/* Option parsing and error reporting shared by all subcommands. */
#define _GNU_SOURCE
#include "cli/cli.h"
#include "cogmap/dist.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Ranks other than 0 of a job hold their error messages until the job's
 * end says whether rank 0 reported the same failure (main.c): a mistake
 * every rank makes alike is then said once. A rank working alone (solo, a
 * sweep's point) speaks at once. */
static FILE *held;
static char *held_text;
static size_t held_len;

FILE *cli_err(void)
{
    /* Rank 0, and a rank working alone (a sweep's point), speak at once. */
    if (cm_dist_rank() == 0)
        return stderr;
    if (!held)
        held = open_memstream(&held_text, &held_len);
    return held ? held : stderr;
}

void cli_err_release(int show)
{
    if (!held)
        return;
    fclose(held);
    held = NULL;
    if (show && held_len)
        fprintf(stderr, "%s", held_text);
    free(held_text);
    held_text = NULL;
    held_len = 0;
}

void cli_common_defaults(cli_common *c)
{
    c->seed = 1;
    c->threads = 0;
    c->out = NULL;
    c->quiet = 0;
}

int cli_option_value(int argc, char **argv, int *i, const char **value)
{
    const char *opt = argv[*i];
    const char *eq = strchr(opt, '=');
    if (eq && strncmp(opt, "--", 2) == 0) {
        *value = eq + 1;
        return 0;
    }
    if (*i + 1 >= argc) {
        fprintf(cli_err(), "cogmap: option %s needs a value\n", opt);
        return -1;
    }
    *value = argv[++*i];
    return 0;
}

/* "--seed=3" and "--seed 3" both name --seed. */
int cli_option_is(const char *arg, const char *name)
{
    size_t n = strlen(name);
    return strncmp(arg, name, n) == 0 && (arg[n] == '\0' || arg[n] == '=');
}

int cli_parse_int(const char *option, const char *text, long long min, long long max, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min || v > max) {
        fprintf(cli_err(), "cogmap: %s: expected an integer in [%lld, %lld], got '%s'\n", option, min, max, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_double(const char *option, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end != '\0' || !isfinite(v)) {
        fprintf(cli_err(), "cogmap: %s: expected a finite number, got '%s'\n", option, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_common_option(cli_common *c, int argc, char **argv, int *i)
{
    const char *arg = argv[*i], *value;
    if (strcmp(arg, "--quiet") == 0 || strcmp(arg, "-q") == 0)
        return c->quiet = 1;
    const int seed = cli_option_is(arg, "--seed"), threads = cli_option_is(arg, "--threads");
    if (!seed && !threads && !cli_option_is(arg, "--out"))
        return 0;
    if (cli_option_value(argc, argv, i, &value))
        return -1;
    long long v;
    if (seed || threads) {
        if (cli_parse_int(seed ? "--seed" : "--threads", value, 0, seed ? INT64_MAX : 1024, &v))
            return -1;
        if (seed)
            c->seed = (uint64_t)v;
        else
            c->threads = (int)v;
        return 1;
    }
    if (!value[0]) {
        fprintf(cli_err(), "cogmap: --out: expected a folder name\n");
        return -1;
    }
    c->out = value;
    return 1;
}

int cli_standard_option(cli_common *c, const char *usage, int argc, char **argv, int *i)
{
    if (strcmp(argv[*i], "--help") == 0 || strcmp(argv[*i], "-h") == 0) {
        fputs(usage, stdout);
        return CLI_EXIT_OK;
    }
    int r = cli_common_option(c, argc, argv, i);
    return r < 0 ? CLI_EXIT_USAGE : r > 0 ? CLI_OPTION_TAKEN : CLI_OPTION_OWN;
}

int cli_fail(const char *command, cm_status status)
{
    /* In a job of several ranks, rank 0 reports what all agreed on (with the
     * failing rank's message); a rank that failed alone says so itself. */
    const char *msg = cm_errmsg()[0] ? cm_errmsg() : cm_status_name(status);
    if (cm_dist_world_rank() == 0)
        fprintf(stderr, "cogmap %s: %s\n", command, msg);
    else if (cm_dist_size() == 1 || !cm_dist_failure_agreed())
        fprintf(cli_err(), "cogmap %s: rank %d: %s\n", command, cm_dist_world_rank(), msg);
    switch (status) {
    case CM_OK: return CLI_EXIT_OK;
    case CM_ERR_ARG: return CLI_EXIT_USAGE;
    case CM_ERR_INTERRUPTED: return CLI_EXIT_INTERRUPTED;
    default: return CLI_EXIT_FAILURE;
    }
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    va_list ap;
    FILE *err = cli_err();
    fprintf(err, "cogmap %s: ", command);
    if (cm_dist_world_rank() != 0)
        fprintf(err, "rank %d: ", cm_dist_world_rank());
    va_start(ap, fmt);
    vfprintf(err, fmt, ap);
    va_end(ap);
    fprintf(err, "\n(see 'cogmap %s --help')\n", command);
    return CLI_EXIT_USAGE;
}

/* Rank 0 alone shows progress for a job of several ranks. */
FILE *cli_progress_stream(const cli_common *c) { return c->quiet || cm_dist_world_rank() != 0 ? NULL : stderr; }

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
/* Reads the value of table row `o` from argv[*i]. */
static int take_value(const char *command, const cli_opt *o, int argc, char **argv, int *i)
{
    const char *v;
    if (o->kind == CLI_FLAG) {
        *(int *)o->dest = 1;
        return CLI_OPTION_TAKEN;
    }
    if (cli_option_value(argc, argv, i, &v))
        return CLI_EXIT_USAGE;
    switch (o->kind) {
    case CLI_INT:
        return cli_parse_int(o->name, v, o->min, o->max, o->dest) ? CLI_EXIT_USAGE : CLI_OPTION_TAKEN;
    case CLI_DOUBLE:
    case CLI_POSITIVE: { /* a refused value leaves the destination as it was */
        double x;
        if (cli_parse_double(o->name, v, &x))
            return CLI_EXIT_USAGE;
        if (o->kind == CLI_POSITIVE && !(x > 0))
            return cli_usage_error(command, o->refusal, v);
        *(double *)o->dest = x;
        return CLI_OPTION_TAKEN;
    }
    case CLI_LIST: {
        cli_list *l = o->dest;
        if (l->n >= l->max)
            return cli_usage_error(command, o->refusal, l->max);
        l->items[l->n++] = v;
        return CLI_OPTION_TAKEN;
    }
    default:
        if ((o->kind == CLI_CHOICE && !cm_is_choice(v, o->choices)) || (o->refusal && !v[0]))
            return cli_usage_error(command, o->refusal, v);
        *(const char **)o->dest = v;
        return CLI_OPTION_TAKEN;
    }
}

int cli_table_option(const char *command, const cli_opt *opts, int argc, char **argv, int *i)
{
    const char *arg = argv[*i];
    for (const cli_opt *o = opts; o->kind != CLI_END; o++)
        if (o->name && (o->kind == CLI_FLAG ? strcmp(arg, o->name) == 0 : cli_option_is(arg, o->name)))
            return take_value(command, o, argc, argv, i);
    return CLI_OPTION_OWN;
}

int cli_parse(const char *command, const char *usage, cli_common *c, const cli_opt *opts, int argc, char **argv)
{
    const cli_opt *positional = NULL;
    for (const cli_opt *o = opts; o->kind != CLI_END; o++)
        if (o->kind == CLI_ARG)
            positional = o;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = cli_standard_option(c, usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if ((r = cli_table_option(command, opts, argc, argv, &i)) != CLI_OPTION_OWN) {
            if (r != CLI_OPTION_TAKEN)
                return r;
        } else if (!positional || (arg[0] == '-' && arg[1]))
            return cli_usage_error(command, "unknown option '%s'", arg);
        else if (*(const char **)positional->dest)
            return cli_usage_error(command, positional->refusal, *(const char **)positional->dest, arg);
        else
            *(const char **)positional->dest = arg;
    }
    return CLI_PARSED;
}
