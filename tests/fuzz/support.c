/* What the fuzz targets share (fuzz.h): the work folder, files and folders
 * made from inputs, property checks. */
#define _GNU_SOURCE
#include "fuzz.h"

#include "cogmap/base.h"
#include "cogmap/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CMF_SLOTS 4

const cmf_target *cmf_find(const char *name)
{
    for (const cmf_target *t = cmf_targets; t->name; t++)
        if (strcmp(t->name, name) == 0)
            return t;
    return NULL;
}

void cmf_init(void)
{
    cm_set_threads(1);
    cm_set_memory_limit(CMF_MEMORY_LIMIT);
}

void cmf_fail(const char *file, int line, const char *cond, const char *fmt, ...)
{
    fprintf(stderr, "\n%s:%d: property broken: %s\n  ", file, line, cond);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n  last cogmap message: %s\n", cm_errmsg());
    abort();
}

void cmf_check_failure(int status, const char *path)
{
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("CMF_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "  %s: %s\n", cm_status_name((cm_status)status), status ? cm_errmsg() : path);
    if (status == CM_OK)
        return;
    const char *msg = cm_errmsg();
    cmf_check(msg[0] != '\0', "status %d (%s) without a message", status, cm_status_name((cm_status)status));
    cmf_check(strstr(msg, path) != NULL, "the message does not name %s", path);
}

void cmf_check_same_files(const char *dir_a, const char *dir_b, const char *name)
{
    char a[1024], b[1024];
    snprintf(a, sizeof a, "%s/%s", dir_a, name);
    snprintf(b, sizeof b, "%s/%s", dir_b, name);
    void *x, *y;
    size_t nx, ny;
    cmf_check(cm_read_file(a, &x, &nx) == CM_OK && cm_read_file(b, &y, &ny) == CM_OK, "cannot read %s or %s", a, b);
    cmf_check(nx == ny && memcmp(x, y, nx) == 0, "%s and %s differ", a, b);
    cm_free(x);
    cm_free(y);
}

static char workdir[512];

/* Removes dir and everything below it, following no links. It reads the
 * entries with getdents64 into a stack buffer: nftw's opendir takes a 32 KiB
 * heap buffer per folder, and under ASan that was most of the time of the
 * targets that make fresh folders (the cli target: ~1,300 executions/s).
 * Entries removed while the folder is read may hide others from the same
 * read, so it reads again until rmdir succeeds (a few passes at most). */
static void remove_tree(const char *dir)
{
    struct entry {
        uint64_t ino;
        int64_t off;
        unsigned short reclen;
        unsigned char type;
        char name[];
    };
    for (int pass = 0; pass < 16; pass++) {
        int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0) {
            unlink(dir); /* a file or a link in its place, or nothing */
            return;
        }
        _Alignas(8) char buf[4096];
        long n;
        while ((n = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
            for (long at = 0; at < n;) {
                const struct entry *e = (const struct entry *)(buf + at);
                at += e->reclen;
                if (strcmp(e->name, ".") == 0 || strcmp(e->name, "..") == 0)
                    continue;
                if (unlinkat(fd, e->name, 0) != 0 && (errno == EISDIR || errno == EPERM)) {
                    char sub[4096];
                    snprintf(sub, sizeof sub, "%s/%s", dir, e->name);
                    remove_tree(sub);
                }
            }
        close(fd);
        if (rmdir(dir) == 0 || errno == ENOENT)
            return;
    }
}

static void remove_workdir(void)
{
    if (workdir[0])
        remove_tree(workdir);
}

const char *cmf_workdir(void)
{
    if (workdir[0])
        return workdir;
    struct stat sb;
    const char *tmp = getenv("TMPDIR");
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) && access("/dev/shm", W_OK) == 0
                           ? "/dev/shm"
                           : tmp && tmp[0] ? tmp : "/tmp";
    snprintf(workdir, sizeof workdir, "%s/cogmap-fuzz-%ld-XXXXXX", base, (long)getpid());
    if (!mkdtemp(workdir)) {
        fprintf(stderr, "fuzz: cannot create a work folder in %s: %s\n", base, strerror(errno));
        abort();
    }
    atexit(remove_workdir);
    return workdir;
}

const char *cmf_fresh_dir(int slot)
{
    static char dirs[CMF_SLOTS][600];
    char *d = dirs[slot % CMF_SLOTS];
    snprintf(d, sizeof dirs[0], "%s/d%d", cmf_workdir(), slot % CMF_SLOTS);
    remove_tree(d);
    if (mkdir(d, 0777) != 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", d, strerror(errno));
        abort();
    }
    return d;
}

static void write_all(const char *path, const uint8_t *data, size_t size)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot create %s: %s\n", path, strerror(errno));
        abort();
    }
    while (size > 0) {
        ssize_t n = write(fd, data, size);
        if (n <= 0) {
            fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
            abort();
        }
        data += n;
        size -= (size_t)n;
    }
    close(fd);
}

const char *cmf_write_file(int slot, const char *name, const uint8_t *data, size_t size)
{
    static char paths[CMF_SLOTS][700];
    char *p = paths[slot % CMF_SLOTS];
    snprintf(p, sizeof paths[0], "%s/f%d-%s", cmf_workdir(), slot % CMF_SLOTS, name);
    write_all(p, data, size);
    return p;
}

static int good_name(const char *s, size_t n)
{
    if (n == 0 || n > 200 || s[0] == '/')
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '+' || c == '/' || c == '-'))
            return 0;
        if (c == '.' && i + 1 < n && s[i + 1] == '.')
            return 0;
        if (c == '/' && i + 1 < n && s[i + 1] == '/')
            return 0;
    }
    return s[n - 1] != '/';
}

/* Creates the folders above `path` (relative to dir) */
static void make_parents(const char *dir, const char *rel)
{
    char buf[1024];
    for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
        snprintf(buf, sizeof buf, "%s/%.*s", dir, (int)(s - rel), rel);
        mkdir(buf, 0777);
    }
}

const char *cmf_unpack(int slot, const uint8_t *data, size_t size)
{
    const char *dir = cmf_fresh_dir(slot);
    const char *p = (const char *)data, *end = p + size;
    int files = 0;
    /* the first section starts at the input's start or after a newline */
    const char *sec = size >= 2 && p[0] == '@' && p[1] == '@' ? p : memmem(p, size, "\n@@", 3);
    if (sec && sec != p)
        sec++;
    while (sec && files < 64) {
        const char *name = sec + 2;
        const char *nl = memchr(name, '\n', (size_t)(end - name));
        if (!nl)
            break;
        const char *body = nl + 1;
        const char *next = memmem(body - 1, (size_t)(end - body + 1), "\n@@", 3);
        /* a section ending right at its header line has an empty body */
        const char *body_end = next ? (next < body ? body : next) : end;
        if (good_name(name, (size_t)(nl - name))) {
            char rel[256], path[1024];
            snprintf(rel, sizeof rel, "%.*s", (int)(nl - name), name);
            make_parents(dir, rel);
            snprintf(path, sizeof path, "%s/%s", dir, rel);
            struct stat sb;
            if (!(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))) {
                int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
                if (fd >= 0) {
                    size_t n = (size_t)(body_end - body);
                    const char *q = body;
                    while (n > 0) {
                        ssize_t w = write(fd, q, n);
                        if (w <= 0)
                            break;
                        q += w;
                        n -= (size_t)w;
                    }
                    close(fd);
                    files++;
                }
            }
        }
        if (!next)
            break;
        sec = next + 1;
    }
    return files ? dir : NULL;
}

void cmf_quiet(void (*f)(void *ctx), void *ctx)
{
    fflush(stderr);
    int saved = dup(2);
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (saved >= 0 && null >= 0)
        dup2(null, 2);
    if (null >= 0)
        close(null);
    f(ctx);
    fflush(stderr);
    if (saved >= 0) {
        dup2(saved, 2);
        close(saved);
    }
}
