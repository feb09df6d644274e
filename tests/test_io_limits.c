/* The memory limit (base.h): files whose declared sizes exceed it are refused
 * before anything is allocated, with the size in the message; files under it
 * still read. Each reader is tried with a small file that declares a large
 * array (deflate, PNG and zeros make that cheap) and a 1 MiB limit. */
#include "io_check.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT ((uint64_t)1 << 20)

static int setup(void **state)
{
    (void)state;
    cm_set_memory_limit(LIMIT);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    cm_set_memory_limit(0);
    return 0;
}

/* st is CM_ERR_NOMEM and the message names the file, the bytes wanted and the limit. */
static void assert_refused(cm_status st, const char *path, const char *bytes)
{
    assert_int_equal(st, CM_ERR_NOMEM);
    const char *msg = cm_errmsg();
    if (!strstr(msg, path) || !strstr(msg, bytes) || !strstr(msg, "1048576")) {
        fprintf(stderr, "message: %s\n(expected %s, %s and the limit 1048576)\n", msg, path, bytes);
        fail();
    }
}

static void test_limit_default_and_alloc(void **state)
{
    (void)state;
    cm_set_memory_limit(0);
    uint64_t def = cm_memory_limit();
    assert_true(def >= ((uint64_t)64 << 20)); /* the machine's memory, at least 64 MiB on anything that builds this */
    cm_set_memory_limit(LIMIT);
    assert_int_equal(cm_memory_limit(), LIMIT);
    /* cm_alloc refuses above the limit without trying, allows at it */
    assert_null(cm_alloc(LIMIT + 1));
    assert_null(cm_calloc(LIMIT / 4 + 1, 4));
    void *p = cm_alloc(LIMIT);
    assert_non_null(p);
    cm_free(p);
    assert_int_equal(cm_memory_check(LIMIT, "x"), CM_OK);
    assert_int_equal(cm_memory_check(LIMIT + 1, "thing"), CM_ERR_NOMEM);
    assert_non_null(strstr(cm_errmsg(), "thing: needs 1048577 bytes"));
}

/* A 2 MiB float32 array: 512 x 1024. */
static const int64_t big_shape[2] = {512, 1024};

static void test_npy_and_npz(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char npy[4096], npz[4096];
    snprintf(npy, sizeof npy, "%s/big.npy", dir);
    snprintf(npz, sizeof npz, "%s/big.npz", dir);
    cm_set_memory_limit(0);
    cm_array a;
    assert_int_equal(cm_array_alloc(&a, "big", CM_F32, 2, big_shape), CM_OK);
    assert_int_equal(cm_npy_write(npy, &a), CM_OK);
    assert_int_equal(cm_npz_write(npz, &a, 1, 1), CM_OK); /* zeros deflate to a few KiB */
    cm_array_free(&a);
    cm_set_memory_limit(LIMIT);

    cm_array r;
    assert_refused(cm_npy_read(npy, &r), npy, "2097152 bytes");
    assert_null(r.data);
    assert_non_null(strstr(cm_errmsg(), "shape (512, 1024) of float32"));
    void *bytes;
    size_t len;
    cm_set_memory_limit(0);
    assert_int_equal(cm_read_file(npy, &bytes, &len), CM_OK);
    cm_set_memory_limit(LIMIT);
    assert_refused(cm_npy_parse(bytes, len, "in-memory", &r), "in-memory", "2097152 bytes");
    cm_free(bytes);

    cm_npz z;
    assert_refused(cm_npz_read(npz, &z), npz, "2097280 bytes"); /* data + the member's 128-byte npy header */
    assert_int_equal(z.count, 0);

    /* under the limit: the same files read */
    cm_set_memory_limit((uint64_t)8 << 20);
    assert_int_equal(cm_npy_read(npy, &r), CM_OK);
    cm_array_free(&r);
    assert_int_equal(cm_npz_read(npz, &z), CM_OK);
    cm_npz_free(&z);
    cm_set_memory_limit(LIMIT);
    cmt_tmpdir_remove(dir);
}

static void test_safetensors(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/big.safetensors", dir);
    cm_set_memory_limit(0);
    cm_array a;
    assert_int_equal(cm_array_alloc(&a, "w", CM_F32, 2, big_shape), CM_OK);
    assert_int_equal(cm_safetensors_write(path, &a, 1, NULL, NULL, 0), CM_OK);
    cm_array_free(&a);
    cm_set_memory_limit(LIMIT);
    cm_safetensors st;
    assert_refused(cm_safetensors_read(path, &st), path, "2097152 bytes");
    assert_int_equal(st.count, 0);
    cmt_tmpdir_remove(dir);
}

static void test_png(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/big.png", dir);
    cm_set_memory_limit(0);
    cm_image img;
    assert_int_equal(cm_image_alloc(&img, 2048, 1024, 1), CM_OK); /* 2 MiB of gray zeros, a tiny PNG */
    assert_int_equal(cm_png_write(path, &img), CM_OK);
    cm_image_free(&img);
    cm_set_memory_limit(LIMIT);
    cm_image r;
    cm_status st = cm_png_read(path, &r);
    assert_int_equal(st, CM_ERR_FORMAT); /* libpng's errors are format errors; the message says why */
    assert_non_null(strstr(cm_errmsg(), path));
    assert_non_null(strstr(cm_errmsg(), "2048x1024x1"));
    assert_non_null(strstr(cm_errmsg(), "needs 2097152 bytes"));
    assert_null(r.pixels);
    cmt_tmpdir_remove(dir);
}

static void test_json(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/big.json", dir);
    /* 40000 bytes of JSON: over 1/32 of the 1 MiB limit (32768) */
    size_t n = 40000;
    char *text = malloc(n);
    assert_non_null(text);
    text[0] = '[';
    for (size_t i = 1; i + 1 < n; i += 2)
        text[i] = '1', text[i + 1] = ',';
    text[n - 2] = '1';
    text[n - 1] = ']';
    cmt_write_file(path, text, n);
    free(text);
    struct cJSON *root;
    cm_status st = cm_json_read(path, &root);
    assert_int_equal(st, CM_ERR_NOMEM);
    assert_non_null(strstr(cm_errmsg(), path));
    assert_non_null(strstr(cm_errmsg(), "40000 bytes of JSON, expected at most 32768"));
    assert_null(root);
    cm_set_memory_limit((uint64_t)2 << 20); /* 65536 bytes of text allowed */
    assert_int_equal(cm_json_read(path, &root), CM_OK);
    assert_int_equal(cJSON_GetArraySize(root), 19999); /* the last "1," became "11" */
    cJSON_Delete(root);
    cm_set_memory_limit(LIMIT);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_limit_default_and_alloc),
        cmocka_unit_test(test_npy_and_npz),
        cmocka_unit_test(test_safetensors),
        cmocka_unit_test(test_png),
        cmocka_unit_test(test_json),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
