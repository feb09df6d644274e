/* Fuzz targets of the dataset readers: one frame_info.json, a dataset folder
 * (frame_info.json, env_config.json and the views they name), and an SSM-PC
 * grid-cell dataset root (folders D*_P*, each with 000000/frame_info.json). */
#define _GNU_SOURCE
#include "fuzz.h"
#include "targets.h"

#include "cogmap/models.h"
#include "cogmap/io.h"
#include "cogmap/world.h"

#include <math.h>
#include <string.h>

void cmf_run_frame_info(const uint8_t *data, size_t size)
{
    const char *path = cmf_write_file(0, "frame_info.json", data, size);
    int64_t *ids = NULL, n = -1;
    float *pos = NULL, *theta = NULL;
    cm_status st = cm_grid_frames_read(path, &ids, &pos, &theta, &n);
    cmf_check_failure(st, path);
    if (st != CM_OK)
        return;
    cmf_check(n >= 1, "%lld frames read", (long long)n);
    for (int64_t i = 0; i < n; i++) {
        cmf_check(i == 0 || ids[i] > ids[i - 1], "frame ids not sorted and unique at %lld", (long long)i);
        cmf_check(ids[i] >= 0, "negative frame id");
        cmf_check(isfinite(theta[i]) && theta[i] > -3.1416f && theta[i] <= 3.1416f, "heading %g not wrapped",
                  theta[i]);
    }
    cm_free(ids);
    cm_free(pos);
    cm_free(theta);
}

void cmf_run_dataset(const uint8_t *data, size_t size)
{
    const char *dir = cmf_unpack(0, data, size);
    if (!dir)
        return;
    cm_dataset d;
    cm_status st = cm_dataset_read(dir, &d);
    cmf_check_failure(st, dir);
    if (st != CM_OK) {
        cmf_check(d.frames == NULL && d.n_frames == 0, "failed read left frames");
        return;
    }
    cmf_check(d.n_frames >= 1 && d.maze_size >= 1 && d.maze_size <= CM_MAZE_MAX_SIZE, "bad dataset");
    cmf_check(d.n_objects >= 0 && d.n_objects <= CM_MAZE_MAX_TARGETS, "object count %d", d.n_objects);
    for (int i = 0; i < d.n_frames; i++) {
        const cm_dataset_frame *f = &d.frames[i];
        cmf_check(i == 0 || f->frame_id > d.frames[i - 1].frame_id, "frames not sorted and unique");
        cmf_check(f->n_visible >= 0 && f->n_visible <= CM_MAZE_MAX_TARGETS, "visible count %d", f->n_visible);
        for (int k = 0; k < f->n_visible; k++)
            cmf_check(f->visible[k] >= 0 && f->visible[k] < CM_MAZE_MAX_TARGETS, "visible index %d", f->visible[k]);
    }
    cm_dataset_free(&d);
}

void cmf_run_grid_dataset(const uint8_t *data, size_t size)
{
    const char *root = cmf_unpack(0, data, size);
    if (!root)
        return;
    /* every split once, with a window of 2 to 5 frames taken from the
     * input's last byte (the window changes the cutting, not the parsing) */
    const int window = 2 + data[size - 1] % 4;
    for (int split = CM_SPLIT_TRAIN; split <= CM_SPLIT_TEST; split++) {
        cm_grid_dataset ds;
        cm_status st = cm_grid_dataset_open(&ds, root, (cm_grid_split)split, window);
        cmf_check_failure(st, root);
        if (st != CM_OK) {
            cmf_check(ds.starts == NULL && ds.pos == NULL, "failed open left tables");
            continue;
        }
        cmf_check(ds.n_windows >= 1 && ds.window == window, "bad dataset");
        float pos[2 * 6], theta[6];
        for (int64_t w = 0; w < ds.n_windows; w += ds.n_windows > 8 ? ds.n_windows / 8 : 1) {
            cmf_check(ds.starts[w] >= 0 && ds.starts[w] + ds.window <= ds.n_frames, "window %lld out of range",
                      (long long)w);
            cm_grid_dataset_path(&ds, w, pos, theta);
        }
        cm_grid_dataset_free(&ds);
    }
}
