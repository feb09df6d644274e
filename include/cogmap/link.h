/* cogmap/link.h — a learned low-bandwidth link between agents (ssm-pc.md
 * §11.1-11.3, our design: SSM-PC released none of it).
 *
 * A sender turns its own state into a message of B bits per step ("what": a
 * binary code, its bits 1[logit > 0], trained with straight-through
 * gradients; or sampled, Bernoulli or DIAL's DRU, in training) behind a
 * learned send gate ("when"); a receiver keeps a memory of each
 * sender's messages (an LSTM over [g (2m - 1), g], started from the sender's
 * initial code), weighs its senders ("who": attention over them from its own
 * state and each memory) and decodes a prediction of each sender (and, with
 * "who", one pooled prediction) from its own state and the memories.
 *
 * The sender also carries a copy of its receivers' memory of itself: that
 * memory is a function of the messages it sent and its own initial code
 * only, so the sender knows exactly what its partners know of it, and its
 * code and gate see that copy beside its state (as a stop-gradient input).
 * Sending is worth it when the partner's belief has gone stale — the
 * predictive-coding reading of "when".
 *
 * Objective (§11.2), per receiver, mean over rows (b, t):
 *   L = (1/N) sum_n NLL(y_n | prediction_n)           receiver's prediction of sender n
 *     + w_pool NLL(y_pool | pooled prediction)        with "who"
 *     + beta (1/N) sum_n pi_n KL(Bern(p_n) || Bern(1/2)^B)   rate of the code actually sent
 *     + lambda (1/N) sum_n pi_n                        cost of sending
 * with p_n the code's bit probabilities and pi_n the send probability (1 with
 * the gate off). NLL: soft-target cross-entropy over a softmax (e.g. a place
 * code) or, with CM_LINK_BERNOULLI, binary cross-entropy per output (e.g.
 * map cells).
 *
 * Bits: a message that is sent costs B bits; a silent step costs 0 (the
 * receiver still learns that nothing came, a timing side channel of at most
 * one bit per step, which the count does not include).
 *
 * The model follows cogmap's pattern: an immutable cm_link (configuration +
 * one parameter block, PyTorch-style names) shared by every agent; a
 * per-batch cm_link_state for training on sequences (forward/backward,
 * gradients ACCUMULATED into a caller's block laid out like the parameters);
 * and a per-agent cm_link_agent for running the link one step at a time
 * (cm_link_send, cm_link_receive), which is all a task that reuses the link
 * needs.
 */
#ifndef COGMAP_LINK_H
#define COGMAP_LINK_H

#include "cogmap/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CM_LINK_MAX_BITS 256
#define CM_LINK_MAX_SENDERS 16

typedef enum cm_link_target {
    CM_LINK_SOFTMAX = 0,  /* one distribution over out_dim classes (soft targets, rows sum to 1) */
    CM_LINK_BERNOULLI = 1 /* out_dim independent probabilities in [0, 1] */
} cm_link_target;

typedef enum cm_link_code {
    CM_LINK_CODE_BERNOULLI = 0, /* training samples m ~ Bern(sigmoid(l)), straight-through gradient p (1 - p) */
    CM_LINK_CODE_DRU = 1,       /* DIAL's discretise/regularise unit: training sends sigmoid(l + N(0, noise^2)),
                                   its exact gradient; the bits become 1[l > 0] in evaluation */
    CM_LINK_CODE_THRESHOLD = 2  /* deterministic straight-through: training sends 1[l > 0] as evaluation does,
                                   gradient p (1 - p); no draw, so the receiver trains on the messages it
                                   will be evaluated on */
} cm_link_code;

typedef struct cm_link_config {
    char preset[32];      /* informative: "ssmpc" or "tiny" */
    int state_dim;        /* S: the sender's state it encodes (128: its path integrator's LSTM state) */
    int ctx_dim;          /* C: the receiver's own state (128) */
    int bits;             /* B: bits per message, 1..CM_LINK_MAX_BITS */
    int senders;          /* N: senders one receiver hears, 1..CM_LINK_MAX_SENDERS (K - 1) */
    int sender_hidden;    /* E: the sender's ReLU layer over [state ; memory copy] (64) */
    int message_dim;      /* P: a Linear(B + 1 -> P) reads each message into the memory (0: the memory reads
                             [g (2m - 1) ; g] itself). With P = a path integrator's input size, the memory
                             can start as that path integrator (the link run does: docs/social.md) */
    int memory;           /* M: LSTM units of the receiver's memory of one sender (128) */
    int init_dim;         /* I: initial code of a sender (268: its place + HD code at the start); 0: memories start at 0 */
    int decoder_hidden;   /* D: the decoder's ReLU layer over [ctx ; memory] (256) */
    int out_dim;          /* O: the prediction (256: the sender's place code) */
    cm_link_target target;
    int gate;             /* 1: learned send gate; 0: every step is sent */
    int who;              /* 1: attention over senders and a pooled prediction */
    int who_hidden;       /* A: the attention's tanh layer (32) */
    float w_pool;         /* weight of the pooled prediction's NLL */
    float beta;           /* rate weight, per bit sent (nats) */
    float lambda;         /* cost of one sent message */
    float gate_bias;      /* initial gate logit (2: sends ~88% of steps at first) */
    cm_link_code code;    /* how training sends bits and gates (both the same way) */
    float noise;          /* DRU: sd of the logit noise (2) */
    /* training (the model ignores these; its trainer reads them) */
    cm_optim_config optim;
    float clip_norm;
} cm_link_config;

/* "ssmpc" (the sizes above, B = 16, N = 1, the threshold code) or "tiny"
 * (gradient checks). */
CM_API cm_status cm_link_preset(const char *name, cm_link_config *cfg);
CM_API cm_status cm_link_config_check(const cm_link_config *cfg);
/* "key=value" for: state_dim, ctx_dim, bits, senders, sender_hidden, message_dim, memory,
 * init_dim, decoder_hidden, out_dim, target (softmax, bernoulli), gate, who,
 * who_hidden, w_pool, beta, lambda, gate_bias, code (bernoulli, dru, threshold), noise, optim, lr, momentum,
 * weight_decay, clip. CM_ERR_ARG naming the key. */
CM_API cm_status cm_link_config_set(cm_link_config *cfg, const char *key_value);
/* Every setting as "key=value" into kv[cap][96], in an order that
 * cm_link_config_set replays into the same configuration (the preset name
 * aside); returns the count. */
CM_API int cm_link_config_keys(const cm_link_config *cfg, char (*kv)[96], int cap);

typedef struct cm_link cm_link; /* opaque, immutable while agents and states use it */

/* Builds the link and draws PyTorch-default initial weights from stream 0
 * of `seed`. Tensors, in order: sender.0.{weight,bias} [E, S + M],
 * sender.code.{weight,bias} [B, E], sender.gate.{weight,bias} [1, E] (gate),
 * message.{weight,bias} [P, B + 1] (message_dim > 0),
 * memory.{weight_ih_l0 [4M, P or B + 1], weight_hh_l0, bias_ih_l0, bias_hh_l0},
 * memory_h0.*, memory_c0.* [M, I] (init_dim > 0), decoder.0.* [D, C + M],
 * decoder.2.* [O, D], who.0.* [A, C + M], who.2.weight [1, A], pool.* [O, D]
 * (who). */
CM_API cm_status cm_link_create(const cm_link_config *cfg, uint64_t seed, cm_link **out);
CM_API void cm_link_free(cm_link *l);
CM_API const cm_link_config *cm_link_get_config(const cm_link *l);
CM_API cm_params *cm_link_params(cm_link *l);
CM_API const cm_params *cm_link_params_const(const cm_link *l);
/* DIR/model.safetensors + DIR/config.json. */
CM_API cm_status cm_link_save(const cm_link *l, const char *dir);
CM_API cm_status cm_link_load(const char *dir, cm_link **out);

/* ---------------------------------------------------- one step, one agent */

/* One message: B bits and whether it was sent. */
typedef struct cm_link_message {
    int sent;                        /* 0: silence (bits ignored) */
    int n_bits;                      /* B */
    uint8_t bit[CM_LINK_MAX_BITS];   /* 0 / 1 */
    float p_send;                    /* the gate's probability (1 without a gate) */
} cm_link_message;

/* One agent's link state: as a receiver, its memory of each of its N
 * senders; as a sender, its copy of what its receivers know of it. */
typedef struct cm_link_agent cm_link_agent; /* opaque */

CM_API cm_status cm_link_agent_create(const cm_link *l, cm_link_agent **out);
CM_API void cm_link_agent_free(cm_link_agent *a);
/* Starts an episode: own_init [I] (this agent's initial code; NULL: zero)
 * starts the copy of its receivers' memory; sender_init [N, I] (NULL: zero)
 * starts its memory of each sender. */
CM_API cm_status cm_link_agent_reset(const cm_link *l, cm_link_agent *a, const float *own_init, const float *sender_init);
/* Sender: encodes `state` [S] into *msg. rng != NULL samples the bits and the
 * gate (training, exploration: Bernoulli draws, or for the DRU code the
 * noisy logit's sign); NULL takes the likelier value of each (what
 * evaluation does). Advances the agent's copy of its receivers' memory. */
CM_API cm_status cm_link_send(const cm_link *l, cm_link_agent *a, const float *state, cm_rng *rng, cm_link_message *msg);
/* Receiver: this step's message from each sender (msgs[N]; sent = 0 for
 * silence) updates the memories; then, from its own state ctx [C], the
 * prediction of each sender out [N, O] (logits for softmax targets, logits of
 * each probability for Bernoulli ones), the pooled prediction pooled [O]
 * and the weights over senders who [N] (both "who" only; may be NULL). */
CM_API cm_status cm_link_receive(const cm_link *l, cm_link_agent *a, const cm_link_message *msgs, const float *ctx,
                          float *out, float *pooled, float *who);

/* The broadcast baseline's code: (x, y) in [lo, hi]^2 quantised to
 * floor(B / 2) bits per axis (x gets the odd bit), MSB first, always sent;
 * and the centre of the cell a message names. */
CM_API void cm_link_quantize_position(float x, float y, float lo, float hi, int bits, cm_link_message *msg);
CM_API void cm_link_dequantize_position(const cm_link_message *msg, float lo, float hi, float *x, float *y);

/* ------------------------------------------------- sequences, training */

/* Time-major inputs: rows of step t are (n, b) for senders, b for the
 * receiver. Strides (in floats between consecutive steps) let the caller
 * pass slices of a larger array; 0 means packed. */
typedef struct cm_link_batch {
    const float *state;        /* [T, N*B, S] senders' states after their step t */
    int64_t state_stride;      /* 0: N*B*S */
    const float *ctx;          /* [T, B, C] the receiver's own state */
    int64_t ctx_stride;        /* 0: B*C */
    const float *init;         /* [N*B, I] senders' initial codes (init_dim > 0) */
    const float *target;       /* [T, N*B, O] what the receiver predicts of each sender */
    const float *target_pool;  /* [T, B, O] the pooled prediction's target (who) */
    /* Baselines through the same receiver: fixed messages instead of the
     * sender's ([T, N*B, bits] 0/1, always sent; the sender is skipped), or
     * silence (no message ever arrives). */
    const uint8_t *fixed_bits;
    int silent;
    /* Messages are the probabilities themselves (m = p, g = pi), nothing
     * sampled: the continuous relaxation whose exact gradient is what the
     * straight-through estimators give (gradient checks, warm starts). */
    int relaxed;
    double rows;               /* loss divisor: 0 = B*T (see cm_social_batch) */
} cm_link_batch;

typedef struct cm_link_state cm_link_state; /* opaque */

CM_API cm_status cm_link_state_create(const cm_link *l, int batch, int seq_len, cm_link_state **out);
CM_API void cm_link_state_free(cm_link_state *s);

typedef struct cm_link_losses {
    double nll, nll_pool, rate, gate, total;
    double sent;          /* fraction of (t, n, b) whose message was sent */
    double bits_per_step; /* sent * B: bits per step per sender */
} cm_link_losses;

/* Forward (+ loss when targets are given and loss != NULL). rng != NULL:
 * training, bits and gates sampled (Bernoulli) or noised (DRU); NULL: the
 * likelier values, 0 / 1. */
CM_API cm_status cm_link_forward(const cm_link *l, cm_link_state *s, const cm_link_batch *b, cm_rng *rng, double *loss);
/* Gradient of the last forward's loss ACCUMULATED into grad (laid out like
 * the parameter block); the gradients with respect to the inputs state and
 * ctx are left in the state (cm_link_input_grad). */
CM_API cm_status cm_link_backward(const cm_link *l, cm_link_state *s, float *grad);
CM_API void cm_link_get_losses(const cm_link_state *s, cm_link_losses *out);

typedef enum cm_link_output {
    CM_LINK_PRED = 0,   /* [T, N*B, O] each sender's prediction (logits) */
    CM_LINK_POOLED,     /* [T, B, O] (who) */
    CM_LINK_WHO,        /* [T, B, N] weights over senders (who) */
    CM_LINK_SENT,       /* [T, N*B] 1 where a message was sent */
    CM_LINK_P_SEND,     /* [T, N*B] the gate's probability */
    CM_LINK_BITS,       /* [T, N*B, B] the bits as 0 / 1 */
    CM_LINK_DECODER     /* [T, N*B, D] the decoder's ReLU layer (social cells from messages, §11.3) */
} cm_link_output;
CM_API const float *cm_link_output_get(const cm_link_state *s, cm_link_output which);
/* After backward: d loss / d state [T, N*B, S] or d loss / d ctx [T, B, C] (packed). */
CM_API const float *cm_link_input_grad(const cm_link_state *s, int ctx);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_LINK_H */
