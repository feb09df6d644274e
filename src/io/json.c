/* JSON files through cJSON, with messages naming the file, the key and,
 * for syntax errors, the line and column. */
#include "io_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cm_status cm_json_size_check(uint64_t bytes, const char *what)
{
    uint64_t limit = cm_memory_limit() / 32;
    if (limit > CM_JSON_MAX_TEXT)
        limit = CM_JSON_MAX_TEXT;
    if (bytes <= limit)
        return CM_OK;
    return cm_error(CM_ERR_NOMEM,
                    "%s: %llu bytes of JSON, expected at most %llu (1/32 of the memory limit, at most 1 GiB: "
                    "parsed JSON takes up to 32 times its text)",
                    what, (unsigned long long)bytes, (unsigned long long)limit);
}

static int by_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* Checks what cJSON lets through and JSON does not define. A key twice in
 * one object: cJSON finds the first, Python keeps the last, so a file with
 * both would mean two things. A number beyond the range of a double
 * ("1e999"): parsed as infinity, which no JSON writer can write back. Both
 * are refused, naming the key (`key`: the nearest enclosing member). */
static cm_status check_tree(const cJSON *item, const char *path, const char *key)
{
    for (; item; item = item->next) {
        const char *here = item->string ? item->string : key;
        if (cJSON_IsNumber(item) && !isfinite(item->valuedouble))
            return cm_error(CM_ERR_FORMAT, "%s: %.100s: number out of the range of a double", path,
                            here ? here : "(top level)");
        const cJSON *c = item->child;
        if (!c)
            continue;
        if (cJSON_IsObject(item) && c->next) {
            int n = 0;
            for (const cJSON *k = c; k; k = k->next)
                n++;
            const cJSON **keys = malloc((size_t)n * sizeof *keys);
            if (!keys)
                return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d keys", path, n);
            int i = 0;
            for (const cJSON *k = c; k; k = k->next)
                keys[i++] = k;
            qsort(keys, (size_t)n, sizeof *keys, by_key);
            const char *dup = NULL;
            for (i = 1; i < n && !dup; i++)
                if (strcmp(keys[i - 1]->string, keys[i]->string) == 0)
                    dup = keys[i]->string;
            free(keys);
            if (dup)
                return cm_error(CM_ERR_FORMAT, "%s: key \"%.100s\" appears twice in one object", path, dup);
        }
        cm_status st = check_tree(c, path, here);
        if (st)
            return st;
    }
    return CM_OK;
}

cm_status cm_json_read(const char *path, struct cJSON **out)
{
    *out = NULL;
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    st = cm_json_size_check(f.size, path);
    cm_rfile_close(&f);
    if (st)
        return st;
    void *data;
    size_t len;
    st = cm_read_file(path, &data, &len);
    if (st)
        return st;
    const char *text = data;
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    /* Only whitespace may follow the value. */
    const char *p = end ? end : text;
    if (root) {
        while (p < text + len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
            p++;
    }
    if (!root || p != text + len) {
        if (!end || end < text || end > text + len)
            p = text + len;
        int line = 1, col = 1;
        for (const char *q = text; q < p; q++) {
            if (*q == '\n')
                line++, col = 1;
            else
                col++;
        }
        cJSON_Delete(root);
        cm_free(data);
        if (len == 0)
            return cm_error(CM_ERR_FORMAT, "%s: expected a JSON document, the file is empty", path);
        return cm_error(CM_ERR_FORMAT, "%s:%d:%d: %s", path, line, col,
                        root ? "expected the end of the document after the JSON value"
                             : "invalid JSON (syntax error or the file ends early)");
    }
    cm_free(data);
    st = check_tree(root, path, NULL);
    if (st) {
        cJSON_Delete(root);
        return st;
    }
    *out = root;
    return CM_OK;
}

/* cJSON prints a number with 15 significant digits when they read back
 * within DBL_EPSILON of it, losing its last bits: such numbers are written
 * with 17 digits instead, so that every number in a file reads back as the
 * double the program had (a notebook's value equals the file's). */

/* The raw 17-digit text that replaces number c, or NULL when cJSON's own
 * print is exact (or out of memory: *oom set). */
static cJSON *exact_number(const cJSON *c, int *oom)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%1.15g", c->valuedouble);
    if (!isfinite(c->valuedouble) || c->valuedouble == (double)c->valueint || strtod(buf, NULL) == c->valuedouble)
        return NULL;
    snprintf(buf, sizeof buf, "%1.17g", c->valuedouble);
    cJSON *raw = cJSON_CreateRaw(buf);
    *oom = raw == NULL;
    return raw;
}

/* Every number below parent made exact; 0 when out of memory. */
static int exact_numbers(cJSON *parent)
{
    for (cJSON *c = parent->child; c; c = c->next) {
        if (!cJSON_IsNumber(c)) {
            if (!exact_numbers(c))
                return 0;
            continue;
        }
        int oom = 0;
        cJSON *raw = exact_number(c, &oom);
        if (oom)
            return 0;
        if (!raw)
            continue;
        if (!(c->string ? cJSON_ReplaceItemInObjectCaseSensitive(parent, c->string, raw)
                        : cJSON_ReplaceItemViaPointer(parent, c, raw))) {
            cJSON_Delete(raw);
            return 0;
        }
        c = raw;
    }
    return 1;
}

/* The document's own copy made exact: its numbers, and itself when it is one
 * number (a document may be a bare number: found by fuzzing,
 * tests/data/fuzz-regressions/json/number-root-17-digits). NULL when out of
 * memory. */
static cJSON *exact_copy(const cJSON *root)
{
    cJSON *copy = cJSON_Duplicate(root, 1);
    if (copy && cJSON_IsNumber(copy)) {
        int oom = 0;
        cJSON *raw = exact_number(copy, &oom);
        if (raw || oom) {
            cJSON_Delete(copy);
            copy = raw;
        }
        return copy;
    }
    if (copy && !exact_numbers(copy)) {
        cJSON_Delete(copy);
        copy = NULL;
    }
    return copy;
}

cm_status cm_json_write(const char *path, const struct cJSON *root)
{
    if (!root)
        return cm_error(CM_ERR_ARG, "%s: no JSON document to write", path);
    cJSON *copy = exact_copy(root);
    char *text = copy ? cJSON_Print(copy) : NULL;
    cJSON_Delete(copy);
    if (!text)
        return cm_error(CM_ERR_NOMEM, "%s: cannot format the JSON document", path);
    size_t n = strlen(text);
    char *buf = cm_alloc(n + 2);
    if (!buf) {
        cJSON_free(text);
        return cm_error(CM_ERR_NOMEM, "%s: cannot format the JSON document", path);
    }
    memcpy(buf, text, n);
    buf[n] = '\n'; /* a text file ends with a newline */
    cJSON_free(text);
    cm_status st = cm_write_file_atomic(path, buf, n + 1);
    cm_free(buf);
    return st;
}

/* The item for `key`, or NULL when absent (or an error for a non-object). */
static cm_status lookup(const cJSON *obj, const char *file, const char *key, int required, const cJSON **item)
{
    *item = NULL;
    if (!cJSON_IsObject(obj))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an object holding this key, got %s", file ? file : "", key,
                        obj ? "another JSON type" : "nothing");
    *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!*item && required)
        return cm_error(CM_ERR_FORMAT, "%s: %s: required key missing", file ? file : "", key);
    return CM_OK;
}

static const char *type_name(const cJSON *item)
{
    if (cJSON_IsNull(item))
        return "null";
    if (cJSON_IsBool(item))
        return "a boolean";
    if (cJSON_IsNumber(item))
        return "a number";
    if (cJSON_IsString(item))
        return "a string";
    if (cJSON_IsArray(item))
        return "an array";
    if (cJSON_IsObject(item))
        return "an object";
    return "an unknown type";
}

cm_status cm_json_get_number(const struct cJSON *obj, const char *file, const char *key, int required, double *out)
{
    const cJSON *item;
    cm_status st = lookup(obj, file, key, required, &item);
    if (st || !item)
        return st;
    if (!cJSON_IsNumber(item))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a number, got %s", file ? file : "", key, type_name(item));
    *out = item->valuedouble;
    return CM_OK;
}

cm_status cm_json_get_int(const struct cJSON *obj, const char *file, const char *key, int required, int64_t *out)
{
    const cJSON *item;
    cm_status st = lookup(obj, file, key, required, &item);
    if (st || !item)
        return st;
    if (!cJSON_IsNumber(item))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an integer, got %s", file ? file : "", key, type_name(item));
    double v = item->valuedouble;
    /* cJSON keeps numbers as doubles: integers are exact up to 2^53 */
    if (!isfinite(v) || v != floor(v))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an integer, got %g", file ? file : "", key, v);
    if (fabs(v) > 9007199254740992.0)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an integer of magnitude at most 2^53, got %g",
                        file ? file : "", key, v);
    *out = (int64_t)v;
    return CM_OK;
}

cm_status cm_json_get_string(const struct cJSON *obj, const char *file, const char *key, int required, char *out,
                             size_t size)
{
    const cJSON *item;
    cm_status st = lookup(obj, file, key, required, &item);
    if (st || !item)
        return st;
    if (!cJSON_IsString(item) || !item->valuestring)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a string, got %s", file ? file : "", key, type_name(item));
    size_t n = strlen(item->valuestring);
    if (n >= size)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a string of at most %zu bytes, got %zu", file ? file : "",
                        key, size ? size - 1 : 0, n);
    memcpy(out, item->valuestring, n + 1);
    return CM_OK;
}
