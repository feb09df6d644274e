/* The link-free schemes and the broadcast baseline (coop.h, docs/coop.md):
 *   none       nothing is sent;
 *   oracle     every agent's new cells and sighting reach every partner at
 *              once (one shared map), with no budget; its bits/step report
 *              what that sharing would cost in broadcast's serialisation;
 *   broadcast  each agent's raw discoveries serialised as records (tag +
 *              cell index), queued, and sent B bits per step, a record split
 *              over steps when it does not fit; every partner hears the
 *              same bits and decodes whole records. */
#include "cogmap/coop.h"

#include <math.h>
#include <string.h>

int cm_coop_cell_bits(int size)
{
    int cells = size * size, b = 0;
    while ((1 << b) < cells)
        b++;
    return b;
}

int cm_coop_record_bits(int size) { return 2 + cm_coop_cell_bits(size); }

static int own_cell(const cm_coop_memory *m)
{
    if (!(isfinite(m->pose.x) && isfinite(m->pose.y)))
        return -1;
    int x = (int)floorf(m->pose.x), y = (int)floorf(m->pose.y);
    if (x < 0 || y < 0 || x >= m->size || y >= m->size)
        return -1;
    return y * m->size + x;
}

/* The records one agent has to tell this round, in the order they go out:
 * its cell when it changed, the fresh cells in discovery order, the target.
 * calls emit(ctx, tag, cell) for each; clears the fresh lists. */
typedef void (*emit_fn)(void *ctx, int sender, int tag, int cell);

static int collect_records(cm_coop_memory *m, int sender, emit_fn emit, void *ctx)
{
    int n = 0;
    int c = own_cell(m);
    if (c >= 0 && c != m->sent_cell) {
        emit(ctx, sender, CM_COOP_REC_POS, c);
        m->sent_cell = c;
        n++;
    }
    for (int i = 0; i < m->n_fresh; i++) {
        int cell = m->fresh[i];
        emit(ctx, sender, m->cell[cell] == CM_COOP_WALL ? CM_COOP_REC_WALL : CM_COOP_REC_FREE, cell);
        n++;
    }
    if (m->fresh_target && m->target >= 0) {
        emit(ctx, sender, CM_COOP_REC_TARGET, m->target);
        n++;
    }
    m->n_fresh = 0;
    m->fresh_target = 0;
    return n;
}

/* A received record into every partner's memory. */
static void deliver(cm_coop_env *env, int sender, int tag, int cell)
{
    for (int j = 0; j < env->cfg.n_agents; j++) {
        if (j == sender)
            continue;
        cm_coop_memory *r = &env->mem[j];
        switch (tag) {
        case CM_COOP_REC_FREE: cm_coop_memory_receive(r, cell, CM_COOP_FREE); break;
        case CM_COOP_REC_WALL: cm_coop_memory_receive(r, cell, CM_COOP_WALL); break;
        case CM_COOP_REC_POS:
            r->partner_cell[sender] = cell;
            r->partner_step[sender] = env->t;
            break;
        default: cm_coop_memory_receive_target(r, cell); break;
        }
    }
}

/* ------------------------------------------------------------------ none */

static cm_status none_round(void *state, cm_coop_env *env, cm_coop_messages *out)
{
    (void)state;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        env->mem[i].n_fresh = 0;
        env->mem[i].fresh_target = 0;
        out->bits[i] = 0;
    }
    return CM_OK;
}

/* ---------------------------------------------------------------- oracle */

static void oracle_emit(void *ctx, int sender, int tag, int cell) { deliver(ctx, sender, tag, cell); }

static cm_status oracle_round(void *state, cm_coop_env *env, cm_coop_messages *out)
{
    (void)state;
    int rb = cm_coop_record_bits(env->cfg.maze_size);
    for (int i = 0; i < env->cfg.n_agents; i++)
        out->bits[i] = rb * collect_records(&env->mem[i], i, oracle_emit, env);
    return CM_OK;
}

/* ------------------------------------------------------------- broadcast */

typedef struct bc_sender {
    uint8_t *queue;     /* ring of bits, one per byte */
    int64_t head, len;  /* read position, bits queued */
    int64_t dropped;    /* records that did not fit the ring (never with true perception) */
    int acc, n_acc;     /* the receivers' decoder: bits of the record being reassembled */
} bc_sender;

typedef struct bc_state {
    int bits, size, cell_bits, rec_bits;
    int64_t cap;
    bc_sender s[CM_COOP_MAX_AGENTS];
} bc_state;

static void bc_free(void *state)
{
    bc_state *b = state;
    if (!b)
        return;
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++)
        cm_free(b->s[i].queue);
    cm_free(b);
}

static cm_status bc_create(void *model, const cm_coop_config *cfg, int bits, void **state)
{
    (void)model;
    *state = NULL;
    if (bits < 1 || bits > CM_COOP_MAX_BITS)
        return cm_error(CM_ERR_ARG, "broadcast: bits: expected 1..%d per step, got %d", CM_COOP_MAX_BITS, bits);
    bc_state *b = cm_calloc(1, sizeof *b);
    if (!b)
        return cm_error(CM_ERR_NOMEM, "broadcast: out of memory");
    b->bits = bits;
    b->size = cfg->maze_size;
    b->cell_bits = cm_coop_cell_bits(cfg->maze_size);
    b->rec_bits = 2 + b->cell_bits;
    /* Room for every cell twice (a perception may revise a cell), a position
     * per step and the sightings. */
    b->cap = (int64_t)b->rec_bits * (4 * (int64_t)b->size * b->size + cfg->max_steps + 16);
    for (int i = 0; i < cfg->n_agents; i++)
        if (!(b->s[i].queue = cm_alloc((size_t)b->cap))) {
            bc_free(b);
            return cm_error(CM_ERR_NOMEM, "broadcast: out of memory for the queues");
        }
    *state = b;
    return CM_OK;
}

static cm_status bc_reset(void *state, const cm_coop_env *env)
{
    bc_state *b = state;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        b->s[i].head = b->s[i].len = b->s[i].dropped = 0;
        b->s[i].acc = b->s[i].n_acc = 0;
    }
    return CM_OK;
}

static void bc_push(void *ctx, int sender, int tag, int cell)
{
    bc_state *b = ctx;
    bc_sender *s = &b->s[sender];
    if (s->len + b->rec_bits > b->cap) {
        s->dropped++;
        return;
    }
    uint32_t rec = ((uint32_t)tag << b->cell_bits) | (uint32_t)cell;
    for (int k = b->rec_bits - 1; k >= 0; k--) {
        s->queue[(s->head + s->len) % b->cap] = (uint8_t)((rec >> k) & 1u);
        s->len++;
    }
}

static cm_status bc_round(void *state, cm_coop_env *env, cm_coop_messages *out)
{
    bc_state *b = state;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        bc_sender *s = &b->s[i];
        collect_records(&env->mem[i], i, bc_push, b);
        int send = s->len < b->bits ? (int)s->len : b->bits;
        memset(out->payload[i], 0, sizeof out->payload[i]);
        for (int k = 0; k < send; k++) {
            int bit = s->queue[s->head];
            s->head = (s->head + 1) % b->cap;
            s->len--;
            out->payload[i][k >> 3] |= (uint8_t)(bit << (7 - (k & 7)));
            /* what every partner decodes from the bits it heard */
            s->acc = (s->acc << 1) | bit;
            if (++s->n_acc == b->rec_bits) {
                deliver(env, i, s->acc >> b->cell_bits, s->acc & ((1 << b->cell_bits) - 1));
                s->acc = s->n_acc = 0;
            }
        }
        out->bits[i] = send;
    }
    return CM_OK;
}

cm_status cm_coop_comm_builtin(const char *name, int bits, cm_coop_comm *out)
{
    memset(out, 0, sizeof *out);
    if (!name)
        name = "";
    if (strcmp(name, "none") == 0) {
        out->round = none_round;
        out->bits = 0;
    } else if (strcmp(name, "oracle") == 0) {
        out->round = oracle_round;
        out->bits = -1;
    } else if (strcmp(name, "broadcast") == 0) {
        if (bits < 1 || bits > CM_COOP_MAX_BITS)
            return cm_error(CM_ERR_ARG, "broadcast: bits: expected 1..%d per step, got %d", CM_COOP_MAX_BITS, bits);
        out->state_create = bc_create;
        out->state_free = bc_free;
        out->reset = bc_reset;
        out->round = bc_round;
        out->bits = bits;
    } else {
        return cm_error(CM_ERR_ARG, "coop scheme: '%s': expected none, oracle or broadcast (learned needs a run)",
                        name);
    }
    snprintf(out->name, sizeof out->name, "%s", name);
    return CM_OK;
}
