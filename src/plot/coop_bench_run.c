/* `cogmap bench coop` from its options as text, one call (coop.h): the
 * comma lists parsed, the task settings applied, the plug-ins loaded
 * (cm_coop_load), the report written (cm_coop_report) or, with merge, the
 * report folders' tables merged (cm_coop_merge). */
#include "cogmap/coop.h"
#include "cogmap/plot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_FOLDERS = 16 };

/* "a,b,c" into at most `max` names of fewer than `size` bytes each; the
 * count, or -1 for an empty name, a long one or too many. */
static int split_list(const char *text, char *out, size_t size, int max)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= size || n >= max)
            return -1;
        memcpy(out + n * size, p, len);
        out[n++ * size + len] = '\0';
        p = q ? q + 1 : p + len;
    }
    return n;
}

/* The folders of n values, each "a,b,c", into names (at most MAX_FOLDERS). */
static int split_folders(const char *const *values, int n, char buf[][4096], const char *names[])
{
    int count = 0;
    for (int k = 0; k < n; k++) {
        int m = split_list(values[k], buf[count], sizeof buf[0], MAX_FOLDERS - count);
        if (m < 0)
            return -1;
        count += m;
    }
    for (int k = 0; k < count; k++)
        names[k] = buf[k];
    return count;
}

static cm_status request_config(const cm_coop_bench_request *rq, cm_coop_bench_config *cfg)
{
    cm_coop_bench_config_default(cfg);
    if (rq->schemes && (cfg->n_schemes = split_list(rq->schemes, cfg->schemes[0], sizeof cfg->schemes[0], 4)) < 1)
        return cm_error(CM_ERR_ARG, "schemes: expected up to 4 names separated by commas, got '%s'", rq->schemes);
    char items[16][16];
    if (rq->bits && (cfg->n_bits = split_list(rq->bits, items[0], sizeof items[0], 16)) < 1)
        return cm_error(CM_ERR_ARG, "bits: expected up to 16 budgets separated by commas, got '%s'", rq->bits);
    for (int b = 0; rq->bits && b < cfg->n_bits; b++) {
        char *end;
        errno = 0;
        long v = strtol(items[b], &end, 10);
        if (errno || *end || end == items[b] || v < 1 || v > CM_COOP_MAX_BITS)
            return cm_error(CM_ERR_ARG, "bits: expected budgets in [1, %d], got '%s'", CM_COOP_MAX_BITS, items[b]);
        cfg->bits[b] = (int)v;
    }
    if (rq->episodes < 0)
        return cm_error(CM_ERR_ARG, "episodes: expected >= 1 (0: 500), got %d", rq->episodes);
    if (rq->episodes)
        cfg->episodes = rq->episodes;
    cfg->seed = rq->seed;
    for (int k = 0; k < rq->n_sets; k++) {
        cm_status st = cm_coop_config_set(&cfg->task, rq->sets[k]);
        if (st != CM_OK)
            return cm_error(CM_ERR_ARG, "set: %s", cm_errmsg());
    }
    return CM_OK;
}

/* What one run holds: the folder names and the loaded plug-ins (about 130
 * KB and more: on the heap). */
typedef struct bench_scratch {
    char learned[MAX_FOLDERS][4096], merge[MAX_FOLDERS][4096];
    cm_coop_loaded loaded;
} bench_scratch;

cm_status cm_coop_bench_run(const cm_coop_bench_request *rq, const char *dir, cm_progress *progress,
                            cm_coop_table *table)
{
    memset(table, 0, sizeof *table);
    if (!dir || !dir[0])
        return cm_error(CM_ERR_ARG, "bench coop: expected an output folder");
    bench_scratch *w = cm_calloc(1, sizeof *w);
    if (!w)
        return cm_error(CM_ERR_NOMEM, "bench coop: out of memory");
    const char *learned[MAX_FOLDERS], *merge[MAX_FOLDERS];
    const int n_learned = split_folders(rq->learned, rq->n_learned, w->learned, learned);
    const int n_merge = split_folders(rq->merge, rq->n_merge, w->merge, merge);
    cm_coop_bench_config cfg;
    cm_status st = CM_OK;
    if (n_learned < 0)
        st = cm_error(CM_ERR_ARG, "learned: expected up to %d run folders separated by commas", MAX_FOLDERS);
    else if (n_merge < 0)
        st = cm_error(CM_ERR_ARG, "merge: expected up to %d folders separated by commas", MAX_FOLDERS);
    else
        st = request_config(rq, &cfg);
    if (st == CM_OK && n_merge > 0) {
        st = cm_coop_merge(merge, n_merge, dir, table);
    } else if (st == CM_OK) {
        st = cm_coop_load(rq->perception ? rq->perception : "truth", rq->policy ? rq->policy : "frontier", learned,
                          n_learned, &w->loaded);
        const char *gif = rq->no_gif ? NULL : rq->gif_scheme ? rq->gif_scheme : cfg.schemes[0];
        if (st == CM_OK)
            st = cm_coop_report(&cfg, &w->loaded.plugins, dir, gif, rq->gif_bits, rq->gif_episode, progress, table);
        cm_coop_loaded_free(&w->loaded);
    }
    cm_free(w);
    return st;
}
