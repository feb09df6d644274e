/* `cogmap map` as a library call (maprun.h): the models behind cm_map_run's
 * callbacks (BEV predictor, detector, pose source), and the outputs. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/bevnet.h"
#include "cogmap/io.h"
#include "cogmap/maprun.h"
#include "cogmap/plot.h"

void cm_maprun_options_default(cm_maprun_options *o)
{
    memset(o, 0, sizeof *o);
    o->bev_run = "truth";
    o->pose = "truth";
    cm_map_run_config_default(&o->run);
    o->gif_frames = 60;
    o->scale = 3;
}

cm_status cm_maprun_options_check(const cm_maprun_options *o)
{
    if (!o->bev_run)
        return cm_error(CM_ERR_ARG, "--bev RUN (a BEV predictor run) or --bev truth is required");
    if (!o->pose || (strcmp(o->pose, "truth") && strcmp(o->pose, "deadreckon") && strncmp(o->pose, "pathint:", 8)))
        return cm_error(CM_ERR_ARG, "--pose: expected truth, deadreckon or pathint:GRIDRUN, got '%s'",
                        o->pose ? o->pose : "");
    if (o->correct && !strcmp(o->pose, "truth"))
        return cm_error(CM_ERR_ARG, "--correct corrects estimated poses: use it with --pose pathint:... or deadreckon");
    return CM_OK;
}

/* ------------------------------------------------------------ providers */

typedef struct bev_view {
    cm_bevnet *m;
    cm_bevnet_state *s;
    float *pred; /* [4, out, out] */
    int out;
} bev_view;

static cm_status bev_predict(void *ctx, const uint8_t *rgb, float *alpha)
{
    bev_view *v = ctx;
    cm_status st = cm_bevnet_predict(v->m, v->s, rgb, 1, v->pred);
    if (!st)
        memcpy(alpha, v->pred + (size_t)3 * v->out * v->out, (size_t)v->out * v->out * sizeof(float));
    return st;
}

typedef struct det_view {
    cm_detector *m;
    cm_detector_state *s;
    float *image;
} det_view;

static cm_status det_detect(void *ctx, const uint8_t *rgb, float theta, float *visible, float *position)
{
    det_view *d = ctx;
    const cm_detector_config *c = cm_detector_get_config(d->m);
    float angle[2] = {cosf(theta), sinf(theta)};
    cm_detector_image(rgb, d->image);
    cm_detector_batch b = {1, d->image, angle, NULL, NULL, 1.0f};
    cm_status st = cm_detector_forward(d->m, d->s, &b, NULL, NULL);
    if (st)
        return st;
    const int K = c->objects < CM_MAZE_MAX_TARGETS ? c->objects : CM_MAZE_MAX_TARGETS;
    for (int k = 0; k < CM_MAZE_MAX_TARGETS; k++) {
        visible[k] = k < K ? cm_detector_visibility(d->s)[k] : 0.0f;
        position[2 * k] = position[2 * k + 1] = 0.0f;
        if (k < K)
            cm_detector_place(d->m, d->s, 0, k, &position[2 * k]);
    }
    return CM_OK;
}

/* The agent's own motion summed exactly: the noise-free reference. */
typedef struct exact_odo {
    cm_pose p;
} exact_odo;

static cm_status ex_reset(void *ctx, cm_pose s)
{
    ((exact_odo *)ctx)->p = s;
    return CM_OK;
}

static cm_status ex_step(void *ctx, const float d[2], float dtheta, cm_pose *e)
{
    exact_odo *o = ctx;
    o->p.x += d[0];
    o->p.y += d[1];
    o->p.theta = remainderf(o->p.theta + dtheta, 2.0f * (float)M_PI);
    *e = o->p;
    return CM_OK;
}

static cm_status ex_anchor(void *ctx, cm_pose p)
{
    ((exact_odo *)ctx)->p = p;
    return CM_OK;
}

/* A detector run's best checkpoint, its newest, or the folder itself. */
static int is_safetensors(const char *path)
{
    size_t n = strlen(path), k = strlen(".safetensors");
    return n > k && strcmp(path + n - k, ".safetensors") == 0;
}

/* SSM-PC's own trained network, converted by scripts/pth-to-safetensors:
 * the full-size preset (SSM-PC's architecture), its weights checked by name
 * and shape. */
static cm_status load_foreign_bev(const char *path, cm_bevnet **out)
{
    cm_bevnet_config c;
    cm_status st = cm_bevnet_preset("bev", &c);
    if (!st)
        st = cm_bevnet_create(&c, 0, out);
    if (!st && (st = cm_bevnet_load_state_dict(*out, path))) {
        cm_bevnet_free(*out);
        *out = NULL;
    }
    return st;
}

static cm_status load_detector(const char *path, cm_detector **out)
{
    char p[4200];
    FILE *f;
    if (is_safetensors(path)) {
        cm_detector_config c;
        cm_status st = cm_detector_preset("detector", &c);
        if (!st)
            st = cm_detector_create(&c, 0, out);
        if (!st && (st = cm_detector_load_weights(*out, path))) {
            cm_detector_free(*out);
            *out = NULL;
        }
        return st;
    }
    snprintf(p, sizeof p, "%s/config.json", path);
    if ((f = fopen(p, "rb"))) {
        fclose(f);
        return cm_detector_load(path, out);
    }
    snprintf(p, sizeof p, "%s/checkpoints/best", path);
    snprintf(p + strlen(p), sizeof p - strlen(p), "/config.json");
    if ((f = fopen(p, "rb"))) {
        fclose(f);
        p[strlen(p) - strlen("/config.json")] = 0;
        return cm_detector_load(p, out);
    }
    int64_t *steps = NULL;
    int n = 0;
    cm_status st = cm_train_checkpoint_list(path, &steps, &n);
    if (!st && n == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: no detector checkpoint (config.json, checkpoints/best or step_N)", path);
    if (!st) {
        snprintf(p, sizeof p, "%s/checkpoints/step_%08lld", path, (long long)steps[n - 1]);
        st = cm_detector_load(p, out);
    }
    cm_free(steps);
    return st;
}

/* -------------------------------------------------------------- outputs */

static int num(cJSON *o, const char *k, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

static cm_status write_summary(const char *dir, const cm_maprun_options *o, const cm_map_run_result *r)
{
    cJSON *root = cJSON_CreateObject(), *drift = NULL, *truth = NULL;
    int ok = root && cJSON_AddStringToObject(root, "bev", o->bev_run) &&
             cJSON_AddStringToObject(root, "detector", o->detector_run ? o->detector_run : "") &&
             cJSON_AddStringToObject(root, "pose", o->pose) && num(root, "correct", o->correct) &&
             num(root, "size", r->size) && num(root, "seed", (double)o->run.seed) && num(root, "steps", r->steps) &&
             num(root, "map_iou", r->scores.iou) && num(root, "map_iou_truth_bev", r->truth_scores.iou) &&
             num(root, "map_iou_ratio", r->scores.iou / r->truth_scores.iou) &&
             num(root, "map_iou_all_free", r->scores.iou_all_free) &&
             num(root, "coverage", r->scores.coverage) && num(root, "coverage_truth_bev", r->truth_scores.coverage) &&
             num(root, "map_accuracy", r->scores.accuracy) && num(root, "map_precision", r->scores.precision) &&
             num(root, "map_recall", r->scores.recall) && num(root, "scored_cells", r->scores.scored) &&
             num(root, "target_error", r->scores.target_error) && num(root, "targets_placed", r->scores.n_targets) &&
             num(root, "targets", r->n_targets) && num(root, "corrections", r->corrections) &&
             num(root, "heading_corrections", r->heading_corrections) &&
             (drift = cJSON_AddObjectToObject(root, "pose_drift")) && num(drift, "mean", r->drift_mean) &&
             num(drift, "final", r->drift_final) && num(drift, "heading_mean", r->heading_drift_mean) &&
             (truth = cJSON_AddObjectToObject(root, "truth_bev")) && num(truth, "accuracy", r->truth_scores.accuracy) &&
             num(truth, "target_error", r->truth_scores.target_error);
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build summary.json", dir);
    }
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "summary.json");
    if (!st)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

static cm_status write_outputs(const char *dir, const cm_maprun_options *o, cm_map_run_result *r)
{
    char path[4096];
    int w, h;
    float *l = cm_map_logodds(r->map, &w, &h);
    int64_t shape[2] = {h, w};
    cm_array a = cm_array_view("", CM_F32, 2, shape, l);
    cm_status st = cm_path_join(path, sizeof path, dir, "map.npy");
    if (!st)
        st = cm_npy_write(path, &a);
    /* map.png: the last snapshot */
    if (!st && r->n_snapshots > 0) {
        cm_image img = {r->snapshot_width, r->snapshot_height, 3,
                        r->snapshots + (size_t)(r->n_snapshots - 1) * r->snapshot_width * r->snapshot_height * 3};
        if (!(st = cm_path_join(path, sizeof path, dir, "map.png")))
            st = cm_png_write(path, &img);
    }
    if (!st && r->n_snapshots > 0) {
        const uint8_t **frames = cm_alloc((size_t)r->n_snapshots * sizeof *frames);
        if (!frames)
            return cm_error(CM_ERR_NOMEM, "%s: out of memory for the GIF", dir);
        for (int i = 0; i < r->n_snapshots; i++)
            frames[i] = r->snapshots + (size_t)i * r->snapshot_width * r->snapshot_height * 3;
        if (!(st = cm_path_join(path, sizeof path, dir, "map.gif")))
            st = cm_gif_write(path, frames, r->n_snapshots, r->snapshot_width, r->snapshot_height, 12);
        cm_free(frames);
    }
    return st ? st : write_summary(dir, o, r);
}

/* -------------------------------------------------------------- command */

cm_status cm_maprun(const cm_maprun_options *o, const char *dir, cm_map_run_result *out, FILE *progress)
{
    memset(out, 0, sizeof *out);
    cm_status st = cm_maprun_options_check(o);
    if (st)
        return st;
    cm_map_run_config rc = o->run;
    rc.map.size = rc.size;
    bev_view bv = {0};
    det_view dv = {0};
    cm_pathint_odometry *po = NULL;
    exact_odo ex = {{0, 0, 0}};
    cm_map_odometry odo = {0}, *odo_p = NULL;
    /* the models first: nothing is written when one fails */
    if (strcmp(o->bev_run, "truth") != 0) {
        if (!(st = is_safetensors(o->bev_run) ? load_foreign_bev(o->bev_run, &bv.m) : cm_bevnet_load(o->bev_run, &bv.m))) {
            const cm_bevnet_config *bc = cm_bevnet_get_config(bv.m);
            bv.out = bc->out;
            cm_bevnet_frame(bc, &rc.map.frame);
            rc.bev.fov_deg = bc->fov;
            if (!(st = cm_bevnet_state_create(bv.m, 1, 0, &bv.s)) &&
                !(bv.pred = cm_alloc((size_t)4 * bc->out * bc->out * sizeof(float))))
                st = cm_error(CM_ERR_NOMEM, "map: out of memory");
        }
        if (st)
            cm_error_context(st, "--bev %s: ", o->bev_run);
    }
    if (!st && o->detector_run) {
        if (!(st = load_detector(o->detector_run, &dv.m)) && !(st = cm_detector_state_create(dv.m, 1, &dv.s)) &&
            !(dv.image = cm_alloc((size_t)3 * CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE * sizeof(float))))
            st = cm_error(CM_ERR_NOMEM, "map: out of memory");
        if (st)
            cm_error_context(st, "--detector %s: ", o->detector_run);
    }
    if (!st) {
        if (!strncmp(o->pose, "pathint:", 8)) {
            if (!(st = cm_pathint_odometry_open(o->pose + 8, o->chunk, &po))) {
                odo = cm_pathint_odometry_ops(po);
                odo_p = &odo;
            }
        } else if (!strcmp(o->pose, "deadreckon")) {
            odo = (cm_map_odometry){&ex, ex_reset, ex_step, ex_anchor};
            odo_p = &odo;
        } else if (strcmp(o->pose, "truth") != 0) {
            st = cm_error(CM_ERR_ARG, "--pose %s: expected truth, deadreckon or pathint:GRIDRUN", o->pose);
        }
    }
    rc.correct = odo_p && o->correct;
    if (!st && o->gif_frames > 0)
        rc.snapshot_every = rc.steps / o->gif_frames > 0 ? rc.steps / o->gif_frames : 1;
    rc.snapshot_scale = o->scale;
    if (!st && !(st = cm_map_run(&rc, bv.m ? bev_predict : NULL, &bv, dv.m ? det_detect : NULL, &dv, odo_p, out,
                                 progress))) {
        if (dir && !(st = cm_mkdir_p(dir)))
            st = write_outputs(dir, o, out);
    }
    cm_pathint_odometry_free(po);
    cm_bevnet_state_free(bv.s);
    cm_bevnet_free(bv.m);
    cm_free(bv.pred);
    cm_detector_state_free(dv.s);
    cm_detector_free(dv.m);
    cm_free(dv.image);
    if (st)
        cm_map_run_result_free(out);
    return st;
}

/* -------------------------------------------------------------- summary */

cm_status cm_maprun_summary(const cm_maprun_options *o, const cm_map_run_result *r, const char *dir, cm_summary *out)
{
    memset(out, 0, sizeof *out);
    const cm_map_scores *m = &r->scores, *t = &r->truth_scores;
    const char *keys[] = {"correct", "size", "seed", "steps", "map_iou", "map_iou_truth_bev", "map_iou_ratio",
                          "map_iou_all_free", "coverage", "coverage_truth_bev", "map_accuracy", "map_precision",
                          "map_recall", "scored_cells", "target_error", "targets_placed", "targets", "corrections",
                          "heading_corrections", "pose_drift.mean", "pose_drift.final", "pose_drift.heading_mean",
                          "truth_bev.accuracy", "truth_bev.target_error"};
    const char *units[] = {"", "cells", "", "", "", "", "", "", "share", "share", "", "", "", "cells", "cells", "",
                           "", "", "", "cells", "cells", "rad", "", "cells"};
    const double vals[] = {o->correct, r->size, (double)o->run.seed, r->steps, m->iou, t->iou, m->iou / t->iou,
                           m->iou_all_free, m->coverage, t->coverage, m->accuracy, m->precision, m->recall, m->scored,
                           m->target_error, m->n_targets, r->n_targets, r->corrections, r->heading_corrections,
                           r->drift_mean, r->drift_final, r->heading_drift_mean, t->accuracy, t->target_error};
    cm_status st = CM_OK;
    for (size_t k = 0; k < sizeof vals / sizeof vals[0] && st == CM_OK; k++) /* null in summary.json: NaN */
        st = cm_summary_add(out, keys[k], units[k], isfinite(vals[k]) ? vals[k] : NAN);
    cm_summary_printf(out, "map of maze %llu (%dx%d), %d steps, poses %s%s\n", (unsigned long long)o->run.seed,
                      r->size, r->size, r->steps, o->pose, o->correct ? " (corrected)" : "");
    cm_summary_printf(out, "  map_iou            %.4f over %d seen cells (ceiling from true BEVs %.4f, ratio %.3f)\n",
                      m->iou, m->scored, t->iou, m->iou / t->iou);
    cm_summary_printf(out, "  all-free floor     %.4f (the iou of a map calling every seen cell free)\n",
                      m->iou_all_free);
    cm_summary_printf(out, "  coverage           %.3f of the free cells known (true BEVs %.3f)\n", m->coverage,
                      t->coverage);
    cm_summary_printf(out, "  pose drift         mean %.3f cells, final %.3f, heading %.3f rad (%d cell, %d heading "
                           "corrections)\n", r->drift_mean, r->drift_final, r->heading_drift_mean, r->corrections,
                      r->heading_corrections);
    if (o->detector_run)
        cm_summary_printf(out, "  target error       %.3f cells over %d of %d targets\n", m->target_error,
                          m->n_targets, r->n_targets);
    if (dir)
        cm_summary_printf(out, "  outputs            %s/map.npy, map.png, map.gif, summary.json\n", dir);
    return st;
}
