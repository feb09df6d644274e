/* The meta-controller (policy.h): an actor-critic over a set of candidate
 * goals, trained with PPO's clipped objective. */
#include "models/config_table.h"
#include "models/model_files.h"

#include "cogmap/io.h"
#include "cogmap/policy.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define MASKED (-1e9f)

struct cm_policy {
    cm_policy_config cfg;
    cm_params params;
    int a0w, a0b, a2w, a2b, c0w, c0b, c2w, c2b;
};

struct cm_policy_state {
    int cap, rows_used, M;
    float *x;      /* [B*M, F+G] actor inputs */
    float *h;      /* [B*M, H] actor hidden (after ReLU) */
    float *z;      /* [B*M] logits */
    float *logp;   /* [B, M] */
    float *ch;     /* [B, H] critic hidden */
    float *v;      /* [B] */
    float *dh, *dz, *dlogp, *dch, *dv;
    cm_policy_batch batch;
    int have_loss;
    double rows;
    cm_policy_losses losses;
};

#define F(key, type, field, lo, hi) {key, type, offsetof(cm_policy_config, field), lo, hi}
static const cfgt_field fields[] = {
    F("cand_dim", CFGT_INT, cand_dim, 1, 65536),
    F("global_dim", CFGT_INT, global_dim, 0, 65536),
    F("n_cand", CFGT_INT, n_cand, 1, 4096),
    F("hidden", CFGT_INT, hidden, 1, 65536),
    F("clip_eps", CFGT_FLOAT, clip_eps, 0, 10),
    F("value_coef", CFGT_FLOAT, value_coef, 0, 1e6),
    F("entropy_coef", CFGT_FLOAT, entropy_coef, 0, 1e6),
    F("lr", CFGT_DOUBLE, optim.lr, 0, 10),
    F("clip", CFGT_FLOAT, clip_norm, 0, 1e9),
};
#undef F
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

cm_status cm_policy_preset(const char *name, cm_policy_config *c)
{
    memset(c, 0, sizeof *c);
    if (!name || (strcmp(name, "meta") != 0 && strcmp(name, "tiny") != 0))
        return cm_error(CM_ERR_ARG, "policy preset: expected meta or tiny, got '%s'", name ? name : "(null)");
    snprintf(c->preset, sizeof c->preset, "%s", name);
    int tiny = strcmp(name, "tiny") == 0;
    c->cand_dim = tiny ? 3 : 10;
    c->global_dim = tiny ? 2 : 8;
    c->n_cand = tiny ? 4 : 8;
    c->hidden = tiny ? 5 : 64;
    c->clip_eps = 0.2f;
    c->value_coef = 0.5f;
    c->entropy_coef = 0.01f;
    c->optim = cm_optim_defaults(CM_OPTIM_ADAM);
    c->optim.lr = 3e-4;
    c->clip_norm = 0.5f;
    return CM_OK;
}

cm_status cm_policy_config_check(const cm_policy_config *c)
{
    for (int i = 0; i < N_FIELDS; i++) {
        const cfgt_field *f = &fields[i];
        const char *p = (const char *)c + f->offset;
        double x = f->type == CFGT_INT ? *(const int *)p : f->type == CFGT_FLOAT ? *(const float *)p : *(const double *)p;
        if (!(x >= f->lo && x <= f->hi))
            return cm_error(CM_ERR_ARG, "policy config: %s: expected a value in [%g, %g], got %g", f->key, f->lo, f->hi,
                            x);
    }
    return CM_OK;
}

cm_status cm_policy_config_set(cm_policy_config *c, const char *key_value)
{
    char key[64];
    const char *v;
    cm_status st = cfgt_split(key_value, "policy --set", key, sizeof key, &v);
    if (st)
        return st;
    int r = cfgt_set(fields, N_FIELDS, c, "policy --set", key, v);
    if (r < 0)
        return cm_error(CM_ERR_ARG, "policy --set: unknown key '%s' (cand_dim, global_dim, n_cand, hidden, clip_eps, "
                                    "value_coef, entropy_coef, lr, clip)", key);
    return (cm_status)r;
}

void cm_policy_free(cm_policy *p)
{
    if (!p)
        return;
    cm_params_free(&p->params);
    cm_free(p);
}

cm_status cm_policy_create(const cm_policy_config *cfg, uint64_t seed, cm_policy **out)
{
    *out = NULL;
    cm_status st = cm_policy_config_check(cfg);
    if (st)
        return st;
    cm_policy *p = cm_calloc(1, sizeof *p);
    if (!p)
        return cm_error(CM_ERR_NOMEM, "policy: out of memory");
    p->cfg = *cfg;
    const int F = cfg->cand_dim, G = cfg->global_dim, H = cfg->hidden;
    cm_params_init(&p->params);
    const int64_t a0[2] = {H, F + G}, hb[1] = {H}, a2[2] = {1, H}, one[1] = {1}, c0[2] = {H, G};
    if ((st = cm_params_add(&p->params, "actor.0.weight", 2, a0, &p->a0w)) ||
        (st = cm_params_add(&p->params, "actor.0.bias", 1, hb, &p->a0b)) ||
        (st = cm_params_add(&p->params, "actor.2.weight", 2, a2, &p->a2w)) ||
        (st = cm_params_add(&p->params, "actor.2.bias", 1, one, &p->a2b)) ||
        (st = cm_params_add(&p->params, "critic.0.weight", 2, c0, &p->c0w)) ||
        (st = cm_params_add(&p->params, "critic.0.bias", 1, hb, &p->c0b)) ||
        (st = cm_params_add(&p->params, "critic.2.weight", 2, a2, &p->c2w)) ||
        (st = cm_params_add(&p->params, "critic.2.bias", 1, one, &p->c2b)) || (st = cm_params_finalize(&p->params))) {
        cm_policy_free(p);
        return st;
    }
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    cm_init_linear(&rng, cm_params_data(&p->params, p->a0w), cm_params_data(&p->params, p->a0b), H, F + G);
    cm_init_linear(&rng, cm_params_data(&p->params, p->a2w), cm_params_data(&p->params, p->a2b), 1, H);
    cm_init_linear(&rng, cm_params_data(&p->params, p->c0w), cm_params_data(&p->params, p->c0b), H, G > 0 ? G : 1);
    cm_init_linear(&rng, cm_params_data(&p->params, p->c2w), cm_params_data(&p->params, p->c2b), 1, H);
    *out = p;
    return CM_OK;
}

const cm_policy_config *cm_policy_get_config(const cm_policy *p) { return &p->cfg; }
cm_params *cm_policy_params(cm_policy *p) { return &p->params; }
const cm_params *cm_policy_params_const(const cm_policy *p) { return &p->params; }

cm_status cm_policy_save(const cm_policy *p, const char *dir)
{
    cJSON *o = mfiles_config_begin("cogmap policy", p->cfg.preset);
    return mfiles_save(dir, o, o && cfgt_to_json(fields, N_FIELDS, &p->cfg, o), &p->params);
}

cm_status cm_policy_load(const char *dir, cm_policy **out)
{
    *out = NULL;
    char path[4200], preset[32] = "";
    cJSON *o = NULL;
    cm_status st = mfiles_read_config(dir, "cogmap policy", &o, path, sizeof path, preset, sizeof preset);
    if (st)
        return st;
    cm_policy_config c;
    if (cm_policy_preset(preset, &c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: preset: expected meta or tiny, got '%s'", path, preset);
    if (!st)
        st = cfgt_from_json(fields, N_FIELDS, &c, o, path);
    if (!st && cm_policy_config_check(&c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: %s", path, cm_errmsg());
    cJSON_Delete(o);
    if (st)
        return st;
    cm_policy *p;
    if ((st = cm_policy_create(&c, 0, &p)))
        return st;
    if ((st = mfiles_load_params(dir, &p->params))) {
        cm_policy_free(p);
        return st;
    }
    *out = p;
    return CM_OK;
}

/* ------------------------------------------------------------------ state */

void cm_policy_state_free(cm_policy_state *s)
{
    if (!s)
        return;
    cm_free(s->x);
    cm_free(s->h);
    cm_free(s->z);
    cm_free(s->logp);
    cm_free(s->ch);
    cm_free(s->v);
    cm_free(s->dh);
    cm_free(s->dz);
    cm_free(s->dlogp);
    cm_free(s->dch);
    cm_free(s->dv);
    cm_free(s);
}

cm_status cm_policy_state_create(const cm_policy *p, int batch, cm_policy_state **out)
{
    *out = NULL;
    if (batch < 1)
        return cm_error(CM_ERR_ARG, "policy state: batch: expected >= 1, got %d", batch);
    const int F = p->cfg.cand_dim, G = p->cfg.global_dim, M = p->cfg.n_cand, H = p->cfg.hidden;
    size_t BM = (size_t)batch * M;
    cm_policy_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "policy state: out of memory");
    s->cap = batch;
    s->M = M;
    s->x = cm_alloc(BM * (F + G) * sizeof(float));
    s->h = cm_alloc(BM * H * sizeof(float));
    s->z = cm_alloc(BM * sizeof(float));
    s->logp = cm_alloc(BM * sizeof(float));
    s->ch = cm_alloc((size_t)batch * H * sizeof(float));
    s->v = cm_alloc((size_t)batch * sizeof(float));
    s->dh = cm_alloc(BM * H * sizeof(float));
    s->dz = cm_alloc(BM * sizeof(float));
    s->dlogp = cm_alloc(BM * sizeof(float));
    s->dch = cm_alloc((size_t)batch * H * sizeof(float));
    s->dv = cm_alloc((size_t)batch * sizeof(float));
    if (!s->x || !s->h || !s->z || !s->logp || !s->ch || !s->v || !s->dh || !s->dz || !s->dlogp || !s->dch || !s->dv) {
        cm_policy_state_free(s);
        return cm_error(CM_ERR_NOMEM, "policy state: out of memory for a batch of %d", batch);
    }
    *out = s;
    return CM_OK;
}

/* ---------------------------------------------------------------- forward */

cm_status cm_policy_forward(const cm_policy *p, cm_policy_state *s, const cm_policy_batch *b, int rows, double *loss)
{
    const cm_policy_config *c = &p->cfg;
    const int F = c->cand_dim, G = c->global_dim, M = c->n_cand, H = c->hidden, FG = F + G;
    if (rows < 1 || rows > s->cap)
        return cm_error(CM_ERR_ARG, "policy forward: rows: expected 1..%d, got %d", s->cap, rows);
    if (!b->cand || !b->mask || (G > 0 && !b->global))
        return cm_error(CM_ERR_ARG, "policy forward: expected candidates, a mask and the global features");
    if (loss && (!b->action || !b->old_logp || !b->advantage || !b->ret))
        return cm_error(CM_ERR_ARG, "policy forward: a loss needs action, old_logp, advantage and ret");
    const cm_params *P = &p->params;
    s->batch = *b;
    s->rows_used = rows;
    s->have_loss = 0;
    for (int r = 0; r < rows; r++) {
        int any = 0;
        for (int k = 0; k < M; k++)
            any |= b->mask[(size_t)r * M + k] != 0;
        if (!any)
            return cm_error(CM_ERR_ARG, "policy forward: row %d: no valid candidate", r);
        if (loss && (b->action[r] < 0 || b->action[r] >= M || !b->mask[(size_t)r * M + b->action[r]]))
            return cm_error(CM_ERR_ARG, "policy forward: row %d: action %d is not a valid candidate", r, b->action[r]);
        for (int k = 0; k < M; k++) {
            float *x = s->x + ((size_t)r * M + k) * FG;
            memcpy(x, b->cand + ((size_t)r * M + k) * F, (size_t)F * sizeof(float));
            if (G > 0)
                memcpy(x + F, b->global + (size_t)r * G, (size_t)G * sizeof(float));
        }
    }
    size_t RM = (size_t)rows * M;
    cm_linear_forward(s->h, s->x, cm_params_data(P, p->a0w), cm_params_data(P, p->a0b), (int)RM, FG, H, 0);
    cm_relu_forward(s->h, s->h, RM * H);
    cm_linear_forward(s->z, s->h, cm_params_data(P, p->a2w), cm_params_data(P, p->a2b), (int)RM, H, 1, 0);
    for (size_t i = 0; i < RM; i++)
        if (!b->mask[i])
            s->z[i] = MASKED;
    cm_log_softmax_forward(s->logp, s->z, rows, M);
    if (G > 0)
        cm_linear_forward(s->ch, b->global, cm_params_data(P, p->c0w), cm_params_data(P, p->c0b), rows, G, H, 0);
    else
        memcpy(s->ch, cm_params_data(P, p->c0b), (size_t)H * sizeof(float)); /* G = 0: the bias alone */
    if (G == 0)
        for (int r = 1; r < rows; r++)
            memcpy(s->ch + (size_t)r * H, s->ch, (size_t)H * sizeof(float));
    cm_relu_forward(s->ch, s->ch, (size_t)rows * H);
    cm_linear_forward(s->v, s->ch, cm_params_data(P, p->c2w), cm_params_data(P, p->c2b), rows, H, 1, 0);
    if (!loss)
        return CM_OK;

    double R = b->rows > 0 ? b->rows : (double)rows;
    s->rows = R;
    cm_policy_losses *L = &s->losses;
    memset(L, 0, sizeof *L);
    const float eps = c->clip_eps;
    for (int r = 0; r < rows; r++) {
        const float *lp = s->logp + (size_t)r * M;
        float *dl = s->dlogp + (size_t)r * M;
        memset(dl, 0, (size_t)M * sizeof(float));
        int a = b->action[r];
        float A = b->advantage[r];
        float ratio = expf(lp[a] - b->old_logp[r]);
        float clipped = ratio < 1.0f - eps ? 1.0f - eps : ratio > 1.0f + eps ? 1.0f + eps : ratio;
        float u = ratio * A, w = clipped * A;
        L->policy += -(u < w ? u : w);
        /* the clipped term has no gradient where it is the smaller one and clipping is active */
        if (u <= w || clipped == ratio)
            dl[a] += (float)(-A * ratio / R);
        L->clip_fraction += clipped != ratio;
        L->approx_kl += b->old_logp[r] - lp[a];
        float dv = s->v[r] - b->ret[r];
        L->value += (double)dv * dv;
        s->dv[r] = (float)(2.0 * c->value_coef * dv / R);
        double Hent = 0.0;
        for (int k = 0; k < M; k++)
            if (b->mask[(size_t)r * M + k]) {
                float pk = expf(lp[k]);
                Hent -= pk * lp[k];
                /* d(-coef H)/dlogp_k = coef p_k (logp_k + 1) */
                dl[k] += (float)(c->entropy_coef * pk * (lp[k] + 1.0f) / R);
            }
        L->entropy += Hent;
    }
    L->policy /= R;
    L->value /= R;
    L->entropy /= R;
    L->clip_fraction /= rows;
    L->approx_kl /= rows;
    L->total = L->policy + c->value_coef * L->value - c->entropy_coef * L->entropy;
    *loss = L->total;
    s->have_loss = 1;
    return CM_OK;
}

/* In-place ReLU backward: the gradient survives where the output was positive. */
static void relu_mask(float *d, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(y[i] > 0.0f))
            d[i] = 0.0f;
}

cm_status cm_policy_backward(const cm_policy *p, cm_policy_state *s, float *grad)
{
    if (!s->have_loss)
        return cm_error(CM_ERR_ARG, "policy backward: no loss was computed by the last forward");
    const cm_policy_config *c = &p->cfg;
    const int F = c->cand_dim, G = c->global_dim, M = c->n_cand, H = c->hidden, FG = F + G, rows = s->rows_used;
    const cm_params *P = &p->params;
    const cm_tensor_info *T = P->tensors;
    size_t RM = (size_t)rows * M;
    /* actor: logp <- z (masked logits carry no gradient) */
    memset(s->dz, 0, RM * sizeof(float));
    cm_log_softmax_backward(s->dz, s->dlogp, s->logp, rows, M);
    for (size_t i = 0; i < RM; i++)
        if (!s->batch.mask[i])
            s->dz[i] = 0.0f;
    memset(s->dh, 0, RM * H * sizeof(float));
    cm_linear_backward(s->dh, grad + T[p->a2w].offset, grad + T[p->a2b].offset, s->dz, s->h, cm_params_data(P, p->a2w),
                       (int)RM, H, 1);
    relu_mask(s->dh, s->h, RM * H);
    cm_linear_backward(NULL, grad + T[p->a0w].offset, grad + T[p->a0b].offset, s->dh, s->x, cm_params_data(P, p->a0w),
                       (int)RM, FG, H);
    /* critic */
    memset(s->dch, 0, (size_t)rows * H * sizeof(float));
    cm_linear_backward(s->dch, grad + T[p->c2w].offset, grad + T[p->c2b].offset, s->dv, s->ch,
                       cm_params_data(P, p->c2w), rows, H, 1);
    relu_mask(s->dch, s->ch, (size_t)rows * H);
    if (G > 0) {
        cm_linear_backward(NULL, grad + T[p->c0w].offset, grad + T[p->c0b].offset, s->dch, s->batch.global,
                           cm_params_data(P, p->c0w), rows, G, H);
    } else {
        float *db = grad + T[p->c0b].offset;
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < H; j++)
                db[j] += s->dch[(size_t)r * H + j];
    }
    return CM_OK;
}

const float *cm_policy_logp(const cm_policy_state *s) { return s->logp; }
const float *cm_policy_value(const cm_policy_state *s) { return s->v; }
void cm_policy_get_losses(const cm_policy_state *s, cm_policy_losses *out) { *out = s->losses; }

int cm_policy_sample(const cm_policy_state *s, int row, cm_rng *rng)
{
    const float *lp = s->logp + (size_t)row * s->M;
    const uint8_t *mask = s->batch.mask + (size_t)row * s->M;
    int best = -1;
    for (int k = 0; k < s->M; k++)
        if (mask[k] && (best < 0 || lp[k] > lp[best]))
            best = k;
    if (!rng)
        return best;
    double u = cm_rng_double(rng), acc = 0.0;
    for (int k = 0; k < s->M; k++)
        if (mask[k]) {
            acc += exp((double)lp[k]);
            if (u < acc)
                return k;
        }
    return best; /* rounding left u above the last sum */
}
