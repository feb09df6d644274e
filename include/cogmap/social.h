/* cogmap/social.h — several agents in one world, and SSM-PC's social
 * place-cell network (ssm-pc.md §9).
 *
 * Three parts:
 *   1. Multi-agent paths (cm_agents_*): K agents moving independently in one
 *      open arena or one Memory-Maze maze; each agent's own velocities, and
 *      every agent's positions as targets for its partners. A batch is a pure
 *      function of (seed, stream, index).
 *   2. The social network (cm_social_*), exactly SSM-PC's
 *      SocialGridCellNetwork: one LSTM (7 -> 128) shared by a self stream
 *      [v_self, w_self, ego token] and a peer stream [v_peer, w_peer, 0 0 0 0],
 *      each started from its agent's place/HD code through Linear(268 -> 128)
 *      layers shared by both streams; joint = h_self + h_peer; bottleneck
 *      Dropout(ReLU(Linear(128 -> 256))); read-outs self place (256), self HD
 *      (12), peer place, peer HD, and the distance head Linear(256 -> 64),
 *      ReLU, Linear(64 -> 1). 326,301 parameters under the PyTorch state-dict
 *      names of spc_module/social_grid_cell.py. The loss, which SSM-PC did not
 *      release, is the spec's inferred one (§9.1): soft-target cross-entropy
 *      of the four read-outs + lambda * MSE(distance head, |p_self - p_peer|).
 *      The model follows cogmap's pattern (contract): an immutable model
 *      (configuration + one parameter block) beside a per-batch state; forward
 *      and backward allocate nothing; backward ACCUMULATES into a gradient
 *      block laid out like the parameter block.
 *   3. SSM-PC's probing protocol (§9.2): the four conditions' paths (seed 42,
 *      numpy's RandomState reproduced by cm_mt19937), the per-unit peaks and
 *      the classification of bottleneck units (analysis.h, cm_spc_*).
 *
 * Units: positions in grid units of the 15 x 15 arena ([0, 15]^2), velocities
 * in grid units per step (backward differences, v_0 = 0 in SSM-PC's paths),
 * angular velocity in radians per step.
 */
#ifndef COGMAP_SOCIAL_H
#define COGMAP_SOCIAL_H

#include "cogmap/cells.h"
#include "cogmap/nn.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ============================================================ agents */

#define CM_AGENTS_MAX 8

typedef enum cm_agents_world {
    CM_AGENTS_ARENA = 0, /* an open arena preset with a continuous motion model (world.h) */
    CM_AGENTS_MAZE = 1   /* a Memory-Maze maze, Memory-Maze's discrete walker and exploring policy */
} cm_agents_world;

typedef struct cm_agents_config {
    cm_agents_world world;
    char arena[32];     /* arena preset ("box15": [0, 15]^2) */
    char motion[32];    /* motion preset ("sorscher") */
    float motion_scale; /* lengths of the motion model times this (10: ~0.2 units a step) */
    int substeps;       /* model steps per recorded step (1) */
    int maze_size;      /* maze: N (15), odd; cells are grid units */
    int mazes;          /* maze: distinct layouts drawn from the seed and cycled (64) */
    float maze_noise;   /* maze: probability of a random action (0.1) */
    int agents;         /* K (2), 1..CM_AGENTS_MAX */
    int steps;          /* T: recorded steps after the start frame (100) */
    /* Probability that an agent stands still for a whole path (its input all
     * zeros): SSM-PC's probing puts one agent, or both, at rest (§9.2), which
     * moving-only training never shows the network. */
    float p_static;
} cm_agents_config;

/* Defaults above: the box15 arena, the Sorscher rat model scaled 10x, K = 2,
 * T = 100, p_static 0.2. */
CM_API void cm_agents_config_default(cm_agents_config *c);
/* CM_ERR_ARG naming the field. */
CM_API cm_status cm_agents_config_check(const cm_agents_config *c);

/* One batch of K-agent paths, batch-major, in the path convention of the grid
 * trainer: frame 0 is the start (where an initial state is encoded), frames
 * 1..T the targets; input t is the motion from frame t to frame t+1. */
typedef struct cm_agents_batch {
    int batch, agents, steps;
    float *pos;   /* [B, K, T+1, 2] */
    float *theta; /* [B, K, T+1] heading, radians in (-pi, pi] */
    float *vel;   /* [B, K, T, 3] [vx, vy, w]: displacement (units) and heading change (rad) per step */
} cm_agents_batch;

CM_API cm_status cm_agents_batch_alloc(cm_agents_batch *b, int batch, int agents, int steps);
CM_API void cm_agents_batch_free(cm_agents_batch *b);

typedef struct cm_agents_source cm_agents_source; /* opaque */

/* The world (arena and motion, or the maze pool) built once. */
CM_API cm_status cm_agents_source_create(const cm_agents_config *c, uint64_t seed, cm_agents_source **out);
CM_API void cm_agents_source_free(cm_agents_source *s);
CM_API const cm_agents_config *cm_agents_source_config(const cm_agents_source *s);
/* Fills batch `index` of `stream` (0 training, 1 periodic evaluation, 2 final
 * evaluation, others free): element e of the batch is drawn from its own rng
 * stream (seed, stream, index * B + e) alone, so the batch is a pure function
 * of (seed, stream, index) at any thread count. b->agents and b->steps must
 * match the configuration. */
CM_API cm_status cm_agents_source_fill(cm_agents_source *s, uint64_t stream, int64_t index, cm_agents_batch *b);
/* Elements [first, first + b->batch) of batch `index` when a batch has
 * `batch` elements: a shard of it, with the same values. */
CM_API cm_status cm_agents_source_fill_range(cm_agents_source *s, uint64_t stream, int64_t index, int batch, int first,
                                      cm_agents_batch *b);

/* ===================================================== social network */

typedef struct cm_social_config {
    char preset[32];       /* informative: "ssmpc" or "tiny" */
    /* shapes (ssmpc: 4, 3, 128, 256, 256, 12, 64) */
    int ego_size;          /* learned ego token e, appended to the self stream's input */
    int input_size;        /* per-stream motion input [vx, vy, w] */
    int hidden;            /* LSTM units */
    int bottleneck;        /* ReLU bottleneck units (the analysed "bottleneck_self") */
    int n_place, n_hd;     /* target ensembles */
    int relational_hidden; /* distance head's hidden layer */
    float dropout;         /* on the bottleneck, training only (0.5) */
    int batch, seq_len;    /* default state shapes (32 x 100) */
    /* loss weights (inferred loss, §9.1): CE of each read-out, mean over batch
     * and time, + distance * MSE */
    float w_self_place, w_self_hd, w_peer_place, w_peer_hd, w_distance;
    /* training (the model ignores these; its trainer reads them). SSM-PC's
     * grid recipe (§4.4): RMSprop lr 1e-3, momentum 0.9, weight decay 1e-4,
     * global-norm clip 1. */
    cm_optim_config optim;
    float clip_norm;
} cm_social_config;

/* "ssmpc" (SSM-PC's sizes; 326,301 parameters) or "tiny" (gradient checks). */
CM_API cm_status cm_social_preset(const char *name, cm_social_config *cfg);
CM_API cm_status cm_social_config_check(const cm_social_config *cfg);
/* "key=value" for any field: ego_size, hidden, bottleneck, n_place, n_hd,
 * relational_hidden, dropout, batch, seq_len, w_self_place, w_self_hd,
 * w_peer_place, w_peer_hd, w_distance, optim (adam, rmsprop, sgd, adamw),
 * lr, momentum, weight_decay, clip. CM_ERR_ARG naming the key. */
CM_API cm_status cm_social_config_set(cm_social_config *cfg, const char *key_value);
/* Every setting as "key=value" into kv[cap][96], in an order that
 * cm_social_config_set replays into the same configuration (the preset name
 * aside); returns the count. */
CM_API int cm_social_config_keys(const cm_social_config *cfg, char (*kv)[96], int cap);

typedef struct cm_social cm_social; /* opaque, immutable during forward/backward */

/* Builds the network and draws PyTorch's default initial weights from
 * stream 0 of `seed` (ego token ~ N(0, 1), LSTM U(+-1/sqrt(H)), Linear
 * kaiming-uniform), in state-dict order. */
CM_API cm_status cm_social_create(const cm_social_config *cfg, uint64_t seed, cm_social **out);
CM_API void cm_social_free(cm_social *m);
CM_API const cm_social_config *cm_social_get_config(const cm_social *m);
/* The named tensors, in spc_module's state-dict order: ego_token,
 * path_integrator_lstm.{weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0},
 * h0_generator.*, c0_generator.*, joint_bottleneck_layer.0.*,
 * self_place_predictor.*, self_hd_predictor.*, peer_place_predictor.*,
 * peer_hd_predictor.*, relational_head.0.*, relational_head.2.*.
 * params->params is the parameter block of params->total floats (padding
 * included); its grads block is unused by forward/backward (callers pass
 * their own gradient block). */
CM_API cm_params *cm_social_params(cm_social *m);
CM_API const cm_params *cm_social_params_const(const cm_social *m);

/* One batch, caller-owned, batch-major. Targets may be NULL for a forward
 * without loss (probing); then `loss` must be NULL and backward refuses. */
typedef struct cm_social_batch {
    const float *self_vel, *peer_vel;          /* [B, T, input_size] */
    const float *self_init_place, *peer_init_place; /* [B, n_place] initial codes */
    const float *self_init_hd, *peer_init_hd;  /* [B, n_hd] */
    const float *self_place, *peer_place;      /* [B, T, n_place] targets */
    const float *self_hd, *peer_hd;            /* [B, T, n_hd] */
    const float *distance;                     /* [B, T] |p_self - p_peer| */
    /* The losses are sums over the batch's rows (b, t) divided by this; 0
     * means B * T (the batch's mean). A shard of a larger batch passes the
     * global row count, so that the shards' losses and gradients add up to
     * the global batch's. */
    double rows;
    /* One agent alone: the peer stream is not run (peer inputs and targets
     * may be NULL), joint = h_self, and only the self read-outs are computed
     * and trained — the network as one agent's own path integrator, whose
     * states a link (link.h) sends from and reads with. */
    int solo;
    /* Alone: only the first `readout` elements (0: all) get the bottleneck,
     * read-outs and loss — e.g. one agent's own loss while its partners'
     * streams feed a link; the other elements' outputs are not computed. */
    int readout;
} cm_social_batch;

typedef struct cm_social_state cm_social_state; /* opaque: activations for batch x seq_len */

CM_API cm_status cm_social_state_create(const cm_social *m, int batch, int seq_len, cm_social_state **out);
CM_API void cm_social_state_free(cm_social_state *s);
CM_API int cm_social_state_batch(const cm_social_state *s);
CM_API int cm_social_state_seq_len(const cm_social_state *s);

/* The losses of the last forward (means over batch and time). */
typedef struct cm_social_losses {
    double self_place, self_hd, peer_place, peer_hd, distance_mse, total;
} cm_social_losses;

/* Forward (+ loss when the batch has targets and loss != NULL). rng != NULL:
 * training mode, the dropout mask drawn from rng; NULL: evaluation. */
CM_API cm_status cm_social_forward(const cm_social *m, cm_social_state *s, const cm_social_batch *b, cm_rng *rng,
                            double *loss);
/* Gradient of the last forward's loss, ACCUMULATED into grad (laid out like
 * the parameter block, cm_params offsets; the caller zeroes it). */
CM_API cm_status cm_social_backward(const cm_social *m, cm_social_state *s, float *grad);
CM_API void cm_social_get_losses(const cm_social_state *s, cm_social_losses *out);

/* Outputs of the last forward, batch-major views into the state (valid until
 * the next forward): */
typedef enum cm_social_output {
    CM_SOCIAL_BOTTLENECK = 0, /* [B, T, bottleneck] after ReLU (and dropout when training) */
    CM_SOCIAL_SELF_PLACE,     /* [B, T, n_place] logits */
    CM_SOCIAL_SELF_HD,        /* [B, T, n_hd] */
    CM_SOCIAL_PEER_PLACE,     /* [B, T, n_place] */
    CM_SOCIAL_PEER_HD,        /* [B, T, n_hd] */
    CM_SOCIAL_DISTANCE,       /* [B, T] */
    CM_SOCIAL_H_SELF,         /* [T+1, B, hidden] the self stream's LSTM states (time-major, h0 first) */
    CM_SOCIAL_H_PEER          /* [T+1, B, hidden] the peer stream's */
} cm_social_output;
CM_API const float *cm_social_output_get(const cm_social_state *s, cm_social_output which);
/* Where callers put the gradient of their loss with respect to an output
 * they consumed, for backward to add: CM_SOCIAL_H_SELF only ([T+1, B, H],
 * time-major, the gradient of h_0 first); zeroed by every forward, so fill
 * it between forward and backward. NULL for other outputs. */
CM_API float *cm_social_state_output_grad(cm_social_state *s, cm_social_output which);

/* Checkpoint folder: DIR/model.safetensors (the state dict) and
 * DIR/config.json. A PyTorch state dict saved as safetensors loads with
 * cm_social_load_weights. */
CM_API cm_status cm_social_save(const cm_social *m, const char *dir);
CM_API cm_status cm_social_load(const char *dir, cm_social **out);
CM_API cm_status cm_social_load_weights(cm_social *m, const char *path);

/* ========================================================== probing */

/* SSM-PC's probing conditions (§9.2): 1 self moving / peer static, 2 self
 * static / peer moving, 3 both moving, 4 both static. */
#define CM_SPC_CONDITIONS 4

/* The paths of one condition, as spc_module/trajectory.py draws them: T
 * frames (no separate start frame: frame 0 is the initial pose and target 0,
 * input 0 is zero), from (7.5, 3.0) to goals (3, 12) / (12, 12) alternating,
 * a lateral sinusoid of amplitude U(0.5, 1.5), frequency U(1.5, 2.5) and
 * phase U(0, pi) per moving path, clipped to [0.5, 14.5]. */
typedef struct cm_spc_paths {
    int reps, steps;
    float *self_pos, *peer_pos;   /* [reps, T, 2] */
    float *self_vel, *peer_vel;   /* [reps, T, 3] [vx, vy, w] */
    float *self_hd0, *peer_hd0;   /* [reps] initial heading atan2(v_0) (= 0) */
} cm_spc_paths;

/* Draws the four conditions' paths in order 1..4 from ONE numpy
 * RandomState(seed) (SSM-PC seeds 42 once, then samples the conditions in
 * turn; per repetition the self path's draws, then the peer's; a static path
 * draws nothing). paths[4] are allocated here. */
CM_API cm_status cm_spc_paths_generate(uint32_t seed, int reps, int steps, float env_size, cm_spc_paths paths[4]);
CM_API void cm_spc_paths_free(cm_spc_paths paths[4]);

/* A probed network: per condition the bottleneck activity and both agents'
 * positions, per unit the peak of each condition. */
typedef struct cm_spc_probe {
    int reps, steps, units;
    float *act[CM_SPC_CONDITIONS];      /* [reps, T, units] */
    const float *self_pos[CM_SPC_CONDITIONS], *peer_pos[CM_SPC_CONDITIONS]; /* views of the paths, [reps, T, 2] */
    double *peaks;                      /* [units, 4] max activation per condition */
} cm_spc_probe;

/* Runs the four conditions through the network in evaluation mode (no
 * dropout), batch = reps, and records activity and peaks. `pc`, `hd`: the
 * target ensembles that make the initial codes. */
CM_API cm_status cm_social_probe(const cm_social *m, const cm_place_cells *pc, const cm_hd_cells *hd,
                          const cm_spc_paths paths[4], cm_spc_probe *out);
CM_API void cm_spc_probe_free(cm_spc_probe *p);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_SOCIAL_H */
