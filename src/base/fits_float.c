/* Whether a double read from a file narrows to a finite float. Every reader
 * that stores a JSON number in a float asks it first: a double beyond
 * FLT_MAX becomes inf as a float (found by fuzzing:
 * tests/data/fuzz-regressions/frame_info/heading-beyond-float). */
#include <float.h>
#include <math.h>

#include "cogmap/base.h"

int cm_fits_float(double x) { return isfinite(x) && fabs(x) <= FLT_MAX; }
