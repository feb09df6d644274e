/* Private to src/mapping: the map's layout and the view transform shared by
 * fusing, matching and scoring. */
#ifndef COGMAP_MAPPING_INTERNAL_H
#define COGMAP_MAPPING_INTERNAL_H

#include <math.h>

#include "cogmap/mapping.h"

struct cm_spatial_map {
    cm_map_config cfg;
    int width, height; /* map pixels: (size + 2 border) px_per_cell */
    float *logodds;    /* [height][width], row 0 at world y = -border */
    /* per-view workspace over the egocentric frame */
    uint8_t *free_mask, *wall_mask; /* [frame.height][frame.width] */
    /* targets: weighted sums */
    double target_sum[CM_MAP_MAX_TARGETS][2];
    double target_weight[CM_MAP_MAX_TARGETS];
};

/* One view's placement. Egocentric pixel coordinates q (pixel edges at
 * integers) relate to world-aligned BEV coordinates p by cm_bev_rotate's
 * rotation about the pivot o, p = o + M (q - o), M = [[ca, sa], [-sa, ca]],
 * phi = -(theta + pi/2); and p to the world by x = cx + (p_u - o_u) / s,
 * y = cy + (p_v - o_v) / s, (cx, cy) the agent cell's corner. */
typedef struct map_view {
    double cx, cy;   /* agent cell corner */
    double ca, sa;   /* cos phi, sin phi */
    double ou, ov, s;
    double au, av;   /* the agent's own position in egocentric pixels */
    double range_px; /* the view's reach in pixels */
} map_view;

static inline void map_view_init(map_view *v, const cm_bev_frame *f, cm_pose pose, double theta)
{
    /* the world point under the pivot: the agent cell's corner, or the agent */
    v->cx = f->pose_anchored ? (double)pose.x : floor((double)pose.x);
    v->cy = f->pose_anchored ? (double)pose.y : floor((double)pose.y);
    double phi = -(theta + M_PI / 2.0);
    v->ca = cos(phi);
    v->sa = sin(phi);
    v->ou = f->pivot_u;
    v->ov = f->pivot_v;
    v->s = f->px_per_cell;
    double pu = (pose.x - v->cx) * v->s, pv = (pose.y - v->cy) * v->s;
    v->au = v->ou + v->ca * pu - v->sa * pv;
    v->av = v->ov + v->sa * pu + v->ca * pv;
    v->range_px = f->range * v->s;
}

static inline void map_view_to_world(const map_view *v, double qu, double qv, double *x, double *y)
{
    double du = qu - v->ou, dv = qv - v->ov;
    *x = v->cx + (v->ca * du + v->sa * dv) / v->s;
    *y = v->cy + (-v->sa * du + v->ca * dv) / v->s;
}

static inline void map_world_to_view(const map_view *v, double x, double y, double *qu, double *qv)
{
    double pu = (x - v->cx) * v->s, pv = (y - v->cy) * v->s;
    *qu = v->ou + v->ca * pu - v->sa * pv;
    *qv = v->ov + v->sa * pu + v->ca * pv;
}

/* The free and wall masks of one egocentric alpha map seen from v (into m's
 * workspace). */
void map_view_masks(cm_spatial_map *m, const float *alpha, const map_view *v);

static inline float map_clampf(float v, float lim) { return v < -lim ? -lim : v > lim ? lim : v; }

#endif
