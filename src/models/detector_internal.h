/* Private to src/models/detector*.c: the network's layout and a state's buffers. */
#ifndef COGMAP_DETECTOR_INTERNAL_H
#define COGMAP_DETECTOR_INTERNAL_H

#include "cogmap/detector.h"

#define DET_BN_EPS 1e-5f
#define DET_LN_EPS 1e-5f
#define DET_CELLS 16 /* the 4 x 4 grid of S */
#define DET_MAX_CONVS 64

/* A convolution, optionally followed by BatchNorm. */
typedef struct det_conv {
    cm_conv2d_cfg cfg; /* batch 1; set per call */
    int in_c, in_h, in_w, out_c, out_h, out_w;
    int w, b;          /* parameter indices (b = -1: no bias) */
    int bn;            /* followed by BatchNorm */
    int g, beta, rm, rv;
    int relu;          /* ReLU after (BN) */
} det_conv;

/* A BasicBlock: c1 (BN, ReLU), c2 (BN), optional ds (1x1 conv + BN), add, ReLU. */
typedef struct det_block {
    int c1, c2, ds; /* conv indices; ds = -1: identity */
} det_block;

typedef struct det_mlp { /* Linear, LayerNorm, ReLU, Dropout, Linear */
    int w0, b0, g, beta, w4, b4;
    int in, hidden, out;
} det_mlp;

struct cm_detector {
    cm_detector_config cfg;
    cm_params p;
    int n_convs;
    det_conv convs[DET_MAX_CONVS];
    int conv1;         /* conv index of the stem */
    int n_blocks;      /* 3 layers x blocks */
    det_block blocks[24];
    int sc0, sc1, at0, at1;
    det_mlp vis, pos;
    size_t trainable;
};

typedef struct det_mlp_buf {
    float *x, *h, *ln, *mean, *rstd, *mask, *d, *y;  /* y: output of the last Linear */
    float *dx, *dh, *dln, *dd, *dy;
} det_mlp_buf;

struct cm_detector_state {
    int batch; /* allocated for */
    int cur;   /* of the last forward */
    int train; /* the last forward was in training mode */
    int has_targets;
    float grad_scale;
    /* per conv: output (pre-BN), BN output (post-ReLU when relu), statistics, gradients */
    float *y[DET_MAX_CONVS], *z[DET_MAX_CONVS], *mean[DET_MAX_CONVS], *rstd[DET_MAX_CONVS];
    float *dy[DET_MAX_CONVS], *dz[DET_MAX_CONVS];
    float *pool, *dpool; /* after the stem's max pool */
    int32_t *argmax;
    float *out[24], *dout[24]; /* block outputs */
    float *work;         /* convolution scratch (one image) */
    /* heads */
    float *gap, *dgap;   /* [B, w] */
    det_mlp_buf vis, pos;
    float *vis_prob;     /* [B, K] sigmoid */
    float *att, *datt;   /* [B, K, 16] softmax, its gradient */
    float *pooled, *dpooled; /* [B, K, w] */
    float *pos_out;      /* [B, K, 2] = MLP output x visibility */
    float *dvis;         /* [B, K] d loss / d visibility */
    /* the batch, copied (backward needs the image; the caller's arrays may go) */
    float *image, *angle, *t_vis, *t_pos;
    double terms[3];
    float *block; /* the one allocation every buffer is carved from */
    size_t floats;
};


#endif
