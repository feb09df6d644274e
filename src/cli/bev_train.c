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

int cli_train_bev(int argc, char **argv)
{
    cli_train_options t;
    const char *preset = NULL, *data[CM_BEVNET_MAX_DATA];
    cli_list dl = {data, 0, CM_BEVNET_MAX_DATA};
    cli_train_options_defaults(&t, CLI_TRAIN_MAX_SETS);
    const cli_opt opts[] = {{"--preset", CLI_STRING, &preset},
                            {"--data", CLI_LIST, &dl, 0, 0, "--data: at most %d dataset folders"},
                            {0}};
    int rc = cli_train_parse("train bev", &t, opts, argc, argv);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (t.resume && (preset || dl.n))
        return cli_usage_error("train bev", "--resume continues a run as configured: --preset and --data are not allowed");
    if (!t.resume && !preset)
        return cli_usage_error("train bev", "--preset is required (%s)", cm_bevnet_preset_names());
    if ((rc = cli_train_stage_keys("train bev", &t, cm_bevnet_run_key_can_change,
                                   "lr, plateau_factor, plateau_patience, clip, rgb_w, alpha_w, smooth_w, dropout, "
                                   "eval_frames")) ||
        (rc = cli_train_options_check("train bev", &t)))
        return rc;
    cm_set_threads(t.common.threads);
    cm_bevnet_run_config cfg;
    cm_status st;
    if (t.resume) {
        st = cm_bevnet_run_config_read(&cfg, t.resume);
    } else {
        if ((rc = cli_refuse_existing_run("train bev", t.common.out)))
            return rc;
        st = cm_bevnet_run_config_new(&cfg, preset, t.common.seed, t.sets, t.n_sets, data, dl.n);
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
    if (t.resume) {
        st = cm_train_resume(t.resume, &cm_bevnet_job_ops, job, cfg.seed, &state, loaded);
        /* --set on a resumed run starts a new stage (recorded in run.json). */
        if (st == CM_OK)
            st = cm_bevnet_job_stage(job, &cfg, t.resume, state.step, t.sets, t.n_sets);
    } else if ((st = cm_mkdir_p(t.common.out)) == CM_OK) {
        st = cm_bevnet_run_config_write(&cfg, t.common.out);
    }
    cm_train_config tc = cli_train_config(&t, cfg.seed);
    tc.rank = cm_bevnet_best_rank; /* alpha_iou, ties by eval_loss */
    if (st == CM_OK)
        st = cli_train_loop("train bev", &t, &tc, &cm_bevnet_job_ops, job, &state, loaded);
    cm_bevnet_job_free(job);
    return cli_train_finish("train bev", st, &t, &state);
}
