/* Detector checkpoints (detector.h): model.safetensors in PyTorch names and
 * config.json (the preset and every setting as "key=value"). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/io.h"
#include "detector_internal.h"

#define DET_FORMAT "cogmap-detector"

cm_status cm_detector_save(const cm_detector *m, const char *dir)
{
    cm_status st = cm_mkdir_p(dir);
    if (st)
        return st;
    char path[4096];
    if ((st = cm_path_join(path, sizeof path, dir, "model.safetensors")))
        return st;
    const char *keys[2] = {"format", "model"}, *values[2] = {"pt", "detector"};
    if ((st = cm_params_save(&m->p, path, keys, values, 2)))
        return st;
    cJSON *root = cJSON_CreateObject();
    cJSON *sets = root ? cJSON_AddArrayToObject(root, "sets") : NULL;
    int ok = sets && cJSON_AddStringToObject(root, "format", DET_FORMAT) &&
             cJSON_AddStringToObject(root, "preset", m->cfg.preset);
    char kv[32][64];
    int n = cm_detector_config_list(&m->cfg, kv, 32);
    for (int i = 0; ok && i < n; i++) {
        cJSON *s = cJSON_CreateString(kv[i]);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build config.json", dir);
    }
    if ((st = cm_path_join(path, sizeof path, dir, "config.json")) == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

cm_status cm_detector_load(const char *dir, cm_detector **out)
{
    *out = NULL;
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "config.json");
    if (st)
        return st;
    cJSON *root = NULL;
    if ((st = cm_json_read(path, &root)))
        return st;
    char format[64] = "", preset[32] = "";
    cm_detector_config cfg;
    if ((st = cm_json_get_string(root, path, "format", 1, format, sizeof format)) == CM_OK &&
        strcmp(format, DET_FORMAT) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: format: expected \"%s\", got \"%s\"", path, DET_FORMAT, format);
    if (st == CM_OK)
        st = cm_json_get_string(root, path, "preset", 1, preset, sizeof preset);
    if (st == CM_OK && (st = cm_detector_preset(preset, &cfg)))
        cm_error_context(st, "%s: preset: ", path);
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(root, "sets");
    if (st == CM_OK && !cJSON_IsArray(sets))
        st = cm_error(CM_ERR_FORMAT, "%s: sets: expected an array of \"key=value\" strings", path);
    const cJSON *it;
    cJSON_ArrayForEach(it, sets)
    {
        if (st)
            break;
        if (!cJSON_IsString(it))
            st = cm_error(CM_ERR_FORMAT, "%s: sets: expected strings", path);
        else if ((st = cm_detector_config_set(&cfg, it->valuestring)))
            cm_error_context(st, "%s: sets: ", path);
    }
    cJSON_Delete(root);
    if (st)
        return st;
    cm_detector *m;
    if ((st = cm_detector_create(&cfg, 0, &m)))
        return cm_error_context(st, "%s: ", path);
    if ((st = cm_path_join(path, sizeof path, dir, "model.safetensors")) == CM_OK)
        st = cm_detector_load_weights(m, path);
    if (st) {
        cm_detector_free(m);
        return st;
    }
    *out = m;
    return CM_OK;
}

cm_status cm_detector_load_weights(cm_detector *m, const char *path)
{
    cm_safetensors f;
    cm_status st = cm_safetensors_read(path, &f);
    if (st)
        return st;
    for (int i = 0; i < f.count && st == CM_OK; i++) {
        const char *name = f.tensors[i].name;
        size_t len = strlen(name);
        int counter = len > 19 && strcmp(name + len - 19, "num_batches_tracked") == 0;
        if (!counter && cm_params_find(&m->p, name) < 0)
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: not a tensor of the %s detector", path, name,
                          m->cfg.preset);
    }
    cm_safetensors_free(&f);
    if (st)
        return st;
    return cm_params_load(&m->p, path, 0);
}
