/* The social place-cell training job (run.h): K-agent paths, SSM-PC's
 * targets, the social network, its optimiser, and the periodic evaluation
 * (decoding errors and SSM-PC's probe of the bottleneck). */
#include "run/social_internal.h"

#include "cogmap/io.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The dropout masks of step k come from their own stream (seed, tag + k):
 * a resumed run draws what the uninterrupted run would. */
#define STEP_STREAM_TAG (0x5350ULL << 48)

/* -------------------------------------------------------------- feeding */

cm_status social_feed_init(social_feed *f, int B, int T, int Np, int Nh)
{
    memset(f, 0, sizeof *f);
    f->B = B, f->T = T, f->Np = Np, f->Nh = Nh;
    size_t BT = (size_t)B * T;
    size_t sizes[] = {BT * 3, BT * 3, (size_t)B * Np, (size_t)B * Np, (size_t)B * Nh, (size_t)B * Nh, BT * Np,
                      BT * Np, BT * Nh, BT * Nh, BT, BT * 2, BT * 2, BT * 2};
    float **slots[] = {&f->self_vel, &f->peer_vel, &f->self_init_place, &f->peer_init_place, &f->self_init_hd,
                       &f->peer_init_hd, &f->self_place, &f->peer_place, &f->self_hd, &f->peer_hd, &f->distance,
                       &f->self_pos, &f->peer_pos, &f->scratch};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        if (!(*slots[k] = cm_alloc(sizes[k] * sizeof(float)))) {
            social_feed_free(f);
            return cm_error(CM_ERR_NOMEM, "social: cannot allocate a batch of %d x %d", B, T);
        }
    cm_social_batch *b = &f->batch;
    b->self_vel = f->self_vel, b->peer_vel = f->peer_vel;
    b->self_init_place = f->self_init_place, b->peer_init_place = f->peer_init_place;
    b->self_init_hd = f->self_init_hd, b->peer_init_hd = f->peer_init_hd;
    b->self_place = f->self_place, b->peer_place = f->peer_place;
    b->self_hd = f->self_hd, b->peer_hd = f->peer_hd, b->distance = f->distance;
    return CM_OK;
}

void social_feed_free(social_feed *f)
{
    float *all[] = {f->self_vel, f->peer_vel, f->self_init_place, f->peer_init_place, f->self_init_hd, f->peer_init_hd,
                    f->self_place, f->peer_place, f->self_hd, f->peer_hd, f->distance, f->self_pos, f->peer_pos,
                    f->scratch};
    for (size_t k = 0; k < sizeof all / sizeof *all; k++)
        cm_free(all[k]);
    memset(f, 0, sizeof *f);
}

void social_feed_build(social_feed *f, const cm_agents_batch *ab, int e0, int self, int peer, const cm_place_cells *pc,
                       const cm_hd_cells *hd)
{
    int B = f->B, T = f->T, K = ab->agents;
    for (int e = 0; e < B; e++)
        for (int role = 0; role < 2; role++) {
            int k = role ? peer : self;
            size_t a = (size_t)(e0 + e) * K + k;
            const float *pos = ab->pos + a * (T + 1) * 2, *th = ab->theta + a * (T + 1);
            const float *vel = ab->vel + a * T * 3;
            memcpy((role ? f->peer_vel : f->self_vel) + (size_t)e * T * 3, vel, (size_t)T * 3 * sizeof(float));
            cm_place_cells_activate(pc, pos, 1, (role ? f->peer_init_place : f->self_init_place) + (size_t)e * f->Np);
            cm_hd_cells_activate(hd, th, 1, (role ? f->peer_init_hd : f->self_init_hd) + (size_t)e * f->Nh);
            memcpy((role ? f->peer_pos : f->self_pos) + (size_t)e * T * 2, pos + 2, (size_t)T * 2 * sizeof(float));
            cm_place_cells_activate(pc, pos + 2, T, (role ? f->peer_place : f->self_place) + (size_t)e * T * f->Np);
            cm_hd_cells_activate(hd, th + 1, T, (role ? f->peer_hd : f->self_hd) + (size_t)e * T * f->Nh);
        }
    for (size_t r = 0; r < (size_t)B * T; r++)
        f->distance[r] = hypotf(f->self_pos[2 * r] - f->peer_pos[2 * r], f->self_pos[2 * r + 1] - f->peer_pos[2 * r + 1]);
}

double social_decode_error_sum(const cm_place_cells *pc, const float *logits, const float *pos, int64_t n, float *dec)
{
    cm_place_cells_decode(pc, logits, n, 0, dec);
    double s = 0.0;
    for (int64_t r = 0; r < n; r++)
        s += hypot((double)dec[2 * r] - pos[2 * r], (double)dec[2 * r + 1] - pos[2 * r + 1]);
    return s;
}

/* ------------------------------------------------------------ optimiser */

cm_status social_optim_save(const cm_optim *o, const char *dir)
{
    char path[4096], step[32];
    cm_status st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (st)
        return st;
    snprintf(step, sizeof step, "%" PRId64, o->t);
    const char *keys[] = {"optimizer", "step"}, *vals[] = {cm_optim_name(o->cfg.kind), step};
    size_t n = cm_optim_state_floats(o);
    int64_t shape[1] = {(int64_t)(n ? n : 1)};
    float zero = 0.0f;
    cm_array a = cm_array_view("state", CM_F32, 1, shape, n ? (const void *)o->state : (const void *)&zero);
    return cm_safetensors_write(path, &a, 1, keys, vals, 2);
}

cm_status social_optim_load(cm_optim *o, const char *dir)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (st)
        return st;
    cm_safetensors sf;
    st = cm_safetensors_read(path, &sf);
    if (st)
        return st;
    size_t n = cm_optim_state_floats(o);
    const cm_array *a = cm_safetensors_get(&sf, "state");
    const char *step = cm_safetensors_meta(&sf, "step"), *kind = cm_safetensors_meta(&sf, "optimizer");
    long long t = -1;
    if (!a)
        st = cm_error(CM_ERR_FORMAT, "%s: tensor state: missing", path);
    else if (a->dtype != CM_F32 || a->ndim != 1 || a->shape[0] != (int64_t)(n ? n : 1))
        st = cm_error(CM_ERR_FORMAT, "%s: tensor state: expected F32 [%zu]", path, n ? n : 1);
    else if (!kind || strcmp(kind, cm_optim_name(o->cfg.kind)) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: metadata optimizer: expected \"%s\", got \"%s\"", path,
                      cm_optim_name(o->cfg.kind), kind ? kind : "(missing)");
    else if (!step || sscanf(step, "%lld", &t) != 1 || t < 0)
        st = cm_error(CM_ERR_FORMAT, "%s: metadata step: expected a count >= 0, got \"%s\"", path,
                      step ? step : "(missing)");
    if (!st) {
        if (n)
            memcpy(o->state, a->data, n * sizeof(float));
        o->t = t;
    }
    cm_safetensors_free(&sf);
    return st;
}

/* ----------------------------------------------------------- measuring */

cm_status cm_social_errors_measure(const cm_social *m, const cm_social_run_config *c, uint64_t stream, int n_batches,
                                   cm_social_errors *out)
{
    memset(out, 0, sizeof *out);
    const cm_social_config *mc = cm_social_get_config(m);
    int B = mc->batch, T = mc->seq_len;
    cm_place_cells pc;
    cm_hd_cells hd;
    cm_agents_source *src = NULL;
    cm_agents_batch ab;
    memset(&ab, 0, sizeof ab);
    social_feed f;
    memset(&f, 0, sizeof f);
    cm_social_state *s = NULL;
    cm_agents_config ac = c->agents;
    ac.steps = T;
    cm_status st = cm_social_cells(&pc, &hd);
    if (st)
        return st;
    st = cm_agents_source_create(&ac, c->seed, &src);
    if (!st)
        st = cm_agents_batch_alloc(&ab, B, ac.agents, T);
    if (!st)
        st = social_feed_init(&f, B, T, mc->n_place, mc->n_hd);
    if (!st)
        st = cm_social_state_create(m, B, T, &s);
    double loss = 0, se = 0, pe = 0, de = 0;
    for (int i = 0; !st && i < n_batches; i++) {
        st = cm_agents_source_fill(src, stream, i, &ab);
        if (st)
            break;
        social_feed_build(&f, &ab, 0, 0, 1, &pc, &hd);
        double l;
        st = cm_social_forward(m, s, &f.batch, NULL, &l);
        if (st)
            break;
        loss += l;
        int64_t n = (int64_t)B * T;
        se += social_decode_error_sum(&pc, cm_social_output_get(s, CM_SOCIAL_SELF_PLACE), f.self_pos, n, f.scratch);
        pe += social_decode_error_sum(&pc, cm_social_output_get(s, CM_SOCIAL_PEER_PLACE), f.peer_pos, n, f.scratch);
        const float *d = cm_social_output_get(s, CM_SOCIAL_DISTANCE);
        for (int64_t r = 0; r < n; r++)
            de += fabs((double)d[r] - f.distance[r]);
        out->samples += n;
    }
    if (!st && out->samples > 0) {
        out->loss = loss / n_batches;
        out->self_error = se / out->samples;
        out->partner_error = pe / out->samples;
        out->distance_error = de / out->samples;
    }
    cm_social_state_free(s);
    social_feed_free(&f);
    cm_agents_batch_free(&ab);
    cm_agents_source_free(src);
    cm_place_cells_free(&pc);
    cm_hd_cells_free(&hd);
    return st;
}

/* ----------------------------------------------------------------- job */

struct cm_social_job {
    cm_social_run_config cfg;
    cm_social *m;
    cm_optim optim;
    cm_place_cells pc;
    cm_hd_cells hd;
    cm_agents_source *src;
    cm_agents_batch ab; /* one shard's elements */
    social_feed feed;
    cm_social_state *state;
    int shard_b;
    cm_rng rng;
};

void cm_social_job_free(cm_social_job *j)
{
    if (!j)
        return;
    cm_social_state_free(j->state);
    social_feed_free(&j->feed);
    cm_agents_batch_free(&j->ab);
    cm_agents_source_free(j->src);
    cm_place_cells_free(&j->pc);
    cm_hd_cells_free(&j->hd);
    cm_optim_free(&j->optim);
    cm_social_free(j->m);
    free(j);
}

cm_status cm_social_job_create(const cm_social_run_config *c, cm_social_job **out)
{
    *out = NULL;
    cm_status st = cm_social_run_config_check(c);
    if (st)
        return st;
    cm_social_job *j = calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "social job: cannot allocate");
    j->cfg = *c;
    st = cm_social_create(&c->model, c->seed, &j->m);
    if (!st)
        st = cm_optim_init(&j->optim, &c->model.optim, cm_social_params(j->m)->total);
    if (!st)
        st = cm_social_cells(&j->pc, &j->hd);
    if (!st)
        st = cm_agents_source_create(&c->agents, c->seed, &j->src);
    if (st) {
        cm_social_job_free(j);
        return st;
    }
    *out = j;
    return CM_OK;
}

cm_social *cm_social_job_model(cm_social_job *j) { return j->m; }

static size_t job_n_params(void *job) { return cm_social_params(((cm_social_job *)job)->m)->total; }
static float *job_params(void *job) { return cm_social_params(((cm_social_job *)job)->m)->params; }
static float *job_grads(void *job) { return cm_social_params(((cm_social_job *)job)->m)->grads; }

/* Buffers for shards of Bs elements (allocated on the first step, or when
 * the shard count changes). */
static cm_status shard_buffers(cm_social_job *j, int Bs)
{
    if (j->shard_b == Bs)
        return CM_OK;
    int T = j->cfg.model.seq_len;
    cm_social_state_free(j->state);
    j->state = NULL;
    social_feed_free(&j->feed);
    cm_agents_batch_free(&j->ab);
    j->shard_b = 0;
    cm_status st = cm_agents_batch_alloc(&j->ab, Bs, j->cfg.agents.agents, T);
    if (!st)
        st = social_feed_init(&j->feed, Bs, T, j->cfg.model.n_place, j->cfg.model.n_hd);
    if (!st)
        st = cm_social_state_create(j->m, Bs, T, &j->state);
    if (!st)
        j->shard_b = Bs;
    return st;
}

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_social_job *j = job;
    int B = j->cfg.model.batch, T = j->cfg.model.seq_len;
    if (n_shards < 1 || B % n_shards != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "social job: %d shards do not divide the batch of %d", n_shards, B);
    int Bs = B / n_shards;
    cm_status st = shard_buffers(j, Bs);
    if (!st)
        st = cm_agents_source_fill_range(j->src, 0, step, B, shard * Bs, &j->ab);
    if (st)
        return st;
    social_feed_build(&j->feed, &j->ab, 0, 0, 1, &j->pc, &j->hd);
    j->feed.batch.rows = (double)B * T;
    cm_rng_seed(&j->rng, j->cfg.seed, STEP_STREAM_TAG | ((uint64_t)step * (uint64_t)n_shards + (uint64_t)shard));
    double loss;
    st = cm_social_forward(j->m, j->state, &j->feed.batch, &j->rng, &loss);
    if (!st)
        st = cm_social_backward(j->m, j->state, cm_social_params(j->m)->grads);
    *loss_sum = loss;
    *weight = 1.0 / n_shards; /* loss_sum is already this shard's share of the global mean */
    return st;
}

static cm_status job_update(void *job, int64_t step)
{
    (void)step;
    cm_social_job *j = job;
    cm_params *p = cm_social_params(j->m);
    if (j->cfg.model.clip_norm > 0)
        cm_clip_grad_norm(p->grads, p->total, j->cfg.model.clip_norm);
    cm_optim_step(&j->optim, p->params, p->grads);
    return CM_OK;
}

static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    (void)step;
    cm_social_job *j = job;
    cm_social_errors e;
    cm_status st = cm_social_errors_measure(j->m, &j->cfg, 1, j->cfg.eval_batches, &e);
    if (st)
        return st;
    cm_spc_evaluation ev;
    st = cm_spc_evaluate(j->m, j->cfg.probe_reps, 0, &ev, NULL);
    if (st)
        return st;
    int U = ev.units;
    cm_metrics_set(out, "eval_loss", e.loss, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "self_error", e.self_error, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "partner_error", e.partner_error, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "distance_error", e.distance_error, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "spc_fraction", (double)(ev.counts[CM_SPC_PURE_SPC] + ev.counts[CM_SPC_SPECIAL_SPC]) / U,
                   CM_HIGHER_IS_BETTER);
    for (int k = 0; k < CM_SPC_N_CLASSES; k++)
        cm_metrics_set(out, cm_spc_class_name((cm_spc_class)k), ev.counts[k], CM_HIGHER_IS_BETTER);
    cm_spc_evaluation_free(&ev);
    return CM_OK;
}

static cm_status job_save(void *job, const char *dir)
{
    cm_social_job *j = job;
    cm_status st = cm_social_save(j->m, dir);
    return st ? st : social_optim_save(&j->optim, dir);
}

static cm_status job_load(void *job, const char *dir)
{
    cm_social_job *j = job;
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    /* the optimiser first: it checks its metadata before anything is copied */
    cm_optim saved = j->optim;
    float *copy = NULL;
    size_t n = cm_optim_state_floats(&j->optim);
    if (!st && n) {
        copy = malloc(n * sizeof(float));
        if (!copy)
            return cm_error(CM_ERR_NOMEM, "social job: cannot allocate");
        memcpy(copy, j->optim.state, n * sizeof(float));
    }
    if (!st)
        st = social_optim_load(&j->optim, dir);
    if (!st)
        st = cm_social_load_weights(j->m, path);
    if (st && copy) { /* leave the job as it was */
        memcpy(j->optim.state, copy, n * sizeof(float));
        j->optim.t = saved.t;
    }
    free(copy);
    return st;
}

const cm_train_job_ops cm_social_job_ops = {
    .model_name = "social",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};
