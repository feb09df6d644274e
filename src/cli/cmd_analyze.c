/* `cogmap analyze ACTIVITY.npz --out DIR`: SMP's figure-2 classification of
 * every unit (head direction, ego/allo boundary vectors) plus place, border,
 * information and stability scores; writes DIR/report.json and DIR/maps.npz. */
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/activity_file.h"
#include "cli/analyze.h"
#include "cogmap/analysis.h"
#include "cogmap/io.h"
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

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

/* Counts of every flag and primary class over units [s, e). */
static cJSON *counts(const cm_classify_result *r, int64_t s, int64_t e)
{
    int c[7] = {0}, hd = 0, ego = 0, allo = 0, place = 0, border = 0, grid = 0, allo_over_ego = 0;
    for (int64_t u = s; u < e; u++) {
        c[r->cls[u]]++;
        hd += r->is_hd[u];
        ego += r->is_ego[u];
        allo += r->is_allo[u];
        place += r->is_place[u];
        border += r->is_border[u];
        grid += r->is_grid[u];
        allo_over_ego += r->is_ego[u] && r->allo_score[u] > r->ego_score[u];
    }
    cJSON *o = cJSON_CreateObject();
    double n = (double)(e - s);
    cJSON_AddNumberToObject(o, "units", n);
    cJSON_AddNumberToObject(o, "hd", hd);
    cJSON_AddNumberToObject(o, "ego_bvc", ego);
    cJSON_AddNumberToObject(o, "allo_bvc", allo);
    cJSON_AddNumberToObject(o, "place", place);
    cJSON_AddNumberToObject(o, "border", border);
    cJSON_AddNumberToObject(o, "grid", grid);
    /* SMP's notebook also counts ego units whose allo score is the larger. */
    cJSON_AddNumberToObject(o, "ego_bvc_with_allo_score_greater", allo_over_ego);
    cJSON_AddNumberToObject(o, "hd_share", hd / n);
    cJSON_AddNumberToObject(o, "ego_bvc_share", ego / n);
    cJSON_AddNumberToObject(o, "allo_bvc_share", allo / n);
    cJSON *p = cJSON_AddObjectToObject(o, "primary");
    for (int k = 0; k <= CM_CELL_GRID; k++)
        cJSON_AddNumberToObject(p, cm_cell_class_name((cm_cell_class)k), c[k]);
    return o;
}

static cm_status write_report(const char *dir, const char *input, const activity_file *a, const cm_classify_opts *o,
                              const cm_classify_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "cogmap", cm_version());
    cJSON_AddStringToObject(root, "input", input);
    cJSON_AddNumberToObject(root, "samples", (double)a->n);
    cJSON_AddNumberToObject(root, "units", a->units);
    cJSON_AddNumberToObject(root, "rays", a->rays);
    cJSON *op = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(op, "shuffles", o->n_shuffles);
    cJSON_AddNumberToObject(op, "percentile", o->percentile);
    cJSON_AddStringToObject(op, "hd_shuffle", o->hd_timeshift ? "time" : "bins");
    cJSON_AddNumberToObject(op, "hd_bins", o->hd_bins);
    cJSON_AddNumberToObject(op, "distance_step", o->distance_step);
    cJSON_AddNumberToObject(op, "ratemap_bin", o->ratemap_bin);
    cJSON_AddNumberToObject(op, "dt", o->dt);
    cJSON_AddNumberToObject(op, "grid_bins", o->grid_bins);
    cJSON_AddBoolToObject(op, "float32_positions_headings", o->f32);
    cJSON_AddNumberToObject(op, "seed", (double)o->seed);
    cJSON_AddNumberToObject(op, "threads", cm_threads());
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON_AddItemToObject(th, "hd", num(r->hd_threshold));
    cJSON_AddItemToObject(th, "ego_bvc", num(r->ego_threshold));
    cJSON_AddItemToObject(th, "allo_bvc", num(r->allo_threshold));
    cJSON_AddNumberToObject(th, "place_bits_per_spike", o->place_info);
    cJSON_AddNumberToObject(th, "stability", o->min_stability);
    cJSON_AddNumberToObject(th, "border", o->border_thresh);
    cJSON_AddNumberToObject(th, "grid_score60", o->grid_thresh);
    cJSON_AddItemToObject(root, "counts", counts(r, 0, a->units));
    cJSON *groups = cJSON_AddArrayToObject(root, "groups");
    for (int g = 0; g < a->n_groups; g++) {
        cJSON *c = counts(r, a->groups[g].start, a->groups[g].end);
        cJSON_AddStringToObject(c, "name", a->groups[g].name);
        cJSON_AddNumberToObject(c, "start", (double)a->groups[g].start);
        cJSON_AddNumberToObject(c, "end", (double)a->groups[g].end);
        cJSON_AddItemToArray(groups, c);
    }
    cJSON *units = cJSON_AddArrayToObject(root, "unit_scores");
    for (int u = 0; u < a->units; u++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "unit", u);
        const char *gname = "";
        for (int g = 0; g < a->n_groups; g++)
            if (u >= a->groups[g].start && u < a->groups[g].end) {
                gname = a->groups[g].name;
                break;
            }
        cJSON_AddStringToObject(x, "group", gname);
        cJSON_AddStringToObject(x, "class", cm_cell_class_name(r->cls[u]));
        cJSON_AddBoolToObject(x, "is_hd", r->is_hd[u]);
        cJSON_AddBoolToObject(x, "is_ego_bvc", r->is_ego[u]);
        cJSON_AddBoolToObject(x, "is_allo_bvc", r->is_allo[u]);
        cJSON_AddBoolToObject(x, "is_place", r->is_place[u]);
        cJSON_AddBoolToObject(x, "is_border", r->is_border[u]);
        cJSON_AddBoolToObject(x, "is_grid", r->is_grid[u]);
        cJSON_AddItemToObject(x, "hd_score", num(r->hd_score[u]));
        cJSON_AddItemToObject(x, "hd_angle", num(r->hd_angle[u]));
        cJSON_AddItemToObject(x, "ego_score", num(r->ego_score[u]));
        cJSON_AddItemToObject(x, "ego_angle", num(r->ego_angle[u]));
        cJSON_AddItemToObject(x, "ego_distance", num(r->ego_dist[u]));
        cJSON_AddItemToObject(x, "allo_score", num(r->allo_score[u]));
        cJSON_AddItemToObject(x, "allo_angle", num(r->allo_angle[u]));
        cJSON_AddItemToObject(x, "allo_distance", num(r->allo_dist[u]));
        cJSON_AddItemToObject(x, "stability", num(r->stability[u]));
        cJSON_AddItemToObject(x, "info_bits_per_spike", num(r->info_bits_spike[u]));
        cJSON_AddItemToObject(x, "info_bits_per_second", num(r->info_bits_s[u]));
        cJSON_AddItemToObject(x, "sparsity", num(r->sparsity[u]));
        cJSON_AddItemToObject(x, "selectivity", num(r->selectivity[u]));
        cJSON_AddItemToObject(x, "border_score", num(r->border[u]));
        cJSON_AddItemToObject(x, "grid_score60", num(r->grid60[u]));
        cJSON_AddItemToObject(x, "grid_score90", num(r->grid90[u]));
        cJSON_AddNumberToObject(x, "place_fields", r->n_fields[u]);
        cJSON_AddItemToArray(units, x);
    }
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "report.json");
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

/* The maps behind the scores, float32, for figures and for users' own plots. */
static cm_status write_maps(const char *dir, const cm_classify_result *r)
{
    int64_t U = r->units;
    struct {
        const char *name;
        const double *src;
        int ndim;
        int64_t shape[4];
    } m[] = {
        {"hd_maps", r->hd_maps, 2, {U, r->hd_bins}},
        {"ego_maps", r->ego_maps, 3, {U, r->n_dist, r->rays}},
        {"allo_maps", r->allo_maps, 3, {U, r->n_dist, r->rays}},
        {"ratemaps", r->maps, 3, {U, r->nx, r->ny}},
        {"octant_maps", r->octants, 4, {U, r->nx, r->ny, 8}},
        {"distance_centres", r->dcentres, 1, {r->n_dist}},
        {"occupancy", r->occupancy, 2, {r->nx, r->ny}},
    };
    enum { M = sizeof m / sizeof m[0] };
    cm_array arr[M];
    memset(arr, 0, sizeof arr);
    cm_status st = CM_OK;
    for (int i = 0; i < M && st == CM_OK; i++) {
        st = cm_array_alloc(&arr[i], m[i].name, CM_F32, m[i].ndim, m[i].shape);
        if (st == CM_OK) {
            int64_t c = cm_array_count(&arr[i]);
            for (int64_t k = 0; k < c; k++)
                ((float *)arr[i].data)[k] = (float)m[i].src[k];
        }
    }
    char path[4096];
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "maps.npz");
    if (st == CM_OK)
        st = cm_npz_write(path, arr, M, 1);
    for (int i = 0; i < M; i++)
        cm_array_free(&arr[i]);
    return st;
}

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

    activity_file a;
    cm_status st = activity_file_read(input, &a);
    if (st != CM_OK) {
        activity_file_free(&a);
        return cli_fail("analyze", st);
    }
    if (o.hd_timeshift && o.min_shift > 0 && 2 * o.min_shift > a.n) {
        activity_file_free(&a);
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
        st = write_report(common.out, input, &a, &o, &r);
    if (st == CM_OK)
        st = write_maps(common.out, &r);
    if (st == CM_OK && figures) {
        st = analyze_figures(common.out, format, a.hd, a.act, a.n, a.f32, &r, a.groups, a.n_groups);
        cm_plot_release_caches(); /* the command draws nothing more */
    }
    if (st == CM_OK && !common.quiet) {
        fprintf(stderr, "analyze: %lld samples, %d units, %d shuffles in %.2f s; thresholds hd %.4f ego %.4f allo %.4f\n",
                (long long)a.n, a.units, o.n_shuffles, secs, r.hd_threshold, r.ego_threshold, r.allo_threshold);
        for (int g = 0; g < a.n_groups; g++) {
            int hd = 0, ego = 0, allo = 0;
            for (int64_t u = a.groups[g].start; u < a.groups[g].end; u++) {
                hd += r.is_hd[u];
                ego += r.is_ego[u];
                allo += r.is_allo[u];
            }
            fprintf(stderr, "  %-8s %4lld units: hd %d, ego_bvc %d, allo_bvc %d\n", a.groups[g].name,
                    (long long)(a.groups[g].end - a.groups[g].start), hd, ego, allo);
        }
    }
    cm_classify_free(&r); /* safe after a failed classify too: it leaves NULLs */
    activity_file_free(&a);
    if (st != CM_OK)
        return cli_fail("analyze", st);
    printf("analyze: wrote %s/report.json, %s/maps.npz%s\n", common.out, common.out,
           figures ? " and the figures" : "");
    return CLI_EXIT_OK;
}
