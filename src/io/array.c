/* n-dimensional arrays: dtypes, allocation, views, shape checks. */
#include "io_internal.h"

#include <stdio.h>
#include <string.h>

size_t cm_dtype_size(cm_dtype dtype)
{
    switch (dtype) {
    case CM_F32: return 4;
    case CM_F64: return 8;
    case CM_I32: return 4;
    case CM_I64: return 8;
    case CM_U8: return 1;
    case CM_BOOL: return 1;
    }
    return 0;
}

const char *cm_dtype_name(cm_dtype dtype)
{
    switch (dtype) {
    case CM_F32: return "float32";
    case CM_F64: return "float64";
    case CM_I32: return "int32";
    case CM_I64: return "int64";
    case CM_U8: return "uint8";
    case CM_BOOL: return "bool";
    }
    return "unknown";
}

/* -1 for a shape no array can have (negative size, overflow, bad rank):
 * only views can hold one, and every writer rejects them first. */
int64_t cm_array_count(const cm_array *a)
{
    if (a->ndim < 0 || a->ndim > CM_MAX_DIMS)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] < 0 || __builtin_mul_overflow(n, a->shape[i], &n))
            return -1;
    }
    return n;
}

size_t cm_array_bytes(const cm_array *a)
{
    int64_t n = cm_array_count(a);
    size_t b;
    if (n < 0 || __builtin_mul_overflow((size_t)n, cm_dtype_size(a->dtype), &b))
        return SIZE_MAX; /* invalid: writers reject it before using the size */
    return b;
}

/* Checks a shape for negative sizes and for a byte count that overflows;
 * shared by every constructor so that no array can hold an impossible shape. */
cm_status cm_array_check_shape(const char *name, cm_dtype dtype, int ndim, const int64_t *shape)
{
    if (cm_dtype_size(dtype) == 0)
        return cm_error(CM_ERR_ARG, "array %s: unknown dtype %d", name, (int)dtype);
    if (ndim < 0 || ndim > CM_MAX_DIMS)
        return cm_error(CM_ERR_ARG, "array %s: expected 0 to %d dimensions, got %d", name, CM_MAX_DIMS, ndim);
    if (ndim > 0 && !shape)
        return cm_error(CM_ERR_ARG, "array %s: no shape given for %d dimensions", name, ndim);
    uint64_t bytes = cm_dtype_size(dtype);
    int zero = 0;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return cm_error(CM_ERR_ARG, "array %s: dimension %d is negative (%lld)", name, i, (long long)shape[i]);
        if (shape[i] == 0)
            zero = 1;
    }
    if (!zero) {
        for (int i = 0; i < ndim; i++) {
            if ((uint64_t)shape[i] > (uint64_t)(INT64_MAX / 2) / bytes)
                return cm_error(CM_ERR_ARG, "array %s: shape overflows 64-bit byte counts", name);
            bytes *= (uint64_t)shape[i];
        }
        if (bytes > SIZE_MAX / 2)
            return cm_error(CM_ERR_ARG, "array %s: %llu bytes do not fit in memory", name, (unsigned long long)bytes);
    }
    return CM_OK;
}

static cm_status array_alloc(cm_array *a, const char *name, cm_dtype dtype, int ndim, const int64_t *shape, int zero)
{
    memset(a, 0, sizeof *a);
    if (!name)
        name = "";
    if (strlen(name) >= sizeof a->name)
        return cm_error(CM_ERR_ARG, "array %.60s...: name longer than %zu bytes", name, sizeof a->name - 1);
    cm_status st = cm_array_check_shape(name, dtype, ndim, shape);
    if (st)
        return st;
    snprintf(a->name, sizeof a->name, "%s", name);
    a->dtype = dtype;
    a->ndim = ndim;
    for (int i = 0; i < ndim; i++)
        a->shape[i] = shape[i];
    size_t bytes = cm_array_bytes(a);
    a->data = zero ? cm_calloc(1, bytes ? bytes : 1) : cm_alloc(bytes);
    if (!a->data) {
        memset(a, 0, sizeof *a);
        return cm_error(CM_ERR_NOMEM, "array %s: cannot allocate %zu bytes", name, bytes);
    }
    a->owns_data = 1;
    return CM_OK;
}

cm_status cm_array_alloc(cm_array *a, const char *name, cm_dtype dtype, int ndim, const int64_t *shape)
{
    return array_alloc(a, name, dtype, ndim, shape, 1);
}

cm_status cm_array_alloc_uninit(cm_array *a, const char *name, cm_dtype dtype, int ndim, const int64_t *shape)
{
    return array_alloc(a, name, dtype, ndim, shape, 0);
}

cm_array cm_array_view(const char *name, cm_dtype dtype, int ndim, const int64_t *shape, const void *data)
{
    cm_array a;
    memset(&a, 0, sizeof a);
    snprintf(a.name, sizeof a.name, "%s", name ? name : "");
    a.dtype = dtype;
    /* A rank that does not fit is kept as -1, which every writer rejects,
     * rather than silently clamped to a different shape. */
    a.ndim = (ndim < 0 || ndim > CM_MAX_DIMS) ? -1 : ndim;
    for (int i = 0; i < a.ndim && shape; i++)
        a.shape[i] = shape[i];
    a.data = (void *)data; /* writers only read through a view */
    a.owns_data = 0;
    return a;
}

void cm_array_free(cm_array *a)
{
    if (!a)
        return;
    if (a->owns_data)
        cm_free(a->data);
    a->data = NULL;
    a->owns_data = 0;
}

static void format_shape(char *buf, size_t size, int ndim, const int64_t *shape, int wildcards)
{
    size_t n = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ndim && n < size; i++) {
        if (wildcards && shape[i] < 0)
            n += (size_t)snprintf(buf + n, size - n, "%s*", i ? ", " : "");
        else
            n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)shape[i]);
    }
    if (n < size)
        snprintf(buf + n, size - n, "]");
}

cm_status cm_array_expect(const cm_array *a, const char *file, cm_dtype dtype, int ndim, const int64_t *shape)
{
    const char *f = file ? file : "";
    const char *sep = a->name[0] ? ": " : "";
    if (a->dtype != dtype)
        return cm_error(CM_ERR_FORMAT, "%s: %s%sexpected dtype %s, got %s", f, a->name, sep, cm_dtype_name(dtype),
                        cm_dtype_name(a->dtype));
    int ok = a->ndim == ndim;
    for (int i = 0; ok && i < ndim; i++)
        if (shape && shape[i] >= 0 && shape[i] != a->shape[i])
            ok = 0;
    if (!ok) {
        char want[256], got[256];
        if (shape) {
            format_shape(want, sizeof want, ndim, shape, 1);
        } else {
            int64_t any[CM_MAX_DIMS];
            for (int i = 0; i < CM_MAX_DIMS; i++)
                any[i] = -1;
            format_shape(want, sizeof want, ndim > CM_MAX_DIMS ? CM_MAX_DIMS : ndim, any, 1);
        }
        format_shape(got, sizeof got, a->ndim, a->shape, 0);
        return cm_error(CM_ERR_FORMAT, "%s: %s%sexpected shape %s, got %s", f, a->name, sep, want, got);
    }
    return CM_OK;
}
