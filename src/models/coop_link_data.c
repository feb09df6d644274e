/* Training data of the learned scheme (coop.h): teams play episodes of the
 * task (a behaviour policy and scheme), every agent's message state and what
 * its partners should predict are recorded each step, and the episodes are
 * laid out as the link's receiver-major batches. A batch is a pure function
 * of (split, seed, first episode). */
#include "cogmap/coop.h"
#include "cogmap/link.h"

#include <math.h>
#include <string.h>

void cm_coop_link_data_free(cm_coop_link_data *d)
{
    if (!d)
        return;
    cm_free(d->rec_state);
    cm_free(d->rec_target);
    cm_free(d->rec_init);
    cm_free(d->rec_steps);
    cm_free(d->state);
    cm_free(d->ctx);
    cm_free(d->target);
    cm_free(d->init);
    cm_free(d->batch);
    memset(d, 0, sizeof *d);
}

cm_status cm_coop_link_data_init(cm_coop_link_data *d, const cm_coop_config *task, int episodes,
                                 const cm_coop_plugins *behaviour, const cm_coop_comm *scheme)
{
    memset(d, 0, sizeof *d);
    cm_status st = cm_coop_config_check(task);
    if (st != CM_OK)
        return st;
    if (episodes < 1 || task->n_agents < 2)
        return cm_error(CM_ERR_ARG, "learned scheme data: expected >= 1 episode of >= 2 agents, got %d of %d",
                        episodes, task->n_agents);
    d->task = *task;
    d->behaviour = *behaviour;
    d->scheme = *scheme;
    d->episodes = episodes;
    const int n = task->maze_size, K = task->n_agents, T = task->max_steps, N = K - 1, R = episodes * K;
    d->S = cm_coop_learned_state_dim(n);
    d->O = cm_coop_learned_out_dim(n);
    d->I = cm_coop_learned_init_dim(n);
    size_t eTK = (size_t)episodes * T * K;
    d->rec_state = cm_alloc(eTK * d->S * sizeof(float));
    d->rec_target = cm_alloc(eTK * d->O * sizeof(float));
    d->rec_init = cm_alloc((size_t)episodes * K * d->I * sizeof(float));
    d->rec_steps = cm_calloc((size_t)episodes, sizeof(int));
    d->state = cm_alloc((size_t)T * N * R * d->S * sizeof(float));
    d->ctx = cm_alloc((size_t)T * R * d->S * sizeof(float));
    d->target = cm_alloc((size_t)T * N * R * d->O * sizeof(float));
    d->init = cm_alloc((size_t)N * R * d->I * sizeof(float));
    d->batch = cm_calloc(1, sizeof *d->batch);
    if (!d->batch || !d->rec_state || !d->rec_target || !d->rec_init || !d->rec_steps || !d->state || !d->ctx || !d->target ||
        !d->init) {
        cm_coop_link_data_free(d);
        return cm_error(CM_ERR_NOMEM, "learned scheme data: out of memory for %d episodes", episodes);
    }
    return CM_OK;
}

/* One episode, recorded; after it ends the last step repeats to T (the
 * agents stand still). */
static cm_status record(cm_coop_link_data *d, cm_coop_env *env, void *pstate, int split, uint64_t seed, int64_t episode,
                        int slot)
{
    const int n = d->task.maze_size, K = d->task.n_agents, T = d->task.max_steps;
    cm_status st = cm_coop_env_reset(env, split, seed, episode);
    if (st == CM_OK && d->behaviour.policy.reset)
        st = d->behaviour.policy.reset(pstate, env);
    if (st != CM_OK)
        return st;
    float *rs = d->rec_state + (size_t)slot * T * K * d->S, *rt = d->rec_target + (size_t)slot * T * K * d->O;
    for (int i = 0; i < K; i++) {
        const cm_maze_agent *a = &env->world.agents[i];
        int cell = (int)floorf(a->pose.y) * n + (int)floorf(a->pose.x);
        cm_coop_learned_init(n, d->task.start == CM_COOP_START_TOGETHER ? cell : -1,
                             d->rec_init + ((size_t)slot * K + i) * d->I);
    }
    int actions[CM_COOP_MAX_AGENTS], t = 0;
    for (; t < T; t++) {
        if ((st = d->behaviour.policy.act(pstate, env, actions)) != CM_OK)
            return st;
        if ((st = cm_coop_env_step(env, actions)) != CM_OK)
            return st;
        /* the states the round of step t sent from (memories after observing) */
        for (int i = 0; i < K; i++) {
            cm_coop_learned_state(&env->mem[i], rs + ((size_t)t * K + i) * d->S);
            cm_coop_learned_target(&env->mem[i], rt + ((size_t)t * K + i) * d->O);
        }
        if (env->done)
            break;
    }
    d->rec_steps[slot] = t < T ? t + 1 : T;
    for (int u = d->rec_steps[slot]; u < T; u++) {
        memcpy(rs + (size_t)u * K * d->S, rs + (size_t)(u - 1) * K * d->S, (size_t)K * d->S * sizeof(float));
        memcpy(rt + (size_t)u * K * d->O, rt + (size_t)(u - 1) * K * d->O, (size_t)K * d->O * sizeof(float));
    }
    return CM_OK;
}

typedef struct fill_ctx {
    cm_coop_link_data *d;
    int split;
    uint64_t seed;
    int64_t first_episode;
} fill_ctx;

static cm_status play_recorded(void *ctx, cm_coop_worker *wk, int64_t e)
{
    fill_ctx *c = ctx;
    return record(c->d, wk->env, wk->policy_state, c->split, c->seed, c->first_episode + e, (int)e);
}

cm_status cm_coop_link_data_fill(cm_coop_link_data *d, int split, uint64_t seed, int64_t first_episode)
{
    const int K = d->task.n_agents, T = d->task.max_steps, N = K - 1, E = d->episodes, R = E * K;
    /* the recording of each episode is a pure function of its index, so the
     * batch does not depend on who plays it */
    fill_ctx c = {d, split, seed, first_episode};
    const cm_coop_workers w = {&d->task, &d->behaviour.perception, &d->scheme, &d->behaviour.policy, E,
                               play_recorded, NULL, &c};
    cm_status st = cm_coop_for_episodes(&w);
    if (st != CM_OK)
        return st;
    /* Receiver r = e*K + j hears senders n = 0..N-1, the other agents in
     * order; sender rows are (n, r). */
    for (int e = 0; e < E; e++)
        for (int j = 0; j < K; j++) {
            int r = e * K + j, q = 0;
            for (int i = 0; i < K; i++) {
                if (i == j)
                    continue;
                size_t row = (size_t)q * R + r;
                memcpy(d->init + row * d->I, d->rec_init + ((size_t)e * K + i) * d->I, (size_t)d->I * sizeof(float));
                for (int t = 0; t < T; t++) {
                    size_t src = ((size_t)e * T + t) * K + i;
                    memcpy(d->state + ((size_t)t * N * R + row) * d->S, d->rec_state + src * d->S,
                           (size_t)d->S * sizeof(float));
                    memcpy(d->target + ((size_t)t * N * R + row) * d->O, d->rec_target + src * d->O,
                           (size_t)d->O * sizeof(float));
                }
                q++;
            }
            for (int t = 0; t < T; t++)
                memcpy(d->ctx + ((size_t)t * R + r) * d->S, d->rec_state + (((size_t)e * T + t) * K + j) * d->S,
                       (size_t)d->S * sizeof(float));
        }
    memset(d->batch, 0, sizeof *d->batch);
    d->batch->state = d->state;
    d->batch->ctx = d->ctx;
    d->batch->init = d->init;
    d->batch->target = d->target;
    return CM_OK;
}
