/* A top-down preview for people: the arena's walls in their colours and the
 * agents' paths, as a PNG (used by `cogmap simulate`). */
#ifndef COGMAP_CLI_PREVIEW_PATHS_H
#define COGMAP_CLI_PREVIEW_PATHS_H

#include "cogmap/world.h"

/* positions: [batch, steps, agents, 2] as cm_worlds_run writes them. Draws
 * the first 16 paths (world-major), each thinned to at most 100,000 points.
 * Written atomically through the io module's PNG writer. */
cm_status cli_preview_paths(const char *path, const cm_arena *arena, const float *positions, int batch, int steps,
                            int agents);

#endif
