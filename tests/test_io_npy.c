/* .npy: round trips for every dtype and shape, and hostile input. */
#define _GNU_SOURCE
#include "io_check.h"

#include "cogmap/io.h"
#include "io/io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cm_dtype all_dtypes[] = {CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL};

/* Deterministic, dtype-appropriate contents (bools are 0/1). */
static void fill(cm_array *a, unsigned seed)
{
    uint8_t *p = a->data;
    size_t n = cm_array_bytes(a);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)((i * 131u + seed * 17u + 7u) >> 1);
    if (a->dtype == CM_BOOL)
        for (size_t i = 0; i < n; i++)
            p[i] &= 1;
}

static void test_round_trip_every_dtype_and_shape(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/a.npy", dir);
    const int64_t shapes[][3] = {{0}, {5}, {0}, {3, 4}, {2, 0, 3}, {2, 3, 5}};
    const int ndims[] = {0, 1, 1, 2, 3, 3};
    for (size_t d = 0; d < 6; d++) {
        for (size_t s = 0; s < 6; s++) {
            cm_array a, b;
            assert_int_equal(cm_array_alloc(&a, "", all_dtypes[d], ndims[s], shapes[s]), CM_OK);
            fill(&a, (unsigned)(d * 10 + s));
            assert_int_equal(cm_npy_write(path, &a), CM_OK);
            assert_int_equal(cm_npy_read(path, &b), CM_OK);
            cmt_assert_array_equal(&a, &b);
            assert_true(b.owns_data);
            /* file size: a 64-byte aligned header, then the data */
            void *raw;
            size_t len;
            assert_int_equal(cm_read_file(path, &raw, &len), CM_OK);
            assert_int_equal((len - cm_array_bytes(&a)) % 64, 0);
            cm_array c;
            assert_int_equal(cm_npy_parse(raw, len, "mem", &c), CM_OK);
            cmt_assert_array_equal(&a, &c);
            cm_free(raw);
            cm_array_free(&a);
            cm_array_free(&b);
            cm_array_free(&c);
        }
    }
    /* a view writes without copying and is never freed */
    float v[6] = {1, 2, 3, 4, 5, 6};
    int64_t shape[2] = {2, 3};
    cm_array view = cm_array_view("w", CM_F32, 2, shape, v);
    assert_int_equal(cm_npy_write(path, &view), CM_OK);
    cm_array back;
    assert_int_equal(cm_npy_read(path, &back), CM_OK);
    assert_memory_equal(back.data, v, sizeof v);
    cm_array_free(&back);
    cm_array_free(&view); /* harmless on a view */
    assert_ptr_equal(view.data, NULL);
    cmt_tmpdir_remove(dir);
}

static void test_header_text_matches_numpy(void **state)
{
    (void)state;
    int64_t shape[2] = {3, 4};
    cm_array a = cm_array_view("", CM_F32, 2, shape, NULL);
    uint8_t *hdr;
    size_t len;
    assert_int_equal(cm_npy_build_header(&a, "x", &hdr, &len), CM_OK);
    assert_int_equal(len, 128);
    const char *want = "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }";
    assert_memory_equal(hdr + 10, want, strlen(want));
    assert_int_equal(hdr[len - 1], '\n');
    assert_int_equal(hdr[8] | (hdr[9] << 8), 118);
    cm_free(hdr);
    int64_t one = 5;
    cm_array b = cm_array_view("", CM_BOOL, 1, &one, NULL);
    assert_int_equal(cm_npy_build_header(&b, "x", &hdr, &len), CM_OK);
    assert_non_null(memmem(hdr, len, "'|b1'", 5));
    assert_non_null(memmem(hdr, len, "(5,)", 4));
    cm_free(hdr);
}

/* An .npy image with a given version, dict text and data size. */
static uint8_t *make_npy(int major, const char *dict, size_t data_len, size_t *len)
{
    size_t prefix = major == 1 ? 10 : 12;
    size_t dn = strlen(dict);
    *len = prefix + dn + data_len;
    uint8_t *b = calloc(1, *len);
    memcpy(b, "\x93NUMPY", 6);
    b[6] = (uint8_t)major;
    b[7] = 0;
    if (major == 1)
        cm_put16(b + 8, (uint16_t)dn);
    else
        cm_put32(b + 8, (uint32_t)dn);
    memcpy(b + prefix, dict, dn);
    for (size_t i = 0; i < data_len; i++)
        b[prefix + dn + i] = (uint8_t)i;
    return b;
}

static cm_status parse_dict(int major, const char *dict, size_t data_len)
{
    size_t len;
    uint8_t *b = make_npy(major, dict, data_len, &len);
    cm_array a;
    cm_status st = cm_npy_parse(b, len, "bad.npy", &a);
    if (st == CM_OK)
        cm_array_free(&a);
    else
        assert_non_null(strstr(cm_errmsg(), "bad.npy"));
    free(b);
    return st;
}

static void test_versions_and_spellings(void **state)
{
    (void)state;
    /* 2.0 and 3.0 have a 32-bit length; old Python 2 files write 3L */
    assert_int_equal(parse_dict(2, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n", 16), CM_OK);
    assert_int_equal(parse_dict(3, "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 2), }\n", 16), CM_OK);
    assert_int_equal(parse_dict(1, "{\"shape\": (3L, 1L), \"fortran_order\": False, \"descr\": \"<i4\"}   \n", 12),
                     CM_OK);
    assert_int_equal(parse_dict(1, "{'descr': '=u1', 'fortran_order': False, 'shape': (), }\n", 1), CM_OK);
    assert_int_equal(parse_dict(1, "{'descr': '>u1', 'fortran_order': False, 'shape': (3,), }\n", 3), CM_OK);
    assert_int_equal(parse_dict(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (0, 5), }\n", 0), CM_OK);
    size_t len;
    uint8_t *b = make_npy(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }\n", 8, &len);
    cm_array a;
    assert_int_equal(cm_npy_parse(b, len, "v2", &a), CM_OK);
    assert_int_equal(a.dtype, CM_I32);
    assert_int_equal(((int32_t *)a.data)[0], 0x03020100);
    cm_array_free(&a);
    free(b);
}

static void test_rejects_unsupported_and_malformed(void **state)
{
    (void)state;
    const char *tail = "'fortran_order': False, 'shape': (2,), }";
    char d[256];
    struct {
        const char *descr;
        cm_status want;
        const char *word;
    } descrs[] = {
        {"'>f4'", CM_ERR_UNSUPPORTED, "big-endian"}, {"'|O'", CM_ERR_UNSUPPORTED, "object"},
        {"'<f2'", CM_ERR_UNSUPPORTED, "float32"},    {"'<c8'", CM_ERR_UNSUPPORTED, "<c8"},
        {"'<U5'", CM_ERR_UNSUPPORTED, "<U5"},        {"[('a', '<f4')]", CM_ERR_UNSUPPORTED, "structured"},
        {"'<f'", CM_ERR_UNSUPPORTED, "descr"},       {"<f4", CM_ERR_FORMAT, "quoted string"},
    };
    for (size_t i = 0; i < sizeof descrs / sizeof descrs[0]; i++) {
        snprintf(d, sizeof d, "{'descr': %s, %s", descrs[i].descr, tail);
        assert_int_equal(parse_dict(1, d, 8), descrs[i].want);
        assert_non_null(strstr(cm_errmsg(), descrs[i].word));
    }
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2,), }", 8),
                     CM_ERR_UNSUPPORTED);
    assert_non_null(strstr(cm_errmsg(), "Fortran"));
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", 8), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "negative"));
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,1), }", 4),
                     CM_ERR_UNSUPPORTED);
    assert_non_null(strstr(cm_errmsg(), "dimensions"));
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'shape': (2,), }", 8), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "fortran_order"));
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'x': 1}", 8),
                     CM_ERR_FORMAT);
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", 8),
                     CM_ERR_FORMAT);
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", 8),
                     CM_ERR_FORMAT);
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,) ", 8), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "end of the header"));
    /* shape/size mismatch either way */
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", 8), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "needs 12 bytes"));
    assert_int_equal(parse_dict(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 8), CM_ERR_FORMAT);
    /* absurd dimensions: rejected from the file length, before allocating */
    assert_int_equal(parse_dict(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (100000000, 100000000), }", 8),
                     CM_ERR_FORMAT);
    assert_int_equal(
        parse_dict(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4294967296), }", 8),
        CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "overflow"));
    assert_int_equal(
        parse_dict(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (99999999999999999999,), }", 8),
        CM_ERR_FORMAT);
    /* versions */
    size_t len;
    uint8_t *b = make_npy(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", 8, &len);
    cm_array a;
    b[6] = 4;
    assert_int_equal(cm_npy_parse(b, len, "v4.npy", &a), CM_ERR_UNSUPPORTED);
    assert_non_null(strstr(cm_errmsg(), "v4.npy"));
    b[6] = 1;
    b[0] = 'x';
    assert_int_equal(cm_npy_parse(b, len, "magic.npy", &a), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "magic"));
    b[0] = 0x93;
    /* header longer than the file */
    cm_put16(b + 8, (uint16_t)(len - 9));
    assert_int_equal(cm_npy_parse(b, len, "long.npy", &a), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "past the end"));
    free(b);
}

/* Every prefix of a valid file is an error naming the file, from memory and
 * from disk; the full file parses. Runs under ASan for out-of-bounds reads. */
static void test_truncated_at_every_byte(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096], cut[4096];
    snprintf(path, sizeof path, "%s/full.npy", dir);
    snprintf(cut, sizeof cut, "%s/cut.npy", dir);
    int64_t shape[2] = {3, 2};
    cm_array a;
    assert_int_equal(cm_array_alloc(&a, "", CM_F64, 2, shape), CM_OK);
    fill(&a, 3);
    assert_int_equal(cm_npy_write(path, &a), CM_OK);
    void *raw;
    size_t len;
    assert_int_equal(cm_read_file(path, &raw, &len), CM_OK);
    for (size_t n = 0; n < len; n++) {
        cm_array b;
        /* a fresh heap copy of exactly n bytes so ASan sees any overread */
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, raw, n);
        cm_error_clear();
        cm_status st = cm_npy_parse(copy, n, "cut.npy", &b);
        assert_int_not_equal(st, CM_OK);
        assert_non_null(strstr(cm_errmsg(), "cut.npy"));
        free(copy);
        if (n <= 140 || n % 7 == 0) { /* the header, then a sample of the data */
            assert_int_equal(cm_write_file_atomic(cut, raw, n), CM_OK);
            cm_error_clear();
            assert_int_not_equal(cm_npy_read(cut, &b), CM_OK);
            assert_non_null(strstr(cm_errmsg(), cut));
        }
    }
    cm_array b;
    assert_int_equal(cm_npy_parse(raw, len, "full", &b), CM_OK);
    cmt_assert_array_equal(&a, &b);
    cm_array_free(&b);
    cm_free(raw);
    cm_array_free(&a);
    assert_int_equal(cm_npy_read("/nonexistent/x.npy", &b), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "/nonexistent/x.npy"));
    cmt_tmpdir_remove(dir);
}

static void test_array_helpers(void **state)
{
    (void)state;
    assert_int_equal(cm_dtype_size(CM_F64), 8);
    assert_int_equal(cm_dtype_size(CM_BOOL), 1);
    assert_string_equal(cm_dtype_name(CM_I64), "int64");
    assert_string_equal(cm_dtype_name(CM_U8), "uint8");
    int64_t shape[2] = {100, 3};
    cm_array a;
    assert_int_equal(cm_array_alloc(&a, "positions", CM_F32, 2, shape), CM_OK);
    assert_int_equal(cm_array_count(&a), 300);
    assert_int_equal(cm_array_bytes(&a), 1200);
    int64_t want[2] = {-1, 2};
    assert_int_equal(cm_array_expect(&a, "run/activity.npz", CM_F32, 2, want), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "run/activity.npz: positions: expected shape [*, 2], got [100, 3]");
    assert_int_equal(cm_array_expect(&a, "f.npz", CM_F64, 2, want), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "f.npz: positions: expected dtype float64, got float32");
    assert_int_equal(cm_array_expect(&a, "f.npz", CM_F32, 1, NULL), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "f.npz: positions: expected shape [*], got [100, 3]");
    want[1] = 3;
    assert_int_equal(cm_array_expect(&a, "f.npz", CM_F32, 2, want), CM_OK);
    assert_int_equal(cm_array_expect(&a, "f.npz", CM_F32, 2, NULL), CM_OK);
    cm_array_free(&a);
    cm_array s;
    assert_int_equal(cm_array_alloc(&s, NULL, CM_I64, 0, NULL), CM_OK);
    assert_int_equal(cm_array_count(&s), 1);
    assert_int_equal(*(int64_t *)s.data, 0); /* zeroed */
    cm_array_free(&s);
    int64_t bad[2] = {-1, 2};
    assert_int_equal(cm_array_alloc(&s, "x", CM_F32, 2, bad), CM_ERR_ARG);
    int64_t huge[3] = {INT64_MAX / 2, 4, 4};
    assert_int_equal(cm_array_alloc(&s, "x", CM_F32, 3, huge), CM_ERR_ARG);
    assert_int_equal(cm_array_alloc(&s, "x", CM_F32, 9, huge), CM_ERR_ARG);
    char longname[200];
    memset(longname, 'n', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(cm_array_alloc(&s, longname, CM_F32, 0, NULL), CM_ERR_ARG);
}

/* Views are not checked when made; every writer rejects an impossible one. */
static void test_writers_reject_bad_views(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char npy[4096], npz[4096], st[4096];
    snprintf(npy, sizeof npy, "%s/a.npy", dir);
    snprintf(npz, sizeof npz, "%s/a.npz", dir);
    snprintf(st, sizeof st, "%s/a.safetensors", dir);
    float x = 1;
    int64_t neg[2] = {2, -3};
    int64_t huge[3] = {(int64_t)1 << 40, (int64_t)1 << 40, 16};
    int64_t nine[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    cm_array bad[3] = {cm_array_view("neg", CM_F32, 2, neg, &x), cm_array_view("huge", CM_F32, 3, huge, &x),
                       cm_array_view("nine", CM_F32, 9, nine, &x)};
    assert_int_equal(bad[2].ndim, -1);
    assert_int_equal(cm_array_count(&bad[0]), -1);
    assert_int_equal(cm_array_count(&bad[1]), -1);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(cm_npy_write(npy, &bad[i]), CM_ERR_ARG);
        assert_non_null(strstr(cm_errmsg(), npy));
        assert_int_equal(cm_npz_write(npz, &bad[i], 1, 1), CM_ERR_ARG);
        assert_non_null(strstr(cm_errmsg(), bad[i].name));
        assert_int_equal(cm_safetensors_write(st, &bad[i], 1, NULL, NULL, 0), CM_ERR_ARG);
    }
    int64_t two = 2;
    cm_array nodata = cm_array_view("nodata", CM_F32, 1, &two, NULL);
    assert_int_equal(cm_npy_write(npy, &nodata), CM_ERR_ARG);
    assert_int_equal(cm_npz_write(npz, &nodata, 1, 0), CM_ERR_ARG);
    assert_int_equal(cm_safetensors_write(st, &nodata, 1, NULL, NULL, 0), CM_ERR_ARG);
    cmt_tmpdir_remove(dir); /* nothing was written: removing an empty folder */
}

/* Every byte of a valid image changed in turn: parses or fails cleanly. */
static void test_every_byte_flipped(void **state)
{
    (void)state;
    int64_t shape[2] = {2, 3};
    cm_array a;
    assert_int_equal(cm_array_alloc(&a, "", CM_I32, 2, shape), CM_OK);
    fill(&a, 5);
    uint8_t *hdr;
    size_t hlen;
    assert_int_equal(cm_npy_build_header(&a, "x", &hdr, &hlen), CM_OK);
    size_t len = hlen + cm_array_bytes(&a);
    uint8_t *img = malloc(len);
    memcpy(img, hdr, hlen);
    memcpy(img + hlen, a.data, cm_array_bytes(&a));
    cm_free(hdr);
    const uint8_t flips[3] = {0x01, 0x20, 0xff};
    int ok = 0;
    for (size_t i = 0; i < len; i++) {
        for (int k = 0; k < 3; k++) {
            uint8_t *m = malloc(len);
            memcpy(m, img, len);
            m[i] ^= flips[k];
            cm_array b;
            if (cm_npy_parse(m, len, "flip", &b) == CM_OK) {
                ok++;
                cm_array_free(&b);
            } else {
                assert_non_null(strstr(cm_errmsg(), "flip"));
            }
            free(m);
        }
    }
    assert_true(ok >= 3 * (int)cm_array_bytes(&a)); /* data bytes never matter */
    free(img);
    cm_array_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_every_dtype_and_shape),
        cmocka_unit_test(test_header_text_matches_numpy),
        cmocka_unit_test(test_versions_and_spellings),
        cmocka_unit_test(test_rejects_unsupported_and_malformed),
        cmocka_unit_test(test_truncated_at_every_byte),
        cmocka_unit_test(test_array_helpers),
        cmocka_unit_test(test_writers_reject_bad_views),
        cmocka_unit_test(test_every_byte_flipped),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
