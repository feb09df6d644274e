/* The link training job (run.h): K agents' paths, each agent's own path
 * integrator (the social network alone), agent 0 receiving from the others
 * over the link, one optimiser over both parameter blocks. */
#include "run/social_internal.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define STEP_STREAM_TAG (0x4c4bULL << 48)

/* Everything one shard (or one evaluation batch) of Bs elements needs. */
typedef struct link_feed {
    int Bs, K, T, N;
    cm_agents_batch ab;
    social_feed agents;       /* the K*Bs self streams, element k * Bs + b */
    cm_social_state *net;     /* solo, K*Bs rows */
    cm_link_state *link;      /* Bs receivers */
    float *init;              /* [N*Bs, I] senders' initial codes */
    float *target;            /* [T, N*Bs, O] senders' place codes */
    float *target_pool;       /* [T, Bs, O] nearest partner's (who) */
    int *nearest;             /* [T, Bs] its index */
    uint8_t *bits;            /* [T, N*Bs, B] broadcast messages */
    float *state;             /* [T, N*Bs, H + 3] senders' states and motion inputs (send_motion) */
    float *dec;               /* [T*N*Bs, 2] scratch */
    cm_link_batch lb;
} link_feed;

struct cm_link_job {
    cm_link_run_config cfg;
    cm_social *net;
    cm_link *link;
    size_t n_net, n_link, n;
    float *params, *grads; /* [n_net | n_link] */
    cm_optim optim;
    cm_place_cells pc;
    cm_hd_cells hd;
    cm_agents_source *src;
    link_feed f;
    cm_rng rng;
};

static void feed_free(link_feed *f)
{
    cm_agents_batch_free(&f->ab);
    social_feed_free(&f->agents);
    cm_social_state_free(f->net);
    cm_link_state_free(f->link);
    cm_free(f->init);
    cm_free(f->target);
    cm_free(f->target_pool);
    cm_free(f->nearest);
    cm_free(f->bits);
    cm_free(f->state);
    cm_free(f->dec);
    memset(f, 0, sizeof *f);
}

static cm_status feed_init(link_feed *f, const cm_link_job *j, int Bs)
{
    const cm_link_run_config *c = &j->cfg;
    memset(f, 0, sizeof *f);
    int K = c->agents.agents, T = c->net.seq_len, N = K - 1, O = c->link.out_dim, I = c->link.init_dim;
    f->Bs = Bs, f->K = K, f->T = T, f->N = N;
    size_t TNB = (size_t)T * N * Bs;
    cm_status st = cm_agents_batch_alloc(&f->ab, Bs, K, T);
    if (!st)
        st = social_feed_init(&f->agents, K * Bs, T, c->net.n_place, c->net.n_hd);
    if (!st)
        st = cm_social_state_create(j->net, K * Bs, T, &f->net);
    if (!st)
        st = cm_link_state_create(j->link, Bs, T, &f->link);
    if (!st) {
        f->init = cm_alloc((size_t)N * Bs * I * sizeof(float));
        f->target = cm_alloc(TNB * O * sizeof(float));
        f->target_pool = cm_alloc((size_t)T * Bs * O * sizeof(float));
        f->nearest = cm_alloc((size_t)T * Bs * sizeof(int));
        f->bits = cm_alloc(TNB * c->link.bits);
        f->dec = cm_alloc(TNB * 2 * sizeof(float));
        f->state = c->send_motion ? cm_alloc(TNB * (size_t)c->link.state_dim * sizeof(float)) : NULL;
        if (!f->init || !f->target || !f->target_pool || !f->nearest || !f->bits || !f->dec ||
            (c->send_motion && !f->state))
            st = cm_error(CM_ERR_NOMEM, "link job: cannot allocate a batch of %d", Bs);
    }
    if (st)
        feed_free(f);
    return st;
}

/* The agents' streams and the link's inputs for the filled f->ab. */
static void feed_build(link_feed *f, const cm_link_job *j)
{
    const cm_link_run_config *c = &j->cfg;
    int Bs = f->Bs, K = f->K, T = f->T, N = f->N, O = c->link.out_dim, Np = c->net.n_place, Nh = c->net.n_hd;
    int H = c->net.hidden, KB = K * Bs;
    social_feed *a = &f->agents;
    /* element k * Bs + b is agent k of path b: one solo stream each */
    for (int k = 0; k < K; k++)
        for (int b = 0; b < Bs; b++) {
            social_feed one = *a;
            size_t e = (size_t)k * Bs + b;
            one.B = 1;
            one.self_vel += e * T * 3, one.self_init_place += e * Np, one.self_init_hd += e * Nh;
            one.self_place += e * T * Np, one.self_hd += e * T * Nh, one.self_pos += e * T * 2;
            one.peer_vel = one.self_vel, one.peer_init_place = one.self_init_place;
            one.peer_init_hd = one.self_init_hd, one.peer_place = one.self_place, one.peer_hd = one.self_hd;
            one.peer_pos = one.self_pos, one.distance = f->dec; /* scratch: a path's distance to itself */
            social_feed_build(&one, &f->ab, b, k, k, &j->pc, &j->hd);
        }
    a->batch.solo = 1;
    /* senders n = agents 1..K-1: initial codes, targets, broadcast bits */
    for (int n = 0; n < N; n++)
        for (int b = 0; b < Bs; b++) {
            size_t e = (size_t)(n + 1) * Bs + b, r = (size_t)n * Bs + b;
            memcpy(f->init + r * (Np + Nh), a->self_init_place + e * Np, (size_t)Np * sizeof(float));
            memcpy(f->init + r * (Np + Nh) + Np, a->self_init_hd + e * Nh, (size_t)Nh * sizeof(float));
            for (int t = 0; t < T; t++) {
                size_t row = (size_t)t * N * Bs + r;
                memcpy(f->target + row * O, a->self_place + (e * T + t) * Np, (size_t)O * sizeof(float));
                if (c->scheme == CM_LINK_BROADCAST) {
                    cm_link_message msg;
                    const float *p = a->self_pos + (e * T + t) * 2;
                    cm_link_quantize_position(p[0], p[1], 0.0f, 15.0f, c->link.bits, &msg);
                    memcpy(f->bits + row * c->link.bits, msg.bit, (size_t)c->link.bits);
                }
            }
        }
    /* who: the nearest partner's code */
    for (int t = 0; t < T; t++)
        for (int b = 0; b < Bs; b++) {
            const float *p0 = a->self_pos + ((size_t)b * T + t) * 2;
            int best = 0;
            double bd = INFINITY;
            for (int n = 0; n < N; n++) {
                const float *pn = a->self_pos + (((size_t)(n + 1) * Bs + b) * T + t) * 2;
                double d = hypot((double)pn[0] - p0[0], (double)pn[1] - p0[1]);
                if (d < bd)
                    bd = d, best = n;
            }
            f->nearest[(size_t)t * Bs + b] = best;
            memcpy(f->target_pool + ((size_t)t * Bs + b) * O, f->target + ((size_t)t * N * Bs + (size_t)best * Bs + b) * O,
                   (size_t)O * sizeof(float));
        }
    cm_link_batch *lb = &f->lb;
    memset(lb, 0, sizeof *lb);
    lb->init = f->init;
    lb->target = f->target;
    lb->target_pool = f->target_pool;
    lb->fixed_bits = c->scheme == CM_LINK_BROADCAST || c->scheme == CM_LINK_BROADCAST_ESTIMATE ? f->bits : NULL;
    lb->silent = c->scheme == CM_LINK_NONE;
    (void)H, (void)KB;
}

/* broadcast_estimate, after the network's forward: each sender's bits are
 * its own decoded position (the place read-out, SSM-PC's decoder),
 * quantised as broadcast quantises the true one. What an agent can send
 * about where it is is what its path integrator holds; broadcast's true
 * positions are knowledge no agent has. */
static void feed_estimate_bits(link_feed *f, const cm_link_job *j)
{
    int Bs = f->Bs, T = f->T, N = f->N, Np = j->cfg.net.n_place, bits = j->cfg.link.bits;
    /* self place logits [K*Bs, T, Np]: the senders' elements follow agent 0's Bs */
    const float *logits = cm_social_output_get(f->net, CM_SOCIAL_SELF_PLACE) + (size_t)Bs * T * Np;
    cm_place_cells_decode(&j->pc, logits, (int64_t)N * Bs * T, 0, f->dec); /* [N*Bs, T, 2] */
    for (int r = 0; r < N * Bs; r++)
        for (int t = 0; t < T; t++) {
            const float *p = f->dec + ((size_t)r * T + t) * 2;
            cm_link_message msg;
            cm_link_quantize_position(p[0], p[1], 0.0f, 15.0f, bits, &msg);
            memcpy(f->bits + ((size_t)t * N * Bs + r) * bits, msg.bit, (size_t)bits);
        }
}

/* After the network's forward: where the link reads its states — each
 * sender's LSTM state after step t and, with send_motion, the motion input
 * of that step beside it (what the agent itself knows of its move). */
static void feed_states(link_feed *f, const cm_link_job *j)
{
    int H = j->cfg.net.hidden, KB = f->K * f->Bs, NB = f->N * f->Bs, T = f->T, S = j->cfg.link.state_dim;
    const float *hs = cm_social_output_get(f->net, CM_SOCIAL_H_SELF); /* [T+1, K*Bs, H] */
    f->lb.ctx = hs + (size_t)KB * H;                                   /* t = 1, agent 0 */
    f->lb.ctx_stride = (int64_t)KB * H;
    if (f->lb.silent || f->lb.fixed_bits) {
        f->lb.state = NULL;
        return;
    }
    if (!j->cfg.send_motion) {
        f->lb.state = hs + (size_t)KB * H + (size_t)f->Bs * H;
        f->lb.state_stride = (int64_t)KB * H;
        return;
    }
    for (int t = 0; t < T; t++)
        for (int r = 0; r < NB; r++) {
            float *dst = f->state + ((size_t)t * NB + r) * S;
            memcpy(dst, hs + ((size_t)(t + 1) * KB + f->Bs + r) * H, (size_t)H * sizeof(float));
            /* row r = (n, b) is batch element (n + 1) * Bs + b of the agents' streams */
            memcpy(dst + H, f->agents.self_vel + ((size_t)(f->Bs + r) * T + t) * 3, 3 * sizeof(float));
        }
    f->lb.state = f->state;
    f->lb.state_stride = 0;
}

/* The link's input gradients into the network's state gradient. */
static void feed_input_grads(link_feed *f, const cm_link_job *j)
{
    int H = j->cfg.net.hidden, Bs = f->Bs, KB = f->K * Bs, NB = f->N * Bs, T = f->T, S = j->cfg.link.state_dim;
    float *dh = cm_social_state_output_grad(f->net, CM_SOCIAL_H_SELF);
    const float *dctx = cm_link_input_grad(f->link, 1), *dst = cm_link_input_grad(f->link, 0);
    for (int t = 0; t < T; t++) {
        float *row = dh + ((size_t)(t + 1) * KB) * H;
        for (size_t k = 0; k < (size_t)Bs * H; k++)
            row[k] += dctx[(size_t)t * Bs * H + k];
        if (f->lb.state)
            for (int r = 0; r < NB; r++) {
                float *d = row + (size_t)(Bs + r) * H;
                const float *g = dst + ((size_t)t * NB + r) * S; /* the motion inputs' share is the data's */
                for (int k = 0; k < H; k++)
                    d[k] += g[k];
            }
    }
}

/* ------------------------------------------------------------------ job */

void cm_link_job_free(cm_link_job *j)
{
    if (!j)
        return;
    feed_free(&j->f);
    cm_agents_source_free(j->src);
    cm_place_cells_free(&j->pc);
    cm_hd_cells_free(&j->hd);
    cm_optim_free(&j->optim);
    cm_free(j->params);
    cm_free(j->grads);
    cm_social_free(j->net);
    cm_link_free(j->link);
    free(j);
}

/* The models read their own blocks: the job's block is copied in after
 * every change. */
static void publish(cm_link_job *j)
{
    memcpy(cm_social_params(j->net)->params, j->params, j->n_net * sizeof(float));
    memcpy(cm_link_params(j->link)->params, j->params + j->n_net, j->n_link * sizeof(float));
}

/* Copies tensor `from` of the file (or, for a link run's file, "net." +
 * from) into rows [row0, row0 + rows of it) / columns [col0, ...) of the
 * destination tensor. 1 if copied, 0 if the file lacks it; an error when its
 * shape does not fit. */
static int copy_tensor(const cm_safetensors *sf, const char *path, const char *from, float *dst, const int64_t *dshape,
                       int dndim, int64_t col0, cm_status *st)
{
    char name[160];
    const cm_array *a = cm_safetensors_get(sf, from);
    snprintf(name, sizeof name, "net.%s", from);
    if (!a)
        a = cm_safetensors_get(sf, name);
    if (!a)
        return 0;
    int64_t cols = dndim == 2 ? dshape[1] : 1, acols = a->ndim == 2 ? a->shape[1] : 1;
    int fits = a->dtype == CM_F32 && a->ndim == dndim && a->shape[0] == dshape[0] && col0 + acols <= cols;
    for (int d = 2; fits && d < dndim; d++)
        fits = a->shape[d] == dshape[d];
    if (!fits) {
        *st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: its shape does not fit the run's network", path, from);
        return 0;
    }
    const float *src = a->data;
    int64_t rows = dndim == 3 ? dshape[0] * dshape[1] * dshape[2] / cols : dshape[0];
    for (int64_t r = 0; r < rows; r++)
        memcpy(dst + r * cols + col0, src + r * acols, (size_t)acols * sizeof(float));
    return 1;
}

/* A checkpoint folder's network (a social run's, or a link run's "net."
 * tensors) into the job's network; and, from a social network, the
 * receiver: its memory starts as the network's peer stream (LSTM, h0/c0
 * layers), its decoder as the bottleneck applied to ctx + memory (W_bn on
 * both halves) and the peer place read-out, so the link's receiver begins
 * as a trained path integrator of its partner, fed by whatever the message
 * read-in makes of the bits (whose rows for the ego token start at 0, as
 * the peer stream's inputs there are). Tensors the file lacks keep their
 * initial values. */
static cm_status init_from(cm_link_job *j, const char *dir)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    cm_safetensors sf;
    if (!st)
        st = cm_safetensors_read(path, &sf);
    if (st)
        return cm_error_context(st, "init_from %s: ", dir);
    cm_params *p = cm_social_params(j->net);
    int copied = 0;
    for (int i = 0; i < p->count && !st; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        copied += copy_tensor(&sf, path, t->name, cm_params_data(p, i), t->shape, t->ndim, 0, &st);
    }
    /* the receiver, from a social network's own peer pathway */
    cm_params *q = cm_link_params(j->link);
    static const char *const pairs[][2] = {
        {"memory.weight_ih_l0", "path_integrator_lstm.weight_ih_l0"},
        {"memory.weight_hh_l0", "path_integrator_lstm.weight_hh_l0"},
        {"memory.bias_ih_l0", "path_integrator_lstm.bias_ih_l0"},
        {"memory.bias_hh_l0", "path_integrator_lstm.bias_hh_l0"},
        {"memory_h0.weight", "h0_generator.weight"},
        {"memory_h0.bias", "h0_generator.bias"},
        {"memory_c0.weight", "c0_generator.weight"},
        {"memory_c0.bias", "c0_generator.bias"},
        {"decoder.0.bias", "joint_bottleneck_layer.0.bias"},
        {"decoder.2.weight", "peer_place_predictor.weight"},
        {"decoder.2.bias", "peer_place_predictor.bias"},
        {"pool.weight", "peer_place_predictor.weight"},
        {"pool.bias", "peer_place_predictor.bias"},
    };
    int receiver = cm_safetensors_get(&sf, "joint_bottleneck_layer.0.weight") != NULL; /* a social network's file */
    for (size_t k = 0; receiver && !st && k < sizeof pairs / sizeof *pairs; k++) {
        int i = cm_params_find(q, pairs[k][0]);
        if (i >= 0)
            copy_tensor(&sf, path, pairs[k][1], cm_params_data(q, i), q->tensors[i].shape, q->tensors[i].ndim, 0, &st);
    }
    int d0 = cm_params_find(q, "decoder.0.weight");
    if (receiver && !st && d0 >= 0) {
        /* [ctx ; memory] -> W_bn ctx + W_bn memory */
        const cm_tensor_info *t = &q->tensors[d0];
        int64_t C = j->cfg.link.ctx_dim;
        copy_tensor(&sf, path, "joint_bottleneck_layer.0.weight", cm_params_data(q, d0), t->shape, t->ndim, 0, &st);
        if (!st)
            copy_tensor(&sf, path, "joint_bottleneck_layer.0.weight", cm_params_data(q, d0), t->shape, t->ndim, C, &st);
    }
    int mw = cm_params_find(q, "message.weight"), mb = cm_params_find(q, "message.bias");
    if (receiver && !st && mw >= 0) {
        int in = j->cfg.net.input_size, rows = (int)q->tensors[mw].shape[0], cols = (int)q->tensors[mw].shape[1];
        memset(cm_params_data(q, mw) + (size_t)in * cols, 0, (size_t)(rows - in) * cols * sizeof(float));
        memset(cm_params_data(q, mb), 0, (size_t)rows * sizeof(float));
    }
    cm_safetensors_free(&sf);
    if (!st && copied == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: no tensor of the social network", path);
    return st;
}

cm_status cm_link_job_create(const cm_link_run_config *c0, cm_link_job **out)
{
    *out = NULL;
    cm_link_run_config c = *c0;
    cm_status st = cm_link_run_config_check(&c);
    if (st)
        return st;
    cm_link_job *j = calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "link job: cannot allocate");
    j->cfg = c;
    /* streams 0 and 1 of the seed draw the network's and the link's weights */
    st = cm_social_create(&c.net, c.seed, &j->net);
    if (!st)
        st = cm_link_create(&c.link, c.seed ^ 0x4c494e4bULL, &j->link);
    if (!st && c.init_from[0])
        st = init_from(j, c.init_from);
    if (!st) {
        j->n_net = cm_social_params(j->net)->total;
        j->n_link = cm_link_params(j->link)->total;
        j->n = j->n_net + j->n_link;
        j->params = cm_alloc(j->n * sizeof(float));
        j->grads = cm_calloc(j->n, sizeof(float));
        if (!j->params || !j->grads)
            st = cm_error(CM_ERR_NOMEM, "link job: cannot allocate %zu parameters", j->n);
    }
    if (!st) {
        memcpy(j->params, cm_social_params(j->net)->params, j->n_net * sizeof(float));
        memcpy(j->params + j->n_net, cm_link_params(j->link)->params, j->n_link * sizeof(float));
        st = cm_optim_init(&j->optim, &c.link.optim, j->n);
    }
    if (!st)
        st = cm_social_cells(&j->pc, &j->hd);
    if (!st)
        st = cm_agents_source_create(&c.agents, c.seed, &j->src);
    if (st) {
        cm_link_job_free(j);
        return st;
    }
    *out = j;
    return CM_OK;
}

static size_t job_n_params(void *job) { return ((cm_link_job *)job)->n; }
static float *job_params(void *job) { return ((cm_link_job *)job)->params; }
static float *job_grads(void *job) { return ((cm_link_job *)job)->grads; }

static cm_status feed_for(cm_link_job *j, int Bs)
{
    if (j->f.Bs == Bs)
        return CM_OK;
    feed_free(&j->f);
    return feed_init(&j->f, j, Bs);
}

/* Forward of both models on the filled feed; with `loss`, the sum of the
 * network's self loss and the link's loss (rows: the global batch's). */
static cm_status forward(cm_link_job *j, link_feed *f, cm_rng *rng, double rows, double *loss)
{
    feed_build(f, j);
    /* the path-integration loss on agent 0 only: the senders' streams are
     * the same network, and they are read by the link; broadcast_estimate
     * needs the senders' read-outs too, and then takes their loss as a mean
     * over all K agents' rows */
    int estimate = j->cfg.scheme == CM_LINK_BROADCAST_ESTIMATE;
    f->agents.batch.readout = estimate ? 0 : f->Bs;
    f->agents.batch.rows = estimate ? rows * f->K : rows;
    double ln = 0, ll = 0;
    cm_status st = cm_social_forward(j->net, f->net, &f->agents.batch, rng, loss ? &ln : NULL);
    if (st)
        return st;
    if (estimate)
        feed_estimate_bits(f, j);
    feed_states(f, j);
    f->lb.rows = rows;
    st = cm_link_forward(j->link, f->link, &f->lb, rng, loss ? &ll : NULL);
    if (loss)
        *loss = ln + ll;
    return st;
}

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_link_job *j = job;
    int B = j->cfg.net.batch, T = j->cfg.net.seq_len;
    if (n_shards < 1 || B % n_shards != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "link job: %d shards do not divide the batch of %d", n_shards, B);
    int Bs = B / n_shards;
    cm_status st = feed_for(j, Bs);
    if (!st)
        st = cm_agents_source_fill_range(j->src, 0, step, B, shard * Bs, &j->f.ab);
    if (st)
        return st;
    cm_rng_seed(&j->rng, j->cfg.seed, STEP_STREAM_TAG | ((uint64_t)step * (uint64_t)n_shards + (uint64_t)shard));
    st = forward(j, &j->f, &j->rng, (double)B * T, loss_sum);
    if (!st)
        st = cm_link_backward(j->link, j->f.link, j->grads + j->n_net);
    if (!st) {
        feed_input_grads(&j->f, j);
        st = cm_social_backward(j->net, j->f.net, j->grads);
    }
    *weight = 1.0 / n_shards;
    return st;
}

static cm_status job_update(void *job, int64_t step)
{
    (void)step;
    cm_link_job *j = job;
    if (j->cfg.link.clip_norm > 0)
        cm_clip_grad_norm(j->grads, j->n, j->cfg.link.clip_norm);
    cm_optim_step(&j->optim, j->params, j->grads);
    publish(j);
    return CM_OK;
}

cm_status cm_link_job_measure(cm_link_job *j, uint64_t stream, int n_batches, cm_link_errors *out)
{
    memset(out, 0, sizeof *out);
    int B = j->cfg.net.batch, N = j->cfg.agents.agents - 1, O = j->cfg.link.out_dim, Np = j->cfg.net.n_place;
    link_feed f;
    cm_status st = feed_init(&f, j, B);
    if (st)
        return st;
    int T = f.T;
    double loss = 0, pe = 0, se = 0, bits = 0, sent = 0, who = 0;
    for (int i = 0; !st && i < n_batches; i++) {
        st = cm_agents_source_fill(j->src, stream, i, &f.ab);
        double l = 0;
        if (!st)
            st = forward(j, &f, NULL, 0, &l);
        if (st)
            break;
        loss += l;
        /* each sender's decoded position against its true one */
        const float *pred = cm_link_output_get(f.link, CM_LINK_PRED);
        cm_place_cells_decode(&j->pc, pred, (int64_t)T * N * B, 0, f.dec);
        for (int t = 0; t < T; t++)
            for (int n = 0; n < N; n++)
                for (int b = 0; b < B; b++) {
                    size_t r = (size_t)t * N * B + (size_t)n * B + b;
                    const float *p = f.agents.self_pos + (((size_t)(n + 1) * B + b) * T + t) * 2;
                    pe += hypot((double)f.dec[2 * r] - p[0], (double)f.dec[2 * r + 1] - p[1]);
                }
        se += social_decode_error_sum(&j->pc, cm_social_output_get(f.net, CM_SOCIAL_SELF_PLACE), f.agents.self_pos,
                                      (int64_t)B * T, f.dec) * N; /* agent 0's rows come first */
        cm_link_losses ls;
        cm_link_get_losses(f.link, &ls);
        bits += ls.bits_per_step;
        sent += ls.sent;
        if (N > 1) {
            const float *w = cm_link_output_get(f.link, CM_LINK_WHO);
            for (int r = 0; r < T * B; r++) {
                int arg = 0;
                for (int n = 1; n < N; n++)
                    arg = w[(size_t)r * N + n] > w[(size_t)r * N + arg] ? n : arg;
                who += arg == f.nearest[r];
            }
        }
        out->samples += (int64_t)T * N * B;
    }
    (void)O, (void)Np;
    if (!st && n_batches > 0) {
        out->loss = loss / n_batches;
        out->partner_error = pe / out->samples;
        out->self_error = se / out->samples;
        out->bits_per_step = bits / n_batches;
        out->sent = sent / n_batches;
        out->who_accuracy = N > 1 ? who / ((double)n_batches * T * B) : NAN;
    }
    feed_free(&f);
    return st;
}

static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    (void)step;
    cm_link_job *j = job;
    cm_link_errors e;
    cm_status st = cm_link_job_measure(j, 1, j->cfg.eval_batches, &e);
    if (st)
        return st;
    cm_metrics_set(out, "eval_loss", e.loss, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "partner_error", e.partner_error, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "bits_per_step", e.bits_per_step, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "self_error", e.self_error, CM_LOWER_IS_BETTER);
    cm_metrics_set(out, "sent", e.sent, CM_LOWER_IS_BETTER);
    if (j->cfg.agents.agents > 2)
        cm_metrics_set(out, "who_accuracy", e.who_accuracy, CM_HIGHER_IS_BETTER);
    return CM_OK;
}

/* Checkpoint folder (flat, as the trainer moves folders whole): one
 * model.safetensors holding both state dicts under "net." and "link." (a
 * PyTorch module with the two as submodules), config.json with both
 * configurations, and the one optimizer.safetensors. */
static const char *const prefixes[2] = {"net.", "link."};

static cm_params *store(cm_link_job *j, int k) { return k ? cm_link_params(j->link) : cm_social_params(j->net); }

static cm_status job_save(void *job, const char *dir)
{
    cm_link_job *j = job;
    char path[4096];
    cm_status st = cm_mkdir_p(dir);
    int n = cm_social_params(j->net)->count + cm_link_params(j->link)->count, i = 0;
    cm_array *arrays = calloc((size_t)n, sizeof *arrays);
    char (*names)[128] = calloc((size_t)n, sizeof *names);
    if (!st && (!arrays || !names))
        st = cm_error(CM_ERR_NOMEM, "link job: cannot allocate the tensor list");
    for (int k = 0; !st && k < 2; k++) {
        const cm_params *p = store(j, k);
        const float *block = j->params + (k ? j->n_net : 0);
        for (int t = 0; t < p->count; t++, i++) {
            snprintf(names[i], sizeof names[i], "%s%s", prefixes[k], p->tensors[t].name);
            arrays[i] = cm_array_view(names[i], CM_F32, p->tensors[t].ndim, p->tensors[t].shape,
                                      block + p->tensors[t].offset);
        }
    }
    if (!st)
        st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    const char *keys[] = {"format"}, *vals[] = {"pt"};
    if (!st)
        st = cm_safetensors_write(path, arrays, n, keys, vals, 1);
    free(arrays);
    free(names);
    /* config.json: both configurations as the key=value lists run.json replays */
    static char kv[64][96];
    cJSON *root = st ? NULL : cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", "cogmap link job");
    for (int k = 0; ok && k < 2; k++) {
        int m = k ? cm_link_config_keys(&j->cfg.link, kv, 64) : cm_social_config_keys(&j->cfg.net, kv, 64);
        cJSON *list = cJSON_AddArrayToObject(root, k ? "link" : "net");
        ok = list != NULL;
        for (int q = 0; ok && q < m; q++)
            ok = cJSON_AddItemToArray(list, cJSON_CreateString(kv[q]));
    }
    if (!st && !ok)
        st = cm_error(CM_ERR_NOMEM, "%s/config.json: cannot build the document", dir);
    if (!st)
        st = cm_path_join(path, sizeof path, dir, "config.json");
    if (!st)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    if (!st)
        st = social_optim_save(&j->optim, dir);
    return st;
}

static cm_status job_load(void *job, const char *dir)
{
    cm_link_job *j = job;
    char path[4096], name[128];
    cm_status st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    cm_safetensors sf;
    if (!st)
        st = cm_safetensors_read(path, &sf);
    if (st)
        return st;
    /* every tensor checked before anything is copied */
    for (int k = 0; !st && k < 2; k++) {
        const cm_params *p = store(j, k);
        for (int t = 0; !st && t < p->count; t++) {
            snprintf(name, sizeof name, "%s%s", prefixes[k], p->tensors[t].name);
            const cm_array *a = cm_safetensors_get(&sf, name);
            int same = a && a->dtype == CM_F32 && a->ndim == p->tensors[t].ndim;
            for (int d = 0; same && d < a->ndim; d++)
                same = a->shape[d] == p->tensors[t].shape[d];
            if (!same)
                st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: %s", path, name,
                              a ? "expected the run's shape and dtype F32" : "missing");
        }
    }
    /* the optimiser's file is checked (and loaded) before the parameters change */
    if (!st)
        st = social_optim_load(&j->optim, dir);
    for (int k = 0; !st && k < 2; k++) {
        const cm_params *p = store(j, k);
        float *block = j->params + (k ? j->n_net : 0);
        for (int t = 0; t < p->count; t++) {
            snprintf(name, sizeof name, "%s%s", prefixes[k], p->tensors[t].name);
            const cm_array *a = cm_safetensors_get(&sf, name);
            memcpy(block + p->tensors[t].offset, a->data, p->tensors[t].count * sizeof(float));
        }
    }
    cm_safetensors_free(&sf);
    if (!st)
        publish(j);
    return st;
}

const cm_train_job_ops cm_link_job_ops = {
    .model_name = "link",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};
