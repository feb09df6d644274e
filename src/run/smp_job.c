/* An SMP training job (run.h): a session (model, arena, motion), its data
 * sources and evaluation buffers behind the trainer's cm_train_job_ops. */
#include "run/run_internal.h"

#include <string.h>

/* The masks, corrections and slot writes of step k come from their own
 * stream (seed, tag + k), so that a resumed run draws what the
 * uninterrupted run would. */
#define STEP_STREAM_TAG (0x4452ULL << 48)

struct cm_smp_job {
    cm_smp_session s;
    cm_grid_source train, eval;
    cm_grid_batch batch;
    cm_rng rng; /* the step's stream, from gradient to update */
    run_path_evaluator pe;
};

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

cm_status cm_smp_session_forward(void *session, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    cm_smp_session *s = session;
    cm_status st = assemble(s, b);
    if (st == CM_OK)
        st = cm_smp_run(s->m, s->pos, s->theta, b->batch, b->steps, 10, units, NULL, decoded, loss);
    return st;
}

void cm_smp_job_free(cm_smp_job *j)
{
    if (!j)
        return;
    run_path_eval_free(&j->pe);
    cm_grid_batch_free(&j->batch);
    cm_grid_source_free(&j->train);
    cm_grid_source_free(&j->eval);
    cm_smp_session_close(&j->s);
    cm_free(j);
}

cm_status cm_smp_job_create(const cm_smp_run_config *c, cm_smp_job **out)
{
    *out = NULL;
    cm_smp_job *j = cm_calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "smp job: cannot allocate");
    const int B = c->model.batch, T = c->model.seq_len;
    cm_status st = cm_smp_session_open(&j->s, c);
    /* [v, cos w, sin w] inputs are computed but unused: the model derives its
     * own from the poses. */
    if (st == CM_OK)
        st = cm_grid_source_init_paths(&j->train, CM_GRID_INPUT_VCOSSIN, T, c->seed, cm_smp_session_path, &j->s);
    if (st == CM_OK)
        st = cm_grid_source_init_paths(&j->eval, CM_GRID_INPUT_VCOSSIN, T, c->seed, cm_smp_session_path, &j->s);
    if (st == CM_OK)
        st = cm_grid_batch_alloc(&j->batch, B, T, 3);
    const int units = c->model.hidden[0] + c->model.hidden[1] + c->model.hidden[2];
    if (st == CM_OK)
        st = run_path_eval_init(&j->pe, B, T, 3, c->eval_batches, units, NULL);
    if (st != CM_OK) {
        cm_smp_job_free(j);
        return st;
    }
    *out = j;
    return CM_OK;
}

cm_smp_session *cm_smp_job_session(cm_smp_job *j) { return &j->s; }

static size_t job_n_params(void *job) { return ((cm_smp_job *)job)->s.m->p.total; }
static float *job_params(void *job) { return ((cm_smp_job *)job)->s.m->p.params; }
static float *job_grads(void *job) { return ((cm_smp_job *)job)->s.m->p.grads; }

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_smp_job *j = job;
    if (n_shards != 1 || shard != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "smp job: one shard per step (the slot writes see the whole batch), "
                                            "got %d", n_shards);
    *weight = 1;
    cm_status st = cm_grid_source_fill(&j->train, 0, step, &j->batch);
    if (st == CM_OK)
        st = assemble(&j->s, &j->batch);
    cm_rng_seed(&j->rng, j->s.cfg.seed, STEP_STREAM_TAG | (uint64_t)step);
    if (st == CM_OK)
        st = cm_smp_train_gradient(j->s.m, j->s.pos, j->s.theta, &j->rng, loss_sum);
    return st;
}

static cm_status job_update(void *job, int64_t step)
{
    (void)step;
    cm_smp_job *j = job;
    return cm_smp_train_update(j->s.m, j->s.pos, j->s.theta, &j->rng);
}

static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    (void)step;
    cm_smp_job *j = job;
    return run_path_eval(&j->pe, cm_smp_session_forward, &j->s, &j->eval, out);
}

static cm_status job_save(void *job, const char *dir) { return cm_smp_save(((cm_smp_job *)job)->s.m, dir); }
static cm_status job_load(void *job, const char *dir) { return cm_smp_load(((cm_smp_job *)job)->s.m, dir); }

const cm_train_job_ops cm_smp_job_ops = {
    .model_name = "smp",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};
