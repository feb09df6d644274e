/* cogmap/detrun.h — target detector runs (run layer): the run's
 * configuration (run.json), the training job the generic trainer drives
 * (cm_train_job_ops: gradient by shard, update, evaluate, save, load), and
 * the held-out evaluation behind `cogmap eval RUN`, returning numbers as
 * data (and writing RUN/summary.json).
 *
 * A run folder holds run.json {"format": "cogmap detector run", "model":
 * "detector", "seed", "preset", "sets": ["key=value", ...], "data": [dataset
 * folders; none for generated mazes], "stages"}, checkpoints/step_N and
 * checkpoints/best (model.safetensors, config.json, optimizer.safetensors,
 * job.json), evals.csv (eval_loss, visibility_ap, position_error) and,
 * after `cogmap eval`, summary.json.
 */
#ifndef COGMAP_DETRUN_H
#define COGMAP_DETRUN_H

#include "cogmap/detector.h"
#include "cogmap/run.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CM_DETECTOR_MAX_SETS 64
#define CM_DETECTOR_MAX_DATA 16

typedef struct cm_detector_run_config {
    cm_detector_config model;
    cm_detector_data_config data;
    int eval_frames;   /* held-out validation frames per periodic evaluation (512) */
    uint64_t seed;     /* weights (stream 0), data, dropout (their own streams) */
    int n_dirs;        /* dataset folders; 0: frames generated from maze seeds */
    char dirs[CM_DETECTOR_MAX_DATA][1024];
    int n_sets;
    char sets[CM_DETECTOR_MAX_SETS][128]; /* "key=value" overrides, in order */
} cm_detector_run_config;

/* Preset defaults (cm_detector_preset, cm_detector_data_config_default with
 * the model's objects and maze size); CM_ERR_ARG for an unknown preset. */
CM_API cm_status cm_detector_run_config_init(cm_detector_run_config *c, const char *preset, uint64_t seed);
/* One "key=value": a model key (cm_detector_config_set), a data key
 * (train_mazes, eval_mazes, maze_steps, fov, policy_noise), or eval_frames;
 * recorded. CM_ERR_ARG naming the key. */
CM_API cm_status cm_detector_run_config_set(cm_detector_run_config *c, const char *key_value);
/* Adds a dataset folder (a maze folder or a root of them). */
CM_API cm_status cm_detector_run_config_add_data(cm_detector_run_config *c, const char *dir);
/* 1 if a resumed run may change the key (lr, dropout, plateau_factor,
 * plateau_patience, eval_frames, the loss weights). */
CM_API int cm_detector_run_key_can_change(const char *key_value);
CM_API cm_status cm_detector_run_config_write(const cm_detector_run_config *c, const char *run);
CM_API cm_status cm_detector_run_config_read(cm_detector_run_config *c, const char *run);
/* A new run's configuration: the preset's, each "key=value" of `sets`
 * (cm_detector_run_config_set), each dataset folder, then cm_detector_config_check. */
CM_API cm_status cm_detector_run_config_new(cm_detector_run_config *c, const char *preset, uint64_t seed,
                                            const char *const *sets, int n_sets, const char *const *data, int n_data);

/* ---------------------------------------------------------------- the job */

typedef struct cm_detector_job cm_detector_job; /* opaque */

/* The model from stream 0 of the seed, Adam at model.lr with
 * ReduceLROnPlateau (factor, patience) on the evaluation loss, the data
 * (folders or generated mazes). */
CM_API cm_status cm_detector_job_create(const cm_detector_run_config *c, cm_detector_job **out);
CM_API void cm_detector_job_free(cm_detector_job *j);
CM_API cm_detector *cm_detector_job_model(cm_detector_job *j);
CM_API double cm_detector_job_lr(const cm_detector_job *j);
/* Applies a stage's "key=value" (cm_detector_run_key_can_change) to the job. */
CM_API cm_status cm_detector_job_set(cm_detector_job *j, const char *key_value);
/* A resumed run's new stage at `step`: each "key=value" applied to the job and
 * to `c`, `c` written into `run`, {"step", "sets"} appended to its run.json
 * "stages" (n == 0: nothing). */
CM_API cm_status cm_detector_job_stage(cm_detector_job *j, cm_detector_run_config *c, const char *run, int64_t step,
                                       const char *const *sets, int n);
/* Gradient: frames [shard B / n, (shard + 1) B / n) of step k's batch, with
 * grad_scale n_k / B; dropout from the stream (seed, step, shard). Update:
 * BatchNorm running statistics, Adam. Evaluate: eval_loss (lower),
 * visibility_ap (higher), position_error (lower, cells) on eval_frames
 * validation frames; the plateau schedule steps on eval_loss. */
extern const cm_train_job_ops cm_detector_job_ops;

/* ------------------------------------------------------------ evaluation */

typedef struct cm_detector_evaluation {
    cm_detector_split split;
    int mazes;                 /* mazes (or maze folders) of the split */
    cm_detector_metrics m;     /* visibility AP, position error (cells), accuracy, loss */
    /* the same for a baseline that predicts each target's training-set
     * visibility rate and the mean relative position of its visible sightings */
    cm_detector_metrics baseline;
    /* when does a detection fire: the F1-best threshold on these frames
     * (cm_detector_threshold_f1) and its F1; precision and recall at the
     * threshold asked for (`threshold`) and at SSM-PC's 0.7; the highest
     * visibility the model gave any target */
    double best_threshold, best_f1;
    double threshold, precision, recall;
    double precision_07, recall_07;
    double max_visibility;
} cm_detector_evaluation;

/* The model on `frames` frames spread over a split (evaluation mode), the
 * baseline from `baseline_frames` training frames; precision and recall at
 * `threshold` (NaN: at this split's own F1-best threshold). */
CM_API cm_status cm_detector_evaluate(const cm_detector *m, cm_detector_data *d, cm_detector_split split,
                                      int frames, int baseline_frames, double threshold,
                                      cm_detector_evaluation *out, cm_progress *progress);

typedef struct cm_detector_eval_opts {
    int frames;          /* held-out test frames (2048) */
    int baseline_frames; /* training frames for the baseline (2048) */
    const char *checkpoint; /* a checkpoint folder; NULL: the run's best, else its newest */
} cm_detector_eval_opts;

/* `cogmap eval RUN` for a detector run: the run's checkpoint on the test
 * split; writes RUN/summary.json (visibility_ap, position_error_cells,
 * visibility_accuracy, loss, baseline_*, frames, visible, mazes, checkpoint,
 * steps; threshold: the F1-best threshold on as many validation frames,
 * with the test split's precision and recall at it, and at 0.7:
 * precision_0.7, recall_0.7; max_visibility). */
CM_API cm_status cm_detector_eval_run(const char *run, const cm_detector_eval_opts *o, cm_detector_evaluation *out,
                                      cm_progress *progress);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_DETRUN_H */
