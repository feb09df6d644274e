/* The learned scheme of cooperative search (coop.h): what a message is
 * about, the link's configuration for a budget, and the comm plug-in that
 * runs the link one round per step between the agents' memories. */
#include "cogmap/coop.h"
#include "cogmap/link.h"

#include <math.h>
#include <string.h>

/* Messages are about blocks of 3x3 cells (5 x 5 blocks in a 15x15 maze):
 * where a partner is, which block holds the target and which blocks it has
 * explored are few bits that change slowly, and a block is as good as a cell
 * for what the receiver does with them (split frontiers, search the target's
 * block with its own eyes, leave explored blocks alone). */
#define BLOCK 3
static int blocks(int n) { return (n + BLOCK - 1) / BLOCK; }

int cm_coop_learned_state_dim(int size)
{
    int b = blocks(size);
    return 4 * size + 3 + size * size + 4 * b + b * b;
}
int cm_coop_learned_out_dim(int size)
{
    int b = blocks(size);
    return 4 * b + 1 + b * b;
}
int cm_coop_learned_init_dim(int size) { return 2 * blocks(size); }

static int own_cell(const cm_coop_memory *m)
{
    if (!(isfinite(m->pose.x) && isfinite(m->pose.y)))
        return -1;
    int n = m->size, x = (int)floorf(m->pose.x), y = (int)floorf(m->pose.y);
    x = x < 0 ? 0 : x >= n ? n - 1 : x;
    y = y < 0 ? 0 : y >= n ? n - 1 : y;
    return y * n + x;
}

/* [x one-hot, y one-hot] of a cell (zeros for -1), at cell or block scale. */
static void cell_code(int n, int cell, int scale, float *out)
{
    int w = (n + scale - 1) / scale;
    memset(out, 0, (size_t)2 * w * sizeof(float));
    if (cell >= 0) {
        out[(cell % n) / scale] = 1.0f;
        out[w + (cell / n) / scale] = 1.0f;
    }
}

/* The share of each block's cells the agent has seen itself. */
static void explored(const cm_coop_memory *m, float *out)
{
    int n = m->size, nb = blocks(n);
    float count[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    memset(out, 0, (size_t)nb * nb * sizeof(float));
    memset(count, 0, (size_t)nb * nb * sizeof(float));
    for (int c = 0; c < n * n; c++) {
        int k = (c / n / BLOCK) * nb + (c % n) / BLOCK;
        count[k] += 1.0f;
        out[k] += m->origin[c] == CM_COOP_FROM_SELF ? 1.0f : 0.0f;
    }
    for (int k = 0; k < nb * nb; k++)
        out[k] /= count[k];
}

void cm_coop_learned_state(const cm_coop_memory *m, float *out)
{
    int n = m->size, nb = blocks(n), k = 0;
    cell_code(n, own_cell(m), 1, out);
    k += 2 * n;
    out[k++] = isfinite(m->pose.theta) ? cosf(m->pose.theta) : 0.0f;
    out[k++] = isfinite(m->pose.theta) ? sinf(m->pose.theta) : 0.0f;
    out[k++] = m->target >= 0 ? 1.0f : 0.0f;
    cell_code(n, m->target, 1, out + k);
    k += 2 * n;
    for (int c = 0; c < n * n; c++)
        out[k + c] = m->origin[c] == CM_COOP_FROM_SELF ? 1.0f : 0.0f;
    k += n * n;
    cell_code(n, own_cell(m), BLOCK, out + k);
    k += 2 * nb;
    cell_code(n, m->target, BLOCK, out + k);
    k += 2 * nb;
    explored(m, out + k);
}

void cm_coop_learned_target(const cm_coop_memory *m, float *out)
{
    int n = m->size, nb = blocks(n), k = 0;
    cell_code(n, own_cell(m), BLOCK, out);
    k += 2 * nb;
    out[k++] = m->target >= 0 ? 1.0f : 0.0f;
    cell_code(n, m->target, BLOCK, out + k);
    k += 2 * nb;
    explored(m, out + k);
}

void cm_coop_learned_init(int size, int cell, float *out) { cell_code(size, cell, BLOCK, out); }

cm_status cm_coop_link_config(const cm_coop_config *task, int budget, cm_link_config *c)
{
    cm_status st = cm_coop_config_check(task);
    if (st != CM_OK)
        return st;
    if (budget < 2 || budget > CM_LINK_MAX_BITS + 1)
        return cm_error(CM_ERR_ARG, "learned scheme: bits: expected 2..%d per step (one is the gate's), got %d",
                        CM_LINK_MAX_BITS + 1, budget);
    if (task->n_agents < 2)
        return cm_error(CM_ERR_ARG, "learned scheme: n_agents: expected >= 2 (someone to talk to), got %d",
                        task->n_agents);
    if ((st = cm_link_preset("ssmpc", c)) != CM_OK)
        return st;
    int n = task->maze_size;
    c->state_dim = cm_coop_learned_state_dim(n);
    c->ctx_dim = cm_coop_learned_state_dim(n);
    c->bits = budget - 1;
    c->senders = task->n_agents - 1;
    c->sender_hidden = 64;
    c->memory = 64;
    c->init_dim = cm_coop_learned_init_dim(n);
    c->decoder_hidden = 128;
    c->out_dim = cm_coop_learned_out_dim(n);
    c->target = CM_LINK_BERNOULLI;
    c->gate = 1;
    c->who = 0;
    c->beta = 0.0f;
    c->lambda = 0.0f;
    c->gate_bias = 2.0f;
    /* The Bernoulli code cooperative search was measured with (docs/coop.md);
     * the preset's threshold code (docs/social.md) is untried here. */
    c->code = CM_LINK_CODE_BERNOULLI;
    return cm_link_config_check(c);
}

/* ------------------------------------------------------------ the scheme */

typedef struct learned_state {
    const cm_link *link;
    int k, n, S, O, I, code_bits;
    cm_link_agent *agent[CM_COOP_MAX_AGENTS];
    cm_link_message msg[CM_COOP_MAX_AGENTS], in[CM_COOP_MAX_AGENTS];
    float *state; /* [K, S] */
    float *out;   /* [K-1, O] */
    float *init;  /* [K, I] */
} learned_state;

static void learned_free(void *state)
{
    learned_state *s = state;
    if (!s)
        return;
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++)
        cm_link_agent_free(s->agent[i]);
    cm_free(s->state);
    cm_free(s->out);
    cm_free(s->init);
    cm_free(s);
}

static cm_status learned_create(void *model, const cm_coop_config *cfg, int bits, void **state)
{
    *state = NULL;
    const cm_link *link = model;
    const cm_link_config *lc = cm_link_get_config(link);
    int n = cfg->maze_size;
    if (lc->state_dim != cm_coop_learned_state_dim(n) || lc->out_dim != cm_coop_learned_out_dim(n) ||
        lc->ctx_dim != cm_coop_learned_state_dim(n) || lc->init_dim != cm_coop_learned_init_dim(n) ||
        lc->senders != cfg->n_agents - 1 || lc->target != CM_LINK_BERNOULLI || !lc->gate)
        return cm_error(CM_ERR_ARG,
                        "learned scheme: the link's shapes (state %d, out %d, senders %d) do not fit a %dx%d maze "
                        "with %d agents (state %d, out %d)",
                        lc->state_dim, lc->out_dim, lc->senders, n, n, cfg->n_agents, cm_coop_learned_state_dim(n),
                        cm_coop_learned_out_dim(n));
    if (bits != lc->bits + 1)
        return cm_error(CM_ERR_ARG, "learned scheme: bits: the link sends %d + 1 gate bit, asked for %d", lc->bits,
                        bits);
    learned_state *s = cm_calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "learned scheme: out of memory");
    s->link = link;
    s->k = cfg->n_agents;
    s->n = n;
    s->S = lc->state_dim;
    s->O = lc->out_dim;
    s->I = lc->init_dim;
    s->code_bits = lc->bits;
    s->state = cm_alloc((size_t)s->k * s->S * sizeof(float));
    s->out = cm_alloc((size_t)(s->k - 1) * s->O * sizeof(float));
    s->init = cm_alloc((size_t)s->k * s->I * sizeof(float));
    cm_status st = s->state && s->out && s->init ? CM_OK : cm_error(CM_ERR_NOMEM, "learned scheme: out of memory");
    for (int i = 0; i < s->k && st == CM_OK; i++)
        st = cm_link_agent_create(link, &s->agent[i]);
    if (st != CM_OK) {
        learned_free(s);
        return st;
    }
    *state = s;
    return CM_OK;
}

static cm_status learned_reset(void *state, const cm_coop_env *env)
{
    learned_state *s = state;
    /* Memories start from where each agent starts; the team enters
     * together, so every agent knows every partner's start. */
    for (int i = 0; i < s->k; i++) {
        const cm_maze_agent *a = &env->world.agents[i];
        int cell = (int)floorf(a->pose.y) * s->n + (int)floorf(a->pose.x);
        cm_coop_learned_init(s->n, env->cfg.start == CM_COOP_START_TOGETHER ? cell : -1, s->init + (size_t)i * s->I);
    }
    float sender_init[CM_COOP_MAX_AGENTS * 2 * CM_MAZE_MAX_SIZE];
    for (int j = 0; j < s->k; j++) {
        int q = 0;
        for (int i = 0; i < s->k; i++)
            if (i != j)
                memcpy(sender_init + (size_t)(q++) * s->I, s->init + (size_t)i * s->I, (size_t)s->I * sizeof(float));
        cm_status st = cm_link_agent_reset(s->link, s->agent[j], s->init + (size_t)j * s->I, sender_init);
        if (st != CM_OK)
            return st;
    }
    return CM_OK;
}

/* Sure: p > 0.5 for a block coordinate, p > 0.9 for a sighting; a block
 * counts as explored by the partner when its predicted share passes 0.3
 * (with perfect messages 0.3 gave 0.825 success, 0.5 0.810, 0.7 0.757). */
#define POS_LOGIT 0.0f
#define SURE_LOGIT 2.1972246f
#define EXPLORED_LOGIT (-0.8472979f)

void cm_coop_learned_receive(cm_coop_memory *m, int sender, int64_t t, const float *o)
{
    const int n = m->size, nb = blocks(n);
    int bx = 0, by = 0, tx = 0, ty = 0;
    for (int c = 1; c < nb; c++) {
        bx = o[c] > o[bx] ? c : bx;
        by = o[nb + c] > o[nb + by] ? c : by;
        tx = o[2 * nb + 1 + c] > o[2 * nb + 1 + tx] ? c : tx;
        ty = o[3 * nb + 1 + c] > o[3 * nb + 1 + ty] ? c : ty;
    }
    /* Only what the receiver is sure of enters its memory: an unsure guess
     * would steer the agent worse than knowing nothing. A block stands for
     * its centre cell (clamped into the maze). */
    int cx = bx * BLOCK + 1 < n ? bx * BLOCK + 1 : n - 1, cy = by * BLOCK + 1 < n ? by * BLOCK + 1 : n - 1;
    if (o[bx] > POS_LOGIT && o[nb + by] > POS_LOGIT) {
        m->partner_cell[sender] = cy * n + cx;
        m->partner_step[sender] = t;
    }
    /* The target's block: a hint the agent goes to check with its own eyes
     * (its sighting replaces it; a block centre in view with no target
     * there rejects it). */
    int gx = tx * BLOCK + 1 < n ? tx * BLOCK + 1 : n - 1, gy = ty * BLOCK + 1 < n ? ty * BLOCK + 1 : n - 1;
    if (o[2 * nb] > SURE_LOGIT && o[2 * nb + 1 + tx] > POS_LOGIT && o[3 * nb + 1 + ty] > POS_LOGIT)
        cm_coop_memory_receive_target(m, gy * n + gx);
    const float *ex = o + 4 * nb + 1;
    for (int k = 0; k < nb * nb; k++)
        if (ex[k] > EXPLORED_LOGIT)
            for (int y = (k / nb) * BLOCK; y < (k / nb + 1) * BLOCK && y < n; y++)
                for (int x = (k % nb) * BLOCK; x < (k % nb + 1) * BLOCK && x < n; x++)
                    m->partner_seen[y * n + x] = 1;
}

static cm_status learned_round(void *state, cm_coop_env *env, cm_coop_messages *out)
{
    learned_state *s = state;
    const int k = s->k, n = s->n, O = s->O;
    cm_status st;
    for (int i = 0; i < k; i++)
        cm_coop_learned_state(&env->mem[i], s->state + (size_t)i * s->S);
    for (int i = 0; i < k; i++) {
        if ((st = cm_link_send(s->link, s->agent[i], s->state + (size_t)i * s->S, NULL, &s->msg[i])) != CM_OK)
            return st;
        /* one gate bit every step, the code when it opens */
        memset(out->payload[i], 0, sizeof out->payload[i]);
        out->payload[i][0] = (uint8_t)(s->msg[i].sent ? 0x80 : 0);
        int bits = 1;
        if (s->msg[i].sent)
            for (int b = 0; b < s->code_bits && bits < CM_COOP_MAX_BITS; b++, bits++)
                out->payload[i][bits >> 3] |= (uint8_t)(s->msg[i].bit[b] << (7 - (bits & 7)));
        out->bits[i] = 1 + (s->msg[i].sent ? s->code_bits : 0);
        out->gate[i] = s->msg[i].sent;
        env->mem[i].n_fresh = 0;
        env->mem[i].fresh_target = 0;
    }
    for (int j = 0; j < k; j++) {
        int q = 0, from[CM_COOP_MAX_AGENTS];
        for (int i = 0; i < k; i++)
            if (i != j) {
                from[q] = i;
                s->in[q++] = s->msg[i];
            }
        if ((st = cm_link_receive(s->link, s->agent[j], s->in, s->state + (size_t)j * s->S, s->out, NULL, NULL)) !=
            CM_OK)
            return st;
        cm_coop_memory *m = &env->mem[j];
        memset(m->partner_seen, 0, (size_t)n * n);
        for (int q2 = 0; q2 < q; q2++)
            cm_coop_learned_receive(m, from[q2], env->t, s->out + (size_t)q2 * O);
    }
    return CM_OK;
}

cm_status cm_coop_comm_learned(const cm_link *link, cm_coop_comm *out)
{
    memset(out, 0, sizeof *out);
    if (!link)
        return cm_error(CM_ERR_ARG, "learned scheme: expected a trained link");
    snprintf(out->name, sizeof out->name, "learned");
    out->bits = cm_link_get_config(link)->bits + 1;
    out->model = (void *)link;
    out->state_create = learned_create;
    out->state_free = learned_free;
    out->reset = learned_reset;
    out->round = learned_round;
    return CM_OK;
}

cm_status cm_coop_learned_from_set(void *ctx, int bits, cm_coop_comm *out)
{
    const cm_coop_link_set *set = ctx;
    char have[256] = "";
    size_t len = 0;
    for (int i = 0; i < set->n; i++) {
        int b = cm_link_get_config(set->link[i])->bits + 1;
        if (b == bits)
            return cm_coop_comm_learned(set->link[i], out);
        if (len < sizeof have - 16)
            len += (size_t)snprintf(have + len, sizeof have - len, "%s%d", i ? ", " : "", b);
    }
    return cm_error(CM_ERR_ARG, "learned scheme: no trained link for %d bits per step (links for: %s)", bits,
                    set->n ? have : "none");
}
