/* The real path-integration networks through the trainer as grid-cell jobs,
 * at tiny sizes: a few steps lower the loss, a resumed run ends bit-identical
 * to the uninterrupted one, and a damaged checkpoint is refused with a clear
 * error. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/run.h"
#include "cogmap/io.h"

typedef struct rig {
    cm_grid_run_config cfg;
    cm_grid_job *job;
    cm_grid_net *net;
} rig;

static void rig_config(rig *r, const char *preset)
{
    memset(r, 0, sizeof *r);
    assert_int_equal(cm_grid_run_config_init(&r->cfg, preset, 11), CM_OK);
    const char *sets[] = {"hidden=16", "bottleneck=24", "batch=4", "steps=12", "eval_batches=2", "lr=0.003"};
    for (int i = 0; i < 6; i++) {
        if (strcmp(preset, "sorscher-512") == 0 && i == 1)
            continue; /* no bottleneck in the RNN presets */
        assert_int_equal(cm_grid_run_config_set(&r->cfg, sets[i]), CM_OK);
    }
    assert_int_equal(cm_pathint_config_check(&r->cfg.net), CM_OK);
}

static void rig_start(rig *r)
{
    assert_int_equal(cm_grid_job_create(&r->cfg, &r->job), CM_OK);
    r->net = cm_grid_job_net(r->job);
}

static void rig_open(rig *r, const char *preset)
{
    rig_config(r, preset);
    rig_start(r);
}

static void rig_close(rig *r) { cm_grid_job_free(r->job); }

static double eval_loss(rig *r)
{
    cm_grid_batch b;
    assert_int_equal(cm_grid_batch_alloc(&b, 4, 12, r->cfg.net.input_size), CM_OK);
    double total = 0;
    for (int k = 0; k < 4; k++) {
        double loss;
        assert_int_equal(cm_grid_source_fill(cm_grid_job_eval_source(r->job), 1, k, &b), CM_OK);
        assert_int_equal(cm_grid_net_forward(cm_grid_job_net(r->job), &b, NULL, NULL, &loss), CM_OK);
        total += loss;
    }
    cm_grid_batch_free(&b);
    return total / 4;
}

static cm_status train(rig *r, const char *out, int64_t steps, cm_train_state *st)
{
    cm_train_config c = {.out = out, .steps = steps, .eval_every = 5, .keep = 2, .seed = 11};
    return cm_train_run(&c, &cm_grid_job_ops, r->job, st, NULL);
}

static void lowers_loss(const char *preset, int steps)
{
    rig r;
    rig_open(&r, preset);
    const char *dir = cmt_tmpdir();
    const double before = eval_loss(&r);
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(&r, dir, steps, &st), CM_OK);
    const double after = eval_loss(&r);
    if (!(after < before))
        fail_msg("%s: loss %g before, %g after %d steps", preset, before, after, steps);
    cmt_tmpdir_remove(dir);
    rig_close(&r);
}

static void test_training_lowers_loss(void **state)
{
    (void)state;
    lowers_loss("ssmpc", 30);
    lowers_loss("sorscher-512", 30);
}

static void test_resume_bit_identical(void **state)
{
    (void)state;
    rig a, b, c;
    rig_open(&a, "ssmpc");
    rig_open(&b, "ssmpc");
    const char *da = cmt_tmpdir(), *db = cmt_tmpdir();
    cm_train_state sa, sb, sc;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    assert_int_equal(train(&a, da, 17, &sa), CM_OK);
    assert_int_equal(train(&b, db, 8, &sb), CM_OK);
    rig_close(&b);
    /* A new process: a fresh network, then the newest checkpoint of db. */
    rig_open(&c, "ssmpc");
    assert_int_equal(cm_train_checkpoint_load(db, &cm_grid_job_ops, c.job, &sc, NULL, NULL), CM_OK);
    assert_int_equal(sc.step, 8);
    assert_int_equal(train(&c, db, 17, &sc), CM_OK);
    cm_params *pa = cm_pathint_params(cm_grid_job_net(a.job)->m), *pc = cm_pathint_params(cm_grid_job_net(c.job)->m);
    assert_int_equal(cm_params_count(pa), cm_params_count(pc));
    /* Every parameter, bit for bit, and the optimiser state with it. */
    int differ = 0;
    for (int i = 0; i < pa->count; i++) {
        int j = cm_params_find(pc, pa->tensors[i].name);
        assert_true(j >= 0);
        differ += memcmp(cm_params_data(pa, i), cm_params_data(pc, j), pa->tensors[i].count * sizeof(float)) != 0;
    }
    assert_int_equal(differ, 0);
    const cm_optim *oa = &cm_grid_job_net(a.job)->optim, *oc = &cm_grid_job_net(c.job)->optim;
    assert_int_equal(oa->t, oc->t);
    assert_memory_equal(oa->state, oc->state, cm_optim_state_floats(oa) * sizeof(float));
    /* The final checkpoints' weights are the same bytes too. */
    void *fa, *fc;
    size_t la, lc;
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoints/step_00000017/model.safetensors", da);
    assert_int_equal(cm_read_file(path, &fa, &la), CM_OK);
    snprintf(path, sizeof path, "%s/checkpoints/step_00000017/model.safetensors", db);
    assert_int_equal(cm_read_file(path, &fc, &lc), CM_OK);
    assert_int_equal(la, lc);
    assert_memory_equal(fa, fc, la);
    cm_free(fa);
    cm_free(fc);
    cmt_tmpdir_remove(da);
    cmt_tmpdir_remove(db);
    rig_close(&a);
    rig_close(&c);
}

static void test_damaged_network_checkpoint(void **state)
{
    (void)state;
    rig r;
    rig_open(&r, "ssmpc");
    const char *dir = cmt_tmpdir();
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(&r, dir, 5, &st), CM_OK);
    char path[4096];
    /* Truncate the weights: the error names the file; the network is untouched. */
    snprintf(path, sizeof path, "%s/checkpoints/step_00000005/model.safetensors", dir);
    void *data;
    size_t len;
    assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
    assert_int_equal(cm_write_file_atomic(path, data, len / 2), CM_OK);
    cm_free(data);
    const double before = eval_loss(&r);
    assert_int_not_equal(cm_train_checkpoint_load(dir, &cm_grid_job_ops, r.job, &st, NULL, NULL), CM_OK);
    assert_non_null(strstr(cm_errmsg(), "model.safetensors"));
    assert_float_equal(eval_loss(&r), before, 0);
    /* An optimiser file of another network. */
    snprintf(path, sizeof path, "%s/checkpoints/best/optimizer.safetensors", dir);
    cm_array t;
    int64_t n = 3;
    assert_int_equal(cm_array_alloc(&t, "state", CM_F32, 1, &n), CM_OK);
    const char *keys[] = {"step"}, *vals[] = {"1"};
    assert_int_equal(cm_safetensors_write(path, &t, 1, keys, vals, 1), CM_OK);
    cm_array_free(&t);
    snprintf(path, sizeof path, "%s/checkpoints/best", dir);
    cm_status got = cm_train_checkpoint_load(path, &cm_grid_job_ops, r.job, &st, NULL, NULL);
    if (got != CM_ERR_FORMAT)
        fail_msg("status %d: %s", got, cm_errmsg());
    assert_non_null(strstr(cm_errmsg(), "optimizer.safetensors"));
    /* A checkpoint of a network of another size. */
    rig big;
    rig_config(&big, "ssmpc");
    assert_int_equal(cm_grid_run_config_set(&big.cfg, "hidden=20"), CM_OK);
    rig_start(&big);
    snprintf(path, sizeof path, "%s/small", dir);
    assert_int_equal(cm_train_checkpoint_save(path, &cm_grid_job_ops, r.job, &st, 11), CM_OK);
    assert_int_equal(cm_train_checkpoint_load(path, &cm_grid_job_ops, big.job, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "small"));
    rig_close(&big);
    cmt_tmpdir_remove(dir);
    rig_close(&r);
}


/* The place-cell overrides reach the network's targets, survive run.json, and
 * bad values are refused with the key named. */
static void test_place_cell_overrides(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    const char *sets[] = {"hidden=8", "bottleneck=8", "batch=2", "steps=3", "place_sigma=1.5", "place_dog=1",
                          "surround_scale=3"};
    for (int i = 0; i < 7; i++)
        assert_int_equal(cm_grid_run_config_set(&c, sets[i]), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_grid_run_config_write(&c, dir), CM_OK);
    cm_grid_run_config back;
    assert_int_equal(cm_grid_run_config_read(&back, dir), CM_OK);
    cmt_tmpdir_remove(dir);
    cm_grid_net *n = NULL;
    assert_int_equal(cm_grid_net_create(&back, &n), CM_OK);
    assert_float_equal(n->pc.sigma, 1.5f, 0.0f);
    assert_int_equal(n->pc.dog, 1);
    assert_float_equal(n->pc.surround_scale, 3.0f, 0.0f);
    assert_int_equal(n->top_k, 3); /* DoG targets decode as Sorscher's (top 3) */

    /* The wider field spreads the target: its largest probability is lower
     * than the preset's (sigma 0.5) at the same position. */
    cm_grid_run_config d;
    assert_int_equal(cm_grid_run_config_init(&d, "ssmpc", 3), CM_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cm_grid_run_config_set(&d, sets[i]), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&d, "place_sigma=1.5"), CM_OK);
    cm_grid_net *wide = NULL, *plain = NULL;
    assert_int_equal(cm_grid_net_create(&d, &wide), CM_OK);
    assert_int_equal(cm_grid_run_config_init(&d, "ssmpc", 3), CM_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cm_grid_run_config_set(&d, sets[i]), CM_OK);
    assert_int_equal(cm_grid_net_create(&d, &plain), CM_OK);
    assert_float_equal(plain->pc.sigma, 0.5f, 0.0f);
    assert_int_equal(plain->pc.dog, 0);
    assert_int_equal(wide->pc.dog, 0);
    const float pos[2] = {7.3f, 4.1f};
    float a[256], b[256];
    cm_place_cells_activate(&wide->pc, pos, 1, a);
    cm_place_cells_activate(&plain->pc, pos, 1, b);
    float ma = 0, mb = 0;
    for (int i = 0; i < 256; i++) {
        ma = a[i] > ma ? a[i] : ma;
        mb = b[i] > mb ? b[i] : mb;
    }
    if (!(ma < mb))
        fail_msg("max target %g with sigma 1.5, %g with 0.5", ma, mb);
    cm_grid_net_free(wide);
    cm_grid_net_free(plain);
    cm_grid_net_free(n);

    const char *bad[] = {"place_sigma=0", "place_sigma=-1", "place_dog=2", "surround_scale=1", "place_sigma=x"};
    for (int i = 0; i < 5; i++) {
        assert_int_equal(cm_grid_run_config_set(&c, bad[i]), CM_ERR_ARG);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
        assert_non_null(strstr(cm_errmsg(), key));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_training_lowers_loss),
        cmocka_unit_test(test_resume_bit_identical),
        cmocka_unit_test(test_damaged_network_checkpoint),
        cmocka_unit_test(test_place_cell_overrides),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
