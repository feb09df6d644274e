/* `cogmap figure smp2|smp3 --data DIR --out DIR`: SMP's figures 2 and 3
 * (smp.md §6-7) from DeepMind's released arrays (converted by
 * scripts/smp-data-to-npz; docs/formats.md "SMP released data") or from a
 * cogmap SMP run (its activity.npz and checkpoint). The panels come from the
 * same code `cogmap analyze` and `cogmap eval` use (analyze_figures.c,
 * smp_figures.c), so both sources go through one path. */
#include "cli/activity_file.h"
#include "cli/analyze.h"
#include "cli/cli.h"
#include "cli/smp_figures.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "cogmap/run.h"
#include "cogmap/smp.h"
#include "models/smp_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char figure_usage[] =
    "usage: cogmap figure smp2|smp3 --data DIR --out DIR [options]\n"
    "SMP's figure 2 (cell types of the three RNNs) or figure 3 (the head-direction RNN's dynamics),\n"
    "computed as DeepMind's notebooks do (specs smp.md §6-7).\n"
    "DIR: the .npz files of scripts/smp-data-to-npz (DeepMind's released data), or a cogmap SMP run\n"
    "after `cogmap eval DIR` (its activity.npz; smp3 also loads the run's checkpoint).\n"
    "  smp2: trajectories.npz (pos, hd, world_distances, rnn1..rnn3, log_ps_given_y) or activity.npz\n"
    "        -> OUT/figure2.json (per-RNN counts and shares of HD, ego- and allo-BVC units, every\n"
    "        unit's scores) and OUT/*.png (panels A-I)\n"
    "  smp3: parameters.npz, visual_inputs.npz, hd_stats.npz -> OUT/figure3.json and OUT/fig3_*.png\n"
    "  --shuffles N       smp2: shuffles per unit for the thresholds (default 1000, the notebook's)\n"
    "  --fig3-init N      smp3: random initial states (default 1000, the notebook's)\n"
    "  --max-attractor N  smp3: attractor states the correction runs start from (default 64)\n"
    "  --images N         smp3: probe views for the corrections (default 512; released data: the first N)\n"
    "  --seed N --threads N --quiet\n";

typedef struct figure_opts {
    long long shuffles, fig3_init, max_attractor, images;
    const char *data;
} figure_opts;

/* ------------------------------------------------------------ helpers */

static int file_exists(const char *dir, const char *name)
{
    char path[4096];
    struct stat sb;
    return cm_path_join(path, sizeof path, dir, name) == CM_OK && stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* A float32 copy of a float32 or float64 array (the converter writes float32;
 * hand-made files may be float64). */
static cm_status to_f32(const cm_array *a, const char *file, float **out)
{
    if (a->dtype != CM_F32 && a->dtype != CM_F64)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected float32 or float64, got %s", file, a->name,
                        cm_dtype_name(a->dtype));
    const int64_t n = cm_array_count(a);
    float *f = cm_alloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    if (!f)
        return cm_error(CM_ERR_NOMEM, "%s: %s: out of memory", file, a->name);
    for (int64_t i = 0; i < n; i++)
        f[i] = a->dtype == CM_F32 ? ((const float *)a->data)[i] : (float)((const double *)a->data)[i];
    *out = f;
    return CM_OK;
}

static double get_f(const cm_array *a, int64_t i)
{
    return a->dtype == CM_F32 ? (double)((const float *)a->data)[i] : ((const double *)a->data)[i];
}

/* Looks up a float array of rank `ndim` whose dimensions match `shape`
 * (-1: any), naming the file and the key when absent or misshapen. */
static cm_status need(const cm_npz *z, const char *file, const char *name, int ndim, const int64_t *shape,
                      const cm_array **out)
{
    const cm_array *a = cm_npz_get(z, name);
    if (!a)
        return cm_error(CM_ERR_FORMAT, "%s: %s: missing array (docs/formats.md, SMP released data)", file, name);
    if (a->dtype != CM_F32 && a->dtype != CM_F64)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected float32 or float64, got %s", file, name,
                        cm_dtype_name(a->dtype));
    int ok = a->ndim == ndim;
    for (int d = 0; ok && d < ndim; d++)
        ok = shape[d] < 0 || a->shape[d] == shape[d];
    if (!ok) {
        char want[128] = "[", got[128] = "[";
        for (int d = 0; d < ndim; d++)
            snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s%lld", d ? ", " : "",
                     shape[d] < 0 ? "*" : "", shape[d] < 0 ? 0LL : (long long)shape[d]);
        for (int d = 0; d < a->ndim; d++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", d ? ", " : "", (long long)a->shape[d]);
        /* "*0" above marks "any"; make it read "*". */
        for (char *p = strstr(want, "*0"); p; p = strstr(p, "*0"))
            memmove(p + 1, p + 2, strlen(p + 2) + 1);
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected shape %s], got %s]", file, name, want, got);
    }
    *out = a;
    return CM_OK;
}

/* ------------------------------------------------------------- figure 2 */

/* What figure 2 reads, from either source: an activity file's arrays (the
 * released ones are put in the same form), groups[0..2] = rnn1..rnn3. */
typedef struct fig2_data {
    activity_file a;
    int slots;
    float *logp; /* logp [N, slots] or NULL (cogmap runs: eval drew panel E) */
    const char *source;
} fig2_data;

/* DeepMind's arrays: trajectories.npz with rnn1..rnn3 side by side. */
static cm_status load_released2(fig2_data *d, const char *file)
{
    cm_status st = cm_npz_read(file, &d->a.z);
    if (st != CM_OK)
        return st;
    const cm_array *pos = NULL, *hd = NULL, *dist = NULL, *rnn[3] = {NULL, NULL, NULL}, *lp = NULL;
    int64_t s_pos[2] = {-1, 2};
    if ((st = need(&d->a.z, file, "pos", 2, s_pos, &pos)))
        return st;
    const int64_t n = pos->shape[0];
    int64_t s_hd1[1] = {n}, s_hd2[2] = {n, 1}, s_nd[2] = {n, -1};
    const cm_array *h = cm_npz_get(&d->a.z, "hd");
    st = h && h->ndim == 2 ? need(&d->a.z, file, "hd", 2, s_hd2, &hd) : need(&d->a.z, file, "hd", 1, s_hd1, &hd);
    if (st || (st = need(&d->a.z, file, "world_distances", 2, s_nd, &dist)))
        return st;
    if (dist->shape[1] < 2 || dist->shape[1] > CM_MAX_RAYS)
        return cm_error(CM_ERR_FORMAT, "%s: world_distances: expected 2..%d angles, got %lld", file, CM_MAX_RAYS,
                        (long long)dist->shape[1]);
    static const char *const names[3] = {"rnn1", "rnn2", "rnn3"};
    int64_t U = 0;
    for (int k = 0; k < 3; k++) {
        if ((st = need(&d->a.z, file, names[k], 2, s_nd, &rnn[k])))
            return st;
        if (rnn[k]->shape[1] < 1)
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected at least one unit, got [%lld, 0]", file, names[k],
                            (long long)n);
        snprintf(d->a.groups[k].name, sizeof d->a.groups[k].name, "%s", names[k]);
        d->a.groups[k].start = U;
        U += rnn[k]->shape[1];
        d->a.groups[k].end = U;
    }
    if (cm_npz_get(&d->a.z, "log_ps_given_y") && (st = need(&d->a.z, file, "log_ps_given_y", 2, s_nd, &lp)))
        return st;
    if (n < 4)
        return cm_error(CM_ERR_FORMAT, "%s: pos: expected at least 4 samples, got %lld", file, (long long)n);
    d->a.n = n;
    d->a.units = (int)U;
    d->a.rays = (int)dist->shape[1];
    if ((st = activity_file_positions(&d->a, file, pos, hd)))
        return st;
    if ((st = to_f32(dist, file, &d->a.dist)))
        return st;
    d->a.own_dist = 1;
    /* The classification reads [N, U] rows: the three RNNs side by side, as
     * the notebook's np.concatenate(predicted_outputs[:3], axis=1). */
    d->a.act = cm_alloc(sizeof(float) * (size_t)n * (size_t)U);
    if (!d->a.act)
        return cm_error(CM_ERR_NOMEM, "%s: out of memory for %lld x %lld activations", file, (long long)n, (long long)U);
    d->a.own_act = 1;
    for (int k = 0; k < 3; k++) {
        const int w = (int)rnn[k]->shape[1];
        for (int64_t i = 0; i < n; i++) {
            float *row = d->a.act + (size_t)i * U + d->a.groups[k].start;
            for (int j = 0; j < w; j++) {
                const double v = get_f(rnn[k], i * w + j);
                if (!isfinite(v))
                    return cm_error(CM_ERR_FORMAT, "%s: %s: expected finite values, got %g at sample %lld, unit %d",
                                    file, names[k], v, (long long)i, j);
                row[j] = (float)v;
            }
        }
    }
    if (lp) {
        if (lp->dtype != CM_F32)
            return cm_error(CM_ERR_FORMAT, "%s: log_ps_given_y: expected float32 (as the converter writes), got %s",
                            file, cm_dtype_name(lp->dtype));
        d->logp = lp->data;
        d->slots = (int)lp->shape[1];
    }
    d->a.n_groups = 3;
    d->source = "released";
    return CM_OK;
}

/* A cogmap SMP run: the activity file `cogmap eval` wrote (docs/formats.md,
 * Activity files) with its group_rnn1..3 ranges. */
static cm_status load_activity2(fig2_data *d, const char *file)
{
    cm_status st = activity_file_read(file, &d->a);
    if (st != CM_OK)
        return st;
    /* Figure 2 is per RNN: rnn1..rnn3 first, in that order, whatever the file's. */
    static const char *const names[3] = {"rnn1", "rnn2", "rnn3"};
    for (int k = 0; k < 3; k++) {
        int j = k;
        while (j < d->a.n_groups && strcmp(d->a.groups[j].name, names[k]) != 0)
            j++;
        if (j == d->a.n_groups)
            return cm_error(CM_ERR_FORMAT,
                            "%s: group_%s: expected 2 integers [start, end) (an SMP run's activity file)", file,
                            names[k]);
        const analyze_group g = d->a.groups[k];
        d->a.groups[k] = d->a.groups[j];
        d->a.groups[j] = g;
    }
    d->a.n_groups = 3;
    d->source = "cogmap";
    return CM_OK;
}

static cJSON *num(double v) { return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull(); }

static cJSON *num_array(const double *v, int64_t s, int64_t e)
{
    cJSON *a = cJSON_CreateArray();
    for (int64_t u = s; u < e; u++)
        cJSON_AddItemToArray(a, num(v[u]));
    return a;
}

/* figure2.json: what the notebook prints (per RNN the count and share of
 * HD, egoBVC and BVC units, and the egoBVCs whose allocentric score is
 * higher), the pooled thresholds, and every unit's exact scores so that they
 * can be compared with the notebook's. */
static cm_status write_figure2_json(const char *dir, const fig2_data *d, const cm_classify_opts *co,
                                    const cm_classify_result *r, const int *slots, int n_slots)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "cogmap smp figure2");
    cJSON_AddStringToObject(root, "cogmap", cm_version());
    cJSON_AddStringToObject(root, "source", d->source);
    cJSON_AddNumberToObject(root, "samples", (double)d->a.n);
    cJSON_AddNumberToObject(root, "units", d->a.units);
    cJSON_AddNumberToObject(root, "rays", d->a.rays);
    cJSON_AddNumberToObject(root, "shuffles", co->n_shuffles);
    cJSON_AddNumberToObject(root, "seed", (double)co->seed);
    cJSON_AddBoolToObject(root, "float32_positions_headings", d->a.f32);
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON_AddItemToObject(th, "hd", num(r->hd_threshold));
    cJSON_AddItemToObject(th, "ego_bvc", num(r->ego_threshold));
    cJSON_AddItemToObject(th, "allo_bvc", num(r->allo_threshold));
    cJSON *rnns = cJSON_AddObjectToObject(root, "rnns");
    for (int k = 0; k < 3; k++) {
        const analyze_group *g = &d->a.groups[k];
        int hd = 0, ego = 0, allo = 0, allo_over_ego = 0;
        for (int64_t u = g->start; u < g->end; u++) {
            hd += r->is_hd[u];
            ego += r->is_ego[u];
            allo += r->is_allo[u];
            allo_over_ego += r->is_ego[u] && r->allo_score[u] > r->ego_score[u];
        }
        const double units = (double)(g->end - g->start);
        cJSON *o = cJSON_AddObjectToObject(rnns, g->name);
        cJSON_AddNumberToObject(o, "first_unit", (double)g->start);
        cJSON_AddNumberToObject(o, "units", units);
        cJSON_AddNumberToObject(o, "hd", hd);
        cJSON_AddNumberToObject(o, "ego_bvc", ego);
        cJSON_AddNumberToObject(o, "allo_bvc", allo);
        cJSON_AddNumberToObject(o, "ego_bvc_with_allo_score_greater", allo_over_ego);
        cJSON_AddNumberToObject(o, "hd_share", hd / units);
        cJSON_AddNumberToObject(o, "ego_bvc_share", ego / units);
        cJSON_AddNumberToObject(o, "allo_bvc_share", allo / units);
        cJSON *sc = cJSON_AddObjectToObject(o, "scores");
        cJSON_AddItemToObject(sc, "hd_length", num_array(r->hd_score, g->start, g->end));
        cJSON_AddItemToObject(sc, "hd_angle", num_array(r->hd_angle, g->start, g->end));
        cJSON_AddItemToObject(sc, "ego_bvc", num_array(r->ego_score, g->start, g->end));
        cJSON_AddItemToObject(sc, "allo_bvc", num_array(r->allo_score, g->start, g->end));
        cJSON_AddItemToObject(sc, "stability", num_array(r->stability, g->start, g->end));
    }
    cJSON *ps = cJSON_AddArrayToObject(root, "place_slots");
    for (int k = 0; k < n_slots; k++)
        cJSON_AddItemToArray(ps, cJSON_CreateNumber(slots[k]));
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "figure2.json");
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

/* Panel E: the rate maps (SMP's calculate_ratemap, 0.14 bins over the data's
 * range) of exp(log P(s|y)) for the notebook's slots 43, 45, 96, 508, 510;
 * a memory smaller than that shows its most place-like slots instead. */
static cm_status figure2_places(const char *dir, const fig2_data *d, int *slots, int *n_slots)
{
    static const int notebook[5] = {43, 45, 96, 508, 510};
    *n_slots = 0;
    if (!d->logp)
        return CM_OK;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int64_t i = 0; i < d->a.n; i++) {
        xmin = fmin(xmin, d->a.pos[2 * i]), xmax = fmax(xmax, d->a.pos[2 * i]);
        ymin = fmin(ymin, d->a.pos[2 * i + 1]), ymax = fmax(ymax, d->a.pos[2 * i + 1]);
    }
    const int nx = cm_smp_edges(xmin, xmax, 0.14, NULL, 0, d->a.f32), ny = cm_smp_edges(ymin, ymax, 0.14, NULL, 0, d->a.f32);
    if (nx < 1 || ny < 1)
        return cm_error(CM_ERR_FORMAT, "trajectories: pos: the positions span no area (x %g..%g, y %g..%g)", xmin, xmax,
                        ymin, ymax);
    double *xe = cm_alloc(sizeof(double) * (nx + 1)), *ye = cm_alloc(sizeof(double) * (ny + 1));
    const int S = d->slots;
    int all_in = S > notebook[4];
    const int want = all_in ? 5 : (S < 5 ? S : 5);
    const int cand = all_in ? 5 : S; /* without the notebook's slots, every slot is a candidate */
    float *p = cm_alloc(sizeof(float) * (size_t)d->a.n * (size_t)(cand < 64 ? cand : 64));
    double *maps = cm_alloc(sizeof(double) * (size_t)S * nx * ny);
    cm_status st = CM_OK;
    if (!xe || !ye || !p || !maps)
        st = cm_error(CM_ERR_NOMEM, "figure 2 E: out of memory");
    if (st == CM_OK) {
        cm_smp_edges(xmin, xmax, 0.14, xe, nx + 1, d->a.f32);
        cm_smp_edges(ymin, ymax, 0.14, ye, ny + 1, d->a.f32);
        cm_grid2 g = {nx, ny, xe, ye};
        for (int s = 0; s < S; s++)
            for (int i = 0; i < nx * ny; i++)
                maps[(size_t)s * nx * ny + i] = NAN;
        /* Chunks of up to 64 slots per pass over the samples. */
        for (int c0 = 0; st == CM_OK && c0 < cand; c0 += 64) {
            const int m = cand - c0 < 64 ? cand - c0 : 64;
            for (int64_t i = 0; i < d->a.n; i++)
                for (int j = 0; j < m; j++) {
                    const int s = all_in ? notebook[c0 + j] : c0 + j;
                    p[(size_t)i * m + j] = expf(d->logp[(size_t)i * S + s]);
                }
            double *tmp = cm_alloc(sizeof(double) * (size_t)m * nx * ny);
            if (!tmp) {
                st = cm_error(CM_ERR_NOMEM, "figure 2 E: out of memory");
                break;
            }
            st = cm_ratemaps(&g, d->a.pos, NULL, p, d->a.n, m, tmp, NULL, NULL, d->a.f32);
            for (int j = 0; st == CM_OK && j < m; j++) {
                const int s = all_in ? notebook[c0 + j] : c0 + j;
                memcpy(maps + (size_t)s * nx * ny, tmp + (size_t)j * nx * ny, sizeof(double) * nx * ny);
            }
            cm_free(tmp);
        }
    }
    if (st == CM_OK) {
        if (all_in)
            memcpy(slots, notebook, sizeof notebook);
        else
            smp_pick_place_slots(maps, S, nx * ny, slots, want);
        *n_slots = want;
        st = smp_figure2_places(dir, maps, nx, ny, slots, want);
    }
    cm_free(xe), cm_free(ye), cm_free(p), cm_free(maps);
    return st;
}

/* Panels A-D with the notebook's own units: RNN-1 units 0-4 (A: 36-bin polar
 * tuning, B: rate maps with octants), RNN-2 units 14, 56, 73, 76, 81 (C) and
 * RNN-3 units 57, 64, 87, 104, 119 (D), indices within each RNN. Rows whose
 * units the RNN does not have (a smaller cogmap model) are left empty. */
static cm_status figure2_notebook_units(const char *dir, const fig2_data *d, const cm_classify_result *r)
{
    static const int units[3][5] = {{0, 1, 2, 3, 4}, {14, 56, 73, 76, 81}, {57, 64, 87, 104, 119}};
    static const char *const labels[4] = {"A: RNN-1", "B: RNN-1", "C: RNN-2", "D: RNN-3"};
    enum { B = 36 };
    const int nx = r->nx, ny = r->ny, GH = 3 * (nx + 2), GW = 3 * (ny + 2);
    const int has1 = d->a.groups[0].end - d->a.groups[0].start > 4;
    double *grid = cm_alloc(sizeof(double) * (size_t)GH * GW), *maps = cm_alloc(sizeof(double) * B * 5);
    float *sub = cm_alloc(sizeof(float) * (size_t)d->a.n * 5);
    cm_status st = (!grid || !maps || !sub) ? cm_error(CM_ERR_NOMEM, "figure 2: out of memory") : CM_OK;
    if (st == CM_OK && has1) {
        for (int64_t t = 0; t < d->a.n; t++)
            for (int j = 0; j < 5; j++)
                sub[t * 5 + j] = d->a.act[t * d->a.units + d->a.groups[0].start + j];
        st = cm_hd_ratemaps(d->a.hd, sub, d->a.n, 5, B, maps, d->a.f32);
    }
    cm_figure *fig = NULL;
    if (st == CM_OK)
        st = cm_figure_create(&fig, 4, 5, 170, 190, "Figure 2 A-D: the notebook's units (up = +x heading)");
    for (int j = 0; j < 5 && st == CM_OK && has1; j++) {
        /* A: the positive lobe in blue, a negative one in red, at angle pi/2 - theta. */
        double th[B], pos[B], neg[B];
        int any_neg = 0;
        for (int b = 0; b < B; b++) {
            const double c = -M_PI + (b + 0.5) * 2 * M_PI / B, v = maps[j * B + b];
            th[b] = M_PI / 2 - c;
            pos[b] = v > 0 ? v : 0;
            neg[b] = v < 0 ? -v : 0;
            any_neg |= v < 0;
        }
        cm_panel *p = cm_figure_panel(fig, 0, j);
        static const cm_rgb blue = {0.12, 0.30, 0.85}, red = {0.85, 0.15, 0.12};
        st = cm_panel_polar(p, th, pos, B, blue, 1.5);
        if (st == CM_OK && any_neg)
            st = cm_panel_polar(p, th, neg, B, red, 1.5);
        if (st == CM_OK)
            st = cm_panel_title(p, "%s unit %d, R=%.2f", labels[0], j, r->hd_score[d->a.groups[0].start + j]);
    }
    for (int row = 0; row < 3 && st == CM_OK; row++) {
        const analyze_group *g = &d->a.groups[row];
        for (int j = 0; j < 5 && st == CM_OK; j++) {
            if (units[row][j] >= g->end - g->start)
                continue;
            const int u = (int)g->start + units[row][j];
            const size_t nb = (size_t)nx * ny;
            analyze_octant_grid(r->maps + u * nb, r->octants + u * nb * 8, nx, ny, grid);
            cm_panel *p = cm_figure_panel(fig, row + 1, j);
            st = cm_panel_heatmap(p, grid, GH, GW, CM_CMAP_JET, NAN, NAN);
            if (st == CM_OK)
                st = cm_panel_title(p, "%s unit %d", labels[row + 1], units[row][j]);
        }
    }
    if (fig && st == CM_OK) {
        char path[4096];
        st = cm_path_join(path, sizeof path, dir, "fig2_notebook_units.png");
        if (st == CM_OK)
            st = cm_figure_save(fig, path);
    }
    if (fig)
        cm_figure_free(fig);
    cm_free(grid), cm_free(maps), cm_free(sub);
    return st;
}

static int figure_smp2(const figure_opts *o, const cli_common *common)
{
    fig2_data d;
    memset(&d, 0, sizeof d);
    char file[4096];
    cm_status st;
    if (file_exists(o->data, "trajectories.npz")) {
        st = cm_path_join(file, sizeof file, o->data, "trajectories.npz");
        if (st == CM_OK)
            st = load_released2(&d, file);
    } else if (file_exists(o->data, "activity.npz")) {
        st = cm_path_join(file, sizeof file, o->data, "activity.npz");
        if (st == CM_OK)
            st = load_activity2(&d, file);
    } else {
        st = cm_error(CM_ERR_IO, "%s: neither trajectories.npz (scripts/smp-data-to-npz) nor activity.npz (cogmap "
                                 "eval of an SMP run) found",
                      o->data);
    }
    if (st == CM_OK)
        st = cm_mkdir_p(common->out);
    FILE *out = cli_progress_stream(common);
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = out;
    cm_classify_opts co;
    cm_classify_defaults(&co);
    co.n_shuffles = (int)o->shuffles;
    co.seed = common->seed;
    co.grid_bins = 0; /* the notebook scores no gridness */
    co.f32 = d.a.f32;
    cm_classify_result res;
    memset(&res, 0, sizeof res);
    if (st == CM_OK)
        st = cm_classify_units(d.a.pos, d.a.hd, d.a.dist, d.a.rays, d.a.act, d.a.n, d.a.units, &co, out ? &progress : NULL, &res);
    int slots[5] = {0}, n_slots = 0;
    if (st == CM_OK)
        st = analyze_figures(common->out, "png", d.a.hd, d.a.act, d.a.n, d.a.f32, &res, d.a.groups, 3);
    if (st == CM_OK)
        st = figure2_notebook_units(common->out, &d, &res);
    if (st == CM_OK)
        st = figure2_places(common->out, &d, slots, &n_slots);
    if (st == CM_OK)
        st = write_figure2_json(common->out, &d, &co, &res, slots, n_slots);
    if (st == CM_OK && !common->quiet) {
        printf("figure smp2: %s (%s), %lld samples, %d units\n", file, d.source, (long long)d.a.n, d.a.units);
        printf("thresholds: hd %.4f, ego %.4f, allo %.4f\n", res.hd_threshold, res.ego_threshold, res.allo_threshold);
        for (int k = 0; k < 3; k++) {
            int hd = 0, ego = 0, allo = 0;
            for (int64_t u = d.a.groups[k].start; u < d.a.groups[k].end; u++)
                hd += res.is_hd[u], ego += res.is_ego[u], allo += res.is_allo[u];
            const double U = (double)(d.a.groups[k].end - d.a.groups[k].start);
            printf("%s: %.0f units, HD %d (%.1f%%), egoBVC %d (%.1f%%), BVC %d (%.1f%%)\n", d.a.groups[k].name, U, hd,
                   100 * hd / U, ego, 100 * ego / U, allo, 100 * allo / U);
        }
        printf("outputs: %s/figure2.json and its panels\n", common->out);
    }
    cm_classify_free(&res);
    activity_file_free(&d.a);
    cm_plot_release_caches();
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("figure", st);
}

/* ------------------------------------------------------------- figure 3 */

#define PARAM "integrator.multi_integrator_nets."
#define MEMORY "integrator.memory_map_0."

/* DeepMind's RNN-1 from parameters.npz, every tensor checked against SMP's
 * LSTM form before anything runs. The float32 copies go into `bufs`. */
static cm_status load_released_net(const cm_npz *z, const char *file, smp_hd_net *net, float *bufs[7])
{
    const cm_array *bp = cm_npz_get(z, PARAM "prediction_rnn_0.b_gates");
    if (!bp)
        return cm_error(CM_ERR_FORMAT, "%s: %s: missing array", file, PARAM "prediction_rnn_0.b_gates");
    if (bp->ndim != 1 || bp->shape[0] < 8 || bp->shape[0] % 4)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected [4H], got rank %d with %lld values", file, bp->name, bp->ndim,
                        (long long)cm_array_count(bp));
    const int64_t H = bp->shape[0] / 4;
    const cm_array *ctx3;
    int64_t s_mx[2] = {-1, H};
    cm_status st = need(z, file, MEMORY "column_context_3", 2, s_mx, &ctx3);
    if (st)
        return st;
    const int64_t S = ctx3->shape[0];
    int64_t s_wp[2] = {2 + H, 4 * H}, s_b[1] = {4 * H}, s_wc[2] = {2 * H, 4 * H}, s_w[2] = {S, H}, s_my[2] = {S, -1};
    const cm_array *a[7];
    static const char *const names[7] = {PARAM "prediction_rnn_0.w_gates", PARAM "prediction_rnn_0.b_gates",
                                         PARAM "correction_rnn_0.w_gates", PARAM "correction_rnn_0.b_gates",
                                         MEMORY "column_context_3",          MEMORY "column_context_3_written",
                                         MEMORY "column_context_2"};
    const int64_t *shapes[7] = {s_wp, s_b, s_wc, s_b, s_mx, s_w, s_my};
    const int ranks[7] = {2, 1, 2, 1, 2, 2, 2};
    for (int k = 0; k < 7; k++)
        if ((st = need(z, file, names[k], ranks[k], shapes[k], &a[k])))
            return st;
    const cm_array *beta = cm_npz_get(z, PARAM "mmap_0_context_2_query_beta");
    if (!beta)
        return cm_error(CM_ERR_FORMAT, "%s: %s: missing array", file, PARAM "mmap_0_context_2_query_beta");
    if ((beta->dtype != CM_F32 && beta->dtype != CM_F64) || cm_array_count(beta) != 1)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected one float (the log of the query temperature)", file,
                        beta->name);
    for (int k = 0; k < 7; k++)
        if ((st = to_f32(a[k], file, &bufs[k])))
            return st;
    for (int k = 0; k < 7; k++)
        for (int64_t i = 0; i < cm_array_count(a[k]); i++)
            if (!isfinite(bufs[k][i]))
                return cm_error(CM_ERR_FORMAT, "%s: %s: expected finite values, got %g at %lld", file, names[k],
                                bufs[k][i], (long long)i);
    const double q = get_f(beta, 0);
    if (!isfinite(q) || fabs(q) > 80)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a finite log temperature, got %g", file, beta->name, q);
    *net = (smp_hd_net){.H = (int)H,
                        .S = (int)S,
                        .D = (int)a[6]->shape[1],
                        .wp = bufs[0],
                        .bp = bufs[1],
                        .wc = bufs[2],
                        .bc = bufs[3],
                        .mx = bufs[4],
                        .written = bufs[5],
                        .my = bufs[6],
                        .gamma = (float)exp(q)};
    return CM_OK;
}

static cJSON *float_array(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; i < n; i++)
        cJSON_AddItemToArray(a, num(v[i]));
    return a;
}

/* rnn1_check.json: the loaded network's first prediction step from panel A's
 * start state (written slot 8) at omega = pi/20, and the first image's
 * correction weights and code (smp.md §3.5), through the same cell code the
 * panels run. A conversion can be checked against values computed
 * independently (the tests use smp.md §10's vectors). */
static cm_status write_rnn1_check(const char *dir, const smp_hd_net *net, const float *emb)
{
    const int H = net->H, S = net->S, D = net->D;
    const float *s0 = net->written + (size_t)(S > 8 ? 8 : S - 1) * H;
    float *h1 = cm_alloc(sizeof(float) * H), *c1 = cm_alloc(sizeof(float) * H), *g = cm_alloc(sizeof(float) * 4 * H);
    float *zin = cm_alloc(sizeof(float) * (2 + H)), *wts = cm_alloc(sizeof(float) * S), *code = cm_alloc(sizeof(float) * H);
    double *logit = cm_alloc(sizeof(double) * S);
    cm_status st = CM_OK;
    if (!h1 || !c1 || !g || !zin || !wts || !code || !logit)
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    if (st == CM_OK) {
        const float u[2] = {10.0f * cosf((float)M_PI / 20), 10.0f * sinf((float)M_PI / 20)};
        smp_cell_forward(h1, c1, g, zin, u, s0, s0, net->wp, net->bp, 1, 2, H);
        double mx = -INFINITY, z = 0;
        for (int s = 0; s < S; s++) {
            double d = 0;
            for (int k = 0; k < D; k++)
                d += (double)emb[k] * net->my[(size_t)s * D + k];
            logit[s] = (double)net->gamma * d;
            mx = fmax(mx, logit[s]);
        }
        for (int s = 0; s < S; s++)
            z += exp(logit[s] - mx);
        for (int k = 0; k < H; k++)
            code[k] = 0;
        for (int s = 0; s < S; s++) {
            wts[s] = (float)(exp(logit[s] - mx) / z);
            for (int k = 0; k < H; k++)
                code[k] += wts[s] * net->mx[(size_t)s * H + k];
        }
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "format", "cogmap smp rnn1 check");
        cJSON_AddNumberToObject(root, "gamma", net->gamma);
        cJSON_AddItemToObject(root, "start_state", float_array(s0, H));
        cJSON_AddItemToObject(root, "prediction_step_h", float_array(h1, H));
        cJSON_AddItemToObject(root, "prediction_step_c", float_array(c1, H));
        cJSON_AddItemToObject(root, "correction_weights_image0", float_array(wts, S));
        cJSON_AddItemToObject(root, "correction_code_image0", float_array(code, H));
        char path[4096];
        st = cm_path_join(path, sizeof path, dir, "rnn1_check.json");
        if (st == CM_OK)
            st = cm_json_write(path, root);
        cJSON_Delete(root);
    }
    cm_free(h1), cm_free(c1), cm_free(g), cm_free(zin), cm_free(wts), cm_free(code), cm_free(logit);
    return st;
}

/* RNN-1's resultant vectors (angle, length) from a run's activity file, as
 * hd_stats.pickle holds them for DeepMind's model: SMP's 20-bin angular rate
 * maps of the group_rnn1 units. */
static cm_status run_hd_stats(const char *dir, int H, double *angle, double *len)
{
    char file[4096];
    fig2_data d;
    memset(&d, 0, sizeof d);
    cm_status st = cm_path_join(file, sizeof file, dir, "activity.npz");
    if (st == CM_OK && !file_exists(dir, "activity.npz"))
        st = cm_error(CM_ERR_IO, "%s: missing: run `cogmap eval %s` first (figure 3 sorts the HD units by it)", file,
                      dir);
    if (st == CM_OK)
        st = load_activity2(&d, file);
    if (st == CM_OK && d.a.groups[0].end - d.a.groups[0].start != H)
        st = cm_error(CM_ERR_FORMAT, "%s: group_rnn1: expected %d units (the run's RNN-1), got %lld", file, H,
                      (long long)(d.a.groups[0].end - d.a.groups[0].start));
    float *a1 = st == CM_OK ? cm_alloc(sizeof(float) * (size_t)d.a.n * H) : NULL;
    double *maps = st == CM_OK ? cm_alloc(sizeof(double) * 20 * H) : NULL;
    if (st == CM_OK && (!a1 || !maps))
        st = cm_error(CM_ERR_NOMEM, "%s: out of memory", file);
    if (st == CM_OK) {
        for (int64_t i = 0; i < d.a.n; i++)
            memcpy(a1 + (size_t)i * H, d.a.act + (size_t)i * d.a.units + d.a.groups[0].start, sizeof(float) * H);
        st = cm_hd_ratemaps(d.a.hd, a1, d.a.n, H, 20, maps, d.a.f32);
    }
    if (st == CM_OK) {
        double cs[20], sn[20];
        cm_rv_centres(20, cs, sn);
        for (int u = 0; u < H; u++)
            len[u] = cm_resultant_vector(maps + (size_t)u * 20, 20, cs, sn, &angle[u]);
    }
    cm_free(a1), cm_free(maps);
    activity_file_free(&d.a);
    return st;
}

/* Figure 3's panels and the RNN-1 check in --out, from either source. */
static cm_status draw_figure3(const figure_opts *o, const cli_common *common, const smp_hd_net *net, const float *emb,
                              int n_img, const uint8_t *rgb, int side, const double *rv_a, const double *rv_l,
                              smp_fig3_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    cm_status st = cm_mkdir_p(common->out);
    if (st != CM_OK)
        return st;
    smp_fig3_opts fo;
    smp_fig3_defaults(&fo);
    fo.n_init = (int)o->fig3_init;
    fo.max_attractor = (int)o->max_attractor;
    fo.seed = common->seed;
    FILE *out = cli_progress_stream(common);
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = out;
    st = smp_figure3(common->out, net, emb, n_img, rgb, side, rv_a, rv_l, &fo, sum, out ? &progress : NULL);
    return st == CM_OK ? write_rnn1_check(common->out, net, emb) : st;
}

/* Figure 3 of a cogmap SMP run: its trained RNN-1 and memory from the newest
 * checkpoint, probe views rendered at random poses (as `cogmap eval` does). */
static int figure_smp3_run(const figure_opts *o, const cli_common *common)
{
    cm_smp_run_config cfg;
    cm_status st = cm_smp_run_config_read(&cfg, o->data);
    if (st != CM_OK)
        return cli_fail("figure", st);
    cm_smp_job *job;
    st = cm_smp_job_create(&cfg, &job);
    cm_smp_session *s = st == CM_OK ? cm_smp_job_session(job) : NULL;
    if (st != CM_OK)
        return cli_fail("figure", st);
    cm_train_state state;
    uint64_t seed;
    st = cm_train_checkpoint_load(o->data, &cm_smp_job_ops, job, &state, &seed, NULL);
    const cm_smp_config *mc = &cfg.model;
    const int H = mc->hidden[0], NI = (int)o->images, side = mc->image;
    double *rv_a = cm_alloc(sizeof(double) * H), *rv_l = cm_alloc(sizeof(double) * H);
    uint8_t *rgb = cm_alloc((size_t)NI * side * side * 3);
    float *emb = cm_alloc((size_t)NI * mc->embed * sizeof(float));
    if (st == CM_OK && (!rv_a || !rv_l || !rgb || !emb))
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory for %d probe views", NI);
    if (st == CM_OK)
        st = run_hd_stats(o->data, H, rv_a, rv_l);
    if (st == CM_OK)
        st = smp_probe_views(s->m, cfg.seed, NI, rgb, emb);
    smp_hd_net net;
    smp_hd_net_of_model(&net, s->m);
    smp_fig3_summary sum;
    if (st == CM_OK)
        st = draw_figure3(o, common, &net, emb, NI, rgb, side, rv_a, rv_l, &sum);
    if (st == CM_OK && !common->quiet)
        printf("figure smp3: %s (cogmap run, step %lld): %d of %d views reset the HD ring within 10 steps, %d never\n",
               o->data, (long long)state.step, sum.converged_within_10, sum.images, sum.never_converged);
    cm_free(rv_a), cm_free(rv_l), cm_free(rgb), cm_free(emb);
    cm_smp_job_free(job);
    cm_plot_release_caches();
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("figure", st);
}

static int figure_smp3(const figure_opts *o, const cli_common *common)
{
    if (!file_exists(o->data, "parameters.npz") && cm_smp_is_run(o->data))
        return figure_smp3_run(o, common);
    cm_npz zp, zv, zh;
    memset(&zp, 0, sizeof zp), memset(&zv, 0, sizeof zv), memset(&zh, 0, sizeof zh);
    char fp[4096], fv[4096], fh[4096];
    float *bufs[7] = {0}, *emb = NULL;
    double *rv_a = NULL, *rv_l = NULL;
    smp_hd_net net;
    const uint8_t *rgb = NULL;
    int side = 0, n_img = 0;
    cm_status st = CM_OK;
    static const char *const need_files[3] = {"parameters.npz", "visual_inputs.npz", "hd_stats.npz"};
    for (int k = 0; k < 3 && st == CM_OK; k++)
        if (!file_exists(o->data, need_files[k]))
            st = cm_error(CM_ERR_IO, "%s: %s: missing (scripts/smp-data-to-npz converts %s.pickle)", o->data,
                          need_files[k], k == 0 ? "parameters" : k == 1 ? "visual_inputs" : "hd_stats");
    if (st == CM_OK && (st = cm_path_join(fp, sizeof fp, o->data, need_files[0])) == CM_OK &&
        (st = cm_path_join(fv, sizeof fv, o->data, need_files[1])) == CM_OK &&
        (st = cm_path_join(fh, sizeof fh, o->data, need_files[2])) == CM_OK && (st = cm_npz_read(fp, &zp)) == CM_OK)
        st = load_released_net(&zp, fp, &net, bufs);
    if (st == CM_OK && (st = cm_npz_read(fv, &zv)) == CM_OK) {
        const cm_array *e;
        int64_t s_e[2] = {-1, net.D};
        st = need(&zv, fv, "embeddings", 2, s_e, &e);
        if (st == CM_OK && e->shape[0] < 1)
            st = cm_error(CM_ERR_FORMAT, "%s: embeddings: expected at least one image, got none", fv);
        if (st == CM_OK) {
            n_img = (int)e->shape[0];
            st = to_f32(e, fv, &emb);
        }
        const int all_img = n_img;
        if (n_img > o->images) /* --images N: the first N (for quick looks; the notebook uses all) */
            n_img = (int)o->images;
        /* The images only illustrate the examples; square RGB bytes are shown. */
        const cm_array *im = cm_npz_get(&zv, "images");
        if (st == CM_OK && im) {
            if (im->dtype != CM_U8 || im->ndim != 4 || im->shape[0] != all_img || im->shape[3] != 3)
                st = cm_error(CM_ERR_FORMAT, "%s: images: expected uint8 [%d, H, W, 3], got %s of rank %d", fv, all_img,
                              cm_dtype_name(im->dtype), im->ndim);
            else if (im->shape[1] == im->shape[2]) {
                rgb = im->data;
                side = (int)im->shape[1];
            }
        }
    }
    if (st == CM_OK && (st = cm_npz_read(fh, &zh)) == CM_OK) {
        const cm_array *ang = NULL, *len = NULL;
        int64_t s_h[1] = {net.H};
        if ((st = need(&zh, fh, "rnn0_rv_angles", 1, s_h, &ang)) == CM_OK &&
            (st = need(&zh, fh, "rnn0_rv_lengths", 1, s_h, &len)) == CM_OK) {
            rv_a = cm_alloc(sizeof(double) * net.H);
            rv_l = cm_alloc(sizeof(double) * net.H);
            for (int u = 0; rv_a && rv_l && u < net.H; u++)
                rv_a[u] = get_f(ang, u), rv_l[u] = get_f(len, u);
            if (!rv_a || !rv_l)
                st = cm_error(CM_ERR_NOMEM, "%s: out of memory", fh);
        }
    }
    smp_fig3_summary sum;
    if (st == CM_OK)
        st = draw_figure3(o, common, &net, emb, n_img, rgb, side, rv_a, rv_l, &sum);
    if (st == CM_OK && !common->quiet) {
        printf("figure smp3: %s: RNN-1 of %d units, %d memory slots, gamma %.4g; %d HD units over 0.56\n", o->data,
               net.H, net.S, net.gamma, sum.n_hd_units);
        printf("%d of %d views reset the HD ring within 10 steps, %d never; %d attractor states\n",
               sum.converged_within_10, sum.images, sum.never_converged, sum.attractor_states);
        printf("outputs: %s/figure3.json and fig3_*.png\n", common->out);
    }
    for (int k = 0; k < 7; k++)
        cm_free(bufs[k]);
    cm_free(emb), cm_free(rv_a), cm_free(rv_l);
    cm_npz_free(&zp), cm_npz_free(&zv), cm_npz_free(&zh);
    cm_plot_release_caches();
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("figure", st);
}

/* ------------------------------------------------------------------- CLI */

int cmd_figure(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    figure_opts o = {.shuffles = 1000, .fig3_init = 1000, .max_attractor = 64, .images = 512};
    const char *which = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int r = cli_standard_option(&common, figure_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--data")) {
            if (cli_option_value(argc, argv, &i, &o.data))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--shuffles")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--shuffles", v, 1, 100000, &o.shuffles))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--fig3-init")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--fig3-init", v, 2, 100000, &o.fig3_init))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--max-attractor")) {
            if (cli_option_value(argc, argv, &i, &v) ||
                cli_parse_int("--max-attractor", v, 1, 100000, &o.max_attractor))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--images")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--images", v, 1, 100000, &o.images))
                return CLI_EXIT_USAGE;
        } else if (arg[0] == '-') {
            return cli_usage_error("figure", "unknown option '%s'", arg);
        } else if (!which) {
            which = arg;
        } else {
            return cli_usage_error("figure", "one figure expected, got '%s' and '%s'", which, arg);
        }
    }
    if (!which)
        return cli_usage_error("figure", "expected the figure: smp2 or smp3");
    if (strcmp(which, "smp2") != 0 && strcmp(which, "smp3") != 0)
        return cli_usage_error("figure", "unknown figure '%s' (smp2 or smp3)", which);
    if (!o.data)
        return cli_usage_error("figure", "expected --data DIR (the converted arrays or a cogmap SMP run)");
    if (!common.out)
        return cli_usage_error("figure", "expected --out DIR");
    cm_set_threads(common.threads);
    return strcmp(which, "smp2") == 0 ? figure_smp2(&o, &common) : figure_smp3(&o, &common);
}
