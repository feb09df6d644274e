/* Fuzz target of the CLI's option parsing: the trainers' options
 * (cli_train_parse of `train grid`, then cm_train_request_check), the number parsers
 * (cli_parse_int, cli_parse_double) and --set overrides of both run kinds
 * (cm_grid_run_config_set, cm_smp_run_config_set). The input is argv: its
 * arguments separated by NUL bytes. A configuration that takes every --set
 * must then pass its check or be refused by it, and write and read back the same. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "targets.h"

#include "cli/cli.h"
#include "cogmap/run.h"
#include "cogmap/smp.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>


#define MAX_ARGS 64

typedef struct cli_input {
    int argc;
    char *argv[MAX_ARGS + 1];
} cli_input;

/* Every argument as a number with bounds taken from the argument before it:
 * what the parsers accept lies within them and is finite. */
static void numbers(const cli_input *in)
{
    static const long long bounds[][2] = {{0, 0}, {1, 1000000}, {INT64_MIN, INT64_MAX}, {-5, 5}, {0, INT64_MAX}};
    for (int i = 1; i < in->argc; i++) {
        const long long *b = bounds[(unsigned char)in->argv[i - 1][0] % 5];
        long long v = 0;
        if (cli_parse_int("--n", in->argv[i], b[0], b[1], &v) == 0)
            cmf_check(v >= b[0] && v <= b[1], "cli_parse_int gave %lld outside [%lld, %lld]", v, b[0], b[1]);
        double d = 0;
        if (cli_parse_double("--x", in->argv[i], &d) == 0)
            cmf_check(isfinite(d), "cli_parse_double gave %g", d);
    }
}

static void grid_sets(const cm_train_request *t)
{
    cm_grid_run_config c;
    cmf_grid_config(&c);
    for (int i = 0; i < t->n_sets; i++)
        if (cm_grid_run_config_set(&c, t->sets[i]) != CM_OK)
            return;
    if (cm_pathint_config_check(&c.net) != CM_OK)
        return;
    const char *a = cmf_fresh_dir(1), *b = cmf_fresh_dir(2);
    cmf_check(cm_grid_run_config_write(&c, a) == CM_OK, "a configuration --set built does not write");
    cm_grid_run_config back;
    cmf_check(cm_grid_run_config_read(&back, a) == CM_OK, "a configuration --set built does not read back");
    cmf_check(cm_grid_run_config_write(&back, b) == CM_OK, "what reads does not write");
    cmf_check_same_files(a, b, "run.json");
}

static void smp_sets(const cm_train_request *t)
{
    cm_smp_run_config c;
    cm_smp_run_config_init(&c, 5);
    for (int i = 0; i < t->n_sets; i++)
        if (cm_smp_run_config_set(&c, t->sets[i]) != CM_OK)
            return;
    if (cm_smp_config_check(&c.model) != CM_OK)
        return;
    const char *a = cmf_fresh_dir(1), *b = cmf_fresh_dir(2);
    cmf_check(cm_smp_run_config_write(&c, a) == CM_OK, "a configuration --set built does not write");
    cm_smp_run_config back;
    cmf_check(cm_smp_run_config_read(&back, a) == CM_OK, "a configuration --set built does not read back");
    cmf_check(cm_smp_run_config_write(&back, b) == CM_OK, "what reads does not write");
    cmf_check_same_files(a, b, "run.json");
}

static void parse(void *ctx)
{
    cli_input *in = ctx;
    numbers(in);
    cli_train_args a;
    int rc = cli_train_parse(cm_train_model_find("grid"), &a, in->argc, in->argv);
    cmf_check(rc == CLI_PARSED || rc == CLI_EXIT_OK || rc == CLI_EXIT_USAGE, "cli_train_parse returned %d", rc);
    const cm_train_request *t = &a.r;
    cmf_check(t->n_sets >= 0 && t->n_sets <= CM_GRID_MAX_SETS, "%d --set kept", t->n_sets);
    cmf_check(t->n_data >= 0 && t->n_data <= 1, "%d --data kept", t->n_data);
    cmf_check(a.common.threads >= 0 && a.common.threads <= 1024, "--threads %d", a.common.threads);
    cmf_check(t->keep >= 1 && t->steps >= 0 && t->eval_every >= 0 && t->checkpoint_every >= 0 && !(t->minutes < 0),
              "a limit out of range");
    if (rc == CLI_PARSED) {
        cm_status st = cm_train_request_check(t);
        cmf_check(st == CM_OK || st == CM_ERR_ARG, "cm_train_request_check returned %d", st);
    }
    grid_sets(t);
    smp_sets(t);
}

void cmf_run_cli(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    cli_input in = {.argc = 1};
    in.argv[0] = "train";
    for (char *p = copy; p < copy + size && in.argc < MAX_ARGS;) {
        in.argv[in.argc++] = p;
        p += strlen(p) + 1;
    }
    in.argv[in.argc] = NULL;
    cmf_quiet(parse, &in);
    free(copy);
}
