/* The BEV predictor's training job (bevrun.h): what the generic trainer
 * drives -- the gradient of a shard of step k's batch, the update (BatchNorm
 * running statistics, clipping, Adam), the periodic evaluation on held-out
 * mazes with SSM-PC's ReduceLROnPlateau, and checkpoints that resume bit for
 * bit (the data and dropout are pure functions of the step). */
#include "cogmap/bevrun.h"
#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cm_bevnet_job {
    cm_bevnet_config cfg;
    uint64_t seed;
    cm_bevnet *m;
    cm_bevnet_data *data;
    cm_bevnet_state *s; /* training state, cfg.batch frames */
    float *grad;        /* the gradient block */
    cm_optim opt;
    cm_sched sched;
    int64_t evals;      /* evaluations so far (the plateau schedule's epochs) */
    uint8_t *rgb, *target;
    /* the evaluation set: cfg.eval_frames frames spread over the validation split */
    int eval_n;
    uint8_t *eval_rgb, *eval_target;
    float *eval_pred;
    cm_bevnet_state *eval_s;
};

#define EVAL_CHUNK 32

static void sched_init(cm_bevnet_job *j)
{
    cm_sched_init(&j->sched, CM_SCHED_PLATEAU, j->cfg.lr);
    j->sched.gamma = j->cfg.plateau_factor;
    j->sched.patience = j->cfg.plateau_patience;
}

cm_status cm_bevnet_job_create(const cm_bevnet_run_config *rc, cm_bevnet_job **out)
{
    *out = NULL;
    const cm_bevnet_config *cfg = &rc->model;
    const uint64_t seed = rc->seed;
    cm_status st = cm_bevnet_config_check(cfg);
    if (st != CM_OK)
        return st;
    cm_bevnet_job *j = cm_calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "bev job: out of memory");
    j->cfg = *cfg;
    j->seed = seed;
    const char *data[CM_BEVNET_MAX_DATA];
    for (int k = 0; k < rc->n_data && k < CM_BEVNET_MAX_DATA; k++)
        data[k] = rc->data[k];
    st = rc->n_data > 0 ? cm_bevnet_data_open_folders(cfg, data, rc->n_data, seed, &j->data)
                        : cm_bevnet_data_open_mazes(cfg, seed, &j->data);
    if (st == CM_OK)
        st = cm_bevnet_create(cfg, seed, &j->m);
    if (st == CM_OK)
        st = cm_bevnet_state_create(j->m, cfg->batch, 1, &j->s);
    if (st == CM_OK) {
        const cm_params *p = cm_bevnet_params(j->m);
        cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
        oc.lr = cfg->lr;
        st = cm_optim_init(&j->opt, &oc, p->total);
        j->grad = cm_calloc(p->total, sizeof(float));
        j->rgb = cm_alloc((size_t)cfg->batch * cfg->image * cfg->image * 3);
        j->target = cm_alloc((size_t)cfg->batch * cfg->out * cfg->out * 4);
        if (st == CM_OK && (!j->grad || !j->rgb || !j->target))
            st = cm_error(CM_ERR_NOMEM, "bev job: out of memory");
    }
    if (st != CM_OK) {
        cm_bevnet_job_free(j);
        return st;
    }
    sched_init(j);
    *out = j;
    return CM_OK;
}

void cm_bevnet_job_free(cm_bevnet_job *j)
{
    if (!j)
        return;
    cm_bevnet_state_free(j->s);
    cm_bevnet_state_free(j->eval_s);
    cm_bevnet_free(j->m);
    cm_bevnet_data_free(j->data);
    cm_optim_free(&j->opt);
    cm_free(j->grad);
    cm_free(j->rgb);
    cm_free(j->target);
    cm_free(j->eval_rgb);
    cm_free(j->eval_target);
    cm_free(j->eval_pred);
    cm_free(j);
}

cm_bevnet *cm_bevnet_job_model(cm_bevnet_job *j)
{
    return j->m;
}

const cm_bevnet_data *cm_bevnet_job_data(const cm_bevnet_job *j)
{
    return j->data;
}

double cm_bevnet_job_lr(const cm_bevnet_job *j)
{
    return j->opt.cfg.lr;
}

cm_status cm_bevnet_job_set(cm_bevnet_job *j, const char *kv)
{
    if (!cm_bevnet_run_key_can_change(kv))
        return cm_error(CM_ERR_ARG,
                        "--set %s: a resumed run changes training settings only (lr, plateau_factor, "
                        "plateau_patience, clip, rgb_w, alpha_w, smooth_w, dropout, eval_frames)",
                        kv);
    cm_bevnet_config c = j->cfg;
    cm_status st = cm_bevnet_config_set(&c, kv);
    if (st == CM_OK)
        st = cm_bevnet_config_check(&c);
    if (st != CM_OK)
        return st;
    /* The model holds its own copy of the loss weights and dropout: rebuild
     * nothing, just carry the new values into a model with the same tensors. */
    cm_bevnet *m;
    if ((st = cm_bevnet_create(&c, 0, &m)) != CM_OK)
        return st;
    cm_params *a = cm_bevnet_params(m), *b = cm_bevnet_params(j->m);
    memcpy(a->params, b->params, b->total * sizeof(float));
    cm_bevnet_free(j->m);
    j->m = m;
    if (strncmp(kv, "lr=", 3) == 0) {
        j->opt.cfg.lr = c.lr;
        sched_init(j); /* a new stage: the schedule starts over from the new rate */
        j->sched.lr0 = j->sched.lr = c.lr;
    }
    j->sched.gamma = c.plateau_factor;
    j->sched.patience = c.plateau_patience;
    if (c.eval_frames != j->cfg.eval_frames)
        j->eval_n = 0; /* rebuilt at the next evaluation */
    j->cfg = c;
    return CM_OK;
}

static size_t job_n_params(void *job)
{
    return cm_bevnet_params(((cm_bevnet_job *)job)->m)->total;
}

static float *job_params(void *job)
{
    return cm_bevnet_params(((cm_bevnet_job *)job)->m)->params;
}

static float *job_grads(void *job)
{
    return ((cm_bevnet_job *)job)->grad;
}

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_bevnet_job *j = job;
    const int B = j->cfg.batch;
    if (n_shards < 1 || shard < 0 || shard >= n_shards || step < 0)
        return cm_error(CM_ERR_ARG, "bev job: shard %d of %d at step %lld", shard, n_shards, (long long)step);
    const int first = (int)((int64_t)shard * B / n_shards), n = (int)((int64_t)(shard + 1) * B / n_shards) - first;
    *loss_sum = *weight = 0.0;
    if (n == 0)
        return CM_OK;
    cm_status st = cm_bevnet_data_train_batch(j->data, step, B, first, n, j->rgb, j->target);
    if (st != CM_OK)
        return st;
    /* Dropout masks: a pure function of (seed, step, shard). */
    cm_rng rng;
    cm_rng_seed(&rng, j->seed, 0x4245560000000000ULL + (uint64_t)step * 4096 + (uint64_t)shard);
    cm_bevnet_batch b = {n, j->rgb, j->target, (float)n / (float)B};
    double loss;
    if ((st = cm_bevnet_forward(j->m, j->s, &b, &rng, &loss)) != CM_OK)
        return st;
    if ((st = cm_bevnet_backward(j->m, j->s, j->grad)) != CM_OK)
        return st;
    *loss_sum = loss * n;
    *weight = n;
    return CM_OK;
}

static cm_status job_update(void *job, int64_t step)
{
    cm_bevnet_job *j = job;
    cm_params *p = cm_bevnet_params(j->m);
    (void)step;
    cm_bevnet_update_running(j->m, j->grad); /* also clears the statistics' slots */
    if (j->cfg.clip > 0.0)
        cm_clip_grad_norm(j->grad, p->total, j->cfg.clip);
    cm_optim_step(&j->opt, p->params, j->grad);
    return CM_OK;
}

static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    cm_bevnet_job *j = job;
    const cm_bevnet_config *c = &j->cfg;
    const size_t in_sz = (size_t)c->image * c->image * 3, t_sz = (size_t)c->out * c->out * 4;
    cm_status st;
    (void)step;
    if (j->eval_n != c->eval_frames) {
        cm_free(j->eval_rgb);
        cm_free(j->eval_target);
        j->eval_rgb = cm_alloc((size_t)c->eval_frames * in_sz);
        j->eval_target = cm_alloc((size_t)c->eval_frames * t_sz);
        if (!j->eval_pred)
            j->eval_pred = cm_alloc((size_t)EVAL_CHUNK * 4 * c->out * c->out * sizeof(float));
        if (!j->eval_s && (st = cm_bevnet_state_create(j->m, EVAL_CHUNK, 0, &j->eval_s)) != CM_OK)
            return st;
        if (!j->eval_rgb || !j->eval_target || !j->eval_pred)
            return cm_error(CM_ERR_NOMEM, "bev job: out of memory for %d evaluation frames", c->eval_frames);
        st = cm_bevnet_data_spread(j->data, CM_BEVNET_VAL, c->eval_frames, j->eval_rgb, j->eval_target);
        if (st != CM_OK)
            return st;
        j->eval_n = c->eval_frames;
    }
    cm_bevnet_scores sc;
    memset(&sc, 0, sizeof sc);
    for (int at = 0; at < j->eval_n; at += EVAL_CHUNK) {
        const int n = j->eval_n - at < EVAL_CHUNK ? j->eval_n - at : EVAL_CHUNK;
        if ((st = cm_bevnet_predict(j->m, j->eval_s, j->eval_rgb + at * in_sz, n, j->eval_pred)) != CM_OK)
            return st;
        cm_bevnet_score(c, j->eval_pred, j->eval_target + at * t_sz, n, &sc);
    }
    /* SSM-PC steps ReduceLROnPlateau on the mean validation loss. */
    if (isfinite(sc.loss))
        j->opt.cfg.lr = cm_sched_step(&j->sched, (int)j->evals, sc.loss);
    j->evals++;
    /* alpha_iou first (the trainer's default for best); `train bev` ranks by cm_bevnet_best_rank. */
    cm_status s2 = cm_metrics_set(out, "alpha_iou", sc.alpha_iou, CM_HIGHER_IS_BETTER);
    if (s2 == CM_OK)
        s2 = cm_metrics_set(out, "eval_loss", sc.loss, CM_LOWER_IS_BETTER);
    if (s2 == CM_OK)
        s2 = cm_metrics_set(out, "alpha_accuracy", sc.alpha_accuracy, CM_HIGHER_IS_BETTER);
    if (s2 == CM_OK)
        s2 = cm_metrics_set(out, "rgb_mse_visible", sc.rgb_mse_visible, CM_LOWER_IS_BETTER);
    if (s2 == CM_OK)
        s2 = cm_metrics_set(out, "lr", j->opt.cfg.lr, CM_LOWER_IS_BETTER);
    return s2;
}

/* ------------------------------------------------------------ checkpoints */

static cm_status job_save(void *job, const char *dir)
{
    cm_bevnet_job *j = job;
    cm_status st = cm_bevnet_save(j->m, dir);
    if (st != CM_OK)
        return st;
    char path[4200], step[32], lr[40];
    const int64_t n = (int64_t)j->opt.n;
    cm_array arr[2] = {cm_array_view("exp_avg", CM_F32, 1, &n, j->opt.buf1),
                       cm_array_view("exp_avg_sq", CM_F32, 1, &n, j->opt.buf2)};
    snprintf(step, sizeof step, "%lld", (long long)j->opt.t);
    snprintf(lr, sizeof lr, "%.17g", j->opt.cfg.lr);
    const char *keys[3] = {"optimizer", "step", "lr"}, *vals[3] = {"adam", step, lr};
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    if ((st = cm_safetensors_write(path, arr, 2, keys, vals, 3)) != CM_OK)
        return st;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return cm_error(CM_ERR_NOMEM, "bev job: out of memory");
    char buf[64];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)j->seed);
    cJSON_AddStringToObject(o, "seed", buf);
    cJSON_AddNumberToObject(o, "evals", (double)j->evals);
    cJSON *s = cJSON_AddObjectToObject(o, "plateau");
    /* doubles as exact decimal text, so that a resumed schedule is the same */
    const double sv[4] = {j->sched.lr0, j->sched.lr, j->sched.best, j->sched.gamma};
    const char *sk[4] = {"lr0", "lr", "best", "factor"};
    for (int k = 0; k < 4; k++) {
        snprintf(buf, sizeof buf, "%.17g", sv[k]);
        cJSON_AddStringToObject(s, sk[k], buf);
    }
    cJSON_AddNumberToObject(s, "bad_epochs", j->sched.bad_epochs);
    cJSON_AddNumberToObject(s, "patience", j->sched.patience);
    snprintf(path, sizeof path, "%s/job.json", dir);
    st = cm_json_write(path, o);
    cJSON_Delete(o);
    return st;
}

static cm_status get_text_double(const cJSON *obj, const char *file, const char *key, double *out)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    char *end;
    if (!cJSON_IsString(v) || (*out = strtod(v->valuestring, &end), *end != '\0'))
        return cm_error(CM_ERR_FORMAT, "%s: plateau.%s: expected a number as text", file, key);
    return CM_OK;
}

static cm_status job_load(void *job, const char *dir)
{
    cm_bevnet_job *j = job;
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    cm_status st = cm_bevnet_load_state_dict(j->m, path);
    if (st != CM_OK)
        return st;
    snprintf(path, sizeof path, "%s/optimizer.safetensors", dir);
    cm_safetensors sf;
    if ((st = cm_safetensors_read(path, &sf)) != CM_OK)
        return st;
    const cm_array *m1 = cm_safetensors_get(&sf, "exp_avg"), *m2 = cm_safetensors_get(&sf, "exp_avg_sq");
    const char *step = cm_safetensors_meta(&sf, "step"), *lr = cm_safetensors_meta(&sf, "lr");
    const int64_t n = (int64_t)j->opt.n;
    if (!m1 || !m2 || !step || !lr)
        st = cm_error(CM_ERR_FORMAT, "%s: expected exp_avg, exp_avg_sq and the step and lr metadata", path);
    if (st == CM_OK && (st = cm_array_expect(m1, path, CM_F32, 1, &n)) == CM_OK &&
        (st = cm_array_expect(m2, path, CM_F32, 1, &n)) == CM_OK) {
        memcpy(j->opt.buf1, m1->data, (size_t)n * sizeof(float));
        memcpy(j->opt.buf2, m2->data, (size_t)n * sizeof(float));
        j->opt.t = strtoll(step, NULL, 10);
        j->opt.cfg.lr = strtod(lr, NULL);
    }
    cm_safetensors_free(&sf);
    if (st != CM_OK)
        return st;
    snprintf(path, sizeof path, "%s/job.json", dir);
    cJSON *o;
    if ((st = cm_json_read(path, &o)) != CM_OK)
        return st;
    const cJSON *s = cJSON_GetObjectItemCaseSensitive(o, "plateau");
    int64_t evals = 0, bad = 0, pat = 0;
    double lr0 = 0, lrc = 0, best = 0, factor = 0;
    if (!cJSON_IsObject(s))
        st = cm_error(CM_ERR_FORMAT, "%s: plateau: expected an object", path);
    if (st == CM_OK)
        st = cm_json_get_int(o, path, "evals", 1, &evals);
    if (st == CM_OK)
        st = cm_json_get_int(s, path, "bad_epochs", 1, &bad);
    if (st == CM_OK)
        st = cm_json_get_int(s, path, "patience", 1, &pat);
    if (st == CM_OK)
        st = get_text_double(s, path, "lr0", &lr0);
    if (st == CM_OK)
        st = get_text_double(s, path, "lr", &lrc);
    if (st == CM_OK)
        st = get_text_double(s, path, "best", &best);
    if (st == CM_OK)
        st = get_text_double(s, path, "factor", &factor);
    cJSON_Delete(o);
    if (st != CM_OK)
        return st;
    j->evals = evals;
    j->sched.lr0 = lr0;
    j->sched.lr = lrc;
    j->sched.best = best;
    j->sched.gamma = factor;
    j->sched.bad_epochs = (int)bad;
    j->sched.patience = (int)pat;
    memset(j->grad, 0, cm_bevnet_params(j->m)->total * sizeof(float));
    return CM_OK;
}

const cm_train_job_ops cm_bevnet_job_ops = {
    .model_name = "bev",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};

double cm_bevnet_best_rank(void *ctx, const cm_metrics *m)
{
    (void)ctx;
    const double iou = cm_metrics_get(m, "alpha_iou"), loss = cm_metrics_get(m, "eval_loss");
    if (!isfinite(iou) || !(loss >= 0.0) || !isfinite(loss))
        return NAN;
    /* -(steps of 1e-4 of alpha_iou) - 1, plus the loss squashed into [0, 1). */
    return -floor(iou * 1e4 + 0.5) - 1.0 + loss / (1.0 + loss);
}
