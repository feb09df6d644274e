/* The run-folder lock (io.h): flock on RUN/.lock, holder recorded inside.
 *
 * flock rather than fcntl record locks: a record lock is dropped when the
 * process closes ANY descriptor of the file (a reader opening .lock would
 * release it); a flock belongs to the open file description, which this
 * process keeps open while any of its cm_run_lock of the folder is held. */
#define _GNU_SOURCE
#include "io_internal.h"
#include "cogmap/dist.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* One flock per run folder and process, shared by every cm_run_lock of that
 * folder in the process (the CLI holds it for a whole command, the trainer
 * takes it again for its loop): counted, released at the last unlock. */
typedef struct held_lock {
    int fd;
    dev_t dev;
    ino_t ino;
    int refs;
    struct held_lock *next;
} held_lock;

struct cm_lockfile {
    held_lock *held;
};

static held_lock *held_list;
static pthread_mutex_t held_mutex = PTHREAD_MUTEX_INITIALIZER;

/* A forked child is another process: it must neither count as holding the
 * parent's locks nor keep them alive (a lock dies with its holder), so it
 * closes its copies. Its handles stay valid and unlock as no-ops. */
static void fork_prepare(void) { pthread_mutex_lock(&held_mutex); }
static void fork_parent(void) { pthread_mutex_unlock(&held_mutex); }
static void fork_child(void)
{
    for (held_lock *h = held_list; h; h = h->next) {
        close(h->fd);
        h->fd = -1;
    }
    held_list = NULL;
    pthread_mutex_init(&held_mutex, NULL);
}
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;
static void install_atfork(void) { pthread_atfork(fork_prepare, fork_parent, fork_child); }

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
    /* In a job of several processes (dist.h) rank 0 alone writes the run, so
     * it alone holds the lock: the other ranks would find it held by their
     * own job. Their handle is NULL, which cm_run_unlock takes. */
    if (cm_dist_rank() != 0)
        return CM_OK;
    cm_status st = cm_mkdir_p(run_dir);
    if (st)
        return st;
    char path[4096];
    if ((st = cm_path_join(path, sizeof path, run_dir, ".lock")))
        return st;
    cm_lockfile *l = calloc(1, sizeof *l);
    if (!l)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a lock", run_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb) != 0) {
        st = cm_error(CM_ERR_IO, "%s: cannot open the run's lock file: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        free(l);
        return st;
    }
    pthread_once(&atfork_once, install_atfork);
    pthread_mutex_lock(&held_mutex);
    for (held_lock *h = held_list; h; h = h->next)
        if (h->dev == sb.st_dev && h->ino == sb.st_ino) { /* this process holds it already */
            h->refs++;
            l->held = h;
            break;
        }
    if (l->held) {
        pthread_mutex_unlock(&held_mutex);
        close(fd);
        *out = l;
        return CM_OK;
    }
    int rc;
    while ((rc = flock(fd, LOCK_EX | LOCK_NB)) != 0 && errno == EINTR)
        ;
    if (rc != 0) {
        if (errno == EWOULDBLOCK) {
            char holder[512];
            describe_holder(fd, holder, sizeof holder);
            st = cm_error(CM_ERR_IO,
                          "%s: the run is in use by %s; wait for it to end or stop it (the lock goes with its "
                          "process)",
                          run_dir, holder);
        } else {
            st = cm_error(CM_ERR_IO, "%s: cannot lock: %s", path, strerror(errno));
        }
        pthread_mutex_unlock(&held_mutex);
        close(fd);
        free(l);
        return st;
    }
    held_lock *h = calloc(1, sizeof *h);
    if (!h) {
        flock(fd, LOCK_UN);
        pthread_mutex_unlock(&held_mutex);
        close(fd);
        free(l);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate a lock", run_dir);
    }
    *h = (held_lock){.fd = fd, .dev = sb.st_dev, .ino = sb.st_ino, .refs = 1, .next = held_list};
    held_list = h;
    pthread_mutex_unlock(&held_mutex);
    /* Ours: record who we are (a failure here is no reason not to train). */
    char self[1024];
    size_t n = describe_self(self, sizeof self);
    if (ftruncate(fd, 0) == 0 && pwrite(fd, self, n, 0) == (ssize_t)n)
        (void)fsync(fd);
    l->held = h;
    *out = l;
    return CM_OK;
}

void cm_run_unlock(cm_lockfile *l)
{
    if (!l)
        return;
    pthread_mutex_lock(&held_mutex);
    held_lock *h = l->held;
    if (--h->refs == 0) {
        for (held_lock **p = &held_list; *p; p = &(*p)->next)
            if (*p == h) {
                *p = h->next;
                break;
            }
        if (h->fd >= 0) { /* -1: a parent's lock in a forked child */
            /* Empty the record first: a later reader must not name us. */
            if (ftruncate(h->fd, 0) != 0) {
                /* nothing to do: the lock is released by close all the same */
            }
            flock(h->fd, LOCK_UN);
            close(h->fd);
        }
        free(h);
    }
    pthread_mutex_unlock(&held_mutex);
    free(l);
}
