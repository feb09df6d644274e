/* What the job's collectives are used for (dist.h): agreeing on outcomes,
 * distributed loops folded in serial order, parameter checksums. Built on
 * dist.c's primitives alone, so the same code serves a job of one. */
#include "cogmap/dist.h"

#include <stdlib.h>
#include <string.h>

#define AGREE_MESSAGE 1024

static int failure_agreed;

int cm_dist_failure_agreed(void) { return failure_agreed; }

/* One rank's outcome as the others receive it. */
typedef struct agree_record {
    int32_t status;
    char message[AGREE_MESSAGE];
} agree_record;

cm_status cm_dist_agree(cm_status st)
{
    const int P = cm_dist_size();
    if (P == 1) {
        /* Solo in a job of several (a sweep's point), the others know nothing. */
        if (cm_dist_world_size() == 1)
            failure_agreed = st != CM_OK;
        return st;
    }
    if (cm_dist_min_int(st == CM_OK ? 1 : 0) == 1) {
        failure_agreed = 0;
        return CM_OK;
    }
    /* Someone failed: everyone learns who and why (one more collective,
     * made by every rank since every rank saw the same minimum). */
    failure_agreed = 1;
    agree_record mine, *all = calloc((size_t)P, sizeof *all);
    memset(&mine, 0, sizeof mine);
    mine.status = (int32_t)st;
    if (st != CM_OK)
        snprintf(mine.message, sizeof mine.message, "%s", cm_errmsg()[0] ? cm_errmsg() : cm_status_name(st));
    size_t total = 0;
    /* The gather needs its buffer on every rank; without one this rank
     * cannot take part, and the job cannot go on consistently. */
    if (!all)
        cm_dist_abort(1, "out of memory while agreeing on a failure");
    cm_status g = cm_dist_gather_all(&mine, sizeof mine, all, (size_t)P * sizeof *all, &total);
    if (g != CM_OK) {
        free(all);
        return st != CM_OK ? st : g;
    }
    if (st != CM_OK) {
        free(all);
        return st; /* this rank's own message stays */
    }
    int r = 0;
    while (r < P && all[r].status == CM_OK)
        r++;
    cm_status out = r < P ? (cm_status)all[r].status : CM_ERR_INTERNAL;
    if (r < P)
        cm_error(out, "rank %d: %s", r, all[r].message);
    else
        cm_error(out, "a rank failed without saying so");
    free(all);
    return out;
}

uint64_t cm_dist_checksum(const float *x, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) {
        uint32_t w;
        memcpy(&w, &x[i], sizeof w);
        h = (h ^ w) * 0x100000001b3ULL;
    }
    return h;
}

cm_status cm_dist_check_same(uint64_t value, const char *what)
{
    const int P = cm_dist_size();
    if (P == 1)
        return CM_OK;
    uint64_t *all = calloc((size_t)P, sizeof *all);
    if (!all)
        cm_dist_abort(1, "out of memory while comparing ranks");
    size_t total = 0;
    cm_status st = cm_dist_gather_all(&value, sizeof value, all, (size_t)P * sizeof *all, &total);
    for (int r = 1; st == CM_OK && r < P; r++)
        if (all[r] != all[0])
            st = cm_error(CM_ERR_INTERNAL, "%s: rank %d differs from rank 0 (checksum %016llx, rank 0 %016llx)", what,
                          r, (unsigned long long)all[r], (unsigned long long)all[0]);
    free(all);
    return st;
}

/* ------------------------------------------------------- map and fold */

/* What each rank sends per round: how its part went, then its item. */
typedef struct round_header {
    int32_t status;      /* compute's or the previous fold's, CM_OK if none */
    int32_t interrupted; /* the user's Ctrl-C on this rank */
    int64_t item;        /* the item that follows, -1: none this round */
} round_header;

cm_status cm_dist_map_fold(int64_t n_items, size_t item_bytes, cm_dist_compute_fn compute, cm_dist_fold_fn fold,
                           void *ctx, cm_progress *progress)
{
    if (n_items < 0 || !compute || !fold)
        return cm_error(CM_ERR_ARG, "distributed loop: expected n_items >= 0 and both functions");
    const int P = cm_dist_size(), me = cm_dist_rank();
    /* Records 8-byte aligned so that items of doubles stay aligned. */
    const size_t rec = sizeof(round_header) + ((item_bytes + 7) & ~(size_t)7);
    unsigned char *mine = calloc(1, rec), *all = P > 1 ? calloc((size_t)P, rec) : NULL;
    if (!mine || (P > 1 && !all)) {
        free(mine);
        free(all);
        /* Every rank must either run the loop or agree not to. */
        return cm_dist_agree(cm_error(CM_ERR_NOMEM, "distributed loop: cannot allocate %d items of %zu bytes", P,
                                      item_bytes));
    }
    cm_status st = CM_OK, fold_st = CM_OK;
    for (int64_t base = 0; base < n_items; base += P) {
        round_header h = {CM_OK, 0, -1};
        const int64_t k = base + me;
        /* A rank whose fold failed stops computing; the round tells the others. */
        if (fold_st != CM_OK) {
            h.status = (int32_t)fold_st;
        } else if (k < n_items) {
            cm_status c = compute(ctx, k, mine + sizeof h);
            h.status = (int32_t)c;
            h.item = c == CM_OK ? k : -1;
        }
        h.interrupted = cm_interrupted() != 0;
        memcpy(mine, &h, sizeof h);
        if (P == 1) {
            if (h.status != CM_OK) {
                st = (cm_status)h.status;
                break;
            }
            if (h.interrupted) {
                st = cm_error(CM_ERR_INTERRUPTED, "interrupted after %lld of %lld items", (long long)base,
                              (long long)n_items);
                break;
            }
            fold_st = fold(ctx, k, mine + sizeof h);
            if (fold_st != CM_OK) {
                st = fold_st;
                break;
            }
        } else {
            size_t total = 0;
            st = cm_dist_gather_all(mine, rec, all, (size_t)P * rec, &total);
            if (st != CM_OK)
                break;
            int failed = 0, stop = 0;
            for (int r = 0; r < P; r++) {
                round_header hr;
                memcpy(&hr, all + (size_t)r * rec, sizeof hr);
                failed |= hr.status != CM_OK;
                stop |= hr.interrupted != 0;
            }
            if (failed) {
                /* Every rank saw it: all take the same path. */
                st = cm_dist_agree(h.status != CM_OK ? (cm_status)h.status : CM_OK);
                break;
            }
            if (stop) {
                st = cm_error(CM_ERR_INTERRUPTED, "interrupted after %lld of %lld items", (long long)base,
                              (long long)n_items);
                break;
            }
            for (int r = 0; r < P && base + r < n_items && fold_st == CM_OK; r++)
                fold_st = fold(ctx, base + r, all + (size_t)r * rec + sizeof h);
        }
        if (progress)
            cm_progress_update(progress, base + P < n_items ? base + P : n_items, NULL);
    }
    /* A fold that failed in the last round has not been told yet. */
    if (P > 1 && st == CM_OK)
        st = cm_dist_agree(fold_st);
    free(mine);
    free(all);
    return st;
}
