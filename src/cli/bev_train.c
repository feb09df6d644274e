/* `cogmap train bev`: trains SSM-PC's BEV predictor (preset bev or
 * bev-small) on SSM-PC dataset folders or on mazes generated from the seed,
 * through the generic trainer (progress, periodic evaluation, checkpoints,
 * --resume, stages, NaN stop, Ctrl-C). */
#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/bevrun.h"
#include "cogmap/io.h"

#include <string.h>

const char bev_train_usage[] =
    "usage: cogmap train bev --preset bev|bev-small --out DIR [--data DIR...] [--steps N] [--minutes M] [options]\n"
    "       cogmap train bev --resume DIR [--steps N] [--minutes M] [--set key=value...]\n"
    "Trains SSM-PC's BEV predictor (64x64 egocentric frame -> bird's-eye view) on SSM-PC\n"
    "dataset folders (split 70/15/15 by maze) or, without --data, on frames of mazes\n"
    "generated from the seed, with periodic evaluation and checkpoints in DIR.\n"
    "  --preset P            bev (SSM-PC's model) or bev-small (required for a new run)\n"
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"
    "  --data DIR            an SSM-PC dataset folder (repeatable, at most 16)\n"
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"
    "  --steps N             stop at N optimiser steps in total\n"
    "  --minutes M           stop after M minutes of training in total (with --steps: first reached)\n"
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
    "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
    "                        with --resume: a new stage (lr, plateau_factor, plateau_patience, clip,\n"
    "                        rgb_w, alpha_w, smooth_w, dropout, eval_frames), kept in run.json\n"
    "  --seed N --threads N --quiet\n";

typedef struct bev_args {
    cli_train_options t;
    const char *preset;
    int n_data;
    const char *data[CM_BEVNET_MAX_DATA];
} bev_args;

static int parse(int argc, char **argv, bev_args *a)
{
    cli_train_options_defaults(&a->t, CLI_TRAIN_MAX_SETS);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        int r = cli_train_option("train bev", &a->t, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (cli_option_is(arg, "--preset")) {
            if (cli_option_value(argc, argv, &i, &a->preset))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--data")) {
            if (a->n_data == CM_BEVNET_MAX_DATA)
                return cli_usage_error("train bev", "--data: at most %d dataset folders", CM_BEVNET_MAX_DATA);
            if (cli_option_value(argc, argv, &i, &a->data[a->n_data++]))
                return CLI_EXIT_USAGE;
        } else {
            return cli_usage_error("train bev", "unknown option '%s'", arg);
        }
    }
    if (a->t.resume && (a->preset || a->n_data))
        return cli_usage_error("train bev", "--resume continues a run as configured: --preset and --data are not allowed");
    if (!a->t.resume && !a->preset)
        return cli_usage_error("train bev", "--preset is required (%s)", cm_bevnet_preset_names());
    for (int k = 0; a->t.resume && k < a->t.n_sets; k++)
        if (!cm_bevnet_run_key_can_change(a->t.sets[k]))
            return cli_usage_error("train bev",
                                   "--set %s: a resumed run can change only lr, plateau_factor, plateau_patience, "
                                   "clip, rgb_w, alpha_w, smooth_w, dropout, eval_frames",
                                   a->t.sets[k]);
    return cli_train_options_check("train bev", &a->t);
}

int cli_train_bev(int argc, char **argv)
{
    bev_args a;
    memset(&a, 0, sizeof a);
    int rc = parse(argc, argv, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.t.common.threads);
    cm_bevnet_run_config cfg;
    cm_status st;
    if (a.t.resume) {
        st = cm_bevnet_run_config_read(&cfg, a.t.resume);
    } else {
        rc = cli_refuse_existing_run("train bev", a.t.common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
        st = cm_bevnet_run_config_init(&cfg, a.preset, a.t.common.seed);
        for (int i = 0; st == CM_OK && i < a.t.n_sets; i++)
            st = cm_bevnet_config_set(&cfg.model, a.t.sets[i]);
        for (int i = 0; st == CM_OK && i < a.n_data; i++)
            st = cm_bevnet_run_config_add_data(&cfg, a.data[i]);
        if (st == CM_OK)
            st = cm_bevnet_config_check(&cfg.model);
    }
    if (st != CM_OK)
        return cli_fail("train bev", st);

    /* The data are opened (and every frame checked) before anything is written. */
    cm_bevnet_job *job;
    st = cm_bevnet_job_create(&cfg, &job);
    if (st != CM_OK)
        return cli_fail("train bev", st);
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.t.resume) {
        st = cm_train_resume(a.t.resume, &cm_bevnet_job_ops, job, cfg.seed, &state, loaded);
        /* --set on a resumed run starts a new stage (recorded in run.json). */
        for (int i = 0; st == CM_OK && i < a.t.n_sets; i++)
            if ((st = cm_bevnet_job_set(job, a.t.sets[i])) == CM_OK)
                st = cm_bevnet_config_set(&cfg.model, a.t.sets[i]);
        if (st == CM_OK && a.t.n_sets)
            st = cm_bevnet_run_config_restage(&cfg, a.t.resume, state.step, a.t.sets, a.t.n_sets);
    } else {
        st = cm_mkdir_p(a.t.common.out);
        if (st == CM_OK)
            st = cm_bevnet_run_config_write(&cfg, a.t.common.out);
    }
    cm_train_config tc = cli_train_config(&a.t, cfg.seed);
    tc.rank = cm_bevnet_best_rank; /* alpha_iou, ties by eval_loss */
    if (st == CM_OK)
        st = cli_train_loop("train bev", &a.t, &tc, &cm_bevnet_job_ops, job, &state, loaded);
    cm_bevnet_job_free(job);
    return cli_train_finish("train bev", st, &a.t, &state);
}
