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

int cmd_figure(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long shuffles = 1000, fig3_init = 1000, max_attractor = 64, images = 512;
    const char *which = NULL, *data = NULL;
    const cli_opt opts[] = {{"--data", CLI_STRING, &data},
                            {"--shuffles", CLI_INT, &shuffles, 1, 100000},
                            {"--fig3-init", CLI_INT, &fig3_init, 2, 100000},
                            {"--max-attractor", CLI_INT, &max_attractor, 1, 100000},
                            {"--images", CLI_INT, &images, 1, 100000},
                            {NULL, CLI_ARG, &which, 0, 0, "one figure expected, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("figure", figure_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!which)
        return cli_usage_error("figure", "expected the figure: smp2 or smp3");
    if (strcmp(which, "smp2") != 0 && strcmp(which, "smp3") != 0)
        return cli_usage_error("figure", "unknown figure '%s' (smp2 or smp3)", which);
    if (!data)
        return cli_usage_error("figure", "expected --data DIR (the converted arrays or a cogmap SMP run)");
    if (!common.out)
        return cli_usage_error("figure", "expected --out DIR");
    cm_set_threads(common.threads);
    const cm_smp_figure_opts o = {(int)shuffles, (int)fig3_init, (int)max_attractor, (int)images, common.seed};
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = cli_progress_stream(&common);
    cm_progress *p = progress.out ? &progress : NULL;
    const int show = !common.quiet;
    if (strcmp(which, "smp2") == 0) {
        cm_smp_figure2_summary s;
        cm_status st = cm_smp_figure2(data, common.out, &o, p, &s);
        if (st != CM_OK)
            return cli_fail("figure", st);
        if (show) {
            printf("figure smp2: %s (%s), %lld samples, %d units\n", s.file, s.source, (long long)s.samples, s.units);
            printf("thresholds: hd %.4f, ego %.4f, allo %.4f\n", s.hd_threshold, s.ego_threshold, s.allo_threshold);
            for (int k = 0; k < 3; k++) {
                const cm_class_counts *c = &s.counts[k];
                const double U = c->units;
                printf("%s: %.0f units, HD %d (%.1f%%), egoBVC %d (%.1f%%), BVC %d (%.1f%%)\n", s.groups[k], U, c->hd,
                       100 * c->hd / U, c->ego_bvc, 100 * c->ego_bvc / U, c->allo_bvc, 100 * c->allo_bvc / U);
            }
            printf("outputs: %s/figure2.json and its panels\n", common.out);
        }
        return CLI_EXIT_OK;
    }
    cm_smp_figure3_summary s;
    cm_status st = cm_smp_figure3(data, common.out, &o, p, &s);
    if (st != CM_OK)
        return cli_fail("figure", st);
    if (show && s.step >= 0)
        printf("figure smp3: %s (cogmap run, step %lld): %d of %d views reset the HD ring within 10 steps, %d never\n",
               data, (long long)s.step, s.converged_within_10, s.images, s.never_converged);
    if (show && s.step < 0) {
        printf("figure smp3: %s: RNN-1 of %d units, %d memory slots, gamma %.4g; %d HD units over 0.56\n", data,
               s.hidden, s.slots, s.gamma, s.n_hd_units);
        printf("%d of %d views reset the HD ring within 10 steps, %d never; %d attractor states\n",
               s.converged_within_10, s.images, s.never_converged, s.attractor_states);
        printf("outputs: %s/figure3.json and fig3_*.png\n", common.out);
    }
    return CLI_EXIT_OK;
}
