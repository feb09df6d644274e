/* PyTorch's and TensorFlow's default initialisers over cm_rng streams. */
#include "cogmap/nn.h"

#include <math.h>

void cm_init_uniform(cm_rng *rng, float *w, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        w[i] = (float)cm_rng_uniform(rng, lo, hi);
}

void cm_init_linear(cm_rng *rng, float *w, float *bias, int out, int in)
{
    /* kaiming_uniform(a = sqrt 5): gain sqrt(2 / (1 + 5)), bound gain * sqrt(3 / fan_in) = 1/sqrt(fan_in). */
    float bound = 1.0f / sqrtf((float)in);
    cm_init_uniform(rng, w, (size_t)out * (size_t)in, -bound, bound);
    if (bias)
        cm_init_uniform(rng, bias, (size_t)out, -bound, bound);
}

void cm_init_truncated_normal(cm_rng *rng, float *w, size_t n, float mean, float sd)
{
    for (size_t i = 0; i < n; i++) {
        double z;
        do
            z = cm_rng_normal(rng);
        while (fabs(z) > 2.0);
        w[i] = (float)(mean + sd * z);
    }
}
