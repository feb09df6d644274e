/* Targets on the map: the weighted mean of every observation (mapping.h). */
#include <math.h>

#include "mapping_internal.h"

cm_status cm_map_observe_target(cm_spatial_map *m, int k, float x, float y, float w)
{
    if (k < 0 || k >= CM_MAP_MAX_TARGETS)
        return cm_error(CM_ERR_ARG, "map target: index: expected 0..%d, got %d", CM_MAP_MAX_TARGETS - 1, k);
    if (!(w > 0.0f) || !isfinite(w) || !isfinite(x) || !isfinite(y))
        return cm_error(CM_ERR_ARG, "map target %d: expected a finite point and weight > 0, got (%g, %g) w %g", k,
                        (double)x, (double)y, (double)w);
    m->target_sum[k][0] += (double)w * x;
    m->target_sum[k][1] += (double)w * y;
    m->target_weight[k] += w;
    return CM_OK;
}

int cm_map_target(const cm_spatial_map *m, int k, float xy[2], float *weight)
{
    if (k < 0 || k >= CM_MAP_MAX_TARGETS || !(m->target_weight[k] > 0.0))
        return 0;
    xy[0] = (float)(m->target_sum[k][0] / m->target_weight[k]);
    xy[1] = (float)(m->target_sum[k][1] / m->target_weight[k]);
    if (weight)
        *weight = (float)m->target_weight[k];
    return 1;
}
