/* Helper for bench/check_pathint_torch.py (not built by CMake): loads a
 * PyTorch state dict (safetensors) into a path-integration preset, runs one
 * forward (no dropout) and backward on .npy inputs, and writes the loss, the
 * place logits and every parameter gradient to DIR/out.safetensors.
 *   pathint_check PRESET HIDDEN BATCH SEQ_LEN DIR */
#include "cogmap/io.h"
#include "cogmap/models.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static float *load(const char *dir, const char *name, cm_array *a)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.npy", dir, name);
    if (cm_npy_read(path, a) != CM_OK || a->dtype != CM_F32) {
        fprintf(stderr, "pathint_check: %s: %s\n", path, cm_errmsg());
        exit(1);
    }
    return a->data;
}

int main(int argc, char **argv)
{
    if (argc != 6) {
        fprintf(stderr, "usage: pathint_check PRESET HIDDEN BATCH SEQ_LEN DIR\n");
        return 2;
    }
    const char *dir = argv[5];
    cm_pathint_config c;
    /* PRESET[-relu][-mse]: the preset with the non-negative bottleneck
     * (bottleneck_relu), with the squared-error place loss (loss mse). */
    char preset[64];
    snprintf(preset, sizeof preset, "%s", argv[1]);
    size_t len = strlen(preset);
    const int mse = len > 4 && strcmp(preset + len - 4, "-mse") == 0;
    if (mse)
        preset[len -= 4] = 0;
    const int relu = len > 5 && strcmp(preset + len - 5, "-relu") == 0;
    if (relu)
        preset[len - 5] = 0;
    if (cm_pathint_preset(preset, &c) != CM_OK) {
        fprintf(stderr, "pathint_check: %s\n", cm_errmsg());
        return 1;
    }
    c.hidden = atoi(argv[2]);
    c.batch = atoi(argv[3]);
    c.seq_len = atoi(argv[4]);
    c.dropout = 0.0f;
    c.bottleneck_relu = relu;
    if (mse)
        c.loss = CM_PATHINT_LOSS_MSE;
    cm_set_threads(1);
    cm_pathint *m = NULL;
    cm_pathint_state *s = NULL;
    char path[4096];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    if (cm_pathint_create(&c, 1, &m) != CM_OK || cm_pathint_load_weights(m, path) != CM_OK ||
        cm_pathint_state_create(m, c.batch, c.seq_len, &s) != CM_OK) {
        fprintf(stderr, "pathint_check: %s\n", cm_errmsg());
        return 1;
    }
    cm_array a[5] = {0};
    cm_pathint_batch b = {load(dir, "vel", &a[0]), load(dir, "init_place", &a[1]),
                          c.n_hd ? load(dir, "init_hd", &a[2]) : NULL, load(dir, "place", &a[3]),
                          c.n_hd ? load(dir, "hd", &a[4]) : NULL, 0, 0};
    double loss;
    cm_params *p = cm_pathint_params(m);
    cm_params_zero_grad(p);
    if (cm_pathint_forward(m, s, &b, NULL, &loss) != CM_OK || cm_pathint_backward(m, s, p->grads) != CM_OK) {
        fprintf(stderr, "pathint_check: %s\n", cm_errmsg());
        return 1;
    }
    int n = p->count;
    cm_array *out = calloc((size_t)n + 2, sizeof *out);
    char (*names)[128] = calloc((size_t)n, 128);
    for (int i = 0; i < n; i++) {
        snprintf(names[i], 128, "grad.%s", p->tensors[i].name);
        out[i] = cm_array_view(names[i], CM_F32, p->tensors[i].ndim, p->tensors[i].shape,
                               p->grads + p->tensors[i].offset);
    }
    float lf = (float)loss;
    int64_t one[1] = {1}, lshape[3] = {c.batch, c.seq_len, c.n_place};
    float *logits = malloc((size_t)c.batch * c.seq_len * c.n_place * sizeof(float));
    cm_pathint_get_place_logits(m, s, logits);
    out[n] = cm_array_view("loss", CM_F32, 1, one, &lf);
    out[n + 1] = cm_array_view("place_logits", CM_F32, 3, lshape, logits);
    snprintf(path, sizeof path, "%s/out.safetensors", dir);
    if (cm_safetensors_write(path, out, n + 2, NULL, NULL, 0) != CM_OK) {
        fprintf(stderr, "pathint_check: %s\n", cm_errmsg());
        return 1;
    }
    printf("loss %.7f\n", loss);
    free(out), free(names), free(logits);
    for (int i = 0; i < 5; i++)
        cm_array_free(&a[i]);
    cm_pathint_state_free(s);
    cm_pathint_free(m);
    return 0;
}
