/* The BEV predictor's samples (bevnet.h, "data"): egocentric 64x64 frames
 * and their agent-up RGBA BEV targets, from SSM-PC dataset folders (§3.2,
 * split by maze 70/15/15 as §6.4) or generated from maze seeds with the
 * world's renderer, exploring policy and BEV functions. Every sample is a
 * pure function of (seed, split, index), and the training batch of a step a
 * pure function of (seed, step): nothing here carries state between calls. */
#include "models/bevnet_internal.h"

#include "cogmap/io.h"

#include <dirent.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_FOLDERS 1000000

typedef struct bev_folder {
    cm_dataset ds;
    int64_t first; /* index of its first frame within its split */
} bev_folder;

struct cm_bevnet_data {
    cm_bevnet_config cfg;
    uint64_t seed;
    int from_mazes;
    /* dataset folders, per split */
    int n_folders[3];
    bev_folder *folders[3];
    /* frames per split */
    int64_t frames[3];
    int mazes[3];
    cm_maze_params maze_params;
};

/* ---------------------------------------------------------------- targets */

/* Per output index along one axis: the source range of a box of `scale`
 * source pixels starting at o*scale and each source pixel's overlap. */
typedef struct box_axis {
    int lo, hi;     /* source pixels [lo, hi) */
    float w[8];     /* overlap of each, in source pixels */
} box_axis;

static void box(int o, double scale, box_axis *b)
{
    const double a = o * scale, e = (o + 1) * scale;
    b->lo = (int)floor(a);
    b->hi = (int)ceil(e - 1e-9);
    if (b->hi - b->lo > 8)
        b->hi = b->lo + 8;
    for (int s = b->lo; s < b->hi; s++) {
        double l = s > a ? s : a, r = s + 1 < e ? s + 1 : e;
        b->w[s - b->lo] = (float)(r > l ? r - l : 0.0);
    }
}

void cm_bevnet_target(const cm_bevnet_config *cfg, const uint8_t *bev_rgba, cm_pose pose, uint8_t *work,
                      uint8_t *target)
{
    const int W = cfg->window, O = cfg->out;
    int x0 = BEV_BEV_SIDE / 2 - W / 2, y0 = x0;
    if (cfg->anchor_pose) { /* the window centred where the rotation puts the agent */
        double du, dv;
        cm_bev_agent_offset(pose, &du, &dv);
        x0 += (int)lround(du);
        y0 += (int)lround(dv);
    }
    cm_bev_rotate_window(bev_rgba, pose.theta, x0, y0, W, W, work);
    if (W == O) {
        memcpy(target, work, (size_t)W * W * 4);
        return;
    }
    /* Area average, colour weighted by alpha (premultiplied), so that the
     * transparent surround does not darken the floor's edges. */
    const double scale = (double)W / O;
    for (int oy = 0; oy < O; oy++) {
        box_axis by;
        box(oy, scale, &by);
        for (int ox = 0; ox < O; ox++) {
            box_axis bx;
            box(ox, scale, &bx);
            double acc[4] = {0, 0, 0, 0}, area = 0.0;
            for (int sy = by.lo; sy < by.hi; sy++)
                for (int sx = bx.lo; sx < bx.hi; sx++) {
                    const double wgt = (double)by.w[sy - by.lo] * bx.w[sx - bx.lo];
                    const uint8_t *p = &work[((size_t)sy * W + sx) * 4];
                    const double a = wgt * p[3];
                    acc[0] += a * p[0];
                    acc[1] += a * p[1];
                    acc[2] += a * p[2];
                    acc[3] += a;
                    area += wgt;
                }
            uint8_t *t = &target[((size_t)oy * O + ox) * 4];
            for (int k = 0; k < 3; k++)
                t[k] = acc[3] > 0.0 ? (uint8_t)fmin(255.0, acc[k] / acc[3] + 0.5) : 0;
            t[3] = (uint8_t)fmin(255.0, acc[3] / area + 0.5);
        }
    }
}

void cm_bevnet_frame(const cm_bevnet_config *cfg, cm_bev_frame *f)
{
    cm_bev_frame_default(f);
    f->width = f->height = cfg->out;
    f->px_per_cell = (float)CM_BEV_CELL * cfg->out / cfg->window;
    f->pivot_u = f->pivot_v = cfg->out / 2.0f;
    f->fov_deg = cfg->fov;
    f->pose_anchored = cfg->anchor_pose;
}

/* ------------------------------------------------------------ permutations */

static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* A pseudo-random permutation of [0, n) as a pure function of key: a
 * 4-round Feistel network on the smallest power of 4 >= n, cycle-walking
 * back into [0, n). The training order of an epoch without materialising it. */
uint64_t bev_permute(uint64_t i, uint64_t n, uint64_t key)
{
    int bits = 2;
    while (bits < 62 && (1ULL << bits) < n)
        bits += 2;
    const int half = bits / 2;
    const uint64_t mask = (1ULL << half) - 1;
    do {
        uint64_t l = i >> half, r = i & mask;
        for (int round = 0; round < 4; round++) {
            uint64_t f = mix64(r ^ mix64(key + (uint64_t)round)) & mask;
            uint64_t t = r;
            r = l ^ f;
            l = t;
        }
        i = (l << half) | r;
    } while (i >= n);
    return i;
}

/* numpy's legacy RandomState(seed).shuffle of a list of n: Fisher-Yates from
 * the end, j = random_interval(i) by masked rejection on 32-bit draws. */
void bev_numpy_shuffle(char **items, int n, uint32_t seed)
{
    cm_mt19937 mt;
    cm_mt_seed(&mt, seed);
    for (int i = n - 1; i > 0; i--) {
        uint32_t mask = (uint32_t)i;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        uint32_t j;
        while ((j = cm_mt_u32(&mt) & mask) > (uint32_t)i)
            ;
        char *t = items[i];
        items[i] = items[j];
        items[j] = t;
    }
}

/* --------------------------------------------------------- dataset folders */

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static int has_frame_info(const char *dir)
{
    char f[4200];
    snprintf(f, sizeof f, "%s/frame_info.json", dir);
    return access(f, F_OK) == 0;
}

typedef struct str_list {
    char **v;
    int n, cap;
} str_list;

static cm_status push(str_list *l, const char *s)
{
    if (l->n == MAX_FOLDERS)
        return cm_error(CM_ERR_ARG, "bev data: more than %d maze folders", MAX_FOLDERS);
    if (l->n == l->cap) {
        int cap = l->cap ? 2 * l->cap : 64;
        char **v = realloc(l->v, (size_t)cap * sizeof *v);
        if (!v)
            return cm_error(CM_ERR_NOMEM, "bev data: out of memory listing folders");
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s)))
        return cm_error(CM_ERR_NOMEM, "bev data: out of memory listing folders");
    l->n++;
    return CM_OK;
}

static void list_free(str_list *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sub-folders of dir, sorted. */
static cm_status subdirs(const char *dir, str_list *out)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return cm_error(CM_ERR_IO, "%s: cannot list the dataset folder", dir);
    struct dirent *e;
    cm_status st = CM_OK;
    char p[4200];
    while (st == CM_OK && (e = readdir(dp)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (is_dir(p))
            st = push(out, p);
    }
    closedir(dp);
    if (st == CM_OK && out->n > 1)
        qsort(out->v, (size_t)out->n, sizeof *out->v, by_string);
    return st;
}

/* Maze folders under `path`: itself, its children, or its grandchildren
 * (SSM-PC's DATA_ROOT / D<seed> / <maze>). */
static cm_status find_mazes(const char *path, str_list *mazes)
{
    if (!is_dir(path))
        return cm_error(CM_ERR_IO, "%s: expected a dataset folder (a maze folder or a folder of them)", path);
    if (has_frame_info(path))
        return push(mazes, path);
    str_list kids = {0};
    cm_status st = subdirs(path, &kids);
    int found = 0;
    for (int i = 0; st == CM_OK && i < kids.n; i++) {
        if (has_frame_info(kids.v[i])) {
            st = push(mazes, kids.v[i]);
            found++;
            continue;
        }
        str_list grand = {0};
        st = subdirs(kids.v[i], &grand);
        for (int j = 0; st == CM_OK && j < grand.n; j++) {
            if (!has_frame_info(grand.v[j]))
                st = cm_error(CM_ERR_FORMAT, "%s/frame_info.json: missing (every folder of %s must be a maze folder)",
                              grand.v[j], kids.v[i]);
            else
                st = push(mazes, grand.v[j]);
            found++;
        }
        list_free(&grand);
    }
    list_free(&kids);
    if (st == CM_OK && !found)
        st = cm_error(CM_ERR_FORMAT, "%s: no maze folder (frame_info.json) in it or two levels below", path);
    return st;
}

/* Every frame's views exist with the sizes the model reads. */
static cm_status check_folder(const cm_bevnet_config *cfg, const cm_dataset *ds)
{
    char f[2200];
    char info[1100];
    snprintf(info, sizeof info, "%s/frame_info.json", ds->dir);
    for (int i = 0; i < ds->n_frames; i++) {
        const cm_dataset_frame *fr = &ds->frames[i];
        int w, h, c;
        cm_status st;
        if (!fr->bev_view[0])
            return cm_error(CM_ERR_FORMAT, "%s: frame %d: no bev_views image (a BEV target is needed for training)",
                            info, fr->frame_id);
        snprintf(f, sizeof f, "%s/%s", ds->dir, fr->fps_view);
        if ((st = cm_png_info(f, &w, &h, &c)) != CM_OK)
            return cm_error_context(st, "frame %d: ", fr->frame_id);
        if (w != cfg->image || h != cfg->image || c < 3)
            return cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a %dx%d RGB image, got %dx%d with %d channels", f,
                            fr->frame_id, cfg->image, cfg->image, w, h, c);
        snprintf(f, sizeof f, "%s/%s", ds->dir, fr->bev_view);
        if ((st = cm_png_info(f, &w, &h, &c)) != CM_OK)
            return cm_error_context(st, "frame %d: ", fr->frame_id);
        if (w != BEV_BEV_SIDE || h != BEV_BEV_SIDE || c != 4)
            return cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a %dx%d RGBA BEV, got %dx%d with %d channels", f,
                            fr->frame_id, BEV_BEV_SIDE, BEV_BEV_SIDE, w, h, c);
    }
    return CM_OK;
}

cm_status cm_bevnet_data_open_folders(const cm_bevnet_config *cfg, const char *const *paths, int n_paths,
                                      uint64_t seed, cm_bevnet_data **out)
{
    *out = NULL;
    if (n_paths < 1)
        return cm_error(CM_ERR_ARG, "bev data: expected at least one dataset folder");
    cm_status st = cm_bevnet_config_check(cfg);
    if (st != CM_OK)
        return st;
    str_list mazes = {0};
    for (int i = 0; st == CM_OK && i < n_paths; i++)
        st = find_mazes(paths[i], &mazes);
    if (st == CM_OK && mazes.n < 3)
        st = cm_error(CM_ERR_ARG, "%s: %d maze folder(s): expected at least 3 (split 70/15/15 by maze)", paths[0],
                      mazes.n);
    cm_bevnet_data *d = NULL;
    if (st == CM_OK && !(d = cm_calloc(1, sizeof *d)))
        st = cm_error(CM_ERR_NOMEM, "bev data: out of memory");
    if (st != CM_OK) {
        list_free(&mazes);
        return st;
    }
    d->cfg = *cfg;
    d->seed = seed;
    /* SSM-PC: sorted, shuffled with np.random.seed(42), int(0.7 n) / int(0.15 n) / rest. */
    qsort(mazes.v, (size_t)mazes.n, sizeof *mazes.v, by_string);
    bev_numpy_shuffle(mazes.v, mazes.n, 42);
    const int n = mazes.n, n_train = (int)(n * 0.7), n_val = (int)(n * 0.15);
    int start[3] = {0, n_train, n_train + n_val}, count[3] = {n_train, n_val, n - n_train - n_val};
    if (n_val == 0) { /* under 7 mazes: the test mazes stand in for validation */
        start[1] = start[2];
        count[1] = count[2];
    }
    for (int s = 0; s < 3 && st == CM_OK; s++) {
        d->n_folders[s] = count[s];
        d->mazes[s] = count[s];
        if (!(d->folders[s] = cm_calloc((size_t)(count[s] ? count[s] : 1), sizeof(bev_folder)))) {
            st = cm_error(CM_ERR_NOMEM, "bev data: out of memory");
            break;
        }
        for (int k = 0; k < count[s] && st == CM_OK; k++) {
            bev_folder *f = &d->folders[s][k];
            if ((st = cm_dataset_read(mazes.v[start[s] + k], &f->ds)) != CM_OK)
                break;
            st = check_folder(cfg, &f->ds);
            f->first = d->frames[s];
            d->frames[s] += f->ds.n_frames;
        }
    }
    list_free(&mazes);
    if (st == CM_OK && d->frames[CM_BEVNET_TRAIN] < cfg->batch)
        st = cm_error(CM_ERR_ARG, "%s: the training split has %lld frames, fewer than a batch (%d)", paths[0],
                      (long long)d->frames[CM_BEVNET_TRAIN], cfg->batch);
    if (st != CM_OK) {
        cm_bevnet_data_free(d);
        return st;
    }
    *out = d;
    return CM_OK;
}

/* --------------------------------------------------------- generated mazes */

/* Maze k of a split: seeds 3k (train), 3k + 1 (validation), 3k + 2 (test)
 * after the run's offset, so that no split ever sees another's maze. */
static uint64_t maze_seed(const cm_bevnet_data *d, cm_bevnet_split split, int k)
{
    return ((((d->seed & 0xffffffffULL) << 26) + (uint64_t)k) * 3) + (uint64_t)split;
}

cm_status cm_bevnet_data_open_mazes(const cm_bevnet_config *cfg, uint64_t seed, cm_bevnet_data **out)
{
    *out = NULL;
    cm_status st = cm_bevnet_config_check(cfg);
    if (st != CM_OK)
        return st;
    if (cfg->train_mazes >= (1 << 26))
        return cm_error(CM_ERR_ARG, "bev config: train_mazes: expected < 2^26, got %d", cfg->train_mazes);
    cm_bevnet_data *d = cm_calloc(1, sizeof *d);
    if (!d)
        return cm_error(CM_ERR_NOMEM, "bev data: out of memory");
    d->cfg = *cfg;
    d->seed = seed;
    d->from_mazes = 1;
    if ((st = cm_maze_params_default(cfg->maze_size, &d->maze_params)) != CM_OK) {
        cm_free(d);
        return st;
    }
    const int held = cfg->train_mazes / 8 > 8 ? cfg->train_mazes / 8 : 8;
    d->mazes[CM_BEVNET_TRAIN] = cfg->train_mazes;
    d->mazes[CM_BEVNET_VAL] = d->mazes[CM_BEVNET_TEST] = held;
    for (int s = 0; s < 3; s++)
        d->frames[s] = (int64_t)d->mazes[s] * cfg->maze_steps;
    *out = d;
    return CM_OK;
}

void cm_bevnet_data_free(cm_bevnet_data *d)
{
    if (!d)
        return;
    for (int s = 0; s < 3; s++) {
        for (int k = 0; d->folders[s] && k < d->n_folders[s]; k++)
            cm_dataset_free(&d->folders[s][k].ds);
        cm_free(d->folders[s]);
    }
    cm_free(d);
}

int64_t cm_bevnet_data_frames(const cm_bevnet_data *d, cm_bevnet_split split)
{
    return split >= 0 && split < 3 ? d->frames[split] : 0;
}

int cm_bevnet_data_mazes(const cm_bevnet_data *d, cm_bevnet_split split)
{
    return split >= 0 && split < 3 ? d->mazes[split] : 0;
}

/* Frame `step` of maze k's exploration: the maze, the agent's pose and its
 * requested target (the border colour and the BEV's ring) before action
 * `step`, as `cogmap maze --out` records frames. */
static cm_status explore(const cm_bevnet_data *d, cm_bevnet_split split, int k, int step, cm_maze_env *env)
{
    cm_maze maze;
    memset(env, 0, sizeof *env);
    const uint64_t s = maze_seed(d, split, k);
    cm_status st = cm_maze_generate(&d->maze_params, s, &maze);
    if (st == CM_OK)
        st = cm_maze_env_init(env, &maze, 1, s);
    for (int t = 0; st == CM_OK && t < step; t++) {
        int act = cm_maze_policy(env, 0, d->cfg.policy_noise);
        float reward;
        st = cm_maze_env_step(env, &act, &reward);
    }
    return st;
}

static cm_status maze_sample(const cm_bevnet_data *d, cm_bevnet_split split, int64_t index, uint8_t *rgb,
                             uint8_t *target, cm_pose *pose)
{
    const int k = (int)(index / d->cfg.maze_steps), step = (int)(index % d->cfg.maze_steps);
    cm_maze_env env;
    cm_renderer *r = NULL;
    uint8_t *bev = cm_alloc((size_t)BEV_BEV_SIDE * BEV_BEV_SIDE * 4 * 2);
    if (!bev)
        return cm_error(CM_ERR_NOMEM, "bev data: out of memory");
    cm_status st = explore(d, split, k, step, &env);
    if (st != CM_OK) {
        cm_maze_env_free(&env);
        cm_free(bev);
        return st;
    }
    cm_render_config rc;
    cm_render_config_maze(&rc);
    rc.width = rc.height = d->cfg.image;
    if ((st = cm_renderer_create(&r, &env.arena, &env.maze, &rc)) == CM_OK)
        st = cm_maze_env_render(&env, r, 0, rgb, NULL);
    if (st == CM_OK) {
        const cm_maze *m = &env.maze;
        const cm_maze_agent *a = &env.agents[0];
        uint8_t vis[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
        cm_bev_config bc;
        cm_bev_config_default(&bc);
        bc.fov_deg = d->cfg.fov;
        cm_bev_visible(m->layout, m->size, a->pose, &bc, vis);
        cm_bev_draw(m->layout, m->size, vis, a->pose, m->n_targets, m->targets, m->target_rgb, a->target, bev);
        cm_bevnet_target(&d->cfg, bev, a->pose, bev + BEV_BEV_SIDE * BEV_BEV_SIDE * 4, target);
        if (pose)
            *pose = a->pose;
    }
    cm_renderer_free(r);
    cm_maze_env_free(&env);
    cm_free(bev);
    return st;
}

/* Frame `index` of a split of dataset folders. */
static cm_status folder_sample(const cm_bevnet_data *d, cm_bevnet_split split, int64_t index, uint8_t *rgb,
                               uint8_t *target, cm_pose *pose)
{
    const bev_folder *fs = d->folders[split];
    int lo = 0, hi = d->n_folders[split] - 1;
    while (lo < hi) { /* the last folder whose first frame is <= index */
        int mid = (lo + hi + 1) / 2;
        if (fs[mid].first <= index)
            lo = mid;
        else
            hi = mid - 1;
    }
    const bev_folder *f = &fs[lo];
    const cm_dataset_frame *fr = &f->ds.frames[index - f->first];
    char path[2200];
    cm_image img = {0}, bev = {0};
    snprintf(path, sizeof path, "%s/%s", f->ds.dir, fr->fps_view);
    cm_status st = cm_png_read(path, &img);
    if (st == CM_OK && (img.width != d->cfg.image || img.height != d->cfg.image || img.channels < 3))
        st = cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a %dx%d RGB image, got %dx%d with %d channels", path,
                      fr->frame_id, d->cfg.image, d->cfg.image, img.width, img.height, img.channels);
    if (st == CM_OK) {
        const size_t px = (size_t)img.width * img.height;
        for (size_t i = 0; i < px; i++)
            memcpy(rgb + 3 * i, img.pixels + img.channels * i, 3);
        snprintf(path, sizeof path, "%s/%s", f->ds.dir, fr->bev_view);
        st = cm_png_read(path, &bev);
    }
    if (st == CM_OK && (bev.width != BEV_BEV_SIDE || bev.height != BEV_BEV_SIDE || bev.channels != 4))
        st = cm_error(CM_ERR_FORMAT, "%s: frame %d: expected a %dx%d RGBA BEV, got %dx%d with %d channels", path,
                      fr->frame_id, BEV_BEV_SIDE, BEV_BEV_SIDE, bev.width, bev.height, bev.channels);
    uint8_t *work = st == CM_OK ? cm_alloc((size_t)BEV_BEV_SIDE * BEV_BEV_SIDE * 4) : NULL;
    if (st == CM_OK && !work)
        st = cm_error(CM_ERR_NOMEM, "bev data: out of memory");
    if (st == CM_OK) {
        cm_bevnet_target(&d->cfg, bev.pixels, (cm_pose){fr->position[0], fr->position[1], fr->rotation}, work, target);
        if (pose)
            *pose = (cm_pose){fr->position[0], fr->position[1], fr->rotation};
    }
    cm_free(work);
    cm_image_free(&img);
    cm_image_free(&bev);
    return st;
}

cm_status cm_bevnet_data_sample(const cm_bevnet_data *d, cm_bevnet_split split, int64_t index, uint8_t *rgb,
                                uint8_t *target, cm_pose *pose)
{
    if (split < 0 || split > 2 || index < 0 || index >= d->frames[split])
        return cm_error(CM_ERR_ARG, "bev data: sample %lld of split %d: expected 0..%lld", (long long)index, (int)split,
                        (long long)(split >= 0 && split <= 2 ? d->frames[split] - 1 : -1));
    return d->from_mazes ? maze_sample(d, split, index, rgb, target, pose)
                         : folder_sample(d, split, index, rgb, target, pose);
}

/* Samples idx[0..n) of a split in parallel; on failure the message of the
 * first failing sample (in order) is the one reported. */
static cm_status samples(const cm_bevnet_data *d, cm_bevnet_split split, const int64_t *idx, int n, uint8_t *rgb,
                         uint8_t *target)
{
    const size_t in_sz = (size_t)d->cfg.image * d->cfg.image * 3, out_sz = (size_t)d->cfg.out * d->cfg.out * 4;
    int first_bad = n;
    char msg[1024] = "";
    cm_status bad = CM_OK;
#pragma omp parallel for schedule(dynamic, 1)
    for (int i = 0; i < n; i++) {
        cm_status st = cm_bevnet_data_sample(d, split, idx[i], rgb + i * in_sz, target + i * out_sz, NULL);
        if (st != CM_OK) {
#pragma omp critical /* unnamed: a named one would be an exported symbol */
            if (i < first_bad) {
                first_bad = i;
                bad = st;
                snprintf(msg, sizeof msg, "%s", cm_errmsg());
            }
        }
    }
    if (bad != CM_OK)
        return cm_error(bad, "%s", msg);
    return CM_OK;
}

cm_status cm_bevnet_data_train_batch(const cm_bevnet_data *d, int64_t step, int batch, int first, int n, uint8_t *rgb,
                                     uint8_t *target)
{
    const int64_t frames = d->frames[CM_BEVNET_TRAIN];
    if (batch < 1 || frames < batch || first < 0 || n < 0 || first + n > batch || step < 0)
        return cm_error(CM_ERR_ARG, "bev data: batch %d (frames %d..%d of it) of %lld training frames at step %lld",
                        batch, first, first + n - 1, (long long)frames, (long long)step);
    /* drop_last epochs: each a fresh permutation of the training frames */
    const int64_t per_epoch = frames / batch, epoch = step / per_epoch, at = (step % per_epoch) * batch + first;
    const uint64_t key = mix64(d->seed ^ mix64(0x62657664ULL + (uint64_t)epoch));
    int64_t idx[256];
    for (int done = 0; done < n; done += 256) {
        const int m = n - done < 256 ? n - done : 256;
        for (int i = 0; i < m; i++)
            idx[i] = (int64_t)bev_permute((uint64_t)(at + done + i), (uint64_t)frames, key);
        const size_t in_sz = (size_t)d->cfg.image * d->cfg.image * 3, out_sz = (size_t)d->cfg.out * d->cfg.out * 4;
        cm_status st = samples(d, CM_BEVNET_TRAIN, idx, m, rgb + done * in_sz, target + done * out_sz);
        if (st != CM_OK)
            return st;
    }
    return CM_OK;
}

cm_status cm_bevnet_data_spread(const cm_bevnet_data *d, cm_bevnet_split split, int n, uint8_t *rgb,
                                uint8_t *target)
{
    if (split < 0 || split > 2 || n < 1 || d->frames[split] < 1)
        return cm_error(CM_ERR_ARG, "bev data: %d samples of split %d (%lld frames)", n, (int)split,
                        split >= 0 && split <= 2 ? (long long)d->frames[split] : 0LL);
    int64_t idx[256];
    const size_t in_sz = (size_t)d->cfg.image * d->cfg.image * 3, out_sz = (size_t)d->cfg.out * d->cfg.out * 4;
    for (int done = 0; done < n; done += 256) {
        const int m = n - done < 256 ? n - done : 256;
        for (int i = 0; i < m; i++)
            idx[i] = (int64_t)((double)(done + i) * (double)d->frames[split] / n);
        cm_status st = samples(d, split, idx, m, rgb + done * in_sz, target + done * out_sz);
        if (st != CM_OK)
            return st;
    }
    return CM_OK;
}
