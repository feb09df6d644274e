/* SSM-PC grid-cell dataset folders (ssm-pc.md §3.3): frames, runs, windows, split. */
#define _GNU_SOURCE
#include "cogmap/models.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A whole file as a NUL-terminated string (cm_alloc'ed). The io module's
 * cm_read_file does the same; this reader keeps the dataset independent of it
 * for JSON files only, which are small. */
static cm_status slurp(const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return cm_error(CM_ERR_IO, "%s: cannot seek", path);
    }
    long len = ftell(f);
    rewind(f);
    if (len < 0) {
        fclose(f);
        return cm_error(CM_ERR_IO, "%s: cannot tell its length", path);
    }
    char *buf = cm_alloc((size_t)len + 1);
    if (!buf) {
        fclose(f);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %ld bytes", path, len);
    }
    size_t got = fread(buf, 1, (size_t)len, f);
    fclose(f);
    if (got != (size_t)len) {
        cm_free(buf);
        return cm_error(CM_ERR_IO, "%s: short read (%zu of %ld bytes)", path, got, len);
    }
    buf[len] = 0;
    *out = buf;
    return CM_OK;
}

typedef struct frame {
    int64_t id;
    float x, y, theta;
} frame;

static int frame_cmp(const void *a, const void *b)
{
    const frame *fa = a, *fb = b;
    return (fa->id > fb->id) - (fa->id < fb->id);
}

/* `field` may be dotted for messages ("agent_state.rotation"): the last part is the key. */
static cm_status number_field(const cJSON *obj, const char *path, const char *key, const char *field, double *out)
{
    const char *dot = strrchr(field, '.');
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, dot ? dot + 1 : field);
    /* within float range: a heading of 1e300 would become inf, then a NaN once wrapped */
    if (!cJSON_IsNumber(v) || !cm_fits_float(v->valuedouble))
        return cm_error(CM_ERR_FORMAT, "%s: %s: %s: expected a finite number within float range", path, key, field);
    *out = v->valuedouble;
    return CM_OK;
}

/* Parses frames of the new schema; returns them unsorted in *frames. */
static cm_status parse_frames(const char *path, const cJSON *root, frame **frames, int64_t *n)
{
    if (!cJSON_IsObject(root))
        return cm_error(CM_ERR_FORMAT, "%s: expected a JSON object of frames keyed \"frame_NNNNNN\"", path);
    int count = cJSON_GetArraySize(root);
    if (count <= 0)
        return cm_error(CM_ERR_FORMAT, "%s: expected at least one frame, got none", path);
    frame *fr = cm_alloc((size_t)count * sizeof *fr);
    if (!fr)
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %d frames", path, count);
    int k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        const char *key = item->string ? item->string : "?";
        cm_status st = CM_OK;
        double id = 0, theta = 0;
        if (!cJSON_IsObject(item)) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: expected an object", path, key);
            goto fail;
        }
        st = number_field(item, path, key, "frame_id", &id);
        if (st != CM_OK)
            goto fail;
        if (id != floor(id) || id < 0 || id > 9.0e15) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: frame_id: expected a non-negative integer, got %g", path, key, id);
            goto fail;
        }
        const cJSON *state = cJSON_GetObjectItemCaseSensitive(item, "agent_state");
        if (!cJSON_IsObject(state)) {
            /* The released collector's legacy schema has agent_position and
             * rotation_angle but no frame ids; SSM-PC's grid trainer cannot
             * read it either (ssm-pc.md §12). Say so rather than guess. */
            st = cm_error(CM_ERR_FORMAT,
                          "%s: %s: agent_state: expected an object (the new frame_info schema, ssm-pc.md §3.2)%s",
                          path, key,
                          cJSON_GetObjectItemCaseSensitive(item, "agent_position") ? "; this is the legacy schema" : "");
            goto fail;
        }
        const cJSON *p = cJSON_GetObjectItemCaseSensitive(state, "position");
        if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) < 2 || !cJSON_IsNumber(cJSON_GetArrayItem(p, 0)) ||
            !cJSON_IsNumber(cJSON_GetArrayItem(p, 1)) ||
            !cm_fits_float(cJSON_GetArrayItem(p, 0)->valuedouble) || !cm_fits_float(cJSON_GetArrayItem(p, 1)->valuedouble)) {
            st = cm_error(CM_ERR_FORMAT, "%s: %s: agent_state.position: expected [x, y] of finite numbers within float range",
                          path, key);
            goto fail;
        }
        st = number_field(state, path, key, "agent_state.rotation", &theta);
        if (st != CM_OK)
            goto fail;
        fr[k].id = (int64_t)id;
        fr[k].x = (float)cJSON_GetArrayItem(p, 0)->valuedouble;
        fr[k].y = (float)cJSON_GetArrayItem(p, 1)->valuedouble;
        fr[k].theta = cm_grid_wrap_angle((float)theta);
        k++;
        continue;
    fail:
        cm_free(fr);
        return st;
    }
    *frames = fr;
    *n = k;
    return CM_OK;
}

static cm_status read_frames(const char *path, frame **frames, int64_t *n)
{
    char *text = NULL;
    cm_status st = slurp(path, &text);
    if (st != CM_OK)
        return st;
    cJSON *root = cJSON_Parse(text);
    if (!root) {
        const char *where = cJSON_GetErrorPtr();
        long off = where && where >= text ? (long)(where - text) : -1;
        cm_free(text);
        return cm_error(CM_ERR_FORMAT, "%s: not valid JSON (near byte %ld)", path, off);
    }
    cm_free(text);
    st = parse_frames(path, root, frames, n);
    cJSON_Delete(root);
    if (st != CM_OK)
        return st;
    qsort(*frames, (size_t)*n, sizeof **frames, frame_cmp);
    for (int64_t i = 1; i < *n; i++)
        if ((*frames)[i].id == (*frames)[i - 1].id) {
            int64_t id = (*frames)[i].id;
            cm_free(*frames);
            *frames = NULL;
            return cm_error(CM_ERR_FORMAT, "%s: frame_id: expected unique ids, %lld appears twice", path,
                            (long long)id);
        }
    return CM_OK;
}

cm_status cm_grid_frames_read(const char *path, int64_t **ids, float **pos, float **theta, int64_t *n)
{
    frame *fr = NULL;
    int64_t count = 0;
    cm_status st = read_frames(path, &fr, &count);
    if (st != CM_OK)
        return st;
    *ids = cm_alloc((size_t)count * sizeof(int64_t));
    *pos = cm_alloc((size_t)count * 2 * sizeof(float));
    *theta = cm_alloc((size_t)count * sizeof(float));
    if (!*ids || !*pos || !*theta) {
        cm_free(*ids);
        cm_free(*pos);
        cm_free(*theta);
        cm_free(fr);
        return cm_error(CM_ERR_NOMEM, "%s: cannot allocate %lld frames", path, (long long)count);
    }
    for (int64_t i = 0; i < count; i++) {
        (*ids)[i] = fr[i].id;
        (*pos)[2 * i] = fr[i].x;
        (*pos)[2 * i + 1] = fr[i].y;
        (*theta)[i] = fr[i].theta;
    }
    *n = count;
    cm_free(fr);
    return CM_OK;
}

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The sorted D*_P* folder names under root. */
static cm_status list_folders(const char *root, char ***names, int *count)
{
    DIR *d = opendir(root);
    if (!d)
        return cm_error(CM_ERR_IO, "%s: cannot open dataset folder: %s", root, strerror(errno));
    int n = 0, cap = 0;
    char **list = NULL;
    struct dirent *e;
    cm_status st = CM_OK;
    while ((e = readdir(d)) != NULL) {
        if (fnmatch("D*_P*", e->d_name, 0) != 0)
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            char **grown = realloc(list, (size_t)cap * sizeof *list);
            if (!grown) {
                st = cm_error(CM_ERR_NOMEM, "%s: cannot list folders", root);
                break;
            }
            list = grown;
        }
        list[n] = strdup(e->d_name);
        if (!list[n]) {
            st = cm_error(CM_ERR_NOMEM, "%s: cannot list folders", root);
            break;
        }
        n++;
    }
    closedir(d);
    if (st != CM_OK) {
        for (int i = 0; i < n; i++)
            free(list[i]);
        free(list);
        return st;
    }
    if (n > 0)
        qsort(list, (size_t)n, sizeof *list, name_cmp);
    *names = list;
    *count = n;
    return CM_OK;
}

static void free_names(char **names, int n)
{
    for (int i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

cm_status cm_grid_dataset_open(cm_grid_dataset *ds, const char *root, cm_grid_split split, int window)
{
    memset(ds, 0, sizeof *ds);
    if (window < 2)
        return cm_error(CM_ERR_ARG, "dataset window: expected >= 2 frames, got %d", window);
    if (split < CM_SPLIT_TRAIN || split > CM_SPLIT_TEST)
        return cm_error(CM_ERR_ARG, "dataset split: expected train, validation or test");
    char **names = NULL;
    int n_names = 0;
    cm_status st = list_folders(root, &names, &n_names);
    if (st != CM_OK)
        return st;
    if (n_names == 0) {
        free_names(names, n_names);
        return cm_error(CM_ERR_FORMAT, "%s: expected folders named D*_P* (an SSM-PC grid-cell dataset), found none",
                        root);
    }
    /* The published split: int(0.7 n) train, int(0.85 n) - int(0.7 n) validation, rest test. */
    int n_train = (int)(0.7 * n_names), n_val_end = (int)(0.85 * n_names);
    int lo = split == CM_SPLIT_TRAIN ? 0 : split == CM_SPLIT_VAL ? n_train : n_val_end;
    int hi = split == CM_SPLIT_TRAIN ? n_train : split == CM_SPLIT_VAL ? n_val_end : n_names;
    if (hi <= lo) {
        free_names(names, n_names);
        return cm_error(CM_ERR_FORMAT, "%s: the %s split (70/15/15 of %d D*_P* folders) is empty; add folders", root,
                        split == CM_SPLIT_TRAIN ? "training" : split == CM_SPLIT_VAL ? "validation" : "test", n_names);
    }
    ds->window = window;
    ds->n_folders = hi - lo;
    int64_t cap_frames = 0, cap_windows = 0;
    for (int f = lo; f < hi; f++) {
        char path[4096];
        if ((size_t)snprintf(path, sizeof path, "%s/%s/000000/frame_info.json", root, names[f]) >= sizeof path) {
            st = cm_error(CM_ERR_ARG, "%s/%s: path too long", root, names[f]);
            break;
        }
        frame *fr = NULL;
        int64_t n = 0;
        st = read_frames(path, &fr, &n);
        if (st != CM_OK)
            break;
        /* Grow the frame and window tables to hold this folder. */
        if (ds->n_frames + n > cap_frames) {
            int64_t cap = cap_frames * 2 > ds->n_frames + n ? cap_frames * 2 : ds->n_frames + n;
            float *p = cm_alloc((size_t)cap * 2 * sizeof(float));
            float *t = cm_alloc((size_t)cap * sizeof(float));
            if (!p || !t) {
                cm_free(p);
                cm_free(t);
                cm_free(fr);
                st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate %lld frames", root, (long long)cap);
                break;
            }
            if (ds->n_frames) {
                memcpy(p, ds->pos, (size_t)ds->n_frames * 2 * sizeof(float));
                memcpy(t, ds->theta, (size_t)ds->n_frames * sizeof(float));
            }
            cm_free(ds->pos);
            cm_free(ds->theta);
            ds->pos = p;
            ds->theta = t;
            cap_frames = cap;
        }
        if (ds->n_windows + n > cap_windows) {
            int64_t cap = cap_windows * 2 > ds->n_windows + n ? cap_windows * 2 : ds->n_windows + n;
            int64_t *s = cm_alloc((size_t)cap * sizeof(int64_t));
            if (!s) {
                cm_free(fr);
                st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate %lld windows", root, (long long)cap);
                break;
            }
            if (ds->n_windows)
                memcpy(s, ds->starts, (size_t)ds->n_windows * sizeof(int64_t));
            cm_free(ds->starts);
            ds->starts = s;
            cap_windows = cap;
        }
        int64_t base = ds->n_frames;
        for (int64_t i = 0; i < n; i++) {
            ds->pos[2 * (base + i)] = fr[i].x;
            ds->pos[2 * (base + i) + 1] = fr[i].y;
            ds->theta[base + i] = fr[i].theta;
        }
        /* Maximal runs of consecutive ids; windows never cross a gap or a folder. */
        int64_t run_start = 0;
        for (int64_t i = 1; i <= n; i++) {
            if (i < n && fr[i].id == fr[i - 1].id + 1)
                continue;
            for (int64_t s = run_start; s + window <= i; s++)
                ds->starts[ds->n_windows++] = base + s;
            run_start = i;
        }
        ds->n_frames += n;
        cm_free(fr);
    }
    free_names(names, n_names);
    if (st == CM_OK && ds->n_windows == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: no run of %d consecutive frame ids in the %d folders of this split", root,
                      window, ds->n_folders);
    if (st != CM_OK)
        cm_grid_dataset_free(ds);
    return st;
}

void cm_grid_dataset_path(const cm_grid_dataset *ds, int64_t w, float *pos, float *theta)
{
    const int64_t s = ds->starts[w];
    pos[0] = ds->pos[2 * s];
    pos[1] = ds->pos[2 * s + 1];
    theta[0] = ds->theta[s];
    memcpy(pos + 2, ds->pos + 2 * s, (size_t)ds->window * 2 * sizeof(float));
    memcpy(theta + 1, ds->theta + s, (size_t)ds->window * sizeof(float));
}

void cm_grid_dataset_free(cm_grid_dataset *ds)
{
    if (!ds)
        return;
    cm_free(ds->pos);
    cm_free(ds->theta);
    cm_free(ds->starts);
    memset(ds, 0, sizeof *ds);
}
