/* `cogmap sweep --set key=v1,v2 ... -- train MODEL ... --out DIR`: a grid of
 * settings trained over the job's ranks, one run folder each, one table
 * (cm_sweep_run, docs/cli.md). */
#include "cli/cli.h"
#include "cogmap/dist.h"
#include "cogmap/run.h"

#include <stdlib.h>
#include <string.h>

static const char sweep_usage[] =
    "usage: cogmap sweep --set key=v1,v2[,...] [--set key2=...]... [--quiet] -- train MODEL [options] --out DIR\n"
    "Trains every combination of the listed values (the first --set varies slowest), each into\n"
    "its own run folder DIR/NNN-key=value-..., and writes DIR/sweep.csv: the settings, the status\n"
    "and the last evaluation of every point. Under `mpirun -np N` the points are spread over the\n"
    "ranks (point i on rank i mod N, which trains it alone). After `--` comes the `cogmap train`\n"
    "command line of one run; its own --set options apply to every point, before the point's.\n"
    "  --set key=v1,v2,...  a --set key of the model (docs/cli.md) and its values (up to 8 keys,\n"
    "                       64 values each); seed=1,2,3 sweeps --seed\n"
    "  --quiet              no line per finished point\n"
    "exit: 0 every point trained, 1 a point failed (sweep.csv says which), 2 usage, 130 interrupted\n";

int cmd_train(int argc, char **argv);

typedef struct sweep_cli {
    int argc;          /* the train command line, less --out DIR */
    char **argv;
    int quiet;
} sweep_cli;

/* One point: `cogmap train ... [--set k=v | --seed v]... --out OUT --quiet`. */
static cm_status run_point(void *ctx, const char *out, const char *const *sets, int n_sets)
{
    const sweep_cli *c = ctx;
    const int n = c->argc + 2 * n_sets + 3;
    char **argv = calloc((size_t)n + 1, sizeof *argv);
    if (!argv)
        return cm_error(CM_ERR_NOMEM, "sweep: out of memory");
    int k = 0;
    for (int i = 0; i < c->argc; i++)
        argv[k++] = c->argv[i];
    for (int i = 0; i < n_sets; i++) {
        if (strncmp(sets[i], "seed=", 5) == 0) {
            argv[k++] = "--seed";
            argv[k++] = (char *)sets[i] + 5;
        } else {
            argv[k++] = "--set";
            argv[k++] = (char *)sets[i];
        }
    }
    argv[k++] = "--out";
    argv[k++] = (char *)out;
    argv[k++] = "--quiet";
    cm_error_clear();
    const int rc = cmd_train(k, argv);
    free(argv);
    cm_status st = CM_OK;
    char msg[1024];
    snprintf(msg, sizeof msg, "%s", cm_errmsg()[0] ? cm_errmsg() : "the training failed (see its message)");
    if (rc == CLI_EXIT_INTERRUPTED)
        st = cm_error(CM_ERR_INTERRUPTED, "interrupted");
    else if (rc != CLI_EXIT_OK)
        st = cm_error(rc == CLI_EXIT_USAGE ? CM_ERR_ARG : CM_ERR_IO, "%s", msg);
    if (!c->quiet)
        fprintf(stderr, "sweep: %s: %s\n", out, st == CM_OK ? "done" : "failed");
    return st;
}

int cmd_sweep(int argc, char **argv)
{
    cm_sweep s;
    memset(&s, 0, sizeof s);
    sweep_cli c = {0, NULL, 0};
    const char *set_items[CM_SWEEP_MAX_AXES];
    cli_list sets = {set_items, 0, CM_SWEEP_MAX_AXES};
    const cli_opt opts[] = {{"--set", CLI_LIST, &sets, 0, 0, "--set: at most %d keys"}, {"--quiet", CLI_FLAG, &c.quiet}, {0}};
    int i = 1;
    for (; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(sweep_usage, stdout);
            return CLI_EXIT_OK;
        }
        const int r = cli_table_option("sweep", opts, argc, argv, &i);
        if (r == CLI_OPTION_OWN)
            return cli_usage_error("sweep", "unknown option '%s' (the train command goes after --)", argv[i]);
        if (r != CLI_OPTION_TAKEN)
            return r;
    }
    for (int k = 0; k < sets.n; k++)
        if (cm_sweep_add(&s, sets.items[k]) != CM_OK)
            return cli_usage_error("sweep", "--set %s: %s", sets.items[k], cm_errmsg());
    if (i == argc || i + 1 == argc || strcmp(argv[i + 1], "train") != 0)
        return cli_usage_error("sweep", "expected `-- train MODEL ... --out DIR` after the sweep's options");
    if (s.n_axes == 0)
        return cli_usage_error("sweep", "give at least one --set key=v1,v2,...");
    /* The train command line, its --out taken out (the sweep's folder). */
    const char *dir = NULL;
    c.argv = calloc((size_t)(argc - i), sizeof *c.argv);
    if (!c.argv)
        return cli_fail("sweep", cm_error(CM_ERR_NOMEM, "sweep: out of memory"));
    for (int j = i + 1; j < argc; j++) {
        if (strcmp(argv[j], "--out") == 0 && j + 1 < argc) {
            dir = argv[++j];
        } else if (strncmp(argv[j], "--out=", 6) == 0) {
            dir = argv[j] + 6;
        } else if (cli_option_is(argv[j], "--resume")) {
            free(c.argv);
            return cli_usage_error("sweep", "--resume: a sweep starts new runs");
        } else {
            c.argv[c.argc++] = argv[j];
        }
    }
    if (!dir) {
        free(c.argv);
        return cli_usage_error("sweep", "the train command needs --out DIR (the sweep's folder)");
    }
    cm_interrupt_install();
    int64_t failed = 0;
    cm_status st = cm_sweep_run(&s, dir, run_point, &c, &failed);
    free(c.argv);
    if (st != CM_OK)
        return cli_fail("sweep", st);
    const int64_t n = cm_sweep_count(&s);
    if (!c.quiet)
        printf("sweep: %lld points over %d rank%s, %lld failed; table %s/sweep.csv\n", (long long)n, cm_dist_size(),
               cm_dist_size() == 1 ? "" : "s", (long long)failed, dir);
    return failed ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}
