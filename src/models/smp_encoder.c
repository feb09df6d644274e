/* SMP's visual autoencoder ([DESIGN] smp.md §3.1, channels of the public
 * re-implementation): four 4x4 stride-2 convolutions with ReLU, a linear
 * layer to the embedding, and the mirror image back to the frame; MSE
 * reconstruction. Trained first, then frozen: the SMP sees the embedding
 * normalised to unit length, so dot products with the memory stay in [-1, 1]. */
#include "smp_encoder.h"

#include <math.h>
#include <string.h>

static cm_conv2d_cfg conv_cfg(int batch, int in_c, int side, int out_c)
{
    cm_conv2d_cfg c = cm_conv2d_make(batch, in_c, side, side, out_c, 4, 4);
    c.stride[0] = c.stride[1] = 2;
    c.pad[0] = c.pad[1] = 1;
    return c;
}

/* Channels and sides of the five feature levels: 0 is the frame. */
static void levels(const cm_smp_config *cfg, int ch[5], int side[5])
{
    ch[0] = 3;
    side[0] = cfg->image;
    for (int k = 1; k < 5; k++) {
        ch[k] = cfg->enc_channels[k - 1];
        side[k] = side[k - 1] / 2;
    }
}

cm_status smp_encoder_register(cm_params *p, const cm_smp_config *cfg, int *first)
{
    int ch[5], side[5];
    levels(cfg, ch, side);
    const int flat = ch[4] * side[4] * side[4];
    cm_status st = CM_OK;
    int idx;
    char name[96];
    for (int k = 0; k < 4 && st == CM_OK; k++) {
        int64_t ws[4] = {ch[k + 1], ch[k], 4, 4}, bs[1] = {ch[k + 1]};
        snprintf(name, sizeof name, "encoder/conv%d/weight", k);
        st = cm_params_add(p, name, 4, ws, &idx);
        if (k == 0)
            *first = idx;
        snprintf(name, sizeof name, "encoder/conv%d/bias", k);
        if (st == CM_OK)
            st = cm_params_add(p, name, 1, bs, &idx);
    }
    int64_t fw[2] = {cfg->embed, flat}, fb[1] = {cfg->embed};
    int64_t gw[2] = {flat, cfg->embed}, gb[1] = {flat};
    if (st == CM_OK)
        st = cm_params_add(p, "encoder/linear/weight", 2, fw, &idx);
    if (st == CM_OK)
        st = cm_params_add(p, "encoder/linear/bias", 1, fb, &idx);
    if (st == CM_OK)
        st = cm_params_add(p, "decoder/linear/weight", 2, gw, &idx);
    if (st == CM_OK)
        st = cm_params_add(p, "decoder/linear/bias", 1, gb, &idx);
    /* Transposed convolutions back up: level 4 -> 3 -> 2 -> 1 -> 0. */
    for (int k = 4; k >= 1 && st == CM_OK; k--) {
        int64_t ws[4] = {ch[k], ch[k - 1], 4, 4}, bs[1] = {ch[k - 1]};
        snprintf(name, sizeof name, "decoder/deconv%d/weight", 4 - k);
        st = cm_params_add(p, name, 4, ws, &idx);
        snprintf(name, sizeof name, "decoder/deconv%d/bias", 4 - k);
        if (st == CM_OK)
            st = cm_params_add(p, name, 1, bs, &idx);
    }
    return st;
}

/* PyTorch's default init (kaiming-uniform bounds 1/sqrt(fan_in)). */
void smp_encoder_init(cm_params *p, int first, cm_rng *rng)
{
    for (int k = first; k < first + SMP_ENC_TENSORS; k++) {
        const cm_tensor_info *t = &p->tensors[k];
        const cm_tensor_info *wt = (t->ndim == 1) ? &p->tensors[k - 1] : t;
        int64_t fan_in = 1;
        if (wt->ndim == 4)
            fan_in = wt->shape[1] * 16; /* PyTorch: dim 1 for Conv2d and ConvTranspose2d alike */
        else
            fan_in = wt->shape[1];
        const float bound = 1.0f / sqrtf((float)fan_in);
        cm_init_uniform(rng, cm_params_data(p, k), t->count, -bound, bound);
    }
}

cm_status smp_encoder_alloc(smp_encoder *e, const cm_smp_config *cfg)
{
    memset(e, 0, sizeof *e);
    int ch[5], side[5];
    levels(cfg, ch, side);
    e->cap = SMP_CHUNK;
    e->embed = cfg->embed;
    e->flat = ch[4] * side[4] * side[4];
    size_t work = 0;
    for (int k = 0; k < 5; k++) {
        e->ch[k] = ch[k];
        e->side[k] = side[k];
        e->size[k] = (size_t)ch[k] * side[k] * side[k];
    }
    for (int k = 0; k < 4; k++) {
        cm_conv2d_cfg c = conv_cfg(e->cap, ch[k], side[k], ch[k + 1]);
        size_t a = cm_conv2d_work_floats(&c);
        cm_conv2d_cfg d = conv_cfg(e->cap, ch[k + 1], side[k + 1], ch[k]);
        size_t b = cm_conv_transpose2d_work_floats(&d);
        if (a > work)
            work = a;
        if (b > work)
            work = b;
    }
    const size_t C = (size_t)e->cap;
    size_t total = 0;
    for (int k = 0; k < 5; k++)
        total += 2 * C * e->size[k]; /* encoder level k and decoder level k */
    total += 2 * C * (size_t)e->embed;
    e->block = cm_alloc(2 * total * sizeof(float));
    e->work = cm_alloc(work * sizeof(float));
    if (!e->block || !e->work) {
        smp_encoder_free(e);
        return cm_error(CM_ERR_NOMEM, "smp encoder: out of memory for %zu floats", 2 * total);
    }
    float *q = e->block;
    for (int k = 0; k < 5; k++) {
        e->enc[k] = q, q += C * e->size[k];
        e->dec[k] = q, q += C * e->size[k];
        e->denc[k] = q, q += C * e->size[k];
        e->ddec[k] = q, q += C * e->size[k];
    }
    e->z = q, q += C * e->embed;
    e->dz = q, q += C * e->embed;
    return CM_OK;
}

void smp_encoder_free(smp_encoder *e)
{
    cm_free(e->block);
    cm_free(e->work);
    memset(e, 0, sizeof *e);
}

void smp_frames_to_input(smp_encoder *e, const uint8_t *rgb, int nf)
{
    const int s = e->side[0];
    for (int f = 0; f < nf; f++)
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < s * s; i++)
                e->enc[0][(size_t)f * e->size[0] + (size_t)c * s * s + i] =
                    rgb[((size_t)f * s * s + i) * 3 + c] * (1.0f / 255.0f);
}

/* Encoder forward for nf frames already in enc[0]: z [nf, D]. */
void smp_encoder_forward(smp_encoder *e, const cm_params *p, int first, int nf)
{
    for (int k = 0; k < 4; k++) {
        cm_conv2d_cfg c = conv_cfg(nf, e->ch[k], e->side[k], e->ch[k + 1]);
        cm_conv2d_forward(e->enc[k + 1], e->enc[k], cm_params_data(p, first + 2 * k),
                          cm_params_data(p, first + 2 * k + 1), &c, e->work);
        cm_relu_forward(e->enc[k + 1], e->enc[k + 1], (size_t)nf * e->size[k + 1]);
    }
    cm_linear_forward(e->z, e->enc[4], cm_params_data(p, first + 8), cm_params_data(p, first + 9), nf, e->flat,
                      e->embed, 0);
}

/* A tensor of the caller's gradient block. */
#define GRAD(index) (grad + p->tensors[(index)].offset)

double smp_autoencoder_step(smp_encoder *e, const cm_params *p, int first, int nf, float *grad)
{
    smp_encoder_forward(e, p, first, nf);
    /* Decoder: dec[4] = relu(linear(z)), dec[k-1] = deconv(dec[k]) (ReLU but the last). */
    cm_linear_forward(e->dec[4], e->z, cm_params_data(p, first + 10), cm_params_data(p, first + 11), nf, e->embed,
                      e->flat, 0);
    cm_relu_forward(e->dec[4], e->dec[4], (size_t)nf * e->size[4]);
    for (int k = 4; k >= 1; k--) {
        const int wi = first + 12 + 2 * (4 - k);
        cm_conv2d_cfg c = conv_cfg(nf, e->ch[k], e->side[k], e->ch[k - 1]);
        cm_conv_transpose2d_forward(e->dec[k - 1], e->dec[k], cm_params_data(p, wi), cm_params_data(p, wi + 1), &c,
                                    e->work);
        if (k > 1)
            cm_relu_forward(e->dec[k - 1], e->dec[k - 1], (size_t)nf * e->size[k - 1]);
    }
    /* MSE over every pixel and channel. */
    const size_t n0 = (size_t)nf * e->size[0];
    double loss = 0;
    for (size_t i = 0; i < n0; i++) {
        const float d = e->dec[0][i] - e->enc[0][i];
        loss += (double)d * d;
        e->ddec[0][i] = 2.0f * d / (float)n0;
    }
    for (int k = 1; k < 5; k++) {
        memset(e->ddec[k], 0, (size_t)nf * e->size[k] * sizeof(float));
        memset(e->denc[k], 0, (size_t)nf * e->size[k] * sizeof(float));
    }
    memset(e->dz, 0, (size_t)nf * e->embed * sizeof(float));
    /* ddec[k] is the gradient w.r.t. dec[k] after its ReLU; it is masked into
     * the pre-activation gradient before going through deconv k. */
    for (int k = 1; k <= 4; k++) {
        const int wi = first + 12 + 2 * (4 - k);
        cm_conv2d_cfg c = conv_cfg(nf, e->ch[k], e->side[k], e->ch[k - 1]);
        if (k > 1) {
            const size_t nk = (size_t)nf * e->size[k - 1];
            for (size_t i = 0; i < nk; i++)
                if (e->dec[k - 1][i] <= 0.0f)
                    e->ddec[k - 1][i] = 0.0f;
        }
        cm_conv_transpose2d_backward(e->ddec[k], GRAD(wi), GRAD(wi + 1), e->ddec[k - 1], e->dec[k],
                                     cm_params_data(p, wi), &c, e->work);
    }
    {
        const size_t n4 = (size_t)nf * e->size[4];
        for (size_t i = 0; i < n4; i++)
            if (e->dec[4][i] <= 0.0f)
                e->ddec[4][i] = 0.0f;
    }
    cm_linear_backward(e->dz, GRAD(first + 10), GRAD(first + 11), e->ddec[4], e->z, cm_params_data(p, first + 10), nf,
                       e->embed, e->flat);
    cm_linear_backward(e->denc[4], GRAD(first + 8), GRAD(first + 9), e->dz, e->enc[4], cm_params_data(p, first + 8), nf,
                       e->flat, e->embed);
    for (int k = 4; k >= 1; k--) {
        const size_t nk = (size_t)nf * e->size[k];
        for (size_t i = 0; i < nk; i++)
            if (e->enc[k][i] <= 0.0f)
                e->denc[k][i] = 0.0f;
        cm_conv2d_cfg c = conv_cfg(nf, e->ch[k - 1], e->side[k - 1], e->ch[k]);
        cm_conv2d_backward(k > 1 ? e->denc[k - 1] : NULL, GRAD(first + 2 * (k - 1)), GRAD(first + 2 * (k - 1) + 1),
                           e->denc[k], e->enc[k - 1], cm_params_data(p, first + 2 * (k - 1)), &c, e->work);
    }
    return loss / (double)n0;
}
