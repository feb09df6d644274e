/* A run's evaluation history, RUN/evals.csv (run.h): a header of column
 * names, then one row of numbers per evaluation. The trainer rewrites the
 * whole file after each evaluation (atomically), so a reader never sees a
 * half row. */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cm_evals_free(cm_evals *e)
{
    if (!e)
        return;
    cm_free(e->names);
    cm_free(e->values);
    memset(e, 0, sizeof *e);
}

int cm_evals_column(const cm_evals *e, const char *name)
{
    for (int c = 0; c < e->n_cols; c++)
        if (strcmp(e->names[c], name) == 0)
            return c;
    return -1;
}

double cm_evals_get(const cm_evals *e, int row, const char *name)
{
    const int c = cm_evals_column(e, name);
    return c < 0 || row < 0 || row >= e->n_rows ? NAN : e->values[(size_t)row * e->n_cols + c];
}

/* Room for `rows` rows of `cols` columns; new cells NaN. */
static cm_status reserve(cm_evals *e, int rows, int cols)
{
    if (cols > e->n_cols) {
        char(*names)[CM_METRIC_NAME] = cm_calloc((size_t)cols, sizeof *names);
        double *values = cm_alloc((size_t)(e->cap_rows > 0 ? e->cap_rows : 1) * cols * sizeof(double));
        if (!names || !values) {
            cm_free(names);
            cm_free(values);
            return cm_error(CM_ERR_NOMEM, "evals: cannot grow to %d columns", cols);
        }
        if (e->n_cols)
            memcpy(names, e->names, (size_t)e->n_cols * sizeof *names);
        for (int r = 0; r < e->n_rows; r++)
            for (int c = 0; c < cols; c++)
                values[(size_t)r * cols + c] = c < e->n_cols ? e->values[(size_t)r * e->n_cols + c] : NAN;
        cm_free(e->names);
        cm_free(e->values);
        e->names = names;
        e->values = values;
        e->n_cols = cols;
        if (e->cap_rows < 1)
            e->cap_rows = 1;
    }
    if (rows > e->cap_rows) {
        const int cap = rows > 2 * e->cap_rows ? rows : 2 * e->cap_rows;
        double *values = cm_alloc((size_t)cap * (e->n_cols > 0 ? e->n_cols : 1) * sizeof(double));
        if (!values)
            return cm_error(CM_ERR_NOMEM, "evals: cannot grow to %d rows", cap);
        if (e->n_rows)
            memcpy(values, e->values, (size_t)e->n_rows * e->n_cols * sizeof(double));
        cm_free(e->values);
        e->values = values;
        e->cap_rows = cap;
    }
    return CM_OK;
}

/* Column `name`, added (NaN in every row so far) when new. */
static cm_status column(cm_evals *e, const char *name, int *out)
{
    int c = cm_evals_column(e, name);
    if (c < 0) {
        cm_status st = reserve(e, e->n_rows, e->n_cols + 1);
        if (st != CM_OK)
            return st;
        c = e->n_cols - 1;
        snprintf(e->names[c], CM_METRIC_NAME, "%s", name);
    }
    *out = c;
    return CM_OK;
}

cm_status cm_evals_append(cm_evals *e, int64_t step, double wall_seconds, double train_loss, const cm_metrics *m)
{
    int c;
    cm_status st = CM_OK;
    static const char *const fixed[] = {"step", "wall_seconds", "train_loss"};
    for (int k = 0; k < 3 && st == CM_OK; k++)
        st = column(e, fixed[k], &c);
    for (int k = 0; m && k < m->count && st == CM_OK; k++)
        st = column(e, m->items[k].name, &c);
    if (st == CM_OK)
        st = reserve(e, e->n_rows + 1, e->n_cols);
    if (st != CM_OK)
        return st;
    double *row = e->values + (size_t)e->n_rows * e->n_cols;
    for (int k = 0; k < e->n_cols; k++)
        row[k] = NAN;
    row[cm_evals_column(e, "step")] = (double)step;
    row[cm_evals_column(e, "wall_seconds")] = wall_seconds;
    row[cm_evals_column(e, "train_loss")] = train_loss;
    for (int k = 0; m && k < m->count; k++)
        row[cm_evals_column(e, m->items[k].name)] = m->items[k].value;
    e->n_rows++;
    return CM_OK;
}

void cm_evals_truncate(cm_evals *e, int64_t step)
{
    const int c = cm_evals_column(e, "step");
    while (c >= 0 && e->n_rows > 0 && e->values[(size_t)(e->n_rows - 1) * e->n_cols + c] > (double)step)
        e->n_rows--;
}

cm_status cm_evals_write(const char *run, const cm_evals *e)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "evals.csv");
    if (st != CM_OK)
        return st;
    cm_atomic_file f;
    st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    for (int c = 0; c < e->n_cols; c++)
        fprintf(f.fp, "%s%s", c ? "," : "", e->names[c]);
    fputc('\n', f.fp);
    for (int r = 0; r < e->n_rows; r++) {
        for (int c = 0; c < e->n_cols; c++) {
            const double v = e->values[(size_t)r * e->n_cols + c];
            if (c)
                fputc(',', f.fp);
            if (strcmp(e->names[c], "step") == 0)
                fprintf(f.fp, "%lld", (long long)v);
            else if (strcmp(e->names[c], "wall_seconds") == 0)
                fprintf(f.fp, "%.3f", v);
            else
                fprintf(f.fp, "%.9g", v);
        }
        fputc('\n', f.fp);
    }
    return cm_atomic_commit(&f);
}

/* Splits line at commas into at most `max` fields (in place). */
static int split_fields(char *line, char **fields, int max)
{
    int n = 0;
    for (char *p = line;; p++) {
        if (n == max)
            return max + 1;
        fields[n++] = p;
        p = strchr(p, ',');
        if (!p)
            return n;
        *p = 0;
    }
}

cm_status cm_evals_read(const char *run, cm_evals *e)
{
    char path[4096];
    memset(e, 0, sizeof *e);
    cm_status st = cm_path_join(path, sizeof path, run, "evals.csv");
    if (st != CM_OK)
        return st;
    void *data = NULL;
    size_t len = 0;
    st = cm_read_file(path, &data, &len);
    if (st != CM_OK)
        return st;
    char *text = data;
    int lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += text[i] == '\n';
    char *fields[CM_METRICS_MAX + 4];
    int line_no = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && st == CM_OK; line = strtok_r(NULL, "\n", &save)) {
        line_no++;
        const int n = split_fields(line, fields, CM_METRICS_MAX + 3);
        if (line_no == 1) {
            if (n > CM_METRICS_MAX + 3 || n < 2 || strcmp(fields[0], "step") != 0 ||
                strcmp(fields[1], "wall_seconds") != 0) {
                st = cm_error(CM_ERR_FORMAT, "%s: line 1: expected a header \"step,wall_seconds,...\" of at most %d "
                                             "names", path, CM_METRICS_MAX + 3);
                break;
            }
            for (int c = 0; c < n && st == CM_OK; c++) {
                int got;
                if (!fields[c][0] || strlen(fields[c]) >= CM_METRIC_NAME || cm_evals_column(e, fields[c]) >= 0)
                    st = cm_error(CM_ERR_FORMAT, "%s: line 1: column %d: expected a new name of 1..%d characters, "
                                                 "got \"%.40s\"", path, c + 1, CM_METRIC_NAME - 1, fields[c]);
                else
                    st = column(e, fields[c], &got);
            }
            if (st == CM_OK)
                st = reserve(e, lines, e->n_cols);
            continue;
        }
        int ok = n == e->n_cols;
        double *row = e->values + (size_t)e->n_rows * e->n_cols;
        for (int c = 0; ok && c < n; c++) {
            char *end = NULL;
            errno = 0;
            row[c] = strtod(fields[c], &end);
            ok = fields[c][0] && end && *end == 0;
        }
        /* The step is an integer a double holds exactly (<= 2^53), so that
         * it converts to int64_t and writes back as the same text. */
        if (ok && !(row[0] >= 0 && row[0] <= 9007199254740992.0 && row[0] == floor(row[0])))
            ok = 0;
        if (!ok) {
            st = cm_error(CM_ERR_FORMAT,
                          "%s: line %d: expected %d numbers (first the step, an integer 0..2^53), got \"%.60s\"",
                          path, line_no, e->n_cols, fields[0]);
            break;
        }
        e->n_rows++;
    }
    if (st == CM_OK && line_no == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: expected a header line, the file is empty", path);
    cm_free(data);
    if (st != CM_OK)
        cm_evals_free(e);
    return st;
}
