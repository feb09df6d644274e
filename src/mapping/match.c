/* Scan matching: where a new view agrees most with the map (mapping.h). */
#include <math.h>

#include "mapping_internal.h"

void cm_map_match_config_default(cm_map_match_config *c)
{
    c->radius = 1;
    c->dtheta = 0.2f;
    c->dtheta_step = 0.1f;
    c->subsample = 4;
}

/* Agreement of the view placed at `pose`: free pixels score -L, wall pixels +L. */
static float placement_score(const cm_spatial_map *m, const float *alpha, cm_pose pose, int sub)
{
    const cm_bev_frame *f = &m->cfg.frame;
    const int W = f->width, H = f->height;
    map_view v;
    map_view_init(&v, f, pose, pose.theta);
    double sum = 0.0;
    long used = 0;
    for (int y = sub / 2; y < H; y += sub)
        for (int x = sub / 2; x < W; x += sub) {
            size_t i = (size_t)y * W + x;
            double qu = x + 0.5, qv = y + 0.5, wx, wy;
            int is_free = m->free_mask[i];
            if (!is_free && !m->wall_mask[i])
                continue;
            map_view_to_world(&v, qu, qv, &wx, &wy);
            int col, row;
            if (cm_map_pixel(m, (float)wx, (float)wy, &col, &row))
                continue;
            float l = m->logodds[(size_t)row * m->width + col];
            sum += is_free ? -l : l;
            used++;
        }
    (void)alpha;
    return used ? (float)(sum / used) : 0.0f;
}

cm_status cm_map_match(const cm_spatial_map *m, const float *alpha, cm_pose guess, const cm_map_match_config *c,
                       cm_pose *best, float *best_score, float *guess_score)
{
    if (!isfinite(guess.x) || !isfinite(guess.y) || !isfinite(guess.theta))
        return cm_error(CM_ERR_ARG, "map match: guess (%g, %g, %g): expected finite numbers", (double)guess.x,
                        (double)guess.y, (double)guess.theta);
    if (c->radius < 0 || c->radius > 8 || c->subsample < 1 || !(c->dtheta >= 0.0f) ||
        (c->dtheta > 0.0f && !(c->dtheta_step > 0.0f)) || c->dtheta > (float)M_PI)
        return cm_error(CM_ERR_ARG, "map match: expected radius 0..8, subsample >= 1, 0 <= dtheta <= pi and "
                        "dtheta_step > 0, got %d, %d, %g, %g", c->radius, c->subsample, (double)c->dtheta,
                        (double)c->dtheta_step);
    /* the masks live in the map's workspace (matching reads the map only);
     * the wall rays start from the guess's position within its cell, which
     * every whole-cell shift keeps */
    map_view gv;
    map_view_init(&gv, &m->cfg.frame, guess, guess.theta);
    map_view_masks((cm_spatial_map *)m, alpha, &gv);
    int nt = c->dtheta > 0.0f ? (int)floorf(c->dtheta / c->dtheta_step + 1e-4f) : 0;
    float g = placement_score(m, alpha, guess, c->subsample);
    cm_pose top = guess;
    float top_score = g;
    for (int t = -nt; t <= nt; t++)
        for (int dy = -c->radius; dy <= c->radius; dy++)
            for (int dx = -c->radius; dx <= c->radius; dx++) {
                if (!t && !dx && !dy)
                    continue;
                cm_pose p = {guess.x + dx, guess.y + dy, guess.theta + t * c->dtheta_step};
                float s = placement_score(m, alpha, p, c->subsample);
                if (s > top_score) {
                    top_score = s;
                    top = p;
                }
            }
    if (top.theta > (float)M_PI)
        top.theta -= 2.0f * (float)M_PI;
    else if (top.theta <= -(float)M_PI)
        top.theta += 2.0f * (float)M_PI;
    *best = top;
    if (best_score)
        *best_score = top_score;
    if (guess_score)
        *guess_score = g;
    return CM_OK;
}
