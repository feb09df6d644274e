/* cogmap/gridrun.h — grid-cell runs end to end: the data a path-integration
 * network is trained on (on-the-fly rat trajectories or SSM-PC dataset
 * folders), converted to each preset's inputs; and the animated GIF writer
 * used by `cogmap eval` for the emergence figure.
 *
 * Path convention. A batch element is a path of steps+1 frames (pos, theta):
 * frame 0 is where the network's initial state is encoded (init_pos,
 * init_hd), frames 1..steps are the targets, and input t is the motion from
 * frame t-1 to frame t. SSM-PC's convention (target 0 = the initial position,
 * v_0 = 0, ssm-pc.md §3.3/§4.2) is the special case of a path whose first two
 * frames are equal; the dataset reader builds its windows that way.
 */
#ifndef COGMAP_GRIDRUN_H
#define COGMAP_GRIDRUN_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------- input codes */

typedef enum cm_grid_input {
    CM_GRID_INPUT_VXVYW = 0,   /* ssmpc:    [vx, vy, w]: backward differences per step */
    CM_GRID_INPUT_VCOSSIN = 1, /* banino:   [v, cos w, sin w] (jtoy order, grid-cells.md §10) */
    CM_GRID_INPUT_DXDY = 2     /* sorscher: [dx, dy], Cartesian displacement per step */
} cm_grid_input;

/* The input code of a preset name ("ssmpc", "banino", "sorscher"). */
cm_status cm_grid_input_of_preset(const char *preset, cm_grid_input *out);
int cm_grid_input_dim(cm_grid_input kind); /* 3, 3, 2 */

/* pos [steps+1, 2], theta [steps+1] -> inputs [steps, dim]. Displacements are
 * in world units per step; w = wrap(theta_t - theta_{t-1}) in (-pi, pi]
 * (unwrapped difference); v = |p_t - p_{t-1}|. */
void cm_grid_path_inputs(cm_grid_input kind, const float *pos, const float *theta, int steps, float *inputs);

/* Wraps an angle into (-pi, pi]. */
float cm_grid_wrap_angle(float a);

/* ------------------------------------------------- SSM-PC dataset folders */

typedef enum cm_grid_split { CM_SPLIT_TRAIN = 0, CM_SPLIT_VAL = 1, CM_SPLIT_TEST = 2 } cm_grid_split;

/* The windows of one split of an SSM-PC grid-cell dataset (ssm-pc.md §3.3):
 * folders D*_P* under root, sorted by name, the first 70% train, the next 15%
 * validation, the rest test; of each only <folder>/000000/frame_info.json
 * (new schema: frame_id, agent_state.position, agent_state.rotation) is read.
 * Frames are sorted by frame_id and cut into maximal runs of consecutive ids;
 * every window of `window` consecutive frames (stride 1) of a run is a sample. */
typedef struct cm_grid_dataset {
    int window;
    int n_folders;       /* folders in this split */
    int64_t n_frames;
    float *pos;          /* [n_frames, 2] frames of every run, run after run */
    float *theta;        /* [n_frames] */
    int64_t n_windows;
    int64_t *starts;     /* [n_windows] index of each window's first frame */
} cm_grid_dataset;

cm_status cm_grid_dataset_open(cm_grid_dataset *ds, const char *root, cm_grid_split split, int window);
/* Window w as a path of window+1 frames in the convention above: frame 0 is
 * the window's first frame repeated, so input 0 is zero and target 0 is the
 * initial position, as in SSM-PC. pos [window+1, 2], theta [window+1]. */
void cm_grid_dataset_path(const cm_grid_dataset *ds, int64_t w, float *pos, float *theta);
void cm_grid_dataset_free(cm_grid_dataset *ds);

/* Reads one frame_info.json (new schema) into frames sorted by frame_id:
 * *ids [n], *pos [n, 2], *theta [n], all cm_alloc'ed. For tests and tools. */
cm_status cm_grid_frames_read(const char *path, int64_t **ids, float **pos, float **theta, int64_t *n);

/* ----------------------------------------------------------- animated GIF */

/* Writes RGB frames (each [height, width, 3], rows top to bottom) as a looping
 * animated GIF with `delay_cs` hundredths of a second per frame. Colours are
 * quantised to one shared 256-colour palette (a 6x7x6 cube plus greys), which
 * suits rate maps and plots. Written atomically. */
cm_status cm_gif_write(const char *path, const uint8_t *const *frames, int count, int width, int height,
                       int delay_cs);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_GRIDRUN_H */
