/* Interop with numpy: numpy reads what cogmap writes and cogmap reads what
 * numpy writes (tests/data/io_numpy_interop.py holds the numpy side). Both
 * sides compute the expected values from the same formula. */
#include "io_check.h"

#include "cogmap/io.h"
#include "io/io_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const cm_dtype dtypes[] = {CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL};
static const char *shape_names[] = {"scalar", "empty", "vec", "mat", "cube"};
static const int shape_ndim[] = {0, 2, 1, 2, 3};
static const int64_t shape_dims[][3] = {{0}, {0, 3}, {7}, {3, 5}, {2, 3, 4}};
#define NSHAPES 5
#define NARRAYS (6 * NSHAPES)

/* The formula of values() in the python script. */
static void fill(cm_array *a)
{
    int64_t n = cm_array_count(a);
    for (int64_t k = 0; k < n; k++) {
        switch (a->dtype) {
        case CM_F32: ((float *)a->data)[k] = (float)(k * 0.5 - 3.25); break;
        case CM_F64: ((double *)a->data)[k] = k * 0.5 - 3.25; break;
        case CM_I32: ((int32_t *)a->data)[k] = (int32_t)(k * 7 - 100); break;
        case CM_I64: ((int64_t *)a->data)[k] = k * ((int64_t)1 << 40) - 5; break;
        case CM_U8: ((uint8_t *)a->data)[k] = (uint8_t)((k * 37) % 256); break;
        case CM_BOOL: ((uint8_t *)a->data)[k] = k % 3 == 0; break;
        }
    }
}

static void make_all(cm_array *arrays)
{
    int i = 0;
    for (int d = 0; d < 6; d++)
        for (int s = 0; s < NSHAPES; s++, i++) {
            char name[64];
            snprintf(name, sizeof name, "%s_%s", cm_dtype_name(dtypes[d]), shape_names[s]);
            assert_int_equal(cm_array_alloc(&arrays[i], name, dtypes[d], shape_ndim[s], shape_dims[s]), CM_OK);
            fill(&arrays[i]);
        }
}

static void test_numpy_reads_cogmap(void **state)
{
    (void)state;
    const char *python = cmt_python_with("numpy");
    if (!python)
        skip();
    const char *dir = cmt_tmpdir();
    cm_array arrays[NARRAYS];
    make_all(arrays);
    char path[8192];
    for (int i = 0; i < NARRAYS; i++) {
        snprintf(path, sizeof path, "%s/%s.npy", dir, arrays[i].name);
        assert_int_equal(cm_npy_write(path, &arrays[i]), CM_OK);
    }
    snprintf(path, sizeof path, "%s/stored.npz", dir);
    assert_int_equal(cm_npz_write(path, arrays, NARRAYS, 0), CM_OK);
    snprintf(path, sizeof path, "%s/deflated.npz", dir);
    assert_int_equal(cm_npz_write(path, arrays, NARRAYS, 1), CM_OK);
    snprintf(path, sizeof path, "%s/zip64.npz", dir);
    assert_int_equal(cm_npz_write_ex(path, arrays, NARRAYS, 1, 1), CM_OK);
    assert_int_equal(cmt_system("%s %s check %s", python, cmt_data_path("io_numpy_interop.py"), dir), 0);
    for (int i = 0; i < NARRAYS; i++)
        cm_array_free(&arrays[i]);
    cmt_tmpdir_remove(dir);
}

static void test_cogmap_reads_numpy(void **state)
{
    (void)state;
    const char *python = cmt_python_with("numpy");
    if (!python)
        skip();
    const char *dir = cmt_tmpdir();
    assert_int_equal(cmt_system("%s %s make %s", python, cmt_data_path("io_numpy_interop.py"), dir), 0);
    cm_array want[NARRAYS];
    make_all(want);
    char path[8192];
    for (int i = 0; i < NARRAYS; i++) {
        cm_array got;
        snprintf(path, sizeof path, "%s/%s.npy", dir, want[i].name);
        assert_int_equal(cm_npy_read(path, &got), CM_OK);
        cmt_assert_array_equal(&got, &want[i]);
        cm_array_free(&got);
    }
    const char *npz[] = {"stored.npz", "deflated.npz"};
    for (int f = 0; f < 2; f++) {
        snprintf(path, sizeof path, "%s/%s", dir, npz[f]);
        cm_npz z;
        assert_int_equal(cm_npz_read(path, &z), CM_OK);
        assert_int_equal(z.count, NARRAYS);
        for (int i = 0; i < NARRAYS; i++) {
            const cm_array *got = cm_npz_get(&z, want[i].name);
            assert_non_null(got);
            cmt_assert_array_equal(got, &want[i]);
        }
        cm_npz_free(&z);
    }
    /* a zip written to an unseekable stream (data descriptors), one member
     * with a version 2.0 npy header */
    snprintf(path, sizeof path, "%s/streamed.npz", dir);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    assert_int_equal(z.count, 2);
    cmt_assert_array_equal(cm_npz_get(&z, "float32_mat"), &want[0 * NSHAPES + 3]);
    cmt_assert_array_equal(cm_npz_get(&z, "bool_vec"), &want[5 * NSHAPES + 2]);
    cm_npz_free(&z);
    /* header versions 2.0 and 3.0 */
    cm_array got;
    snprintf(path, sizeof path, "%s/v2.npy", dir);
    assert_int_equal(cm_npy_read(path, &got), CM_OK);
    cmt_assert_array_equal(&got, &want[1 * NSHAPES + 3]);
    cm_array_free(&got);
    snprintf(path, sizeof path, "%s/v3.npy", dir);
    assert_int_equal(cm_npy_read(path, &got), CM_OK);
    cmt_assert_array_equal(&got, &want[2 * NSHAPES + 3]);
    cm_array_free(&got);
    /* refused, with the reason named */
    struct {
        const char *file, *word;
    } refused[] = {{"fortran.npy", "Fortran"},
                   {"bigendian.npy", "big-endian"},
                   {"float16.npy", "<f2"},
                   {"object.npy", "object"},
                   {"structured.npy", "structured"}};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, refused[i].file);
        assert_int_equal(cm_npy_read(path, &got), CM_ERR_UNSUPPORTED);
        assert_non_null(strstr(cm_errmsg(), refused[i].word));
        assert_non_null(strstr(cm_errmsg(), refused[i].file));
    }
    for (int i = 0; i < NARRAYS; i++)
        cm_array_free(&want[i]);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numpy_reads_cogmap),
        cmocka_unit_test(test_cogmap_reads_numpy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
