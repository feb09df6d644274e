/* `cogmap gridness MAPS.npy`: DeepMind's gridness of every rate map in a [N, n, n] array, as
 * CSV on stdout, optionally a figure of the best units. */
#include "cli/cli.h"

#include "cogmap/gridness_table.h"
#include "cogmap/plot.h"

#include <string.h>

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

int cmd_gridness(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *input = NULL, *masks = "deepmind", *figure = NULL;
    int minmax = 0, bnt = 0;
    long long top = 16, shuffles = 0;
    const cli_opt opts[] = {{"--minmax", CLI_FLAG, &minmax},
                            {"--bnt", CLI_FLAG, &bnt},
                            {"--masks", CLI_CHOICE, &masks, 0, 0, "--masks: expected deepmind or ssmpc, got '%s'", "deepmind|ssmpc"},
                            {"--figure", CLI_STRING, &figure, 0, 0, "--figure: expected a file name"},
                            {"--shuffles", CLI_INT, &shuffles, 1, 100000},
                            {"--top", CLI_INT, &top, 1, 512},
                            {NULL, CLI_ARG, &input, 0, 0, "expected one input file, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("gridness", gridness_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!input)
        return cli_usage_error("gridness", "expected a file of rate maps (MAPS.npy)");
    cm_set_threads(common.threads);
    cm_array a;
    cm_status st = cm_npy_read(input, &a);
    if (st != CM_OK)
        return cli_fail("gridness", st);
    const cm_gridness_table_opts go = {.ssmpc_masks = strcmp(masks, "ssmpc") == 0, .min_max = minmax, .bnt = bnt,
                                       .shuffles = (int)shuffles, .seed = common.seed, .keep_sacs = figure != NULL};
    cm_gridness_table t;
    st = cm_gridness_table_compute(&a, input, &go, &t);
    const int64_t count = t.count;
    if (st == CM_OK && !common.quiet) {
        fprintf(stderr, "gridness: %lld maps of %d x %d scored in %.4f s (%.4f s of CPU, %d threads)\n",
                (long long)count, t.n, t.n, t.seconds, t.cpu_seconds, cm_threads());
        if (t.p95)
            fprintf(stderr, "gridness: %.1f%% of %lld maps above their own 95th percentile, %.1f%% above the 99th "
                            "(%lld bin permutations each)\n",
                    100 * cm_gridness_shuffle_fraction(t.res, t.p95, (int)count), (long long)count,
                    100 * cm_gridness_shuffle_fraction(t.res, t.p99, (int)count), shuffles);
    }
    if (st == CM_OK)
        st = cm_gridness_table_csv(&t, stdout);
    if (st == CM_OK && figure && count > 0) {
        char title[256];
        snprintf(title, sizeof title, "%s: best %lld of %lld units by score60 (DeepMind scorer, %s masks%s)", input,
                 top < count ? top : (long long)count, (long long)count, masks, minmax ? ", min-max" : "");
        st = cm_plot_gridness(figure, a.data, a.dtype == CM_F32, t.sacs, t.res, count, &t.cfg, (int)top, 8, title);
        cm_plot_release_caches(); /* the command draws nothing more */
    }
    int code = st == CM_OK ? CLI_EXIT_OK : cli_fail("gridness", st);
    cm_gridness_table_free(&t);
    cm_array_free(&a);
    return code;
}
