/* The nearest-frontier heuristic and the low-level planner every policy
 * steers with (coop.h): BFS over the agent's own map, then Memory-Maze's
 * discrete actions toward the next cell's centre. */
#include "cogmap/coop.h"

#include <math.h>
#include <string.h>

static const int nb_dx[4] = {1, -1, 0, 0}, nb_dy[4] = {0, 0, 1, -1};

static float wrap_pi(float a)
{
    while (a > (float)M_PI)
        a -= (float)(2 * M_PI);
    while (a <= -(float)M_PI)
        a += (float)(2 * M_PI);
    return a;
}

static int pose_cell(const cm_coop_memory *m)
{
    if (!(isfinite(m->pose.x) && isfinite(m->pose.y) && isfinite(m->pose.theta)))
        return -1;
    int x = (int)floorf(m->pose.x), y = (int)floorf(m->pose.y), n = m->size;
    x = x < 0 ? 0 : x >= n ? n - 1 : x;
    y = y < 0 ? 0 : y >= n ? n - 1 : y;
    return y * n + x;
}

int cm_coop_frontiers(const cm_coop_memory *m, int start, int16_t *dist, int16_t *queue, int16_t *out)
{
    int n = m->size, count = 0, flagged = 0;
    if (start < 0 || start >= n * n)
        return 0;
    for (int i = 0; i < n * n; i++)
        dist[i] = -1;
    int head = 0, tail = 0;
    dist[start] = 0;
    queue[tail++] = (int16_t)start;
    while (head < tail) {
        int c = queue[head++];
        /* Cells come out in order of distance, and only known free cells
         * (and unknown ones a partner has seen) are expanded: every other
         * unknown one reached borders known space. The partner-seen ones
         * are kept at the back of out[], in case nothing else is left. */
        if (c != start && m->cell[c] == CM_COOP_WALL)
            continue;
        if (c != start && m->cell[c] == CM_COOP_UNKNOWN) {
            if (!m->partner_seen[c]) {
                out[count++] = (int16_t)c;
                continue;
            }
            out[n * n - 1 - flagged++] = (int16_t)c;
        }
        int cx = c % n, cy = c / n;
        for (int d = 0; d < 4; d++) {
            int x = cx + nb_dx[d], y = cy + nb_dy[d];
            if (x < 0 || y < 0 || x >= n || y >= n)
                continue;
            int k = y * n + x;
            if (dist[k] < 0) {
                dist[k] = (int16_t)(dist[c] + 1);
                queue[tail++] = (int16_t)k;
            }
        }
    }
    if (count > 0 || flagged == 0)
        return count;
    /* only frontiers a partner is believed to have seen: those, nearest first */
    for (int i = 0; i < flagged; i++)
        out[i] = out[n * n - 1 - i];
    return flagged;
}

int cm_coop_nearest_frontier(const cm_coop_memory *m, int16_t *dist, int16_t *queue)
{
    int16_t out[CM_COOP_MAX_CELLS];
    return cm_coop_frontiers(m, pose_cell(m), dist, queue, out) > 0 ? out[0] : -1;
}

int cm_coop_plan_action(const cm_coop_memory *m, int goal, int16_t *dist, int16_t *queue)
{
    int n = m->size, start = pose_cell(m);
    if (start < 0 || goal < 0 || goal >= n * n)
        return -1;
    /* distances to the goal over every cell not known to be a wall */
    for (int i = 0; i < n * n; i++)
        dist[i] = -1;
    int head = 0, tail = 0;
    dist[goal] = 0;
    queue[tail++] = (int16_t)goal;
    while (head < tail && dist[start] < 0) {
        int c = queue[head++], cx = c % n, cy = c / n;
        for (int d = 0; d < 4; d++) {
            int x = cx + nb_dx[d], y = cy + nb_dy[d];
            if (x < 0 || y < 0 || x >= n || y >= n)
                continue;
            int k = y * n + x;
            if (dist[k] < 0 && (m->cell[k] != CM_COOP_WALL || k == start)) {
                dist[k] = (int16_t)(dist[c] + 1);
                queue[tail++] = (int16_t)k;
            }
        }
    }
    int here = dist[start];
    if (here < 0)
        return -1;
    const cm_pose *p = &m->pose;
    int cx = start % n, cy = start / n;
    float wx = (float)(goal % n) + 0.5f, wy = (float)(goal / n) + 0.5f;
    if (here > 0) {
        /* the neighbour one step closer, a known free one first */
        int best = -1;
        for (int d = 0; d < 4; d++) {
            int x = cx + nb_dx[d], y = cy + nb_dy[d];
            if (x < 0 || y < 0 || x >= n || y >= n)
                continue;
            int k = y * n + x;
            if (dist[k] == here - 1 && (best < 0 || (m->cell[k] == CM_COOP_FREE && m->cell[best] != CM_COOP_FREE)))
                best = k;
        }
        wx = (float)(best % n) + 0.5f;
        wy = (float)(best / n) + 0.5f;
        /* off the cell's centre line, first get back toward it, so as not to
         * scrape the corner of the doorway */
        float off = (wx - ((float)cx + 0.5f)) != 0.0f ? fabsf(p->y - ((float)cy + 0.5f)) : fabsf(p->x - ((float)cx + 0.5f));
        if (off > 0.3f) {
            wx = (float)cx + 0.5f + 0.5f * (wx - ((float)cx + 0.5f));
            wy = (float)cy + 0.5f + 0.5f * (wy - ((float)cy + 0.5f));
        }
    }
    float diff = wrap_pi(atan2f(wy - p->y, wx - p->x) - p->theta);
    const float big = (float)(45.0 * M_PI / 180.0), small = (float)(10.0 * M_PI / 180.0);
    if (diff > big)
        return CM_ACT_LEFT;
    if (diff < -big)
        return CM_ACT_RIGHT;
    if (diff > small)
        return CM_ACT_FORWARD_LEFT;
    if (diff < -small)
        return CM_ACT_FORWARD_RIGHT;
    return CM_ACT_FORWARD;
}

/* ------------------------------------------------------ frontier policy */

typedef struct cm_coop_scratch {
    float jitter;
    int goal[CM_COOP_MAX_AGENTS];
    int patrol[CM_COOP_MAX_AGENTS]; /* when the map has no frontier left */
    cm_rng rng[CM_COOP_MAX_AGENTS];
    int16_t dist[CM_COOP_MAX_CELLS], queue[CM_COOP_MAX_CELLS];
    int16_t pdist[CM_COOP_MAX_CELLS];
    int n_cand, claim;
    int16_t cand[CM_COOP_MAX_CELLS];
    uint8_t claimed[CM_COOP_MAX_CELLS];
} cm_coop_scratch;
typedef cm_coop_scratch frontier_state;

/* BFS distances from `start` over the cells not known to be walls. */
static void bfs_open(const cm_coop_memory *m, int start, int16_t *dist, int16_t *queue)
{
    int n = m->size;
    for (int i = 0; i < n * n; i++)
        dist[i] = -1;
    int head = 0, tail = 0;
    dist[start] = 0;
    queue[tail++] = (int16_t)start;
    while (head < tail) {
        int c = queue[head++], cx = c % n, cy = c / n;
        for (int d = 0; d < 4; d++) {
            int x = cx + nb_dx[d], y = cy + nb_dy[d];
            if (x < 0 || y < 0 || x >= n || y >= n)
                continue;
            int k = y * n + x;
            if (dist[k] < 0 && m->cell[k] != CM_COOP_WALL) {
                dist[k] = (int16_t)(dist[c] + 1);
                queue[tail++] = (int16_t)k;
            }
        }
    }
}

/* Greedy frontier assignment in agent order (Burgard et al. 2005, with a
 * claimed neighbourhood as their utility reduction): each agent in turn, at
 * the cell it last reported, takes its nearest frontier not claimed by an
 * agent before it and claims the cells within `claim` steps of it. An agent
 * runs this for the partners it has positions of, on its own map, and keeps
 * its own pick; with no partner positions (no link) it is the plain nearest
 * frontier. */
static int frontier_pick(frontier_state *s, const cm_coop_env *env, int self)
{
    const cm_coop_memory *m = &env->mem[self];
    int own = pose_cell(m);
    if (own < 0)
        return -1;
    int n = m->size;
    memset(s->claimed, 0, (size_t)n * n);
    for (int j = 0; j < env->cfg.n_agents; j++) {
        int at = j == self ? own : m->partner_cell[j];
        if (at < 0)
            continue;
        s->n_cand = cm_coop_frontiers(m, at, s->dist, s->queue, s->cand);
        if (s->n_cand == 0) {
            if (j == self)
                return -1;
            continue;
        }
        int pick = s->cand[0];
        for (int c = 0; c < s->n_cand; c++)
            if (!s->claimed[s->cand[c]]) {
                pick = s->cand[c];
                break;
            }
        if (j == self && s->jitter > 0.0f) {
            /* Each agent's own fixed preference among near frontiers (a hash
             * of cell, agent and maze): agents that know nothing of each
             * other still split up instead of walking the same way. */
            float best = INFINITY;
            for (int c = 0; c < s->n_cand; c++) {
                int k = s->cand[c];
                if (s->claimed[k] && !s->claimed[pick])
                    continue;
                uint64_t h = ((uint64_t)k + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)self + 1) * 0xc2b2ae3d27d4eb4full ^
                             env->maze_seed;
                h ^= h >> 29;
                h *= 0xbf58476d1ce4e5b9ull;
                h ^= h >> 32;
                float cost = (float)s->dist[k] + s->jitter * (float)(h & 0xffff) / 65536.0f;
                if (cost < best) {
                    best = cost;
                    pick = k;
                }
            }
        }
        if (j == self)
            return pick;
        bfs_open(m, pick, s->pdist, s->queue);
        for (int c = 0; c < n * n; c++)
            if (s->pdist[c] >= 0 && s->pdist[c] <= s->claim)
                s->claimed[c] = 1;
    }
    return -1;
}

static const float jitter_frontier = 6.0f, jitter_nearest = 0.0f;

static cm_status frontier_create(void *model, const cm_coop_config *cfg, void **state)
{
    (void)cfg;
    frontier_state *s = cm_alloc(sizeof *s);
    if (!s)
        return cm_error(CM_ERR_NOMEM, "frontier policy: out of memory");
    s->claim = 4; /* cells: a partner's pick covers about one room around it */
    s->jitter = *(const float *)model;
    *state = s;
    return CM_OK;
}

static void frontier_free(void *state) { cm_free(state); }

static cm_status frontier_reset(void *state, const cm_coop_env *env)
{
    frontier_state *s = state;
    for (int i = 0; i < CM_COOP_MAX_AGENTS; i++) {
        s->goal[i] = s->patrol[i] = -1;
        cm_rng_seed(&s->rng[i], env->maze_seed, 3000 + (uint64_t)i);
    }
    return CM_OK;
}

/* The map is complete but the target was not recognised (it is only seen
 * from close by): drive to random known free cells, one after another. */
static int patrol(frontier_state *s, const cm_coop_memory *m, int i)
{
    int n = m->size, own = pose_cell(m);
    for (int tries = 0; tries < 4; tries++) {
        if (s->patrol[i] < 0 || s->patrol[i] == own) {
            int free_cells = 0;
            for (int c = 0; c < n * n; c++)
                free_cells += m->cell[c] == CM_COOP_FREE;
            if (free_cells == 0)
                return -1;
            int k = (int)cm_rng_below(&s->rng[i], (uint64_t)free_cells);
            for (int c = 0; c < n * n; c++)
                if (m->cell[c] == CM_COOP_FREE && k-- == 0) {
                    s->patrol[i] = c;
                    break;
                }
        }
        int a = cm_coop_plan_action(m, s->patrol[i], s->dist, s->queue);
        if (a >= 0)
            return a;
        s->patrol[i] = -1;
    }
    return -1;
}

static cm_status frontier_act(void *state, const cm_coop_env *env, int *actions)
{
    frontier_state *s = state;
    for (int i = 0; i < env->cfg.n_agents; i++) {
        const cm_coop_memory *m = &env->mem[i];
        int a = -1;
        if (m->target >= 0) {
            s->goal[i] = m->target;
            a = cm_coop_plan_action(m, m->target, s->dist, s->queue);
        } else {
            /* keep a goal until it is seen (no dithering between equal ones) */
            int g = s->goal[i];
            if (g >= 0 && m->cell[g] == CM_COOP_UNKNOWN && !m->partner_seen[g])
                a = cm_coop_plan_action(m, g, s->dist, s->queue);
            if (a < 0) {
                g = frontier_pick(s, env, i);
                a = g >= 0 ? cm_coop_plan_action(m, g, s->dist, s->queue) : -1;
            }
            s->goal[i] = g;
            if (g < 0)
                a = patrol(s, m, i);
        }
        actions[i] = a >= 0 ? a : CM_ACT_LEFT; /* nothing to go to: look around */
    }
    return CM_OK;
}

/* ------------------------------------------- candidates for a meta-controller */

cm_status cm_coop_scratch_create(cm_coop_scratch **out)
{
    static const float jitter = 6.0f;
    return frontier_create((void *)&jitter, NULL, (void **)out);
}

void cm_coop_scratch_free(cm_coop_scratch *s) { cm_free(s); }
int16_t *cm_coop_scratch_dist(cm_coop_scratch *s) { return s->dist; }
int16_t *cm_coop_scratch_queue(cm_coop_scratch *s) { return s->queue; }

/* Share of the cells within 2 of c (5 x 5, clipped) that are unknown or that
 * a partner is believed to have seen. */
static void around(const cm_coop_memory *m, int c, float *unknown, float *seen)
{
    int n = m->size, cx = c % n, cy = c / n, tot = 0, u = 0, p = 0;
    for (int y = cy - 2; y <= cy + 2; y++)
        for (int x = cx - 2; x <= cx + 2; x++) {
            if (x < 0 || y < 0 || x >= n || y >= n)
                continue;
            tot++;
            u += m->cell[y * n + x] == CM_COOP_UNKNOWN;
            p += m->partner_seen[y * n + x] != 0;
        }
    *unknown = (float)u / (float)tot;
    *seen = (float)p / (float)tot;
}

int cm_coop_candidates(const cm_coop_env *env, int agent, cm_coop_scratch *s, int max, int *cells, float *feat,
                       float *global, int *heuristic)
{
    const cm_coop_memory *m = &env->mem[agent];
    const int n = m->size, K = env->cfg.n_agents;
    *heuristic = -1;
    int pick = frontier_pick(s, env, agent); /* leaves the agent's frontiers in s->cand, partners' claims */
    int count = 0;
    if (pick >= 0) {
        /* the nearest frontier of each 3 x 3 block, nearest blocks first */
        uint8_t block_taken[CM_COOP_MAX_CELLS];
        memset(block_taken, 0, (size_t)n * n);
        for (int c = 0; c < s->n_cand && count < max; c++) {
            int k = s->cand[c], b = (k / n / 3) * n + (k % n) / 3;
            if (block_taken[b])
                continue;
            block_taken[b] = 1;
            cells[count++] = k;
        }
        for (int c = 0; c < count; c++)
            if (cells[c] == pick)
                *heuristic = c;
        if (*heuristic < 0) { /* the heuristic's own pick is always on offer */
            *heuristic = count < max ? count++ : max - 1;
            cells[*heuristic] = pick;
        }
    }
    /* distances from each partner (where it last reported) */
    float pmin[CM_COOP_MAX_CELLS];
    int known_partners = 0;
    for (int c = 0; c < count; c++)
        pmin[c] = 2.0f;
    for (int j = 0; j < K; j++) {
        if (j == agent || m->partner_cell[j] < 0)
            continue;
        known_partners++;
        bfs_open(m, m->partner_cell[j], s->pdist, s->queue);
        for (int c = 0; c < count; c++) {
            int16_t d = s->pdist[cells[c]];
            if (d >= 0 && (float)d / (float)n < pmin[c])
                pmin[c] = (float)d / (float)n;
        }
    }
    /* the agent's own BFS distances (frontier_pick's last BFS was its own) */
    int own = pose_cell(m);
    if (own >= 0)
        bfs_open(m, own, s->dist, s->queue);
    for (int c = 0; c < count; c++) {
        float *f = feat + (size_t)c * CM_COOP_CAND_FEATURES;
        int k = cells[c];
        float d = s->dist[k] >= 0 ? (float)s->dist[k] / (float)n : 2.0f;
        float bearing = atan2f((float)(k / n) + 0.5f - m->pose.y, (float)(k % n) + 0.5f - m->pose.x) - m->pose.theta;
        uint64_t h = ((uint64_t)k + 1) * 0x9e3779b97f4a7c15ull ^ ((uint64_t)agent + 1) * 0xc2b2ae3d27d4eb4full ^
                     env->maze_seed;
        h ^= h >> 29;
        h *= 0xbf58476d1ce4e5b9ull;
        h ^= h >> 32;
        f[0] = d;
        f[1] = cosf(bearing);
        f[2] = sinf(bearing);
        f[3] = pmin[c];
        f[4] = s->claimed[k] ? 1.0f : 0.0f;
        around(m, k, &f[5], &f[6]);
        f[7] = c == *heuristic ? 1.0f : 0.0f;
        f[8] = (float)(h & 0xffff) / 65536.0f;
        f[9] = (float)c / (float)max;
    }
    int known = 0, self_seen = 0, pseen = 0;
    for (int c = 0; c < n * n; c++) {
        known += m->cell[c] != CM_COOP_UNKNOWN;
        self_seen += m->origin[c] == CM_COOP_FROM_SELF;
        pseen += m->partner_seen[c] != 0 && m->cell[c] == CM_COOP_UNKNOWN;
    }
    float nn = (float)(n * n);
    global[0] = (float)known / nn;
    global[1] = (float)env->t / (float)env->cfg.max_steps;
    global[2] = K > 1 ? (float)known_partners / (float)(K - 1) : 0.0f;
    global[3] = (float)pseen / nn;
    global[4] = (float)count / (float)max;
    global[5] = *heuristic >= 0 ? feat[(size_t)*heuristic * CM_COOP_CAND_FEATURES] : 0.0f;
    global[6] = (float)self_seen / nn;
    global[7] = 1.0f;
    return count;
}

int cm_coop_fallback_action(const cm_coop_env *env, int agent, cm_coop_scratch *s)
{
    const cm_coop_memory *m = &env->mem[agent];
    int a = m->target >= 0 ? cm_coop_plan_action(m, m->target, s->dist, s->queue) : -1;
    if (a < 0)
        a = patrol(s, m, agent);
    return a >= 0 ? a : CM_ACT_LEFT;
}

void cm_coop_scratch_reset(cm_coop_scratch *s, const cm_coop_env *env) { frontier_reset(s, env); }

void cm_coop_policy_frontier(cm_coop_policy *p)
{
    memset(p, 0, sizeof *p);
    p->name = "frontier";
    p->model = (void *)&jitter_frontier;
    p->state_create = frontier_create;
    p->state_free = frontier_free;
    p->reset = frontier_reset;
    p->act = frontier_act;
}

void cm_coop_policy_nearest(cm_coop_policy *p)
{
    cm_coop_policy_frontier(p);
    p->name = "nearest";
    p->model = (void *)&jitter_nearest;
}
