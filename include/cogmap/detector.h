/* cogmap/detector.h — SSM-PC's target detector (ssm-pc.md §7), trained from
 * scratch: which of the maze's coloured targets a 64x64 frame shows, and
 * where each visible one is relative to the agent.
 *
 * Network (tensor names are SSM-PC's TargetDetector state-dict names, so a
 * converted checkpoint of theirs loads):
 *   feature_extractor.backbone    torchvision ResNet18 conv1 .. layer3 with
 *                                 base width w (64): 0 conv 7x7/2 (no bias),
 *                                 1 bn1, ReLU, maxpool 3/2, then 4, 5, 6 =
 *                                 layer1..3 of `blocks` BasicBlocks (conv3x3,
 *                                 BN, ReLU, conv3x3, BN, + identity or the
 *                                 1x1/2 conv + BN "downsample", ReLU) of w, 2w,
 *                                 4w channels; 64x64 -> [B, 4w, 4, 4]
 *   feature_extractor.spatial_conv  1x1 conv 4w->2w + BN + ReLU, 3x3 conv 2w->w
 *                                 + BN + ReLU: S [B, w, 4, 4]
 *   visibility_predictor          mean of S over the 16 cells ++ [cos t, sin t]
 *                                 -> Linear(w+2, hidden), LayerNorm, ReLU,
 *                                 Dropout, Linear(hidden, K), sigmoid: v [B, K]
 *   position_predictor.shared_attention  1x1 conv w->w/2 + BN + ReLU, 1x1 conv
 *                                 w/2->K; softmax over the 16 cells per target: A
 *   position_predictor.position_decoder  per target k, mean_hw(S * A_k) ++
 *                                 [cos t, sin t] -> Linear(w+2, hidden), LayerNorm,
 *                                 ReLU, Dropout, Linear(hidden, 2); times v_k:
 *                                 the relative position p (cm_ssmpc_relative:
 *                                 units of maze_size/2 cells, agent frame)
 * Loss (TargetDetectionLoss): BCE(v, v*) + 2 [SmoothL1(p, p*) + 0.2 mean(1 -
 * cos(p, p*))] over the visible targets (v* > 0.5) + 0.5 [mean_{b,k}
 * sum_hw A (1 - v*) + 0.1 mean_{b,k} entropy(A)].
 *
 * The model follows cogmap's model pattern (docs/contract): an immutable
 * cm_detector (configuration + one parameter block in PyTorch names and
 * layouts; BatchNorm running statistics are tensors of the block with zero
 * gradient), a cm_detector_state per batch (activations, allocated once),
 * forward/backward that never allocate, backward accumulating into a
 * caller's gradient block laid out like the parameter block. Training-mode
 * BatchNorm uses the batch's statistics. The running statistics receive no
 * gradient; instead a training backward adds its batch statistics (mean,
 * unbiased variance), times the batch's grad_scale, into their slots of the
 * gradient block, and cm_detector_update_running moves the running
 * statistics toward them: summing shards' gradient blocks (or an MPI
 * all-reduce) thereby averages the shards' statistics as it does their
 * gradients, and a forward never writes the model.
 */
#ifndef COGMAP_DETECTOR_H
#define COGMAP_DETECTOR_H

#include "cogmap/mapping.h"
#include "cogmap/nn.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CM_DETECTOR_IMAGE 64       /* input frames are 64 x 64 RGB */
#define CM_DETECTOR_MAX_OBJECTS 16

typedef struct cm_detector_config {
    char preset[32];
    /* shapes */
    int width;          /* ResNet base width w (64); layers w, 2w, 4w */
    int blocks;         /* BasicBlocks per layer (2, ResNet18) */
    int objects;        /* K targets (6) */
    int hidden;         /* hidden units of both heads (64) */
    int maze_size;      /* relative positions are in units of maze_size/2 cells (15) */
    float dropout;      /* in both heads (0.2) */
    float bn_momentum;  /* BatchNorm running statistics (0.1) */
    /* loss */
    float vis_weight, pos_weight, att_weight; /* 1, 2, 0.5 */
    float dir_weight;   /* direction term inside the position loss (0.2) */
    float entropy_weight; /* entropy term inside the attention loss (0.1) */
    /* training */
    int batch;          /* 32 */
    double lr;          /* Adam (3e-4) */
    float plateau_factor;   /* ReduceLROnPlateau on the evaluation loss (0.5) */
    int plateau_patience;   /* evaluations (5) */
} cm_detector_config;

/* "detector": SSM-PC's (w 64, 2,901,550 parameters); "detector-small": the
 * same structure at w 16 and hidden 32, which trains on 2 cores in minutes. */
CM_API cm_status cm_detector_preset(const char *name, cm_detector_config *cfg);
CM_API const char *cm_detector_preset_names(void);
CM_API cm_status cm_detector_config_check(const cm_detector_config *cfg); /* CM_ERR_ARG naming the field */
/* "key=value" for every field above but preset (docs/cli.md lists them). */
CM_API cm_status cm_detector_config_set(cm_detector_config *cfg, const char *key_value);
/* Every field but preset as "key=value" into buf[0..max), in an order
 * cm_detector_config_set replays exactly (%.9g numbers); returns the count. */
CM_API int cm_detector_config_list(const cm_detector_config *cfg, char (*buf)[64], int max);

typedef struct cm_detector cm_detector;
typedef struct cm_detector_state cm_detector_state;

/* Builds the network and draws its initial weights from `seed` the way
 * PyTorch initialises a fresh model (torchvision's kaiming_normal fan_out for
 * the ResNet convolutions, nn defaults elsewhere; BN weight 1, bias 0,
 * running mean 0, variance 1). */
CM_API cm_status cm_detector_create(const cm_detector_config *cfg, uint64_t seed, cm_detector **out);
CM_API void cm_detector_free(cm_detector *m);
CM_API const cm_detector_config *cm_detector_get_config(const cm_detector *m);
/* The parameter block (PyTorch names; running statistics included). The
 * gradient block a caller passes to backward has params->total floats. */
CM_API cm_params *cm_detector_params(cm_detector *m);
CM_API const cm_params *cm_detector_params_const(const cm_detector *m);
/* Trainable parameters (running statistics left out): 2,901,550 for "detector". */
CM_API size_t cm_detector_n_trainable(const cm_detector *m);

CM_API cm_status cm_detector_state_create(const cm_detector *m, int batch, cm_detector_state **out);
CM_API void cm_detector_state_free(cm_detector_state *s);
CM_API int cm_detector_state_batch(const cm_detector_state *s);

/* One batch; caller-owned. Targets may be NULL for inference (loss not computed). */
typedef struct cm_detector_batch {
    int batch;              /* B <= the state's batch */
    const float *image;     /* [B, 3, 64, 64], ImageNet-normalised (cm_detector_image) */
    const float *angle;     /* [B, 2]: cos theta, sin theta */
    const float *visible;   /* [B, K]: 1 visible, 0 not (may be NULL) */
    const float *position;  /* [B, K, 2]: relative positions, used where visible (may be NULL) */
    /* backward's gradient is grad_scale x d(loss of these B frames): 1 (or 0,
     * read as 1) for a whole batch, B / N for a shard of B frames of N. */
    float grad_scale;
} cm_detector_batch;

/* A 64x64 RGB frame (rows top to bottom, HWC bytes) as the network's input:
 * /255, ImageNet mean/std, CHW. */
CM_API void cm_detector_image(const uint8_t *rgb, float *out);

/* Forward (+ loss when the batch has targets). rng != NULL: training
 * (dropout from rng, BatchNorm on batch statistics); NULL: evaluation. */
CM_API cm_status cm_detector_forward(const cm_detector *m, cm_detector_state *s, const cm_detector_batch *b, cm_rng *rng,
                              double *loss);
/* Backward of the last training-mode forward's loss, times grad_scale,
 * ACCUMULATED into grad (params->total floats, laid out as the parameter
 * block); the batch statistics, times grad_scale, are added to the
 * running-statistic slots (see the top of this file). */
CM_API cm_status cm_detector_backward(const cm_detector *m, cm_detector_state *s, float *grad);
/* running = (1 - momentum) running + momentum x grad's statistic slots (PyTorch's
 * update, with the unbiased variance), which are then zeroed so that an
 * optimiser step over the whole block leaves the running statistics alone
 * (Adam's update of a gradient that is always 0 is 0). */
CM_API void cm_detector_update_running(cm_detector *m, float *grad);

/* Outputs of the last forward, [B, K], [B, K, 2], [B, K, 16] (state-owned). */
CM_API const float *cm_detector_visibility(const cm_detector_state *s);
CM_API const float *cm_detector_positions(const cm_detector_state *s);
CM_API const float *cm_detector_attention(const cm_detector_state *s);
/* Where the last forward puts target k of frame b (relative units): the
 * position output divided by the visibility. SSM-PC multiplies the head's
 * estimate by the visibility (the loss is on that product), which pulls a
 * target the detector is unsure of toward the agent: at visibility 0.2 a
 * target 4 cells away would be placed 0.8 cells away. A map places targets
 * with this instead (the output itself where the visibility is 0). */
CM_API void cm_detector_place(const cm_detector *m, const cm_detector_state *s, int b, int k, float out[2]);
/* The last loss's terms: visibility, position, attention (unweighted). */
CM_API void cm_detector_loss_terms(const cm_detector_state *s, double terms[3]);

/* Checkpoint folder: model.safetensors (PyTorch names), config.json. The
 * optimiser's buffers are the trainer's. */
CM_API cm_status cm_detector_save(const cm_detector *m, const char *dir);
/* A model from DIR/config.json + DIR/model.safetensors. */
CM_API cm_status cm_detector_load(const char *dir, cm_detector **out);
/* Weights from a safetensors file (e.g. SSM-PC's, converted by
 * scripts/pth-to-safetensors) into a model of the same shapes: every tensor
 * checked by name and shape first (the first missing or misshapen one named,
 * nothing loaded); the file's num_batches_tracked counters are ignored, any
 * other extra tensor refused. */
CM_API cm_status cm_detector_load_weights(cm_detector *m, const char *path);

/* ------------------------------------------------------------------ data */

/* What a frame teaches: which targets it shows and where. A target is
 * visible when its cell is visible from the pose (cm_bev_visible with the
 * collector's cone, SSM-PC's visible_targets); its position is
 * cm_ssmpc_relative of its centre (0 for invisible ones). */
typedef struct cm_detector_data_config {
    int maze_size;      /* 15 */
    int objects;        /* targets per frame (the model's K, 6) */
    int train_mazes;    /* distinct training mazes (500) */
    int eval_mazes;     /* held-out mazes of each of the validation and test splits (32) */
    int maze_steps;     /* frames recorded along each maze's exploration (500, SSM-PC's reset_steps) */
    float fov;          /* visibility cone of the labels, degrees (75, the collector's) */
    float policy_noise; /* the exploring policy's random-action probability (0.1) */
} cm_detector_data_config;
CM_API void cm_detector_data_config_default(cm_detector_data_config *c);

typedef enum cm_detector_split { CM_DETECTOR_TRAIN = 0, CM_DETECTOR_VAL = 1, CM_DETECTOR_TEST = 2 } cm_detector_split;

/* Where frames come from. Either way sample `index` of a split is a pure
 * function of (seed, split, index), and the training batch of step k a pure
 * function of (seed, k): an epoch-wise shuffled order of the training
 * frames (each epoch its own permutation), so a resumed run sees exactly
 * the data it would have seen. Sampling is for one thread at a time. */
typedef struct cm_detector_data cm_detector_data; /* opaque */

/* Frames generated from maze seeds: maze k of a split is generated from a
 * seed no other split uses (split s, maze k: seed stream 3k + s of the run's
 * seed) and explored for maze_steps steps by the world's exploring policy
 * (cm_maze_policy); frame t is the renderer's 64x64 view at step t, targets
 * drawn and the requested target's border on. The held-out mazes are never
 * seen in training. */
CM_API cm_status cm_detector_data_open_mazes(const cm_detector_data_config *c, uint64_t seed, cm_detector_data **out);
/* SSM-PC dataset folders (either frame_info schema; cogmap maze --out writes
 * them): each path is a maze folder (it has frame_info.json) or a folder of
 * them, one or two levels down. The maze folders, sorted, are shuffled as
 * numpy's RandomState(42).shuffle does and split 70/15/15 (ssm-pc.md §6.4).
 * Every frame is checked when opening (its fps_views image exists and is
 * 64x64 RGB or RGBA; its visible targets are objects of env_config.json): the
 * first bad one is CM_ERR_FORMAT naming the file and the frame. Fewer than 3
 * maze folders (no held-out split) is CM_ERR_ARG. */
CM_API cm_status cm_detector_data_open_folders(const cm_detector_data_config *c, const char *const *paths, int n_paths,
                                        uint64_t seed, cm_detector_data **out);
CM_API void cm_detector_data_free(cm_detector_data *d);
CM_API int64_t cm_detector_data_frames(const cm_detector_data *d, cm_detector_split split);
CM_API int cm_detector_data_mazes(const cm_detector_data *d, cm_detector_split split);
/* Maze folder i (0 .. mazes - 1) of a split, for data from folders (NULL otherwise). */
CM_API const char *cm_detector_data_folder(const cm_detector_data *d, cm_detector_split split, int i);

/* Sample `index` of a split: rgb [64, 64, 3] (may be NULL), the pose (may be
 * NULL), visible [objects] (1/0) and position [objects, 2]. */
CM_API cm_status cm_detector_data_sample(cm_detector_data *d, cm_detector_split split, int64_t index, uint8_t *rgb,
                                  cm_pose *pose, float *visible, float *position);
/* Samples first .. first + n - 1 of the training batch of step `step` (of
 * `batch` frames) as network inputs: image [n, 3, 64, 64] (cm_detector_image),
 * angle [n, 2], visible [n, objects], position [n, objects, 2]. */
CM_API cm_status cm_detector_data_train_batch(cm_detector_data *d, int64_t step, int batch, int first, int n, float *image,
                                       float *angle, float *visible, float *position);
/* Samples of a split as network inputs: the i-th of `total` spread evenly
 * over it (index i * frames / total), for i = first .. first + n - 1: the
 * fixed evaluation set of that split. */
CM_API cm_status cm_detector_data_spread(cm_detector_data *d, cm_detector_split split, int64_t total, int64_t first, int n,
                                  float *image, float *angle, float *visible, float *position);

/* ------------------------------------------------------------ evaluation */

/* scikit-learn's average_precision_score for binary labels: scores sorted
 * descending, ties grouped at each distinct threshold, AP = sum over
 * thresholds of (recall_n - recall_{n-1}) * precision_n. NaN when there is
 * no positive label. */
CM_API double cm_average_precision(const float *scores, const float *labels, size_t n);

/* Precision and recall of "score > threshold" (a detection fires) against
 * binary labels; NaN where undefined (nothing fires: precision; no positive
 * label: recall). */
CM_API void cm_detector_precision_recall(const float *scores, const float *labels, size_t n, double threshold,
                                         double *precision, double *recall);
/* The threshold t whose "score > t" has the highest F1 against the labels
 * (the earliest, i.e. highest, threshold on ties), placed midway between the
 * lowest score that fires and the next lower one; its F1 in *f1. NaN when
 * there is no positive label. SSM-PC draws at a fixed 0.7, which a detector
 * trained from scratch may never reach: this is the threshold to calibrate
 * on held-out frames instead. */
CM_API double cm_detector_threshold_f1(const float *scores, const float *labels, size_t n, double *f1);

typedef struct cm_detector_metrics {
    double visibility_ap;    /* over all (frame, target) pairs */
    double position_error;   /* mean distance of visible targets' predicted to true positions, cells */
    double visibility_accuracy; /* v > 0.5 agrees with the label */
    double loss;             /* mean loss */
    int64_t frames, visible;
} cm_detector_metrics;

/* Metrics of predictions: vis [n, K], pos [n, K, 2] against labels [n, K],
 * true positions [n, K, 2] (relative units; errors are reported in cells,
 * times maze_size/2). */
CM_API void cm_detector_score(const float *vis, const float *pos, const float *labels, const float *true_pos, int64_t n,
                       int objects, int maze_size, cm_detector_metrics *out);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_DETECTOR_H */
