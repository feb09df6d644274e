/* `cogmap gridness MAPS.npy`: DeepMind's gridness of every rate map in a [N, n, n] array, as
 * CSV on stdout, optionally a figure of the best units. */
#include "cli/cli.h"

#include "cogmap/analysis.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char gridness_usage[] =
    "usage: cogmap gridness MAPS.npy [--masks deepmind|ssmpc] [--minmax] [--bnt] [--threads N]\n"
    "                       [--figure FILE.png] [--top K] [--shuffles N [--seed S]]\n"
    "Scores rate maps of shape [N, n, n] (float32 or float64, NaN = unvisited bin) with DeepMind's\n"
    "gridness scorer (deepmind/grid-cells scores.py, as run with scipy 1.10) and prints CSV:\n"
    "  unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation[,bnt][,shuffle95,shuffle99]\n"
    "  --masks deepmind   rings (0.2, 0.4..1.0 in 10 steps) x n bins (default)\n"
    "  --masks ssmpc      SSM-PC's rings (0.1, 0.2..0.85 in 15 steps)\n"
    "  --minmax           Sargolini's min(c60,c120) - max(c30,c90,c150) instead of the means\n"
    "  --bnt              add the BNT/opexebo grid score as a last column\n"
    "  --figure FILE      rate maps and autocorrelograms of the best units (PNG; .svg/.pdf too)\n"
    "  --top K            units in the figure (default 16)\n"
    "  --shuffles N       shuffle test: each map's score60 against the 95th/99th percentiles of N\n"
    "                     permutations of its visited bins (seeded by --seed); the share above its\n"
    "                     own 95th goes to stderr. With a trajectory, `cogmap eval --shuffles`\n"
    "                     shifts activity in time instead (the field's standard; docs/analysis.md)\n"
    "  --quiet            no timing line on stderr\n"
    "spacing is in bins, orientation in degrees (docs/analysis.md).\n";

/* CPU time of the whole process (all threads), for the timing line. */
static double cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void print_num(double v)
{
    if (isnan(v))
        fputs("nan", stdout);
    else
        printf("%.6f", v);
}

int cmd_gridness(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *input = NULL, *masks = "deepmind", *figure = NULL;
    int minmax = 0, bnt = 0;
    long long top = 16, shuffles = 0;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *value;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(gridness_usage, stdout);
            return CLI_EXIT_OK;
        }
        if (strcmp(arg, "--minmax") == 0) {
            minmax = 1;
        } else if (strcmp(arg, "--bnt") == 0) {
            bnt = 1;
        } else if (cli_option_is(arg, "--masks")) {
            if (cli_option_value(argc, argv, &i, &value))
                return CLI_EXIT_USAGE;
            if (strcmp(value, "deepmind") != 0 && strcmp(value, "ssmpc") != 0)
                return cli_usage_error("gridness", "--masks: expected deepmind or ssmpc, got '%s'", value);
            masks = value;
        } else if (cli_option_is(arg, "--figure")) {
            if (cli_option_value(argc, argv, &i, &figure))
                return CLI_EXIT_USAGE;
            if (!figure[0])
                return cli_usage_error("gridness", "--figure: expected a file name");
        } else if (cli_option_is(arg, "--shuffles")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--shuffles", value, 1, 100000, &shuffles))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--top")) {
            if (cli_option_value(argc, argv, &i, &value) || cli_parse_int("--top", value, 1, 512, &top))
                return CLI_EXIT_USAGE;
        } else {
            int r = cli_common_option(&common, argc, argv, &i);
            if (r < 0)
                return CLI_EXIT_USAGE;
            if (r == 0) {
                if (arg[0] == '-' && arg[1])
                    return cli_usage_error("gridness", "unknown option '%s'", arg);
                if (input)
                    return cli_usage_error("gridness", "expected one input file, got '%s' and '%s'", input, arg);
                input = arg;
            }
        }
    }
    if (!input)
        return cli_usage_error("gridness", "expected a file of rate maps (MAPS.npy)");
    cm_set_threads(common.threads);

    cm_array a;
    cm_status st = cm_npy_read(input, &a);
    if (st != CM_OK)
        return cli_fail("gridness", st);
    if (a.dtype != CM_F32 && a.dtype != CM_F64) {
        cm_array_free(&a);
        return cli_fail("gridness", cm_error(CM_ERR_FORMAT, "%s: expected dtype float32 or float64, got %s", input,
                                             cm_dtype_name(a.dtype)));
    }
    if (a.ndim != 3 || a.shape[1] != a.shape[2] || a.shape[1] < 1 || a.shape[1] > 2048) {
        char got[128] = "";
        for (int d = 0; d < a.ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "", (long long)a.shape[d]);
        cm_array_free(&a);
        return cli_fail("gridness", cm_error(CM_ERR_FORMAT,
                                             "%s: expected shape [N, n, n] (square rate maps, n <= 2048), got [%s]",
                                             input, got));
    }
    const int64_t count = a.shape[0];
    const int n = (int)a.shape[1], sn = 2 * n - 1;
    const int is_f32 = a.dtype == CM_F32;

    cm_gridness_config cfg;
    if (strcmp(masks, "ssmpc") == 0)
        cm_gridness_config_ssmpc(&cfg, n);
    else
        cm_gridness_config_deepmind(&cfg, n);
    cfg.min_max = minmax;
    cm_gridness_scorer *scorer = NULL;
    cm_gridness_result *res = NULL;
    double *sacs = NULL, *bnt_scores = NULL, *map64 = NULL, *maps64 = NULL, *p95 = NULL, *p99 = NULL;
    int code = CLI_EXIT_OK;
    st = cm_gridness_scorer_create(&cfg, &scorer);
    if (st == CM_OK) {
        res = cm_calloc((size_t)(count ? count : 1), sizeof *res);
        if (figure && count > 0)
            sacs = cm_alloc(sizeof(double) * (size_t)sn * sn * (size_t)count);
        if (!res || (figure && count > 0 && !sacs))
            st = cm_error(CM_ERR_NOMEM, "%s: cannot hold the results of %lld maps", input, (long long)count);
    }
    const double t0 = cm_now(), c0 = cpu_seconds();
    if (st == CM_OK)
        st = cm_gridness_score_batch(scorer, a.data, is_f32, count, res, sacs);
    const double seconds = cm_now() - t0, cpu = cpu_seconds() - c0;
    if (st == CM_OK && !common.quiet)
        fprintf(stderr, "gridness: %lld maps of %d x %d scored in %.4f s (%.4f s of CPU, %d threads)\n",
                (long long)count, n, n, seconds, cpu, cm_threads());
    if (st != CM_OK) /* a bad value in the file is a bad file (exit 1), not a usage error */
        st = cm_error_context(st == CM_ERR_ARG ? CM_ERR_FORMAT : st, "%s: ", input);
    if (st == CM_OK && bnt) {
        bnt_scores = cm_alloc(sizeof(double) * (size_t)(count ? count : 1));
        map64 = cm_alloc(sizeof(double) * (size_t)n * n);
        if (!bnt_scores || !map64)
            st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate for the BNT scores", input);
        for (int64_t u = 0; st == CM_OK && u < count; u++) {
            for (int64_t k = 0; k < (int64_t)n * n; k++)
                map64[k] = is_f32 ? ((const float *)a.data)[u * n * n + k] : ((const double *)a.data)[u * n * n + k];
            cm_bnt_gridness g;
            st = cm_gridness_bnt(map64, n, n, &g);
            if (st != CM_OK)
                st = cm_error_context(st == CM_ERR_ARG ? CM_ERR_FORMAT : st, "%s: map %lld: ", input, (long long)u);
            bnt_scores[u] = g.score;
        }
    }
    if (st == CM_OK && shuffles > 0 && count > 0) {
        const size_t total = (size_t)count * n * n;
        maps64 = is_f32 ? cm_alloc(sizeof(double) * total) : NULL;
        p95 = cm_alloc(sizeof(double) * (size_t)count);
        p99 = cm_alloc(sizeof(double) * (size_t)count);
        if ((is_f32 && !maps64) || !p95 || !p99)
            st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate for the shuffle test", input);
        for (size_t k = 0; st == CM_OK && is_f32 && k < total; k++)
            maps64[k] = ((const float *)a.data)[k];
        if (st == CM_OK)
            st = cm_gridness_shuffle_bins(scorer, is_f32 ? maps64 : a.data, (int)count, (int)shuffles, common.seed, 0,
                                          p95, p99, NULL);
        if (st == CM_OK && !common.quiet)
            fprintf(stderr, "gridness: %.1f%% of %lld maps above their own 95th percentile, %.1f%% above the 99th "
                            "(%lld bin permutations each)\n",
                    100 * cm_gridness_shuffle_fraction(res, p95, (int)count), (long long)count,
                    100 * cm_gridness_shuffle_fraction(res, p99, (int)count), shuffles);
    }
    if (st == CM_OK) {
        printf("unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation%s%s\n", bnt ? ",bnt" : "",
               p95 ? ",shuffle95,shuffle99" : "");
        for (int64_t u = 0; u < count; u++) {
            const cm_gridness_result *r = &res[u];
            printf("%lld,", (long long)u);
            print_num(r->score60);
            putchar(',');
            print_num(r->score90);
            printf(",%.4f,%.4f,", cfg.mask_max[r->mask60], cfg.mask_max[r->mask90]);
            print_num(r->spacing);
            putchar(',');
            print_num(r->orientation);
            if (bnt) {
                putchar(',');
                print_num(bnt_scores[u]);
            }
            if (p95) {
                putchar(',');
                print_num(p95[u]);
                putchar(',');
                print_num(p99[u]);
            }
            putchar('\n');
        }
        if (fflush(stdout) != 0)
            st = cm_error(CM_ERR_IO, "stdout: write failed");
    }
    if (st == CM_OK && figure && count > 0) {
        char title[256];
        snprintf(title, sizeof title, "%s: best %lld of %lld units by score60 (DeepMind scorer, %s masks%s)", input,
                 top < count ? top : (long long)count, (long long)count, masks, minmax ? ", min-max" : "");
        st = cm_plot_gridness(figure, a.data, is_f32, sacs, res, count, &cfg, (int)top, 8, title);
        cm_plot_release_caches(); /* the command draws nothing more */
    }
    if (st != CM_OK)
        code = cli_fail("gridness", st);
    cm_gridness_scorer_free(scorer);
    cm_free(res);
    cm_free(sacs);
    cm_free(bnt_scores);
    cm_free(map64);
    cm_free(maps64);
    cm_free(p95);
    cm_free(p99);
    cm_array_free(&a);
    return code;
}
