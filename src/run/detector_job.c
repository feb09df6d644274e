/* The detector's training job (detrun.h) behind the generic trainer's
 * cm_train_job_ops: the model, its Adam and plateau schedule, the data, the
 * states of the batch's shards and the evaluation buffers. */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/detrun.h"
#include "cogmap/io.h"

/* Dropout masks of step k, shard s: their own stream of the run's seed. */
#define DROPOUT_STREAM_TAG (0x4445ULL << 48)

struct cm_detector_job {
    cm_detector_run_config cfg;
    cm_detector *m;
    cm_detector_data *data;
    cm_optim optim;
    cm_sched sched;
    int n_shards;
    cm_detector_state **shards;
    float *image, *angle, *vis, *pos; /* one batch of inputs */
    /* evaluation */
    cm_detector_state *eval;
    float *ev_vis, *ev_pos, *ev_lab, *ev_tpos; /* [eval_frames, K(, 2)] */
};

void cm_detector_job_free(cm_detector_job *j)
{
    if (!j)
        return;
    for (int k = 0; k < j->n_shards; k++)
        cm_detector_state_free(j->shards[k]);
    cm_free(j->shards);
    cm_detector_state_free(j->eval);
    cm_detector_data_free(j->data);
    cm_detector_free(j->m);
    cm_optim_free(&j->optim);
    cm_free(j->image);
    cm_free(j->angle);
    cm_free(j->vis);
    cm_free(j->pos);
    cm_free(j->ev_vis);
    cm_free(j->ev_pos);
    cm_free(j->ev_lab);
    cm_free(j->ev_tpos);
    cm_free(j);
}

static cm_status alloc_eval(cm_detector_job *j)
{
    const size_t n = (size_t)j->cfg.eval_frames * j->cfg.model.objects;
    cm_free(j->ev_vis), cm_free(j->ev_pos), cm_free(j->ev_lab), cm_free(j->ev_tpos);
    j->ev_vis = cm_alloc(n * sizeof(float));
    j->ev_pos = cm_alloc(2 * n * sizeof(float));
    j->ev_lab = cm_alloc(n * sizeof(float));
    j->ev_tpos = cm_alloc(2 * n * sizeof(float));
    if (!j->ev_vis || !j->ev_pos || !j->ev_lab || !j->ev_tpos)
        return cm_error(CM_ERR_NOMEM, "detector job: out of memory for %d evaluation frames", j->cfg.eval_frames);
    return CM_OK;
}

cm_status cm_detector_job_create(const cm_detector_run_config *c, cm_detector_job **out)
{
    *out = NULL;
    cm_status st = cm_detector_config_check(&c->model);
    if (st)
        return st;
    cm_detector_job *j = cm_calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "detector job: out of memory");
    j->cfg = *c;
    const int B = c->model.batch, K = c->model.objects;
    if (!(st = cm_detector_create(&c->model, c->seed, &j->m))) {
        if (c->n_dirs) {
            const char *dirs[CM_DETECTOR_MAX_DATA];
            for (int i = 0; i < c->n_dirs; i++)
                dirs[i] = c->dirs[i];
            st = cm_detector_data_open_folders(&c->data, dirs, c->n_dirs, c->seed, &j->data);
        } else {
            st = cm_detector_data_open_mazes(&c->data, c->seed, &j->data);
        }
    }
    if (!st) {
        cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
        oc.lr = c->model.lr;
        st = cm_optim_init(&j->optim, &oc, cm_detector_params(j->m)->total);
    }
    cm_sched_init(&j->sched, CM_SCHED_PLATEAU, c->model.lr);
    j->sched.gamma = c->model.plateau_factor;
    j->sched.patience = c->model.plateau_patience;
    if (!st) {
        j->image = cm_alloc((size_t)B * 3 * CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE * sizeof(float));
        j->angle = cm_alloc((size_t)B * 2 * sizeof(float));
        j->vis = cm_alloc((size_t)B * K * sizeof(float));
        j->pos = cm_alloc((size_t)B * K * 2 * sizeof(float));
        if (!j->image || !j->angle || !j->vis || !j->pos)
            st = cm_error(CM_ERR_NOMEM, "detector job: out of memory for a batch of %d", B);
    }
    if (!st)
        st = cm_detector_state_create(j->m, B, &j->eval);
    if (!st)
        st = alloc_eval(j);
    if (st) {
        cm_detector_job_free(j);
        return st;
    }
    *out = j;
    return CM_OK;
}

cm_detector *cm_detector_job_model(cm_detector_job *j) { return j->m; }
double cm_detector_job_lr(const cm_detector_job *j) { return j->optim.cfg.lr; }

cm_status cm_detector_job_set(cm_detector_job *j, const char *kv)
{
    if (!cm_detector_run_key_can_change(kv))
        return cm_error(CM_ERR_ARG, "--set %s: a resumed run cannot change this key", kv);
    cm_detector_run_config c = j->cfg;
    c.n_sets = 0;
    cm_status st = cm_detector_run_config_set(&c, kv);
    if (st || (st = cm_detector_config_check(&c.model)))
        return st;
    /* the model's configuration is immutable: the loss weights and dropout live in it */
    cm_detector_config *mc = (cm_detector_config *)cm_detector_get_config(j->m);
    *mc = c.model;
    if (!strncmp(kv, "lr=", 3)) {
        j->optim.cfg.lr = c.model.lr;
        cm_sched_init(&j->sched, CM_SCHED_PLATEAU, c.model.lr);
    }
    j->sched.gamma = c.model.plateau_factor;
    j->sched.patience = c.model.plateau_patience;
    int resize = c.eval_frames != j->cfg.eval_frames;
    j->cfg.model = c.model;
    j->cfg.eval_frames = c.eval_frames;
    return resize ? alloc_eval(j) : CM_OK;
}

/* ------------------------------------------------------------------ ops */

static size_t op_n_params(void *job) { return cm_detector_params(((cm_detector_job *)job)->m)->total; }
static float *op_params(void *job) { return cm_detector_params(((cm_detector_job *)job)->m)->params; }
static float *op_grads(void *job) { return cm_detector_params(((cm_detector_job *)job)->m)->grads; }

/* The states of a batch split n_shards ways (made once per split). */
static cm_status shard_states(cm_detector_job *j, int n_shards)
{
    if (j->n_shards == n_shards)
        return CM_OK;
    for (int k = 0; k < j->n_shards; k++)
        cm_detector_state_free(j->shards[k]);
    cm_free(j->shards);
    j->n_shards = 0;
    j->shards = cm_calloc((size_t)n_shards, sizeof *j->shards);
    if (!j->shards)
        return cm_error(CM_ERR_NOMEM, "detector job: out of memory for %d shards", n_shards);
    j->n_shards = n_shards;
    const int B = j->cfg.model.batch;
    for (int k = 0; k < n_shards; k++) {
        int rows = B * (k + 1) / n_shards - B * k / n_shards;
        cm_status st = cm_detector_state_create(j->m, rows < 1 ? 1 : rows, &j->shards[k]);
        if (st)
            return st;
    }
    return CM_OK;
}

static cm_status op_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_detector_job *j = job;
    const int B = j->cfg.model.batch;
    if (n_shards < 1 || n_shards > B / 2 || shard < 0 || shard >= n_shards)
        return cm_error(CM_ERR_UNSUPPORTED, "detector job: %d shards of a batch of %d (each needs 2 frames for "
                        "BatchNorm)", n_shards, B);
    cm_status st = shard_states(j, n_shards);
    if (st)
        return st;
    const int first = B * shard / n_shards, n = B * (shard + 1) / n_shards - first;
    if ((st = cm_detector_data_train_batch(j->data, step, B, first, n, j->image, j->angle, j->vis, j->pos)))
        return st;
    cm_rng rng;
    cm_rng_seed(&rng, j->cfg.seed, DROPOUT_STREAM_TAG | ((uint64_t)step << 8) | (uint64_t)shard);
    cm_detector_batch b = {n, j->image, j->angle, j->vis, j->pos, (float)n / B};
    double loss;
    if ((st = cm_detector_forward(j->m, j->shards[shard], &b, &rng, &loss)))
        return st;
    *loss_sum = loss * n;
    *weight = n;
    return cm_detector_backward(j->m, j->shards[shard], op_grads(j));
}

static cm_status op_update(void *job, int64_t step)
{
    (void)step;
    cm_detector_job *j = job;
    float *grad = op_grads(j);
    cm_detector_update_running(j->m, grad); /* and zeroes the statistics' slots before Adam */
    cm_optim_step(&j->optim, op_params(j), grad);
    return CM_OK;
}

static cm_status op_evaluate(void *job, int64_t step, cm_metrics *out)
{
    (void)step;
    cm_detector_job *j = job;
    const int B = j->cfg.model.batch, K = j->cfg.model.objects, N = j->cfg.eval_frames;
    double loss = 0.0;
    for (int i = 0; i < N; i += B) {
        int n = N - i < B ? N - i : B;
        cm_status st = cm_detector_data_spread(j->data, CM_DETECTOR_VAL, N, i, n, j->image, j->angle,
                                               &j->ev_lab[(size_t)i * K], &j->ev_tpos[(size_t)i * K * 2]);
        if (st)
            return st;
        cm_detector_batch b = {n, j->image, j->angle, &j->ev_lab[(size_t)i * K], &j->ev_tpos[(size_t)i * K * 2], 1};
        double l;
        if ((st = cm_detector_forward(j->m, j->eval, &b, NULL, &l)))
            return st;
        loss += l * n;
        memcpy(&j->ev_vis[(size_t)i * K], cm_detector_visibility(j->eval), (size_t)n * K * sizeof(float));
        memcpy(&j->ev_pos[(size_t)i * K * 2], cm_detector_positions(j->eval), (size_t)n * K * 2 * sizeof(float));
    }
    cm_detector_metrics mt;
    cm_detector_score(j->ev_vis, j->ev_pos, j->ev_lab, j->ev_tpos, N, K, j->cfg.model.maze_size, &mt);
    loss /= N;
    j->optim.cfg.lr = cm_sched_step(&j->sched, 0, loss);
    cm_status st = cm_metrics_set(out, "eval_loss", loss, CM_LOWER_IS_BETTER);
    if (!st)
        st = cm_metrics_set(out, "visibility_ap", mt.visibility_ap, CM_HIGHER_IS_BETTER);
    if (!st)
        st = cm_metrics_set(out, "position_error", mt.position_error, CM_LOWER_IS_BETTER);
    if (!st)
        st = cm_metrics_set(out, "lr", j->optim.cfg.lr, CM_LOWER_IS_BETTER);
    return st;
}

/* optimizer.safetensors: Adam's two buffers, its step count and rate; job.json: the schedule. */
static cm_status op_save(void *job, const char *dir)
{
    cm_detector_job *j = job;
    cm_status st = cm_detector_save(j->m, dir);
    if (st)
        return st;
    char path[4096], t[32], lr[40];
    int64_t shape[1] = {(int64_t)j->optim.n};
    cm_array a[2] = {cm_array_view("exp_avg", CM_F32, 1, shape, j->optim.buf1),
                     cm_array_view("exp_avg_sq", CM_F32, 1, shape, j->optim.buf2)};
    snprintf(t, sizeof t, "%" PRId64, j->optim.t);
    snprintf(lr, sizeof lr, "%.17g", j->optim.cfg.lr);
    const char *keys[3] = {"optimizer", "step", "lr"}, *values[3] = {"adam", t, lr};
    if ((st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors")) ||
        (st = cm_safetensors_write(path, a, 2, keys, values, 3)))
        return st;
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddNumberToObject(root, "sched_lr", j->sched.lr) &&
             cJSON_AddNumberToObject(root, "sched_best", isfinite(j->sched.best) ? j->sched.best : 1e308) &&
             cJSON_AddNumberToObject(root, "sched_bad_epochs", j->sched.bad_epochs);
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build job.json", dir);
    }
    if (!(st = cm_path_join(path, sizeof path, dir, "job.json")))
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

static cm_status op_load(void *job, const char *dir)
{
    cm_detector_job *j = job;
    cm_detector *m = NULL;
    cm_status st = cm_detector_load(dir, &m);
    if (st)
        return st;
    const cm_params *a = cm_detector_params(j->m), *b = cm_detector_params(m);
    if (a->total != b->total || a->count != b->count) {
        cm_detector_free(m);
        return cm_error(CM_ERR_FORMAT, "%s: the checkpoint's detector (%s) is not the run's (%s)", dir,
                        cm_detector_get_config(m)->preset, j->cfg.model.preset);
    }
    char path[4096];
    cm_safetensors f;
    memset(&f, 0, sizeof f);
    if (!(st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors")))
        st = cm_safetensors_read(path, &f);
    const cm_array *m1 = st ? NULL : cm_safetensors_get(&f, "exp_avg");
    const cm_array *m2 = st ? NULL : cm_safetensors_get(&f, "exp_avg_sq");
    const char *t = st ? NULL : cm_safetensors_meta(&f, "step"), *lr = st ? NULL : cm_safetensors_meta(&f, "lr");
    int64_t want[1] = {(int64_t)j->optim.n};
    if (!st && (!m1 || !m2 || !t || !lr))
        st = cm_error(CM_ERR_FORMAT, "%s: expected exp_avg, exp_avg_sq and metadata step, lr", path);
    if (!st && !(st = cm_array_expect(m1, path, CM_F32, 1, want)))
        st = cm_array_expect(m2, path, CM_F32, 1, want);
    cJSON *root = NULL;
    double sl = 0, sb = 0, sbad = 0;
    if (!st && !(st = cm_path_join(path, sizeof path, dir, "job.json")) && !(st = cm_json_read(path, &root)) &&
        !(st = cm_json_get_number(root, path, "sched_lr", 1, &sl)) &&
        !(st = cm_json_get_number(root, path, "sched_best", 1, &sb)))
        st = cm_json_get_number(root, path, "sched_bad_epochs", 1, &sbad);
    cJSON_Delete(root);
    if (st) {
        cm_safetensors_free(&f);
        cm_detector_free(m);
        return st;
    }
    /* everything read: replace */
    memcpy(cm_detector_params(j->m)->params, b->params, b->total * sizeof(float));
    memcpy(j->optim.buf1, m1->data, j->optim.n * sizeof(float));
    memcpy(j->optim.buf2, m2->data, j->optim.n * sizeof(float));
    j->optim.t = strtoll(t, NULL, 10);
    j->optim.cfg.lr = strtod(lr, NULL);
    j->sched.lr = sl;
    j->sched.best = sb >= 1e308 ? INFINITY : sb;
    j->sched.bad_epochs = (int)sbad;
    cm_safetensors_free(&f);
    cm_detector_free(m);
    return CM_OK;
}

const cm_train_job_ops cm_detector_job_ops = {
    "detector", op_n_params, op_params, op_grads, op_gradient, op_update, op_evaluate, op_save, op_load,
};
