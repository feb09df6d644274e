/* run.json (run.h): the parts every kind of run shares, so that they check
 * and report the file the same way, and keep its stage history. */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cm_status cm_run_json_read(const char *run, const char *format, char path[4096], cJSON **root, uint64_t *seed)
{
    char got[64] = "", seed_text[32] = "";
    *root = NULL;
    cm_status st = cm_path_join(path, 4096, run, "run.json");
    if (st == CM_OK)
        st = cm_json_read(path, root);
    if (st != CM_OK)
        return st;
    st = cm_json_get_string(*root, path, "format", 1, got, sizeof got);
    if (st == CM_OK && strcmp(got, format) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: format: expected \"%s\", got \"%s\"", path, format, got);
    if (st == CM_OK)
        st = cm_json_get_string(*root, path, "seed", 1, seed_text, sizeof seed_text);
    char *end = NULL;
    errno = 0;
    unsigned long long x = st == CM_OK ? strtoull(seed_text, &end, 10) : 0;
    /* strtoull would take "-3" as 2^64 - 3 and skip leading spaces: digits only. */
    if (st == CM_OK && (errno || !end || *end || !(seed_text[0] >= '0' && seed_text[0] <= '9')))
        st = cm_error(CM_ERR_FORMAT, "%s: seed: expected a decimal unsigned 64-bit integer, got \"%s\"", path,
                      seed_text);
    if (st != CM_OK) {
        cJSON_Delete(*root);
        *root = NULL;
        return st;
    }
    *seed = x;
    return CM_OK;
}

cm_status cm_run_json_replay_sets(const cJSON *root, const char *path, int optional, cm_run_json_set_fn set,
                                  void *ctx)
{
    const cJSON *sets = cJSON_GetObjectItemCaseSensitive(root, "sets");
    if (!sets && optional)
        return CM_OK;
    if (!cJSON_IsArray(sets))
        return cm_error(CM_ERR_FORMAT, "%s: sets: expected an array of \"key=value\" strings", path);
    const cJSON *item;
    cJSON_ArrayForEach(item, sets)
    {
        if (!cJSON_IsString(item))
            return cm_error(CM_ERR_FORMAT, "%s: sets: expected strings", path);
        cm_status st = set(ctx, item->valuestring);
        if (st != CM_OK)
            return cm_error_context(st, "%s: sets: ", path);
    }
    return CM_OK;
}

int cm_run_json_add_seed(cJSON *root, uint64_t seed)
{
    char text[32];
    snprintf(text, sizeof text, "%" PRIu64, seed);
    return cJSON_AddStringToObject(root, "seed", text) != NULL;
}

/* The "stages" array of an existing RUN/run.json, duplicated; NULL when the
 * file or the key is absent (or unreadable: the caller is rewriting it). */
static cJSON *old_stages(const char *path)
{
    if (access(path, F_OK) != 0)
        return NULL;
    cJSON *old = NULL;
    if (cm_json_read(path, &old) != CM_OK) {
        cm_error_clear();
        return NULL;
    }
    const cJSON *prev = cJSON_GetObjectItemCaseSensitive(old, "stages");
    cJSON *copy = cJSON_IsArray(prev) ? cJSON_Duplicate(prev, 1) : NULL;
    cJSON_Delete(old);
    return copy;
}

cm_status cm_run_json_write(const char *run, cJSON *root, int ok)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "run.json");
    if (st == CM_OK && (!ok || !root))
        st = cm_error(CM_ERR_NOMEM, "%s: out of memory building the JSON", path);
    if (st == CM_OK && !cJSON_GetObjectItemCaseSensitive(root, "stages")) {
        cJSON *stages = old_stages(path);
        if (stages && !cJSON_AddItemToObject(root, "stages", stages)) {
            cJSON_Delete(stages); /* not attached to root */
            st = cm_error(CM_ERR_NOMEM, "%s: out of memory building the JSON", path);
        }
    }
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

cm_status cm_run_json_add_stage(const char *run, int64_t step, const char *const *sets, int n)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "run.json");
    cJSON *root = NULL;
    if (st == CM_OK)
        st = cm_json_read(path, &root);
    if (st != CM_OK)
        return st;
    cJSON *stages = cJSON_GetObjectItemCaseSensitive(root, "stages");
    if (stages && !cJSON_IsArray(stages)) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_FORMAT, "%s: stages: expected an array", path);
    }
    int ok = 1;
    if (!stages) {
        stages = cJSON_AddArrayToObject(root, "stages");
        ok = stages != NULL;
    }
    /* What changed and from which step. */
    cJSON *stage = ok ? cJSON_CreateObject() : NULL;
    ok = ok && stage && cJSON_AddItemToArray(stages, stage);
    ok = ok && cJSON_AddNumberToObject(stage, "step", (double)step);
    cJSON *list = ok ? cJSON_AddArrayToObject(stage, "sets") : NULL;
    ok = ok && list;
    for (int i = 0; ok && i < n; i++) {
        cJSON *s = cJSON_CreateString(sets[i]);
        ok = s && cJSON_AddItemToArray(list, s);
    }
    st = ok ? cm_json_write(path, root) : cm_error(CM_ERR_NOMEM, "%s: out of memory building the JSON", path);
    cJSON_Delete(root);
    return st;
}

cm_status cm_run_model(const char *run, char *model, size_t size)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "run.json");
    cJSON *root = NULL;
    if (st == CM_OK)
        st = cm_json_read(path, &root);
    if (st != CM_OK)
        return st;
    if (cJSON_GetObjectItemCaseSensitive(root, "model"))
        st = cm_json_get_string(root, path, "model", 1, model, size);
    else
        snprintf(model, size, "grid");
    cJSON_Delete(root);
    return st;
}

int cm_run_set_key_in(const char *key_value, const char *const *keys, int n)
{
    const char *eq = strchr(key_value, '=');
    const size_t kl = eq ? (size_t)(eq - key_value) : strlen(key_value);
    for (int k = 0; k < n; k++)
        if (strlen(keys[k]) == kl && strncmp(key_value, keys[k], kl) == 0)
            return 1;
    return 0;
}
