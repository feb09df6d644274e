/* cogmap/coop.h — cooperative search in multi-agent Memory-Maze (issue 14;
 * ssm-pc.md §10-11, memory-maze.md §1, §3.8; design and choices in docs/coop.md).
 *
 * K agents search a 15x15 Memory-Maze for one target of a requested colour;
 * success = any agent touches it within T steps. Each agent sees its own
 * egocentric view and its own motion; partners only through a link that
 * carries at most B bits per agent per step.
 *
 * The pieces are plug-ins, so that the same episode loop runs every method and
 * baseline (a benchmark's baselines go through the method's code path):
 *   perception  observation -> cell evidence for the agent's map
 *               ("truth": ground-truth visibility; later BEV predictor + detector)
 *   comm        one message round per step between the agents' memories
 *               ("none", "oracle", "broadcast"; later "learned")
 *   policy      memory -> one of Memory-Maze's 6 actions
 *               ("frontier": nearest frontier + BFS planner; later HRL-ICM)
 * A plug-in is an ops table over an immutable, shareable `model` and a mutable
 * per-worker `state` (created once per thread, reset per episode), after the
 * model pattern of the contract. The env, memories and built-in plug-ins live
 * in the world layer; learned plug-ins come from higher layers.
 *
 * Episodes are pure functions of (seed, episode index, scheme, bits, plug-ins):
 * the maze, spawns and target of episode e are the same for every scheme and
 * budget (paired comparison), and the benchmark's numbers do not depend on the
 * thread count.
 */
#ifndef COGMAP_COOP_H
#define COGMAP_COOP_H

#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CM_COOP_MAX_AGENTS 8
#define CM_COOP_MAX_CELLS (CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE)
#define CM_COOP_MAX_BITS 1024 /* largest per-step budget B */

/* ---------------------------------------------------------------- the task */

typedef struct cm_coop_config {
    int maze_size;      /* N (15) */
    int n_agents;       /* K (3) */
    int max_steps;      /* T: the time limit in environment steps (docs/coop.md says why 100) */
    cm_bev_config view; /* what one frame shows, for the "truth" perception (75 deg, 10 cells) */
    float target_range; /* the requested target is recognised within this distance (cells) of a view */
    int start;          /* CM_COOP_START_*: where the team enters */
} cm_coop_config;

/* TOGETHER (default): the whole team on one spawn cell, each agent with its
 * own random heading (one entry point; without a link the agents' searches
 * overlap). APART: each agent on the spawn cell of its own room. */
enum { CM_COOP_START_TOGETHER = 0, CM_COOP_START_APART = 1 };

CM_API void cm_coop_config_default(cm_coop_config *c);
/* CM_ERR_ARG naming the field: odd size in range, 1..CM_COOP_MAX_AGENTS agents, T >= 1. */
CM_API cm_status cm_coop_config_check(const cm_coop_config *c);
/* "key=value": maze_size, n_agents, max_steps, view_fov, view_range,
 * target_range, start=together|apart. The result is checked. */
CM_API cm_status cm_coop_config_set(cm_coop_config *c, const char *key_value);

/* Maze seeds of evaluation and training never meet: bit 63 is the split
 * (1 = evaluation), the rest a hash of (seed, episode). */
enum { CM_COOP_TRAIN = 0, CM_COOP_EVAL = 1 };
CM_API uint64_t cm_coop_episode_seed(int split, uint64_t seed, int64_t episode);

/* ------------------------------------------------------- per-agent memory */

enum { CM_COOP_UNKNOWN = 0, CM_COOP_FREE = 1, CM_COOP_WALL = 2 };
enum { CM_COOP_FROM_NONE = 0, CM_COOP_FROM_SELF = 1, CM_COOP_FROM_LINK = 2 };

/* What one agent knows: a cell map of the N x N inner maze (the outer wall is
 * known from the start), the requested target's cell when sighted, the last
 * cell each partner reported, and its own pose (true or estimated, as the
 * perception says). `fresh` lists the cells this agent's own perception
 * changed since the last message round: what a broadcast sends. */
typedef struct cm_coop_memory {
    int size;
    uint8_t cell[CM_COOP_MAX_CELLS];   /* CM_COOP_UNKNOWN / FREE / WALL, [y*N + x] */
    uint8_t origin[CM_COOP_MAX_CELLS]; /* CM_COOP_FROM_*: who set the cell last */
    int target;                        /* cell of the requested target, -1 unknown */
    int target_origin;                 /* CM_COOP_FROM_* */
    int partner_cell[CM_COOP_MAX_AGENTS]; /* last reported cell of each agent, -1 */
    int64_t partner_step[CM_COOP_MAX_AGENTS]; /* when it was reported */
    cm_pose pose;                      /* where the agent believes it is */
    int n_fresh;
    uint16_t fresh[CM_COOP_MAX_CELLS];
    int fresh_target;                  /* 1: the target sighting is fresh */
    int sent_cell;                     /* last own cell a scheme announced, -1 */
    /* Cells a partner is believed to have seen, without their state (what a
     * learned message predicts): unknown cells flagged here are no frontier. */
    uint8_t partner_seen[CM_COOP_MAX_CELLS];
    int rejected_target;               /* a received target cell its own eyes found empty, -1 */
} cm_coop_memory;

CM_API void cm_coop_memory_reset(cm_coop_memory *m, int size);
/* One observed cell: changes it (and marks it fresh) when the state differs. */
CM_API void cm_coop_memory_see(cm_coop_memory *m, int cell, int state);
/* A cell received from a partner: taken only where the map is still unknown
 * (an agent trusts its own eyes first). Returns 1 if the map changed. */
CM_API int cm_coop_memory_receive(cm_coop_memory *m, int cell, int state);
CM_API void cm_coop_memory_see_target(cm_coop_memory *m, int cell);
CM_API int cm_coop_memory_receive_target(cm_coop_memory *m, int cell);
/* A received target cell was looked at from within range and the target was
 * not there: forget it and refuse it from now on. */
CM_API void cm_coop_memory_reject_target(cm_coop_memory *m);
/* Known cells (free or wall) of the map. */
CM_API int cm_coop_memory_known(const cm_coop_memory *m);

/* ------------------------------------------------------------- plug-ins */

struct cm_coop_env;

/* What one agent's perception reports for one step: cells with a state, and
 * the requested target's cell if it was seen. The env owns the buffers. */
typedef struct cm_coop_view {
    int n;
    uint16_t *cells;  /* [N*N] */
    uint8_t *states;  /* [N*N] CM_COOP_FREE / CM_COOP_WALL */
    int target;       /* -1 when not seen */
    cm_pose pose;     /* the agent's pose as it knows it */
} cm_coop_view;

typedef struct cm_coop_perception {
    const char *name;
    int needs_frames; /* the env renders each agent's 64x64 view for it */
    void *model;      /* immutable, shared by all workers; may be NULL */
    cm_status (*state_create)(void *model, const cm_coop_config *cfg, void **state);
    void (*state_free)(void *state);
    cm_status (*reset)(void *state, const struct cm_coop_env *env);
    /* Agent `agent` after the env's step (rgb: its frame, or NULL when not needed). */
    cm_status (*observe)(void *state, const struct cm_coop_env *env, int agent, const uint8_t *rgb,
                         cm_coop_view *view);
} cm_coop_perception;

/* Ground-truth visibility (cm_bev_visible from the true pose, cfg->view) and
 * the true pose: what a perfect BEV predictor + detector would give. */
CM_API void cm_coop_perception_truth(cm_coop_perception *p);

/* The bits each agent put on the link in one round. */
typedef struct cm_coop_messages {
    int bits[CM_COOP_MAX_AGENTS];                           /* transmitted this round */
    uint8_t payload[CM_COOP_MAX_AGENTS][CM_COOP_MAX_BITS / 8]; /* the first min(bits, MAX) bits, MSB first */
    int gate[CM_COOP_MAX_AGENTS];                           /* learned scheme: sent (1) or silent (0); -1 n/a */
} cm_coop_messages;

typedef struct cm_coop_comm {
    char name[16]; /* "none", "oracle", "broadcast", "learned" */
    int bits;      /* budget B per agent per step; ignored by none and oracle */
    void *model;
    cm_status (*state_create)(void *model, const cm_coop_config *cfg, int bits, void **state);
    void (*state_free)(void *state);
    cm_status (*reset)(void *state, const struct cm_coop_env *env);
    /* One round after every agent observed: read each sender's memory (its
     * fresh cells), write what the others receive into theirs, clear the
     * fresh lists, and account the bits. */
    cm_status (*round)(void *state, struct cm_coop_env *env, cm_coop_messages *out);
} cm_coop_comm;

/* The link-free schemes and the baseline, by name ("none", "oracle",
 * "broadcast"); bits is B for broadcast (1..CM_COOP_MAX_BITS). CM_ERR_ARG
 * otherwise (the learned scheme comes from its own constructor). */
CM_API cm_status cm_coop_comm_builtin(const char *name, int bits, cm_coop_comm *out);

/* Broadcast's serialisation (docs/coop.md): records of a 2-bit tag and an
 * ceil(log2(N*N))-bit cell index, tag 0 free cell, 1 wall cell, 2 own
 * position, 3 requested target; MSB first. */
enum { CM_COOP_REC_FREE = 0, CM_COOP_REC_WALL = 1, CM_COOP_REC_POS = 2, CM_COOP_REC_TARGET = 3 };
CM_API int cm_coop_cell_bits(int size); /* ceil(log2(N*N)): 8 for 15 */
CM_API int cm_coop_record_bits(int size);

typedef struct cm_coop_policy {
    const char *name;
    void *model;
    cm_status (*state_create)(void *model, const cm_coop_config *cfg, void **state);
    void (*state_free)(void *state);
    cm_status (*reset)(void *state, const struct cm_coop_env *env);
    /* One action (CM_ACT_*) per agent, from that agent's memory only. */
    cm_status (*act)(void *state, const struct cm_coop_env *env, int *actions);
} cm_coop_policy;

/* The no-learning baseline: each agent drives to the target once its map has
 * it, otherwise to a frontier (an unknown cell next to known free space), by
 * cm_coop_plan_action. Partners' reported cells split the frontiers (greedy
 * assignment in agent order, each pick claiming the cells within 4 steps,
 * after Burgard et al. 2005), so positions that come over the link spread
 * the team. Among the unclaimed frontiers an agent takes the one of least
 * BFS distance + a fixed preference of up to 6 cells (a hash of the cell,
 * the agent and the maze), so that agents that know nothing of each other
 * still split up. A goal is kept until it is seen. With no frontier left and
 * no target, the agent drives to random known free cells. */
CM_API void cm_coop_policy_frontier(cm_coop_policy *p);
/* The same without the preference: the plain nearest frontier (agents
 * without a link then walk the same way from a common start). */
CM_API void cm_coop_policy_nearest(cm_coop_policy *p);

/* The low-level planner under any goal-choosing policy: the action (CM_ACT_*)
 * that takes the agent whose memory is `m` toward cell `goal`, by BFS over
 * the cells not known to be walls and steering to the next cell's centre
 * from m->pose; -1 when the goal cannot be reached. dist, queue: N*N scratch. */
CM_API int cm_coop_plan_action(const cm_coop_memory *m, int goal, int16_t *dist, int16_t *queue);
/* The frontiers reachable from cell `start` over known free cells (and
 * unknown ones flagged partner_seen), nearest first (ties in BFS order,
 * neighbours east, west, north, south), written to out[N*N]; returns how
 * many. Frontiers flagged partner_seen are left out unless they are all
 * there is. dist gets the BFS distances from start. */
CM_API int cm_coop_frontiers(const cm_coop_memory *m, int start, int16_t *dist, int16_t *queue, int16_t *out);
/* The first of them from the agent's own cell (m->pose), or -1 when none. */
CM_API int cm_coop_nearest_frontier(const cm_coop_memory *m, int16_t *dist, int16_t *queue);

/* Candidate goals for a meta-controller (HRL-ICM, policy.h), from what
 * agent `agent` knows: the nearest frontier of each 3 x 3 block, nearest
 * blocks first, up to `max`, the frontier policy's own pick always among
 * them (its index in *heuristic; -1 and 0 candidates when the map has no
 * frontier). Per candidate CM_COOP_CAND_FEATURES features: BFS distance / N,
 * cos and sin of its bearing from the heading, the nearest partner's BFS
 * distance / N (2 when none is known), whether a partner claimed it, the
 * unknown and the partner-seen share of its 5 x 5 neighbourhood, whether it
 * is the heuristic's pick, the agent's fixed preference for it, rank / max.
 * Global features (CM_COOP_GLOBAL_FEATURES): known share of the map, t / T,
 * share of partners with a position, partner-seen unknown share, candidates
 * / max, the heuristic pick's distance, own-seen share, 1. */
#define CM_COOP_CAND_FEATURES 10
#define CM_COOP_GLOBAL_FEATURES 8
typedef struct cm_coop_scratch cm_coop_scratch; /* BFS buffers, one per worker */
CM_API cm_status cm_coop_scratch_create(cm_coop_scratch **out);
CM_API void cm_coop_scratch_free(cm_coop_scratch *s);
/* Its N*N BFS buffers, for cm_coop_plan_action. */
CM_API int16_t *cm_coop_scratch_dist(cm_coop_scratch *s);
CM_API int16_t *cm_coop_scratch_queue(cm_coop_scratch *s);
/* New episode: the patrol streams start from the maze's seed. */
struct cm_coop_env;
CM_API void cm_coop_scratch_reset(cm_coop_scratch *s, const struct cm_coop_env *env);
CM_API int cm_coop_candidates(const struct cm_coop_env *env, int agent, cm_coop_scratch *s, int max, int *cells, float *feat,
                       float *global, int *heuristic);
/* What an agent does without a goal of its own: drive to the target when its
 * map has it, else patrol random known free cells (the frontier policy's
 * fallbacks). */
CM_API int cm_coop_fallback_action(const struct cm_coop_env *env, int agent, cm_coop_scratch *s);

/* ------------------------------------------------------------ the env */

typedef struct cm_coop_env {
    cm_coop_config cfg;
    cm_maze_env world;   /* the maze, the agents' true poses and motion */
    int target;          /* index of the requested target in world.maze.targets */
    int target_cell;     /* its cell */
    uint64_t maze_seed;
    int64_t t;           /* steps taken */
    int done, success, finder; /* finder: the agent that touched it, -1 */
    int first_sight;     /* first step any agent saw the target, -1 */
    int64_t bits_sent;   /* over all agents and rounds */
    cm_coop_memory *mem; /* [K] */
    cm_coop_messages msg;/* the last round */
    cm_coop_perception perception;
    cm_coop_comm comm;
    void *perception_state, *comm_state;
    /* rendering, when the perception or a recorder needs frames */
    int render;
    cm_renderer *renderer;
    uint8_t *frames;     /* [K][64*64*3] after the last step */
    cm_coop_view view;
} cm_coop_env;

/* Allocates one env (a worker's: it is reset for every episode). `render`:
 * also render every agent's view each step (for recorders) even if the
 * perception does not need it. */
CM_API cm_status cm_coop_env_create(cm_coop_env **out, const cm_coop_config *cfg, const cm_coop_perception *perception,
                             const cm_coop_comm *comm, int render);
CM_API void cm_coop_env_free(cm_coop_env *env);
/* Starts episode `episode` of `split` for `seed`: the maze, K spawns on
 * distinct rooms, the requested target among the objects of rooms nobody
 * starts in, and every agent's first observation. */
CM_API cm_status cm_coop_env_reset(cm_coop_env *env, int split, uint64_t seed, int64_t episode);
/* One step: the actions (CM_ACT_*), the physics, the success test, then
 * every agent's observation and one message round. CM_ERR_ARG after done. */
CM_API cm_status cm_coop_env_step(cm_coop_env *env, const int *actions);

/* ----------------------------------------------------------- the benchmark */

typedef struct cm_coop_episode {
    int success;
    int steps;           /* steps taken (T when it failed) */
    int first_sight;     /* -1 when no agent saw the target */
    int64_t bits_sent;
} cm_coop_episode;

/* Runs one episode to the end with an env made for it and a policy state. */
CM_API cm_status cm_coop_run_episode(cm_coop_env *env, const cm_coop_policy *policy, void *policy_state, int split,
                              uint64_t seed, int64_t episode, cm_coop_episode *out);

/* Episodes [0, episodes) over cm_threads() workers, BLAS held to one thread.
 * Each worker makes its own environment (task, perception, comm) and policy
 * state (when `policy` has one), then calls play(ctx, worker, e) for each
 * episode it takes; episodes are taken in no fixed order, so what play
 * records must depend on e alone (its own slot, or a sum whose order does
 * not matter) for results not to depend on the number of workers. After its
 * last episode a worker calls finish(ctx, worker) (may be NULL) while the
 * others wait: where per-worker sums are merged. A worker stops at its first
 * error; the first error is returned with its message. */
typedef struct cm_coop_worker {
    cm_coop_env *env;
    void *policy_state;
    int index; /* 0 .. workers - 1 */
} cm_coop_worker;
typedef struct cm_coop_workers {
    const cm_coop_config *task;
    const cm_coop_perception *perception;
    const cm_coop_comm *comm;
    const cm_coop_policy *policy; /* may be NULL: no policy state */
    int64_t episodes;
    cm_status (*play)(void *ctx, cm_coop_worker *worker, int64_t episode);
    void (*finish)(void *ctx, cm_coop_worker *worker);
    void *ctx;
} cm_coop_workers;
CM_API cm_status cm_coop_for_episodes(const cm_coop_workers *w);

/* 95% Wilson score interval of `successes` out of `n` (n > 0). */
CM_API void cm_wilson_interval(int64_t successes, int64_t n, double *lo, double *hi);

typedef struct cm_coop_row {
    char scheme[16];
    int bits;             /* B; 0 for none, -1 for oracle (no budget) */
    int episodes, successes;
    double success, ci_low, ci_high;
    double mean_steps;    /* over all episodes (T for failures) */
    double bits_per_step; /* bits transmitted per agent per step (oracle: what its map sharing would cost serialised) */
    double agent_steps;   /* environment steps x agents */
    double seconds;       /* wall time of this row */
} cm_coop_row;

#define CM_COOP_MAX_ROWS 64
typedef struct cm_coop_table {
    int n_rows;
    cm_coop_row rows[CM_COOP_MAX_ROWS];
    double seconds, agent_steps; /* whole table: wall time, environment steps x agents */
    double cpu_seconds;          /* CPU time of the process meanwhile (all threads) */
    int threads;
} cm_coop_table;

typedef struct cm_coop_bench_config {
    cm_coop_config task;
    int n_schemes;
    char schemes[4][16];  /* learned, broadcast, none, oracle */
    int n_bits;
    int bits[16];
    int episodes;         /* per row */
    uint64_t seed;        /* evaluation seeds: cm_coop_episode_seed(CM_COOP_EVAL, seed, e) */
} cm_coop_bench_config;

CM_API void cm_coop_bench_config_default(cm_coop_bench_config *c);

/* The plug-ins a benchmark runs with. `learned` builds the learned scheme for
 * a budget (NULL: "learned" is CM_ERR_ARG). */
typedef struct cm_coop_plugins {
    cm_coop_perception perception;
    cm_coop_policy policy;
    cm_status (*learned)(void *ctx, int bits, cm_coop_comm *out);
    void *learned_ctx;
} cm_coop_plugins;

/* The table: one row per (scheme, B) for broadcast and learned, one row each
 * for none and oracle (whose behaviour does not depend on B). Episodes run in
 * parallel over cm_threads() workers; results are the same at any count. */
CM_API cm_status cm_coop_bench(const cm_coop_bench_config *cfg, const cm_coop_plugins *plugins, cm_progress *progress,
                        cm_coop_table *out);
/* table.csv: scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step
 * (bits "inf" for the oracle). */
CM_API cm_status cm_coop_table_write_csv(const cm_coop_table *t, const char *path);
/* The rows of such a file appended to t (successes from success x episodes,
 * the interval recomputed, no timings); CM_ERR_FORMAT naming the line,
 * CM_ERR_ARG when a (scheme, B) row is already in t. Tables are only
 * comparable when they ran the same task, seed and policy. */
CM_API cm_status cm_coop_table_append_csv(const char *path, cm_coop_table *t);

/* ----------------------------------- the learned scheme (models layer) */

struct cm_link;
struct cm_link_config;
struct cm_link_batch;

/* What a learned message is about (docs/coop.md, "learned"). Messages
 * speak of blocks of 3x3 cells (5 x 5 blocks for N = 15). A sender encodes
 * its state: its cell (x, y one-hot), heading (cos, sin), whether it knows
 * the target and its cell, the cells it has seen itself, and the same at
 * block scale (its block, the target's block, the share of each block it
 * has seen). Each partner predicts (Bernoulli outputs) the sender's block
 * (x, y one-hot), whether it knows the target, the target's block, and the
 * share of each block it has seen. A receiver's own state is its context;
 * the memories start from the team's start block, which everyone knows. */
CM_API int cm_coop_learned_state_dim(int size); /* 4N + 3 + N^2 + 4b + b^2: 333 for N = 15 (b = 5) */
CM_API int cm_coop_learned_out_dim(int size);   /* 4b + 1 + b^2: 46 */
CM_API int cm_coop_learned_init_dim(int size);  /* 2b: 10 */
CM_API void cm_coop_learned_state(const cm_coop_memory *m, float *out);
CM_API void cm_coop_learned_target(const cm_coop_memory *m, float *out);
CM_API void cm_coop_learned_init(int size, int cell, float *out);
/* What a receiver takes into memory m from its prediction `out` [O] (logits)
 * of agent `sender` at step t, only where it is sure: the partner's cell
 * (its block's centre, when both block coordinates pass p = 0.5), the target
 * hint (the target block's centre, when "knows" passes 0.9 and the block
 * 0.5; the agent's own eyes confirm or reject it), and the unknown cells of
 * blocks whose predicted explored share passes 0.3 (partner_seen; the
 * caller clears it first). */
CM_API void cm_coop_learned_receive(cm_coop_memory *m, int sender, int64_t t, const float *out);
/* The link's configuration for a budget of B bits per agent per step: one
 * gate bit every step plus B - 1 code bits when the gate opens (B >= 2), K - 1
 * senders per receiver; the sizes of docs/coop.md. */
CM_API cm_status cm_coop_link_config(const cm_coop_config *task, int budget, struct cm_link_config *out);
/* The learned scheme over a trained link (which must outlive the scheme):
 * each round every agent sends its state through the link, then takes every
 * partner's prediction into its memory (cm_coop_learned_receive). */
CM_API cm_status cm_coop_comm_learned(const struct cm_link *link, cm_coop_comm *out);

/* The vision perception (models layer): the agent's frame through the BEV
 * predictor, fused at its true pose into its own log-odds map (mapping.h)
 * whose per-cell classes are what it knows (cells may change class as
 * evidence builds up); the target detector places the requested target
 * when its visibility passes `threshold` (0.7) within the task's target
 * range. detector may be NULL (no target is ever recognised). The models
 * must outlive the plug-in. */
struct cm_bevnet;
struct cm_detector;
typedef struct cm_coop_vision {
    const struct cm_bevnet *bev;
    const struct cm_detector *detector;
    float threshold;
} cm_coop_vision;
CM_API void cm_coop_perception_vision(const cm_coop_vision *model, cm_coop_perception *p);

/* Trained links by budget, for cm_coop_plugins.learned: the scheme for B
 * bits uses the link trained for B (CM_ERR_ARG naming the budgets there are). */
typedef struct cm_coop_link_set {
    int n;
    const struct cm_link *link[16];
} cm_coop_link_set;
CM_API cm_status cm_coop_learned_from_set(void *ctx, int bits, cm_coop_comm *out);

/* The learned scheme's training data: E episodes played by a behaviour
 * (perception + policy) under a scheme, each agent's state and targets
 * recorded per step (after an episode ends its last step repeats to T), laid
 * out as the link's batch: R = E*K receivers, receiver e*K + j hearing the
 * other agents in order, sender rows (n, r). */
typedef struct cm_coop_link_data {
    cm_coop_config task;
    cm_coop_plugins behaviour;
    cm_coop_comm scheme;
    int episodes, S, O, I;
    float *rec_state, *rec_target, *rec_init; /* [E, T, K, S], [E, T, K, O], [E, K, I] */
    int *rec_steps;                           /* [E] steps actually played */
    float *state, *ctx, *target, *init;       /* the link batch's arrays */
    struct cm_link_batch *batch;              /* over the arrays above (link.h) */
} cm_coop_link_data;

CM_API cm_status cm_coop_link_data_init(cm_coop_link_data *d, const cm_coop_config *task, int episodes,
                                 const cm_coop_plugins *behaviour, const cm_coop_comm *scheme);
/* Plays episodes first..first+E-1 of (split, seed) over the workers and
 * lays them out in d->batch. */
CM_API cm_status cm_coop_link_data_fill(cm_coop_link_data *d, int split, uint64_t seed, int64_t first_episode);
CM_API void cm_coop_link_data_free(cm_coop_link_data *d);

/* HRL-ICM (ssm-pc.md §11.4, our design; docs/coop.md): the meta-controller
 * (cm_policy, policy.h) picks one of cm_coop_candidates' frontiers for each
 * agent whenever its goal is seen or unreachable, or every `interval` steps;
 * the BFS planner drives to it; with the target known (its own sighting or a
 * hint) the agent drives there. sample != 0 draws decisions from the
 * episode's streams (maze seed ^ seed, agent), as training does; 0 takes the
 * likeliest. */
struct cm_policy;
#define CM_COOP_HRL_MAX_CAND 16
typedef struct cm_coop_hrl {
    const struct cm_policy *policy; /* must outlive the plug-in */
    int interval;                   /* steps between decisions at most (10) */
    int sample;
    uint64_t seed;
} cm_coop_hrl;
CM_API void cm_coop_policy_hrl(const cm_coop_hrl *model, cm_coop_policy *p);

/* One decision, for PPO and the ICM: what the agent saw (candidates, global
 * features, mask), what it chose, its log-probability and value then, and,
 * filled when the decision ends (the agent's next decision or the episode's
 * end, t_end), the global features then; done and reward (1 for success)
 * when the episode ended while it was open. */
typedef struct cm_coop_hrl_record {
    int agent, t, t_end, action, done;
    float reward, logp, value;
    float cand[CM_COOP_HRL_MAX_CAND * CM_COOP_CAND_FEATURES];
    float global[CM_COOP_GLOBAL_FEATURES], global_next[CM_COOP_GLOBAL_FEATURES];
    uint8_t mask[CM_COOP_HRL_MAX_CAND];
} cm_coop_hrl_record;
typedef struct cm_coop_hrl_log {
    int n, cap;
    cm_coop_hrl_record *rec;
} cm_coop_hrl_log;
CM_API void cm_coop_hrl_log_clear(cm_coop_hrl_log *log);
CM_API void cm_coop_hrl_log_free(cm_coop_hrl_log *log);
/* Decisions of the episodes a policy state plays go into `log` (NULL: none). */
CM_API void cm_coop_hrl_attach_log(void *policy_state, cm_coop_hrl_log *log);
/* After an episode: closes the decisions still open (done, reward). */
CM_API cm_status cm_coop_hrl_finish(void *policy_state, const cm_coop_env *env);

/* ------------------------------------------- training (run layer, run.h) */

/* `cogmap train coop` (docs/coop.md): one run trains the link of one budget
 * (steps [0, link_steps), on episodes a team with a shared map plays) and
 * then the HRL-ICM meta-controller over it (PPO + ICM, the link fixed).
 * Settings are "key=value" (the task's keys too), replayed from run.json. */
#define CM_COOP_MAX_SETS 64
typedef struct cm_coop_train_config {
    cm_coop_config task;
    int bits;           /* B of the link (>= 2: a gate bit and B - 1 code bits) */
    int link_steps;     /* steps of the link stage (2000) */
    int episodes;       /* link stage: episodes per step (8) */
    int rollouts;       /* policy stage: episodes per step (16) */
    float link_beta, link_lambda; /* the link's rate and sending costs (0, 0.05) */
    double link_lr;     /* 1e-3 */
    int interval;       /* steps between the meta-controller's decisions at most (10) */
    int ppo_epochs;     /* 4 */
    float gamma, gae_lambda, entropy; /* 0.99, 0.95, 0.01 */
    float icm_eta;      /* curiosity scale (0.05) */
    double policy_lr;   /* 3e-4 */
    int hidden;         /* the meta-controller's hidden units (64) */
    int eval_episodes;  /* evaluation episodes (100) */
    uint64_t seed;
    int n_sets;
    char sets[CM_COOP_MAX_SETS][96]; /* as given, for run.json */
} cm_coop_train_config;
CM_API void cm_coop_train_config_default(cm_coop_train_config *c, uint64_t seed);
CM_API cm_status cm_coop_train_config_set(cm_coop_train_config *c, const char *key_value);
CM_API cm_status cm_coop_train_config_write(const cm_coop_train_config *c, const char *run);
CM_API cm_status cm_coop_train_config_read(cm_coop_train_config *c, const char *run);

typedef struct cm_coop_job cm_coop_job;
struct cm_train_job_ops;
CM_API cm_status cm_coop_job_create(const cm_coop_train_config *c, cm_coop_job **out);
CM_API void cm_coop_job_free(cm_coop_job *j);
CM_API const struct cm_link *cm_coop_job_link(const cm_coop_job *j);
CM_API const struct cm_policy *cm_coop_job_policy(const cm_coop_job *j);
/* Checkpoints hold link/, policy/, icm/ (model, config, optimiser) and coop.json. */
extern const struct cm_train_job_ops cm_coop_job_ops;

/* What a benchmark runs with, loaded: ground-truth perception; the policy
 * "frontier", "nearest" or "hrl-icm:RUN" (RUN's best checkpoint's policy,
 * decisions every 10 steps, the likeliest); the links of the `learned` runs
 * (each RUN's best checkpoint, a checkpoint folder or a link folder), one
 * per budget. plugins point into the struct: do not copy it. */
typedef struct cm_coop_loaded {
    cm_coop_plugins plugins;
    cm_coop_link_set links;
    struct cm_policy *policy;
    cm_coop_hrl hrl;
    struct cm_bevnet *bev;
    struct cm_detector *detector;
    cm_coop_vision vision;
} cm_coop_loaded;
/* perception: "truth" (NULL) or "vision:BEV[,DETECTOR[@T]]", each a trained
 * run, a checkpoint or model folder, or a preset name (bev, bev-small,
 * detector, detector-small: untrained weights, for timing only). */
CM_API cm_status cm_coop_load(const char *perception, const char *policy, const char *const *learned, int n_learned,
                       cm_coop_loaded *out);
CM_API void cm_coop_loaded_free(cm_coop_loaded *l);

/* What a learned scheme's messages carry and when its gate is silent: the
 * team plays `episodes` evaluation episodes; per sender step, whether the
 * gate opened, by what had just happened to the sender (any step, entered a
 * new block, a block's own-seen share passed 0.3, first saw the target, saw
 * nothing new); and what receivers hold: the share of (receiver, partner,
 * step) with a partner block taken in and how often it is the right block,
 * the precision and recall of the partner-explored blocks, and the target
 * hints that pointed at the right or a wrong block. */
typedef struct cm_coop_probe_result {
    int episodes, n_events;
    char event[8][48];
    double event_steps[8], gate_open[8];
    double bits_per_step;
    double position_taken, position_right, explored_precision, explored_recall;
    double target_hints_right, target_hints_wrong;
} cm_coop_probe_result;
CM_API cm_status cm_coop_probe(const cm_coop_config *task, const cm_coop_plugins *pl, const cm_coop_comm *comm, int episodes,
                        uint64_t seed, cm_coop_probe_result *out);
/* probe.csv: rows (bits, quantity, value, steps) of n probes, budgets bits[n]. */
CM_API cm_status cm_coop_probes_write_csv(const cm_coop_probe_result *r, const int *bits, int n, const char *path);

/* --------------------------------------- figures and report (plot layer) */

/* success_vs_bits.png: one line per budgeted scheme over log2 B with its
 * Wilson intervals, the schemes without a budget as levels, and the paper's
 * headline points for reference. */
CM_API cm_status cm_coop_fig_success(const cm_coop_table *t, const char *path);
/* One episode (evaluation seeds) as an animated GIF, a frame every `stride`
 * steps: per agent its 64x64 view, its map (own cells light, received ones
 * bluish, the true target outlined, filled once known; partners at the cell
 * they last reported) and the bits it sent in the last round. */
CM_API cm_status cm_coop_episode_gif(const cm_coop_config *task, const cm_coop_plugins *pl, const cm_coop_comm *comm,
                              uint64_t seed, int64_t episode, int stride, const char *path, cm_coop_episode *out);
/* Several report folders' tables as one (rows computed apart, e.g. one
 * budget's learned row per run): DIR/table.csv of each of dirs[n] in turn,
 * rows sorted by scheme (first appearance) then budget, written to
 * out_dir/table.csv and out_dir/success_vs_bits.png. */
CM_API cm_status cm_coop_merge(const char *const *dirs, int n, const char *out_dir, cm_coop_table *table);
/* `cogmap bench coop`: the table (cm_coop_bench), DIR/table.csv,
 * DIR/success_vs_bits.png, DIR/probe.csv when the learned scheme is in the
 * table (cm_coop_probe of each budget on min(episodes, 100) episodes) and,
 * when gif_scheme is not NULL, DIR/episode.gif of episode gif_episode under
 * that scheme and budget (gif_bits < 1: the smallest of cfg->bits). */
CM_API cm_status cm_coop_report(const cm_coop_bench_config *cfg, const cm_coop_plugins *pl, const char *dir,
                         const char *gif_scheme, int gif_bits, int64_t gif_episode, cm_progress *progress,
                         cm_coop_table *table);

/* `cogmap bench coop` from its options as text (plot layer): the comma lists
 * parsed, `sets` applied to the task, the plug-ins loaded (cm_coop_load) and
 * the report written to dir (cm_coop_report), or with merge values the
 * report folders' tables merged (cm_coop_merge) and no episodes run. Fields
 * left 0 or NULL take cm_coop_bench_config_default's values. CM_ERR_ARG: a
 * list, budget, setting, scheme or policy refused, the message naming it. */
typedef struct cm_coop_bench_request {
    const char *perception;        /* "truth" (NULL) or "vision:BEV[,DETECTOR[@T]]" */
    const char *policy;            /* "frontier" (NULL), "nearest" or "hrl-icm:RUN" */
    const char *const *learned;    /* n_learned values, each run folders separated by commas (16 in all) */
    int n_learned;
    const char *const *merge;      /* n_merge values, each report folders separated by commas (16 in all) */
    int n_merge;
    const char *schemes;           /* names separated by commas (NULL: learned,broadcast,none,oracle) */
    const char *bits;              /* budgets separated by commas (NULL: 4,8,16,32,64,128) */
    const char *const *sets;       /* task settings "key=value" (cm_coop_config_set) */
    int n_sets;
    int episodes;                  /* per row (0: 500) */
    uint64_t seed;                 /* of the evaluation episodes */
    const char *gif_scheme;        /* the GIF's scheme (NULL: the first) */
    int gif_bits;                  /* its budget (< 1: the smallest) */
    int64_t gif_episode;
    int no_gif;                    /* 1: no episode.gif */
} cm_coop_bench_request;
CM_API cm_status cm_coop_bench_run(const cm_coop_bench_request *rq, const char *dir, cm_progress *progress,
                                   cm_coop_table *table);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_COOP_H */
