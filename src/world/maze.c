/* Memory-Maze layouts by labmaze's rules (memory-maze.md §1.2).
 *
 * Generation works on the full (N+2) x (N+2) grid with its one-cell border,
 * y up. Rooms and corridor cells sit on the odd "half-grid" (odd X and Y);
 * even positions between them are walls or passages, so rooms of odd sides
 * placed at odd corners never touch and corridors advance in 2-cell steps. */
#include "cogmap/world.h"

#include <string.h>

enum { MAX_W = CM_MAZE_MAX_SIZE + 2 };

/* labmaze's style_01 wall textures, as flat colours (the renderer adds the
 * pattern): blue, cerise, green_bright, green, purple, red_bright, red, yellow. */
static const uint8_t wall_palette[8][3] = {
    {48, 88, 196}, {204, 44, 116}, {116, 214, 72}, {40, 132, 64},
    {124, 64, 176}, {236, 76, 64}, {152, 32, 32}, {222, 192, 52},
};
/* Memory-Maze TARGET_COLORS (ssm-pc.md §2): red, green, blue, purple, yellow, salmon. */
static const uint8_t target_palette[CM_MAZE_MAX_TARGETS][3] = {
    {170, 38, 30}, {99, 170, 88}, {39, 140, 217}, {93, 105, 199}, {220, 193, 59}, {220, 128, 107},
};

cm_status cm_maze_params_default(int size, cm_maze_params *p)
{
    if (size < CM_MAZE_MIN_SIZE || size > CM_MAZE_MAX_SIZE || size % 2 == 0)
        return cm_error(CM_ERR_ARG, "maze size: expected an odd number in %d..%d, got %d", CM_MAZE_MIN_SIZE,
                        CM_MAZE_MAX_SIZE, size);
    memset(p, 0, sizeof *p);
    p->size = size;
    p->max_rooms = 6;
    p->room_min_size = 3;
    p->room_max_size = 5;
    switch (size) {
    case 9: p->n_targets = 3; p->episode_steps = 1000; break;
    case 11: p->n_targets = 4; p->episode_steps = 2000; break;
    case 13: p->n_targets = 5; p->episode_steps = 3000; break;
    case 15:
        p->n_targets = 6;
        p->episode_steps = 4000;
        p->max_rooms = 9;
        p->room_max_size = 3;
        break;
    default:
        /* Outside the upstream table: the smaller mazes' room rules, targets
         * and time growing with the size as the table does. */
        p->n_targets = size < 7 ? 1 : size < 9 ? 2 : (size - 3) / 2 < CM_MAZE_MAX_TARGETS ? (size - 3) / 2 : CM_MAZE_MAX_TARGETS;
        p->episode_steps = size < 9 ? 1000 : 1000 * (size - 7) / 2;
        if (size < 9)
            p->room_max_size = 3;
        break;
    }
    return CM_OK;
}

static cm_status check_params(const cm_maze_params *p)
{
    int n = p->size;
    if (n < CM_MAZE_MIN_SIZE || n > CM_MAZE_MAX_SIZE || n % 2 == 0)
        return cm_error(CM_ERR_ARG, "maze size: expected an odd number in %d..%d, got %d", CM_MAZE_MIN_SIZE,
                        CM_MAZE_MAX_SIZE, n);
    if (p->n_targets < 1 || p->n_targets > CM_MAZE_MAX_TARGETS)
        return cm_error(CM_ERR_ARG, "maze targets: expected 1..%d, got %d", CM_MAZE_MAX_TARGETS, p->n_targets);
    if (p->max_rooms < 1 || p->max_rooms > CM_MAZE_MAX_ROOMS)
        return cm_error(CM_ERR_ARG, "maze max_rooms: expected 1..%d, got %d", CM_MAZE_MAX_ROOMS, p->max_rooms);
    if (p->room_min_size < 3 || p->room_min_size % 2 == 0 || p->room_max_size < p->room_min_size ||
        p->room_max_size % 2 == 0)
        return cm_error(CM_ERR_ARG, "maze room sizes: expected odd 3 <= min <= max, got %d..%d", p->room_min_size,
                        p->room_max_size);
    if (p->room_min_size > n)
        return cm_error(CM_ERR_ARG, "maze room_min_size: %d does not fit in a %dx%d maze", p->room_min_size, n, n);
    if (p->n_targets > p->max_rooms)
        return cm_error(CM_ERR_ARG,
                        "maze targets: %d targets need %d rooms (one object per room), but at most %d rooms are "
                        "placed",
                        p->n_targets, p->n_targets, p->max_rooms);
    /* Rooms are separated by walls on the odd grid: at most ((N+1)/(min+1))^2 fit. */
    int per_side = (n + 1) / (p->room_min_size + 1);
    if (p->n_targets > per_side * per_side)
        return cm_error(CM_ERR_ARG, "maze targets: a %dx%d maze holds at most %d rooms of %dx%d, %d targets asked",
                        n, n, per_side * per_side, p->room_min_size, p->room_min_size, p->n_targets);
    if (p->episode_steps < 0)
        return cm_error(CM_ERR_ARG, "maze episode_steps: expected >= 0, got %d", p->episode_steps);
    return CM_OK;
}

/* Work space of one generation attempt, full grid, y up. */
typedef struct gen {
    int w;
    uint8_t free[MAX_W * MAX_W];
    int16_t region[MAX_W * MAX_W]; /* region id of carved cells, -1 otherwise */
    int8_t room[MAX_W * MAX_W];    /* room index or -1 */
    int16_t stack[MAX_W * MAX_W];
    /* adjacent region pairs and the connector kept for each (reservoir sampling) */
    int n_pairs;
    int16_t pair_a[MAX_W * MAX_W], pair_b[MAX_W * MAX_W];
    int32_t pair_count[MAX_W * MAX_W], pair_cell[MAX_W * MAX_W];
} gen;

/* MakeSeparateRectangles: up to max_rooms odd rooms at odd corners, 1000 failed tries at most. */
static int place_rooms(gen *g, const cm_maze_params *p, cm_rng *rng, cm_maze_room *rooms)
{
    int w = g->w, n = 0, failures = 0;
    int kmin = (p->room_min_size - 1) / 2, kmax = (p->room_max_size - 1) / 2, kmid = (kmin + kmax) / 2;
    while (n < p->max_rooms && failures < 1000) {
        /* short side uniform in [min, mid], the long one adds uniform(mid, max) - mid */
        int ks = kmin + (int)cm_rng_below(rng, (uint64_t)(kmid - kmin + 1));
        int kl = ks + (int)cm_rng_below(rng, (uint64_t)(kmax - kmid + 1));
        int sw = 2 * ks + 1, sh = 2 * kl + 1;
        if (cm_rng_below(rng, 2)) {
            int t = sw;
            sw = sh;
            sh = t;
        }
        if (sw > w - 2 || sh > w - 2) {
            failures++;
            continue;
        }
        int x0 = 1 + 2 * (int)cm_rng_below(rng, (uint64_t)((w - 2 - sw) / 2 + 1));
        int y0 = 1 + 2 * (int)cm_rng_below(rng, (uint64_t)((w - 2 - sh) / 2 + 1));
        int clash = 0;
        for (int r = 0; r < n && !clash; r++) {
            const cm_maze_room *o = &rooms[r];
            /* stored in full-grid coordinates during generation */
            if (x0 <= o->x + o->w - 1 && o->x <= x0 + sw - 1 && y0 <= o->y + o->h - 1 && o->y <= y0 + sh - 1)
                clash = 1;
        }
        if (clash) {
            failures++;
            continue;
        }
        rooms[n] = (cm_maze_room){x0, y0, sw, sh};
        for (int y = y0; y < y0 + sh; y++)
            for (int x = x0; x < x0 + sw; x++) {
                g->free[y * w + x] = 1;
                g->room[y * w + x] = (int8_t)n;
                g->region[y * w + x] = (int16_t)n;
            }
        n++;
    }
    return n;
}

/* FillSpaceWithMaze: recursive backtracker in 2-cell steps; each fill is a new region. */
static void fill_corridors(gen *g, cm_rng *rng, int first_region)
{
    static const int dx[4] = {2, -2, 0, 0}, dy[4] = {0, 0, 2, -2};
    int w = g->w, region = first_region;
    for (int y0 = 1; y0 < w - 1; y0 += 2)
        for (int x0 = 1; x0 < w - 1; x0 += 2) {
            if (g->free[y0 * w + x0])
                continue;
            int top = 0;
            g->stack[top++] = (int16_t)(y0 * w + x0);
            g->free[y0 * w + x0] = 1;
            g->region[y0 * w + x0] = (int16_t)region;
            while (top > 0) {
                int c = g->stack[top - 1], cx = c % w, cy = c / w;
                int options[4], k = 0;
                for (int d = 0; d < 4; d++) {
                    int nx = cx + dx[d], ny = cy + dy[d];
                    if (nx >= 1 && nx < w - 1 && ny >= 1 && ny < w - 1 && !g->free[ny * w + nx])
                        options[k++] = d;
                }
                if (k == 0) {
                    top--;
                    continue;
                }
                int d = options[cm_rng_below(rng, (uint64_t)k)];
                int mx = cx + dx[d] / 2, my = cy + dy[d] / 2, nx = cx + dx[d], ny = cy + dy[d];
                g->free[my * w + mx] = g->free[ny * w + nx] = 1;
                g->region[my * w + mx] = g->region[ny * w + nx] = (int16_t)region;
                g->stack[top++] = (int16_t)(ny * w + nx);
            }
            region++;
        }
}

/* RandomConnectRegions: exactly one random connector per adjacent pair. */
static void connect_regions(gen *g, cm_rng *rng)
{
    int w = g->w;
    g->n_pairs = 0;
    for (int y = 1; y < w - 1; y++)
        for (int x = 1; x < w - 1; x++) {
            int c = y * w + x;
            if (g->free[c])
                continue;
            int a, b;
            if (x % 2 == 0 && y % 2 == 1) {
                a = g->free[c - 1] ? g->region[c - 1] : -1;
                b = g->free[c + 1] ? g->region[c + 1] : -1;
            } else if (x % 2 == 1 && y % 2 == 0) {
                a = g->free[c - w] ? g->region[c - w] : -1;
                b = g->free[c + w] ? g->region[c + w] : -1;
            } else {
                continue;
            }
            if (a < 0 || b < 0 || a == b)
                continue;
            if (a > b) {
                int t = a;
                a = b;
                b = t;
            }
            int k = 0;
            while (k < g->n_pairs && !(g->pair_a[k] == a && g->pair_b[k] == b))
                k++;
            if (k == g->n_pairs) {
                g->pair_a[k] = (int16_t)a;
                g->pair_b[k] = (int16_t)b;
                g->pair_count[k] = 0;
                g->n_pairs++;
            }
            g->pair_count[k]++;
            if (cm_rng_below(rng, (uint64_t)g->pair_count[k]) == 0)
                g->pair_cell[k] = c;
        }
    for (int k = 0; k < g->n_pairs; k++) {
        g->free[g->pair_cell[k]] = 1;
        g->region[g->pair_cell[k]] = -2; /* a door */
    }
}

static int free_neighbours(const gen *g, int c)
{
    return g->free[c - 1] + g->free[c + 1] + g->free[c - g->w] + g->free[c + g->w];
}

/* RemoveDeadEnds: fill corridor cells with one open side until none is left. */
static void remove_dead_ends(gen *g)
{
    int w = g->w, changed = 1;
    while (changed) {
        changed = 0;
        for (int y = 1; y < w - 1; y++)
            for (int x = 1; x < w - 1; x++) {
                int c = y * w + x;
                if (g->free[c] && g->room[c] < 0 && free_neighbours(g, c) <= 1) {
                    g->free[c] = 0;
                    changed = 1;
                }
            }
    }
}

static int corridor(const gen *g, int x, int y)
{
    return x >= 1 && y >= 1 && x < g->w - 1 && y < g->w - 1 && g->free[y * g->w + x] && g->room[y * g->w + x] < 0;
}

/* RemoveAllHorseshoeBends: a corridor that leaves A, turns twice around a
 * one-cell wall stub and comes back to B two cells from A
 *   A -> A+v -> A+2v -> A+2v+u -> A+2v+2u -> B+v -> B   (B = A+2u)
 * with nothing else joining its two corners is replaced by the direct passage
 * A+u. Each removal walls 5 cells and opens 1, so the loop ends. */
static int remove_horseshoes(gen *g)
{
    static const int ax[4] = {1, -1, 0, 0}, ay[4] = {0, 0, 1, -1};
    int w = g->w, removed = 0;
    for (int y = 1; y < w - 1; y += 2)
        for (int x = 1; x < w - 1; x += 2) {
            if (!corridor(g, x, y))
                continue;
            for (int du = 0; du < 4; du++)
                for (int dv = 0; dv < 4; dv++) {
                    int ux = ax[du], uy = ay[du], vx = ax[dv], vy = ay[dv];
                    if (ux * vx + uy * vy != 0)
                        continue; /* v must be perpendicular to u */
                    int bx = x + 2 * ux, by = y + 2 * uy;
                    int wx = x + ux, wy = y + uy;
                    if (!corridor(g, bx, by) || g->free[wy * w + wx] || wx <= 0 || wy <= 0 || wx >= w - 1 ||
                        wy >= w - 1)
                        continue;
                    int c1x = x + 2 * vx, c1y = y + 2 * vy;             /* first corner */
                    int c2x = c1x + 2 * ux, c2y = c1y + 2 * uy;         /* second corner */
                    if (!corridor(g, x + vx, y + vy) || !corridor(g, c1x, c1y) || !corridor(g, c1x + ux, c1y + uy) ||
                        !corridor(g, c2x, c2y) || !corridor(g, bx + vx, by + vy))
                        continue;
                    if (free_neighbours(g, c1y * w + c1x) != 2 || free_neighbours(g, c2y * w + c2x) != 2)
                        continue;
                    g->free[wy * w + wx] = 1;
                    g->free[(y + vy) * w + x + vx] = 0;
                    g->free[c1y * w + c1x] = 0;
                    g->free[(c1y + uy) * w + c1x + ux] = 0;
                    g->free[c2y * w + c2x] = 0;
                    g->free[(by + vy) * w + bx + vx] = 0;
                    removed++;
                    goto next_cell; /* A changed: look at it again on the next pass */
                }
        next_cell:;
        }
    return removed;
}

static void random_cell_of_room(cm_rng *rng, const cm_maze_room *r, int *x, int *y)
{
    int k = (int)cm_rng_below(rng, (uint64_t)(r->w * r->h));
    *x = r->x + k % r->w;
    *y = r->y + k / r->w;
}

cm_status cm_maze_generate(const cm_maze_params *params, uint64_t seed, cm_maze *maze)
{
    cm_status st = check_params(params);
    if (st != CM_OK)
        return st;
    gen *g = cm_alloc(sizeof *g);
    if (!g)
        return cm_error(CM_ERR_NOMEM, "maze generator: cannot allocate %zu bytes", sizeof *g);
    int n = params->size, w = n + 2;
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0);
    memset(maze, 0, sizeof *maze);
    maze->params = *params;
    maze->size = n;
    maze->seed = seed;
    cm_maze_room rooms[CM_MAZE_MAX_ROOMS];
    int n_rooms = 0;
    for (int attempt = 1;; attempt++) {
        if (attempt > 1000) {
            cm_free(g);
            return cm_error(CM_ERR_ARG, "maze: no layout with %d rooms in 1000 attempts (size %d, rooms %d..%d)",
                            params->n_targets, n, params->room_min_size, params->room_max_size);
        }
        g->w = w;
        memset(g->free, 0, sizeof g->free);
        memset(g->region, 0xff, sizeof g->region);
        memset(g->room, 0xff, sizeof g->room);
        n_rooms = place_rooms(g, params, &rng, rooms);
        fill_corridors(g, &rng, n_rooms);
        connect_regions(g, &rng);
        remove_dead_ends(g);
        while (remove_horseshoes(g) > 0)
            remove_dead_ends(g);
        maze->attempts = attempt;
        if (n_rooms >= params->n_targets)
            break; /* otherwise regenerate, as MemoryMazeTask does */
    }
    maze->n_rooms = n_rooms;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            maze->layout[y * n + x] = g->free[(y + 1) * w + x + 1];
            maze->room_of[y * n + x] = g->room[(y + 1) * w + x + 1];
        }
    for (int r = 0; r < n_rooms; r++) {
        maze->rooms[r] = (cm_maze_room){rooms[r].x - 1, rooms[r].y - 1, rooms[r].w, rooms[r].h};
        /* AddNEntitiesToEachRoom: one spawn and one object, on different cells */
        int sx, sy, ox, oy;
        random_cell_of_room(&rng, &maze->rooms[r], &sx, &sy);
        do
            random_cell_of_room(&rng, &maze->rooms[r], &ox, &oy);
        while (ox == sx && oy == sy);
        maze->spawn[r][0] = sx;
        maze->spawn[r][1] = sy;
        maze->object[r][0] = ox;
        maze->object[r][1] = oy;
    }
    /* Targets on shuffled object cells, in TARGET_COLORS order. */
    int order[CM_MAZE_MAX_ROOMS];
    for (int r = 0; r < n_rooms; r++)
        order[r] = r;
    for (int r = n_rooms - 1; r > 0; r--) {
        int k = (int)cm_rng_below(&rng, (uint64_t)(r + 1)), t = order[r];
        order[r] = order[k];
        order[k] = t;
    }
    maze->n_targets = params->n_targets;
    for (int t = 0; t < params->n_targets; t++) {
        maze->targets[t][0] = (float)maze->object[order[t]][0] + 0.5f;
        maze->targets[t][1] = (float)maze->object[order[t]][1] + 0.5f;
        memcpy(maze->target_rgb[t], target_palette[t], 3);
    }
    /* One random style_01 texture per 3x3 block: the landmarks. */
    for (int b = 0; b < CM_MAZE_BLOCKS; b++)
        memcpy(maze->block_rgb[b], wall_palette[cm_rng_below(&rng, 8)], 3);
    static const uint8_t room_floor[3] = {96, 136, 206}, corridor_floor[3] = {44, 60, 112};
    memcpy(maze->floor_room_rgb, room_floor, 3);
    memcpy(maze->floor_corridor_rgb, corridor_floor, 3);
    cm_free(g);
    return CM_OK;
}

int cm_maze_block(const cm_maze *maze, int x, int y)
{
    int w = maze->size + 2;
    int bx = (x + 1) * 3 / w, by = (y + 1) * 3 / w;
    bx = bx < 0 ? 0 : bx > 2 ? 2 : bx;
    by = by < 0 ? 0 : by > 2 ? 2 : by;
    return by * 3 + bx;
}

int cm_maze_free(const cm_maze *maze, int x, int y)
{
    int n = maze->size;
    return x >= 0 && y >= 0 && x < n && y < n && maze->layout[y * n + x];
}

cm_status cm_maze_text(const cm_maze *maze, char *buf, size_t size)
{
    int n = maze->size, w = n + 2;
    if (size < (size_t)w * (size_t)(w + 1) + 1)
        return cm_error(CM_ERR_ARG, "maze text: buffer of %zu bytes, need %d", size, w * (w + 1) + 1);
    char *p = buf;
    for (int y = n; y >= -1; y--) {
        for (int x = -1; x <= n; x++) {
            char c = '#';
            if (cm_maze_free(maze, x, y)) {
                int r = maze->room_of[y * n + x];
                c = r >= 0 ? (char)('a' + r % 26) : '.';
            }
            *p++ = c;
        }
        *p++ = '\n';
    }
    *p = '\0';
    for (int r = 0; r < maze->n_rooms; r++)
        buf[(n - maze->spawn[r][1]) * (w + 1) + maze->spawn[r][0] + 1] = 'P';
    for (int t = 0; t < maze->n_targets; t++) {
        int x = (int)maze->targets[t][0], y = (int)maze->targets[t][1];
        buf[(n - y) * (w + 1) + x + 1] = (char)('1' + t);
    }
    return CM_OK;
}
