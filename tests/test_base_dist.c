/* dist.h as a job of one process (no mpirun): every collective is the
 * identity, the split covers the items, and the library still says whether it
 * was built with MPI. tests/mpi_base_dist.c runs the same calls over 2 ranks. */
#include "test_util.h"

#include "cogmap/dist.h"

#include <math.h>
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

/* The loop of a job of one: compute then fold, item by item. */
typedef struct loop {
    int computed, folded, fail_at;
    int64_t order[16];
} loop;

static cm_status compute(void *ctx, int64_t k, void *out)
{
    loop *L = ctx;
    if (k == L->fail_at)
        return cm_error(CM_ERR_IO, "item %lld failed", (long long)k);
    L->computed++;
    memcpy(out, &k, sizeof k);
    return CM_OK;
}

static cm_status fold(void *ctx, int64_t k, const void *in)
{
    loop *L = ctx;
    int64_t v;
    memcpy(&v, in, sizeof v);
    assert_int_equal(v, k);
    /* Computed just before: the plain serial loop. */
    assert_int_equal(L->computed, L->folded + 1);
    L->order[L->folded++] = v;
    return CM_OK;
}

static void test_single_process_loops_and_agreement(void **state)
{
    (void)state;
    loop L = {0, 0, -1, {0}};
    assert_int_equal(cm_dist_map_fold(7, sizeof(int64_t), compute, fold, &L, NULL), CM_OK);
    assert_int_equal(L.folded, 7);
    for (int k = 0; k < 7; k++)
        assert_int_equal(L.order[k], k);
    loop F = {0, 0, 3, {0}};
    assert_int_equal(cm_dist_map_fold(7, sizeof(int64_t), compute, fold, &F, NULL), CM_ERR_IO);
    assert_int_equal(F.folded, 3);
    assert_string_equal(cm_errmsg(), "item 3 failed");
    assert_int_equal(cm_dist_map_fold(-1, 8, compute, fold, &F, NULL), CM_ERR_ARG);
    assert_int_equal(cm_dist_map_fold(2, 8, NULL, fold, &F, NULL), CM_ERR_ARG);

    /* Agreement in a job of one is the status itself. */
    assert_int_equal(cm_dist_agree(CM_OK), CM_OK);
    assert_false(cm_dist_failure_agreed());
    assert_int_equal(cm_dist_agree(cm_error(CM_ERR_FORMAT, "bad")), CM_ERR_FORMAT);
    assert_true(cm_dist_failure_agreed());
    assert_string_equal(cm_errmsg(), "bad");

    /* Solo changes nothing for a job of one. */
    assert_int_equal(cm_dist_set_solo(1), 0);
    assert_int_equal(cm_dist_size(), 1);
    assert_int_equal(cm_dist_world_size(), 1);
    assert_int_equal(cm_dist_set_solo(0), 1);

    /* Checksums see one bit; ranks agree with themselves. */
    float a[3] = {1, 2, 3}, b[3] = {1, 2, 3};
    assert_true(cm_dist_checksum(a, 3) == cm_dist_checksum(b, 3));
    b[2] = nextafterf(3.0f, 4.0f);
    assert_true(cm_dist_checksum(a, 3) != cm_dist_checksum(b, 3));
    assert_int_equal(cm_dist_check_same(cm_dist_checksum(a, 3), "a"), CM_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_covers_everything_once),
        cmocka_unit_test(test_single_process_collectives),
        cmocka_unit_test(test_single_process_loops_and_agreement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
