/* Test vectors from the reference specs (spec_vectors.h). */
#include "spec_vectors.h"

#include <math.h>

void cmt_smp_lstm_vector_init(cmt_smp_lstm_vector *v)
{
    for (int k = 0; k < 6; k++)
        for (int g = 0; g < 16; g++)
            v->w[k * 16 + g] = (float)(0.1 * sin(7.0 * k + 3.0 * g));
    for (int g = 0; g < 16; g++)
        v->b[g] = (float)(0.05 * cos((double)g));
    for (int k = 0; k < 4; k++)
        v->h0[k] = v->c0[k] = 0.2f * (float)(k + 1);
    v->u[0] = (float)(10.0 * cos(M_PI / 20));
    v->u[1] = (float)(10.0 * sin(M_PI / 20));
    static const double h1[4] = {0.1341136, 0.47098666, 0.1465468, 0.51964147};
    static const double c1[4] = {-0.11213574, 0.59088821, 0.06441107, 1.05697885};
    for (int k = 0; k < 4; k++) {
        v->h1[k] = h1[k];
        v->c1[k] = c1[k];
    }
}
