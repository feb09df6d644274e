/* `cogmap eval DIR` for social and link runs, and `cogmap bench link`: the
 * run layer computes (cm_social_report_run, cm_link_bench), the plot module
 * draws, this file prints. */
#include "cli/cli.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "cogmap/socialrun.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char social_eval_usage[] =
    "usage: cogmap eval DIR [options]      (DIR: a run of `cogmap train social` or `train link`)\n"
    "Evaluates the run's checkpoint on fresh paths (decoding errors; for a link run partner_error,\n"
    "bits_per_step, self_error) and, for a social run, runs SSM-PC's probe (four conditions,\n"
    "seed 42) and classifies every bottleneck unit. Writes DIR/summary.json (\"classes\"),\n"
    "DIR/spc_units.csv and DIR/figures/spc_<class>.png, spc_growth.png.\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: best, else the newest)\n"
    "  --reps N           probe repetitions per condition (default 100, SSM-PC's)\n"
    "  --per-class N      units mapped per class in the figures (0..16, default 4)\n"
    "  --batches N        batches of fresh paths for the errors (default 8)\n"
    "  --no-figures       only summary.json and spc_units.csv\n"
    "  --threads N --quiet\n";

static int figures(const char *dir, const cm_social_report *r)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "figures");
    if (st == CM_OK)
        st = cm_mkdir_p(path);
    for (int k = 0; st == CM_OK && k < CM_SPC_N_CLASSES; k++) {
        if (r->spc.counts[k] == 0 || r->spc.per_class == 0)
            continue;
        snprintf(path, sizeof path, "%s/figures/spc_%s.png", dir, cm_spc_class_name((cm_spc_class)k));
        st = cm_spc_fig_class(path, &r->spc, (cm_spc_class)k);
    }
    if (st == CM_OK && r->history.n_rows > 0) {
        snprintf(path, sizeof path, "%s/figures/spc_growth.png", dir);
        st = cm_spc_fig_growth(path, &r->history);
    }
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("eval", st);
}

int cli_eval_social(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *dir = NULL, *checkpoint = NULL, *v;
    long long reps = 100, per_class = 4, batches = 8;
    int draw = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = cli_standard_option(&common, social_eval_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--checkpoint")) {
            if (cli_option_value(argc, argv, &i, &checkpoint))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--reps")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--reps", v, 2, 100000, &reps))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--per-class")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--per-class", v, 0, 16, &per_class))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--batches")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--batches", v, 1, 100000, &batches))
                return CLI_EXIT_USAGE;
        } else if (strcmp(arg, "--no-figures") == 0) {
            draw = 0;
        } else if (arg[0] == '-') {
            return cli_usage_error("eval", "unknown option '%s'", arg);
        } else if (!dir) {
            dir = arg;
        } else {
            return cli_usage_error("eval", "one run folder expected, got '%s' and '%s'", dir, arg);
        }
    }
    if (!dir)
        return cli_usage_error("eval", "expected the run folder");
    if (common.out)
        return cli_usage_error("eval", "eval writes into the run folder; drop --out");
    cm_set_threads(common.threads);
    cm_progress progress;
    progress.out = cli_progress_stream(&common);
    cm_social_report r;
    cm_status st = cm_social_report_run(dir, checkpoint, (int)reps, draw ? (int)per_class : 0, (int)batches,
                                        progress.out ? &progress : NULL, &r);
    if (st != CM_OK)
        return cli_fail("eval", st);
    int rc = draw && !r.is_link ? figures(dir, &r) : CLI_EXIT_OK;
    if (rc == CLI_EXIT_OK && !common.quiet) {
        printf("eval: %s at step %lld\n", r.checkpoint, (long long)r.step);
        if (r.is_link) {
            const cm_link_errors *e = &r.link_errors;
            printf("  partner_error   %.3f grid units\n  bits_per_step   %.3f (messages sent on %.1f%% of steps)\n"
                   "  self_error      %.3f grid units\n",
                   e->partner_error, e->bits_per_step, 100 * e->sent, e->self_error);
            if (isfinite(e->who_accuracy))
                printf("  who_accuracy    %.3f\n", e->who_accuracy);
        } else {
            const cm_social_errors *e = &r.errors;
            printf("  self_error      %.3f grid units\n  partner_error   %.3f grid units\n"
                   "  distance_error  %.3f grid units\n  classes of %d bottleneck units:",
                   e->self_error, e->partner_error, e->distance_error, r.spc.units);
            for (int k = 0; k < CM_SPC_N_CLASSES; k++)
                printf(" %s %d", cm_spc_class_name((cm_spc_class)k), r.spc.counts[k]);
            printf("\n  SPC share       %.1f%% (pure + special SPC)\n",
                   100.0 * (r.spc.counts[CM_SPC_PURE_SPC] + r.spc.counts[CM_SPC_SPECIAL_SPC]) / r.spc.units);
        }
        printf("  outputs         %s/summary.json%s\n", dir, r.is_link ? "" : ", spc_units.csv, figures/");
    }
    cm_social_report_free(&r);
    return rc;
}

/* ------------------------------------------------------------ bench link */

static const char bench_link_usage[] =
    "usage: cogmap bench link --out DIR [--bits 4,8,16,32,64,128] [options]\n"
    "Trains and evaluates, under DIR, the velocity scheme (the social network given the\n"
    "partner's exact velocities; it also starts every link run), no link, and for every budget\n"
    "the learned link and the broadcast baseline; writes DIR/table.csv\n"
    "(scheme,bits,partner_error,bits_per_step,self_error,steps,seconds) and\n"
    "DIR/partner_error_vs_bits.png. Points already trained in DIR are resumed.\n"
    "  --bits LIST            budgets, comma-separated (default 4,8,16,32,64,128)\n"
    "  --steps-velocity N     the social network's steps (default 3000)\n"
    "  --steps-per-point N    each link run's steps (default 300)\n"
    "  --minutes M            total budget: link points are cut to fit (default 60; 0: none)\n"
    "  --eval-batches N       batches of fresh paths per point (default 8)\n"
    "  --set key=value        for every run (repeatable)\n"
    "  --seed N --threads N --quiet\n";

#define BENCH_MAX_BITS 16
#define BENCH_MAX_SETS 32

int bench_link(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    int bits[BENCH_MAX_BITS] = {4, 8, 16, 32, 64, 128};
    const char *sets[BENCH_MAX_SETS];
    cm_link_bench_config c = {.bits = bits, .n_bits = 6, .steps_velocity = 3000, .steps_per_point = 300,
                              .minutes = 60, .eval_batches = 8, .sets = sets};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        long long x;
        int r = cli_standard_option(&common, bench_link_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--bits")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            c.n_bits = 0;
            for (const char *p = v; *p;) {
                char *end;
                long b = strtol(p, &end, 10);
                if (end == p || (*end && *end != ',') || b < 1 || b > CM_LINK_MAX_BITS || c.n_bits == BENCH_MAX_BITS)
                    return cli_usage_error("bench link", "--bits: expected up to %d budgets in 1..%d, got '%s'",
                                           BENCH_MAX_BITS, CM_LINK_MAX_BITS, v);
                bits[c.n_bits++] = (int)b;
                p = *end ? end + 1 : end;
            }
            if (c.n_bits == 0)
                return cli_usage_error("bench link", "--bits: expected budgets, got '%s'", v);
        } else if (cli_option_is(arg, "--steps-velocity")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--steps-velocity", v, 1, 1LL << 40, &x))
                return CLI_EXIT_USAGE;
            c.steps_velocity = x;
        } else if (cli_option_is(arg, "--steps-per-point")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--steps-per-point", v, 1, 1LL << 40, &x))
                return CLI_EXIT_USAGE;
            c.steps_per_point = x;
        } else if (cli_option_is(arg, "--eval-batches")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--eval-batches", v, 1, 100000, &x))
                return CLI_EXIT_USAGE;
            c.eval_batches = (int)x;
        } else if (cli_option_is(arg, "--minutes")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--minutes", v, &c.minutes))
                return CLI_EXIT_USAGE;
            if (!(c.minutes >= 0))
                return cli_usage_error("bench link", "--minutes: expected 0 or more, got '%s'", v);
        } else if (cli_option_is(arg, "--set")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (c.n_sets == BENCH_MAX_SETS)
                return cli_usage_error("bench link", "--set: at most %d", BENCH_MAX_SETS);
            sets[c.n_sets++] = v;
        } else {
            return cli_usage_error("bench link", "unknown option '%s'", arg);
        }
    }
    if (!common.out)
        return cli_usage_error("bench link", "--out DIR is required");
    c.out = common.out;
    c.seed = common.seed;
    cm_set_threads(common.threads);
    cm_interrupt_install();
    cm_progress progress;
    progress.out = cli_progress_stream(&common);
    cm_link_bench_row *rows = NULL;
    int n = 0;
    cm_status st = cm_link_bench(&c, progress.out ? &progress : NULL, &rows, &n);
    char path[4096];
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, c.out, "partner_error_vs_bits.png");
    if (st == CM_OK)
        st = cm_link_fig_bits(path, rows, n);
    if (st != CM_OK) {
        cm_free(rows);
        return cli_fail("bench link", st);
    }
    printf("scheme,bits,partner_error,bits_per_step,self_error,steps,seconds\n");
    for (int i = 0; i < n; i++) {
        const cm_link_bench_row *r = &rows[i];
        if (strcmp(r->scheme, "velocity") == 0)
            printf("%s,inf,", r->scheme);
        else
            printf("%s,%d,", r->scheme, r->bits);
        printf("%.4f,%.3f,%.4f,%lld,%.1f\n", r->partner_error, r->bits_per_step, r->self_error, (long long)r->steps,
               r->seconds);
    }
    if (!common.quiet)
        fprintf(stderr, "bench link: %s/table.csv, %s\n", c.out, path);
    cm_free(rows);
    return CLI_EXIT_OK;
}
