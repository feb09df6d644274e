/* A grid-cell training job (run.h): the run's network, its data sources and
 * the gridness scorer of the periodic evaluations, behind the trainer's
 * cm_train_job_ops. */
#include "run/run_internal.h"

#include <math.h>
#include <string.h>

struct cm_grid_job {
    cm_grid_run_config cfg;
    cm_grid_net *net;
    cm_grid_world world;
    int has_world;
    cm_grid_dataset train_ds, val_ds;
    cm_grid_source train, eval; /* eval: fresh paths, or the validation split */
    cm_grid_batch batch;        /* the training batch */
    cm_grid_scorer scorer;
    run_path_evaluator pe;
};

void cm_grid_job_free(cm_grid_job *j)
{
    if (!j)
        return;
    run_path_eval_free(&j->pe);
    cm_grid_scorer_free(&j->scorer);
    cm_grid_batch_free(&j->batch);
    cm_grid_source_free(&j->train);
    cm_grid_source_free(&j->eval);
    cm_grid_dataset_free(&j->train_ds);
    cm_grid_dataset_free(&j->val_ds);
    if (j->has_world)
        cm_grid_world_free(&j->world);
    cm_grid_net_free(j->net);
    cm_free(j);
}

/* The sources of the run's data: an SSM-PC dataset's train and validation
 * splits, or on-the-fly paths of its world. */
static cm_status open_sources(cm_grid_job *j, cm_grid_input input)
{
    const cm_grid_run_config *c = &j->cfg;
    cm_status st;
    if (c->data[0]) {
        st = cm_grid_dataset_open(&j->train_ds, c->data, CM_SPLIT_TRAIN, c->net.seq_len);
        if (st == CM_OK)
            st = cm_grid_dataset_open(&j->val_ds, c->data, CM_SPLIT_VAL, c->net.seq_len);
        if (st == CM_OK)
            st = cm_grid_source_init_dataset(&j->train, input, &j->train_ds, c->seed);
        if (st == CM_OK)
            st = cm_grid_source_init_dataset(&j->eval, input, &j->val_ds, c->seed);
        return st;
    }
    st = cm_grid_world_init(&j->world, c);
    j->has_world = st == CM_OK;
    if (st == CM_OK)
        st = cm_grid_source_init_paths(&j->train, input, c->net.seq_len, c->seed, cm_grid_world_path, &j->world);
    if (st == CM_OK)
        st = cm_grid_source_init_paths(&j->eval, input, c->net.seq_len, c->seed, cm_grid_world_path, &j->world);
    return st;
}

cm_status cm_grid_job_create(const cm_grid_run_config *c, cm_grid_job **out)
{
    *out = NULL;
    cm_grid_job *j = cm_calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "grid job: cannot allocate");
    j->cfg = *c;
    cm_grid_input input;
    cm_status st = cm_grid_input_of_preset(strncmp(c->preset, "sorscher", 8) == 0 ? "sorscher" : c->preset, &input);
    if (st == CM_OK && cm_grid_input_dim(input) != c->net.input_size)
        st = cm_error(CM_ERR_ARG, "preset %s: its input code has %d values, the network reads %d", c->preset,
                      cm_grid_input_dim(input), c->net.input_size);
    if (st == CM_OK)
        st = cm_grid_net_create(c, &j->net);
    if (st == CM_OK)
        st = open_sources(j, input);
    if (st == CM_OK)
        st = cm_grid_batch_alloc(&j->batch, c->net.batch, c->net.seq_len, c->net.input_size);
    /* Periodic evaluations score every unit's gridness (the emergence curve). */
    const int units = st == CM_OK ? cm_pathint_bottleneck_size(j->net->m) : 0;
    if (st == CM_OK)
        st = cm_grid_scorer_init(&j->scorer, c->cells, units, (int64_t)c->eval_batches * c->net.batch * c->net.seq_len);
    if (st == CM_OK)
        st = run_path_eval_init(&j->pe, c->net.batch, c->net.seq_len, c->net.input_size, c->eval_batches, units,
                                &j->scorer);
    if (st != CM_OK) {
        cm_grid_job_free(j);
        return st;
    }
    *out = j;
    return CM_OK;
}

const cm_grid_run_config *cm_grid_job_config(const cm_grid_job *j) { return &j->cfg; }
cm_grid_net *cm_grid_job_net(cm_grid_job *j) { return j->net; }
cm_grid_source *cm_grid_job_eval_source(cm_grid_job *j) { return &j->eval; }

static size_t job_n_params(void *job) { return cm_pathint_params(((cm_grid_job *)job)->net->m)->total; }
static float *job_params(void *job) { return cm_pathint_params(((cm_grid_job *)job)->net->m)->params; }
static float *job_grads(void *job) { return cm_pathint_params(((cm_grid_job *)job)->net->m)->grads; }

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_grid_job *j = job;
    cm_status st = cm_grid_source_fill(&j->train, 0, step, &j->batch);
    return st == CM_OK ? cm_grid_net_gradient(j->net, &j->batch, shard, n_shards, job_grads(job), loss_sum, weight)
                       : st;
}

static cm_status job_update(void *job, int64_t step)
{
    (void)step; /* the optimiser counts its own steps */
    cm_grid_net_update(((cm_grid_job *)job)->net, job_grads(job));
    return CM_OK;
}

static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    (void)step; /* the same batches at every evaluation: comparable rows */
    cm_grid_job *j = job;
    return run_path_eval(&j->pe, cm_grid_net_forward, j->net, &j->eval, out);
}

static cm_status job_save(void *job, const char *dir) { return cm_grid_net_save(((cm_grid_job *)job)->net, dir); }
static cm_status job_load(void *job, const char *dir) { return cm_grid_net_load(((cm_grid_job *)job)->net, dir); }

const cm_train_job_ops cm_grid_job_ops = {
    .model_name = "grid",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};

double cm_grid_goal_rank(void *ctx, const cm_metrics *m)
{
    const cm_grid_goal *goal = ctx;
    const double frac = cm_metrics_get(m, "grid_fraction"), err = cm_metrics_get(m, "decoding_error");
    if (!(goal->fraction > 0 && goal->error > 0 && isfinite(frac) && err > 0))
        return NAN;
    const double g = frac / goal->fraction, d = goal->error / err;
    return -(g < d ? g : d);
}
