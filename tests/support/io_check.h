/* Helpers for the file-format tests (tests/test_io_*.c): writing exact bytes,
 * comparing arrays, and the rule every reader keeps with damaged input. */
#ifndef COGMAP_TEST_IO_CHECK_H
#define COGMAP_TEST_IO_CHECK_H

#include "test_util.h"

#include "cogmap/io.h"

/* Writes exactly n bytes of p to path (asserting that it could). */
void cmt_write_file(const char *path, const void *p, size_t n);

/* Asserts that got has want's dtype, shape and bytes (names are not compared). */
void cmt_assert_array_equal(const cm_array *got, const cm_array *want);

/* A reader under test: reads path; frees what it read when that succeeds and,
 * when it fails, asserts that it left its output empty. */
typedef cm_status (*cmt_reader)(const char *path);

/* Writes bytes [n] to path and reads it with `read`: damaged input either
 * reads or fails with a message naming the file (asserted). Returns read's
 * status. */
cm_status cmt_read_bytes(const char *path, const void *bytes, size_t n, cmt_reader read);

#endif
