/* `cogmap bench link`: the run layer computes (cm_link_bench), the plot
 * module draws, this file prints. */
#include "cli/cli.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "cogmap/socialrun.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char bench_link_usage[] =
    "usage: cogmap bench link --out DIR [--bits 4,8,16,32,64,128] [options]\n"
    "Trains and evaluates, under DIR, the velocity scheme (the social network given the\n"
    "partner's exact velocities; it also starts every link run), no link, and for every budget\n"
    "the learned link and two broadcasts of the partner's position quantised to the budget, its true\n"
    "position (broadcast) and its own estimate (broadcast_estimate); writes DIR/table.csv\n"
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
