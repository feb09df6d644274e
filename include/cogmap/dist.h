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
CM_API int cm_dist_available(void);

/* Joins the job started by mpirun (MPI_Init_thread, funneled: OpenMP threads
 * may run, only the calling thread talks to MPI). A program started without
 * an MPI launcher is a job of one and MPI is not initialised at all. Call
 * once, before any other cm_dist_* call; cm_dist_finalize at exit. Safe to
 * call when MPI is not available. */
CM_API cm_status cm_dist_init(int *argc, char ***argv);
CM_API void cm_dist_finalize(void);

CM_API int cm_dist_rank(void); /* 0 .. size-1 (0 before init) */
CM_API int cm_dist_size(void); /* processes in the job (1 before init) */

/* buf[n] <- the element-wise sum over ranks of every rank's buf, in rank
 * order, on every rank. */
CM_API cm_status cm_dist_sum_floats(float *buf, size_t n);
CM_API cm_status cm_dist_sum_doubles(double *buf, size_t n);

/* Root's bytes to every rank. */
CM_API cm_status cm_dist_broadcast(void *buf, size_t bytes, int root);

/* Every rank's `bytes` (which may differ by rank) concatenated in rank order
 * into `out` on every rank; out_bytes is the size of `out`, which must hold
 * the total (CM_ERR_ARG otherwise, on every rank). *total gets the total. */
CM_API cm_status cm_dist_gather_all(const void *in, size_t bytes, void *out, size_t out_bytes, size_t *total);

/* Returns the smallest `value` over ranks (e.g. agree on a status). */
CM_API int cm_dist_min_int(int value);

CM_API void cm_dist_barrier(void);

/* The last word of a program that ran as a job: every rank's exit code into
 * codes[size] (every rank's, in rank order), waiting at most `seconds`
 * (< 0: for ever). Returns 1 when every rank got here, 0 when one did not
 * in time: it is stuck in a collective the failing caller will never join,
 * and only cm_dist_abort ends it. Uses a communicator of its own, so it
 * cannot be mistaken for another collective. */
CM_API int cm_dist_join_exit(int code, double seconds, int *codes);

/* Ends the whole job: prints "cogmap: rank R: <message>" on stderr and calls
 * MPI_Abort (or exit without MPI). For a rank that cannot go on while the
 * others would wait for it forever. */
CM_API void cm_dist_abort(int code, const char *message);

/* The slice [*begin, *end) of n items that rank r of size owns: equal parts,
 * the first n % size ranks one larger. */
CM_API void cm_dist_split(int64_t n, int rank, int size, int64_t *begin, int64_t *end);

/* ------------------------------------------------ agreeing on outcomes */

/* Joins every rank's outcome of the same piece of work, so that no rank goes
 * on (or waits in a collective) while another has failed. Collective.
 * Returns CM_OK when every rank passed CM_OK; `st` itself on a rank that
 * failed; on the others, the lowest failing rank's status with its message
 * ("rank R: ..."). cm_dist_failure_agreed() is then 1 on every rank: the
 * failure is known to the whole job (rank 0 reports it; the others need not). */
CM_API cm_status cm_dist_agree(cm_status st);
CM_API int cm_dist_failure_agreed(void);

/* ---------------------------------------------- solo (a sweep's points) */

/* While solo, this process is a job of one (rank 0 of 1; collectives copy)
 * although it was started with others: what each rank of a sweep does with
 * its own runs. Returns the previous setting. cm_dist_world_rank/size give
 * the job's ranks whatever the setting. */
CM_API int cm_dist_set_solo(int solo);
CM_API int cm_dist_world_rank(void);
CM_API int cm_dist_world_size(void);

/* -------------------------------------- distributed loops (evaluations) */

/* A loop over n_items independent items (batches, episodes, trajectories)
 * whose results are folded into one in item order, spread over the ranks so
 * that every rank ends with the SERIAL loop's result, bit for bit, whatever
 * the number of ranks: the items are computed in parallel, the fold runs on
 * every rank in item order over the gathered results.
 *
 *   compute(ctx, k, out) writes item k's result into out[item_bytes]; it runs
 *     on one rank (rank k % P) and must not depend on which (no state carried
 *     from one item to the next).
 *   fold(ctx, k, in) folds item k's result; called on EVERY rank for k = 0,
 *     1, ..., n_items - 1 in this order (the serial loop's accumulation).
 *
 * In round j, rank r computes item j P + r; the round's results are gathered
 * (every rank holds P x item_bytes at once: choose items accordingly) and
 * folded. progress (may be NULL; started and finished by the caller) is
 * updated with the items done. A failure
 * of compute or fold, or Ctrl-C (cm_interrupted, CM_ERR_INTERRUPTED) on any
 * rank ends the loop on every rank after that round, as cm_dist_agree. In a
 * job of one it is the plain loop: compute then fold, item by item. */
typedef cm_status (*cm_dist_compute_fn)(void *ctx, int64_t item, void *out);
typedef cm_status (*cm_dist_fold_fn)(void *ctx, int64_t item, const void *in);
CM_API cm_status cm_dist_map_fold(int64_t n_items, size_t item_bytes, cm_dist_compute_fn compute, cm_dist_fold_fn fold,
                           void *ctx, cm_progress *progress);

/* A 64-bit checksum of n floats' bits (FNV-1a over the words), for checking
 * that ranks hold the same parameters. */
CM_API uint64_t cm_dist_checksum(const float *x, size_t n);
/* CM_OK when every rank's `value` equals rank 0's; otherwise CM_ERR_INTERNAL
 * naming the first rank that differs and `what`. Collective. */
CM_API cm_status cm_dist_check_same(uint64_t value, const char *what);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_DIST_H */
