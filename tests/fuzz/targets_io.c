/* Fuzz targets of the io module's readers: .npy, .npz, safetensors, JSON, PNG.
 * Whatever reads back must write and read again to the same thing. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "targets.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void check_same_array(const cm_array *a, const cm_array *b, const char *what)
{
    cmf_check(a->dtype == b->dtype && a->ndim == b->ndim, "%s: dtype or rank changed", what);
    for (int i = 0; i < a->ndim; i++)
        cmf_check(a->shape[i] == b->shape[i], "%s: dimension %d changed", what, i);
    size_t n = cm_array_bytes(a);
    cmf_check(n == cm_array_bytes(b), "%s: byte count changed", what);
    cmf_check(n == 0 || memcmp(a->data, b->data, n) == 0, "%s: data changed", what);
}

/* ------------------------------------------------------------------ npy */

void cmf_run_npy(const uint8_t *data, size_t size)
{
    cm_array a, b;
    cm_status s1 = cm_npy_parse(data, size, "input", &a);
    cmf_check_failure(s1, "input");
    cmf_check(s1 == CM_OK || a.data == NULL, "failed parse left data");
    const char *path = cmf_write_file(0, "in.npy", data, size);
    cm_status s2 = cm_npy_read(path, &b);
    cmf_check_failure(s2, path);
    cmf_check(s2 == CM_OK || b.data == NULL, "failed read left data");
    cmf_check((s1 == CM_OK) == (s2 == CM_OK), "cm_npy_parse says %d, cm_npy_read %d", s1, s2);
    if (s1 == CM_OK && s2 == CM_OK) {
        check_same_array(&a, &b, "parse vs read");
        const char *out = cmf_write_file(1, "out.npy", NULL, 0);
        cmf_check(cm_npy_write(out, &b) == CM_OK, "what reads does not write");
        cm_array c;
        cmf_check(cm_npy_read(out, &c) == CM_OK, "what cm_npy_write wrote does not read");
        check_same_array(&b, &c, "npy round trip");
        cm_array_free(&c);
    }
    cm_array_free(&a);
    cm_array_free(&b);
}

/* ------------------------------------------------------------------ npz */

static void round_trip_npz(const cm_npz *z, int compress)
{
    for (int i = 0; i < z->count; i++)
        if (!z->arrays[i].name[0])
            return; /* a member named ".npy": read, but a name is required to write */
    const char *out = cmf_write_file(1, "out.npz", NULL, 0);
    cm_status st = cm_npz_write(out, z->arrays, z->count, compress);
    cmf_check(st == CM_OK, "what reads does not write (compress %d)", compress);
    cm_npz y;
    cmf_check(cm_npz_read(out, &y) == CM_OK, "what cm_npz_write wrote does not read");
    cmf_check(y.count == z->count, "member count changed");
    for (int i = 0; i < y.count; i++) {
        cmf_check(strcmp(y.arrays[i].name, z->arrays[i].name) == 0, "member %d renamed", i);
        check_same_array(&z->arrays[i], &y.arrays[i], "npz round trip");
    }
    cm_npz_free(&y);
}

void cmf_run_npz(const uint8_t *data, size_t size)
{
    const char *path = cmf_write_file(0, "in.npz", data, size);
    cm_npz z;
    cm_status st = cm_npz_read(path, &z);
    cmf_check_failure(st, path);
    if (st != CM_OK) {
        cmf_check(z.count == 0 && z.arrays == NULL, "failed read left %d arrays", z.count);
        return;
    }
    round_trip_npz(&z, 0);
    round_trip_npz(&z, 1);
    cm_npz_free(&z);
}

/* ---------------------------------------------------------- safetensors */

void cmf_run_safetensors(const uint8_t *data, size_t size)
{
    const char *path = cmf_write_file(0, "in.safetensors", data, size);
    cm_safetensors st;
    cm_status s = cm_safetensors_read(path, &st);
    cmf_check_failure(s, path);
    if (s != CM_OK) {
        cmf_check(st.count == 0 && st.tensors == NULL && st.meta_count == 0, "failed read left tensors");
        return;
    }
    for (int i = 0; i < st.count; i++)
        if (!st.tensors[i].name[0]) { /* read, but the writer wants names */
            cm_safetensors_free(&st);
            return;
        }
    const char *out = cmf_write_file(1, "out.safetensors", NULL, 0);
    s = cm_safetensors_write(out, st.tensors, st.count, (const char *const *)st.meta_keys,
                             (const char *const *)st.meta_values, st.meta_count);
    cmf_check(s == CM_OK, "what reads does not write");
    cm_safetensors back;
    cmf_check(cm_safetensors_read(out, &back) == CM_OK, "what cm_safetensors_write wrote does not read");
    cmf_check(back.count == st.count && back.meta_count == st.meta_count, "tensor or metadata count changed");
    for (int i = 0; i < st.count; i++) {
        const cm_array *b = cm_safetensors_get(&back, st.tensors[i].name);
        cmf_check(b != NULL, "tensor %s lost", st.tensors[i].name);
        check_same_array(&st.tensors[i], b, "safetensors round trip");
    }
    for (int i = 0; i < st.meta_count; i++) {
        const char *v = cm_safetensors_meta(&back, st.meta_keys[i]);
        cmf_check(v && strcmp(v, st.meta_values[i]) == 0, "metadata %s changed", st.meta_keys[i]);
    }
    cm_safetensors_free(&back);
    cm_safetensors_free(&st);
}

/* ----------------------------------------------------------------- JSON */

/* The typed getters on every key of an object keep their promises. */
static void check_getters(const cJSON *obj, const char *file)
{
    int n = 0;
    for (const cJSON *it = obj->child; it && n < 64; it = it->next, n++) {
        if (!it->string)
            continue;
        double d = 0;
        int64_t i = 0;
        char s[64];
        if (cm_json_get_number(obj, file, it->string, 1, &d) == CM_OK)
            cmf_check(cJSON_IsNumber(it), "get_number accepted a non-number");
        if (cm_json_get_int(obj, file, it->string, 1, &i) == CM_OK)
            cmf_check(cJSON_IsNumber(it) && (double)i == it->valuedouble && llabs(i) <= (1LL << 53),
                      "get_int accepted %g as %lld", it->valuedouble, (long long)i);
        if (cm_json_get_string(obj, file, it->string, 1, s, sizeof s) == CM_OK)
            cmf_check(cJSON_IsString(it) && strlen(s) < sizeof s, "get_string broke its bound");
    }
}

/* The same document, key for key in the same order (cm_json_write keeps the
 * order, and a read document has no duplicate keys) and every number to the
 * bit (cm_json_write writes as many digits as a double needs). Linear in the
 * document: cJSON_Compare looks each object member up in both directions and
 * recurses twice per level, which made deeply nested inputs run at a few
 * hundred executions a second. */
static int same_json(const cJSON *a, const cJSON *b)
{
    if ((a->type & 0xFF) != (b->type & 0xFF))
        return 0;
    if ((a->string == NULL) != (b->string == NULL) || (a->string && strcmp(a->string, b->string) != 0))
        return 0;
    if (cJSON_IsNumber(a))
        return a->valuedouble == b->valuedouble;
    if (cJSON_IsString(a))
        return strcmp(a->valuestring, b->valuestring) == 0;
    if (cJSON_IsArray(a) || cJSON_IsObject(a)) {
        const cJSON *x = a->child, *y = b->child;
        for (; x && y; x = x->next, y = y->next)
            if (!same_json(x, y))
                return 0;
        return x == NULL && y == NULL;
    }
    return 1; /* null, true, false: the type says all */
}

void cmf_run_json(const uint8_t *data, size_t size)
{
    const char *path = cmf_write_file(0, "in.json", data, size);
    struct cJSON *root;
    cm_status st = cm_json_read(path, &root);
    cmf_check_failure(st, path);
    if (st != CM_OK) {
        cmf_check(root == NULL, "failed read left a document");
        return;
    }
    if (cJSON_IsObject(root))
        check_getters(root, path);
    const char *out = cmf_write_file(1, "out.json", NULL, 0);
    cmf_check(cm_json_write(out, root) == CM_OK, "what reads does not write");
    struct cJSON *back;
    cmf_check(cm_json_read(out, &back) == CM_OK, "what cm_json_write wrote does not read");
    cmf_check(same_json(root, back), "JSON round trip changed the document");
    cJSON_Delete(back);
    cJSON_Delete(root);
}

/* ------------------------------------------------------------------ PNG */

void cmf_run_png(const uint8_t *data, size_t size)
{
    const char *path = cmf_write_file(0, "in.png", data, size);
    cm_image img;
    cm_status st = cm_png_read(path, &img);
    cmf_check_failure(st, path);
    if (st != CM_OK) {
        cmf_check(img.pixels == NULL && img.width == 0, "failed read left pixels");
        return;
    }
    cmf_check(img.width > 0 && img.height > 0 && img.channels >= 1 && img.channels <= 4, "bad image %dx%dx%d",
              img.width, img.height, img.channels);
    const char *out = cmf_write_file(1, "out.png", NULL, 0);
    cmf_check(cm_png_write(out, &img) == CM_OK, "what reads does not write");
    cm_image back;
    cmf_check(cm_png_read(out, &back) == CM_OK, "what cm_png_write wrote does not read");
    cmf_check(back.width == img.width && back.height == img.height && back.channels == img.channels,
              "PNG round trip changed the size");
    cmf_check(memcmp(back.pixels, img.pixels, (size_t)img.width * img.height * img.channels) == 0,
              "PNG round trip changed pixels");
    cm_image_free(&back);
    cm_image_free(&img);
}
