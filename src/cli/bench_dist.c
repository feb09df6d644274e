/* `cogmap bench dist`: training steps through the generic trainer
 * (cm_train_run) of a grid-cell preset or SMP, in whatever job it runs in:
 * plain, or `mpirun -np N` (data-parallel, the same global batch). The job's
 * evaluation and checkpoint files are left out, so the time is the steps':
 * shards' gradients, the all-reduce, the update. Prints steps/s, the bytes
 * all-reduced per step and the step's FLOPs (pathint). bench/dist.sh runs
 * 1 rank x 1 thread, 2 ranks x 1 thread and 1 rank x 2 threads. */
#include "cli/cli.h"
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <stdlib.h>
#include <string.h>

static const char bench_dist_usage[] =
    "usage: cogmap bench dist [--model grid|smp] [--preset P] [--steps N] [--set key=value]... [--threads N]\n"
    "Times training steps of the generic trainer: `train grid` (preset ssmpc, banino, sorscher,\n"
    "sorscher-512; default ssmpc) or `train smp`, its evaluation and checkpoint files left out,\n"
    "after 2 warm-up steps. Under `mpirun -np N` the same global batch is split over the ranks.\n"
    "Prints steps/s, seconds per step, the parameters all-reduced per step and (grid) the\n"
    "step's GFLOP.\n";

/* The job's own operations, less what a timing must not include. */
static cm_train_job_ops timed_ops;
static const cm_train_job_ops *real_ops;

static cm_status no_evaluate(void *job, int64_t step, cm_metrics *out) { return CM_OK; }
static cm_status no_save(void *job, const char *dir) { return CM_OK; }

#define MAX_SETS 32

int bench_dist(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    const char *model = "grid", *preset = "ssmpc", *sets[MAX_SETS];
    long long steps = 10;
    cli_list set_list = {sets, 0, MAX_SETS};
    const cli_opt opts[] = {{"--model", CLI_CHOICE, &model, 0, 0, "--model: expected grid or smp, got '%s'", "grid|smp"},
                            {"--preset", CLI_STRING, &preset},
                            {"--steps", CLI_INT, &steps, 1, 1000000},
                            {"--set", CLI_LIST, &set_list, 0, 0, "--set: at most %d"},
                            {0}};
    int rc = cli_parse("bench dist", bench_dist_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    const int n_sets = set_list.n;
    cm_set_threads(common.threads);
    const int is_grid = strcmp(model, "grid") == 0;
    cm_grid_run_config gc;
    cm_smp_run_config sc;
    cm_grid_job *gj = NULL;
    cm_smp_job *sj = NULL;
    void *job = NULL;
    int batch = 0;
    double flops = 0;
    cm_status st;
    if (is_grid) {
        st = cm_grid_run_config_init(&gc, preset, common.seed);
        for (int k = 0; st == CM_OK && k < n_sets; k++)
            st = cm_grid_run_config_set(&gc, sets[k]);
        if (st == CM_OK)
            st = cm_grid_job_create(&gc, &gj);
        job = gj;
        real_ops = &cm_grid_job_ops;
        batch = gc.net.batch;
        flops = cm_pathint_step_flops(&gc.net);
    } else {
        cm_smp_run_config_init(&sc, common.seed);
        st = CM_OK;
        for (int k = 0; st == CM_OK && k < n_sets; k++)
            st = cm_smp_run_config_set(&sc, sets[k]);
        if (st == CM_OK)
            st = cm_smp_job_create(&sc, &sj);
        job = sj;
        real_ops = &cm_smp_job_ops;
        batch = sc.model.batch;
    }
    if (st != CM_OK)
        return cli_fail("bench dist", st);
    timed_ops = *real_ops;
    timed_ops.evaluate = no_evaluate;
    timed_ops.save = no_save;

    /* A scratch run folder (state.json of the end checkpoint), rank 0's. */
    char dir[64] = "";
    if (cm_dist_rank() == 0) {
        snprintf(dir, sizeof dir, "/tmp/cogmap-bench-dist-XXXXXX");
        if (!mkdtemp(dir))
            dir[0] = 0;
    }
    st = cm_dist_broadcast(dir, sizeof dir, 0);
    if (st == CM_OK && !dir[0])
        st = cm_error(CM_ERR_IO, "bench dist: cannot make a scratch folder under /tmp");
    cm_train_config tc = {.out = dir, .steps = 2, .keep = 1, .seed = common.seed};
    cm_train_state state;
    cm_train_state_init(&state);
    if (st == CM_OK)
        st = cm_train_run(&tc, &timed_ops, job, &state, NULL); /* warm-up: allocations, BLAS buffers */
    double t0 = 0, dt = 0;
    if (st == CM_OK) {
        cm_dist_barrier();
        t0 = cm_now();
        tc.steps = 2 + steps;
        st = cm_train_run(&tc, &timed_ops, job, &state, NULL);
        dt = cm_now() - t0;
    }
    const size_t n = real_ops->n_params(job);
    if (gj)
        cm_grid_job_free(gj);
    if (sj)
        cm_smp_job_free(sj);
    if (cm_dist_rank() == 0 && dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench dist: could not remove %s\n", dir);
    }
    if (st != CM_OK)
        return cli_fail("bench dist", st);
    printf("model: %s%s%s\n", model, is_grid ? " " : "", is_grid ? preset : "");
    printf("ranks: %d\n", cm_dist_size());
    printf("threads per rank: %d\n", cm_threads());
    printf("global batch: %d\n", batch);
    printf("steps: %lld\n", steps);
    printf("steps/s: %.3f\n", (double)steps / dt);
    printf("seconds/step: %.4f\n", dt / (double)steps);
    printf("parameters: %zu\n", n);
    printf("bytes all-reduced per step: %zu\n", n * sizeof(float));
    if (flops > 0)
        printf("step GFLOP: %.4f\n", flops * 1e-9);
    printf("final loss: %.6f\n", state.last_loss);
    return CLI_EXIT_OK;
}
