/* Helpers shared by the io module's files; not part of the public API.
 * Tests include it to craft hostile files and to reach the ZIP64 writer. */
#ifndef COGMAP_IO_INTERNAL_H
#define COGMAP_IO_INTERNAL_H

#include "cogmap/io.h"

#include <stdint.h>
#include <sys/types.h>

/* A file opened for random-access reading, with its real length: every
 * offset a reader takes from the file is checked against `size` first. */
typedef struct cm_rfile {
    int fd;
    uint64_t size;
    const char *path;
} cm_rfile;

cm_status cm_rfile_open(cm_rfile *f, const char *path);
void cm_rfile_close(cm_rfile *f);
/* Reads exactly n bytes at offset `off`; `what` names the field for the
 * message when the file ends first. */
cm_status cm_rfile_read(const cm_rfile *f, uint64_t off, void *buf, size_t n, const char *what);

/* Checks a shape: rank 0..CM_MAX_DIMS, no negative size, a byte count
 * that fits in memory. CM_ERR_ARG naming the array otherwise. Writers call
 * it on what they are given (views are not checked when made). */
cm_status cm_array_check_shape(const char *name, cm_dtype dtype, int ndim, const int64_t *shape);

/* cm_array_alloc without zeroing, for readers that fill every byte at
 * once: zeroing first would touch the memory twice. */
cm_status cm_array_alloc_uninit(cm_array *a, const char *name, cm_dtype dtype, int ndim, const int64_t *shape);

/* The most JSON text a reader parses: cJSON builds a node of about 64 bytes
 * for every value, and a value can take 2 bytes of text ("1,"), so the text
 * may take at most 1/32 of the memory limit (base.h), and never more than
 * 1 GiB. CM_ERR_NOMEM naming `what` and the sizes otherwise. */
#define CM_JSON_MAX_TEXT ((uint64_t)1 << 30)
cm_status cm_json_size_check(uint64_t bytes, const char *what);

/* Writes all n bytes to an atomic file; CM_ERR_IO naming the final path. */
cm_status cm_atomic_write(cm_atomic_file *f, const void *data, size_t n);

/* Little-endian loads and stores (files are little-endian on every host). */
static inline uint16_t cm_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t cm_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t cm_le64(const uint8_t *p) { return (uint64_t)cm_le32(p) | ((uint64_t)cm_le32(p + 4) << 32); }
static inline void cm_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void cm_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cm_put64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- npy pieces, shared with npz */

/* The most a .npy header may take; numpy itself refuses more than 10000
 * bytes by default, so this only stops a hostile length from allocating. */
#define CM_NPY_MAX_HEADER (1u << 20)

/* The parsed header of an .npy image. */
typedef struct cm_npy_header {
    cm_dtype dtype;
    int ndim;
    int64_t shape[CM_MAX_DIMS];
    uint64_t data_bytes; /* count x itemsize, overflow-checked */
} cm_npy_header;

/* Parses the preamble (magic, version, header length) from the first
 * `avail` bytes: on success *header_len is the dict's length and *prefix_len
 * the bytes before it (10 for version 1.0, 12 for 2.0 and 3.0). */
cm_status cm_npy_parse_preamble(const uint8_t *buf, size_t avail, const char *what, size_t *prefix_len,
                                size_t *header_len);
/* Parses the header dict ("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }"). */
cm_status cm_npy_parse_dict(const char *dict, size_t len, const char *what, cm_npy_header *h);
/* Builds the whole preamble + padded header for `a` into a malloc'ed
 * buffer (cm_alloc), the total being a multiple of 64 as numpy writes it. */
cm_status cm_npy_build_header(const cm_array *a, const char *what, uint8_t **out, size_t *len);

/* ---- npz writer with a switch for tests: force_zip64 writes ZIP64 extra
 * fields and the ZIP64 end records even for small members, which is the only
 * way to test the large-file path without writing 4 GiB. */
cm_status cm_npz_write_ex(const char *path, const cm_array *arrays, int count, int compress, int force_zip64);

#endif
