/* Sweeps (run.h): the grid of "key=v1,v2" axes, point numbering (the last
 * axis fastest) and run folder names, bad axes refused with the reason, and
 * cm_sweep_run with a stand-in trainer: every point run once into its own
 * folder, the table in point order with the settings, the status and the
 * last evaluation row, a failed point recorded while the others go on, and
 * Ctrl-C stopping the sweep with the table of what ran. The CLI and the
 * spread over MPI ranks are in tests/cli_sweep.sh and tests/mpi_sweep.sh. */
#include "test_util.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/io.h"
#include "cogmap/run.h"

static void test_axes_and_points(void **state)
{
    (void)state;
    cm_sweep s;
    memset(&s, 0, sizeof s);
    assert_int_equal(cm_sweep_count(&s), 1);
    assert_int_equal(cm_sweep_add(&s, "lr=1e-3,1e-4"), CM_OK);
    assert_int_equal(cm_sweep_add(&s, "batch=8,16,32"), CM_OK);
    assert_int_equal(s.n_axes, 2);
    assert_int_equal(cm_sweep_count(&s), 6);
    char sets[CM_SWEEP_MAX_AXES][2 * CM_SWEEP_TEXT + 2], name[256];
    assert_int_equal(cm_sweep_point(&s, 0, sets, name, sizeof name), CM_OK);
    assert_string_equal(sets[0], "lr=1e-3");
    assert_string_equal(sets[1], "batch=8");
    assert_string_equal(name, "000-lr=1e-3-batch=8");
    assert_int_equal(cm_sweep_point(&s, 4, sets, name, sizeof name), CM_OK);
    assert_string_equal(sets[0], "lr=1e-4");
    assert_string_equal(sets[1], "batch=16");
    assert_int_equal(cm_sweep_point(&s, 6, sets, name, sizeof name), CM_ERR_ARG);
    assert_int_equal(cm_sweep_point(&s, -1, sets, name, sizeof name), CM_ERR_ARG);
    /* Characters a folder name should not hold become '_'. */
    cm_sweep t;
    memset(&t, 0, sizeof t);
    assert_int_equal(cm_sweep_add(&t, "motion=a/b c"), CM_OK);
    assert_int_equal(cm_sweep_point(&t, 0, sets, name, sizeof name), CM_OK);
    assert_string_equal(name, "000-motion=a_b_c");
    assert_string_equal(sets[0], "motion=a/b c"); /* the setting itself untouched */
    assert_int_equal(cm_sweep_point(&s, 1, sets, name, 8), CM_ERR_ARG); /* name too long for the buffer */

    /* Bad axes, each with its reason. */
    assert_int_equal(cm_sweep_add(&s, "lr"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "key=value1,value2"));
    assert_int_equal(cm_sweep_add(&s, "=1,2"), CM_ERR_ARG);
    assert_int_equal(cm_sweep_add(&s, "lr=1e-5"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "given twice"));
    assert_int_equal(cm_sweep_add(&s, "clip=1,,2"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "empty value"));
    assert_int_equal(cm_sweep_add(&s, "clip="), CM_ERR_ARG);
    assert_int_equal(s.n_axes, 2);
    char many[1024] = "k=0";
    for (int i = 1; i <= CM_SWEEP_MAX_VALUES; i++)
        snprintf(many + strlen(many), sizeof many - strlen(many), ",%d", i);
    assert_int_equal(cm_sweep_add(&s, many), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "at most"));
}

typedef struct stand_in {
    int runs, interrupt_at;
    char seen[16][256];
} stand_in;

/* Writes an evals.csv whose loss is the point's lr times its batch; lr=bad
 * fails; the point interrupt_at raises SIGINT (as Ctrl-C) while it trains. */
static cm_status stand_in_run(void *ctx, const char *out, const char *const *sets, int n_sets)
{
    stand_in *c = ctx;
    assert_int_equal(n_sets, 2);
    snprintf(c->seen[c->runs++], 256, "%s %s", sets[0], sets[1]);
    if (strcmp(sets[0], "lr=bad") == 0)
        return cm_error(CM_ERR_ARG, "--set lr: expected a number, got 'bad'");
    if (c->runs == c->interrupt_at) {
        raise(SIGINT);
        return cm_error(CM_ERR_INTERRUPTED, "interrupted");
    }
    const double lr = atof(strchr(sets[0], '=') + 1), batch = atof(strchr(sets[1], '=') + 1);
    cm_status st = cm_mkdir_p(out);
    cm_evals e;
    memset(&e, 0, sizeof e);
    cm_metrics m;
    cm_metrics_clear(&m);
    cm_metrics_set(&m, "eval_loss", lr * batch, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_evals_append(&e, 5, 1.5, 2.0, &m);
    cm_metrics_set(&m, "eval_loss", 2 * lr * batch, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_evals_append(&e, 10, 3.0, 1.0, &m);
    if (st == CM_OK)
        st = cm_evals_write(out, &e);
    cm_evals_free(&e);
    return st;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static void test_run_writes_one_table(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char sweep_dir[512], table[600];
    snprintf(sweep_dir, sizeof sweep_dir, "%s/sw", dir);
    snprintf(table, sizeof table, "%s/sweep.csv", sweep_dir);
    cm_sweep s;
    memset(&s, 0, sizeof s);
    assert_int_equal(cm_sweep_add(&s, "lr=0.5,bad"), CM_OK);
    assert_int_equal(cm_sweep_add(&s, "batch=2,4"), CM_OK);
    stand_in c = {0, 0, {{0}}};
    int64_t failed = -1;
    assert_int_equal(cm_sweep_run(&s, sweep_dir, stand_in_run, &c, &failed), CM_OK);
    assert_int_equal(c.runs, 4);
    assert_string_equal(c.seen[0], "lr=0.5 batch=2");
    assert_string_equal(c.seen[3], "lr=bad batch=4");
    assert_int_equal(failed, 2);
    assert_string_equal(slurp(table),
                        "point,run,lr,batch,status,step,wall_seconds,train_loss,eval_loss\n"
                        "0,000-lr=0.5-batch=2,0.5,2,ok,10,3,1,2\n"
                        "1,001-lr=0.5-batch=4,0.5,4,ok,10,3,1,4\n"
                        "2,002-lr=bad-batch=2,bad,2,\"--set lr: expected a number, got 'bad'\",,,,\n"
                        "3,003-lr=bad-batch=4,bad,4,\"--set lr: expected a number, got 'bad'\",,,,\n");

    /* Ctrl-C during point 1: the sweep stops, the table says what ran. */
    snprintf(sweep_dir, sizeof sweep_dir, "%s/int", dir);
    snprintf(table, sizeof table, "%s/sweep.csv", sweep_dir);
    stand_in d = {0, 2, {{0}}};
    cm_interrupt_install();
    assert_int_equal(cm_sweep_run(&s, sweep_dir, stand_in_run, &d, &failed), CM_ERR_INTERRUPTED);
    cm_interrupt_reset();
    signal(SIGINT, SIG_DFL);
    assert_int_equal(d.runs, 2);
    assert_non_null(strstr(cm_errmsg(), "sweep.csv lists the points that ran"));
    const char *t = slurp(table);
    assert_non_null(strstr(t, "0,000-lr=0.5-batch=2,0.5,2,ok,10,3,1,2\n"));
    assert_non_null(strstr(t, "1,001-lr=0.5-batch=4,0.5,4,\"interrupted\""));
    assert_non_null(strstr(t, "3,003-lr=bad-batch=4,bad,4,not run"));

    /* A folder that cannot be made: the sweep fails before any point. */
    stand_in e = {0, 0, {{0}}};
    assert_int_equal(cm_sweep_run(&s, "/proc/cogmap-no-such/sweep", stand_in_run, &e, &failed), CM_ERR_IO);
    assert_int_equal(e.runs, 0);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_axes_and_points),
        cmocka_unit_test(test_run_writes_one_table),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
