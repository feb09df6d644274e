/* `cogmap train smp`: trains the Spatial Memory Pipeline in the 2.2 m box
 * (autoencoder first, then the RNNs and memory), through the generic
 * trainer (progress, periodic evaluation, checkpoints, --resume, NaN stop,
 * Ctrl-C). */
#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/run.h"
#include "cogmap/io.h"
#include "cogmap/smp.h"

#include <math.h>
#include <string.h>

const char smp_train_usage[] =
    "usage: cogmap train smp --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train smp --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains the Spatial Memory Pipeline (visual autoencoder, then three RNNs of\n"
    "32/128/128 units with a 512-slot memory) on egocentric 64x64 frames of the\n"
    "2.2 m box, with periodic evaluation and checkpoints in DIR.\n"
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"
    "  --steps N             stop at N optimiser steps in total (autoencoder steps included)\n"
    "  --minutes M           stop after M minutes of training in total (with --steps: first reached)\n"
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
    "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
    "                        with --resume: a new stage (batch, seq_len, lr, clip, p_correct, p_write,\n"
    "                        dropout, entropy_target, beta_rate, motion, eval_batches), kept in run.json\n"
    "  --seed N --threads N --quiet\n";

static int parse(int argc, char **argv, cli_train_options *a)
{
    cli_train_options_defaults(a, CLI_TRAIN_MAX_SETS);
    for (int i = 1; i < argc; i++) {
        int r = cli_train_option("train smp", a, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return cli_usage_error("train smp", "unknown option '%s'", argv[i]);
    }
    for (int k = 0; a->resume && k < a->n_sets; k++)
        if (!cm_smp_run_key_can_change(a->sets[k]))
            return cli_usage_error("train smp",
                                   "--set %s: a resumed run can change only batch, seq_len, lr, clip, p_correct, "
                                   "p_write, dropout, entropy_target, beta_rate, motion, eval_batches",
                                   a->sets[k]);
    return cli_train_options_check("train smp", a);
}

int cli_train_smp(int argc, char **argv)
{
    cli_train_options a;
    int rc = parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.common.threads);
    cm_smp_run_config cfg;
    cm_status st;
    if (a.resume) {
        /* --set on a resumed run starts a new stage (recorded in run.json). */
        st = cm_smp_run_config_read(&cfg, a.resume);
        for (int i = 0; st == CM_OK && i < a.n_sets; i++)
            st = cm_smp_run_config_set(&cfg, a.sets[i]);
        if (st == CM_OK)
            st = cm_smp_config_check(&cfg.model);
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

    cm_smp_job *job;
    st = cm_smp_job_create(&cfg, &job);
    if (st != CM_OK)
        return cli_fail("train smp", st);
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.resume) {
        st = cm_train_resume(a.resume, &cm_smp_job_ops, job, cfg.seed, &state, loaded);
        if (st == CM_OK && a.n_sets)
            st = cm_smp_run_config_restage(&cfg, a.resume, state.step, a.sets, a.n_sets);
    } else {
        st = cm_mkdir_p(a.common.out);
        if (st == CM_OK)
            st = cm_smp_run_config_write(&cfg, a.common.out);
    }
    cm_train_config tc = cli_train_config(&a, cfg.seed);
    if (st == CM_OK)
        st = cli_train_loop("train smp", &a, &tc, &cm_smp_job_ops, job, &state, loaded);
    cm_smp_job_free(job);
    return cli_train_finish("train smp", st, &a, &state);
}
