/* The timed loops of `cogmap bench motion`, `bench targets`, `bench render`
 * and `bench dist` (cogmap/bench.h). */
#define _GNU_SOURCE /* nftw, mkdtemp */
#include "cogmap/bench.h"
#include "cogmap/bevrun.h"
#include "cogmap/cells.h"
#include "cogmap/dist.h"
#include "cogmap/run.h"
#include "cogmap/world.h"

#include <ftw.h>
#include <stdlib.h>

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* CPU seconds of the calling thread: on a shared machine the wall clock also
 * counts other processes' turns, the thread's CPU time does not. */
static double thread_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Best steps/s of `repeat` runs, by the wall clock and by this thread's CPU time. */
static void best_rates(cm_worlds *w, int steps, const cm_traj *traj, int repeat, double *wall, double *cpu)
{
    *wall = *cpu = 0;
    double n = (double)w->batch * w->n_agents * steps;
    for (int r = 0; r < repeat; r++) {
        cm_worlds_reset(w);
        double c0 = thread_cpu_seconds(), t0 = cm_now();
        cm_worlds_run(w, steps, traj);
        double el = cm_now() - t0, cel = thread_cpu_seconds() - c0;
        if (n / (el > 0 ? el : 1e-9) > *wall)
            *wall = n / (el > 0 ? el : 1e-9);
        if (n / (cel > 0 ? cel : 1e-9) > *cpu)
            *cpu = n / (cel > 0 ? cel : 1e-9);
    }
}

cm_status cm_bench_motion(const char *arena_name, const char *motion_name, int batch, int steps, int repeat,
                          int threads, uint64_t seed, cm_bench_motion_result *out)
{
    memset(out, 0, sizeof *out);
    if (batch < 1 || steps < 1 || repeat < 1 || threads < 0)
        return cm_error(CM_ERR_ARG, "bench motion: batch %d, steps %d, repeat %d, threads %d: expected >= 1 (threads >= 0)",
                        batch, steps, repeat, threads);
    cm_arena arena;
    cm_motion motion;
    cm_status st = cm_arena_preset(&arena, arena_name);
    if (st != CM_OK)
        return st;
    st = cm_motion_preset(&motion, motion_name);
    if (st != CM_OK) {
        cm_arena_free(&arena);
        return st;
    }
    size_t n = (size_t)batch * (size_t)steps;
    float *pos = cm_alloc(n * 2 * sizeof(float)), *hd = cm_alloc(n * sizeof(float));
    float *ego = cm_alloc(n * 3 * sizeof(float));
    cm_worlds w;
    if (!pos || !hd || !ego)
        st = cm_error(CM_ERR_NOMEM, "bench motion: cannot allocate %zu steps of outputs", n);
    if (st == CM_OK)
        st = cm_worlds_create(&w, &arena, &motion, batch, 1, 0, seed);
    if (st == CM_OK) {
        cm_traj traj = {.position = pos, .heading = hd, .ego_banino = ego};
        /* Touch the outputs once so page faults are not timed. */
        cm_worlds_run(&w, steps, &traj);
        cm_set_threads(1);
        best_rates(&w, steps, &traj, repeat, &out->wall, &out->cpu);
        cm_set_threads(threads);
        out->threads = cm_threads();
        if (out->threads > 1) {
            double cpu;
            best_rates(&w, steps, &traj, repeat, &out->threaded_wall, &cpu);
        }
        cm_worlds_free(&w);
    }
    cm_free(pos);
    cm_free(hd);
    cm_free(ego);
    cm_arena_free(&arena);
    return st;
}

typedef void (*targets_fn)(const cm_place_cells *, const float *, int64_t, float *);

/* Best rows/s of `repeat` calls by this thread's CPU time. */
static double best_targets_rate(targets_fn fn, const cm_place_cells *pc, const float *pos, int rows, int repeat,
                                float *out)
{
    double best = 0.0;
    for (int r = 0; r < repeat; r++) {
        double c0 = thread_cpu_seconds();
        fn(pc, pos, rows, out);
        double el = thread_cpu_seconds() - c0;
        if (rows / (el > 0 ? el : 1e-9) > best)
            best = rows / (el > 0 ? el : 1e-9);
    }
    return best;
}

cm_status cm_bench_targets(int count, float sigma, int dog, float temperature, int rows, int repeat, uint64_t seed,
                           cm_bench_targets_result *out)
{
    memset(out, 0, sizeof *out);
    if (rows < 1 || repeat < 1)
        return cm_error(CM_ERR_ARG, "rows %d, repeat %d: expected >= 1", rows, repeat);
    if (!(temperature >= 0.0f) || !isfinite(temperature))
        return cm_error(CM_ERR_ARG, "temperature: expected >= 0, got %g", temperature);
    cm_place_cells pc;
    cm_status st = cm_place_cells_create(&pc, count, sigma, 0.0f, 15.0f, 42, CM_CENTRES_PAIRS);
    if (st != CM_OK)
        return st;
    pc.dog = dog != 0;
    pc.dog_temperature = temperature;
    const size_t n = (size_t)rows * (size_t)count;
    float *pos = cm_alloc((size_t)rows * 2 * sizeof(float)), *ref = cm_alloc(n * sizeof(float)),
          *fast = cm_alloc(n * sizeof(float));
    if (!pos || !ref || !fast)
        st = cm_error(CM_ERR_NOMEM, "targets bench: cannot allocate %d rows of %d cells", rows, count);
    if (st == CM_OK) {
        cm_rng rng;
        cm_rng_seed(&rng, seed, 0);
        for (int i = 0; i < 2 * rows; i++)
            pos[i] = (float)cm_rng_uniform(&rng, 0.0, 15.0);
        cm_set_threads(1);
        /* One untimed call each first, so that page faults are not timed. */
        cm_place_cells_activate(&pc, pos, rows, ref);
        cm_place_cells_activate_fast(&pc, pos, rows, fast);
        out->reference_rows_per_s = best_targets_rate(cm_place_cells_activate, &pc, pos, rows, repeat, ref);
        out->fast_rows_per_s = best_targets_rate(cm_place_cells_activate_fast, &pc, pos, rows, repeat, fast);
        for (int r = 0; r < rows; r++) {
            const float *a = ref + (size_t)r * count, *b = fast + (size_t)r * count;
            float top = 0.0f, worst = 0.0f;
            for (int i = 0; i < count; i++) {
                top = fmaxf(top, fabsf(a[i]));
                worst = fmaxf(worst, fabsf(a[i] - b[i]));
            }
            if (top > 0.0f && worst / top > out->max_rel_diff)
                out->max_rel_diff = worst / top;
        }
    }
    cm_free(pos);
    cm_free(ref);
    cm_free(fast);
    cm_place_cells_free(&pc);
    return st;
}

enum { POSES = 4096 };

/* Poses uniformly over the free space, random headings, 0.1 cells (the
 * ball's radius) off a maze's walls, 0.05 off an arena's. */
static void draw_poses(const cm_arena *arena, const cm_maze *maze, uint64_t seed, cm_pose *poses)
{
    cm_rng rng;
    cm_rng_seed(&rng, seed, 7);
    for (int k = 0; k < POSES;) {
        float x, y;
        if (!maze) {
            x = arena->xmin + cm_rng_float(&rng) * (arena->xmax - arena->xmin);
            y = arena->ymin + cm_rng_float(&rng) * (arena->ymax - arena->ymin);
            if (!cm_arena_contains(arena, x, y) || cm_arena_nearest_wall(arena, x, y, NULL, NULL) < 0.05f)
                continue;
        } else {
            x = cm_rng_float(&rng) * maze->size;
            y = cm_rng_float(&rng) * maze->size;
            if (!cm_maze_free(maze, (int)(x - 0.1f), (int)(y - 0.1f)) ||
                !cm_maze_free(maze, (int)(x + 0.1f), (int)(y + 0.1f)) ||
                !cm_maze_free(maze, (int)(x - 0.1f), (int)(y + 0.1f)) ||
                !cm_maze_free(maze, (int)(x + 0.1f), (int)(y - 0.1f)))
                continue;
        }
        poses[k++] = (cm_pose){x, y, (float)cm_rng_uniform(&rng, -M_PI, M_PI)};
    }
}

cm_status cm_bench_render(const char *arena_name, int maze_size, int size, long long frames, uint64_t seed,
                          cm_bench_render_result *out)
{
    memset(out, 0, sizeof *out);
    if (size < 8 || size > 1024 || frames < 1)
        return cm_error(CM_ERR_ARG, "bench render: size %d, frames %lld: expected 8..1024 pixels and >= 1 frame",
                        size, frames);
    cm_set_threads(1); /* per core: no idle BLAS/OpenMP threads competing for it */
    cm_maze_params p;
    cm_maze *maze = arena_name ? NULL : cm_alloc(sizeof *maze);
    cm_arena arena;
    cm_render_config cfg;
    cm_status st = CM_OK;
    if (arena_name) {
        if ((st = cm_arena_preset(&arena, arena_name)) != CM_OK)
            return st;
        cm_render_config_arena(&cfg);
    } else {
        if (!maze)
            return cm_error(CM_ERR_NOMEM, "bench render: maze");
        st = cm_maze_params_default(maze_size, &p);
        if (st == CM_OK)
            st = cm_maze_generate(&p, seed, maze);
        if (st == CM_OK && (st = cm_arena_from_maze(maze, &arena)) != CM_OK && st == CM_ERR_ARG)
            st = CM_ERR_FORMAT; /* the maze was generated: not the caller's argument */
        if (st != CM_OK) {
            cm_free(maze);
            return st;
        }
        cm_render_config_maze(&cfg);
    }
    cfg.width = cfg.height = size;
    cm_renderer *r = NULL;
    cm_pose *poses = cm_alloc(POSES * sizeof *poses);
    uint8_t *rgb = cm_alloc((size_t)size * size * 3);
    if (!poses || !rgb)
        st = cm_error(CM_ERR_NOMEM, "bench render: frame buffer");
    if (st == CM_OK)
        st = cm_renderer_create(&r, &arena, maze, &cfg);
    if (st == CM_OK) {
        draw_poses(&arena, maze, seed, poses);
        cm_sprite sprites[CM_MAZE_MAX_TARGETS];
        int n_sprites = maze ? maze->n_targets : 0;
        for (int t = 0; t < n_sprites; t++) {
            sprites[t] = (cm_sprite){maze->targets[t][0], maze->targets[t][1], 0.0f, 0.3f, {0, 0, 0}};
            memcpy(sprites[t].rgb, maze->target_rgb[t], 3);
        }
        /* warm-up, then the timed loop; the checksum keeps the compiler honest */
        for (int k = 0; k < 1000; k++)
            cm_render(r, poses[k % POSES], sprites, n_sprites, rgb, NULL);
        double t0 = cm_now(), c0 = thread_cpu_seconds();
        for (long long k = 0; k < frames; k++) {
            cm_render(r, poses[k % POSES], sprites, n_sprites, rgb, NULL);
            out->checksum += rgb[(k * 97) % ((long long)size * size * 3)];
        }
        out->wall_s = cm_now() - t0;
        out->cpu_s = thread_cpu_seconds() - c0;
        snprintf(out->arena, sizeof out->arena, "%s", arena.name);
        cm_renderer_free(r);
    }
    cm_free(rgb);
    cm_free(poses);
    cm_free(maze);
    cm_arena_free(&arena);
    return st;
}

/* The job's own operations, less what a timing must not include. */
static cm_status no_evaluate(void *job, int64_t step, cm_metrics *out) { return CM_OK; }
static cm_status no_save(void *job, const char *dir) { return CM_OK; }

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) { return remove(path); }

cm_status cm_bench_train(const char *model, const char *preset, const char *const *sets, int n_sets, int64_t steps,
                         uint64_t seed, cm_bench_train_result *out)
{
    memset(out, 0, sizeof *out);
    const int is_grid = strcmp(model, "grid") == 0, is_bev = strcmp(model, "bev") == 0;
    if ((!is_grid && !is_bev && strcmp(model, "smp") != 0) || steps < 1 || n_sets < 0)
        return cm_error(CM_ERR_ARG, "bench train: model '%s', %lld steps: expected grid, smp or bev and >= 1 step",
                        model, (long long)steps);
    if (!preset)
        preset = is_bev ? "bev" : "ssmpc";
    cm_grid_run_config gc;
    cm_smp_run_config sc;
    cm_bevnet_run_config bc;
    cm_grid_job *gj = NULL;
    cm_smp_job *sj = NULL;
    cm_bevnet_job *bj = NULL;
    void *job;
    cm_train_job_ops ops;
    cm_status st = CM_OK;
    if (is_grid) {
        st = cm_grid_run_config_init(&gc, preset, seed);
        for (int k = 0; st == CM_OK && k < n_sets; k++)
            st = cm_grid_run_config_set(&gc, sets[k]);
        if (st == CM_OK)
            st = cm_grid_job_create(&gc, &gj);
        job = gj, ops = cm_grid_job_ops;
        out->batch = gc.net.batch;
        out->step_flops = cm_pathint_step_flops(&gc.net);
    } else if (is_bev) {
        /* Generated mazes (no dataset folder): the frames of a step are
         * rendered by the ranks that train on them, as in `train bev`. */
        st = cm_bevnet_run_config_new(&bc, preset, seed, sets, n_sets, NULL, 0);
        if (st == CM_OK)
            st = cm_bevnet_job_create(&bc, &bj);
        job = bj, ops = cm_bevnet_job_ops;
        out->batch = bc.model.batch;
    } else {
        cm_smp_run_config_init(&sc, seed);
        for (int k = 0; st == CM_OK && k < n_sets; k++)
            st = cm_smp_run_config_set(&sc, sets[k]);
        if (st == CM_OK)
            st = cm_smp_job_create(&sc, &sj);
        job = sj, ops = cm_smp_job_ops;
        out->batch = sc.model.batch;
    }
    if (st != CM_OK)
        return st;
    ops.evaluate = no_evaluate;
    ops.save = no_save;
    /* A scratch run folder (state.json of the end checkpoint), rank 0's. */
    char dir[64] = "";
    if (cm_dist_rank() == 0) {
        snprintf(dir, sizeof dir, "/tmp/cogmap-bench-dist-XXXXXX");
        if (!mkdtemp(dir))
            dir[0] = 0;
    }
    st = cm_dist_broadcast(dir, sizeof dir, 0);
    if (st == CM_OK && !dir[0])
        st = cm_error(CM_ERR_IO, "bench dist: cannot make a scratch folder under /tmp");
    cm_train_config tc = {.out = dir, .steps = 2, .keep = 1, .seed = seed};
    cm_train_state state;
    cm_train_state_init(&state);
    if (st == CM_OK)
        st = cm_train_run(&tc, &ops, job, &state, NULL); /* warm-up: allocations, BLAS buffers */
    if (st == CM_OK) {
        cm_dist_barrier();
        double t0 = cm_now();
        tc.steps = 2 + steps;
        st = cm_train_run(&tc, &ops, job, &state, NULL);
        out->seconds = cm_now() - t0;
    }
    out->n_params = ops.n_params(job);
    out->final_loss = state.last_loss;
    if (gj)
        cm_grid_job_free(gj);
    if (sj)
        cm_smp_job_free(sj);
    if (bj)
        cm_bevnet_job_free(bj);
    if (cm_dist_rank() == 0 && dir[0] && nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
        snprintf(out->scratch_left, sizeof out->scratch_left, "%s", dir);
    return st;
}
