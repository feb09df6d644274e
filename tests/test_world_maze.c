/* Memory-Maze layouts: labmaze's invariants over many seeds, text, arena, DDA. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/world.h"

static int is_free(const cm_maze *m, int x, int y) { return cm_maze_free(m, x, y); }
static int is_corridor(const cm_maze *m, int x, int y)
{
    return is_free(m, x, y) && m->room_of[y * m->size + x] < 0;
}

/* Every invariant of a generated layout; fails the test with the seed on the first broken one. */
static void check_maze(const cm_maze *m, uint64_t seed)
{
    int n = m->size;
    const cm_maze_params *p = &m->params;
    /* outer ring of the inner layout is walled only by the border: cells at even
     * inner coordinates on both axes (odd full-grid) are the half-grid cells. */
    int n_free = 0, first = -1;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            if (!is_free(m, x, y))
                continue;
            n_free++;
            first = y * n + x;
            int nb = is_free(m, x - 1, y) + is_free(m, x + 1, y) + is_free(m, x, y - 1) + is_free(m, x, y + 1);
            if (nb < 2)
                fail_msg("seed %llu size %d: dead end at (%d, %d)", (unsigned long long)seed, n, x, y);
            /* pillars (odd, odd inner) are walls outside rooms */
            if (x % 2 == 1 && y % 2 == 1 && m->room_of[y * n + x] < 0)
                fail_msg("seed %llu: pillar (%d, %d) open outside a room", (unsigned long long)seed, x, y);
        }
    assert_true(n_free > 0);
    /* all free cells connected */
    static int queue[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    static uint8_t seen[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    memset(seen, 0, sizeof seen);
    int head = 0, tail = 0, reached = 0;
    queue[tail++] = first;
    seen[first] = 1;
    while (head < tail) {
        int c = queue[head++], cx = c % n, cy = c / n;
        reached++;
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; d++) {
            int nx = cx + dx[d], ny = cy + dy[d];
            if (is_free(m, nx, ny) && !seen[ny * n + nx]) {
                seen[ny * n + nx] = 1;
                queue[tail++] = ny * n + nx;
            }
        }
    }
    if (reached != n_free)
        fail_msg("seed %llu size %d: %d of %d free cells reachable", (unsigned long long)seed, n, reached, n_free);
    /* rooms */
    assert_true(m->n_rooms >= p->n_targets && m->n_rooms <= p->max_rooms);
    for (int r = 0; r < m->n_rooms; r++) {
        const cm_maze_room *a = &m->rooms[r];
        assert_true(a->w % 2 == 1 && a->h % 2 == 1);
        assert_true(a->w >= p->room_min_size && a->w <= p->room_max_size);
        assert_true(a->h >= p->room_min_size && a->h <= p->room_max_size);
        assert_true(a->x % 2 == 0 && a->y % 2 == 0); /* odd corner in the full grid */
        assert_true(a->x >= 0 && a->y >= 0 && a->x + a->w <= n && a->y + a->h <= n);
        for (int y = a->y; y < a->y + a->h; y++)
            for (int x = a->x; x < a->x + a->w; x++) {
                assert_true(is_free(m, x, y));
                assert_int_equal(m->room_of[y * n + x], r);
            }
        /* doors: free cells on the ring around the room (corners excluded) */
        int doors = 0;
        for (int x = a->x; x < a->x + a->w; x++)
            doors += is_free(m, x, a->y - 1) + is_free(m, x, a->y + a->h);
        for (int y = a->y; y < a->y + a->h; y++)
            doors += is_free(m, a->x - 1, y) + is_free(m, a->x + a->w, y);
        if (doors < 1 && n_free > a->w * a->h) /* a room that is not the whole maze needs a door */
            fail_msg("seed %llu: room %d has no door", (unsigned long long)seed, r);
        /* spawn and object inside, on different cells */
        assert_int_equal(m->room_of[m->spawn[r][1] * n + m->spawn[r][0]], r);
        assert_int_equal(m->room_of[m->object[r][1] * n + m->object[r][0]], r);
        assert_false(m->spawn[r][0] == m->object[r][0] && m->spawn[r][1] == m->object[r][1]);
        for (int q = 0; q < r; q++) {
            const cm_maze_room *b = &m->rooms[q];
            /* separated by at least one wall line */
            int apart = a->x + a->w < b->x || b->x + b->w < a->x || a->y + a->h < b->y || b->y + b->h < a->y;
            assert_true(apart);
        }
    }
    /* exactly one door between two directly adjacent rooms (one wall apart) */
    int doors_between[CM_MAZE_MAX_ROOMS][CM_MAZE_MAX_ROOMS];
    memset(doors_between, 0, sizeof doors_between);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            if (!is_corridor(m, x, y))
                continue;
            int a = -1, b = -1;
            if (is_free(m, x - 1, y) && is_free(m, x + 1, y)) {
                a = m->room_of[y * n + x - 1];
                b = m->room_of[y * n + x + 1];
            } else if (is_free(m, x, y - 1) && is_free(m, x, y + 1)) {
                a = m->room_of[(y - 1) * n + x];
                b = m->room_of[(y + 1) * n + x];
            }
            if (a >= 0 && b >= 0 && a != b)
                doors_between[a][b]++, doors_between[b][a]++;
        }
    for (int a = 0; a < m->n_rooms; a++)
        for (int b = 0; b < m->n_rooms; b++)
            if (doors_between[a][b] > 1)
                fail_msg("seed %llu: %d doors between rooms %d and %d", (unsigned long long)seed,
                         doors_between[a][b], a, b);
    /* no U-bends: A -> A+v -> A+2v -> A+2v+u -> A+2v+2u -> B+v -> B around a stub,
     * with corners joining nothing else, while A+u is wall */
    const int ax[4] = {1, -1, 0, 0}, ay[4] = {0, 0, 1, -1};
    for (int y = 0; y < n; y += 2)
        for (int x = 0; x < n; x += 2)
            for (int du = 0; du < 4; du++)
                for (int dv = 0; dv < 4; dv++) {
                    int ux = ax[du], uy = ay[du], vx = ax[dv], vy = ay[dv];
                    if (ux * vx + uy * vy != 0)
                        continue;
                    int c1x = x + 2 * vx, c1y = y + 2 * vy, c2x = c1x + 2 * ux, c2y = c1y + 2 * uy;
                    if (is_corridor(m, x, y) && is_corridor(m, x + 2 * ux, y + 2 * uy) && !is_free(m, x + ux, y + uy) &&
                        is_corridor(m, x + vx, y + vy) && is_corridor(m, c1x, c1y) &&
                        is_corridor(m, c1x + ux, c1y + uy) && is_corridor(m, c2x, c2y) &&
                        is_corridor(m, x + 2 * ux + vx, y + 2 * uy + vy)) {
                        int n1 = is_free(m, c1x - 1, c1y) + is_free(m, c1x + 1, c1y) + is_free(m, c1x, c1y - 1) +
                                 is_free(m, c1x, c1y + 1);
                        int n2 = is_free(m, c2x - 1, c2y) + is_free(m, c2x + 1, c2y) + is_free(m, c2x, c2y - 1) +
                                 is_free(m, c2x, c2y + 1);
                        if (n1 == 2 && n2 == 2)
                            fail_msg("seed %llu: U-bend at (%d, %d)", (unsigned long long)seed, x, y);
                    }
                }
    /* targets: distinct object cells, in rooms */
    assert_int_equal(m->n_targets, p->n_targets);
    for (int t = 0; t < m->n_targets; t++) {
        int tx = (int)m->targets[t][0], ty = (int)m->targets[t][1];
        assert_true(m->room_of[ty * n + tx] >= 0);
        assert_float_equal(m->targets[t][0], tx + 0.5f, 1e-6);
        for (int q = 0; q < t; q++)
            assert_true(m->room_of[ty * n + tx] !=
                        m->room_of[(int)m->targets[q][1] * n + (int)m->targets[q][0]]);
    }
}

static void test_maze_invariants_many_seeds(void **state)
{
    (void)state;
    const int sizes[] = {9, 11, 13, 15, 5, 7, 21};
    const int seeds[] = {150, 150, 150, 150, 40, 40, 30};
    static cm_maze m;
    for (int s = 0; s < 7; s++) {
        cm_maze_params p;
        assert_int_equal(cm_maze_params_default(sizes[s], &p), CM_OK);
        for (int k = 0; k < seeds[s]; k++) {
            cm_status st = cm_maze_generate(&p, (uint64_t)k, &m);
            if (st != CM_OK)
                fail_msg("size %d seed %d: %s", sizes[s], k, cm_errmsg());
            check_maze(&m, (uint64_t)k);
        }
    }
}

/* Fewer rooms than targets: the layout is generated again (MemoryMazeTask's rule). */
static void test_maze_regenerates_for_targets(void **state)
{
    (void)state;
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    p.n_targets = 4; /* a 9x9 maze holds 4 rooms of 3x3 at most: often fewer are placed */
    int retried = 0;
    for (int k = 0; k < 60; k++) {
        assert_int_equal(cm_maze_generate(&p, (uint64_t)k, &m), CM_OK);
        assert_true(m.n_rooms >= 4);
        check_maze(&m, (uint64_t)k);
        retried += m.attempts > 1;
    }
    assert_true(retried > 0);
}

static void test_maze_table(void **state)
{
    (void)state;
    cm_maze_params p;
    const int sizes[] = {9, 11, 13, 15}, targets[] = {3, 4, 5, 6}, steps[] = {1000, 2000, 3000, 4000};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cm_maze_params_default(sizes[i], &p), CM_OK);
        assert_int_equal(p.n_targets, targets[i]);
        assert_int_equal(p.episode_steps, steps[i]);
    }
    assert_int_equal(p.max_rooms, 9);
    assert_int_equal(p.room_max_size, 3);
    /* 15x15: all rooms 3x3 */
    static cm_maze m;
    for (int k = 0; k < 20; k++) {
        assert_int_equal(cm_maze_generate(&p, (uint64_t)k, &m), CM_OK);
        for (int r = 0; r < m.n_rooms; r++)
            assert_true(m.rooms[r].w == 3 && m.rooms[r].h == 3);
    }
}

static void test_maze_bad_params(void **state)
{
    (void)state;
    cm_maze_params p;
    static cm_maze m;
    assert_int_equal(cm_maze_params_default(10, &p), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "size"));
    assert_int_equal(cm_maze_params_default(3, &p), CM_ERR_ARG);
    assert_int_equal(cm_maze_params_default(65, &p), CM_ERR_ARG);
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    p.n_targets = 7;
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "targets"));
    p.n_targets = 0;
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    p.n_targets = 5; /* a 9x9 maze holds 4 rooms of 3x3 at most */
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "targets"));
    assert_int_equal(cm_maze_params_default(15, &p), CM_OK);
    p.n_targets = 6;
    p.max_rooms = 4;
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    p.room_min_size = 4;
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
    p.room_min_size = 11;
    p.room_max_size = 11;
    assert_int_equal(cm_maze_generate(&p, 1, &m), CM_ERR_ARG);
}

static void test_maze_determinism(void **state)
{
    (void)state;
    static cm_maze a, b, c;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(15, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 42, &a), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 42, &b), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 43, &c), CM_OK);
    assert_memory_equal(&a, &b, sizeof a);
    assert_true(memcmp(a.layout, c.layout, sizeof a.layout) != 0);
}

static void test_maze_text(void **state)
{
    (void)state;
    static cm_maze m;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 7, &m), CM_OK);
    char buf[11 * 12 + 1], small[20];
    assert_int_equal(cm_maze_text(&m, small, sizeof small), CM_ERR_ARG);
    assert_int_equal(cm_maze_text(&m, buf, sizeof buf), CM_OK);
    assert_int_equal((int)strlen(buf), 11 * 12);
    int targets = 0, spawns = 0;
    for (int row = 0; row < 11; row++) {
        assert_int_equal(buf[row * 12 + 11], '\n');
        int y = 9 - row; /* first line is the top border, y = N */
        for (int col = 0; col < 11; col++) {
            char ch = buf[row * 12 + col];
            int x = col - 1;
            assert_int_equal(ch == '#', !cm_maze_free(&m, x, y));
            targets += ch >= '1' && ch <= '9';
            spawns += ch == 'P';
        }
    }
    assert_int_equal(targets, 3);
    assert_int_equal(spawns, m.n_rooms);
}

static void test_dda_matches_segments(void **state)
{
    (void)state;
    static cm_maze m;
    cm_maze_params p;
    cm_rng rng;
    cm_rng_seed(&rng, 5, 0);
    for (int k = 0; k < 6; k++) {
        assert_int_equal(cm_maze_params_default(9 + 2 * (k % 4), &p), CM_OK);
        assert_int_equal(cm_maze_generate(&p, (uint64_t)(100 + k), &m), CM_OK);
        cm_arena a;
        assert_int_equal(cm_arena_from_maze(&m, &a), CM_OK);
        assert_non_null(a.grid);
        for (int i = 0; i < a.n_walls; i++) { /* unit faces, grid aligned */
            float len = hypotf(a.walls[i].x1 - a.walls[i].x0, a.walls[i].y1 - a.walls[i].y0);
            assert_float_equal(len, 1.0f, 0);
        }
        int n = m.size, rays = 0;
        while (rays < 1500) {
            float ox = cm_rng_float(&rng) * n, oy = cm_rng_float(&rng) * n;
            if (!cm_maze_free(&m, (int)ox, (int)oy))
                continue;
            float ang = cm_rng_float(&rng) * 6.2831853f, dx = cosf(ang), dy = sinf(ang);
            cm_ray_hit g = cm_arena_cast_grid(&a, ox, oy, dx, dy);
            cm_ray_hit s = cm_arena_cast_segments(&a, ox, oy, dx, dy);
            cm_ray_hit d = cm_arena_cast(&a, ox, oy, dx, dy);
            assert_true(s.wall >= 0);
            assert_float_equal(g.distance, s.distance, 1e-4 * (1 + s.distance));
            assert_int_equal(g.wall, s.wall);
            assert_float_equal(g.u, s.u, 1e-3);
            assert_int_equal(d.wall, g.wall);
            rays++;
        }
        /* from outside the grid looking away: nothing */
        cm_ray_hit o = cm_arena_cast_grid(&a, -2.5f, 3.5f, -1.0f, 0.0f);
        assert_true(isinf(o.distance));
        /* looking in: the outer face x = 0 if row 3 is open there, else deeper */
        cm_arena_free(&a);
    }
}

/* A hand-built corridor: the hit distances are known exactly. */
static void test_dda_hand_built(void **state)
{
    (void)state;
    uint8_t grid[5 * 3] = {0, 0, 0, 0, 0, /* y = 0 */
                           1, 1, 1, 1, 0, /* y = 1 */
                           0, 0, 0, 0, 0};
    cm_arena a = {.name = "corridor", .grid_width = 5, .grid_height = 3, .grid = grid};
    cm_ray_hit h = cm_arena_cast_grid(&a, 0.5f, 1.5f, 1.0f, 0.0f);
    assert_float_equal(h.distance, 3.5f, 1e-6);
    assert_int_equal(h.wall, -1); /* no segments in this arena */
    h = cm_arena_cast_grid(&a, 0.5f, 1.5f, -1.0f, 0.0f); /* outer wall at x = 0 */
    assert_float_equal(h.distance, 0.5f, 1e-6);
    h = cm_arena_cast_grid(&a, 2.25f, 1.5f, 0.0f, 1.0f);
    assert_float_equal(h.distance, 0.5f, 1e-6);
    float s = (float)M_SQRT1_2;
    h = cm_arena_cast_grid(&a, 1.0f, 1.25f, s, s); /* meets y = 2 after 0.75*sqrt(2) */
    assert_float_equal(h.distance, 0.75f * (float)M_SQRT2, 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_maze_invariants_many_seeds),
        cmocka_unit_test(test_maze_table),
        cmocka_unit_test(test_maze_regenerates_for_targets),
        cmocka_unit_test(test_maze_bad_params),
        cmocka_unit_test(test_maze_determinism),
        cmocka_unit_test(test_maze_text),
        cmocka_unit_test(test_dda_matches_segments),
        cmocka_unit_test(test_dda_hand_built),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
