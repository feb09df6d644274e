/* The BEV predictor on disk: a checkpoint folder (model.safetensors, the
 * state dict; config.json, the configuration), and state dicts made
 * elsewhere (SSM-PC's, converted from .pth), refused unless they are this
 * architecture's. */
#include "models/bevnet_internal.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

cm_status cm_bevnet_save(const cm_bevnet *m, const char *dir)
{
    char path[4200];
    cm_status st = cm_mkdir_p(dir);
    if (st != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, dir, "model.safetensors")) != CM_OK)
        return st;
    const char *keys[] = {"format", "preset"}, *vals[] = {"cogmap bev", m->cfg.preset};
    if ((st = cm_params_save(&m->p, path, keys, vals, 2)) != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, dir, "config.json")) != CM_OK)
        return st;
    cJSON *cfg = cm_bevnet_config_to_json(&m->cfg);
    if (!cfg)
        return cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
    st = cm_json_write(path, cfg);
    cJSON_Delete(cfg);
    return st;
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int is_file(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A run folder's checkpoint to load: checkpoints/best, else the newest
 * checkpoints/step_N. */
static cm_status run_checkpoint(const char *run, char *out, size_t size)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%.4000s/checkpoints", run);
    snprintf(out, size, "%s/best", dir);
    if (is_dir(out))
        return CM_OK;
    DIR *dp = opendir(dir);
    if (!dp)
        return cm_error(CM_ERR_IO, "%s: expected a BEV checkpoint folder (config.json, model.safetensors) or a run "
                                   "folder with checkpoints/", run);
    long long best = -1;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "step_", 5) != 0)
            continue;
        long long step = strtoll(e->d_name + 5, &end, 10);
        if (*end == '\0' && end != e->d_name + 5 && step > best)
            best = step;
    }
    closedir(dp);
    if (best < 0)
        return cm_error(CM_ERR_IO, "%s: no checkpoint yet (checkpoints/best or checkpoints/step_N)", run);
    snprintf(out, size, "%s/step_%lld", dir, best);
    return CM_OK;
}

cm_status cm_bevnet_load(const char *path, cm_bevnet **out)
{
    *out = NULL;
    char dir[4200], file[4300];
    snprintf(dir, sizeof dir, "%s", path);
    snprintf(file, sizeof file, "%s/config.json", dir);
    cm_status st;
    if (!is_file(file)) {
        if ((st = run_checkpoint(path, dir, sizeof dir)) != CM_OK)
            return st;
        snprintf(file, sizeof file, "%s/config.json", dir);
    }
    cJSON *root;
    if ((st = cm_json_read(file, &root)) != CM_OK)
        return st;
    cm_bevnet_config cfg;
    st = cm_bevnet_config_from_json(root, file, &cfg);
    cJSON_Delete(root);
    if (st != CM_OK)
        return st;
    cm_bevnet *m;
    if ((st = cm_bevnet_create(&cfg, 0, &m)) != CM_OK)
        return st;
    snprintf(file, sizeof file, "%s/model.safetensors", dir);
    if ((st = cm_bevnet_load_state_dict(m, file)) != CM_OK) {
        cm_bevnet_free(m);
        return st;
    }
    *out = m;
    return CM_OK;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* The prefix every name of the file carries ("model." or "module."), or "". */
static const char *common_prefix(const cm_safetensors *st)
{
    static const char *const prefixes[] = {"model.", "module."};
    for (int k = 0; k < 2; k++) {
        size_t len = strlen(prefixes[k]);
        int all = st->count > 0;
        for (int i = 0; all && i < st->count; i++)
            all = strncmp(st->tensors[i].name, prefixes[k], len) == 0;
        if (all)
            return prefixes[k];
    }
    return "";
}

static void shape_text(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t used = (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

cm_status cm_bevnet_load_state_dict(cm_bevnet *m, const char *path)
{
    cm_safetensors sd;
    cm_status st = cm_safetensors_read(path, &sd);
    if (st != CM_OK)
        return st;
    const char *prefix = common_prefix(&sd);
    const size_t plen = strlen(prefix);
    const cm_array **found = cm_calloc((size_t)m->p.count, sizeof *found);
    if (!found) {
        cm_safetensors_free(&sd);
        return cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
    }
    /* Check everything before copying anything. */
    for (int i = 0; i < m->p.count && st == CM_OK; i++) {
        const cm_tensor_info *t = &m->p.tensors[i];
        char name[128];
        snprintf(name, sizeof name, "%s%s", prefix, t->name);
        const cm_array *a = cm_safetensors_get(&sd, name);
        if (!a) {
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: missing (not a state dict of the %s BEV predictor)", path,
                          name, m->cfg.preset);
            break;
        }
        if (a->dtype != CM_F32 && a->dtype != CM_F64) {
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: expected dtype F32 (or F64), got %s", path, name,
                          cm_dtype_name(a->dtype));
            break;
        }
        int same = a->ndim == t->ndim;
        for (int k = 0; same && k < t->ndim; k++)
            same = a->shape[k] == t->shape[k];
        if (!same) {
            char want[96], got[96];
            shape_text(want, sizeof want, t->ndim, t->shape);
            shape_text(got, sizeof got, a->ndim, a->shape);
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: expected shape %s for the %s BEV predictor, got %s", path,
                          name, want, m->cfg.preset, got);
            break;
        }
        found[i] = a;
    }
    for (int i = 0; i < sd.count && st == CM_OK; i++) {
        const char *name = sd.tensors[i].name;
        if (cm_params_find(&m->p, name + plen) >= 0)
            continue;
        /* The buffers PyTorch saves that cogmap recomputes or does not use. */
        if (ends_with(name, "pos_encoder.pe") || ends_with(name, "num_batches_tracked"))
            continue;
        st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: not a tensor of the %s BEV predictor (another architecture?)",
                      path, name, m->cfg.preset);
    }
    if (st == CM_OK)
        for (int i = 0; i < m->p.count; i++) {
            float *dst = cm_params_data(&m->p, i);
            const cm_array *a = found[i];
            const size_t n = m->p.tensors[i].count;
            if (a->dtype == CM_F32)
                memcpy(dst, a->data, n * sizeof(float));
            else
                for (size_t k = 0; k < n; k++)
                    dst[k] = (float)((const double *)a->data)[k];
        }
    cm_free(found);
    cm_safetensors_free(&sd);
    return st;
}
