/* The BEV predictor's tensors: SSM-PC's state-dict names and layouts, in
 * the state dict's order (ssm-pc.md §6.2), PyTorch's initialisation, and
 * the model object that owns them. */
#include "models/bevnet_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Registers one tensor; names are built from printf-style pieces. */
static cm_status add(cm_bevnet *m, int *index, int ndim, int64_t a, int64_t b, int64_t c, int64_t d,
                     const char *fmt, ...) __attribute__((format(printf, 8, 9)));

static cm_status add(cm_bevnet *m, int *index, int ndim, int64_t a, int64_t b, int64_t c, int64_t d,
                     const char *fmt, ...)
{
    char name[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(name, sizeof name, fmt, ap);
    va_end(ap);
    const int64_t shape[4] = {a, b, c, d};
    return cm_params_add(&m->p, name, ndim, shape, index);
}

/* A conv (or transposed conv) + BatchNorm block at Sequential positions
 * `pos` (conv) and pos + 1 (norm) of `seq` ("encoder.features", "decoder.decoder"). */
static cm_status add_block(cm_bevnet *m, bev_block_idx *ix, const char *seq, int pos, int64_t w0, int64_t w1,
                           int k, int out_c)
{
    cm_status st;
    if ((st = add(m, &ix->w, 4, w0, w1, k, k, "%s.%d.weight", seq, pos)) != CM_OK ||
        (st = add(m, &ix->b, 1, out_c, 0, 0, 0, "%s.%d.bias", seq, pos)) != CM_OK ||
        (st = add(m, &ix->g, 1, out_c, 0, 0, 0, "%s.%d.weight", seq, pos + 1)) != CM_OK ||
        (st = add(m, &ix->beta, 1, out_c, 0, 0, 0, "%s.%d.bias", seq, pos + 1)) != CM_OK ||
        (st = add(m, &ix->rm, 1, out_c, 0, 0, 0, "%s.%d.running_mean", seq, pos + 1)) != CM_OK ||
        (st = add(m, &ix->rv, 1, out_c, 0, 0, 0, "%s.%d.running_var", seq, pos + 1)) != CM_OK)
        return st;
    return CM_OK;
}

/* The attention tensors of `prefix` (self_attn / multihead_attn). */
static cm_status add_mha(cm_bevnet *m, const char *stack, int l, const char *prefix, int d)
{
    cm_status st;
    if ((st = add(m, NULL, 2, 3 * d, d, 0, 0, "%s.layers.%d.%s.in_proj_weight", stack, l, prefix)) != CM_OK ||
        (st = add(m, NULL, 1, 3 * d, 0, 0, 0, "%s.layers.%d.%s.in_proj_bias", stack, l, prefix)) != CM_OK ||
        (st = add(m, NULL, 2, d, d, 0, 0, "%s.layers.%d.%s.out_proj.weight", stack, l, prefix)) != CM_OK ||
        (st = add(m, NULL, 1, d, 0, 0, 0, "%s.layers.%d.%s.out_proj.bias", stack, l, prefix)) != CM_OK)
        return st;
    return CM_OK;
}

/* One Transformer layer in nn.TransformerEncoderLayer / DecoderLayer order. */
static cm_status add_layer(cm_bevnet *m, const char *stack, int l, int decoder, int *first)
{
    const int d = m->d, ff = m->cfg.ff;
    *first = m->p.count;
    cm_status st = add_mha(m, stack, l, "self_attn", d);
    if (st == CM_OK && decoder)
        st = add_mha(m, stack, l, "multihead_attn", d);
    if (st == CM_OK)
        st = add(m, NULL, 2, ff, d, 0, 0, "%s.layers.%d.linear1.weight", stack, l);
    if (st == CM_OK)
        st = add(m, NULL, 1, ff, 0, 0, 0, "%s.layers.%d.linear1.bias", stack, l);
    if (st == CM_OK)
        st = add(m, NULL, 2, d, ff, 0, 0, "%s.layers.%d.linear2.weight", stack, l);
    if (st == CM_OK)
        st = add(m, NULL, 1, d, 0, 0, 0, "%s.layers.%d.linear2.bias", stack, l);
    for (int k = 1; st == CM_OK && k <= (decoder ? 3 : 2); k++) {
        st = add(m, NULL, 1, d, 0, 0, 0, "%s.layers.%d.norm%d.weight", stack, l, k);
        if (st == CM_OK)
            st = add(m, NULL, 1, d, 0, 0, 0, "%s.layers.%d.norm%d.bias", stack, l, k);
    }
    return st;
}

void bev_layer_ptrs(const cm_bevnet *m, const float *block, int first, int decoder, cm_transformer_params *p)
{
    float *b = (float *)block;
    int i = first;
#define NEXT (b + m->p.tensors[i++].offset)
    memset(p, 0, sizeof *p);
    p->self_attn.in_w = NEXT;
    p->self_attn.in_b = NEXT;
    p->self_attn.out_w = NEXT;
    p->self_attn.out_b = NEXT;
    if (decoder) {
        p->cross_attn.in_w = NEXT;
        p->cross_attn.in_b = NEXT;
        p->cross_attn.out_w = NEXT;
        p->cross_attn.out_b = NEXT;
    }
    p->linear1_w = NEXT;
    p->linear1_b = NEXT;
    p->linear2_w = NEXT;
    p->linear2_b = NEXT;
    p->norm1_w = NEXT;
    p->norm1_b = NEXT;
    p->norm2_w = NEXT;
    p->norm2_b = NEXT;
    if (decoder) {
        p->norm3_w = NEXT;
        p->norm3_b = NEXT;
    }
#undef NEXT
}

static cm_status build(cm_bevnet *m)
{
    const cm_bevnet_config *c = &m->cfg;
    cm_status st = CM_OK;
    int in_c = 3;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS && st == CM_OK; i++) {
        st = add_block(m, &m->enc[i], "encoder.features", 3 * i, c->enc_channels[i], in_c, 3, c->enc_channels[i]);
        in_c = c->enc_channels[i];
    }
    for (int l = 0; l < c->enc_layers && st == CM_OK; l++)
        st = add_layer(m, "encoder.transformer", l, 0, &m->enc_layer[l]);
    for (int l = 0; l < c->dec_layers && st == CM_OK; l++)
        st = add_layer(m, "decoder.transformer", l, 1, &m->dec_layer[l]);
    if (st == CM_OK)
        st = add(m, &m->proj_w, 2, m->d, (int64_t)m->hf * m->d, 0, 0, "decoder.initial_proj.weight");
    if (st == CM_OK)
        st = add(m, &m->proj_b, 1, m->d, 0, 0, 0, "decoder.initial_proj.bias");
    in_c = m->d;
    for (int i = 0; i < c->n_up && st == CM_OK; i++) {
        /* ConvTranspose2d weights are [in, out, k, k]. */
        st = add_block(m, &m->up[i], "decoder.decoder", 3 * i, in_c, c->up_channels[i], 4, c->up_channels[i]);
        in_c = c->up_channels[i];
    }
    if (st == CM_OK)
        st = add(m, &m->head_w, 4, 4, in_c, 3, 3, "decoder.decoder.%d.weight", 3 * c->n_up);
    if (st == CM_OK)
        st = add(m, &m->head_b, 1, 4, 0, 0, 0, "decoder.decoder.%d.bias", 3 * c->n_up);
    if (st == CM_OK)
        st = cm_params_finalize(&m->p);
    return st;
}

static float *T(const cm_bevnet *m, int i)
{
    return cm_params_data(&m->p, i);
}

static size_t N(const cm_bevnet *m, int i)
{
    return m->p.tensors[i].count;
}

static void fill(float *x, size_t n, float v)
{
    for (size_t i = 0; i < n; i++)
        x[i] = v;
}

/* Each tensor draws from its own stream (its index), so that the values of
 * one tensor do not depend on the sizes of the others. */
static void init_uniform(const cm_bevnet *m, uint64_t seed, int i, float bound)
{
    cm_rng r;
    cm_rng_seed(&r, seed, 1000 + (uint64_t)i);
    cm_init_uniform(&r, T(m, i), N(m, i), -bound, bound);
}

static void init_block(const cm_bevnet *m, uint64_t seed, const bev_block_idx *ix, int64_t fan_in)
{
    const float bound = (float)(1.0 / sqrt((double)fan_in)); /* kaiming_uniform(a = sqrt 5) */
    init_uniform(m, seed, ix->w, bound);
    init_uniform(m, seed, ix->b, bound);
    fill(T(m, ix->g), N(m, ix->g), 1.0f);
    fill(T(m, ix->beta), N(m, ix->beta), 0.0f);
    fill(T(m, ix->rm), N(m, ix->rm), 0.0f);
    fill(T(m, ix->rv), N(m, ix->rv), 1.0f);
}

/* nn.TransformerEncoderLayer / DecoderLayer's own initialisation. */
static void init_layer(const cm_bevnet *m, uint64_t seed, int first, int decoder)
{
    const int d = m->d, ff = m->cfg.ff;
    int i = first;
    for (int a = 0; a < (decoder ? 2 : 1); a++, i += 4) {
        init_uniform(m, seed, i, (float)sqrt(6.0 / (4.0 * d))); /* xavier_uniform on [3d, d] */
        fill(T(m, i + 1), N(m, i + 1), 0.0f);
        init_uniform(m, seed, i + 2, (float)(1.0 / sqrt((double)d))); /* out_proj: Linear's default */
        fill(T(m, i + 3), N(m, i + 3), 0.0f);
    }
    init_uniform(m, seed, i, (float)(1.0 / sqrt((double)d)));
    init_uniform(m, seed, i + 1, (float)(1.0 / sqrt((double)d)));
    init_uniform(m, seed, i + 2, (float)(1.0 / sqrt((double)ff)));
    init_uniform(m, seed, i + 3, (float)(1.0 / sqrt((double)ff)));
    i += 4;
    for (int k = 0; k < (decoder ? 3 : 2); k++, i += 2) {
        fill(T(m, i), N(m, i), 1.0f);
        fill(T(m, i + 1), N(m, i + 1), 0.0f);
    }
}

/* nn.TransformerEncoder/Decoder deep-copy their one initialised layer. */
static void copy_layer(const cm_bevnet *m, int from, int to, int n_tensors)
{
    for (int k = 0; k < n_tensors; k++)
        memcpy(T(m, to + k), T(m, from + k), N(m, from + k) * sizeof(float));
}

static void init_all(cm_bevnet *m, uint64_t seed)
{
    const cm_bevnet_config *c = &m->cfg;
    int in_c = 3;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        init_block(m, seed, &m->enc[i], (int64_t)in_c * 9);
        in_c = c->enc_channels[i];
    }
    init_layer(m, seed, m->enc_layer[0], 0);
    for (int l = 1; l < c->enc_layers; l++)
        copy_layer(m, m->enc_layer[0], m->enc_layer[l], 12);
    init_layer(m, seed, m->dec_layer[0], 1);
    for (int l = 1; l < c->dec_layers; l++)
        copy_layer(m, m->dec_layer[0], m->dec_layer[l], 18);
    const float pb = (float)(1.0 / sqrt((double)m->hf * m->d));
    init_uniform(m, seed, m->proj_w, pb);
    init_uniform(m, seed, m->proj_b, pb);
    for (int i = 0; i < c->n_up; i++)
        /* ConvTranspose2d: PyTorch's fan_in is weight.size(1) * k * k = out_c * 16. */
        init_block(m, seed, &m->up[i], (int64_t)c->up_channels[i] * 16);
    const float hb = (float)(1.0 / sqrt((double)c->up_channels[c->n_up - 1] * 9));
    init_uniform(m, seed, m->head_w, hb);
    init_uniform(m, seed, m->head_b, hb);
}

cm_status cm_bevnet_create(const cm_bevnet_config *cfg, uint64_t seed, cm_bevnet **out)
{
    *out = NULL;
    cm_status st = cm_bevnet_config_check(cfg);
    if (st != CM_OK)
        return st;
    cm_bevnet *m = cm_calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "bev model: out of memory");
    m->cfg = *cfg;
    m->d = cfg->enc_channels[CM_BEVNET_ENC_BLOCKS - 1];
    m->hf = cfg->image / 16;
    m->q = cfg->grid * cfg->grid;
    m->side = cfg->grid << cfg->n_up;
    cm_params_init(&m->p);
    if ((st = build(m)) != CM_OK) {
        cm_bevnet_free(m);
        return st;
    }
    m->is_stat = cm_calloc((size_t)m->p.count, 1);
    m->pe_tok = cm_alloc((size_t)m->hf * m->d * sizeof(float));
    m->pe_q = cm_alloc((size_t)m->q * m->d * sizeof(float));
    if (!m->is_stat || !m->pe_tok || !m->pe_q) {
        cm_bevnet_free(m);
        return cm_error(CM_ERR_NOMEM, "bev model: out of memory");
    }
    const bev_block_idx *blocks[CM_BEVNET_ENC_BLOCKS + CM_BEVNET_MAX_UP];
    int nb = 0;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++)
        blocks[nb++] = &m->enc[i];
    for (int i = 0; i < cfg->n_up; i++)
        blocks[nb++] = &m->up[i];
    for (int i = 0; i < nb; i++)
        m->is_stat[blocks[i]->rm] = m->is_stat[blocks[i]->rv] = 1;
    m->n_trainable = 0;
    for (int i = 0; i < m->p.count; i++)
        if (!m->is_stat[i])
            m->n_trainable += m->p.tensors[i].count;
    cm_positional_encoding(m->pe_tok, m->hf, m->d);
    cm_positional_encoding(m->pe_q, m->q, m->d);
    init_all(m, seed);
    *out = m;
    return CM_OK;
}

void cm_bevnet_free(cm_bevnet *m)
{
    if (!m)
        return;
    cm_params_free(&m->p);
    cm_free(m->is_stat);
    cm_free(m->pe_tok);
    cm_free(m->pe_q);
    cm_free(m);
}

const cm_bevnet_config *cm_bevnet_get_config(const cm_bevnet *m)
{
    return &m->cfg;
}

cm_params *cm_bevnet_params(cm_bevnet *m)
{
    return &m->p;
}

size_t cm_bevnet_n_trainable(const cm_bevnet *m)
{
    return m->n_trainable;
}

int cm_bevnet_is_running_stat(const cm_bevnet *m, int index)
{
    return index >= 0 && index < m->p.count && m->is_stat[index];
}

void cm_bevnet_update_running(cm_bevnet *m, float *grad)
{
    const float mom = m->cfg.bn_momentum;
    for (int i = 0; i < m->p.count; i++) {
        if (!m->is_stat[i])
            continue;
        float *r = T(m, i), *g = grad + m->p.tensors[i].offset;
        for (size_t k = 0; k < N(m, i); k++) {
            r[k] = (1.0f - mom) * r[k] + mom * g[k];
            g[k] = 0.0f;
        }
    }
}
