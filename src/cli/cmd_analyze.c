/* `cogmap analyze ACTIVITY.npz --out DIR`: SMP's figure-2 classification of
 * every unit (head direction, ego/allo boundary vectors) plus place, border,
 * information and stability scores; writes DIR/report.json and DIR/maps.npz. */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cogmap/plot.h"

static const char analyze_usage[] =
    "usage: cogmap analyze ACTIVITY.npz --out DIR [--shuffles N] [--percentile P] [--hd-shuffle bins|time]\n"
    "                      [--min-shift N] [--dt S] [--box M] [--ratemap-bin M] [--distance-step M]\n"
    "                      [--grid-threshold T] [--grid-bins N]\n"
    "                      [--format png|svg|pdf] [--no-figures] [--seed N] [--threads N] [--quiet]\n"
    "Classifies every unit of ACTIVITY.npz (arrays positions [N,2], headings [N], wall_distances [N,R],\n"
    "activations [N,U], optional ray_angles [R] and group_<name> = [start, end); docs/formats.md) as\n"
    "SMP's figure 2 does: head-direction, egocentric and allocentric boundary-vector cells with\n"
    "thresholds from pooled shuffles, plus place and border scores. Writes DIR/report.json (every\n"
    "score, threshold and class, counts per class and group) and DIR/maps.npz (the maps behind them).\n"
    "  --shuffles N      shuffles per unit (default 1000, SMP's)\n"
    "  --percentile P    of the pooled shuffled scores (default 99)\n"
    "  --hd-shuffle M    bins: SMP's bin permutation (default); time: circular time shifts\n"
    "  --min-shift N     smallest time shift in samples (default N/20)\n"
    "  --dt S            seconds per sample, for bits/s (default 0.02)\n"
    "  --box M           arena side for the border score (default: the positions' x extent)\n"
    "  --ratemap-bin M   rate-map bin size in position units (default 0.14, SMP's for 2.2 m)\n"
    "  --distance-step M wall-distance bin size for the BVC maps (default 0.025, SMP's)\n"
    "  --grid-threshold T  DeepMind score60 above which a unit is a grid cell (default 0.3)\n"
    "  --grid-bins N     gridness rate-map bins per side, 0 = no gridness (default 20)\n"
    "  --format F        figures as png (default), svg or pdf; --no-figures: none\n";

int cmd_analyze(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    cm_classify_opts o;
    cm_classify_defaults(&o);
    const char *input = NULL, *format = "png";
    const char *hd_shuffle = "bins";
    int no_figures = 0;
    long long shuffles = o.n_shuffles, min_shift = o.min_shift, grid_bins = o.grid_bins;
    const cli_opt opts[] = {
        {"--shuffles", CLI_INT, &shuffles, 1, 1000000},
        {"--percentile", CLI_DOUBLE, &o.percentile},
        {"--hd-shuffle", CLI_CHOICE, &hd_shuffle, 0, 0, "--hd-shuffle: expected 'bins' or 'time', got '%s'", "bins|time"},
        {"--min-shift", CLI_INT, &min_shift, 1, INT64_MAX},
        {"--dt", CLI_POSITIVE, &o.dt, 0, 0, "--dt: expected seconds > 0, got %s"},
        {"--box", CLI_POSITIVE, &o.box, 0, 0, "--box: expected metres > 0, got %s"},
        {"--ratemap-bin", CLI_POSITIVE, &o.ratemap_bin, 0, 0, "--ratemap-bin: expected a bin size > 0, got %s"},
        {"--distance-step", CLI_POSITIVE, &o.distance_step, 0, 0, "--distance-step: expected a step > 0, got %s"},
        {"--grid-threshold", CLI_DOUBLE, &o.grid_thresh},
        {"--grid-bins", CLI_INT, &grid_bins, 0, 512},
        {"--format", CLI_CHOICE, &format, 0, 0, "--format: expected png, svg or pdf, got '%s'", "png|svg|pdf"},
        {"--no-figures", CLI_FLAG, &no_figures},
        {NULL, CLI_ARG, &input, 0, 0, "one activity file expected, got '%s' and '%s'"},
        {0}};
    int rc = cli_parse("analyze", analyze_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (o.percentile < 0 || o.percentile > 100)
        return cli_usage_error("analyze", "--percentile: expected 0..100, got %g", o.percentile);
    if (grid_bins > 0 && grid_bins < 4)
        return cli_usage_error("analyze", "--grid-bins: expected 0 or 4..512, got %lld", grid_bins);
    const int figures = !no_figures;
    o.n_shuffles = (int)shuffles, o.min_shift = min_shift, o.grid_bins = (int)grid_bins;
    o.hd_timeshift = strcmp(hd_shuffle, "time") == 0;
    if (!input)
        return cli_usage_error("analyze", "missing ACTIVITY.npz");
    if (!common.out)
        return cli_usage_error("analyze", "missing --out DIR");
    o.seed = common.seed;
    cm_set_threads(common.threads);
    cm_interrupt_install();
    cm_progress prog;
    prog.out = cli_progress_stream(&common);
    cm_analyze_summary *s = malloc(sizeof *s); /* 21 KB of groups: off the stack */
    cm_status st = s ? cm_analyze_file(input, common.out, &o, figures ? format : NULL, prog.out ? &prog : NULL, s)
                     : cm_error(CM_ERR_NOMEM, "analyze: out of memory");
    if (st == CM_ERR_ARG) { /* min_shift beyond N/2: an option the file refuses */
        free(s);
        return cli_usage_error("analyze", "%s", cm_errmsg());
    }
    if (st == CM_OK && !common.quiet) {
        fprintf(stderr, "analyze: %lld samples, %d units, %d shuffles in %.2f s; thresholds hd %.4f ego %.4f allo %.4f\n",
                (long long)s->samples, s->units, s->shuffles, s->seconds, s->hd_threshold, s->ego_threshold,
                s->allo_threshold);
        for (int g = 0; g < s->n_groups; g++)
            fprintf(stderr, "  %-8s %4d units: hd %d, ego_bvc %d, allo_bvc %d\n", s->groups[g].name, s->counts[g].units,
                    s->counts[g].hd, s->counts[g].ego_bvc, s->counts[g].allo_bvc);
    }
    free(s);
    if (st != CM_OK)
        return cli_fail("analyze", st);
    printf("analyze: wrote %s/report.json, %s/maps.npz%s\n", common.out, common.out,
           figures ? " and the figures" : "");
    return CLI_EXIT_OK;
}
