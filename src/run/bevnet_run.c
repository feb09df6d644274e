/* A BEV run's configuration in run.json (bevrun.h): the preset, every
 * configuration key as "key=value", the dataset folders and the seed, so
 * that reading it replays the run's configuration exactly; and the stages a
 * resumed run adds. */
#include "cogmap/bevrun.h"
#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

cm_status cm_bevnet_run_config_init(cm_bevnet_run_config *c, const char *preset, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    c->seed = seed;
    return cm_bevnet_preset(preset, &c->model);
}

cm_status cm_bevnet_run_config_add_data(cm_bevnet_run_config *c, const char *dir)
{
    if (c->n_data >= CM_BEVNET_MAX_DATA)
        return cm_error(CM_ERR_ARG, "--data: at most %d dataset folders", CM_BEVNET_MAX_DATA);
    if (strlen(dir) >= sizeof c->data[0])
        return cm_error(CM_ERR_ARG, "--data %s: path longer than %zu characters", dir, sizeof c->data[0] - 1);
    snprintf(c->data[c->n_data++], sizeof c->data[0], "%s", dir);
    return CM_OK;
}

/* Every key of the configuration as "key=value" (arrays as comma lists). */
static int add_sets(cJSON *sets, const cm_bevnet_config *m)
{
    cJSON *obj = cm_bevnet_config_to_json(m), *it;
    int ok = obj != NULL;
    char buf[256];
    cJSON_ArrayForEach(it, obj)
    {
        if (!ok)
            break;
        if (strcmp(it->string, "preset") == 0)
            continue;
        size_t used = (size_t)snprintf(buf, sizeof buf, "%s=", it->string);
        if (cJSON_IsArray(it)) {
            const cJSON *e;
            int first = 1;
            cJSON_ArrayForEach(e, it)
            {
                used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%d", first ? "" : ",", (int)e->valuedouble);
                first = 0;
            }
        } else {
            snprintf(buf + used, sizeof buf - used, "%.17g", it->valuedouble);
        }
        cJSON *s = cJSON_CreateString(buf);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    cJSON_Delete(obj);
    return ok;
}

cm_status cm_bevnet_run_config_write(const cm_bevnet_run_config *c, const char *run)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", CM_BEVNET_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "bev") && cJSON_AddNumberToObject(root, "version", 1) &&
             cJSON_AddStringToObject(root, "preset", c->model.preset) && cm_run_json_add_seed(root, c->seed);
    cJSON *data = ok ? cJSON_AddArrayToObject(root, "data") : NULL;
    ok = ok && data;
    for (int k = 0; ok && k < c->n_data; k++) {
        cJSON *s = cJSON_CreateString(c->data[k]);
        ok = s && cJSON_AddItemToArray(data, s);
    }
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    ok = ok && sets && add_sets(sets, &c->model);
    return cm_run_json_write(run, root, ok);
}

static cm_status set_key(void *c, const char *kv)
{
    return cm_bevnet_config_set(&((cm_bevnet_run_config *)c)->model, kv);
}

cm_status cm_bevnet_run_config_read(cm_bevnet_run_config *c, const char *run)
{
    char path[4096], preset[32];
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, CM_BEVNET_RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    st = cm_json_get_string(root, path, "preset", 1, preset, sizeof preset);
    if (st == CM_OK && (st = cm_bevnet_run_config_init(c, preset, seed)) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: preset: expected one of %s, got '%s'", path, cm_bevnet_preset_names(),
                      preset);
    const cJSON *data = st == CM_OK ? cJSON_GetObjectItemCaseSensitive(root, "data") : NULL;
    if (st == CM_OK && !cJSON_IsArray(data))
        st = cm_error(CM_ERR_FORMAT, "%s: data: expected an array of dataset folders", path);
    const cJSON *e;
    if (st == CM_OK)
        cJSON_ArrayForEach(e, data)
        {
            if (!cJSON_IsString(e)) {
                st = cm_error(CM_ERR_FORMAT, "%s: data: expected folder names", path);
                break;
            }
            if ((st = cm_bevnet_run_config_add_data(c, e->valuestring)) != CM_OK)
                break;
        }
    /* run.json lists every key; one without anchor_pose predates it and its
     * run trained on SSM-PC's cell-anchored targets, whatever the preset says now */
    if (st == CM_OK)
        c->model.anchor_pose = 0;
    if (st == CM_OK)
        st = cm_run_json_replay_sets(root, path, 0, set_key, c);
    if (st == CM_OK && (st = cm_bevnet_config_check(&c->model)) != CM_OK)
        st = cm_error_context(st, "%s: ", path);
    cJSON_Delete(root);
    return st;
}

int cm_bevnet_run_key_can_change(const char *kv)
{
    /* How a run trains, not what it is: shapes, the data and the batch stay. */
    static const char *const stageable[] = {"lr",      "plateau_factor", "plateau_patience", "clip",       "rgb_w",
                                            "alpha_w", "smooth_w",       "dropout",          "eval_frames"};
    return cm_run_set_key_in(kv, stageable, (int)(sizeof stageable / sizeof *stageable));
}

cm_status cm_bevnet_run_config_restage(const cm_bevnet_run_config *c, const char *run, int64_t step,
                                       const char *const *sets, int n)
{
    cm_status st = cm_bevnet_run_config_write(c, run);
    return st == CM_OK ? cm_run_json_add_stage(run, step, sets, n) : st;
}

int cm_bevnet_is_run(const char *run)
{
    char model[32] = "";
    if (cm_run_model(run, model, sizeof model) != CM_OK) {
        cm_error_clear();
        return 0;
    }
    return strcmp(model, "bev") == 0;
}

cm_status cm_bevnet_run_config_new(cm_bevnet_run_config *c, const char *preset, uint64_t seed,
                                   const char *const *sets, int n_sets, const char *const *data, int n_data)
{
    cm_status st = cm_bevnet_run_config_init(c, preset, seed);
    for (int i = 0; st == CM_OK && i < n_sets; i++)
        st = cm_bevnet_config_set(&c->model, sets[i]);
    for (int i = 0; st == CM_OK && i < n_data; i++)
        st = cm_bevnet_run_config_add_data(c, data[i]);
    return st == CM_OK ? cm_bevnet_config_check(&c->model) : st;
}

cm_status cm_bevnet_job_stage(cm_bevnet_job *j, cm_bevnet_run_config *c, const char *run, int64_t step,
                              const char *const *sets, int n)
{
    cm_status st = CM_OK;
    for (int i = 0; st == CM_OK && i < n; i++)
        if ((st = cm_bevnet_job_set(j, sets[i])) == CM_OK)
            st = cm_bevnet_config_set(&c->model, sets[i]);
    return st == CM_OK && n ? cm_bevnet_run_config_restage(c, run, step, sets, n) : st;
}
