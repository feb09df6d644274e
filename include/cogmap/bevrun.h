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
void cm_bevnet_score(const cm_bevnet_config *cfg, const float *pred, const uint8_t *target, int64_t n,
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

cm_status cm_bevnet_evaluate(const cm_bevnet *m, const cm_bevnet_data *d, cm_bevnet_split split, int frames,
                             int baseline_frames, int keep, uint8_t *rgb, float *pred, uint8_t *target,
                             cm_bevnet_eval *out, cm_progress *progress);

/* ---------------------------------------------------------------- the job */

typedef struct cm_bevnet_job cm_bevnet_job; /* opaque */

/* A job for `cfg` (checked) on dataset folders data[0..n_data) or, with
 * n_data = 0, on mazes generated from the seed; the model initialised from
 * `seed`, Adam at cfg->lr, ReduceLROnPlateau on the evaluation loss. */
cm_status cm_bevnet_job_create(const cm_bevnet_config *cfg, const char *const *data, int n_data, uint64_t seed,
                               cm_bevnet_job **out);
void cm_bevnet_job_free(cm_bevnet_job *j);
cm_bevnet *cm_bevnet_job_model(cm_bevnet_job *j);
const cm_bevnet_data *cm_bevnet_job_data(const cm_bevnet_job *j);
/* The current learning rate (after plateau cuts). */
double cm_bevnet_job_lr(const cm_bevnet_job *j);
/* Applies a "key=value" override of the training settings between stages
 * (lr, plateau_factor, plateau_patience, clip, rgb_w, alpha_w, smooth_w,
 * dropout, eval_frames); architecture and data keys are CM_ERR_ARG. */
cm_status cm_bevnet_job_set(cm_bevnet_job *j, const char *key_value);

/* The contract's job operations (void *job is a cm_bevnet_job). */
size_t cm_bevnet_job_n_params(void *job);
float *cm_bevnet_job_params(void *job);
float *cm_bevnet_job_grads(void *job);
/* Shard `shard` of n_shards of step `step`'s batch: frames [shard B / n,
 * (shard + 1) B / n); ACCUMULATES (n_k / B) d(loss) into grads; loss_sum =
 * the shard's mean loss x n_k, weight = n_k. */
cm_status cm_bevnet_job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum,
                                 double *weight);
/* BatchNorm running statistics from the gradient block, clipping (cfg.clip),
 * Adam; then zeroes the gradient block. */
cm_status cm_bevnet_job_update(void *job, int64_t step);
/* The model on the validation split's cfg.eval_frames frames: loss,
 * alpha_iou, alpha_accuracy, rgb_mse_visible; the plateau schedule steps on
 * the loss. names[k] / values[k], k < *count (at most 8); higher_is_better[k]. */
cm_status cm_bevnet_job_evaluate(void *job, int64_t step, const char **names, double *values, int *higher_is_better,
                                 int *count);
cm_status cm_bevnet_job_save(void *job, const char *dir);
cm_status cm_bevnet_job_load(void *job, const char *dir);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_BEVRUN_H */
