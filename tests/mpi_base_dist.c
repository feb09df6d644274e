/* dist.h over a real job of 2 ranks (ctest runs it under mpirun -np 2):
 * reductions equal the rank-ordered sum exactly, on every rank, for sizes that
 * split unevenly and for sizes smaller than the rank count; gathers
 * concatenate in rank order with different sizes per rank; repeated calls
 * give the same bits. Agreement carries the failing rank's message to the
 * others; a distributed loop folds to the serial loop's bits and stops every
 * rank when one fails; solo makes a rank a job of one; checksums catch ranks
 * that differ. Plain asserts: cmocka's output from two processes would
 * interleave. */
#include "cogmap/dist.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

#define EXPECT(cond)                                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "rank %d: %s:%d: expected %s\n", cm_dist_rank(), __FILE__, __LINE__, #cond);              \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

/* The value rank r holds at index i: different per rank, with low bits that
 * make the summation order visible. */
static float value(int r, size_t i) { return (float)(sin(0.37 * (double)i + r) * pow(10.0, (double)(r % 3) - 1)); }

static void check_sum(size_t n)
{
    const int P = cm_dist_size(), me = cm_dist_rank();
    float *buf = malloc((n + 1) * sizeof(float)), *again = malloc((n + 1) * sizeof(float));
    for (size_t i = 0; i < n; i++)
        buf[i] = again[i] = value(me, i);
    EXPECT(cm_dist_sum_floats(buf, n) == CM_OK);
    EXPECT(cm_dist_sum_floats(again, n) == CM_OK);
    for (size_t i = 0; i < n; i++) {
        float want = value(0, i);
        for (int r = 1; r < P; r++)
            want += value(r, i);
        EXPECT(buf[i] == want);
        EXPECT(again[i] == buf[i]);
    }
    double *d = malloc((n + 1) * sizeof(double));
    for (size_t i = 0; i < n; i++)
        d[i] = (double)value(me, i) / 3.0;
    EXPECT(cm_dist_sum_doubles(d, n) == CM_OK);
    for (size_t i = 0; i < n; i++) {
        double want = (double)value(0, i) / 3.0;
        for (int r = 1; r < P; r++)
            want += (double)value(r, i) / 3.0;
        EXPECT(d[i] == want);
    }
    free(buf), free(again), free(d);
}

/* A loop whose fold is order-sensitive in floating point: a double sum of
 * values of very different magnitudes, and the order of the items seen. */
typedef struct loop {
    double sum;
    int64_t order[64];
    int n, fail_item, fold_fail_item;
} loop;

static cm_status item_compute(void *ctx, int64_t k, void *out)
{
    loop *L = ctx;
    if (k == L->fail_item)
        return cm_error(CM_ERR_IO, "item %lld: cannot read", (long long)k);
    double v[3] = {pow(10.0, (double)(k % 7) - 3) / 3.0, (double)k, (double)cm_dist_rank()};
    memcpy(out, v, sizeof v);
    return CM_OK;
}

static cm_status item_fold(void *ctx, int64_t k, const void *in)
{
    loop *L = ctx;
    if (k == L->fold_fail_item)
        return cm_error(CM_ERR_NOMEM, "fold of %lld failed", (long long)k);
    double v[3];
    memcpy(v, in, sizeof v);
    L->sum += v[0];
    L->order[L->n++] = (int64_t)v[1];
    return CM_OK;
}

static void check_loops(void)
{
    const int me = cm_dist_rank();
    /* The serial loop, for reference. */
    double want = 0;
    for (int k = 0; k < 23; k++)
        want += pow(10.0, (double)(k % 7) - 3) / 3.0;
    loop L = {0, {0}, 0, -1, -1};
    EXPECT(cm_dist_map_fold(23, 3 * sizeof(double), item_compute, item_fold, &L, NULL) == CM_OK);
    EXPECT(L.sum == want);
    EXPECT(L.n == 23);
    for (int k = 0; k < L.n; k++)
        EXPECT(L.order[k] == k);
    /* No items, and fewer items than ranks. */
    loop E = {0, {0}, 0, -1, -1};
    EXPECT(cm_dist_map_fold(0, 8, item_compute, item_fold, &E, NULL) == CM_OK && E.n == 0);
    EXPECT(cm_dist_map_fold(1, 3 * sizeof(double), item_compute, item_fold, &E, NULL) == CM_OK && E.n == 1);
    /* Item 5 (rank 1's) fails: every rank stops, rank 0 learns why. */
    loop F = {0, {0}, 0, 5, -1};
    cm_status st = cm_dist_map_fold(23, 3 * sizeof(double), item_compute, item_fold, &F, NULL);
    EXPECT(st == CM_ERR_IO);
    EXPECT(cm_dist_failure_agreed());
    EXPECT(strstr(cm_errmsg(), "item 5: cannot read") != NULL);
    if (me == 0)
        EXPECT(strstr(cm_errmsg(), "rank 1: ") != NULL);
    EXPECT(F.n <= 4); /* stopped in the round of item 5 */
    /* A fold that fails on rank 1 only, in the last round. */
    loop G = {0, {0}, 0, -1, me == 1 ? 22 : -1};
    st = cm_dist_map_fold(23, 3 * sizeof(double), item_compute, item_fold, &G, NULL);
    EXPECT(st == CM_ERR_NOMEM);
    if (me == 0)
        EXPECT(strstr(cm_errmsg(), "rank 1: fold of 22 failed") != NULL);
}

static void check_agree_and_solo(void)
{
    const int me = cm_dist_rank();
    EXPECT(cm_dist_agree(CM_OK) == CM_OK);
    EXPECT(!cm_dist_failure_agreed());
    cm_status st = cm_dist_agree(me == 1 ? cm_error(CM_ERR_FORMAT, "x.json: bad") : CM_OK);
    EXPECT(st == CM_ERR_FORMAT);
    EXPECT(cm_dist_failure_agreed());
    EXPECT(strcmp(cm_errmsg(), me == 1 ? "x.json: bad" : "rank 1: x.json: bad") == 0);
    /* Both fail: each keeps its own message. */
    st = cm_dist_agree(cm_error(me == 0 ? CM_ERR_IO : CM_ERR_ARG, "mine %d", me));
    EXPECT(st == (me == 0 ? CM_ERR_IO : CM_ERR_ARG));
    char mine[16];
    snprintf(mine, sizeof mine, "mine %d", me);
    EXPECT(strcmp(cm_errmsg(), mine) == 0);

    float w[5] = {1, 2, 3, 4, 5};
    EXPECT(cm_dist_check_same(cm_dist_checksum(w, 5), "weights") == CM_OK);
    if (me == 1)
        w[3] = nextafterf(w[3], 10.0f); /* one bit */
    st = cm_dist_check_same(cm_dist_checksum(w, 5), "weights");
    EXPECT(st == CM_ERR_INTERNAL);
    EXPECT(strstr(cm_errmsg(), "weights: rank 1 differs from rank 0") != NULL);

    /* Solo: a job of one, no collective with the other rank. */
    EXPECT(cm_dist_set_solo(1) == 0);
    EXPECT(cm_dist_rank() == 0 && cm_dist_size() == 1);
    EXPECT(cm_dist_world_rank() == me && cm_dist_world_size() == 2);
    float f[2] = {1.5f, 2};
    EXPECT(cm_dist_sum_floats(f, 2) == CM_OK && f[0] == 1.5f);
    /* Only rank 1 loops: no collective involves rank 0. */
    loop L = {0, {0}, 0, -1, -1};
    if (me == 1)
        EXPECT(cm_dist_map_fold(9, 3 * sizeof(double), item_compute, item_fold, &L, NULL) == CM_OK && L.n == 9);
    EXPECT(cm_dist_set_solo(0) == 1);
    EXPECT(cm_dist_size() == 2 && cm_dist_rank() == me);
}

int main(int argc, char **argv)
{
    if (cm_dist_init(&argc, &argv) != CM_OK) {
        fprintf(stderr, "init: %s\n", cm_errmsg());
        return 1;
    }
    const int P = cm_dist_size(), me = cm_dist_rank();
    EXPECT(cm_dist_available());
    EXPECT(P == 2);
    const size_t sizes[] = {0, 1, 2, 3, 1000, 100003};
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++)
        check_sum(sizes[k]);

    /* Rank r contributes r + 1 bytes 'a' + r: "a" "bb" -> "abb". */
    char mine[8], all[16];
    memset(mine, 'a' + me, sizeof mine);
    size_t total = 0;
    EXPECT(cm_dist_gather_all(mine, (size_t)me + 1, all, sizeof all, &total) == CM_OK);
    EXPECT(total == (size_t)(P * (P + 1) / 2));
    EXPECT(memcmp(all, "abb", 3) == 0);
    /* A buffer too small on every rank: refused on every rank, no hang. */
    EXPECT(cm_dist_gather_all(mine, (size_t)me + 1, all, 2, &total) == CM_ERR_ARG);

    int seed = me == 0 ? 1234 : -1;
    EXPECT(cm_dist_broadcast(&seed, sizeof seed, 0) == CM_OK);
    EXPECT(seed == 1234);
    EXPECT(cm_dist_min_int(me == 1 ? -5 : 3) == -5);
    check_loops();
    check_agree_and_solo();
    cm_dist_barrier();
    int all_ok = cm_dist_min_int(failures == 0);
    if (me == 0)
        printf("mpi_base_dist: %s over %d ranks\n", all_ok ? "all passed" : "FAILED", P);
    cm_dist_finalize();
    return all_ok ? 0 : 1;
}
