/* The target detector (detector.h): presets and parameter count, gradient
 * check of the whole model at tiny size, BatchNorm running statistics,
 * evaluation mode, checkpoints and foreign state dicts, average precision
 * against a hand computation, bad input. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/detector.h"
#include "cogmap/io.h"

static void test_presets(void **state)
{
    (void)state;
    cm_detector_config c;
    assert_int_equal(cm_detector_preset("detector", &c), CM_OK);
    cm_detector *m;
    assert_int_equal(cm_detector_create(&c, 1, &m), CM_OK);
    /* ssm-pc.md §7: 2,901,550 parameters; 125 state-dict entries with the 20 BN counters */
    assert_int_equal((long)cm_detector_n_trainable(m), 2901550L);
    const cm_params *p = cm_detector_params(m);
    int bn = 0;
    for (int i = 0; i < p->count; i++)
        bn += strstr(p->tensors[i].name, "running_mean") != NULL;
    assert_int_equal(p->count + bn, 125);
    struct {
        const char *name;
        int ndim;
        int64_t shape[4];
    } want[] = {
        {"feature_extractor.backbone.0.weight", 4, {64, 3, 7, 7}},
        {"feature_extractor.backbone.1.running_var", 1, {64}},
        {"feature_extractor.backbone.4.1.conv2.weight", 4, {64, 64, 3, 3}},
        {"feature_extractor.backbone.5.0.downsample.0.weight", 4, {128, 64, 1, 1}},
        {"feature_extractor.backbone.6.1.bn2.bias", 1, {256}},
        {"feature_extractor.spatial_conv.3.weight", 4, {64, 128, 3, 3}},
        {"position_predictor.shared_attention.3.bias", 1, {6}},
        {"position_predictor.position_decoder.4.weight", 2, {2, 64}},
        {"visibility_predictor.0.weight", 2, {64, 66}},
        {"visibility_predictor.1.bias", 1, {64}},
    };
    for (size_t k = 0; k < sizeof want / sizeof *want; k++) {
        int i = cm_params_find(p, want[k].name);
        if (i < 0)
            fail_msg("missing %s", want[k].name);
        assert_int_equal(p->tensors[i].ndim, want[k].ndim);
        for (int d = 0; d < want[k].ndim; d++)
            assert_int_equal(p->tensors[i].shape[d], want[k].shape[d]);
    }
    assert_int_equal(cm_params_find(p, "feature_extractor.backbone.4.0.downsample.0.weight"), -1);
    /* fresh BN: weight 1, running variance 1 */
    assert_true(cm_params_data(p, cm_params_find(p, "feature_extractor.backbone.1.weight"))[5] == 1.0f);
    cm_detector_free(m);
    assert_int_equal(cm_detector_preset("detector-small", &c), CM_OK);
    assert_int_equal(cm_detector_create(&c, 1, &m), CM_OK);
    print_message("detector-small: %zu parameters\n", cm_detector_n_trainable(m));
    assert_true(cm_detector_n_trainable(m) < 300000);
    cm_detector_free(m);
    /* bad settings name their field */
    assert_int_equal(cm_detector_preset("resnet", &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "detector-small"));
    assert_int_equal(cm_detector_preset("detector", &c), CM_OK);
    assert_int_equal(cm_detector_config_set(&c, "width=3"), CM_OK);
    assert_int_equal(cm_detector_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "width"));
    assert_int_equal(cm_detector_config_set(&c, "dropout=1"), CM_OK);
    c.width = 8;
    assert_int_equal(cm_detector_create(&c, 1, &m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "dropout"));
    assert_int_equal(cm_detector_config_set(&c, "colour=red"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "colour"));
    assert_int_equal(cm_detector_config_set(&c, "lr=fast"), CM_ERR_ARG);
    assert_int_equal(cm_detector_config_set(&c, "blocks"), CM_ERR_ARG);
    /* config_list replays exactly */
    cm_detector_config a, b;
    assert_int_equal(cm_detector_preset("detector-small", &a), CM_OK);
    a.lr = 1.0 / 3.0, a.dropout = 0.123456789f;
    char kv[32][64];
    int n = cm_detector_config_list(&a, kv, 32);
    assert_int_equal(cm_detector_preset("detector-small", &b), CM_OK);
    for (int i = 0; i < n; i++)
        assert_int_equal(cm_detector_config_set(&b, kv[i]), CM_OK);
    assert_memory_equal(&a, &b, sizeof a);
}

/* ------------------------------------------------------------ gradient check */

typedef struct gc {
    cm_detector *m;
    cm_detector_state *s;
    cm_detector_batch b;
} gc;

static double gc_loss(void *ctx)
{
    gc *g = ctx;
    cm_rng rng;
    cm_rng_seed(&rng, 77, 1); /* the same dropout masks every time */
    double l;
    assert_int_equal(cm_detector_forward(g->m, g->s, &g->b, &rng, &l), CM_OK);
    return l;
}

static void make_batch(int B, int K, uint64_t seed, float *img, float *ang, float *vis, float *pos)
{
    cmt_randn(img, (size_t)B * 3 * 64 * 64, 1.0f, seed);
    cm_rng r;
    cm_rng_seed(&r, seed, 9);
    for (int b = 0; b < B; b++) {
        double t = cm_rng_uniform(&r, -M_PI, M_PI);
        ang[2 * b] = (float)cos(t), ang[2 * b + 1] = (float)sin(t);
        for (int k = 0; k < K; k++) {
            vis[b * K + k] = (b + k) % 2 ? 1.0f : 0.0f;
            pos[2 * (b * K + k)] = (float)cm_rng_uniform(&r, -1, 1);
            pos[2 * (b * K + k) + 1] = (float)cm_rng_uniform(&r, -1, 1);
        }
    }
}

static void test_gradcheck(void **state)
{
    (void)state;
    cm_detector_config c;
    assert_int_equal(cm_detector_preset("detector-small", &c), CM_OK);
    c.width = 4, c.blocks = 1, c.objects = 3, c.hidden = 5;
    const int B = 3, K = c.objects;
    gc g;
    assert_int_equal(cm_detector_create(&c, 5, &g.m), CM_OK);
    assert_int_equal(cm_detector_state_create(g.m, B, &g.s), CM_OK);
    float *img = cm_alloc(B * 3 * 64 * 64 * sizeof(float)), ang[6], vis[9], pos[18];
    make_batch(B, K, 3, img, ang, vis, pos);
    g.b = (cm_detector_batch){B, img, ang, vis, pos, 1.0f};
    cm_params *p = cm_detector_params(g.m);
    float *grad = cm_calloc(p->total, sizeof(float));
    gc_loss(&g);
    assert_int_equal(cm_detector_backward(g.m, g.s, grad), CM_OK);
    double terms[3];
    cm_detector_loss_terms(g.s, terms);
    print_message("loss terms %.4f %.4f %.4f\n", terms[0], terms[1], terms[2]);
    assert_true(terms[1] > 0.0 && terms[2] > 0.0);
    double worst = 0.0;
    const char *worst_name = "";
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        if (strstr(t->name, "running_"))
            continue; /* batch statistics ride there, not gradients */
        double e = cmt_gradcheck(p->params + t->offset, grad + t->offset, t->count, gc_loss, &g, 2e-3f, 5);
        if (e > worst)
            worst = e, worst_name = t->name;
    }
    print_message("gradient check: worst error %.3g (%s)\n", worst, worst_name);
    assert_true(worst < 2e-2);
    /* grad_scale scales the gradient */
    float *g3 = cm_calloc(p->total, sizeof(float));
    g.b.grad_scale = 0.25f;
    gc_loss(&g);
    assert_int_equal(cm_detector_backward(g.m, g.s, g3), CM_OK);
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        for (size_t k = 0; k < t->count; k += 3)
            assert_true(fabsf(g3[t->offset + k] - 0.25f * grad[t->offset + k]) <=
                        1e-5f * (1.0f + fabsf(grad[t->offset + k])));
    }
    g.b.grad_scale = 1.0f;
    cm_free(g3);
    /* accumulation: a second backward adds the same again */
    float *g2 = cm_calloc(p->total, sizeof(float));
    gc_loss(&g);
    assert_int_equal(cm_detector_backward(g.m, g.s, g2), CM_OK);
    assert_int_equal(cm_detector_backward(g.m, g.s, g2), CM_OK);
    for (size_t k = 0; k < p->total; k += 7)
        assert_true(fabsf(g2[k] - 2.0f * grad[k]) <= 1e-5f * (1.0f + fabsf(grad[k])));
    cm_free(g2);
    cm_free(grad);
    cm_free(img);
    cm_detector_state_free(g.s);
    cm_detector_free(g.m);
}

static void test_running_stats_and_eval(void **state)
{
    (void)state;
    cm_detector_config c;
    assert_int_equal(cm_detector_preset("detector-small", &c), CM_OK);
    c.width = 4, c.blocks = 1, c.objects = 2, c.hidden = 4;
    cm_detector *m;
    cm_detector_state *s;
    assert_int_equal(cm_detector_create(&c, 2, &m), CM_OK);
    assert_int_equal(cm_detector_state_create(m, 4, &s), CM_OK);
    float *img = cm_alloc(4 * 3 * 64 * 64 * sizeof(float)), ang[8], vis[8], pos[16];
    make_batch(4, 2, 8, img, ang, vis, pos);
    cm_detector_batch b = {4, img, ang, vis, pos, 1.0f};
    cm_params *p = cm_detector_params(m);
    float *grad = cm_calloc(p->total, sizeof(float));
    /* an evaluation forward cannot be differentiated, nor update statistics */
    double l0, l1;
    assert_int_equal(cm_detector_forward(m, s, &b, NULL, &l0), CM_OK);
    assert_int_equal(cm_detector_backward(m, s, grad), CM_ERR_ARG);
    /* evaluation is deterministic and does not touch the model */
    float *before = cm_alloc(p->total * sizeof(float));
    memcpy(before, p->params, p->total * sizeof(float));
    assert_int_equal(cm_detector_forward(m, s, &b, NULL, &l1), CM_OK);
    assert_true(l0 == l1);
    cm_rng rng;
    cm_rng_seed(&rng, 1, 1);
    assert_int_equal(cm_detector_forward(m, s, &b, &rng, &l1), CM_OK);
    assert_memory_equal(before, p->params, p->total * sizeof(float));
    /* the running statistics move by momentum toward the batch's (unbiased variance), carried
     * in their gradient slots; two half-weighted shards of one batch carry its statistics */
    int rm = cm_params_find(p, "feature_extractor.backbone.1.running_mean");
    int rv = cm_params_find(p, "feature_extractor.backbone.1.running_var");
    assert_int_equal(cm_detector_backward(m, s, grad), CM_OK);
    const float *gm = grad + p->tensors[rm].offset, *gv = grad + p->tensors[rv].offset;
    float bm = gm[0], bv = gv[0];
    cm_detector_update_running(m, grad);
    const float *mean = cm_params_data(p, rm), *var = cm_params_data(p, rv);
    assert_true(fabsf(mean[0] - 0.1f * bm) < 1e-6f && fabsf(var[0] - (0.9f + 0.1f * bv)) < 1e-5f);
    assert_true(gm[0] == 0.0f && gv[0] == 0.0f);
    /* inference without targets: no loss, outputs in range */
    cm_detector_batch inf = {2, img, ang, NULL, NULL, 1.0f};
    assert_int_equal(cm_detector_forward(m, s, &inf, NULL, &l1), CM_OK);
    assert_true(isnan(l1));
    const float *v = cm_detector_visibility(s), *a = cm_detector_attention(s);
    for (int i = 0; i < 4; i++)
        assert_true(v[i] > 0.0f && v[i] < 1.0f);
    float sum = 0.0f;
    for (int h = 0; h < 16; h++)
        sum += a[h];
    assert_true(fabsf(sum - 1.0f) < 1e-5f);
    /* placing undoes the product with the visibility: place x v is the position output */
    const float *po = cm_detector_positions(s);
    for (int f = 0; f < 2; f++)
        for (int k = 0; k < 2; k++) {
            float xy[2];
            cm_detector_place(m, s, f, k, xy);
            for (int d = 0; d < 2; d++)
                assert_true(fabsf(xy[d] * v[f * 2 + k] - po[2 * (f * 2 + k) + d]) <=
                            1e-6f * (1.0f + fabsf(po[2 * (f * 2 + k) + d])));
            assert_true(fabsf(xy[0]) + fabsf(xy[1]) >= fabsf(po[4 * f + 2 * k]) + fabsf(po[4 * f + 2 * k + 1]));
        }
    /* bad input */
    cm_detector_batch big = {5, img, ang, vis, pos, 1.0f};
    assert_int_equal(cm_detector_forward(m, s, &big, NULL, NULL), CM_ERR_ARG);
    cm_detector_batch one = {1, img, ang, vis, pos, 1.0f};
    assert_int_equal(cm_detector_forward(m, s, &one, &rng, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "BatchNorm"));
    cm_detector_batch none = {2, NULL, ang, vis, pos, 1.0f};
    assert_int_equal(cm_detector_forward(m, s, &none, NULL, NULL), CM_ERR_ARG);
    cm_detector_state *bad;
    assert_int_equal(cm_detector_state_create(m, 0, &bad), CM_ERR_ARG);
    cm_free(before);
    cm_free(grad);
    cm_free(img);
    cm_detector_state_free(s);
    cm_detector_free(m);
}

static void test_checkpoints(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    cm_detector_config c;
    assert_int_equal(cm_detector_preset("detector-small", &c), CM_OK);
    c.width = 8, c.hidden = 6;
    cm_detector *m, *back;
    assert_int_equal(cm_detector_create(&c, 3, &m), CM_OK);
    char sub[4096];
    snprintf(sub, sizeof sub, "%s/ck", dir);
    assert_int_equal(cm_detector_save(m, sub), CM_OK);
    assert_int_equal(cm_detector_load(sub, &back), CM_OK);
    assert_memory_equal(cm_detector_get_config(back), &c, sizeof c);
    const cm_params *a = cm_detector_params(m), *b = cm_detector_params(back);
    assert_int_equal((long)a->total, (long)b->total);
    assert_memory_equal(a->params, b->params, a->total * sizeof(float));
    /* a state dict with PyTorch's BN counters loads; a foreign tensor or shape is named */
    char file[4096];
    snprintf(file, sizeof file, "%s/ck/model.safetensors", dir);
    cm_safetensors f;
    assert_int_equal(cm_safetensors_read(file, &f), CM_OK);
    cm_array *t = cm_calloc((size_t)f.count + 1, sizeof *t);
    for (int i = 0; i < f.count; i++)
        t[i] = cm_array_view(f.tensors[i].name, f.tensors[i].dtype, f.tensors[i].ndim, f.tensors[i].shape,
                             f.tensors[i].data);
    int64_t zero = 0, one = 1;
    t[f.count] = cm_array_view("feature_extractor.backbone.1.num_batches_tracked", CM_I64, 0, &one, &zero);
    snprintf(file, sizeof file, "%s/torch.safetensors", dir);
    assert_int_equal(cm_safetensors_write(file, t, f.count + 1, NULL, NULL, 0), CM_OK);
    assert_int_equal(cm_detector_load_weights(back, file), CM_OK);
    t[f.count] = cm_array_view("feature_extractor.fc.weight", CM_F32, 1, &one, &one);
    assert_int_equal(cm_safetensors_write(file, t, f.count + 1, NULL, NULL, 0), CM_OK);
    assert_int_equal(cm_detector_load_weights(back, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "feature_extractor.fc.weight"));
    /* the full preset's file does not fit the small model: the first tensor named */
    int j = 0;
    for (; j < f.count && strcmp(t[j].name, "visibility_predictor.0.weight"); j++)
        ;
    assert_true(j < f.count);
    int64_t wrong[2] = {10, 6}; /* the right count, transposed */
    t[j] = cm_array_view("visibility_predictor.0.weight", CM_F32, 2, wrong, f.tensors[j].data);
    assert_int_equal(cm_safetensors_write(file, t, f.count, NULL, NULL, 0), CM_OK);
    memcpy(b->params, a->params, a->total * sizeof(float));
    b->params[0] += 1.0f;
    assert_int_equal(cm_detector_load_weights(back, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "visibility_predictor.0.weight"));
    assert_true(b->params[0] == a->params[0] + 1.0f); /* nothing loaded */
    cm_free(t);
    cm_safetensors_free(&f);
    /* a .pth handed over is named as one */
    uint8_t zip[48] = {'P', 'K', 3, 4};
    zip[26] = 12;
    memcpy(zip + 30, "run/data.pkl", 12);
    FILE *fp = fopen(file, "wb");
    fwrite(zip, 1, sizeof zip, fp);
    fclose(fp);
    assert_int_equal(cm_detector_load_weights(back, file), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "scripts/pth-to-safetensors"));
    cm_detector_free(back);
    cm_detector_free(m);
    cmt_tmpdir_remove(dir);
}

/* The F1-best threshold on the example of test_average_precision below:
 * firing at >= 0.9, 0.8, 0.7, 0.3, 0.1 gives F1 = 2tp / (tp + fp + 3) = 1/2,
 * 2/5, 4/7, 3/4, 2/3; the best fires down to 0.3, so t lies midway to 0.1. */
static void test_threshold_f1(void **state)
{
    (void)state;
    const float s[6] = {0.9f, 0.8f, 0.7f, 0.7f, 0.3f, 0.1f}, y[6] = {1, 0, 1, 0, 1, 0};
    double f1, p, r;
    double t = cm_detector_threshold_f1(s, y, 6, &f1);
    assert_true(fabs(t - 0.5 * ((double)0.3f + (double)0.1f)) < 1e-12);
    assert_true(fabs(f1 - 0.75) < 1e-12);
    cm_detector_precision_recall(s, y, 6, t, &p, &r);
    assert_true(fabs(p - 0.6) < 1e-12 && r == 1.0);
    /* "> 0.7": 0.7f is below 0.7, so only 0.9 and 0.8 fire */
    cm_detector_precision_recall(s, y, 6, 0.7, &p, &r);
    assert_true(fabs(p - 0.5) < 1e-12 && fabs(r - 1.0 / 3.0) < 1e-12);
    /* nothing fires: precision undefined; best when all fire: below the lowest score */
    cm_detector_precision_recall(s, y, 6, 0.95, &p, &r);
    assert_true(isnan(p) && r == 0.0);
    const float s2[2] = {0.2f, 0.1f}, y2[2] = {1, 1};
    t = cm_detector_threshold_f1(s2, y2, 2, &f1);
    assert_true(t < 0.1 && f1 == 1.0);
    /* no positive label, or nothing scored: NaN */
    const float y0[2] = {0, 0};
    assert_true(isnan(cm_detector_threshold_f1(s2, y0, 2, &f1)) && isnan(f1));
    assert_true(isnan(cm_detector_threshold_f1(s2, y2, 0, &f1)));
}

static void test_average_precision(void **state)
{
    (void)state;
    /* By hand: scores 0.9 (1), 0.8 (0), 0.7 (1), 0.7 (0), 0.3 (1), 0.1 (0); three positives.
     * Thresholds (distinct scores, descending):
     *   0.9: tp 1 fp 0 -> P 1,   R 1/3
     *   0.8: tp 1 fp 1 -> P 1/2, R 1/3   (no recall step: contributes 0)
     *   0.7: tp 2 fp 2 -> P 1/2, R 2/3   (the tie counts as one threshold)
     *   0.3: tp 3 fp 2 -> P 3/5, R 1
     *   0.1: tp 3 fp 3 -> P 1/2, R 1
     * AP = 1/3 * 1 + 1/3 * 1/2 + 1/3 * 3/5 = 0.7 (scikit-learn 1.2 gives 0.7). */
    const float s[6] = {0.9f, 0.8f, 0.7f, 0.7f, 0.3f, 0.1f}, y[6] = {1, 0, 1, 0, 1, 0};
    assert_true(fabs(cm_average_precision(s, y, 6) - 0.7) < 1e-12);
    /* order does not matter */
    const float s2[6] = {0.1f, 0.7f, 0.3f, 0.9f, 0.7f, 0.8f}, y2[6] = {0, 0, 1, 1, 1, 0};
    assert_true(fabs(cm_average_precision(s2, y2, 6) - 0.7) < 1e-12);
    /* perfect ranking 1; all tied = the positive rate; no positive: NaN */
    const float s3[4] = {0.9f, 0.8f, 0.2f, 0.1f}, y3[4] = {1, 1, 0, 0};
    assert_true(cm_average_precision(s3, y3, 4) == 1.0);
    const float s4[4] = {0.5f, 0.5f, 0.5f, 0.5f};
    assert_true(fabs(cm_average_precision(s4, y3, 4) - 0.5) < 1e-12);
    const float y0[4] = {0, 0, 0, 0};
    assert_true(isnan(cm_average_precision(s3, y0, 4)));
    assert_true(isnan(cm_average_precision(s3, y3, 0)));
    /* against scikit-learn, when it is installed */
    const char *py = cmt_python_with("numpy sklearn");
    if (py) {
        const char *dir = cmt_tmpdir();
        FILE *f = cmt_python_output(py, dir,
                                    "import sys, numpy as np\n"
                                    "from sklearn.metrics import average_precision_score\n"
                                    "r = np.random.RandomState(3)\n"
                                    "y = (r.rand(500) < 0.3).astype(np.float32)\n"
                                    "s = np.round(r.rand(500) * 20 + 5 * y).astype(np.float32) / 25\n"
                                    "out = open(sys.argv[1], 'w')\n"
                                    "out.write('%.17g\\n' % average_precision_score(y, s))\n"
                                    "for a, b in zip(s, y): out.write('%.9g %g\\n' % (a, b))\n");
        double want;
        assert_int_equal(fscanf(f, "%lf", &want), 1);
        float sc[500], lab[500];
        for (int i = 0; i < 500; i++)
            assert_int_equal(fscanf(f, "%f %f", &sc[i], &lab[i]), 2);
        fclose(f);
        assert_true(fabs(cm_average_precision(sc, lab, 500) - want) < 1e-9);
        cmt_tmpdir_remove(dir);
    }
    /* the score: AP, accuracy, position error in cells */
    const float vis[4] = {0.9f, 0.2f, 0.6f, 0.4f}, lab[4] = {1, 0, 0, 1};
    const float pos[8] = {0.1f, 0.2f, 0, 0, 0, 0, 0.5f, 0.5f}, tp[8] = {0.1f, 0.6f, 9, 9, 9, 9, 0.5f, 0.5f};
    cm_detector_metrics mt;
    cm_detector_score(vis, pos, lab, tp, 2, 2, 15, &mt);
    assert_int_equal((int)mt.visible, 2);
    assert_true(fabs(mt.position_error - 0.2 * 7.5) < 1e-6); /* (0.4 + 0) / 2 x 7.5 */
    assert_true(fabs(mt.visibility_accuracy - 0.5) < 1e-12);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets),          cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_running_stats_and_eval), cmocka_unit_test(test_checkpoints),
        cmocka_unit_test(test_average_precision),
        cmocka_unit_test(test_threshold_f1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
