/* .npz: a zip archive of .npy members, as np.savez (stored) and
 * np.savez_compressed (deflated) write it.
 *
 * Reading trusts the central directory (sizes, CRC, offsets) and checks
 * every value against the file: the central directory must lie inside the
 * file, each member's data must end before the central directory starts,
 * the inflated size must be what the directory says and the CRC must match.
 * Members are streamed straight into the arrays (no copy of the archive in
 * memory). ZIP64 extra fields and end records are read wherever they appear
 * (numpy's zipfile writes a ZIP64 local extra for every member), and data
 * descriptors are harmless since sizes come from the central directory.
 *
 * Writing stores or deflates each member with a fixed timestamp
 * (1980-01-01, as Python's ZipInfo default) so the same arrays give the same
 * bytes; ZIP64 fields are written only where a size or offset needs them. */
#define _FILE_OFFSET_BITS 64
#include "io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_ZIP64_EOCD 0x06064b50u
#define SIG_ZIP64_LOCATOR 0x07064b50u
#define U32_MAX_FIELD 0xffffffffu
#define U16_MAX_FIELD 0xffffu
#define DOS_DATE_1980 0x0021u /* 1980-01-01 */
/* deflate cannot do better than about 1032:1, so a member that claims to
 * inflate to more is lying, and we refuse before allocating for it */
#define MAX_DEFLATE_RATIO 1032u

/* ================================================================ reading */

typedef struct zip_entry {
    char name[128]; /* without ".npy" */
    uint16_t flags, method;
    uint32_t crc;
    uint64_t csize, usize, local_off;
} zip_entry;

/* One member's bytes in order, stored or inflated, with the CRC running. */
typedef struct member_stream {
    const cm_rfile *f;
    const char *what; /* "archive.npz: name.npy" */
    int method;
    uint64_t pos;       /* next compressed byte in the file */
    uint64_t left;      /* compressed bytes not yet fed */
    uint64_t usize;     /* declared uncompressed size */
    uint64_t produced;  /* uncompressed bytes delivered so far */
    uint32_t crc;
    z_stream z;
    int z_open, z_end;
    uint8_t in[1 << 16];
} member_stream;

static cm_status stream_fill(member_stream *s)
{
    size_t n = s->left < sizeof s->in ? (size_t)s->left : sizeof s->in;
    cm_status st = cm_rfile_read(s->f, s->pos, s->in, n, "compressed member data");
    if (st)
        return st;
    s->pos += n;
    s->left -= n;
    s->z.next_in = s->in;
    s->z.avail_in = (uInt)n;
    return CM_OK;
}

/* Reads exactly n bytes of the member's uncompressed content. */
static cm_status stream_read(member_stream *s, void *dst, size_t n, const char *field)
{
    if (n > s->usize - s->produced)
        return cm_error(CM_ERR_FORMAT, "%s: %s: needs %zu more bytes, the member has %llu left", s->what, field, n,
                        (unsigned long long)(s->usize - s->produced));
    uint8_t *out = dst;
    size_t todo = n;
    if (s->method == 0) {
        cm_status st = cm_rfile_read(s->f, s->pos, out, n, field);
        if (st)
            return st;
        s->pos += n;
        s->left -= n;
    } else {
        while (todo > 0) {
            if (s->z_end)
                return cm_error(CM_ERR_FORMAT, "%s: %s: deflate stream ends after %llu bytes, the directory says %llu",
                                s->what, field, (unsigned long long)s->produced, (unsigned long long)s->usize);
            if (s->z.avail_in == 0) {
                if (s->left == 0)
                    return cm_error(CM_ERR_FORMAT,
                                    "%s: %s: compressed data ends early (compressed size in the directory too small?)",
                                    s->what, field);
                cm_status st = stream_fill(s);
                if (st)
                    return st;
            }
            uInt chunk = todo > (1u << 30) ? (1u << 30) : (uInt)todo;
            s->z.next_out = out;
            s->z.avail_out = chunk;
            int rc = inflate(&s->z, Z_NO_FLUSH);
            size_t got = chunk - s->z.avail_out;
            if (rc == Z_STREAM_END)
                s->z_end = 1;
            else if (rc != Z_OK && !(rc == Z_BUF_ERROR && got > 0))
                return cm_error(CM_ERR_FORMAT, "%s: %s: corrupt deflate data (%s)", s->what, field,
                                s->z.msg ? s->z.msg : "zlib error");
            out += got;
            todo -= got;
            s->produced += got;
        }
        s->crc = (uint32_t)crc32_z(s->crc, dst, n);
        return CM_OK;
    }
    s->produced += n;
    s->crc = (uint32_t)crc32_z(s->crc, dst, n);
    return CM_OK;
}

/* After the last byte: the stream must end exactly there, all compressed
 * bytes must have been used and the CRC must match. */
static cm_status stream_finish(member_stream *s, uint32_t want_crc)
{
    if (s->method == 8 && !s->z_end) {
        uint8_t extra;
        for (;;) {
            if (s->z.avail_in == 0 && s->left > 0) {
                cm_status st = stream_fill(s);
                if (st)
                    return st;
            }
            s->z.next_out = &extra;
            s->z.avail_out = 1;
            int rc = inflate(&s->z, Z_NO_FLUSH);
            if (s->z.avail_out == 0)
                return cm_error(CM_ERR_FORMAT, "%s: member inflates to more than the %llu bytes the directory says",
                                s->what, (unsigned long long)s->usize);
            if (rc == Z_STREAM_END) {
                s->z_end = 1;
                break;
            }
            if (rc == Z_BUF_ERROR && s->z.avail_in == 0 && s->left == 0)
                return cm_error(CM_ERR_FORMAT, "%s: compressed data ends before the deflate stream does", s->what);
            if (rc != Z_OK && rc != Z_BUF_ERROR)
                return cm_error(CM_ERR_FORMAT, "%s: corrupt deflate data (%s)", s->what,
                                s->z.msg ? s->z.msg : "zlib error");
        }
    }
    if (s->method == 8 && (s->z.avail_in != 0 || s->left != 0))
        return cm_error(CM_ERR_FORMAT, "%s: deflate stream ends %llu bytes before the compressed size says", s->what,
                        (unsigned long long)(s->z.avail_in + s->left));
    if (s->produced != s->usize)
        return cm_error(CM_ERR_FORMAT, "%s: npy data: %llu bytes read, the directory says %llu", s->what,
                        (unsigned long long)s->produced, (unsigned long long)s->usize);
    if (s->crc != want_crc)
        return cm_error(CM_ERR_FORMAT, "%s: CRC-32: expected %08x, the data gives %08x", s->what, want_crc, s->crc);
    return CM_OK;
}

/* Reads one member (an .npy image) into `out`. */
static cm_status read_member(const cm_rfile *archive, const zip_entry *e, uint64_t data_limit, cm_array *out)
{
    char what[4096 + 160];
    snprintf(what, sizeof what, "%s: %s.npy", archive->path, e->name);
    /* the same file, named "archive.npz: member.npy" in messages */
    cm_rfile member = *archive;
    member.path = what;
    const cm_rfile *f = &member;
    uint8_t lh[30];
    cm_status st = cm_rfile_read(f, e->local_off, lh, sizeof lh, "local file header");
    if (st)
        return st;
    if (cm_le32(lh) != SIG_LOCAL)
        return cm_error(CM_ERR_FORMAT, "%s: local header at offset %llu: expected signature PK\\3\\4", what,
                        (unsigned long long)e->local_off);
    uint64_t data_off = e->local_off + 30 + cm_le16(lh + 26) + cm_le16(lh + 28);
    if (data_off > data_limit || e->csize > data_limit - data_off)
        return cm_error(CM_ERR_FORMAT,
                        "%s: member data at offset %llu, %llu bytes: expected to end before the central directory "
                        "at %llu",
                        what, (unsigned long long)data_off, (unsigned long long)e->csize,
                        (unsigned long long)data_limit);

    member_stream *s = calloc(1, sizeof *s); /* 64 KiB input buffer: not on the stack */
    if (!s)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a read buffer", what);
    s->f = f;
    s->what = what;
    s->method = e->method;
    s->pos = data_off;
    s->left = e->csize;
    s->usize = e->usize;
    s->crc = (uint32_t)crc32(0, NULL, 0);
    if (e->method == 8) {
        if (inflateInit2(&s->z, -15) != Z_OK) {
            free(s);
            return cm_error(CM_ERR_NOMEM, "%s: inflateInit failed", what);
        }
        s->z_open = 1;
    }
    char *dict = NULL;
    uint8_t pre[12];
    size_t prefix = 0, hlen = 0;
    cm_npy_header h;
    if ((st = stream_read(s, pre, 10, "npy preamble")))
        goto done;
    if (memcmp(pre, "\x93NUMPY", 6) == 0 && pre[6] >= 2 && (st = stream_read(s, pre + 10, 2, "npy preamble")))
        goto done;
    if ((st = cm_npy_parse_preamble(pre, pre[6] >= 2 ? 12 : 10, what, &prefix, &hlen)))
        goto done;
    if (!(dict = malloc(hlen + 1))) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate the npy header", what);
        goto done;
    }
    if ((st = stream_read(s, dict, hlen, "npy header")))
        goto done;
    if ((st = cm_npy_parse_dict(dict, hlen, what, &h)))
        goto done;
    if (h.data_bytes != e->usize - prefix - hlen) {
        st = cm_error(CM_ERR_FORMAT, "%s: npy data: the shape needs %llu bytes, the member holds %llu", what,
                      (unsigned long long)h.data_bytes, (unsigned long long)(e->usize - prefix - hlen));
        goto done;
    }
    if ((st = cm_array_alloc_uninit(out, e->name, h.dtype, h.ndim, h.shape))) {
        cm_error_context(st, "%s: ", what);
        goto done;
    }
    if ((st = stream_read(s, out->data, (size_t)h.data_bytes, "npy data")))
        goto done;
    st = stream_finish(s, e->crc);
done:
    if (st)
        cm_array_free(out);
    free(dict);
    if (s->z_open)
        inflateEnd(&s->z);
    free(s);
    return st;
}

/* Applies a ZIP64 extended-information extra field (id 1) to the fields
 * that were saturated in the fixed part, in the order the spec gives. */
static cm_status apply_zip64_extra(const uint8_t *x, size_t xlen, const char *what, uint64_t *usize, uint64_t *csize,
                                   uint64_t *off)
{
    uint64_t *fields[3] = {usize, csize, off};
    size_t i = 0;
    while (i + 4 <= xlen) {
        uint16_t id = cm_le16(x + i), sz = cm_le16(x + i + 2);
        if (i + 4 + sz > xlen)
            return cm_error(CM_ERR_FORMAT, "%s: extra field: length %u runs past the extra block", what, sz);
        if (id == 1) {
            size_t k = 0;
            for (int j = 0; j < 3; j++) {
                if (!fields[j] || *fields[j] != U32_MAX_FIELD)
                    continue;
                if (k + 8 > sz)
                    return cm_error(CM_ERR_FORMAT, "%s: ZIP64 extra field: expected a 64-bit value for a saturated "
                                                   "size or offset, the field is too short", what);
                *fields[j] = cm_le64(x + i + 4 + k);
                k += 8;
            }
            return CM_OK;
        }
        i += 4 + (size_t)sz;
    }
    for (int j = 0; j < 3; j++)
        if (fields[j] && *fields[j] == U32_MAX_FIELD)
            return cm_error(CM_ERR_FORMAT, "%s: size or offset 0xffffffff without a ZIP64 extra field", what);
    return CM_OK;
}

/* Finds the end of central directory (and the ZIP64 one if present): the
 * central directory's offset, size and entry count. */
static cm_status find_directory(const cm_rfile *f, uint64_t *cd_off, uint64_t *cd_size, uint64_t *entries,
                                uint64_t *cd_limit)
{
    const char *path = f->path;
    if (f->size < 22)
        return cm_error(CM_ERR_FORMAT, "%s: expected a zip archive (.npz) of at least 22 bytes, got %llu", path,
                        (unsigned long long)f->size);
    size_t tail = f->size < 22 + 65535 ? (size_t)f->size : 22 + 65535;
    uint8_t *buf = malloc(tail);
    if (!buf)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, tail);
    cm_status st = cm_rfile_read(f, f->size - tail, buf, tail, "end of central directory");
    if (st) {
        free(buf);
        return st;
    }
    /* The record is 22 bytes plus a comment of up to 65535; scan backwards
     * for a signature whose comment length fits what follows it. */
    long found = -1;
    for (long i = (long)tail - 22; i >= 0; i--) {
        if (cm_le32(buf + i) == SIG_EOCD && (size_t)i + 22 + cm_le16(buf + i + 20) <= tail) {
            found = i;
            break;
        }
    }
    if (found < 0) {
        free(buf);
        return cm_error(CM_ERR_FORMAT, "%s: end of central directory: signature not found, not a zip archive (.npz)",
                        path);
    }
    const uint8_t *e = buf + found;
    uint64_t eocd_pos = f->size - tail + (uint64_t)found;
    uint16_t disk = cm_le16(e + 4), cd_disk = cm_le16(e + 6);
    uint64_t n_disk = cm_le16(e + 8), n = cm_le16(e + 10);
    uint64_t size = cm_le32(e + 12), off = cm_le32(e + 16);
    free(buf);
    *cd_limit = eocd_pos;
    uint8_t loc[20];
    if (eocd_pos >= 20 && cm_rfile_read(f, eocd_pos - 20, loc, 20, "ZIP64 locator") == CM_OK &&
        cm_le32(loc) == SIG_ZIP64_LOCATOR) {
        uint64_t z_off = cm_le64(loc + 8);
        uint8_t z[56];
        if (z_off > eocd_pos - 20 || eocd_pos - 20 - z_off < 56)
            return cm_error(CM_ERR_FORMAT, "%s: ZIP64 end of central directory: offset %llu outside the archive", path,
                            (unsigned long long)z_off);
        if ((st = cm_rfile_read(f, z_off, z, sizeof z, "ZIP64 end of central directory")))
            return st;
        if (cm_le32(z) != SIG_ZIP64_EOCD)
            return cm_error(CM_ERR_FORMAT, "%s: ZIP64 end of central directory: expected signature PK\\6\\6", path);
        disk = (uint16_t)cm_le32(z + 16);
        cd_disk = (uint16_t)cm_le32(z + 20);
        n_disk = cm_le64(z + 24);
        n = cm_le64(z + 32);
        size = cm_le64(z + 40);
        off = cm_le64(z + 48);
        *cd_limit = z_off;
    }
    if (disk != 0 || cd_disk != 0 || n_disk != n)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: multi-disk zip archives are not supported", path);
    if (off > *cd_limit || size > *cd_limit - off)
        return cm_error(CM_ERR_FORMAT,
                        "%s: central directory: offset %llu + size %llu runs past the end records at %llu", path,
                        (unsigned long long)off, (unsigned long long)size, (unsigned long long)*cd_limit);
    if (n > (uint64_t)INT32_MAX)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: central directory: %llu members, expected at most %d", path,
                        (unsigned long long)n, INT32_MAX);
    if (n > size / 46)
        return cm_error(CM_ERR_FORMAT, "%s: central directory: %llu entries cannot fit in %llu bytes", path,
                        (unsigned long long)n, (unsigned long long)size);
    *cd_off = off;
    *cd_size = size;
    *entries = n;
    return CM_OK;
}

/* Parses central-directory entry k at *pos into e, advancing *pos. */
static cm_status parse_entry(const cm_rfile *f, const uint8_t *cd, uint64_t cd_size, uint64_t *pos, uint64_t k,
                             zip_entry *e)
{
    const char *path = f->path;
    uint64_t p = *pos;
    if (cd_size - p < 46 || cm_le32(cd + p) != SIG_CENTRAL)
        return cm_error(CM_ERR_FORMAT, "%s: central directory entry %llu: expected signature PK\\1\\2", path,
                        (unsigned long long)k);
    const uint8_t *c = cd + p;
    size_t nlen = cm_le16(c + 28), xlen = cm_le16(c + 30), clen = cm_le16(c + 32);
    if (cd_size - p - 46 < nlen + xlen + clen)
        return cm_error(CM_ERR_FORMAT, "%s: central directory entry %llu: name and extra fields run past its end", path,
                        (unsigned long long)k);
    char full[65536 + 1];
    memcpy(full, c + 46, nlen);
    full[nlen] = '\0';
    if (strlen(full) != nlen)
        return cm_error(CM_ERR_FORMAT, "%s: central directory entry %llu: NUL byte in the member name", path,
                        (unsigned long long)k);
    if (nlen < 4 || strcmp(full + nlen - 4, ".npy") != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: member '%.200s': expected an .npy array member", path, full);
    if (nlen - 4 >= sizeof e->name)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: member '%.60s...': name longer than %zu bytes", path, full,
                        sizeof e->name - 1);
    memcpy(e->name, full, nlen - 4);
    e->name[nlen - 4] = '\0';
    e->flags = cm_le16(c + 8);
    e->method = cm_le16(c + 10);
    e->crc = cm_le32(c + 16);
    e->csize = cm_le32(c + 20);
    e->usize = cm_le32(c + 24);
    e->local_off = cm_le32(c + 42);
    uint16_t disk = cm_le16(c + 34);
    char what[4096 + 160];
    snprintf(what, sizeof what, "%s: %.200s", path, full);
    cm_status st = apply_zip64_extra(c + 46 + nlen, xlen, what, &e->usize, &e->csize, &e->local_off);
    if (st)
        return st;
    if (disk != 0 && disk != U16_MAX_FIELD)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: member on disk %u: multi-disk archives are not supported", what, disk);
    if (e->flags & 1)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: encrypted members are not supported", what);
    if (e->method != 0 && e->method != 8)
        return cm_error(CM_ERR_UNSUPPORTED, "%s: compression method %u: expected 0 (stored) or 8 (deflated)", what,
                        e->method);
    if (e->method == 0 && e->csize != e->usize)
        return cm_error(CM_ERR_FORMAT, "%s: stored member: compressed size %llu differs from size %llu", what,
                        (unsigned long long)e->csize, (unsigned long long)e->usize);
    if (e->method == 8 && e->usize / MAX_DEFLATE_RATIO > e->csize + 64)
        return cm_error(CM_ERR_FORMAT, "%s: size %llu cannot come from %llu compressed bytes", what,
                        (unsigned long long)e->usize, (unsigned long long)e->csize);
    if (e->usize > f->size * (uint64_t)MAX_DEFLATE_RATIO + 1024)
        return cm_error(CM_ERR_FORMAT, "%s: size %llu is impossible for a %llu-byte archive", what,
                        (unsigned long long)e->usize, (unsigned long long)f->size);
    *pos = p + 46 + nlen + xlen + clen;
    return CM_OK;
}

cm_status cm_npz_read(const char *path, cm_npz *out)
{
    memset(out, 0, sizeof *out);
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    uint64_t cd_off = 0, cd_size = 0, n = 0, cd_limit = 0;
    uint8_t *cd = NULL;
    zip_entry *entries = NULL;
    if ((st = find_directory(&f, &cd_off, &cd_size, &n, &cd_limit)))
        goto done;
    cd = malloc(cd_size ? cd_size : 1);
    entries = calloc(n ? n : 1, sizeof *entries);
    out->arrays = calloc(n ? n : 1, sizeof *out->arrays);
    if (!cd || !entries || !out->arrays) {
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate the central directory (%llu entries)", path,
                      (unsigned long long)n);
        goto done;
    }
    if ((st = cm_rfile_read(&f, cd_off, cd, cd_size, "central directory")))
        goto done;
    uint64_t pos = 0;
    for (uint64_t k = 0; k < n; k++) {
        if ((st = parse_entry(&f, cd, cd_size, &pos, k, &entries[k])))
            goto done;
        for (uint64_t j = 0; j < k; j++)
            if (strcmp(entries[j].name, entries[k].name) == 0) {
                st = cm_error(CM_ERR_FORMAT, "%s: member %s.npy appears twice", path, entries[k].name);
                goto done;
            }
    }
    /* Every member's data will be held at once: refuse before reading any
     * when the archive declares more than the memory limit. */
    uint64_t total = 0;
    for (uint64_t k = 0; k < n; k++)
        total = entries[k].usize > UINT64_MAX - total ? UINT64_MAX : total + entries[k].usize;
    char label[4096 + 64];
    snprintf(label, sizeof label, "%s: %llu members", path, (unsigned long long)n);
    if ((st = cm_memory_check(total, label)))
        goto done;
    for (uint64_t k = 0; k < n; k++) {
        if ((st = read_member(&f, &entries[k], cd_off, &out->arrays[k])))
            goto done;
        out->count = (int)(k + 1);
    }
done:
    free(cd);
    free(entries);
    cm_rfile_close(&f);
    if (st)
        cm_npz_free(out);
    return st;
}

const cm_array *cm_npz_get(const cm_npz *z, const char *name)
{
    for (int i = 0; z && name && i < z->count; i++)
        if (strcmp(z->arrays[i].name, name) == 0)
            return &z->arrays[i];
    return NULL;
}

cm_status cm_npz_require(const cm_npz *z, const char *file, const char *name, cm_dtype dtype, int ndim,
                         const int64_t *shape, const cm_array **out)
{
    if (out)
        *out = NULL;
    const cm_array *a = cm_npz_get(z, name);
    if (!a) {
        char have[512] = "";
        size_t n = 0;
        for (int i = 0; z && i < z->count && n < sizeof have; i++)
            n += (size_t)snprintf(have + n, sizeof have - n, "%s%s", i ? ", " : "", z->arrays[i].name);
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an array of that name, the file has [%s]", file ? file : "",
                        name ? name : "", have);
    }
    cm_status st = cm_array_expect(a, file, dtype, ndim, shape);
    if (st)
        return st;
    if (out)
        *out = a;
    return CM_OK;
}

void cm_npz_free(cm_npz *z)
{
    if (!z)
        return;
    for (int i = 0; z->arrays && i < z->count; i++)
        cm_array_free(&z->arrays[i]);
    free(z->arrays);
    z->arrays = NULL;
    z->count = 0;
}

/* ================================================================ writing */

typedef struct written {
    uint32_t crc;
    uint64_t csize, usize, offset;
    uint16_t method;
    int zip64;
} written;

static uint32_t crc_of(uint32_t crc, const uint8_t *p, size_t n)
{
    return (uint32_t)crc32_z(crc, p, n);
}

/* Deflates header + data into the file; returns the compressed size. */
static cm_status deflate_member(cm_atomic_file *f, const uint8_t *hdr, size_t hlen, const uint8_t *data, size_t dlen,
                                uint64_t *csize)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return cm_error(CM_ERR_NOMEM, "%s: deflateInit failed", f->path);
    size_t outsize = 1 << 18;
    uint8_t *outbuf = malloc(outsize);
    if (!outbuf) {
        deflateEnd(&z);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a compression buffer", f->path);
    }
    cm_status st = CM_OK;
    uint64_t total = 0;
    const uint8_t *parts[2] = {hdr, data};
    size_t lens[2] = {hlen, dlen};
    for (int part = 0; part < 2 && !st; part++) {
        const uint8_t *p = parts[part];
        size_t left = lens[part];
        int last = part == 1;
        do {
            uInt chunk = left > (1u << 30) ? (1u << 30) : (uInt)left;
            z.next_in = (Bytef *)p;
            z.avail_in = chunk;
            p += chunk;
            left -= chunk;
            int flush = last && left == 0 ? Z_FINISH : Z_NO_FLUSH;
            int rc;
            do {
                z.next_out = outbuf;
                z.avail_out = (uInt)outsize;
                rc = deflate(&z, flush);
                size_t got = outsize - z.avail_out;
                total += got;
                if ((st = cm_atomic_write(f, outbuf, got)))
                    break;
            } while (z.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
        } while (left > 0 && !st);
    }
    deflateEnd(&z);
    free(outbuf);
    *csize = total;
    return st;
}

static cm_status write_at(cm_atomic_file *f, uint64_t off, const void *p, size_t n)
{
    if (fseeko(f->fp, (off_t)off, SEEK_SET) != 0 || fwrite(p, 1, n, f->fp) != n || fseeko(f->fp, 0, SEEK_END) != 0)
        return cm_error(CM_ERR_IO, "%s: cannot patch the local header", f->path);
    return CM_OK;
}

static cm_status write_member(cm_atomic_file *f, const cm_array *a, int compress, int force_zip64, uint64_t *offset,
                              written *w)
{
    uint8_t *hdr;
    size_t hlen;
    cm_status st = cm_npy_build_header(a, f->path, &hdr, &hlen);
    if (st)
        return st;
    size_t dlen = cm_array_bytes(a);
    const uint8_t *data = a->data;
    w->offset = *offset;
    w->usize = hlen + dlen;
    w->method = compress ? 8 : 0;
    w->crc = crc_of((uint32_t)crc32(0, NULL, 0), hdr, hlen);
    for (size_t i = 0; i < dlen; i += (size_t)1 << 30)
        w->crc = crc_of(w->crc, data + i, dlen - i < ((size_t)1 << 30) ? dlen - i : (size_t)1 << 30);
    /* Whether this member needs ZIP64 must be known before its data is
     * written: the bound covers deflate's worst-case expansion. */
    uint64_t bound = compress ? w->usize + w->usize / 1000 + 64 * 1024 : w->usize;
    w->zip64 = force_zip64 || bound >= U32_MAX_FIELD || *offset >= U32_MAX_FIELD;

    char name[160];
    int nlen = snprintf(name, sizeof name, "%s.npy", a->name);
    uint8_t lh[30 + 160 + 20];
    memset(lh, 0, sizeof lh);
    cm_put32(lh, SIG_LOCAL);
    cm_put16(lh + 4, w->zip64 ? 45 : 20);
    cm_put16(lh + 8, w->method);
    cm_put16(lh + 12, DOS_DATE_1980);
    cm_put32(lh + 14, w->crc);
    cm_put32(lh + 18, w->zip64 ? U32_MAX_FIELD : (uint32_t)w->usize); /* patched below when deflating */
    cm_put32(lh + 22, w->zip64 ? U32_MAX_FIELD : (uint32_t)w->usize);
    cm_put16(lh + 26, (uint16_t)nlen);
    cm_put16(lh + 28, w->zip64 ? 20 : 0);
    memcpy(lh + 30, name, (size_t)nlen);
    size_t lhlen = 30 + (size_t)nlen;
    if (w->zip64) {
        cm_put16(lh + lhlen, 1);
        cm_put16(lh + lhlen + 2, 16);
        cm_put64(lh + lhlen + 4, w->usize);
        cm_put64(lh + lhlen + 12, w->usize);
        lhlen += 20;
    }
    if ((st = cm_atomic_write(f, lh, lhlen)))
        goto done;
    if (compress) {
        if ((st = deflate_member(f, hdr, hlen, data, dlen, &w->csize)))
            goto done;
        uint8_t v[8];
        if (w->zip64) {
            cm_put64(v, w->csize);
            st = write_at(f, w->offset + 30 + (uint64_t)nlen + 12, v, 8);
        } else {
            cm_put32(v, (uint32_t)w->csize);
            st = write_at(f, w->offset + 18, v, 4);
        }
        if (st)
            goto done;
    } else {
        w->csize = w->usize;
        if ((st = cm_atomic_write(f, hdr, hlen)) || (st = cm_atomic_write(f, data, dlen)))
            goto done;
    }
    *offset += lhlen + w->csize;
done:
    cm_free(hdr);
    return st;
}

cm_status cm_npz_write_ex(const char *path, const cm_array *arrays, int count, int compress, int force_zip64)
{
    if (count < 0 || (count > 0 && !arrays))
        return cm_error(CM_ERR_ARG, "%s: expected a list of arrays, got count %d", path, count);
    for (int i = 0; i < count; i++) {
        if (!arrays[i].name[0])
            return cm_error(CM_ERR_ARG, "%s: array %d: expected a name for the .npz member", path, i);
        if (strlen(arrays[i].name) >= sizeof arrays[i].name)
            return cm_error(CM_ERR_ARG, "%s: array %d: name not terminated", path, i);
        cm_status st = cm_array_check_shape(arrays[i].name, arrays[i].dtype, arrays[i].ndim, arrays[i].shape);
        if (st)
            return cm_error_context(st, "%s: ", path);
        if (cm_array_bytes(&arrays[i]) && !arrays[i].data)
            return cm_error(CM_ERR_ARG, "%s: %s: array has no data", path, arrays[i].name);
        for (int j = 0; j < i; j++)
            if (strcmp(arrays[i].name, arrays[j].name) == 0)
                return cm_error(CM_ERR_ARG, "%s: %s: two arrays with the same name", path, arrays[i].name);
    }
    written *w = calloc(count ? (size_t)count : 1, sizeof *w);
    if (!w)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d directory entries", path, count);
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st) {
        free(w);
        return st;
    }
    uint64_t offset = 0;
    for (int i = 0; i < count && !st; i++)
        st = write_member(&f, &arrays[i], compress, force_zip64, &offset, &w[i]);

    /* central directory */
    uint64_t cd_off = offset;
    for (int i = 0; i < count && !st; i++) {
        char name[160];
        int nlen = snprintf(name, sizeof name, "%s.npy", arrays[i].name);
        int big_u = force_zip64 || w[i].usize >= U32_MAX_FIELD;
        int big_c = force_zip64 || w[i].csize >= U32_MAX_FIELD;
        int big_o = force_zip64 || w[i].offset >= U32_MAX_FIELD;
        uint8_t c[46 + 160 + 28];
        memset(c, 0, sizeof c);
        cm_put32(c, SIG_CENTRAL);
        cm_put16(c + 4, (uint16_t)((3 << 8) | (w[i].zip64 ? 45 : 20))); /* made by: unix */
        cm_put16(c + 6, w[i].zip64 ? 45 : 20);
        cm_put16(c + 10, w[i].method);
        cm_put16(c + 14, DOS_DATE_1980);
        cm_put32(c + 16, w[i].crc);
        cm_put32(c + 20, big_c ? U32_MAX_FIELD : (uint32_t)w[i].csize);
        cm_put32(c + 24, big_u ? U32_MAX_FIELD : (uint32_t)w[i].usize);
        cm_put16(c + 28, (uint16_t)nlen);
        cm_put32(c + 38, 0644u << 16); /* unix mode rw-r--r-- */
        cm_put32(c + 42, big_o ? U32_MAX_FIELD : (uint32_t)w[i].offset);
        memcpy(c + 46, name, (size_t)nlen);
        size_t len = 46 + (size_t)nlen;
        if (big_u || big_c || big_o) {
            size_t x = len, k = x + 4;
            if (big_u)
                cm_put64(c + k, w[i].usize), k += 8;
            if (big_c)
                cm_put64(c + k, w[i].csize), k += 8;
            if (big_o)
                cm_put64(c + k, w[i].offset), k += 8;
            cm_put16(c + x, 1);
            cm_put16(c + x + 2, (uint16_t)(k - x - 4));
            cm_put16(c + 30, (uint16_t)(k - x));
            len = k;
        }
        st = cm_atomic_write(&f, c, len);
        offset += len;
    }
    uint64_t cd_size = offset - cd_off;
    if (!st) {
        int z64 = force_zip64 || count >= (int)U16_MAX_FIELD || cd_off >= U32_MAX_FIELD || cd_size >= U32_MAX_FIELD;
        if (z64) {
            uint8_t z[56 + 20];
            memset(z, 0, sizeof z);
            cm_put32(z, SIG_ZIP64_EOCD);
            cm_put64(z + 4, 56 - 12);
            cm_put16(z + 12, (3 << 8) | 45);
            cm_put16(z + 14, 45);
            cm_put64(z + 24, (uint64_t)count);
            cm_put64(z + 32, (uint64_t)count);
            cm_put64(z + 40, cd_size);
            cm_put64(z + 48, cd_off);
            cm_put32(z + 56, SIG_ZIP64_LOCATOR);
            cm_put64(z + 56 + 8, offset);
            cm_put32(z + 56 + 16, 1);
            st = cm_atomic_write(&f, z, sizeof z);
        }
        uint8_t e[22];
        memset(e, 0, sizeof e);
        cm_put32(e, SIG_EOCD);
        uint16_t n16 = z64 ? U16_MAX_FIELD : (uint16_t)count;
        cm_put16(e + 8, n16);
        cm_put16(e + 10, n16);
        cm_put32(e + 12, z64 ? U32_MAX_FIELD : (uint32_t)cd_size);
        cm_put32(e + 16, z64 ? U32_MAX_FIELD : (uint32_t)cd_off);
        if (!st)
            st = cm_atomic_write(&f, e, sizeof e);
    }
    free(w);
    if (st) {
        cm_atomic_abort(&f);
        return st;
    }
    return cm_atomic_commit(&f);
}

cm_status cm_npz_write(const char *path, const cm_array *arrays, int count, int compress)
{
    return cm_npz_write_ex(path, arrays, count, compress, 0);
}
