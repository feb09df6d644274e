/* cogmap/io.h — arrays (.npy/.npz), safetensors, PNG, JSON, atomic files.
 *
 * Every writer goes through cm_atomic_*: a temporary file in the same folder,
 * flushed, fsynced and renamed, so an interrupted write never leaves a
 * half-written output under the final name. Every reader checks magic,
 * header, shapes, sizes and offsets against the file's real length and fails
 * with a message naming the file and what was wrong; none reads out of bounds
 * on a truncated, corrupt or hostile file.
 */
#ifndef COGMAP_IO_H
#define COGMAP_IO_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ files, dirs */

typedef struct cm_atomic_file {
    FILE *fp;        /* write through this */
    char path[4096]; /* the final name */
    char tmp[4096];  /* the temporary name, same folder */
} cm_atomic_file;

CM_API cm_status cm_atomic_open(cm_atomic_file *f, const char *path);
/* Flushes, fsyncs, closes and renames onto the final path. On any failure the
 * temporary file is removed and the final path left as it was. */
CM_API cm_status cm_atomic_commit(cm_atomic_file *f);
CM_API void cm_atomic_abort(cm_atomic_file *f); /* closes and removes the temporary file */

CM_API cm_status cm_write_file_atomic(const char *path, const void *data, size_t len);
/* Reads a whole file; *data is cm_alloc'ed (one extra NUL byte after len). */
CM_API cm_status cm_read_file(const char *path, void **data, size_t *len);
CM_API cm_status cm_mkdir_p(const char *dir); /* like mkdir -p */
/* Joins a folder and a name into buf; CM_ERR_ARG if it does not fit. */
CM_API cm_status cm_path_join(char *buf, size_t size, const char *dir, const char *name);

/* ------------------------------------------------------ folder manifests */

/* A folder's manifest.json: the size and CRC-32 of each of its files, read
 * back from disk after they were written, so that a folder whose manifest
 * verifies holds exactly what was written (checkpoints: docs/formats.md).
 *   {"format": "cogmap manifest", "version": 1,
 *    "files": {"model.safetensors": {"bytes": 1234, "crc32": "89abcdef"}, ...}}
 * cm_manifest_write lists `files` (names inside dir) and writes atomically.
 * cm_manifest_verify checks every listed file: CM_ERR_FORMAT naming the file
 * that is missing, of another size or of another CRC, or the manifest itself
 * when malformed; CM_ERR_IO when a file cannot be read. A folder without
 * manifest.json verifies only when `required` is 0 (folders written before
 * manifests existed). */
CM_API cm_status cm_manifest_write(const char *dir, const char *const *files, int n);
CM_API cm_status cm_manifest_verify(const char *dir, int required);

/* ------------------------------------------------------- run folder lock */

/* One run, one writer: an advisory lock on RUN/.lock (flock), taken by
 * whatever trains in a run folder (cm_train_run does; the CLI holds it for
 * the whole command). The folder is created if missing. The holder's pid and
 * command line go into the file, so that another process is refused
 * (CM_ERR_IO) with a message naming the process that holds it. Within one
 * process the lock is shared: each cm_run_lock of a held folder succeeds and
 * the last cm_run_unlock releases it. The lock belongs to the open file: it
 * dies with its holder, whatever kills it, and exec'd children do not
 * inherit it. The file itself stays (removing it would let two processes
 * lock two different files of one name). */
typedef struct cm_lockfile cm_lockfile;

CM_API cm_status cm_run_lock(const char *run_dir, cm_lockfile **out);
CM_API void cm_run_unlock(cm_lockfile *lock); /* NULL is fine */

/* ----------------------------------------------------------------- arrays */

typedef enum cm_dtype { CM_F32 = 0, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL } cm_dtype;

CM_API size_t cm_dtype_size(cm_dtype dtype);
CM_API const char *cm_dtype_name(cm_dtype dtype); /* "float32", "float64", "int32", ... */

#define CM_MAX_DIMS 8

/* An n-dimensional array in C order. Arrays returned by readers own their
 * data (free with cm_array_free); cm_array_view wraps caller memory for
 * writing without a copy (never free a view). */
typedef struct cm_array {
    char name[128]; /* key in an .npz or safetensors file; "" for .npy */
    cm_dtype dtype;
    int ndim; /* 0 for a scalar */
    int64_t shape[CM_MAX_DIMS];
    void *data;
    int owns_data;
} cm_array;

CM_API int64_t cm_array_count(const cm_array *a); /* product of the shape, 1 for a scalar */
CM_API size_t cm_array_bytes(const cm_array *a);
CM_API cm_status cm_array_alloc(cm_array *a, const char *name, cm_dtype dtype, int ndim, const int64_t *shape);
CM_API cm_array cm_array_view(const char *name, cm_dtype dtype, int ndim, const int64_t *shape, const void *data);
CM_API void cm_array_free(cm_array *a);

/* Checks an array against what a caller expects: dtype, rank, and each
 * dimension (-1 in `shape` accepts any size). `file` and the array's name go
 * into the message: "run/activity.npz: positions: expected shape [*, 2], got [100, 3]". */
CM_API cm_status cm_array_expect(const cm_array *a, const char *file, cm_dtype dtype, int ndim, const int64_t *shape);

/* .npy: versions 1.0, 2.0 and 3.0 read; 1.0 written (2.0 when the header needs it).
 * Fortran order, big-endian data and other dtypes are CM_ERR_UNSUPPORTED. */
CM_API cm_status cm_npy_read(const char *path, cm_array *out);
CM_API cm_status cm_npy_write(const char *path, const cm_array *a);
/* Parses an in-memory .npy image; `what` names it in messages. Copies the data. */
CM_API cm_status cm_npy_parse(const void *buf, size_t len, const char *what, cm_array *out);

/* .npz: a zip of .npy members (stored or deflated; ZIP64 for large members). */
typedef struct cm_npz {
    int count;
    cm_array *arrays; /* names without the ".npy" suffix */
} cm_npz;

CM_API cm_status cm_npz_read(const char *path, cm_npz *out);
/* compress != 0 deflates members (np.savez_compressed), 0 stores them (np.savez). */
CM_API cm_status cm_npz_write(const char *path, const cm_array *arrays, int count, int compress);
CM_API const cm_array *cm_npz_get(const cm_npz *z, const char *name); /* NULL if absent */
/* cm_npz_get plus cm_array_expect, with a message naming the file if absent. */
CM_API cm_status cm_npz_require(const cm_npz *z, const char *file, const char *name, cm_dtype dtype, int ndim,
                         const int64_t *shape, const cm_array **out);
CM_API void cm_npz_free(cm_npz *z);

/* ------------------------------------------------------------ safetensors */

/* Tensors of dtype F32, F64, I32, I64, U8 and BOOL; the "__metadata__" map of
 * strings is kept. Names are PyTorch state-dict names ("lstm.weight_ih_l0"). */
typedef struct cm_safetensors {
    int count;
    cm_array *tensors;
    int meta_count;
    char **meta_keys;
    char **meta_values;
} cm_safetensors;

CM_API cm_status cm_safetensors_read(const char *path, cm_safetensors *out);
CM_API cm_status cm_safetensors_write(const char *path, const cm_array *tensors, int count, const char *const *meta_keys,
                               const char *const *meta_values, int meta_count);
CM_API const cm_array *cm_safetensors_get(const cm_safetensors *st, const char *name);
CM_API const char *cm_safetensors_meta(const cm_safetensors *st, const char *key); /* NULL if absent */
CM_API void cm_safetensors_free(cm_safetensors *st);

/* -------------------------------------------------------------------- PNG */

/* 8-bit pixels, rows top to bottom, channels interleaved: 1 gray, 2 gray+alpha,
 * 3 RGB, 4 RGBA. Readers convert palettes and 16-bit images to 8 bits. */
typedef struct cm_image {
    int width, height, channels;
    uint8_t *pixels;
} cm_image;

CM_API cm_status cm_image_alloc(cm_image *img, int width, int height, int channels);
CM_API void cm_image_free(cm_image *img);
CM_API cm_status cm_png_read(const char *path, cm_image *out);
/* The size and channels cm_png_read would give, from the header alone. */
CM_API cm_status cm_png_info(const char *path, int *width, int *height, int *channels);
CM_API cm_status cm_png_write(const char *path, const cm_image *img);

/* ------------------------------------------------------------------- JSON */

/* JSON goes through cJSON (Debian's libcjson); include <cjson/cJSON.h> to
 * build or walk documents. These helpers add file handling and messages that
 * name the file and the field. */
struct cJSON;

CM_API cm_status cm_json_read(const char *path, struct cJSON **out);
CM_API cm_status cm_json_write(const char *path, const struct cJSON *root); /* pretty-printed, atomic; every number reads back exactly */
/* Typed fields: a missing required field or a wrong type is CM_ERR_FORMAT
 * naming file and key; a missing optional field leaves *out untouched. */
CM_API cm_status cm_json_get_number(const struct cJSON *obj, const char *file, const char *key, int required, double *out);
CM_API cm_status cm_json_get_int(const struct cJSON *obj, const char *file, const char *key, int required, int64_t *out);
CM_API cm_status cm_json_get_string(const struct cJSON *obj, const char *file, const char *key, int required,
                             char *out, size_t size);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_IO_H */
