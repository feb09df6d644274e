/* Sweeps (run.h): a grid of settings, its points trained over the job's
 * ranks (each rank alone on its points), one table of the settings and the
 * final metrics. */
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

cm_status cm_sweep_add(cm_sweep *s, const char *key_values)
{
    const char *eq = strchr(key_values, '=');
    if (!eq || eq == key_values)
        return cm_error(CM_ERR_ARG, "sweep: '%s': expected key=value1,value2,...", key_values);
    if (s->n_axes == CM_SWEEP_MAX_AXES)
        return cm_error(CM_ERR_ARG, "sweep: at most %d keys", CM_SWEEP_MAX_AXES);
    const size_t klen = (size_t)(eq - key_values);
    if (klen >= CM_SWEEP_TEXT)
        return cm_error(CM_ERR_ARG, "sweep: key '%.*s' too long", (int)klen, key_values);
    cm_sweep_axis *a = &s->axes[s->n_axes];
    memset(a, 0, sizeof *a);
    memcpy(a->key, key_values, klen);
    for (int k = 0; k < s->n_axes; k++)
        if (strcmp(s->axes[k].key, a->key) == 0)
            return cm_error(CM_ERR_ARG, "sweep: key '%s' given twice (list its values once: %s=v1,v2)", a->key,
                            a->key);
    for (const char *v = eq + 1;;) {
        const char *end = strchr(v, ',');
        const size_t len = end ? (size_t)(end - v) : strlen(v);
        if (len == 0)
            return cm_error(CM_ERR_ARG, "sweep: '%s': an empty value", key_values);
        if (len >= CM_SWEEP_TEXT)
            return cm_error(CM_ERR_ARG, "sweep: '%s': value '%.*s' too long", key_values, (int)len, v);
        if (a->n_values == CM_SWEEP_MAX_VALUES)
            return cm_error(CM_ERR_ARG, "sweep: '%s': at most %d values", a->key, CM_SWEEP_MAX_VALUES);
        memcpy(a->values[a->n_values++], v, len);
        if (!end)
            break;
        v = end + 1;
    }
    s->n_axes++;
    return CM_OK;
}

int64_t cm_sweep_count(const cm_sweep *s)
{
    int64_t n = 1;
    for (int k = 0; k < s->n_axes; k++)
        n *= s->axes[k].n_values;
    return n;
}

cm_status cm_sweep_point(const cm_sweep *s, int64_t i, char sets[][2 * CM_SWEEP_TEXT + 2], char *name,
                         size_t name_size)
{
    if (i < 0 || i >= cm_sweep_count(s))
        return cm_error(CM_ERR_ARG, "sweep: point %lld of %lld", (long long)i, (long long)cm_sweep_count(s));
    size_t at = (size_t)snprintf(name, name_size, "%03lld", (long long)i);
    /* The last axis varies fastest. */
    int64_t rest = i;
    int idx[CM_SWEEP_MAX_AXES];
    for (int k = s->n_axes - 1; k >= 0; k--) {
        idx[k] = (int)(rest % s->axes[k].n_values);
        rest /= s->axes[k].n_values;
    }
    for (int k = 0; k < s->n_axes; k++) {
        snprintf(sets[k], 2 * CM_SWEEP_TEXT + 2, "%s=%s", s->axes[k].key, s->axes[k].values[idx[k]]);
        if (at < name_size)
            at += (size_t)snprintf(name + at, name_size - at, "-%s", sets[k]);
    }
    if (at >= name_size)
        return cm_error(CM_ERR_ARG, "sweep: point %lld: run folder name too long", (long long)i);
    for (char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || strchr("._=+-", *c)))
            *c = '_';
    return CM_OK;
}

/* One point's outcome as its rank sends it to rank 0. */
#define RECORD_COLUMNS (CM_METRICS_MAX + 3)
#define NOT_RUN (-1)

typedef struct point_record {
    int64_t point;
    int32_t status; /* cm_status, or NOT_RUN */
    int32_t n;      /* columns of the run's last evals.csv row */
    char message[512];
    char names[RECORD_COLUMNS][CM_METRIC_NAME];
    double values[RECORD_COLUMNS];
} point_record;

/* The last row of RUN/evals.csv into the record (none: n = 0). */
static void read_final(const char *run, point_record *r)
{
    char path[4096];
    cm_evals e;
    if (cm_path_join(path, sizeof path, run, "evals.csv") != CM_OK || access(path, F_OK) != 0 ||
        cm_evals_read(run, &e) != CM_OK)
        return;
    if (e.n_rows > 0)
        for (int c = 0; c < e.n_cols && r->n < RECORD_COLUMNS; c++) {
            snprintf(r->names[r->n], CM_METRIC_NAME, "%s", e.names[c]);
            r->values[r->n++] = e.values[(size_t)(e.n_rows - 1) * e.n_cols + c];
        }
    cm_evals_free(&e);
}

static void csv_text(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s == '\n' ? ' ' : *s, f);
    }
    fputc('"', f);
}

static cm_status write_table(const cm_sweep *s, const char *dir, const point_record *recs, int64_t n)
{
    /* Metric columns: every name seen, in the order first seen. */
    char (*cols)[CM_METRIC_NAME] = cm_calloc((size_t)RECORD_COLUMNS * 4, CM_METRIC_NAME);
    int n_cols = 0;
    if (!cols)
        return cm_error(CM_ERR_NOMEM, "sweep: out of memory for the table");
    for (int64_t i = 0; i < n; i++)
        for (int c = 0; c < recs[i].n; c++) {
            int k = 0;
            while (k < n_cols && strcmp(cols[k], recs[i].names[c]) != 0)
                k++;
            if (k == n_cols && n_cols < RECORD_COLUMNS * 4)
                snprintf(cols[n_cols++], CM_METRIC_NAME, "%s", recs[i].names[c]);
        }
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "sweep.csv");
    cm_atomic_file f;
    if (st == CM_OK)
        st = cm_atomic_open(&f, path);
    if (st != CM_OK) {
        cm_free(cols);
        return st;
    }
    fputs("point,run", f.fp);
    for (int k = 0; k < s->n_axes; k++)
        fprintf(f.fp, ",%s", s->axes[k].key);
    fputs(",status", f.fp);
    for (int k = 0; k < n_cols; k++)
        fprintf(f.fp, ",%s", cols[k]);
    fputc('\n', f.fp);
    char sets[CM_SWEEP_MAX_AXES][2 * CM_SWEEP_TEXT + 2], name[4096];
    for (int64_t i = 0; i < n; i++) {
        const point_record *r = &recs[i];
        cm_sweep_point(s, r->point, sets, name, sizeof name);
        fprintf(f.fp, "%lld,%s", (long long)r->point, name);
        for (int k = 0; k < s->n_axes; k++)
            fprintf(f.fp, ",%s", strchr(sets[k], '=') + 1);
        fputc(',', f.fp);
        if (r->status == CM_OK)
            fputs("ok", f.fp);
        else if (r->status == NOT_RUN)
            fputs("not run", f.fp);
        else
            csv_text(f.fp, r->message);
        for (int k = 0; k < n_cols; k++) {
            fputc(',', f.fp);
            for (int c = 0; c < r->n; c++)
                if (strcmp(r->names[c], cols[k]) == 0) {
                    if (strcmp(cols[k], "step") == 0)
                        fprintf(f.fp, "%lld", (long long)r->values[c]);
                    else
                        fprintf(f.fp, "%.9g", r->values[c]);
                    break;
                }
        }
        fputc('\n', f.fp);
    }
    cm_free(cols);
    return cm_atomic_commit(&f);
}

static int by_point(const void *a, const void *b)
{
    const int64_t x = ((const point_record *)a)->point, y = ((const point_record *)b)->point;
    return (x > y) - (x < y);
}

cm_status cm_sweep_run(const cm_sweep *s, const char *dir, cm_sweep_run_fn run, void *ctx, int64_t *failed)
{
    *failed = 0;
    const int64_t n = cm_sweep_count(s);
    const int P = cm_dist_size(), me = cm_dist_rank();
    const int64_t mine_n = n > me ? (n - me + P - 1) / P : 0;
    point_record *mine = calloc((size_t)(mine_n > 0 ? mine_n : 1), sizeof *mine);
    point_record *all = calloc((size_t)n, sizeof *all);
    cm_status st = mine && all ? CM_OK : cm_error(CM_ERR_NOMEM, "sweep: out of memory for %lld points", (long long)n);
    if (st == CM_OK && me == 0)
        st = cm_mkdir_p(dir);
    st = cm_dist_agree(st);
    int stop = 0;
    for (int64_t j = 0; st == CM_OK && j < mine_n; j++) {
        point_record *r = &mine[j];
        r->point = me + j * P;
        r->status = NOT_RUN;
        if (stop)
            continue;
        char sets[CM_SWEEP_MAX_AXES][2 * CM_SWEEP_TEXT + 2], name[4096], out[4096] = "";
        const char *set_ptrs[CM_SWEEP_MAX_AXES];
        cm_status ps = cm_sweep_point(s, r->point, sets, name, sizeof name);
        if (ps == CM_OK)
            ps = cm_path_join(out, sizeof out, dir, name);
        for (int k = 0; k < s->n_axes; k++)
            set_ptrs[k] = sets[k];
        /* The point's training is this rank's alone. */
        if (ps == CM_OK) {
            const int was = cm_dist_set_solo(1);
            ps = run(ctx, out, set_ptrs, s->n_axes);
            cm_dist_set_solo(was);
        }
        r->status = (int32_t)ps;
        if (ps != CM_OK)
            snprintf(r->message, sizeof r->message, "%s", cm_errmsg()[0] ? cm_errmsg() : cm_status_name(ps));
        stop = ps == CM_ERR_INTERRUPTED || cm_interrupted();
        /* Also a failed point's last evaluation, when it made one (diverged). */
        if (out[0])
            read_final(out, r);
    }
    /* Every rank's records to every rank (rank 0 writes, all return alike). */
    size_t total = 0;
    if (st == CM_OK)
        st = cm_dist_gather_all(mine, (size_t)mine_n * sizeof *mine, all, (size_t)n * sizeof *all, &total);
    if (st == CM_OK) {
        qsort(all, (size_t)n, sizeof *all, by_point);
        if (me == 0)
            st = write_table(s, dir, all, n);
        st = cm_dist_agree(st);
    }
    int interrupted = 0;
    for (int64_t i = 0; st == CM_OK && i < n; i++) {
        *failed += all[i].status != CM_OK;
        interrupted |= all[i].status == CM_ERR_INTERRUPTED || all[i].status == NOT_RUN;
    }
    if (st == CM_OK && interrupted)
        st = cm_error(CM_ERR_INTERRUPTED, "sweep interrupted; %s/sweep.csv lists the points that ran", dir);
    free(mine);
    free(all);
    return st;
}
