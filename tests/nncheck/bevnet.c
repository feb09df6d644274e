/* The whole BEV predictor against PyTorch (bench/check_torch_bevnet.py):
 *
 *   DIR/config.json        {"bev": <the model's configuration>, "mode": "train" | "eval"}
 *   DIR/model.safetensors  a PyTorch state dict of the same architecture
 *   DIR/rgb.npy            uint8 [n, image, image, 3] frames
 *   DIR/target.npy         uint8 [n, out, out, 4] RGBA targets
 *
 * writes DIR/c_out.npy [n, 4, out, out], DIR/c_loss.npy [1] and, in train
 * mode (BatchNorm on batch statistics, dropout 0 for comparability),
 * DIR/c_grads.safetensors (the gradient of every trainable tensor) and
 * DIR/c_state.safetensors (the parameters after cm_bevnet_update_running:
 * the running statistics PyTorch's forward would have left). --repeat N
 * times N training forward + backward passes instead. */
#include "nncheck.h"

#include <stdlib.h>
#include <string.h>

#include "cogmap/bevnet.h"

static cm_status read_u8(const char *dir, const char *name, int ndim, cm_array *a)
{
    char path[4400];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    cm_status st = cm_npy_read(path, a);
    if (st == CM_OK) {
        int64_t any[4] = {-1, -1, -1, -1};
        st = cm_array_expect(a, path, CM_U8, ndim, any);
    }
    return st;
}

/* Writes tensors of the store (trainable ones, or all) from `block`. */
static cm_status write_block(const char *path, cm_bevnet *m, const float *block, int all)
{
    cm_params *p = cm_bevnet_params(m);
    cm_array *arr = calloc((size_t)p->count, sizeof *arr);
    if (!arr)
        return cm_error(CM_ERR_NOMEM, "nn-check: out of memory");
    int n = 0;
    for (int i = 0; i < p->count; i++)
        if (all || !cm_bevnet_is_running_stat(m, i))
            arr[n++] = cm_array_view(p->tensors[i].name, CM_F32, p->tensors[i].ndim, p->tensors[i].shape,
                                     block + p->tensors[i].offset);
    cm_status st = cm_safetensors_write(path, arr, n, NULL, NULL, 0);
    free(arr);
    return st;
}

static cm_status run_bevnet(nc_ctx *c)
{
    cm_bevnet_config cfg;
    const cJSON *jc = cJSON_GetObjectItemCaseSensitive(c->cfg, "bev");
    const cJSON *jm = cJSON_GetObjectItemCaseSensitive(c->cfg, "mode");
    if (!jc || !cJSON_IsString(jm))
        return cm_error(CM_ERR_FORMAT, "%s: expected {\"bev\": {...}, \"mode\": \"train\" or \"eval\"}", c->cfg_path);
    const int train = strcmp(jm->valuestring, "train") == 0;
    cm_status st = cm_bevnet_config_from_json(jc, c->cfg_path, &cfg);
    if (st != CM_OK)
        return st;
    cm_bevnet *m = NULL;
    cm_bevnet_state *s = NULL;
    cm_array rgb = {0}, tgt = {0};
    float *grad = NULL;
    char path[4400];
    if ((st = cm_bevnet_create(&cfg, 0, &m)) != CM_OK)
        goto done;
    snprintf(path, sizeof path, "%s/model.safetensors", c->dir);
    if ((st = cm_bevnet_load_state_dict(m, path)) != CM_OK)
        goto done;
    if ((st = read_u8(c->dir, "rgb", 4, &rgb)) != CM_OK || (st = read_u8(c->dir, "target", 4, &tgt)) != CM_OK)
        goto done;
    const int n = (int)rgb.shape[0];
    if (rgb.shape[1] != cfg.image || rgb.shape[2] != cfg.image || rgb.shape[3] != 3 || tgt.shape[0] != n ||
        tgt.shape[1] != cfg.out || tgt.shape[2] != cfg.out || tgt.shape[3] != 4) {
        st = cm_error(CM_ERR_FORMAT, "%s: rgb [n, %d, %d, 3] / target [n, %d, %d, 4]: shapes do not match", c->dir,
                      cfg.image, cfg.image, cfg.out, cfg.out);
        goto done;
    }
    if ((st = cm_bevnet_state_create(m, n, train, &s)) != CM_OK)
        goto done;
    cm_params *p = cm_bevnet_params(m);
    if (!(grad = cm_calloc(p->total, sizeof(float)))) {
        st = cm_error(CM_ERR_NOMEM, "nn-check: out of memory");
        goto done;
    }
    cm_bevnet_batch b = {n, rgb.data, tgt.data, 1.0f};
    cm_rng rng;
    double loss = 0.0;
    NC_TIMED(c, {
        cm_rng_seed(&rng, 1, 0);
        if (st == CM_OK)
            st = cm_bevnet_forward(m, s, &b, train ? &rng : NULL, &loss);
        if (st == CM_OK && train)
            st = cm_bevnet_backward(m, s, grad);
    });
    if (st != CM_OK || c->repeat > 0)
        goto done;
    const int64_t oshape[4] = {n, 4, cfg.out, cfg.out}, one[1] = {1};
    float *out = nc_out(c, "out", 4, oshape), *lo = nc_out(c, "loss", 1, one);
    if (!out || !lo) {
        st = c->st;
        goto done;
    }
    memcpy(out, cm_bevnet_output(s), (size_t)n * 4 * cfg.out * cfg.out * sizeof(float));
    lo[0] = (float)loss;
    if (train) {
        snprintf(path, sizeof path, "%s/c_grads.safetensors", c->dir);
        if ((st = write_block(path, m, grad, 0)) != CM_OK)
            goto done;
        cm_bevnet_update_running(m, grad);
        snprintf(path, sizeof path, "%s/c_state.safetensors", c->dir);
        st = write_block(path, m, p->params, 1);
    }
done:
    cm_free(grad);
    cm_array_free(&rgb);
    cm_array_free(&tgt);
    cm_bevnet_state_free(s);
    cm_bevnet_free(m);
    return st;
}

const nc_layer nc_bevnet_layers[] = {
    {"bevnet", run_bevnet},
    {NULL, NULL},
};
