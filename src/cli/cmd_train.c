/* `cogmap train <model>`: training jobs. `train grid` trains a path-integration
 * network until grid-like units appear (docs/cli.md). */
#include "cli/cli.h"
#include "cli/grid_session.h"
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
    cli_common common;
    const char *preset, *data, *resume;
    long long steps, eval_every, checkpoint_every, keep;
    double minutes;
    int best_by_grid, best_by_goal;
    int n_sets;
    const char *sets[CM_GRID_MAX_SETS];
} train_args;

static int parse_args(int argc, char **argv, train_args *a)
{
    cli_common_defaults(&a->common);
    a->eval_every = 100;
    a->keep = 3;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int r = cli_common_option(&a->common, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
#define OPT(name) (strncmp(arg, name, strlen(name)) == 0 && (arg[strlen(name)] == 0 || arg[strlen(name)] == '='))
        if (OPT("--preset")) {
            if (cli_option_value(argc, argv, &i, &a->preset))
                return CLI_EXIT_USAGE;
        } else if (OPT("--data")) {
            if (cli_option_value(argc, argv, &i, &a->data))
                return CLI_EXIT_USAGE;
        } else if (OPT("--resume")) {
            if (cli_option_value(argc, argv, &i, &a->resume))
                return CLI_EXIT_USAGE;
        } else if (OPT("--steps")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--steps", v, 1, INT64_MAX / 2, &a->steps))
                return CLI_EXIT_USAGE;
        } else if (OPT("--minutes")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--minutes", v, &a->minutes))
                return CLI_EXIT_USAGE;
            if (!(a->minutes > 0))
                return cli_usage_error("train grid", "--minutes: expected a positive number, got '%s'", v);
        } else if (OPT("--eval-every")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--eval-every", v, 0, INT64_MAX / 2, &a->eval_every))
                return CLI_EXIT_USAGE;
        } else if (OPT("--checkpoint-every")) {
            if (cli_option_value(argc, argv, &i, &v) ||
                cli_parse_int("--checkpoint-every", v, 0, INT64_MAX / 2, &a->checkpoint_every))
                return CLI_EXIT_USAGE;
        } else if (OPT("--keep")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--keep", v, 1, 1000000, &a->keep))
                return CLI_EXIT_USAGE;
        } else if (OPT("--best")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (strcmp(v, "grid") != 0 && strcmp(v, "loss") != 0 && strcmp(v, "goal") != 0)
                return cli_usage_error("train grid", "--best: expected grid, loss or goal, got '%s'", v);
            a->best_by_grid = strcmp(v, "grid") == 0;
            a->best_by_goal = strcmp(v, "goal") == 0;
        } else if (OPT("--set")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (a->n_sets >= CM_GRID_MAX_SETS)
                return cli_usage_error("train grid", "--set: at most %d overrides", CM_GRID_MAX_SETS);
            a->sets[a->n_sets++] = v;
        } else {
            return cli_usage_error("train grid", "unknown option '%s'", arg);
        }
#undef OPT
    }
    if (a->resume) {
        if (a->preset || a->n_sets || a->data)
            return cli_usage_error("train grid",
                                   "--resume continues a run as configured: --preset, --set and --data are not allowed");
        int rc = cli_resume_folder("train grid", a->resume, &a->common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
    } else {
        if (!a->preset)
            return cli_usage_error("train grid", "--preset is required (ssmpc, banino, sorscher, sorscher-512)");
        if (!a->common.out)
            return cli_usage_error("train grid", "--out is required");
    }
    if (!a->steps && !(a->minutes > 0))
        return cli_usage_error("train grid", "give a limit: --steps N or --minutes M");
    return CLI_EXIT_OK;
}

/* Trains (or resumes) the run; shared with `cogmap demo`. */
int cli_train_grid(int argc, char **argv)
{
    train_args a;
    memset(&a, 0, sizeof a);
    int rc = parse_args(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.common.threads);

    cm_grid_run_config cfg;
    cm_status st;
    if (a.resume) {
        st = cm_grid_run_config_read(&cfg, a.resume);
    } else {
        rc = cli_refuse_existing_run("train grid", a.common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
        st = cm_grid_run_config_init(&cfg, a.preset, a.common.seed);
        for (int i = 0; st == CM_OK && i < a.n_sets; i++)
            st = cm_grid_run_config_set(&cfg, a.sets[i]);
        if (st == CM_OK && a.data)
            snprintf(cfg.data, sizeof cfg.data, "%s", a.data);
        if (st == CM_OK)
            st = cm_pathint_config_check(&cfg.net);
    }
    if (st != CM_OK)
        return cli_fail("train grid", st);

    grid_session s;
    st = grid_session_open(&s, &cfg);
    if (st != CM_OK)
        return cli_fail("train grid", st);
    cm_grid_run_state state = {.best_step = -1};
    char loaded[4096] = "";
    if (a.resume) {
        uint64_t seed = 0;
        st = cm_grid_checkpoint_load(a.resume, &cm_grid_net_ops, s.net, &state, &seed, loaded);
        if (st == CM_OK && seed != cfg.seed)
            st = cm_error(CM_ERR_FORMAT, "%s: seed %llu differs from run.json's %llu", loaded,
                          (unsigned long long)seed, (unsigned long long)cfg.seed);
    } else {
        st = cm_mkdir_p(a.common.out);
        if (st == CM_OK)
            st = cm_grid_run_config_write(&cfg, a.common.out);
    }
    if (st != CM_OK) {
        grid_session_close(&s);
        return cli_fail("train grid", st);
    }

    cm_grid_train_config tc = {
        .out = a.common.out,
        .batch = cfg.net.batch,
        .steps = a.steps,
        .minutes = a.minutes,
        .eval_every = a.eval_every,
        .checkpoint_every = a.checkpoint_every,
        .keep = (int)a.keep,
        .eval_batches = cfg.eval_batches,
        .best_by_grid = a.best_by_grid,
        /* Issue 6's goals: 20% of units above 0.3 and a decoding error under
         * 0.5 grid units (SSM-PC's arena) or 10 cm (the metre boxes). */
        .goal_fraction = a.best_by_goal ? 0.2 : 0.0,
        .goal_error = strcmp(cfg.cells, "ssmpc") == 0 ? 0.5 : 0.1,
        .seed = cfg.seed,
    };
    /* Periodic evaluations score every unit's gridness (the emergence curve). */
    cm_grid_scorer scorer;
    st = cm_grid_scorer_init(&scorer, cfg.cells, cm_pathint_bottleneck_size(s.net->m),
                             (int64_t)cfg.eval_batches * cfg.net.batch * cfg.net.seq_len);
    if (st == CM_OK) {
        tc.score = cm_grid_scorer_fn;
        tc.score_ctx = &scorer;
    }
    cm_progress progress;
    FILE *out = cli_progress_stream(&a.common);
    progress.out = out;
    if (a.resume && out)
        fprintf(out, "train grid: resuming %s at step %lld\n", loaded, (long long)state.step);
    cm_interrupt_install();
    if (st == CM_OK)
        st = cm_grid_train(&tc, &cm_grid_net_ops, s.net, &s.train, &s.eval, &state, out ? &progress : NULL);
    cm_grid_scorer_free(&scorer);
    grid_session_close(&s);
    if (st != CM_OK)
        return cli_fail("train grid", st);
    if (out)
        fprintf(out, "train grid: %lld steps in %.1f s; checkpoints in %s/checkpoints, evaluations in %s/evals.csv\n",
                (long long)state.step, state.wall_seconds, a.common.out, a.common.out);
    return CLI_EXIT_OK;
}

/* `train smp` lives in smp_train.c. */
extern const char smp_train_usage[];
int cli_train_smp(int argc, char **argv);

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(train_usage, argc < 2 ? stderr : stdout);
        fputs("\n", argc < 2 ? stderr : stdout);
        fputs(smp_train_usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "grid") == 0) {
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                fputs(train_usage, stdout);
                return CLI_EXIT_OK;
            }
        return cli_train_grid(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "smp") == 0) {
        for (int i = 2; i < argc; i++)
            if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
                fputs(smp_train_usage, stdout);
                return CLI_EXIT_OK;
            }
        return cli_train_smp(argc - 1, argv + 1);
    }
    return cli_usage_error("train", "unknown model '%s' (known: grid, smp)", argv[1]);
}
