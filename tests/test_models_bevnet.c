/* The BEV predictor: the presets' parameter counts and state-dict names, the
 * configuration's checks and overrides, the whole model's gradient by
 * central differences at a tiny configuration (training mode: BatchNorm on
 * batch statistics), the running statistics carried through the gradient
 * block, evaluation-mode prediction in chunks, the inference path against
 * the reference forward, and checkpoints: a save /
 * load round trip, SSM-PC's extra buffers accepted, and state dicts of
 * other architectures refused naming the first offending tensor; and a
 * few dozen steps on 2 frames learning where their targets are opaque. */
#include "test_util.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/bevnet.h"
#include "cogmap/io.h"

/* A configuration small enough for central differences over every tensor:
 * 32x32 frames (2x2 tokens), width 8, 2 + 2 layers, an 8x8 upsampler output
 * resized to 6x6 (the bilinear head is exercised). */
static cm_bevnet_config tiny(void)
{
    cm_bevnet_config c;
    assert_int_equal(cm_bevnet_preset("bev-small", &c), CM_OK);
    const char *sets[] = {"image=32", "enc_channels=3,4,6,8", "heads=2", "ff=10", "enc_layers=2", "dec_layers=2",
                          "dropout=0", "grid=2", "n_up=2", "up_channels=5,3", "out=6", "window=64"};
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        assert_int_equal(cm_bevnet_config_set(&c, sets[i]), CM_OK);
    assert_int_equal(cm_bevnet_config_check(&c), CM_OK);
    return c;
}

static uint8_t *random_bytes(size_t n, uint64_t seed)
{
    uint8_t *b = malloc(n);
    cm_rng r;
    cm_rng_seed(&r, seed, 0);
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)cm_rng_below(&r, 256);
    return b;
}

static void test_presets(void **state)
{
    (void)state;
    cm_bevnet_config c;
    assert_int_equal(cm_bevnet_preset("bev", &c), CM_OK);
    cm_bevnet *m;
    assert_int_equal(cm_bevnet_create(&c, 1, &m), CM_OK);
    /* ssm-pc.md §6.2: 10,032,652 parameters; 159 state-dict entries, of which
     * 2 are pos_encoder.pe and 9 num_batches_tracked (not stored here). */
    assert_int_equal(cm_bevnet_n_trainable(m), 10032652);
    cm_params *p = cm_bevnet_params(m);
    assert_int_equal(p->count, 159 - 2 - 9);
    assert_string_equal(p->tensors[0].name, "encoder.features.0.weight");
    assert_string_equal(p->tensors[4].name, "encoder.features.1.running_mean");
    assert_string_equal(p->tensors[24].name, "encoder.transformer.layers.0.self_attn.in_proj_weight");
    assert_string_equal(p->tensors[p->count - 1].name, "decoder.decoder.15.bias");
    int ip = cm_params_find(p, "decoder.initial_proj.weight");
    assert_true(ip > 0);
    assert_int_equal(p->tensors[ip].shape[0], 256);
    assert_int_equal(p->tensors[ip].shape[1], 1024);
    int ct = cm_params_find(p, "decoder.decoder.0.weight"); /* ConvTranspose2d: [in, out, k, k] */
    assert_int_equal(p->tensors[ct].shape[0], 256);
    assert_int_equal(p->tensors[ct].shape[1], 128);
    int stats = 0;
    for (int i = 0; i < p->count; i++)
        stats += cm_bevnet_is_running_stat(m, i);
    assert_int_equal(stats, 18);
    /* PyTorch's TransformerEncoder clones its first layer: the layers start equal. */
    int l0 = cm_params_find(p, "encoder.transformer.layers.0.linear1.weight");
    int l2 = cm_params_find(p, "encoder.transformer.layers.2.linear1.weight");
    assert_memory_equal(cm_params_data(p, l0), cm_params_data(p, l2), p->tensors[l0].count * sizeof(float));
    /* Conv weights within PyTorch's bound 1/sqrt(fan_in) = 1/sqrt(27). */
    const float *w0 = cm_params_data(p, 0);
    float mx = 0.0f;
    for (size_t i = 0; i < p->tensors[0].count; i++)
        mx = fmaxf(mx, fabsf(w0[i]));
    assert_true(mx <= 1.0f / sqrtf(27.0f) && mx > 0.8f / sqrtf(27.0f));
    cm_bevnet_free(m);

    assert_int_equal(cm_bevnet_preset("bev-small", &c), CM_OK);
    assert_int_equal(cm_bevnet_create(&c, 1, &m), CM_OK);
    assert_true(cm_bevnet_n_trainable(m) < 1000000);
    cm_bevnet_free(m);
    assert_int_equal(cm_bevnet_preset("bev-large", &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "bev-small"));
}

static void test_config(void **state)
{
    (void)state;
    cm_bevnet_config c;
    assert_int_equal(cm_bevnet_preset("bev", &c), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&c, "heads=7"), CM_OK);
    assert_int_equal(cm_bevnet_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "heads"));
    assert_int_equal(cm_bevnet_preset("bev", &c), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&c, "image=60"), CM_OK);
    assert_int_equal(cm_bevnet_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "image"));
    assert_int_equal(cm_bevnet_config_set(&c, "colour=3"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "unknown key"));
    assert_int_equal(cm_bevnet_config_set(&c, "lr=fast"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "lr"));
    assert_int_equal(cm_bevnet_config_set(&c, "enc_channels=1,2"), CM_ERR_ARG);
    assert_int_equal(cm_bevnet_config_set(&c, "noequals"), CM_ERR_ARG);

    /* JSON round trip keeps every field. */
    cm_bevnet_config a = tiny(), b;
    assert_int_equal(cm_bevnet_config_set(&a, "lr=0.00123"), CM_OK);
    assert_int_equal(cm_bevnet_config_set(&a, "rgb_w=0.3"), CM_OK);
    cJSON *j = cm_bevnet_config_to_json(&a);
    assert_int_equal(cm_bevnet_config_from_json(j, "x.json", &b), CM_OK);
    assert_memory_equal(&a, &b, sizeof a);
    cJSON_ReplaceItemInObject(j, "heads", cJSON_CreateString("two"));
    assert_int_equal(cm_bevnet_config_from_json(j, "x.json", &b), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "x.json: heads"));
    cJSON_Delete(j);
}

/* ------------------------------------------------------------- gradients */

typedef struct gc_ctx {
    cm_bevnet *m;
    cm_bevnet_state *s;
    cm_bevnet_batch b;
} gc_ctx;

static double gc_loss(gc_ctx *g)
{
    cm_rng r;
    cm_rng_seed(&r, 5, 0); /* training mode (batch statistics); dropout is 0 */
    double loss;
    assert_int_equal(cm_bevnet_forward(g->m, g->s, &g->b, &r, &loss), CM_OK);
    return loss;
}

static void test_gradients(void **state)
{
    (void)state;
    cm_bevnet_config c = tiny();
    gc_ctx g;
    assert_int_equal(cm_bevnet_create(&c, 7, &g.m), CM_OK);
    cm_params *p = cm_bevnet_params(g.m);
    /* Non-trivial norms and biases, so that every gradient path is exercised. */
    cm_rng r;
    cm_rng_seed(&r, 3, 0);
    for (int i = 0; i < p->count; i++)
        if (!cm_bevnet_is_running_stat(g.m, i))
            for (size_t k = 0; k < p->tensors[i].count; k++)
                cm_params_data(p, i)[k] += 0.1f * (float)cm_rng_normal(&r);
    const int n = 3;
    assert_int_equal(cm_bevnet_state_create(g.m, 4, 1, &g.s), CM_OK);
    uint8_t *rgb = random_bytes((size_t)n * 32 * 32 * 3, 11), *tgt = random_bytes((size_t)n * 6 * 6 * 4, 12);
    g.b = (cm_bevnet_batch){n, rgb, tgt, 1.0f};
    float *grad = cm_calloc(p->total, sizeof(float));
    gc_loss(&g);
    assert_int_equal(cm_bevnet_backward(g.m, g.s, grad), CM_OK);

    double worst = 0.0;
    const char *worst_name = "";
    for (int i = 0; i < p->count; i++) {
        if (cm_bevnet_is_running_stat(g.m, i))
            continue;
        const cm_tensor_info *t = &p->tensors[i];
        float *x = cm_params_data(p, i);
        const float *ga = grad + t->offset;
        double scale = 1e-3;
        for (size_t k = 0; k < t->count; k++)
            scale = fmax(scale, fabs(ga[k]));
        const size_t checks = t->count < 5 ? t->count : 5;
        for (size_t j = 0; j < checks; j++) {
            size_t k = (j * 7919u + (size_t)i) % t->count;
            /* The smallest error over three step sizes: a ReLU kink crossed
             * at one step size spoils that estimate only; a wrong gradient
             * is wrong at all three. */
            const float x0 = x[k];
            double err = INFINITY, num = 0.0;
            for (float eps = 1e-3f; eps > 2e-4f; eps *= 0.5f) {
                x[k] = x0 + eps;
                double lp = gc_loss(&g);
                x[k] = x0 - eps;
                double lm = gc_loss(&g);
                x[k] = x0;
                double e_num = (lp - lm) / (2.0 * eps), e = fabs(e_num - ga[k]) / scale;
                if (e < err) {
                    err = e;
                    num = e_num;
                }
            }
            if (getenv("BEV_GC_VERBOSE") && err > 1e-2)
                printf("  %s[%zu]: numeric %.6g analytic %.6g (scale %.3g)\n", t->name, k, num, ga[k], scale);
            if (err > worst) {
                worst = err;
                worst_name = t->name;
            }
        }
    }
    printf("bevnet gradient check: worst relative error %.2e (%s)\n", worst, worst_name);
    assert_true(worst < 2e-2);
    cm_free(grad);
    free(rgb);
    free(tgt);
    cm_bevnet_state_free(g.s);
    cm_bevnet_free(g.m);
}

/* Backward puts grad_scale x the batch statistics in the running-statistic
 * slots; update_running moves the running statistics by momentum and clears
 * the slots; gradients scale with grad_scale. */
static void test_running_stats(void **state)
{
    (void)state;
    cm_bevnet_config c = tiny();
    cm_bevnet *m;
    cm_bevnet_state *s;
    assert_int_equal(cm_bevnet_create(&c, 2, &m), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, 2, 1, &s), CM_OK);
    cm_params *p = cm_bevnet_params(m);
    uint8_t *rgb = random_bytes(2 * 32 * 32 * 3, 1), *tgt = random_bytes(2 * 6 * 6 * 4, 2);
    float *g1 = cm_calloc(p->total, sizeof(float)), *g2 = cm_calloc(p->total, sizeof(float));
    cm_rng r;
    cm_rng_seed(&r, 1, 0);
    cm_bevnet_batch b = {2, rgb, tgt, 1.0f};
    assert_int_equal(cm_bevnet_forward(m, s, &b, &r, NULL), CM_OK);
    assert_int_equal(cm_bevnet_backward(m, s, g1), CM_OK);
    b.grad_scale = 0.25f;
    cm_rng_seed(&r, 1, 0);
    assert_int_equal(cm_bevnet_forward(m, s, &b, &r, NULL), CM_OK);
    assert_int_equal(cm_bevnet_backward(m, s, g2), CM_OK);
    for (size_t k = 0; k < p->total; k++)
        assert_true(fabsf(g2[k] - 0.25f * g1[k]) <= 1e-6f * (1.0f + fabsf(g1[k])));
    int rv = cm_params_find(p, "encoder.features.1.running_var");
    assert_true(cm_bevnet_is_running_stat(m, rv));
    float batch_var = g1[p->tensors[rv].offset];
    assert_true(batch_var > 0.0f);
    cm_bevnet_update_running(m, g1);
    assert_float_equal(cm_params_data(p, rv)[0], 0.9f + 0.1f * batch_var, 1e-6);
    assert_float_equal(g1[p->tensors[rv].offset], 0.0f, 0.0);
    /* An inference state has no backward; no backward without a target. */
    cm_bevnet_state *si;
    assert_int_equal(cm_bevnet_state_create(m, 2, 0, &si), CM_OK);
    assert_true(cm_bevnet_state_bytes(si) < cm_bevnet_state_bytes(s));
    assert_int_equal(cm_bevnet_forward(m, si, &b, NULL, NULL), CM_OK);
    assert_int_equal(cm_bevnet_backward(m, si, g1), CM_ERR_ARG);
    b.target = NULL;
    assert_int_equal(cm_bevnet_forward(m, s, &b, NULL, NULL), CM_OK);
    assert_int_equal(cm_bevnet_backward(m, s, g1), CM_ERR_ARG);
    b.n = 3;
    assert_int_equal(cm_bevnet_forward(m, s, &b, NULL, NULL), CM_ERR_ARG);
    cm_bevnet_state_free(si);
    cm_free(g1);
    cm_free(g2);
    free(rgb);
    free(tgt);
    cm_bevnet_state_free(s);
    cm_bevnet_free(m);
}

/* The model can learn opacity: a few dozen Adam steps on 2 fixed frames
 * whose targets are opaque on different halves drive the evaluation-mode
 * alpha above 0.5 exactly where each target is opaque. (A sign, scale or
 * layout error between the alpha head, the loss and the target would leave
 * it below 0.5 everywhere, as the mean of a ~5% opaque target does.) */
static void test_overfit_alpha(void **state)
{
    (void)state;
    cm_bevnet_config c = tiny();
    const int O = c.out, P = O * O;
    cm_bevnet *m;
    cm_bevnet_state *s, *se;
    assert_int_equal(cm_bevnet_create(&c, 3, &m), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, 2, 1, &s), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, 2, 0, &se), CM_OK);
    cm_params *p = cm_bevnet_params(m);
    uint8_t *rgb = random_bytes(2 * 32 * 32 * 3, 7), *tgt = random_bytes(2 * (size_t)P * 4, 8);
    for (int b = 0; b < 2; b++)
        for (int i = 0; i < P; i++) /* frame 0: left half opaque; frame 1: right half */
            tgt[((size_t)b * P + i) * 4 + 3] = ((i % O < O / 2) == (b == 0)) ? 255 : 0;
    float *g = cm_calloc(p->total, sizeof(float)), *pred = cm_calloc(2 * 4 * (size_t)P, sizeof(float));
    cm_optim o;
    cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
    oc.lr = 3e-3;
    assert_int_equal(cm_optim_init(&o, &oc, p->total), CM_OK);
    cm_rng r;
    cm_rng_seed(&r, 1, 0);
    cm_bevnet_batch b = {2, rgb, tgt, 1.0f};
    double first = 0, loss = 0;
    for (int k = 0; k < 60; k++) {
        memset(g, 0, p->total * sizeof(float));
        assert_int_equal(cm_bevnet_forward(m, s, &b, &r, &loss), CM_OK);
        if (k == 0)
            first = loss;
        assert_int_equal(cm_bevnet_backward(m, s, g), CM_OK);
        cm_bevnet_update_running(m, g);
        cm_optim_step(&o, p->params, g);
    }
    assert_true(loss < 0.5 * first);
    assert_int_equal(cm_bevnet_predict(m, se, rgb, 2, pred), CM_OK);
    for (int f = 0; f < 2; f++)
        for (int i = 0; i < P; i++) {
            const float a = pred[(size_t)f * 4 * P + 3 * (size_t)P + i];
            if (tgt[((size_t)f * P + i) * 4 + 3])
                assert_true(a > 0.5f);
            else
                assert_true(a < 0.5f);
        }
    cm_optim_free(&o);
    cm_free(g);
    cm_free(pred);
    free(rgb);
    free(tgt);
    cm_bevnet_state_free(s);
    cm_bevnet_state_free(se);
    cm_bevnet_free(m);
}

/* predict in chunks of the state's batch = one evaluation forward over all. */
static void test_predict_chunks(void **state)
{
    (void)state;
    cm_bevnet_config c = tiny();
    cm_bevnet *m;
    cm_bevnet_state *s2, *s5;
    assert_int_equal(cm_bevnet_create(&c, 4, &m), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, 2, 0, &s2), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, 5, 0, &s5), CM_OK);
    uint8_t *rgb = random_bytes(5 * 32 * 32 * 3, 9);
    const size_t per = 4 * 6 * 6;
    float *a = malloc(5 * per * sizeof(float)), *b = malloc(5 * per * sizeof(float));
    assert_int_equal(cm_bevnet_predict(m, s2, rgb, 5, a), CM_OK);
    assert_int_equal(cm_bevnet_predict(m, s5, rgb, 5, b), CM_OK);
    assert_true(cmt_max_abs_diff(a, b, 5 * per) < 1e-5);
    for (size_t i = 0; i < 5 * per; i++)
        assert_true(a[i] >= 0.0f && a[i] <= 1.0f);
    free(a);
    free(b);
    free(rgb);
    cm_bevnet_state_free(s2);
    cm_bevnet_state_free(s5);
    cm_bevnet_free(m);
}

/* Every 1-D tensor moved off its initial value (biases, BatchNorm and
 * LayerNorm affine parameters and running statistics), so that a bias or a
 * folded BatchNorm the inference path dropped or misplaced shows. */
static void perturb_vectors(cm_bevnet *m, uint64_t seed)
{
    cm_params *p = cm_bevnet_params(m);
    cm_rng r;
    cm_rng_seed(&r, seed, 0);
    for (int i = 0; i < p->count; i++) {
        if (p->tensors[i].ndim != 1)
            continue;
        float *v = cm_params_data(p, i);
        const int var = strstr(p->tensors[i].name, "running_var") != NULL;
        for (size_t k = 0; k < p->tensors[i].count; k++)
            v[k] = var ? 0.5f + 1.5f * cm_rng_float(&r) : v[k] + 0.4f * (cm_rng_float(&r) - 0.5f);
    }
}

/* An inference state's forward (the inference path, bevnet_infer.c) against
 * a training state's evaluation-mode forward (the reference layers): the
 * tiny configuration (resized head), bev-small (2 of 3 frames: a state
 * larger than the batch) and the full bev preset (its column matrices in
 * chunks of one image). Same function, other rounding: predictions within
 * 1e-5 absolute (they are probabilities; measured 1.2e-7), losses within
 * 1e-5 relative. The inference path's bits do not depend on the thread count
 * (on the AVX-512 kernels). */
static void check_infer(const cm_bevnet_config *c, int batch, int n, uint64_t seed)
{
    cm_bevnet *m;
    cm_bevnet_state *sr, *si;
    assert_int_equal(cm_bevnet_create(c, seed, &m), CM_OK);
    perturb_vectors(m, seed + 1);
    assert_int_equal(cm_bevnet_state_create(m, batch, 1, &sr), CM_OK);
    assert_int_equal(cm_bevnet_state_create(m, batch, 0, &si), CM_OK);
    assert_true(cm_bevnet_state_bytes(si) < cm_bevnet_state_bytes(sr));
    const size_t in = (size_t)c->image * c->image * 3, on = (size_t)c->out * c->out * 4;
    uint8_t *rgb = random_bytes(n * in, seed + 2), *tgt = random_bytes(n * on, seed + 3);
    cm_bevnet_batch b = {n, rgb, tgt, 1.0f};
    double lr = 0, li = 0;
    assert_int_equal(cm_bevnet_forward(m, sr, &b, NULL, &lr), CM_OK);
    const int threads = cm_threads();
    cm_set_threads(1);
    assert_int_equal(cm_bevnet_forward(m, si, &b, NULL, &li), CM_OK);
    const size_t outn = (size_t)n * on;
    float *one = malloc(outn * sizeof(float));
    memcpy(one, cm_bevnet_output(si), outn * sizeof(float));
    cm_set_threads(2);
    assert_int_equal(cm_bevnet_forward(m, si, &b, NULL, &li), CM_OK);
    cm_set_threads(threads);
#if defined(__AVX512F__) /* a portable build's cm_sgemm is BLAS's, whose threads may sum in another order */
    assert_memory_equal(one, cm_bevnet_output(si), outn * sizeof(float));
#endif
    const double diff = cmt_max_abs_diff(cm_bevnet_output(sr), cm_bevnet_output(si), outn);
    float lo = 1.0f, hi = 0.0f;
    for (size_t k = 0; k < outn; k++) {
        lo = fminf(lo, one[k]);
        hi = fmaxf(hi, one[k]);
    }
    print_message("bev inference path vs reference (%s, %d frames): max |diff| %.3g, loss %.9g vs %.9g, range %g\n",
                  c->preset, n, diff, li, lr, (double)(hi - lo));
    assert_true(diff < 1e-5);
    assert_true(fabs(li - lr) <= 1e-5 * fabs(lr));
    assert_true(hi - lo > 0.01f); /* something to compare: the prediction is not constant */
    /* an inference state has no training mode */
    cm_rng r;
    cm_rng_seed(&r, 1, 0);
    assert_int_equal(cm_bevnet_forward(m, si, &b, &r, NULL), CM_ERR_ARG);
    free(one);
    free(rgb);
    free(tgt);
    cm_bevnet_state_free(sr);
    cm_bevnet_state_free(si);
    cm_bevnet_free(m);
}

static void test_infer_matches_reference(void **state)
{
    (void)state;
    cm_bevnet_config c = tiny();
    check_infer(&c, 2, 2, 11);
    assert_int_equal(cm_bevnet_preset("bev-small", &c), CM_OK);
    check_infer(&c, 3, 2, 12);
    assert_int_equal(cm_bevnet_preset("bev", &c), CM_OK);
    check_infer(&c, 2, 2, 13);
}

/* --------------------------------------------------------------- on disk */

/* Writes the model's tensors (optionally renamed / extended) as a state dict. */
static void write_state_dict(const char *path, const cm_bevnet *mc, const char *prefix, const char *drop,
                             const char *extra, int with_pytorch_buffers)
{
    cm_bevnet *m = (cm_bevnet *)mc;
    cm_params *p = cm_bevnet_params(m);
    cm_array *arr = calloc((size_t)p->count + 4, sizeof *arr);
    char (*names)[128] = calloc((size_t)p->count + 4, sizeof *names);
    int n = 0;
    static float pe[10 * 1 * 8], nbt[1] = {3.0f}, junk[4];
    for (int i = 0; i < p->count; i++) {
        if (drop && strcmp(p->tensors[i].name, drop) == 0)
            continue;
        snprintf(names[n], sizeof names[n], "%s%s", prefix, p->tensors[i].name);
        arr[n] = cm_array_view(names[n], CM_F32, p->tensors[i].ndim, p->tensors[i].shape, cm_params_data(p, i));
        n++;
    }
    if (with_pytorch_buffers) {
        const int64_t pes[3] = {10, 1, 8}, one[1] = {1};
        snprintf(names[n], sizeof names[n], "%sencoder.pos_encoder.pe", prefix);
        arr[n] = cm_array_view(names[n], CM_F32, 3, pes, pe);
        n++;
        snprintf(names[n], sizeof names[n], "%sdecoder.decoder.1.num_batches_tracked", prefix);
        arr[n] = cm_array_view(names[n], CM_F32, 1, one, nbt);
        n++;
    }
    if (extra) {
        const int64_t four[1] = {4};
        snprintf(names[n], sizeof names[n], "%s", extra);
        arr[n] = cm_array_view(names[n], CM_F32, 1, four, junk);
        n++;
    }
    assert_int_equal(cm_safetensors_write(path, arr, n, NULL, NULL, 0), CM_OK);
    free(arr);
    free(names);
}

static void test_checkpoints(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char ck[512], file[600];
    snprintf(ck, sizeof ck, "%s/ck", dir);
    cm_bevnet_config c = tiny();
    cm_bevnet *m, *back;
    assert_int_equal(cm_bevnet_create(&c, 21, &m), CM_OK);
    assert_int_equal(cm_bevnet_save(m, ck), CM_OK);
    assert_int_equal(cm_bevnet_load(ck, &back), CM_OK);
    cm_params *p = cm_bevnet_params(m), *q = cm_bevnet_params(back);
    assert_int_equal(p->total, q->total);
    assert_memory_equal(p->params, q->params, p->total * sizeof(float));
    assert_memory_equal(cm_bevnet_get_config(m), cm_bevnet_get_config(back), sizeof c);
    cm_bevnet_free(back);

    /* A run folder loads its newest checkpoint. */
    char run[600];
    snprintf(run, sizeof run, "%s/run/checkpoints/step_20", dir);
    assert_int_equal(cm_bevnet_save(m, run), CM_OK);
    snprintf(run, sizeof run, "%s/run", dir);
    assert_int_equal(cm_bevnet_load(run, &back), CM_OK);
    cm_bevnet_free(back);
    snprintf(run, sizeof run, "%s/empty", dir);
    assert_int_equal(cm_bevnet_load(run, &back), CM_ERR_IO);

    cm_bevnet *fresh;
    assert_int_equal(cm_bevnet_create(&c, 99, &fresh), CM_OK);
    /* PyTorch's own state dict: "model." prefix, pe and num_batches_tracked buffers. */
    snprintf(file, sizeof file, "%s/pytorch.safetensors", dir);
    write_state_dict(file, m, "model.", NULL, NULL, 1);
    assert_int_equal(cm_bevnet_load_state_dict(fresh, file), CM_OK);
    assert_memory_equal(cm_bevnet_params(fresh)->params, p->params, p->total * sizeof(float));

    /* Other architectures: a missing tensor, an unknown one, another shape.
     * Nothing is loaded on failure. */
    cm_bevnet *other;
    assert_int_equal(cm_bevnet_create(&c, 5, &other), CM_OK);
    float *before = malloc(p->total * sizeof(float));
    memcpy(before, cm_bevnet_params(other)->params, p->total * sizeof(float));
    write_state_dict(file, m, "", "decoder.initial_proj.bias", NULL, 0);
    assert_int_equal(cm_bevnet_load_state_dict(other, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "decoder.initial_proj.bias: missing"));
    assert_non_null(strstr(cm_errmsg(), file));
    write_state_dict(file, m, "", NULL, "decoder.extra_head.weight", 0);
    assert_int_equal(cm_bevnet_load_state_dict(other, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "decoder.extra_head.weight: not a tensor"));
    cm_bevnet_config wide = c;
    assert_int_equal(cm_bevnet_config_set(&wide, "ff=12"), CM_OK);
    cm_bevnet *mw;
    assert_int_equal(cm_bevnet_create(&wide, 1, &mw), CM_OK);
    write_state_dict(file, mw, "", NULL, NULL, 0);
    assert_int_equal(cm_bevnet_load_state_dict(other, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "encoder.transformer.layers.0.linear1.weight: expected shape [10, 8]"));
    assert_memory_equal(cm_bevnet_params(other)->params, before, p->total * sizeof(float));
    free(before);
    cm_bevnet_free(mw);
    cm_bevnet_free(other);
    cm_bevnet_free(fresh);
    cm_bevnet_free(m);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),          cmocka_unit_test(test_config),
        cmocka_unit_test(test_gradients),        cmocka_unit_test(test_running_stats),
        cmocka_unit_test(test_overfit_alpha),
        cmocka_unit_test(test_predict_chunks),   cmocka_unit_test(test_checkpoints),
        cmocka_unit_test(test_infer_matches_reference),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
