/* cogmap/models.h — trainable models built on the nn engine.
 *
 * Path-integration networks (grid cells): one configurable network covering
 *   ssmpc         SSM-PC's GridCellNetwork (ssm-pc.md §4.2-4.4): [vx, vy, w] ->
 *                 LSTM 128 (h0, c0 = Linear(268 -> 128) of the initial place+HD
 *                 codes) -> Linear 256 without bias -> dropout 0.5 -> 256 place
 *                 + 12 HD read-outs; InitialStateRegularizedLoss; RMSprop lr 1e-3,
 *                 momentum 0.9, weight decay 1e-4; global-norm clip 1; batch 32 x 100.
 *   banino        Banino et al. 2018 (grid-cells.md §1.2-1.4): the same shapes,
 *                 batch 10, cross-entropy place + HD averaged over batch and time,
 *                 TF1 RMSProp (lr 1e-5, decay 0.9, momentum 0.9, eps 1e-10, ms = 1),
 *                 every gradient clipped element-wise to +-1e-5, read-outs
 *                 initialised from a truncated normal with sd 1/sqrt(256).
 *   sorscher      Sorscher et al. (grid-cells.md §2.1-2.3): h0 = Linear(Np -> Ng,
 *   sorscher-512  no bias)(initial place code), ReLU RNN without biases over
 *                 2-d velocities, decoder Linear(Ng -> Np, no bias), softmax
 *                 cross-entropy against (DoG) place targets averaged over batch
 *                 and time + 1e-4 * sum W_hh^2; Adam lr 1e-4; batch 200 x 20;
 *                 Ng 4096 (512 for sorscher-512), Np 512.
 *
 * Buffers the caller passes are BATCH-MAJOR, as the datasets are: velocities
 * [B, T, I], per-step targets [B, T, C], initial targets [B, C]. The target
 * codes (cells module) are the caller's; the model does not care how they
 * were made (softmax place cells, DoG, von Mises HD cells).
 *
 * Tensor names are PyTorch state-dict names: SSM-PC's GridCellNetwork for the
 * LSTM presets (lstm.weight_ih_l0, bottleneck.0.weight, place_predictor.*,
 * hd_predictor.*, h0_init.*, c0_init.*, and ssmpc's unused init_fc.*), and
 * Sorscher's RNN model for the RNN presets (encoder.weight, RNN.weight_ih_l0,
 * RNN.weight_hh_l0, decoder.weight).
 */
#ifndef COGMAP_MODELS_H
#define COGMAP_MODELS_H

#include "cogmap/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------- path-integration networks */

typedef enum cm_pathint_cell { CM_PATHINT_LSTM = 0, CM_PATHINT_RNN = 1 } cm_pathint_cell;

typedef enum cm_pathint_loss {
    CM_PATHINT_LOSS_SSMPC = 0, /* SSM-PC's InitialStateRegularizedLoss (KL, weighted frames, init, continuity) */
    CM_PATHINT_LOSS_XENT = 1,  /* softmax cross-entropy place (+ HD), mean over batch and time */
    /* Sorscher et al. 2019's theory: the squared error of the linear place
     * read-out against the cells' tuning curves (cells.h `tuning`), summed
     * over cells; HD by cross-entropy; mean over batch and time. */
    CM_PATHINT_LOSS_MSE = 2
} cm_pathint_loss;

typedef struct cm_pathint_config {
    char preset[32];          /* informative: the preset this started from */
    /* shapes */
    cm_pathint_cell cell;
    cm_activation rnn_activation; /* RNN cell: relu (Sorscher) or tanh */
    int rnn_bias;                 /* RNN cell: PyTorch's two biases (Sorscher: 0) */
    int input_size;               /* 3 ([vx, vy, w] or [v dt, cos, sin]) or 2 (Sorscher) */
    int hidden;                   /* recurrent units */
    int bottleneck;               /* linear bottleneck units; 0 = read out from the hidden state */
    int bottleneck_bias;
    int bottleneck_relu;          /* 1: z = relu(W h) before dropout (non-negative units, Sorscher
                                   * et al. 2019); 0: linear, as SSM-PC and Banino */
    float dropout;                /* drop probability on the bottleneck (training only) */
    int n_place, n_hd;            /* read-out sizes; n_hd 0 = no HD read-out */
    int readout_bias;
    int init_bias;                /* biases of the h0/c0 initial-state layers */
    int unused_init_fc;           /* keep SSM-PC's defined-but-unused init_fc in the state dict */
    int readout_truncnormal;      /* Banino: read-outs from a truncated normal, sd 1/sqrt(fan_in) */
    int batch, seq_len;           /* shapes the activations are allocated for */
    /* loss */
    cm_pathint_loss loss;
    float frame0_weight;          /* SSM-PC: w_0 = 10 */
    float initial_frames_weight;  /* SSM-PC: w_t = 5 * decay^(t-1) for t = 1..initial_frames-1 */
    float decay_factor;           /* 0.8 */
    int initial_frames;           /* 5: frames 0..4 are weighted, w_t = 1 after */
    float init_loss_weight;       /* L_init = 2 KL(a_0 || P_0) */
    float continuity_weight;      /* 0.1 * L_cont */
    int continuity_frames;        /* L_cont over t = 1..5 */
    float continuity_step;        /* weights 1 - 0.15 (t - 1) */
    float l2_recurrent;           /* Sorscher: loss += wd * sum W_hh^2 */
    /* training */
    cm_optim_config optim;
    float clip_norm;              /* global L2 norm; 0 = off */
    float clip_value;             /* element-wise; 0 = off */
} cm_pathint_config;

/* Fills *cfg with a preset: "ssmpc", "banino", "sorscher", "sorscher-512".
 * Every field may be overridden before cm_pathint_create. */
CM_API cm_status cm_pathint_preset(const char *name, cm_pathint_config *cfg);
/* Checks a configuration: sizes in range, probabilities in [0, 1), ... */
CM_API cm_status cm_pathint_config_check(const cm_pathint_config *cfg);

/* One batch, caller-owned, batch-major. init_hd and hd are ignored (may be
 * NULL) when n_hd == 0. A shard (rows_total > 0) is rows [row0, row0 + B)
 * of a global batch of rows_total paths: its loss and gradient are its share
 * of the global batch's (means over rows_total, the weight penalty in the
 * first shard only, dropout masks at the rows' global places), so the
 * shards' gradients sum to the global batch's. */
typedef struct cm_pathint_batch {
    const float *velocity;   /* [B, T, input_size] */
    const float *init_place; /* [B, n_place] */
    const float *init_hd;    /* [B, n_hd] */
    const float *place;      /* [B, T, n_place] */
    const float *hd;         /* [B, T, n_hd] */
    int row0, rows_total;    /* 0, 0: the batch is whole */
} cm_pathint_batch;

/* The model: configuration and parameters (one cm_params block, PyTorch
 * state-dict names), never written by forward or backward, so that several
 * states may use it at once. */
typedef struct cm_pathint cm_pathint;

/* Builds the network and draws PyTorch's default initial weights from
 * stream 0 of `seed`. */
CM_API cm_status cm_pathint_create(const cm_pathint_config *cfg, uint64_t seed, cm_pathint **out);
CM_API void cm_pathint_free(cm_pathint *m);
CM_API const cm_pathint_config *cm_pathint_get_config(const cm_pathint *m);
/* The named parameters; params->grads is a gradient block of the same
 * layout the caller may use (cm_pathint_step does). */
CM_API cm_params *cm_pathint_params(cm_pathint *m);
/* Floats the optimiser updates: the parameter block's prefix (ssmpc keeps
 * SSM-PC's unused init_fc after it). */
CM_API size_t cm_pathint_trained_floats(const cm_pathint *m);
CM_API int cm_pathint_bottleneck_size(const cm_pathint *m); /* bottleneck, or hidden when there is none */

/* The mutable side: activations and workspace for one batch shape,
 * allocated once; nothing is allocated by forward or backward. */
typedef struct cm_pathint_state cm_pathint_state;
CM_API cm_status cm_pathint_state_create(const cm_pathint *m, int batch, int seq_len, cm_pathint_state **out);
CM_API void cm_pathint_state_free(cm_pathint_state *s);
CM_API int cm_pathint_state_batch(const cm_pathint_state *s);
CM_API int cm_pathint_state_seq_len(const cm_pathint_state *s);

/* Forward pass and loss. rng != NULL: training (dropout masks from one
 * draw of rng); NULL: evaluation. */
CM_API cm_status cm_pathint_forward(const cm_pathint *m, cm_pathint_state *s, const cm_pathint_batch *b, cm_rng *rng,
                             double *loss);
/* Gradients of the last forward's loss, ACCUMULATED into `grad`, a block
 * laid out as the parameters (the caller zeroes it). */
CM_API cm_status cm_pathint_backward(const cm_pathint *m, cm_pathint_state *s, float *grad);

/* The optimiser is the caller's: cm_pathint_optim_init sizes one for the
 * configuration (cm_pathint_trained_floats). cm_pathint_update clips the
 * gradient block (element-wise, then global norm, as configured) and steps
 * the optimiser on the parameters. */
CM_API cm_status cm_pathint_optim_init(const cm_pathint *m, cm_optim *o);
CM_API void cm_pathint_update(cm_pathint *m, cm_optim *o, float *grad);
/* One whole step into the parameters' own gradient block: zero, forward
 * (training, dropout from rng), backward, update. A NaN or infinite loss
 * returns CM_ERR_NUMERIC naming the step, parameters untouched. */
CM_API cm_status cm_pathint_step(cm_pathint *m, cm_pathint_state *s, cm_optim *o, const cm_pathint_batch *b, cm_rng *rng,
                          double *loss);

/* Results of the state's last forward, copied out batch-major:
 * bottleneck [B, T, bottleneck] (after dropout in training; the hidden
 * state [B, T, hidden] when bottleneck == 0), place logits [B, T, n_place],
 * HD logits [B, T, n_hd]. */
CM_API void cm_pathint_get_bottleneck(const cm_pathint *m, const cm_pathint_state *s, float *out);
CM_API void cm_pathint_get_place_logits(const cm_pathint *m, const cm_pathint_state *s, float *out);
CM_API void cm_pathint_get_hd_logits(const cm_pathint *m, const cm_pathint_state *s, float *out);

/* Bytes of parameters + gradient block, and of a state's activations. */
CM_API size_t cm_pathint_param_bytes(const cm_pathint *m);
CM_API size_t cm_pathint_activation_bytes(const cm_pathint_state *s);
/* Floating-point operations of one training step (forward + backward, GEMMs
 * and recurrences counted as 2 m n k; element-wise work left out). */
CM_API double cm_pathint_step_flops(const cm_pathint_config *cfg);

/* Checkpoints. The model: DIR/model.safetensors (the state dict) and
 * DIR/config.json (every config field), written atomically, file by file;
 * cm_pathint_load creates a model from them, any missing, misshapen or
 * mistyped tensor failing naming it, nothing loaded. */
CM_API cm_status cm_pathint_save(const cm_pathint *m, const char *dir);
CM_API cm_status cm_pathint_load(const char *dir, cm_pathint **out);
/* Loads only the weights of a model.safetensors (e.g. a PyTorch state dict
 * saved as safetensors) into an existing model of the same shapes. */
CM_API cm_status cm_pathint_load_weights(cm_pathint *m, const char *path);
/* The training side: DIR/optimizer.safetensors, the optimiser's buffers
 * with metadata step, optimizer (its kind) and dropout_rng (the stream the
 * training forwards draw their masks from, so that a resumed run draws what
 * an uninterrupted one would). Loading checks it all first. */
CM_API cm_status cm_pathint_optim_save(const cm_optim *o, const cm_rng *dropout, const char *dir);
CM_API cm_status cm_pathint_optim_load(cm_optim *o, cm_rng *dropout, const char *dir);

/* ====================================== training data of path integration
 *
 * The data a path-integration network is trained on: on-the-fly paths or
 * SSM-PC dataset folders, converted to each preset's inputs.
 *
 * Path convention. A batch element is a path of steps+1 frames (pos, theta):
 * frame 0 is where the network's initial state is encoded (init_pos,
 * init_hd), frames 1..steps are the targets, and input t is the motion from
 * frame t-1 to frame t. SSM-PC's convention (target 0 = the initial position,
 * v_0 = 0, ssm-pc.md §3.3/§4.2) is the special case of a path whose first two
 * frames are equal; the dataset reader builds its windows that way.
 */

/* ----------------------------------------------------------- input codes */

typedef enum cm_grid_input {
    CM_GRID_INPUT_VXVYW = 0,   /* ssmpc:    [vx, vy, w]: backward differences per step */
    CM_GRID_INPUT_VCOSSIN = 1, /* banino:   [v, cos w, sin w] (jtoy order, grid-cells.md §10) */
    CM_GRID_INPUT_DXDY = 2     /* sorscher: [dx, dy], Cartesian displacement per step */
} cm_grid_input;

/* The input code of a preset name ("ssmpc", "banino", "sorscher"). */
CM_API cm_status cm_grid_input_of_preset(const char *preset, cm_grid_input *out);
CM_API int cm_grid_input_dim(cm_grid_input kind); /* 3, 3, 2 */

/* pos [steps+1, 2], theta [steps+1] -> inputs [steps, dim]. Displacements are
 * in world units per step; w = wrap(theta_t - theta_{t-1}) in (-pi, pi]
 * (unwrapped difference); v = |p_t - p_{t-1}|. */
CM_API void cm_grid_path_inputs(cm_grid_input kind, const float *pos, const float *theta, int steps, float *inputs);

/* Wraps an angle into (-pi, pi]. */
CM_API float cm_grid_wrap_angle(float a);

/* ------------------------------------------------- SSM-PC dataset folders */

typedef enum cm_grid_split { CM_SPLIT_TRAIN = 0, CM_SPLIT_VAL = 1, CM_SPLIT_TEST = 2 } cm_grid_split;

/* The windows of one split of an SSM-PC grid-cell dataset (ssm-pc.md §3.3):
 * folders D*_P* under root, sorted by name, the first 70% train, the next 15%
 * validation, the rest test; of each only <folder>/000000/frame_info.json
 * (new schema: frame_id, agent_state.position, agent_state.rotation) is read.
 * Frames are sorted by frame_id and cut into maximal runs of consecutive ids;
 * every window of `window` consecutive frames (stride 1) of a run is a sample. */
typedef struct cm_grid_dataset {
    int window;
    int n_folders;       /* folders in this split */
    int64_t n_frames;
    float *pos;          /* [n_frames, 2] frames of every run, run after run */
    float *theta;        /* [n_frames] */
    int64_t n_windows;
    int64_t *starts;     /* [n_windows] index of each window's first frame */
} cm_grid_dataset;

CM_API cm_status cm_grid_dataset_open(cm_grid_dataset *ds, const char *root, cm_grid_split split, int window);
/* Window w as a path of window+1 frames in the convention above: frame 0 is
 * the window's first frame repeated, so input 0 is zero and target 0 is the
 * initial position, as in SSM-PC. pos [window+1, 2], theta [window+1]. */
CM_API void cm_grid_dataset_path(const cm_grid_dataset *ds, int64_t w, float *pos, float *theta);
CM_API void cm_grid_dataset_free(cm_grid_dataset *ds);

/* Reads one frame_info.json (new schema) into frames sorted by frame_id:
 * *ids [n], *pos [n, 2], *theta [n], all cm_alloc'ed. For tests and tools. */
CM_API cm_status cm_grid_frames_read(const char *path, int64_t **ids, float **pos, float **theta, int64_t *n);

/* --------------------------------------------------------------- batches */

/* One batch in the path convention above, batch-major (PyTorch batch_first). */
typedef struct cm_grid_batch {
    int batch, steps, in_dim;
    float *init_pos;   /* [B, 2] frame 0 */
    float *init_theta; /* [B] */
    float *inputs;     /* [B, T, in_dim] motion from frame t to t+1 */
    float *pos;        /* [B, T, 2] target positions: frames 1..T */
    float *theta;      /* [B, T] target headings */
} cm_grid_batch;

CM_API cm_status cm_grid_batch_alloc(cm_grid_batch *b, int batch, int steps, int in_dim);
CM_API void cm_grid_batch_free(cm_grid_batch *b);

/* ---------------------------------------------------------- data sources */

/* Draws one path of steps+1 frames (pos [steps+1, 2], theta [steps+1]) from
 * `rng` alone, so that a path is a pure function of its rng stream. The rat
 * model of the world module is the one the CLI plugs in. */
typedef void (*cm_grid_path_fn)(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);

/* Where batches come from. A batch is a pure function of (seed, stream,
 * index): stream 0 is training (index = optimiser step), stream 1 the
 * periodic evaluation, stream 2 the final evaluation. Resuming at step k is
 * therefore exact by construction: the generator's whole state is k. */
typedef struct cm_grid_source {
    cm_grid_input input;
    int steps;
    uint64_t seed;
    cm_grid_path_fn path_fn; /* on-the-fly paths ... */
    void *path_ctx;
    const cm_grid_dataset *dataset; /* ... or dataset windows (not owned) */
    int64_t *perm;                  /* [n_windows] window order of epoch perm_epoch */
    int64_t perm_epoch;
    uint64_t perm_stream;
    float *pos, *theta; /* one path */
} cm_grid_source;

CM_API cm_status cm_grid_source_init_paths(cm_grid_source *s, cm_grid_input input, int steps, uint64_t seed,
                                    cm_grid_path_fn fn, void *ctx);
/* Each epoch visits the windows in a fresh shuffled order (seeded), batch
 * after batch, dropping the last partial batch (drop_last). */
CM_API cm_status cm_grid_source_init_dataset(cm_grid_source *s, cm_grid_input input, const cm_grid_dataset *ds,
                                      uint64_t seed);
/* Fills batch `index` of `stream` into b (b->steps must match the source). */
CM_API cm_status cm_grid_source_fill(cm_grid_source *s, uint64_t stream, int64_t index, cm_grid_batch *b);
/* Rows [row0, row1) of that batch alone (the others untouched), the same
 * values as a whole fill gives them: what one shard of a data-parallel step
 * needs. */
CM_API cm_status cm_grid_source_fill_rows(cm_grid_source *s, uint64_t stream, int64_t index, cm_grid_batch *b, int row0,
                                          int row1);
CM_API void cm_grid_source_free(cm_grid_source *s);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_MODELS_H */
