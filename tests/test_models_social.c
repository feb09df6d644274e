/* The social place-cell network (social.h): SSM-PC's state dict (names,
 * order, 326,301 parameters), gradients by central differences at a tiny
 * size (dropout on, the same mask every evaluation), the loss's pieces,
 * checkpoints, bad input, and the multi-agent paths it trains on. */
#include "test_util.h"

#include "cogmap/social.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct sbatch {
    int B, T, Np, Nh;
    float *buf;
    cm_social_batch b;
} sbatch;

/* Random inputs and softmax targets. */
static void make_batch(sbatch *s, const cm_social_config *c, int B, int T, uint64_t seed)
{
    memset(s, 0, sizeof *s);
    s->B = B, s->T = T, s->Np = c->n_place, s->Nh = c->n_hd;
    size_t BT = (size_t)B * T, Np = c->n_place, Nh = c->n_hd, In = c->input_size;
    size_t n = 2 * BT * In + 2 * B * (Np + Nh) + 2 * BT * (Np + Nh) + BT;
    s->buf = malloc(n * sizeof(float));
    cmt_randn(s->buf, n, 0.5f, seed);
    float *p = s->buf;
    s->b.self_vel = p, p += BT * In;
    s->b.peer_vel = p, p += BT * In;
    float *sections[6];
    size_t sizes[6] = {B * Np, B * Np, B * Nh, B * Nh, 0, 0};
    for (int k = 0; k < 4; k++)
        sections[k] = p, p += sizes[k];
    float *tp[4];
    size_t tsz[4] = {BT * Np, BT * Np, BT * Nh, BT * Nh};
    for (int k = 0; k < 4; k++)
        tp[k] = p, p += tsz[k];
    float *dist = p;
    /* rows of initial codes and targets as softmaxes */
    float *all[8] = {sections[0], sections[1], sections[2], sections[3], tp[0], tp[1], tp[2], tp[3]};
    size_t rows[8] = {B, B, B, B, BT, BT, BT, BT}, cols[8] = {Np, Np, Nh, Nh, Np, Np, Nh, Nh};
    for (int k = 0; k < 8; k++)
        for (size_t r = 0; r < rows[k]; r++) {
            float *x = all[k] + r * cols[k], sum = 0.0f;
            for (size_t j = 0; j < cols[k]; j++)
                sum += x[j] = expf(2.0f * x[j]);
            for (size_t j = 0; j < cols[k]; j++)
                x[j] /= sum;
        }
    for (size_t r = 0; r < BT; r++)
        dist[r] = fabsf(dist[r]) * 4.0f;
    s->b.self_init_place = sections[0];
    s->b.peer_init_place = sections[1];
    s->b.self_init_hd = sections[2];
    s->b.peer_init_hd = sections[3];
    s->b.self_place = tp[0];
    s->b.peer_place = tp[1];
    s->b.self_hd = tp[2];
    s->b.peer_hd = tp[3];
    s->b.distance = dist;
}

static void test_state_dict(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("ssmpc", &c), CM_OK);
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 1, &m), CM_OK);
    const cm_params *p = cm_social_params(m);
    /* SSM-PC's SocialGridCellNetwork: 326,301 parameters (ssm-pc.md §9.1). */
    assert_int_equal(cm_params_count(p), 326301);
    static const char *names[] = {"ego_token",
                                  "path_integrator_lstm.weight_ih_l0",
                                  "path_integrator_lstm.weight_hh_l0",
                                  "path_integrator_lstm.bias_ih_l0",
                                  "path_integrator_lstm.bias_hh_l0",
                                  "h0_generator.weight",
                                  "h0_generator.bias",
                                  "c0_generator.weight",
                                  "c0_generator.bias",
                                  "joint_bottleneck_layer.0.weight",
                                  "joint_bottleneck_layer.0.bias",
                                  "self_place_predictor.weight",
                                  "self_place_predictor.bias",
                                  "self_hd_predictor.weight",
                                  "self_hd_predictor.bias",
                                  "peer_place_predictor.weight",
                                  "peer_place_predictor.bias",
                                  "peer_hd_predictor.weight",
                                  "peer_hd_predictor.bias",
                                  "relational_head.0.weight",
                                  "relational_head.0.bias",
                                  "relational_head.2.weight",
                                  "relational_head.2.bias"};
    assert_int_equal(p->count, 23);
    for (int i = 0; i < 23; i++)
        assert_string_equal(p->tensors[i].name, names[i]);
    assert_int_equal(p->tensors[0].ndim, 3);
    assert_int_equal(p->tensors[0].shape[2], 4);
    assert_int_equal(p->tensors[1].shape[0], 512);
    assert_int_equal(p->tensors[1].shape[1], 7);
    assert_int_equal(p->tensors[5].shape[1], 268);
    /* PyTorch's init bounds: LSTM within 1/sqrt(128), a Linear within 1/sqrt(fan_in). */
    const float *w = cm_params_data(p, 2);
    for (size_t k = 0; k < p->tensors[2].count; k++)
        assert_true(fabsf(w[k]) <= 1.0f / sqrtf(128.0f));
    w = cm_params_data(p, 11);
    for (size_t k = 0; k < p->tensors[11].count; k++)
        assert_true(fabsf(w[k]) <= 1.0f / 16.0f);
    cm_social_free(m);
}


typedef struct fd_ctx {
    cm_social *m;
    cm_social_state *s;
    const cm_social_batch *b;
    uint64_t seed;
} fd_ctx;

static double fd_loss(void *vctx)
{
    fd_ctx *c = vctx;
    cm_rng rng;
    cm_rng_seed(&rng, c->seed, 5); /* the same dropout mask at every evaluation */
    double L = 0.0;
    assert_int_equal(cm_social_forward(c->m, c->s, c->b, &rng, &L), CM_OK);
    return L;
}

static void test_gradcheck(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("tiny", &c), CM_OK);
    c.dropout = 0.3f;
    c.w_distance = 0.5f;
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 7, &m), CM_OK);
    cm_social_state *s;
    assert_int_equal(cm_social_state_create(m, 3, 4, &s), CM_OK);
    sbatch sb;
    make_batch(&sb, &c, 3, 4, 21);
    cm_params *p = cm_social_params(m);
    float *grad = calloc(p->total, sizeof(float));
    fd_ctx ctx = {m, s, &sb.b, 99};
    double L = fd_loss(&ctx);
    assert_true(isfinite(L) && L > 0.0);
    assert_int_equal(cm_social_backward(m, s, grad), CM_OK);
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        double err = cmt_gradcheck(p->params + t->offset, grad + t->offset, t->count, fd_loss, &ctx, 1e-2f, 0);
        if (err > 1e-2)
            print_error("%s: gradient error %g\n", t->name, err);
        assert_true(err < 1e-2);
    }
    /* Backward accumulates: a second call doubles the block. */
    float *g2 = malloc(p->total * sizeof(float));
    memcpy(g2, grad, p->total * sizeof(float));
    fd_loss(&ctx);
    assert_int_equal(cm_social_backward(m, s, grad), CM_OK);
    for (size_t k = 0; k < p->total; k++)
        assert_float_equal(grad[k], 2.0f * g2[k], 1e-5f * (1.0f + fabsf(g2[k])));
    free(g2);
    free(grad);
    free(sb.buf);
    cm_social_state_free(s);
    cm_social_free(m);
}

/* rows = the global row count splits a batch into shards whose losses and
 * gradients add up to the whole batch's. */
static void test_shards_add_up(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("tiny", &c), CM_OK);
    c.dropout = 0.0f;
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 3, &m), CM_OK);
    int B = 4, T = 5;
    sbatch sb;
    make_batch(&sb, &c, B, T, 8);
    cm_params *p = cm_social_params(m);
    float *g_all = calloc(p->total, sizeof(float)), *g_sh = calloc(p->total, sizeof(float));
    cm_social_state *s, *h;
    assert_int_equal(cm_social_state_create(m, B, T, &s), CM_OK);
    assert_int_equal(cm_social_state_create(m, B / 2, T, &h), CM_OK);
    double L, L0, L1;
    assert_int_equal(cm_social_forward(m, s, &sb.b, NULL, &L), CM_OK);
    assert_int_equal(cm_social_backward(m, s, g_all), CM_OK);
    for (int k = 0; k < 2; k++) {
        int o = k * B / 2, Np = c.n_place, Nh = c.n_hd, In = c.input_size;
        cm_social_batch b = sb.b;
        b.self_vel += (size_t)o * T * In;
        b.peer_vel += (size_t)o * T * In;
        b.self_init_place += (size_t)o * Np;
        b.peer_init_place += (size_t)o * Np;
        b.self_init_hd += (size_t)o * Nh;
        b.peer_init_hd += (size_t)o * Nh;
        b.self_place += (size_t)o * T * Np;
        b.peer_place += (size_t)o * T * Np;
        b.self_hd += (size_t)o * T * Nh;
        b.peer_hd += (size_t)o * T * Nh;
        b.distance += (size_t)o * T;
        b.rows = (double)B * T;
        assert_int_equal(cm_social_forward(m, h, &b, NULL, k ? &L1 : &L0), CM_OK);
        assert_int_equal(cm_social_backward(m, h, g_sh), CM_OK);
    }
    assert_float_equal(L, L0 + L1, 1e-5 * fabs(L));
    for (size_t k = 0; k < p->total; k++)
        assert_float_equal(g_all[k], g_sh[k], 1e-5f + 1e-4f * fabsf(g_all[k]));
    cm_social_losses ls;
    cm_social_get_losses(s, &ls);
    assert_float_equal(ls.total,
                       ls.self_place + ls.self_hd + ls.peer_place + ls.peer_hd + c.w_distance * ls.distance_mse,
                       1e-9);
    free(g_all);
    free(g_sh);
    free(sb.buf);
    cm_social_state_free(s);
    cm_social_state_free(h);
    cm_social_free(m);
}

/* One agent alone (solo), with a consumer of its states: loss + <r, h_self>
 * where r is put into the state's output gradient between forward and
 * backward, as a link does. */
typedef struct solo_ctx {
    cm_social *m;
    cm_social_state *s;
    const cm_social_batch *b;
    const float *r;
    size_t nr;
} solo_ctx;

static double solo_loss(void *v)
{
    solo_ctx *c = v;
    double L;
    assert_int_equal(cm_social_forward(c->m, c->s, c->b, NULL, &L), CM_OK);
    const float *h = cm_social_output_get(c->s, CM_SOCIAL_H_SELF);
    for (size_t k = 0; k < c->nr; k++)
        L += (double)c->r[k] * h[k];
    return L;
}

static void test_gradcheck_solo(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("tiny", &c), CM_OK);
    c.dropout = 0.0f;
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 9, &m), CM_OK);
    int B = 3, T = 4;
    cm_social_state *s;
    assert_int_equal(cm_social_state_create(m, B, T, &s), CM_OK);
    sbatch sb;
    make_batch(&sb, &c, B, T, 31);
    cm_social_batch b = sb.b;
    b.solo = 1;
    b.readout = 2; /* element 2 only feeds h_self's consumer */
    b.peer_vel = NULL, b.peer_place = NULL, b.distance = NULL; /* not needed alone */
    size_t nr = (size_t)(T + 1) * B * c.hidden;
    float *r = malloc(nr * sizeof(float));
    cmt_randn(r, nr, 1.0f, 5);
    cm_params *p = cm_social_params(m);
    float *grad = calloc(p->total, sizeof(float));
    solo_ctx ctx = {m, s, &b, r, nr};
    solo_loss(&ctx);
    memcpy(cm_social_state_output_grad(s, CM_SOCIAL_H_SELF), r, nr * sizeof(float));
    assert_null(cm_social_state_output_grad(s, CM_SOCIAL_BOTTLENECK));
    assert_int_equal(cm_social_backward(m, s, grad), CM_OK);
    for (int i = 0; i < p->count; i++) {
        const cm_tensor_info *t = &p->tensors[i];
        double err = cmt_gradcheck(p->params + t->offset, grad + t->offset, t->count, solo_loss, &ctx, 1e-2f, 0);
        if (err > 1e-2)
            print_error("solo %s: gradient error %g\n", t->name, err);
        assert_true(err < 1e-2);
        if (strncmp(t->name, "peer_", 5) == 0 || strncmp(t->name, "relational_", 11) == 0)
            for (size_t k = 0; k < t->count; k++)
                assert_true(grad[t->offset + k] == 0.0f); /* alone, nothing reads out a partner */
    }
    free(r);
    free(grad);
    free(sb.buf);
    cm_social_state_free(s);
    cm_social_free(m);
}

static void test_bad_input(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("nope", &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "ssmpc"));
    assert_int_equal(cm_social_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_social_config_set(&c, "hidden=0"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "hidden"));
    assert_int_equal(cm_social_config_set(&c, "dropout=1.5"), CM_ERR_ARG);
    assert_int_equal(cm_social_config_set(&c, "bogus=1"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "bogus"));
    assert_int_equal(cm_social_config_set(&c, "hidden"), CM_ERR_ARG);
    assert_int_equal(cm_social_config_set(&c, "optim=lion"), CM_ERR_ARG);
    assert_int_equal(cm_social_config_set(&c, "optim=adam"), CM_OK);
    assert_int_equal(c.optim.kind, CM_OPTIM_ADAM);
    assert_int_equal(cm_social_config_set(&c, "hidden=9"), CM_OK);
    assert_int_equal(c.hidden, 9);
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 1, &m), CM_OK);
    cm_social_state *s;
    assert_int_equal(cm_social_state_create(m, 0, 4, &s), CM_ERR_ARG);
    assert_int_equal(cm_social_state_create(m, 2, 3, &s), CM_OK);
    sbatch sb;
    make_batch(&sb, &c, 2, 3, 1);
    cm_social_batch b = sb.b;
    b.peer_place = NULL;
    double L;
    assert_int_equal(cm_social_forward(m, s, &b, NULL, &L), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "target"));
    /* Without targets a forward runs, but there is nothing to differentiate. */
    assert_int_equal(cm_social_forward(m, s, &b, NULL, NULL), CM_OK);
    float *g = calloc(cm_social_params(m)->total, sizeof(float));
    assert_int_equal(cm_social_backward(m, s, g), CM_ERR_ARG);
    free(g);
    free(sb.buf);
    cm_social_state_free(s);
    cm_social_free(m);
}

static void test_checkpoint(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    cm_social_config c;
    assert_int_equal(cm_social_preset("tiny", &c), CM_OK);
    assert_int_equal(cm_social_config_set(&c, "bottleneck=11"), CM_OK);
    cm_social *m, *m2;
    assert_int_equal(cm_social_create(&c, 4, &m), CM_OK);
    char path[4200];
    snprintf(path, sizeof path, "%s/ck", dir);
    assert_int_equal(cm_social_save(m, path), CM_OK);
    assert_int_equal(cm_social_load(path, &m2), CM_OK);
    assert_int_equal(cm_social_get_config(m2)->bottleneck, 11);
    const cm_params *a = cm_social_params(m), *b = cm_social_params(m2);
    assert_int_equal(a->total, b->total);
    assert_memory_equal(a->params, b->params, a->total * sizeof(float));
    cm_social_free(m2);
    /* A damaged config names the file. */
    snprintf(path, sizeof path, "%s/ck/config.json", dir);
    FILE *f = fopen(path, "w");
    fputs("{\"format\": \"cogmap social network\", \"preset\": \"tiny\", \"optim\": \"adam\", \"hidden\": -3}", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/ck", dir);
    assert_int_equal(cm_social_load(path, &m2), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "hidden"));
    cm_social_free(m);
    cmt_tmpdir_remove(dir);
}

/* ------------------------------------------------------------- agents */

static void check_agents(cm_agents_world world)
{
    cm_agents_config c;
    cm_agents_config_default(&c);
    c.world = world;
    c.agents = 3;
    c.steps = 40;
    c.mazes = 3;
    c.p_static = 0.3f;
    cm_agents_source *s;
    assert_int_equal(cm_agents_source_create(&c, 11, &s), CM_OK);
    cm_agents_batch a, b;
    assert_int_equal(cm_agents_batch_alloc(&a, 6, 3, 40), CM_OK);
    assert_int_equal(cm_agents_batch_alloc(&b, 6, 3, 40), CM_OK);
    assert_int_equal(cm_agents_source_fill(s, 0, 5, &a), CM_OK);
    assert_int_equal(cm_agents_source_fill(s, 0, 4, &b), CM_OK);
    assert_int_equal(cm_agents_source_fill(s, 0, 5, &b), CM_OK);
    size_t frames = 6 * 3 * 41;
    assert_memory_equal(a.pos, b.pos, frames * 2 * sizeof(float)); /* a pure function of (seed, stream, index) */
    assert_int_equal(cm_agents_source_fill(s, 1, 5, &b), CM_OK);
    assert_true(memcmp(a.pos, b.pos, frames * 2 * sizeof(float)) != 0);
    int statics = 0, movers = 0;
    for (int e = 0; e < 6; e++)
        for (int k = 0; k < 3; k++) {
            const float *p = a.pos + ((size_t)e * 3 + k) * 41 * 2, *v = a.vel + ((size_t)e * 3 + k) * 40 * 3;
            double travelled = 0.0;
            for (int t = 0; t <= 40; t++) {
                assert_true(p[2 * t] >= 0.0f && p[2 * t] <= 15.0f && p[2 * t + 1] >= 0.0f && p[2 * t + 1] <= 15.0f);
                if (t < 40) {
                    /* inputs integrate back to the path */
                    assert_float_equal(p[2 * t] + v[3 * t], p[2 * t + 2], 1e-5);
                    assert_float_equal(p[2 * t + 1] + v[3 * t + 1], p[2 * t + 3], 1e-5);
                    assert_true(fabsf(v[3 * t + 2]) <= (float)M_PI + 1e-6f);
                    travelled += hypot(v[3 * t], v[3 * t + 1]);
                }
            }
            if (travelled == 0.0)
                statics++;
            else
                movers++;
            if (travelled > 0.0)
                assert_true(travelled / 40 > 0.03 && travelled / 40 < 0.6); /* ~0.2 units a step */
        }
    assert_true(statics > 0 && movers > statics);
    cm_agents_batch c2;
    assert_int_equal(cm_agents_batch_alloc(&c2, 2, 2, 40), CM_OK);
    assert_int_equal(cm_agents_source_fill(s, 0, 0, &c2), CM_ERR_ARG);
    cm_agents_batch_free(&c2);
    cm_agents_batch_free(&a);
    cm_agents_batch_free(&b);
    cm_agents_source_free(s);
}

static void test_agents_arena(void **state)
{
    (void)state;
    check_agents(CM_AGENTS_ARENA);
}

static void test_agents_maze(void **state)
{
    (void)state;
    check_agents(CM_AGENTS_MAZE);
}

static void test_agents_bad_config(void **state)
{
    (void)state;
    cm_agents_config c;
    cm_agents_config_default(&c);
    c.agents = 0;
    assert_int_equal(cm_agents_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "agents"));
    cm_agents_config_default(&c);
    c.p_static = 2.0f;
    assert_int_equal(cm_agents_config_check(&c), CM_ERR_ARG);
    cm_agents_config_default(&c);
    c.world = CM_AGENTS_MAZE;
    c.maze_size = 14;
    assert_int_equal(cm_agents_config_check(&c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "maze_size"));
    cm_agents_config_default(&c);
    strcpy(c.arena, "nowhere");
    cm_agents_source *s;
    assert_int_equal(cm_agents_source_create(&c, 1, &s), CM_ERR_ARG);
}

int main(void)
{
    cm_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_state_dict),     cmocka_unit_test(test_gradcheck),
        cmocka_unit_test(test_shards_add_up),  cmocka_unit_test(test_gradcheck_solo),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_checkpoint),     cmocka_unit_test(test_agents_arena),
        cmocka_unit_test(test_agents_maze),    cmocka_unit_test(test_agents_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
