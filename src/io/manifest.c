/* Folder manifests (io.h): each file's size and CRC-32, computed from what is
 * on disk after writing, checked before a folder is trusted. */
#define _GNU_SOURCE
#include "io_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define MANIFEST_FORMAT "cogmap manifest"
#define MANIFEST_NAME "manifest.json"

/* Size and CRC-32 of a file, streamed. */
static cm_status file_crc(const char *path, uint64_t *bytes, uint32_t *crc)
{
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    uint8_t *buf = malloc(1 << 16);
    if (!buf) {
        cm_rfile_close(&f);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a read buffer", path);
    }
    uint32_t c = (uint32_t)crc32(0, NULL, 0);
    for (uint64_t off = 0; off < f.size && !st;) {
        size_t n = f.size - off < (1 << 16) ? (size_t)(f.size - off) : (1 << 16);
        if (!(st = cm_rfile_read(&f, off, buf, n, "contents"))) {
            c = (uint32_t)crc32_z(c, buf, n);
            off += n;
        }
    }
    free(buf);
    *bytes = f.size;
    *crc = c;
    cm_rfile_close(&f);
    return st;
}

cm_status cm_manifest_write(const char *dir, const char *const *files, int n)
{
    char path[4096];
    cm_status st = CM_OK;
    cJSON *root = cJSON_CreateObject();
    cJSON *list = root ? cJSON_CreateObject() : NULL;
    int ok = root && list && cJSON_AddStringToObject(root, "format", MANIFEST_FORMAT) &&
             cJSON_AddNumberToObject(root, "version", 1) && cJSON_AddItemToObject(root, "files", list);
    if (!ok)
        cJSON_Delete(list);
    for (int i = 0; ok && !st && i < n; i++) {
        if (!files[i] || !files[i][0] || strchr(files[i], '/') || strcmp(files[i], MANIFEST_NAME) == 0) {
            st = cm_error(CM_ERR_ARG, "%s: manifest: expected plain file names, got \"%s\"", dir,
                          files[i] ? files[i] : "(null)");
            break;
        }
        uint64_t bytes;
        uint32_t crc;
        if ((st = cm_path_join(path, sizeof path, dir, files[i])) || (st = file_crc(path, &bytes, &crc)))
            break;
        char hex[9];
        snprintf(hex, sizeof hex, "%08" PRIx32, crc);
        cJSON *e = cJSON_CreateObject();
        ok = e && cJSON_AddItemToObject(list, files[i], e) && cJSON_AddNumberToObject(e, "bytes", (double)bytes) &&
             cJSON_AddStringToObject(e, "crc32", hex);
        if (!e || !ok)
            ok = 0;
    }
    if (!st && !ok)
        st = cm_error(CM_ERR_NOMEM, "%s: manifest: out of memory", dir);
    if (!st)
        st = cm_path_join(path, sizeof path, dir, MANIFEST_NAME);
    if (!st)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

cm_status cm_manifest_verify(const char *dir, int required)
{
    char mpath[4096], path[4096];
    cm_status st = cm_path_join(mpath, sizeof mpath, dir, MANIFEST_NAME);
    if (st)
        return st;
    if (!required && access(mpath, F_OK) != 0 && errno == ENOENT)
        return CM_OK;
    cJSON *root;
    if ((st = cm_json_read(mpath, &root)))
        return st;
    char format[32] = "";
    st = cm_json_get_string(root, mpath, "format", 1, format, sizeof format);
    if (!st && strcmp(format, MANIFEST_FORMAT) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: format: expected \"%s\", got \"%s\"", mpath, MANIFEST_FORMAT, format);
    const cJSON *files = cJSON_GetObjectItemCaseSensitive(root, "files");
    if (!st && !cJSON_IsObject(files))
        st = cm_error(CM_ERR_FORMAT, "%s: files: expected an object of file names", mpath);
    for (const cJSON *e = st ? NULL : files->child; e && !st; e = e->next) {
        const char *name = e->string;
        int64_t bytes = -1;
        char hex[16] = "";
        if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) {
            st = cm_error(CM_ERR_FORMAT, "%s: files: \"%.100s\" is not a file name in the folder", mpath, name);
            break;
        }
        if ((st = cm_json_get_int(e, mpath, "bytes", 1, &bytes)) ||
            (st = cm_json_get_string(e, mpath, "crc32", 1, hex, sizeof hex)))
            break;
        char *end = NULL;
        unsigned long want_crc = strtoul(hex, &end, 16);
        if (strlen(hex) != 8 || !end || *end || bytes < 0) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: expected bytes >= 0 and 8 hex digits of CRC-32", mpath, name);
            break;
        }
        if ((st = cm_path_join(path, sizeof path, dir, name)))
            break;
        if (access(path, F_OK) != 0) {
            st = cm_error(CM_ERR_FORMAT, "%s: missing (listed in %s)", path, MANIFEST_NAME);
            break;
        }
        uint64_t have;
        uint32_t crc;
        if ((st = file_crc(path, &have, &crc)))
            break;
        if (have != (uint64_t)bytes)
            st = cm_error(CM_ERR_FORMAT, "%s: %llu bytes, the manifest says %lld (truncated or replaced?)", path,
                          (unsigned long long)have, (long long)bytes);
        else if (crc != (uint32_t)want_crc)
            st = cm_error(CM_ERR_FORMAT, "%s: CRC-32 %08" PRIx32 ", the manifest says %s (corrupted?)", path, crc, hex);
    }
    cJSON_Delete(root);
    return st;
}
