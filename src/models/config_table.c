/* Named numeric fields of a configuration struct (config_table.h). */
#include "models/config_table.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void store(const cfgt_field *f, void *base, double x)
{
    char *p = (char *)base + f->offset;
    if (f->type == CFGT_INT)
        *(int *)p = (int)x;
    else if (f->type == CFGT_FLOAT)
        *(float *)p = (float)x;
    else
        *(double *)p = x;
}

static double load(const cfgt_field *f, const void *base)
{
    const char *p = (const char *)base + f->offset;
    if (f->type == CFGT_INT)
        return *(const int *)p;
    if (f->type == CFGT_FLOAT)
        return *(const float *)p;
    return *(const double *)p;
}

static const cfgt_field *find(const cfgt_field *fields, int n, const char *key)
{
    for (int i = 0; i < n; i++)
        if (strcmp(fields[i].key, key) == 0)
            return &fields[i];
    return NULL;
}

static int in_range(const cfgt_field *f, double x)
{
    if (!isfinite(x) || x < f->lo || x > f->hi)
        return 0;
    return f->type != CFGT_INT || x == floor(x);
}

int cfgt_set(const cfgt_field *fields, int n, void *base, const char *what, const char *key, const char *value)
{
    const cfgt_field *f = find(fields, n, key);
    if (!f)
        return -1;
    char *end = NULL;
    errno = 0;
    double x = strtod(value, &end);
    if (errno || end == value || *end || !in_range(f, x)) {
        if (f->type == CFGT_INT)
            return cm_error(CM_ERR_ARG, "%s: %s: expected an integer in %.0f..%.0f, got '%s'", what, key, f->lo,
                            f->hi, value);
        return cm_error(CM_ERR_ARG, "%s: %s: expected a number in [%g, %g], got '%s'", what, key, f->lo, f->hi,
                        value);
    }
    store(f, base, x);
    return CM_OK;
}

int cfgt_to_json(const cfgt_field *fields, int n, const void *base, cJSON *obj)
{
    for (int i = 0; i < n; i++)
        if (!cJSON_AddNumberToObject(obj, fields[i].key, load(&fields[i], base)))
            return 0;
    return 1;
}

cm_status cfgt_from_json(const cfgt_field *fields, int n, void *base, const cJSON *obj, const char *file)
{
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, fields[i].key);
        if (!v)
            continue;
        if (!cJSON_IsNumber(v) || !in_range(&fields[i], v->valuedouble))
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected a number in [%g, %g]%s", file, fields[i].key,
                            fields[i].lo, fields[i].hi, fields[i].type == CFGT_INT ? " (an integer)" : "");
        store(&fields[i], base, v->valuedouble);
    }
    return CM_OK;
}

cm_status cfgt_split(const char *key_value, const char *what, char *key, size_t size, const char **value)
{
    const char *eq = key_value ? strchr(key_value, '=') : NULL;
    if (!eq || eq == key_value || (size_t)(eq - key_value) >= size)
        return cm_error(CM_ERR_ARG, "%s: expected key=value, got '%s'", what, key_value ? key_value : "(null)");
    memcpy(key, key_value, (size_t)(eq - key_value));
    key[eq - key_value] = '\0';
    *value = eq + 1;
    return CM_OK;
}
