/* cogmap/maprun.h — `cogmap map` as a library call (run layer): one agent
 * explores a maze; its BEV predictor's views (cm_bevnet), rotated back and
 * placed at its pose (true, or integrated by a grid-cell network from its
 * own motion, optionally corrected against the map), build its spatial
 * memory (mapping.h, cm_map_run); its target detector's detections are
 * placed on it. The numbers come back as data and the folder gets map.npy,
 * map.png, map.gif and summary.json.
 *
 * Pose sources:
 *   truth              the true pose every step (drift 0)
 *   pathint:GRIDRUN    a trained grid-cell run (cogmap train grid; best
 *                      checkpoint, else newest): its LSTM integrates the
 *                      agent's maze motion [vx, vy, w] from the start pose,
 *                      its place and head-direction read-outs decoded into
 *                      the pose estimate; the sequence restarts from the
 *                      current (corrected) estimate every `chunk` steps (the
 *                      network is trained on windows of its seq_len)
 *   deadreckon         the agent's own motion summed exactly (no network):
 *                      the noise-free reference
 */
#ifndef COGMAP_MAPRUN_H
#define COGMAP_MAPRUN_H

#include <stdio.h>

#include "cogmap/detector.h"
#include "cogmap/evaluate.h"
#include "cogmap/mapping.h"
#include "cogmap/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------- pose from a grid-cell network */

typedef struct cm_pathint_odometry cm_pathint_odometry; /* opaque */

/* Loads a grid-cell run's network and its place / HD ensembles. chunk: steps
 * integrated from one anchor (0: the run's seq_len). The network must take
 * SSM-PC's [vx, vy, w] input (preset ssmpc); CM_ERR_ARG otherwise. */
CM_API cm_status cm_pathint_odometry_open(const char *grid_run, int chunk, cm_pathint_odometry **out);
CM_API void cm_pathint_odometry_free(cm_pathint_odometry *o);
/* As a cm_map_odometry (its ctx is o). */
CM_API cm_map_odometry cm_pathint_odometry_ops(cm_pathint_odometry *o);

/* ------------------------------------------------------------ the command */

typedef struct cm_maprun_options {
    /* A run or checkpoint folder, or a FILE.safetensors: SSM-PC's own network
     * converted by scripts/pth-to-safetensors (full-size preset, bev or
     * detector). */
    const char *bev_run;      /* a BEV predictor; "truth": ground-truth views */
    const char *detector_run; /* a target detector; NULL: no targets */
    const char *pose;         /* "truth", "deadreckon" or "pathint:GRIDRUN" */
    int chunk;                /* pathint: steps per integration window (0: the run's seq_len) */
    int correct;              /* pathint/deadreckon: heading fit and scan matching against the map */
    cm_map_run_config run;    /* size, seed, steps, ... (its map.frame is set from the BEV model) */
    int gif_frames;           /* frames of map.gif (60) */
    int scale;                /* screen pixels per map pixel in map.png and map.gif (3) */
} cm_maprun_options;

CM_API void cm_maprun_options_default(cm_maprun_options *o);
/* CM_ERR_ARG naming the option: no bev_run, a pose other than the three,
 * correct with true poses (nothing to correct). cm_maprun checks first. */
CM_API cm_status cm_maprun_options_check(const cm_maprun_options *o);

/* Runs the exploration and writes DIR/map.npy (log-odds of occupancy,
 * float32 [H, W], row 0 at world y = -border: the map's own layout),
 * DIR/map.png (the final map, layout faint beneath, true path white, used
 * path yellow, targets), DIR/map.gif (the map growing) and DIR/summary.json
 * (map_iou, map_iou_truth_bev, coverage, pose_drift {mean, final}, ...).
 * `out` receives the result (free with cm_map_run_result_free). Nothing is
 * written when a model fails to load, nor when dir is NULL. The map's side
 * is o->run.size (o->run.map.size follows it). */
CM_API cm_status cm_maprun(const cm_maprun_options *o, const char *dir, cm_map_run_result *out, FILE *progress);
/* summary.json's numbers (nested keys joined by '.': "pose_drift.mean") and
 * the lines `cogmap map` prints, of a result of cm_maprun with options o
 * written to `dir` (named in the lines; NULL: none). */
CM_API cm_status cm_maprun_summary(const cm_maprun_options *o, const cm_map_run_result *r, const char *dir,
                                   cm_summary *out);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_MAPRUN_H */
