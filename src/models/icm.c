/* The intrinsic curiosity module (policy.h; Pathak et al. 2017) over the
 * meta-controller's decisions: encoder, inverse model, forward model. */
#include "models/config_table.h"
#include "models/model_files.h"

#include "cogmap/io.h"
#include "cogmap/policy.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

struct cm_icm {
    cm_icm_config cfg;
    cm_params params;
    int e0w, e0b, i0w, i0b, i2w, i2b, f0w, f0b, f2w, f2b;
};

struct cm_icm_state {
    int cap, rows_used;
    float *phi;    /* [2B, P]: phi(s0) rows 0..B-1, phi(s1) rows B..2B-1 (after ReLU) */
    float *s01;    /* [2B, S] the inputs stacked */
    float *ix;     /* [B, 2P] inverse input */
    float *ih;     /* [B, H] */
    float *iz;     /* [B, A] logits, then log-softmax in il */
    float *il;     /* [B, A] */
    float *fx;     /* [B, P + A] forward input */
    float *fh;     /* [B, H] */
    float *f;      /* [B, P] prediction */
    float *dphi, *dix, *dih, *diz, *dfx, *dfh, *df, *q;
    double rows;
    int have_loss;
};

#define F(key, type, field, lo, hi) {key, type, offsetof(cm_icm_config, field), lo, hi}
static const cfgt_field fields[] = {
    F("state_dim", CFGT_INT, state_dim, 1, 65536), F("n_actions", CFGT_INT, n_actions, 1, 65536),
    F("feature_dim", CFGT_INT, feature_dim, 1, 65536), F("hidden", CFGT_INT, hidden, 1, 65536),
    F("beta", CFGT_FLOAT, beta, 0, 1), F("eta", CFGT_FLOAT, eta, 0, 1e6),
};
#undef F
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

cm_status cm_icm_preset(const char *name, cm_icm_config *c)
{
    memset(c, 0, sizeof *c);
    if (!name || (strcmp(name, "meta") != 0 && strcmp(name, "tiny") != 0))
        return cm_error(CM_ERR_ARG, "icm preset: expected meta or tiny, got '%s'", name ? name : "(null)");
    snprintf(c->preset, sizeof c->preset, "%s", name);
    int tiny = strcmp(name, "tiny") == 0;
    c->state_dim = tiny ? 3 : 8;
    c->n_actions = tiny ? 4 : 8;
    c->feature_dim = tiny ? 3 : 16;
    c->hidden = tiny ? 5 : 32;
    c->beta = 0.2f;
    c->eta = tiny ? 1.0f : 0.05f;
    return CM_OK;
}

cm_status cm_icm_config_check(const cm_icm_config *c)
{
    for (int i = 0; i < N_FIELDS; i++) {
        const cfgt_field *f = &fields[i];
        const char *p = (const char *)c + f->offset;
        double x = f->type == CFGT_INT ? *(const int *)p : f->type == CFGT_FLOAT ? *(const float *)p : *(const double *)p;
        if (!(x >= f->lo && x <= f->hi))
            return cm_error(CM_ERR_ARG, "icm config: %s: expected a value in [%g, %g], got %g", f->key, f->lo, f->hi, x);
    }
    return CM_OK;
}

cm_status cm_icm_config_set(cm_icm_config *c, const char *key_value)
{
    char key[64];
    const char *v;
    cm_status st = cfgt_split(key_value, "icm --set", key, sizeof key, &v);
    if (st)
        return st;
    int r = cfgt_set(fields, N_FIELDS, c, "icm --set", key, v);
    if (r < 0)
        return cm_error(CM_ERR_ARG,
                        "icm --set: unknown key '%s' (state_dim, n_actions, feature_dim, hidden, beta, eta)", key);
    return (cm_status)r;
}

void cm_icm_free(cm_icm *m)
{
    if (!m)
        return;
    cm_params_free(&m->params);
    cm_free(m);
}

cm_status cm_icm_create(const cm_icm_config *cfg, uint64_t seed, cm_icm **out)
{
    *out = NULL;
    cm_status st = cm_icm_config_check(cfg);
    if (st)
        return st;
    cm_icm *m = cm_calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "icm: out of memory");
    m->cfg = *cfg;
    const int S = cfg->state_dim, A = cfg->n_actions, P = cfg->feature_dim, H = cfg->hidden;
    cm_params_init(&m->params);
    const int64_t e0[2] = {P, S}, pb[1] = {P}, i0[2] = {H, 2 * P}, hb[1] = {H}, i2[2] = {A, H}, ab[1] = {A},
                  f0[2] = {H, P + A}, f2[2] = {P, H};
    cm_params *Q = &m->params;
    if ((st = cm_params_add(Q, "encoder.0.weight", 2, e0, &m->e0w)) || (st = cm_params_add(Q, "encoder.0.bias", 1, pb, &m->e0b)) ||
        (st = cm_params_add(Q, "inverse.0.weight", 2, i0, &m->i0w)) || (st = cm_params_add(Q, "inverse.0.bias", 1, hb, &m->i0b)) ||
        (st = cm_params_add(Q, "inverse.2.weight", 2, i2, &m->i2w)) || (st = cm_params_add(Q, "inverse.2.bias", 1, ab, &m->i2b)) ||
        (st = cm_params_add(Q, "forward.0.weight", 2, f0, &m->f0w)) || (st = cm_params_add(Q, "forward.0.bias", 1, hb, &m->f0b)) ||
        (st = cm_params_add(Q, "forward.2.weight", 2, f2, &m->f2w)) || (st = cm_params_add(Q, "forward.2.bias", 1, pb, &m->f2b)) ||
        (st = cm_params_finalize(Q))) {
        cm_icm_free(m);
        return st;
    }
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    cm_init_linear(&rng, cm_params_data(Q, m->e0w), cm_params_data(Q, m->e0b), P, S);
    cm_init_linear(&rng, cm_params_data(Q, m->i0w), cm_params_data(Q, m->i0b), H, 2 * P);
    cm_init_linear(&rng, cm_params_data(Q, m->i2w), cm_params_data(Q, m->i2b), A, H);
    cm_init_linear(&rng, cm_params_data(Q, m->f0w), cm_params_data(Q, m->f0b), H, P + A);
    cm_init_linear(&rng, cm_params_data(Q, m->f2w), cm_params_data(Q, m->f2b), P, H);
    *out = m;
    return CM_OK;
}

const cm_icm_config *cm_icm_get_config(const cm_icm *m) { return &m->cfg; }
cm_params *cm_icm_params(cm_icm *m) { return &m->params; }

cm_status cm_icm_save(const cm_icm *m, const char *dir)
{
    cJSON *o = mfiles_config_begin("cogmap icm", m->cfg.preset);
    return mfiles_save(dir, o, o && cfgt_to_json(fields, N_FIELDS, &m->cfg, o), &m->params);
}

cm_status cm_icm_load(const char *dir, cm_icm **out)
{
    *out = NULL;
    char path[4200], preset[32] = "";
    cJSON *o = NULL;
    cm_status st = mfiles_read_config(dir, "cogmap icm", &o, path, sizeof path, preset, sizeof preset);
    if (st)
        return st;
    cm_icm_config c;
    if (cm_icm_preset(preset, &c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: preset: expected meta or tiny, got '%s'", path, preset);
    if (!st)
        st = cfgt_from_json(fields, N_FIELDS, &c, o, path);
    if (!st && cm_icm_config_check(&c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: %s", path, cm_errmsg());
    cJSON_Delete(o);
    if (st)
        return st;
    cm_icm *m;
    if ((st = cm_icm_create(&c, 0, &m)))
        return st;
    if ((st = mfiles_load_params(dir, &m->params))) {
        cm_icm_free(m);
        return st;
    }
    *out = m;
    return CM_OK;
}

void cm_icm_state_free(cm_icm_state *s)
{
    if (!s)
        return;
    float *bufs[] = {s->phi, s->s01, s->ix, s->ih, s->iz, s->il, s->fx, s->fh, s->f,
                     s->dphi, s->dix, s->dih, s->diz, s->dfx, s->dfh, s->df, s->q};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        cm_free(bufs[i]);
    cm_free(s);
}

cm_status cm_icm_state_create(const cm_icm *m, int batch, cm_icm_state **out)
{
    *out = NULL;
    if (batch < 1)
        return cm_error(CM_ERR_ARG, "icm state: batch: expected >= 1, got %d", batch);
    const int S = m->cfg.state_dim, A = m->cfg.n_actions, P = m->cfg.feature_dim, H = m->cfg.hidden;
    size_t B = (size_t)batch;
    cm_icm_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "icm state: out of memory");
    s->cap = batch;
    s->phi = cm_alloc(2 * B * P * sizeof(float));
    s->s01 = cm_alloc(2 * B * S * sizeof(float));
    s->ix = cm_alloc(B * 2 * P * sizeof(float));
    s->ih = cm_alloc(B * H * sizeof(float));
    s->iz = cm_alloc(B * A * sizeof(float));
    s->il = cm_alloc(B * A * sizeof(float));
    s->fx = cm_alloc(B * (P + A) * sizeof(float));
    s->fh = cm_alloc(B * H * sizeof(float));
    s->f = cm_alloc(B * P * sizeof(float));
    s->dphi = cm_alloc(2 * B * P * sizeof(float));
    s->dix = cm_alloc(B * 2 * P * sizeof(float));
    s->dih = cm_alloc(B * H * sizeof(float));
    s->diz = cm_alloc(B * A * sizeof(float));
    s->dfx = cm_alloc(B * (P + A) * sizeof(float));
    s->dfh = cm_alloc(B * H * sizeof(float));
    s->df = cm_alloc(B * P * sizeof(float));
    s->q = cm_alloc(B * A * sizeof(float));
    if (!s->phi || !s->s01 || !s->ix || !s->ih || !s->iz || !s->il || !s->fx || !s->fh || !s->f || !s->dphi ||
        !s->dix || !s->dih || !s->diz || !s->dfx || !s->dfh || !s->df || !s->q) {
        cm_icm_state_free(s);
        return cm_error(CM_ERR_NOMEM, "icm state: out of memory for a batch of %d", batch);
    }
    *out = s;
    return CM_OK;
}

static void relu_mask(float *d, const float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(y[i] > 0.0f))
            d[i] = 0.0f;
}

cm_status cm_icm_forward(const cm_icm *m, cm_icm_state *s, const cm_icm_batch *b, int rows, float *reward,
                         double *loss, double *inverse_loss, double *forward_loss)
{
    const cm_icm_config *c = &m->cfg;
    const int S = c->state_dim, A = c->n_actions, P = c->feature_dim, H = c->hidden;
    if (rows < 1 || rows > s->cap)
        return cm_error(CM_ERR_ARG, "icm forward: rows: expected 1..%d, got %d", s->cap, rows);
    if (!b->s0 || !b->s1 || !b->action)
        return cm_error(CM_ERR_ARG, "icm forward: expected s0, s1 and actions");
    for (int r = 0; r < rows; r++)
        if (b->action[r] < 0 || b->action[r] >= A)
            return cm_error(CM_ERR_ARG, "icm forward: row %d: action %d outside 0..%d", r, b->action[r], A - 1);
    const cm_params *Q = &m->params;
    size_t R = (size_t)rows;
    s->rows_used = rows;
    s->have_loss = 0;
    memcpy(s->s01, b->s0, R * S * sizeof(float));
    memcpy(s->s01 + R * S, b->s1, R * S * sizeof(float));
    cm_linear_forward(s->phi, s->s01, cm_params_data(Q, m->e0w), cm_params_data(Q, m->e0b), 2 * rows, S, P, 0);
    cm_relu_forward(s->phi, s->phi, 2 * R * P);
    const float *phi0 = s->phi, *phi1 = s->phi + R * P;
    for (size_t r = 0; r < R; r++) {
        memcpy(s->ix + r * 2 * P, phi0 + r * P, (size_t)P * sizeof(float));
        memcpy(s->ix + r * 2 * P + P, phi1 + r * P, (size_t)P * sizeof(float));
        memcpy(s->fx + r * (P + A), phi0 + r * P, (size_t)P * sizeof(float));
        memset(s->fx + r * (P + A) + P, 0, (size_t)A * sizeof(float));
        s->fx[r * (P + A) + P + b->action[r]] = 1.0f;
    }
    cm_linear_forward(s->ih, s->ix, cm_params_data(Q, m->i0w), cm_params_data(Q, m->i0b), rows, 2 * P, H, 0);
    cm_relu_forward(s->ih, s->ih, R * H);
    cm_linear_forward(s->iz, s->ih, cm_params_data(Q, m->i2w), cm_params_data(Q, m->i2b), rows, H, A, 0);
    cm_linear_forward(s->fh, s->fx, cm_params_data(Q, m->f0w), cm_params_data(Q, m->f0b), rows, P + A, H, 0);
    cm_relu_forward(s->fh, s->fh, R * H);
    cm_linear_forward(s->f, s->fh, cm_params_data(Q, m->f2w), cm_params_data(Q, m->f2b), rows, H, P, 0);
    double fsum = 0.0;
    for (size_t r = 0; r < R; r++) {
        double e = 0.0;
        for (int k = 0; k < P; k++) {
            double d = (double)s->f[r * P + k] - phi1[r * P + k];
            e += d * d;
        }
        if (reward)
            reward[r] = (float)(0.5 * c->eta * e);
        fsum += 0.5 * e;
    }
    if (!loss && !inverse_loss && !forward_loss)
        return CM_OK;
    double Rd = b->rows > 0 ? b->rows : (double)rows;
    s->rows = Rd;
    memset(s->q, 0, R * A * sizeof(float));
    for (size_t r = 0; r < R; r++)
        s->q[r * A + b->action[r]] = 1.0f;
    double inv = cm_softmax_xent_forward(s->il, s->iz, s->q, rows, A) / Rd, fwd = fsum / Rd;
    if (inverse_loss)
        *inverse_loss = inv;
    if (forward_loss)
        *forward_loss = fwd;
    if (loss)
        *loss = (1.0 - c->beta) * inv + c->beta * fwd;
    s->have_loss = 1;
    return CM_OK;
}

cm_status cm_icm_backward(const cm_icm *m, cm_icm_state *s, float *grad)
{
    if (!s->have_loss)
        return cm_error(CM_ERR_ARG, "icm backward: no loss was computed by the last forward");
    const cm_icm_config *c = &m->cfg;
    const int S = c->state_dim, A = c->n_actions, P = c->feature_dim, H = c->hidden, rows = s->rows_used;
    const cm_params *Q = &m->params;
    const cm_tensor_info *T = Q->tensors;
    size_t R = (size_t)rows;
    float wi = (float)((1.0 - c->beta) / s->rows), wf = (float)(c->beta / s->rows);
    const float *phi1 = s->phi + R * P;
    memset(s->dphi, 0, 2 * R * P * sizeof(float));
    /* forward model: d/df of beta * 0.5 |f - phi1|^2 / rows; phi1 gets the opposite */
    for (size_t i = 0; i < R * P; i++) {
        float d = s->f[i] - phi1[i];
        s->df[i] = wf * d;
        s->dphi[R * P + i] -= wf * d;
    }
    memset(s->dfh, 0, R * H * sizeof(float));
    cm_linear_backward(s->dfh, grad + T[m->f2w].offset, grad + T[m->f2b].offset, s->df, s->fh, cm_params_data(Q, m->f2w),
                       rows, H, P);
    relu_mask(s->dfh, s->fh, R * H);
    memset(s->dfx, 0, R * (P + A) * sizeof(float));
    cm_linear_backward(s->dfx, grad + T[m->f0w].offset, grad + T[m->f0b].offset, s->dfh, s->fx,
                       cm_params_data(Q, m->f0w), rows, P + A, H);
    for (size_t r = 0; r < R; r++)
        for (int k = 0; k < P; k++)
            s->dphi[r * P + k] += s->dfx[r * (P + A) + k];
    /* inverse model */
    memset(s->diz, 0, R * A * sizeof(float));
    cm_softmax_xent_backward(s->diz, s->il, s->q, rows, A, wi);
    memset(s->dih, 0, R * H * sizeof(float));
    cm_linear_backward(s->dih, grad + T[m->i2w].offset, grad + T[m->i2b].offset, s->diz, s->ih, cm_params_data(Q, m->i2w),
                       rows, H, A);
    relu_mask(s->dih, s->ih, R * H);
    memset(s->dix, 0, R * 2 * P * sizeof(float));
    cm_linear_backward(s->dix, grad + T[m->i0w].offset, grad + T[m->i0b].offset, s->dih, s->ix,
                       cm_params_data(Q, m->i0w), rows, 2 * P, H);
    for (size_t r = 0; r < R; r++)
        for (int k = 0; k < P; k++) {
            s->dphi[r * P + k] += s->dix[r * 2 * P + k];
            s->dphi[R * P + r * P + k] += s->dix[r * 2 * P + P + k];
        }
    /* encoder, both states */
    relu_mask(s->dphi, s->phi, 2 * R * P);
    cm_linear_backward(NULL, grad + T[m->e0w].offset, grad + T[m->e0b].offset, s->dphi, s->s01,
                       cm_params_data(Q, m->e0w), 2 * rows, S, P);
    return CM_OK;
}
