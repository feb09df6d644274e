/* `cogmap train coop` (coop.h, docs/coop.md): the learned link of one budget
 * and the HRL-ICM meta-controller over it, as one training job of the
 * generic trainer (run.h), in two stages:
 *   steps [0, link_steps): the link learns what partners should know
 *     (link.h's objective) from episodes a team plays with the frontier
 *     policy and a shared map (the oracle scheme);
 *   steps [link_steps, ...): the link is fixed and the meta-controller
 *     learns with PPO from episodes the team plays with the learned link,
 *     on the success reward plus the ICM's curiosity (trained alongside).
 * Every step's episodes and random draws are pure functions of (seed,
 * step), so a resumed run repeats the uninterrupted one. */
#include "models/config_table.h"

#include "cogmap/coop.h"
#include "cogmap/io.h"
#include "cogmap/link.h"
#include "cogmap/policy.h"
#include "cogmap/run.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COOP_RUN_FORMAT "cogmap coop run"
#define LINK_STREAM (0x434cULL << 48)
#define ROLL_SEED_TAG 0x524f4c4cULL

/* ------------------------------------------------------------ configuration */

#define F(key, type, field, lo, hi) {key, type, offsetof(cm_coop_train_config, field), lo, hi}
static const cfgt_field fields[] = {
    F("bits", CFGT_INT, bits, 2, CM_LINK_MAX_BITS + 1),
    F("link_steps", CFGT_INT, link_steps, 0, 1e9),
    F("episodes", CFGT_INT, episodes, 1, 4096),
    F("rollouts", CFGT_INT, rollouts, 1, 4096),
    F("link_beta", CFGT_FLOAT, link_beta, 0, 1e6),
    F("link_lambda", CFGT_FLOAT, link_lambda, 0, 1e6),
    F("link_lr", CFGT_DOUBLE, link_lr, 0, 10),
    F("interval", CFGT_INT, interval, 1, 1000),
    F("ppo_epochs", CFGT_INT, ppo_epochs, 1, 100),
    F("gamma", CFGT_FLOAT, gamma, 0, 1),
    F("gae_lambda", CFGT_FLOAT, gae_lambda, 0, 1),
    F("entropy", CFGT_FLOAT, entropy, 0, 100),
    F("icm_eta", CFGT_FLOAT, icm_eta, 0, 1e6),
    F("policy_lr", CFGT_DOUBLE, policy_lr, 0, 10),
    F("hidden", CFGT_INT, hidden, 1, 4096),
    F("eval_episodes", CFGT_INT, eval_episodes, 1, 1000000),
};
#undef F
#define N_FIELDS ((int)(sizeof fields / sizeof fields[0]))

void cm_coop_train_config_default(cm_coop_train_config *c, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_coop_config_default(&c->task);
    c->bits = 4;
    c->link_steps = 2000;
    c->episodes = 8;
    c->rollouts = 16;
    c->link_beta = 0.0f;
    c->link_lambda = 0.05f;
    c->link_lr = 1e-3;
    c->interval = 10;
    c->ppo_epochs = 4;
    c->gamma = 0.99f;
    c->gae_lambda = 0.95f;
    c->entropy = 0.01f;
    c->icm_eta = 0.05f;
    c->policy_lr = 3e-4;
    c->hidden = 64;
    c->eval_episodes = 100;
    c->seed = seed;
}

cm_status cm_coop_train_config_set(cm_coop_train_config *c, const char *key_value)
{
    char key[64];
    const char *v;
    cm_status st = cfgt_split(key_value, "train coop --set", key, sizeof key, &v);
    if (st)
        return st;
    int r = cfgt_set(fields, N_FIELDS, c, "train coop --set", key, v);
    if (r < 0) {
        /* the task's own keys */
        cm_coop_config t = c->task;
        if ((st = cm_coop_config_set(&t, key_value)) != CM_OK)
            return cm_error(CM_ERR_ARG, "train coop --set: %s", cm_errmsg());
        c->task = t;
        r = CM_OK;
    }
    if (r == CM_OK && c->n_sets < CM_COOP_MAX_SETS)
        snprintf(c->sets[c->n_sets++], sizeof c->sets[0], "%s", key_value);
    return (cm_status)r;
}

cm_status cm_coop_train_config_write(const cm_coop_train_config *c, const char *run)
{
    cJSON *root = cJSON_CreateObject(), *sets = cJSON_CreateArray();
    int ok = root && sets && cJSON_AddStringToObject(root, "format", COOP_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "coop") && cm_run_json_add_seed(root, c->seed);
    for (int i = 0; ok && i < c->n_sets; i++)
        ok = cJSON_AddItemToArray(sets, cJSON_CreateString(c->sets[i]));
    if (ok)
        ok = cJSON_AddItemToObject(root, "sets", sets);
    else
        cJSON_Delete(sets);
    return cm_run_json_write(run, root, ok);
}

static cm_status set_key(void *c, const char *kv) { return cm_coop_train_config_set(c, kv); }

cm_status cm_coop_train_config_read(cm_coop_train_config *c, const char *run)
{
    char path[4096];
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, COOP_RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    cm_coop_train_config_default(c, seed);
    st = cm_run_json_replay_sets(root, path, 1, set_key, c);
    cJSON_Delete(root);
    return st;
}

/* ---------------------------------------------------------------- the job */

struct cm_coop_job {
    cm_coop_train_config c;
    int64_t next_step; /* the step the next gradient() computes (stage choice for grads()) */
    cm_coop_plugins behaviour;
    /* stage 1 */
    cm_link *link;
    cm_link_state *lstate;
    cm_optim lopt;
    cm_coop_link_data data;
    cm_link_losses last_link;
    /* stage 2 */
    cm_policy *policy;
    cm_policy_state *pstate;
    cm_optim popt;
    cm_icm *icm;
    cm_icm_state *istate;
    cm_optim iopt;
    cm_coop_hrl hrl;
    cm_coop_hrl_log *logs; /* [rollouts] one per episode */
    int cap;               /* decisions the PPO buffers hold */
    float *cand, *global, *global_next, *old_logp, *adv, *ret, *rint;
    uint8_t *mask;
    int *action, n;
    double last_rint, last_success, last_entropy, last_kl;
};

static int in_link_stage(const cm_coop_job *j, int64_t step) { return step < j->c.link_steps; }

void cm_coop_job_free(cm_coop_job *j)
{
    if (!j)
        return;
    cm_link_state_free(j->lstate);
    cm_link_free(j->link);
    cm_optim_free(&j->lopt);
    cm_coop_link_data_free(&j->data);
    cm_policy_state_free(j->pstate);
    cm_policy_free(j->policy);
    cm_optim_free(&j->popt);
    cm_icm_state_free(j->istate);
    cm_icm_free(j->icm);
    cm_optim_free(&j->iopt);
    for (int e = 0; j->logs && e < j->c.rollouts; e++)
        cm_coop_hrl_log_free(&j->logs[e]);
    cm_free(j->logs);
    cm_free(j->cand);
    cm_free(j->global);
    cm_free(j->global_next);
    cm_free(j->old_logp);
    cm_free(j->adv);
    cm_free(j->ret);
    cm_free(j->rint);
    cm_free(j->mask);
    cm_free(j->action);
    cm_free(j);
}

cm_status cm_coop_job_create(const cm_coop_train_config *c, cm_coop_job **out)
{
    *out = NULL;
    cm_status st = cm_coop_config_check(&c->task);
    if (st != CM_OK)
        return st;
    cm_coop_job *j = cm_calloc(1, sizeof *j);
    if (!j)
        return cm_error(CM_ERR_NOMEM, "coop job: out of memory");
    j->c = *c;
    cm_coop_perception_truth(&j->behaviour.perception);
    cm_coop_policy_frontier(&j->behaviour.policy);
    cm_link_config lc;
    st = cm_coop_link_config(&c->task, c->bits, &lc);
    if (st == CM_OK) {
        lc.beta = c->link_beta;
        lc.lambda = c->link_lambda;
        lc.optim.lr = c->link_lr;
        st = cm_link_create(&lc, c->seed, &j->link);
    }
    if (st == CM_OK)
        st = cm_link_state_create(j->link, c->episodes * c->task.n_agents, c->task.max_steps, &j->lstate);
    if (st == CM_OK)
        st = cm_optim_init(&j->lopt, &lc.optim, cm_link_params(j->link)->total);
    cm_coop_comm oracle;
    if (st == CM_OK)
        st = cm_coop_comm_builtin("oracle", 0, &oracle);
    if (st == CM_OK)
        st = cm_coop_link_data_init(&j->data, &c->task, c->episodes, &j->behaviour, &oracle);
    cm_policy_config pc;
    if (st == CM_OK)
        st = cm_policy_preset("meta", &pc);
    if (st == CM_OK) {
        pc.hidden = c->hidden;
        pc.entropy_coef = c->entropy;
        pc.optim.lr = c->policy_lr;
        st = cm_policy_create(&pc, c->seed ^ 0x706f6cULL, &j->policy);
    }
    cm_icm_config ic;
    if (st == CM_OK)
        st = cm_icm_preset("meta", &ic);
    if (st == CM_OK) {
        ic.state_dim = CM_COOP_GLOBAL_FEATURES;
        ic.n_actions = pc.n_cand;
        ic.eta = c->icm_eta;
        st = cm_icm_create(&ic, c->seed ^ 0x69636dULL, &j->icm);
    }
    if (st == CM_OK)
        st = cm_optim_init(&j->popt, &pc.optim, cm_policy_params(j->policy)->total);
    if (st == CM_OK) {
        cm_optim_config io = cm_optim_defaults(CM_OPTIM_ADAM);
        io.lr = 1e-3;
        st = cm_optim_init(&j->iopt, &io, cm_icm_params(j->icm)->total);
    }
    if (st == CM_OK && !(j->logs = cm_calloc((size_t)c->rollouts, sizeof *j->logs)))
        st = cm_error(CM_ERR_NOMEM, "coop job: out of memory");
    if (st != CM_OK) {
        cm_coop_job_free(j);
        return st;
    }
    j->hrl.policy = j->policy;
    j->hrl.interval = c->interval;
    j->hrl.sample = 1;
    j->hrl.seed = c->seed;
    *out = j;
    return CM_OK;
}

const cm_link *cm_coop_job_link(const cm_coop_job *j) { return j->link; }
const cm_policy *cm_coop_job_policy(const cm_coop_job *j) { return j->policy; }

static size_t job_n_params(void *job)
{
    cm_coop_job *j = job;
    return in_link_stage(j, j->next_step) ? cm_link_params(j->link)->total : cm_policy_params(j->policy)->total;
}
static float *job_params(void *job)
{
    cm_coop_job *j = job;
    return in_link_stage(j, j->next_step) ? cm_link_params(j->link)->params : cm_policy_params(j->policy)->params;
}
static float *job_grads(void *job)
{
    cm_coop_job *j = job;
    return in_link_stage(j, j->next_step) ? cm_link_params(j->link)->grads : cm_policy_params(j->policy)->grads;
}

/* ------------------------------------------------------------- stage 1 */

static cm_status link_gradient(cm_coop_job *j, int64_t step, double *loss)
{
    cm_status st = cm_coop_link_data_fill(&j->data, CM_COOP_TRAIN, j->c.seed, step * j->c.episodes);
    if (st != CM_OK)
        return st;
    cm_rng rng;
    cm_rng_seed(&rng, j->c.seed, LINK_STREAM | (uint64_t)step);
    cm_params *p = cm_link_params(j->link);
    memset(p->grads, 0, p->total * sizeof(float));
    if ((st = cm_link_forward(j->link, j->lstate, j->data.batch, &rng, loss)) != CM_OK)
        return st;
    cm_link_get_losses(j->lstate, &j->last_link);
    return cm_link_backward(j->link, j->lstate, p->grads);
}

/* ------------------------------------------------------------- stage 2 */

/* The team plays `rollouts` training episodes with the learned link and the
 * meta-controller drawing its decisions; each episode's decisions in its log. */
typedef struct rollout_ctx {
    cm_coop_job *j;
    const cm_coop_policy *pol;
    int64_t step, successes;
} rollout_ctx;

static cm_status play_rollout(void *ctx, cm_coop_worker *wk, int64_t e)
{
    rollout_ctx *c = ctx;
    cm_coop_job *j = c->j;
    cm_coop_hrl_log_clear(&j->logs[e]);
    cm_coop_hrl_attach_log(wk->policy_state, &j->logs[e]);
    cm_coop_episode r = {0, 0, -1, 0};
    /* episodes of stage 2 come after every episode stage 1 used */
    int64_t index = (int64_t)1 << 40 | (c->step * j->c.rollouts + e);
    cm_status st = cm_coop_run_episode(wk->env, c->pol, wk->policy_state, CM_COOP_TRAIN, j->c.seed, index, &r);
    if (st == CM_OK)
        st = cm_coop_hrl_finish(wk->policy_state, wk->env);
#pragma omp atomic
    c->successes += r.success;
    return st;
}

static cm_status rollouts(cm_coop_job *j, int64_t step)
{
    cm_coop_comm comm;
    cm_status st = cm_coop_comm_learned(j->link, &comm);
    if (st != CM_OK)
        return st;
    cm_coop_policy pol;
    cm_coop_policy_hrl(&j->hrl, &pol);
    rollout_ctx c = {j, &pol, step, 0};
    const cm_coop_workers w = {&j->c.task, &j->behaviour.perception, &comm, &pol, j->c.rollouts, play_rollout, NULL,
                               &c};
    st = cm_coop_for_episodes(&w);
    j->last_success = (double)c.successes / j->c.rollouts;
    return st;
}

static cm_status ensure_buffers(cm_coop_job *j, int n)
{
    if (n <= j->cap)
        return CM_OK;
    const int M = cm_policy_get_config(j->policy)->n_cand, F = CM_COOP_CAND_FEATURES, G = CM_COOP_GLOBAL_FEATURES;
    cm_free(j->cand);
    cm_free(j->global);
    cm_free(j->global_next);
    cm_free(j->old_logp);
    cm_free(j->adv);
    cm_free(j->ret);
    cm_free(j->rint);
    cm_free(j->mask);
    cm_free(j->action);
    cm_policy_state_free(j->pstate);
    cm_icm_state_free(j->istate);
    j->pstate = NULL;
    j->istate = NULL;
    j->cap = 0;
    int cap = n + n / 2 + 64;
    j->cand = cm_alloc((size_t)cap * M * F * sizeof(float));
    j->global = cm_alloc((size_t)cap * G * sizeof(float));
    j->global_next = cm_alloc((size_t)cap * G * sizeof(float));
    j->old_logp = cm_alloc((size_t)cap * sizeof(float));
    j->adv = cm_alloc((size_t)cap * sizeof(float));
    j->ret = cm_alloc((size_t)cap * sizeof(float));
    j->rint = cm_alloc((size_t)cap * sizeof(float));
    j->mask = cm_alloc((size_t)cap * M);
    j->action = cm_alloc((size_t)cap * sizeof(int));
    if (!j->cand || !j->global || !j->global_next || !j->old_logp || !j->adv || !j->ret || !j->rint || !j->mask ||
        !j->action)
        return cm_error(CM_ERR_NOMEM, "coop job: out of memory for %d decisions", cap);
    cm_status st = cm_policy_state_create(j->policy, cap, &j->pstate);
    if (st == CM_OK)
        st = cm_icm_state_create(j->icm, cap, &j->istate);
    if (st == CM_OK)
        j->cap = cap;
    return st;
}

/* The decisions as PPO's batch: features, the ICM's curiosity, advantages by
 * GAE over each agent's decisions (an option of tau steps discounts by
 * gamma^tau; the success reward comes at the option's last step). */
static cm_status build_batch(cm_coop_job *j)
{
    const int M = cm_policy_get_config(j->policy)->n_cand, F = CM_COOP_CAND_FEATURES, G = CM_COOP_GLOBAL_FEATURES;
    int n = 0;
    for (int e = 0; e < j->c.rollouts; e++)
        n += j->logs[e].n;
    j->n = n;
    if (n == 0)
        return CM_OK;
    cm_status st = ensure_buffers(j, n);
    if (st != CM_OK)
        return st;
    int k = 0;
    for (int e = 0; e < j->c.rollouts; e++)
        for (int r = 0; r < j->logs[e].n; r++, k++) {
            const cm_coop_hrl_record *d = &j->logs[e].rec[r];
            memcpy(j->cand + (size_t)k * M * F, d->cand, (size_t)M * F * sizeof(float));
            memcpy(j->global + (size_t)k * G, d->global, G * sizeof(float));
            memcpy(j->global_next + (size_t)k * G, d->global_next, G * sizeof(float));
            memcpy(j->mask + (size_t)k * M, d->mask, (size_t)M);
            j->action[k] = d->action;
            j->old_logp[k] = d->logp;
        }
    /* curiosity of every decision */
    cm_icm_batch ib = {j->global, j->global_next, j->action, 0};
    double iloss;
    cm_params *ip = cm_icm_params(j->icm);
    memset(ip->grads, 0, ip->total * sizeof(float));
    if ((st = cm_icm_forward(j->icm, j->istate, &ib, n, j->rint, &iloss, NULL, NULL)) != CM_OK ||
        (st = cm_icm_backward(j->icm, j->istate, ip->grads)) != CM_OK)
        return st;
    double rsum = 0;
    for (int i = 0; i < n; i++)
        rsum += j->rint[i];
    j->last_rint = rsum / n;
    /* GAE, backwards over each agent's decisions of each episode */
    const float g = j->c.gamma, lam = j->c.gae_lambda;
    k = 0;
    for (int e = 0; e < j->c.rollouts; e++) {
        const cm_coop_hrl_log *L = &j->logs[e];
        float next_adv[CM_COOP_MAX_AGENTS], next_val[CM_COOP_MAX_AGENTS];
        for (int a = 0; a < CM_COOP_MAX_AGENTS; a++)
            next_adv[a] = next_val[a] = 0.0f;
        for (int r = L->n - 1; r >= 0; r--) {
            const cm_coop_hrl_record *d = &L->rec[r];
            int tau = d->t_end - d->t > 0 ? d->t_end - d->t : 1;
            float disc = powf(g, (float)tau);
            float ext = d->reward * powf(g, (float)(tau - 1));
            float boot = d->done ? 0.0f : disc * next_val[d->agent];
            float delta = ext + j->rint[k + r] + boot - d->value;
            float adv = delta + (d->done ? 0.0f : disc * lam * next_adv[d->agent]);
            j->adv[k + r] = adv;
            j->ret[k + r] = adv + d->value;
            next_adv[d->agent] = adv;
            next_val[d->agent] = d->value;
        }
        k += L->n;
    }
    /* normalised advantages (PPO's usual) */
    double mean = 0, var = 0;
    for (int i = 0; i < n; i++)
        mean += j->adv[i];
    mean /= n;
    for (int i = 0; i < n; i++)
        var += (j->adv[i] - mean) * (j->adv[i] - mean);
    float sd = (float)sqrt(var / n) + 1e-8f;
    for (int i = 0; i < n; i++)
        j->adv[i] = (float)((j->adv[i] - mean) / sd);
    return CM_OK;
}

static cm_status ppo_gradient(cm_coop_job *j, double *loss)
{
    cm_params *p = cm_policy_params(j->policy);
    memset(p->grads, 0, p->total * sizeof(float));
    cm_policy_batch b = {j->cand, j->global, j->mask, j->action, j->old_logp, j->adv, j->ret, 0};
    cm_status st = cm_policy_forward(j->policy, j->pstate, &b, j->n, loss);
    if (st == CM_OK)
        st = cm_policy_backward(j->policy, j->pstate, p->grads);
    cm_policy_losses L;
    cm_policy_get_losses(j->pstate, &L);
    j->last_entropy = L.entropy;
    j->last_kl = L.approx_kl;
    return st;
}

static cm_status job_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    cm_coop_job *j = job;
    if (n_shards != 1 || shard != 0)
        return cm_error(CM_ERR_UNSUPPORTED, "coop job: one shard per step (episodes and PPO epochs run whole), got %d",
                        n_shards);
    j->next_step = step;
    *weight = 1;
    if (in_link_stage(j, step))
        return link_gradient(j, step, loss_sum);
    cm_status st = rollouts(j, step);
    if (st == CM_OK)
        st = build_batch(j);
    if (st != CM_OK)
        return st;
    if (j->n == 0) {
        *loss_sum = 0;
        return CM_OK;
    }
    return ppo_gradient(j, loss_sum);
}

static cm_status job_update(void *job, int64_t step)
{
    cm_coop_job *j = job;
    j->next_step = step + 1;
    if (in_link_stage(j, step)) {
        cm_params *p = cm_link_params(j->link);
        cm_clip_grad_norm(p->grads, p->total, cm_link_get_config(j->link)->clip_norm);
        cm_optim_step(&j->lopt, p->params, p->grads);
        return CM_OK;
    }
    if (j->n == 0)
        return CM_OK;
    cm_params *p = cm_policy_params(j->policy), *ip = cm_icm_params(j->icm);
    const float clip = cm_policy_get_config(j->policy)->clip_norm;
    cm_optim_step(&j->iopt, ip->params, ip->grads);
    cm_clip_grad_norm(p->grads, p->total, clip);
    cm_optim_step(&j->popt, p->params, p->grads);
    /* PPO's further epochs over the same decisions, clipped against old_logp */
    for (int epoch = 1; epoch < j->c.ppo_epochs; epoch++) {
        double loss;
        cm_status st = ppo_gradient(j, &loss);
        if (st != CM_OK)
            return st;
        if (!isfinite(loss))
            return cm_error(CM_ERR_NUMERIC, "coop job: PPO epoch %d of step %" PRId64 ": loss %g", epoch, step, loss);
        cm_clip_grad_norm(p->grads, p->total, clip);
        cm_optim_step(&j->popt, p->params, p->grads);
    }
    return CM_OK;
}

/* Success of the team on evaluation episodes with the learned link: with the
 * frontier policy while the link trains (and at its last step), with the
 * meta-controller (its likeliest decisions) after. */
static cm_status job_evaluate(void *job, int64_t step, cm_metrics *out)
{
    cm_coop_job *j = job;
    cm_coop_bench_config bc;
    cm_coop_bench_config_default(&bc);
    bc.task = j->c.task;
    bc.n_schemes = 1;
    snprintf(bc.schemes[0], sizeof bc.schemes[0], "learned");
    bc.n_bits = 1;
    bc.bits[0] = j->c.bits;
    bc.episodes = j->c.eval_episodes;
    bc.seed = j->c.seed;
    cm_coop_plugins pl;
    memset(&pl, 0, sizeof pl);
    cm_coop_perception_truth(&pl.perception);
    cm_coop_hrl greedy = j->hrl;
    greedy.sample = 0;
    /* evaluation after step k: the frontier policy until the meta-controller has taken a step */
    int link_stage = step <= j->c.link_steps;
    if (link_stage)
        cm_coop_policy_frontier(&pl.policy);
    else
        cm_coop_policy_hrl(&greedy, &pl.policy);
    cm_coop_link_set links = {1, {j->link}};
    pl.learned = cm_coop_learned_from_set;
    pl.learned_ctx = &links;
    cm_coop_table t;
    cm_status st = cm_coop_bench(&bc, &pl, NULL, &t);
    if (st != CM_OK)
        return st;
    if ((st = cm_metrics_set(out, "success", t.rows[0].success, CM_HIGHER_IS_BETTER)) != CM_OK ||
        (st = cm_metrics_set(out, "bits_per_step", t.rows[0].bits_per_step, CM_LOWER_IS_BETTER)) != CM_OK ||
        (st = cm_metrics_set(out, "mean_steps", t.rows[0].mean_steps, CM_LOWER_IS_BETTER)) != CM_OK ||
        (st = cm_metrics_set(out, "stage", link_stage ? 1.0 : 2.0, CM_LOWER_IS_BETTER)) != CM_OK)
        return st;
    if (link_stage) {
        if ((st = cm_metrics_set(out, "link_nll", j->last_link.nll, CM_LOWER_IS_BETTER)) != CM_OK ||
            (st = cm_metrics_set(out, "sent", j->last_link.sent, CM_LOWER_IS_BETTER)) != CM_OK)
            return st;
    } else if ((st = cm_metrics_set(out, "train_success", j->last_success, CM_HIGHER_IS_BETTER)) != CM_OK ||
               (st = cm_metrics_set(out, "curiosity", j->last_rint, CM_HIGHER_IS_BETTER)) != CM_OK ||
               (st = cm_metrics_set(out, "entropy", j->last_entropy, CM_HIGHER_IS_BETTER)) != CM_OK) {
        return st;
    }
    return CM_OK;
}

/* ------------------------------------------------------------ checkpoints */

static cm_status optim_save(const cm_optim *o, const char *dir, const char *name)
{
    char path[4200], step[32];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    snprintf(step, sizeof step, "%" PRId64, o->t);
    const char *keys[] = {"step", "optimizer"}, *vals[] = {step, cm_optim_name(o->cfg.kind)};
    size_t n = cm_optim_state_floats(o);
    int64_t shape[1] = {(int64_t)(n ? n : 1)};
    float zero = 0.0f;
    cm_array a = cm_array_view("state", CM_F32, 1, shape, n ? (const void *)o->state : (const void *)&zero);
    return cm_safetensors_write(path, &a, 1, keys, vals, 2);
}

static cm_status optim_load(cm_optim *o, const char *dir, const char *name)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    cm_safetensors f;
    cm_status st = cm_safetensors_read(path, &f);
    if (st != CM_OK)
        return st;
    const cm_array *a = cm_safetensors_get(&f, "state");
    const char *step = cm_safetensors_meta(&f, "step");
    size_t n = cm_optim_state_floats(o);
    if (!a || a->dtype != CM_F32 || a->ndim != 1 || a->shape[0] != (int64_t)(n ? n : 1) || !step)
        st = cm_error(CM_ERR_FORMAT, "%s: expected a state of %zu floats and a step", path, n);
    else {
        if (n)
            memcpy(o->state, a->data, n * sizeof(float));
        o->t = strtoll(step, NULL, 10);
    }
    cm_safetensors_free(&f);
    return st;
}

static cm_status job_save(void *job, const char *dir)
{
    cm_coop_job *j = job;
    char sub[4200];
    cm_status st = cm_mkdir_p(dir);
    snprintf(sub, sizeof sub, "%s/link", dir);
    if (st == CM_OK)
        st = cm_link_save(j->link, sub);
    if (st == CM_OK)
        st = optim_save(&j->lopt, sub, "optimizer.safetensors");
    snprintf(sub, sizeof sub, "%s/policy", dir);
    if (st == CM_OK)
        st = cm_policy_save(j->policy, sub);
    if (st == CM_OK)
        st = optim_save(&j->popt, sub, "optimizer.safetensors");
    snprintf(sub, sizeof sub, "%s/icm", dir);
    if (st == CM_OK)
        st = cm_icm_save(j->icm, sub);
    if (st == CM_OK)
        st = optim_save(&j->iopt, sub, "optimizer.safetensors");
    if (st == CM_OK) {
        char text[64];
        int len = snprintf(text, sizeof text, "{\"next_step\": %" PRId64 "}\n", j->next_step);
        snprintf(sub, sizeof sub, "%s/coop.json", dir);
        st = cm_write_file_atomic(sub, text, (size_t)len);
    }
    return st;
}

static cm_status load_params(cm_params *dst, const cm_params *src, const char *what, const char *dir)
{
    if (dst->total != src->total)
        return cm_error(CM_ERR_FORMAT, "%s/%s: the checkpoint's shapes are not this run's", dir, what);
    memcpy(dst->params, src->params, dst->total * sizeof(float));
    return CM_OK;
}

static cm_status job_load(void *job, const char *dir)
{
    cm_coop_job *j = job;
    char sub[4200];
    cm_link *l = NULL;
    cm_policy *p = NULL;
    cm_icm *m = NULL;
    snprintf(sub, sizeof sub, "%s/link", dir);
    cm_status st = cm_link_load(sub, &l);
    if (st == CM_OK)
        st = load_params(cm_link_params(j->link), cm_link_params(l), "link", dir);
    if (st == CM_OK)
        st = optim_load(&j->lopt, sub, "optimizer.safetensors");
    snprintf(sub, sizeof sub, "%s/policy", dir);
    if (st == CM_OK)
        st = cm_policy_load(sub, &p);
    if (st == CM_OK)
        st = load_params(cm_policy_params(j->policy), cm_policy_params(p), "policy", dir);
    if (st == CM_OK)
        st = optim_load(&j->popt, sub, "optimizer.safetensors");
    snprintf(sub, sizeof sub, "%s/icm", dir);
    if (st == CM_OK)
        st = cm_icm_load(sub, &m);
    if (st == CM_OK)
        st = load_params(cm_icm_params(j->icm), cm_icm_params(m), "icm", dir);
    if (st == CM_OK)
        st = optim_load(&j->iopt, sub, "optimizer.safetensors");
    if (st == CM_OK) {
        snprintf(sub, sizeof sub, "%s/coop.json", dir);
        cJSON *o = NULL;
        st = cm_json_read(sub, &o);
        const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, "next_step") : NULL;
        if (st == CM_OK && !cJSON_IsNumber(v))
            st = cm_error(CM_ERR_FORMAT, "%s: next_step: expected a number", sub);
        if (st == CM_OK)
            j->next_step = (int64_t)v->valuedouble;
        cJSON_Delete(o);
    }
    cm_link_free(l);
    cm_policy_free(p);
    cm_icm_free(m);
    return st;
}

const cm_train_job_ops cm_coop_job_ops = {
    .model_name = "coop",
    .n_params = job_n_params,
    .params = job_params,
    .grads = job_grads,
    .gradient = job_gradient,
    .update = job_update,
    .evaluate = job_evaluate,
    .save = job_save,
    .load = job_load,
};
