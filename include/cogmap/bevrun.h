/* cogmap/bevrun.h — BEV predictor runs (run layer): the training job the
 * generic trainer drives (gradient by shard, update, evaluate, save, load:
 * the contract's cm_train_job_ops), and the held-out evaluation behind
 * `cogmap eval RUN` (numbers as data; the figure is the plot module's).
 *
 * A run folder holds run.json {"format": "cogmap bev run", "model": "bev",
 * "seed", "data": [dataset folders, none for generated mazes], "config":
 * {the model's configuration}, "stages": [...]}, checkpoints/step_N and
 * checkpoints/best (model.safetensors, config.json, optimizer.safetensors,
 * job.json), evals.csv and, after `cogmap eval`, summary.json and
 * figures/bev_samples.png.
 */
#ifndef COGMAP_BEVRUN_H
#define COGMAP_BEVRUN_H

#include "cogmap/bevnet.h"
#include "cogmap/run.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- evaluation */

typedef struct cm_bevnet_scores {
    int64_t frames;          /* frames scored */
    double loss;             /* BEVLoss (§6.3), mean over the frames */
    double alpha_iou;        /* |pred > 0.5 and true > 0.5| / |either|, pooled over every pixel */
    double alpha_accuracy;   /* share of pixels where the two agree */
    double rgb_mse_visible;  /* mean squared RGB error (0..1 scale) over pixels with true alpha > 0.5 */
    /* the pooled counts behind them */
    int64_t inter, uni, agree, pixels, visible;
    double se_sum, loss_sum;
} cm_bevnet_scores;

/* Adds n predictions [n, 4, out, out] scored against targets [n, out, out,
 * 4] to `acc` (zero it first) and updates its means (the loss as the model
 * computes it, frame by frame). */
CM_API void cm_bevnet_score(const cm_bevnet_config *cfg, const float *pred, const uint8_t *target, int64_t n,
                     cm_bevnet_scores *acc);

/* The held-out evaluation: the model on `frames` frames spread over `split`
 * (the test split for `cogmap eval`), and the same scores for the baseline
 * that predicts, for every frame, the training split's mean alpha and RGB
 * maps (over `baseline_frames` training frames spread evenly). `keep` (0..n)
 * frames of the evaluation, evenly spaced, are returned for a figure: rgb
 * [keep, image, image, 3], pred [keep, 4, out, out], target [keep, out, out,
 * 4] (each may be NULL when keep is 0). */
typedef struct cm_bevnet_eval {
    cm_bevnet_split split;
    int mazes;                 /* mazes of the split */
    cm_bevnet_scores model, baseline;
} cm_bevnet_eval;

CM_API cm_status cm_bevnet_evaluate(const cm_bevnet *m, const cm_bevnet_data *d, cm_bevnet_split split, int frames,
                             int baseline_frames, int keep, uint8_t *rgb, float *pred, uint8_t *target,
                             cm_bevnet_eval *out, cm_progress *progress);

/* ---------------------------------------------------------------- runs */

#define CM_BEVNET_RUN_FORMAT "cogmap bev run"
#define CM_BEVNET_MAX_DATA 16

/* Everything that defines a BEV run besides its seed's streams: the model's
 * configuration (preset + overrides) and the data (dataset folders, or none
 * for mazes generated from the seed). run.json stores every configuration
 * key as "key=value" in "sets" (a run must not change when a preset's
 * defaults do), the preset, the data folders and the seed. */
typedef struct cm_bevnet_run_config {
    cm_bevnet_config model;
    uint64_t seed;
    int n_data;
    char data[CM_BEVNET_MAX_DATA][1024];
} cm_bevnet_run_config;

/* The preset's configuration on generated mazes; CM_ERR_ARG for an unknown preset. */
CM_API cm_status cm_bevnet_run_config_init(cm_bevnet_run_config *c, const char *preset, uint64_t seed);
/* Adds a dataset folder; CM_ERR_ARG when too many or too long. */
CM_API cm_status cm_bevnet_run_config_add_data(cm_bevnet_run_config *c, const char *dir);
CM_API cm_status cm_bevnet_run_config_write(const cm_bevnet_run_config *c, const char *run);
CM_API cm_status cm_bevnet_run_config_read(cm_bevnet_run_config *c, const char *run);
/* 1 for the keys a resumed run may change (a new stage): lr, plateau_factor,
 * plateau_patience, clip, rgb_w, alpha_w, smooth_w, dropout, eval_frames. */
CM_API int cm_bevnet_run_key_can_change(const char *key_value);
/* run.json rewritten with the configuration as it now is, and {"step",
 * "sets"} appended to its "stages". */
CM_API cm_status cm_bevnet_run_config_restage(const cm_bevnet_run_config *c, const char *run, int64_t step,
                                       const char *const *sets, int n);
/* A new run's configuration: the preset's, each "key=value" of `sets`
 * (cm_bevnet_config_set), each dataset folder, then cm_bevnet_config_check. */
CM_API cm_status cm_bevnet_run_config_new(cm_bevnet_run_config *c, const char *preset, uint64_t seed,
                                          const char *const *sets, int n_sets, const char *const *data, int n_data);
/* 1 if run/run.json says "model": "bev". */
CM_API int cm_bevnet_is_run(const char *run);

/* ---------------------------------------------------------------- the job */

typedef struct cm_bevnet_job cm_bevnet_job; /* opaque */

/* A job for a run's configuration (checked): the model initialised from the
 * seed, its data opened (dataset folders, or mazes generated from the seed),
 * Adam at lr, ReduceLROnPlateau on the validation loss. */
CM_API cm_status cm_bevnet_job_create(const cm_bevnet_run_config *rc, cm_bevnet_job **out);
CM_API void cm_bevnet_job_free(cm_bevnet_job *j);
CM_API cm_bevnet *cm_bevnet_job_model(cm_bevnet_job *j);
CM_API const cm_bevnet_data *cm_bevnet_job_data(const cm_bevnet_job *j);
/* The current learning rate (after plateau cuts). */
CM_API double cm_bevnet_job_lr(const cm_bevnet_job *j);
/* A new stage's "key=value" (cm_bevnet_run_key_can_change) applied to the job. */
CM_API cm_status cm_bevnet_job_set(cm_bevnet_job *j, const char *key_value);
/* A resumed run's new stage at `step`: each "key=value" applied to the job and
 * to `c`, then cm_bevnet_run_config_restage into `run` (n == 0: nothing). */
CM_API cm_status cm_bevnet_job_stage(cm_bevnet_job *j, cm_bevnet_run_config *c, const char *run, int64_t step,
                                     const char *const *sets, int n);

/* The contract's job (run.h): gradient of a shard of step k's batch (frames
 * [shard B / n, (shard + 1) B / n), scaled by their share of the batch; the
 * BatchNorm statistics through the gradient block, bevnet.h), update
 * (running statistics, clipping, Adam), evaluation on cfg.eval_frames frames
 * spread over the validation split (metrics alpha_iou, eval_loss -- which
 * cm_bevnet_best_rank ranks for checkpoints/best --, alpha_accuracy,
 * rgb_mse_visible, lr; the
 * plateau schedule steps on eval_loss), save / load of model.safetensors,
 * config.json, optimizer.safetensors and job.json. */
extern const cm_train_job_ops cm_bevnet_job_ops;

/* The rank of a BEV evaluation for checkpoints/best (cm_train_config.rank,
 * lower is better; ctx unused): alpha_iou first, in steps of 1e-4, and among
 * equal ones the lower eval_loss -- so that while the model predicts no
 * opaque pixel yet (alpha_iou 0 at every evaluation) best follows the
 * validation loss, SSM-PC's own criterion (§6.4). Always below -alpha_iou
 * (the rank of runs that chose best by alpha_iou alone), so a resumed old
 * run moves to the new ranking at its next evaluation. NAN without both
 * metrics. */
CM_API double cm_bevnet_best_rank(void *ctx, const cm_metrics *m);

/* ------------------------------------------------- `cogmap eval` of a run */

/* The run's checkpoint `checkpoint` (a name under RUN/checkpoints: "best",
 * "step_00001500"; NULL: best, else the newest) on `frames` test frames spread
 * over the held-out test split, beside the mean-map baseline of
 * `baseline_frames` training frames: RUN/summary.json and
 * RUN/figures/bev_samples.png's data (`keep` frames, as cm_bevnet_evaluate
 * returns them; rgb, pred, target allocated here, cm_free them). */
typedef struct cm_bevnet_run_eval {
    cm_bevnet_eval eval;
    char checkpoint[4096];  /* the folder evaluated */
    int64_t step;           /* its training step (-1 unknown) */
    int keep;
    uint8_t *rgb, *target;
    float *pred;
    cm_bevnet_config model;
} cm_bevnet_run_eval;

CM_API cm_status cm_bevnet_eval_run(const char *run, const char *checkpoint, int frames, int baseline_frames, int keep,
                             cm_bevnet_run_eval *out, cm_progress *progress);
CM_API void cm_bevnet_run_eval_free(cm_bevnet_run_eval *e);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_BEVRUN_H */
