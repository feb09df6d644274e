/* `cogmap analyze ACTIVITY.npz --out DIR`: SMP's figure-2 classification of
 * every unit (head direction, ego/allo boundary vectors) plus place, border,
 * information and stability scores; writes DIR/report.json and DIR/maps.npz. */
#include "cli/cli.h"

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
    int figures = 1;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        long long iv;
        double dv;
        int r = cli_standard_option(&common, analyze_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--shuffles")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--shuffles", v, 1, 1000000, &iv))
                return CLI_EXIT_USAGE;
            o.n_shuffles = (int)iv;
        } else if (cli_option_is(arg, "--percentile")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--percentile", v, &dv))
                return CLI_EXIT_USAGE;
            if (dv < 0 || dv > 100)
                return cli_usage_error("analyze", "--percentile: expected 0..100, got %g", dv);
            o.percentile = dv;
        } else if (cli_option_is(arg, "--hd-shuffle")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (strcmp(v, "bins") == 0)
                o.hd_timeshift = 0;
            else if (strcmp(v, "time") == 0)
                o.hd_timeshift = 1;
            else
                return cli_usage_error("analyze", "--hd-shuffle: expected 'bins' or 'time', got '%s'", v);
        } else if (cli_option_is(arg, "--min-shift")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--min-shift", v, 1, INT64_MAX, &iv))
                return CLI_EXIT_USAGE;
            o.min_shift = iv;
        } else if (cli_option_is(arg, "--dt")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--dt", v, &dv))
                return CLI_EXIT_USAGE;
            if (!(dv > 0))
                return cli_usage_error("analyze", "--dt: expected seconds > 0, got %g", dv);
            o.dt = dv;
        } else if (cli_option_is(arg, "--box")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--box", v, &dv))
                return CLI_EXIT_USAGE;
            if (!(dv > 0))
                return cli_usage_error("analyze", "--box: expected metres > 0, got %g", dv);
            o.box = dv;
        } else if (cli_option_is(arg, "--ratemap-bin")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--ratemap-bin", v, &dv))
                return CLI_EXIT_USAGE;
            if (!(dv > 0))
                return cli_usage_error("analyze", "--ratemap-bin: expected a bin size > 0, got %g", dv);
            o.ratemap_bin = dv;
        } else if (cli_option_is(arg, "--distance-step")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--distance-step", v, &dv))
                return CLI_EXIT_USAGE;
            if (!(dv > 0))
                return cli_usage_error("analyze", "--distance-step: expected a step > 0, got %g", dv);
            o.distance_step = dv;
        } else if (cli_option_is(arg, "--grid-threshold")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--grid-threshold", v, &dv))
                return CLI_EXIT_USAGE;
            o.grid_thresh = dv;
        } else if (cli_option_is(arg, "--grid-bins")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--grid-bins", v, 0, 512, &iv))
                return CLI_EXIT_USAGE;
            if (iv > 0 && iv < 4)
                return cli_usage_error("analyze", "--grid-bins: expected 0 or 4..512, got %lld", iv);
            o.grid_bins = (int)iv;
        } else if (cli_option_is(arg, "--format")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (strcmp(v, "png") != 0 && strcmp(v, "svg") != 0 && strcmp(v, "pdf") != 0)
                return cli_usage_error("analyze", "--format: expected png, svg or pdf, got '%s'", v);
            format = v;
        } else if (strcmp(arg, "--no-figures") == 0) {
            figures = 0;
        } else if (arg[0] == '-') {
            return cli_usage_error("analyze", "unknown option '%s'", arg);
        } else if (!input) {
            input = arg;
        } else {
            return cli_usage_error("analyze", "one activity file expected, got '%s' and '%s'", input, arg);
        }
    }
    if (!input)
        return cli_usage_error("analyze", "missing ACTIVITY.npz");
    if (!common.out)
        return cli_usage_error("analyze", "missing --out DIR");
    o.seed = common.seed;
    cm_set_threads(common.threads);
    cm_interrupt_install();

    cm_activity a;
    cm_status st = cm_activity_read(input, &a);
    if (st != CM_OK) {
        cm_activity_free(&a);
        return cli_fail("analyze", st);
    }
    if (o.hd_timeshift && o.min_shift > 0 && 2 * o.min_shift > a.n) {
        cm_activity_free(&a);
        return cli_usage_error("analyze", "--min-shift: expected at most N/2 = %lld, got %lld", (long long)(a.n / 2),
                               (long long)o.min_shift);
    }
    o.f32 = a.f32;
    cm_progress prog;
    prog.out = cli_progress_stream(&common);
    cm_classify_result r;
    double t0 = cm_now();
    st = cm_classify_units(a.pos, a.hd, a.dist, a.rays, a.act, a.n, a.units, &o, prog.out ? &prog : NULL, &r);
    double secs = cm_now() - t0;
    /* The options were checked above, so what the library still refuses is
     * the data (a zero-extent arena, say): a file problem, exit 1. */
    if (st == CM_ERR_ARG)
        st = CM_ERR_FORMAT;
    if (st == CM_OK)
        st = cm_mkdir_p(common.out);
    if (st == CM_OK)
        st = cm_classify_report_write(common.out, input, &a, &o, &r);
    if (st == CM_OK)
        st = cm_classify_maps_write(common.out, &r);
    if (st == CM_OK && figures) {
        st = cm_classify_figures(common.out, format, a.hd, a.act, a.n, a.f32, &r, a.groups, a.n_groups);
        cm_plot_release_caches(); /* the command draws nothing more */
    }
    if (st == CM_OK && !common.quiet) {
        fprintf(stderr, "analyze: %lld samples, %d units, %d shuffles in %.2f s; thresholds hd %.4f ego %.4f allo %.4f\n",
                (long long)a.n, a.units, o.n_shuffles, secs, r.hd_threshold, r.ego_threshold, r.allo_threshold);
        for (int g = 0; g < a.n_groups; g++) {
            cm_class_counts c;
            cm_class_counts_of(&r, a.groups[g].start, a.groups[g].end, &c);
            fprintf(stderr, "  %-8s %4d units: hd %d, ego_bvc %d, allo_bvc %d\n", a.groups[g].name, c.units, c.hd,
                    c.ego_bvc, c.allo_bvc);
        }
    }
    cm_classify_free(&r); /* safe after a failed classify too: it leaves NULLs */
    cm_activity_free(&a);
    if (st != CM_OK)
        return cli_fail("analyze", st);
    printf("analyze: wrote %s/report.json, %s/maps.npz%s\n", common.out, common.out,
           figures ? " and the figures" : "");
    return CLI_EXIT_OK;
}
