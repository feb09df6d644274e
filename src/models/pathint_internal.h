/* Private layout of the path-integration network, shared by its files:
 * pathint.c (building, the reference forward/backward, the read-outs and
 * losses), pathint_pipeline.c (the 2-thread pipelined forward/backward) and
 * pathint_checkpoint.c. */
#ifndef COGMAP_PATHINT_INTERNAL_H
#define COGMAP_PATHINT_INTERNAL_H

#include "cogmap/models.h"

/* Indices of the tensors in the store; -1 where a preset has none. */
typedef struct pathint_tensors {
    int w_ih, w_hh, b_ih, b_hh;       /* recurrent layer */
    int w_bn, b_bn;                   /* bottleneck */
    int w_p, b_p, w_d, b_d;           /* read-outs */
    int w_h0, b_h0, w_c0, b_c0;       /* initial state (RNN: w_h0 = encoder) */
    int w_unused, b_unused;           /* SSM-PC's init_fc */
} pathint_tensors;

/* The model: configuration and parameters, never written by forward or
 * backward. */
struct cm_pathint {
    cm_pathint_config cfg;
    cm_params params;
    pathint_tensors ix;
    size_t n_trained;  /* floats the optimiser updates: init_fc sits after them */
};

/* Everything a forward + backward over one batch shape writes. */
struct cm_pathint_state {
    int B, T;          /* shapes of the activations */
    int Bn;            /* rows the loss is normalised by: B, or the global batch of a shard */
    int have_forward;  /* a forward has filled the activations */
    int grads_ready;   /* a training forward has also written the loss gradients dplog/dhlog */
    double last_loss;
    /* activations, one allocation; time-major [T, B, .] */
    float *act;
    size_t act_floats;
    float *x;          /* [T, B, I] */
    float *r0;         /* [B, n_place + n_hd] initial code */
    float *hs, *cs;    /* [T+1, B, H] */
    float *gates;      /* [T, B, 4H] (LSTM) */
    float *zpre, *mask, *z; /* [T, B, Nb] */
    float *plog, *plogp;    /* [T, B, P] logits and log-softmax */
    float *hlog, *hlogp;    /* [T, B, Hd] */
    float *rowp, *rowh;     /* [T * B] per-row losses */
    /* gradients of the activations */
    float *dplog, *dhlog, *dz, *dhs, *dh0, *dc0, *work, *fwork;
    /* the batch of the last forward (caller's buffers, read in backward) */
    cm_pathint_batch batch;
};

/* The tensor `index` of a parameter-shaped block (params or a gradient
 * block), NULL where the preset has none. */
static inline float *pathint_at(const cm_pathint *m, const float *block, int index)
{
    return index >= 0 ? (float *)block + m->params.tensors[index].offset : NULL;
}

/* ---------------------------------------------- the read-outs (pathint.c) */

/* Sum of the SSM-PC frame weights over T steps. */
double pathint_frame_weight_sum(const cm_pathint_config *c, int T);
/* Forward of the read-outs of time-major rows [r0, r1) (whole time steps):
 * bottleneck, dropout (mask of `key`, by the global element index), logits,
 * log-softmax and the per-row losses (+ their logit gradients when train). */
void pathint_readout_rows(const cm_pathint *m, cm_pathint_state *s, int r0, int r1, int train, uint64_t key,
                          double wsum);
/* Backward, row-wise part, rows [r0, r1): dz = dplog W_p (+ dhlog W_d),
 * masked, then dhs = dz W_bn. */
void pathint_readout_back_rows(const cm_pathint *m, cm_pathint_state *s, int r0, int r1);
/* Weight and bias gradients of the read-outs and the bottleneck over all
 * rows, one job each (place, bottleneck, HD: largest first); jobs with no
 * tensor do nothing. */
#define PATHINT_READOUT_WEIGHT_JOBS 3
void pathint_readout_back_weights(const cm_pathint *m, cm_pathint_state *s, float *grad, int job);

/* --------------------------------------- the pipeline (pathint_pipeline.c) */

/* Number of time chunks of the pipelined forward/backward, or 0 when the
 * plain one runs (anything but a small LSTM at exactly 2 threads). */
int pathint_pipe_chunks(const cm_pathint *m, const cm_pathint_state *s);
void pathint_forward_pipelined(const cm_pathint *m, cm_pathint_state *s, int train, uint64_t key, int chunks);
void pathint_backward_pipelined(const cm_pathint *m, cm_pathint_state *s, float *grad, int chunks);

#endif
