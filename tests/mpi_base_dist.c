/* dist.h over a real job of 2 ranks (ctest runs it under mpirun -np 2):
 * reductions equal the rank-ordered sum exactly, on every rank, for sizes that
 * split unevenly and for sizes smaller than the rank count; gathers
 * concatenate in rank order with different sizes per rank; repeated calls
 * give the same bits. Plain asserts: cmocka's output from two processes would
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
    cm_dist_barrier();
    int all_ok = cm_dist_min_int(failures == 0);
    if (me == 0)
        printf("mpi_base_dist: %s over %d ranks\n", all_ok ? "all passed" : "FAILED", P);
    cm_dist_finalize();
    return all_ok ? 0 : 1;
}
