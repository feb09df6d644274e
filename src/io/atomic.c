/* Atomic file writes: a temporary file in the target's folder, flushed,
 * fsynced and renamed over the target, so that a reader never sees half a
 * file and a failed write never clobbers the previous version. */
#define _GNU_SOURCE
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

cm_status cm_atomic_open(cm_atomic_file *f, const char *path)
{
    memset(f, 0, sizeof *f);
    if (!path || !path[0])
        return cm_error(CM_ERR_ARG, "atomic write: expected a file name, got an empty path");
    size_t n = strlen(path);
    if (n >= sizeof f->path || n + 32 >= sizeof f->tmp)
        return cm_error(CM_ERR_ARG, "%.200s...: path is longer than %zu bytes", path, sizeof f->path - 32);
    memcpy(f->path, path, n + 1);

    /* A name of our own with O_EXCL rather than mkstemp: mkstemp creates mode
     * 0600, while outputs should get 0666 minus the umask like any file. */
    static _Atomic unsigned counter;
    for (int attempt = 0; attempt < 100; attempt++) {
        unsigned k = counter++;
        snprintf(f->tmp, sizeof f->tmp, "%s.tmp-%ld-%u", path, (long)getpid(), k);
        int fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0) {
            if (errno == EEXIST)
                continue;
            int e = errno;
            f->tmp[0] = '\0';
            return cm_error(CM_ERR_IO, "%s: cannot create a temporary file beside it: %s", path, strerror(e));
        }
        f->fp = fdopen(fd, "wb");
        if (!f->fp) {
            int e = errno;
            close(fd);
            unlink(f->tmp);
            f->tmp[0] = '\0';
            return cm_error(CM_ERR_IO, "%s: fdopen: %s", path, strerror(e));
        }
        return CM_OK;
    }
    f->tmp[0] = '\0';
    return cm_error(CM_ERR_IO, "%s: could not find a free temporary name", path);
}

void cm_atomic_abort(cm_atomic_file *f)
{
    if (f->fp) {
        fclose(f->fp);
        f->fp = NULL;
    }
    if (f->tmp[0]) {
        unlink(f->tmp);
        f->tmp[0] = '\0';
    }
}

cm_status cm_atomic_write(cm_atomic_file *f, const void *data, size_t n)
{
    if (n && fwrite(data, 1, n, f->fp) != n)
        return cm_error(CM_ERR_IO, "%s: write failed: %s", f->path, strerror(errno));
    return CM_OK;
}

/* fsync of the folder makes the rename itself durable; a failure there is
 * not an error (some file systems do not support it) since the data is. */
static void sync_parent(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

cm_status cm_atomic_commit(cm_atomic_file *f)
{
    if (!f->fp)
        return cm_error(CM_ERR_ARG, "%s: atomic commit without an open file", f->path);
    int failed = 0, e = 0;
    const char *step = "";
    if (ferror(f->fp)) {
        failed = 1, e = EIO, step = "write";
    } else if (fflush(f->fp) != 0) {
        failed = 1, e = errno, step = "flush";
    } else if (fsync(fileno(f->fp)) != 0 && errno != EINVAL) {
        failed = 1, e = errno, step = "fsync";
    }
    if (fclose(f->fp) != 0 && !failed) {
        failed = 1, e = errno, step = "close";
    }
    f->fp = NULL;
    if (!failed && rename(f->tmp, f->path) != 0) {
        failed = 1, e = errno, step = "rename";
    }
    if (failed) {
        unlink(f->tmp);
        f->tmp[0] = '\0';
        return cm_error(CM_ERR_IO, "%s: %s failed: %s", f->path, step, strerror(e));
    }
    f->tmp[0] = '\0';
    sync_parent(f->path);
    return CM_OK;
}

cm_status cm_write_file_atomic(const char *path, const void *data, size_t len)
{
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st)
        return st;
    st = cm_atomic_write(&f, data, len);
    if (st) {
        cm_atomic_abort(&f);
        return st;
    }
    return cm_atomic_commit(&f);
}
