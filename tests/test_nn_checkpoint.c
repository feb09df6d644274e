/* Checkpoints: a bit-exact round trip of the model and of the training side
 * (optimiser, dropout stream) that resumes exactly, and damaged files
 * (missing, misshapen, mistyped tensors; truncated file; bad config; an
 * optimiser file of another kind) rejected with the tensor or field named
 * and nothing loaded. */
#include "test_util.h"

#include "cogmap/io.h"
#include "cogmap/models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    float *vel, *ip, *ih, *pl, *hd;
    cm_pathint_batch b;
} batch_buf;

static void soft_rows(float *y, int rows, int c, uint64_t seed)
{
    cmt_randn(y, (size_t)rows * c, 1.0f, seed);
    for (int r = 0; r < rows; r++) {
        float *row = y + (size_t)r * c, s = 0.0f;
        for (int k = 0; k < c; k++)
            s += row[k] = expf(row[k]);
        for (int k = 0; k < c; k++)
            row[k] /= s;
    }
}

static void make_batch(batch_buf *bb, const cm_pathint_config *c)
{
    int B = c->batch, T = c->seq_len;
    bb->vel = malloc((size_t)B * T * c->input_size * sizeof(float));
    bb->ip = malloc((size_t)B * c->n_place * sizeof(float));
    bb->pl = malloc((size_t)B * T * c->n_place * sizeof(float));
    bb->ih = malloc((size_t)B * c->n_hd * sizeof(float));
    bb->hd = malloc((size_t)B * T * c->n_hd * sizeof(float));
    cmt_randn(bb->vel, (size_t)B * T * c->input_size, 1.0f, 1);
    soft_rows(bb->ip, B, c->n_place, 2);
    soft_rows(bb->pl, B * T, c->n_place, 3);
    soft_rows(bb->ih, B, c->n_hd, 4);
    soft_rows(bb->hd, B * T, c->n_hd, 5);
    bb->b = (cm_pathint_batch){bb->vel, bb->ip, bb->ih, bb->pl, bb->hd, 0, 0};
}

static void free_batch(batch_buf *bb) { free(bb->vel), free(bb->ip), free(bb->ih), free(bb->pl), free(bb->hd); }

static void small_config(cm_pathint_config *c)
{
    assert_int_equal(cm_pathint_preset("ssmpc", c), CM_OK);
    c->hidden = 8;
    c->bottleneck = 16;
    c->n_place = 10;
    c->n_hd = 4;
    c->batch = 3;
    c->seq_len = 6;
}

/* What training carries besides the model: state, optimiser, dropout stream. */
typedef struct trainer {
    cm_pathint_state *s;
    cm_optim o;
    cm_rng rng;
} trainer;

static void trainer_open(trainer *t, cm_pathint *m, uint64_t seed)
{
    const cm_pathint_config *c = cm_pathint_get_config(m);
    assert_int_equal(cm_pathint_state_create(m, c->batch, c->seq_len, &t->s), CM_OK);
    assert_int_equal(cm_pathint_optim_init(m, &t->o), CM_OK);
    cm_rng_seed(&t->rng, seed, 1);
}

static void trainer_close(trainer *t)
{
    cm_optim_free(&t->o);
    cm_pathint_state_free(t->s);
}

static void test_round_trip_and_resume(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/ckpt", dir);
    cm_pathint_config c;
    small_config(&c);
    batch_buf bb;
    make_batch(&bb, &c);
    cm_pathint *a, *b;
    trainer ta, tb;
    assert_int_equal(cm_pathint_create(&c, 0xfedcba9876543210ull, &a), CM_OK);
    trainer_open(&ta, a, 0xfedcba9876543210ull);
    for (int s = 0; s < 3; s++)
        assert_int_equal(cm_pathint_step(a, ta.s, &ta.o, &bb.b, &ta.rng, NULL), CM_OK);
    assert_int_equal(cm_pathint_save(a, sub), CM_OK);
    assert_int_equal(cm_pathint_optim_save(&ta.o, &ta.rng, sub), CM_OK);
    assert_int_equal(cm_pathint_load(sub, &b), CM_OK);
    trainer_open(&tb, b, 1);
    assert_int_equal(cm_pathint_optim_load(&tb.o, &tb.rng, sub), CM_OK);
    const cm_pathint_config *cb = cm_pathint_get_config(b);
    assert_true(cb->hidden == 8 && cb->optim.kind == CM_OPTIM_RMSPROP && cb->optim.lr == c.optim.lr &&
                cb->dropout == c.dropout && strcmp(cb->preset, "ssmpc") == 0);
    cm_params *pa = cm_pathint_params(a), *pb = cm_pathint_params(b);
    assert_int_equal(pa->total, pb->total);
    assert_memory_equal(pa->params, pb->params, pa->total * sizeof(float));
    assert_int_equal(tb.o.t, 3);
    assert_memory_equal(ta.o.state, tb.o.state, cm_optim_state_floats(&ta.o) * sizeof(float));
    assert_memory_equal(ta.rng.s, tb.rng.s, sizeof ta.rng.s);
    /* Resume: two more steps on each end bit-identical (dropout masks included). */
    double la, lb;
    for (int s = 0; s < 2; s++) {
        assert_int_equal(cm_pathint_step(a, ta.s, &ta.o, &bb.b, &ta.rng, &la), CM_OK);
        assert_int_equal(cm_pathint_step(b, tb.s, &tb.o, &bb.b, &tb.rng, &lb), CM_OK);
        assert_true(la == lb);
    }
    assert_memory_equal(pa->params, pb->params, pa->total * sizeof(float));
    /* An optimiser of another kind refuses the file, and keeps its state. */
    cm_optim adam;
    cm_optim_config ac = cm_optim_defaults(CM_OPTIM_ADAM);
    assert_int_equal(cm_optim_init(&adam, &ac, cm_pathint_trained_floats(a)), CM_OK);
    cm_rng untouched = tb.rng;
    assert_int_equal(cm_pathint_optim_load(&adam, &tb.rng, sub), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "optimizer"));
    assert_int_equal(adam.t, 0);
    assert_memory_equal(untouched.s, tb.rng.s, sizeof untouched.s);
    cm_optim_free(&adam);
    /* The state dict a PyTorch user loads: names and shapes. */
    char path[8192];
    snprintf(path, sizeof path, "%s/model.safetensors", sub);
    cm_safetensors st;
    assert_int_equal(cm_safetensors_read(path, &st), CM_OK);
    assert_int_equal(st.count, pa->count);
    const cm_array *w = cm_safetensors_get(&st, "lstm.weight_ih_l0");
    assert_non_null(w);
    assert_true(w->ndim == 2 && w->shape[0] == 32 && w->shape[1] == 3 && w->dtype == CM_F32);
    cm_safetensors_free(&st);
    trainer_close(&ta);
    trainer_close(&tb);
    cm_pathint_free(a);
    cm_pathint_free(b);
    free_batch(&bb);
    cmt_tmpdir_remove(dir);
}

/* Writes the store of `m` with tensor `name` replaced by `bad` (NULL: dropped). */
static void write_damaged(cm_pathint *m, const char *path, const char *name, const cm_array *bad)
{
    cm_params *p = cm_pathint_params(m);
    cm_array *arr = calloc((size_t)p->count, sizeof *arr);
    int n = 0;
    for (int i = 0; i < p->count; i++) {
        cm_tensor_info *t = &p->tensors[i];
        if (strcmp(t->name, name) == 0) {
            if (bad)
                arr[n++] = *bad;
            continue;
        }
        arr[n++] = cm_array_view(t->name, CM_F32, t->ndim, t->shape, p->params + t->offset);
    }
    assert_int_equal(cm_safetensors_write(path, arr, n, NULL, NULL, 0), CM_OK);
    free(arr);
}

static void expect_rejected(cm_pathint *m, const char *path, const char *words)
{
    cm_params *p = cm_pathint_params(m);
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, p->params, p->total * sizeof(float));
    assert_int_equal(cm_pathint_load_weights(m, path), CM_ERR_FORMAT);
    if (!strstr(cm_errmsg(), words))
        print_error("message \"%s\" lacks \"%s\"\n", cm_errmsg(), words);
    assert_non_null(strstr(cm_errmsg(), words));
    assert_memory_equal(before, p->params, p->total * sizeof(float)); /* nothing loaded */
    free(before);
}

static void test_damaged_checkpoints(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char path[8192];
    snprintf(path, sizeof path, "%s/bad.safetensors", dir);
    cm_pathint_config c;
    small_config(&c);
    cm_pathint *m, *other;
    assert_int_equal(cm_pathint_create(&c, 1, &m), CM_OK);
    assert_int_equal(cm_pathint_create(&c, 99, &other), CM_OK); /* different weights to write */

    write_damaged(other, path, "hd_predictor.bias", NULL);
    expect_rejected(m, path, "tensor hd_predictor.bias: missing");

    float junk[64] = {0};
    int64_t shape[2] = {8, 8};
    cm_array wrong = cm_array_view("lstm.weight_hh_l0", CM_F32, 2, shape, junk);
    write_damaged(other, path, "lstm.weight_hh_l0", &wrong);
    expect_rejected(m, path, "tensor lstm.weight_hh_l0: expected shape [32, 8], got [8, 8]");

    double dj[40] = {0};
    int64_t s1[1] = {40};
    /* h0_init.bias has 8 entries; give it the right shape in the wrong dtype */
    s1[0] = 8;
    cm_array f64 = cm_array_view("h0_init.bias", CM_F64, 1, s1, dj);
    write_damaged(other, path, "h0_init.bias", &f64);
    expect_rejected(m, path, "tensor h0_init.bias: expected dtype F32, got float64");

    /* an extra tensor that is not a parameter */
    cm_params *po = cm_pathint_params(other);
    int n = po->count;
    cm_array *arr = calloc((size_t)n + 1, sizeof *arr);
    for (int i = 0; i < n; i++)
        arr[i] = cm_array_view(po->tensors[i].name, CM_F32, po->tensors[i].ndim, po->tensors[i].shape,
                               po->params + po->tensors[i].offset);
    arr[n] = cm_array_view("stray.weight", CM_F32, 2, shape, junk);
    assert_int_equal(cm_safetensors_write(path, arr, n + 1, NULL, NULL, 0), CM_OK);
    expect_rejected(m, path, "tensor stray.weight: not a parameter");
    free(arr);

    /* a truncated file */
    assert_int_equal(cm_params_save(po, path, NULL, NULL, 0), CM_OK);
    void *data;
    size_t len;
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    assert_int_equal(cm_write_file_atomic(path, data, len - 100), CM_OK);
    cm_free(data);
    cm_params *pm = cm_pathint_params(m);
    float first = pm->params[0];
    assert_int_not_equal(cm_pathint_load_weights(m, path), CM_OK);
    assert_true(pm->params[0] == first);

    /* a config.json with a bad field, and a folder without files */
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/ck", dir);
    assert_int_equal(cm_pathint_save(other, sub), CM_OK);
    snprintf(path, sizeof path, "%s/config.json", sub);
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    char *txt = data, *h = strstr(txt, "\"hidden\":");
    assert_non_null(h);
    memcpy(h, "\"hidxen\":", 9);
    assert_int_equal(cm_write_file_atomic(path, txt, len), CM_OK);
    cm_free(data);
    cm_pathint *loaded = (cm_pathint *)1;
    assert_int_equal(cm_pathint_load(sub, &loaded), CM_ERR_FORMAT);
    assert_null(loaded);
    assert_non_null(strstr(cm_errmsg(), "hidden"));
    snprintf(sub, sizeof sub, "%s/nothing", dir);
    assert_int_not_equal(cm_pathint_load(sub, &loaded), CM_OK);
    assert_null(loaded);

    cm_pathint_free(m);
    cm_pathint_free(other);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip_and_resume),
        cmocka_unit_test(test_damaged_checkpoints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
