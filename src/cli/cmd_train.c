/* `cogmap train <model>`: training jobs. `train grid` trains a path-integration
 * network until grid-like units appear (docs/cli.md). */
#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/dist.h"
#include "cogmap/io.h"

#include <math.h>
#include <string.h>
#include <sys/stat.h>

static const char train_usage[] =
    "usage: cogmap train grid --preset P --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train grid --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains a path-integration network (preset ssmpc, banino, sorscher or sorscher-512)\n"
    "on rat trajectories generated on the fly, or on an SSM-PC dataset (--data), with\n"
    "periodic evaluation and checkpoints in DIR.\n"
    "  --preset P            network, targets and data defaults (required for a new run)\n"
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"
    "  --steps N             stop at N optimiser steps in total\n"
    "  --minutes M           stop after M minutes of training in total (with --steps: first reached)\n"
    "  --data DIR            SSM-PC grid-cell dataset root (folders D*_P*)\n"
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
    "  --best grid|loss|goal best checkpoint: highest grid fraction, lowest loss (default), or\n"
    "                        nearest to both demo goals (20% grid units, decoding < 0.5 units / 10 cm)\n"
    "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
    "  --seed N --threads N --quiet\n";

typedef struct train_args {
    cli_train_options t; /* --out --resume --steps --minutes --eval-every ... --set */
    const char *preset, *data;
    int best_by_grid, best_by_goal;
} train_args;

static int parse_args(int argc, char **argv, train_args *a)
{
    cli_train_options_defaults(&a->t, CM_GRID_MAX_SETS);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int r = cli_train_option("train grid", &a->t, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (cli_option_is(arg, "--preset")) {
            if (cli_option_value(argc, argv, &i, &a->preset))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--data")) {
            if (cli_option_value(argc, argv, &i, &a->data))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--best")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (strcmp(v, "grid") != 0 && strcmp(v, "loss") != 0 && strcmp(v, "goal") != 0)
                return cli_usage_error("train grid", "--best: expected grid, loss or goal, got '%s'", v);
            a->best_by_grid = strcmp(v, "grid") == 0;
            a->best_by_goal = strcmp(v, "goal") == 0;
        } else {
            return cli_usage_error("train grid", "unknown option '%s'", arg);
        }
    }
    if (a->t.resume && (a->preset || a->t.n_sets || a->data))
        return cli_usage_error("train grid",
                               "--resume continues a run as configured: --preset, --set and --data are not allowed");
    if (!a->t.resume && !a->preset)
        return cli_usage_error("train grid", "--preset is required (ssmpc, banino, sorscher, sorscher-512)");
    return cli_train_options_check("train grid", &a->t);
}

/* Trains (or resumes) the run; shared with `cogmap demo`. */
int cli_train_grid(int argc, char **argv)
{
    train_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.t.common.threads);

    cm_grid_run_config cfg;
    cm_status st;
    if (a.t.resume) {
        st = cm_grid_run_config_read(&cfg, a.t.resume);
    } else {
        rc = cli_refuse_existing_run("train grid", a.t.common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
        st = cm_grid_run_config_init(&cfg, a.preset, a.t.common.seed);
        for (int i = 0; st == CM_OK && i < a.t.n_sets; i++)
            st = cm_grid_run_config_set(&cfg, a.t.sets[i]);
        if (st == CM_OK && a.data)
            snprintf(cfg.data, sizeof cfg.data, "%s", a.data);
        if (st == CM_OK)
            st = cm_pathint_config_check(&cfg.net);
    }
    if (st != CM_OK)
        return cli_fail("train grid", st);

    cm_grid_job *job;
    st = cm_grid_job_create(&cfg, &job);
    if (st != CM_OK)
        return cli_fail("train grid", st);
    cm_lockfile *lock = NULL;
    rc = cli_train_lock("train grid", &a.t, &lock);
    if (rc != CLI_EXIT_OK) {
        cm_grid_job_free(job);
        return rc;
    }
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.t.resume) {
        st = cm_train_resume(a.t.resume, &cm_grid_job_ops, job, cfg.seed, &state, loaded);
    } else if (cm_dist_rank() == 0) { /* rank 0 writes for the job */
        st = cm_mkdir_p(a.t.common.out);
        if (st == CM_OK)
            st = cm_grid_run_config_write(&cfg, a.t.common.out);
    }
    st = cm_dist_agree(st);
    cm_train_config tc = cli_train_config(&a.t, cfg.seed);
    if (a.best_by_grid)
        tc.best = "grid_fraction";
    /* Issue 6's goals: 20% of units above 0.3 and a decoding error under
     * 0.5 grid units (SSM-PC's arena) or 10 cm (the metre boxes). */
    cm_grid_goal goal = {0.2, strcmp(cfg.cells, "ssmpc") == 0 ? 0.5 : 0.1};
    if (a.best_by_goal) {
        tc.rank = cm_grid_goal_rank;
        tc.rank_ctx = &goal;
    }
    if (st == CM_OK)
        st = cli_train_loop("train grid", &a.t, &tc, &cm_grid_job_ops, job, &state, loaded);
    cm_grid_job_free(job);
    cm_run_unlock(lock);
    return cli_train_finish("train grid", st, &a.t, &state);
}

/* The other trainers live in their own files: smp_train.c, bev_train.c,
 * detector_cli.c, coop_train.c, social_train.c (social and link). */
extern const char smp_train_usage[], bev_train_usage[], detector_train_usage[], coop_train_usage[],
    social_train_usage[], link_train_usage[];
int cli_train_smp(int argc, char **argv);
int cli_train_bev(int argc, char **argv);
int cli_train_detector(int argc, char **argv);
int cli_train_coop(int argc, char **argv);
int cli_train_social(int argc, char **argv);
int cli_train_link(int argc, char **argv);

/* The models `cogmap train` knows, in the order the help shows them. */
static const struct {
    const char *name, *usage;
    int (*train)(int argc, char **argv);
} trainers[] = {
    {"grid", train_usage, cli_train_grid},
    {"smp", smp_train_usage, cli_train_smp},
    {"bev", bev_train_usage, cli_train_bev},
    {"detector", detector_train_usage, cli_train_detector},
    {"coop", coop_train_usage, cli_train_coop},
    {"social", social_train_usage, cli_train_social},
    {"link", link_train_usage, cli_train_link},
};
#define N_TRAINERS (int)(sizeof trainers / sizeof trainers[0])

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        for (int k = 0; k < N_TRAINERS; k++)
            fprintf(out, "%s%s", k ? "\n" : "", trainers[k].usage);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    char known[256] = "";
    for (int k = 0; k < N_TRAINERS; k++) {
        if (strcmp(argv[1], trainers[k].name) == 0) {
            for (int i = 2; i < argc; i++)
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                    fputs(trainers[k].usage, stdout);
                    return CLI_EXIT_OK;
                }
            return trainers[k].train(argc - 1, argv + 1);
        }
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", k ? ", " : "", trainers[k].name);
    }
    return cli_usage_error("train", "unknown model '%s' (known: %s)", argv[1], known);
}
