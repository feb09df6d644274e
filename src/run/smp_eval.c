/* An SMP run evaluated on fresh trajectories (run.h): the activity the
 * classification reads, every unit's classification, the P(s|y) maps of
 * the memory slots, celltypes.json, and the probe views figure 3 corrects
 * with. */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#define RAYS 36

void cm_smp_eval_opts_default(cm_smp_eval_opts *o)
{
    *o = (cm_smp_eval_opts){.trajectories = 800, .steps = 500, .correct_every = 10, .shuffles = 1000,
                            .place_bins = 16};
}

void cm_smp_evaluation_free(cm_smp_evaluation *ev)
{
    if (!ev)
        return;
    cm_activity_free(&ev->a);
    cm_classify_free(&ev->cls);
    cm_free(ev->place_maps);
    memset(ev, 0, sizeof *ev);
}

/* The place-map bin of a position: the arena's bounds 1 cm wider (a path
 * may touch a wall), cut into `bins` per side. */
static int place_bin(const cm_arena *ar, int bins, float x, float y)
{
    const double x0 = ar->xmin - 0.01, y0 = ar->ymin - 0.01;
    const double wx = (ar->xmax - ar->xmin + 0.02) / bins, wy = (ar->ymax - ar->ymin + 0.02) / bins;
    int ix = (int)floor((x - x0) / wx), iy = (int)floor((y - y0) / wy);
    ix = ix < 0 ? 0 : ix >= bins ? bins - 1 : ix;
    iy = iy < 0 ? 0 : iy >= bins ? bins - 1 : iy;
    return ix * bins + iy;
}

/* Runs the trajectories chunk by chunk into the activity and the P(s|y) sums. */
static cm_status run_paths(cm_smp_session *s, const cm_smp_eval_opts *o, cm_progress *progress, cm_smp_evaluation *ev,
                           double *psum, int64_t *pcnt)
{
    const int U = ev->a.units, S = s->cfg.model.slots, T = o->steps, PB = o->place_bins;
    const int64_t NT = o->trajectories;
    const int CB = (int)(NT < 50 ? NT : 50);
    float *ppos = cm_alloc((size_t)CB * (T + 1) * 2 * sizeof(float)), *pth = cm_alloc((size_t)CB * (T + 1) * sizeof(float));
    float *logp = cm_alloc((size_t)CB * T * S * sizeof(float));
    /* One state per chunk shape: CB paths, and the remainder. */
    cm_smp_state *full = NULL, *rest = NULL;
    cm_status st = !ppos || !pth || !logp ? cm_error(CM_ERR_NOMEM, "eval: out of memory for %d paths", CB) : CM_OK;
    if (st == CM_OK)
        st = cm_smp_state_create(s->m, CB, T, &full);
    if (st == CM_OK && NT % CB)
        st = cm_smp_state_create(s->m, (int)(NT % CB), T, &rest);
    if (progress && st == CM_OK)
        cm_progress_start(progress, progress->out, "eval smp: trajectories", NT);
    double loss_sum = 0;
    for (int64_t k0 = 0; st == CM_OK && k0 < NT; k0 += CB) {
        const int nb = (int)(NT - k0 < CB ? NT - k0 : CB);
        /* Fresh trajectories: their own stream (seed, 0x45 "E" << 32 | k). */
        for (int b = 0; b < nb; b++) {
            cm_rng rng;
            cm_rng_seed(&rng, s->cfg.seed, (0x45ULL << 32) | (uint64_t)(k0 + b));
            cm_smp_session_path(s, &rng, T, ppos + (size_t)b * (T + 1) * 2, pth + (size_t)b * (T + 1));
        }
        double loss = 0;
        st = cm_smp_run(s->m, nb == CB ? full : rest, ppos, pth, o->correct_every, ev->a.act + (size_t)k0 * T * U, logp,
                        NULL, &loss);
        loss_sum += loss * nb;
        for (int b = 0; st == CM_OK && b < nb; b++)
            for (int t = 0; t < T; t++) {
                const int64_t i = (k0 + b) * T + t;
                const float *pp = ppos + ((size_t)b * (T + 1) + t + 1) * 2;
                ev->a.pos[2 * i] = pp[0], ev->a.pos[2 * i + 1] = pp[1];
                ev->a.hd[i] = pth[(size_t)b * (T + 1) + t + 1];
                cm_arena_distances(&s->arena, pp[0], pp[1], 0.0f, RAYS, ev->a.dist + (size_t)i * RAYS);
                const int cell = place_bin(&s->arena, PB, pp[0], pp[1]);
                pcnt[cell]++;
                const float *lp = logp + ((size_t)b * T + t) * S;
                for (int sl = 0; sl < S; sl++)
                    psum[(size_t)sl * PB * PB + cell] += exp(lp[sl]);
            }
        if (progress)
            cm_progress_update(progress, k0 + nb, NULL);
        if (cm_interrupted())
            st = cm_error(CM_ERR_INTERRUPTED, "eval: interrupted");
    }
    ev->loss = loss_sum / NT;
    if (progress && st == CM_OK)
        cm_progress_finish(progress, "loss %.4f", ev->loss);
    cm_free(ppos), cm_free(pth), cm_free(logp);
    cm_smp_state_free(full), cm_smp_state_free(rest);
    return st;
}

cm_status cm_smp_evaluate(cm_smp_session *s, const cm_smp_eval_opts *o, cm_progress *progress, cm_smp_evaluation *ev)
{
    memset(ev, 0, sizeof *ev);
    if (o->trajectories < 1 || o->steps < 2 || o->correct_every < 0 || o->shuffles < 1 || o->place_bins < 1)
        return cm_error(CM_ERR_ARG, "smp evaluation: expected trajectories >= 1, steps >= 2, correct_every >= 0, "
                                    "shuffles >= 1 and place_bins >= 1");
    const cm_smp_config *mc = &s->cfg.model;
    const int U = mc->hidden[0] + mc->hidden[1] + mc->hidden[2], S = mc->slots, PB = o->place_bins;
    const int64_t N = (int64_t)o->trajectories * o->steps;
    cm_activity *a = &ev->a;
    a->n = N, a->units = U, a->rays = RAYS, a->own_dist = a->own_act = 1;
    a->act = cm_alloc((size_t)N * U * sizeof(float));
    a->dist = cm_alloc((size_t)N * RAYS * sizeof(float));
    a->pos = cm_alloc((size_t)N * 2 * sizeof(double));
    a->hd = cm_alloc((size_t)N * sizeof(double));
    const cm_unit_group groups[3] = {{"rnn1", 0, mc->hidden[0]},
                                     {"rnn2", mc->hidden[0], mc->hidden[0] + mc->hidden[1]},
                                     {"rnn3", mc->hidden[0] + mc->hidden[1], U}};
    memcpy(a->groups, groups, sizeof groups);
    a->n_groups = 3;
    ev->slots = S;
    ev->place_bins = PB;
    ev->place_maps = cm_alloc((size_t)S * PB * PB * sizeof(double));
    double *psum = cm_calloc((size_t)S * PB * PB, sizeof(double));
    int64_t *pcnt = cm_calloc((size_t)PB * PB, sizeof(int64_t));
    cm_status st = CM_OK;
    if (!a->act || !a->dist || !a->pos || !a->hd || !ev->place_maps || !psum || !pcnt)
        st = cm_error(CM_ERR_NOMEM, "eval: out of memory for %lld samples", (long long)N);
    if (st == CM_OK)
        st = run_paths(s, o, progress, ev, psum, pcnt);
    for (int sl = 0; st == CM_OK && sl < S; sl++)
        for (int i = 0; i < PB * PB; i++)
            ev->place_maps[(size_t)sl * PB * PB + i] = pcnt[i] ? psum[(size_t)sl * PB * PB + i] / pcnt[i] : NAN;
    if (st == CM_OK) {
        cm_classify_opts co;
        cm_classify_defaults(&co);
        co.n_shuffles = o->shuffles;
        co.seed = s->cfg.seed;
        co.grid_bins = 0;
        st = cm_classify_units(a->pos, a->hd, a->dist, RAYS, a->act, N, U, &co, progress, &ev->cls);
    }
    cm_free(psum), cm_free(pcnt);
    if (st != CM_OK)
        cm_smp_evaluation_free(ev);
    return st;
}

void cm_smp_pick_place_slots(const double *maps, int S, int cells, int *out, int k)
{
    double *score = cm_alloc((size_t)S * sizeof(double));
    if (!score) {
        for (int j = 0; j < k; j++)
            out[j] = j;
        return;
    }
    for (int s = 0; s < S; s++) {
        double mx = 0, sum = 0;
        int n = 0;
        for (int i = 0; i < cells; i++) {
            const double v = maps[(size_t)s * cells + i];
            if (isfinite(v)) {
                sum += v, n++;
                if (v > mx)
                    mx = v;
            }
        }
        score[s] = (n && sum > 0) ? mx / (sum / n) : 0;
    }
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int s = 0; s < S; s++) {
            int used = 0;
            for (int q = 0; q < j; q++)
                used |= out[q] == s;
            if (!used && (best < 0 || score[s] > score[best]))
                best = s;
        }
        out[j] = best;
    }
    cm_free(score);
}

cm_status cm_smp_celltypes_write(const char *dir, const cm_smp_evaluation *ev, const cm_smp_hd_result *f3)
{
    const cm_classify_result *res = &ev->cls;
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", "cogmap smp celltypes") &&
             cJSON_AddNumberToObject(root, "samples", (double)ev->a.n);
    cJSON *th = ok ? cJSON_AddObjectToObject(root, "thresholds") : NULL;
    ok = ok && th && cJSON_AddNumberToObject(th, "hd", res->hd_threshold) &&
         cJSON_AddNumberToObject(th, "ego_bvc", res->ego_threshold) &&
         cJSON_AddNumberToObject(th, "allo_bvc", res->allo_threshold);
    for (int k = 0; ok && k < ev->a.n_groups; k++) {
        cm_class_counts c;
        cm_class_counts_of(res, ev->a.groups[k].start, ev->a.groups[k].end, &c);
        cJSON *o = cJSON_AddObjectToObject(root, ev->a.groups[k].name);
        ok = o && cm_class_counts_json(o, &c);
        cJSON *t = ok ? cJSON_AddObjectToObject(o, "thresholds") : NULL;
        ok = ok && t && cJSON_AddNumberToObject(t, "hd", res->hd_threshold) &&
             cJSON_AddNumberToObject(t, "ego_bvc", res->ego_threshold) &&
             cJSON_AddNumberToObject(t, "allo_bvc", res->allo_threshold);
    }
    if (ok && f3) {
        cJSON *o = cJSON_AddObjectToObject(root, "figure3");
        ok = o && cJSON_AddNumberToObject(o, "hd_units_over_0.56", f3->n_hd_units) &&
             cJSON_AddNumberToObject(o, "images", f3->images) &&
             cJSON_AddNumberToObject(o, "images_converged_within_10_steps", f3->converged_within_10) &&
             cJSON_AddNumberToObject(o, "images_never_converged", f3->never_converged);
    }
    char path[4096];
    cm_status st = ok ? cm_path_join(path, sizeof path, dir, "celltypes.json")
                      : cm_error(CM_ERR_NOMEM, "%s/celltypes.json: out of memory", dir);
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

cm_status cm_smp_probe_views(cm_smp_session *s, int n, uint8_t *rgb, float *emb)
{
    const int side = cm_smp_get_config(s->m)->image;
    /* Uniform 0.1 inside the arena's bounds (float bounds: the 2.2 m box gives
     * exactly [-1, 1]). */
    const float x0 = s->arena.xmin + 0.1f, x1 = s->arena.xmax - 0.1f;
    const float y0 = s->arena.ymin + 0.1f, y1 = s->arena.ymax - 0.1f;
    cm_rng rng;
    /* Stream "PROBE": eval and figure render the same views of a run. */
    cm_rng_seed(&rng, s->cfg.seed, 0x50524f4245ULL);
    for (int i = 0; i < n; i++) {
        cm_pose pose = {(float)cm_rng_uniform(&rng, x0, x1), (float)cm_rng_uniform(&rng, y0, y1),
                        (float)cm_rng_uniform(&rng, -M_PI, M_PI)};
        cm_smp_render(s->m, s->state, pose, rgb + (size_t)i * side * side * 3);
    }
    return cm_smp_embed(s->m, s->state, rgb, n, emb);
}
