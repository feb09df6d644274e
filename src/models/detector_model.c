/* The target detector's structure, parameters and their initialisation, and
 * its per-batch state (detector.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "detector_internal.h"

static cm_status add_tensor(cm_params *p, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2, int64_t d3,
                            int *index)
{
    int64_t shape[4] = {d0, d1, d2, d3};
    return cm_params_add(p, name, ndim, shape, index);
}

/* Registers a convolution (+ BatchNorm) named as in SSM-PC's state dict. */
static cm_status add_conv(cm_detector *m, const char *wname, const char *bname, const char *bn_prefix, int in_c,
                          int in_hw, int out_c, int k, int stride, int pad, int relu, int *out_index)
{
    if (m->n_convs >= DET_MAX_CONVS)
        return cm_error(CM_ERR_ARG, "detector: too many convolutions (blocks too large)");
    det_conv *c = &m->convs[m->n_convs];
    memset(c, 0, sizeof *c);
    c->cfg = cm_conv2d_make(1, in_c, in_hw, in_hw, out_c, k, k);
    c->cfg.stride[0] = c->cfg.stride[1] = stride;
    c->cfg.pad[0] = c->cfg.pad[1] = pad;
    cm_status st = cm_conv2d_out_size(&c->cfg, &c->out_h, &c->out_w);
    if (st)
        return st;
    c->in_c = in_c, c->in_h = c->in_w = in_hw, c->out_c = out_c, c->relu = relu;
    if ((st = add_tensor(&m->p, wname, 4, out_c, in_c, k, k, &c->w)))
        return st;
    c->b = -1;
    if (bname && (st = add_tensor(&m->p, bname, 1, out_c, 0, 0, 0, &c->b)))
        return st;
    if (bn_prefix) {
        char n[96];
        c->bn = 1;
        const char *suffix[4] = {"weight", "bias", "running_mean", "running_var"};
        int *idx[4] = {&c->g, &c->beta, &c->rm, &c->rv};
        for (int i = 0; i < 4; i++) {
            snprintf(n, sizeof n, "%s.%s", bn_prefix, suffix[i]);
            if ((st = add_tensor(&m->p, n, 1, out_c, 0, 0, 0, idx[i])))
                return st;
        }
    }
    *out_index = m->n_convs++;
    return CM_OK;
}

static cm_status add_mlp(cm_detector *m, const char *prefix, int in, int hidden, int out, det_mlp *mlp)
{
    char n[96];
    cm_status st;
    mlp->in = in, mlp->hidden = hidden, mlp->out = out;
    snprintf(n, sizeof n, "%s.0.weight", prefix);
    if ((st = add_tensor(&m->p, n, 2, hidden, in, 0, 0, &mlp->w0)))
        return st;
    snprintf(n, sizeof n, "%s.0.bias", prefix);
    if ((st = add_tensor(&m->p, n, 1, hidden, 0, 0, 0, &mlp->b0)))
        return st;
    snprintf(n, sizeof n, "%s.1.weight", prefix);
    if ((st = add_tensor(&m->p, n, 1, hidden, 0, 0, 0, &mlp->g)))
        return st;
    snprintf(n, sizeof n, "%s.1.bias", prefix);
    if ((st = add_tensor(&m->p, n, 1, hidden, 0, 0, 0, &mlp->beta)))
        return st;
    snprintf(n, sizeof n, "%s.4.weight", prefix);
    if ((st = add_tensor(&m->p, n, 2, out, hidden, 0, 0, &mlp->w4)))
        return st;
    snprintf(n, sizeof n, "%s.4.bias", prefix);
    return add_tensor(&m->p, n, 1, out, 0, 0, 0, &mlp->b4);
}

static cm_status build(cm_detector *m)
{
    const cm_detector_config *c = &m->cfg;
    const int w = c->width;
    const char *B = "feature_extractor.backbone";
    char wn[96], bn[96];
    cm_status st;
    snprintf(wn, sizeof wn, "%s.0.weight", B);
    snprintf(bn, sizeof bn, "%s.1", B);
    if ((st = add_conv(m, wn, NULL, bn, 3, CM_DETECTOR_IMAGE, w, 7, 2, 3, 1, &m->conv1)))
        return st;
    int hw = cm_pool2d_out(m->convs[m->conv1].out_h, 3, 2, 1); /* 16 */
    int in_c = w;
    for (int layer = 0; layer < 3; layer++) {
        int out_c = w << layer, stride = layer ? 2 : 1;
        for (int j = 0; j < c->blocks; j++) {
            det_block *blk = &m->blocks[m->n_blocks++];
            int s = j ? 1 : stride, cin = j ? out_c : in_c;
            char p[64];
            snprintf(p, sizeof p, "%s.%d.%d", B, 4 + layer, j);
            snprintf(wn, sizeof wn, "%s.conv1.weight", p);
            snprintf(bn, sizeof bn, "%s.bn1", p);
            if ((st = add_conv(m, wn, NULL, bn, cin, hw, out_c, 3, s, 1, 1, &blk->c1)))
                return st;
            int ohw = m->convs[blk->c1].out_h;
            snprintf(wn, sizeof wn, "%s.conv2.weight", p);
            snprintf(bn, sizeof bn, "%s.bn2", p);
            if ((st = add_conv(m, wn, NULL, bn, out_c, ohw, out_c, 3, 1, 1, 0, &blk->c2)))
                return st;
            blk->ds = -1;
            if (s != 1 || cin != out_c) {
                snprintf(wn, sizeof wn, "%s.downsample.0.weight", p);
                snprintf(bn, sizeof bn, "%s.downsample.1", p);
                if ((st = add_conv(m, wn, NULL, bn, cin, hw, out_c, 1, s, 0, 0, &blk->ds)))
                    return st;
            }
            hw = ohw;
        }
        in_c = out_c;
    }
    if (hw * hw != DET_CELLS)
        return cm_error(CM_ERR_INTERNAL, "detector: the backbone ends at %d x %d, expected 4 x 4", hw, hw);
    const char *S = "feature_extractor.spatial_conv";
    snprintf(wn, sizeof wn, "%s.0.weight", S), snprintf(bn, sizeof bn, "%s.0.bias", S);
    char bnp[96];
    snprintf(bnp, sizeof bnp, "%s.1", S);
    if ((st = add_conv(m, wn, bn, bnp, 4 * w, 4, 2 * w, 1, 1, 0, 1, &m->sc0)))
        return st;
    snprintf(wn, sizeof wn, "%s.3.weight", S), snprintf(bn, sizeof bn, "%s.3.bias", S);
    snprintf(bnp, sizeof bnp, "%s.4", S);
    if ((st = add_conv(m, wn, bn, bnp, 2 * w, 4, w, 3, 1, 1, 1, &m->sc1)))
        return st;
    const char *A = "position_predictor.shared_attention";
    snprintf(wn, sizeof wn, "%s.0.weight", A), snprintf(bn, sizeof bn, "%s.0.bias", A);
    snprintf(bnp, sizeof bnp, "%s.1", A);
    if ((st = add_conv(m, wn, bn, bnp, w, 4, w / 2, 1, 1, 0, 1, &m->at0)))
        return st;
    snprintf(wn, sizeof wn, "%s.3.weight", A), snprintf(bn, sizeof bn, "%s.3.bias", A);
    if ((st = add_conv(m, wn, bn, NULL, w / 2, 4, c->objects, 1, 1, 0, 0, &m->at1)))
        return st;
    if ((st = add_mlp(m, "position_predictor.position_decoder", w + 2, c->hidden, 2, &m->pos)))
        return st;
    return add_mlp(m, "visibility_predictor", w + 2, c->hidden, c->objects, &m->vis);
}

/* PyTorch's initial values: torchvision's ResNet convolutions kaiming_normal
 * (fan_out, relu); every other Conv2d and Linear kaiming_uniform(a = sqrt 5)
 * = U(+-1/sqrt(fan_in)) for weight and bias; norms 1 and 0; running
 * statistics 0 and 1. */
static void init_weights(cm_detector *m, uint64_t seed)
{
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    for (int i = 0; i < m->n_convs; i++) {
        const det_conv *c = &m->convs[i];
        float *w = cm_params_data(&m->p, c->w);
        size_t n = (size_t)c->out_c * c->in_c * c->cfg.kh * c->cfg.kw;
        int resnet = strncmp(m->p.tensors[c->w].name, "feature_extractor.backbone", 26) == 0;
        if (resnet) {
            double sd = sqrt(2.0 / ((double)c->out_c * c->cfg.kh * c->cfg.kw));
            for (size_t k = 0; k < n; k++)
                w[k] = (float)(sd * cm_rng_normal(&rng));
        } else {
            float bound = 1.0f / sqrtf((float)c->in_c * c->cfg.kh * c->cfg.kw);
            cm_init_uniform(&rng, w, n, -bound, bound);
            if (c->b >= 0)
                cm_init_uniform(&rng, cm_params_data(&m->p, c->b), (size_t)c->out_c, -bound, bound);
        }
        if (c->bn) {
            float *g = cm_params_data(&m->p, c->g), *rv = cm_params_data(&m->p, c->rv);
            for (int k = 0; k < c->out_c; k++)
                g[k] = rv[k] = 1.0f;
        }
    }
    const det_mlp *mlps[2] = {&m->pos, &m->vis};
    for (int i = 0; i < 2; i++) {
        const det_mlp *l = mlps[i];
        cm_init_linear(&rng, cm_params_data(&m->p, l->w0), cm_params_data(&m->p, l->b0), l->hidden, l->in);
        float *g = cm_params_data(&m->p, l->g);
        for (int k = 0; k < l->hidden; k++)
            g[k] = 1.0f;
        cm_init_linear(&rng, cm_params_data(&m->p, l->w4), cm_params_data(&m->p, l->b4), l->out, l->hidden);
    }
}

cm_status cm_detector_create(const cm_detector_config *cfg, uint64_t seed, cm_detector **out)
{
    *out = NULL;
    cm_status st = cm_detector_config_check(cfg);
    if (st)
        return st;
    cm_detector *m = cm_calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "detector: out of memory");
    m->cfg = *cfg;
    cm_params_init(&m->p);
    if ((st = build(m)) || (st = cm_params_finalize(&m->p))) {
        cm_detector_free(m);
        return st;
    }
    for (int i = 0; i < m->p.count; i++) {
        const char *n = m->p.tensors[i].name;
        size_t len = strlen(n);
        if (!(len > 12 && (strcmp(n + len - 12, "running_mean") == 0 || strcmp(n + len - 11, "running_var") == 0)))
            m->trainable += m->p.tensors[i].count;
    }
    init_weights(m, seed);
    *out = m;
    return CM_OK;
}

void cm_detector_free(cm_detector *m)
{
    if (!m)
        return;
    cm_params_free(&m->p);
    cm_free(m);
}

const cm_detector_config *cm_detector_get_config(const cm_detector *m) { return &m->cfg; }
cm_params *cm_detector_params(cm_detector *m) { return &m->p; }
const cm_params *cm_detector_params_const(const cm_detector *m) { return &m->p; }
size_t cm_detector_n_trainable(const cm_detector *m) { return m->trainable; }

/* ------------------------------------------------------------------ state */

typedef struct det_alloc {
    float *block;
    size_t used, cap;
} det_alloc;

/* Carves 64-byte aligned pieces out of one allocation (counted first with block == NULL). */
static float *carve(det_alloc *a, size_t n)
{
    size_t at = a->used;
    a->used += (n + 15) & ~(size_t)15;
    return a->block ? a->block + at : NULL;
}

static void mlp_buffers(det_alloc *a, det_mlp_buf *b, const det_mlp *l, int rows)
{
    b->x = carve(a, (size_t)rows * l->in);
    b->h = carve(a, (size_t)rows * l->hidden);
    b->ln = carve(a, (size_t)rows * l->hidden);
    b->mean = carve(a, (size_t)rows);
    b->rstd = carve(a, (size_t)rows);
    b->mask = carve(a, (size_t)rows * l->hidden);
    b->d = carve(a, (size_t)rows * l->hidden);
    b->y = carve(a, (size_t)rows * l->out);
    b->dx = carve(a, (size_t)rows * l->in);
    b->dh = carve(a, (size_t)rows * l->hidden);
    b->dln = carve(a, (size_t)rows * l->hidden);
    b->dd = carve(a, (size_t)rows * l->hidden);
    b->dy = carve(a, (size_t)rows * l->out);
}

static void layout(const cm_detector *m, cm_detector_state *s, det_alloc *a, int B)
{
    const int K = m->cfg.objects, w = m->cfg.width;
    size_t work = 0;
    for (int i = 0; i < m->n_convs; i++) {
        const det_conv *c = &m->convs[i];
        size_t n = (size_t)B * c->out_c * c->out_h * c->out_w;
        s->y[i] = carve(a, n);
        s->dy[i] = carve(a, n);
        if (c->bn) {
            s->z[i] = carve(a, n);
            s->dz[i] = carve(a, n);
            s->mean[i] = carve(a, (size_t)c->out_c);
            s->rstd[i] = carve(a, (size_t)c->out_c);
        } else {
            s->z[i] = s->y[i];
            s->dz[i] = s->dy[i];
        }
        size_t wf = cm_conv2d_work_floats(&c->cfg);
        work = wf > work ? wf : work;
    }
    const det_conv *c1 = &m->convs[m->conv1];
    int ph = cm_pool2d_out(c1->out_h, 3, 2, 1);
    size_t np = (size_t)B * c1->out_c * ph * ph;
    s->pool = carve(a, np);
    s->dpool = carve(a, np);
    s->argmax = (int32_t *)carve(a, np);
    for (int j = 0; j < m->n_blocks; j++) {
        const det_conv *c2 = &m->convs[m->blocks[j].c2];
        size_t n = (size_t)B * c2->out_c * c2->out_h * c2->out_w;
        s->out[j] = carve(a, n);
        s->dout[j] = carve(a, n);
    }
    s->work = carve(a, work);
    s->gap = carve(a, (size_t)B * w);
    s->dgap = carve(a, (size_t)B * w);
    mlp_buffers(a, &s->vis, &m->vis, B);
    mlp_buffers(a, &s->pos, &m->pos, B * K);
    s->vis_prob = carve(a, (size_t)B * K);
    s->att = carve(a, (size_t)B * K * DET_CELLS);
    s->datt = carve(a, (size_t)B * K * DET_CELLS);
    s->pooled = carve(a, (size_t)B * K * w);
    s->dpooled = carve(a, (size_t)B * K * w);
    s->pos_out = carve(a, (size_t)B * K * 2);
    s->dvis = carve(a, (size_t)B * K);
    s->image = carve(a, (size_t)B * 3 * CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE);
    s->angle = carve(a, (size_t)B * 2);
    s->t_vis = carve(a, (size_t)B * K);
    s->t_pos = carve(a, (size_t)B * K * 2);
}

cm_status cm_detector_state_create(const cm_detector *m, int batch, cm_detector_state **out)
{
    *out = NULL;
    if (batch < 1 || batch > 4096)
        return cm_error(CM_ERR_ARG, "detector state: batch: expected 1..4096, got %d", batch);
    cm_detector_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "detector state: out of memory");
    det_alloc a = {NULL, 0, 0};
    layout(m, s, &a, batch);
    a.cap = a.used;
    a.block = cm_calloc(a.cap, sizeof(float));
    if (!a.block) {
        cm_free(s);
        return cm_error(CM_ERR_NOMEM, "detector state: cannot allocate %.1f MB for batch %d", a.cap * 4.0 / 1e6,
                        batch);
    }
    a.used = 0;
    layout(m, s, &a, batch);
    s->batch = batch;
    s->block = a.block;
    s->floats = a.cap;
    *out = s;
    return CM_OK;
}

void cm_detector_state_free(cm_detector_state *s)
{
    if (!s)
        return;
    cm_free(s->block);
    cm_free(s);
}

int cm_detector_state_batch(const cm_detector_state *s) { return s->batch; }
const float *cm_detector_visibility(const cm_detector_state *s) { return s->vis_prob; }
const float *cm_detector_positions(const cm_detector_state *s) { return s->pos_out; }
const float *cm_detector_attention(const cm_detector_state *s) { return s->att; }

void cm_detector_place(const cm_detector *m, const cm_detector_state *s, int b, int k, float out[2])
{
    const int K = m->cfg.objects;
    const float v = s->vis_prob[b * K + k], *p = &s->pos_out[2 * (b * K + k)];
    out[0] = v > 0.0f ? p[0] / v : p[0];
    out[1] = v > 0.0f ? p[1] / v : p[1];
}

void cm_detector_loss_terms(const cm_detector_state *s, double terms[3])
{
    terms[0] = s->terms[0];
    terms[1] = s->terms[1];
    terms[2] = s->terms[2];
}

void cm_detector_image(const uint8_t *rgb, float *out)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    const int P = CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < P; i++)
            out[c * P + i] = (rgb[i * 3 + c] / 255.0f - mean[c]) / sd[c];
}
