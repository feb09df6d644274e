/* LSTM in PyTorch's form (nn.h): gate rows i, f, g, o and two biases.
 *
 * Forward: one GEMM projects the inputs of all steps (with both biases
 * folded in), then each step adds h_{t-1} W_hh^T with one GEMM and applies
 * the four nonlinearities and the cell update in one fused pass.
 * Backward: per step one fused pass turns dh, dc into the gate gradients and
 * one GEMM sends them back through W_hh; the weight gradients of all steps
 * are then single GEMMs over the T*B rows. */
#include "cogmap/nn.h"

#include "nn/fastmath.h"
#include "nn/nn_internal.h"

#include <omp.h>

#include <cblas.h>
#include <math.h>
#include <string.h>

/* Gate nonlinearities and cell update for rows [0, B) and units [u0, u1) of one step. */
static inline void forward_cells(float *g, const float *cp, float *cn, float *hn, int B, int H, int u0, int u1)
{
    int G = 4 * H;
    for (int b = 0; b < B; b++) {
        float *gi = g + (size_t)b * G, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
        const float *c0 = cp + (size_t)b * H;
        float *c1 = cn + (size_t)b * H, *h1 = hn + (size_t)b * H;
#pragma omp simd
        for (int j = u0; j < u1; j++) {
            float i = cm_fsigmoid(gi[j]), f = cm_fsigmoid(gf[j]), gv = cm_ftanh(gg[j]), o = cm_fsigmoid(go[j]);
            float c = f * c0[j] + i * gv;
            gi[j] = i;
            gf[j] = f;
            gg[j] = gv;
            go[j] = o;
            c1[j] = c;
            h1[j] = o * cm_ftanh(c);
        }
    }
}

/* CM_LSTM_SMALL_STEP (nn_internal.h): above this many multiply-adds per
 * step, BLAS's packed product wins over the register-blocked one even with
 * its per-call overhead. */

size_t cm_lstm_forward_work_floats(int H) { return (size_t)4 * H * H; }

void cm_lstm_input_rows(float *gates, const float *x, const float *w_ih, const float *b_ih, const float *b_hh, int r0,
                        int r1, int N_in, int H)
{
    int G = 4 * H;
    if (r1 <= r0)
        return;
    /* Both biases summed once into the first row, then copied: the
     * per-element branches on the bias pointers kept a loop over all rows
     * scalar. */
    float *g0 = gates + (size_t)r0 * G;
    for (int j = 0; j < G; j++)
        g0[j] = (b_ih ? b_ih[j] : 0.0f) + (b_hh ? b_hh[j] : 0.0f);
    for (int r = r0 + 1; r < r1; r++)
        memcpy(gates + (size_t)r * G, g0, (size_t)G * sizeof(float));
    cm_gemm(0, 1, r1 - r0, G, N_in, 1.0f, x + (size_t)r0 * N_in, N_in, w_ih, N_in, 1.0f, g0, G);
}

void cm_lstm_transpose_hh(float *work, const float *w_hh, int H)
{
    /* In 16 x 16 tiles: element by element, one side strides across rows of
     * 4H or H floats and missed cache on every access (2% of banino). */
    int G = 4 * H;
    for (int g0 = 0; g0 < G; g0 += 16)
        for (int k0 = 0; k0 < H; k0 += 16)
            for (int g = g0; g < g0 + 16 && g < G; g++)
                for (int k = k0; k < k0 + 16 && k < H; k++)
                    work[(size_t)k * G + g] = w_hh[(size_t)g * H + k];
}

/* Steps [t0, t1) for units [u0, u1) of a small-step LSTM (W_hh^T in wt). */
static inline void small_steps(float *hs, float *cs, float *gates, int t0, int t1, int B, int H, const float *wt,
                               int u0, int u1)
{
    int G = 4 * H;
    size_t hstep = (size_t)B * H, gstep = (size_t)B * G;
    for (int t = t0; t < t1; t++) {
        float *g = gates + (size_t)t * gstep;
        const float *hp = hs + (size_t)t * hstep;
        for (int q = 0; q < 4; q++)
            cm_small_gemm(g, G, hp, H, wt, G, B, q * H + u0, q * H + u1, H, 1);
        forward_cells(g, cs + (size_t)t * hstep, cs + (size_t)(t + 1) * hstep, hs + (size_t)(t + 1) * hstep, B, H,
                      u0, u1);
    }
}

void cm_lstm_forward_steps(float *hs, float *cs, float *gates, int t0, int t1, int B, int H, const float *work)
{
    small_steps(hs, cs, gates, t0, t1, B, H, work, 0, H);
}

/* hs[T+1, B, H], cs[T+1, B, H] (index 0 = initial state), gates[T, B, 4H],
 * x[T, B, N_in], W_ih[4H, N_in], W_hh[4H, H], b_ih[4H], b_hh[4H], work[4H * H] */
void cm_lstm_forward(float *hs, float *cs, float *gates, const float *x, const float *w_ih, const float *w_hh,
                     const float *b_ih, const float *b_hh, int T, int B, int N_in, int H, float *work)
{
    int G = 4 * H;
    size_t hstep = (size_t)B * H, gstep = (size_t)B * G;
    cm_lstm_input_rows(gates, x, w_ih, b_ih, b_hh, 0, T * B, N_in, H);
    if ((size_t)B * G * H > CM_LSTM_SMALL_STEP) {
        for (int t = 0; t < T; t++) {
            float *g = gates + (size_t)t * gstep;
            cm_gemm(0, 1, B, G, H, 1.0f, hs + (size_t)t * hstep, H, w_hh, H, 1.0f, g, G);
            forward_cells(g, cs + (size_t)t * hstep, cs + (size_t)(t + 1) * hstep, hs + (size_t)(t + 1) * hstep, B,
                          H, 0, H);
        }
        return;
    }
    /* Small steps: W_hh^T once, then one parallel region for the whole
     * sequence. Each thread owns a range of units: it computes their
     * four gate columns and their cell update, so the only synchronisation is
     * one barrier per step (h_t must be complete before step t+1 reads it). */
    cm_lstm_transpose_hh(work, w_hh, H);
    if ((size_t)B * G * H < CM_RECUR_PAR_MIN) {
        small_steps(hs, cs, gates, 0, T, B, H, work, 0, H);
        return;
    }
#pragma omp parallel
    {
        int nt = omp_get_num_threads(), tid = omp_get_thread_num(), u0, u1;
        cm_split_units(H, nt, tid, &u0, &u1);
        for (int t = 0; t < T; t++) {
            if (u1 > u0)
                small_steps(hs, cs, gates, t, t + 1, B, H, work, u0, u1);
#pragma omp barrier
        }
    }
}

size_t cm_lstm_work_floats(int T, int B, int H) { return (size_t)T * B * 4 * H + 2 * (size_t)B * H; }

/* The fused cell pass of step t for units [u0, u1): dh, dc (from step t+1)
 * and dhs_t into the gate gradients of step t and dc_{t-1}. */
static inline void backward_cells(float *dg, float *dh, float *dc, const float *g, const float *dht, const float *cp,
                                  const float *cn, int B, int H, int u0, int u1)
{
    int G = 4 * H;
    for (int b = 0; b < B; b++) {
        const float *gi = g + (size_t)b * G, *gf = gi + H, *gg = gi + 2 * H, *go = gi + 3 * H;
        float *di = dg + (size_t)b * G, *df = di + H, *dgg = di + 2 * H, *dout = di + 3 * H;
        const float *c0 = cp + (size_t)b * H, *c1 = cn + (size_t)b * H;
        const float *dhb = dht + (size_t)b * H;
        float *dhn = dh + (size_t)b * H, *dcn = dc + (size_t)b * H;
#pragma omp simd
        for (int j = u0; j < u1; j++) {
            float i = gi[j], f = gf[j], gv = gg[j], o = go[j];
            float tc = cm_ftanh(c1[j]);
            float dhv = dhb[j] + dhn[j];
            float dcv = dcn[j] + dhv * o * (1.0f - tc * tc);
            dout[j] = dhv * tc * o * (1.0f - o);
            di[j] = dcv * gv * i * (1.0f - i);
            dgg[j] = dcv * i * (1.0f - gv * gv);
            df[j] = dcv * c0[j] * f * (1.0f - f);
            dcn[j] = dcv * f;
        }
    }
}

void cm_lstm_backward_begin(int B, int H, int T, float *work)
{
    memset(work + (size_t)T * B * 4 * H, 0, 2 * (size_t)B * H * sizeof(float));
}

void cm_lstm_backward_steps(int t0, int t1, const float *dhs, const float *cs, const float *gates, const float *w_hh,
                            int T, int B, int H, float *work)
{
    int G = 4 * H;
    size_t hstep = (size_t)B * H, gstep = (size_t)B * G;
    float *dh = work + (size_t)T * gstep, *dc = dh + hstep;
    for (int t = t1 - 1; t >= t0; t--) {
        float *dg = work + (size_t)t * gstep;
        backward_cells(dg, dh, dc, gates + (size_t)t * gstep, dhs + (size_t)t * hstep, cs + (size_t)t * hstep,
                       cs + (size_t)(t + 1) * hstep, B, H, 0, H);
        cm_small_gemm(dh, H, dg, G, w_hh, H, B, 0, H, G, 0);
    }
}

void cm_lstm_backward_finish(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih,
                             float *db_hh, const float *hs, const float *x, const float *w_ih, int T, int B, int N_in,
                             int H, const float *work)
{
    int G = 4 * H;
    size_t hstep = (size_t)B * H;
    const float *dgates = work, *dh = work + (size_t)T * B * G, *dc = dh + hstep;
    if (dh0)
        for (size_t k = 0; k < hstep; k++)
            dh0[k] += dh[k];
    if (dc0)
        for (size_t k = 0; k < hstep; k++)
            dc0[k] += dc[k];
    int n = T * B;
    cm_gemm(1, 0, G, H, n, 1.0f, dgates, G, hs, H, 1.0f, dw_hh, H);
    cm_linear_backward(dx, dw_ih, db_ih, dgates, x, w_ih, n, N_in, G);
    if (db_hh)
        cm_colsum_add(db_hh, dgates, n, G);
}

void cm_lstm_backward(float *dx, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                      const float *dhs, const float *hs, const float *cs, const float *gates, const float *x,
                      const float *w_ih, const float *w_hh, int T, int B, int N_in, int H, float *work)
{
    int G = 4 * H;
    size_t hstep = (size_t)B * H, gstep = (size_t)B * G;
    float *dgates = work;
    float *dh = work + (size_t)T * gstep; /* dL/dh_t sent back from step t+1 */
    float *dc = dh + hstep;               /* dL/dc_t sent back from step t+1 */
    cm_lstm_backward_begin(B, H, T, work);
    int small = (size_t)B * G * H <= CM_LSTM_SMALL_STEP;
    if (small && (size_t)B * G * H < CM_RECUR_PAR_MIN) {
        cm_lstm_backward_steps(0, T, dhs, cs, gates, w_hh, T, B, H, work);
    } else {
        /* Same split as the forward pass: a thread owns units [u0, u1): their
         * four gate-gradient columns, their dc, and their columns of dh (which
         * needs every gate gradient of the step, hence one barrier per step). */
#pragma omp parallel if (small)
        {
            int nt = omp_get_num_threads(), tid = omp_get_thread_num(), u0, u1;
            cm_split_units(H, nt, tid, &u0, &u1);
            for (int t = T - 1; t >= 0; t--) {
                float *dg = dgates + (size_t)t * gstep;
                backward_cells(dg, dh, dc, gates + (size_t)t * gstep, dhs + (size_t)t * hstep, cs + (size_t)t * hstep,
                               cs + (size_t)(t + 1) * hstep, B, H, u0, u1);
                if (small) {
#pragma omp barrier
                    /* dh_{t-1}[:, u0:u1] = dgates_t . W_hh[:, u0:u1] (overwrites: the pass above consumed it) */
                    if (u1 > u0)
                        cm_small_gemm(dh, H, dg, G, w_hh, H, B, u0, u1, G, 0);
                } else {
                    cm_gemm(0, 0, B, H, G, 1.0f, dg, G, w_hh, H, 0.0f, dh, H);
                }
            }
        }
    }
    cm_lstm_backward_finish(dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, hs, x, w_ih, T, B, N_in, H, work);
}
