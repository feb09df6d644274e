/* `cogmap eval DIR` for BEV runs: the run's best checkpoint on held-out
 * (test-split) mazes beside the training set's mean-map baseline
 * (DIR/summary.json, written by the library), and the figure frame |
 * predicted BEV | true BEV (DIR/figures/bev_samples.png). */
#include "cli/cli.h"
#include "cogmap/bevrun.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <stdio.h>
#include <string.h>

static const char bev_eval_usage[] =
    "usage: cogmap eval DIR [options]      (DIR: a run of `cogmap train bev`)\n"
    "Scores the run's best checkpoint (else its newest; or --checkpoint) on frames of the held-out test\n"
    "mazes against a baseline that predicts the training frames' mean BEV: DIR/summary.json\n"
    "(alpha_iou, alpha_accuracy, rgb_mse_visible, loss and baseline_*) and\n"
    "DIR/figures/bev_samples.png (frame | predicted BEV | true BEV).\n"
    "  --frames N           test frames scored, spread over the split (default 2048)\n"
    "  --baseline-frames N  training frames averaged into the baseline (default 2048)\n"
    "  --samples N          rows of the figure (default 8; 0: no figure)\n"
    "  --checkpoint NAME    best or step_NNNNNNNN under DIR/checkpoints (default: best, else the newest)\n"
    "  --threads N --quiet\n";

int cli_eval_bev(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long frames = 2048, baseline = 2048, samples = 8;
    const char *dir = NULL, *checkpoint = NULL;
    const cli_opt opts[] = {{"--frames", CLI_INT, &frames, 1, 1000000},
                            {"--baseline-frames", CLI_INT, &baseline, 1, 1000000},
                            {"--samples", CLI_INT, &samples, 0, 64},
                            {"--checkpoint", CLI_STRING, &checkpoint},
                            {NULL, CLI_ARG, &dir, 0, 0, "one run folder expected, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("eval", bev_eval_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!dir)
        return cli_usage_error("eval", "expected the run folder");
    if (common.out)
        return cli_usage_error("eval", "eval writes into the run folder; drop --out");
    cm_set_threads(common.threads);

    cm_progress prog = {0};
    prog.out = cli_progress_stream(&common);
    cm_bevnet_run_eval e;
    cm_status st = cm_bevnet_eval_run(dir, checkpoint, (int)frames, (int)baseline, (int)samples, &e, prog.out ? &prog : NULL);
    if (st != CM_OK)
        return cli_fail("eval", st);
    char fig[4200];
    snprintf(fig, sizeof fig, "%s/figures", dir);
    if (e.keep > 0 && (st = cm_mkdir_p(fig)) == CM_OK) {
        char title[128];
        snprintf(title, sizeof title, "%s, step %lld: frame | predicted | true", e.model.preset, (long long)e.step);
        snprintf(fig, sizeof fig, "%s/figures/bev_samples.png", dir);
        st = cm_plot_bev_samples(fig, e.keep, e.model.image, e.model.out, e.rgb, e.pred, e.target, title);
    }
    const cm_bevnet_scores *m = &e.eval.model, *b = &e.eval.baseline;
    if (st == CM_OK) {
        printf("checkpoint: %s (step %lld)\n", e.checkpoint, (long long)e.step);
        printf("test: %d mazes, %lld frames\n", e.eval.mazes, (long long)m->frames);
        printf("alpha_iou: %.4f (baseline %.4f)\n", m->alpha_iou, b->alpha_iou);
        printf("alpha_accuracy: %.4f (baseline %.4f)\n", m->alpha_accuracy, b->alpha_accuracy);
        printf("rgb_mse_visible: %.5f (baseline %.5f)\n", m->rgb_mse_visible, b->rgb_mse_visible);
        printf("wrote %s/summary.json%s%s\n", dir, e.keep > 0 ? " and " : "", e.keep > 0 ? fig : "");
    }
    cm_bevnet_run_eval_free(&e);
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("eval", st);
}
