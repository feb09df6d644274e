/* dist.h as a job of one process (no mpirun): every collective is the
 * identity, the split covers the items, and the library still says whether it
 * was built with MPI. tests/mpi_base_dist.c runs the same calls over 2 ranks. */
#include "test_util.h"

#include "cogmap/dist.h"

#include <string.h>

static void test_split_covers_everything_once(void **state)
{
    (void)state;
    const int64_t ns[] = {0, 1, 2, 7, 100, 1001};
    for (size_t i = 0; i < sizeof ns / sizeof *ns; i++)
        for (int size = 1; size <= 9; size++) {
            int64_t prev_end = 0, largest = 0, smallest = ns[i];
            for (int r = 0; r < size; r++) {
                int64_t b, e;
                cm_dist_split(ns[i], r, size, &b, &e);
                assert_int_equal(b, prev_end); /* contiguous, in rank order */
                assert_true(e >= b);
                largest = e - b > largest ? e - b : largest;
                smallest = e - b < smallest ? e - b : smallest;
                prev_end = e;
            }
            assert_int_equal(prev_end, ns[i]);
            assert_true(largest - smallest <= 1); /* balanced */
        }
}

static void test_single_process_collectives(void **state)
{
    (void)state;
    int argc = 1;
    char *args[] = {"test_base_dist", NULL}, **argv = args;
    assert_int_equal(cm_dist_init(&argc, &argv), CM_OK);
    assert_int_equal(cm_dist_rank(), 0);
    assert_int_equal(cm_dist_size(), 1);
    float f[5] = {1, 2, 3, 4, 5};
    assert_int_equal(cm_dist_sum_floats(f, 5), CM_OK);
    assert_true(f[0] == 1 && f[4] == 5);
    double d[2] = {0.5, -2};
    assert_int_equal(cm_dist_sum_doubles(d, 2), CM_OK);
    assert_true(d[0] == 0.5 && d[1] == -2);
    char out[8];
    size_t total = 0;
    assert_int_equal(cm_dist_gather_all("abc", 3, out, sizeof out, &total), CM_OK);
    assert_int_equal(total, 3);
    assert_memory_equal(out, "abc", 3);
    /* Too small a buffer is refused, not overrun. */
    assert_int_equal(cm_dist_gather_all("abcdefghij", 10, out, sizeof out, &total), CM_ERR_ARG);
    assert_int_equal(cm_dist_min_int(7), 7);
    cm_dist_barrier();
    cm_dist_finalize();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_covers_everything_once),
        cmocka_unit_test(test_single_process_collectives),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
