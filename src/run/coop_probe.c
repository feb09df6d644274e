/* What the learned messages carry and when the gate stays silent (coop.h):
 * the team plays evaluation episodes with a learned scheme; each step, what
 * happened to each sender (entered a new block, explored a block further,
 * first saw the target, saw nothing new) is set against whether its gate
 * opened, and what each receiver took in is checked against the truth. */
#include "cogmap/coop.h"
#include "cogmap/io.h"

#include <math.h>
#include <string.h>

enum { EV_ALL, EV_BLOCK, EV_EXPLORED, EV_TARGET, EV_NOTHING, EV_N };
static const char *const ev_names[EV_N] = {"all steps", "entered a new block", "a block explored past 0.3",
                                           "first saw the target", "saw nothing new"};

/* Counts over the episodes played; every field is a whole number, so the
 * workers' sums add up to the same bits in any order. */
typedef struct probe_acc {
    double open[EV_N], count[EV_N];
    double pos_taken, pos_pairs, pos_right, tp, fp, fn, hint_right, hint_wrong;
    int64_t bits, agent_steps;
} probe_acc;

static void acc_add(probe_acc *to, const probe_acc *a)
{
    for (int k = 0; k < EV_N; k++) {
        to->open[k] += a->open[k];
        to->count[k] += a->count[k];
    }
    to->pos_taken += a->pos_taken, to->pos_pairs += a->pos_pairs, to->pos_right += a->pos_right;
    to->tp += a->tp, to->fp += a->fp, to->fn += a->fn;
    to->hint_right += a->hint_right, to->hint_wrong += a->hint_wrong;
    to->bits += a->bits, to->agent_steps += a->agent_steps;
}

/* Evaluation episode e, its counts added to a. */
static cm_status probe_episode(cm_coop_env *env, const cm_coop_plugins *pl, void *ps, uint64_t seed, int64_t e,
                               probe_acc *a)
{
    const cm_coop_config *task = &env->cfg;
    const int K = task->n_agents, n = task->maze_size, nb = (n + 2) / 3;
    float prev[CM_COOP_MAX_AGENTS][64], cur[CM_COOP_MAX_AGENTS][64];
    cm_status st = cm_coop_env_reset(env, CM_COOP_EVAL, seed, e);
    if (st == CM_OK && pl->policy.reset)
        st = pl->policy.reset(ps, env);
    for (int i = 0; i < K; i++)
        cm_coop_learned_target(&env->mem[i], prev[i]);
    int fresh_before[CM_COOP_MAX_AGENTS];
    int actions[CM_COOP_MAX_AGENTS];
    while (st == CM_OK && !env->done) {
        for (int i = 0; i < K; i++)
            fresh_before[i] = cm_coop_memory_known(&env->mem[i]);
        if ((st = pl->policy.act(ps, env, actions)) != CM_OK || (st = cm_coop_env_step(env, actions)) != CM_OK)
            break;
        for (int i = 0; i < K; i++) {
            cm_coop_learned_target(&env->mem[i], cur[i]);
            int g = env->msg.gate[i] > 0;
            a->bits += env->msg.bits[i];
            a->agent_steps++;
            int ev[EV_N] = {1, 0, 0, 0, 0};
            for (int k = 0; k < 2 * nb; k++)
                ev[EV_BLOCK] |= cur[i][k] != prev[i][k];
            for (int k = 0; k < nb * nb; k++)
                ev[EV_EXPLORED] |= prev[i][4 * nb + 1 + k] <= 0.3f && cur[i][4 * nb + 1 + k] > 0.3f;
            ev[EV_TARGET] = prev[i][2 * nb] < 0.5f && cur[i][2 * nb] > 0.5f &&
                            env->mem[i].target_origin == CM_COOP_FROM_SELF;
            ev[EV_NOTHING] = cm_coop_memory_known(&env->mem[i]) == fresh_before[i];
            for (int k = 0; k < EV_N; k++)
                if (ev[k]) {
                    a->count[k]++;
                    a->open[k] += g;
                }
        }
        /* what receivers hold about each partner now */
        for (int j = 0; j < K; j++)
            for (int i = 0; i < K; i++) {
                if (i == j)
                    continue;
                const cm_coop_memory *m = &env->mem[j];
                a->pos_pairs++;
                if (m->partner_cell[i] >= 0) {
                    a->pos_taken++;
                    int pc = m->partner_cell[i], bx = 0, by = 0;
                    for (int k = 0; k < nb; k++) {
                        bx = cur[i][k] > 0.5f ? k : bx;
                        by = cur[i][nb + k] > 0.5f ? k : by;
                    }
                    a->pos_right += (pc % n) / 3 == bx && (pc / n) / 3 == by;
                }
            }
        for (int j = 0; j < K; j++) {
            const cm_coop_memory *m = &env->mem[j];
            for (int k = 0; k < nb * nb; k++) {
                int truth = 0;
                for (int i = 0; i < K; i++)
                    truth |= i != j && cur[i][4 * nb + 1 + k] > 0.3f;
                int cx = (k % nb) * 3 + 1 < n ? (k % nb) * 3 + 1 : n - 1;
                int cy = (k / nb) * 3 + 1 < n ? (k / nb) * 3 + 1 : n - 1;
                int pred = m->partner_seen[cy * n + cx];
                a->tp += truth && pred;
                a->fp += !truth && pred;
                a->fn += truth && !pred;
            }
        }
        memcpy(prev, cur, sizeof prev);
    }
    for (int j = 0; j < K && st == CM_OK; j++) {
        const cm_coop_memory *m = &env->mem[j];
        if (m->target_origin == CM_COOP_FROM_LINK || m->rejected_target >= 0) {
            int tc = m->target >= 0 ? m->target : m->rejected_target;
            int right = (tc % n) / 3 == (env->target_cell % n) / 3 && (tc / n) / 3 == (env->target_cell / n) / 3;
            a->hint_right += right;
            a->hint_wrong += !right;
        }
    }
    return st;
}

typedef struct probe_ctx {
    const cm_coop_plugins *pl;
    uint64_t seed;
    probe_acc *mine; /* one per worker */
    probe_acc total;
} probe_ctx;

static cm_status play_probed(void *ctx, cm_coop_worker *wk, int64_t e)
{
    probe_ctx *c = ctx;
    return probe_episode(wk->env, c->pl, wk->policy_state, c->seed, e, &c->mine[wk->index]);
}

static void merge_probed(void *ctx, cm_coop_worker *wk)
{
    probe_ctx *c = ctx;
    acc_add(&c->total, &c->mine[wk->index]);
}

cm_status cm_coop_probe(const cm_coop_config *task, const cm_coop_plugins *pl, const cm_coop_comm *comm, int episodes,
                        uint64_t seed, cm_coop_probe_result *out)
{
    memset(out, 0, sizeof *out);
    if (episodes < 1)
        return cm_error(CM_ERR_ARG, "coop probe: episodes: expected >= 1, got %d", episodes);
    /* Episodes over the workers, as the bench's rows; each worker sums into
     * its own accumulator, merged as it finishes. */
    const int workers = cm_threads() > 0 ? cm_threads() : 1;
    probe_ctx c;
    memset(&c, 0, sizeof c);
    c.pl = pl, c.seed = seed, c.mine = cm_calloc((size_t)workers, sizeof(probe_acc));
    if (!c.mine)
        return cm_error(CM_ERR_NOMEM, "coop probe: out of memory for %d workers", workers);
    const cm_coop_workers w = {task, &pl->perception, comm, &pl->policy, episodes, play_probed, merge_probed, &c};
    cm_status status = cm_coop_for_episodes(&w);
    cm_free(c.mine);
    if (status != CM_OK)
        return status;
    const probe_acc t = c.total;
    out->episodes = episodes;
    out->bits_per_step = t.agent_steps ? (double)t.bits / (double)t.agent_steps : 0.0;
    for (int k = 0; k < EV_N; k++) {
        snprintf(out->event[k], sizeof out->event[k], "%s", ev_names[k]);
        out->event_steps[k] = t.count[k];
        out->gate_open[k] = t.count[k] > 0 ? t.open[k] / t.count[k] : NAN;
    }
    out->n_events = EV_N;
    out->position_taken = t.pos_pairs > 0 ? t.pos_taken / t.pos_pairs : NAN;
    out->position_right = t.pos_taken > 0 ? t.pos_right / t.pos_taken : NAN;
    out->explored_precision = t.tp + t.fp > 0 ? t.tp / (t.tp + t.fp) : NAN;
    out->explored_recall = t.tp + t.fn > 0 ? t.tp / (t.tp + t.fn) : NAN;
    out->target_hints_right = t.hint_right;
    out->target_hints_wrong = t.hint_wrong;
    return CM_OK;
}

cm_status cm_coop_probes_write_csv(const cm_coop_probe_result *rs, const int *bits, int n, const char *path)
{
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    fprintf(f.fp, "bits,quantity,value,steps\n");
    for (int i = 0; i < n; i++) {
        const cm_coop_probe_result *r = &rs[i];
        int b = bits[i];
        for (int k = 0; k < r->n_events; k++)
            fprintf(f.fp, "%d,gate open when: %s,%.4f,%.0f\n", b, r->event[k], r->gate_open[k], r->event_steps[k]);
        fprintf(f.fp, "%d,bits per step,%.4f,\n", b, r->bits_per_step);
        fprintf(f.fp, "%d,partner block taken in,%.4f,\n", b, r->position_taken);
        fprintf(f.fp, "%d,partner block right when taken,%.4f,\n", b, r->position_right);
        fprintf(f.fp, "%d,partner-explored blocks: precision,%.4f,\n", b, r->explored_precision);
        fprintf(f.fp, "%d,partner-explored blocks: recall,%.4f,\n", b, r->explored_recall);
        fprintf(f.fp, "%d,target hints in the right block,%.0f,\n", b, r->target_hints_right);
        fprintf(f.fp, "%d,target hints in a wrong block,%.0f,\n", b, r->target_hints_wrong);
    }
    return cm_atomic_commit(&f);
}
