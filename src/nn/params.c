/* The parameter store: names and shapes of every tensor, and one allocation
 * each for the values and the gradients (nn.h). */
#include "cogmap/nn.h"

#include <stdlib.h>
#include <string.h>

/* Each tensor starts on a 64-byte boundary (16 floats) so that layers get
 * aligned pointers and the optimiser can still run over the whole block. */
#define CM_PARAM_ALIGN_FLOATS 16

void cm_params_init(cm_params *p) { memset(p, 0, sizeof *p); }

cm_status cm_params_add(cm_params *p, const char *name, int ndim, const int64_t *shape, int *index)
{
    if (p->params)
        return cm_error(CM_ERR_ARG, "parameter store: %s: cannot add a tensor after finalize", name);
    if (!name || !name[0] || strlen(name) >= sizeof p->tensors[0].name)
        return cm_error(CM_ERR_ARG, "parameter store: tensor name: expected 1..95 characters");
    if (ndim < 1 || ndim > CM_PARAM_MAX_DIMS)
        return cm_error(CM_ERR_ARG, "parameter store: %s: expected 1..%d dimensions, got %d", name,
                        CM_PARAM_MAX_DIMS, ndim);
    size_t count = 1;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 1 || shape[d] > (int64_t)1 << 31)
            return cm_error(CM_ERR_ARG, "parameter store: %s: dimension %d: expected 1..2^31, got %lld", name, d,
                            (long long)shape[d]);
        count *= (size_t)shape[d];
    }
    if (cm_params_find(p, name) >= 0)
        return cm_error(CM_ERR_ARG, "parameter store: %s: duplicate tensor name", name);
    if (p->count == p->capacity) {
        int cap = p->capacity ? 2 * p->capacity : 16;
        cm_tensor_info *t = realloc(p->tensors, (size_t)cap * sizeof *t);
        if (!t)
            return cm_error(CM_ERR_NOMEM, "parameter store: cannot grow the tensor table");
        p->tensors = t;
        p->capacity = cap;
    }
    cm_tensor_info *t = &p->tensors[p->count];
    memset(t, 0, sizeof *t);
    strcpy(t->name, name);
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->count = count;
    t->offset = p->total;
    p->total += (count + CM_PARAM_ALIGN_FLOATS - 1) / CM_PARAM_ALIGN_FLOATS * CM_PARAM_ALIGN_FLOATS;
    if (index)
        *index = p->count;
    p->count++;
    return CM_OK;
}

cm_status cm_params_finalize(cm_params *p)
{
    if (p->params)
        return cm_error(CM_ERR_ARG, "parameter store: already finalized");
    if (p->total == 0)
        return cm_error(CM_ERR_ARG, "parameter store: no tensors");
    p->params = cm_calloc(p->total, sizeof(float));
    p->grads = cm_calloc(p->total, sizeof(float));
    if (!p->params || !p->grads) {
        cm_free(p->params);
        cm_free(p->grads);
        p->params = p->grads = NULL;
        return cm_error(CM_ERR_NOMEM, "parameter store: cannot allocate 2 x %zu floats", p->total);
    }
    return CM_OK;
}

void cm_params_free(cm_params *p)
{
    cm_free(p->params);
    cm_free(p->grads);
    free(p->tensors);
    memset(p, 0, sizeof *p);
}

float *cm_params_data(const cm_params *p, int index) { return p->params + p->tensors[index].offset; }
float *cm_params_grad(const cm_params *p, int index) { return p->grads + p->tensors[index].offset; }

int cm_params_find(const cm_params *p, const char *name)
{
    for (int i = 0; i < p->count; i++)
        if (strcmp(p->tensors[i].name, name) == 0)
            return i;
    return -1;
}

void cm_params_zero_grad(cm_params *p) { memset(p->grads, 0, p->total * sizeof(float)); }

size_t cm_params_count(const cm_params *p)
{
    size_t n = 0;
    for (int i = 0; i < p->count; i++)
        n += p->tensors[i].count;
    return n;
}
