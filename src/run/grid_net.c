/* A models-module path-integration network with its place/HD target
 * ensembles, its optimiser and dropout stream (run.h): target codes of a
 * batch, the training gradient of a shard, the update, the evaluation
 * forward and the checkpoint files. */
#include "cogmap/run.h"

#include <math.h>
#include <string.h>

static void free_shards(cm_grid_net *n)
{
    for (int k = 0; k < n->n_shards; k++)
        cm_pathint_state_free(n->shards[k]);
    cm_free(n->shards);
    n->shards = NULL;
    n->n_shards = 0;
}

void cm_grid_net_free(cm_grid_net *n)
{
    if (!n)
        return;
    free_shards(n);
    cm_pathint_state_free(n->s);
    cm_optim_free(&n->optim);
    cm_pathint_free(n->m);
    cm_place_cells_free(&n->pc);
    cm_hd_cells_free(&n->hd);
    cm_free(n->init_place);
    cm_free(n->init_hd);
    cm_free(n->place);
    cm_free(n->hd_t);
    cm_free(n->logits);
    cm_free(n);
}

cm_status cm_grid_net_create(const cm_grid_run_config *c, cm_grid_net **out)
{
    *out = NULL;
    cm_grid_net *n = cm_calloc(1, sizeof *n);
    if (!n)
        return cm_error(CM_ERR_NOMEM, "grid network: cannot allocate");
    cm_status st = cm_place_cells_preset_sized(&n->pc, c->cells, c->arena_scale, c->place_count);
    if (st == CM_OK) {
        if (c->place_sigma > 0)
            n->pc.sigma = c->place_sigma;
        if (c->place_dog >= 0)
            n->pc.dog = c->place_dog;
        if (c->surround_scale > 0)
            n->pc.surround_scale = c->surround_scale;
        if (c->dog_temperature > 0)
            n->pc.dog_temperature = c->dog_temperature;
        if (c->dog_temperature > 0 && !n->pc.dog)
            st = cm_error(CM_ERR_ARG, "--set dog_temperature: applies to DoG targets (place_dog=1, or the "
                                      "sorscher cells), and the '%s' cells are Gaussian",
                          c->cells);
        /* A squared-error read-out learns the cells' tuning curves, not a
         * distribution over cells (cells.h `tuning`). */
        n->pc.tuning = c->net.loss == CM_PATHINT_LOSS_MSE;
        if (st == CM_OK && n->pc.tuning && c->dog_temperature > 0)
            st = cm_error(CM_ERR_ARG, "--set dog_temperature: applies to softmax targets, and loss=mse reads the "
                                      "cells' tuning curves");
    }
    if (st == CM_OK && c->net.n_hd > 0) {
        /* Every published ensemble draws its HD centres from the same seed as
         * its place centres: SSM-PC 42, Banino 8341. */
        const uint32_t seed = strcmp(c->cells, "banino") == 0 ? 8341 : 42;
        st = cm_hd_cells_create(&n->hd, c->net.n_hd, 20.0f, seed);
    }
    /* A scaled arena has more place cells (the same density), and place_count
     * sets their number: the read-out follows. */
    cm_pathint_config net = c->net;
    if (c->arena_scale != 1.0f || c->place_count > 0)
        net.n_place = n->pc.n;
    if (st == CM_OK && n->pc.n != net.n_place)
        st = cm_error(CM_ERR_ARG, "grid network: the '%s' place cells number %d, the network reads out %d", c->cells,
                      n->pc.n, net.n_place);
    /* Initial weights from stream 0 of the run's seed, dropout masks from stream 1. */
    if (st == CM_OK)
        st = cm_pathint_create(&net, c->seed, &n->m);
    if (st == CM_OK)
        st = cm_pathint_state_create(n->m, c->net.batch, c->net.seq_len, &n->s);
    if (st == CM_OK)
        st = cm_pathint_optim_init(n->m, &n->optim);
    if (st != CM_OK) {
        cm_grid_net_free(n);
        return st;
    }
    cm_rng_seed(&n->dropout, c->seed, 1);
    n->dropout_next = n->dropout;
    /* Sorscher's top-3 decoder for DoG codes and for tuning curves, whose
     * read-out is no distribution to take the softmax-weighted mean of. */
    n->top_k = n->pc.dog || n->pc.tuning ? 3 : 0;
    n->batch = c->net.batch;
    n->steps = c->net.seq_len;
    const size_t B = (size_t)n->batch, BT = B * n->steps, Np = (size_t)n->pc.n, Nh = (size_t)n->hd.n;
    n->init_place = cm_alloc(B * Np * sizeof(float));
    n->place = cm_alloc(BT * Np * sizeof(float));
    n->logits = cm_alloc(BT * Np * sizeof(float));
    if (Nh) {
        n->init_hd = cm_alloc(B * Nh * sizeof(float));
        n->hd_t = cm_alloc(BT * Nh * sizeof(float));
    }
    if (!n->init_place || !n->place || !n->logits || (Nh && (!n->init_hd || !n->hd_t))) {
        cm_grid_net_free(n);
        return cm_error(CM_ERR_NOMEM, "grid network: cannot allocate target buffers for %zu samples", BT);
    }
    *out = n;
    return CM_OK;
}

static cm_status check_batch(const cm_grid_net *n, const cm_grid_batch *b)
{
    const cm_pathint_config *c = cm_pathint_get_config(n->m);
    if (b->batch != n->batch || b->steps != n->steps || b->in_dim != c->input_size)
        return cm_error(CM_ERR_ARG, "grid network: batch of %d x %d steps x %d inputs, the network expects %d x %d x %d",
                        b->batch, b->steps, b->in_dim, n->batch, n->steps, c->input_size);
    return CM_OK;
}

/* A batch for the network: its shape checked, the target codes of its rows
 * [r0, r1) in the adapter's buffers (a shard's rows alone: the codes of
 * rows another shard or rank trains are not needed here). */
static cm_status fill_targets(cm_grid_net *n, const cm_grid_batch *b, int r0, int r1, cm_pathint_batch *pb)
{
    cm_status st = check_batch(n, b);
    if (st != CM_OK)
        return st;
    const int T = b->steps, rows = r1 - r0;
    const size_t Np = (size_t)n->pc.n, Nh = (size_t)n->hd.n;
    cm_place_cells_activate_fast(&n->pc, b->init_pos + 2 * (size_t)r0, rows, n->init_place + (size_t)r0 * Np);
    cm_place_cells_activate_fast(&n->pc, b->pos + 2 * (size_t)r0 * T, (int64_t)rows * T, n->place + (size_t)r0 * T * Np);
    if (Nh) {
        cm_hd_cells_activate(&n->hd, b->init_theta + r0, rows, n->init_hd + (size_t)r0 * Nh);
        cm_hd_cells_activate(&n->hd, b->theta + (size_t)r0 * T, (int64_t)rows * T, n->hd_t + (size_t)r0 * T * Nh);
    }
    pb->velocity = b->inputs;
    pb->init_place = n->init_place;
    pb->init_hd = n->hd.n ? n->init_hd : NULL;
    pb->place = n->place;
    pb->hd = n->hd.n ? n->hd_t : NULL;
    pb->row0 = pb->rows_total = 0;
    return CM_OK;
}

/* Positions decoded from the last evaluation forward's place logits. */
static void decode(cm_grid_net *n, const cm_grid_batch *b, float *decoded)
{
    cm_pathint_get_place_logits(n->m, n->s, n->logits);
    cm_place_cells_decode(&n->pc, n->logits, (int64_t)b->batch * b->steps, n->top_k, decoded);
}

/* The state of shard k of a batch split n_shards ways, made at its first
 * use (a rank of a data-parallel job uses only its own shards) and kept for
 * the run (the same split every step allocates nothing). */
static cm_status shard_state(cm_grid_net *n, int k, int n_shards, cm_pathint_state **out)
{
    if (n->n_shards != n_shards) {
        free_shards(n);
        n->shards = cm_calloc((size_t)n_shards, sizeof *n->shards);
        if (!n->shards)
            return cm_error(CM_ERR_NOMEM, "grid network: cannot allocate %d shard states", n_shards);
        n->n_shards = n_shards;
    }
    if (!n->shards[k]) {
        const int rows = n->batch * (k + 1) / n_shards - n->batch * k / n_shards;
        cm_status st = cm_pathint_state_create(n->m, rows, n->steps, &n->shards[k]);
        if (st != CM_OK)
            return st;
    }
    *out = n->shards[k];
    return CM_OK;
}

cm_status cm_grid_net_gradient(cm_grid_net *n, const cm_grid_batch *b, int shard, int n_shards, float *grad,
                               double *loss_sum, double *weight)
{
    if (n_shards < 1 || shard < 0 || shard >= n_shards || n_shards > b->batch)
        return cm_error(CM_ERR_ARG, "grid network: shard %d of %d: expected 0 <= shard < shards <= batch (%d)", shard,
                        n_shards, b->batch);
    cm_pathint_batch pb;
    const int r0 = b->batch * shard / n_shards, r1 = b->batch * (shard + 1) / n_shards;
    cm_status st = fill_targets(n, b, r0, r1, &pb);
    cm_pathint_state *s = n->s;
    if (st == CM_OK && n_shards > 1) {
        /* Rows [r0, r1) of the batch-major batch: its buffers from row r0 on. */
        const int T = b->steps;
        const int Np = n->pc.n, Nh = n->hd.n, I = b->in_dim;
        pb.velocity += (size_t)r0 * T * I;
        pb.init_place += (size_t)r0 * Np;
        pb.place += (size_t)r0 * T * Np;
        if (Nh) {
            pb.init_hd += (size_t)r0 * Nh;
            pb.hd += (size_t)r0 * T * Nh;
        }
        pb.row0 = r0;
        pb.rows_total = b->batch;
        st = shard_state(n, shard, n_shards, &s);
        *weight = (double)(r1 - r0) / b->batch;
    } else {
        *weight = 1;
    }
    /* Every shard of a step draws the step's dropout key from the same
     * stream state; the update moves the stream on. */
    cm_rng rng = n->dropout;
    if (st == CM_OK)
        st = cm_pathint_forward(n->m, s, &pb, &rng, loss_sum);
    /* A non-finite loss: no backward; the trainer stops before any update. */
    if (st == CM_OK && isfinite(*loss_sum))
        st = cm_pathint_backward(n->m, s, grad);
    n->dropout_next = rng;
    return st;
}

void cm_grid_net_update(cm_grid_net *n, float *grad)
{
    n->dropout = n->dropout_next;
    cm_pathint_update(n->m, &n->optim, grad);
}

cm_status cm_grid_net_forward(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    cm_grid_net *n = model;
    cm_pathint_batch pb;
    cm_status st = fill_targets(n, b, 0, b->batch, &pb);
    if (st != CM_OK)
        return st;
    st = cm_pathint_forward(n->m, n->s, &pb, NULL, loss);
    if (st != CM_OK)
        return st;
    if (units)
        cm_pathint_get_bottleneck(n->m, n->s, units);
    if (decoded)
        decode(n, b, decoded);
    return CM_OK;
}

cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir)
{
    cm_status st = cm_pathint_save(n->m, dir);
    return st == CM_OK ? cm_pathint_optim_save(&n->optim, &n->dropout, dir) : st;
}

/* The models module builds a new network from the checkpoint's config.json;
 * it must have the run's shapes, and replaces the current one (with the
 * optimiser and dropout stream) only when everything has loaded. */
cm_status cm_grid_net_load(cm_grid_net *n, const char *dir)
{
    cm_pathint *loaded = NULL;
    cm_status st = cm_pathint_load(dir, &loaded);
    if (st != CM_OK)
        return st;
    const cm_pathint_config *a = cm_pathint_get_config(n->m), *b = cm_pathint_get_config(loaded);
    if (a->cell != b->cell || a->input_size != b->input_size || a->hidden != b->hidden ||
        a->bottleneck != b->bottleneck || a->n_place != b->n_place || a->n_hd != b->n_hd)
        st = cm_error(CM_ERR_FORMAT,
                      "%s: the checkpoint's network (%d inputs, %d hidden, %d bottleneck, %d place, %d HD) differs "
                      "from the run's (%d, %d, %d, %d, %d)",
                      dir, b->input_size, b->hidden, b->bottleneck, b->n_place, b->n_hd, a->input_size, a->hidden,
                      a->bottleneck, a->n_place, a->n_hd);
    cm_optim optim;
    memset(&optim, 0, sizeof optim);
    cm_rng dropout;
    if (st == CM_OK)
        st = cm_pathint_optim_init(loaded, &optim);
    if (st == CM_OK)
        st = cm_pathint_optim_load(&optim, &dropout, dir);
    if (st != CM_OK) {
        cm_optim_free(&optim);
        cm_pathint_free(loaded);
        return st;
    }
    /* The states hold no weights: they stay, made for the same shapes. */
    cm_pathint_free(n->m);
    cm_optim_free(&n->optim);
    n->m = loaded;
    n->optim = optim;
    n->dropout = n->dropout_next = dropout;
    return CM_OK;
}
