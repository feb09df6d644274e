/* SSM-PC's relative object coordinates (ssm-pc.md §3.4, PositionConverter)
 * and their exact inverse. Computed in double: the round trip is exact to
 * float rounding. */
#include <math.h>

#include "cogmap/mapping.h"

void cm_ssmpc_relative(const float obj[2], cm_pose agent, int maze_size, float rel[2])
{
    double dx = (double)obj[0] - agent.x, dy = (double)obj[1] - agent.y;
    double phi = -((double)agent.theta - M_PI / 2.0);
    double c = cos(phi), s = sin(phi), half = maze_size / 2.0;
    double rx = c * dx - s * dy, ry = s * dx + c * dy;
    rel[0] = (float)(-rx / half);
    rel[1] = (float)(ry / half);
}

void cm_ssmpc_absolute(const float rel[2], cm_pose agent, int maze_size, float obj[2])
{
    double half = maze_size / 2.0;
    double rx = -(double)rel[0] * half, ry = (double)rel[1] * half; /* undo the scale and the x negation */
    double phi = (double)agent.theta - M_PI / 2.0;                 /* R(-phi) of cm_ssmpc_relative */
    double c = cos(phi), s = sin(phi);
    obj[0] = (float)(agent.x + c * rx - s * ry);
    obj[1] = (float)(agent.y + s * rx + c * ry);
}
