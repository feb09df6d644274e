/* Outputs follow the umask: every writer of the io module creates files
 * 0666 and folders 0777 minus the umask (no 0600 from a temporary file),
 * checked under umask 022 and 027. */
#include "io_check.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static void assert_mode(const char *path, mode_t want)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    if ((sb.st_mode & 07777) != want) {
        fprintf(stderr, "%s: mode %o, expected %o\n", path, (unsigned)(sb.st_mode & 07777), (unsigned)want);
        fail();
    }
}

static void check_writers(mode_t um)
{
    const char *dir = cmt_tmpdir();
    mode_t old = umask(um);
    const mode_t file = 0666 & ~um, folder = 0777 & ~um;
    char path[4096];
    float x[6] = {1, 2, 3, 4, 5, 6};
    const int64_t shape[2] = {2, 3};
    cm_array a = cm_array_view("x", CM_F32, 2, shape, x);

    snprintf(path, sizeof path, "%s/a/b/c", dir);
    assert_int_equal(cm_mkdir_p(path), CM_OK);
    assert_mode(path, folder);
    snprintf(path, sizeof path, "%s/a", dir);
    assert_mode(path, folder);

    snprintf(path, sizeof path, "%s/x.npy", dir);
    assert_int_equal(cm_npy_write(path, &a), CM_OK);
    assert_mode(path, file);
    snprintf(path, sizeof path, "%s/x.npz", dir);
    assert_int_equal(cm_npz_write(path, &a, 1, 1), CM_OK);
    assert_mode(path, file);
    snprintf(path, sizeof path, "%s/x.safetensors", dir);
    assert_int_equal(cm_safetensors_write(path, &a, 1, NULL, NULL, 0), CM_OK);
    assert_mode(path, file);
    snprintf(path, sizeof path, "%s/x.png", dir);
    uint8_t px[12] = {0};
    cm_image img = {2, 2, 3, px};
    assert_int_equal(cm_png_write(path, &img), CM_OK);
    assert_mode(path, file);
    snprintf(path, sizeof path, "%s/x.json", dir);
    cJSON *doc = cJSON_CreateObject();
    cJSON_AddNumberToObject(doc, "a", 1);
    assert_int_equal(cm_json_write(path, doc), CM_OK);
    cJSON_Delete(doc);
    assert_mode(path, file);
    /* replacing an existing file keeps the umask's mode too */
    assert_int_equal(cm_write_file_atomic(path, "{}", 2), CM_OK);
    assert_mode(path, file);

    snprintf(path, sizeof path, "%s/run", dir);
    cm_lockfile *l;
    assert_int_equal(cm_run_lock(path, &l), CM_OK);
    assert_mode(path, folder);
    snprintf(path, sizeof path, "%s/run/.lock", dir);
    assert_mode(path, file);
    cm_run_unlock(l);

    umask(old);
    cmt_tmpdir_remove(dir);
}

static void test_umask_022(void **state)
{
    (void)state;
    check_writers(022);
}

static void test_umask_027(void **state)
{
    (void)state;
    check_writers(027);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_umask_022),
        cmocka_unit_test(test_umask_027),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
