/* Private layout of the path-integration network, shared by its files. */
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

struct cm_pathint {
    cm_pathint_config cfg;
    cm_params params;
    pathint_tensors ix;
    size_t n_trained;  /* floats the optimiser updates: init_fc sits after them */
    cm_optim optim;
    cm_rng dropout_rng;
    int B, T;          /* shapes of the current activations */
    int have_forward;  /* a forward has filled the activations */
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
    float *dplog, *dhlog, *dz, *dzpre, *dhs, *dh0, *dc0, *work, *fwork;
    /* the batch of the last forward (caller's buffers, read in backward) */
    cm_pathint_batch batch;
};

#endif
