/* Status codes, messages, progress output. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_error_message_and_context(void **state)
{
    (void)state;
    cm_error_clear();
    assert_string_equal(cm_errmsg(), "");
    cm_status st = cm_error(CM_ERR_FORMAT, "%s: shape: expected [%d, 2]", "a.npz", 10);
    assert_int_equal(st, CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "a.npz: shape: expected [10, 2]");
    st = cm_error_context(st, "loading %s: ", "run");
    assert_int_equal(st, CM_ERR_FORMAT);
    assert_string_equal(cm_errmsg(), "loading run: a.npz: shape: expected [10, 2]");
    assert_string_equal(cm_status_name(CM_ERR_IO), "i/o error");
    assert_string_equal(cm_status_name(CM_OK), "ok");
}

static void test_error_message_truncates_safely(void **state)
{
    (void)state;
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cm_error(CM_ERR_ARG, "%s", big);
    assert_true(strlen(cm_errmsg()) < sizeof big);
    cm_error_context(CM_ERR_ARG, "%s", big);
    assert_true(strlen(cm_errmsg()) < sizeof big);
    /* A context that nearly fills the buffer keeps itself whole and the
     * message's head after it: the cut is at the message's tail. */
    char ctx[1000];
    memset(ctx, 'c', sizeof ctx - 1);
    ctx[sizeof ctx - 1] = '\0';
    cm_error(CM_ERR_ARG, "abcdefghijklmnopqrstuvwxyz0123456789");
    cm_error_context(CM_ERR_ARG, "%s", ctx);
    const char *msg = cm_errmsg();
    size_t len = strlen(msg);
    assert_true(len > sizeof ctx - 1 && len < sizeof ctx - 1 + 36);
    assert_memory_equal(msg, ctx, sizeof ctx - 1);
    assert_memory_equal(msg + sizeof ctx - 1, "abcdefghij", 10);
}

static void test_progress_plain_lines(void **state)
{
    (void)state;
    FILE *f = tmpfile();
    assert_non_null(f);
    cm_progress p;
    cm_progress_start(&p, f, "train", 100);
    p.interval = 0.0; /* print every update */
    cm_progress_update(&p, 50, "loss %.2f", 1.25);
    cm_progress_finish(&p, "done");
    rewind(f);
    char line[512];
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "train: 50/100 (50.0%)"));
    assert_non_null(strstr(line, "eta"));
    assert_non_null(strstr(line, "loss 1.25"));
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "done"));
    fclose(f);

    /* A time limit nearer than the count's end sets the ETA: 1 of 10^6 items in
     * 10 s predicts 116 days, the limit 70.4 s after start leaves a minute. */
    f = tmpfile();
    assert_non_null(f);
    cm_progress_start(&p, f, "train", 1000000);
    cm_progress_time_limit(&p, 70.4);
    p.start_time -= 10.0;
    p.interval = 0.0;
    cm_progress_update(&p, 1, NULL);
    rewind(f);
    assert_non_null(fgets(line, sizeof line, f));
    assert_non_null(strstr(line, "eta 01:00"));
    fclose(f);

    cm_progress silent;
    cm_progress_start(&silent, NULL, "x", 10);
    cm_progress_update(&silent, 5, NULL); /* must not crash */
    cm_progress_finish(&silent, NULL);
}

static void test_alloc_aligned(void **state)
{
    (void)state;
    for (size_t n = 0; n < 300; n += 37) {
        float *p = cm_alloc(n * sizeof(float));
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % 64, 0);
        cm_free(p);
    }
    float *z = cm_calloc(1000, sizeof(float));
    for (int i = 0; i < 1000; i++)
        assert_true(z[i] == 0.0f);
    cm_free(z);
    assert_null(cm_calloc(SIZE_MAX / 2, 4)); /* overflow refused */
    assert_true(cm_peak_rss_bytes() > 0);
}

/* A model state's activations: one zeroed block, every buffer on a cache
 * line, empty ones NULL, and sizes whose sum overflows refused. */
static void test_alloc_slots(void **state)
{
    (void)state;
    float *a = (float *)1, *b = (float *)1, *c = (float *)1, *d = (float *)1;
    float **slots[] = {&a, &b, &c, &d};
    const size_t sizes[] = {3, 0, 17, 16};
    size_t total = 0;
    float *block = cm_alloc_slots(slots, sizes, 4, &total);
    assert_non_null(block);
    assert_int_equal(total, 16 + 0 + 32 + 16);
    assert_ptr_equal(a, block);
    assert_null(b);
    assert_ptr_equal(c, block + 16);
    assert_ptr_equal(d, block + 48);
    assert_int_equal((uintptr_t)c % 64, 0);
    for (size_t i = 0; i < total; i++)
        assert_true(block[i] == 0.0f);
    cm_free(block);
    const size_t huge[] = {16, SIZE_MAX - 7};
    assert_null(cm_alloc_slots(slots, huge, 2, &total));
    assert_int_equal(total, 0);
}

/* Whole names only: a prefix, an extension or an empty value is no choice. */
static void test_is_choice(void **state)
{
    (void)state;
    assert_true(cm_is_choice("a", "a|bc|d"));
    assert_true(cm_is_choice("bc", "a|bc|d"));
    assert_true(cm_is_choice("d", "a|bc|d"));
    assert_false(cm_is_choice("b", "a|bc|d"));
    assert_false(cm_is_choice("bcd", "a|bc|d"));
    assert_false(cm_is_choice("", "a|bc|d"));
    assert_true(cm_is_choice("loss", "loss"));
    assert_false(cm_is_choice("los", "loss"));
}

static void test_fits_float(void **state)
{
    (void)state;
    assert_true(cm_fits_float(0.0));
    assert_true(cm_fits_float(-1e30));
    assert_true(cm_fits_float(3.4028234663852886e38)); /* FLT_MAX itself */
    assert_false(cm_fits_float(3.40282357e38));        /* just above FLT_MAX */
    assert_false(cm_fits_float(-2e119));
    assert_false(cm_fits_float(INFINITY));
    assert_false(cm_fits_float(NAN));
}

int openblas_get_num_threads(void); /* OpenBLAS's own, what cm_blas_hold sets */

static void test_blas_hold(void **state)
{
    (void)state;
    cm_set_threads(2);
    assert_int_equal(openblas_get_num_threads(), 2);
    int held = cm_blas_hold();
    assert_int_equal(held, 2);
    assert_int_equal(openblas_get_num_threads(), 1);
    cm_blas_release(held);
    assert_int_equal(openblas_get_num_threads(), 2);
    cm_set_threads(1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error_message_and_context),
        cmocka_unit_test(test_error_message_truncates_safely),
        cmocka_unit_test(test_progress_plain_lines),
        cmocka_unit_test(test_alloc_aligned),
        cmocka_unit_test(test_alloc_slots),
        cmocka_unit_test(test_is_choice),
        cmocka_unit_test(test_fits_float),
        cmocka_unit_test(test_blas_hold),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
