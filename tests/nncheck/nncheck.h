/* nncheck.h — the PyTorch comparison harness behind `make check-torch`
 * (`cogmap-nn-check LAYER DIR`, built with the tests; a developer tool, not a
 * user command).
 *
 * bench/check_torch.py writes a layer's inputs as DIR/<name>.npy (float32;
 * names follow PyTorch's state dicts), its settings as DIR/config.json and the
 * upstream gradient as DIR/dy.npy; a handler runs cogmap's forward and
 * backward on them and the outputs and gradients are written back as
 * DIR/c_<name>.npy for the python side to compare.
 *
 * Adding a layer or a model: a handler `cm_status h(nc_ctx *c)` (inputs with
 * nc_in, outputs and gradients with nc_out / nc_grad) in tests/nncheck/<area>.c,
 * listed in that file's nc_layer table, the table named once in main.c, and a
 * case(...) in bench/check_torch.py or bench/check_torch_<area>.py. */
#ifndef COGMAP_NNCHECK_H
#define COGMAP_NNCHECK_H

#include <cjson/cJSON.h>
#include <stdio.h>

#include "cogmap/base.h"
#include "cogmap/io.h"
#include "cogmap/nn.h"

#define NC_MAX 512 /* a whole model: every parameter, its gradient, the outputs */

typedef struct nc_buf {
    char name[168];
    int ndim;
    int64_t shape[CM_MAX_DIMS];
    float *data;
    int owned_array; /* data belongs to arr (read from disk) */
    cm_array arr;
    int save;
} nc_buf;

typedef struct nc_ctx {
    const char *dir;
    char cfg_path[4200];
    cJSON *cfg;
    int count;
    nc_buf bufs[NC_MAX];
    cm_status st; /* the first failure; later helpers do nothing */
    int repeat;   /* --repeat N: time N forward+backward passes, write nothing */
    double seconds;
} nc_ctx;

/* A handler's inputs, DIR/<name>.npy as float32 of rank ndim; -1 in `shape`
 * accepts any size and receives the size found. */
float *nc_in(nc_ctx *c, const char *name, int ndim, int64_t *shape);
/* An optional input: NULL, and no error, when the file is missing. */
float *nc_in_optional(nc_ctx *c, const char *name, int ndim, int64_t *shape);
/* A zeroed float buffer, written as DIR/c_<name>.npy when save != 0. */
float *nc_buffer(nc_ctx *c, const char *name, int ndim, const int64_t *shape, int save);
float *nc_out(nc_ctx *c, const char *name, int ndim, const int64_t *shape);
float *nc_scratch(nc_ctx *c, size_t n);
/* grad_<input>, shaped like the loaded input, written as c_grad_<input>.npy. */
float *nc_grad(nc_ctx *c, const char *input);
/* Settings of DIR/config.json, or the default when absent. */
int64_t nc_int(nc_ctx *c, const char *key, int64_t def);
double nc_num(nc_ctx *c, const char *key, double def);
cm_status nc_save(nc_ctx *c);
void nc_free(nc_ctx *c);

typedef struct nc_layer {
    const char *name;
    cm_status (*run)(nc_ctx *c);
} nc_layer;

/* The tables of handlers, each ended by {NULL, NULL}. */
extern const nc_layer nc_nn_layers[];
extern const nc_layer nc_social_layers[];
extern const nc_layer nc_coop_layers[];
extern const nc_layer nc_detector_layers[];
extern const nc_layer nc_bevnet_layers[]; /* bevnet.c: the whole BEV predictor */

/* Runs a layer's forward + backward once, or with --repeat N once untimed
 * (warm-up) and N times timed. Gradients then accumulate N + 1 times, which
 * is why a timing run writes no files. */
#define NC_TIMED(c, body)                                                                                              \
    do {                                                                                                               \
        body;                                                                                                          \
        if ((c)->repeat > 0) {                                                                                         \
            double t0_ = cm_now();                                                                                     \
            for (int r_ = 0; r_ < (c)->repeat; r_++) {                                                                 \
                body;                                                                                                  \
            }                                                                                                          \
            (c)->seconds = cm_now() - t0_;                                                                             \
        }                                                                                                              \
    } while (0)

#define NC_CHECK(c)                                                                                                    \
    do {                                                                                                               \
        if ((c)->st)                                                                                                   \
            return (c)->st;                                                                                            \
    } while (0)

#endif
