/* nn-check handlers of HRL-ICM's networks (policy.h), for
 * bench/check_torch_coop.py: the meta-controller's PPO objective and the
 * curiosity module's loss and rewards, with the gradient of each loss with
 * respect to every parameter, on weights and inputs written by PyTorch.
 * Integer inputs (mask, action) come as float arrays. */
#include "nncheck.h"

#include "cogmap/policy.h"

#include <string.h>

/* Every tensor of p from DIR/<name>.npy (when there), grads[i] its c_grad_ buffer. */
static void load_params(nc_ctx *c, cm_params *p, float **grads)
{
    for (int i = 0; i < p->count; i++) {
        cm_tensor_info *t = &p->tensors[i];
        int64_t shape[CM_PARAM_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        float *w = nc_in(c, t->name, t->ndim, shape);
        if (w)
            memcpy(cm_params_data(p, i), w, t->count * sizeof(float));
        grads[i] = nc_grad(c, t->name);
    }
}

static cm_status h_policy(nc_ctx *c)
{
    cm_policy_config cfg;
    cm_policy_preset("tiny", &cfg);
    cfg.cand_dim = (int)nc_int(c, "cand_dim", 3);
    cfg.global_dim = (int)nc_int(c, "global_dim", 2);
    cfg.n_cand = (int)nc_int(c, "n_cand", 4);
    cfg.hidden = (int)nc_int(c, "hidden", 5);
    cfg.clip_eps = (float)nc_num(c, "clip_eps", 0.2);
    cfg.value_coef = (float)nc_num(c, "value_coef", 0.5);
    cfg.entropy_coef = (float)nc_num(c, "entropy_coef", 0.01);
    cm_policy *m = NULL;
    cm_status st = cm_policy_create(&cfg, 1, &m);
    if (st)
        return st;
    cm_params *p = cm_policy_params(m);
    float *grads[16];
    load_params(c, p, grads);
    const int M = cfg.n_cand, F = cfg.cand_dim, G = cfg.global_dim;
    int64_t cs[3] = {-1, M, F};
    const float *cand = nc_in(c, "cand", 3, cs);
    int B = (int)cs[0];
    int64_t gs[2] = {B, G}, ms[2] = {B, M}, bs[1] = {B}, one[1] = {1};
    const float *global = nc_in(c, "global", 2, gs), *maskf = nc_in(c, "mask", 2, ms), *actf = nc_in(c, "action", 1, bs);
    const float *old_logp = nc_in(c, "old_logp", 1, bs), *adv = nc_in(c, "advantage", 1, bs), *ret = nc_in(c, "ret", 1, bs);
    float *loss = nc_out(c, "loss", 1, one), *logp = nc_out(c, "logp", 2, ms), *value = nc_out(c, "value", 1, bs);
    float *gblock = nc_scratch(c, p->total);
    uint8_t *mask = (uint8_t *)nc_scratch(c, (size_t)B * M);
    int *action = (int *)nc_scratch(c, (size_t)B);
    cm_policy_state *s = NULL;
    if (!c->st) {
        for (int i = 0; i < B * M; i++)
            mask[i] = maskf[i] > 0.5f;
        for (int i = 0; i < B; i++)
            action[i] = (int)actf[i];
        c->st = cm_policy_state_create(m, B, &s);
    }
    cm_policy_batch b = {cand, global, mask, action, old_logp, adv, ret, 0};
    double L = 0.0;
    if (!c->st)
        c->st = cm_policy_forward(m, s, &b, B, &L);
    if (!c->st)
        c->st = cm_policy_backward(m, s, gblock);
    if (!c->st) {
        loss[0] = (float)L;
        memcpy(logp, cm_policy_logp(s), (size_t)B * M * sizeof(float));
        memcpy(value, cm_policy_value(s), (size_t)B * sizeof(float));
        for (int i = 0; i < p->count; i++)
            memcpy(grads[i], gblock + p->tensors[i].offset, p->tensors[i].count * sizeof(float));
    }
    cm_policy_state_free(s);
    cm_policy_free(m);
    return c->st;
}

static cm_status h_icm(nc_ctx *c)
{
    cm_icm_config cfg;
    cm_icm_preset("tiny", &cfg);
    cfg.state_dim = (int)nc_int(c, "state_dim", 3);
    cfg.n_actions = (int)nc_int(c, "n_actions", 4);
    cfg.feature_dim = (int)nc_int(c, "feature_dim", 3);
    cfg.hidden = (int)nc_int(c, "hidden", 5);
    cfg.beta = (float)nc_num(c, "beta", 0.2);
    cfg.eta = (float)nc_num(c, "eta", 1.0);
    cm_icm *m = NULL;
    cm_status st = cm_icm_create(&cfg, 1, &m);
    if (st)
        return st;
    cm_params *p = cm_icm_params(m);
    float *grads[16];
    load_params(c, p, grads);
    int64_t ss[2] = {-1, cfg.state_dim};
    const float *s0 = nc_in(c, "s0", 2, ss);
    int B = (int)ss[0];
    int64_t s2[2] = {B, cfg.state_dim}, bs[1] = {B}, one[1] = {1};
    const float *s1 = nc_in(c, "s1", 2, s2), *actf = nc_in(c, "action", 1, bs);
    float *loss = nc_out(c, "loss", 1, one), *reward = nc_out(c, "reward", 1, bs);
    float *gblock = nc_scratch(c, p->total);
    int *action = (int *)nc_scratch(c, (size_t)B);
    cm_icm_state *s = NULL;
    if (!c->st) {
        for (int i = 0; i < B; i++)
            action[i] = (int)actf[i];
        c->st = cm_icm_state_create(m, B, &s);
    }
    cm_icm_batch b = {s0, s1, action, 0};
    double L = 0.0;
    if (!c->st)
        c->st = cm_icm_forward(m, s, &b, B, reward, &L, NULL, NULL);
    if (!c->st)
        c->st = cm_icm_backward(m, s, gblock);
    if (!c->st) {
        loss[0] = (float)L;
        for (int i = 0; i < p->count; i++)
            memcpy(grads[i], gblock + p->tensors[i].offset, p->tensors[i].count * sizeof(float));
    }
    cm_icm_state_free(s);
    cm_icm_free(m);
    return c->st;
}

const nc_layer nc_coop_layers[] = {
    {"coop_policy", h_policy},
    {"coop_icm", h_icm},
    {NULL, NULL},
};
