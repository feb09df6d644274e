/* SSM-PC dataset folders (ssm-pc.md §3.2): fps_views/, bev_views/,
 * frame_info.json (new schema written; new and legacy read) and
 * env_config.json. */
#include "cogmap/io.h"
#include "cogmap/world.h"

#include <cjson/cJSON.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------ writer */

static cJSON *vec_json(const float *v, int n)
{
    cJSON *a = cJSON_CreateArray();
    for (int i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)v[i]));
    return a;
}

void cm_dataset_writer_abort(cm_dataset_writer *w)
{
    cJSON_Delete(w->frames);
    cJSON_Delete(w->config);
    w->frames = w->config = NULL;
}

cm_status cm_dataset_writer_open(cm_dataset_writer *w, const char *dir, const cm_maze *maze, float fov_deg,
                                 const char *env_name)
{
    memset(w, 0, sizeof *w);
    if (strlen(dir) >= sizeof w->dir - 64)
        return cm_error(CM_ERR_ARG, "%s: dataset folder: path too long", dir);
    if (!(fov_deg > 0.0f && fov_deg < 360.0f))
        return cm_error(CM_ERR_ARG, "%s: fov_angle: expected 0..360 degrees, got %g", dir, (double)fov_deg);
    snprintf(w->dir, sizeof w->dir, "%s", dir);
    char path[1100];
    cm_status st = cm_mkdir_p(dir);
    if (st == CM_OK) {
        snprintf(path, sizeof path, "%s/fps_views", dir);
        st = cm_mkdir_p(path);
    }
    if (st == CM_OK) {
        snprintf(path, sizeof path, "%s/bev_views", dir);
        st = cm_mkdir_p(path);
    }
    if (st != CM_OK)
        return st;
    w->frames = cJSON_CreateObject();
    cJSON *c = w->config = cJSON_CreateObject();
    if (!w->frames || !c) {
        cm_dataset_writer_abort(w);
        return cm_error(CM_ERR_NOMEM, "%s: out of memory", dir);
    }
    int n = maze->size;
    cJSON_AddStringToObject(c, "env_name", env_name ? env_name : "cogmap-maze");
    cJSON_AddNumberToObject(c, "agent_height", 0.3); /* the walker's camera_height argument */
    cJSON_AddNumberToObject(c, "fov_angle", (double)fov_deg);
    cJSON_AddNumberToObject(c, "seed", (double)maze->seed);
    cJSON_AddNumberToObject(c, "maze_size", n);
    cJSON *mc = cJSON_AddObjectToObject(c, "maze_config");
    cJSON_AddNumberToObject(mc, "maze_size", n);
    cJSON_AddNumberToObject(mc, "max_rooms", maze->params.max_rooms);
    cJSON_AddNumberToObject(mc, "room_min_size", maze->params.room_min_size);
    cJSON_AddNumberToObject(mc, "room_max_size", maze->params.room_max_size);
    cJSON_AddNumberToObject(mc, "spawns_per_room", 1);
    cJSON_AddNumberToObject(mc, "objects_per_room", 1);
    cJSON *objs = cJSON_AddArrayToObject(c, "objects");
    for (int t = 0; t < maze->n_targets; t++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "index", t);
        cJSON_AddItemToObject(o, "position", vec_json(maze->targets[t], 2));
        float col[3] = {maze->target_rgb[t][0] / 220.0f, maze->target_rgb[t][1] / 220.0f,
                        maze->target_rgb[t][2] / 220.0f};
        cJSON_AddItemToObject(o, "color", vec_json(col, 3));
        cJSON_AddItemToArray(objs, o);
    }
    /* cogmap's addition: the layout, top row first, '#' wall, '.' free, so a
     * folder is self-contained (Python readers ignore unknown keys). */
    cJSON *rows = cJSON_AddArrayToObject(c, "maze_layout");
    char row[CM_MAZE_MAX_SIZE + 1];
    for (int y = n - 1; y >= 0; y--) {
        for (int x = 0; x < n; x++)
            row[x] = maze->layout[y * n + x] ? '.' : '#';
        row[n] = '\0';
        cJSON_AddItemToArray(rows, cJSON_CreateString(row));
    }
    /* No created_at: the same run writes the same bytes (docs/formats.md). */
    return CM_OK;
}

cm_status cm_dataset_writer_add(cm_dataset_writer *w, const cm_dataset_frame *f, const uint8_t *fps_rgb,
                                int fps_width, int fps_height, const uint8_t *bev_rgba)
{
    if (!w->frames)
        return cm_error(CM_ERR_ARG, "dataset writer: not open");
    if (f->frame_id < 0 || f->frame_id > 999999)
        return cm_error(CM_ERR_ARG, "%s: frame_id: expected 0..999999, got %d", w->dir, f->frame_id);
    char key[32], fps_rel[64], bev_rel[64], path[1200];
    snprintf(key, sizeof key, "frame_%06d", f->frame_id);
    if (cJSON_GetObjectItemCaseSensitive(w->frames, key))
        return cm_error(CM_ERR_ARG, "%s: frame_id %d written twice", w->dir, f->frame_id);
    snprintf(fps_rel, sizeof fps_rel, "fps_views/%s.png", key);
    snprintf(bev_rel, sizeof bev_rel, "bev_views/%s.png", key);
    snprintf(path, sizeof path, "%s/%s", w->dir, fps_rel);
    cm_image img = {fps_width, fps_height, 3, (uint8_t *)fps_rgb};
    cm_status st = cm_png_write(path, &img);
    if (st != CM_OK)
        return st;
    if (bev_rgba) {
        snprintf(path, sizeof path, "%s/%s", w->dir, bev_rel);
        cm_image bev = {CM_BEV_PIXELS, CM_BEV_PIXELS, 4, (uint8_t *)bev_rgba};
        if ((st = cm_png_write(path, &bev)) != CM_OK)
            return st;
    }
    cJSON *fr = cJSON_CreateObject();
    cJSON_AddNumberToObject(fr, "frame_id", f->frame_id);
    cJSON_AddNumberToObject(fr, "timestamp", f->timestamp);
    cJSON *as = cJSON_AddObjectToObject(fr, "agent_state");
    cJSON_AddItemToObject(as, "position", vec_json(f->position, 2));
    cJSON_AddNumberToObject(as, "rotation", (double)f->rotation);
    cJSON_AddItemToObject(as, "velocity", vec_json(f->velocity, 2));
    cJSON_AddNumberToObject(as, "angular_velocity", (double)f->angular_velocity);
    cJSON *ob = cJSON_AddObjectToObject(fr, "observations");
    cJSON_AddStringToObject(ob, "fps_view", fps_rel);
    if (bev_rgba)
        cJSON_AddStringToObject(ob, "bev_view", bev_rel);
    cJSON *vis = cJSON_AddArrayToObject(ob, "visible_targets");
    for (int i = 0; i < f->n_visible && i < CM_MAZE_MAX_TARGETS; i++)
        cJSON_AddItemToArray(vis, cJSON_CreateNumber(f->visible[i]));
    cJSON_AddItemToObject(w->frames, key, fr);
    w->n_frames++;
    return CM_OK;
}

cm_status cm_dataset_writer_close(cm_dataset_writer *w)
{
    if (!w->frames)
        return cm_error(CM_ERR_ARG, "dataset writer: not open");
    char path[1200];
    snprintf(path, sizeof path, "%s/frame_info.json", w->dir);
    cm_status st = cm_json_write(path, w->frames);
    if (st == CM_OK) {
        snprintf(path, sizeof path, "%s/env_config.json", w->dir);
        st = cm_json_write(path, w->config);
    }
    cm_dataset_writer_abort(w);
    return st;
}

/* ------------------------------------------------------------------ reader */

void cm_dataset_free(cm_dataset *d)
{
    if (!d)
        return;
    cm_free(d->frames);
    d->frames = NULL;
    d->n_frames = 0;
}

/* Numbers must stay finite as floats (the frames keep floats: a rotation of
 * 1e300 would become inf, then NaN once wrapped): cm_fits_float. */
static cm_status get_number(const cJSON *obj, const char *file, const char *where, const char *key, double *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return cm_error(CM_ERR_FORMAT, "%s: %s.%s: required key missing", file, where, key);
    if (!cJSON_IsNumber(it) || !cm_fits_float(it->valuedouble))
        return cm_error(CM_ERR_FORMAT, "%s: %s.%s: expected a finite number within float range", file, where, key);
    *out = it->valuedouble;
    return CM_OK;
}

static cm_status get_vec(const cJSON *obj, const char *file, const char *where, const char *key, int n, float *out)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!it)
        return cm_error(CM_ERR_FORMAT, "%s: %s.%s: required key missing", file, where, key);
    if (!cJSON_IsArray(it) || cJSON_GetArraySize(it) != n)
        return cm_error(CM_ERR_FORMAT, "%s: %s.%s: expected an array of %d numbers", file, where, key, n);
    for (int i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetArrayItem(it, i);
        if (!cJSON_IsNumber(v) || !cm_fits_float(v->valuedouble))
            return cm_error(CM_ERR_FORMAT, "%s: %s.%s[%d]: expected a finite number within float range", file, where,
                            key, i);
        out[i] = (float)v->valuedouble;
    }
    return CM_OK;
}

static cm_status get_indices(const cJSON *it, const char *file, const char *where, cm_dataset_frame *f)
{
    f->n_visible = 0;
    if (!it)
        return CM_OK;
    if (!cJSON_IsArray(it))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an array of target indices", file, where);
    const cJSON *v;
    cJSON_ArrayForEach(v, it)
    {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < -1 ||
            v->valuedouble >= CM_MAZE_MAX_TARGETS)
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected target indices in -1..%d", file, where,
                            CM_MAZE_MAX_TARGETS - 1);
        if (v->valuedouble >= 0 && f->n_visible < CM_MAZE_MAX_TARGETS) /* -1 means none (legacy) */
            f->visible[f->n_visible++] = (int)v->valuedouble;
    }
    return CM_OK;
}

/* A referenced view: a relative path inside the folder, and the file exists. */
static cm_status check_view(const char *dir, const char *file, const char *where, const char *rel)
{
    if (rel[0] == '/' || strstr(rel, ".."))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected a path inside the folder, got '%s'", file, where, rel);
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, rel);
    if (access(path, R_OK) != 0)
        return cm_error(CM_ERR_FORMAT, "%s: missing frame (referenced by %s: %s)", path, file, where);
    return CM_OK;
}

static cm_status read_frame(const char *dir, const char *file, const cJSON *item, int *legacy, cm_dataset_frame *f)
{
    const char *key = item->string;
    char where[160];
    snprintf(where, sizeof where, "%s", key);
    if (!cJSON_IsObject(item))
        return cm_error(CM_ERR_FORMAT, "%s: %s: expected an object per frame", file, key);
    unsigned id_from_key;
    char tail;
    int key_ok = sscanf(key, "frame_%u%c", &id_from_key, &tail) == 1;
    memset(f, 0, sizeof *f);
    double v = 0.0;
    cm_status st;
    const cJSON *as = cJSON_GetObjectItemCaseSensitive(item, "agent_state");
    int is_legacy = as == NULL;
    if (*legacy < 0)
        *legacy = is_legacy;
    else if (*legacy != is_legacy)
        return cm_error(CM_ERR_FORMAT, "%s: %s: mixes the legacy and the agent_state schemas", file, key);
    if (!is_legacy) {
        if ((st = get_number(item, file, where, "frame_id", &v)) != CM_OK)
            return st;
        if (v != floor(v) || v < 0 || v > 2e9)
            return cm_error(CM_ERR_FORMAT, "%s: %s.frame_id: expected a non-negative integer", file, key);
        f->frame_id = (int)v;
        f->timestamp = f->frame_id;
        const cJSON *ts = cJSON_GetObjectItemCaseSensitive(item, "timestamp");
        if (ts && (st = get_number(item, file, where, "timestamp", &f->timestamp)) != CM_OK)
            return st;
        if (!cJSON_IsObject(as))
            return cm_error(CM_ERR_FORMAT, "%s: %s.agent_state: expected an object", file, key);
        snprintf(where, sizeof where, "%s.agent_state", key);
        if ((st = get_vec(as, file, where, "position", 2, f->position)) != CM_OK ||
            (st = get_vec(as, file, where, "velocity", 2, f->velocity)) != CM_OK)
            return st;
        if ((st = get_number(as, file, where, "rotation", &v)) != CM_OK)
            return st;
        f->rotation = (float)v;
        if ((st = get_number(as, file, where, "angular_velocity", &v)) != CM_OK)
            return st;
        f->angular_velocity = (float)v;
        f->has_motion = 1;
        const cJSON *ob = cJSON_GetObjectItemCaseSensitive(item, "observations");
        if (!cJSON_IsObject(ob))
            return cm_error(CM_ERR_FORMAT, "%s: %s.observations: expected an object with fps_view", file, key);
        const cJSON *fv = cJSON_GetObjectItemCaseSensitive(ob, "fps_view");
        const cJSON *bv = cJSON_GetObjectItemCaseSensitive(ob, "bev_view");
        if (!cJSON_IsString(fv) || strlen(fv->valuestring) >= sizeof f->fps_view)
            return cm_error(CM_ERR_FORMAT, "%s: %s.observations.fps_view: expected a relative path", file, key);
        snprintf(f->fps_view, sizeof f->fps_view, "%s", fv->valuestring);
        if (bv) {
            if (!cJSON_IsString(bv) || strlen(bv->valuestring) >= sizeof f->bev_view)
                return cm_error(CM_ERR_FORMAT, "%s: %s.observations.bev_view: expected a relative path", file, key);
            snprintf(f->bev_view, sizeof f->bev_view, "%s", bv->valuestring);
        }
        snprintf(where, sizeof where, "%s.observations.visible_targets", key);
        if ((st = get_indices(cJSON_GetObjectItemCaseSensitive(ob, "visible_targets"), file, where, f)) != CM_OK)
            return st;
    } else {
        /* legacy: rotation_angle, agent_position, visible_indices; the id is in the key */
        if (!key_ok)
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected a key frame_<number> (legacy schema)", file, key);
        f->frame_id = (int)id_from_key;
        f->timestamp = f->frame_id;
        if ((st = get_vec(item, file, where, "agent_position", 2, f->position)) != CM_OK)
            return st;
        if ((st = get_number(item, file, where, "rotation_angle", &v)) != CM_OK)
            return st;
        f->rotation = (float)v;
        snprintf(where, sizeof where, "%s.visible_indices", key);
        if ((st = get_indices(cJSON_GetObjectItemCaseSensitive(item, "visible_indices"), file, where, f)) != CM_OK)
            return st;
        snprintf(f->fps_view, sizeof f->fps_view, "fps_views/frame_%06d.png", f->frame_id);
        char bev[1200];
        snprintf(f->bev_view, sizeof f->bev_view, "bev_views/frame_%06d.png", f->frame_id);
        snprintf(bev, sizeof bev, "%s/%s", dir, f->bev_view);
        if (access(bev, R_OK) != 0)
            f->bev_view[0] = '\0'; /* the legacy collector's BEV images are optional here */
    }
    snprintf(where, sizeof where, "%s.fps_view", key);
    if ((st = check_view(dir, file, where, f->fps_view)) != CM_OK)
        return st;
    if (f->bev_view[0]) {
        snprintf(where, sizeof where, "%s.bev_view", key);
        if ((st = check_view(dir, file, where, f->bev_view)) != CM_OK)
            return st;
    }
    return CM_OK;
}

static int by_frame_id(const void *a, const void *b)
{
    int x = ((const cm_dataset_frame *)a)->frame_id, y = ((const cm_dataset_frame *)b)->frame_id;
    return (x > y) - (x < y);
}

static cm_status read_config(const char *dir, cm_dataset *d)
{
    char file[1200];
    snprintf(file, sizeof file, "%s/env_config.json", dir);
    cJSON *root;
    cm_status st = cm_json_read(file, &root);
    if (st != CM_OK)
        return st;
    double v = 0.0;
    if (!cJSON_IsObject(root)) {
        st = cm_error(CM_ERR_FORMAT, "%s: expected a JSON object", file);
        goto done;
    }
    if ((st = get_number(root, file, "env_config", "maze_size", &v)) != CM_OK)
        goto done;
    if (v != floor(v) || v < 1 || v > CM_MAZE_MAX_SIZE) {
        st = cm_error(CM_ERR_FORMAT, "%s: maze_size: expected an integer in 1..%d, got %g", file, CM_MAZE_MAX_SIZE, v);
        goto done;
    }
    d->maze_size = (int)v;
    d->fov_angle = NAN;
    if (cJSON_GetObjectItemCaseSensitive(root, "fov_angle")) {
        if ((st = get_number(root, file, "env_config", "fov_angle", &v)) != CM_OK)
            goto done;
        d->fov_angle = (float)v;
    }
    d->seed = -1;
    const cJSON *seed = cJSON_GetObjectItemCaseSensitive(root, "seed");
    if (cJSON_IsNumber(seed)) {
        /* an integer a double holds exactly; beyond int64 the cast would be undefined */
        if ((st = cm_json_get_int(root, file, "seed", 1, &d->seed)) != CM_OK)
            goto done;
    } else if (seed && !cJSON_IsNull(seed)) {
        st = cm_error(CM_ERR_FORMAT, "%s: seed: expected an integer or null", file);
        goto done;
    }
    const cJSON *objs = cJSON_GetObjectItemCaseSensitive(root, "objects");
    if (objs) {
        if (!cJSON_IsArray(objs) || cJSON_GetArraySize(objs) > CM_MAZE_MAX_TARGETS) {
            st = cm_error(CM_ERR_FORMAT, "%s: objects: expected an array of at most %d objects", file,
                          CM_MAZE_MAX_TARGETS);
            goto done;
        }
        const cJSON *o;
        int k = 0;
        cJSON_ArrayForEach(o, objs)
        {
            char where[32];
            snprintf(where, sizeof where, "objects[%d]", k);
            if ((st = get_vec(o, file, where, "position", 2, d->objects[k])) != CM_OK ||
                (st = get_vec(o, file, where, "color", 3, d->object_rgb[k])) != CM_OK)
                goto done;
            k++;
        }
        d->n_objects = k;
    }
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(root, "maze_layout");
    if (rows) {
        int n = d->maze_size;
        if (!cJSON_IsArray(rows) || cJSON_GetArraySize(rows) != n) {
            st = cm_error(CM_ERR_FORMAT, "%s: maze_layout: expected %d rows of text", file, n);
            goto done;
        }
        for (int r = 0; r < n; r++) {
            const cJSON *row = cJSON_GetArrayItem(rows, r);
            if (!cJSON_IsString(row) || (int)strlen(row->valuestring) != n) {
                st = cm_error(CM_ERR_FORMAT, "%s: maze_layout[%d]: expected a string of %d characters", file, r, n);
                goto done;
            }
            for (int x = 0; x < n; x++)
                d->layout[(n - 1 - r) * n + x] = row->valuestring[x] != '#';
        }
        d->has_layout = 1;
    }
done:
    cJSON_Delete(root);
    return st;
}

cm_status cm_dataset_read(const char *dir, cm_dataset *out)
{
    memset(out, 0, sizeof *out);
    if (strlen(dir) >= sizeof out->dir - 64)
        return cm_error(CM_ERR_ARG, "%s: dataset folder: path too long", dir);
    snprintf(out->dir, sizeof out->dir, "%s", dir);
    char file[1200];
    snprintf(file, sizeof file, "%s/frame_info.json", dir);
    cJSON *root;
    cm_status st = cm_json_read(file, &root);
    if (st != CM_OK)
        return st;
    if (!cJSON_IsObject(root)) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_FORMAT, "%s: expected an object of frames keyed \"frame_000123\"", file);
    }
    int n = cJSON_GetArraySize(root);
    out->frames = cm_calloc(n > 0 ? (size_t)n : 1, sizeof *out->frames);
    if (!out->frames) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: out of memory for %d frames", file, n);
    }
    int legacy = -1, k = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        if ((st = read_frame(dir, file, item, &legacy, &out->frames[k])) != CM_OK)
            break;
        k++;
    }
    cJSON_Delete(root);
    if (st == CM_OK && n == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: expected at least one frame, got none", file);
    if (st != CM_OK) {
        cm_dataset_free(out);
        return st;
    }
    out->n_frames = n;
    out->legacy = legacy == 1;
    qsort(out->frames, (size_t)n, sizeof *out->frames, by_frame_id);
    for (int i = 1; i < n; i++)
        if (out->frames[i].frame_id == out->frames[i - 1].frame_id) {
            int id = out->frames[i].frame_id;
            cm_dataset_free(out);
            return cm_error(CM_ERR_FORMAT, "%s: frame_id %d appears twice", file, id);
        }
    if ((st = read_config(dir, out)) != CM_OK) {
        cm_dataset_free(out);
        return st;
    }
    return CM_OK;
}
