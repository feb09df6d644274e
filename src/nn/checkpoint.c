/* Checkpoints of a parameter store as safetensors (nn.h): PyTorch state-dict
 * names, F32, C order, so torch's load_state_dict reads them as they are. */
#include "cogmap/io.h"
#include "cogmap/nn.h"

#include <stdlib.h>
#include <string.h>

cm_status cm_params_save(const cm_params *p, const char *path, const char *const *meta_keys,
                         const char *const *meta_values, int meta_count)
{
    if (!p->params)
        return cm_error(CM_ERR_ARG, "%s: parameter store not finalized", path);
    cm_array *arrays = calloc((size_t)p->count, sizeof *arrays);
    if (!arrays)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate the tensor list", path);
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        arrays[i] = cm_array_view(t->name, CM_F32, t->ndim, t->shape, p->params + t->offset);
    }
    cm_status st = cm_safetensors_write(path, arrays, p->count, meta_keys, meta_values, meta_count);
    free(arrays);
    return st;
}

static void shape_text(char *buf, size_t size, int ndim, const int64_t *shape)
{
    size_t used = 0;
    used += (size_t)snprintf(buf, size, "[");
    for (int d = 0; d < ndim && used < size; d++)
        used += (size_t)snprintf(buf + used, size - used, "%s%lld", d ? ", " : "", (long long)shape[d]);
    if (used < size)
        snprintf(buf + used, size - used, "]");
}

cm_status cm_params_load(cm_params *p, const char *path, int strict)
{
    if (!p->params)
        return cm_error(CM_ERR_ARG, "%s: parameter store not finalized", path);
    cm_safetensors st;
    cm_status s = cm_safetensors_read(path, &st);
    if (s != CM_OK)
        return s;
    /* Check everything first: on any error nothing has been copied. */
    for (int i = 0; i < p->count && s == CM_OK; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        const cm_array *a = cm_safetensors_get(&st, t->name);
        if (!a) {
            s = cm_error(CM_ERR_FORMAT, "%s: tensor %s: missing", path, t->name);
            break;
        }
        if (a->dtype != CM_F32) {
            s = cm_error(CM_ERR_FORMAT, "%s: tensor %s: expected dtype F32, got %s", path, t->name,
                         cm_dtype_name(a->dtype));
            break;
        }
        int same = a->ndim == t->ndim;
        for (int d = 0; same && d < t->ndim; d++)
            same = a->shape[d] == t->shape[d];
        if (!same) {
            char want[96], got[96];
            shape_text(want, sizeof want, t->ndim, t->shape);
            shape_text(got, sizeof got, a->ndim, a->shape);
            s = cm_error(CM_ERR_FORMAT, "%s: tensor %s: expected shape %s, got %s", path, t->name, want, got);
        }
    }
    if (s == CM_OK && strict)
        for (int i = 0; i < st.count; i++)
            if (cm_params_find(p, st.tensors[i].name) < 0) {
                s = cm_error(CM_ERR_FORMAT, "%s: tensor %s: not a parameter of this model", path,
                             st.tensors[i].name);
                break;
            }
    if (s == CM_OK)
        for (int i = 0; i < p->count; i++) {
            const cm_tensor_info *t = &p->tensors[i];
            const cm_array *a = cm_safetensors_get(&st, t->name);
            memcpy(p->params + t->offset, a->data, t->count * sizeof(float));
        }
    cm_safetensors_free(&st);
    return s;
}
