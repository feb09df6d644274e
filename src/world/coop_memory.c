/* Each agent's memory of the maze (a cell map with its own and received
 * cells, the target sighting, partners' last cells) and the ground-truth
 * perception that fills it (coop.h). */
#include "cogmap/coop.h"

#include <math.h>
#include <string.h>

void cm_coop_memory_reset(cm_coop_memory *m, int size)
{
    int nn = size * size;
    m->size = size;
    memset(m->cell, CM_COOP_UNKNOWN, (size_t)nn);
    memset(m->origin, CM_COOP_FROM_NONE, (size_t)nn);
    memset(m->partner_seen, 0, (size_t)nn);
    m->target = -1;
    m->target_origin = CM_COOP_FROM_NONE;
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++) {
        m->partner_cell[i] = -1;
        m->partner_step[i] = -1;
    }
    m->pose = (cm_pose){NAN, NAN, NAN};
    m->n_fresh = 0;
    m->fresh_target = 0;
    m->sent_cell = -1;
    m->rejected_target = -1;
}

void cm_coop_memory_see(cm_coop_memory *m, int cell, int state)
{
    if (cell < 0 || cell >= m->size * m->size || (state != CM_COOP_FREE && state != CM_COOP_WALL))
        return;
    if (m->origin[cell] == CM_COOP_FROM_SELF && m->cell[cell] == state)
        return;
    int changed = m->cell[cell] != state;
    m->cell[cell] = (uint8_t)state;
    m->origin[cell] = CM_COOP_FROM_SELF;
    /* Fresh = new to this agent's map. A cell it had only received and now
     * confirms is not news for the partners that sent it. */
    if (changed) {
        int listed = 0;
        for (int i = m->n_fresh - 1; i >= 0 && !listed; i--)
            listed = m->fresh[i] == cell;
        if (!listed)
            m->fresh[m->n_fresh++] = (uint16_t)cell;
    }
}

int cm_coop_memory_receive(cm_coop_memory *m, int cell, int state)
{
    if (cell < 0 || cell >= m->size * m->size || (state != CM_COOP_FREE && state != CM_COOP_WALL))
        return 0;
    if (m->cell[cell] != CM_COOP_UNKNOWN)
        return 0;
    m->cell[cell] = (uint8_t)state;
    m->origin[cell] = CM_COOP_FROM_LINK;
    return 1;
}

void cm_coop_memory_see_target(cm_coop_memory *m, int cell)
{
    if (cell < 0 || cell >= m->size * m->size)
        return;
    if (m->target != cell)
        m->fresh_target = 1;
    m->target = cell;
    m->target_origin = CM_COOP_FROM_SELF;
}

int cm_coop_memory_receive_target(cm_coop_memory *m, int cell)
{
    if (cell < 0 || cell >= m->size * m->size || m->target >= 0 || cell == m->rejected_target)
        return 0;
    m->target = cell;
    m->target_origin = CM_COOP_FROM_LINK;
    return 1;
}

void cm_coop_memory_reject_target(cm_coop_memory *m)
{
    if (m->target < 0 || m->target_origin != CM_COOP_FROM_LINK)
        return;
    m->rejected_target = m->target;
    m->target = -1;
    m->target_origin = CM_COOP_FROM_NONE;
}

int cm_coop_memory_known(const cm_coop_memory *m)
{
    int n = 0;
    for (int i = 0; i < m->size * m->size; i++)
        n += m->cell[i] != CM_COOP_UNKNOWN;
    return n;
}

/* ------------------------------------------------ ground-truth perception */

typedef struct truth_state {
    cm_bev_config view;
    uint8_t visible[CM_COOP_MAX_CELLS];
} truth_state;

static cm_status truth_create(void *model, const cm_coop_config *cfg, void **state)
{
    (void)model;
    truth_state *s = cm_alloc(sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "coop truth perception: out of memory");
    s->view = cfg->view;
    *state = s;
    return CM_OK;
}

static void truth_free(void *state) { cm_free(state); }

static cm_status truth_observe(void *state, const cm_coop_env *env, int agent, const uint8_t *rgb, cm_coop_view *view)
{
    (void)rgb;
    truth_state *s = state;
    const cm_maze *mz = &env->world.maze;
    int n = mz->size;
    cm_pose pose = env->world.agents[agent].pose;
    cm_bev_visible(mz->layout, n, pose, &s->view, s->visible);
    view->n = 0;
    for (int c = 0; c < n * n; c++)
        if (s->visible[c]) {
            view->cells[view->n] = (uint16_t)c;
            view->states[view->n] = mz->layout[c] ? CM_COOP_FREE : CM_COOP_WALL;
            view->n++;
        }
    int tc = env->target_cell;
    float tx = (float)(tc % n) + 0.5f - pose.x, ty = (float)(tc / n) + 0.5f - pose.y;
    view->target = s->visible[tc] && tx * tx + ty * ty <= env->cfg.target_range * env->cfg.target_range ? tc : -1;
    view->pose = pose;
    return CM_OK;
}

void cm_coop_perception_truth(cm_coop_perception *p)
{
    memset(p, 0, sizeof *p);
    p->name = "truth";
    p->state_create = truth_create;
    p->state_free = truth_free;
    p->observe = truth_observe;
}
