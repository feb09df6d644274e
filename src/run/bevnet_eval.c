/* The BEV predictor's scores (bevrun.h): alpha IoU and accuracy pooled over
 * pixels, RGB error on the visible floor, and the held-out evaluation against
 * the training set's mean-map baseline. */
#include "cogmap/bevrun.h"

#include <math.h>
#include <omp.h>
#include <string.h>

/* One frame's counts: pred [4, O, O], target [O, O, 4]. */
static void score_frame(const float *pred, const uint8_t *t, int O, cm_bevnet_scores *a)
{
    const size_t plane = (size_t)O * O;
    const float *ah = pred + 3 * plane;
    for (size_t i = 0; i < plane; i++) {
        const int p = ah[i] > 0.5f, v = t[4 * i + 3] >= 128; /* byte / 255 > 0.5 */
        a->inter += p & v;
        a->uni += p | v;
        a->agree += p == v;
        if (v) {
            for (int c = 0; c < 3; c++) {
                const double e = (double)pred[c * plane + i] - t[4 * i + c] / 255.0;
                a->se_sum += e * e;
            }
            a->visible++;
        }
    }
    a->pixels += (int64_t)plane;
    a->frames++;
}

static void update_means(cm_bevnet_scores *a)
{
    a->loss = a->frames ? a->loss_sum / a->frames : NAN;
    a->alpha_iou = a->uni ? (double)a->inter / a->uni : NAN;
    a->alpha_accuracy = a->pixels ? (double)a->agree / a->pixels : NAN;
    a->rgb_mse_visible = a->visible ? a->se_sum / (3.0 * a->visible) : NAN;
}

static double frame_loss(const cm_bevnet_config *cfg, const float *pred, const uint8_t *t);

void cm_bevnet_score(const cm_bevnet_config *cfg, const float *pred, const uint8_t *target, int64_t n,
                     cm_bevnet_scores *acc)
{
    const int O = cfg->out;
    const size_t per_p = (size_t)4 * O * O, per_t = (size_t)O * O * 4;
    for (int64_t k = 0; k < n; k++) {
        score_frame(pred + k * per_p, target + k * per_t, O, acc);
        acc->loss_sum += frame_loss(cfg, pred + k * per_p, target + k * per_t);
    }
    update_means(acc);
}

/* The loss terms of §6.3 for one frame (as bevnet_loss.c, which is the
 * model's private file: the definition is repeated here in its plain form). */
static double frame_loss(const cm_bevnet_config *cfg, const float *pred, const uint8_t *t)
{
    const int O = cfg->out;
    const size_t plane = (size_t)O * O;
    const float *ah = pred + 3 * plane;
    double bce = 0.0, se = 0.0;
    for (size_t i = 0; i < plane; i++) {
        const float a = t[4 * i + 3] / 255.0f;
        const double p = ah[i];
        bce -= a * fmax(log(p), -100.0) + (1.0 - a) * fmax(log1p(-p), -100.0);
        if (t[4 * i + 3] >= 128)
            for (int c = 0; c < 3; c++) {
                const double e = (double)pred[c * plane + i] - (double)(t[4 * i + c] / 255.0f);
                se += e * e;
            }
    }
    const double tv = cm_tv_forward(ah, 1, O, O);
    return cfg->alpha_w * bce / plane + cfg->rgb_w * se / (3.0 * plane) + cfg->smooth_w * tv;
}

/* Samples at, at + 1, ..., at + n - 1 of an even spread of `of` samples over
 * a split, in parallel; the first failure (in order) is reported. */
static cm_status fetch(const cm_bevnet_data *d, cm_bevnet_split split, int at, int n, int of, uint8_t *rgb,
                       uint8_t *tgt, size_t in_sz, size_t t_sz)
{
    const int64_t total = cm_bevnet_data_frames(d, split);
    int first_bad = n;
    cm_status bad = CM_OK;
    char msg[1024] = "";
#pragma omp parallel for schedule(dynamic, 1)
    for (int k = 0; k < n; k++) {
        cm_status e = cm_bevnet_data_sample(d, split, (int64_t)((double)(at + k) * total / of), rgb + k * in_sz,
                                            tgt + k * t_sz, NULL);
        if (e != CM_OK) {
#pragma omp critical(bev_eval_error)
            if (k < first_bad) {
                first_bad = k;
                bad = e;
                snprintf(msg, sizeof msg, "%s", cm_errmsg());
            }
        }
    }
    return bad == CM_OK ? CM_OK : cm_error(bad, "%s", msg);
}

cm_status cm_bevnet_evaluate(const cm_bevnet *m, const cm_bevnet_data *d, cm_bevnet_split split, int frames,
                             int baseline_frames, int keep, uint8_t *rgb, float *pred, uint8_t *target,
                             cm_bevnet_eval *out, cm_progress *progress)
{
    const cm_bevnet_config *cfg = cm_bevnet_get_config(m);
    memset(out, 0, sizeof *out);
    out->split = split;
    out->mazes = cm_bevnet_data_mazes(d, split);
    if (frames < 1 || baseline_frames < 1 || keep < 0 || keep > frames)
        return cm_error(CM_ERR_ARG, "bev eval: frames %d, baseline frames %d, kept %d: expected >= 1, >= 1, 0..frames",
                        frames, baseline_frames, keep);
    const int O = cfg->out, chunk = 64;
    const size_t in_sz = (size_t)cfg->image * cfg->image * 3, t_sz = (size_t)O * O * 4, p_sz = (size_t)4 * O * O;
    uint8_t *crgb = cm_alloc(chunk * in_sz), *ctgt = cm_alloc(chunk * t_sz);
    float *cpred = cm_alloc(chunk * p_sz * sizeof(float));
    double *mean = cm_calloc(p_sz, sizeof(double));
    float *meanf = cm_alloc(p_sz * sizeof(float));
    cm_bevnet_state *s = NULL;
    cm_status st = CM_OK;
    if (!crgb || !ctgt || !cpred || !mean || !meanf)
        st = cm_error(CM_ERR_NOMEM, "bev eval: out of memory");
    if (st == CM_OK)
        st = cm_bevnet_state_create(m, chunk, 0, &s);
    cm_progress prog;
    if (progress)
        cm_progress_start(&prog, progress->out, "bev eval", (int64_t)baseline_frames + frames);

    /* The baseline: the training frames' mean alpha map, and the mean colour
     * of the visible floor at each pixel (alpha-weighted). */
    const size_t plane = (size_t)O * O;
    double *wsum = mean + 3 * plane; /* accumulates alpha; rgb sums in mean[0..3) */
    for (int at = 0; st == CM_OK && at < baseline_frames; at += chunk) {
        const int n = baseline_frames - at < chunk ? baseline_frames - at : chunk;
        st = fetch(d, CM_BEVNET_TRAIN, at, n, baseline_frames, crgb, ctgt, in_sz, t_sz);
        for (int k = 0; st == CM_OK && k < n; k++)
            for (size_t i = 0; i < plane; i++) {
                const uint8_t *px = &ctgt[k * t_sz + 4 * i];
                const double a = px[3] / 255.0;
                for (int c = 0; c < 3; c++)
                    mean[c * plane + i] += a * (px[c] / 255.0);
                wsum[i] += a;
            }
        if (progress)
            cm_progress_update(&prog, at + n, NULL);
    }
    if (st == CM_OK)
        for (size_t i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++)
                meanf[c * plane + i] = wsum[i] > 0.0 ? (float)(mean[c * plane + i] / wsum[i]) : 0.0f;
            meanf[3 * plane + i] = (float)(wsum[i] / baseline_frames);
        }

    /* The model, and the baseline, on the split's frames spread evenly. */
    int kept = 0;
    for (int at = 0; st == CM_OK && at < frames; at += chunk) {
        const int n = frames - at < chunk ? frames - at : chunk;
        if ((st = fetch(d, split, at, n, frames, crgb, ctgt, in_sz, t_sz)) != CM_OK)
            break;
        if ((st = cm_bevnet_predict(m, s, crgb, n, cpred)) != CM_OK)
            break;
        cm_bevnet_score(cfg, cpred, ctgt, n, &out->model);
        for (int k = 0; k < n; k++) {
            cm_bevnet_score(cfg, meanf, ctgt + k * t_sz, 1, &out->baseline);
            /* frames kept for the figure: evenly spaced through the evaluation */
            const int idx = at + k;
            if (kept < keep && idx == (int)((double)kept * frames / keep)) {
                if (rgb)
                    memcpy(rgb + kept * in_sz, crgb + k * in_sz, in_sz);
                if (pred)
                    memcpy(pred + kept * p_sz, cpred + k * p_sz, p_sz * sizeof(float));
                if (target)
                    memcpy(target + kept * t_sz, ctgt + k * t_sz, t_sz);
                kept++;
            }
        }
        if (progress)
            cm_progress_update(&prog, (int64_t)baseline_frames + at + n, NULL);
    }
    if (st == CM_OK) {
        if (progress)
            cm_progress_finish(&prog, "alpha IoU %.3f (mean-map baseline %.3f)", out->model.alpha_iou,
                               out->baseline.alpha_iou);
    }
    cm_bevnet_state_free(s);
    cm_free(crgb);
    cm_free(ctgt);
    cm_free(cpred);
    cm_free(mean);
    cm_free(meanf);
    return st;
}
