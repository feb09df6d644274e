/* The social place-cell network (social.h): configuration, building the
 * state dict in spc_module's order, PyTorch's initial weights, checkpoints. */
#include "models/config_table.h"
#include "models/model_files.h"
#include "models/social_internal.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- configuration */

#define F(key, type, field, lo, hi) {key, type, offsetof(cm_social_config, field), lo, hi}
static const cfgt_field fields[] = {
    F("ego_size", CFGT_INT, ego_size, 0, 64),
    F("input_size", CFGT_INT, input_size, 1, 64),
    F("hidden", CFGT_INT, hidden, 1, 4096),
    F("bottleneck", CFGT_INT, bottleneck, 1, 8192),
    F("n_place", CFGT_INT, n_place, 1, 8192),
    F("n_hd", CFGT_INT, n_hd, 1, 1024),
    F("relational_hidden", CFGT_INT, relational_hidden, 1, 4096),
    F("dropout", CFGT_FLOAT, dropout, 0, 0.99),
    F("batch", CFGT_INT, batch, 1, 1 << 16),
    F("seq_len", CFGT_INT, seq_len, 1, 1 << 16),
    F("w_self_place", CFGT_FLOAT, w_self_place, 0, 1e6),
    F("w_self_hd", CFGT_FLOAT, w_self_hd, 0, 1e6),
    F("w_peer_place", CFGT_FLOAT, w_peer_place, 0, 1e6),
    F("w_peer_hd", CFGT_FLOAT, w_peer_hd, 0, 1e6),
    F("w_distance", CFGT_FLOAT, w_distance, 0, 1e6),
    F("lr", CFGT_DOUBLE, optim.lr, 0, 10),
    F("momentum", CFGT_DOUBLE, optim.momentum, 0, 0.9999),
    F("alpha", CFGT_DOUBLE, optim.alpha, 0, 0.9999999),
    F("beta1", CFGT_DOUBLE, optim.beta1, 0, 0.9999999),
    F("beta2", CFGT_DOUBLE, optim.beta2, 0, 0.9999999),
    F("eps", CFGT_DOUBLE, optim.eps, 1e-30, 1),
    F("weight_decay", CFGT_DOUBLE, optim.weight_decay, 0, 1),
    F("clip", CFGT_FLOAT, clip_norm, 0, 1e9),
};
#undef F
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

static const char *const optim_names[] = {"sgd", "adam", "adamw", "rmsprop", "rmsprop_tf"};

cm_status cm_social_preset(const char *name, cm_social_config *c)
{
    memset(c, 0, sizeof *c);
    if (!name || (strcmp(name, "ssmpc") != 0 && strcmp(name, "tiny") != 0))
        return cm_error(CM_ERR_ARG, "social preset: expected ssmpc or tiny, got '%s'", name ? name : "(null)");
    snprintf(c->preset, sizeof c->preset, "%s", name);
    int tiny = strcmp(name, "tiny") == 0;
    c->ego_size = 4;
    c->input_size = 3;
    c->hidden = tiny ? 6 : 128;
    c->bottleneck = tiny ? 8 : 256;
    c->n_place = tiny ? 7 : 256;
    c->n_hd = tiny ? 3 : 12;
    c->relational_hidden = tiny ? 5 : 64;
    c->dropout = 0.5f;
    c->batch = tiny ? 3 : 32;
    c->seq_len = tiny ? 4 : 100;
    c->w_self_place = c->w_self_hd = c->w_peer_place = c->w_peer_hd = 1.0f;
    /* Distances reach ~20 units (MSE ~50 untrained): 0.1 keeps the term on
     * the scale of the cross-entropies. [DESIGN] */
    c->w_distance = 0.1f;
    c->optim = cm_optim_defaults(CM_OPTIM_RMSPROP);
    c->optim.lr = 1e-3;
    c->optim.momentum = 0.9;
    c->optim.weight_decay = 1e-4;
    c->clip_norm = 1.0f;
    return CM_OK;
}

cm_status cm_social_config_check(const cm_social_config *c)
{
    for (int i = 0; i < N_FIELDS; i++) {
        const cfgt_field *f = &fields[i];
        const char *p = (const char *)c + f->offset;
        double x = f->type == CFGT_INT ? *(const int *)p : f->type == CFGT_FLOAT ? *(const float *)p : *(const double *)p;
        if (!(x >= f->lo && x <= f->hi))
            return cm_error(CM_ERR_ARG, "social config: %s: expected a value in [%g, %g], got %g", f->key, f->lo, f->hi,
                            x);
    }
    if ((unsigned)c->optim.kind > CM_OPTIM_RMSPROP_TF)
        return cm_error(CM_ERR_ARG, "social config: optim: unknown kind %d", (int)c->optim.kind);
    if ((int64_t)c->batch * c->seq_len > (1 << 24))
        return cm_error(CM_ERR_ARG, "social config: batch x seq_len: expected at most 2^24, got %d x %d", c->batch,
                        c->seq_len);
    return CM_OK;
}

cm_status cm_social_config_set(cm_social_config *c, const char *key_value)
{
    char key[64];
    const char *v;
    cm_status st = cfgt_split(key_value, "social --set", key, sizeof key, &v);
    if (st)
        return st;
    if (strcmp(key, "optim") == 0) {
        for (int k = 0; k < (int)(sizeof optim_names / sizeof *optim_names); k++)
            if (strcmp(v, optim_names[k]) == 0) {
                double lr = c->optim.lr, wd = c->optim.weight_decay;
                c->optim = cm_optim_defaults((cm_optim_kind)k);
                c->optim.lr = lr;
                c->optim.weight_decay = wd;
                return CM_OK;
            }
        return cm_error(CM_ERR_ARG, "social --set optim: expected sgd, adam, adamw, rmsprop or rmsprop_tf, got '%s'", v);
    }
    int r = cfgt_set(fields, N_FIELDS, c, "social --set", key, v);
    if (r < 0)
        return cm_error(CM_ERR_ARG,
                        "social --set: unknown key '%s' (ego_size, hidden, bottleneck, n_place, n_hd, "
                        "relational_hidden, dropout, batch, seq_len, w_self_place, w_self_hd, w_peer_place, "
                        "w_peer_hd, w_distance, optim, lr, momentum, alpha, beta1, beta2, eps, weight_decay, clip)",
                        key);
    return (cm_status)r;
}

int cm_social_config_keys(const cm_social_config *c, char (*kv)[96], int cap)
{
    int n = 0;
    /* the optimiser first: choosing it resets its other fields */
    if (n < cap)
        snprintf(kv[n++], 96, "optim=%s", optim_names[c->optim.kind]);
    for (int i = 0; i < N_FIELDS && n < cap; i++) {
        const cfgt_field *f = &fields[i];
        const char *p = (const char *)c + f->offset;
        if (f->type == CFGT_INT)
            snprintf(kv[n++], 96, "%s=%d", f->key, *(const int *)p);
        else if (f->type == CFGT_FLOAT)
            snprintf(kv[n++], 96, "%s=%.9g", f->key, *(const float *)p);
        else
            snprintf(kv[n++], 96, "%s=%.17g", f->key, *(const double *)p);
    }
    return n;
}

/* ------------------------------------------------------------- building */

static cm_status add(cm_social *m, const char *name, int ndim, int64_t d0, int64_t d1, int64_t d2, int *index)
{
    int64_t shape[3] = {d0, d1, d2};
    return cm_params_add(&m->params, name, ndim, shape, index);
}

static cm_status add_linear(cm_social *m, const char *prefix, int out, int in, int *w, int *b)
{
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    cm_status st = add(m, name, 2, out, in, 0, w);
    snprintf(name, sizeof name, "%s.bias", prefix);
    return st ? st : add(m, name, 1, out, 0, 0, b);
}

static cm_status build(cm_social *m)
{
    const cm_social_config *c = &m->cfg;
    social_tensors *ix = &m->ix;
    int H = c->hidden, I = c->input_size + c->ego_size, R = c->n_place + c->n_hd, Nb = c->bottleneck;
    /* spc_module's __init__ order, which is its state dict's order. */
    cm_status st = add(m, "ego_token", 3, 1, 1, c->ego_size > 0 ? c->ego_size : 1, &ix->ego);
    if (!st) st = add(m, "path_integrator_lstm.weight_ih_l0", 2, 4 * H, I, 0, &ix->w_ih);
    if (!st) st = add(m, "path_integrator_lstm.weight_hh_l0", 2, 4 * H, H, 0, &ix->w_hh);
    if (!st) st = add(m, "path_integrator_lstm.bias_ih_l0", 1, 4 * H, 0, 0, &ix->b_ih);
    if (!st) st = add(m, "path_integrator_lstm.bias_hh_l0", 1, 4 * H, 0, 0, &ix->b_hh);
    if (!st) st = add_linear(m, "h0_generator", H, R, &ix->h0_w, &ix->h0_b);
    if (!st) st = add_linear(m, "c0_generator", H, R, &ix->c0_w, &ix->c0_b);
    if (!st) st = add_linear(m, "joint_bottleneck_layer.0", Nb, H, &ix->bn_w, &ix->bn_b);
    if (!st) st = add_linear(m, "self_place_predictor", c->n_place, Nb, &ix->sp_w, &ix->sp_b);
    if (!st) st = add_linear(m, "self_hd_predictor", c->n_hd, Nb, &ix->sh_w, &ix->sh_b);
    if (!st) st = add_linear(m, "peer_place_predictor", c->n_place, Nb, &ix->pp_w, &ix->pp_b);
    if (!st) st = add_linear(m, "peer_hd_predictor", c->n_hd, Nb, &ix->ph_w, &ix->ph_b);
    if (!st) st = add_linear(m, "relational_head.0", c->relational_hidden, Nb, &ix->r0_w, &ix->r0_b);
    if (!st) st = add_linear(m, "relational_head.2", 1, c->relational_hidden, &ix->r2_w, &ix->r2_b);
    return st;
}

/* PyTorch's defaults, drawn in state-dict order from stream 0 of the seed. */
static void init_weights(cm_social *m, uint64_t seed)
{
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    const social_tensors *ix = &m->ix;
    float k = 1.0f / sqrtf((float)m->cfg.hidden);
    for (int i = 0; i < m->params.count; i++) {
        const cm_tensor_info *t = &m->params.tensors[i];
        float *w = m->params.params + t->offset;
        if (i == ix->ego) {
            for (size_t j = 0; j < t->count; j++)
                w[j] = (float)cm_rng_normal(&rng); /* nn.Parameter(torch.randn(1, 1, 4)) */
        } else if (i == ix->w_ih || i == ix->w_hh || i == ix->b_ih || i == ix->b_hh) {
            cm_init_uniform(&rng, w, t->count, -k, k);
        } else if (t->ndim == 2) {
            cm_init_linear(&rng, w, NULL, (int)t->shape[0], (int)t->shape[1]);
        } else {
            /* a Linear's bias: the bound of its weight, the tensor before it */
            float kb = 1.0f / sqrtf((float)m->params.tensors[i - 1].shape[1]);
            cm_init_uniform(&rng, w, t->count, -kb, kb);
        }
    }
}

cm_status cm_social_create(const cm_social_config *cfg, uint64_t seed, cm_social **out)
{
    *out = NULL;
    cm_status st = cm_social_config_check(cfg);
    if (st)
        return st;
    if (cfg->ego_size < 1)
        return cm_error(CM_ERR_ARG, "social config: ego_size: expected >= 1 (SSM-PC's ego token), got %d",
                        cfg->ego_size);
    cm_social *m = calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "social network: cannot allocate the model");
    m->cfg = *cfg;
    cm_params_init(&m->params);
    st = build(m);
    if (!st)
        st = cm_params_finalize(&m->params);
    if (st) {
        cm_social_free(m);
        return st;
    }
    init_weights(m, seed);
    *out = m;
    return CM_OK;
}

void cm_social_free(cm_social *m)
{
    if (!m)
        return;
    cm_params_free(&m->params);
    free(m);
}

const cm_social_config *cm_social_get_config(const cm_social *m) { return &m->cfg; }
cm_params *cm_social_params(cm_social *m) { return &m->params; }
const cm_params *cm_social_params_const(const cm_social *m) { return &m->params; }

/* ---------------------------------------------------------- checkpoints */

cm_status cm_social_save(const cm_social *m, const char *dir)
{
    cJSON *o = mfiles_config_begin("cogmap social network", m->cfg.preset);
    int ok = o && cJSON_AddStringToObject(o, "optim", optim_names[m->cfg.optim.kind]) &&
             cfgt_to_json(fields, N_FIELDS, &m->cfg, o);
    return mfiles_save(dir, o, ok, &m->params);
}

/* config.json of a checkpoint folder into a configuration. */
static cm_status read_config(const char *dir, cm_social_config *c)
{
    char path[4200], preset[32] = "", optim[32] = "";
    cJSON *o = NULL;
    cm_status st = mfiles_read_config(dir, "cogmap social network", &o, path, sizeof path, preset, sizeof preset);
    if (st)
        return st;
    st = cm_social_preset(preset, c);
    if (st == CM_ERR_ARG)
        st = cm_error(CM_ERR_FORMAT, "%s: preset: expected ssmpc or tiny, got '%s'", path, preset);
    if (!st)
        st = cm_json_get_string(o, path, "optim", 1, optim, sizeof optim);
    if (!st) {
        char kv[64];
        snprintf(kv, sizeof kv, "optim=%s", optim);
        if (cm_social_config_set(c, kv) != CM_OK)
            st = cm_error(CM_ERR_FORMAT, "%s: optim: expected sgd, adam, adamw, rmsprop or rmsprop_tf, got '%s'",
                          path, optim);
    }
    if (!st)
        st = cfgt_from_json(fields, N_FIELDS, c, o, path);
    if (!st && cm_social_config_check(c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: %s", path, cm_errmsg());
    cJSON_Delete(o);
    return st;
}

cm_status cm_social_load(const char *dir, cm_social **out)
{
    *out = NULL;
    cm_social_config c;
    cm_status st = read_config(dir, &c);
    if (st)
        return st;
    cm_social *m;
    st = cm_social_create(&c, 0, &m);
    if (st)
        return st;
    st = mfiles_load_params(dir, &m->params);
    if (st) {
        cm_social_free(m);
        return st;
    }
    *out = m;
    return CM_OK;
}

cm_status cm_social_load_weights(cm_social *m, const char *path) { return cm_params_load(&m->params, path, 1); }
