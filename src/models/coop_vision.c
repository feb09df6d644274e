/* The vision perception of cooperative search (coop.h): each agent's 64x64
 * frame goes through the BEV predictor (bevnet.h), whose free-floor alpha is
 * fused at the agent's pose into its own log-odds map (mapping.h), whose
 * per-cell classes are the cells the agent knows; the target detector
 * (detector.h) places the requested target when it is sure (visibility >
 * 0.7, SSM-PC's threshold) and close enough (the task's target range). */
#include "cogmap/bevnet.h"
#include "cogmap/coop.h"
#include "cogmap/detector.h"
#include "cogmap/mapping.h"

#include <math.h>
#include <string.h>

typedef struct vision_state {
    const cm_coop_vision *model;
    int n, k, out;
    cm_bevnet_state *bs;
    cm_detector_state *ds;
    float *pred;  /* [4, out, out] */
    float *image; /* [3, 64, 64] */
    uint8_t cls[CM_COOP_MAX_CELLS];
    cm_spatial_map *map[CM_COOP_MAX_AGENTS];
} vision_state;

static void vision_free(void *state)
{
    vision_state *s = state;
    if (!s)
        return;
    cm_bevnet_state_free(s->bs);
    cm_detector_state_free(s->ds);
    cm_free(s->pred);
    cm_free(s->image);
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++)
        cm_map_free(s->map[i]);
    cm_free(s);
}

static cm_status vision_create(void *model, const cm_coop_config *cfg, void **state)
{
    *state = NULL;
    const cm_coop_vision *v = model;
    const cm_bevnet_config *bc = cm_bevnet_get_config(v->bev);
    if (bc->image != 64)
        return cm_error(CM_ERR_ARG, "vision perception: the BEV predictor takes %d px frames, the agents see 64",
                        bc->image);
    vision_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "vision perception: out of memory");
    s->model = v;
    s->n = cfg->maze_size;
    s->k = cfg->n_agents;
    s->out = bc->out;
    cm_map_config mc;
    cm_map_config_default(cfg->maze_size, &mc);
    cm_bevnet_frame(bc, &mc.frame); /* the predictor's window of the 250 px BEV, as maprun frames it */
    cm_status st = cm_bevnet_state_create(v->bev, 1, 0, &s->bs);
    if (st == CM_OK && v->detector)
        st = cm_detector_state_create(v->detector, 1, &s->ds);
    if (st == CM_OK && (!(s->pred = cm_alloc((size_t)4 * bc->out * bc->out * sizeof(float))) ||
                        !(s->image = cm_alloc((size_t)3 * 64 * 64 * sizeof(float)))))
        st = cm_error(CM_ERR_NOMEM, "vision perception: out of memory");
    for (int i = 0; i < s->k && st == CM_OK; i++)
        st = cm_map_create(&mc, &s->map[i]);
    if (st != CM_OK) {
        vision_free(s);
        return st;
    }
    *state = s;
    return CM_OK;
}

static cm_status vision_reset(void *state, const cm_coop_env *env)
{
    vision_state *s = state;
    (void)env;
    for (int i = 0; i < s->k; i++)
        cm_map_reset(s->map[i]);
    return CM_OK;
}

static cm_status vision_observe(void *state, const cm_coop_env *env, int agent, const uint8_t *rgb, cm_coop_view *view)
{
    vision_state *s = state;
    const int n = s->n;
    /* the agent's pose: true (the path integrator's estimate plugs in here) */
    cm_pose pose = env->world.agents[agent].pose;
    cm_status st = cm_bevnet_predict(s->model->bev, s->bs, rgb, 1, s->pred);
    if (st == CM_OK)
        st = cm_map_fuse_bev(s->map[agent], s->pred + (size_t)3 * s->out * s->out, pose);
    if (st != CM_OK)
        return st;
    cm_map_cells(s->map[agent], s->cls);
    view->n = 0;
    for (int c = 0; c < n * n; c++)
        if (s->cls[c] != CM_MAP_UNKNOWN) {
            view->cells[view->n] = (uint16_t)c;
            view->states[view->n] = s->cls[c] == CM_MAP_FREE ? CM_COOP_FREE : CM_COOP_WALL;
            view->n++;
        }
    view->pose = pose;
    view->target = -1;
    if (s->model->detector) {
        const float angle[2] = {cosf(pose.theta), sinf(pose.theta)};
        cm_detector_image(rgb, s->image);
        cm_detector_batch b = {1, s->image, angle, NULL, NULL, 1.0f};
        if ((st = cm_detector_forward(s->model->detector, s->ds, &b, NULL, NULL)) != CM_OK)
            return st;
        int k = env->target, K = cm_detector_get_config(s->model->detector)->objects;
        if (k < K && cm_detector_visibility(s->ds)[k] > s->model->threshold) {
            float rel[2], xy[2];
            cm_detector_place(s->model->detector, s->ds, 0, k, rel);
            cm_ssmpc_absolute(rel, pose, n, xy);
            float dx = xy[0] - pose.x, dy = xy[1] - pose.y;
            int cx = (int)floorf(xy[0]), cy = (int)floorf(xy[1]);
            if (cx >= 0 && cy >= 0 && cx < n && cy < n &&
                dx * dx + dy * dy <= env->cfg.target_range * env->cfg.target_range)
                view->target = cy * n + cx;
        }
    }
    return CM_OK;
}

void cm_coop_perception_vision(const cm_coop_vision *model, cm_coop_perception *p)
{
    memset(p, 0, sizeof *p);
    p->name = "vision";
    p->needs_frames = 1;
    p->model = (void *)model;
    p->state_create = vision_create;
    p->state_free = vision_free;
    p->reset = vision_reset;
    p->observe = vision_observe;
}
