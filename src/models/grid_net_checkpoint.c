/* Checkpoint files of a grid network: model.safetensors (the state dict, via
 * the nn module's cm_params_save) and optimizer.safetensors (optimiser
 * buffers, step count and the dropout stream in its metadata).
 *
 * INTERIM: models.h declares cm_pathint_save / cm_pathint_load for exactly
 * this, but the nn branch had not implemented them when this was written, so
 * this file does the same job under its own names, reading the network's
 * private layout (pathint_internal.h). Once the models module's own functions
 * exist, grid_net.c should call them and this file can go. */
#include "cogmap/gridrun.h"
#include "cogmap/io.h"
#include "models/pathint_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const rng_keys[6] = {"dropout_s0", "dropout_s1", "dropout_s2", "dropout_s3", "dropout_has_normal",
                                        "dropout_cached_normal"};

cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir)
{
    char path[4096];
    const cm_pathint *m = n->m;
    cm_status st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    if (st == CM_OK)
        st = cm_params_save(&m->params, path, NULL, NULL, 0);
    if (st != CM_OK)
        return st;

    /* Optimiser buffers as one F32 tensor; scalars as metadata strings (hex
     * for the bits that must round-trip exactly). */
    char vals[9][40];
    const char *keys[9], *values[9];
    uint64_t cached;
    memcpy(&cached, &m->dropout_rng.cached_normal, sizeof cached);
    for (int i = 0; i < 4; i++)
        snprintf(vals[i], sizeof vals[i], "%016" PRIx64, m->dropout_rng.s[i]);
    snprintf(vals[4], sizeof vals[4], "%d", m->dropout_rng.has_normal);
    snprintf(vals[5], sizeof vals[5], "%016" PRIx64, cached);
    snprintf(vals[6], sizeof vals[6], "%" PRId64, m->optim.t);
    snprintf(vals[7], sizeof vals[7], "%s", cm_optim_name(m->optim.cfg.kind));
    snprintf(vals[8], sizeof vals[8], "%zu", m->optim.n);
    for (int i = 0; i < 6; i++)
        keys[i] = rng_keys[i];
    keys[6] = "step";
    keys[7] = "optimizer";
    keys[8] = "parameters";
    for (int i = 0; i < 9; i++)
        values[i] = vals[i];
    const int64_t count = (int64_t)cm_optim_state_floats(&m->optim);
    cm_array t = cm_array_view("state", CM_F32, 1, &count, m->optim.state);
    st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (st == CM_OK)
        st = cm_safetensors_write(path, &t, count > 0 ? 1 : 0, keys, values, 9);
    return st;
}

static cm_status meta_u64(const cm_safetensors *s, const char *path, const char *key, int base, uint64_t *out)
{
    const char *v = cm_safetensors_meta(s, key);
    char *end = NULL;
    if (!v || !v[0])
        return cm_error(CM_ERR_FORMAT, "%s: __metadata__.%s: missing", path, key);
    unsigned long long x = strtoull(v, &end, base);
    if (*end)
        return cm_error(CM_ERR_FORMAT, "%s: __metadata__.%s: expected an integer, got \"%s\"", path, key, v);
    *out = x;
    return CM_OK;
}

cm_status cm_grid_net_load(cm_grid_net *n, const char *dir)
{
    char path[4096];
    cm_pathint *m = n->m;
    cm_status st = cm_path_join(path, sizeof path, dir, "optimizer.safetensors");
    if (st != CM_OK)
        return st;
    /* Read and check the optimiser file first, so that a bad one leaves the
     * model as it was. */
    cm_safetensors s;
    st = cm_safetensors_read(path, &s);
    if (st != CM_OK)
        return st;
    uint64_t rs[4], has = 0, cached = 0, step = 0, np = 0;
    for (int i = 0; i < 4 && st == CM_OK; i++)
        st = meta_u64(&s, path, rng_keys[i], 16, &rs[i]);
    if (st == CM_OK)
        st = meta_u64(&s, path, rng_keys[4], 10, &has);
    if (st == CM_OK)
        st = meta_u64(&s, path, rng_keys[5], 16, &cached);
    if (st == CM_OK)
        st = meta_u64(&s, path, "step", 10, &step);
    if (st == CM_OK)
        st = meta_u64(&s, path, "parameters", 10, &np);
    const char *kind = cm_safetensors_meta(&s, "optimizer");
    if (st == CM_OK && (!kind || strcmp(kind, cm_optim_name(m->optim.cfg.kind)) != 0))
        st = cm_error(CM_ERR_FORMAT, "%s: __metadata__.optimizer: expected \"%s\", got \"%s\"", path,
                      cm_optim_name(m->optim.cfg.kind), kind ? kind : "(missing)");
    if (st == CM_OK && np != m->optim.n)
        st = cm_error(CM_ERR_FORMAT, "%s: __metadata__.parameters: expected %zu, got %llu", path, m->optim.n,
                      (unsigned long long)np);
    const int64_t count = (int64_t)cm_optim_state_floats(&m->optim);
    const cm_array *t = NULL;
    if (st == CM_OK && count > 0) {
        t = cm_safetensors_get(&s, "state");
        if (!t)
            st = cm_error(CM_ERR_FORMAT, "%s: state: missing (the optimiser's buffers)", path);
        else
            st = cm_array_expect(t, path, CM_F32, 1, &count);
    }
    if (st == CM_OK) {
        char mpath[4096];
        st = cm_path_join(mpath, sizeof mpath, dir, "model.safetensors");
        if (st == CM_OK)
            st = cm_params_load(&m->params, mpath, 1);
    }
    if (st == CM_OK) {
        if (t)
            memcpy(m->optim.state, t->data, (size_t)count * sizeof(float));
        m->optim.t = (int64_t)step;
        for (int i = 0; i < 4; i++)
            m->dropout_rng.s[i] = rs[i];
        m->dropout_rng.has_normal = has != 0;
        memcpy(&m->dropout_rng.cached_normal, &cached, sizeof cached);
        m->have_forward = 0;
    }
    cm_safetensors_free(&s);
    return st;
}
