/* The trainer's view of a models-module path-integration network
 * (cm_grid_model_ops over cm_pathint) with its place/HD target ensembles. */
#include "cogmap/gridrun.h"

#include <math.h>
#include <string.h>

void cm_grid_net_free(cm_grid_net *n)
{
    if (!n)
        return;
    cm_pathint_free(n->m);
    cm_place_cells_free(&n->pc);
    cm_hd_cells_free(&n->hd);
    cm_free(n->init_place);
    cm_free(n->init_hd);
    cm_free(n->place);
    cm_free(n->hd_t);
    cm_free(n->logits);
    cm_free(n->decoded);
    cm_free(n);
}

cm_status cm_grid_net_create(const cm_grid_run_config *c, cm_grid_net **out)
{
    *out = NULL;
    cm_grid_net *n = cm_calloc(1, sizeof *n);
    if (!n)
        return cm_error(CM_ERR_NOMEM, "grid network: cannot allocate");
    cm_status st = cm_place_cells_preset_scaled(&n->pc, c->cells, c->arena_scale);
    if (st == CM_OK) {
        if (c->place_sigma > 0)
            n->pc.sigma = c->place_sigma;
        if (c->place_dog >= 0)
            n->pc.dog = c->place_dog;
        if (c->surround_scale > 0)
            n->pc.surround_scale = c->surround_scale;
    }
    if (st == CM_OK && c->net.n_hd > 0) {
        /* Every published ensemble draws its HD centres from the same seed as
         * its place centres: SSM-PC 42, Banino 8341. */
        const uint32_t seed = strcmp(c->cells, "banino") == 0 ? 8341 : 42;
        st = cm_hd_cells_create(&n->hd, c->net.n_hd, 20.0f, seed);
    }
    /* A scaled arena has more place cells (the same density): the read-out follows. */
    cm_pathint_config net = c->net;
    if (c->arena_scale != 1.0f)
        net.n_place = n->pc.n;
    if (st == CM_OK && n->pc.n != net.n_place)
        st = cm_error(CM_ERR_ARG, "grid network: the '%s' place cells number %d, the network reads out %d", c->cells,
                      n->pc.n, net.n_place);
    if (st == CM_OK)
        st = cm_pathint_create(&net, &n->m);
    if (st != CM_OK) {
        cm_grid_net_free(n);
        return st;
    }
    n->cfg = *c;
    n->top_k = n->pc.dog ? 3 : 0;
    n->batch = c->net.batch;
    n->steps = c->net.seq_len;
    const size_t B = (size_t)n->batch, BT = B * n->steps, Np = (size_t)n->pc.n, Nh = (size_t)n->hd.n;
    n->init_place = cm_alloc(B * Np * sizeof(float));
    n->place = cm_alloc(BT * Np * sizeof(float));
    n->logits = cm_alloc(BT * Np * sizeof(float));
    n->decoded = cm_alloc(BT * 2 * sizeof(float));
    if (Nh) {
        n->init_hd = cm_alloc(B * Nh * sizeof(float));
        n->hd_t = cm_alloc(BT * Nh * sizeof(float));
    }
    if (!n->init_place || !n->place || !n->logits || !n->decoded || (Nh && (!n->init_hd || !n->hd_t))) {
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

/* A batch for the network: its shape checked, its target codes in the
 * adapter's buffers. */
static cm_status fill_targets(cm_grid_net *n, const cm_grid_batch *b, cm_pathint_batch *pb)
{
    cm_status st = check_batch(n, b);
    if (st != CM_OK)
        return st;
    const int64_t BT = (int64_t)b->batch * b->steps;
    cm_place_cells_activate(&n->pc, b->init_pos, b->batch, n->init_place);
    cm_place_cells_activate(&n->pc, b->pos, BT, n->place);
    if (n->hd.n) {
        cm_hd_cells_activate(&n->hd, b->init_theta, b->batch, n->init_hd);
        cm_hd_cells_activate(&n->hd, b->theta, BT, n->hd_t);
    }
    pb->velocity = b->inputs;
    pb->init_place = n->init_place;
    pb->init_hd = n->hd.n ? n->init_hd : NULL;
    pb->place = n->place;
    pb->hd = n->hd.n ? n->hd_t : NULL;
    return CM_OK;
}

/* Mean decoding error of the last forward, t >= 1 (t = 0 is the encoded start). */
static double decode_error(cm_grid_net *n, const cm_grid_batch *b, float *decoded)
{
    const int B = b->batch, T = b->steps, t0 = T > 1 ? 1 : 0;
    cm_pathint_get_place_logits(n->m, n->logits);
    cm_place_cells_decode(&n->pc, n->logits, (int64_t)B * T, n->top_k, decoded);
    double sum = 0;
    for (int e = 0; e < B; e++)
        for (int t = t0; t < T; t++) {
            size_t i = ((size_t)e * T + t) * 2;
            sum += hypot((double)decoded[i] - b->pos[i], (double)decoded[i + 1] - b->pos[i + 1]);
        }
    return sum / ((double)B * (T - t0));
}

static int net_units(void *model)
{
    return cm_pathint_bottleneck_size(((cm_grid_net *)model)->m);
}

static cm_status net_train_step(void *model, const cm_grid_batch *b, cm_rng *rng, double *loss, double *err)
{
    (void)rng; /* the network draws its dropout masks from its own saved stream */
    cm_grid_net *n = model;
    cm_pathint_batch pb;
    cm_status st = fill_targets(n, b, &pb);
    if (st != CM_OK)
        return st;
    cm_pathint_optim(n->m)->cfg.lr = cm_grid_run_lr(&n->cfg, cm_pathint_steps(n->m));
    st = cm_pathint_step(n->m, &pb, loss);
    if (st == CM_ERR_NUMERIC) {
        /* Parameters are untouched; the trainer reports the step and the last
         * good checkpoint. */
        if (isfinite(*loss))
            *loss = NAN;
        *err = NAN;
        return CM_OK;
    }
    if (st != CM_OK)
        return st;
    *err = decode_error(n, b, n->decoded);
    return CM_OK;
}

static cm_status net_evaluate(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    cm_grid_net *n = model;
    cm_pathint_batch pb;
    cm_status st = fill_targets(n, b, &pb);
    if (st != CM_OK)
        return st;
    st = cm_pathint_forward(n->m, &pb, 0, loss);
    if (st != CM_OK)
        return st;
    if (units)
        cm_pathint_get_bottleneck(n->m, units);
    if (decoded)
        decode_error(n, b, decoded);
    return CM_OK;
}

cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir)
{
    return cm_pathint_save(n->m, dir);
}

/* The models module builds a new network from the checkpoint's config.json;
 * it must have the run's shapes, and replaces the current one only then. */
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
    if (st == CM_OK && (b->batch != n->batch || b->seq_len != n->steps))
        st = cm_pathint_resize(loaded, n->batch, n->steps);
    if (st != CM_OK) {
        cm_pathint_free(loaded);
        return st;
    }
    cm_pathint_free(n->m);
    n->m = loaded;
    return CM_OK;
}

static cm_status net_save(void *model, const char *dir)
{
    return cm_grid_net_save(model, dir);
}

static cm_status net_load(void *model, const char *dir)
{
    return cm_grid_net_load(model, dir);
}

const cm_grid_model_ops cm_grid_net_ops = {
    .units = net_units,
    .train_step = net_train_step,
    .evaluate = net_evaluate,
    .save = net_save,
    .load = net_load,
};
