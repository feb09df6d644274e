/* Several processes as one (dist.h): Open MPI when CMake found it
 * (COGMAP_HAVE_MPI), else a job of one process. */
#include "cogmap/dist.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef COGMAP_HAVE_MPI
#include <mpi.h>
#endif

static int dist_rank = 0, dist_size = 1;

void cm_dist_split(int64_t n, int rank, int size, int64_t *begin, int64_t *end)
{
    const int64_t base = n / size, extra = n % size;
    *begin = rank * base + (rank < extra ? rank : extra);
    *end = *begin + base + (rank < extra ? 1 : 0);
}

int cm_dist_rank(void) { return dist_rank; }
int cm_dist_size(void) { return dist_size; }

#ifdef COGMAP_HAVE_MPI

int cm_dist_available(void) { return 1; }

static int we_initialised;

/* Reduction scratch: the P slices this rank owns, one from each rank. Grown,
 * never shrunk, so that a training step's reduction allocates nothing after
 * the first. */
static void *scratch;
static size_t scratch_bytes;

static cm_status mpi_failed(const char *what, int code)
{
    char text[MPI_MAX_ERROR_STRING];
    int len = 0;
    MPI_Error_string(code, text, &len);
    return cm_error(CM_ERR_IO, "MPI: %s failed: %s", what, text);
}

/* Started by an MPI launcher (mpirun / mpiexec of Open MPI, or a PMI-based
 * one such as srun)? A plain start stays a job of one without touching MPI:
 * no singleton runtime to start, nothing of MPI's in a serial process. */
static int launched_by_mpi(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++)
        if (getenv(vars[i]))
            return 1;
    return 0;
}

cm_status cm_dist_init(int *argc, char ***argv)
{
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised && !launched_by_mpi())
        return CM_OK;
    if (!initialised) {
        int provided = 0;
        int rc = MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
        if (rc != MPI_SUCCESS)
            return mpi_failed("MPI_Init_thread", rc);
        we_initialised = 1;
    }
    /* Errors abort the job (MPI's default): a rank that fails a collective
     * cannot leave the others waiting. */
    MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist_size);
    return CM_OK;
}

void cm_dist_finalize(void)
{
    free(scratch);
    scratch = NULL;
    scratch_bytes = 0;
    int finalised = 0;
    MPI_Finalized(&finalised);
    if (we_initialised && !finalised)
        MPI_Finalize();
    we_initialised = 0;
    dist_rank = 0;
    dist_size = 1;
}

static cm_status grow_scratch(size_t bytes)
{
    if (bytes <= scratch_bytes)
        return CM_OK;
    void *p = realloc(scratch, bytes);
    if (!p)
        return cm_error(CM_ERR_NOMEM, "MPI: cannot allocate %zu bytes for a reduction", bytes);
    scratch = p;
    scratch_bytes = bytes;
    return CM_OK;
}

/* The rank-ordered sum of n items of `elem` bytes, as dist.h describes:
 * slice j of every rank goes to rank j (all-to-all), rank j adds the P copies
 * in rank order, and the sums are gathered back into every rank's buffer. */
static cm_status ordered_sum(void *buf, size_t n, size_t elem, MPI_Datatype type, int is_double)
{
    if (dist_size == 1 || n == 0)
        return CM_OK;
    const int P = dist_size;
    if (n / (size_t)P + 1 > (size_t)INT_MAX)
        return cm_error(CM_ERR_ARG, "MPI: a reduction of %zu items is too large for one call", n);
    int *counts = calloc(4 * (size_t)P, sizeof(int));
    if (!counts)
        return cm_error(CM_ERR_NOMEM, "MPI: cannot allocate the reduction's counts");
    int *displs = counts + P, *rcounts = counts + 2 * P, *rdispls = counts + 3 * P;
    int64_t b, e;
    for (int j = 0; j < P; j++) {
        cm_dist_split((int64_t)n, j, P, &b, &e);
        counts[j] = (int)(e - b);
        displs[j] = (int)b;
    }
    const int mine = counts[dist_rank];
    for (int i = 0; i < P; i++) {
        rcounts[i] = mine;
        rdispls[i] = i * mine;
    }
    cm_status st = grow_scratch((size_t)P * (size_t)mine * elem + 1);
    if (st == CM_OK) {
        int rc = MPI_Alltoallv(buf, counts, displs, type, scratch, rcounts, rdispls, type, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("MPI_Alltoallv", rc);
    }
    if (st == CM_OK) {
        const int64_t off = displs[dist_rank];
        if (is_double) {
            double *out = (double *)buf + off;
            const double *in = scratch;
            for (int k = 0; k < mine; k++) {
                double s = in[k];
                for (int i = 1; i < P; i++)
                    s += in[(size_t)i * mine + k];
                out[k] = s;
            }
        } else {
            float *out = (float *)buf + off;
            const float *in = scratch;
            for (int k = 0; k < mine; k++) {
                float s = in[k];
                for (int i = 1; i < P; i++)
                    s += in[(size_t)i * mine + k];
                out[k] = s;
            }
        }
        int rc = MPI_Allgatherv(MPI_IN_PLACE, 0, type, buf, counts, displs, type, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("MPI_Allgatherv", rc);
    }
    free(counts);
    return st;
}

cm_status cm_dist_sum_floats(float *buf, size_t n) { return ordered_sum(buf, n, sizeof(float), MPI_FLOAT, 0); }
cm_status cm_dist_sum_doubles(double *buf, size_t n) { return ordered_sum(buf, n, sizeof(double), MPI_DOUBLE, 1); }

cm_status cm_dist_broadcast(void *buf, size_t bytes, int root)
{
    if (dist_size == 1 || bytes == 0)
        return CM_OK;
    /* In pieces of at most 1 GiB: MPI counts are ints. */
    for (size_t done = 0; done < bytes;) {
        size_t part = bytes - done < ((size_t)1 << 30) ? bytes - done : ((size_t)1 << 30);
        int rc = MPI_Bcast((char *)buf + done, (int)part, MPI_BYTE, root, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            return mpi_failed("MPI_Bcast", rc);
        done += part;
    }
    return CM_OK;
}

cm_status cm_dist_gather_all(const void *in, size_t bytes, void *out, size_t out_bytes, size_t *total)
{
    if (dist_size == 1) {
        *total = bytes;
        if (bytes > out_bytes)
            return cm_error(CM_ERR_ARG, "MPI: gathering %zu bytes into a buffer of %zu", bytes, out_bytes);
        if (bytes)
            memmove(out, in, bytes);
        return CM_OK;
    }
    const int P = dist_size;
    long long mine = (long long)bytes;
    long long *sizes = malloc(sizeof(long long) * (size_t)P);
    int *counts = malloc(2 * sizeof(int) * (size_t)P);
    if (!sizes || !counts) {
        free(sizes);
        free(counts);
        return cm_error(CM_ERR_NOMEM, "MPI: cannot allocate the gather's counts");
    }
    cm_status st = CM_OK;
    int rc = MPI_Allgather(&mine, 1, MPI_LONG_LONG, sizes, 1, MPI_LONG_LONG, MPI_COMM_WORLD);
    if (rc != MPI_SUCCESS)
        st = mpi_failed("MPI_Allgather", rc);
    long long sum = 0;
    for (int i = 0; st == CM_OK && i < P; i++) {
        if (sum + sizes[i] > INT_MAX)
            st = cm_error(CM_ERR_ARG, "MPI: a gather of more than 2 GiB");
        counts[P + i] = (int)sum;
        counts[i] = (int)sizes[i];
        sum += sizes[i];
    }
    *total = (size_t)sum;
    /* Every rank sees the same sizes, so every rank takes the same branch. */
    if (st == CM_OK && (size_t)sum > out_bytes)
        st = cm_error(CM_ERR_ARG, "MPI: gathering %lld bytes into a buffer of %zu", sum, out_bytes);
    if (st == CM_OK) {
        rc = MPI_Allgatherv(in, (int)bytes, MPI_BYTE, out, counts, counts + P, MPI_BYTE, MPI_COMM_WORLD);
        if (rc != MPI_SUCCESS)
            st = mpi_failed("MPI_Allgatherv", rc);
    }
    free(sizes);
    free(counts);
    return st;
}

int cm_dist_min_int(int value)
{
    int out = value;
    if (dist_size > 1)
        MPI_Allreduce(&value, &out, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return out;
}

void cm_dist_barrier(void)
{
    if (dist_size > 1)
        MPI_Barrier(MPI_COMM_WORLD);
}

void cm_dist_abort(int code, const char *message)
{
    fprintf(stderr, "cogmap: rank %d: %s\n", dist_rank, message);
    fflush(stderr);
    if (dist_size > 1)
        MPI_Abort(MPI_COMM_WORLD, code);
    exit(code);
}

#else /* a job of one process */

int cm_dist_available(void) { return 0; }
cm_status cm_dist_init(int *argc, char ***argv) { return CM_OK; }
void cm_dist_finalize(void) {}
cm_status cm_dist_sum_floats(float *buf, size_t n) { return CM_OK; }
cm_status cm_dist_sum_doubles(double *buf, size_t n) { return CM_OK; }
cm_status cm_dist_broadcast(void *buf, size_t bytes, int root) { return CM_OK; }

cm_status cm_dist_gather_all(const void *in, size_t bytes, void *out, size_t out_bytes, size_t *total)
{
    *total = bytes;
    if (bytes > out_bytes)
        return cm_error(CM_ERR_ARG, "gathering %zu bytes into a buffer of %zu", bytes, out_bytes);
    if (bytes)
        memmove(out, in, bytes);
    return CM_OK;
}

int cm_dist_min_int(int value) { return value; }
void cm_dist_barrier(void) {}

void cm_dist_abort(int code, const char *message)
{
    fprintf(stderr, "cogmap: %s\n", message);
    exit(code);
}

#endif
