/* nn-check handlers of the social place-cell network (social.h), for
 * bench/check_torch_social.py: the whole model's forward (loss and outputs)
 * and the gradient of its loss with respect to every parameter, on weights,
 * inputs and targets written by PyTorch. Dropout is off (evaluation mode):
 * the masks are the only random part and are tested by the C gradient check. */
#include "nncheck.h"

#include "cogmap/link.h"
#include "cogmap/social.h"

#include <string.h>

static cm_status h_social(nc_ctx *c)
{
    cm_social_config cfg;
    cm_social_preset("tiny", &cfg);
    cfg.ego_size = (int)nc_int(c, "ego_size", 4);
    cfg.hidden = (int)nc_int(c, "hidden", 6);
    cfg.bottleneck = (int)nc_int(c, "bottleneck", 8);
    cfg.n_place = (int)nc_int(c, "n_place", 7);
    cfg.n_hd = (int)nc_int(c, "n_hd", 3);
    cfg.relational_hidden = (int)nc_int(c, "relational_hidden", 5);
    cfg.w_distance = (float)nc_num(c, "w_distance", 0.1);
    cfg.dropout = 0.0f;
    NC_CHECK(c);
    cm_social *m = NULL;
    cm_status st = cm_social_create(&cfg, 1, &m);
    if (st)
        return st;
    cm_params *p = cm_social_params(m);
    float *grads[32];
    for (int i = 0; i < p->count; i++) {
        cm_tensor_info *t = &p->tensors[i];
        int64_t shape[CM_PARAM_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        float *w = nc_in(c, t->name, t->ndim, shape);
        if (w)
            memcpy(cm_params_data(p, i), w, t->count * sizeof(float));
        grads[i] = nc_grad(c, t->name);
    }
    int64_t vs[3] = {-1, -1, cfg.input_size};
    const float *sv = nc_in(c, "self_vel", 3, vs);
    int B = (int)vs[0], T = (int)vs[1];
    int64_t v2[3] = {B, T, cfg.input_size}, ip[2] = {B, cfg.n_place}, ih[2] = {B, cfg.n_hd};
    int64_t tp[3] = {B, T, cfg.n_place}, th[3] = {B, T, cfg.n_hd}, td[2] = {B, T}, one[1] = {1};
    cm_social_batch b = {
        .self_vel = sv,
        .peer_vel = nc_in(c, "peer_vel", 3, v2),
        .self_init_place = nc_in(c, "self_init_place", 2, ip),
        .peer_init_place = nc_in(c, "peer_init_place", 2, ip),
        .self_init_hd = nc_in(c, "self_init_hd", 2, ih),
        .peer_init_hd = nc_in(c, "peer_init_hd", 2, ih),
        .self_place = nc_in(c, "self_place", 3, tp),
        .peer_place = nc_in(c, "peer_place", 3, tp),
        .self_hd = nc_in(c, "self_hd", 3, th),
        .peer_hd = nc_in(c, "peer_hd", 3, th),
        .distance = nc_in(c, "distance", 2, td),
    };
    int64_t zb[3] = {B, T, cfg.bottleneck};
    float *loss = nc_out(c, "loss", 1, one), *z = nc_out(c, "bottleneck", 3, zb);
    float *spl = nc_out(c, "self_place_logits", 3, tp), *ppl = nc_out(c, "peer_place_logits", 3, tp);
    float *dist = nc_out(c, "predicted_distance", 2, td);
    float *gblock = nc_scratch(c, p->total);
    cm_social_state *s = NULL;
    if (!c->st)
        c->st = cm_social_state_create(m, B, T, &s);
    double L = 0.0;
    if (!c->st)
        c->st = cm_social_forward(m, s, &b, NULL, &L);
    if (!c->st)
        c->st = cm_social_backward(m, s, gblock);
    if (!c->st) {
        loss[0] = (float)L;
        size_t n = (size_t)B * T;
        memcpy(z, cm_social_output_get(s, CM_SOCIAL_BOTTLENECK), n * cfg.bottleneck * sizeof(float));
        memcpy(spl, cm_social_output_get(s, CM_SOCIAL_SELF_PLACE), n * cfg.n_place * sizeof(float));
        memcpy(ppl, cm_social_output_get(s, CM_SOCIAL_PEER_PLACE), n * cfg.n_place * sizeof(float));
        memcpy(dist, cm_social_output_get(s, CM_SOCIAL_DISTANCE), n * sizeof(float));
        for (int i = 0; i < p->count; i++)
            memcpy(grads[i], gblock + p->tensors[i].offset, p->tensors[i].count * sizeof(float));
    }
    cm_social_state_free(s);
    cm_social_free(m);
    return c->st;
}

/* The link (link.h) on sequences in its relaxed mode (messages are the
 * probabilities themselves: the function whose exact gradient the
 * straight-through estimators give) or with fixed messages (fixed_bits.npy
 * present: the baselines' path): loss, predictions, and the gradients of
 * every parameter and of the inputs state and ctx. */
static cm_status h_link(nc_ctx *c)
{
    cm_link_config cfg;
    cm_link_preset("tiny", &cfg);
    cfg.state_dim = (int)nc_int(c, "state_dim", 5);
    cfg.ctx_dim = (int)nc_int(c, "ctx_dim", 4);
    cfg.bits = (int)nc_int(c, "bits", 3);
    cfg.senders = (int)nc_int(c, "senders", 2);
    cfg.sender_hidden = (int)nc_int(c, "sender_hidden", 6);
    cfg.message_dim = (int)nc_int(c, "message_dim", 0);
    cfg.memory = (int)nc_int(c, "memory", 5);
    cfg.init_dim = (int)nc_int(c, "init_dim", 4);
    cfg.decoder_hidden = (int)nc_int(c, "decoder_hidden", 7);
    cfg.out_dim = (int)nc_int(c, "out_dim", 6);
    cfg.who = (int)nc_int(c, "who", 1);
    cfg.who_hidden = (int)nc_int(c, "who_hidden", 3);
    cfg.gate = (int)nc_int(c, "gate", 1);
    cfg.w_pool = (float)nc_num(c, "w_pool", 1.0);
    cfg.beta = (float)nc_num(c, "beta", 0.1);
    cfg.lambda = (float)nc_num(c, "lambda", 0.2);
    NC_CHECK(c);
    cm_link *l = NULL;
    cm_status st = cm_link_create(&cfg, 1, &l);
    if (st)
        return st;
    cm_params *p = cm_link_params(l);
    float *grads[64];
    for (int i = 0; i < p->count; i++) {
        cm_tensor_info *t = &p->tensors[i];
        int64_t shape[CM_PARAM_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        float *w = nc_in(c, t->name, t->ndim, shape);
        if (w)
            memcpy(cm_params_data(p, i), w, t->count * sizeof(float));
        grads[i] = nc_grad(c, t->name);
    }
    int N = cfg.senders, O = cfg.out_dim;
    int64_t cs[3] = {-1, -1, cfg.ctx_dim};
    float *ctx = nc_in(c, "ctx", 3, cs);
    int T = (int)cs[0], B = (int)cs[1], NB = N * B;
    int64_t ss[3] = {T, NB, cfg.state_dim}, is[2] = {NB, cfg.init_dim}, ts[3] = {T, NB, O}, ps[3] = {T, B, O};
    int64_t fs[3] = {T, NB, cfg.bits}, one[1] = {1};
    float *fixed = nc_in_optional(c, "fixed_bits", 3, fs);
    cm_link_batch b = {.state = fixed ? NULL : nc_in(c, "state", 3, ss), .ctx = ctx, .init = nc_in(c, "init", 2, is),
                       .target = nc_in(c, "target", 3, ts), .target_pool = cfg.who ? nc_in(c, "target_pool", 3, ps) : NULL,
                       .relaxed = !fixed};
    float *dstate = fixed ? NULL : nc_grad(c, "state"), *dctx = nc_grad(c, "ctx");
    float *loss = nc_out(c, "loss", 1, one), *pred = nc_out(c, "pred", 3, ts);
    float *pooled = cfg.who ? nc_out(c, "pooled", 3, ps) : NULL;
    float *gblock = nc_scratch(c, p->total);
    uint8_t *bits = fixed ? (uint8_t *)nc_scratch(c, ((size_t)T * NB * cfg.bits + 3) / 4) : NULL;
    NC_CHECK(c);
    for (size_t k = 0; bits && k < (size_t)T * NB * cfg.bits; k++)
        bits[k] = fixed[k] > 0.5f;
    b.fixed_bits = bits;
    cm_link_state *s = NULL;
    c->st = cm_link_state_create(l, B, T, &s);
    double L = 0;
    if (!c->st)
        c->st = cm_link_forward(l, s, &b, NULL, &L);
    if (!c->st)
        c->st = cm_link_backward(l, s, gblock);
    if (!c->st) {
        loss[0] = (float)L;
        memcpy(pred, cm_link_output_get(s, CM_LINK_PRED), (size_t)T * NB * O * sizeof(float));
        if (pooled)
            memcpy(pooled, cm_link_output_get(s, CM_LINK_POOLED), (size_t)T * B * O * sizeof(float));
        for (int i = 0; i < p->count; i++)
            memcpy(grads[i], gblock + p->tensors[i].offset, p->tensors[i].count * sizeof(float));
        if (dstate)
            memcpy(dstate, cm_link_input_grad(s, 0), (size_t)T * NB * cfg.state_dim * sizeof(float));
        memcpy(dctx, cm_link_input_grad(s, 1), (size_t)T * B * cfg.ctx_dim * sizeof(float));
    }
    cm_link_state_free(s);
    cm_link_free(l);
    return c->st;
}

const nc_layer nc_social_layers[] = {
    {"social", h_social},
    {"link", h_link},
    {NULL, NULL},
};
