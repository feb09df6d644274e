/* Detector runs' configuration (detrun.h): run.json holds the preset and
 * every setting as "key=value", replayed in order on read; dataset folders
 * under "data". */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/detrun.h"
#include "cogmap/io.h"

#define DET_RUN_FORMAT "cogmap detector run"

cm_status cm_detector_run_config_init(cm_detector_run_config *c, const char *preset, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_status st = cm_detector_preset(preset, &c->model);
    if (st)
        return st;
    cm_detector_data_config_default(&c->data);
    c->data.objects = c->model.objects;
    c->data.maze_size = c->model.maze_size;
    c->eval_frames = 512;
    c->seed = seed;
    return CM_OK;
}

/* Data keys and eval_frames; everything else is the model's. */
static cm_status set_other(cm_detector_run_config *c, const char *key, const char *v, int *done)
{
    char *end = NULL;
    errno = 0;
    *done = 1;
    if (!strcmp(key, "train_mazes") || !strcmp(key, "eval_mazes") || !strcmp(key, "maze_steps") ||
        !strcmp(key, "eval_frames")) {
        long x = strtol(v, &end, 10);
        if (errno || !*v || *end || x < 1 || x > 100000000L)
            return cm_error(CM_ERR_ARG, "--set %s: expected a positive integer, got '%s'", key, v);
        int *field = !strcmp(key, "train_mazes") ? &c->data.train_mazes
                     : !strcmp(key, "eval_mazes") ? &c->data.eval_mazes
                     : !strcmp(key, "maze_steps") ? &c->data.maze_steps
                                                  : &c->eval_frames;
        *field = (int)x;
        return CM_OK;
    }
    if (!strcmp(key, "fov") || !strcmp(key, "policy_noise")) {
        double x = strtod(v, &end);
        if (errno || !*v || *end || !isfinite(x))
            return cm_error(CM_ERR_ARG, "--set %s: expected a finite number, got '%s'", key, v);
        *(!strcmp(key, "fov") ? &c->data.fov : &c->data.policy_noise) = (float)x;
        return CM_OK;
    }
    *done = 0;
    return CM_OK;
}

cm_status cm_detector_run_config_set(cm_detector_run_config *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv || eq - kv >= 64)
        return cm_error(CM_ERR_ARG, "--set %s: expected key=value", kv);
    if (strlen(kv) >= sizeof c->sets[0])
        return cm_error(CM_ERR_ARG, "--set %.40s...: longer than %zu characters", kv, sizeof c->sets[0] - 1);
    if (c->n_sets >= CM_DETECTOR_MAX_SETS)
        return cm_error(CM_ERR_ARG, "--set %s: more than %d settings", kv, CM_DETECTOR_MAX_SETS);
    char key[64];
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = 0;
    int done;
    cm_status st = set_other(c, key, eq + 1, &done);
    if (!st && !done) {
        st = cm_detector_config_set(&c->model, kv);
        /* the data follow the model's targets and maze */
        c->data.objects = c->model.objects;
        c->data.maze_size = c->model.maze_size;
    }
    if (st)
        return st;
    snprintf(c->sets[c->n_sets++], sizeof c->sets[0], "%s", kv);
    return CM_OK;
}

cm_status cm_detector_run_config_add_data(cm_detector_run_config *c, const char *dir)
{
    if (c->n_dirs >= CM_DETECTOR_MAX_DATA)
        return cm_error(CM_ERR_ARG, "--data %s: more than %d dataset folders", dir, CM_DETECTOR_MAX_DATA);
    if (strlen(dir) >= sizeof c->dirs[0])
        return cm_error(CM_ERR_ARG, "--data: path longer than %zu characters", sizeof c->dirs[0] - 1);
    snprintf(c->dirs[c->n_dirs++], sizeof c->dirs[0], "%s", dir);
    return CM_OK;
}

int cm_detector_run_key_can_change(const char *kv)
{
    static const char *const keys[] = {"lr",         "dropout",    "plateau_factor", "plateau_patience",
                                       "eval_frames", "vis_weight", "pos_weight",     "att_weight",
                                       "dir_weight",  "entropy_weight"};
    const char *eq = strchr(kv, '=');
    size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strlen(keys[i]) == n && !strncmp(kv, keys[i], n))
            return 1;
    return 0;
}

cm_status cm_detector_run_config_write(const cm_detector_run_config *c, const char *run)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", DET_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "detector") && cm_run_json_add_seed(root, c->seed) &&
             cJSON_AddStringToObject(root, "preset", c->model.preset);
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    cJSON *data = sets ? cJSON_AddArrayToObject(root, "data") : NULL;
    ok = ok && sets && data;
    for (int i = 0; ok && i < c->n_sets; i++) {
        cJSON *s = cJSON_CreateString(c->sets[i]);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    for (int i = 0; ok && i < c->n_dirs; i++) {
        cJSON *s = cJSON_CreateString(c->dirs[i]);
        ok = s && cJSON_AddItemToArray(data, s);
    }
    return cm_run_json_write(run, root, ok);
}

static cm_status replay(void *ctx, const char *kv) { return cm_detector_run_config_set(ctx, kv); }

cm_status cm_detector_run_config_read(cm_detector_run_config *c, const char *run)
{
    char path[4096], preset[32] = "";
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, DET_RUN_FORMAT, path, &root, &seed);
    if (st)
        return st;
    st = cm_json_get_string(root, path, "preset", 1, preset, sizeof preset);
    if (!st && (st = cm_detector_run_config_init(c, preset, seed)))
        cm_error_context(st, "%s: preset: ", path);
    if (!st)
        st = cm_run_json_replay_sets(root, path, 0, replay, c);
    const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data"), *it;
    if (!st && data && !cJSON_IsArray(data))
        st = cm_error(CM_ERR_FORMAT, "%s: data: expected an array of folders", path);
    cJSON_ArrayForEach(it, data)
    {
        if (st)
            break;
        if (!cJSON_IsString(it))
            st = cm_error(CM_ERR_FORMAT, "%s: data: expected folder names", path);
        else
            st = cm_detector_run_config_add_data(c, it->valuestring);
    }
    if (!st)
        st = cm_detector_config_check(&c->model);
    cJSON_Delete(root);
    return st;
}

cm_status cm_detector_run_config_new(cm_detector_run_config *c, const char *preset, uint64_t seed,
                                     const char *const *sets, int n_sets, const char *const *data, int n_data)
{
    cm_status st = cm_detector_run_config_init(c, preset, seed);
    for (int i = 0; st == CM_OK && i < n_sets; i++)
        st = cm_detector_run_config_set(c, sets[i]);
    for (int i = 0; st == CM_OK && i < n_data; i++)
        st = cm_detector_run_config_add_data(c, data[i]);
    return st == CM_OK ? cm_detector_config_check(&c->model) : st;
}

cm_status cm_detector_job_stage(cm_detector_job *j, cm_detector_run_config *c, const char *run, int64_t step,
                                const char *const *sets, int n)
{
    cm_status st = CM_OK;
    for (int i = 0; st == CM_OK && i < n; i++)
        if ((st = cm_detector_job_set(j, sets[i])) == CM_OK)
            st = cm_detector_run_config_set(c, sets[i]);
    if (st == CM_OK && n && (st = cm_detector_run_config_write(c, run)) == CM_OK)
        st = cm_run_json_add_stage(run, step, sets, n);
    return st;
}
