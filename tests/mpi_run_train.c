/* The generic trainer data-parallel over a job of 2 ranks (ctest runs it
 * under mpirun -np 2), with a stand-in job: least squares on inputs drawn
 * from (seed, step, row), trained by SGD, its evaluation a distributed loop.
 *
 * Checked: two 2-rank runs give the same bits; a 2-rank run equals the
 * serial run of the same global batch (2 shards in one process) within
 * float rounding (max |dw| <= 1e-6, what the gradient sums' order can
 * change); a 2-rank run resumed by 1 process and a 1-process run resumed by
 * 2 ranks; the evaluation gives every rank the serial metrics; rank 0 alone
 * writes; a failure, a NaN or Ctrl-C on one rank stops every rank the same
 * way; ranks whose parameters drift apart are caught at the next checkpoint.
 * Plain asserts: cmocka's output from two processes would interleave. */
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int failures;

#define EXPECT(cond)                                                                                                   \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "rank %d: %s:%d: expected %s (%s)\n", cm_dist_world_rank(), __FILE__, __LINE__, #cond,     \
                    cm_errmsg());                                                                                      \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

#define NP 300 /* parameters */
#define B 8    /* rows of a step's batch */
#define EVAL_ITEMS 5

typedef struct toy {
    float w[NP], g[NP];
    int64_t fail_step, nan_step, interrupt_step, drift_step; /* on rank `who` (1-based steps), 0: never */
    int who;
} toy;

/* Row r of step k's batch: x from its own stream, y = sum_i x_i sin(i). */
static void row(int64_t step, int r, float *x, float *y)
{
    cm_rng rng;
    cm_rng_seed(&rng, 42, ((uint64_t)step << 16) | (uint64_t)r);
    double t = 0;
    for (int i = 0; i < NP; i++) {
        x[i] = (float)cm_rng_uniform(&rng, -1, 1);
        t += x[i] * sin(i);
    }
    *y = (float)t;
}

static size_t toy_n(void *job) { (void)job; return NP; }
static float *toy_params(void *job) { return ((toy *)job)->w; }
static float *toy_grads(void *job) { return ((toy *)job)->g; }

static int mine(const toy *j, int64_t at, int64_t step) { return at == step + 1 && cm_dist_rank() == j->who; }

static cm_status toy_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    toy *j = job;
    if (mine(j, j->fail_step, step))
        return cm_error(CM_ERR_IO, "toy: shard %d of step %lld cannot read its data", shard, (long long)step + 1);
    if (mine(j, j->interrupt_step, step))
        raise(SIGINT);
    const int r0 = B * shard / n_shards, r1 = B * (shard + 1) / n_shards;
    float x[NP], y;
    double l = 0;
    for (int r = r0; r < r1; r++) {
        row(step, r, x, &y);
        double p = 0;
        for (int i = 0; i < NP; i++)
            p += j->w[i] * x[i];
        const float e = (float)(p - y);
        for (int i = 0; i < NP; i++)
            j->g[i] += e * x[i] / B;
        l += 0.5 * e * e / B;
    }
    *loss_sum = mine(j, j->nan_step, step) ? NAN : l;
    *weight = (double)(r1 - r0) / B;
    return CM_OK;
}

static cm_status toy_update(void *job, int64_t step)
{
    toy *j = job;
    for (int i = 0; i < NP; i++)
        j->w[i] -= 0.05f * j->g[i];
    if (mine(j, j->drift_step, step))
        j->w[7] += 1e-3f;
    return CM_OK;
}

/* Evaluation items: the loss of a fixed row each, and which rank computed it. */
static cm_status eval_compute(void *ctx, int64_t k, void *out)
{
    const toy *j = ctx;
    float x[NP], y;
    row(1000000 + k, 0, x, &y);
    double p = 0;
    for (int i = 0; i < NP; i++)
        p += j->w[i] * x[i];
    double v[2] = {0.5 * (p - y) * (p - y) * pow(10.0, (double)(k % 3)), (double)cm_dist_rank()};
    memcpy(out, v, sizeof v);
    return CM_OK;
}

typedef struct eval_sums {
    double loss, ranks;
} eval_sums;

static cm_status eval_fold(void *ctx, int64_t k, const void *in)
{
    eval_sums *s = ctx;
    double v[2];
    memcpy(v, in, sizeof v);
    s->loss += v[0];
    s->ranks += v[1];
    return CM_OK;
}

typedef struct eval_ctx {
    toy *j;
    eval_sums s;
} eval_ctx;

static cm_status eval_compute_job(void *ctx, int64_t k, void *out) { return eval_compute(((eval_ctx *)ctx)->j, k, out); }
static cm_status eval_fold_job(void *ctx, int64_t k, const void *in) { return eval_fold(&((eval_ctx *)ctx)->s, k, in); }

static cm_status toy_evaluate(void *job, int64_t step, cm_metrics *out)
{
    eval_ctx c = {job, {0, 0}};
    cm_status st = cm_dist_map_fold(EVAL_ITEMS, 2 * sizeof(double), eval_compute_job, eval_fold_job, &c, NULL);
    if (st == CM_OK)
        st = cm_metrics_set(out, "eval_loss", c.s.loss / EVAL_ITEMS, CM_LOWER_IS_BETTER);
    /* Items computed by rank 1 say so: > 0 in a job of 2, 0 alone. */
    if (st == CM_OK)
        st = cm_metrics_set(out, "rank_sum", c.s.ranks, CM_LOWER_IS_BETTER);
    return st;
}

static cm_status toy_save(void *job, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/w.bin", dir);
    FILE *f = fopen(path, "wb");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot write", path);
    size_t n = fwrite(((toy *)job)->w, sizeof(float), NP, f);
    fclose(f);
    return n == NP ? CM_OK : cm_error(CM_ERR_IO, "%s: short write", path);
}

static cm_status toy_load(void *job, const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/w.bin", dir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot read", path);
    size_t n = fread(((toy *)job)->w, sizeof(float), NP, f);
    fclose(f);
    return n == NP ? CM_OK : cm_error(CM_ERR_FORMAT, "%s: short", path);
}

static const cm_train_job_ops toy_ops = {
    .model_name = "toy",
    .n_params = toy_n,
    .params = toy_params,
    .grads = toy_grads,
    .gradient = toy_gradient,
    .update = toy_update,
    .evaluate = toy_evaluate,
    .save = toy_save,
    .load = toy_load,
};

static char root[256];

static cm_status train(toy *j, const char *name, int64_t steps, int n_shards, int resume)
{
    char out[512];
    snprintf(out, sizeof out, "%s/%s", root, name);
    cm_train_config tc = {.out = out, .steps = steps, .eval_every = 4, .keep = 2, .n_shards = n_shards, .seed = 7};
    cm_train_state state;
    cm_train_state_init(&state);
    if (resume) {
        char loaded[4096];
        cm_status st = cm_train_resume(out, &toy_ops, j, 7, &state, loaded);
        if (st != CM_OK)
            return st;
    } else {
        memset(j->w, 0, sizeof j->w);
    }
    cm_interrupt_install();
    cm_status st = cm_train_run(&tc, &toy_ops, j, &state, NULL);
    cm_interrupt_reset();
    return st;
}

static double max_diff(const float *a, const float *b)
{
    double m = 0;
    for (int i = 0; i < NP; i++)
        m = fmax(m, fabs((double)a[i] - b[i]));
    return m;
}

static int exists(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", root, name);
    struct stat sb;
    return stat(p, &sb) == 0;
}

int main(int argc, char **argv)
{
    if (cm_dist_init(&argc, &argv) != CM_OK) {
        fprintf(stderr, "init: %s\n", cm_errmsg());
        return 1;
    }
    const int me = cm_dist_rank();
    EXPECT(cm_dist_size() == 2);
    if (me == 0) {
        snprintf(root, sizeof root, "/tmp/cogmap-mpi-train-XXXXXX");
        if (!mkdtemp(root))
            cm_dist_abort(1, "cannot make a temporary folder");
    }
    cm_dist_broadcast(root, sizeof root, 0);
    static toy a, b, s, r;
    memset(&a, 0, sizeof a);

    /* Two 2-rank runs: the same bits; rank 0 alone wrote. */
    EXPECT(train(&a, "a", 12, 1, 0) == CM_OK);
    b = a;
    EXPECT(train(&b, "b", 12, 1, 0) == CM_OK);
    EXPECT(memcmp(a.w, b.w, sizeof a.w) == 0);
    EXPECT(exists("a/checkpoints/step_00000012/w.bin") && exists("a/checkpoints/best/state.json"));
    cm_evals ev;
    char path[512];
    snprintf(path, sizeof path, "%s/a", root);
    if (me == 0 && cm_evals_read(path, &ev) == CM_OK) {
        EXPECT(ev.n_rows == 3);
        /* The evaluation's items were spread: rank 1 computed some. */
        EXPECT(cm_evals_get(&ev, 2, "rank_sum") > 0);
        cm_evals_free(&ev);
    }

    /* The serial run of the same global batch (2 shards, one process): the
     * same within rounding, and its evaluation of the 2-rank weights gives
     * the 2-rank run's numbers exactly. */
    cm_dist_set_solo(1);
    char name[64];
    snprintf(name, sizeof name, "serial%d", me);
    memset(&s, 0, sizeof s);
    EXPECT(train(&s, name, 12, 2, 0) == CM_OK);
    EXPECT(max_diff(a.w, s.w) <= 1e-6);
    if (me == 0)
        printf("2 ranks vs 1 process, 12 steps: max |dw| %.3g (%s)\n", max_diff(a.w, s.w),
               memcmp(a.w, s.w, sizeof a.w) == 0 ? "bit-identical" : "within rounding");
    cm_metrics m_serial, m_dist;
    cm_metrics_clear(&m_serial);
    cm_metrics_clear(&m_dist);
    EXPECT(toy_evaluate(&a, 12, &m_serial) == CM_OK);
    cm_dist_set_solo(0);
    EXPECT(toy_evaluate(&a, 12, &m_dist) == CM_OK);
    EXPECT(cm_metrics_get(&m_serial, "eval_loss") == cm_metrics_get(&m_dist, "eval_loss"));
    EXPECT(cm_metrics_get(&m_serial, "rank_sum") == 0 && cm_metrics_get(&m_dist, "rank_sum") > 0);

    /* Resume across rank counts: 2 ranks to step 8, 1 process (2 shards) to
     * 12; and 1 process to 8, 2 ranks to 12. */
    memset(&r, 0, sizeof r);
    EXPECT(train(&r, "r21", 8, 1, 0) == CM_OK);
    cm_dist_set_solo(1);
    if (me == 0)
        EXPECT(train(&r, "r21", 12, 2, 1) == CM_OK && max_diff(r.w, a.w) <= 1e-6);
    cm_dist_set_solo(0);
    cm_dist_barrier();
    if (me == 0) {
        cm_dist_set_solo(1);
        EXPECT(train(&r, "r12", 8, 2, 0) == CM_OK);
        cm_dist_set_solo(0);
    }
    cm_dist_barrier();
    EXPECT(train(&r, "r12", 12, 1, 1) == CM_OK);
    EXPECT(max_diff(r.w, a.w) <= 1e-6);
    /* 2 ranks resumed by 2 ranks: the uninterrupted run's bits. */
    EXPECT(train(&r, "r22", 8, 1, 0) == CM_OK);
    EXPECT(train(&r, "r22", 12, 1, 1) == CM_OK);
    EXPECT(memcmp(r.w, a.w, sizeof a.w) == 0);

    /* A failure on rank 1 alone: every rank fails, rank 0 with its message. */
    toy f = {.who = 1, .fail_step = 6};
    cm_status st = train(&f, "fail", 12, 1, 0);
    EXPECT(st == CM_ERR_IO);
    EXPECT(cm_dist_failure_agreed());
    EXPECT(strstr(cm_errmsg(), me == 0 ? "rank 1: toy: shard 1 of step 6" : "toy: shard 1 of step 6") != NULL);
    EXPECT(exists("fail/checkpoints/step_00000004/w.bin") && !exists("fail/checkpoints/step_00000008"));

    /* A NaN in rank 1's shard: the summed loss is NaN on every rank. */
    toy n = {.who = 1, .nan_step = 7};
    st = train(&n, "nan", 12, 1, 0);
    EXPECT(st == CM_ERR_NUMERIC && strstr(cm_errmsg(), "diverged at step 7") != NULL);

    /* Ctrl-C on rank 1 alone: every rank stops and the step is saved. */
    toy c = {.who = 1, .interrupt_step = 5};
    st = train(&c, "int", 12, 1, 0);
    EXPECT(st == CM_ERR_INTERRUPTED);
    EXPECT(exists("int/checkpoints/step_00000005/w.bin"));

    /* Ranks whose parameters drift apart: caught at the next checkpoint. */
    toy d = {.who = 1, .drift_step = 5};
    st = train(&d, "drift", 12, 1, 0);
    EXPECT(st == CM_ERR_INTERNAL && strstr(cm_errmsg(), "parameters at step 8: rank 1 differs") != NULL);

    cm_dist_barrier();
    if (me == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", root);
    }
    int all_ok = cm_dist_min_int(failures == 0);
    if (me == 0)
        printf("mpi_run_train: %s\n", all_ok ? "all passed" : "FAILED");
    cm_dist_finalize();
    return all_ok ? 0 : 1;
}
