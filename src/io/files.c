/* Whole-file reads, random-access reads checked against the file length,
 * folders and path joining. */
#define _GNU_SOURCE
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cm_status cm_rfile_open(cm_rfile *f, const char *path)
{
    f->fd = -1;
    f->size = 0;
    f->path = path;
    if (!path || !path[0])
        return cm_error(CM_ERR_ARG, "read: expected a file name, got an empty path");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cm_error(CM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return cm_error(CM_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return cm_error(CM_ERR_IO, "%s: expected a regular file", path);
    }
    f->fd = fd;
    f->size = (uint64_t)sb.st_size;
    return CM_OK;
}

void cm_rfile_close(cm_rfile *f)
{
    if (f->fd >= 0)
        close(f->fd);
    f->fd = -1;
}

cm_status cm_rfile_read(const cm_rfile *f, uint64_t off, void *buf, size_t n, const char *what)
{
    if (off > f->size || n > f->size - off)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected %zu bytes at offset %llu, but the file has %llu bytes",
                        f->path, what, n, (unsigned long long)off, (unsigned long long)f->size);
    uint8_t *p = buf;
    while (n > 0) {
        /* pread moves at most ~2 GiB per call on Linux. */
        size_t chunk = n > ((size_t)1 << 30) ? ((size_t)1 << 30) : n;
        ssize_t got = pread(f->fd, p, chunk, (off_t)off);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            return cm_error(CM_ERR_IO, "%s: %s: read failed: %s", f->path, what, strerror(errno));
        }
        if (got == 0) /* the file shrank under us */
            return cm_error(CM_ERR_FORMAT, "%s: %s: file ended early", f->path, what);
        p += got;
        off += (uint64_t)got;
        n -= (size_t)got;
    }
    return CM_OK;
}

cm_status cm_read_file(const char *path, void **data, size_t *len)
{
    *data = NULL;
    *len = 0;
    cm_rfile f;
    cm_status st = cm_rfile_open(&f, path);
    if (st)
        return st;
    if (f.size >= SIZE_MAX) {
        cm_rfile_close(&f);
        return cm_error(CM_ERR_NOMEM, "%s: file too large to read into memory", path);
    }
    if ((st = cm_memory_check(f.size + 1, path))) {
        cm_rfile_close(&f);
        return st;
    }
    size_t n = (size_t)f.size;
    uint8_t *buf = cm_alloc(n + 1);
    if (!buf) {
        cm_rfile_close(&f);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %zu bytes", path, n + 1);
    }
    st = cm_rfile_read(&f, 0, buf, n, "contents");
    cm_rfile_close(&f);
    if (st) {
        cm_free(buf);
        return st;
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return CM_OK;
}

cm_status cm_mkdir_p(const char *dir)
{
    if (!dir || !dir[0])
        return cm_error(CM_ERR_ARG, "mkdir: expected a folder name, got an empty path");
    char buf[4096];
    size_t n = strlen(dir);
    if (n >= sizeof buf)
        return cm_error(CM_ERR_ARG, "%.200s...: path is longer than %zu bytes", dir, sizeof buf - 1);
    memcpy(buf, dir, n + 1);
    /* Create each prefix in turn; EEXIST is fine as long as it is a folder. */
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        if (buf[i - 1] == '/')
            continue;
        char saved = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return cm_error(CM_ERR_IO, "%s: cannot create folder %s: %s", dir, buf, strerror(errno));
        struct stat sb;
        if (stat(buf, &sb) != 0 || !S_ISDIR(sb.st_mode))
            return cm_error(CM_ERR_IO, "%s: %s exists and is not a folder", dir, buf);
        buf[i] = saved;
    }
    return CM_OK;
}

cm_status cm_path_join(char *buf, size_t size, const char *dir, const char *name)
{
    if (!buf || size == 0)
        return cm_error(CM_ERR_ARG, "path join: no output buffer");
    buf[0] = '\0';
    if (!name)
        name = "";
    int n;
    /* An empty folder means "here"; an absolute name ignores the folder, as in
     * os.path.join; a folder ending with '/' gets no second slash. */
    if (!dir || !dir[0] || name[0] == '/')
        n = snprintf(buf, size, "%s", name);
    else if (dir[strlen(dir) - 1] == '/')
        n = snprintf(buf, size, "%s%s", dir, name);
    else
        n = snprintf(buf, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size) {
        buf[0] = '\0';
        return cm_error(CM_ERR_ARG, "%.200s/%.200s: path longer than %zu bytes", dir ? dir : "", name, size - 1);
    }
    return CM_OK;
}
