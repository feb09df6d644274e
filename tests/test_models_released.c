/* SSM-PC's grid-cell network loaded from a converted PyTorch state dict (the
 * released names and shapes, ssm-pc.md §4.2): the forward pass equals an
 * independent numpy pass on the same weights (tests/ssmpc_forward_ref.py, also
 * checked there against torch.nn.LSTM when torch is installed), and a
 * checkpoint with a missing or misshapen tensor is refused by name with the
 * network untouched. */
#include "support/test_util.h"

#include "cogmap/io.h"
#include "cogmap/models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 3, T = 20 };

static const char *tmp;

static int setup(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy");
    if (!py)
        return 0;
    tmp = cmt_tmpdir();
    return cmt_system("%s %s/tests/ssmpc_forward_ref.py %s %d %d", py, getenv("COGMAP_SOURCE_DIR"), tmp, B, T) == 0
               ? 0
               : -1;
}

static int teardown(void **state)
{
    (void)state;
    if (tmp)
        cmt_tmpdir_remove(tmp);
    return 0;
}

static cm_pathint *make_net(void)
{
    cm_pathint_config c;
    assert_int_equal(cm_pathint_preset("ssmpc", &c), CM_OK);
    c.batch = B;
    c.seq_len = T;
    cm_pathint *m = NULL;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_OK);
    return m;
}

static const float *arr(const cm_npz *z, const char *name, int64_t count)
{
    const cm_array *a = cm_npz_get(z, name);
    assert_non_null(a);
    assert_int_equal(a->dtype, CM_F32);
    assert_int_equal(cm_array_count(a), count);
    return a->data;
}

static void compare(const char *what, const float *ours, const float *ref, size_t n)
{
    double worst = 0, scale = 0;
    for (size_t i = 0; i < n; i++) {
        worst = fmax(worst, fabs((double)ours[i] - ref[i]));
        scale = fmax(scale, fabs(ref[i]));
    }
    if (!(worst < 2e-5 * fmax(1.0, scale)))
        fail_msg("%s: cogmap and numpy differ by %g (largest |value| %g)", what, worst, scale);
    assert_true(scale > 1e-3); /* the reference is not trivially zero */
}

static void forward_matches_numpy(void **state)
{
    (void)state;
    if (!tmp)
        skip();
    char path[4096];
    snprintf(path, sizeof path, "%s/ref.npz", tmp);
    cm_npz z;
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    cm_pathint *m = make_net();
    snprintf(path, sizeof path, "%s/ckpt.safetensors", tmp);
    assert_int_equal(cm_pathint_load_weights(m, path), CM_OK);
    /* Targets only enter the loss; uniform codes will do. */
    float *place = malloc(sizeof(float) * B * T * 256), *hd = malloc(sizeof(float) * B * T * 12);
    for (int i = 0; i < B * T * 256; i++)
        place[i] = 1.0f / 256;
    for (int i = 0; i < B * T * 12; i++)
        hd[i] = 1.0f / 12;
    cm_pathint_batch b = {.velocity = arr(&z, "velocity", B * T * 3),
                          .init_place = arr(&z, "init_place", B * 256),
                          .init_hd = arr(&z, "init_hd", B * 12),
                          .place = place,
                          .hd = hd};
    double loss = 0;
    cm_pathint_state *s;
    assert_int_equal(cm_pathint_state_create(m, B, T, &s), CM_OK);
    assert_int_equal(cm_pathint_forward(m, s, &b, NULL, &loss), CM_OK);
    assert_true(isfinite(loss));
    float *out = malloc(sizeof(float) * B * T * 256);
    cm_pathint_get_bottleneck(m, s, out);
    compare("bottleneck", out, arr(&z, "bottleneck", B * T * 256), B * T * 256);
    cm_pathint_get_place_logits(m, s, out);
    compare("place logits", out, arr(&z, "place_logits", B * T * 256), B * T * 256);
    cm_pathint_get_hd_logits(m, s, out);
    compare("hd logits", out, arr(&z, "hd_logits", B * T * 12), B * T * 12);
    free(out), free(place), free(hd);
    cm_pathint_state_free(s);
    cm_pathint_free(m);
    cm_npz_free(&z);
}

/* Rewrites the checkpoint without `drop`, or with `shrink` one value short. */
static void write_variant(const char *src, const char *dst, const char *drop, const char *shrink)
{
    cm_safetensors s;
    assert_int_equal(cm_safetensors_read(src, &s), CM_OK);
    cm_array *keep = calloc((size_t)s.count, sizeof(cm_array));
    int n = 0;
    for (int i = 0; i < s.count; i++) {
        cm_array a = s.tensors[i];
        if (drop && strcmp(a.name, drop) == 0)
            continue;
        if (shrink && strcmp(a.name, shrink) == 0)
            a.shape[a.ndim - 1]--;
        keep[n++] = cm_array_view(a.name, a.dtype, a.ndim, a.shape, a.data);
    }
    assert_int_equal(cm_safetensors_write(dst, keep, n, NULL, NULL, 0), CM_OK);
    free(keep);
    cm_safetensors_free(&s);
}

static void bad_checkpoints_named(void **state)
{
    (void)state;
    if (!tmp)
        skip();
    char src[4096], dst[4096];
    snprintf(src, sizeof src, "%s/ckpt.safetensors", tmp);
    snprintf(dst, sizeof dst, "%s/bad.safetensors", tmp);
    cm_pathint *m = make_net();
    cm_params *p = cm_pathint_params(m);
    float *before = malloc(sizeof(float) * p->total);
    memcpy(before, p->params, sizeof(float) * p->total);
    static const char *const cases[3][2] = {
        {"hd_predictor.bias", NULL}, {NULL, "lstm.weight_hh_l0"}, {"init_fc.weight", NULL}};
    for (int k = 0; k < 3; k++) {
        write_variant(src, dst, cases[k][0], cases[k][1]);
        cm_status st = cm_pathint_load_weights(m, dst);
        assert_int_equal(st, CM_ERR_FORMAT);
        const char *name = cases[k][0] ? cases[k][0] : cases[k][1];
        if (!strstr(cm_errmsg(), name))
            fail_msg("error does not name %s: %s", name, cm_errmsg());
        assert_memory_equal(before, p->params, sizeof(float) * p->total);
        cm_error_clear();
    }
    free(before);
    cm_pathint_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(forward_matches_numpy),
        cmocka_unit_test(bad_checkpoints_named),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
