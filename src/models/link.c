/* The learned link (link.h): configuration, tensors and initial weights,
 * checkpoints, the shared cell computations, and the one-step API an agent
 * uses outside any trainer. */
#include "models/config_table.h"
#include "models/link_internal.h"
#include "models/model_files.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------- configuration */

#define F(key, type, field, lo, hi) {key, type, offsetof(cm_link_config, field), lo, hi}
static const cfgt_field fields[] = {
    F("state_dim", CFGT_INT, state_dim, 1, 65536),
    F("ctx_dim", CFGT_INT, ctx_dim, 0, 65536),
    F("bits", CFGT_INT, bits, 1, CM_LINK_MAX_BITS),
    F("senders", CFGT_INT, senders, 1, CM_LINK_MAX_SENDERS),
    F("sender_hidden", CFGT_INT, sender_hidden, 1, 65536),
    F("message_dim", CFGT_INT, message_dim, 0, 65536),
    F("memory", CFGT_INT, memory, 1, 4096),
    F("init_dim", CFGT_INT, init_dim, 0, 65536),
    F("decoder_hidden", CFGT_INT, decoder_hidden, 1, 65536),
    F("out_dim", CFGT_INT, out_dim, 1, 1 << 20),
    F("gate", CFGT_INT, gate, 0, 1),
    F("who", CFGT_INT, who, 0, 1),
    F("who_hidden", CFGT_INT, who_hidden, 1, 65536),
    F("w_pool", CFGT_FLOAT, w_pool, 0, 1e6),
    F("beta", CFGT_FLOAT, beta, 0, 1e6),
    F("lambda", CFGT_FLOAT, lambda, 0, 1e6),
    F("gate_bias", CFGT_FLOAT, gate_bias, -50, 50),
    F("noise", CFGT_FLOAT, noise, 0, 100),
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
static const char *const target_names[] = {"softmax", "bernoulli"};
static const char *const code_names[] = {"bernoulli", "dru", "threshold"};

cm_status cm_link_preset(const char *name, cm_link_config *c)
{
    memset(c, 0, sizeof *c);
    if (!name || (strcmp(name, "ssmpc") != 0 && strcmp(name, "tiny") != 0))
        return cm_error(CM_ERR_ARG, "link preset: expected ssmpc or tiny, got '%s'", name ? name : "(null)");
    snprintf(c->preset, sizeof c->preset, "%s", name);
    int tiny = strcmp(name, "tiny") == 0;
    c->state_dim = tiny ? 5 : 128;
    c->ctx_dim = tiny ? 4 : 128;
    c->bits = tiny ? 3 : 16;
    c->senders = tiny ? 2 : 1;
    c->sender_hidden = tiny ? 6 : 64;
    c->message_dim = tiny ? 4 : 0;
    c->memory = tiny ? 5 : 128;
    c->init_dim = tiny ? 4 : 268;
    c->decoder_hidden = tiny ? 7 : 256;
    c->out_dim = tiny ? 6 : 256;
    c->target = CM_LINK_SOFTMAX;
    c->gate = 1;
    c->who = tiny ? 1 : 0;
    c->who_hidden = tiny ? 3 : 32;
    c->w_pool = 1.0f;
    c->beta = tiny ? 0.1f : 0.0f;
    c->lambda = tiny ? 0.2f : 0.01f;
    c->gate_bias = 2.0f;
    c->code = CM_LINK_CODE_THRESHOLD; /* trains on evaluation's own messages: docs/social.md */
    c->noise = 2.0f;
    c->optim = cm_optim_defaults(CM_OPTIM_ADAM);
    c->optim.lr = 1e-3;
    c->clip_norm = 1.0f;
    return CM_OK;
}

cm_status cm_link_config_check(const cm_link_config *c)
{
    for (int i = 0; i < N_FIELDS; i++) {
        const cfgt_field *f = &fields[i];
        const char *p = (const char *)c + f->offset;
        double x = f->type == CFGT_INT ? *(const int *)p : f->type == CFGT_FLOAT ? *(const float *)p : *(const double *)p;
        if (!(x >= f->lo && x <= f->hi))
            return cm_error(CM_ERR_ARG, "link config: %s: expected a value in [%g, %g], got %g", f->key, f->lo, f->hi, x);
    }
    if ((unsigned)c->code > CM_LINK_CODE_THRESHOLD)
        return cm_error(CM_ERR_ARG, "link config: code: expected bernoulli, dru or threshold, got %d", (int)c->code);
    if ((unsigned)c->target > CM_LINK_BERNOULLI)
        return cm_error(CM_ERR_ARG, "link config: target: expected softmax or bernoulli, got %d", (int)c->target);
    if ((unsigned)c->optim.kind > CM_OPTIM_RMSPROP_TF)
        return cm_error(CM_ERR_ARG, "link config: optim: unknown kind %d", (int)c->optim.kind);
    return CM_OK;
}

cm_status cm_link_config_set(cm_link_config *c, const char *key_value)
{
    char key[64];
    const char *v;
    cm_status st = cfgt_split(key_value, "link --set", key, sizeof key, &v);
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
        return cm_error(CM_ERR_ARG, "link --set optim: expected sgd, adam, adamw, rmsprop or rmsprop_tf, got '%s'", v);
    }
    if (strcmp(key, "code") == 0) {
        for (int k = 0; k < (int)(sizeof code_names / sizeof *code_names); k++)
            if (strcmp(v, code_names[k]) == 0) {
                c->code = (cm_link_code)k;
                return CM_OK;
            }
        return cm_error(CM_ERR_ARG, "link --set code: expected bernoulli, dru or threshold, got '%s'", v);
    }
    if (strcmp(key, "target") == 0) {
        for (int k = 0; k < 2; k++)
            if (strcmp(v, target_names[k]) == 0) {
                c->target = (cm_link_target)k;
                return CM_OK;
            }
        return cm_error(CM_ERR_ARG, "link --set target: expected softmax or bernoulli, got '%s'", v);
    }
    int r = cfgt_set(fields, N_FIELDS, c, "link --set", key, v);
    if (r < 0)
        return cm_error(CM_ERR_ARG,
                        "link --set: unknown key '%s' (state_dim, ctx_dim, bits, senders, sender_hidden, message_dim, memory, "
                        "init_dim, decoder_hidden, out_dim, target, gate, who, who_hidden, w_pool, beta, lambda, "
                        "gate_bias, code, noise, optim, lr, momentum, alpha, beta1, beta2, eps, weight_decay, clip)",
                        key);
    return (cm_status)r;
}

int cm_link_config_keys(const cm_link_config *c, char (*kv)[96], int cap)
{
    int n = 0;
    /* the optimiser first: choosing it resets its other fields */
    if (n < cap)
        snprintf(kv[n++], 96, "optim=%s", optim_names[c->optim.kind]);
    if (n < cap)
        snprintf(kv[n++], 96, "target=%s", target_names[c->target]);
    if (n < cap)
        snprintf(kv[n++], 96, "code=%s", code_names[c->code]);
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

static cm_status add(cm_link *l, const char *name, int64_t d0, int64_t d1, int *index)
{
    int64_t shape[2] = {d0, d1};
    return cm_params_add(&l->params, name, d1 > 0 ? 2 : 1, shape, index);
}

static cm_status add_linear(cm_link *l, const char *prefix, int out, int in, int *w, int *b)
{
    char name[96];
    snprintf(name, sizeof name, "%s.weight", prefix);
    cm_status st = add(l, name, out, in, w);
    if (st || !b)
        return st;
    snprintf(name, sizeof name, "%s.bias", prefix);
    return add(l, name, out, 0, b);
}

static cm_status build(cm_link *l)
{
    const cm_link_config *c = &l->cfg;
    link_tensors *ix = &l->ix;
    memset(ix, -1, sizeof *ix);
    int S = c->state_dim, M = c->memory, E = c->sender_hidden, C = c->ctx_dim;
    cm_status st = add_linear(l, "sender.0", E, S + M, &ix->s0_w, &ix->s0_b);
    if (!st) st = add_linear(l, "sender.code", c->bits, E, &ix->code_w, &ix->code_b);
    if (!st && c->gate) st = add_linear(l, "sender.gate", 1, E, &ix->gate_w, &ix->gate_b);
    if (!st && c->message_dim > 0) st = add_linear(l, "message", c->message_dim, c->bits + 1, &ix->msg_w, &ix->msg_b);
    if (!st) st = add(l, "memory.weight_ih_l0", 4 * M, link_memory_input(c), &ix->m_ih);
    if (!st) st = add(l, "memory.weight_hh_l0", 4 * M, M, &ix->m_hh);
    if (!st) st = add(l, "memory.bias_ih_l0", 4 * M, 0, &ix->m_bih);
    if (!st) st = add(l, "memory.bias_hh_l0", 4 * M, 0, &ix->m_bhh);
    if (!st && c->init_dim > 0) st = add_linear(l, "memory_h0", M, c->init_dim, &ix->h0_w, &ix->h0_b);
    if (!st && c->init_dim > 0) st = add_linear(l, "memory_c0", M, c->init_dim, &ix->c0_w, &ix->c0_b);
    if (!st) st = add_linear(l, "decoder.0", c->decoder_hidden, C + M, &ix->d0_w, &ix->d0_b);
    if (!st) st = add_linear(l, "decoder.2", c->out_dim, c->decoder_hidden, &ix->d2_w, &ix->d2_b);
    if (!st && c->who) st = add_linear(l, "who.0", c->who_hidden, C + M, &ix->w0_w, &ix->w0_b);
    if (!st && c->who) st = add_linear(l, "who.2", 1, c->who_hidden, &ix->w2_w, NULL);
    if (!st && c->who) st = add_linear(l, "pool", c->out_dim, c->decoder_hidden, &ix->pool_w, &ix->pool_b);
    return st;
}

static void init_weights(cm_link *l, uint64_t seed)
{
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    const link_tensors *ix = &l->ix;
    float k = 1.0f / sqrtf((float)l->cfg.memory);
    for (int i = 0; i < l->params.count; i++) {
        const cm_tensor_info *t = &l->params.tensors[i];
        float *w = l->params.params + t->offset;
        if (i == ix->m_ih || i == ix->m_hh || i == ix->m_bih || i == ix->m_bhh) {
            cm_init_uniform(&rng, w, t->count, -k, k);
        } else if (t->ndim == 2) {
            cm_init_linear(&rng, w, NULL, (int)t->shape[0], (int)t->shape[1]);
        } else {
            float kb = 1.0f / sqrtf((float)l->params.tensors[i - 1].shape[1]);
            cm_init_uniform(&rng, w, t->count, -kb, kb);
        }
    }
    /* Start out sending most steps: a gate that begins closed never learns
     * what a message is worth. */
    if (ix->gate_b >= 0)
        l->params.params[l->params.tensors[ix->gate_b].offset] = l->cfg.gate_bias;
}

cm_status cm_link_create(const cm_link_config *cfg, uint64_t seed, cm_link **out)
{
    *out = NULL;
    cm_status st = cm_link_config_check(cfg);
    if (st)
        return st;
    cm_link *l = calloc(1, sizeof *l);
    if (!l)
        return cm_error(CM_ERR_NOMEM, "link: cannot allocate the model");
    l->cfg = *cfg;
    cm_params_init(&l->params);
    st = build(l);
    if (!st)
        st = cm_params_finalize(&l->params);
    if (st) {
        cm_link_free(l);
        return st;
    }
    init_weights(l, seed);
    *out = l;
    return CM_OK;
}

void cm_link_free(cm_link *l)
{
    if (!l)
        return;
    cm_params_free(&l->params);
    free(l);
}

const cm_link_config *cm_link_get_config(const cm_link *l) { return &l->cfg; }
cm_params *cm_link_params(cm_link *l) { return &l->params; }
const cm_params *cm_link_params_const(const cm_link *l) { return &l->params; }

/* ---------------------------------------------------------- checkpoints */

cm_status cm_link_save(const cm_link *l, const char *dir)
{
    cJSON *o = mfiles_config_begin("cogmap link", l->cfg.preset);
    int ok = o && cJSON_AddStringToObject(o, "optim", optim_names[l->cfg.optim.kind]) &&
             cJSON_AddStringToObject(o, "target", target_names[l->cfg.target]) &&
             cJSON_AddStringToObject(o, "code", code_names[l->cfg.code]) &&
             cfgt_to_json(fields, N_FIELDS, &l->cfg, o);
    return mfiles_save(dir, o, ok, &l->params);
}

cm_status cm_link_load(const char *dir, cm_link **out)
{
    *out = NULL;
    char path[4200], preset[32] = "", optim[32] = "", target[32] = "", code[32] = "bernoulli";
    cJSON *o = NULL;
    cm_status st = mfiles_read_config(dir, "cogmap link", &o, path, sizeof path, preset, sizeof preset);
    if (st)
        return st;
    cm_link_config c;
    if (cm_link_preset(preset, &c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: preset: expected ssmpc or tiny, got '%s'", path, preset);
    if (!st)
        st = cm_json_get_string(o, path, "optim", 1, optim, sizeof optim);
    if (!st)
        st = cm_json_get_string(o, path, "target", 1, target, sizeof target);
    if (!st)
        st = cm_json_get_string(o, path, "code", 0, code, sizeof code);
    char kv[64];
    snprintf(kv, sizeof kv, "optim=%s", optim);
    if (!st && cm_link_config_set(&c, kv) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: optim: unknown optimiser '%s'", path, optim);
    snprintf(kv, sizeof kv, "target=%s", target);
    if (!st && cm_link_config_set(&c, kv) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: target: expected softmax or bernoulli, got '%s'", path, target);
    snprintf(kv, sizeof kv, "code=%s", code);
    if (!st && cm_link_config_set(&c, kv) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: code: expected bernoulli, dru or threshold, got '%s'", path, code);
    if (!st)
        st = cfgt_from_json(fields, N_FIELDS, &c, o, path);
    if (!st && cm_link_config_check(&c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: %s", path, cm_errmsg());
    cJSON_Delete(o);
    if (st)
        return st;
    cm_link *l;
    st = cm_link_create(&c, 0, &l);
    if (st)
        return st;
    st = mfiles_load_params(dir, &l->params);
    if (st) {
        cm_link_free(l);
        return st;
    }
    *out = l;
    return CM_OK;
}

/* ------------------------------------------------------ shared cells */

static float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }

void link_lstm_step(const cm_link *l, const float *x, const float *h0, const float *c0, float *gates, float *h1,
                    float *c1, int n)
{
    const link_tensors *ix = &l->ix;
    int M = l->cfg.memory, G = 4 * M, In = link_memory_input(&l->cfg);
    const float *bih = link_p(l, ix->m_bih), *bhh = link_p(l, ix->m_bhh);
    for (int r = 0; r < n; r++)
        for (int j = 0; j < G; j++)
            gates[(size_t)r * G + j] = bih[j] + bhh[j];
    cm_linear_forward(gates, x, link_p(l, ix->m_ih), NULL, n, In, G, 1);
    cm_linear_forward(gates, h0, link_p(l, ix->m_hh), NULL, n, M, G, 1);
    for (int r = 0; r < n; r++) {
        float *g = gates + (size_t)r * G;
        const float *cp = c0 + (size_t)r * M;
        float *cn = c1 + (size_t)r * M, *hn = h1 + (size_t)r * M;
        for (int j = 0; j < M; j++) {
            float i = sigmoid(g[j]), f = sigmoid(g[M + j]), gg = tanhf(g[2 * M + j]), o = sigmoid(g[3 * M + j]);
            g[j] = i, g[M + j] = f, g[2 * M + j] = gg, g[3 * M + j] = o;
            cn[j] = f * cp[j] + i * gg;
            hn[j] = o * tanhf(cn[j]);
        }
    }
}

void link_sender(const cm_link *l, const float *sin, float *e, float *p, float *pi, int n)
{
    const cm_link_config *c = &l->cfg;
    const link_tensors *ix = &l->ix;
    int S = c->state_dim, M = c->memory, E = c->sender_hidden, B = c->bits;
    cm_linear_forward(e, sin, link_p(l, ix->s0_w), link_p(l, ix->s0_b), n, S + M, E, 0);
    cm_relu_forward(e, e, (size_t)n * E);
    cm_linear_forward(p, e, link_p(l, ix->code_w), link_p(l, ix->code_b), n, E, B, 0);
    for (size_t k = 0; k < (size_t)n * B; k++)
        p[k] = sigmoid(p[k]);
    if (c->gate) {
        cm_linear_forward(pi, e, link_p(l, ix->gate_w), link_p(l, ix->gate_b), n, E, 1, 0);
        for (int r = 0; r < n; r++)
            pi[r] = sigmoid(pi[r]);
    } else {
        for (int r = 0; r < n; r++)
            pi[r] = 1.0f;
    }
}

int link_draw(const cm_link_config *c, cm_rng *rng, float p)
{
    if (c->code == CM_LINK_CODE_BERNOULLI)
        return cm_rng_float(rng) < p;
    if (c->code == CM_LINK_CODE_THRESHOLD)
        return p > 0.5f;
    /* the noisy logit's sign: logit(p) + N(0, noise^2) > 0 */
    float q = p < 1e-7f ? 1e-7f : p > 1.0f - 1e-7f ? 1.0f - 1e-7f : p;
    return logf(q / (1.0f - q)) + c->noise * (float)cm_rng_normal(rng) > 0.0f;
}

float link_noisy(const cm_link_config *c, cm_rng *rng, float p)
{
    float q = p < 1e-7f ? 1e-7f : p > 1.0f - 1e-7f ? 1.0f - 1e-7f : p;
    return sigmoid(logf(q / (1.0f - q)) + c->noise * (float)cm_rng_normal(rng));
}

void link_message_input(int bits, const float *m, float g, float *u)
{
    for (int k = 0; k < bits; k++)
        u[k] = g * (2.0f * m[k] - 1.0f);
    u[bits] = g;
}

void link_read_message(const cm_link *l, const float *u, float *x, int n)
{
    int In = l->cfg.bits + 1;
    if (l->cfg.message_dim > 0)
        cm_linear_forward(x, u, link_p(l, l->ix.msg_w), link_p(l, l->ix.msg_b), n, In, l->cfg.message_dim, 0);
    else
        memcpy(x, u, (size_t)n * In * sizeof(float));
}

/* ------------------------------------------------------ one agent, one step */

struct cm_link_agent {
    int N, M, I;
    float *mem_h, *mem_c;   /* [N, M] memory of each sender */
    float *own_h, *own_c;   /* [M] copy of the receivers' memory of this agent */
    float *sin, *e, *p, *u, *xm, *gates, *h1, *c1, *din, *d1, *wh; /* scratch */
    float *block;
};

cm_status cm_link_agent_create(const cm_link *l, cm_link_agent **out)
{
    *out = NULL;
    const cm_link_config *c = &l->cfg;
    cm_link_agent *a = calloc(1, sizeof *a);
    if (!a)
        return cm_error(CM_ERR_NOMEM, "link agent: cannot allocate");
    int N = c->senders, M = c->memory, S = c->state_dim, C = c->ctx_dim;
    size_t sizes[] = {(size_t)N * M, (size_t)N * M, (size_t)M, (size_t)M, (size_t)(S + M), (size_t)c->sender_hidden,
                      (size_t)c->bits, (size_t)(c->bits + 1), (size_t)link_memory_input(c), 4 * (size_t)M, (size_t)M, (size_t)M,
                      (size_t)(C + M), (size_t)N * c->decoder_hidden, (size_t)c->who_hidden};
    float **slots[] = {&a->mem_h, &a->mem_c, &a->own_h, &a->own_c, &a->sin, &a->e,  &a->p, &a->u,
                       &a->xm,    &a->gates, &a->h1,    &a->c1,    &a->din, &a->d1, &a->wh};
    size_t total = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        total += sizes[k];
    a->block = cm_calloc(total, sizeof(float));
    if (!a->block) {
        free(a);
        return cm_error(CM_ERR_NOMEM, "link agent: cannot allocate %zu floats", total);
    }
    size_t off = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        *slots[k] = a->block + off;
        off += sizes[k];
    }
    a->N = N, a->M = M, a->I = c->init_dim;
    *out = a;
    return CM_OK;
}

void cm_link_agent_free(cm_link_agent *a)
{
    if (!a)
        return;
    cm_free(a->block);
    free(a);
}

/* Initial memory state of one sender from its code (zero without one). */
static void memory_start(const cm_link *l, const float *init, float *h, float *c)
{
    int M = l->cfg.memory;
    if (!init || l->cfg.init_dim == 0) {
        memset(h, 0, (size_t)M * sizeof(float));
        memset(c, 0, (size_t)M * sizeof(float));
        return;
    }
    cm_linear_forward(h, init, link_p(l, l->ix.h0_w), link_p(l, l->ix.h0_b), 1, l->cfg.init_dim, M, 0);
    cm_linear_forward(c, init, link_p(l, l->ix.c0_w), link_p(l, l->ix.c0_b), 1, l->cfg.init_dim, M, 0);
}

cm_status cm_link_agent_reset(const cm_link *l, cm_link_agent *a, const float *own_init, const float *sender_init)
{
    int N = l->cfg.senders, M = l->cfg.memory, I = l->cfg.init_dim;
    memory_start(l, own_init, a->own_h, a->own_c);
    for (int n = 0; n < N; n++)
        memory_start(l, sender_init ? sender_init + (size_t)n * I : NULL, a->mem_h + (size_t)n * M,
                     a->mem_c + (size_t)n * M);
    return CM_OK;
}

cm_status cm_link_send(const cm_link *l, cm_link_agent *a, const float *state, cm_rng *rng, cm_link_message *msg)
{
    const cm_link_config *c = &l->cfg;
    int S = c->state_dim, M = c->memory, B = c->bits;
    memcpy(a->sin, state, (size_t)S * sizeof(float));
    memcpy(a->sin + S, a->own_h, (size_t)M * sizeof(float));
    float pi;
    link_sender(l, a->sin, a->e, a->p, &pi, 1);
    memset(msg, 0, sizeof *msg);
    msg->n_bits = B;
    msg->p_send = pi;
    msg->sent = c->gate ? (rng ? link_draw(c, rng, pi) : pi > 0.5f) : 1;
    for (int k = 0; k < B; k++) {
        float bit = rng ? (float)link_draw(c, rng, a->p[k]) : (float)(a->p[k] > 0.5f);
        msg->bit[k] = (uint8_t)bit;
        a->p[k] = bit; /* reused as the bits */
    }
    /* What the receivers now know of this agent. */
    link_message_input(B, a->p, msg->sent ? 1.0f : 0.0f, a->u);
    link_read_message(l, a->u, a->xm, 1);
    link_lstm_step(l, a->xm, a->own_h, a->own_c, a->gates, a->h1, a->c1, 1);
    memcpy(a->own_h, a->h1, (size_t)M * sizeof(float));
    memcpy(a->own_c, a->c1, (size_t)M * sizeof(float));
    return CM_OK;
}

cm_status cm_link_receive(const cm_link *l, cm_link_agent *a, const cm_link_message *msgs, const float *ctx,
                          float *out, float *pooled, float *who)
{
    const cm_link_config *c = &l->cfg;
    const link_tensors *ix = &l->ix;
    int N = c->senders, M = c->memory, B = c->bits, C = c->ctx_dim, D = c->decoder_hidden, O = c->out_dim;
    for (int n = 0; n < N; n++)
        if (msgs[n].sent && msgs[n].n_bits != B)
            return cm_error(CM_ERR_ARG, "link receive: sender %d: a message of %d bits, the link carries %d", n,
                            msgs[n].n_bits, B);
    float logits[CM_LINK_MAX_SENDERS];
    for (int n = 0; n < N; n++) {
        float *h = a->mem_h + (size_t)n * M, *cc = a->mem_c + (size_t)n * M;
        float g = msgs[n].sent ? 1.0f : 0.0f;
        for (int k = 0; k < B; k++)
            a->u[k] = g * (msgs[n].bit[k] ? 1.0f : -1.0f);
        a->u[B] = g;
        link_read_message(l, a->u, a->xm, 1);
        link_lstm_step(l, a->xm, h, cc, a->gates, a->h1, a->c1, 1);
        memcpy(h, a->h1, (size_t)M * sizeof(float));
        memcpy(cc, a->c1, (size_t)M * sizeof(float));
        if (C > 0)
            memcpy(a->din, ctx, (size_t)C * sizeof(float));
        memcpy(a->din + C, h, (size_t)M * sizeof(float));
        float *d1 = a->d1 + (size_t)n * D;
        cm_linear_forward(d1, a->din, link_p(l, ix->d0_w), link_p(l, ix->d0_b), 1, C + M, D, 0);
        cm_relu_forward(d1, d1, (size_t)D);
        if (out)
            cm_linear_forward(out + (size_t)n * O, d1, link_p(l, ix->d2_w), link_p(l, ix->d2_b), 1, D, O, 0);
        if (c->who) {
            cm_linear_forward(a->wh, a->din, link_p(l, ix->w0_w), link_p(l, ix->w0_b), 1, C + M, c->who_hidden, 0);
            cm_tanh_forward(a->wh, a->wh, (size_t)c->who_hidden);
            cm_linear_forward(&logits[n], a->wh, link_p(l, ix->w2_w), NULL, 1, c->who_hidden, 1, 0);
        }
    }
    if (c->who) {
        float mx = logits[0], sum = 0.0f;
        for (int n = 1; n < N; n++)
            mx = logits[n] > mx ? logits[n] : mx;
        for (int n = 0; n < N; n++)
            sum += logits[n] = expf(logits[n] - mx);
        for (int n = 0; n < N; n++)
            logits[n] /= sum;
        if (who)
            memcpy(who, logits, (size_t)N * sizeof(float));
        if (pooled) {
            /* the senders' decoder layers mixed by the weights, then the pooled read-out */
            for (int j = 0; j < D; j++) {
                float s = 0.0f;
                for (int n = 0; n < N; n++)
                    s += logits[n] * a->d1[(size_t)n * D + j];
                a->d1[j] = s; /* sender 0's row is no longer needed */
            }
            cm_linear_forward(pooled, a->d1, link_p(l, ix->pool_w), link_p(l, ix->pool_b), 1, D, O, 0);
        }
    } else {
        if (who)
            for (int n = 0; n < N; n++)
                who[n] = 1.0f / N;
        if (pooled)
            memset(pooled, 0, (size_t)O * sizeof(float));
    }
    return CM_OK;
}

/* -------------------------------------------------- broadcast's quantiser */

void cm_link_quantize_position(float x, float y, float lo, float hi, int bits, cm_link_message *msg)
{
    memset(msg, 0, sizeof *msg);
    if (bits > CM_LINK_MAX_BITS)
        bits = CM_LINK_MAX_BITS;
    msg->sent = 1;
    msg->n_bits = bits;
    msg->p_send = 1.0f;
    int bx = (bits + 1) / 2, by = bits / 2, k = 0;
    const float v[2] = {x, y};
    const int nb[2] = {bx, by};
    for (int axis = 0; axis < 2; axis++) {
        /* beyond 52 bits a double cannot tell cells apart: those bits stay 0 */
        int use = nb[axis] > 52 ? 52 : nb[axis];
        double f = ((double)v[axis] - lo) / ((double)hi - lo);
        f = f < 0.0 ? 0.0 : f >= 1.0 ? nextafter(1.0, 0.0) : f;
        uint64_t cell = (uint64_t)(f * ldexp(1.0, use));
        for (int i = 0; i < nb[axis]; i++, k++)
            msg->bit[k] = i < use ? (uint8_t)((cell >> (use - 1 - i)) & 1u) : 0;
    }
}

void cm_link_dequantize_position(const cm_link_message *msg, float lo, float hi, float *x, float *y)
{
    int bits = msg->n_bits, bx = (bits + 1) / 2, by = bits / 2, k = 0;
    const int nb[2] = {bx, by};
    float *out[2] = {x, y};
    for (int axis = 0; axis < 2; axis++) {
        int use = nb[axis] > 52 ? 52 : nb[axis];
        uint64_t cell = 0;
        for (int i = 0; i < nb[axis]; i++, k++)
            if (i < use)
                cell = (cell << 1) | msg->bit[k];
        *out[axis] = (float)(lo + ((double)cell + 0.5) / ldexp(1.0, use) * ((double)hi - lo));
    }
}
