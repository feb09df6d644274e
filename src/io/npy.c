/* .npy: numpy's array file format (format.py in numpy/lib).
 *
 *   "\x93NUMPY" major minor | header length (uint16 for 1.0, uint32 for 2.0/3.0)
 *   | a Python dict literal padded with spaces and ended by '\n' | raw C-order data
 *
 * Read: versions 1.0, 2.0 and 3.0 (3.0 only allows UTF-8 in the header, which
 * never happens for the dtypes handled here). Written: 1.0, or 2.0 when the
 * header would not fit in 65535 bytes, with the preamble+header a multiple
 * of 64 bytes as numpy pads it. */
#include "io_internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

static const uint8_t npy_magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

cm_status cm_npy_parse_preamble(const uint8_t *buf, size_t avail, const char *what, size_t *prefix_len,
                                size_t *header_len)
{
    if (avail < 8)
        return cm_error(CM_ERR_FORMAT, "%s: npy magic: expected at least 10 bytes, got %zu", what, avail);
    if (memcmp(buf, npy_magic, sizeof npy_magic) != 0)
        return cm_error(CM_ERR_FORMAT, "%s: npy magic: expected \"\\x93NUMPY\", not an .npy file", what);
    int major = buf[6], minor = buf[7];
    if (major < 1 || major > 3 || minor != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: npy version: expected 1.0, 2.0 or 3.0, got %d.%d", what, major,
                        minor);
    size_t prefix = major == 1 ? 10 : 12;
    if (avail < prefix)
        return cm_error(CM_ERR_FORMAT, "%s: npy header length: expected %zu bytes of preamble, got %zu", what,
                        prefix, avail);
    size_t hlen = major == 1 ? cm_le16(buf + 8) : cm_le32(buf + 8);
    if (hlen > CM_NPY_MAX_HEADER)
        return cm_error(CM_ERR_FORMAT, "%s: npy header length: expected at most %u bytes, got %zu", what,
                        CM_NPY_MAX_HEADER, hlen);
    *prefix_len = prefix;
    *header_len = hlen;
    return CM_OK;
}

/* ------------------------------------------------------ the dict literal */

typedef struct parser {
    const char *p, *end;
    const char *what;
} parser;

static void skip_ws(parser *ps)
{
    while (ps->p < ps->end && (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' || *ps->p == '\r'))
        ps->p++;
}

static cm_status syntax(parser *ps, const char *expected)
{
    if (ps->p >= ps->end)
        return cm_error(CM_ERR_FORMAT, "%s: npy header: expected %s, got the end of the header", ps->what, expected);
    /* the header is not NUL-terminated: bound the excerpt by its end */
    int n = ps->end - ps->p < 12 ? (int)(ps->end - ps->p) : 12;
    return cm_error(CM_ERR_FORMAT, "%s: npy header: expected %s at '%.*s'", ps->what, expected, n, ps->p);
}

static int accept(parser *ps, char c)
{
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 1;
    }
    return 0;
}

/* A Python string literal in single or double quotes, without escapes
 * (numpy never writes any in the keys and descrs it produces). */
static cm_status parse_string(parser *ps, char *out, size_t size)
{
    skip_ws(ps);
    if (ps->p >= ps->end || (*ps->p != '\'' && *ps->p != '"'))
        return syntax(ps, "a quoted string");
    char q = *ps->p++;
    size_t n = 0;
    while (ps->p < ps->end && *ps->p != q) {
        if (*ps->p == '\\' || n + 1 >= size)
            return syntax(ps, "a short string without escapes");
        out[n++] = *ps->p++;
    }
    if (ps->p >= ps->end)
        return syntax(ps, "a closing quote");
    ps->p++;
    out[n] = '\0';
    return CM_OK;
}

static int accept_word(parser *ps, const char *w)
{
    skip_ws(ps);
    size_t n = strlen(w);
    if ((size_t)(ps->end - ps->p) >= n && memcmp(ps->p, w, n) == 0) {
        ps->p += n;
        return 1;
    }
    return 0;
}

static cm_status parse_descr(parser *ps, cm_npy_header *h)
{
    skip_ws(ps);
    if (ps->p < ps->end && (*ps->p == '[' || *ps->p == '{'))
        return cm_error(CM_ERR_UNSUPPORTED,
                        "%s: npy descr: structured dtypes are not supported, expected a plain numeric dtype", ps->what);
    char d[32];
    cm_status st = parse_string(ps, d, sizeof d);
    if (st)
        return st;
    const char *s = d;
    char order = '|';
    if (*s == '<' || *s == '>' || *s == '|' || *s == '=')
        order = *s++;
    char kind = *s ? *s++ : '\0';
    if (kind == 'O')
        return cm_error(CM_ERR_UNSUPPORTED, "%s: npy descr: object arrays ('%s') are not supported", ps->what, d);
    long size = 0;
    if (!isdigit((unsigned char)*s))
        goto unknown;
    while (isdigit((unsigned char)*s) && size < 1000)
        size = size * 10 + (*s++ - '0');
    if (*s)
        goto unknown;
    /* '=' is native order, little-endian on every host cogmap builds for. */
    if (order == '>' && size > 1)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: npy descr: big-endian data ('%s') is not supported", ps->what, d);
    if (kind == 'f' && size == 4)
        h->dtype = CM_F32;
    else if (kind == 'f' && size == 8)
        h->dtype = CM_F64;
    else if (kind == 'i' && size == 4)
        h->dtype = CM_I32;
    else if (kind == 'i' && size == 8)
        h->dtype = CM_I64;
    else if (kind == 'u' && size == 1)
        h->dtype = CM_U8;
    else if (kind == 'b' && size == 1)
        h->dtype = CM_BOOL;
    else
        goto unknown;
    return CM_OK;
unknown:
    return cm_error(CM_ERR_UNSUPPORTED,
                    "%s: npy descr: expected float32, float64, int32, int64, uint8 or bool, got '%s'", ps->what, d);
}

static cm_status parse_shape(parser *ps, cm_npy_header *h)
{
    if (!accept(ps, '('))
        return syntax(ps, "'(' opening the shape");
    h->ndim = 0;
    for (;;) {
        if (accept(ps, ')'))
            break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '-')
            return cm_error(CM_ERR_FORMAT, "%s: npy shape: expected non-negative sizes, got a negative one", ps->what);
        if (ps->p >= ps->end || !isdigit((unsigned char)*ps->p))
            return syntax(ps, "a dimension size");
        if (h->ndim == CM_MAX_DIMS)
            return cm_error(CM_ERR_UNSUPPORTED, "%s: npy shape: expected at most %d dimensions", ps->what,
                            CM_MAX_DIMS);
        int64_t v = 0;
        while (ps->p < ps->end && isdigit((unsigned char)*ps->p)) {
            int digit = *ps->p++ - '0';
            if (v > (INT64_MAX - digit) / 10)
                return cm_error(CM_ERR_FORMAT, "%s: npy shape: dimension %d does not fit in 64 bits", ps->what,
                                h->ndim);
            v = v * 10 + digit;
        }
        if (ps->p < ps->end && *ps->p == 'L') /* Python 2 longs */
            ps->p++;
        h->shape[h->ndim++] = v;
        if (accept(ps, ','))
            continue;
        if (accept(ps, ')'))
            break;
        return syntax(ps, "',' or ')' in the shape");
    }
    return CM_OK;
}

cm_status cm_npy_parse_dict(const char *dict, size_t len, const char *what, cm_npy_header *h)
{
    memset(h, 0, sizeof *h);
    parser ps = {dict, dict + len, what};
    int have_descr = 0, have_order = 0, have_shape = 0;
    if (!accept(&ps, '{'))
        return syntax(&ps, "'{' opening the header dict");
    for (;;) {
        if (accept(&ps, '}'))
            break;
        char key[32];
        cm_status st = parse_string(&ps, key, sizeof key);
        if (st)
            return st;
        if (!accept(&ps, ':'))
            return syntax(&ps, "':' after a key");
        if (strcmp(key, "descr") == 0 && !have_descr) {
            if ((st = parse_descr(&ps, h)))
                return st;
            have_descr = 1;
        } else if (strcmp(key, "fortran_order") == 0 && !have_order) {
            if (accept_word(&ps, "True"))
                return cm_error(CM_ERR_UNSUPPORTED,
                                "%s: npy fortran_order: Fortran-order arrays are not supported, save in C order", what);
            if (!accept_word(&ps, "False"))
                return syntax(&ps, "True or False");
            have_order = 1;
        } else if (strcmp(key, "shape") == 0 && !have_shape) {
            if ((st = parse_shape(&ps, h)))
                return st;
            have_shape = 1;
        } else {
            return cm_error(CM_ERR_FORMAT, "%s: npy header: expected keys descr, fortran_order, shape, got '%s'",
                            what, key);
        }
        if (accept(&ps, ','))
            continue;
        if (accept(&ps, '}'))
            break;
        return syntax(&ps, "',' or '}'");
    }
    skip_ws(&ps);
    if (ps.p != ps.end)
        return syntax(&ps, "only padding after the header dict");
    if (!have_descr || !have_order || !have_shape)
        return cm_error(CM_ERR_FORMAT, "%s: npy header: missing key '%s'", what,
                        !have_descr ? "descr" : !have_order ? "fortran_order" : "shape");
    uint64_t bytes = cm_dtype_size(h->dtype);
    int zero = 0;
    for (int i = 0; i < h->ndim; i++)
        zero |= h->shape[i] == 0;
    for (int i = 0; i < h->ndim && !zero; i++) {
        if ((uint64_t)h->shape[i] > (UINT64_MAX / 4) / bytes)
            return cm_error(CM_ERR_FORMAT, "%s: npy shape: the number of bytes overflows 64 bits", what);
        bytes *= (uint64_t)h->shape[i];
    }
    h->data_bytes = zero ? 0 : bytes;
    return CM_OK;
}

static void shape_string(char *buf, size_t size, const cm_npy_header *h)
{
    size_t n = (size_t)snprintf(buf, size, "(");
    for (int i = 0; i < h->ndim && n < size; i++)
        n += (size_t)snprintf(buf + n, size - n, "%s%lld", i ? ", " : "", (long long)h->shape[i]);
    if (n < size)
        snprintf(buf + n, size - n, ")");
}

/* The data must be exactly what the header promises: fewer bytes is a
 * truncated file, more is a header that lies about the shape. */
static cm_status check_data_size(const cm_npy_header *h, uint64_t have, const char *what)
{
    if (have != h->data_bytes) {
        char s[256];
        shape_string(s, sizeof s, h);
        return cm_error(CM_ERR_FORMAT, "%s: npy data: shape %s of %s needs %llu bytes, the file holds %llu", what, s,
                        cm_dtype_name(h->dtype), (unsigned long long)h->data_bytes, (unsigned long long)have);
    }
    char s[256], label[4096 + 320];
    shape_string(s, sizeof s, h);
    snprintf(label, sizeof label, "%s: npy data: shape %s of %s", what, s, cm_dtype_name(h->dtype));
    return cm_memory_check(h->data_bytes, label);
}

static cm_status alloc_from_header(const cm_npy_header *h, const char *what, cm_array *out)
{
    cm_status st = cm_array_alloc_uninit(out, "", h->dtype, h->ndim, h->shape);
    if (st)
        return cm_error_context(st, "%s: ", what);
    return CM_OK;
}

cm_status cm_npy_parse(const void *buf, size_t len, const char *what, cm_array *out)
{
    memset(out, 0, sizeof *out);
    const uint8_t *b = buf;
    size_t prefix, hlen;
    cm_status st = cm_npy_parse_preamble(b, len, what, &prefix, &hlen);
    if (st)
        return st;
    if (hlen > len - prefix)
        return cm_error(CM_ERR_FORMAT, "%s: npy header: header length %zu is past the end (%zu bytes in all)", what,
                        hlen, len);
    cm_npy_header h;
    if ((st = cm_npy_parse_dict((const char *)b + prefix, hlen, what, &h)))
        return st;
    if ((st = check_data_size(&h, len - prefix - hlen, what)))
        return st;
    if ((st = alloc_from_header(&h, what, out)))
        return st;
    if (h.data_bytes)
        memcpy(out->data, b + prefix + hlen, (size_t)h.data_bytes);
    return CM_OK;
}

cm_status cm_npy_read(const char *path, cm_array *out)
{
    memset(out, 0, sizeof *out);
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    uint8_t pre[12];
    size_t avail = f.size < sizeof pre ? (size_t)f.size : sizeof pre;
    size_t prefix = 0, hlen = 0;
    char *dict = NULL;
    cm_npy_header h;
    if ((st = cm_rfile_read(&f, 0, pre, avail, "npy preamble")))
        goto done;
    if ((st = cm_npy_parse_preamble(pre, avail, path, &prefix, &hlen)))
        goto done;
    if (hlen > f.size - prefix) {
        st = cm_error(CM_ERR_FORMAT, "%s: npy header: header length %zu is past the end (%llu bytes in all)", path,
                      hlen, (unsigned long long)f.size);
        goto done;
    }
    dict = cm_alloc(hlen + 1);
    if (!dict) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate the npy header", path);
        goto done;
    }
    if ((st = cm_rfile_read(&f, prefix, dict, hlen, "npy header")))
        goto done;
    if ((st = cm_npy_parse_dict(dict, hlen, path, &h)))
        goto done;
    if ((st = check_data_size(&h, f.size - prefix - hlen, path)))
        goto done;
    if ((st = alloc_from_header(&h, path, out)))
        goto done;
    if ((st = cm_rfile_read(&f, prefix + hlen, out->data, (size_t)h.data_bytes, "npy data")))
        cm_array_free(out);
done:
    cm_free(dict);
    cm_rfile_close(&f);
    return st;
}

static const char *npy_descr(cm_dtype dtype)
{
    switch (dtype) {
    case CM_F32: return "<f4";
    case CM_F64: return "<f8";
    case CM_I32: return "<i4";
    case CM_I64: return "<i8";
    case CM_U8: return "|u1";
    case CM_BOOL: return "|b1";
    }
    return NULL;
}

cm_status cm_npy_build_header(const cm_array *a, const char *what, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    const char *descr = npy_descr(a->dtype);
    if (!descr)
        return cm_error(CM_ERR_ARG, "%s: %s: unknown dtype %d", what, a->name, (int)a->dtype);
    cm_status st = cm_array_check_shape(a->name, a->dtype, a->ndim, a->shape);
    if (st)
        return cm_error_context(st, "%s: ", what);
    char shape[CM_MAX_DIMS * 24 + 8];
    size_t n = (size_t)snprintf(shape, sizeof shape, "(");
    for (int i = 0; i < a->ndim; i++) {
        if (a->shape[i] < 0)
            return cm_error(CM_ERR_ARG, "%s: %s: dimension %d is negative", what, a->name, i);
        n += (size_t)snprintf(shape + n, sizeof shape - n, "%s%lld", i ? ", " : "", (long long)a->shape[i]);
    }
    /* numpy writes a 1-tuple with a trailing comma: (5,) */
    snprintf(shape + n, sizeof shape - n, "%s)", a->ndim == 1 ? "," : "");
    char dict[512];
    int dn = snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, shape);
    size_t prefix = 10;
    size_t total = (prefix + (size_t)dn + 1 + 63) / 64 * 64;
    /* Never triggered by at most 8 dimensions, but kept so the writer stays
     * right if CM_MAX_DIMS grows: version 2.0 has a 32-bit header length. */
    if (total - prefix > 65535) {
        prefix = 12;
        total = (prefix + (size_t)dn + 1 + 63) / 64 * 64;
    }
    uint8_t *buf = cm_alloc(total);
    if (!buf)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate the npy header", what);
    memcpy(buf, npy_magic, 6);
    buf[6] = prefix == 10 ? 1 : 2;
    buf[7] = 0;
    size_t hlen = total - prefix;
    if (prefix == 10)
        cm_put16(buf + 8, (uint16_t)hlen);
    else
        cm_put32(buf + 8, (uint32_t)hlen);
    memcpy(buf + prefix, dict, (size_t)dn);
    memset(buf + prefix + dn, ' ', total - prefix - (size_t)dn - 1);
    buf[total - 1] = '\n';
    *out = buf;
    *len = total;
    return CM_OK;
}

cm_status cm_npy_write(const char *path, const cm_array *a)
{
    uint8_t *hdr;
    size_t hlen;
    cm_status st = cm_npy_build_header(a, path, &hdr, &hlen);
    if (st)
        return st;
    size_t bytes = cm_array_bytes(a);
    if (bytes && !a->data) {
        cm_free(hdr);
        return cm_error(CM_ERR_ARG, "%s: %s: array has no data", path, a->name);
    }
    cm_atomic_file f;
    if ((st = cm_atomic_open(&f, path))) {
        cm_free(hdr);
        return st;
    }
    st = cm_atomic_write(&f, hdr, hlen);
    if (!st)
        st = cm_atomic_write(&f, a->data, bytes);
    cm_free(hdr);
    if (st) {
        cm_atomic_abort(&f);
        return st;
    }
    return cm_atomic_commit(&f);
}
