/* What train grid, eval and demo share: a run's network and data sources,
 * built from its configuration (cogmap/gridrun.h). */
#ifndef COGMAP_CLI_GRID_SESSION_H
#define COGMAP_CLI_GRID_SESSION_H

#include "cogmap/gridrun.h"

typedef struct grid_session {
    cm_grid_run_config cfg;
    cm_grid_net *net;
    cm_grid_world world;
    int has_world;
    cm_grid_dataset train_ds, val_ds;
    int has_data;
    cm_grid_source train, eval; /* eval: fresh paths, or the validation split */
} grid_session;

/* Builds the network (fresh weights from cfg->seed) and the sources. */
cm_status grid_session_open(grid_session *s, const cm_grid_run_config *cfg);
void grid_session_close(grid_session *s);

#endif
