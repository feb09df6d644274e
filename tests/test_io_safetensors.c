/* safetensors: round trips with metadata, the header layout of the
 * reference writer, and hostile headers and offsets. */
#include "io_check.h"

#include "cogmap/io.h"
#include "io/io_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cm_dtype all_dtypes[] = {CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL};

static void make_tensors(cm_array *t)
{
    const char *names[6] = {"lstm.weight_ih_l0", "lstm.bias", "step", "count", "pixels", "mask"};
    const int64_t shapes[6][2] = {{4, 3}, {5}, {0}, {2, 0}, {3, 3}, {4}};
    const int ndims[6] = {2, 1, 0, 2, 2, 1};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(cm_array_alloc(&t[i], names[i], all_dtypes[i], ndims[i], shapes[i]), CM_OK);
        uint8_t *p = t[i].data;
        for (size_t k = 0; k < cm_array_bytes(&t[i]); k++)
            p[k] = all_dtypes[i] == CM_BOOL ? (uint8_t)(k & 1) : (uint8_t)(k * 7 + i);
    }
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    cm_array t[6];
    make_tensors(t);
    const char *keys[3] = {"format", "note", "utf8"};
    const char *values[3] = {"pt", "a \"quoted\"\nline\\", "gr\xc3\xb6\xc3\x9f" "e"};
    assert_int_equal(cm_safetensors_write(path, t, 6, keys, values, 3), CM_OK);
    cm_safetensors st;
    assert_int_equal(cm_safetensors_read(path, &st), CM_OK);
    assert_int_equal(st.count, 6);
    for (int i = 0; i < 6; i++) {
        const cm_array *b = cm_safetensors_get(&st, t[i].name);
        assert_non_null(b);
        assert_int_equal(b->dtype, t[i].dtype);
        assert_int_equal(b->ndim, t[i].ndim);
        for (int d = 0; d < t[i].ndim; d++)
            assert_int_equal(b->shape[d], t[i].shape[d]);
        if (cm_array_bytes(&t[i]))
            assert_memory_equal(b->data, t[i].data, cm_array_bytes(&t[i]));
    }
    assert_null(cm_safetensors_get(&st, "nope"));
    assert_int_equal(st.meta_count, 3);
    for (int i = 0; i < 3; i++)
        assert_string_equal(cm_safetensors_meta(&st, keys[i]), values[i]);
    assert_null(cm_safetensors_meta(&st, "absent"));
    /* read in data order: 8-byte dtypes first, then by name */
    assert_string_equal(st.tensors[0].name, "count");
    assert_string_equal(st.tensors[1].name, "lstm.bias");
    cm_safetensors_free(&st);
    assert_int_equal(st.count, 0);

    /* header layout: length a multiple of 8, __metadata__ first, compact */
    void *raw;
    size_t len;
    assert_int_equal(cm_read_file(path, &raw, &len), CM_OK);
    uint64_t n = cm_le64(raw);
    assert_int_equal(n % 8, 0);
    assert_true(n + 8 <= len);
    const char *h = (const char *)raw + 8;
    assert_memory_equal(h, "{\"__metadata__\":{\"format\":\"pt\",", 31);
    assert_non_null(strstr(h, "\"count\":{\"dtype\":\"I64\",\"shape\":[2,0],\"data_offsets\":[0,0]}"));
    assert_non_null(strstr(h, "\"step\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[88,92]}"));
    cm_free(raw);

    /* no metadata: no __metadata__ key; an empty file of tensors too */
    assert_int_equal(cm_safetensors_write(path, t, 2, NULL, NULL, 0), CM_OK);
    assert_int_equal(cm_read_file(path, &raw, &len), CM_OK);
    assert_null(strstr((const char *)raw + 8, "__metadata__"));
    cm_free(raw);
    assert_int_equal(cm_safetensors_write(path, NULL, 0, NULL, NULL, 0), CM_OK);
    assert_int_equal(cm_safetensors_read(path, &st), CM_OK);
    assert_int_equal(st.count, 0);
    cm_safetensors_free(&st);

    /* bad arguments */
    cm_array dup[2] = {t[0], t[4]};
    snprintf(dup[1].name, sizeof dup[1].name, "%s", t[0].name);
    assert_int_equal(cm_safetensors_write(path, dup, 2, NULL, NULL, 0), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "same name"));
    cm_array meta = t[0];
    snprintf(meta.name, sizeof meta.name, "__metadata__");
    assert_int_equal(cm_safetensors_write(path, &meta, 1, NULL, NULL, 0), CM_ERR_ARG);
    for (int i = 0; i < 6; i++)
        cm_array_free(&t[i]);
    cmt_tmpdir_remove(dir);
}

/* cm_safetensors_read for cmt_read_bytes: a failed read leaves no tensors. */
static cm_status safetensors_reader(const char *path)
{
    cm_safetensors st;
    cm_status s = cm_safetensors_read(path, &st);
    if (s == CM_OK) {
        cm_safetensors_free(&st);
    } else {
        assert_int_equal(st.count, 0);
        assert_null(st.tensors);
    }
    return s;
}

/* A file from a header text and `data_len` bytes of data. */
static cm_status read_header(const char *path, const char *header, size_t data_len)
{
    size_t hn = strlen(header);
    size_t n = 8 + hn + data_len;
    uint8_t *b = calloc(1, n);
    cm_put64(b, hn);
    memcpy(b + 8, header, hn);
    cm_status s = cmt_read_bytes(path, b, n, safetensors_reader);
    free(b);
    return s;
}

static void test_hostile_headers(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char p[4096];
    snprintf(p, sizeof p, "%s/bad.safetensors", dir);
    /* the good one */
    assert_int_equal(read_header(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8), CM_OK);
    assert_int_equal(read_header(p, "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}   ", 8), CM_OK);
    struct {
        const char *header;
        size_t data;
        cm_status want;
        const char *word;
    } cases[] = {
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 4, CM_ERR_FORMAT, "data size"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 12, CM_ERR_FORMAT, "cover 8 bytes"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, CM_ERR_FORMAT, "no tensor"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,12]}}", 12, CM_ERR_FORMAT, "needs 8"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8, CM_ERR_FORMAT, "needs 12"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,0]}}", 8, CM_ERR_FORMAT, "begin <= end"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}", 8, CM_ERR_FORMAT, "non-negative"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0.5,8.5]}}", 8, CM_ERR_FORMAT, "integers"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0]}}", 8, CM_ERR_FORMAT, "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1e300,1e300]}}", 8, CM_ERR_FORMAT, "integers"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, CM_ERR_FORMAT, "data_offsets"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
         12, CM_ERR_FORMAT, "overlap"},
        {"{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
         "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}",
         16, CM_ERR_FORMAT, "twice"},
        {"{\"a\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[0,4]}}", 4, CM_ERR_UNSUPPORTED, "F16"},
        {"{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,4]}}", 4, CM_ERR_FORMAT, "dtype"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,1]}}", 1, CM_ERR_UNSUPPORTED,
         "dimensions"},
        {"{\"a\":{\"dtype\":\"U8\",\"shape\":[-1],\"data_offsets\":[0,1]}}", 1, CM_ERR_FORMAT, "shape[0]"},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296,4294967296],\"data_offsets\":[0,8]}}", 8,
         CM_ERR_FORMAT, "overflow"},
        {"{\"a\":{\"dtype\":\"F64\",\"shape\":[100000000,100000000],\"data_offsets\":[0,8]}}", 8, CM_ERR_FORMAT,
         "needs"},
        {"{\"a\":[1,2]}", 0, CM_ERR_FORMAT, "expected an object"},
        {"{\"__metadata__\":{\"k\":1}}", 0, CM_ERR_FORMAT, "string value"},
        {"{\"__metadata__\":[\"k\"]}", 0, CM_ERR_FORMAT, "__metadata__"},
        {"{\"__metadata__\":{},\"__metadata__\":{}}", 0, CM_ERR_FORMAT, "twice"},
        {"[1,2,3]", 0, CM_ERR_FORMAT, "JSON object"},
        {"{\"a\":", 0, CM_ERR_FORMAT, "invalid JSON"},
        {"{} {}", 0, CM_ERR_FORMAT, "invalid JSON"},
        {"{", 0, CM_ERR_FORMAT, "header length"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cm_status st = read_header(p, cases[i].header, cases[i].data);
        if (st != cases[i].want || !strstr(cm_errmsg(), cases[i].word))
            fail_msg("case %zu: got %d '%s', want %d with '%s'", i, st, cm_errmsg(), cases[i].want, cases[i].word);
    }

    /* the length field itself */
    uint8_t b[64];
    memset(b, ' ', sizeof b);
    cm_put64(b, 1000); /* header longer than the file */
    b[8] = '{', b[9] = '}';
    cmt_write_file(p, b, sizeof b);
    cm_safetensors st;
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "past the end"));
    cm_put64(b, UINT64_MAX); /* absurd: refused before allocating */
    cmt_write_file(p, b, sizeof b);
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "at most"));
    cmt_write_file(p, b, 5);
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_int_equal(cm_safetensors_read("/nonexistent/m.safetensors", &st), CM_ERR_IO);

    /* PyTorch checkpoints: named as such, not an absurd header length. A zip
     * whose first entry is <archive>/data.pkl (torch.save since 1.6)... */
    uint8_t zip[64] = {'P', 'K', 3, 4};
    const char *entry = "best_model/data.pkl";
    zip[26] = (uint8_t)strlen(entry);
    memcpy(zip + 30, entry, strlen(entry));
    cmt_write_file(p, zip, sizeof zip);
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "this is a PyTorch .pth"));
    assert_non_null(strstr(cm_errmsg(), "convert it with scripts/pth-to-safetensors"));
    assert_null(strstr(cm_errmsg(), "header length"));
    /* ...another zip (still pointed at the converter, without claiming)... */
    memcpy(zip + 30, "readme.txt", 10);
    zip[26] = 10;
    cmt_write_file(p, zip, 40);
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "zip archive, not safetensors"));
    /* ...and the legacy format, a bare protocol-2 pickle. */
    const uint8_t pickle[16] = {0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19};
    cmt_write_file(p, pickle, sizeof pickle);
    assert_int_equal(cm_safetensors_read(p, &st), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "Python pickle"));
    assert_non_null(strstr(cm_errmsg(), "scripts/pth-to-safetensors"));
    cmt_tmpdir_remove(dir);
}

static void test_truncated_and_flipped(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char good[4096], bad[4096];
    snprintf(good, sizeof good, "%s/good.safetensors", dir);
    snprintf(bad, sizeof bad, "%s/bad.safetensors", dir);
    cm_array t[6];
    make_tensors(t);
    const char *k = "format", *v = "pt";
    assert_int_equal(cm_safetensors_write(good, t, 6, &k, &v, 1), CM_OK);
    for (int i = 0; i < 6; i++)
        cm_array_free(&t[i]);
    void *raw;
    size_t len;
    assert_int_equal(cm_read_file(good, &raw, &len), CM_OK);
    for (size_t n = 0; n < len; n++) /* every prefix fails: the data must be exactly there */
        assert_int_not_equal(cmt_read_bytes(bad, raw, n, safetensors_reader), CM_OK);
    uint8_t *m = malloc(len);
    size_t hn = 8 + (size_t)cm_le64(raw);
    for (size_t i = 0; i < hn; i++) { /* flipped header bytes: read or fail, never crash */
        memcpy(m, raw, len);
        m[i] ^= (uint8_t)(i % 7 == 0 ? 0x80 : 0x0b);
        cmt_read_bytes(bad, m, len, safetensors_reader);
    }
    free(m);
    cm_free(raw);
    cmt_tmpdir_remove(dir);
}

/* An independent reading of the format in python (json + numpy, no
 * safetensors package, which Debian 12 lacks): python checks our file and
 * writes one by the spec's rules for us to read. */
static void test_python_spec_check(void **state)
{
    (void)state;
    const char *python = cmt_python_with("numpy json");
    if (!python)
        skip();
    const char *dir = cmt_tmpdir();
    char ours[4096], theirs[4096], script[4096];
    snprintf(ours, sizeof ours, "%s/ours.safetensors", dir);
    snprintf(theirs, sizeof theirs, "%s/theirs.safetensors", dir);
    snprintf(script, sizeof script, "%s/st.py", dir);
    float w[6] = {1.5f, -2, 3, 4.25f, 5, 6};
    int64_t ws[2] = {2, 3};
    int64_t steps = 123456789012345;
    cm_array t[2] = {cm_array_view("w", CM_F32, 2, ws, w), cm_array_view("steps", CM_I64, 0, NULL, &steps)};
    const char *k = "format", *v = "pt";
    assert_int_equal(cm_safetensors_write(ours, t, 2, &k, &v, 1), CM_OK);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("import json, struct, sys\n"
          "import numpy as np\n"
          "DT = {'F32': '<f4', 'I64': '<i8', 'U8': '|u1'}\n"
          "b = open(sys.argv[1], 'rb').read()\n"
          "n, = struct.unpack('<Q', b[:8])\n"
          "assert n % 8 == 0, n\n"
          "h = json.loads(b[8:8 + n])\n"
          "assert h.pop('__metadata__') == {'format': 'pt'}\n"
          "data = b[8 + n:]\n"
          "t = {k: np.frombuffer(data[e['data_offsets'][0]:e['data_offsets'][1]], DT[e['dtype']]).reshape(e['shape'])\n"
          "     for k, e in h.items()}\n"
          "assert t['w'].tolist() == [[1.5, -2, 3], [4.25, 5, 6]], t['w']\n"
          "assert t['steps'].shape == () and int(t['steps']) == 123456789012345\n"
          "x = np.arange(12, dtype='<f4').reshape(3, 4) / 4\n"
          "y = np.array([7, 8, 9], dtype='u1')\n"
          "hdr = {'x': {'dtype': 'F32', 'shape': [3, 4], 'data_offsets': [0, 48]},\n"
          "       'y': {'dtype': 'U8', 'shape': [3], 'data_offsets': [48, 51]},\n"
          "       '__metadata__': {'who': 'python'}}\n"
          "s = json.dumps(hdr).encode()\n"
          "s += b' ' * (-len(s) % 8)\n"
          "open(sys.argv[2], 'wb').write(struct.pack('<Q', len(s)) + s + x.tobytes() + y.tobytes())\n",
          f);
    fclose(f);
    assert_int_equal(cmt_system("%s %s %s %s", python, script, ours, theirs), 0);
    cm_safetensors st;
    assert_int_equal(cm_safetensors_read(theirs, &st), CM_OK);
    const cm_array *x = cm_safetensors_get(&st, "x");
    assert_non_null(x);
    int64_t xs[2] = {3, 4};
    assert_int_equal(cm_array_expect(x, theirs, CM_F32, 2, xs), CM_OK);
    for (int i = 0; i < 12; i++)
        assert_true(((float *)x->data)[i] == i / 4.0f);
    const cm_array *y = cm_safetensors_get(&st, "y");
    assert_non_null(y);
    assert_int_equal(((uint8_t *)y->data)[2], 9);
    assert_string_equal(cm_safetensors_meta(&st, "who"), "python");
    cm_safetensors_free(&st);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_hostile_headers),
        cmocka_unit_test(test_truncated_and_flipped),
        cmocka_unit_test(test_python_spec_check),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
