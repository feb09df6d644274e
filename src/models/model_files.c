/* config.json and model.safetensors of a model's checkpoint folder (model_files.h). */
#include "models/model_files.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

cJSON *mfiles_config_begin(const char *format, const char *preset)
{
    cJSON *o = cJSON_CreateObject();
    if (o && !(cJSON_AddStringToObject(o, "format", format) && cJSON_AddStringToObject(o, "preset", preset))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

cm_status mfiles_save(const char *dir, cJSON *config, int ok, const cm_params *params)
{
    if (!config || !ok) {
        cJSON_Delete(config);
        return cm_error(CM_ERR_NOMEM, "%s/config.json: cannot build the document", dir);
    }
    cm_status st = cm_mkdir_p(dir);
    char path[4200];
    if (st == CM_OK) {
        snprintf(path, sizeof path, "%s/config.json", dir);
        st = cm_json_write(path, config);
    }
    cJSON_Delete(config);
    if (st != CM_OK)
        return st;
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    const char *keys[] = {"format"}, *values[] = {"pt"};
    return cm_params_save(params, path, keys, values, 1);
}

cm_status mfiles_read_config(const char *dir, const char *format, cJSON **config, char *path, size_t path_size,
                             char *preset, size_t preset_size)
{
    *config = NULL;
    snprintf(path, path_size, "%s/config.json", dir);
    cJSON *o = NULL;
    cm_status st = cm_json_read(path, &o);
    if (st != CM_OK)
        return st;
    char got[64] = "";
    st = cm_json_get_string(o, path, "format", 1, got, sizeof got);
    if (st == CM_OK && strcmp(got, format) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: format: expected '%s', got '%s'", path, format, got);
    if (st == CM_OK)
        st = cm_json_get_string(o, path, "preset", 1, preset, preset_size);
    if (st != CM_OK) {
        cJSON_Delete(o);
        return st;
    }
    *config = o;
    return CM_OK;
}

cm_status mfiles_load_params(const char *dir, cm_params *params)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    return cm_params_load(params, path, 1);
}
