/* Frames the target detector learns from (detector.h): generated from maze
 * seeds, or read from SSM-PC dataset folders; labels as SSM-PC makes them
 * (visible_targets, PositionConverter). */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cogmap/detector.h"
#include "cogmap/io.h"

#define DET_SPLITS 3

typedef struct det_maze {
    cm_maze maze;
    cm_arena arena;
    cm_renderer *r;
    float *poses;       /* [maze_steps][3]: x, y, theta before each step's action */
    uint8_t *requested; /* [maze_steps]: the requested target (the frame's border colour) */
} det_maze;

typedef struct det_frame {
    int folder, frame;
} det_frame;

struct cm_detector_data {
    cm_detector_data_config cfg;
    uint64_t seed;
    int from_folders;
    /* generated */
    int n_mazes[DET_SPLITS];
    det_maze *mazes[DET_SPLITS];
    cm_render_config rc;
    /* folders */
    int n_folders;
    cm_dataset *folders;
    det_frame *frames[DET_SPLITS];
    int *split_folders[DET_SPLITS]; /* folder indices of each split, in split order */
    int64_t n_frames[DET_SPLITS];
    /* the training order of the current epoch */
    int64_t *perm, perm_epoch;
    cm_bev_config bc;
    uint8_t vis[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    uint8_t rgb[CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE * 3];
};

void cm_detector_data_config_default(cm_detector_data_config *c)
{
    c->maze_size = 15;
    c->objects = 6;
    c->train_mazes = 500;
    c->eval_mazes = 32;
    c->maze_steps = 500;
    c->fov = 75.0f;
    c->policy_noise = 0.1f;
}

static cm_status config_check(const cm_detector_data_config *c)
{
    if (c->maze_size < CM_MAZE_MIN_SIZE || c->maze_size > CM_MAZE_MAX_SIZE || c->maze_size % 2 == 0)
        return cm_error(CM_ERR_ARG, "detector data: maze_size: expected an odd size in %d..%d, got %d",
                        CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE, c->maze_size);
    if (c->objects < 1 || c->objects > CM_DETECTOR_MAX_OBJECTS)
        return cm_error(CM_ERR_ARG, "detector data: objects: expected 1..%d, got %d", CM_DETECTOR_MAX_OBJECTS,
                        c->objects);
    if (c->train_mazes < 1 || c->train_mazes > 100000 || c->eval_mazes < 1 || c->eval_mazes > 100000)
        return cm_error(CM_ERR_ARG, "detector data: train_mazes, eval_mazes: expected 1..100000, got %d, %d",
                        c->train_mazes, c->eval_mazes);
    if (c->maze_steps < 1 || c->maze_steps > 1000000)
        return cm_error(CM_ERR_ARG, "detector data: maze_steps: expected 1..1000000, got %d", c->maze_steps);
    if (!(c->fov > 0.0f && c->fov < 360.0f))
        return cm_error(CM_ERR_ARG, "detector data: fov: expected (0, 360) degrees, got %g", (double)c->fov);
    if (!(c->policy_noise >= 0.0f && c->policy_noise <= 1.0f))
        return cm_error(CM_ERR_ARG, "detector data: policy_noise: expected [0, 1], got %g", (double)c->policy_noise);
    return CM_OK;
}

static cm_detector_data *data_new(const cm_detector_data_config *c, uint64_t seed)
{
    cm_detector_data *d = cm_calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->cfg = *c;
    d->seed = seed;
    d->perm_epoch = -1;
    cm_bev_config_default(&d->bc);
    d->bc.fov_deg = c->fov;
    cm_render_config_maze(&d->rc);
    return d;
}

/* ------------------------------------------------------------ generated */

/* Explores maze k of a split and keeps what rendering a frame needs. */
static cm_status make_maze(cm_detector_data *d, int split, int k, det_maze *dm)
{
    const cm_detector_data_config *c = &d->cfg;
    cm_rng r;
    cm_rng_seed(&r, d->seed, 1000 + 3 * (uint64_t)k + (uint64_t)split);
    uint64_t maze_seed = cm_rng_u64(&r), env_seed = cm_rng_u64(&r);
    cm_maze_params mp;
    cm_status st = cm_maze_params_default(c->maze_size, &mp);
    if (st || (st = cm_maze_generate(&mp, maze_seed, &dm->maze)))
        return st;
    if ((st = cm_arena_from_maze(&dm->maze, &dm->arena)) ||
        (st = cm_renderer_create(&dm->r, &dm->arena, &dm->maze, &d->rc)))
        return st;
    dm->poses = cm_alloc((size_t)c->maze_steps * 3 * sizeof(float));
    dm->requested = cm_alloc((size_t)c->maze_steps);
    if (!dm->poses || !dm->requested)
        return cm_error(CM_ERR_NOMEM, "detector data: out of memory for maze %d", k);
    cm_maze_env *env = cm_calloc(1, sizeof *env);
    if (!env)
        return cm_error(CM_ERR_NOMEM, "detector data: out of memory for an environment");
    if ((st = cm_maze_env_init(env, &dm->maze, 1, env_seed))) {
        cm_free(env);
        return st;
    }
    for (int t = 0; t < c->maze_steps && !st; t++) {
        const cm_maze_agent *a = &env->agents[0];
        dm->poses[3 * t] = a->pose.x, dm->poses[3 * t + 1] = a->pose.y, dm->poses[3 * t + 2] = a->pose.theta;
        dm->requested[t] = (uint8_t)a->target;
        int act = cm_maze_policy(env, 0, c->policy_noise);
        float rew;
        st = cm_maze_env_step(env, &act, &rew);
    }
    cm_maze_env_free(env);
    cm_free(env);
    return st;
}

cm_status cm_detector_data_open_mazes(const cm_detector_data_config *c, uint64_t seed, cm_detector_data **out)
{
    *out = NULL;
    cm_status st = config_check(c);
    if (st)
        return st;
    cm_detector_data *d = data_new(c, seed);
    if (!d)
        return cm_error(CM_ERR_NOMEM, "detector data: out of memory");
    for (int s = 0; s < DET_SPLITS && !st; s++) {
        d->n_mazes[s] = s == CM_DETECTOR_TRAIN ? c->train_mazes : c->eval_mazes;
        d->mazes[s] = cm_calloc((size_t)d->n_mazes[s], sizeof(det_maze));
        if (!d->mazes[s]) {
            st = cm_error(CM_ERR_NOMEM, "detector data: out of memory for %d mazes", d->n_mazes[s]);
            break;
        }
        for (int k = 0; k < d->n_mazes[s] && !st; k++)
            st = make_maze(d, s, k, &d->mazes[s][k]);
        d->n_frames[s] = (int64_t)d->n_mazes[s] * c->maze_steps;
    }
    if (st) {
        cm_detector_data_free(d);
        return st;
    }
    *out = d;
    return CM_OK;
}

/* --------------------------------------------------------------- folders */

static int is_maze_folder(const char *dir)
{
    char p[4200];
    struct stat sb;
    snprintf(p, sizeof p, "%s/frame_info.json", dir);
    return stat(p, &sb) == 0 && S_ISREG(sb.st_mode);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct str_list {
    char **items;
    int count, cap;
} str_list;

static cm_status list_add(str_list *l, const char *s)
{
    if (l->count == l->cap) {
        int cap = l->cap ? 2 * l->cap : 16;
        char **n = realloc(l->items, (size_t)cap * sizeof *n);
        if (!n)
            return cm_error(CM_ERR_NOMEM, "detector data: out of memory listing folders");
        l->items = n, l->cap = cap;
    }
    if (!(l->items[l->count] = strdup(s)))
        return cm_error(CM_ERR_NOMEM, "detector data: out of memory listing folders");
    l->count++;
    return CM_OK;
}

static void list_free(str_list *l)
{
    for (int i = 0; i < l->count; i++)
        free(l->items[i]);
    free(l->items);
}

/* The maze folders at or under `dir`, at most `depth` levels down. */
static cm_status find_mazes(const char *dir, int depth, str_list *out)
{
    if (is_maze_folder(dir))
        return list_add(out, dir);
    if (depth == 0)
        return CM_OK;
    DIR *dh = opendir(dir);
    if (!dh)
        return cm_error(CM_ERR_IO, "%s: cannot list the folder", dir);
    str_list subs = {0};
    cm_status st = CM_OK;
    struct dirent *e;
    while (!st && (e = readdir(dh))) {
        if (e->d_name[0] == '.')
            continue;
        char p[4200];
        struct stat sb;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode))
            st = list_add(&subs, p);
    }
    closedir(dh);
    if (!st && subs.count > 1) /* qsort of no items may not take their NULL */
        qsort(subs.items, (size_t)subs.count, sizeof *subs.items, cmp_str);
    for (int i = 0; i < subs.count && !st; i++)
        st = find_mazes(subs.items[i], depth - 1, out);
    list_free(&subs);
    return st;
}

/* numpy's legacy RandomState(seed).shuffle of a list of n items: Fisher-Yates
 * from the end with random_interval (masked 32-bit draws, rejected above i). */
static void numpy_shuffle(int *x, int n, uint32_t seed)
{
    cm_mt19937 *mt = cm_alloc(sizeof *mt);
    if (!mt)
        return; /* the caller checks nothing: an unshuffled order is still a split */
    cm_mt_seed(mt, seed);
    for (int i = n - 1; i > 0; i--) {
        uint32_t mask = (uint32_t)i, j;
        mask |= mask >> 1, mask |= mask >> 2, mask |= mask >> 4, mask |= mask >> 8, mask |= mask >> 16;
        while ((j = cm_mt_u32(mt) & mask) > (uint32_t)i)
            ;
        int t = x[i];
        x[i] = x[j], x[j] = t;
    }
    cm_free(mt);
}

/* Checks every frame of a folder: the view exists and is 64x64 RGB(A); the visible targets are objects. */
static cm_status check_folder(const cm_dataset *ds, int objects)
{
    for (int f = 0; f < ds->n_frames; f++) {
        const cm_dataset_frame *fr = &ds->frames[f];
        char p[4200];
        snprintf(p, sizeof p, "%s/%s", ds->dir, fr->fps_view);
        cm_image img = {0};
        cm_status st = cm_png_read(p, &img);
        if (st)
            return cm_error_context(st, "%s: frame %d: ", ds->dir, fr->frame_id);
        int ok = img.width == CM_DETECTOR_IMAGE && img.height == CM_DETECTOR_IMAGE && img.channels >= 3;
        int w = img.width, h = img.height, ch = img.channels;
        cm_image_free(&img);
        if (!ok)
            return cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a 64x64 RGB image, got %dx%d with %d channels", p,
                            fr->frame_id, w, h, ch);
        for (int k = 0; k < fr->n_visible; k++)
            if (fr->visible[k] < 0 || fr->visible[k] >= ds->n_objects || fr->visible[k] >= objects)
                return cm_error(CM_ERR_FORMAT,
                                "%s/frame_info.json: frame %d: visible target %d: expected 0..%d (env_config.json "
                                "has %d objects, the model %d)",
                                ds->dir, fr->frame_id, fr->visible[k], (ds->n_objects < objects ? ds->n_objects : objects) - 1,
                                ds->n_objects, objects);
        if (!isfinite(fr->position[0]) || !isfinite(fr->position[1]) || !isfinite(fr->rotation))
            return cm_error(CM_ERR_FORMAT, "%s/frame_info.json: frame %d: expected a finite position and rotation",
                            ds->dir, fr->frame_id);
    }
    return CM_OK;
}

cm_status cm_detector_data_open_folders(const cm_detector_data_config *c, const char *const *paths, int n_paths,
                                        uint64_t seed, cm_detector_data **out)
{
    *out = NULL;
    cm_status st = config_check(c);
    if (st)
        return st;
    str_list dirs = {0};
    for (int i = 0; i < n_paths && !st; i++) {
        int before = dirs.count;
        st = find_mazes(paths[i], 2, &dirs);
        if (!st && dirs.count == before)
            st = cm_error(CM_ERR_ARG, "%s: no maze folder (one with frame_info.json) here or two levels down",
                          paths[i]);
    }
    if (!st && dirs.count < 3)
        st = cm_error(CM_ERR_ARG, "detector data: %d maze folder%s: expected at least 3 (70/15/15 split by maze)",
                      dirs.count, dirs.count == 1 ? "" : "s");
    cm_detector_data *d = st ? NULL : data_new(c, seed);
    if (!st && !d)
        st = cm_error(CM_ERR_NOMEM, "detector data: out of memory");
    int *order = st ? NULL : cm_alloc((size_t)dirs.count * sizeof(int));
    if (!st && (!order || !(d->folders = cm_calloc((size_t)dirs.count, sizeof(cm_dataset)))))
        st = cm_error(CM_ERR_NOMEM, "detector data: out of memory for %d folders", dirs.count);
    if (!st) {
        d->from_folders = 1;
        qsort(dirs.items, (size_t)dirs.count, sizeof *dirs.items, cmp_str);
        for (int i = 0; i < dirs.count && !st; i++) {
            if ((st = cm_dataset_read(dirs.items[i], &d->folders[i])))
                break;
            d->n_folders = i + 1;
            st = check_folder(&d->folders[i], c->objects);
        }
    }
    if (!st) {
        /* SSM-PC: sorted, np.random.seed(42) shuffle, 70 / 15 / 15 by maze folder */
        int n = dirs.count;
        for (int i = 0; i < n; i++)
            order[i] = i;
        numpy_shuffle(order, n, 42);
        int n_train = (int)(0.7 * n), n_val = (int)(0.15 * n);
        if (n_val < 1)
            n_val = 1;
        if (n_train > n - 2)
            n_train = n - 2;
        int bounds[4] = {0, n_train, n_train + n_val, n};
        for (int s = 0; s < DET_SPLITS && !st; s++) {
            int64_t count = 0;
            for (int i = bounds[s]; i < bounds[s + 1]; i++)
                count += d->folders[order[i]].n_frames;
            d->n_mazes[s] = bounds[s + 1] - bounds[s];
            d->n_frames[s] = count;
            if (!(d->split_folders[s] = cm_alloc((size_t)d->n_mazes[s] * sizeof(int)))) {
                st = cm_error(CM_ERR_NOMEM, "detector data: out of memory");
                break;
            }
            for (int i = bounds[s]; i < bounds[s + 1]; i++)
                d->split_folders[s][i - bounds[s]] = order[i];
            d->frames[s] = cm_alloc((size_t)(count ? count : 1) * sizeof(det_frame));
            if (!d->frames[s]) {
                st = cm_error(CM_ERR_NOMEM, "detector data: out of memory for %lld frames", (long long)count);
                break;
            }
            int64_t at = 0;
            for (int i = bounds[s]; i < bounds[s + 1]; i++)
                for (int f = 0; f < d->folders[order[i]].n_frames; f++)
                    d->frames[s][at++] = (det_frame){order[i], f};
            if (count == 0)
                st = cm_error(CM_ERR_FORMAT, "detector data: the %s split's maze folders hold no frames",
                              s == 0 ? "training" : s == 1 ? "validation" : "test");
        }
    }
    cm_free(order);
    list_free(&dirs);
    if (st) {
        cm_detector_data_free(d);
        return st;
    }
    *out = d;
    return CM_OK;
}

void cm_detector_data_free(cm_detector_data *d)
{
    if (!d)
        return;
    for (int s = 0; s < DET_SPLITS; s++) {
        for (int k = 0; d->mazes[s] && k < d->n_mazes[s]; k++) {
            det_maze *m = &d->mazes[s][k];
            cm_renderer_free(m->r);
            cm_arena_free(&m->arena);
            cm_free(m->poses);
            cm_free(m->requested);
        }
        cm_free(d->mazes[s]);
        cm_free(d->frames[s]);
        cm_free(d->split_folders[s]);
    }
    for (int i = 0; i < d->n_folders; i++)
        cm_dataset_free(&d->folders[i]);
    cm_free(d->folders);
    cm_free(d->perm);
    cm_free(d);
}

int64_t cm_detector_data_frames(const cm_detector_data *d, cm_detector_split split)
{
    return split >= 0 && split < DET_SPLITS ? d->n_frames[split] : 0;
}

int cm_detector_data_mazes(const cm_detector_data *d, cm_detector_split split)
{
    return split >= 0 && split < DET_SPLITS ? d->n_mazes[split] : 0;
}

const char *cm_detector_data_folder(const cm_detector_data *d, cm_detector_split split, int i)
{
    if (!d->from_folders || split < 0 || split >= DET_SPLITS || i < 0 || i >= d->n_mazes[split])
        return NULL;
    return d->folders[d->split_folders[split][i]].dir;
}

/* ---------------------------------------------------------------- samples */

static void labels(cm_detector_data *d, const uint8_t *layout, int size, cm_pose pose, int n_targets,
                   const float (*targets)[2], const int *visible_list, int n_visible, float *visible,
                   float *position)
{
    const int K = d->cfg.objects;
    for (int k = 0; k < K; k++) {
        visible[k] = 0.0f;
        position[2 * k] = position[2 * k + 1] = 0.0f;
    }
    if (layout)
        cm_bev_visible(layout, size, pose, &d->bc, d->vis);
    for (int k = 0; k < n_targets && k < K; k++) {
        int vis = 0;
        if (layout) {
            int tx = (int)floorf(targets[k][0]), ty = (int)floorf(targets[k][1]);
            vis = tx >= 0 && ty >= 0 && tx < size && ty < size && d->vis[ty * size + tx];
        } else {
            for (int j = 0; j < n_visible; j++)
                vis |= visible_list[j] == k;
        }
        if (!vis)
            continue;
        visible[k] = 1.0f;
        cm_ssmpc_relative(targets[k], pose, d->cfg.maze_size, &position[2 * k]);
    }
}

cm_status cm_detector_data_sample(cm_detector_data *d, cm_detector_split split, int64_t index, uint8_t *rgb,
                                  cm_pose *pose_out, float *visible, float *position)
{
    if (split < 0 || split >= DET_SPLITS || index < 0 || index >= d->n_frames[split])
        return cm_error(CM_ERR_ARG, "detector data: sample %lld of split %d: expected 0..%lld", (long long)index,
                        (int)split, split >= 0 && split < DET_SPLITS ? (long long)d->n_frames[split] - 1 : -1LL);
    cm_pose pose;
    if (!d->from_folders) {
        const det_maze *m = &d->mazes[split][index / d->cfg.maze_steps];
        const int t = (int)(index % d->cfg.maze_steps);
        pose = (cm_pose){m->poses[3 * t], m->poses[3 * t + 1], m->poses[3 * t + 2]};
        if (rgb) {
            cm_sprite sprites[CM_MAZE_MAX_TARGETS];
            for (int k = 0; k < m->maze.n_targets; k++) {
                sprites[k] = (cm_sprite){m->maze.targets[k][0], m->maze.targets[k][1], 0.0f, 0.3f, {0, 0, 0}};
                memcpy(sprites[k].rgb, m->maze.target_rgb[k], 3);
            }
            cm_status st = cm_render(m->r, pose, sprites, m->maze.n_targets, rgb, NULL);
            if (st)
                return st;
            cm_render_border(rgb, CM_DETECTOR_IMAGE, CM_DETECTOR_IMAGE, m->maze.target_rgb[m->requested[t]]);
        }
        labels(d, m->maze.layout, m->maze.size, pose, m->maze.n_targets, m->maze.targets, NULL, 0, visible,
               position);
    } else {
        const det_frame *f = &d->frames[split][index];
        const cm_dataset *ds = &d->folders[f->folder];
        const cm_dataset_frame *fr = &ds->frames[f->frame];
        pose = (cm_pose){fr->position[0], fr->position[1], fr->rotation};
        if (rgb) {
            char p[4200];
            snprintf(p, sizeof p, "%s/%s", ds->dir, fr->fps_view);
            cm_image img = {0};
            cm_status st = cm_png_read(p, &img);
            if (st)
                return cm_error_context(st, "%s: frame %d: ", ds->dir, fr->frame_id);
            if (img.width != CM_DETECTOR_IMAGE || img.height != CM_DETECTOR_IMAGE || img.channels < 3) {
                cm_image_free(&img);
                return cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a 64x64 RGB image", p, fr->frame_id);
            }
            for (int i = 0; i < CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE; i++)
                memcpy(&rgb[i * 3], &img.pixels[i * img.channels], 3);
            cm_image_free(&img);
        }
        labels(d, NULL, 0, pose, ds->n_objects, (const float(*)[2])ds->objects, fr->visible, fr->n_visible, visible,
               position);
    }
    if (pose_out)
        *pose_out = pose;
    return CM_OK;
}

static cm_status fill(cm_detector_data *d, cm_detector_split split, int64_t index, int i, float *image, float *angle,
                      float *visible, float *position)
{
    const int K = d->cfg.objects, P = CM_DETECTOR_IMAGE * CM_DETECTOR_IMAGE;
    cm_pose pose;
    cm_status st = cm_detector_data_sample(d, split, index, d->rgb, &pose, &visible[(size_t)i * K],
                                           &position[(size_t)i * K * 2]);
    if (st)
        return st;
    cm_detector_image(d->rgb, &image[(size_t)i * 3 * P]);
    angle[2 * i] = cosf(pose.theta);
    angle[2 * i + 1] = sinf(pose.theta);
    return CM_OK;
}

cm_status cm_detector_data_train_batch(cm_detector_data *d, int64_t step, int batch, int first, int n, float *image,
                                       float *angle, float *visible, float *position)
{
    const int64_t N = d->n_frames[CM_DETECTOR_TRAIN];
    if (step < 0 || batch < 1 || first < 0 || n < 0 || first + n > batch)
        return cm_error(CM_ERR_ARG, "detector data: step %lld, samples %d..%d of a batch of %d: out of range",
                        (long long)step, first, first + n - 1, batch);
    for (int i = 0; i < n; i++) {
        int64_t g = step * batch + first + i, epoch = g / N, at = g % N;
        if (epoch != d->perm_epoch) {
            if (!d->perm && !(d->perm = cm_alloc((size_t)N * sizeof(int64_t))))
                return cm_error(CM_ERR_NOMEM, "detector data: out of memory for the order of %lld frames",
                                (long long)N);
            cm_rng r;
            cm_rng_seed(&r, d->seed, 7 + (uint64_t)epoch * 2); /* epoch e's permutation: its own stream */
            for (int64_t k = 0; k < N; k++)
                d->perm[k] = k;
            for (int64_t k = N - 1; k > 0; k--) {
                int64_t j = (int64_t)cm_rng_below(&r, (uint64_t)k + 1), t = d->perm[k];
                d->perm[k] = d->perm[j], d->perm[j] = t;
            }
            d->perm_epoch = epoch;
        }
        cm_status st = fill(d, CM_DETECTOR_TRAIN, d->perm[at], i, image, angle, visible, position);
        if (st)
            return st;
    }
    return CM_OK;
}

cm_status cm_detector_data_spread(cm_detector_data *d, cm_detector_split split, int64_t total, int64_t first, int n,
                                  float *image, float *angle, float *visible, float *position)
{
    if (split < 0 || split >= DET_SPLITS || total < 1 || first < 0 || n < 0 || first + n > total)
        return cm_error(CM_ERR_ARG, "detector data: samples %lld..%lld of %lld: out of range", (long long)first,
                        (long long)(first + n - 1), (long long)total);
    const int64_t N = d->n_frames[split];
    for (int i = 0; i < n; i++) {
        int64_t index = (int64_t)((double)(first + i) * N / total);
        cm_status st = fill(d, split, index < N ? index : N - 1, i, image, angle, visible, position);
        if (st)
            return st;
    }
    return CM_OK;
}
