/* What SMP's figures 2 and 3 read (run.h), from DeepMind's released arrays
 * (converted by scripts/smp-data-to-npz; docs/formats.md "SMP released
 * data") or from a cogmap SMP run, so that both sources go through one path:
 * the loaders, panel E's place maps, figure2.json and rnn1_check.json. */
#include "cogmap/io.h"
#include "run/run_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* DeepMind's arrays: trajectories.npz with rnn1..rnn3 side by side. */
static cm_status load_released2(cm_smp_fig2_data *d, const char *file)
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
    if ((st = run_activity_positions(&d->a, file, pos, hd)))
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
                const double v = run_array_value(rnn[k], i * w + j);
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
static cm_status load_activity2(cm_smp_fig2_data *d, const char *file)
{
    cm_status st = cm_activity_read(file, &d->a);
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
        const cm_unit_group g = d->a.groups[k];
        d->a.groups[k] = d->a.groups[j];
        d->a.groups[j] = g;
    }
    d->a.n_groups = 3;
    d->source = "cogmap";
    return CM_OK;
}

cm_status cm_smp_fig2_load(const char *dir, cm_smp_fig2_data *d)
{
    memset(d, 0, sizeof *d);
    cm_status st;
    if (file_exists(dir, "trajectories.npz")) {
        st = cm_path_join(d->file, sizeof d->file, dir, "trajectories.npz");
        if (st == CM_OK)
            st = load_released2(d, d->file);
    } else if (file_exists(dir, "activity.npz")) {
        st = cm_path_join(d->file, sizeof d->file, dir, "activity.npz");
        if (st == CM_OK)
            st = load_activity2(d, d->file);
    } else {
        st = cm_error(CM_ERR_IO, "%s: neither trajectories.npz (scripts/smp-data-to-npz) nor activity.npz (cogmap "
                                 "eval of an SMP run) found",
                      dir);
    }
    return st;
}

void cm_smp_fig2_free(cm_smp_fig2_data *d) { cm_activity_free(&d->a); }

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
cm_status cm_smp_fig2_write(const char *dir, const cm_smp_fig2_data *d, const cm_classify_opts *co,
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
        const cm_unit_group *g = &d->a.groups[k];
        cm_class_counts c;
        cm_class_counts_of(r, g->start, g->end, &c);
        cJSON *o = cJSON_AddObjectToObject(rnns, g->name);
        cJSON_AddNumberToObject(o, "first_unit", (double)g->start);
        cm_class_counts_json(o, &c);
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

cm_status cm_smp_fig2_place_maps(const cm_smp_fig2_data *d, double **maps_out, int *nx_out, int *ny_out, int *slots,
                                 int *n_slots)
{
    static const int notebook[5] = {43, 45, 96, 508, 510};
    *n_slots = 0;
    *maps_out = NULL;
    *nx_out = *ny_out = 0;
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
            cm_smp_pick_place_slots(maps, S, nx * ny, slots, want);
        *n_slots = want;
        *maps_out = maps;
        *nx_out = nx, *ny_out = ny;
        maps = NULL;
    }
    cm_free(xe), cm_free(ye), cm_free(p), cm_free(maps);
    return st;
}

/* ------------------------------------------------------------- figure 3 */

#define PARAM "integrator.multi_integrator_nets."
#define MEMORY "integrator.memory_map_0."

/* DeepMind's RNN-1 from parameters.npz, every tensor checked against SMP's
 * LSTM form before anything runs. The float32 copies go into `bufs`. */
static cm_status load_released_net(const cm_npz *z, const char *file, cm_smp_hd_net *net, float *bufs[7])
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
    const double q = run_array_value(beta, 0);
    if (!isfinite(q) || fabs(q) > 80)
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a finite log temperature, got %g", file, beta->name, q);
    *net = (cm_smp_hd_net){.H = (int)H,
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

/* Through the same cell code the panels run; the tests check it against
 * smp.md §10's vectors. */
cm_status cm_smp_rnn1_check_write(const char *dir, const cm_smp_hd_net *net, const float *emb)
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
        cm_smp_cell_forward(h1, c1, g, zin, u, s0, s0, net->wp, net->bp, 1, 2, H);
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
    cm_smp_fig2_data d;
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
    cm_activity_free(&d.a);
    return st;
}

/* Figure 3 of a cogmap SMP run: its trained RNN-1 and memory from the newest
 * checkpoint, probe views rendered at random poses (as `cogmap eval` does). */
static cm_status fig3_inputs_run(const char *dir, int images, cm_smp_fig3_inputs *in)
{
    cm_smp_run_config cfg;
    cm_status st = cm_smp_run_config_read(&cfg, dir);
    if (st == CM_OK)
        st = cm_smp_job_create(&cfg, &in->job);
    cm_train_state state;
    if (st == CM_OK)
        st = cm_train_checkpoint_load(dir, &cm_smp_job_ops, in->job, &state, NULL, NULL);
    if (st != CM_OK)
        return st;
    cm_smp_session *s = cm_smp_job_session(in->job);
    const cm_smp_config *mc = &cfg.model;
    const int H = mc->hidden[0], NI = images, side = mc->image;
    in->source = "cogmap";
    in->step = state.step;
    in->n_img = NI;
    in->side = side;
    in->rv_angle = cm_alloc(sizeof(double) * H);
    in->rv_len = cm_alloc(sizeof(double) * H);
    in->own_rgb = cm_alloc((size_t)NI * side * side * 3);
    in->emb = cm_alloc((size_t)NI * mc->embed * sizeof(float));
    if (!in->rv_angle || !in->rv_len || !in->own_rgb || !in->emb)
        return cm_error(CM_ERR_NOMEM, "figure 3: out of memory for %d probe views", NI);
    in->rgb = in->own_rgb;
    st = run_hd_stats(dir, H, in->rv_angle, in->rv_len);
    if (st == CM_OK)
        st = cm_smp_probe_views(s, NI, in->own_rgb, in->emb);
    cm_smp_hd_net_of_model(&in->net, s->m);
    return st;
}

/* DeepMind's released arrays: RNN-1 and the memory, the probe views'
 * embeddings (and images, when square RGB) and RNN-1's resultant vectors. */
static cm_status fig3_inputs_released(const char *dir, int max_images, cm_smp_fig3_inputs *in)
{
    char fp[4096], fv[4096], fh[4096];
    cm_status st = CM_OK;
    static const char *const need_files[3] = {"parameters.npz", "visual_inputs.npz", "hd_stats.npz"};
    for (int k = 0; k < 3 && st == CM_OK; k++)
        if (!file_exists(dir, need_files[k]))
            st = cm_error(CM_ERR_IO, "%s: %s: missing (scripts/smp-data-to-npz converts %s.pickle)", dir,
                          need_files[k], k == 0 ? "parameters" : k == 1 ? "visual_inputs" : "hd_stats");
    in->source = "released";
    in->step = -1;
    if (st == CM_OK && (st = cm_path_join(fp, sizeof fp, dir, need_files[0])) == CM_OK &&
        (st = cm_path_join(fv, sizeof fv, dir, need_files[1])) == CM_OK &&
        (st = cm_path_join(fh, sizeof fh, dir, need_files[2])) == CM_OK && (st = cm_npz_read(fp, &in->z[0])) == CM_OK)
        st = load_released_net(&in->z[0], fp, &in->net, in->bufs);
    if (st == CM_OK && (st = cm_npz_read(fv, &in->z[1])) == CM_OK) {
        const cm_array *e;
        int64_t s_e[2] = {-1, in->net.D};
        st = need(&in->z[1], fv, "embeddings", 2, s_e, &e);
        if (st == CM_OK && e->shape[0] < 1)
            st = cm_error(CM_ERR_FORMAT, "%s: embeddings: expected at least one image, got none", fv);
        const int all_img = st == CM_OK ? (int)e->shape[0] : 0;
        if (st == CM_OK)
            st = to_f32(e, fv, &in->emb);
        /* max_images: the first N (for quick looks; the notebook uses all) */
        in->n_img = all_img > max_images ? max_images : all_img;
        /* The images only illustrate the examples; square RGB bytes are shown. */
        const cm_array *im = cm_npz_get(&in->z[1], "images");
        if (st == CM_OK && im) {
            if (im->dtype != CM_U8 || im->ndim != 4 || im->shape[0] != all_img || im->shape[3] != 3)
                st = cm_error(CM_ERR_FORMAT, "%s: images: expected uint8 [%d, H, W, 3], got %s of rank %d", fv, all_img,
                              cm_dtype_name(im->dtype), im->ndim);
            else if (im->shape[1] == im->shape[2]) {
                in->rgb = im->data;
                in->side = (int)im->shape[1];
            }
        }
    }
    if (st == CM_OK && (st = cm_npz_read(fh, &in->z[2])) == CM_OK) {
        const cm_array *ang = NULL, *len = NULL;
        int64_t s_h[1] = {in->net.H};
        if ((st = need(&in->z[2], fh, "rnn0_rv_angles", 1, s_h, &ang)) == CM_OK &&
            (st = need(&in->z[2], fh, "rnn0_rv_lengths", 1, s_h, &len)) == CM_OK) {
            in->rv_angle = cm_alloc(sizeof(double) * in->net.H);
            in->rv_len = cm_alloc(sizeof(double) * in->net.H);
            for (int u = 0; in->rv_angle && in->rv_len && u < in->net.H; u++)
                in->rv_angle[u] = run_array_value(ang, u), in->rv_len[u] = run_array_value(len, u);
            if (!in->rv_angle || !in->rv_len)
                st = cm_error(CM_ERR_NOMEM, "%s: out of memory", fh);
        }
    }
    return st;
}

cm_status cm_smp_fig3_inputs_load(const char *dir, int max_images, cm_smp_fig3_inputs *in)
{
    memset(in, 0, sizeof *in);
    if (max_images < 1)
        return cm_error(CM_ERR_ARG, "figure 3: images: expected >= 1, got %d", max_images);
    if (!file_exists(dir, "parameters.npz") && cm_smp_is_run(dir))
        return fig3_inputs_run(dir, max_images, in);
    return fig3_inputs_released(dir, max_images, in);
}

void cm_smp_fig3_inputs_free(cm_smp_fig3_inputs *in)
{
    for (int k = 0; k < 7; k++)
        cm_free(in->bufs[k]);
    for (int k = 0; k < 3; k++)
        cm_npz_free(&in->z[k]);
    cm_free(in->emb), cm_free(in->rv_angle), cm_free(in->rv_len), cm_free(in->own_rgb);
    cm_smp_job_free(in->job);
    memset(in, 0, sizeof *in);
}
