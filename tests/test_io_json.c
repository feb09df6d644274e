/* JSON: write/read round trip, typed getters and their messages, bad files. */
#include "io_check.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_round_trip_and_getters(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/config.json", dir);
    cJSON *root = cJSON_CreateObject();
    cJSON_AddNumberToObject(root, "lr", 1e-3);
    cJSON_AddNumberToObject(root, "steps", 12345);
    cJSON_AddNumberToObject(root, "half", 1.5);
    cJSON_AddNumberToObject(root, "huge", 1e300);
    cJSON_AddStringToObject(root, "name", "grid-cells");
    cJSON_AddBoolToObject(root, "flag", 1);
    cJSON *arr = cJSON_AddArrayToObject(root, "list");
    cJSON_AddItemToArray(arr, cJSON_CreateNumber(1));
    assert_int_equal(cm_json_write(path, root), CM_OK);
    cJSON_Delete(root);

    void *text;
    size_t len;
    assert_int_equal(cm_read_file(path, &text, &len), CM_OK);
    assert_int_equal(((char *)text)[len - 1], '\n');
    assert_non_null(strstr(text, "\n\t\"steps\":\t12345")); /* pretty-printed */
    cm_free(text);

    cJSON *doc;
    assert_int_equal(cm_json_read(path, &doc), CM_OK);
    double lr = 0;
    int64_t steps = 0;
    char name[32];
    assert_int_equal(cm_json_get_number(doc, path, "lr", 1, &lr), CM_OK);
    assert_true(lr == 1e-3);
    assert_int_equal(cm_json_get_int(doc, path, "steps", 1, &steps), CM_OK);
    assert_int_equal(steps, 12345);
    assert_int_equal(cm_json_get_string(doc, path, "name", 1, name, sizeof name), CM_OK);
    assert_string_equal(name, "grid-cells");

    /* optional and missing: untouched; required and missing: named */
    double untouched = 42;
    assert_int_equal(cm_json_get_number(doc, path, "absent", 0, &untouched), CM_OK);
    assert_true(untouched == 42);
    assert_int_equal(cm_json_get_number(doc, path, "absent", 1, &untouched), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), path));
    assert_non_null(strstr(cm_errmsg(), "absent: required key missing"));
    /* wrong types */
    assert_int_equal(cm_json_get_number(doc, "c.json", "name", 1, &lr), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "c.json: name: expected a number, got a string");
    assert_int_equal(cm_json_get_string(doc, "c.json", "list", 1, name, sizeof name), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "c.json: list: expected a string, got an array");
    assert_int_equal(cm_json_get_int(doc, "c.json", "half", 1, &steps), CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "c.json: half: expected an integer, got 1.5");
    assert_int_equal(cm_json_get_int(doc, "c.json", "huge", 1, &steps), CM_ERR_FORMAT);
    assert_int_equal(cm_json_get_int(doc, "c.json", "flag", 1, &steps), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "a boolean"));
    assert_int_equal(steps, 12345); /* failures leave *out alone */
    char small[4];
    assert_int_equal(cm_json_get_string(doc, "c.json", "name", 1, small, sizeof small), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "at most 3 bytes"));
    /* not an object */
    assert_int_equal(cm_json_get_number(cJSON_GetObjectItem(doc, "list"), "c.json", "x", 1, &lr), CM_ERR_FORMAT);
    assert_int_equal(cm_json_get_number(NULL, "c.json", "x", 0, &lr), CM_ERR_FORMAT);
    cJSON_Delete(doc);
    assert_int_equal(cm_json_write(path, NULL), CM_ERR_ARG);
    cmt_tmpdir_remove(dir);
}

/* cm_json_read for cmt_read_bytes: a failed read leaves no document. */
static cm_status json_reader(const char *path)
{
    cJSON *doc = (cJSON *)1;
    cm_status st = cm_json_read(path, &doc);
    if (st == CM_OK)
        cJSON_Delete(doc);
    else
        assert_null(doc);
    return st;
}

static cm_status read_text(const char *path, const char *text, size_t n)
{
    return cmt_read_bytes(path, text, n, json_reader);
}

static cm_status read_str(const char *path, const char *text) { return read_text(path, text, strlen(text)); }

/* Numbers cJSON would print with 15 digits and lose bits: 17 are written,
 * inside a document and as the whole document (a bare number, found by
 * fuzzing: tests/data/fuzz-regressions/json/number-root-17-digits). */
static void test_numbers_exact(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/n.json", dir);
    const double values[] = {0.1 + 0.2, 8.888888888888888e35, 1.0 / 3.0, -2.718281828459045};
    for (size_t i = 0; i < sizeof values / sizeof *values; i++) {
        cJSON *docs[2] = {cJSON_CreateNumber(values[i]), cJSON_CreateArray()};
        cJSON_AddItemToArray(docs[1], cJSON_CreateNumber(values[i]));
        for (int k = 0; k < 2; k++) {
            assert_int_equal(cm_json_write(path, docs[k]), CM_OK);
            cJSON *back;
            assert_int_equal(cm_json_read(path, &back), CM_OK);
            const cJSON *n = k == 0 ? back : cJSON_GetArrayItem(back, 0);
            assert_true(cJSON_IsNumber(n));
            assert_true(n->valuedouble == values[i]);
            cJSON_Delete(back);
            cJSON_Delete(docs[k]);
        }
    }
    cmt_tmpdir_remove(dir);
}

static void test_bad_files(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/bad.json", dir);
    const char *good = "{\n  \"a\": [1, 2, {\"b\": \"x\"}],\n  \"c\": true\n}";
    size_t len = strlen(good);
    for (size_t n = 0; n < len; n++)
        assert_int_equal(read_text(path, good, n), CM_ERR_FORMAT);
    assert_int_equal(read_text(path, good, len), CM_OK);
    assert_int_equal(read_text(path, "{\"a\": 1}\n  \n", 12), CM_OK); /* trailing whitespace */
    assert_int_equal(read_text(path, "{\"a\": 1} {}", 11), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), ":1:10:"));
    assert_int_equal(read_text(path, "{\n\"a\": 1,\n\"b\": nope}", 20), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), ":3:"));
    assert_int_equal(read_text(path, "{\"a\": 1}\0{}", 11), CM_ERR_FORMAT); /* embedded NUL */
    assert_int_equal(read_text(path, "", 0), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "empty"));
    /* a key twice in one object means two things (cJSON reads the first,
     * Python the last): refused, also deep inside; the same key in two
     * objects is fine (found by fuzzing: docs/reliability.md) */
    assert_int_equal(read_str(path, "{\"lr\": 1, \"b\": 2, \"lr\": 3}"), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "key \"lr\" appears twice"));
    assert_int_equal(read_str(path, "[{\"a\": {\"x\": 1, \"x\": 1}}]"), CM_ERR_FORMAT);
    assert_int_equal(read_str(path, "{\"a\": {\"x\": 1}, \"b\": {\"x\": 1}}"), CM_OK);
    /* a number beyond a double would read as infinity, which no writer can
     * write back (found by fuzzing); the largest double is fine */
    assert_int_equal(read_str(path, "{\"v\": [0.5, 1e611]}"), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "v: number out of the range of a double"));
    assert_int_equal(read_str(path, "-1e400"), CM_ERR_FORMAT);
    assert_int_equal(read_str(path, "[1.7976931348623157e308, 1e-400]"), CM_OK);
    /* deep nesting is refused by cJSON's limit, not a stack overflow */
    size_t deep = 100000;
    char *nest = malloc(2 * deep);
    memset(nest, '[', deep);
    memset(nest + deep, ']', deep);
    assert_int_equal(read_text(path, nest, 2 * deep), CM_ERR_FORMAT);
    free(nest);
    cJSON *doc;
    assert_int_equal(cm_json_read("/nonexistent/c.json", &doc), CM_ERR_IO);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_getters),
        cmocka_unit_test(test_numbers_exact),
        cmocka_unit_test(test_bad_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
