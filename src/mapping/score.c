/* Scores of a map against the maze (mapping.h). */
#include <math.h>

#include "mapping_internal.h"

void cm_map_score(const cm_spatial_map *m, const uint8_t *layout, const uint8_t *seen, const float (*targets)[2],
                  int n_targets, cm_map_scores *out)
{
    int n = m->cfg.size;
    uint8_t cls[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    cm_map_cells(m, cls);
    long inter = 0, uni = 0, match = 0, scored = 0, pred_free = 0, true_free = 0, known = 0, free_cells = 0,
         free_known = 0;
    for (int i = 0; i < n * n; i++) {
        int k = cls[i] != CM_MAP_UNKNOWN, t = layout[i] != 0, p = cls[i] == CM_MAP_FREE;
        known += k;
        free_cells += t;
        free_known += t && k;
        if (seen ? !seen[i] : !k)
            continue;
        scored++;
        inter += p && t;
        uni += p || t;
        pred_free += p;
        true_free += t;
        match += (t && cls[i] == CM_MAP_FREE) || (!t && cls[i] == CM_MAP_OCCUPIED);
    }
    out->scored = (int)scored;
    out->known = (int)known;
    out->iou = uni ? (double)inter / uni : NAN;
    out->accuracy = scored ? (double)match / scored : NAN;
    out->precision = pred_free ? (double)inter / pred_free : NAN;
    out->recall = true_free ? (double)inter / true_free : NAN;
    out->coverage = free_cells ? (double)free_known / free_cells : NAN;
    double err = 0.0;
    int count = 0;
    for (int k = 0; k < n_targets && k < CM_MAP_MAX_TARGETS; k++) {
        float xy[2];
        if (!targets || !cm_map_target(m, k, xy, NULL))
            continue;
        err += hypot((double)xy[0] - targets[k][0], (double)xy[1] - targets[k][1]);
        count++;
    }
    out->n_targets = count;
    out->target_error = count ? err / count : NAN;
}
