/* Test vectors from the reference specs (../shared/specs) that more than one
 * module implements, so that every implementation is held to the same
 * numbers. */
#ifndef COGMAP_TEST_SPEC_VECTORS_H
#define COGMAP_TEST_SPEC_VECTORS_H

/* smp.md §10 "LSTM step": H = 4, input 2, W[k, g] = 0.1 sin(7k + 3g) (W is
 * [input + H, 4H]), b[g] = 0.05 cos g, h0 = c0 = [.2 .4 .6 .8],
 * u = 10 [cos pi/20, sin pi/20]; h1 and c1 are the spec's results. */
typedef struct cmt_smp_lstm_vector {
    float w[6 * 16], b[16], h0[4], c0[4], u[2];
    double h1[4], c1[4];
} cmt_smp_lstm_vector;

void cmt_smp_lstm_vector_init(cmt_smp_lstm_vector *v);

#endif
