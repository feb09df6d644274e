/* A grid-cell run's configuration: preset defaults, key=value overrides, and
 * <run>/run.json, which records the preset and the overrides so that reading
 * it replays the configuration exactly (run.h). */
#include "cogmap/run.h"
#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define RUN_FORMAT "cogmap grid-cell run"

cm_status cm_grid_run_config_init(cm_grid_run_config *c, const char *preset, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_status st = cm_pathint_preset(preset, &c->net);
    if (st != CM_OK)
        return st;
    snprintf(c->preset, sizeof c->preset, "%s", preset);
    c->seed = seed;
    c->motion_scale = 1.0f;
    c->eval_batches = 8;
    c->place_dog = -1;
    c->arena_scale = 1.0f;
    c->maze_count = 256;
    c->lr_schedule = CM_SCHED_CONSTANT;
    c->lr_decay_steps = 1;
    c->lr_gamma = 0.5;
    if (strcmp(preset, "ssmpc") == 0) {
        /* SSM-PC's 15 x 15 arena in grid units. Its maze trajectories are not
         * public; the open-arena stand-in is the rat model scaled 10x, a mean
         * step of about 0.2 units (the walk measurements.md timed PyTorch on). */
        strcpy(c->cells, "ssmpc");
        strcpy(c->arena, "box15");
        strcpy(c->motion, "sorscher");
        c->motion_scale = 10.0f;
    } else if (strcmp(preset, "banino") == 0) {
        strcpy(c->cells, "banino");
        strcpy(c->arena, "box");
        strcpy(c->motion, "banino");
        c->eval_batches = 20;
    } else {
        strcpy(c->cells, "sorscher");
        strcpy(c->arena, "box");
        strcpy(c->motion, "sorscher");
        c->eval_batches = 2;
    }
    return CM_OK;
}

static cm_status parse_int(const char *key, const char *v, long lo, long hi, int *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || !end || *end || end == v || x < lo || x > hi)
        return cm_error(CM_ERR_ARG, "--set %s: expected an integer in %ld..%ld, got '%s'", key, lo, hi, v);
    *out = (int)x;
    return CM_OK;
}

static cm_status parse_real(const char *key, const char *v, double lo, double hi, double *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || !end || *end || end == v || !(x >= lo && x <= hi))
        return cm_error(CM_ERR_ARG, "--set %s: expected a number in [%g, %g], got '%s'", key, lo, hi, v);
    *out = x;
    return CM_OK;
}

static cm_status parse_name(const char *key, const char *v, char *out, size_t size)
{
    if (!v[0] || strlen(v) >= size)
        return cm_error(CM_ERR_ARG, "--set %s: expected a name of 1..%zu characters, got '%s'", key, size - 1, v);
    snprintf(out, size, "%s", v);
    return CM_OK;
}

static const char set_keys[] = "batch, steps, hidden, bottleneck, dropout, lr, momentum, weight_decay, alpha, eps, "
                               "beta1, beta2, clip_norm, clip_value, l2_recurrent, arena, motion, motion_scale, "
                               "cells, eval_batches, place_sigma, place_dog, surround_scale, dog_temperature, "
                               "place_count, bottleneck_relu, "
                               "lr_schedule, lr_decay_start, lr_decay_steps, lr_min, lr_gamma, arena_scale, "
                               "maze_count, loss, hd_cells";

void cm_grid_run_map(const cm_grid_run_config *c, cm_grid_map_spec *m)
{
    const double s = c->arena_scale;
    m->ssmpc_masks = strcmp(c->cells, "ssmpc") == 0;
    if (m->ssmpc_masks) {
        m->nbins = (int)lrint(40 * s);
        m->lo = 0.0;
        m->hi = 15.0 * s;
    } else {
        m->nbins = (int)lrint(20 * s);
        m->lo = -1.1 * s;
        m->hi = 1.1 * s;
    }
}

double cm_grid_run_lr(const cm_grid_run_config *c, int64_t step)
{
    const double lr0 = c->net.optim.lr;
    if (c->lr_schedule == CM_SCHED_CONSTANT || step < c->lr_decay_start)
        return lr0;
    int64_t e = step - c->lr_decay_start;
    cm_sched s;
    cm_sched_init(&s, c->lr_schedule, lr0);
    if (c->lr_schedule == CM_SCHED_COSINE) {
        /* PyTorch's closed form rises again after t_max: hold the floor. */
        if (e > c->lr_decay_steps)
            e = c->lr_decay_steps;
        s.t_max = (int)c->lr_decay_steps;
        s.eta_min = c->lr_min;
    } else {
        s.step_size = (int)c->lr_decay_steps;
        s.gamma = c->lr_gamma;
    }
    return cm_sched_step(&s, (int)e, 0.0);
}

static cm_status parse_loss(const char *key, const char *v, cm_pathint_loss *out)
{
    if (strcmp(v, "ssmpc") == 0)
        *out = CM_PATHINT_LOSS_SSMPC;
    else if (strcmp(v, "xent") == 0)
        *out = CM_PATHINT_LOSS_XENT;
    else if (strcmp(v, "mse") == 0)
        *out = CM_PATHINT_LOSS_MSE;
    else
        return cm_error(CM_ERR_ARG, "--set %s: expected ssmpc, xent or mse, got '%s'", key, v);
    return CM_OK;
}

static cm_status parse_schedule(const char *key, const char *v, cm_sched_kind *out)
{
    if (strcmp(v, "constant") == 0)
        *out = CM_SCHED_CONSTANT;
    else if (strcmp(v, "cosine") == 0)
        *out = CM_SCHED_COSINE;
    else if (strcmp(v, "step") == 0)
        *out = CM_SCHED_STEP;
    else
        return cm_error(CM_ERR_ARG, "--set %s: expected constant, cosine or step, got '%s'", key, v);
    return CM_OK;
}

cm_status cm_grid_run_config_set(cm_grid_run_config *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    char key[64];
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return cm_error(CM_ERR_ARG, "--set: expected key=value, got '%s'", kv);
    if (c->n_sets >= CM_GRID_MAX_SETS || strlen(kv) >= sizeof c->sets[0])
        return cm_error(CM_ERR_ARG, "--set: at most %d overrides of under %zu characters", CM_GRID_MAX_SETS,
                        sizeof c->sets[0]);
    snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
    const char *v = eq + 1;
    cm_pathint_config *n = &c->net;
    double x = 0;
    cm_status st;
    if (strcmp(key, "batch") == 0)
        st = parse_int(key, v, 1, 100000, &n->batch);
    else if (strcmp(key, "steps") == 0)
        st = parse_int(key, v, 1, 100000, &n->seq_len);
    else if (strcmp(key, "hidden") == 0)
        st = parse_int(key, v, 1, 65536, &n->hidden);
    else if (strcmp(key, "bottleneck") == 0)
        st = parse_int(key, v, 0, 65536, &n->bottleneck);
    else if (strcmp(key, "eval_batches") == 0)
        st = parse_int(key, v, 1, 100000, &c->eval_batches);
    else if (strcmp(key, "place_dog") == 0)
        st = parse_int(key, v, 0, 1, &c->place_dog);
    else if (strcmp(key, "place_count") == 0)
        st = parse_int(key, v, 1, 1 << 20, &c->place_count);
    else if (strcmp(key, "arena_scale") == 0) {
        st = parse_real(key, v, 0.25, 8, &x);
        c->arena_scale = (float)x;
    } else if (strcmp(key, "maze_count") == 0)
        st = parse_int(key, v, 1, 100000, &c->maze_count);
    else if (strcmp(key, "bottleneck_relu") == 0)
        st = parse_int(key, v, 0, 1, &n->bottleneck_relu);
    else if (strcmp(key, "lr_schedule") == 0)
        st = parse_schedule(key, v, &c->lr_schedule);
    else if (strcmp(key, "lr_decay_start") == 0) {
        int k = 0;
        st = parse_int(key, v, 0, 1000000000, &k);
        c->lr_decay_start = k;
    } else if (strcmp(key, "lr_decay_steps") == 0) {
        int k = 0;
        st = parse_int(key, v, 1, 1000000000, &k);
        c->lr_decay_steps = k;
    } else if (strcmp(key, "lr_min") == 0)
        st = parse_real(key, v, 0, 10, &c->lr_min);
    else if (strcmp(key, "lr_gamma") == 0)
        st = parse_real(key, v, 1e-6, 1, &c->lr_gamma);
    else if (strcmp(key, "place_sigma") == 0) {
        st = parse_real(key, v, 1e-6, 1e6, &x);
        c->place_sigma = (float)x;
    } else if (strcmp(key, "surround_scale") == 0) {
        /* The surround must be wider than the centre for a DoG to be one. */
        st = parse_real(key, v, 1.0001, 1e6, &x);
        c->surround_scale = (float)x;
    } else if (strcmp(key, "dog_temperature") == 0) {
        st = parse_real(key, v, 1e-6, 1e6, &x);
        c->dog_temperature = (float)x;
    } else if (strcmp(key, "dropout") == 0) {
        st = parse_real(key, v, 0, 0.99, &x);
        n->dropout = (float)x;
    } else if (strcmp(key, "lr") == 0)
        st = parse_real(key, v, 0, 10, &n->optim.lr);
    else if (strcmp(key, "momentum") == 0)
        st = parse_real(key, v, 0, 0.9999, &n->optim.momentum);
    else if (strcmp(key, "weight_decay") == 0)
        st = parse_real(key, v, 0, 10, &n->optim.weight_decay);
    else if (strcmp(key, "alpha") == 0)
        st = parse_real(key, v, 0, 0.9999999, &n->optim.alpha);
    else if (strcmp(key, "eps") == 0)
        st = parse_real(key, v, 0, 1, &n->optim.eps);
    else if (strcmp(key, "beta1") == 0)
        st = parse_real(key, v, 0, 0.9999999, &n->optim.beta1);
    else if (strcmp(key, "beta2") == 0)
        st = parse_real(key, v, 0, 0.9999999, &n->optim.beta2);
    else if (strcmp(key, "clip_norm") == 0) {
        st = parse_real(key, v, 0, 1e30, &x);
        n->clip_norm = (float)x;
    } else if (strcmp(key, "clip_value") == 0) {
        st = parse_real(key, v, 0, 1e30, &x);
        n->clip_value = (float)x;
    } else if (strcmp(key, "l2_recurrent") == 0) {
        st = parse_real(key, v, 0, 10, &x);
        n->l2_recurrent = (float)x;
    } else if (strcmp(key, "motion_scale") == 0) {
        st = parse_real(key, v, 1e-6, 1e6, &x);
        c->motion_scale = (float)x;
    } else if (strcmp(key, "arena") == 0)
        st = parse_name(key, v, c->arena, sizeof c->arena);
    else if (strcmp(key, "motion") == 0)
        st = parse_name(key, v, c->motion, sizeof c->motion);
    else if (strcmp(key, "cells") == 0)
        st = parse_name(key, v, c->cells, sizeof c->cells);
    else if (strcmp(key, "hd_cells") == 0)
        st = parse_int(key, v, 0, 65536, &n->n_hd);
    else if (strcmp(key, "loss") == 0)
        st = parse_loss(key, v, &n->loss);
    else
        st = cm_error(CM_ERR_ARG, "--set: unknown key '%s'; known keys: %s", key, set_keys);
    if (st != CM_OK)
        return st;
    snprintf(c->sets[c->n_sets++], sizeof c->sets[0], "%s", kv);
    return CM_OK;
}

cm_status cm_grid_run_config_write(const cm_grid_run_config *c, const char *run)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", RUN_FORMAT) &&
             cJSON_AddNumberToObject(root, "version", 1) && cJSON_AddStringToObject(root, "preset", c->preset) &&
             cm_run_json_add_seed(root, c->seed) && cJSON_AddStringToObject(root, "data", c->data);
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    ok = ok && sets;
    for (int i = 0; ok && i < c->n_sets; i++) {
        cJSON *s = cJSON_CreateString(c->sets[i]);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    /* The resolved values, for readers; run.json is replayed from preset + sets. */
    cJSON *res = ok ? cJSON_AddObjectToObject(root, "resolved") : NULL;
    ok = ok && res && cJSON_AddStringToObject(res, "cells", c->cells) &&
         cJSON_AddStringToObject(res, "arena", c->arena) && cJSON_AddStringToObject(res, "motion", c->motion) &&
         cJSON_AddNumberToObject(res, "motion_scale", c->motion_scale) &&
         cJSON_AddNumberToObject(res, "batch", c->net.batch) && cJSON_AddNumberToObject(res, "steps", c->net.seq_len) &&
         cJSON_AddNumberToObject(res, "hidden", c->net.hidden) &&
         cJSON_AddNumberToObject(res, "bottleneck", c->net.bottleneck) &&
         cJSON_AddNumberToObject(res, "dropout", c->net.dropout) && cJSON_AddNumberToObject(res, "lr", c->net.optim.lr) &&
         cJSON_AddStringToObject(res, "optimizer", cm_optim_name(c->net.optim.kind)) &&
         cJSON_AddNumberToObject(res, "eval_batches", c->eval_batches);
    return cm_run_json_write(run, root, ok);
}

static cm_status set_key(void *c, const char *kv) { return cm_grid_run_config_set(c, kv); }

cm_status cm_grid_run_config_read(cm_grid_run_config *c, const char *run)
{
    char path[4096], preset[32] = "", data[4096] = "";
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    st = cm_json_get_string(root, path, "preset", 1, preset, sizeof preset);
    if (st == CM_OK)
        st = cm_json_get_string(root, path, "data", 0, data, sizeof data);
    if (st == CM_OK) {
        st = cm_grid_run_config_init(c, preset, seed);
        if (st != CM_OK)
            st = cm_error_context(st, "%s: preset: ", path);
    }
    /* No "sets": the preset as it is. */
    if (st == CM_OK)
        st = cm_run_json_replay_sets(root, path, 1, set_key, c);
    if (st == CM_OK)
        snprintf(c->data, sizeof c->data, "%s", data);
    cJSON_Delete(root);
    return st;
}
