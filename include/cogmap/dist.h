/* cogmap/dist.h — several processes working as one (data-parallel training,
 * distributed evaluation and sweeps) over MPI, when cogmap is built with it
 * (CMake finds Open MPI; `cm_dist_available()`), else one process.
 *
 * Without MPI, or when the program was not started by mpirun, every function
 * here behaves as a world of one process: rank 0 of 1, reductions copy.
 *
 * Reductions are DETERMINISTIC: an element's sum is always taken in rank
 * order, ((x_0 + x_1) + x_2) + ..., whatever the message sizes, so a run
 * repeated with the same number of ranks gives the same bits. (MPI_Allreduce
 * promises no order; the ring and tree algorithms Open MPI picks by size add
 * in different orders.) Each rank reduces the slice of the buffer it owns and
 * the slices are then gathered: traffic 2 (P-1)/P n per rank, as a ring.
 *
 * Calls are collective: every rank makes the same calls with the same sizes
 * in the same order. A failure (a rank that died, an MPI error) makes MPI
 * abort the whole job with its message; cm_dist_abort does it on purpose. */
#ifndef COGMAP_DIST_H
#define COGMAP_DIST_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 if this library was built with MPI. */
int cm_dist_available(void);

/* Joins the job started by mpirun (MPI_Init_thread, funneled: OpenMP threads
 * may run, only the calling thread talks to MPI). A program started without
 * an MPI launcher is a job of one and MPI is not initialised at all. Call
 * once, before any other cm_dist_* call; cm_dist_finalize at exit. Safe to
 * call when MPI is not available. */
cm_status cm_dist_init(int *argc, char ***argv);
void cm_dist_finalize(void);

int cm_dist_rank(void); /* 0 .. size-1 (0 before init) */
int cm_dist_size(void); /* processes in the job (1 before init) */

/* buf[n] <- the element-wise sum over ranks of every rank's buf, in rank
 * order, on every rank. */
cm_status cm_dist_sum_floats(float *buf, size_t n);
cm_status cm_dist_sum_doubles(double *buf, size_t n);

/* Root's bytes to every rank. */
cm_status cm_dist_broadcast(void *buf, size_t bytes, int root);

/* Every rank's `bytes` (which may differ by rank) concatenated in rank order
 * into `out` on every rank; out_bytes is the size of `out`, which must hold
 * the total (CM_ERR_ARG otherwise, on every rank). *total gets the total. */
cm_status cm_dist_gather_all(const void *in, size_t bytes, void *out, size_t out_bytes, size_t *total);

/* Returns the smallest `value` over ranks (e.g. agree on a status). */
int cm_dist_min_int(int value);

void cm_dist_barrier(void);

/* Ends the whole job: prints "cogmap: rank R: <message>" on stderr and calls
 * MPI_Abort (or exit without MPI). For a rank that cannot go on while the
 * others would wait for it forever. */
void cm_dist_abort(int code, const char *message);

/* The slice [*begin, *end) of n items that rank r of size owns: equal parts,
 * the first n % size ranks one larger. */
void cm_dist_split(int64_t n, int rank, int size, int64_t *begin, int64_t *end);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_DIST_H */
