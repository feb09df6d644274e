/* Reports of a classification (run.h): report.json and maps.npz of
 * `cogmap analyze`, and the per-group counts every report writes the same
 * way. */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

int cm_class_counts_json(cJSON *o, const cm_class_counts *c)
{
    const double n = c->units;
    int ok = cJSON_AddNumberToObject(o, "units", n) && cJSON_AddNumberToObject(o, "hd", c->hd) &&
             cJSON_AddNumberToObject(o, "ego_bvc", c->ego_bvc) && cJSON_AddNumberToObject(o, "allo_bvc", c->allo_bvc) &&
             cJSON_AddNumberToObject(o, "place", c->place) && cJSON_AddNumberToObject(o, "border", c->border) &&
             cJSON_AddNumberToObject(o, "grid", c->grid) &&
             /* SMP's notebook also counts ego units whose allo score is the larger. */
             cJSON_AddNumberToObject(o, "ego_bvc_with_higher_allo_score", c->ego_bvc_with_higher_allo_score) &&
             cJSON_AddNumberToObject(o, "hd_share", c->hd / n) &&
             cJSON_AddNumberToObject(o, "ego_bvc_share", c->ego_bvc / n) &&
             cJSON_AddNumberToObject(o, "allo_bvc_share", c->allo_bvc / n);
    cJSON *p = ok ? cJSON_AddObjectToObject(o, "primary") : NULL;
    for (int k = 0; p && k <= CM_CELL_GRID; k++)
        ok = ok && cJSON_AddNumberToObject(p, cm_cell_class_name((cm_cell_class)k), c->primary[k]);
    return ok && p;
}

/* Counts of every flag and primary class over units [s, e). */
static cJSON *counts(const cm_classify_result *r, int64_t s, int64_t e)
{
    cm_class_counts c;
    cm_class_counts_of(r, s, e, &c);
    cJSON *o = cJSON_CreateObject();
    if (o)
        cm_class_counts_json(o, &c);
    return o;
}

cm_status cm_classify_report_write(const char *dir, const char *input, const cm_activity *a,
                                   const cm_classify_opts *o, const cm_classify_result *r)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "cogmap", cm_version());
    cJSON_AddStringToObject(root, "input", input);
    cJSON_AddNumberToObject(root, "samples", (double)a->n);
    cJSON_AddNumberToObject(root, "units", a->units);
    cJSON_AddNumberToObject(root, "rays", a->rays);
    cJSON *op = cJSON_AddObjectToObject(root, "options");
    cJSON_AddNumberToObject(op, "shuffles", o->n_shuffles);
    cJSON_AddNumberToObject(op, "percentile", o->percentile);
    cJSON_AddStringToObject(op, "hd_shuffle", o->hd_timeshift ? "time" : "bins");
    cJSON_AddNumberToObject(op, "hd_bins", o->hd_bins);
    cJSON_AddNumberToObject(op, "distance_step", o->distance_step);
    cJSON_AddNumberToObject(op, "ratemap_bin", o->ratemap_bin);
    cJSON_AddNumberToObject(op, "dt", o->dt);
    cJSON_AddNumberToObject(op, "grid_bins", o->grid_bins);
    cJSON_AddBoolToObject(op, "float32_positions_headings", o->f32);
    cJSON_AddNumberToObject(op, "seed", (double)o->seed);
    cJSON_AddNumberToObject(op, "threads", cm_threads());
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON_AddItemToObject(th, "hd", num(r->hd_threshold));
    cJSON_AddItemToObject(th, "ego_bvc", num(r->ego_threshold));
    cJSON_AddItemToObject(th, "allo_bvc", num(r->allo_threshold));
    cJSON_AddNumberToObject(th, "place_bits_per_spike", o->place_info);
    cJSON_AddNumberToObject(th, "stability", o->min_stability);
    cJSON_AddNumberToObject(th, "border", o->border_thresh);
    cJSON_AddNumberToObject(th, "grid_score60", o->grid_thresh);
    cJSON_AddItemToObject(root, "counts", counts(r, 0, a->units));
    cJSON *groups = cJSON_AddArrayToObject(root, "groups");
    for (int g = 0; g < a->n_groups; g++) {
        cJSON *c = counts(r, a->groups[g].start, a->groups[g].end);
        cJSON_AddStringToObject(c, "name", a->groups[g].name);
        cJSON_AddNumberToObject(c, "start", (double)a->groups[g].start);
        cJSON_AddNumberToObject(c, "end", (double)a->groups[g].end);
        cJSON_AddItemToArray(groups, c);
    }
    cJSON *units = cJSON_AddArrayToObject(root, "unit_scores");
    for (int u = 0; u < a->units; u++) {
        cJSON *x = cJSON_CreateObject();
        cJSON_AddNumberToObject(x, "unit", u);
        const char *gname = "";
        for (int g = 0; g < a->n_groups; g++)
            if (u >= a->groups[g].start && u < a->groups[g].end) {
                gname = a->groups[g].name;
                break;
            }
        cJSON_AddStringToObject(x, "group", gname);
        cJSON_AddStringToObject(x, "class", cm_cell_class_name(r->cls[u]));
        cJSON_AddBoolToObject(x, "is_hd", r->is_hd[u]);
        cJSON_AddBoolToObject(x, "is_ego_bvc", r->is_ego[u]);
        cJSON_AddBoolToObject(x, "is_allo_bvc", r->is_allo[u]);
        cJSON_AddBoolToObject(x, "is_place", r->is_place[u]);
        cJSON_AddBoolToObject(x, "is_border", r->is_border[u]);
        cJSON_AddBoolToObject(x, "is_grid", r->is_grid[u]);
        cJSON_AddItemToObject(x, "hd_score", num(r->hd_score[u]));
        cJSON_AddItemToObject(x, "hd_angle", num(r->hd_angle[u]));
        cJSON_AddItemToObject(x, "ego_score", num(r->ego_score[u]));
        cJSON_AddItemToObject(x, "ego_angle", num(r->ego_angle[u]));
        cJSON_AddItemToObject(x, "ego_distance", num(r->ego_dist[u]));
        cJSON_AddItemToObject(x, "allo_score", num(r->allo_score[u]));
        cJSON_AddItemToObject(x, "allo_angle", num(r->allo_angle[u]));
        cJSON_AddItemToObject(x, "allo_distance", num(r->allo_dist[u]));
        cJSON_AddItemToObject(x, "stability", num(r->stability[u]));
        cJSON_AddItemToObject(x, "info_bits_per_spike", num(r->info_bits_spike[u]));
        cJSON_AddItemToObject(x, "info_bits_per_second", num(r->info_bits_s[u]));
        cJSON_AddItemToObject(x, "sparsity", num(r->sparsity[u]));
        cJSON_AddItemToObject(x, "selectivity", num(r->selectivity[u]));
        cJSON_AddItemToObject(x, "border_score", num(r->border[u]));
        cJSON_AddItemToObject(x, "grid_score60", num(r->grid60[u]));
        cJSON_AddItemToObject(x, "grid_score90", num(r->grid90[u]));
        cJSON_AddNumberToObject(x, "place_fields", r->n_fields[u]);
        cJSON_AddItemToArray(units, x);
    }
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "report.json");
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

/* The maps behind the scores, float32, for figures and for users' own plots. */
cm_status cm_classify_maps_write(const char *dir, const cm_classify_result *r)
{
    int64_t U = r->units;
    struct {
        const char *name;
        const double *src;
        int ndim;
        int64_t shape[4];
    } m[] = {
        {"hd_maps", r->hd_maps, 2, {U, r->hd_bins}},
        {"ego_maps", r->ego_maps, 3, {U, r->n_dist, r->rays}},
        {"allo_maps", r->allo_maps, 3, {U, r->n_dist, r->rays}},
        {"ratemaps", r->maps, 3, {U, r->nx, r->ny}},
        {"octant_maps", r->octants, 4, {U, r->nx, r->ny, 8}},
        {"distance_centres", r->dcentres, 1, {r->n_dist}},
        {"occupancy", r->occupancy, 2, {r->nx, r->ny}},
    };
    enum { M = sizeof m / sizeof m[0] };
    cm_array arr[M];
    memset(arr, 0, sizeof arr);
    cm_status st = CM_OK;
    for (int i = 0; i < M && st == CM_OK; i++) {
        st = cm_array_alloc(&arr[i], m[i].name, CM_F32, m[i].ndim, m[i].shape);
        if (st == CM_OK) {
            int64_t c = cm_array_count(&arr[i]);
            for (int64_t k = 0; k < c; k++)
                ((float *)arr[i].data)[k] = (float)m[i].src[k];
        }
    }
    char path[4096];
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "maps.npz");
    if (st == CM_OK)
        st = cm_npz_write(path, arr, M, 1);
    for (int i = 0; i < M; i++)
        cm_array_free(&arr[i]);
    return st;
}

