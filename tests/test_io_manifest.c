/* Folder manifests: what verifies, and how a damaged folder fails (naming
 * the file). */
#include "io_check.h"

#include "cogmap/io.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void put(const char *dir, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cmt_write_file(path, text, strlen(text));
}

static void assert_fails(const char *dir, int required, const char *file, const char *what)
{
    cm_status st = cm_manifest_verify(dir, required);
    if (st != CM_ERR_FORMAT || !strstr(cm_errmsg(), file) || !strstr(cm_errmsg(), what)) {
        fprintf(stderr, "status %d, message: %s\nexpected a format error naming %s and '%s'\n", st, cm_errmsg(), file,
                what);
        fail();
    }
}

static void test_manifest(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    put(dir, "a.bin", "hello");
    put(dir, "b.json", "{}");
    put(dir, "empty", "");
    const char *files[3] = {"a.bin", "b.json", "empty"};
    assert_int_equal(cm_manifest_verify(dir, 0), CM_OK); /* none yet: fine unless required */
    assert_int_equal(cm_manifest_verify(dir, 1), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "manifest.json"));
    assert_int_equal(cm_manifest_write(dir, files, 3), CM_OK);
    assert_int_equal(cm_manifest_verify(dir, 1), CM_OK);
    put(dir, "other", "not listed"); /* files the manifest does not list are not its business */
    assert_int_equal(cm_manifest_verify(dir, 1), CM_OK);

    put(dir, "a.bin", "hellO"); /* same size, one byte changed */
    assert_fails(dir, 1, "a.bin", "CRC-32");
    put(dir, "a.bin", "hell"); /* truncated */
    assert_fails(dir, 1, "a.bin", "4 bytes, the manifest says 5");
    char path[4096];
    snprintf(path, sizeof path, "%s/a.bin", dir);
    unlink(path);
    assert_fails(dir, 0, "a.bin", "missing");
    put(dir, "a.bin", "hello");
    assert_int_equal(cm_manifest_verify(dir, 1), CM_OK);

    /* a damaged manifest names itself */
    put(dir, "manifest.json", "{\"format\": \"cogmap manifest\", \"version\": 1, \"files\": {\"../x\": "
                              "{\"bytes\": 1, \"crc32\": \"00000000\"}}}");
    assert_fails(dir, 1, "manifest.json", "not a file name");
    put(dir, "manifest.json", "{\"format\": \"cogmap manifest\", \"files\": {\"a.bin\": {\"bytes\": 5, \"crc32\": \"xyz\"}}}");
    assert_fails(dir, 1, "manifest.json", "8 hex digits");
    put(dir, "manifest.json", "{\"format\": \"other\", \"files\": {}}");
    assert_fails(dir, 1, "manifest.json", "format");
    put(dir, "manifest.json", "{\"format\": \"cogmap manifest\", \"files\": {\"a.b");
    assert_int_equal(cm_manifest_verify(dir, 0), CM_ERR_FORMAT);

    /* the writer lists plain names of files that exist */
    const char *bad[1] = {"sub/x"};
    assert_int_equal(cm_manifest_write(dir, bad, 1), CM_ERR_ARG);
    const char *missing[1] = {"nope"};
    assert_int_equal(cm_manifest_write(dir, missing, 1), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "nope"));
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_manifest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
