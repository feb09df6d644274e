/* nn-check handler of the target detector (detector.h) against
 * bench/check_torch_detector.py's PyTorch rebuild of SSM-PC's TargetDetector:
 * inputs are every parameter under its state-dict name plus the batch
 * (image, angle, visible, position); config: width, blocks, objects, hidden.
 * Training-mode forward (BatchNorm on batch statistics, dropout 0), loss,
 * backward; outputs loss, visibility, positions, attention, the running
 * statistics after one update (running.<name>), and every parameter's
 * gradient. */
#include <string.h>

#include "cogmap/detector.h"
#include "nncheck.h"

static cm_status h_detector(nc_ctx *c)
{
    cm_detector_config cfg;
    cm_status st = cm_detector_preset("detector", &cfg);
    if (st)
        return st;
    cfg.width = (int)nc_int(c, "width", 64);
    cfg.blocks = (int)nc_int(c, "blocks", 2);
    cfg.objects = (int)nc_int(c, "objects", 6);
    cfg.hidden = (int)nc_int(c, "hidden", 64);
    cfg.dropout = 0.0f; /* dropout masks cannot be matched across libraries */
    int64_t is[4] = {-1, 3, CM_DETECTOR_IMAGE, CM_DETECTOR_IMAGE};
    float *image = nc_in(c, "image", 4, is);
    NC_CHECK(c);
    const int B = (int)is[0], K = cfg.objects;
    int64_t as[2] = {B, 2}, vs[2] = {B, K}, ps[3] = {B, K, 2}, at[3] = {B, K, 16}, one[1] = {1};
    float *angle = nc_in(c, "angle", 2, as), *vis = nc_in(c, "visible", 2, vs), *pos = nc_in(c, "position", 3, ps);
    NC_CHECK(c);
    cm_detector *m;
    cm_detector_state *s = NULL;
    if ((st = cm_detector_create(&cfg, 0, &m)))
        return st;
    cm_params *p = cm_detector_params(m);
    float *grad = cm_calloc(p->total, sizeof(float));
    for (int i = 0; i < p->count && !c->st; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        int64_t shape[CM_PARAM_MAX_DIMS];
        memcpy(shape, t->shape, sizeof shape);
        float *v = nc_in(c, t->name, t->ndim, shape);
        if (v)
            memcpy(p->params + t->offset, v, t->count * sizeof(float));
    }
    if (!c->st && !grad)
        c->st = cm_error(CM_ERR_NOMEM, "nn-check detector: out of memory");
    if (!c->st)
        c->st = cm_detector_state_create(m, B, &s);
    if (!c->st) {
        cm_detector_batch b = {B, image, angle, vis, pos, 1.0f};
        cm_rng rng;
        cm_rng_seed(&rng, 1, 1);
        double loss;
        float *lo = nc_out(c, "loss", 1, one), *vo = nc_out(c, "visibility", 2, vs);
        float *po = nc_out(c, "positions", 3, ps), *ao = nc_out(c, "attention", 3, at);
        if (!c->st && !(c->st = cm_detector_forward(m, s, &b, &rng, &loss)) &&
            !(c->st = cm_detector_backward(m, s, grad))) {
            cm_detector_update_running(m, grad);
            lo[0] = (float)loss;
            memcpy(vo, cm_detector_visibility(s), (size_t)B * K * sizeof(float));
            memcpy(po, cm_detector_positions(s), (size_t)B * K * 2 * sizeof(float));
            memcpy(ao, cm_detector_attention(s), (size_t)B * K * 16 * sizeof(float));
            for (int i = 0; i < p->count && !c->st; i++) {
                const cm_tensor_info *t = &p->tensors[i];
                if (strstr(t->name, "running_")) {
                    char name[128];
                    snprintf(name, sizeof name, "running.%s", t->name);
                    float *o = nc_out(c, name, t->ndim, t->shape);
                    if (o)
                        memcpy(o, p->params + t->offset, t->count * sizeof(float));
                } else {
                    float *g = nc_grad(c, t->name);
                    if (g)
                        memcpy(g, grad + t->offset, t->count * sizeof(float));
                }
            }
        }
    }
    cm_detector_state_free(s);
    cm_detector_free(m);
    cm_free(grad);
    return c->st;
}

const nc_layer nc_detector_layers[] = {
    {"detector", h_detector},
    {NULL, NULL},
};
