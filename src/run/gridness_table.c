/* cm_gridness_table_compute (cogmap/gridness_table.h). */
#include "cogmap/gridness_table.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* CPU time of the whole process (all threads), for the timing line. */
static double cpu_seconds(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts) != 0)
        return 0.0;
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cm_gridness_table_free(cm_gridness_table *t)
{
    cm_free(t->res);
    cm_free(t->sacs);
    cm_free(t->bnt);
    cm_free(t->p95);
    cm_free(t->p99);
    t->res = NULL, t->sacs = t->bnt = t->p95 = t->p99 = NULL;
}

/* A bad value in the file is a bad file, not a bad argument. */
static cm_status as_format(cm_status st) { return st == CM_ERR_ARG ? CM_ERR_FORMAT : st; }

static cm_status bnt_scores(const cm_array *a, const char *what, cm_gridness_table *t)
{
    const int n = t->n, is_f32 = a->dtype == CM_F32;
    double *map64 = cm_alloc(sizeof(double) * (size_t)n * n);
    t->bnt = cm_alloc(sizeof(double) * (size_t)(t->count ? t->count : 1));
    cm_status st = !t->bnt || !map64 ? cm_error(CM_ERR_NOMEM, "%s: cannot allocate for the BNT scores", what) : CM_OK;
    for (int64_t u = 0; st == CM_OK && u < t->count; u++) {
        for (int64_t k = 0; k < (int64_t)n * n; k++)
            map64[k] = is_f32 ? ((const float *)a->data)[u * n * n + k] : ((const double *)a->data)[u * n * n + k];
        cm_bnt_gridness g;
        st = cm_gridness_bnt(map64, n, n, &g);
        if (st != CM_OK)
            st = cm_error_context(as_format(st), "%s: map %lld: ", what, (long long)u);
        t->bnt[u] = g.score;
    }
    cm_free(map64);
    return st;
}

static cm_status shuffle_test(const cm_gridness_scorer *scorer, const cm_array *a, const char *what,
                              const cm_gridness_table_opts *o, cm_gridness_table *t)
{
    const int is_f32 = a->dtype == CM_F32;
    const size_t total = (size_t)t->count * t->n * t->n;
    double *maps64 = is_f32 ? cm_alloc(sizeof(double) * total) : NULL;
    t->p95 = cm_alloc(sizeof(double) * (size_t)t->count);
    t->p99 = cm_alloc(sizeof(double) * (size_t)t->count);
    cm_status st = (is_f32 && !maps64) || !t->p95 || !t->p99
                       ? cm_error(CM_ERR_NOMEM, "%s: cannot allocate for the shuffle test", what)
                       : CM_OK;
    for (size_t k = 0; st == CM_OK && is_f32 && k < total; k++)
        maps64[k] = ((const float *)a->data)[k];
    if (st == CM_OK)
        st = cm_gridness_shuffle_bins(scorer, is_f32 ? maps64 : a->data, (int)t->count, o->shuffles, o->seed, 0,
                                      t->p95, t->p99, NULL);
    cm_free(maps64);
    return st;
}

cm_status cm_gridness_table_compute(const cm_array *a, const char *what, const cm_gridness_table_opts *o,
                                    cm_gridness_table *t)
{
    memset(t, 0, sizeof *t);
    if (a->dtype != CM_F32 && a->dtype != CM_F64)
        return cm_error(CM_ERR_FORMAT, "%s: expected dtype float32 or float64, got %s", what, cm_dtype_name(a->dtype));
    if (a->ndim != 3 || a->shape[1] != a->shape[2] || a->shape[1] < 1 || a->shape[1] > 2048) {
        char got[128] = "";
        for (int d = 0; d < a->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "", (long long)a->shape[d]);
        return cm_error(CM_ERR_FORMAT, "%s: expected shape [N, n, n] (square rate maps, n <= 2048), got [%s]", what,
                        got);
    }
    t->count = a->shape[0];
    t->n = (int)a->shape[1];
    const int sn = 2 * t->n - 1;
    if (o->ssmpc_masks)
        cm_gridness_config_ssmpc(&t->cfg, t->n);
    else
        cm_gridness_config_deepmind(&t->cfg, t->n);
    t->cfg.min_max = o->min_max;
    cm_gridness_scorer *scorer = NULL;
    cm_status st = cm_gridness_scorer_create(&t->cfg, &scorer);
    if (st == CM_OK) {
        t->res = cm_calloc((size_t)(t->count ? t->count : 1), sizeof *t->res);
        if (o->keep_sacs && t->count > 0)
            t->sacs = cm_alloc(sizeof(double) * (size_t)sn * sn * (size_t)t->count);
        if (!t->res || (o->keep_sacs && t->count > 0 && !t->sacs))
            st = cm_error(CM_ERR_NOMEM, "%s: cannot hold the results of %lld maps", what, (long long)t->count);
    }
    const double t0 = cm_now(), c0 = cpu_seconds();
    if (st == CM_OK)
        st = cm_gridness_score_batch(scorer, a->data, a->dtype == CM_F32, t->count, t->res, t->sacs);
    t->seconds = cm_now() - t0, t->cpu_seconds = cpu_seconds() - c0;
    if (st != CM_OK)
        st = cm_error_context(as_format(st), "%s: ", what);
    if (st == CM_OK && o->bnt)
        st = bnt_scores(a, what, t);
    if (st == CM_OK && o->shuffles > 0 && t->count > 0)
        st = shuffle_test(scorer, a, what, o, t);
    cm_gridness_scorer_free(scorer);
    if (st != CM_OK)
        cm_gridness_table_free(t);
    return st;
}

/* One number of the CSV: fixed six decimals, "nan" as numpy prints it. */
static void csv_num(FILE *f, const char *sep, double v)
{
    fputs(sep, f);
    if (isnan(v))
        fputs("nan", f);
    else
        fprintf(f, "%.6f", v);
}

cm_status cm_gridness_table_csv(const cm_gridness_table *t, FILE *f)
{
    if (!t || !f)
        return cm_error(CM_ERR_ARG, "gridness table csv: expected a table and a stream");
    fprintf(f, "unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation%s%s\n", t->bnt ? ",bnt" : "",
            t->p95 ? ",shuffle95,shuffle99" : "");
    for (int64_t u = 0; u < t->count; u++) {
        const cm_gridness_result *r = &t->res[u];
        fprintf(f, "%lld", (long long)u);
        csv_num(f, ",", r->score60);
        csv_num(f, ",", r->score90);
        fprintf(f, ",%.4f,%.4f", t->cfg.mask_max[r->mask60], t->cfg.mask_max[r->mask90]);
        csv_num(f, ",", r->spacing);
        csv_num(f, ",", r->orientation);
        if (t->bnt)
            csv_num(f, ",", t->bnt[u]);
        if (t->p95) {
            csv_num(f, ",", t->p95[u]);
            csv_num(f, ",", t->p99[u]);
        }
        fputc('\n', f);
    }
    if (fflush(f) != 0 || ferror(f))
        return cm_error(CM_ERR_IO, "%s: write failed", f == stdout ? "stdout" : "gridness table csv");
    return CM_OK;
}
