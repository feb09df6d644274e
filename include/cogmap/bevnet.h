/* cogmap/bevnet.h — SSM-PC's egocentric RGB -> bird's-eye-view predictor
 * (ssm-pc.md §6): a CNN encoder, row tokens with sinusoidal positions, a
 * Transformer encoder and decoder (fixed sinusoidal queries), a projection
 * to an 8x8 grid, a transposed-convolution upsampler and a sigmoid RGB +
 * alpha head resized bilinearly to the output window; its loss (§6.3), and
 * the samples it learns from (§3.2, §3.4).
 *
 * The model pattern of every cogmap model (MuJoCo's): an immutable model
 * (configuration + parameters, shareable by threads), a mutable state per
 * batch (every activation, allocated once), gradients accumulated into a
 * caller-owned block laid out like the parameters, and an optimiser kept
 * apart (cm_optim, nn.h).
 *
 * Parameters are PyTorch's state dict of SSM-PC's BEVPredictor, same names
 * and layouts (bev_generation/models/bev_net.py), in its order, without the
 * two fixed `pos_encoder.pe` buffers (recomputed) and the BatchNorm
 * `num_batches_tracked` counters (unused at momentum 0.1). The BatchNorm
 * running statistics ARE in the block: they are a checkpoint's buffers.
 * They receive no gradient; instead, a training-mode backward adds its batch
 * statistics into their slots of the gradient block (scaled like the
 * gradient), and cm_bevnet_update_running moves the running statistics
 * toward them. A sum of shard gradients (or an MPI all-reduce) thereby also
 * averages the shards' statistics, as the sum averages their gradients.
 *
 * Images: frames are uint8 RGB [n, image, image, 3], rows top to bottom (the
 * renderer's and PNG's layout); the model normalises them with ImageNet's
 * mean and std. Predictions are float [n, 4, out, out]: channels R, G, B,
 * alpha in [0, 1], alpha = P(visible free floor), egocentric (agent at the
 * centre facing up, §3.4). Targets are uint8 RGBA [n, out, out, 4].
 *
 * Geometry of the output: it covers the BEV pixels [125 - window/2,
 * 125 + window/2) of both axes of the rotated 250x250 BEV (16 px per grid
 * cell; the rotation centre (125, 125) is at output coordinate out/2, the
 * agent facing up = straight ahead), so one output pixel spans
 * window / (16 out) cells.
 */
#ifndef COGMAP_BEVNET_H
#define COGMAP_BEVNET_H

#include "cogmap/base.h"
#include "cogmap/mapping.h"
#include "cogmap/nn.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ configuration */

#define CM_BEVNET_ENC_BLOCKS 4 /* encoder conv blocks: image side / 16 = token grid */
#define CM_BEVNET_MAX_UP 6     /* upsampler blocks at most */

typedef struct cm_bevnet_config {
    char preset[32]; /* "bev" or "bev-small" (what the overrides started from) */
    /* architecture */
    int image;                              /* input side, pixels (64); a multiple of 16 */
    int enc_channels[CM_BEVNET_ENC_BLOCKS]; /* conv blocks (32, 64, 128, 256); the last is the width d */
    int heads;                              /* attention heads (8); divides d */
    int ff;                                 /* feed-forward width (2048) */
    int enc_layers, dec_layers;             /* Transformer layers (3, 3) */
    float dropout;                          /* Transformer dropout (0.1) */
    int grid;                               /* query grid side (8): grid^2 sinusoidal queries */
    int n_up;                               /* upsampler blocks (5): they reach grid * 2^n_up (256) */
    int up_channels[CM_BEVNET_MAX_UP];      /* their widths (128, 64, 32, 16, 8) */
    int out;                                /* predicted BEV side (250), bilinear from grid * 2^n_up */
    int window;                             /* BEV pixels the output covers, centred on the agent (250) */
    /* Where the target is centred (0, SSM-PC's): 0 the agent cell's corner,
     * as SSM-PC draws its BEVs, so that the target moves by up to a cell
     * against what the camera sees as the agent moves within its cell;
     * 1 the agent's own position: the floor exactly as seen (docs/mapping.md). */
    int anchor_pose;
    float bn_momentum, bn_eps;              /* BatchNorm (0.1, 1e-5) */
    /* loss (§6.3): alpha BCE + rgb_w * masked RGB MSE + smooth_w * alpha TV */
    float alpha_w, rgb_w, smooth_w; /* 1, 0.5, 0.1 */
    /* training (§6.4) */
    int batch;              /* frames per step (32) */
    double lr;              /* Adam (3e-4, default betas, no decay) */
    double plateau_factor;  /* ReduceLROnPlateau on the evaluation loss (0.5) */
    int plateau_patience;   /* evaluations without improvement before a cut (3) */
    double clip;            /* global gradient-norm clip (0: none, as SSM-PC) */
    /* data generated from maze seeds (ignored with dataset folders) */
    int maze_size;          /* 15 */
    int train_mazes;        /* distinct training mazes (1000) */
    int maze_steps;         /* exploration steps recorded per maze (500, SSM-PC's reset_steps) */
    float fov;              /* BEV visibility cone, degrees (75, SSM-PC's collector) */
    float policy_noise;     /* exploring policy's random-action probability (0.1) */
    int eval_frames;        /* held-out frames per periodic evaluation (256) */
} cm_bevnet_config;

/* Presets:
 *   "bev"        SSM-PC's BEVPredictor exactly: 10,032,652 parameters, 64x64 in,
 *                250x250 out covering the whole 250-px BEV.
 *   "bev-small"  the same structure, narrower, with a smaller output
 *                window, so that it learns on 2 cores in minutes (its sizes:
 *                docs/mapping.md, "BEV predictor").
 * CM_ERR_ARG for an unknown name, listing the known ones. */
CM_API cm_status cm_bevnet_preset(const char *name, cm_bevnet_config *cfg);
CM_API const char *cm_bevnet_preset_names(void); /* "bev, bev-small" */
/* CM_ERR_ARG naming the first bad field. */
CM_API cm_status cm_bevnet_config_check(const cm_bevnet_config *cfg);
/* One "key=value" override; keys are the field names above, arrays as
 * comma lists ("up_channels=64,32,16"). CM_ERR_ARG naming the key. */
CM_API cm_status cm_bevnet_config_set(cm_bevnet_config *cfg, const char *key_value);
/* The configuration as a JSON object (every field) and back; reading starts
 * from the preset named in it and applies every field present. */
CM_API struct cJSON *cm_bevnet_config_to_json(const cm_bevnet_config *cfg);
CM_API cm_status cm_bevnet_config_from_json(const struct cJSON *obj, const char *file, cm_bevnet_config *cfg);

/* ------------------------------------------------------------------ model */

typedef struct cm_bevnet cm_bevnet; /* opaque: configuration + parameters */

/* Allocates and initialises as PyTorch does (Conv/Linear: U(+-1/sqrt(fan_in));
 * attention in-projections Xavier-uniform, their biases 0; norms 1 and 0;
 * running statistics 0 and 1), from `seed` alone. As in PyTorch, the layers
 * of each Transformer stack start as copies of their first layer. */
CM_API cm_status cm_bevnet_create(const cm_bevnet_config *cfg, uint64_t seed, cm_bevnet **out);
CM_API void cm_bevnet_free(cm_bevnet *m);
CM_API const cm_bevnet_config *cm_bevnet_get_config(const cm_bevnet *m);
/* The named tensors; params->params is the parameter block (params->total floats). */
CM_API cm_params *cm_bevnet_params(cm_bevnet *m);
/* Trainable parameters (10,032,652 for "bev"): running statistics excluded. */
CM_API size_t cm_bevnet_n_trainable(const cm_bevnet *m);
/* 1 if tensor `index` of the store is a BatchNorm running statistic. */
CM_API int cm_bevnet_is_running_stat(const cm_bevnet *m, int index);

/* Checkpoint folder: model.safetensors (the state dict) + config.json. */
CM_API cm_status cm_bevnet_save(const cm_bevnet *m, const char *dir);
/* Loads a checkpoint folder (config.json + model.safetensors), or a run
 * folder (its best checkpoint, else its newest). */
CM_API cm_status cm_bevnet_load(const char *path, cm_bevnet **out);
/* Reads a state dict (safetensors, e.g. SSM-PC's best_model.pth converted by
 * scripts/pth-to-safetensors) into the model. Every tensor of the model must
 * be present, F32 (F64 is converted), with its shape; besides them only the
 * pos_encoder.pe buffers and num_batches_tracked counters may appear (an
 * optional "model." prefix of every name, as DataParallel writes, is
 * accepted). Anything else -- a missing, misshaped or unknown tensor -- is
 * CM_ERR_FORMAT naming the file and the first offending tensor, and nothing
 * is loaded. */
CM_API cm_status cm_bevnet_load_state_dict(cm_bevnet *m, const char *path);

/* ------------------------------------------------------------------ state */

typedef struct cm_bevnet_state cm_bevnet_state; /* opaque: activations of one batch */

/* `batch` frames at most per forward. train != 0: a training state, whose
 * forward (either mode) runs the engine's reference layers and keeps what
 * backward needs. train == 0: an inference state (evaluation-mode forward
 * only, many times smaller), whose forward is the inference path
 * (src/models/bevnet_infer.c: channel-major images, BatchNorm folded into
 * the convolutions, cm_sgemm everywhere): the same function, other rounding
 * (within 1e-5 of the reference, test_models_bevnet). */
CM_API cm_status cm_bevnet_state_create(const cm_bevnet *m, int batch, int train, cm_bevnet_state **out);
CM_API void cm_bevnet_state_free(cm_bevnet_state *s);
/* Bytes the state holds (activations and workspace). */
CM_API size_t cm_bevnet_state_bytes(const cm_bevnet_state *s);

typedef struct cm_bevnet_batch {
    int n;                 /* frames, 1..the state's batch */
    const uint8_t *rgb;    /* [n, image, image, 3] */
    const uint8_t *target; /* [n, out, out, 4] RGBA; NULL: no loss */
    /* backward's gradient is grad_scale * d(mean loss over these n frames):
     * 1 for a whole batch, n / N for a shard of n frames of a batch of N. */
    float grad_scale;
} cm_bevnet_batch;

/* Forward pass and, with a target, the loss (*loss, may be NULL). rng != NULL:
 * training mode (BatchNorm normalises by the batch's statistics, dropout
 * masks drawn from rng; a training state only, else CM_ERR_ARG); rng == NULL:
 * evaluation (running statistics, no dropout). The model is not written. */
CM_API cm_status cm_bevnet_forward(const cm_bevnet *m, cm_bevnet_state *s, const cm_bevnet_batch *b, cm_rng *rng,
                            double *loss);
/* The last forward's prediction [n, 4, out, out] (R, G, B, alpha). */
CM_API const float *cm_bevnet_output(const cm_bevnet_state *s);
/* The last forward's loss terms (means as §6.3 defines them). */
CM_API void cm_bevnet_loss_terms(const cm_bevnet_state *s, double *alpha_bce, double *rgb_mse, double *smooth);
/* Backward of the last forward's loss (a training state, a target given),
 * ACCUMULATED into grad (a block of cm_bevnet_params(m)->total floats laid out
 * like the parameters), times the batch's grad_scale; in training mode the
 * batch statistics, times grad_scale, are added to the running-statistic
 * slots (see the top of this file). */
CM_API cm_status cm_bevnet_backward(const cm_bevnet *m, cm_bevnet_state *s, float *grad);
/* running = (1 - momentum) running + momentum * grad's statistic slots, which
 * are then zeroed (so that an optimiser step over the whole block leaves the
 * running statistics alone: Adam's update of a gradient that is always 0 is 0). */
CM_API void cm_bevnet_update_running(cm_bevnet *m, float *grad);

/* Evaluation-mode prediction of n frames (any n: in chunks of the state's
 * batch): out [n, 4, out, out]. */
CM_API cm_status cm_bevnet_predict(const cm_bevnet *m, cm_bevnet_state *s, const uint8_t *rgb, int n, float *out);

/* ------------------------------------------------------------------- data */

/* A training sample's target: the world-aligned 250x250 RGBA BEV (§3.4, as
 * cm_bev_draw draws it around the agent's cell and SSM-PC's bev_views/ store
 * it) rotated so that the agent faces up (cm_bev_rotate), then its central
 * `window` x `window` pixels (with anchor_pose, the window centred on the
 * agent's position instead, to the nearest BEV pixel: 1/16 cell) resampled
 * to out x out by area averaging: target [out, out, 4]. `work` holds
 * 250*250*4 bytes. */
CM_API void cm_bevnet_target(const cm_bevnet_config *cfg, const uint8_t *bev_rgba, cm_pose pose, uint8_t *work,
                      uint8_t *target);
/* The egocentric frame of the model's output, for fusing it into a map
 * (mapping.h): out x out pixels, window / out BEV pixels each, the pivot at
 * the centre, anchored as the model's targets are. */
CM_API void cm_bevnet_frame(const cm_bevnet_config *cfg, cm_bev_frame *frame);

typedef enum cm_bevnet_split { CM_BEVNET_TRAIN = 0, CM_BEVNET_VAL = 1, CM_BEVNET_TEST = 2 } cm_bevnet_split;

/* Where samples come from: SSM-PC dataset folders, or mazes generated from
 * seeds. Either way sample `index` of a split is a pure function of (seed,
 * split, index), and the training batch of step k a pure function of (seed,
 * k), so that a resumed run sees exactly the data it would have seen. */
typedef struct cm_bevnet_data cm_bevnet_data; /* opaque */

/* Dataset folders (§3.2, either frame_info schema): each path is a maze
 * folder (it has frame_info.json) or a folder of them, one or two levels down
 * (SSM-PC's DATA_ROOT, whose D-folders hold maze folders). The maze folders, sorted, are shuffled as
 * numpy's RandomState(42).shuffle does and split 70/15/15 (§6.4). Every frame
 * is checked when opening: its fps_views image 64x64 RGB(A), its bev_views
 * image 250x250 RGBA; a missing or wrong one is CM_ERR_FORMAT naming the file
 * and the frame. Fewer than 3 maze folders (no held-out split) is CM_ERR_ARG;
 * with fewer than 7 the validation split is empty and the test mazes stand in
 * for it. */
CM_API cm_status cm_bevnet_data_open_folders(const cm_bevnet_config *cfg, const char *const *paths, int n_paths,
                                      uint64_t seed, cm_bevnet_data **out);
/* Frames generated on the fly: maze k of a split is generated from a seed no
 * other split uses (training mazes 3k, validation 3k + 1, test 3k + 2, offset
 * by the run's seed), explored for maze_steps steps by the world's exploring
 * policy; a frame is the renderer's 64x64 view with the target-colour border
 * and its target is cm_bev_visible / cm_bev_draw / cm_bevnet_target at that
 * pose. Training uses cfg->train_mazes mazes; validation and test each
 * max(8, train_mazes / 8). */
CM_API cm_status cm_bevnet_data_open_mazes(const cm_bevnet_config *cfg, uint64_t seed, cm_bevnet_data **out);
CM_API void cm_bevnet_data_free(cm_bevnet_data *d);

/* Frames in a split; and the maze folders (or generated mazes) behind it. */
CM_API int64_t cm_bevnet_data_frames(const cm_bevnet_data *d, cm_bevnet_split split);
CM_API int cm_bevnet_data_mazes(const cm_bevnet_data *d, cm_bevnet_split split);
/* Sample `index` (0 <= index < frames) of a split: rgb [image, image, 3],
 * target [out, out, 4]; pose (may be NULL) gets the agent's pose. Thread-safe. */
CM_API cm_status cm_bevnet_data_sample(const cm_bevnet_data *d, cm_bevnet_split split, int64_t index, uint8_t *rgb,
                                uint8_t *target, cm_pose *pose);
/* The training batch of step `step`: n samples of an epoch-wise shuffled
 * order (each epoch a fresh permutation of the training frames), written to
 * rgb [n, image, image, 3] and target [n, out, out, 4]; `first` skips into
 * the batch (a shard of frames first .. first + n - 1). Samples are made in
 * parallel (OpenMP). */
CM_API cm_status cm_bevnet_data_train_batch(const cm_bevnet_data *d, int64_t step, int batch, int first, int n,
                                     uint8_t *rgb, uint8_t *target);
/* n samples of a split spread evenly over it (index i * frames / n), in
 * parallel: the fixed evaluation set of that split. */
CM_API cm_status cm_bevnet_data_spread(const cm_bevnet_data *d, cm_bevnet_split split, int n, uint8_t *rgb,
                                uint8_t *target);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_BEVNET_H */
