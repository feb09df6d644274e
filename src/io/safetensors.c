/* safetensors (huggingface/safetensors):
 *
 *   uint64 little-endian N | N bytes of JSON | the tensors' bytes
 *
 * The JSON maps each tensor name to {"dtype", "shape", "data_offsets":
 * [begin, end]} (offsets relative to the data area), plus an optional
 * "__metadata__" map of strings. Reading checks what the reference loader
 * checks: a sane header length, offsets in range, each tensor's byte count
 * equal to dtype size x shape, and the tensors tiling the data area exactly
 * (no overlap, no gap, nothing after the last one). Writing follows the
 * reference writer: tensors ordered by alignment (itemsize, largest first)
 * then name, the header compact JSON with "__metadata__" first, padded with
 * spaces to a multiple of 8 bytes so every tensor stays aligned. */
#include "io_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The reference implementation refuses headers over 100 MB. */
#define CM_ST_MAX_HEADER 100000000ull

static const struct {
    const char *name;
    cm_dtype dtype;
} st_dtypes[] = {{"F32", CM_F32}, {"F64", CM_F64}, {"I32", CM_I32}, {"I64", CM_I64}, {"U8", CM_U8}, {"BOOL", CM_BOOL}};

static const char *st_dtype_name(cm_dtype d)
{
    for (size_t i = 0; i < sizeof st_dtypes / sizeof st_dtypes[0]; i++)
        if (st_dtypes[i].dtype == d)
            return st_dtypes[i].name;
    return NULL;
}

void cm_safetensors_free(cm_safetensors *st)
{
    if (!st)
        return;
    for (int i = 0; st->tensors && i < st->count; i++)
        cm_array_free(&st->tensors[i]);
    for (int i = 0; i < st->meta_count; i++) {
        free(st->meta_keys ? st->meta_keys[i] : NULL);
        free(st->meta_values ? st->meta_values[i] : NULL);
    }
    free(st->tensors);
    free(st->meta_keys);
    free(st->meta_values);
    memset(st, 0, sizeof *st);
}

const cm_array *cm_safetensors_get(const cm_safetensors *st, const char *name)
{
    for (int i = 0; st && name && i < st->count; i++)
        if (strcmp(st->tensors[i].name, name) == 0)
            return &st->tensors[i];
    return NULL;
}

const char *cm_safetensors_meta(const cm_safetensors *st, const char *key)
{
    for (int i = 0; st && key && i < st->meta_count; i++)
        if (strcmp(st->meta_keys[i], key) == 0)
            return st->meta_values[i];
    return NULL;
}

/* ================================================================ reading */

typedef struct st_entry {
    const char *name;
    cm_dtype dtype;
    int ndim;
    int64_t shape[CM_MAX_DIMS];
    uint64_t begin, end;
} st_entry;

/* A JSON number that is a non-negative integer at most 2^53 (exact in a double). */
static int as_index(const cJSON *item, uint64_t *out)
{
    if (!cJSON_IsNumber(item))
        return 0;
    double v = item->valuedouble;
    if (!(v >= 0) || v > 9007199254740992.0 || v != floor(v))
        return 0;
    *out = (uint64_t)v;
    return 1;
}

static cm_status parse_tensor(const cJSON *item, const char *path, uint64_t data_len, st_entry *e)
{
    const char *name = item->string;
    if (strlen(name) >= sizeof ((cm_array *)0)->name)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: tensor '%.60s...': name longer than 127 bytes", path, name);
    e->name = name;
    if (!cJSON_IsObject(item))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an object with dtype, shape and data_offsets", path, name);
    const cJSON *dtype = cJSON_GetObjectItemCaseSensitive(item, "dtype");
    const cJSON *shape = cJSON_GetObjectItemCaseSensitive(item, "shape");
    const cJSON *offs = cJSON_GetObjectItemCaseSensitive(item, "data_offsets");
    if (!cJSON_IsString(dtype))
        return cm_error(CM_ERR_FORMAT, "%s: %s: dtype: expected a string such as \"F32\"", path, name);
    size_t k;
    for (k = 0; k < sizeof st_dtypes / sizeof st_dtypes[0]; k++)
        if (strcmp(dtype->valuestring, st_dtypes[k].name) == 0)
            break;
    if (k == sizeof st_dtypes / sizeof st_dtypes[0])
        return cm_error(CM_ERR_UNSUPPORTED, "%s: %s: dtype: expected F32, F64, I32, I64, U8 or BOOL, got \"%.32s\"",
                        path, name, dtype->valuestring);
    e->dtype = st_dtypes[k].dtype;
    if (!cJSON_IsArray(shape))
        return cm_error(CM_ERR_FORMAT, "%s: %s: shape: expected an array of sizes", path, name);
    int n = cJSON_GetArraySize(shape);
    if (n > CM_MAX_DIMS)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: %s: shape: expected at most %d dimensions, got %d", path, name,
                        CM_MAX_DIMS, n);
    e->ndim = n;
    uint64_t bytes = cm_dtype_size(e->dtype);
    int zero = 0;
    for (int i = 0; i < n; i++) {
        uint64_t v;
        if (!as_index(cJSON_GetArrayItem(shape, i), &v))
            return cm_error(CM_ERR_FORMAT, "%s: %s: shape[%d]: expected a non-negative integer", path, name, i);
        e->shape[i] = (int64_t)v;
        zero |= v == 0;
    }
    for (int i = 0; i < n && !zero; i++) {
        if ((uint64_t)e->shape[i] > (UINT64_MAX / 4) / bytes)
            return cm_error(CM_ERR_FORMAT, "%s: %s: shape: the number of bytes overflows 64 bits", path, name);
        bytes *= (uint64_t)e->shape[i];
    }
    if (zero)
        bytes = 0;
    if (!cJSON_IsArray(offs) || cJSON_GetArraySize(offs) != 2 || !as_index(cJSON_GetArrayItem(offs, 0), &e->begin) ||
        !as_index(cJSON_GetArrayItem(offs, 1), &e->end))
        return cm_error(CM_ERR_FORMAT, "%s: %s: data_offsets: expected [begin, end], two non-negative integers", path,
                        name);
    if (e->begin > e->end || e->end > data_len)
        return cm_error(CM_ERR_FORMAT, "%s: %s: data_offsets [%llu, %llu]: expected begin <= end <= %llu (the data size)",
                        path, name, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)data_len);
    if (e->end - e->begin != bytes)
        return cm_error(CM_ERR_FORMAT, "%s: %s: data_offsets [%llu, %llu] hold %llu bytes, dtype %s x shape needs %llu",
                        path, name, (unsigned long long)e->begin, (unsigned long long)e->end,
                        (unsigned long long)(e->end - e->begin), dtype->valuestring, (unsigned long long)bytes);
    return CM_OK;
}

static int by_offset(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int by_name_ptr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static cm_status parse_metadata(const cJSON *meta, const char *path, cm_safetensors *out)
{
    if (!cJSON_IsObject(meta))
        return cm_error(CM_ERR_FORMAT, "%s: __metadata__: expected an object of strings", path);
    int n = cJSON_GetArraySize(meta);
    out->meta_keys = calloc(n ? (size_t)n : 1, sizeof *out->meta_keys);
    out->meta_values = calloc(n ? (size_t)n : 1, sizeof *out->meta_values);
    if (!out->meta_keys || !out->meta_values)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d metadata entries", path, n);
    for (const cJSON *m = meta->child; m; m = m->next) {
        if (!cJSON_IsString(m))
            return cm_error(CM_ERR_FORMAT, "%s: __metadata__: %.100s: expected a string value", path, m->string);
        if (cm_safetensors_meta(out, m->string))
            return cm_error(CM_ERR_FORMAT, "%s: __metadata__: key %.100s appears twice", path, m->string);
        int i = out->meta_count;
        out->meta_keys[i] = strdup(m->string);
        out->meta_values[i] = strdup(m->valuestring);
        out->meta_count++;
        if (!out->meta_keys[i] || !out->meta_values[i])
            return cm_error(CM_ERR_NOMEM, "%s: cannot copy the metadata", path);
    }
    return CM_OK;
}

/* A PyTorch checkpoint handed where safetensors belongs (the common mistake:
 * `best_model.pth` straight from a trainer) would otherwise fail with an
 * absurd header length, since its first 8 bytes are a zip signature or a
 * pickle opcode. torch.save writes a zip archive whose first entry is
 * "<archive>/data.pkl" (torch >= 1.6) or, before that, a bare protocol-2
 * pickle (0x80 0x02). Returns a status naming the file and the converter,
 * or CM_OK when the bytes do not look like either. */
static cm_status st_check_not_pytorch(const char *path, const uint8_t *head, size_t n)
{
    if (n >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
        /* local file header: the name starts at byte 30, its length at 26 */
        size_t name_len = n >= 30 ? (size_t)head[26] | (size_t)head[27] << 8 : 0;
        int torch = name_len >= 8 && 30 + name_len <= n && memcmp(head + 30 + name_len - 8, "data.pkl", 8) == 0;
        if (torch)
            return cm_error(CM_ERR_FORMAT,
                            "%s: this is a PyTorch .pth, convert it with scripts/pth-to-safetensors (a zip "
                            "archive holding data.pkl, not safetensors)",
                            path);
        return cm_error(CM_ERR_FORMAT,
                        "%s: this is a zip archive, not safetensors (a PyTorch .pth? convert it with "
                        "scripts/pth-to-safetensors)",
                        path);
    }
    if (n >= 2 && head[0] == 0x80 && head[1] >= 2 && head[1] <= 5)
        return cm_error(CM_ERR_FORMAT,
                        "%s: this is a Python pickle (a PyTorch .pth in the legacy format?), convert it with "
                        "scripts/pth-to-safetensors",
                        path);
    return CM_OK;
}

cm_status cm_safetensors_read(const char *path, cm_safetensors *out)
{
    memset(out, 0, sizeof *out);
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    char *header = NULL;
    cJSON *root = NULL;
    st_entry *entries = NULL;
    const char **names = NULL;
    uint8_t len8[8];
    if (f.size < 8) {
        st = cm_error(CM_ERR_FORMAT, "%s: header length: expected 8 bytes, the file has %llu", path,
                      (unsigned long long)f.size);
        goto done;
    }
    uint8_t head[30 + 256];
    size_t head_n = f.size < sizeof head ? (size_t)f.size : sizeof head;
    if ((st = cm_rfile_read(&f, 0, head, head_n, "header length")))
        goto done;
    if ((st = st_check_not_pytorch(path, head, head_n)))
        goto done;
    memcpy(len8, head, 8);
    uint64_t n = cm_le64(len8);
    if (n > CM_ST_MAX_HEADER) {
        st = cm_error(CM_ERR_FORMAT, "%s: header length: expected at most %llu bytes, got %llu", path,
                      CM_ST_MAX_HEADER, (unsigned long long)n);
        goto done;
    }
    if (n > f.size - 8) {
        st = cm_error(CM_ERR_FORMAT, "%s: header length %llu is past the end of the %llu-byte file", path,
                      (unsigned long long)n, (unsigned long long)f.size);
        goto done;
    }
    if (n < 2) {
        st = cm_error(CM_ERR_FORMAT, "%s: header length: expected a JSON object, got %llu bytes", path,
                      (unsigned long long)n);
        goto done;
    }
    uint64_t data_off = 8 + n, data_len = f.size - data_off;
    header = malloc((size_t)n + 1);
    if (!header) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate a %llu-byte header", path, (unsigned long long)n);
        goto done;
    }
    if ((st = cm_rfile_read(&f, 8, header, (size_t)n, "header")))
        goto done;
    header[n] = '\0';
    if (header[0] != '{') {
        st = cm_error(CM_ERR_FORMAT, "%s: header: expected a JSON object starting with '{'", path);
        goto done;
    }
    const char *end = NULL;
    root = cJSON_ParseWithLengthOpts(header, (size_t)n, &end, 0);
    const char *p = end;
    while (root && p && p < header + n && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
        p++;
    if (!root || !cJSON_IsObject(root) || p != header + n) {
        st = cm_error(CM_ERR_FORMAT, "%s: header: invalid JSON near byte %lld of %llu", path,
                      end ? (long long)(end - header) : -1LL, (unsigned long long)n);
        goto done;
    }
    int total = cJSON_GetArraySize(root);
    entries = calloc(total ? (size_t)total : 1, sizeof *entries);
    names = calloc(total ? (size_t)total : 1, sizeof *names);
    if (!entries || !names) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d header entries", path, total);
        goto done;
    }
    int count = 0, have_meta = 0;
    for (const cJSON *item = root->child; item; item = item->next) {
        if (strcmp(item->string, "__metadata__") == 0) {
            if (have_meta++) {
                st = cm_error(CM_ERR_FORMAT, "%s: __metadata__ appears twice", path);
                goto done;
            }
            if ((st = parse_metadata(item, path, out)))
                goto done;
            continue;
        }
        if ((st = parse_tensor(item, path, data_len, &entries[count])))
            goto done;
        names[count] = entries[count].name;
        count++;
    }
    /* duplicate names: cJSON keeps both, the reference would keep one */
    qsort(names, (size_t)count, sizeof *names, by_name_ptr);
    for (int i = 1; i < count; i++)
        if (strcmp(names[i - 1], names[i]) == 0) {
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s appears twice in the header", path, names[i]);
            goto done;
        }
    /* The tensors must tile [0, data_len): sorted by offset, each begins
     * where the previous ended. */
    qsort(entries, (size_t)count, sizeof *entries, by_offset);
    uint64_t at = 0;
    for (int i = 0; i < count; i++) {
        if (entries[i].begin < at) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: data_offsets [%llu, %llu] overlap %s, which ends at %llu", path,
                          entries[i].name, (unsigned long long)entries[i].begin, (unsigned long long)entries[i].end,
                          entries[i - 1].name, (unsigned long long)at);
            goto done;
        }
        if (entries[i].begin > at) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: data_offsets begin at %llu, expected %llu (bytes between belong to "
                          "no tensor)", path, entries[i].name, (unsigned long long)entries[i].begin,
                          (unsigned long long)at);
            goto done;
        }
        at = entries[i].end;
    }
    if (at != data_len) {
        st = cm_error(CM_ERR_FORMAT, "%s: data: the tensors cover %llu bytes, the file holds %llu after the header",
                      path, (unsigned long long)at, (unsigned long long)data_len);
        goto done;
    }
    out->tensors = calloc(count ? (size_t)count : 1, sizeof *out->tensors);
    if (!out->tensors) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d tensors", path, count);
        goto done;
    }
    for (int i = 0; i < count; i++) {
        const st_entry *e = &entries[i];
        if ((st = cm_array_alloc_uninit(&out->tensors[i], e->name, e->dtype, e->ndim, e->shape))) {
            cm_error_context(st, "%s: ", path);
            goto done;
        }
        out->count = i + 1;
        if ((st = cm_rfile_read(&f, data_off + e->begin, out->tensors[i].data, (size_t)(e->end - e->begin),
                                e->name)))
            goto done;
    }
done:
    if (st)
        cm_safetensors_free(out);
    free(names);
    free(entries);
    cJSON_Delete(root);
    free(header);
    cm_rfile_close(&f);
    return st;
}

/* ================================================================ writing */

/* A growing text buffer for the header. */
typedef struct sbuf {
    char *p;
    size_t n, cap;
    int failed;
} sbuf;

static void put(sbuf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n + 1)
            cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) {
            b->failed = 1;
            return;
        }
        b->p = q;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void puts_(sbuf *b, const char *s) { put(b, s, strlen(s)); }

/* A JSON string literal: quotes, backslashes and control bytes escaped,
 * UTF-8 passed through. */
static void put_json_string(sbuf *b, const char *s)
{
    puts_(b, "\"");
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\', esc[1] = (char)c;
            put(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            puts_(b, esc);
        } else {
            put(b, (const char *)&c, 1);
        }
    }
    puts_(b, "\"");
}

typedef struct order_item {
    const cm_array *a;
} order_item;

static int by_alignment_then_name(const void *x, const void *y)
{
    const cm_array *a = ((const order_item *)x)->a, *b = ((const order_item *)y)->a;
    size_t sa = cm_dtype_size(a->dtype), sb = cm_dtype_size(b->dtype);
    if (sa != sb)
        return sa > sb ? -1 : 1;
    return strcmp(a->name, b->name);
}

cm_status cm_safetensors_write(const char *path, const cm_array *tensors, int count, const char *const *meta_keys,
                               const char *const *meta_values, int meta_count)
{
    if (count < 0 || (count > 0 && !tensors) || meta_count < 0 || (meta_count > 0 && (!meta_keys || !meta_values)))
        return cm_error(CM_ERR_ARG, "%s: expected tensors and metadata lists, got counts %d and %d", path, count,
                        meta_count);
    for (int i = 0; i < count; i++) {
        const cm_array *a = &tensors[i];
        if (!a->name[0] || strcmp(a->name, "__metadata__") == 0)
            return cm_error(CM_ERR_ARG, "%s: tensor %d: expected a name other than \"\" and __metadata__", path, i);
        if (!st_dtype_name(a->dtype))
            return cm_error(CM_ERR_ARG, "%s: %s: unknown dtype %d", path, a->name, (int)a->dtype);
        cm_status st = cm_array_check_shape(a->name, a->dtype, a->ndim, a->shape);
        if (st)
            return cm_error_context(st, "%s: ", path);
        if (cm_array_bytes(a) && !a->data)
            return cm_error(CM_ERR_ARG, "%s: %s: tensor has no data", path, a->name);
    }
    for (int i = 0; i < meta_count; i++)
        if (!meta_keys[i] || !meta_values[i])
            return cm_error(CM_ERR_ARG, "%s: metadata entry %d is NULL", path, i);
    order_item *order = calloc(count ? (size_t)count : 1, sizeof *order);
    if (!order)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d entries", path, count);
    for (int i = 0; i < count; i++)
        order[i].a = &tensors[i];
    /* duplicate names: sort the names alone and compare neighbours */
    const char **names = calloc(count ? (size_t)count : 1, sizeof *names);
    if (!names) {
        free(order);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d entries", path, count);
    }
    for (int i = 0; i < count; i++)
        names[i] = tensors[i].name;
    qsort(names, (size_t)count, sizeof *names, by_name_ptr);
    for (int i = 1; i < count; i++)
        if (strcmp(names[i - 1], names[i]) == 0) {
            cm_status st = cm_error(CM_ERR_ARG, "%s: %s: two tensors with the same name", path, names[i]);
            free(names);
            free(order);
            return st;
        }
    free(names);
    qsort(order, (size_t)count, sizeof *order, by_alignment_then_name);

    sbuf h = {0};
    puts_(&h, "{");
    int first = 1;
    if (meta_count > 0) {
        puts_(&h, "\"__metadata__\":{");
        for (int i = 0; i < meta_count; i++) {
            if (i)
                puts_(&h, ",");
            put_json_string(&h, meta_keys[i]);
            puts_(&h, ":");
            put_json_string(&h, meta_values[i]);
        }
        puts_(&h, "}");
        first = 0;
    }
    uint64_t at = 0;
    for (int i = 0; i < count; i++) {
        const cm_array *a = order[i].a;
        char num[64];
        if (!first)
            puts_(&h, ",");
        first = 0;
        put_json_string(&h, a->name);
        puts_(&h, ":{\"dtype\":\"");
        puts_(&h, st_dtype_name(a->dtype));
        puts_(&h, "\",\"shape\":[");
        for (int d = 0; d < a->ndim; d++) {
            snprintf(num, sizeof num, "%s%lld", d ? "," : "", (long long)a->shape[d]);
            puts_(&h, num);
        }
        uint64_t bytes = cm_array_bytes(a);
        snprintf(num, sizeof num, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)at,
                 (unsigned long long)(at + bytes));
        puts_(&h, num);
        at += bytes;
    }
    puts_(&h, "}");
    while (!h.failed && h.n % 8 != 0)
        puts_(&h, " ");
    cm_status st = CM_OK;
    if (h.failed) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot build the header", path);
    } else {
        cm_atomic_file f;
        if (!(st = cm_atomic_open(&f, path))) {
            uint8_t len8[8];
            cm_put64(len8, h.n);
            st = cm_atomic_write(&f, len8, 8);
            if (!st)
                st = cm_atomic_write(&f, h.p, h.n);
            for (int i = 0; i < count && !st; i++)
                st = cm_atomic_write(&f, order[i].a->data, cm_array_bytes(order[i].a));
            if (st)
                cm_atomic_abort(&f);
            else
                st = cm_atomic_commit(&f);
        }
    }
    free(h.p);
    free(order);
    return st;
}
