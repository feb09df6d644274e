/* .npz: round trips (stored, deflated, ZIP64), and hostile archives. */
#define _GNU_SOURCE
#include "io_check.h"

#include "cogmap/io.h"
#include "io/io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static const cm_dtype all_dtypes[] = {CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL};

/* Six arrays, one per dtype, of varied shapes including a scalar and an
 * empty one; the values compress (a ramp) but are not all equal. */
static void make_arrays(cm_array *a)
{
    const int64_t shapes[6][3] = {{40, 3}, {0}, {7}, {2, 0, 4}, {16, 16}, {5}};
    const int ndims[6] = {2, 0, 1, 3, 2, 1};
    const char *names[6] = {"positions", "scalar", "ints", "empty", "image", "mask"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(cm_array_alloc(&a[i], names[i], all_dtypes[i], ndims[i], shapes[i]), CM_OK);
        uint8_t *p = a[i].data;
        size_t n = cm_array_bytes(&a[i]);
        for (size_t k = 0; k < n; k++)
            p[k] = all_dtypes[i] == CM_BOOL ? (uint8_t)(k % 3 == 0) : (uint8_t)(k / 64 + i); /* long runs: compressible */
    }
}

static void free_arrays(cm_array *a, int n)
{
    for (int i = 0; i < n; i++)
        cm_array_free(&a[i]);
}

static void assert_npz_equals(const cm_npz *z, const cm_array *a, int n)
{
    assert_int_equal(z->count, n);
    for (int i = 0; i < n; i++) {
        const cm_array *b = &z->arrays[i];
        assert_string_equal(b->name, a[i].name); /* order kept */
        cmt_assert_array_equal(b, &a[i]);
    }
}

static void test_round_trips(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096], again[4096];
    snprintf(path, sizeof path, "%s/a.npz", dir);
    snprintf(again, sizeof again, "%s/b.npz", dir);
    cm_array a[6];
    make_arrays(a);
    size_t stored_size = 0;
    for (int mode = 0; mode < 4; mode++) {
        int compress = mode & 1, zip64 = mode >> 1;
        assert_int_equal(cm_npz_write_ex(path, a, 6, compress, zip64), CM_OK);
        cm_npz z;
        assert_int_equal(cm_npz_read(path, &z), CM_OK);
        assert_npz_equals(&z, a, 6);
        cm_npz_free(&z);
        assert_int_equal(z.count, 0);
        /* same arrays, same bytes */
        assert_int_equal(cm_npz_write_ex(again, a, 6, compress, zip64), CM_OK);
        void *x, *y;
        size_t nx, ny;
        assert_int_equal(cm_read_file(path, &x, &nx), CM_OK);
        assert_int_equal(cm_read_file(again, &y, &ny), CM_OK);
        assert_int_equal(nx, ny);
        assert_memory_equal(x, y, nx);
        if (mode == 0)
            stored_size = nx;
        if (mode == 1) /* the ramps and headers compress: deflate really ran */
            assert_true(nx < stored_size * 2 / 3);
        cm_free(x);
        cm_free(y);
    }
    /* an empty archive */
    assert_int_equal(cm_npz_write(path, NULL, 0, 0), CM_OK);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    assert_int_equal(z.count, 0);
    cm_npz_free(&z);
    /* bad arguments */
    cm_array dup[2] = {a[0], a[0]};
    assert_int_equal(cm_npz_write(path, dup, 2, 0), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "same name"));
    cm_array noname = a[2];
    noname.name[0] = '\0';
    assert_int_equal(cm_npz_write(path, &noname, 1, 0), CM_ERR_ARG);
    free_arrays(a, 6);
    cmt_tmpdir_remove(dir);
}

static void test_get_and_require(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/run.npz", dir);
    cm_array a[6];
    make_arrays(a);
    assert_int_equal(cm_npz_write(path, a, 6, 1), CM_OK);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    assert_non_null(cm_npz_get(&z, "image"));
    assert_null(cm_npz_get(&z, "nope"));
    const cm_array *got = NULL;
    int64_t want[2] = {-1, 3};
    assert_int_equal(cm_npz_require(&z, path, "positions", CM_F32, 2, want, &got), CM_OK);
    assert_ptr_equal(got, cm_npz_get(&z, "positions"));
    assert_int_equal(cm_npz_require(&z, path, "nope", CM_F32, 2, want, &got), CM_ERR_FORMAT);
    assert_null(got);
    assert_non_null(strstr(cm_errmsg(), path));
    assert_non_null(strstr(cm_errmsg(), "nope"));
    assert_non_null(strstr(cm_errmsg(), "positions, scalar"));
    want[1] = 2;
    assert_int_equal(cm_npz_require(&z, path, "positions", CM_F32, 2, want, &got), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "positions: expected shape [*, 2], got [40, 3]"));
    cm_npz_free(&z);
    free_arrays(a, 6);
    cmt_tmpdir_remove(dir);
}

/* cm_npz_read for cmt_read_bytes: a failed read leaves the archive empty. */
static cm_status npz_reader(const char *path)
{
    cm_npz z;
    cm_status st = cm_npz_read(path, &z);
    if (getenv("CMT_VERBOSE") && st) printf("%s\n", cm_errmsg());
    if (st == CM_OK)
        cm_npz_free(&z);
    assert_int_equal(z.count, 0);
    assert_null(z.arrays);
    return st;
}

/* Reads `bytes` as an .npz, expected to fail with the file named. */
static cm_status read_bad(const char *path, const void *bytes, size_t n)
{
    cm_status st = cmt_read_bytes(path, bytes, n, npz_reader);
    if (st == CM_OK)
        print_error("unexpectedly read: %s\n", path);
    return st;
}

static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096], cut[4096];
    snprintf(path, sizeof path, "%s/full.npz", dir);
    snprintf(cut, sizeof cut, "%s/cut.npz", dir);
    cm_array a[6];
    make_arrays(a);
    for (int mode = 0; mode < 4; mode++) {
        assert_int_equal(cm_npz_write_ex(path, a, 3, mode & 1, mode >> 1), CM_OK);
        void *raw;
        size_t len;
        assert_int_equal(cm_read_file(path, &raw, &len), CM_OK);
        for (size_t n = 0; n < len; n++)
            assert_int_not_equal(read_bad(cut, raw, n), CM_OK);
        cm_free(raw);
    }
    free_arrays(a, 6);
    cmt_tmpdir_remove(dir);
}

/* Offsets in the archive we write: one member "ints" (7 int32) so the
 * layout is easy to compute. */
typedef struct layout {
    uint8_t *b;
    size_t n;
    size_t cd, eocd;
} layout;

/* The bytes of `path` in a malloc'd buffer that the tests damage copies of. */
static layout read_back(const char *path)
{
    layout l = {0};
    void *raw;
    assert_int_equal(cm_read_file(path, &raw, &l.n), CM_OK);
    l.b = malloc(l.n);
    assert_non_null(l.b);
    memcpy(l.b, raw, l.n);
    cm_free(raw);
    return l;
}

static layout one_member(const char *path, int compress)
{
    int64_t shape = 7;
    int32_t v[7] = {1, 2, 3, 4, 5, 6, 7};
    cm_array a = cm_array_view("ints", CM_I32, 1, &shape, v);
    assert_int_equal(cm_npz_write(path, &a, 1, compress), CM_OK);
    layout l = read_back(path);
    l.eocd = l.n - 22;
    l.cd = cm_le32(l.b + l.eocd + 16);
    assert_int_equal(cm_le32(l.b + l.cd), 0x02014b50);
    return l;
}

static void test_hostile_archives(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char good[4096], bad[4096];
    snprintf(good, sizeof good, "%s/good.npz", dir);
    snprintf(bad, sizeof bad, "%s/bad.npz", dir);
    for (int compress = 0; compress < 2; compress++) {
        layout l = one_member(good, compress);
        uint8_t *m = malloc(l.n + 64);
#define RESET() memcpy(m, l.b, l.n)
        uint32_t csize = cm_le32(l.b + l.cd + 20), usize = cm_le32(l.b + l.cd + 24);

        RESET(); /* the untouched copy reads */
        cm_npz z;
        cmt_write_file(bad, m, l.n);
        assert_int_equal(cm_npz_read(bad, &z), CM_OK);
        cm_npz_free(&z);

        RESET();
        m[0] = 'X'; /* local header magic */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "PK\\3\\4"));

        RESET();
        memset(m + l.eocd, 0, 4); /* no end record at all: not a zip */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "not a zip"));

        RESET();
        cm_put32(m + l.eocd + 16, (uint32_t)l.n); /* central directory past the end */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "central directory"));

        RESET();
        cm_put32(m + l.eocd + 12, 0xfffffff0u); /* directory size absurd */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put16(m + l.eocd + 8, 5000); /* more entries than fit */
        cm_put16(m + l.eocd + 10, 5000);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "entries"));

        RESET();
        cm_put32(m + l.cd + 42, (uint32_t)l.n - 10); /* local header offset outside */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 42, 0xfffffff0u);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 20, csize + 4); /* compressed size lies: too big */
        if (!compress)
            cm_put32(m + l.cd + 24, usize + 4);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 20, csize - 4); /* too small */
        if (!compress)
            cm_put32(m + l.cd + 24, usize - 4);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 20, 0x7fffffffu); /* far past the end */
        cm_put32(m + l.cd + 24, 0x7fffffffu);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 24, usize + 8); /* uncompressed size lies */
        if (!compress)
            cm_put32(m + l.cd + 20, csize + 8);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 24, usize - 8);
        if (!compress)
            cm_put32(m + l.cd + 20, csize - 8);
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 24, 0xfffffff0u); /* a zip bomb claim: refused before allocating */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 16, cm_le32(l.b + l.cd + 16) ^ 1); /* CRC */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "CRC"));

        RESET();
        cm_put16(m + l.cd + 10, 12); /* bzip2 */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_UNSUPPORTED);
        assert_non_null(strstr(cm_errmsg(), "compression method"));

        RESET();
        cm_put16(m + l.cd + 8, 1); /* encrypted */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_UNSUPPORTED);

        RESET();
        memcpy(m + l.cd + 46 + 4, ".txt", 4); /* not an .npy member */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_UNSUPPORTED);
        assert_non_null(strstr(cm_errmsg(), "ints.txt"));

        RESET();
        cm_put16(m + l.cd + 28, 200); /* name runs past the directory */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);

        RESET();
        cm_put32(m + l.cd + 20, 0xffffffffu); /* saturated without a ZIP64 field */
        assert_int_equal(read_bad(bad, m, l.n), CM_ERR_FORMAT);
        assert_non_null(strstr(cm_errmsg(), "ZIP64"));

        if (compress) {
            RESET();
            /* corrupt the deflate stream itself (first data byte after the
             * 30-byte local header and the 8-byte name) */
            m[30 + 8] ^= 0xff;
            m[30 + 9] ^= 0x55;
            assert_int_not_equal(read_bad(bad, m, l.n), CM_OK);
        }
        free(m);
        free(l.b);
    }
    cmt_tmpdir_remove(dir);
}

/* Every single-byte change of a small archive either reads or fails
 * cleanly: under ASan this is a small fuzzer for the whole reader. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char good[4096], bad[4096];
    snprintf(good, sizeof good, "%s/good.npz", dir);
    snprintf(bad, sizeof bad, "%s/bad.npz", dir);
    for (int mode = 0; mode < 3; mode++) {
        layout l = one_member(good, mode & 1);
        if (mode == 2) { /* the ZIP64 layout too */
            int64_t shape = 7;
            int32_t v[7] = {1, 2, 3, 4, 5, 6, 7};
            cm_array a = cm_array_view("ints", CM_I32, 1, &shape, v);
            assert_int_equal(cm_npz_write_ex(good, &a, 1, 1, 1), CM_OK);
            free(l.b);
            l = read_back(good);
        }
        uint8_t *m = malloc(l.n);
        for (size_t i = 0; i < l.n; i++) {
            memcpy(m, l.b, l.n);
            m[i] ^= (uint8_t)(0x5a + i);
            cmt_read_bytes(bad, m, l.n, npz_reader); /* reads, or fails naming the file */
        }
        free(m);
        free(l.b);
    }
    cmt_tmpdir_remove(dir);
}

/* Hand-built archives: a data descriptor (sizes only in the directory and
 * after the data, as a streaming writer does) and an archive comment. */
static void test_descriptor_and_comment(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/dd.npz", dir);
    int64_t shape = 3;
    double v[3] = {1.5, -2, 3};
    cm_array a = cm_array_view("", CM_F64, 1, &shape, v);
    uint8_t *hdr;
    size_t hlen;
    assert_int_equal(cm_npy_build_header(&a, "x", &hdr, &hlen), CM_OK);
    size_t usize = hlen + sizeof v;
    uint8_t *npy = malloc(usize);
    memcpy(npy, hdr, hlen);
    memcpy(npy + hlen, v, sizeof v);
    cm_free(hdr);
    uint32_t crc = (uint32_t)crc32(0, npy, (uInt)usize);
    const char *name = "xs.npy";
    size_t nlen = strlen(name);
    size_t cap = 30 + nlen + usize + 16 + 46 + nlen + 22 + 16;
    uint8_t *b = calloc(1, cap);
    size_t p = 0;
    cm_put32(b + p, 0x04034b50);
    cm_put16(b + p + 4, 20);
    cm_put16(b + p + 6, 8); /* flag 3: sizes in a descriptor */
    cm_put16(b + p + 26, (uint16_t)nlen);
    memcpy(b + p + 30, name, nlen);
    p += 30 + nlen;
    memcpy(b + p, npy, usize);
    p += usize;
    cm_put32(b + p, 0x08074b50);
    cm_put32(b + p + 4, crc);
    cm_put32(b + p + 8, (uint32_t)usize);
    cm_put32(b + p + 12, (uint32_t)usize);
    p += 16;
    size_t cd = p;
    cm_put32(b + p, 0x02014b50);
    cm_put16(b + p + 6, 20);
    cm_put16(b + p + 8, 8);
    cm_put32(b + p + 16, crc);
    cm_put32(b + p + 20, (uint32_t)usize);
    cm_put32(b + p + 24, (uint32_t)usize);
    cm_put16(b + p + 28, (uint16_t)nlen);
    memcpy(b + p + 46, name, nlen);
    p += 46 + nlen;
    cm_put32(b + p, 0x06054b50);
    cm_put16(b + p + 8, 1);
    cm_put16(b + p + 10, 1);
    cm_put32(b + p + 12, (uint32_t)(p - cd));
    cm_put32(b + p + 16, (uint32_t)cd);
    cm_put16(b + p + 20, 5);
    memcpy(b + p + 22, "hello", 5);
    p += 27;
    cmt_write_file(path, b, p);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    assert_int_equal(z.count, 1);
    assert_string_equal(z.arrays[0].name, "xs");
    assert_memory_equal(z.arrays[0].data, v, sizeof v);
    cm_npz_free(&z);
    free(b);
    free(npy);
    cmt_tmpdir_remove(dir);
}

/* A real 64-bit offset: the archive written with ZIP64 records is moved
 * 4 GiB + 4 KiB into a sparse file and its offsets patched, so that the
 * local-header and central-directory offsets only fit in the ZIP64 fields.
 * Python's zipfile reads the same file when numpy is installed (np.load
 * itself only sniffs the first bytes, which here are the hole). */
static void test_offsets_past_4gib(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char src[4096], big[4096];
    snprintf(src, sizeof src, "%s/small.npz", dir);
    snprintf(big, sizeof big, "%s/sparse.npz", dir);
    int64_t shape[2] = {3, 5};
    double v[15];
    for (int i = 0; i < 15; i++)
        v[i] = i * 1.25 - 4;
    cm_array a = cm_array_view("far", CM_F64, 2, shape, v);
    for (int compress = 0; compress < 2; compress++) {
        assert_int_equal(cm_npz_write_ex(src, &a, 1, compress, 1), CM_OK);
        void *raw;
        size_t n;
        assert_int_equal(cm_read_file(src, &raw, &n), CM_OK);
        uint8_t *b = raw;
        const uint64_t shift = ((uint64_t)1 << 32) + 4096;
        size_t loc = n - 22 - 20;
        size_t z64 = (size_t)cm_le64(b + loc + 8);
        size_t cd = (size_t)cm_le64(b + z64 + 48);
        size_t nlen = cm_le16(b + cd + 28);
        size_t off_field = cd + 46 + nlen + 4 + 16; /* usize, csize, then the offset */
        assert_int_equal(cm_le16(b + cd + 46 + nlen), 1);
        cm_put64(b + off_field, cm_le64(b + off_field) + shift);
        cm_put64(b + z64 + 48, cd + shift);
        cm_put64(b + loc + 8, z64 + shift);
        FILE *f = fopen(big, "wb");
        assert_non_null(f);
        int placed = fseeko(f, (off_t)shift, SEEK_SET) == 0 && fwrite(b, 1, n, f) == n;
        placed = (fclose(f) == 0) && placed;
        cm_free(raw);
        if (!placed) {
            printf("skipping: this file system cannot hold a sparse 4 GiB file\n");
            remove(big);
            break;
        }
        cm_npz z;
        assert_int_equal(cm_npz_read(big, &z), CM_OK);
        assert_int_equal(z.count, 1);
        assert_string_equal(z.arrays[0].name, "far");
        assert_memory_equal(z.arrays[0].data, v, sizeof v);
        cm_npz_free(&z);
        const char *python = compress ? cmt_python_with("numpy") : NULL;
        if (python)
            assert_int_equal(cmt_system("%s -c 'import numpy as np, sys, zipfile; "
                                        "a = np.lib.format.read_array(zipfile.ZipFile(sys.argv[1]).open(\"far.npy\")); "
                                        "sys.exit(0 if a.shape == (3, 5) and a[2, 4] == 14 * 1.25 - 4 else 1)' %s",
                                        python, big),
                             0);
        remove(big);
    }
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),          cmocka_unit_test(test_get_and_require),
        cmocka_unit_test(test_truncated_at_every_byte), cmocka_unit_test(test_hostile_archives),
        cmocka_unit_test(test_every_byte_flipped),   cmocka_unit_test(test_descriptor_and_comment),
        cmocka_unit_test(test_offsets_past_4gib),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
