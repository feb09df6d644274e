/* Reading activity files (run.h, docs/formats.md "Activity files"): every
 * array checked against the format before anything is scored, so that a bad
 * file fails with a message naming the array instead of producing wrong
 * classes. */
#include "run/run_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void cm_activity_free(cm_activity *a)
{
    cm_free(a->pos);
    cm_free(a->hd);
    if (a->own_dist)
        cm_free(a->dist);
    if (a->own_act)
        cm_free(a->act);
    cm_npz_free(&a->z);
}

double run_array_value(const cm_array *x, int64_t i)
{
    return x->dtype == CM_F32 ? (double)((const float *)x->data)[i] : ((const double *)x->data)[i];
}

static int64_t get_i(const cm_array *x, int64_t i)
{
    switch (x->dtype) {
    case CM_I32: return ((const int32_t *)x->data)[i];
    case CM_I64: return ((const int64_t *)x->data)[i];
    default: return -1;
    }
}

static cm_status need(const cm_npz *z, const char *file, const char *name, int rank_lo, int rank_hi,
                      const cm_array **out)
{
    const cm_array *a = cm_npz_get(z, name);
    if (!a)
        return cm_error(CM_ERR_FORMAT, "%s: %s: missing array (docs/formats.md, Activity files)", file, name);
    if (a->dtype != CM_F32 && a->dtype != CM_F64)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected float32 or float64, got %s", file, name,
                        cm_dtype_name(a->dtype));
    if (a->ndim < rank_lo || a->ndim > rank_hi)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected rank %d%s, got rank %d", file, name, rank_lo,
                        rank_hi > rank_lo ? " (or [N,1])" : "", a->ndim);
    *out = a;
    return CM_OK;
}

/* Float32 view of a float array: the array's own data, or a converted copy. */
static cm_status as_f32(const cm_array *a, float **out, int *owned)
{
    int64_t c = cm_array_count(a);
    if (a->dtype == CM_F32) {
        *out = a->data;
        *owned = 0;
        return CM_OK;
    }
    float *f = cm_alloc(sizeof(float) * (size_t)(c > 0 ? c : 1));
    if (!f)
        return cm_error(CM_ERR_NOMEM, "%s: out of memory", a->name);
    for (int64_t i = 0; i < c; i++)
        f[i] = (float)((const double *)a->data)[i];
    *out = f;
    *owned = 1;
    return CM_OK;
}

cm_status run_activity_positions(cm_activity *a, const char *file, const cm_array *pos, const cm_array *hd)
{
    const int64_t n = a->n;
    a->f32 = pos->dtype == CM_F32 && hd->dtype == CM_F32;
    a->pos = cm_alloc(sizeof(double) * (size_t)n * 2);
    a->hd = cm_alloc(sizeof(double) * (size_t)n);
    if (!a->pos || !a->hd)
        return cm_error(CM_ERR_NOMEM, "%s: out of memory for %lld samples", file, (long long)n);
    for (int64_t t = 0; t < n; t++) {
        a->pos[2 * t] = run_array_value(pos, 2 * t);
        a->pos[2 * t + 1] = run_array_value(pos, 2 * t + 1);
        a->hd[t] = run_array_value(hd, t);
        if (!isfinite(a->pos[2 * t]) || !isfinite(a->pos[2 * t + 1]))
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected finite values, got (%g, %g) at sample %lld", file, pos->name,
                            a->pos[2 * t], a->pos[2 * t + 1], (long long)t);
        if (!isfinite(a->hd[t]))
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected finite values, got %g at sample %lld", file, hd->name,
                            a->hd[t], (long long)t);
    }
    return CM_OK;
}

cm_status cm_activity_read(const char *file, cm_activity *a)
{
    memset(a, 0, sizeof *a);
    cm_status st = cm_npz_read(file, &a->z);
    if (st)
        return st;
    const cm_array *pos, *hd, *dist, *act;
    if ((st = need(&a->z, file, "positions", 2, 2, &pos)) || (st = need(&a->z, file, "headings", 1, 2, &hd)) ||
        (st = need(&a->z, file, "wall_distances", 2, 2, &dist)) || (st = need(&a->z, file, "activations", 2, 2, &act)))
        return st;
    int64_t n = pos->shape[0];
    if (pos->shape[1] != 2)
        return cm_error(CM_ERR_FORMAT, "%s: positions: expected shape [N, 2], got [%lld, %lld]", file,
                        (long long)pos->shape[0], (long long)pos->shape[1]);
    if (hd->shape[0] != n || (hd->ndim == 2 && hd->shape[1] != 1))
        return cm_error(CM_ERR_FORMAT, "%s: headings: expected shape [%lld] or [%lld, 1] to match positions, got [%lld%s]",
                        file, (long long)n, (long long)n, (long long)hd->shape[0], hd->ndim == 2 ? ", ..." : "");
    if (dist->shape[0] != n || dist->shape[1] < 2 || dist->shape[1] > CM_MAX_RAYS)
        return cm_error(CM_ERR_FORMAT, "%s: wall_distances: expected shape [%lld, R] with 2 <= R <= %d, got [%lld, %lld]",
                        file, (long long)n, CM_MAX_RAYS, (long long)dist->shape[0], (long long)dist->shape[1]);
    if (act->shape[0] != n || act->shape[1] < 1 || act->shape[1] > INT32_MAX)
        return cm_error(CM_ERR_FORMAT, "%s: activations: expected shape [%lld, U >= 1], got [%lld, %lld]", file,
                        (long long)n, (long long)act->shape[0], (long long)act->shape[1]);
    if (n < 4)
        return cm_error(CM_ERR_FORMAT, "%s: positions: expected at least 4 samples, got %lld", file, (long long)n);
    a->n = n;
    a->rays = (int)dist->shape[1];
    a->units = (int)act->shape[1];
    /* SMP's BVC maps assume sensor k at -pi + 2 pi k / R; other layouts would be
     * scored wrongly, so they are refused rather than silently misread. */
    const cm_array *ra = cm_npz_get(&a->z, "ray_angles");
    if (ra) {
        if ((ra->dtype != CM_F32 && ra->dtype != CM_F64) || ra->ndim != 1 || ra->shape[0] != a->rays)
            return cm_error(CM_ERR_FORMAT, "%s: ray_angles: expected float [%d] to match wall_distances", file,
                            a->rays);
        for (int k = 0; k < a->rays; k++) {
            double want = -M_PI + 2 * M_PI * k / a->rays;
            if (!(fabs(remainder(run_array_value(ra, k) - want, 2 * M_PI)) < 1e-4))
                return cm_error(CM_ERR_FORMAT,
                                "%s: ray_angles: expected equispaced angles -pi + 2 pi k / %d (SMP's sensor), got %g "
                                "at k = %d",
                                file, a->rays, run_array_value(ra, k), k);
        }
    }
    if ((st = run_activity_positions(a, file, pos, hd)))
        return st;
    if ((st = as_f32(dist, &a->dist, &a->own_dist)) || (st = as_f32(act, &a->act, &a->own_act)))
        return st;
    for (int64_t i = 0; i < n * a->units; i++)
        if (!isfinite(a->act[i]))
            return cm_error(CM_ERR_FORMAT, "%s: activations: expected finite values, got %g at sample %lld, unit %lld",
                            file, a->act[i], (long long)(i / a->units), (long long)(i % a->units));
    /* Unit groups: arrays group_<name> = [start, end). */
    for (int i = 0; i < a->z.count; i++) {
        const cm_array *g = &a->z.arrays[i];
        if (strncmp(g->name, "group_", 6) != 0)
            continue;
        if (a->n_groups == CM_ACTIVITY_MAX_GROUPS)
            return cm_error(CM_ERR_FORMAT, "%s: %s: more than %d groups", file, g->name, CM_ACTIVITY_MAX_GROUPS);
        if ((g->dtype != CM_I32 && g->dtype != CM_I64) || g->ndim != 1 || g->shape[0] != 2)
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected 2 integers [start, end), got %s of rank %d", file,
                            g->name, cm_dtype_name(g->dtype), g->ndim);
        cm_unit_group *gr = &a->groups[a->n_groups++];
        snprintf(gr->name, sizeof gr->name, "%s", g->name + 6);
        gr->start = get_i(g, 0);
        gr->end = get_i(g, 1);
        if (gr->start < 0 || gr->end > a->units || gr->start >= gr->end)
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected 0 <= start < end <= %d units, got [%lld, %lld)", file,
                            g->name, a->units, (long long)gr->start, (long long)gr->end);
    }
    if (a->n_groups == 0) {
        snprintf(a->groups[0].name, sizeof a->groups[0].name, "all");
        a->groups[0].start = 0;
        a->groups[0].end = a->units;
        a->n_groups = 1;
    }
    return CM_OK;
}


cm_status cm_activity_write(const char *path, const cm_activity *a)
{
    const int64_t N = a->n;
    int64_t sp[2] = {N, 2}, sh[1] = {N}, sd[2] = {N, a->rays}, sa[2] = {N, a->units}, sg[1] = {2};
    int64_t ranges[CM_ACTIVITY_MAX_GROUPS][2];
    char names[CM_ACTIVITY_MAX_GROUPS][128];
    cm_array arr[4 + CM_ACTIVITY_MAX_GROUPS];
    memset(arr, 0, sizeof arr);
    /* Float32 positions and headings go back as float32: readers reproduce
     * SMP's float32 arithmetic on them (docs/formats.md). */
    float *pf = NULL, *hf = NULL;
    if (a->f32) {
        pf = cm_alloc(sizeof(float) * (size_t)(2 * N > 0 ? 2 * N : 1));
        hf = cm_alloc(sizeof(float) * (size_t)(N > 0 ? N : 1));
        if (!pf || !hf) {
            cm_free(pf), cm_free(hf);
            return cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
        }
        for (int64_t i = 0; i < N; i++)
            pf[2 * i] = (float)a->pos[2 * i], pf[2 * i + 1] = (float)a->pos[2 * i + 1], hf[i] = (float)a->hd[i];
    }
    arr[0] = a->f32 ? cm_array_view("positions", CM_F32, 2, sp, pf) : cm_array_view("positions", CM_F64, 2, sp, a->pos);
    arr[1] = a->f32 ? cm_array_view("headings", CM_F32, 1, sh, hf) : cm_array_view("headings", CM_F64, 1, sh, a->hd);
    arr[2] = cm_array_view("wall_distances", CM_F32, 2, sd, a->dist);
    arr[3] = cm_array_view("activations", CM_F32, 2, sa, a->act);
    int n = 4;
    for (int g = 0; g < a->n_groups; g++) {
        ranges[g][0] = a->groups[g].start, ranges[g][1] = a->groups[g].end;
        snprintf(names[g], sizeof names[g], "group_%s", a->groups[g].name);
        arr[n++] = cm_array_view(names[g], CM_I64, 1, sg, ranges[g]);
    }
    cm_status st = cm_npz_write(path, arr, n, 0);
    cm_free(pf), cm_free(hf);
    return st;
}
