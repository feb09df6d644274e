/* `cogmap train detector`: parse, call the run layer (detrun.h), print
 * (`cogmap eval` of a detector run: cmd_eval.c). */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/detrun.h"
#include "cogmap/io.h"

const char detector_train_usage[] =
    "usage: cogmap train detector --preset detector|detector-small --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train detector --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains SSM-PC's target detector (ResNet18-shaped backbone from scratch, visibility and\n"
    "attention position heads) on 64x64 maze frames generated on the fly from maze seeds, or on\n"
    "SSM-PC dataset folders (--data), with periodic evaluation on held-out mazes and\n"
    "checkpoints in DIR.\n"
    "  --preset P            detector (SSM-PC's sizes) or detector-small (required for a new run)\n"
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"
    "  --data DIR            SSM-PC dataset folder or root (repeatable); split 70/15/15 by maze\n"
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"
    "  --steps N             stop at N optimiser steps in total\n"
    "  --minutes M           stop after M minutes of training in total (with --steps: first reached)\n"
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
    "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
    "                        with --resume: a new stage (lr, dropout, plateau_factor, plateau_patience,\n"
    "                        eval_frames, loss weights), kept in run.json\n"
    "  --seed N --threads N --quiet\n";

int cli_train_detector(int argc, char **argv)
{
    cli_train_options a;
    const char *preset = NULL, *data[CM_DETECTOR_MAX_DATA];
    cli_list dl = {data, 0, CM_DETECTOR_MAX_DATA};
    cli_train_options_defaults(&a, CM_DETECTOR_MAX_SETS);
    const cli_opt opts[] = {{"--preset", CLI_STRING, &preset},
                            {"--data", CLI_LIST, &dl, 0, 0, "--data: at most %d folders"},
                            {0}};
    int rc = cli_train_parse("train detector", &a, opts, argc, argv);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a.resume && (preset || dl.n))
        return cli_usage_error("train detector", "--resume continues a run as configured: no --preset or --data");
    if (!a.resume && !preset)
        return cli_usage_error("train detector", "--preset is required (%s)", cm_detector_preset_names());
    if ((rc = cli_train_stage_keys("train detector", &a, cm_detector_run_key_can_change,
                                   "lr, dropout, plateau_factor, plateau_patience, eval_frames and the loss weights")) ||
        (rc = cli_train_options_check("train detector", &a)))
        return rc;
    cm_set_threads(a.common.threads);
    cm_detector_run_config cfg;
    cm_status st;
    if (a.resume) {
        st = cm_detector_run_config_read(&cfg, a.resume);
    } else {
        if ((rc = cli_refuse_existing_run("train detector", a.common.out)) != CLI_EXIT_OK)
            return rc;
        st = cm_detector_run_config_new(&cfg, preset, a.common.seed, a.sets, a.n_sets, data, dl.n);
    }
    if (st)
        return cli_fail("train detector", st);
    cm_detector_job *job;
    if ((st = cm_detector_job_create(&cfg, &job)))
        return cli_fail("train detector", st);
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.resume) {
        st = cm_train_resume(a.resume, &cm_detector_job_ops, job, cfg.seed, &state, loaded);
        if (!st)
            st = cm_detector_job_stage(job, &cfg, a.resume, state.step, a.sets, a.n_sets);
    } else if (!(st = cm_mkdir_p(a.common.out))) {
        st = cm_detector_run_config_write(&cfg, a.common.out);
    }
    cm_train_config tc = cli_train_config(&a, cfg.seed);
    tc.best = "visibility_ap";
    if (!st)
        st = cli_train_loop("train detector", &a, &tc, &cm_detector_job_ops, job, &state, loaded);
    cm_detector_job_free(job);
    return cli_train_finish("train detector", st, &a, &state);
}
