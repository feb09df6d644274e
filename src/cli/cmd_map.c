/* `cogmap map`: one agent explores a maze and builds its spatial memory from
 * predicted BEVs (cm_maprun, maprun.h); this parses, calls it and prints its summary
 * (cm_maprun_summary). */
#include "cli/cli.h"

#include <stdio.h>

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
    o.run.size = (int)size, o.run.seed = common.seed, o.run.steps = (int)steps;
    o.chunk = (int)chunk, o.gif_frames = (int)gif;
    if (cm_maprun_options_check(&o) != CM_OK)
        return cli_usage_error("map", "%s", cm_errmsg());
    if (!common.out)
        return cli_usage_error("map", "--out DIR is required");
    cm_set_threads(common.threads);
    cm_map_run_result r;
    cm_summary s;
    cm_status st = cm_maprun(&o, common.out, &r, cli_progress_stream(&common));
    if (st)
        return cli_fail("map", st);
    if (!(st = cm_maprun_summary(&o, &r, common.out, &s)) && !common.quiet)
        fputs(s.text, stdout);
    cm_map_run_result_free(&r);
    return st ? cli_fail("map", st) : CLI_EXIT_OK;
}
