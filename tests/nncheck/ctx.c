/* The harness's buffers: inputs read from .npy, outputs and gradients
 * written back, settings from config.json (nncheck.h). */
#include "nncheck.h"

#include <string.h>
#include <unistd.h>

static nc_buf *nc_slot(nc_ctx *c, const char *name)
{
    if (c->st)
        return NULL;
    if (c->count == NC_MAX) {
        c->st = cm_error(CM_ERR_INTERNAL, "nn-check: more than %d arrays", NC_MAX);
        return NULL;
    }
    nc_buf *b = &c->bufs[c->count++];
    memset(b, 0, sizeof *b);
    snprintf(b->name, sizeof b->name, "%s", name);
    return b;
}

/* Reads DIR/name.npy as float32 of rank ndim; -1 in `shape` accepts any size
 * and receives the size found. optional: a missing file gives NULL, no error. */
static float *nc_load(nc_ctx *c, const char *name, int ndim, int64_t *shape, int optional)
{
    if (c->st)
        return NULL;
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.npy", c->dir, name);
    if (optional && access(path, F_OK) != 0)
        return NULL;
    nc_buf *b = nc_slot(c, name);
    if (!b)
        return NULL;
    cm_status st = cm_npy_read(path, &b->arr);
    if (st == CM_OK)
        st = cm_array_expect(&b->arr, path, CM_F32, ndim, shape);
    if (st) {
        cm_array_free(&b->arr);
        c->count--;
        c->st = st;
        return NULL;
    }
    b->owned_array = 1;
    b->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        b->shape[d] = shape[d] = b->arr.shape[d];
    b->data = (float *)b->arr.data;
    return b->data;
}

float *nc_in(nc_ctx *c, const char *name, int ndim, int64_t *shape)
{
    return nc_load(c, name, ndim, shape, 0);
}

/* A zeroed float buffer that is written out as DIR/c_<name>.npy when save != 0. */
float *nc_buffer(nc_ctx *c, const char *name, int ndim, const int64_t *shape, int save)
{
    nc_buf *b = nc_slot(c, name);
    if (!b)
        return NULL;
    size_t n = 1;
    b->ndim = ndim;
    for (int d = 0; d < ndim; d++) {
        b->shape[d] = shape[d];
        n *= (size_t)shape[d];
    }
    b->data = cm_calloc(n ? n : 1, sizeof(float));
    if (!b->data) {
        c->count--;
        c->st = cm_error(CM_ERR_NOMEM, "nn-check: %s: cannot allocate %zu floats", name, n);
        return NULL;
    }
    b->save = save;
    return b->data;
}

float *nc_out(nc_ctx *c, const char *name, int ndim, const int64_t *shape)
{
    return nc_buffer(c, name, ndim, shape, 1);
}

float *nc_scratch(nc_ctx *c, size_t n)
{
    int64_t s = (int64_t)n;
    return nc_buffer(c, "scratch", 1, &s, 0);
}

/* grad_<input>, shaped like the loaded input. */
float *nc_grad(nc_ctx *c, const char *input)
{
    if (c->st)
        return NULL;
    for (int i = 0; i < c->count; i++)
        if (c->bufs[i].owned_array && strcmp(c->bufs[i].name, input) == 0) {
            char name[160];
            snprintf(name, sizeof name, "grad_%s", input);
            return nc_buffer(c, name, c->bufs[i].ndim, c->bufs[i].shape, 1);
        }
    c->st = cm_error(CM_ERR_INTERNAL, "nn-check: no input named %s", input);
    return NULL;
}

int64_t nc_int(nc_ctx *c, const char *key, int64_t def)
{
    int64_t v = def;
    if (!c->st)
        c->st = cm_json_get_int(c->cfg, c->cfg_path, key, 0, &v);
    return v;
}

double nc_num(nc_ctx *c, const char *key, double def)
{
    double v = def;
    if (!c->st)
        c->st = cm_json_get_number(c->cfg, c->cfg_path, key, 0, &v);
    return v;
}

cm_status nc_save(nc_ctx *c)
{
    for (int i = 0; i < c->count; i++) {
        nc_buf *b = &c->bufs[i];
        if (!b->save)
            continue;
        char path[4400];
        snprintf(path, sizeof path, "%s/c_%s.npy", c->dir, b->name);
        cm_array v = cm_array_view(b->name, CM_F32, b->ndim, b->shape, b->data);
        cm_status st = cm_npy_write(path, &v);
        if (st)
            return st;
    }
    return CM_OK;
}

void nc_free(nc_ctx *c)
{
    for (int i = 0; i < c->count; i++) {
        if (c->bufs[i].owned_array)
            cm_array_free(&c->bufs[i].arr);
        else
            cm_free(c->bufs[i].data);
    }
    c->count = 0;
    if (c->cfg)
        cJSON_Delete(c->cfg);
    c->cfg = NULL;
}

float *nc_in_optional(nc_ctx *c, const char *name, int ndim, int64_t *shape)
{
    return nc_load(c, name, ndim, shape, 1);
}
