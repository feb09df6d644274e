/* Private pieces of the SMP model shared by its files (and its tests). */
#ifndef COGMAP_SMP_INTERNAL_H
#define COGMAP_SMP_INTERNAL_H

#include "cogmap/smp.h"

struct cm_smp {
    cm_smp_config cfg;
    int64_t step;           /* optimiser steps taken (AE phase included) */
    int memory_filled;      /* the slots were filled after the AE phase */
    double log_beta;
    cm_params p;            /* the trainable tensors (names in smp_model.c) */
    cm_optim ae_opt, smp_opt;
    float *my;              /* [S, D] visual column (m^(y)), overwritten only */
    float *written[CM_SMP_RNNS]; /* [S, H_r] RNN states as written */
    float *slot_pos;        /* [S, 3] x, y, heading at write time (for decoding) */
    cm_arena arena;         /* the room the frames are rendered in */
};

/* Gradients from dh1 and dc1 (either may be NULL): du, dh0, dc0 (each may be
 * NULL), dw, db (may be NULL) accumulate. dz [B, 4H] and dzin [B, In + H]
 * are scratch. */
void smp_cell_backward(float *du, float *dh0, float *dc0, float *dw, float *db, const float *dh1, const float *dc1,
                       const float *c1, const float *gates, const float *zin, const float *c0, const float *w,
                       int B, int In, int H, float *dz, float *dzin);

/* Frames embedded per encoder call (bounds the activation buffers). */
#define SMP_CHUNK 32

/* Tests: one forward (and backward, gradients zeroed first, loss not
 * averaged) over given embeddings y [(T+1) B, D], inputs u[r] [(T+1) B, In_r]
 * and correction mask [(T+1) B], time-major, for the model's batch shape;
 * `drop` (NULL: no dropout) gives the inverted-dropout factors [T B, H_r].
 * Returns the summed cross-entropy. */
double smp_test_loss_grad(cm_smp *m, cm_smp_state *s, const float *y, const float *u[CM_SMP_RNNS], const float *mask,
                          const float *const drop[CM_SMP_RNNS], int backward_too);

#endif
