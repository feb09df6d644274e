/* The run-folder lock (cm_run_lock): one holder process at a time (shared
 * within it), the refusal names the holder, the lock dies with its holder. */
#define _GNU_SOURCE
#include "test_util.h"

#include "cogmap/io.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Runs cm_run_lock(dir) in a child process; returns its status and copies the
 * message into msg. */
static cm_status lock_in_child(const char *dir, char *msg, size_t size)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        cm_lockfile *l;
        cm_status st = cm_run_lock(dir, &l);
        const char *m = cm_errmsg();
        if (write(fds[1], m, strlen(m)) < 0)
            _exit(100);
        cm_run_unlock(l);
        _exit((int)st);
    }
    close(fds[1]);
    size_t n = 0;
    ssize_t got;
    while (n + 1 < size && (got = read(fds[0], msg + n, size - 1 - n)) > 0)
        n += (size_t)got;
    msg[n] = '\0';
    close(fds[0]);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    return (cm_status)WEXITSTATUS(status);
}

static void test_second_process_refused_with_holder(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/run/a", tmp); /* missing: created */
    cm_lockfile *l;
    assert_int_equal(cm_run_lock(dir, &l), CM_OK);
    struct stat sb;
    assert_int_equal(stat(dir, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));

    char msg[2048], want[64];
    assert_int_equal(lock_in_child(dir, msg, sizeof msg), CM_ERR_IO);
    snprintf(want, sizeof want, "in use by process %ld (", (long)getpid());
    if (!strstr(msg, dir) || !strstr(msg, want) || !strstr(msg, "test_io_lock")) {
        fprintf(stderr, "message: %s\nexpected the folder, '%s' and the command test_io_lock\n", msg, want);
        fail();
    }
    /* within one process the lock is shared, held until the last unlock */
    cm_lockfile *again;
    assert_int_equal(cm_run_lock(dir, &again), CM_OK);
    cm_run_unlock(l);
    assert_int_equal(lock_in_child(dir, msg, sizeof msg), CM_ERR_IO);
    assert_non_null(strstr(msg, want));

    /* released: the child gets it, and the record no longer names us */
    cm_run_unlock(again);
    assert_int_equal(lock_in_child(dir, msg, sizeof msg), CM_OK);
    char lockpath[4200];
    snprintf(lockpath, sizeof lockpath, "%s/.lock", dir);
    assert_int_equal(stat(lockpath, &sb), 0);
    assert_int_equal(sb.st_size, 0);
    cm_run_unlock(NULL);
    cmt_tmpdir_remove(tmp);
}

/* A holder killed with SIGKILL (no cleanup at all) leaves the folder free. */
static void test_lock_dies_with_holder(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        cm_lockfile *l;
        char ok = cm_run_lock(dir, &l) == CM_OK ? 'y' : 'n';
        if (write(fds[1], &ok, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char ok = 0;
    assert_int_equal(read(fds[0], &ok, 1), 1);
    close(fds[0]);
    assert_int_equal(ok, 'y');

    cm_lockfile *l;
    assert_int_equal(cm_run_lock(dir, &l), CM_ERR_IO);
    char want[64];
    snprintf(want, sizeof want, "process %ld (", (long)pid);
    assert_non_null(strstr(cm_errmsg(), want));

    assert_int_equal(kill(pid, SIGKILL), 0);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(cm_run_lock(dir, &l), CM_OK);
    cm_run_unlock(l);
    cmt_tmpdir_remove(dir);
}

/* A child forked while the lock is held neither holds it (its own lock is
 * refused) nor keeps it alive after the parent lets go. */
static void test_forked_child(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    cm_lockfile *l;
    assert_int_equal(cm_run_lock(dir, &l), CM_OK);
    char msg[2048];
    assert_int_equal(lock_in_child(dir, msg, sizeof msg), CM_ERR_IO);
    pid_t idle = fork();
    assert_true(idle >= 0);
    if (idle == 0) {
        for (;;)
            pause();
    }
    cm_run_unlock(l);
    assert_int_equal(lock_in_child(dir, msg, sizeof msg), CM_OK);
    kill(idle, SIGKILL);
    int status;
    assert_int_equal(waitpid(idle, &status, 0), idle);
    cmt_tmpdir_remove(dir);
}

static void test_bad_folder(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char file[4096];
    snprintf(file, sizeof file, "%s/plain", dir);
    FILE *f = fopen(file, "w");
    assert_non_null(f);
    fclose(f);
    cm_lockfile *l = (cm_lockfile *)1;
    assert_int_equal(cm_run_lock(file, &l), CM_ERR_IO); /* a file, not a folder */
    assert_null(l);
    assert_non_null(strstr(cm_errmsg(), file));
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_second_process_refused_with_holder),
        cmocka_unit_test(test_lock_dies_with_holder),
        cmocka_unit_test(test_forked_child),
        cmocka_unit_test(test_bad_folder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
