/* Internals of the BEV predictor (bevnet*.c): the model and state structs,
 * where each tensor sits, and the helpers the files share. Not public. */
#ifndef COGMAP_BEVNET_INTERNAL_H
#define COGMAP_BEVNET_INTERNAL_H

#include "cogmap/bevnet.h"

#define BEV_MAX_LAYERS 8
#define BEV_BEV_SIDE 250 /* the world's BEV images (CM_BEV_PIXELS) */
#define BEV_MAX_SIDE 2048 /* the upsampler's largest output side (config check) */
/* The inference path's column matrices hold about this many floats (chunks
 * of images; one image's may be more). */
#define BEV_COL_FLOATS ((size_t)1 << 21)

/* Indices into the parameter store of one Conv/ConvTranspose + BatchNorm block. */
typedef struct bev_block_idx {
    int w, b;           /* convolution weight, bias */
    int g, beta, rm, rv; /* BatchNorm weight, bias, running_mean, running_var */
} bev_block_idx;

struct cm_bevnet {
    cm_bevnet_config cfg;
    cm_params p;
    size_t n_trainable;
    /* derived sizes */
    int d;     /* model width: enc_channels[last] */
    int hf;    /* token grid side: image / 16 */
    int q;     /* queries: grid^2 */
    int side;  /* upsampler output side: grid << n_up */
    /* tensor indices */
    bev_block_idx enc[CM_BEVNET_ENC_BLOCKS];
    int enc_layer[BEV_MAX_LAYERS]; /* first tensor of each encoder layer (12 tensors) */
    int dec_layer[BEV_MAX_LAYERS]; /* first tensor of each decoder layer (18 tensors) */
    int proj_w, proj_b;
    bev_block_idx up[CM_BEVNET_MAX_UP];
    int head_w, head_b;
    uint8_t *is_stat; /* [p.count]: running statistic */
    /* fixed sinusoidal encodings (SSM-PC's pos_encoder.pe rows) */
    float *pe_tok; /* [hf, d]: token positions 0..W-1 */
    float *pe_q;   /* [q, d]: the queries */
};

/* Activation sizes of one encoder conv block / upsampler block. */
typedef struct bev_conv_shape {
    int in_c, in_s, out_c, out_s; /* channels and side, in and out */
} bev_conv_shape;

struct cm_bevnet_state {
    int batch, train;
    int n;       /* frames of the last forward */
    int is_train_fwd; /* the last forward was in training mode */
    int has_loss;
    float grad_scale;
    double loss, l_alpha, l_rgb, l_smooth;
    size_t bytes;
    const uint8_t *target; /* of the last forward (the caller keeps it alive until backward) */
    /* encoder */
    bev_conv_shape enc_shape[CM_BEVNET_ENC_BLOCKS];
    float *x0;                               /* [B, 3, S, S] normalised input */
    float *enc_pre[CM_BEVNET_ENC_BLOCKS];    /* conv outputs (BatchNorm inputs) */
    float *enc_act[CM_BEVNET_ENC_BLOCKS];    /* relu(bn(.)) */
    float *enc_mean[CM_BEVNET_ENC_BLOCKS], *enc_rstd[CM_BEVNET_ENC_BLOCKS];
    float *enc_bm[CM_BEVNET_ENC_BLOCKS], *enc_bv[CM_BEVNET_ENC_BLOCKS]; /* batch mean, unbiased var */
    /* Transformers */
    cm_transformer_cfg tenc, tdec;
    float *tok;                        /* [hf, B*hf, d] encoder input tokens (+ PE) */
    float *enc_x[BEV_MAX_LAYERS + 1];  /* inputs of each encoder layer; [enc_layers] = memory */
    float *enc_cache[BEV_MAX_LAYERS];
    float *dec_x[BEV_MAX_LAYERS + 1];  /* [0] = queries broadcast; [dec_layers] = output */
    float *dec_cache[BEV_MAX_LAYERS];
    cm_rng layer_rng[2 * BEV_MAX_LAYERS];
    /* projection */
    float *z;   /* [B*q, hf*d] gathered decoder outputs */
    float *pz;  /* [B*q, d] projected */
    /* upsampler */
    bev_conv_shape up_shape[CM_BEVNET_MAX_UP];
    float *up_in;                          /* [B, d, grid, grid] */
    float *up_pre[CM_BEVNET_MAX_UP];
    float *up_act[CM_BEVNET_MAX_UP];
    float *up_mean[CM_BEVNET_MAX_UP], *up_rstd[CM_BEVNET_MAX_UP];
    float *up_bm[CM_BEVNET_MAX_UP], *up_bv[CM_BEVNET_MAX_UP];
    float *logits;  /* [B, 4, side, side] */
    float *prob;    /* sigmoid(logits) */
    float *out;     /* [B, 4, out, out] */
    /* workspace */
    float *work;    /* convolution / transformer scratch */
    size_t work_floats;
    /* backward buffers (train states only) */
    float *g_a, *g_b; /* two ping-pong gradient buffers of the largest activation */
    float *g_tok;     /* [hf, B*hf, d] */
    float *g_mem;     /* [hf, B*hf, d] accumulated memory gradient */
    float *g_dec_a, *g_dec_b; /* [q, B*hf, d] */
    float *g_z;       /* [B*q, hf*d] */
    float *g_pz;      /* [B*q, d] */
    /* inference states (bevnet_infer.c): images channel-major [C, B, H, W] */
    float *fa, *fb;   /* ping-pong activations of the encoder and upsampler */
    float *col;       /* column matrix of a chunk of images */
    float *fold;      /* one block's weights and bias with BatchNorm folded in */
    int slots;        /* threads the head's per-thread rows (in col) were sized for */
};

/* Geometry of encoder block i, upsampler block i and the head at n frames. */
static inline cm_conv2d_cfg bev_enc_conv(const cm_bevnet_state *s, int i, int n)
{
    const bev_conv_shape *e = &s->enc_shape[i];
    cm_conv2d_cfg c = cm_conv2d_make(n, e->in_c, e->in_s, e->in_s, e->out_c, 3, 3);
    c.stride[0] = c.stride[1] = 2;
    c.pad[0] = c.pad[1] = 1;
    return c;
}

static inline cm_conv2d_cfg bev_up_conv(const cm_bevnet_state *s, int i, int n)
{
    const bev_conv_shape *u = &s->up_shape[i];
    cm_conv2d_cfg c = cm_conv2d_make(n, u->in_c, u->in_s, u->in_s, u->out_c, 4, 4);
    c.stride[0] = c.stride[1] = 2;
    c.pad[0] = c.pad[1] = 1;
    return c;
}

static inline cm_conv2d_cfg bev_head_conv(const cm_bevnet *m, int n)
{
    cm_conv2d_cfg c = cm_conv2d_make(n, m->cfg.up_channels[m->cfg.n_up - 1], m->side, m->side, 4, 3, 3);
    c.pad[0] = c.pad[1] = 1;
    return c;
}

/* Tensors of one Transformer layer as pointers into `block` (the parameter
 * block or a gradient block laid out like it). */
void bev_layer_ptrs(const cm_bevnet *m, const float *block, int first, int decoder, cm_transformer_params *out);

/* Transformer configurations at batch B frames. */
void bev_transformer_cfgs(const cm_bevnet *m, int B, cm_transformer_cfg *enc, cm_transformer_cfg *dec);

/* The evaluation-mode forward of an inference state (bevnet_infer.c): fills
 * s->out [n, 4, out, out] from n frames. */
void bev_forward_infer(const cm_bevnet *m, cm_bevnet_state *s, const uint8_t *rgb, int n);

/* ImageNet normalisation of frames [n, S, S, 3] uint8 into x [n, 3, S, S]. */
void bev_normalise(float *x, const uint8_t *rgb, int n, int side);

/* Loss of §6.3 on prediction out [n, 4, O, O] against target [n, O, O, 4]
 * (uint8); returns the total and the terms. */
double bev_loss_forward(const cm_bevnet_config *c, const float *out, const uint8_t *target, int n, double *l_alpha,
                        double *l_rgb, double *l_smooth);
/* dout [n, 4, O, O] += scale * d(loss)/d(out). */
void bev_loss_backward(const cm_bevnet_config *c, float *dout, const float *out, const uint8_t *target, int n,
                       float scale);

/* Data helpers (bevnet_data.c), here for the tests: the epoch permutation
 * (a bijection of [0, n) for each key) and numpy's RandomState(seed).shuffle. */
uint64_t bev_permute(uint64_t i, uint64_t n, uint64_t key);
void bev_numpy_shuffle(char **items, int n, uint32_t seed);

#endif
