/* Detector metrics (detector.h): scikit-learn's average precision and the
 * position error of visible targets. */
#include <math.h>
#include <stdlib.h>

#include "cogmap/detector.h"

typedef struct scored {
    float score;
    float label;
} scored;

static int by_score_desc(const void *a, const void *b)
{
    float x = ((const scored *)a)->score, y = ((const scored *)b)->score;
    return (x < y) - (x > y);
}

/* The (score, label) pairs sorted by descending score (NaN scores last), and
 * the number of positive labels in *pos; NULL when there are none, or no
 * pair, or no memory. */
static scored *sorted_pairs(const float *scores, const float *labels, size_t n, double *pos)
{
    *pos = 0.0;
    scored *v = n ? cm_alloc(n * sizeof *v) : NULL;
    if (!v)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].score = isnan(scores[i]) ? -INFINITY : scores[i];
        v[i].label = labels[i] > 0.5f;
        *pos += v[i].label;
    }
    if (*pos == 0.0) {
        cm_free(v);
        return NULL;
    }
    qsort(v, n, sizeof *v, by_score_desc);
    return v;
}

double cm_average_precision(const float *scores, const float *labels, size_t n)
{
    double pos;
    scored *v = sorted_pairs(scores, labels, n, &pos);
    if (!v)
        return NAN;
    /* one point per distinct threshold (ties form one group), as precision_recall_curve */
    double tp = 0.0, fp = 0.0, ap = 0.0, prev_recall = 0.0;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && v[j].score == v[i].score; j++) {
            tp += v[j].label;
            fp += 1.0 - v[j].label;
        }
        double recall = tp / pos, precision = tp / (tp + fp);
        ap += (recall - prev_recall) * precision;
        prev_recall = recall;
        i = j;
    }
    cm_free(v);
    return ap;
}

void cm_detector_score(const float *vis, const float *pos, const float *labels, const float *true_pos, int64_t n,
                       int objects, int maze_size, cm_detector_metrics *out)
{
    const size_t m = (size_t)n * objects;
    out->visibility_ap = cm_average_precision(vis, labels, m);
    double err = 0.0, right = 0.0;
    int64_t visible = 0;
    for (size_t i = 0; i < m; i++) {
        right += (vis[i] > 0.5f) == (labels[i] > 0.5f);
        if (!(labels[i] > 0.5f))
            continue;
        visible++;
        err += hypot((double)pos[2 * i] - true_pos[2 * i], (double)pos[2 * i + 1] - true_pos[2 * i + 1]);
    }
    out->frames = n;
    out->visible = visible;
    out->visibility_accuracy = m ? right / (double)m : NAN;
    out->position_error = visible ? err / visible * (maze_size / 2.0) : NAN;
    out->loss = NAN;
}

void cm_detector_precision_recall(const float *scores, const float *labels, size_t n, double threshold,
                                  double *precision, double *recall)
{
    double tp = 0.0, fp = 0.0, pos = 0.0;
    for (size_t i = 0; i < n; i++) {
        int y = labels[i] > 0.5f, fire = scores[i] > threshold; /* NaN never fires */
        pos += y;
        tp += fire && y;
        fp += fire && !y;
    }
    *precision = tp + fp > 0.0 ? tp / (tp + fp) : NAN;
    *recall = pos > 0.0 ? tp / pos : NAN;
}

double cm_detector_threshold_f1(const float *scores, const float *labels, size_t n, double *f1_out)
{
    *f1_out = NAN;
    double pos;
    scored *v = sorted_pairs(scores, labels, n, &pos);
    if (!v)
        return NAN;
    /* Walk down the distinct scores: firing on every score >= v[i] is "score > t" for any t between v[i]
     * and the next lower distinct score; the middle of that gap is the threshold least sensitive to
     * rounding, and below the lowest score "everything fires" (t = the lowest score - 1). */
    double tp = 0.0, fp = 0.0, best = -1.0, t = NAN;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        for (; j < n && v[j].score == v[i].score; j++) {
            tp += v[j].label;
            fp += 1.0 - v[j].label;
        }
        double f1 = 2.0 * tp / (tp + fp + pos);
        if (f1 > best && v[i].score > -INFINITY) {
            best = f1;
            t = j < n && v[j].score > -INFINITY ? 0.5 * ((double)v[i].score + v[j].score) : (double)v[i].score - 1.0;
        }
        i = j;
    }
    cm_free(v);
    *f1_out = best >= 0.0 ? best : NAN;
    return t;
}
