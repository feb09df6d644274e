/* cogmap/simulate.h — what `cogmap simulate` computes and writes: a batch of
 * worlds run for a number of steps with every recorded quantity kept, and
 * trajectory.npz (docs/formats.md, "Trajectories"). */
#ifndef COGMAP_SIMULATE_H
#define COGMAP_SIMULATE_H

#include "cogmap/base.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Arrays [batch, steps, agents, (2|3|rays)], row-major, and the start state. */
typedef struct cm_simulation {
    int batch, steps, agents, rays;
    float dt;       /* seconds per recorded step (the model's step x substeps) */
    double seconds; /* wall clock of the run */
    float *position, *heading, *velocity, *speed, *ang_vel, *ego_velocity, *smp_velocity;
    float *wall_dist, *ego_wall_dist; /* NULL when rays == 0 */
    float *init_position, *init_heading;
} cm_simulation;

/* Motion preset `preset` (cm_motion_preset's names) with its lengths and
 * speeds multiplied by `scale` and, when dt > 0, its time step replaced:
 * `cogmap simulate --motion --scale --dt`. CM_ERR_ARG: an unknown preset or
 * a model cm_motion_check refuses. */
CM_API cm_status cm_simulate_motion(cm_motion *m, const char *preset, double scale, double dt);
/* Runs `batch` worlds (world k on random stream k of `seed`) of `agents`
 * agents each in `arena` with `motion` for `steps` recorded steps of
 * `substeps` model steps, with `rays` wall-distance rays. On failure *out
 * holds nothing to free. CM_ERR_ARG: a count out of range or a bad model. */
CM_API cm_status cm_simulate(const cm_arena *arena, const cm_motion *motion, int batch, int agents, int steps,
                             int rays, int substeps, uint64_t seed, cm_simulation *out);
/* trajectory.npz of a simulation in `arena` (its walls and colours included). */
CM_API cm_status cm_simulation_write(const char *path, const cm_arena *arena, const cm_simulation *s);
CM_API void cm_simulation_free(cm_simulation *s);

#ifdef __cplusplus
}
#endif
#endif
