/* Atomic writes, whole-file reads, mkdir -p, path joining. */
#include "test_util.h"

#include "cogmap/io.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Number of entries in a folder other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_write_and_read_back(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    assert_int_equal(cm_path_join(path, sizeof path, dir, "a.txt"), CM_OK);
    assert_int_equal(cm_write_file_atomic(path, "hello", 5), CM_OK);
    void *data;
    size_t len;
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    assert_int_equal(len, 5);
    assert_memory_equal(data, "hello", 5);
    assert_int_equal(((char *)data)[5], '\0'); /* the promised NUL */
    cm_free(data);
    /* overwrite: the new content replaces the old, no temporary left */
    assert_int_equal(cm_write_file_atomic(path, "", 0), CM_OK);
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    assert_int_equal(len, 0);
    cm_free(data);
    assert_int_equal(count_entries(dir), 1);
    /* ordinary permissions (not mkstemp's 0600) */
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    mode_t um = umask(022);
    umask(um);
    assert_int_equal(sb.st_mode & 0777, 0666 & ~um);
    cmt_tmpdir_remove(dir);
}

static void test_failed_write_leaves_nothing(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096], missing[4096];
    snprintf(path, sizeof path, "%s/keep.bin", dir);
    snprintf(missing, sizeof missing, "%s/no/such/folder/x.bin", dir);
    assert_int_equal(cm_write_file_atomic(path, "old", 3), CM_OK);

    /* into a folder that does not exist: an i/o error naming the file */
    cm_error_clear();
    assert_int_equal(cm_write_file_atomic(missing, "x", 1), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "x.bin"));

    /* aborted half-way: the target keeps its old content, no temporary */
    cm_atomic_file f;
    assert_int_equal(cm_atomic_open(&f, path), CM_OK);
    fputs("new content that must never appear", f.fp);
    fflush(f.fp);
    assert_int_equal(count_entries(dir), 2); /* target + temporary */
    cm_atomic_abort(&f);
    assert_int_equal(count_entries(dir), 1);
    void *data;
    size_t len;
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(data, "old", 3);
    cm_free(data);

    /* a commit that cannot rename (the target is now a non-empty folder)
     * removes its temporary and reports the path */
    char blocked[4096], inner[4096];
    snprintf(blocked, sizeof blocked, "%s/blocked", dir);
    snprintf(inner, sizeof inner, "%s/blocked/inside", dir);
    assert_int_equal(cm_mkdir_p(inner), CM_OK);
    assert_int_equal(cm_atomic_open(&f, blocked), CM_OK);
    fputs("data", f.fp);
    assert_int_equal(cm_atomic_commit(&f), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "blocked"));
    assert_non_null(strstr(cm_errmsg(), "rename"));
    assert_int_equal(count_entries(dir), 2); /* keep.bin + blocked/ */
    cmt_tmpdir_remove(dir);
}

static void test_read_errors_name_the_file(void **state)
{
    (void)state;
    void *data = (void *)1;
    size_t len = 7;
    assert_int_equal(cm_read_file("/nonexistent/cogmap/file.bin", &data, &len), CM_ERR_IO);
    assert_null(data);
    assert_int_equal(len, 0);
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/cogmap/file.bin"));
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_read_file(dir, &data, &len), CM_ERR_IO); /* a folder */
    assert_non_null(strstr(cm_errmsg(), "regular file"));
    cmt_tmpdir_remove(dir);
}

static void test_mkdir_p(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char deep[4096], file[4096], below[4096];
    snprintf(deep, sizeof deep, "%s/a/b//c/", dir);
    assert_int_equal(cm_mkdir_p(deep), CM_OK);
    assert_int_equal(cm_mkdir_p(deep), CM_OK); /* exists: fine */
    struct stat sb;
    snprintf(file, sizeof file, "%s/a/b/c", dir);
    assert_int_equal(stat(file, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    snprintf(file, sizeof file, "%s/f", dir);
    assert_int_equal(cm_write_file_atomic(file, "x", 1), CM_OK);
    snprintf(below, sizeof below, "%s/f/sub", dir);
    assert_int_equal(cm_mkdir_p(below), CM_ERR_IO); /* a file in the way */
    assert_non_null(strstr(cm_errmsg(), "not a folder"));
    assert_int_equal(cm_mkdir_p(""), CM_ERR_ARG);
    cmt_tmpdir_remove(dir);
}

static void test_path_join(void **state)
{
    (void)state;
    char buf[16];
    assert_int_equal(cm_path_join(buf, sizeof buf, "run", "a.npz"), CM_OK);
    assert_string_equal(buf, "run/a.npz");
    assert_int_equal(cm_path_join(buf, sizeof buf, "run/", "a.npz"), CM_OK);
    assert_string_equal(buf, "run/a.npz");
    assert_int_equal(cm_path_join(buf, sizeof buf, "", "a.npz"), CM_OK);
    assert_string_equal(buf, "a.npz");
    assert_int_equal(cm_path_join(buf, sizeof buf, "run", "/abs"), CM_OK);
    assert_string_equal(buf, "/abs");
    assert_int_equal(cm_path_join(buf, sizeof buf, "a-long-folder", "name.npz"), CM_ERR_ARG);
    assert_string_equal(buf, "");
    char exact[10]; /* "abcd/efgh" is 9 characters + NUL: fits exactly */
    assert_int_equal(cm_path_join(exact, sizeof exact, "abcd", "efgh"), CM_OK);
    assert_int_equal(cm_path_join(exact, sizeof exact, "abcd", "efghi"), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_write_and_read_back), cmocka_unit_test(test_failed_write_leaves_nothing),
        cmocka_unit_test(test_read_errors_name_the_file), cmocka_unit_test(test_mkdir_p),
        cmocka_unit_test(test_path_join),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
