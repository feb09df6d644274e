/* Sinusoidal position encodings of SSM-PC's BEV Transformer (ssm-pc.md §6.2):
 * PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)). The
 * decoder's 64 "learnable" queries are in fact these fixed vectors. Computed in
 * double, then rounded, so that positions up to thousands stay accurate. */
#include "cogmap/nn.h"

#include <math.h>

void cm_positional_encoding(float *pe, int positions, int d)
{
    for (int p = 0; p < positions; p++)
        for (int i = 0; 2 * i < d; i++) {
            double angle = p / pow(10000.0, (2.0 * i) / d);
            pe[(size_t)p * d + 2 * i] = (float)sin(angle);
            if (2 * i + 1 < d)
                pe[(size_t)p * d + 2 * i + 1] = (float)cos(angle);
        }
}
