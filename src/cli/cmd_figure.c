/* `cogmap figure smp2|smp3 --data DIR --out DIR`: SMP's figures 2 and 3
 * (smp.md §6-7) from DeepMind's released arrays (converted by
 * scripts/smp-data-to-npz; docs/formats.md "SMP released data") or from a
 * cogmap SMP run (its activity.npz and checkpoint), both through the run
 * layer's loaders and the plot layer's panels. */
#include "cli/cli.h"
#include "cogmap/plot.h"

#include <string.h>

static const char figure_usage[] =
    "usage: cogmap figure smp2|smp3 --data DIR --out DIR [options]\n"
    "SMP's figure 2 (cell types of the three RNNs) or figure 3 (the head-direction RNN's dynamics),\n"
    "computed as DeepMind's notebooks do (specs smp.md §6-7).\n"
    "DIR: the .npz files of scripts/smp-data-to-npz (DeepMind's released data), or a cogmap SMP run\n"
    "after `cogmap eval DIR` (its activity.npz; smp3 also loads the run's checkpoint).\n"
    "  smp2: trajectories.npz (pos, hd, world_distances, rnn1..rnn3, log_ps_given_y) or activity.npz\n"
    "        -> OUT/figure2.json (per-RNN counts and shares of HD, ego- and allo-BVC units, every\n"
    "        unit's scores) and OUT/*.png (panels A-I)\n"
    "  smp3: parameters.npz, visual_inputs.npz, hd_stats.npz -> OUT/figure3.json and OUT/fig3_*.png\n"
    "  --shuffles N       smp2: shuffles per unit for the thresholds (default 1000, the notebook's)\n"
    "  --fig3-init N      smp3: random initial states (default 1000, the notebook's)\n"
    "  --max-attractor N  smp3: attractor states the correction runs start from (default 64)\n"
    "  --images N         smp3: probe views for the corrections (default 512; released data: the first N)\n"
    "  --seed N --threads N --quiet\n";

typedef struct figure_opts {
    long long shuffles, fig3_init, max_attractor, images;
    const char *data;
} figure_opts;

static int figure_smp2(const figure_opts *o, const cli_common *common)
{
    cm_smp_fig2_data d;
    cm_status st = cm_smp_fig2_load(o->data, &d);
    if (st == CM_OK)
        st = cm_mkdir_p(common->out);
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = cli_progress_stream(common);
    cm_classify_opts co;
    cm_classify_defaults(&co);
    co.n_shuffles = (int)o->shuffles;
    co.seed = common->seed;
    co.grid_bins = 0; /* the notebook scores no gridness */
    co.f32 = d.a.f32;
    cm_classify_result res;
    memset(&res, 0, sizeof res);
    if (st == CM_OK)
        st = cm_classify_units(d.a.pos, d.a.hd, d.a.dist, d.a.rays, d.a.act, d.a.n, d.a.units, &co,
                               progress.out ? &progress : NULL, &res);
    int slots[5] = {0}, n_slots = 0, nx = 0, ny = 0;
    double *maps = NULL;
    if (st == CM_OK)
        st = cm_classify_figures(common->out, "png", d.a.hd, d.a.act, d.a.n, d.a.f32, &res, d.a.groups, 3);
    if (st == CM_OK)
        st = cm_smp_fig2_notebook_units(common->out, &d, &res);
    if (st == CM_OK)
        st = cm_smp_fig2_place_maps(&d, &maps, &nx, &ny, slots, &n_slots);
    if (st == CM_OK && n_slots > 0)
        st = cm_smp_fig2_places(common->out, maps, nx, ny, slots, n_slots);
    if (st == CM_OK)
        st = cm_smp_fig2_write(common->out, &d, &co, &res, slots, n_slots);
    if (st == CM_OK && !common->quiet) {
        printf("figure smp2: %s (%s), %lld samples, %d units\n", d.file, d.source, (long long)d.a.n, d.a.units);
        printf("thresholds: hd %.4f, ego %.4f, allo %.4f\n", res.hd_threshold, res.ego_threshold, res.allo_threshold);
        for (int k = 0; k < 3; k++) {
            cm_class_counts c;
            cm_class_counts_of(&res, d.a.groups[k].start, d.a.groups[k].end, &c);
            const double U = c.units;
            printf("%s: %.0f units, HD %d (%.1f%%), egoBVC %d (%.1f%%), BVC %d (%.1f%%)\n", d.a.groups[k].name, U, c.hd,
                   100 * c.hd / U, c.ego_bvc, 100 * c.ego_bvc / U, c.allo_bvc, 100 * c.allo_bvc / U);
        }
        printf("outputs: %s/figure2.json and its panels\n", common->out);
    }
    cm_free(maps);
    cm_classify_free(&res);
    cm_smp_fig2_free(&d);
    cm_plot_release_caches();
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("figure", st);
}

static int figure_smp3(const figure_opts *o, const cli_common *common)
{
    cm_smp_fig3_inputs in;
    cm_status st = cm_smp_fig3_inputs_load(o->data, (int)o->images, &in);
    cm_smp_hd_opts fo;
    cm_smp_hd_opts_default(&fo);
    fo.n_init = (int)o->fig3_init;
    fo.max_attractor = (int)o->max_attractor;
    fo.seed = common->seed;
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = cli_progress_stream(common);
    cm_smp_hd_result d;
    memset(&d, 0, sizeof d);
    if (st == CM_OK)
        st = cm_smp_hd_dynamics(&in.net, in.emb, in.n_img, in.rv_angle, in.rv_len, &fo, progress.out ? &progress : NULL,
                                &d);
    if (st == CM_OK)
        st = cm_smp_fig3(common->out, &d);
    if (st == CM_OK)
        st = cm_smp_hd_dynamics_write(common->out, &d);
    if (st == CM_OK)
        st = cm_smp_rnn1_check_write(common->out, &in.net, in.emb);
    if (st == CM_OK && !common->quiet && in.step >= 0)
        printf("figure smp3: %s (cogmap run, step %lld): %d of %d views reset the HD ring within 10 steps, %d never\n",
               o->data, (long long)in.step, d.converged_within_10, d.images, d.never_converged);
    if (st == CM_OK && !common->quiet && in.step < 0) {
        printf("figure smp3: %s: RNN-1 of %d units, %d memory slots, gamma %.4g; %d HD units over 0.56\n", o->data,
               in.net.H, in.net.S, in.net.gamma, d.n_hd_units);
        printf("%d of %d views reset the HD ring within 10 steps, %d never; %d attractor states\n",
               d.converged_within_10, d.images, d.never_converged, d.attractor_states);
        printf("outputs: %s/figure3.json and fig3_*.png\n", common->out);
    }
    cm_smp_hd_dynamics_free(&d);
    cm_smp_fig3_inputs_free(&in);
    cm_plot_release_caches();
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("figure", st);
}

/* ------------------------------------------------------------------- CLI */

int cmd_figure(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    figure_opts o = {.shuffles = 1000, .fig3_init = 1000, .max_attractor = 64, .images = 512};
    const char *which = NULL;
    const cli_opt opts[] = {{"--data", CLI_STRING, &o.data},
                            {"--shuffles", CLI_INT, &o.shuffles, 1, 100000},
                            {"--fig3-init", CLI_INT, &o.fig3_init, 2, 100000},
                            {"--max-attractor", CLI_INT, &o.max_attractor, 1, 100000},
                            {"--images", CLI_INT, &o.images, 1, 100000},
                            {NULL, CLI_ARG, &which, 0, 0, "one figure expected, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("figure", figure_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!which)
        return cli_usage_error("figure", "expected the figure: smp2 or smp3");
    if (strcmp(which, "smp2") != 0 && strcmp(which, "smp3") != 0)
        return cli_usage_error("figure", "unknown figure '%s' (smp2 or smp3)", which);
    if (!o.data)
        return cli_usage_error("figure", "expected --data DIR (the converted arrays or a cogmap SMP run)");
    if (!common.out)
        return cli_usage_error("figure", "expected --out DIR");
    cm_set_threads(common.threads);
    return strcmp(which, "smp2") == 0 ? figure_smp2(&o, &common) : figure_smp3(&o, &common);
}
