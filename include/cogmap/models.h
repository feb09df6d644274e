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
    CM_PATHINT_LOSS_XENT = 1   /* softmax cross-entropy place (+ HD), mean over batch and time */
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
    uint64_t seed;                /* initial weights (stream 0) and dropout (stream 1) */
} cm_pathint_config;

/* Fills *cfg with a preset: "ssmpc", "banino", "sorscher", "sorscher-512".
 * Every field may be overridden before cm_pathint_create. */
cm_status cm_pathint_preset(const char *name, cm_pathint_config *cfg);
/* Checks a configuration: sizes in range, probabilities in [0, 1), ... */
cm_status cm_pathint_config_check(const cm_pathint_config *cfg);

/* One batch, caller-owned, batch-major. init_hd and hd are ignored (may be
 * NULL) when n_hd == 0. */
typedef struct cm_pathint_batch {
    const float *velocity;   /* [B, T, input_size] */
    const float *init_place; /* [B, n_place] */
    const float *init_hd;    /* [B, n_hd] */
    const float *place;      /* [B, T, n_place] */
    const float *hd;         /* [B, T, n_hd] */
} cm_pathint_batch;

typedef struct cm_pathint cm_pathint;

/* Builds the network, draws PyTorch's default initial weights from cfg->seed
 * and allocates every buffer a training step needs. */
cm_status cm_pathint_create(const cm_pathint_config *cfg, cm_pathint **out);
void cm_pathint_free(cm_pathint *m);
/* Reallocates the activations for another batch size or sequence length
 * (e.g. evaluation batches). Parameters and optimiser state are kept. */
cm_status cm_pathint_resize(cm_pathint *m, int batch, int seq_len);
const cm_pathint_config *cm_pathint_get_config(const cm_pathint *m);

/* Forward pass and loss. train != 0 applies dropout (drawing a fresh mask). */
cm_status cm_pathint_forward(cm_pathint *m, const cm_pathint_batch *b, int train, double *loss);
/* Gradients of the last forward's loss, ACCUMULATED into the parameter
 * gradients (cm_params_zero_grad first). */
cm_status cm_pathint_backward(cm_pathint *m);
/* One training step: zero grads, forward (train), backward, clipping, optimiser.
 * A NaN or infinite loss returns CM_ERR_NUMERIC naming the step, parameters
 * untouched. *loss (may be NULL) is the step's loss before the update. */
cm_status cm_pathint_step(cm_pathint *m, const cm_pathint_batch *b, double *loss);
int64_t cm_pathint_steps(const cm_pathint *m); /* optimiser steps taken */

/* Results of the last forward, copied out batch-major:
 * bottleneck [B, T, bottleneck] (after dropout when train was set; the hidden
 * state [B, T, hidden] when bottleneck == 0), place logits [B, T, n_place],
 * HD logits [B, T, n_hd]. */
void cm_pathint_get_bottleneck(const cm_pathint *m, float *out);
void cm_pathint_get_place_logits(const cm_pathint *m, float *out);
void cm_pathint_get_hd_logits(const cm_pathint *m, float *out);
int cm_pathint_bottleneck_size(const cm_pathint *m); /* bottleneck, or hidden when there is none */

/* The named parameters (state dict), their gradients, and the optimiser. */
cm_params *cm_pathint_params(cm_pathint *m);
cm_optim *cm_pathint_optim(cm_pathint *m);

/* Bytes of parameters + gradients, optimiser state, and activations. */
size_t cm_pathint_param_bytes(const cm_pathint *m);
size_t cm_pathint_optim_bytes(const cm_pathint *m);
size_t cm_pathint_activation_bytes(const cm_pathint *m);
/* Floating-point operations of one training step (forward + backward, GEMMs
 * and recurrences counted as 2 m n k; element-wise work left out). */
double cm_pathint_step_flops(const cm_pathint_config *cfg);

/* Checkpoints: DIR/model.safetensors (the state dict), DIR/optimizer.safetensors
 * (optimiser buffers, step count and dropout stream in its metadata) and
 * DIR/config.json (every config field). Written atomically, file by file. */
cm_status cm_pathint_save(const cm_pathint *m, const char *dir);
/* Creates a model from DIR/config.json and loads both tensor files into it;
 * any missing, misshapen or mistyped tensor fails naming it, nothing loaded. */
cm_status cm_pathint_load(const char *dir, cm_pathint **out);
/* Loads only the weights of DIR/model.safetensors (e.g. a PyTorch state dict
 * saved as safetensors) into an existing model of the same shapes. */
cm_status cm_pathint_load_weights(cm_pathint *m, const char *path);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_MODELS_H */
