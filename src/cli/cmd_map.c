/* `cogmap map`: one agent explores a maze and builds its spatial memory from
 * predicted BEVs (cm_maprun, maprun.h); this parses and prints. */
#include "cli/cli.h"

#include <math.h>
#include <string.h>

#include "cogmap/maprun.h"

static const char map_usage[] =
    "usage: cogmap map --bev RUN|truth [--detector RUN] [--size N] [--seed S] [--steps N]\n"
    "                  [--pose truth|deadreckon|pathint:GRIDRUN] [--correct] [--chunk N] --out DIR\n"
    "One agent explores maze S with the scripted policy. Each frame's BEV, predicted by the BEV\n"
    "run (`truth`: the ground-truth view), is rotated back to the world frame, placed at the\n"
    "pose and fused into a log-odds map; the detector run's detections are placed as targets.\n"
    "Poses: the true ones, the agent's motion summed exactly, or a grid-cell run integrating\n"
    "its motion (--correct: heading from the view's grid alignment and cells by scan matching\n"
    "against the map, cell moves re-anchoring the network). Alongside, ground-truth BEVs at the true\n"
    "poses build the ceiling map. Writes DIR/map.npy (log-odds), DIR/map.png, DIR/map.gif and\n"
    "DIR/summary.json (map_iou, map_iou_truth_bev, coverage, pose_drift, target_error).\n"
    "  --bev, --detector also take FILE.safetensors: SSM-PC's network converted by\n"
    "                  scripts/pth-to-safetensors (their full-size architecture)\n"
    "  --size N        maze side (15)\n"
    "  --steps N       steps explored (1000)\n"
    "  --chunk N       pathint: steps integrated from one anchor (default: the run's seq_len)\n"
    "  --gif-frames N  frames of map.gif (60; 0: no GIF or PNG)\n"
    "  --seed N --threads N --quiet\n";

int cmd_map(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    cm_maprun_options o;
    cm_maprun_options_default(&o);
    long long size = 15, steps = 1000, chunk = 0, gif = 60;
    o.bev_run = NULL; /* required: no default */
    const cli_opt opts[] = {{"--bev", CLI_STRING, &o.bev_run},
                            {"--detector", CLI_STRING, &o.detector_run},
                            {"--pose", CLI_STRING, &o.pose},
                            {"--correct", CLI_FLAG, &o.correct},
                            {"--size", CLI_INT, &size, 5, 63},
                            {"--steps", CLI_INT, &steps, 1, 10000000},
                            {"--chunk", CLI_INT, &chunk, 1, 100000},
                            {"--gif-frames", CLI_INT, &gif, 0, 10000},
                            {0}};
    int rc = cli_parse("map", map_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (strcmp(o.pose, "truth") && strcmp(o.pose, "deadreckon") && strncmp(o.pose, "pathint:", 8))
        return cli_usage_error("map", "--pose: expected truth, deadreckon or pathint:GRIDRUN, got '%s'", o.pose);
    if (!o.bev_run)
        return cli_usage_error("map", "--bev RUN (a BEV predictor run) or --bev truth is required");
    if (!common.out)
        return cli_usage_error("map", "--out DIR is required");
    if (o.correct && !strcmp(o.pose, "truth"))
        return cli_usage_error("map", "--correct corrects estimated poses: use it with --pose pathint:... or deadreckon");
    cm_set_threads(common.threads);
    o.run.size = (int)size;
    cm_map_config_default((int)size, &o.run.map);
    o.run.seed = common.seed;
    o.run.steps = (int)steps;
    o.chunk = (int)chunk;
    o.gif_frames = (int)gif;
    cm_map_run_result r;
    cm_status st = cm_maprun(&o, common.out, &r, cli_progress_stream(&common));
    if (st)
        return cli_fail("map", st);
    if (!common.quiet) {
        printf("map of maze %llu (%dx%d), %d steps, poses %s%s\n", (unsigned long long)common.seed, r.size, r.size,
               r.steps, o.pose, o.correct ? " (corrected)" : "");
        printf("  map_iou            %.4f over %d seen cells (ceiling from true BEVs %.4f, ratio %.3f)\n", r.scores.iou,
               r.scores.scored, r.truth_scores.iou, r.scores.iou / r.truth_scores.iou);
        printf("  all-free floor     %.4f (the iou of a map calling every seen cell free)\n", r.scores.iou_all_free);
        printf("  coverage           %.3f of the free cells known (true BEVs %.3f)\n", r.scores.coverage,
               r.truth_scores.coverage);
        printf("  pose drift         mean %.3f cells, final %.3f, heading %.3f rad (%d cell, %d heading corrections)\n",
               r.drift_mean, r.drift_final, r.heading_drift_mean, r.corrections, r.heading_corrections);
        if (o.detector_run)
            printf("  target error       %.3f cells over %d of %d targets\n", r.scores.target_error,
                   r.scores.n_targets, r.n_targets);
        printf("  outputs            %s/map.npy, map.png, map.gif, summary.json\n", common.out);
    }
    cm_map_run_result_free(&r);
    return CLI_EXIT_OK;
}
