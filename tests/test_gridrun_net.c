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

/* The trainer with the batch in shards (one after another, as ranks would
 * each take one): the shards' gradients add up to the batch's, dropout
 * masks included, so the run is the unsharded one up to float rounding. */
static void test_shards_train_as_the_batch(void **state)
{
    (void)state;
    rig a, b;
    rig_open(&a, "ssmpc");
    rig_open(&b, "ssmpc");
    const char *da = cmt_tmpdir(), *db = cmt_tmpdir();
    cm_train_state sa, sb;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    cm_train_config c = {.out = da, .steps = 5, .eval_every = 5, .keep = 2, .seed = 11};
    assert_int_equal(cm_train_run(&c, &cm_grid_job_ops, a.job, &sa, NULL), CM_OK);
    c.out = db;
    c.n_shards = 3; /* 4 paths: shards of 1, 1 and 2 */
    assert_int_equal(cm_train_run(&c, &cm_grid_job_ops, b.job, &sb, NULL), CM_OK);
    const cm_params *pa = cm_pathint_params(cm_grid_job_net(a.job)->m), *pb = cm_pathint_params(cm_grid_job_net(b.job)->m);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < pa->total; i++) {
        worst = fmax(worst, fabs((double)pa->params[i] - pb->params[i]));
        scale = fmax(scale, fabs(pa->params[i]));
    }
    if (!(worst <= 1e-4 * scale))
        fail_msg("sharded and whole runs differ by %g (largest weight %g)", worst, scale);
    assert_true(fabs(sa.last_loss - sb.last_loss) <= 1e-4 * fabs(sa.last_loss));
    cmt_tmpdir_remove(da);
    cmt_tmpdir_remove(db);
    rig_close(&a);
    rig_close(&b);
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
                          "surround_scale=3", "dog_temperature=0.02", "place_count=1024"};
    for (int i = 0; i < 9; i++)
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
    assert_float_equal(n->pc.dog_temperature, 0.02f, 0.0f);
    /* A denser ensemble: its read-out follows, and its first cells are the preset's. */
    assert_int_equal(n->pc.n, 1024);
    assert_int_equal(cm_pathint_get_config(n->m)->n_place, 1024);
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
    assert_float_equal(plain->pc.dog_temperature, 0.0f, 0.0f);
    assert_int_equal(plain->pc.n, 256);
    for (int i = 0; i < 512; i++)
        assert_float_equal(n->pc.centres[i], plain->pc.centres[i], 0.0f);
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

    /* A temperature for Gaussian targets would be ignored: refused instead. */
    cm_grid_run_config g;
    assert_int_equal(cm_grid_run_config_init(&g, "ssmpc", 3), CM_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cm_grid_run_config_set(&g, sets[i]), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&g, "dog_temperature=0.02"), CM_OK);
    cm_grid_net *gauss = NULL;
    assert_int_equal(cm_grid_net_create(&g, &gauss), CM_ERR_ARG);
    assert_null(gauss);
    assert_non_null(strstr(cm_errmsg(), "dog_temperature"));

    const char *bad[] = {"place_sigma=0",     "place_sigma=-1",     "place_dog=2",
                         "surround_scale=1",  "place_sigma=x",      "dog_temperature=0",
                         "dog_temperature=-1", "dog_temperature=x", "place_count=0",
                         "place_count=-5"};
    for (int i = 0; i < 10; i++) {
        assert_int_equal(cm_grid_run_config_set(&c, bad[i]), CM_ERR_ARG);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
        assert_non_null(strstr(cm_errmsg(), key));
    }
}

/* loss=mse: the network's squared-error loss, the place cells' tuning curves
 * as its targets and the top-3 decoder, through run.json; hd_cells=0 drops
 * the HD read-out; a temperature (softmax targets) with it is refused, as
 * are bad values. */
static void test_mse_loss_and_hd_cells(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    const char *sets[] = {"hidden=8", "bottleneck=8", "batch=2", "steps=3", "place_dog=1", "loss=mse", "hd_cells=0"};
    for (int i = 0; i < 7; i++)
        assert_int_equal(cm_grid_run_config_set(&c, sets[i]), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_grid_run_config_write(&c, dir), CM_OK);
    cm_grid_run_config back;
    assert_int_equal(cm_grid_run_config_read(&back, dir), CM_OK);
    cmt_tmpdir_remove(dir);
    cm_grid_net *n = NULL;
    assert_int_equal(cm_grid_net_create(&back, &n), CM_OK);
    assert_int_equal(cm_pathint_get_config(n->m)->loss, CM_PATHINT_LOSS_MSE);
    assert_int_equal(cm_pathint_get_config(n->m)->n_hd, 0);
    assert_int_equal(n->hd.n, 0);
    assert_int_equal(n->pc.tuning, 1);
    assert_int_equal(n->top_k, 3);
    /* The targets are the DoG curves: 0.5 at a cell's centre. */
    float a[256];
    cm_place_cells_activate(&n->pc, n->pc.centres + 2 * 5, 1, a);
    assert_float_equal(a[5], 0.5f, 1e-6f);
    cm_grid_net_free(n);

    /* The preset's loss keeps the population code. */
    cm_grid_run_config d;
    assert_int_equal(cm_grid_run_config_init(&d, "ssmpc", 3), CM_OK);
    for (int i = 0; i < 4; i++)
        assert_int_equal(cm_grid_run_config_set(&d, sets[i]), CM_OK);
    assert_int_equal(cm_grid_net_create(&d, &n), CM_OK);
    assert_int_equal(n->pc.tuning, 0);
    assert_int_equal(n->top_k, 0);
    assert_true(n->hd.n > 0);
    cm_grid_net_free(n);

    assert_int_equal(cm_grid_run_config_set(&c, "dog_temperature=0.02"), CM_OK);
    n = (cm_grid_net *)&c;
    assert_int_equal(cm_grid_net_create(&c, &n), CM_ERR_ARG);
    assert_null(n);
    assert_non_null(strstr(cm_errmsg(), "loss=mse"));
    const char *bad[] = {"loss=l1", "loss=", "hd_cells=-1", "hd_cells=x"};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(cm_grid_run_config_set(&c, bad[i]), CM_ERR_ARG);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
        assert_non_null(strstr(cm_errmsg(), key));
    }
}

/* The levers of issue 18: the non-negative bottleneck reaches the network and
 * survives run.json; the learning-rate schedule has the values of its closed
 * forms and is what the optimiser uses at each step; bad values are refused. */
static void test_relu_and_lr_schedule(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    const char *sets[] = {"bottleneck_relu=1", "lr=0.001", "lr_schedule=cosine", "lr_decay_start=10",
                          "lr_decay_steps=20", "lr_min=0.0001"};
    for (int i = 0; i < 6; i++)
        assert_int_equal(cm_grid_run_config_set(&c, sets[i]), CM_OK);
    const char *dir = cmt_tmpdir();
    assert_int_equal(cm_grid_run_config_write(&c, dir), CM_OK);
    cm_grid_run_config back;
    assert_int_equal(cm_grid_run_config_read(&back, dir), CM_OK);
    cmt_tmpdir_remove(dir);
    assert_int_equal(back.net.bottleneck_relu, 1);
    /* cosine: flat until 10, half way at 20, the floor from 30 on */
    const int64_t at[] = {0, 10, 20, 30, 1000};
    const double want[] = {1e-3, 1e-3, 5.5e-4, 1e-4, 1e-4};
    for (int i = 0; i < 5; i++)
        assert_float_equal(cm_grid_run_lr(&back, at[i]), want[i], 1e-12);
    /* step: x0.5 every 10 steps after 5 */
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    const char *step_sets[] = {"lr=0.001", "lr_schedule=step", "lr_decay_start=5", "lr_decay_steps=10",
                               "lr_gamma=0.5"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cm_grid_run_config_set(&c, step_sets[i]), CM_OK);
    assert_float_equal(cm_grid_run_lr(&c, 4), 1e-3, 1e-12);
    assert_float_equal(cm_grid_run_lr(&c, 14), 1e-3, 1e-12);
    assert_float_equal(cm_grid_run_lr(&c, 15), 5e-4, 1e-12);
    assert_float_equal(cm_grid_run_lr(&c, 34), 2.5e-4, 1e-12);
    assert_float_equal(cm_grid_run_lr(&c, 35), 1.25e-4, 1e-12);
    /* the default is constant */
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    assert_float_equal(cm_grid_run_lr(&c, 123456), c.net.optim.lr, 0.0);

    /* Training applies it: after 7 steps the optimiser ran step 6 at the
     * scheduled rate, and the bottleneck units are non-negative. */
    rig r;
    memset(&r, 0, sizeof r);
    assert_int_equal(cm_grid_run_config_init(&r.cfg, "ssmpc", 11), CM_OK);
    const char *rs[] = {"hidden=16",          "bottleneck=24",   "batch=4",          "steps=12",
                        "eval_batches=2",     "bottleneck_relu=1", "lr_schedule=step", "lr_decay_steps=2",
                        "lr_gamma=0.1"};
    for (int i = 0; i < 9; i++)
        assert_int_equal(cm_grid_run_config_set(&r.cfg, rs[i]), CM_OK);
    rig_start(&r);
    const char *out = cmt_tmpdir();
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(&r, out, 7, &st), CM_OK);
    cmt_tmpdir_remove(out);
    assert_float_equal(r.net->optim.cfg.lr, cm_grid_run_lr(&r.cfg, 6), 0.0);
    assert_float_equal(cm_grid_run_lr(&r.cfg, 6), 1e-3 * 1e-3, 1e-15);
    cm_grid_batch b;
    assert_int_equal(cm_grid_batch_alloc(&b, 4, 12, 3), CM_OK);
    assert_int_equal(cm_grid_source_fill(cm_grid_job_eval_source(r.job), 1, 0, &b), CM_OK);
    float units[4 * 12 * 24];
    double loss;
    assert_int_equal(cm_grid_net_forward(r.net, &b, units, NULL, &loss), CM_OK);
    int zeros = 0;
    for (int i = 0; i < 4 * 12 * 24; i++) {
        assert_true(units[i] >= 0.0f);
        zeros += units[i] == 0.0f;
    }
    assert_true(zeros > 0);
    cm_grid_batch_free(&b);
    rig_close(&r);

    const char *bad[] = {"lr_schedule=linear", "lr_decay_steps=0", "lr_gamma=0", "lr_decay_start=-1",
                         "bottleneck_relu=2", "lr_min=-1"};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(cm_grid_run_config_set(&c, bad[i]), CM_ERR_ARG);
        char key[32];
        snprintf(key, sizeof key, "%.*s", (int)(strchr(bad[i], '=') - bad[i]), bad[i]);
        assert_non_null(strstr(cm_errmsg(), key));
    }
}

/* A larger arena: the box, the place cells (same density) and the maps scale;
 * paths use the room. Maze motion: paths in 15 x 15 mazes, moving at most 0.25
 * cells and turning 0 or 19.2 degrees per step, a pure function of the rng. */
static void test_arena_scale_and_maze(void **state)
{
    (void)state;
    cm_grid_run_config c;
    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    const char *sets[] = {"hidden=8", "bottleneck=8", "batch=2", "steps=3", "arena_scale=2"};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cm_grid_run_config_set(&c, sets[i]), CM_OK);
    cm_grid_map_spec map;
    cm_grid_run_map(&c, &map);
    assert_int_equal(map.nbins, 80);
    assert_float_equal(map.hi, 30.0, 0.0);
    assert_int_equal(map.ssmpc_masks, 1);
    cm_grid_net *n = NULL;
    assert_int_equal(cm_grid_net_create(&c, &n), CM_OK);
    assert_int_equal(n->pc.n, 1024);
    assert_int_equal(cm_pathint_get_config(n->m)->n_place, 1024);
    float lo = 1e9f, hi = -1e9f;
    for (int i = 0; i < 2 * n->pc.n; i++)
        lo = fminf(lo, n->pc.centres[i]), hi = fmaxf(hi, n->pc.centres[i]);
    assert_true(lo >= 0.0f && lo < 0.5f && hi <= 30.0f && hi > 29.5f);
    cm_grid_net_free(n);
    cm_grid_world w;
    assert_int_equal(cm_grid_world_init(&w, &c), CM_OK);
    assert_float_equal(w.arena.xmax, 30.0f, 0.0f);
    float pos[2 * 401], theta[401], far = 0;
    cm_rng r;
    for (int p = 0; p < 20; p++) {
        cm_rng_seed(&r, 1, (uint64_t)p);
        cm_grid_world_path(&w, &r, 400, pos, theta);
        for (int t = 0; t <= 400; t++) {
            assert_true(pos[2 * t] >= 0 && pos[2 * t] <= 30 && pos[2 * t + 1] >= 0 && pos[2 * t + 1] <= 30);
            far = fmaxf(far, fmaxf(pos[2 * t], pos[2 * t + 1]));
        }
    }
    assert_true(far > 20.0f);
    cm_grid_world_free(&w);
    assert_int_equal(cm_grid_run_config_set(&c, "arena=circle"), CM_OK);
    assert_int_equal(cm_grid_world_init(&w, &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "arena_scale"));

    assert_int_equal(cm_grid_run_config_init(&c, "ssmpc", 3), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "motion=maze"), CM_OK);
    assert_int_equal(cm_grid_run_config_set(&c, "maze_count=8"), CM_OK);
    assert_int_equal(cm_grid_world_init(&w, &c), CM_OK);
    assert_int_equal(w.n_mazes, 8);
    float pos2[2 * 401], theta2[401];
    int turns = 0;
    for (int p = 0; p < 10; p++) {
        cm_rng_seed(&r, 2, (uint64_t)p);
        cm_grid_world_path(&w, &r, 400, pos, theta);
        for (int t = 0; t <= 400; t++) {
            assert_true(pos[2 * t] > 0 && pos[2 * t] < 15 && pos[2 * t + 1] > 0 && pos[2 * t + 1] < 15);
            if (t == 0)
                continue;
            assert_true(hypotf(pos[2 * t] - pos[2 * t - 2], pos[2 * t + 1] - pos[2 * t - 1]) <= 0.2501f);
            const float dth = fabsf(cm_grid_wrap_angle(theta[t] - theta[t - 1]));
            assert_true(dth < 1e-5f || fabsf(dth - (float)(19.2 * M_PI / 180)) < 1e-4f);
            turns += dth > 1e-5f;
        }
        /* the same rng, the same path, whatever ran in between */
        cm_rng_seed(&r, 2, (uint64_t)p);
        cm_grid_world_path(&w, &r, 400, pos2, theta2);
        assert_memory_equal(pos, pos2, sizeof pos);
        assert_memory_equal(theta, theta2, sizeof theta);
    }
    assert_true(turns > 100);
    cm_grid_world_free(&w);
    assert_int_equal(cm_grid_run_config_set(&c, "arena=box"), CM_OK);
    assert_int_equal(cm_grid_world_init(&w, &c), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "maze"));
    const char *bad[] = {"arena_scale=0.1", "arena_scale=9", "maze_count=0"};
    for (int i = 0; i < 3; i++) {
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
        cmocka_unit_test(test_shards_train_as_the_batch),
        cmocka_unit_test(test_damaged_network_checkpoint),
        cmocka_unit_test(test_place_cell_overrides),
        cmocka_unit_test(test_mse_loss_and_hd_cells), cmocka_unit_test(test_relu_and_lr_schedule),
        cmocka_unit_test(test_arena_scale_and_maze),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
