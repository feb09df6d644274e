/* Optimisers over the single parameter block (nn.h). Each update is one
 * element-wise pass: OpenMP splits it, the compiler vectorises it, and every
 * element's arithmetic is independent of the split (same bits at any thread
 * count). Formulas follow PyTorch 1.13 and TensorFlow 1's RMSPropOptimizer. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <string.h>

#define CM_OPTIM_PAR CM_PAR_MIN_ELEMS

const char *cm_optim_name(cm_optim_kind kind)
{
    switch (kind) {
    case CM_OPTIM_SGD: return "sgd";
    case CM_OPTIM_ADAM: return "adam";
    case CM_OPTIM_ADAMW: return "adamw";
    case CM_OPTIM_RMSPROP: return "rmsprop";
    case CM_OPTIM_RMSPROP_TF: return "rmsprop-tf";
    }
    return "?";
}

cm_optim_config cm_optim_defaults(cm_optim_kind kind)
{
    cm_optim_config c = {0};
    c.kind = kind;
    c.lr = 1e-3;
    c.beta1 = 0.9;
    c.beta2 = 0.999;
    c.eps = 1e-8;
    c.alpha = 0.99;
    if (kind == CM_OPTIM_ADAMW)
        c.weight_decay = 1e-2;
    if (kind == CM_OPTIM_RMSPROP_TF) {
        c.alpha = 0.9; /* TF1's `decay` */
        c.eps = 1e-10;
    }
    return c;
}

static int state_buffers(const cm_optim_config *c)
{
    switch (c->kind) {
    case CM_OPTIM_SGD: return c->momentum != 0.0 ? 1 : 0;
    case CM_OPTIM_ADAM:
    case CM_OPTIM_ADAMW: return 2;
    case CM_OPTIM_RMSPROP: return c->momentum != 0.0 ? 2 : 1;
    case CM_OPTIM_RMSPROP_TF: return 2; /* TF always keeps `mom` */
    }
    return 0;
}

cm_status cm_optim_init(cm_optim *o, const cm_optim_config *cfg, size_t n)
{
    memset(o, 0, sizeof *o);
    if ((int)cfg->kind < 0 || cfg->kind > CM_OPTIM_RMSPROP_TF)
        return cm_error(CM_ERR_ARG, "optimiser: kind: expected 0..4, got %d", (int)cfg->kind);
    if (!(cfg->lr >= 0.0) || !(cfg->eps >= 0.0) || !(cfg->momentum >= 0.0))
        return cm_error(CM_ERR_ARG, "optimiser %s: lr, eps and momentum must be >= 0", cm_optim_name(cfg->kind));
    o->cfg = *cfg;
    o->n = n;
    int k = state_buffers(cfg);
    if (k > 0) {
        o->state = cm_calloc((size_t)k * n, sizeof(float));
        if (!o->state)
            return cm_error(CM_ERR_NOMEM, "optimiser %s: cannot allocate %d x %zu floats", cm_optim_name(cfg->kind),
                            k, n);
        o->buf1 = o->state;
        o->buf2 = k > 1 ? o->state + n : NULL;
    }
    if (cfg->kind == CM_OPTIM_RMSPROP_TF) /* TF initialises the mean-square accumulator to ONES */
        for (size_t i = 0; i < n; i++)
            o->buf1[i] = 1.0f;
    return CM_OK;
}

void cm_optim_free(cm_optim *o)
{
    cm_free(o->state);
    memset(o, 0, sizeof *o);
}

size_t cm_optim_state_floats(const cm_optim *o) { return (size_t)state_buffers(&o->cfg) * o->n; }

void cm_optim_step(cm_optim *o, float *theta, const float *grad)
{
    const cm_optim_config *c = &o->cfg;
    size_t n = o->n;
    float lr = (float)c->lr, wd = (float)c->weight_decay, mu = (float)c->momentum, eps = (float)c->eps;
    float *b1 = o->buf1, *b2 = o->buf2;
    o->t++;
    switch (c->kind) {
    case CM_OPTIM_SGD:
        if (b1) {
            /* PyTorch: the first step copies the gradient into the buffer. */
            float keep = o->t == 1 ? 0.0f : mu;
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
            for (size_t i = 0; i < n; i++) {
                float g = grad[i] + wd * theta[i];
                b1[i] = keep * b1[i] + g;
                theta[i] -= lr * b1[i];
            }
        } else {
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
            for (size_t i = 0; i < n; i++)
                theta[i] -= lr * (grad[i] + wd * theta[i]);
        }
        break;
    case CM_OPTIM_ADAM:
    case CM_OPTIM_ADAMW: {
        /* 1 - beta in double, then rounded once, as PyTorch passes it (0.999f's complement is off by 5e-5). */
        float beta1 = (float)c->beta1, beta2 = (float)c->beta2;
        float omb1 = (float)(1.0 - c->beta1), omb2 = (float)(1.0 - c->beta2);
        double bc1 = 1.0 - pow(c->beta1, (double)o->t), bc2 = 1.0 - pow(c->beta2, (double)o->t);
        float step = (float)(c->lr / bc1), rbc2 = (float)(1.0 / sqrt(bc2));
        float l2 = c->kind == CM_OPTIM_ADAM ? wd : 0.0f;
        float shrink = c->kind == CM_OPTIM_ADAMW ? 1.0f - lr * wd : 1.0f;
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
        for (size_t i = 0; i < n; i++) {
            float th = theta[i] * shrink;
            float g = grad[i] + l2 * theta[i];
            float m = beta1 * b1[i] + omb1 * g;
            float v = beta2 * b2[i] + omb2 * g * g;
            b1[i] = m;
            b2[i] = v;
            theta[i] = th - step * m / (sqrtf(v) * rbc2 + eps);
        }
        break;
    }
    case CM_OPTIM_RMSPROP: {
        float a = (float)c->alpha, oma = (float)(1.0 - c->alpha);
        if (b2) {
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
            for (size_t i = 0; i < n; i++) {
                float g = grad[i] + wd * theta[i];
                float v = a * b1[i] + oma * g * g;
                b1[i] = v;
                float m = mu * b2[i] + g / (sqrtf(v) + eps);
                b2[i] = m;
                theta[i] -= lr * m;
            }
        } else {
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
            for (size_t i = 0; i < n; i++) {
                float g = grad[i] + wd * theta[i];
                float v = a * b1[i] + oma * g * g;
                b1[i] = v;
                theta[i] -= lr * g / (sqrtf(v) + eps);
            }
        }
        break;
    }
    case CM_OPTIM_RMSPROP_TF: {
        float rho = (float)c->alpha, omr = (float)(1.0 - c->alpha);
#pragma omp parallel for simd if (n > CM_OPTIM_PAR) schedule(static)
        for (size_t i = 0; i < n; i++) {
            float g = grad[i] + wd * theta[i];
            float ms = rho * b1[i] + omr * g * g;
            b1[i] = ms;
            float m = mu * b2[i] + lr * g / sqrtf(ms + eps);
            b2[i] = m;
            theta[i] -= m;
        }
        break;
    }
    }
}
