/* `cogmap eval RUN` for detector runs: parse, call the run layer
 * (detrun.h), print. (`train detector` is cmd_train.c's.) */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cogmap/detrun.h"
#include "cogmap/io.h"

static const char detector_eval_usage[] =
    "usage: cogmap eval DIR [--frames N] [--checkpoint DIR] [--seed N --threads N --quiet]\n"
    "                                      (DIR: a run of `cogmap train detector`)\n"
    "Scores the run's best checkpoint (else its newest) on held-out test mazes: visibility\n"
    "average precision (as scikit-learn's average_precision_score), mean position error of\n"
    "visible targets in grid cells, and the same for a per-target-rate baseline; writes\n"
    "DIR/summary.json.\n"
    "  --frames N         test frames (default 2048)\n"
    "  --checkpoint DIR   a checkpoint folder instead of the best\n";

int cli_eval_detector(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    cm_detector_eval_opts o = {2048, 2048, NULL};
    const char *dir = NULL;
    long long frames = 2048;
    const cli_opt opts[] = {{"--frames", CLI_INT, &frames, 1, 10000000},
                            {"--checkpoint", CLI_STRING, &o.checkpoint},
                            {NULL, CLI_ARG, &dir, 0, 0, "one run folder expected, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("eval", detector_eval_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    o.frames = (int)frames;
    if (!dir)
        return cli_usage_error("eval", "expected the run folder");
    cm_set_threads(common.threads);
    cm_progress prog;
    cm_progress_start(&prog, cli_progress_stream(&common), "evaluate", 0);
    cm_detector_evaluation ev;
    cm_status st = cm_detector_eval_run(dir, &o, &ev, &prog);
    if (st)
        return cli_fail("eval", st);
    if (!common.quiet) {
        printf("detector %s, test split (%d held-out mazes, %lld frames, %lld visible targets)\n", dir, ev.mazes,
               (long long)ev.m.frames, (long long)ev.m.visible);
        printf("  visibility AP       %.4f (baseline %.4f)\n", ev.m.visibility_ap, ev.baseline.visibility_ap);
        printf("  position error      %.3f cells (baseline %.3f)\n", ev.m.position_error,
               ev.baseline.position_error);
        printf("  visibility accuracy %.4f (baseline %.4f)\n", ev.m.visibility_accuracy,
               ev.baseline.visibility_accuracy);
        printf("  summary             %s/summary.json\n", dir);
    }
    return CLI_EXIT_OK;
}
