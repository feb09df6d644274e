/* Each path-integration preset's input code, from a path of frames (models.h). */
#include "cogmap/models.h"

#include <math.h>
#include <string.h>

cm_status cm_grid_input_of_preset(const char *preset, cm_grid_input *out)
{
    if (preset && strcmp(preset, "ssmpc") == 0)
        *out = CM_GRID_INPUT_VXVYW;
    else if (preset && strcmp(preset, "banino") == 0)
        *out = CM_GRID_INPUT_VCOSSIN;
    else if (preset && strcmp(preset, "sorscher") == 0)
        *out = CM_GRID_INPUT_DXDY;
    else
        return cm_error(CM_ERR_ARG, "preset: expected ssmpc, banino or sorscher, got '%s'", preset ? preset : "(null)");
    return CM_OK;
}

int cm_grid_input_dim(cm_grid_input kind)
{
    return kind == CM_GRID_INPUT_DXDY ? 2 : 3;
}

float cm_grid_wrap_angle(float a)
{
    /* remainder() maps into [-pi, pi]; fold -pi onto +pi so the range is (-pi, pi]. */
    double r = remainder((double)a, 2.0 * M_PI);
    if (r <= -M_PI)
        r += 2.0 * M_PI;
    return (float)r;
}

void cm_grid_path_inputs(cm_grid_input kind, const float *pos, const float *theta, int steps, float *inputs)
{
    const int d = cm_grid_input_dim(kind);
    for (int t = 0; t < steps; t++) {
        float dx = pos[2 * (t + 1)] - pos[2 * t];
        float dy = pos[2 * (t + 1) + 1] - pos[2 * t + 1];
        /* The difference of wrapped headings, wrapped again, is the step of the
         * unwrapped heading as long as no step turns by more than pi. */
        float w = cm_grid_wrap_angle(theta[t + 1] - theta[t]);
        float *in = inputs + (size_t)t * d;
        switch (kind) {
        case CM_GRID_INPUT_VXVYW:
            in[0] = dx;
            in[1] = dy;
            in[2] = w;
            break;
        case CM_GRID_INPUT_VCOSSIN:
            in[0] = sqrtf(dx * dx + dy * dy);
            in[1] = cosf(w);
            in[2] = sinf(w);
            break;
        case CM_GRID_INPUT_DXDY:
            in[0] = dx;
            in[1] = dy;
            break;
        }
    }
}
