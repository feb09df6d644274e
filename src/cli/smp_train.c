/* `cogmap train smp`: trains the Spatial Memory Pipeline in the 2.2 m box
 * (autoencoder first, then the RNNs and memory), through the grid-cell
 * trainer's loop (progress, periodic evaluation, checkpoints, --resume,
 * NaN stop, Ctrl-C). */
#include "cli/cli.h"
#include "cogmap/gridrun.h"
#include "cogmap/io.h"
#include "cogmap/smp.h"

#include <math.h>
#include <string.h>

#define MAX_SETS 64

const char smp_train_usage[] =
    "usage: cogmap train smp --out DIR [--steps N | --minutes M] [options]\n"
    "       cogmap train smp --resume DIR [--steps N | --minutes M] [options]\n"
    "Trains the Spatial Memory Pipeline (visual autoencoder, then three RNNs of\n"
    "32/128/128 units with a 512-slot memory) on egocentric 64x64 frames of the\n"
    "2.2 m box, with periodic evaluation and checkpoints in DIR.\n"
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"
    "  --steps N             stop at N optimiser steps in total (autoencoder steps included)\n"
    "  --minutes M           stop after M minutes of training in total\n"
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
    "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
    "  --seed N --threads N --quiet\n";

typedef struct smp_args {
    cli_common common;
    const char *resume;
    long long steps, eval_every, checkpoint_every, keep;
    double minutes;
    int n_sets;
    const char *sets[MAX_SETS];
} smp_args;

static int parse(int argc, char **argv, smp_args *a)
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
        if (OPT("--resume")) {
            if (cli_option_value(argc, argv, &i, &a->resume))
                return CLI_EXIT_USAGE;
        } else if (OPT("--steps")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--steps", v, 1, INT64_MAX / 2, &a->steps))
                return CLI_EXIT_USAGE;
        } else if (OPT("--minutes")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_double("--minutes", v, &a->minutes))
                return CLI_EXIT_USAGE;
            if (!(a->minutes > 0))
                return cli_usage_error("train smp", "--minutes: expected a positive number, got '%s'", v);
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
        } else if (OPT("--set")) {
            if (cli_option_value(argc, argv, &i, &v))
                return CLI_EXIT_USAGE;
            if (a->n_sets >= MAX_SETS)
                return cli_usage_error("train smp", "--set: at most %d overrides", MAX_SETS);
            a->sets[a->n_sets++] = v;
        } else {
            return cli_usage_error("train smp", "unknown option '%s'", arg);
        }
#undef OPT
    }
    if (a->resume) {
        if (a->n_sets)
            return cli_usage_error("train smp", "--resume continues a run as configured: --set is not allowed");
        int rc = cli_resume_folder("train smp", a->resume, &a->common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
    } else if (!a->common.out) {
        return cli_usage_error("train smp", "--out is required");
    }
    if (a->steps && a->minutes > 0)
        return cli_usage_error("train smp", "give --steps or --minutes, not both");
    if (!a->steps && !(a->minutes > 0))
        return cli_usage_error("train smp", "give a limit: --steps N or --minutes M");
    return CLI_EXIT_OK;
}

int cli_train_smp(int argc, char **argv)
{
    smp_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.common.threads);
    cm_smp_run_config cfg;
    cm_status st;
    if (a.resume) {
        st = cm_smp_run_config_read(&cfg, a.resume);
    } else {
        rc = cli_refuse_existing_run("train smp", a.common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
        cm_smp_run_config_init(&cfg, a.common.seed);
        for (int i = 0; st = CM_OK, i < a.n_sets; i++)
            if ((st = cm_smp_run_config_set(&cfg, a.sets[i])) != CM_OK)
                break;
        if (st == CM_OK)
            st = cm_smp_config_check(&cfg.model);
    }
    if (st != CM_OK)
        return cli_fail("train smp", st);

    cm_smp_session s;
    st = cm_smp_session_open(&s, &cfg);
    if (st != CM_OK)
        return cli_fail("train smp", st);
    cm_grid_source train, eval;
    memset(&train, 0, sizeof train);
    memset(&eval, 0, sizeof eval);
    /* [v, cos w, sin w] inputs are computed but unused: the model derives its
     * own from the poses. */
    st = cm_grid_source_init_paths(&train, CM_GRID_INPUT_VCOSSIN, cfg.model.seq_len, cfg.seed, cm_smp_session_path, &s);
    if (st == CM_OK)
        st = cm_grid_source_init_paths(&eval, CM_GRID_INPUT_VCOSSIN, cfg.model.seq_len, cfg.seed, cm_smp_session_path,
                                       &s);
    cm_grid_run_state state = {.best_step = -1};
    char loaded[4096] = "";
    if (st == CM_OK && a.resume) {
        uint64_t seed = 0;
        st = cm_grid_checkpoint_load(a.resume, &cm_smp_grid_ops, &s, &state, &seed, loaded);
        if (st == CM_OK && seed != cfg.seed)
            st = cm_error(CM_ERR_FORMAT, "%s: seed %llu differs from run.json's %llu", loaded,
                          (unsigned long long)seed, (unsigned long long)cfg.seed);
    } else if (st == CM_OK) {
        st = cm_mkdir_p(a.common.out);
        if (st == CM_OK)
            st = cm_smp_run_config_write(&cfg, a.common.out);
    }
    cm_grid_train_config tc = {
        .out = a.common.out,
        .batch = cfg.model.batch,
        .steps = a.steps,
        .minutes = a.minutes,
        .eval_every = a.eval_every,
        .checkpoint_every = a.checkpoint_every,
        .keep = (int)a.keep,
        .eval_batches = cfg.eval_batches,
        .seed = cfg.seed,
    };
    cm_progress progress;
    FILE *out = cli_progress_stream(&a.common);
    progress.out = out;
    if (st == CM_OK && a.resume && out)
        fprintf(out, "train smp: resuming %s at step %lld\n", loaded, (long long)state.step);
    cm_interrupt_install();
    if (st == CM_OK)
        st = cm_grid_train(&tc, &cm_smp_grid_ops, &s, &train, &eval, &state, out ? &progress : NULL);
    cm_grid_source_free(&train);
    cm_grid_source_free(&eval);
    cm_smp_session_close(&s);
    if (st != CM_OK)
        return cli_fail("train smp", st);
    if (out)
        fprintf(out, "train smp: %lld steps in %.1f s; checkpoints in %s/checkpoints, evaluations in %s/evals.csv\n",
                (long long)state.step, state.wall_seconds, a.common.out, a.common.out);
    return CLI_EXIT_OK;
}
