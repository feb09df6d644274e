/* cogmap-fuzz-seeds OUT: writes the seed corpora of every fuzz target into
 * OUT/<target>/, from what cogmap's own writers produce (the files the tests
 * write): arrays of every dtype and rank, archives stored, deflated and
 * ZIP64, safetensors with metadata, PNGs of every colour type libpng reads
 * (palette, 16-bit, 1-bit, interlaced, written here through libpng), run.json
 * and evals.csv of both run kinds, dataset folders, an SSM-PC dataset root,
 * checkpoints of the small models of targets.h, and trainer command lines.
 * Folders are packed as fuzz.h's "@@path" sections. tests/fuzz/make-corpus.sh
 * runs it and adds what numpy writes. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "targets.h"

#include "cogmap/run.h"
#include "cogmap/io.h"
#include "cogmap/models.h"
#include "cogmap/smp.h"
#include "cogmap/world.h"
#include "io/io_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *out_root;
static char scratch[4096];

static void die(const char *what)
{
    fprintf(stderr, "cogmap-fuzz-seeds: %s: %s\n", what, cm_errmsg()[0] ? cm_errmsg() : strerror(errno));
    exit(1);
}

static void ok(cm_status st, const char *what)
{
    if (st != CM_OK)
        die(what);
}

/* OUT/<target>/<name> */
static const char *seed_path(const char *target, const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/%s", out_root, target);
    ok(cm_mkdir_p(path), path);
    snprintf(path, sizeof path, "%s/%s/%s", out_root, target, name);
    return path;
}

static void put_bytes(const char *target, const char *name, const void *data, size_t n)
{
    ok(cm_write_file_atomic(seed_path(target, name), data, n), name);
}

static void put_text(const char *target, const char *name, const char *text)
{
    put_bytes(target, name, text, strlen(text));
}

/* Copies a file written in the scratch folder into a target's corpus. */
static void put_file(const char *target, const char *name, const char *path)
{
    void *data;
    size_t n;
    ok(cm_read_file(path, &data, &n), path);
    put_bytes(target, name, data, n);
    cm_free(data);
}

/* Packs files of `dir` (paths relative to it) as one multi-file input. */
static void put_folder(const char *target, const char *name, const char *dir, const char *const *files, int n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&buf, &len);
    for (int i = 0; i < n; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, files[i]);
        void *data;
        size_t size;
        ok(cm_read_file(path, &data, &size), path);
        if (memmem(data, size, "\n@@", 3)) {
            fprintf(stderr, "cogmap-fuzz-seeds: %s holds \"\\n@@\" and cannot be packed\n", path);
            exit(1);
        }
        fprintf(mem, "%s@@%s\n", i ? "\n" : "", files[i]);
        fwrite(data, 1, size, mem);
        cm_free(data);
    }
    fclose(mem);
    put_bytes(target, name, buf, len);
    free(buf);
}

static const char *scratch_path(const char *name)
{
    static char path[8400];
    snprintf(path, sizeof path, "%s/%s", scratch, name);
    return path;
}

/* ---------------------------------------------------------------- arrays */

static void arrays(void)
{
    static const cm_dtype dtypes[] = {CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL};
    static const int64_t shapes[][3] = {{0}, {5}, {2, 3}, {2, 0, 3}, {1, 2, 2}};
    static const int ndims[] = {0, 1, 2, 3, 3};
    cm_array all[6];
    for (int d = 0; d < 6; d++)
        for (int s = 0; s < 5; s++) {
            if ((d + s) % 2 && s != 1)
                continue; /* a spread of pairs, every dtype and every rank */
            cm_array a;
            ok(cm_array_alloc(&a, "a", dtypes[d], ndims[s], shapes[s]), "array");
            uint8_t *p = a.data;
            for (size_t k = 0; k < cm_array_bytes(&a); k++)
                p[k] = dtypes[d] == CM_BOOL ? (uint8_t)(k & 1) : (uint8_t)(17 * k + 3);
            char name[64];
            snprintf(name, sizeof name, "%s-%dd.npy", cm_dtype_name(dtypes[d]), ndims[s]);
            ok(cm_npy_write(scratch_path("a.npy"), &a), "npy");
            put_file("npy", name, scratch_path("a.npy"));
            if (s == 1) {
                all[d] = a;
                snprintf(all[d].name, sizeof all[d].name, "%s", cm_dtype_name(dtypes[d]));
            } else {
                cm_array_free(&a);
            }
        }
    for (int mode = 0; mode < 4; mode++) {
        char name[64];
        snprintf(name, sizeof name, "six-%s%s.npz", mode & 1 ? "deflated" : "stored", mode & 2 ? "-zip64" : "");
        ok(cm_npz_write_ex(scratch_path("a.npz"), all, 6, mode & 1, mode >> 1), "npz");
        put_file("npz", name, scratch_path("a.npz"));
    }
    ok(cm_npz_write(scratch_path("a.npz"), all, 0, 0), "npz");
    put_file("npz", "empty.npz", scratch_path("a.npz"));
    ok(cm_npz_write(scratch_path("a.npz"), all, 1, 1), "npz");
    put_file("npz", "one.npz", scratch_path("a.npz"));

    const char *keys[2] = {"format", "step"}, *vals[2] = {"pt", "12"};
    ok(cm_safetensors_write(scratch_path("a.st"), all, 6, keys, vals, 2), "safetensors");
    put_file("safetensors", "six-meta.safetensors", scratch_path("a.st"));
    ok(cm_safetensors_write(scratch_path("a.st"), all, 2, NULL, NULL, 0), "safetensors");
    put_file("safetensors", "two.safetensors", scratch_path("a.st"));
    ok(cm_safetensors_write(scratch_path("a.st"), all, 0, keys, vals, 1), "safetensors");
    put_file("safetensors", "meta-only.safetensors", scratch_path("a.st"));
    for (int d = 0; d < 6; d++)
        cm_array_free(&all[d]);
}

/* ------------------------------------------------------------------- PNG */

/* A PNG through libpng directly, for the colour types cm_png_write never makes. */
static void raw_png(const char *name, int w, int h, int depth, int color, int interlace)
{
    FILE *f = fopen(scratch_path("raw.png"), "wb");
    if (!f)
        die("raw.png");
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png)))
        die("libpng");
    png_init_io(png, f);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, depth, color, interlace, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    if (color == PNG_COLOR_TYPE_PALETTE) {
        png_color pal[4] = {{0, 0, 0}, {255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
        png_byte alpha[2] = {0, 128};
        png_set_PLTE(png, info, pal, 4);
        png_set_tRNS(png, info, alpha, 2, NULL);
    }
    png_write_info(png, info);
    int channels = color == PNG_COLOR_TYPE_RGB ? 3 : color == PNG_COLOR_TYPE_RGB_ALPHA ? 4
                   : color == PNG_COLOR_TYPE_GRAY_ALPHA                              ? 2
                                                                                     : 1;
    size_t rowbytes = ((size_t)w * channels * depth + 7) / 8;
    png_bytep row = calloc(rowbytes, 1);
    int passes = png_set_interlace_handling(png);
    for (int pass = 0; pass < passes; pass++)
        for (int y = 0; y < h; y++) {
            for (size_t k = 0; k < rowbytes; k++)
                row[k] = (png_byte)(color == PNG_COLOR_TYPE_PALETTE ? (depth == 8 ? (k + y) % 4 : 0x1b) : 31 * k + y);
            png_write_row(png, row);
        }
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(row);
    fclose(f);
    put_file("png", name, scratch_path("raw.png"));
}

static void pngs(void)
{
    for (int c = 1; c <= 4; c++) {
        cm_image img;
        ok(cm_image_alloc(&img, 5, 3, c), "image");
        for (int k = 0; k < 5 * 3 * c; k++)
            img.pixels[k] = (uint8_t)(k * 13);
        char name[32];
        snprintf(name, sizeof name, "%dch.png", c);
        ok(cm_png_write(scratch_path("a.png"), &img), "png");
        put_file("png", name, scratch_path("a.png"));
        cm_image_free(&img);
    }
    raw_png("palette-trns.png", 4, 3, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE);
    raw_png("palette-2bit.png", 7, 2, 2, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE);
    raw_png("gray-1bit.png", 9, 2, 1, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE);
    raw_png("gray-16bit.png", 3, 3, 16, PNG_COLOR_TYPE_GRAY, PNG_INTERLACE_NONE);
    raw_png("rgba-16bit.png", 2, 2, 16, PNG_COLOR_TYPE_RGB_ALPHA, PNG_INTERLACE_NONE);
    raw_png("rgb-interlaced.png", 9, 9, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_ADAM7);
}

/* -------------------------------------------------------------- datasets */

/* A dataset folder of n frames (ids with a gap), views 4x4, BEV on frame 0. */
static void dataset_folder(const char *dir, int n, int gap, uint64_t seed)
{
    cm_maze_params mp;
    ok(cm_maze_params_default(9, &mp), "maze params");
    cm_maze maze;
    ok(cm_maze_generate(&mp, seed, &maze), "maze");
    cm_dataset_writer w;
    ok(cm_mkdir_p(dir), dir);
    ok(cm_dataset_writer_open(&w, dir, &maze, 75.0f, "memory-maze-9x9"), "dataset writer");
    uint8_t rgb[4 * 4 * 3];
    for (int k = 0; k < 48; k++)
        rgb[k] = (uint8_t)(k * 5);
    uint8_t *bev = calloc(CM_BEV_PIXELS * CM_BEV_PIXELS * 4, 1);
    for (int i = 0; i < n; i++) {
        cm_dataset_frame f;
        memset(&f, 0, sizeof f);
        f.frame_id = i + (i >= n / 2 ? gap : 0);
        f.timestamp = 0.25 * f.frame_id;
        f.position[0] = 1.5f + 0.1f * i, f.position[1] = 2.5f - 0.05f * i;
        f.rotation = 0.3f * i - 1.0f;
        f.velocity[0] = 0.1f, f.velocity[1] = -0.05f;
        f.angular_velocity = 0.3f;
        f.n_visible = i % 3;
        for (int k = 0; k < f.n_visible; k++)
            f.visible[k] = k;
        ok(cm_dataset_writer_add(&w, &f, rgb, 4, 4, i == 0 ? bev : NULL), "dataset frame");
    }
    ok(cm_dataset_writer_close(&w), "dataset close");
    free(bev);
}

static void datasets(void)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/ds", scratch);
    dataset_folder(dir, 5, 3, 1);
    put_file("frame_info", "writer.json", scratch_path("ds/frame_info.json"));
    put_file("json", "frame_info.json", scratch_path("ds/frame_info.json"));
    put_file("json", "env_config.json", scratch_path("ds/env_config.json"));
    const char *files[] = {"frame_info.json",
                           "env_config.json",
                           "fps_views/frame_000000.png",
                           "fps_views/frame_000001.png",
                           "fps_views/frame_000005.png",
                           "fps_views/frame_000006.png",
                           "fps_views/frame_000007.png",
                           "bev_views/frame_000000.png"};
    put_folder("dataset", "writer", dir, files, 8);
    /* the legacy schema: keys carry the ids, views are implied */
    const char *legacy = "{\"frame_000000\": {\"agent_position\": [1.5, 2.5], \"rotation_angle\": 0.5, "
                         "\"visible_indices\": [-1]}, \"frame_000002\": {\"agent_position\": [1.6, 2.4], "
                         "\"rotation_angle\": -3.0, \"visible_indices\": [0, 2]}}";
    const char *env = "{\"maze_size\": 5, \"fov_angle\": 60, \"seed\": null, \"objects\": [{\"position\": [1, 2], "
                      "\"color\": [1, 0, 0.5]}], \"maze_layout\": [\"#####\", \"#...#\", \"#.#.#\", \"#...#\", "
                      "\"#####\"]}";
    char legacy_dir[4200], path[4300];
    snprintf(legacy_dir, sizeof legacy_dir, "%s/legacy", scratch);
    snprintf(path, sizeof path, "%s/fps_views", legacy_dir);
    ok(cm_mkdir_p(path), path);
    snprintf(path, sizeof path, "%s/frame_info.json", legacy_dir);
    ok(cm_write_file_atomic(path, legacy, strlen(legacy)), path);
    snprintf(path, sizeof path, "%s/env_config.json", legacy_dir);
    ok(cm_write_file_atomic(path, env, strlen(env)), path);
    for (int id = 0; id <= 2; id += 2) {
        snprintf(path, sizeof path, "%s/fps_views/frame_%06d.png", legacy_dir, id);
        ok(cm_write_file_atomic(path, "png", 3), path);
    }
    const char *lfiles[] = {"frame_info.json", "env_config.json", "fps_views/frame_000000.png",
                            "fps_views/frame_000002.png"};
    put_folder("dataset", "legacy", legacy_dir, lfiles, 4);
    put_text("json", "env_config_small.json", env);
    put_text("frame_info", "legacy.json", legacy); /* refused: the grid reader wants the new schema */

    /* An SSM-PC grid-cell dataset root: 7 folders, so every split has one. */
    char root[4200];
    snprintf(root, sizeof root, "%s/grid", scratch);
    const char *gfiles[7];
    static char names[7][64];
    for (int k = 0; k < 7; k++) {
        snprintf(names[k], sizeof names[k], "D%d_P1/000000/frame_info.json", k + 1);
        gfiles[k] = names[k];
        snprintf(path, sizeof path, "%s/D%d_P1/000000", root, k + 1);
        ok(cm_mkdir_p(path), path);
        cJSON *doc = cJSON_CreateObject();
        for (int i = 0; i < 6 + k; i++) {
            int id = i + (i > 3 ? k : 0);
            char key[32];
            snprintf(key, sizeof key, "frame_%06d", id);
            cJSON *fr = cJSON_AddObjectToObject(doc, key);
            cJSON_AddNumberToObject(fr, "frame_id", id);
            cJSON *as = cJSON_AddObjectToObject(fr, "agent_state");
            double xy[2] = {0.5 * i, 1.0 - 0.25 * i};
            cJSON_AddItemToObject(as, "position", cJSON_CreateDoubleArray(xy, 2));
            cJSON_AddNumberToObject(as, "rotation", 0.7 * i - 2.0);
        }
        snprintf(path, sizeof path, "%s/%s", root, names[k]);
        ok(cm_json_write(path, doc), path);
        cJSON_Delete(doc);
        if (k == 6)
            put_file("frame_info", "grid-gaps.json", path);
    }
    put_folder("grid_dataset", "seven-folders", root, gfiles, 7);
}

/* ------------------------------------------------------------------ runs */

static void runs(void)
{
    char run[4200];
    snprintf(run, sizeof run, "%s/run", scratch);
    ok(cm_mkdir_p(run), run);
    static const char *const presets[] = {"ssmpc", "banino", "sorscher"};
    for (int p = 0; p < 3; p++) {
        cm_grid_run_config c;
        ok(cm_grid_run_config_init(&c, presets[p], 11 + p), "grid config");
        if (p == 0)
            cmf_grid_config(&c);
        if (p == 1)
            ok(cm_grid_run_config_set(&c, "place_sigma=0.2"), "set");
        ok(cm_grid_run_config_write(&c, run), "grid run.json");
        char name[64];
        snprintf(name, sizeof name, "grid-%s.json", presets[p]);
        put_file("run_json", name, scratch_path("run/run.json"));
        put_file("json", name, scratch_path("run/run.json"));
    }
    cm_smp_run_config s;
    cm_smp_run_config_init(&s, 99);
    cmf_smp_config(&s.model);
    ok(cm_smp_run_config_write(&s, run), "smp run.json");
    put_file("run_json", "smp.json", scratch_path("run/run.json"));
    const char *stage[2] = {"seq_len=3", "lr=0.0005"};
    ok(cm_smp_run_config_restage(&s, run, 40, stage, 2), "restage");
    put_file("run_json", "smp-staged.json", scratch_path("run/run.json"));
    put_file("json", "smp-staged.json", scratch_path("run/run.json"));

    cm_evals e;
    memset(&e, 0, sizeof e);
    for (int i = 0; i < 3; i++) {
        cm_metrics m;
        cm_metrics_clear(&m);
        ok(cm_metrics_set(&m, "eval_loss", 1.5 - 0.5 * i, CM_LOWER_IS_BETTER), "metric");
        ok(cm_metrics_set(&m, "decoding_error", 0.75 / (i + 1), CM_LOWER_IS_BETTER), "metric");
        ok(cm_metrics_set(&m, "grid_fraction", i == 2 ? NAN : 0.125 * i, CM_HIGHER_IS_BETTER), "metric");
        ok(cm_evals_append(&e, 100 * i, 12.5 * i, 1.25 / (i + 1), &m), "evals row");
    }
    ok(cm_evals_write(run, &e), "evals.csv");
    put_file("evals_csv", "three.csv", scratch_path("run/evals.csv"));
    e.n_rows = 0;
    ok(cm_evals_write(run, &e), "evals.csv");
    put_file("evals_csv", "header.csv", scratch_path("run/evals.csv"));
    cm_evals_free(&e);

    /* checkpoints of the tiny network: an LSTM, an RNN (Sorscher's cell)
     * with an Adam optimiser, and a run folder holding two of them */
    for (int p = 0; p < 2; p++) {
        cm_pathint_config pc;
        cmf_pathint_config(&pc);
        if (p == 1) {
            pc.cell = CM_PATHINT_RNN;
            pc.rnn_activation = CM_ACT_RELU;
            pc.dropout = 0.0f;
            pc.optim = cm_optim_defaults(CM_OPTIM_ADAM);
        }
        cmf_tiny_job job;
        ok(cmf_tiny_job_init(&job, &pc, 7 + p), "tiny job");
        cm_train_state state;
        cm_train_state_init(&state);
        state.step = 300, state.wall_seconds = 4.5, state.last_loss = 1.5, state.best_value = 1.25;
        state.best_step = 200;
        char ck[4300];
        snprintf(ck, sizeof ck, "%s/ck%d", scratch, p);
        ok(cm_train_checkpoint_save(ck, &cmf_tiny_ops, &job, &state, 7 + p), "checkpoint");
        /* the LSTM's with its manifest, the RNN's as from before manifests */
        const char *files[] = {"config.json", "model.safetensors", "optimizer.safetensors", "state.json",
                               "manifest.json"};
        put_folder("checkpoint", p ? "rnn-adam-no-manifest" : "lstm", ck, files, p ? 4 : 5);
        snprintf(ck, sizeof ck, "ck%d/config.json", p);
        put_file("json", p ? "config-rnn.json" : "config-lstm.json", scratch_path(ck));
        snprintf(ck, sizeof ck, "ck%d/state.json", p);
        put_file("json", p ? "state-rnn.json" : "state-lstm.json", scratch_path(ck));
        snprintf(ck, sizeof ck, "ck%d/manifest.json", p);
        put_file("json", p ? "manifest-rnn.json" : "manifest-lstm.json", scratch_path(ck));
        snprintf(ck, sizeof ck, "ck%d/optimizer.safetensors", p);
        put_file("safetensors", p ? "optimizer-adam.safetensors" : "optimizer-rmsprop.safetensors", scratch_path(ck));
        if (p == 0) {
            char run_ck[4300];
            snprintf(run_ck, sizeof run_ck, "%s/run/checkpoints/step_00000300", scratch);
            ok(cm_train_checkpoint_save(run_ck, &cmf_tiny_ops, &job, &state, 7), "checkpoint");
            state.step = 200;
            snprintf(run_ck, sizeof run_ck, "%s/run/checkpoints/best", scratch);
            ok(cm_train_checkpoint_save(run_ck, &cmf_tiny_ops, &job, &state, 7), "checkpoint");
            const char *rfiles[] = {"run.json",
                                    "checkpoints/step_00000300/config.json",
                                    "checkpoints/step_00000300/model.safetensors",
                                    "checkpoints/step_00000300/optimizer.safetensors",
                                    "checkpoints/step_00000300/state.json",
                                    "checkpoints/step_00000300/manifest.json",
                                    "checkpoints/best/config.json",
                                    "checkpoints/best/model.safetensors",
                                    "checkpoints/best/optimizer.safetensors",
                                    "checkpoints/best/state.json",
                                    "checkpoints/best/manifest.json"};
            snprintf(run_ck, sizeof run_ck, "%s/run", scratch);
            put_folder("checkpoint", "run-folder", run_ck, rfiles, 11);
        }
        cmf_tiny_job_free(&job);
    }

    cm_smp_config sc;
    cmf_smp_config(&sc);
    cm_smp *m;
    ok(cm_smp_create(&sc, 3, &m), "smp"); /* step 0: the model pattern keeps step and beta private */
    char ck[4300];
    snprintf(ck, sizeof ck, "%s/smp", scratch);
    ok(cm_smp_save(m, ck), "smp save");
    cm_smp_free(m);
    const char *files[] = {"model.safetensors", "memory.safetensors"};
    put_folder("checkpoint_smp", "small", ck, files, 2);
    put_file("safetensors", "smp-memory.safetensors", scratch_path("smp/memory.safetensors"));
}

/* ------------------------------------------------------------------- CLI */

static void put_argv(const char *name, const char *const *args, int n)
{
    char buf[1024];
    size_t len = 0;
    for (int i = 0; i < n; i++) {
        size_t k = strlen(args[i]) + 1; /* NUL-separated */
        memcpy(buf + len, args[i], k);
        len += k;
    }
    put_bytes("cli", name, buf, len ? len - 1 : 0);
}

static void cli(void)
{
    const char *a[] = {"--out", "run", "--steps", "100", "--set", "hidden=8", "--set", "lr=0.001"};
    put_argv("new-run", a, 8);
    const char *b[] = {"--resume", "run", "--minutes", "1.5", "--checkpoint-every", "50", "--keep", "2"};
    put_argv("resume", b, 8);
    const char *c[] = {"--seed=3", "--threads", "2", "--out=r", "--eval-every", "10", "--steps=5", "--quiet",
                       "--set", "slots=8", "--set", "motion=banino", "--set", "batch=4", "--set", "p_write=0.5"};
    put_argv("smp-sets", c, 16);
    const char *d[] = {"--out", "r", "--steps", "9", "--set", "place_sigma=0.12", "--set", "place_dog=1", "--set",
                       "surround_scale=2", "--set", "arena=box", "--set", "dropout=0.25", "--set", "clip_value=0"};
    put_argv("grid-sets", d, 16);
    const char *e[] = {"--steps", "-1", "--keep", "0", "--threads", "99999", "--seed", "18446744073709551616"};
    put_argv("out-of-range", e, 8);
}

/* ------------------------------------------------------------------ JSON */

static void json(void)
{
    put_text("json", "nested.json",
             "{\"a\": [1, -2.5e-3, 1e308, true, false, null], \"b\": {\"c\": \"\\u00e9\\n\\\"x\\\"\", \"d\": []},"
             " \"e\": 9007199254740993, \"f\": -0, \"g\": \"\"}\n");
    put_text("json", "scalars.json", "[0.1, \"s\", 3]");
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: cogmap-fuzz-seeds OUT\n");
        return 2;
    }
    out_root = argv[1];
    cm_set_threads(1);
    const char *tmp = getenv("TMPDIR");
    snprintf(scratch, sizeof scratch, "%s/cogmap-seeds-XXXXXX", tmp && tmp[0] ? tmp : "/tmp");
    if (!mkdtemp(scratch))
        die("scratch folder");
    arrays();
    pngs();
    datasets();
    runs();
    cli();
    json();
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "cogmap-fuzz-seeds: could not remove %s\n", scratch);
    return 0;
}
