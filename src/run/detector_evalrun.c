/* The detector's held-out evaluation (detrun.h): the model on a split's
 * frames against a baseline of per-target rates, and `cogmap eval RUN`'s
 * summary.json. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/detrun.h"
#include "cogmap/io.h"

cm_status cm_detector_evaluate(const cm_detector *m, cm_detector_data *d, cm_detector_split split, int frames,
                               int baseline_frames, double threshold, cm_detector_evaluation *out,
                               cm_progress *progress)
{
    memset(out, 0, sizeof *out);
    const cm_detector_config *c = cm_detector_get_config(m);
    const int K = c->objects, B = c->batch;
    if (frames < 1 || baseline_frames < 1)
        return cm_error(CM_ERR_ARG, "detector evaluation: frames and baseline_frames: expected >= 1, got %d, %d",
                        frames, baseline_frames);
    out->split = split;
    out->mazes = cm_detector_data_mazes(d, split);
    const size_t n = (size_t)frames * K;
    float *vis = cm_alloc(n * sizeof(float)), *pos = cm_alloc(2 * n * sizeof(float));
    float *lab = cm_alloc(n * sizeof(float)), *tpos = cm_alloc(2 * n * sizeof(float));
    float *image = cm_alloc((size_t)B * 3 * CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE * sizeof(float));
    float *angle = cm_alloc((size_t)B * 2 * sizeof(float));
    float *bl_lab = cm_alloc((size_t)B * K * sizeof(float)), *bl_pos = cm_alloc((size_t)B * K * 2 * sizeof(float));
    cm_detector_state *s = NULL;
    cm_status st = CM_OK;
    if (!vis || !pos || !lab || !tpos || !image || !angle || !bl_lab || !bl_pos)
        st = cm_error(CM_ERR_NOMEM, "detector evaluation: out of memory for %d frames", frames);
    if (!st)
        st = cm_detector_state_create(m, B, &s);
    /* the baseline: each target's visibility rate and mean relative position over training frames */
    double rate[CM_DETECTOR_MAX_OBJECTS] = {0}, mean[CM_DETECTOR_MAX_OBJECTS][2] = {{0}};
    for (int i = 0; !st && i < baseline_frames; i += B) {
        int k = baseline_frames - i < B ? baseline_frames - i : B;
        st = cm_detector_data_spread(d, CM_DETECTOR_TRAIN, baseline_frames, i, k, image, angle, bl_lab, bl_pos);
        for (int f = 0; !st && f < k; f++)
            for (int o = 0; o < K; o++)
                if (bl_lab[f * K + o] > 0.5f) {
                    rate[o] += 1.0;
                    mean[o][0] += bl_pos[2 * (f * K + o)];
                    mean[o][1] += bl_pos[2 * (f * K + o) + 1];
                }
    }
    for (int o = 0; o < K; o++) {
        if (rate[o] > 0.0)
            mean[o][0] /= rate[o], mean[o][1] /= rate[o];
        rate[o] /= baseline_frames;
    }
    if (progress)
        cm_progress_start(progress, progress->out, "evaluate", frames);
    double loss = 0.0;
    for (int i = 0; !st && i < frames; i += B) {
        int k = frames - i < B ? frames - i : B;
        st = cm_detector_data_spread(d, split, frames, i, k, image, angle, &lab[(size_t)i * K],
                                     &tpos[(size_t)i * K * 2]);
        cm_detector_batch b = {k, image, angle, &lab[(size_t)i * K], &tpos[(size_t)i * K * 2], 1.0f};
        double l = 0.0;
        if (!st)
            st = cm_detector_forward(m, s, &b, NULL, &l);
        if (st)
            break;
        loss += l * k;
        memcpy(&vis[(size_t)i * K], cm_detector_visibility(s), (size_t)k * K * sizeof(float));
        memcpy(&pos[(size_t)i * K * 2], cm_detector_positions(s), (size_t)k * K * 2 * sizeof(float));
        if (progress)
            cm_progress_update(progress, i + k, NULL);
    }
    if (!st) {
        cm_detector_score(vis, pos, lab, tpos, frames, K, c->maze_size, &out->m);
        out->m.loss = loss / frames;
        out->best_threshold = cm_detector_threshold_f1(vis, lab, n, &out->best_f1);
        out->threshold = isnan(threshold) ? out->best_threshold : threshold;
        cm_detector_precision_recall(vis, lab, n, out->threshold, &out->precision, &out->recall);
        cm_detector_precision_recall(vis, lab, n, 0.7, &out->precision_07, &out->recall_07);
        out->max_visibility = -INFINITY;
        for (size_t i = 0; i < n; i++)
            if (vis[i] > out->max_visibility)
                out->max_visibility = vis[i];
        /* the baseline predicts the rates and mean positions (times the rate, as the model's p = raw x v) */
        for (int f = 0; f < frames; f++)
            for (int o = 0; o < K; o++) {
                vis[f * K + o] = (float)rate[o];
                pos[2 * (f * K + o)] = (float)mean[o][0];
                pos[2 * (f * K + o) + 1] = (float)mean[o][1];
            }
        cm_detector_score(vis, pos, lab, tpos, frames, K, c->maze_size, &out->baseline);
        if (progress)
            cm_progress_finish(progress, "visibility AP %.3f (baseline %.3f), position error %.2f cells",
                               out->m.visibility_ap, out->baseline.visibility_ap, out->m.position_error);
    }
    cm_detector_state_free(s);
    cm_free(vis), cm_free(pos), cm_free(lab), cm_free(tpos), cm_free(image), cm_free(angle);
    cm_free(bl_lab), cm_free(bl_pos);
    return st;
}

static int add_number(cJSON *o, const char *k, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

cm_status cm_detector_eval_run(const char *run, const cm_detector_eval_opts *o, cm_detector_evaluation *out,
                               cm_progress *progress)
{
    cm_detector_run_config cfg;
    cm_status st = cm_detector_run_config_read(&cfg, run);
    if (st)
        return st;
    char ck[4096], path[4096];
    if (o->checkpoint) {
        snprintf(ck, sizeof ck, "%s", o->checkpoint);
    } else {
        snprintf(ck, sizeof ck, "%s/checkpoints/best", run);
        FILE *f = cm_path_join(path, sizeof path, ck, "model.safetensors") ? NULL : fopen(path, "rb");
        if (f) {
            fclose(f);
        } else {
            int64_t *steps = NULL;
            int count = 0;
            if ((st = cm_train_checkpoint_list(run, &steps, &count)))
                return st;
            if (count == 0) {
                cm_free(steps);
                return cm_error(CM_ERR_FORMAT, "%s: no checkpoint to evaluate (checkpoints/best or step_N)", run);
            }
            snprintf(ck, sizeof ck, "%s/checkpoints/step_%lld", run, (long long)steps[count - 1]);
            cm_free(steps);
        }
    }
    cm_detector *m = NULL;
    cm_detector_data *d = NULL;
    if ((st = cm_detector_load(ck, &m)))
        return st;
    if (cfg.n_dirs) {
        const char *dirs[CM_DETECTOR_MAX_DATA];
        for (int i = 0; i < cfg.n_dirs; i++)
            dirs[i] = cfg.dirs[i];
        st = cm_detector_data_open_folders(&cfg.data, dirs, cfg.n_dirs, cfg.seed, &d);
    } else {
        st = cm_detector_data_open_mazes(&cfg.data, cfg.seed, &d);
    }
    /* the threshold is chosen on validation frames, never on the frames it is scored on */
    cm_detector_evaluation val;
    if (!st)
        st = cm_detector_evaluate(m, d, CM_DETECTOR_VAL, o->frames, 1, NAN, &val, NULL);
    if (!st)
        st = cm_detector_evaluate(m, d, CM_DETECTOR_TEST, o->frames, o->baseline_frames, val.best_threshold, out,
                                  progress);
    cm_detector_data_free(d);
    cm_detector_free(m);
    if (st)
        return st;
    /* steps of the checkpoint, from its state.json when it has one */
    double steps = NAN;
    cJSON *state = NULL;
    if (cm_path_join(path, sizeof path, ck, "state.json") == CM_OK && cm_json_read(path, &state) == CM_OK)
        cm_json_get_number(state, path, "step", 0, &steps);
    else
        cm_error_clear();
    cJSON_Delete(state);
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "model", "detector") &&
             cJSON_AddStringToObject(root, "checkpoint", ck) && add_number(root, "steps", steps) &&
             cJSON_AddStringToObject(root, "split", "test") && add_number(root, "mazes", out->mazes) &&
             add_number(root, "frames", (double)out->m.frames) && add_number(root, "visible", (double)out->m.visible) &&
             add_number(root, "visibility_ap", out->m.visibility_ap) &&
             add_number(root, "position_error_cells", out->m.position_error) &&
             add_number(root, "visibility_accuracy", out->m.visibility_accuracy) && add_number(root, "loss", out->m.loss) &&
             add_number(root, "baseline_visibility_ap", out->baseline.visibility_ap) &&
             add_number(root, "baseline_position_error_cells", out->baseline.position_error) &&
             add_number(root, "baseline_visibility_accuracy", out->baseline.visibility_accuracy) &&
             add_number(root, "threshold", out->threshold) && add_number(root, "precision", out->precision) &&
             add_number(root, "recall", out->recall) && add_number(root, "precision_0.7", out->precision_07) &&
             add_number(root, "recall_0.7", out->recall_07) && add_number(root, "max_visibility", out->max_visibility);
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build summary.json", run);
    }
    if (!(st = cm_path_join(path, sizeof path, run, "summary.json")))
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}
