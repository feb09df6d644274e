/* Several agents in one world (social.h): K independent agents in an open
 * arena (the world module's continuous motion models) or in one Memory-Maze
 * maze (its discrete walker driven by the exploring policy). Each batch
 * element draws from its own rng stream, so a batch is a pure function of
 * (seed, stream, index). */
#include "cogmap/social.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct cm_agents_source {
    cm_agents_config cfg;
    uint64_t seed;
    cm_arena arena;
    cm_motion motion;
    cm_maze *mazes; /* [cfg.mazes] when world == CM_AGENTS_MAZE */
};

void cm_agents_config_default(cm_agents_config *c)
{
    memset(c, 0, sizeof *c);
    c->world = CM_AGENTS_ARENA;
    strcpy(c->arena, "box15");
    strcpy(c->motion, "sorscher");
    c->motion_scale = 10.0f;
    c->substeps = 1;
    c->maze_size = 15;
    c->mazes = 64;
    c->maze_noise = 0.1f;
    c->agents = 2;
    c->steps = 100;
    c->p_static = 0.2f;
}

cm_status cm_agents_config_check(const cm_agents_config *c)
{
    if (c->world != CM_AGENTS_ARENA && c->world != CM_AGENTS_MAZE)
        return cm_error(CM_ERR_ARG, "agents: world: expected arena or maze, got %d", (int)c->world);
    if (c->agents < 1 || c->agents > CM_AGENTS_MAX)
        return cm_error(CM_ERR_ARG, "agents: agents: expected 1..%d, got %d", CM_AGENTS_MAX, c->agents);
    if (c->steps < 1 || c->steps > (1 << 20))
        return cm_error(CM_ERR_ARG, "agents: steps: expected 1..2^20, got %d", c->steps);
    if (!(c->p_static >= 0.0f && c->p_static <= 1.0f))
        return cm_error(CM_ERR_ARG, "agents: p_static: expected a probability in [0, 1], got %g", c->p_static);
    if (c->world == CM_AGENTS_ARENA) {
        if (!(c->motion_scale > 0.0f && isfinite(c->motion_scale)))
            return cm_error(CM_ERR_ARG, "agents: motion_scale: expected > 0, got %g", c->motion_scale);
        if (c->substeps < 1 || c->substeps > 1000)
            return cm_error(CM_ERR_ARG, "agents: substeps: expected 1..1000, got %d", c->substeps);
    } else {
        if (c->maze_size < CM_MAZE_MIN_SIZE || c->maze_size > CM_MAZE_MAX_SIZE || c->maze_size % 2 == 0)
            return cm_error(CM_ERR_ARG, "agents: maze_size: expected an odd size in %d..%d, got %d",
                            CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE, c->maze_size);
        if (c->mazes < 1 || c->mazes > 100000)
            return cm_error(CM_ERR_ARG, "agents: mazes: expected 1..100000, got %d", c->mazes);
        if (!(c->maze_noise >= 0.0f && c->maze_noise <= 1.0f))
            return cm_error(CM_ERR_ARG, "agents: maze_noise: expected a probability in [0, 1], got %g",
                            c->maze_noise);
        if (c->agents > CM_MAZE_MAX_AGENTS)
            return cm_error(CM_ERR_ARG, "agents: agents: a maze holds at most %d, got %d", CM_MAZE_MAX_AGENTS,
                            c->agents);
    }
    return CM_OK;
}

cm_status cm_agents_batch_alloc(cm_agents_batch *b, int batch, int agents, int steps)
{
    memset(b, 0, sizeof *b);
    if (batch < 1 || agents < 1 || steps < 1 || (int64_t)batch * agents * (steps + 1) > (1LL << 30))
        return cm_error(CM_ERR_ARG, "agents batch: %d x %d agents x %d steps: expected positive sizes", batch, agents,
                        steps);
    size_t frames = (size_t)batch * agents * (size_t)(steps + 1), moves = (size_t)batch * agents * (size_t)steps;
    b->pos = cm_alloc(frames * 2 * sizeof(float));
    b->theta = cm_alloc(frames * sizeof(float));
    b->vel = cm_alloc(moves * 3 * sizeof(float));
    if (!b->pos || !b->theta || !b->vel) {
        cm_agents_batch_free(b);
        return cm_error(CM_ERR_NOMEM, "agents batch: cannot allocate %d x %d x %d", batch, agents, steps);
    }
    b->batch = batch;
    b->agents = agents;
    b->steps = steps;
    return CM_OK;
}

void cm_agents_batch_free(cm_agents_batch *b)
{
    cm_free(b->pos);
    cm_free(b->theta);
    cm_free(b->vel);
    memset(b, 0, sizeof *b);
}

/* rng stream of one batch element: a tag, the stream and the element's
 * global index, apart from the small stream numbers other consumers use. */
static uint64_t element_stream(uint64_t stream, uint64_t n)
{
    return (0x5343ULL << 48) | ((stream & 0xff) << 40) | (n & ((1ULL << 40) - 1));
}

cm_status cm_agents_source_create(const cm_agents_config *c, uint64_t seed, cm_agents_source **out)
{
    *out = NULL;
    cm_status st = cm_agents_config_check(c);
    if (st)
        return st;
    cm_agents_source *s = calloc(1, sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "agents: cannot allocate the source");
    s->cfg = *c;
    s->seed = seed;
    if (c->world == CM_AGENTS_ARENA) {
        st = cm_arena_preset(&s->arena, c->arena);
        if (!st)
            st = cm_motion_preset(&s->motion, c->motion);
        if (!st && c->motion_scale != 1.0f)
            st = cm_motion_scale(&s->motion, c->motion_scale);
        if (!st)
            st = cm_motion_check(&s->motion);
    } else {
        cm_maze_params mp;
        st = cm_maze_params_default(c->maze_size, &mp);
        s->mazes = st ? NULL : cm_calloc((size_t)c->mazes, sizeof *s->mazes);
        if (!st && !s->mazes)
            st = cm_error(CM_ERR_NOMEM, "agents: cannot allocate %d mazes", c->mazes);
        /* Layout k from seed (seed, k): the pool is the same for every stream. */
        for (int k = 0; !st && k < c->mazes; k++) {
            cm_rng r;
            cm_rng_seed(&r, seed, element_stream(0xff, (uint64_t)k));
            st = cm_maze_generate(&mp, cm_rng_u64(&r), &s->mazes[k]);
        }
    }
    if (st) {
        cm_agents_source_free(s);
        return st;
    }
    *out = s;
    return CM_OK;
}

void cm_agents_source_free(cm_agents_source *s)
{
    if (!s)
        return;
    if (s->cfg.world == CM_AGENTS_ARENA) {
        cm_arena_free(&s->arena);
    }
    cm_free(s->mazes);
    free(s);
}

const cm_agents_config *cm_agents_source_config(const cm_agents_source *s) { return &s->cfg; }

static float wrap(float a)
{
    while (a > (float)M_PI)
        a -= 2.0f * (float)M_PI;
    while (a <= -(float)M_PI)
        a += 2.0f * (float)M_PI;
    return a;
}

/* Frame t of agent k of element e. */
static void put_frame(const cm_agents_batch *b, int e, int k, int t, float x, float y, float th)
{
    size_t f = ((size_t)e * b->agents + k) * (size_t)(b->steps + 1) + (size_t)t;
    b->pos[2 * f] = x;
    b->pos[2 * f + 1] = y;
    b->theta[f] = th;
}

/* Inputs from the frames: backward differences per step. */
static void element_inputs(const cm_agents_batch *b, int e)
{
    int T = b->steps;
    for (int k = 0; k < b->agents; k++) {
        size_t f0 = ((size_t)e * b->agents + k) * (size_t)(T + 1);
        float *v = b->vel + ((size_t)e * b->agents + k) * (size_t)T * 3;
        for (int t = 0; t < T; t++) {
            v[3 * t] = b->pos[2 * (f0 + t + 1)] - b->pos[2 * (f0 + t)];
            v[3 * t + 1] = b->pos[2 * (f0 + t + 1) + 1] - b->pos[2 * (f0 + t) + 1];
            v[3 * t + 2] = wrap(b->theta[f0 + t + 1] - b->theta[f0 + t]);
        }
    }
}

static cm_status arena_element(const cm_agents_source *s, cm_rng *rng, const cm_agents_batch *b, int e)
{
    const cm_agents_config *c = &s->cfg;
    for (int k = 0; k < c->agents; k++) {
        cm_agent ag;
        memset(&ag, 0, sizeof ag);
        int still = cm_rng_double(rng) < c->p_static;
        cm_status st = cm_agent_reset(&ag, &s->motion, &s->arena, rng);
        if (st)
            return st;
        put_frame(b, e, k, 0, ag.pose.x, ag.pose.y, ag.pose.theta);
        for (int t = 1; t <= c->steps; t++) {
            for (int j = 0; !still && j < c->substeps; j++)
                cm_agent_step(&ag, &s->motion, &s->arena, rng);
            put_frame(b, e, k, t, ag.pose.x, ag.pose.y, ag.pose.theta);
        }
    }
    return CM_OK;
}

static cm_status maze_element(const cm_agents_source *s, cm_rng *rng, const cm_agents_batch *b, int e)
{
    const cm_agents_config *c = &s->cfg;
    const cm_maze *maze = &s->mazes[cm_rng_below(rng, (uint64_t)c->mazes)];
    int still[CM_AGENTS_MAX], actions[CM_AGENTS_MAX];
    float rewards[CM_AGENTS_MAX];
    for (int k = 0; k < c->agents; k++)
        still[k] = cm_rng_double(rng) < c->p_static;
    cm_maze_env env;
    cm_status st = cm_maze_env_init(&env, maze, c->agents, cm_rng_u64(rng));
    if (st)
        return st;
    for (int k = 0; k < c->agents; k++)
        put_frame(b, e, k, 0, env.agents[k].pose.x, env.agents[k].pose.y, env.agents[k].pose.theta);
    for (int t = 1; st == CM_OK && t <= c->steps; t++) {
        for (int k = 0; k < c->agents; k++)
            actions[k] = still[k] ? CM_ACT_NOOP : cm_maze_policy(&env, k, c->maze_noise);
        st = cm_maze_env_step(&env, actions, rewards);
        for (int k = 0; k < c->agents; k++)
            put_frame(b, e, k, t, env.agents[k].pose.x, env.agents[k].pose.y, env.agents[k].pose.theta);
    }
    cm_maze_env_free(&env);
    return st;
}

cm_status cm_agents_source_fill_range(cm_agents_source *s, uint64_t stream, int64_t index, int batch, int first,
                                      cm_agents_batch *b)
{
    const cm_agents_config *c = &s->cfg;
    if (b->agents != c->agents || b->steps != c->steps)
        return cm_error(CM_ERR_ARG, "agents: batch of %d agents x %d steps, the source makes %d x %d", b->agents,
                        b->steps, c->agents, c->steps);
    if (index < 0 || first < 0 || batch < 1 || first + b->batch > batch)
        return cm_error(CM_ERR_ARG, "agents: elements %d..%d of batch %lld of %d: out of range", first,
                        first + b->batch - 1, (long long)index, batch);
    /* Serial: a batch's paths cost far less than one training step, and the
     * error message stays on the caller's thread. */
    for (int e = 0; e < b->batch; e++) {
        cm_rng rng;
        cm_rng_seed(&rng, s->seed, element_stream(stream, (uint64_t)index * (uint64_t)batch + (uint64_t)(first + e)));
        cm_status st = c->world == CM_AGENTS_ARENA ? arena_element(s, &rng, b, e) : maze_element(s, &rng, b, e);
        if (st)
            return st;
        element_inputs(b, e);
    }
    return CM_OK;
}

cm_status cm_agents_source_fill(cm_agents_source *s, uint64_t stream, int64_t index, cm_agents_batch *b)
{
    return cm_agents_source_fill_range(s, stream, index, b->batch, 0, b);
}
