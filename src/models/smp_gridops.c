/* The SMP model behind the grid-cell trainer's interface (gridrun.h), so that
 * `cogmap train smp` shares its loop: progress, periodic evaluation,
 * checkpoints, resume, the stop on NaN and Ctrl-C. */
#include "cogmap/gridrun.h"
#include "cogmap/smp.h"

#include <string.h>

/* Frame 0 of each path is the batch's start pose, frames 1..T its targets. */
static cm_status assemble(cm_smp_session *s, const cm_grid_batch *b)
{
    const int B = b->batch, T = b->steps;
    if ((int64_t)B * (T + 1) > (int64_t)s->cap_b * (s->cap_t + 1))
        return cm_error(CM_ERR_ARG, "smp: batch of %d x %d steps exceeds the session's %d x %d", B, T, s->cap_b,
                        s->cap_t);
    for (int i = 0; i < B; i++) {
        float *p = s->pos + (size_t)i * (T + 1) * 2, *th = s->theta + (size_t)i * (T + 1);
        p[0] = b->init_pos[2 * i], p[1] = b->init_pos[2 * i + 1], th[0] = b->init_theta[i];
        memcpy(p + 2, b->pos + (size_t)i * T * 2, (size_t)T * 2 * sizeof(float));
        memcpy(th + 1, b->theta + (size_t)i * T, (size_t)T * sizeof(float));
    }
    return CM_OK;
}

static int ops_units(void *model)
{
    const cm_smp_session *s = model;
    return s->cfg.model.hidden[0] + s->cfg.model.hidden[1] + s->cfg.model.hidden[2];
}

static cm_status ops_train_step(void *model, const cm_grid_batch *b, cm_rng *rng, double *loss, double *err)
{
    cm_smp_session *s = model;
    if (b->batch != s->cfg.model.batch || b->steps != s->cfg.model.seq_len)
        return cm_error(CM_ERR_ARG, "smp: training batch must be %d x %d steps", s->cfg.model.batch,
                        s->cfg.model.seq_len);
    cm_status st = assemble(s, b);
    if (st == CM_OK)
        st = cm_smp_train_step(s->m, s->pos, s->theta, rng, loss, err);
    return st;
}

static cm_status ops_evaluate(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    cm_smp_session *s = model;
    cm_status st = assemble(s, b);
    if (st == CM_OK)
        st = cm_smp_run(s->m, s->pos, s->theta, b->batch, b->steps, 10, units, NULL, decoded, loss);
    return st;
}

static cm_status ops_save(void *model, const char *dir) { return cm_smp_save(((cm_smp_session *)model)->m, dir); }
static cm_status ops_load(void *model, const char *dir) { return cm_smp_load(((cm_smp_session *)model)->m, dir); }

const cm_grid_model_ops cm_smp_grid_ops = {
    .units = ops_units,
    .train_step = ops_train_step,
    .evaluate = ops_evaluate,
    .save = ops_save,
    .load = ops_load,
};
