/* Private layout of the social place-cell network (social.h), shared by
 * its files. */
#ifndef COGMAP_SOCIAL_INTERNAL_H
#define COGMAP_SOCIAL_INTERNAL_H

#include "cogmap/social.h"

/* Indices of the tensors in the store, in spc_module's state-dict order. */
typedef struct social_tensors {
    int ego;
    int w_ih, w_hh, b_ih, b_hh;
    int h0_w, h0_b, c0_w, c0_b;
    int bn_w, bn_b;
    int sp_w, sp_b, sh_w, sh_b, pp_w, pp_b, ph_w, ph_b;
    int r0_w, r0_b, r2_w, r2_b;
} social_tensors;

struct cm_social {
    cm_social_config cfg;
    cm_params params;
    social_tensors ix;
};

struct cm_social_state {
    int B, T;
    int have_forward, have_loss, train;
    int nr; /* LSTM rows of the last forward: 2B, or B alone (solo) */
    int rb; /* elements with read-outs (B, or fewer alone) */
    const cm_social_batch *batch_ptr;
    cm_social_batch batch; /* the last forward's batch (caller's buffers, read by backward) */
    double rows;           /* the loss's divisor */
    cm_social_losses losses;
    float *block;
    size_t floats;
    /* time-major recurrent part: both streams in one LSTM batch of 2B rows,
     * self rows 0..B-1, peer rows B..2B-1 */
    float *x;     /* [T, 2B, I + E] */
    float *r0;    /* [2B, n_place + n_hd] */
    float *hs, *cs; /* [T+1, 2B, H] */
    float *gates; /* [T, 2B, 4H] */
    float *fwork; /* cm_lstm_forward_work_floats */
    float *hself, *hpeer; /* [T+1, B, H] copies for callers (CM_SOCIAL_H_*) */
    float *dhself;        /* [T+1, B, H] callers' gradient of hself, zeroed by forward */
    /* batch-major read-out part: row b * T + t */
    float *joint;  /* [BT, H] */
    float *a;      /* [BT, Nb] ReLU output */
    float *mask;   /* [BT, Nb] dropout mask */
    float *z;      /* [BT, Nb] bottleneck after dropout */
    float *sp, *sh, *pp, *ph; /* logits [BT, Np | Nh] */
    float *r1;     /* [BT, Rh] distance head's hidden layer (after ReLU) */
    float *dist;   /* [BT] */
    float *logp;   /* [BT, Np] scratch for log-softmax */
    /* gradients of activations */
    float *dsp, *dsh, *dpp, *dph, *ddist, *dr1, *dz, *djoint, *dhs, *dx, *dh0, *dc0, *bwork;
};

#endif
