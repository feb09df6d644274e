/* cm_train_model (trainmodel.h): a bad request refused per field with a
 * message naming it and nothing written; a new grid run, refused a second
 * time, then resumed where it stopped; an SMP run resumed with a new stage
 * recorded in run.json and a shape change refused; the model table. Every
 * model's run through the CLI: tests/cli_*.sh; through Python:
 * tests/python/test_train_models.py. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/bevnet.h"
#include "cogmap/detector.h"
#include "cogmap/trainmodel.h"

static const char *const grid_sets[] = {"batch=4", "steps=10", "eval_batches=1"};
static const char *const smp_sets[] = {"batch=2", "seq_len=4", "ae_steps=2", "eval_batches=1", "slots=16"};

static void grid_request(cm_train_request *r, const char *out)
{
    cm_train_request_init(r);
    r->model = "grid";
    r->preset = "ssmpc";
    r->out = out;
    r->sets = grid_sets;
    r->n_sets = 3;
    r->steps = 2;
    r->eval_every = 2;
}

/* `r` refused with CM_ERR_ARG, the message starting with `field` and
 * holding `words`, and no folder made. */
static void refused(const cm_train_request *r, const char *field, const char *words)
{
    cm_status st = cm_train_model(r, NULL, NULL, NULL);
    if (st != CM_ERR_ARG || strncmp(cm_errmsg(), field, strlen(field)) != 0 || !strstr(cm_errmsg(), words))
        fail_msg("%s: expected CM_ERR_ARG '%s: ...%s...', got %d '%s'", field, field, words, st, cm_errmsg());
    if (r->out)
        assert_int_not_equal(access(r->out, F_OK), 0);
}

static void test_bad_requests(void **unused)
{
    (void)unused;
    const char *tmp = cmt_tmpdir();
    char out[4096], run[4096];
    snprintf(out, sizeof out, "%s/never", tmp);
    snprintf(run, sizeof run, "%s/run", tmp);
    cm_train_request r;
    const char *two[] = {"a", "b"}, *shape[] = {"slots=32"}, *lr[] = {"lr=0.001"};

    grid_request(&r, out), r.model = "lstm";
    refused(&r, "model", "known: grid, smp, bev, detector, coop, social, link");
    grid_request(&r, NULL);
    refused(&r, "out", "required");
    grid_request(&r, out), r.preset = NULL;
    refused(&r, "preset", "ssmpc, banino, sorscher, sorscher-512");
    grid_request(&r, out), r.model = "smp";
    refused(&r, "preset", "no presets");
    grid_request(&r, out), r.data = two, r.n_data = 2;
    refused(&r, "data", "at most 1");
    grid_request(&r, out), r.model = "social", r.preset = NULL, r.data = two, r.n_data = 1;
    refused(&r, "data", "no dataset");
    grid_request(&r, out), r.steps = 0;
    refused(&r, "steps, minutes", "give a limit");
    grid_request(&r, out), r.steps = -1;
    refused(&r, "steps", "-1");
    grid_request(&r, out), r.minutes = NAN;
    refused(&r, "minutes", "nan");
    grid_request(&r, out), r.eval_every = -1;
    refused(&r, "eval_every", "-1");
    grid_request(&r, out), r.checkpoint_every = -2;
    refused(&r, "checkpoint_every", "-2");
    grid_request(&r, out), r.keep = 0;
    refused(&r, "keep", "at least 1");
    grid_request(&r, out), r.best = "fastest";
    refused(&r, "best", "expected loss|grid|goal");
    grid_request(&r, out), r.model = "smp", r.preset = NULL, r.n_sets = 0, r.best = "grid";
    refused(&r, "best", "smp runs choose");
    grid_request(&r, out), r.sets = (const char *const *)two, r.n_sets = 33;
    refused(&r, "sets", "at most 32");
    /* A resumed run: its own folder, no preset or data, and only a stage's keys. */
    grid_request(&r, out), r.resume = run;
    refused(&r, "out", "drop --out");
    grid_request(&r, NULL), r.resume = run;
    refused(&r, "preset", "as configured");
    grid_request(&r, NULL), r.resume = run, r.preset = NULL, r.sets = lr, r.n_sets = 1;
    refused(&r, "sets", "a resumed grid run keeps its settings");
    grid_request(&r, NULL), r.model = "smp", r.resume = run, r.preset = NULL, r.sets = shape, r.n_sets = 1;
    refused(&r, "sets", "--set slots=32: a resumed smp run can change only");
    /* A setting the model refuses: its own message, naming the key. */
    grid_request(&r, out), r.sets = (const char *[]){"colour=red"}, r.n_sets = 1;
    assert_int_equal(cm_train_model(&r, NULL, NULL, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "colour"));
    assert_int_not_equal(access(out, F_OK), 0);
    /* A resumed folder that holds no run. */
    grid_request(&r, NULL), r.resume = run, r.preset = NULL, r.n_sets = 0;
    assert_int_equal(cm_train_model(&r, NULL, NULL, NULL), CM_ERR_IO);
    cmt_tmpdir_remove(tmp);
}

typedef struct seen {
    int calls;
    int64_t step;
    char loaded[4096];
} seen;

static void on_start(void *ctx, const cm_train_state *state, const char *loaded)
{
    seen *s = ctx;
    s->calls++;
    s->step = state->step;
    snprintf(s->loaded, sizeof s->loaded, "%s", loaded);
}

static int has_file(const char *dir, const char *name)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

static void test_new_then_resume(void **unused)
{
    (void)unused;
    cm_set_threads(1);
    const char *tmp = cmt_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/grid", tmp);
    cm_train_request r;
    grid_request(&r, out);
    seen s = {0};
    r.started = on_start;
    r.started_ctx = &s;
    cm_train_state state;
    char loaded[4096] = "x";
    assert_int_equal(cm_train_model(&r, NULL, &state, loaded), CM_OK);
    assert_int_equal(state.step, 2);
    assert_string_equal(loaded, "");
    assert_int_equal(s.calls, 1);
    assert_int_equal(s.step, 0);
    assert_true(has_file(out, "run.json") && has_file(out, "evals.csv") && has_file(out, "checkpoints/step_00000002"));
    /* The folder holds a run now: a new run there is refused. */
    assert_int_equal(cm_train_model(&r, NULL, NULL, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "already holds a run"));
    /* Resumed to step 4 from its newest checkpoint. */
    grid_request(&r, NULL);
    r.preset = NULL, r.n_sets = 0, r.resume = out, r.steps = 4;
    r.started = on_start;
    r.started_ctx = &s;
    assert_int_equal(cm_train_model(&r, NULL, &state, loaded), CM_OK);
    assert_int_equal(s.calls, 2);
    assert_int_equal(s.step, 2);
    assert_non_null(strstr(s.loaded, "step_00000002"));
    assert_string_equal(s.loaded, loaded);
    assert_int_equal(state.step, 4);
    assert_true(has_file(out, "checkpoints/step_00000004"));
    cmt_tmpdir_remove(tmp);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

static void test_stage(void **unused)
{
    (void)unused;
    cm_set_threads(1);
    const char *tmp = cmt_tmpdir();
    char out[4096], json[4200];
    snprintf(out, sizeof out, "%s/smp", tmp);
    snprintf(json, sizeof json, "%s/run.json", out);
    cm_train_request r;
    cm_train_request_init(&r);
    r.model = "smp";
    r.out = out;
    r.sets = smp_sets;
    r.n_sets = 5;
    r.steps = 2;
    r.eval_every = 2;
    assert_int_equal(cm_train_model(&r, NULL, NULL, NULL), CM_OK);
    assert_null(strstr(slurp(json), "\"stages\""));
    /* A new stage: a training setting changes at the step the run stood at. */
    const char *stage[] = {"lr=0.0001", "p_write=0.5"};
    cm_train_request_init(&r);
    r.model = "smp";
    r.resume = out;
    r.sets = stage;
    r.n_sets = 2;
    r.steps = 3;
    r.eval_every = 3;
    cm_train_state state;
    assert_int_equal(cm_train_model(&r, NULL, &state, NULL), CM_OK);
    assert_int_equal(state.step, 3);
    const char *text = slurp(json);
    assert_non_null(strstr(text, "\"stages\""));
    assert_non_null(strstr(text, "\"lr=0.0001\""));
    assert_non_null(strstr(text, "\"p_write=0.5\""));
    /* run.json as a later resume reads it holds the stage's values. */
    cm_smp_run_config cfg;
    assert_int_equal(cm_smp_run_config_read(&cfg, out), CM_OK);
    assert_true(fabs(cfg.model.p_write - 0.5) < 1e-6);
    cmt_tmpdir_remove(tmp);
}

static void test_model_table(void **unused)
{
    (void)unused;
    int n = 0;
    while (cm_train_model_at(n)) {
        const cm_train_model_info *m = cm_train_model_at(n);
        assert_ptr_equal(cm_train_model_find(m->name), m);
        assert_true(m->max_sets >= 1 && m->max_data >= 0);
        n++;
    }
    assert_int_equal(n, 7);
    assert_null(cm_train_model_at(-1));
    assert_null(cm_train_model_find("nope"));
    assert_null(cm_train_model_find(NULL));
    /* The table's preset lists are the models' own. */
    assert_string_equal(cm_train_model_find("bev")->presets, cm_bevnet_preset_names());
    assert_string_equal(cm_train_model_find("detector")->presets, cm_detector_preset_names());
    cm_grid_run_config c;
    char list[256];
    snprintf(list, sizeof list, "%s", cm_train_model_find("grid")->presets);
    for (char *p = strtok(list, ", "); p; p = strtok(NULL, ", "))
        assert_int_equal(cm_grid_run_config_init(&c, p, 1), CM_OK);
    assert_null(cm_train_model_find("smp")->presets);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_new_then_resume),
        cmocka_unit_test(test_stage),
        cmocka_unit_test(test_model_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
