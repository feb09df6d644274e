/* Every fuzz target, by name (fuzz.h). */
#include "fuzz.h"
#include "targets.h"

const cmf_target cmf_targets[] = {
    {"npy", "cm_npy_parse, cm_npy_read", cmf_run_npy},
    {"npz", "cm_npz_read", cmf_run_npz},
    {"safetensors", "cm_safetensors_read", cmf_run_safetensors},
    {"json", "cm_json_read and the typed getters", cmf_run_json},
    {"png", "cm_png_read", cmf_run_png},
    {"run_json", "run.json: cm_grid_run_config_read, cm_smp_run_config_read", cmf_run_run_json},
    {"evals_csv", "evals.csv: cm_evals_read, cm_grid_evals_read", cmf_run_evals_csv},
    {"frame_info", "frame_info.json: cm_grid_frames_read", cmf_run_frame_info},
    {"dataset", "a dataset folder: cm_dataset_read", cmf_run_dataset},
    {"grid_dataset", "an SSM-PC grid dataset root: cm_grid_dataset_open", cmf_run_grid_dataset},
    {"checkpoint", "a path-integration checkpoint: cm_pathint_load, cm_train_checkpoint_load", cmf_run_checkpoint},
    {"checkpoint_smp", "an SMP checkpoint: cm_smp_load", cmf_run_checkpoint_smp},
    {"cli", "the trainers' options and --set: cli_train_parse, cm_train_request_check, cm_grid_run_config_set, cm_smp_run_config_set",
     cmf_run_cli},
    {NULL, NULL, NULL},
};
