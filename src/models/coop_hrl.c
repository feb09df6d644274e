/* HRL-ICM's acting side (coop.h): the meta-controller (cm_policy) chooses a
 * frontier among each agent's candidates whenever its goal is reached or
 * seen, or every `interval` steps; the BFS planner drives to it. A log of
 * the decisions, when attached, is what PPO and the ICM learn from. */
#include "cogmap/coop.h"
#include "cogmap/policy.h"

#include <math.h>
#include <string.h>

typedef struct hrl_state {
    const cm_coop_hrl *model;
    cm_coop_scratch *scratch;
    cm_policy_state *ps;
    int M, goal[CM_COOP_MAX_AGENTS], since[CM_COOP_MAX_AGENTS], open[CM_COOP_MAX_AGENTS];
    cm_rng rng[CM_COOP_MAX_AGENTS];
    int cells[CM_COOP_HRL_MAX_CAND];
    float feat[CM_COOP_HRL_MAX_CAND * CM_COOP_CAND_FEATURES], global[CM_COOP_GLOBAL_FEATURES];
    uint8_t mask[CM_COOP_HRL_MAX_CAND];
    cm_coop_hrl_log *log;
} hrl_state;

void cm_coop_hrl_log_clear(cm_coop_hrl_log *log) { log->n = 0; }
void cm_coop_hrl_log_free(cm_coop_hrl_log *log)
{
    cm_free(log->rec);
    memset(log, 0, sizeof *log);
}

static cm_status log_push(cm_coop_hrl_log *log, cm_coop_hrl_record **out)
{
    if (log->n == log->cap) {
        int cap = log->cap ? 2 * log->cap : 256;
        cm_coop_hrl_record *r = cm_alloc((size_t)cap * sizeof *r);
        if (!r)
            return cm_error(CM_ERR_NOMEM, "hrl log: out of memory for %d decisions", cap);
        if (log->n)
            memcpy(r, log->rec, (size_t)log->n * sizeof *r);
        cm_free(log->rec);
        log->rec = r;
        log->cap = cap;
    }
    *out = &log->rec[log->n++];
    memset(*out, 0, sizeof **out);
    return CM_OK;
}

static void hrl_free(void *state)
{
    hrl_state *s = state;
    if (!s)
        return;
    cm_coop_scratch_free(s->scratch);
    cm_policy_state_free(s->ps);
    cm_free(s);
}

static cm_status hrl_create(void *model, const cm_coop_config *cfg, void **state)
{
    (void)cfg;
    *state = NULL;
    const cm_coop_hrl *h = model;
    const cm_policy_config *pc = cm_policy_get_config(h->policy);
    if (pc->cand_dim != CM_COOP_CAND_FEATURES || pc->global_dim != CM_COOP_GLOBAL_FEATURES || pc->n_cand > CM_COOP_HRL_MAX_CAND)
        return cm_error(CM_ERR_ARG, "hrl-icm: the policy's shapes (cand_dim %d, global_dim %d, n_cand %d) are not "
                                    "coop's (%d, %d, <= %d)",
                        pc->cand_dim, pc->global_dim, pc->n_cand, CM_COOP_CAND_FEATURES, CM_COOP_GLOBAL_FEATURES,
                        CM_COOP_HRL_MAX_CAND);
    hrl_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "hrl-icm: out of memory");
    s->model = h;
    s->M = pc->n_cand;
    cm_status st = cm_coop_scratch_create(&s->scratch);
    if (st == CM_OK)
        st = cm_policy_state_create(h->policy, 1, &s->ps);
    if (st != CM_OK) {
        hrl_free(s);
        return st;
    }
    *state = s;
    return CM_OK;
}

static cm_status hrl_reset(void *state, const cm_coop_env *env)
{
    hrl_state *s = state;
    cm_coop_scratch_reset(s->scratch, env);
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++) {
        s->goal[i] = -1;
        s->since[i] = 0;
        s->open[i] = -1;
        /* decisions are drawn from the episode's own streams */
        cm_rng_seed(&s->rng[i], env->maze_seed ^ s->model->seed, 4000 + (uint64_t)i);
    }
    return CM_OK;
}

static cm_status decide(hrl_state *s, const cm_coop_env *env, int i)
{
    int heuristic;
    int count = cm_coop_candidates(env, i, s->scratch, s->M, s->cells, s->feat, s->global, &heuristic);
    if (count == 0) {
        s->goal[i] = -1;
        return CM_OK;
    }
    for (int k = count; k < s->M; k++)
        memset(s->feat + (size_t)k * CM_COOP_CAND_FEATURES, 0, CM_COOP_CAND_FEATURES * sizeof(float));
    for (int k = 0; k < s->M; k++)
        s->mask[k] = k < count;
    cm_policy_batch b = {s->feat, s->global, s->mask, NULL, NULL, NULL, NULL, 0};
    cm_status st = cm_policy_forward(s->model->policy, s->ps, &b, 1, NULL);
    if (st != CM_OK)
        return st;
    int a = cm_policy_sample(s->ps, 0, s->model->sample ? &s->rng[i] : NULL);
    s->goal[i] = s->cells[a];
    s->since[i] = 0;
    if (!s->log)
        return CM_OK;
    /* the previous decision of this agent ends here */
    if (s->open[i] >= 0) {
        cm_coop_hrl_record *prev = &s->log->rec[s->open[i]];
        prev->t_end = (int)env->t;
        memcpy(prev->global_next, s->global, sizeof s->global);
    }
    cm_coop_hrl_record *r = NULL;
    if ((st = log_push(s->log, &r)) != CM_OK)
        return st;
    r->agent = i;
    r->t = (int)env->t;
    r->t_end = -1;
    memcpy(r->cand, s->feat, (size_t)s->M * CM_COOP_CAND_FEATURES * sizeof(float));
    memcpy(r->global, s->global, sizeof s->global);
    memcpy(r->mask, s->mask, (size_t)s->M);
    r->action = a;
    r->logp = cm_policy_logp(s->ps)[a];
    r->value = cm_policy_value(s->ps)[0];
    s->open[i] = s->log->n - 1;
    return CM_OK;
}

static cm_status hrl_act(void *state, const cm_coop_env *env, int *actions)
{
    hrl_state *s = state;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        const cm_coop_memory *m = &env->mem[i];
        int a = -1;
        if (m->target < 0) {
            int g = s->goal[i];
            int stale = g < 0 || m->cell[g] != CM_COOP_UNKNOWN || s->since[i] >= s->model->interval;
            if (!stale)
                a = cm_coop_plan_action(m, g, cm_coop_scratch_dist(s->scratch), cm_coop_scratch_queue(s->scratch));
            if (stale || a < 0) {
                cm_status st = decide(s, env, i);
                if (st != CM_OK)
                    return st;
                if (s->goal[i] >= 0)
                    a = cm_coop_plan_action(m, s->goal[i], cm_coop_scratch_dist(s->scratch),
                                            cm_coop_scratch_queue(s->scratch));
            }
        }
        actions[i] = a >= 0 ? a : cm_coop_fallback_action(env, i, s->scratch);
        s->since[i]++;
    }
    return CM_OK;
}

void cm_coop_policy_hrl(const cm_coop_hrl *model, cm_coop_policy *p)
{
    memset(p, 0, sizeof *p);
    p->name = "hrl-icm";
    p->model = (void *)model;
    p->state_create = hrl_create;
    p->state_free = hrl_free;
    p->reset = hrl_reset;
    p->act = hrl_act;
}

cm_status cm_coop_hrl_finish(void *policy_state, const cm_coop_env *env)
{
    hrl_state *s = policy_state;
    if (!s->log)
        return CM_OK;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        if (s->open[i] < 0)
            continue;
        cm_coop_hrl_record *r = &s->log->rec[s->open[i]];
        int heuristic;
        cm_coop_candidates(env, i, s->scratch, s->M, s->cells, s->feat, r->global_next, &heuristic);
        r->t_end = (int)env->t;
        r->done = 1;
        r->reward = env->success ? 1.0f : 0.0f;
        s->open[i] = -1;
    }
    return CM_OK;
}

void cm_coop_hrl_attach_log(void *policy_state, cm_coop_hrl_log *log) { ((hrl_state *)policy_state)->log = log; }
