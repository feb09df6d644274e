/* Helpers for the file-format tests (io_check.h). */
#include "io_check.h"

#include <stdio.h>
#include <string.h>

void cmt_write_file(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    if (n)
        assert_int_equal(fwrite(p, 1, n, f), n);
    assert_int_equal(fclose(f), 0);
}

void cmt_assert_array_equal(const cm_array *got, const cm_array *want)
{
    assert_int_equal(got->dtype, want->dtype);
    assert_int_equal(got->ndim, want->ndim);
    for (int i = 0; i < want->ndim; i++)
        assert_int_equal(got->shape[i], want->shape[i]);
    assert_int_equal(cm_array_bytes(got), cm_array_bytes(want));
    if (cm_array_bytes(want))
        assert_memory_equal(got->data, want->data, cm_array_bytes(want));
}

cm_status cmt_read_bytes(const char *path, const void *bytes, size_t n, cmt_reader read)
{
    cmt_write_file(path, bytes, n);
    cm_error_clear();
    cm_status st = read(path);
    if (st != CM_OK)
        assert_non_null(strstr(cm_errmsg(), path));
    return st;
}
