/* The run-folder lock (io.h): flock on RUN/.lock, holder recorded inside.
 *
 * flock rather than fcntl record locks: a record lock is dropped when the
 * process closes ANY descriptor of the file (a reader opening .lock would
 * release it) and is not exclusive within one process; flock locks belong to
 * the open file description, so two trainers in one process conflict too. */
#define _GNU_SOURCE
#include "io_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct cm_lockfile {
    int fd;
    char path[4096];
};

/* "pid <n>\ncmd <command line>\n" of this process: /proc/self/cmdline with
 * its NULs shown as spaces (empty where /proc is not mounted). */
static size_t describe_self(char *buf, size_t size)
{
    int n = snprintf(buf, size, "pid %ld\ncmd ", (long)getpid());
    size_t len = n > 0 && (size_t)n < size ? (size_t)n : 0;
    int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, buf + len, size - len - 2);
        close(fd);
        if (got > 0) {
            for (ssize_t i = 0; i < got; i++)
                if (buf[len + (size_t)i] == '\0')
                    buf[len + (size_t)i] = ' ';
            len += (size_t)got;
            while (len > 0 && buf[len - 1] == ' ')
                len--;
        }
    }
    buf[len++] = '\n';
    buf[len] = '\0';
    return len;
}

/* The holder as the lock file records it: "process 123 (cogmap train ...)". */
static void describe_holder(int fd, char *out, size_t size)
{
    char buf[1024];
    ssize_t got = pread(fd, buf, sizeof buf - 1, 0);
    buf[got > 0 ? got : 0] = '\0';
    long pid = 0;
    char *cmd = strstr(buf, "\ncmd ");
    if (sscanf(buf, "pid %ld", &pid) != 1 || pid <= 0) {
        snprintf(out, size, "another process (it has not recorded its pid yet)");
        return;
    }
    if (cmd) {
        cmd += 5;
        cmd[strcspn(cmd, "\n")] = '\0';
    }
    snprintf(out, size, "process %ld (%.300s)", pid, cmd && cmd[0] ? cmd : "command line unknown");
}

cm_status cm_run_lock(const char *run_dir, cm_lockfile **out)
{
    *out = NULL;
    cm_status st = cm_mkdir_p(run_dir);
    if (st)
        return st;
    cm_lockfile *l = calloc(1, sizeof *l);
    if (!l)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a lock", run_dir);
    if ((st = cm_path_join(l->path, sizeof l->path, run_dir, ".lock"))) {
        free(l);
        return st;
    }
    l->fd = open(l->path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (l->fd < 0) {
        st = cm_error(CM_ERR_IO, "%s: cannot open the run's lock file: %s", l->path, strerror(errno));
        free(l);
        return st;
    }
    while (flock(l->fd, LOCK_EX | LOCK_NB) != 0) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK) {
            char holder[512];
            describe_holder(l->fd, holder, sizeof holder);
            st = cm_error(CM_ERR_IO,
                          "%s: the run is in use by %s; wait for it to end or stop it (the lock goes with its "
                          "process)",
                          run_dir, holder);
        } else {
            st = cm_error(CM_ERR_IO, "%s: cannot lock: %s", l->path, strerror(errno));
        }
        close(l->fd);
        free(l);
        return st;
    }
    /* Ours: record who we are (a failure here is no reason not to train). */
    char self[1024];
    size_t n = describe_self(self, sizeof self);
    if (ftruncate(l->fd, 0) == 0 && pwrite(l->fd, self, n, 0) == (ssize_t)n)
        (void)fsync(l->fd);
    *out = l;
    return CM_OK;
}

void cm_run_unlock(cm_lockfile *l)
{
    if (!l)
        return;
    /* Empty the record first: a later reader must not name us. */
    if (ftruncate(l->fd, 0) != 0) {
        /* nothing to do: the lock is released by close all the same */
    }
    flock(l->fd, LOCK_UN);
    close(l->fd);
    free(l);
}
