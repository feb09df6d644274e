/* A grid-cell run's network and data sources (grid_session.h). */
#include "cli/grid_session.h"

#include <string.h>

void grid_session_close(grid_session *s)
{
    cm_grid_source_free(&s->train);
    cm_grid_source_free(&s->eval);
    cm_grid_dataset_free(&s->train_ds);
    cm_grid_dataset_free(&s->val_ds);
    if (s->has_world)
        cm_grid_world_free(&s->world);
    cm_grid_net_free(s->net);
    memset(s, 0, sizeof *s);
}

cm_status grid_session_open(grid_session *s, const cm_grid_run_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    cm_grid_input input;
    cm_status st = cm_grid_input_of_preset(strncmp(cfg->preset, "sorscher", 8) == 0 ? "sorscher" : cfg->preset, &input);
    if (st == CM_OK && cm_grid_input_dim(input) != cfg->net.input_size)
        st = cm_error(CM_ERR_ARG, "preset %s: its input code has %d values, the network reads %d", cfg->preset,
                      cm_grid_input_dim(input), cfg->net.input_size);
    if (st == CM_OK)
        st = cm_grid_net_create(cfg, &s->net);
    if (st == CM_OK && cfg->data[0]) {
        s->has_data = 1;
        st = cm_grid_dataset_open(&s->train_ds, cfg->data, CM_SPLIT_TRAIN, cfg->net.seq_len);
        if (st == CM_OK)
            st = cm_grid_dataset_open(&s->val_ds, cfg->data, CM_SPLIT_VAL, cfg->net.seq_len);
        if (st == CM_OK)
            st = cm_grid_source_init_dataset(&s->train, input, &s->train_ds, cfg->seed);
        if (st == CM_OK)
            st = cm_grid_source_init_dataset(&s->eval, input, &s->val_ds, cfg->seed);
    } else if (st == CM_OK) {
        st = cm_grid_world_init(&s->world, cfg);
        s->has_world = st == CM_OK;
        if (st == CM_OK)
            st = cm_grid_source_init_paths(&s->train, input, cfg->net.seq_len, cfg->seed, cm_grid_world_path,
                                           &s->world);
        if (st == CM_OK)
            st = cm_grid_source_init_paths(&s->eval, input, cfg->net.seq_len, cfg->seed, cm_grid_world_path,
                                           &s->world);
    }
    if (st != CM_OK)
        grid_session_close(s);
    return st;
}
