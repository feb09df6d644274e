/* Checkpoints of the path-integration network (models.h): the state dict as
 * safetensors and the configuration as JSON (the model), the optimiser's
 * buffers and counters with the dropout stream (the training side).
 * Loading validates everything before anything is copied. */
#include "models/pathint_internal.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ----------------------------------------------------------- config.json */

typedef enum { F_INT, F_FLOAT, F_DOUBLE } field_type;

typedef struct {
    const char *key;
    field_type type;
    size_t offset;
} config_field;

/* Every numeric field of cm_pathint_config; the enums and the preset name
 * are handled apart. (Files written before the seed left the configuration
 * also hold "seed"; it is ignored.) */
static const config_field fields[] = {
    {"rnn_bias", F_INT, offsetof(cm_pathint_config, rnn_bias)},
    {"input_size", F_INT, offsetof(cm_pathint_config, input_size)},
    {"hidden", F_INT, offsetof(cm_pathint_config, hidden)},
    {"bottleneck", F_INT, offsetof(cm_pathint_config, bottleneck)},
    {"bottleneck_bias", F_INT, offsetof(cm_pathint_config, bottleneck_bias)},
    {"bottleneck_relu", F_INT, offsetof(cm_pathint_config, bottleneck_relu)},
    {"dropout", F_FLOAT, offsetof(cm_pathint_config, dropout)},
    {"n_place", F_INT, offsetof(cm_pathint_config, n_place)},
    {"n_hd", F_INT, offsetof(cm_pathint_config, n_hd)},
    {"readout_bias", F_INT, offsetof(cm_pathint_config, readout_bias)},
    {"init_bias", F_INT, offsetof(cm_pathint_config, init_bias)},
    {"unused_init_fc", F_INT, offsetof(cm_pathint_config, unused_init_fc)},
    {"readout_truncnormal", F_INT, offsetof(cm_pathint_config, readout_truncnormal)},
    {"batch", F_INT, offsetof(cm_pathint_config, batch)},
    {"seq_len", F_INT, offsetof(cm_pathint_config, seq_len)},
    {"frame0_weight", F_FLOAT, offsetof(cm_pathint_config, frame0_weight)},
    {"initial_frames_weight", F_FLOAT, offsetof(cm_pathint_config, initial_frames_weight)},
    {"decay_factor", F_FLOAT, offsetof(cm_pathint_config, decay_factor)},
    {"initial_frames", F_INT, offsetof(cm_pathint_config, initial_frames)},
    {"init_loss_weight", F_FLOAT, offsetof(cm_pathint_config, init_loss_weight)},
    {"continuity_weight", F_FLOAT, offsetof(cm_pathint_config, continuity_weight)},
    {"continuity_frames", F_INT, offsetof(cm_pathint_config, continuity_frames)},
    {"continuity_step", F_FLOAT, offsetof(cm_pathint_config, continuity_step)},
    {"l2_recurrent", F_FLOAT, offsetof(cm_pathint_config, l2_recurrent)},
    {"lr", F_DOUBLE, offsetof(cm_pathint_config, optim.lr)},
    {"momentum", F_DOUBLE, offsetof(cm_pathint_config, optim.momentum)},
    {"alpha", F_DOUBLE, offsetof(cm_pathint_config, optim.alpha)},
    {"beta1", F_DOUBLE, offsetof(cm_pathint_config, optim.beta1)},
    {"beta2", F_DOUBLE, offsetof(cm_pathint_config, optim.beta2)},
    {"eps", F_DOUBLE, offsetof(cm_pathint_config, optim.eps)},
    {"weight_decay", F_DOUBLE, offsetof(cm_pathint_config, optim.weight_decay)},
    {"clip_norm", F_FLOAT, offsetof(cm_pathint_config, clip_norm)},
    {"clip_value", F_FLOAT, offsetof(cm_pathint_config, clip_value)},
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

/* Fields added after config.json files were first written: absent means 0. */
static int field_optional(const char *key) { return strcmp(key, "bottleneck_relu") == 0; }

static const char *cell_names[] = {"lstm", "rnn"};
static const char *act_names[] = {"relu", "tanh"};
static const char *loss_names[] = {"ssmpc", "xent", "mse"};

static int name_index(const char *const *names, int n, const char *s)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    return -1;
}

static cm_status config_to_json(const cm_pathint_config *c, cJSON **out)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return cm_error(CM_ERR_NOMEM, "config.json: cannot build the document");
    int ok = cJSON_AddStringToObject(o, "model", "pathint") && cJSON_AddStringToObject(o, "preset", c->preset) &&
             cJSON_AddStringToObject(o, "cell", cell_names[c->cell]) &&
             cJSON_AddStringToObject(o, "rnn_activation", act_names[c->rnn_activation]) &&
             cJSON_AddStringToObject(o, "loss", loss_names[c->loss]) &&
             cJSON_AddStringToObject(o, "optimizer", cm_optim_name(c->optim.kind));
    for (size_t i = 0; ok && i < N_FIELDS; i++) {
        const char *p = (const char *)c + fields[i].offset;
        double v = fields[i].type == F_INT ? *(const int *)p
                   : fields[i].type == F_FLOAT ? (double)*(const float *)p
                                               : *(const double *)p;
        ok = cJSON_AddNumberToObject(o, fields[i].key, v) != NULL;
    }
    if (!ok) {
        cJSON_Delete(o);
        return cm_error(CM_ERR_NOMEM, "config.json: cannot build the document");
    }
    *out = o;
    return CM_OK;
}

static cm_status config_from_json(const cJSON *o, const char *file, cm_pathint_config *c)
{
    memset(c, 0, sizeof *c);
    char s[64];
    cm_status st = cm_json_get_string(o, file, "model", 1, s, sizeof s);
    if (!st && strcmp(s, "pathint") != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: model: expected \"pathint\", got \"%s\"", file, s);
    if (!st)
        st = cm_json_get_string(o, file, "preset", 1, c->preset, sizeof c->preset);
    int idx;
    if (!st && !(st = cm_json_get_string(o, file, "cell", 1, s, sizeof s)) && (idx = name_index(cell_names, 2, s)) < 0)
        st = cm_error(CM_ERR_FORMAT, "%s: cell: expected lstm or rnn, got \"%s\"", file, s);
    if (!st)
        c->cell = (cm_pathint_cell)idx;
    if (!st && !(st = cm_json_get_string(o, file, "rnn_activation", 1, s, sizeof s)) &&
        (idx = name_index(act_names, 2, s)) < 0)
        st = cm_error(CM_ERR_FORMAT, "%s: rnn_activation: expected relu or tanh, got \"%s\"", file, s);
    if (!st)
        c->rnn_activation = (cm_activation)idx;
    if (!st && !(st = cm_json_get_string(o, file, "loss", 1, s, sizeof s)) && (idx = name_index(loss_names, 3, s)) < 0)
        st = cm_error(CM_ERR_FORMAT, "%s: loss: expected ssmpc, xent or mse, got \"%s\"", file, s);
    if (!st)
        c->loss = (cm_pathint_loss)idx;
    if (!st && !(st = cm_json_get_string(o, file, "optimizer", 1, s, sizeof s))) {
        idx = -1;
        for (int k = CM_OPTIM_SGD; k <= CM_OPTIM_RMSPROP_TF; k++)
            if (strcmp(s, cm_optim_name((cm_optim_kind)k)) == 0)
                idx = k;
        if (idx < 0)
            st = cm_error(CM_ERR_FORMAT, "%s: optimizer: expected sgd, adam, adamw, rmsprop or rmsprop-tf, got \"%s\"",
                          file, s);
        else
            c->optim.kind = (cm_optim_kind)idx;
    }
    for (size_t i = 0; !st && i < N_FIELDS; i++) {
        double v = 0.0;
        st = cm_json_get_number(o, file, fields[i].key, !field_optional(fields[i].key), &v);
        char *p = (char *)c + fields[i].offset;
        if (st)
            break;
        /* Range first: converting a double outside int or float is undefined
         * (found by fuzzing: tests/data/fuzz-regressions/checkpoint/). */
        if (fields[i].type == F_INT) {
            if (!(v >= INT_MIN && v <= INT_MAX) || v != floor(v))
                st = cm_error(CM_ERR_FORMAT, "%s: %s: expected an integer of 32 bits, got %g", file, fields[i].key, v);
            else
                *(int *)p = (int)v;
        } else if (fields[i].type == F_FLOAT) {
            if (!cm_fits_float(v))
                st = cm_error(CM_ERR_FORMAT, "%s: %s: expected a number within float range, got %g", file,
                              fields[i].key, v);
            else
                *(float *)p = (float)v;
        } else {
            *(double *)p = v;
        }
    }
    if (!st)
        st = cm_pathint_config_check(c);
    return st ? cm_error_context(st, "%s: ", file) : CM_OK;
}

/* ---------------------------------------------------------------- save */

cm_status cm_pathint_optim_save(const cm_optim *o, const cm_rng *dropout, const char *dir)
{
    char path[4096], step[32], rng[160], kind[32];
    cm_status s = cm_mkdir_p(dir);
    if (!s)
        s = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (s)
        return s;
    snprintf(step, sizeof step, "%" PRId64, o->t);
    snprintf(kind, sizeof kind, "%s", cm_optim_name(o->cfg.kind));
    snprintf(rng, sizeof rng, "%016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %016" PRIx64 " %d %a", dropout->s[0],
             dropout->s[1], dropout->s[2], dropout->s[3], dropout->has_normal, dropout->cached_normal);
    const char *keys[] = {"step", "optimizer", "dropout_rng"}, *vals[] = {step, kind, rng};
    size_t n = cm_optim_state_floats(o);
    int64_t shape[1] = {(int64_t)(n ? n : 1)};
    float zero = 0.0f;
    cm_array a = cm_array_view("state", CM_F32, 1, shape, n ? (const void *)o->state : (const void *)&zero);
    return cm_safetensors_write(path, &a, 1, keys, vals, 3);
}

cm_status cm_pathint_save(const cm_pathint *m, const char *dir)
{
    char path[4096];
    cm_status s = cm_mkdir_p(dir);
    if (!s)
        s = cm_path_join(path, sizeof path, dir, "model.safetensors");
    if (!s) {
        const char *keys[] = {"format", "model"}, *vals[] = {"pt", "cogmap pathint"};
        s = cm_params_save(&m->params, path, keys, vals, 2);
    }
    if (!s)
        s = cm_path_join(path, sizeof path, dir, "config.json");
    cJSON *root = NULL;
    if (!s)
        s = config_to_json(&m->cfg, &root);
    if (!s)
        s = cm_json_write(path, root);
    cJSON_Delete(root);
    return s;
}

/* ---------------------------------------------------------------- load */

cm_status cm_pathint_load_weights(cm_pathint *m, const char *path) { return cm_params_load(&m->params, path, 1); }

cm_status cm_pathint_optim_load(cm_optim *o, cm_rng *dropout, const char *dir)
{
    char path[4096];
    cm_status s = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (s)
        return s;
    cm_safetensors st;
    s = cm_safetensors_read(path, &st);
    if (s)
        return s;
    size_t n = cm_optim_state_floats(o);
    const cm_array *a = cm_safetensors_get(&st, "state");
    const char *step = cm_safetensors_meta(&st, "step"), *kind = cm_safetensors_meta(&st, "optimizer");
    const char *rng = cm_safetensors_meta(&st, "dropout_rng");
    cm_rng r = {{0}, 0, 0.0};
    long long t = -1;
    if (!a)
        s = cm_error(CM_ERR_FORMAT, "%s: tensor state: missing", path);
    else if (a->dtype != CM_F32 || a->ndim != 1 || a->shape[0] != (int64_t)(n ? n : 1))
        s = cm_error(CM_ERR_FORMAT, "%s: tensor state: expected F32 [%zu], got %s with %d dims [%lld]", path,
                     n ? n : 1, cm_dtype_name(a->dtype), a->ndim, a->ndim ? (long long)a->shape[0] : 0LL);
    else if (!kind || strcmp(kind, cm_optim_name(o->cfg.kind)) != 0)
        s = cm_error(CM_ERR_FORMAT, "%s: metadata optimizer: expected \"%s\", got \"%s\"", path,
                     cm_optim_name(o->cfg.kind), kind ? kind : "(missing)");
    else if (!step || sscanf(step, "%lld", &t) != 1 || t < 0)
        s = cm_error(CM_ERR_FORMAT, "%s: metadata step: expected a count >= 0, got \"%s\"", path,
                     step ? step : "(missing)");
    else if (!rng || sscanf(rng, "%" SCNx64 " %" SCNx64 " %" SCNx64 " %" SCNx64 " %d %la", &r.s[0], &r.s[1], &r.s[2],
                            &r.s[3], &r.has_normal, &r.cached_normal) != 6)
        s = cm_error(CM_ERR_FORMAT, "%s: metadata dropout_rng: expected 4 hex words, a flag and a number", path);
    if (!s) {
        if (n)
            memcpy(o->state, a->data, n * sizeof(float));
        o->t = t;
        *dropout = r;
    }
    cm_safetensors_free(&st);
    return s;
}

cm_status cm_pathint_load(const char *dir, cm_pathint **out)
{
    *out = NULL;
    char path[4096];
    cm_status s = cm_path_join(path, sizeof path, dir, "config.json");
    cJSON *root = NULL;
    cm_pathint_config cfg;
    if (!s)
        s = cm_json_read(path, &root);
    if (!s)
        s = config_from_json(root, path, &cfg);
    cJSON_Delete(root);
    cm_pathint *m = NULL;
    if (!s)
        s = cm_pathint_create(&cfg, 0, &m); /* the weights are the file's */
    if (!s)
        s = cm_path_join(path, sizeof path, dir, "model.safetensors");
    if (!s)
        s = cm_params_load(&m->params, path, 1);
    if (s) {
        cm_pathint_free(m);
        return s;
    }
    *out = m;
    return CM_OK;
}
