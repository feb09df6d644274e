/* The 2-thread pipelined forward and backward of the path-integration
 * network (pathint_internal.h), beside the plain reference in pathint.c.
 *
 * At 2 threads the small LSTM's recurrence (ssmpc, banino) runs on one
 * core: a step is too small to split (a barrier per step costs more than
 * half a step: CM_RECUR_PAR_MIN, nn.h). Instead, the read-outs of finished time
 * chunks run beside it: thread 0 runs the recurrence chunk by chunk and
 * publishes each finished chunk with a release store; thread 1 waits for it
 * (acquire) and computes that chunk's read-outs (pathint_readout_rows, the
 * plain forward's own implementation), and thread 0 joins it when the
 * recurrence is done (before that, thread 1 projects the inputs of chunks
 * 1.. while thread 0 projects chunk 0 and starts). Synchronisation is per
 * chunk, not per step. Every product is the same row-wise computation as the
 * plain forward on fewer rows, and the dropout mask depends only on the
 * element index, so the bits are those of the plain forward
 * (test_models_pathint.c checks 1, 2 and 3 threads). */
#include "models/pathint_internal.h"

#include <omp.h>
#include <sched.h>
#include <stdatomic.h>

#define P(index) pathint_at(m, m->params.params, (index))
#define G(index) pathint_at(m, grad, (index))

/* Rows per chunk at least: keeps each chunk's products on BLAS's packed path,
 * whose bits do not depend on the number of rows; its small-matrix kernels
 * round differently (OpenBLAS 0.3.21 on AVX-512, measured: the HD read-out
 * [rows, 256] x [256, 12] gives the bits of the whole product for chunks of
 * 128 rows and more, different bits for 100 rows and fewer). */
#define PIPE_MIN_ROWS 192

/* At exactly 2 threads (with more, the plain path splits every read-out
 * product across all of them, while the pipeline would leave all but two
 * idle). */
int pathint_pipe_chunks(const cm_pathint *m, const cm_pathint_state *s)
{
    const cm_pathint_config *c = &m->cfg;
    size_t step = (size_t)s->B * 4 * c->hidden * c->hidden;
    if (c->cell != CM_PATHINT_LSTM || cm_threads() != 2 || step >= CM_RECUR_PAR_MIN || step > CM_LSTM_SMALL_STEP)
        return 0;
    int chunks = s->T / ((PIPE_MIN_ROWS + s->B - 1) / s->B);
    return chunks >= 2 ? chunks : 0;
}

/* Steps [*t0, *t1) of chunk k of `chunks`: T split evenly (sizes differ by at
 * most one), so that no chunk has fewer than PIPE_MIN_ROWS rows. */
static void pipe_chunk(int T, int chunks, int k, int *t0, int *t1)
{
    *t0 = (int)((long long)T * k / chunks);
    *t1 = (int)((long long)T * (k + 1) / chunks);
}

void pathint_forward_pipelined(const cm_pathint *m, cm_pathint_state *s, int train, uint64_t key, int chunks)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, I = c->input_size;
    double wsum = pathint_frame_weight_sum(c, T);
    atomic_int projected = 1;  /* chunks whose input projection is done (thread 0 does chunk 0) */
    atomic_int done = 0;       /* chunks whose recurrence is finished */
    atomic_int next_chunk = 0; /* the next chunk whose read-outs nobody has taken */
    const int blas = cm_blas_hold(); /* BLAS calls inside the region run on their caller's thread */
#pragma omp parallel num_threads(2)
    {
        int tid = omp_get_thread_num(), alone = omp_get_num_threads() < 2;
        /* The input projection of chunks 1.. on thread 1 while thread 0 starts
         * the recurrence: otherwise it runs alone before the region. */
        if (tid == 1 || alone)
            for (int k = 1; k < chunks; k++) {
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_input_rows(s->gates, s->x, P(ix->w_ih), P(ix->b_ih), P(ix->b_hh), t0 * B, t1 * B, I, H);
                atomic_store_explicit(&projected, k + 1, memory_order_release);
            }
        if (tid == 0) {
            int t0, t1;
            pipe_chunk(T, chunks, 0, &t0, &t1);
            cm_lstm_input_rows(s->gates, s->x, P(ix->w_ih), P(ix->b_ih), P(ix->b_hh), t0 * B, t1 * B, I, H);
            cm_lstm_transpose_hh(s->fwork, P(ix->w_hh), H);
            for (int k = 0; k < chunks; k++) {
                while (atomic_load_explicit(&projected, memory_order_acquire) <= k)
                    sched_yield();
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_forward_steps(s->hs, s->cs, s->gates, t0, t1, B, H, s->fwork);
                atomic_store_explicit(&done, k + 1, memory_order_release);
            }
        }
        /* Thread 1 takes chunks as they finish; thread 0, once the recurrence
         * is done, takes what is left (the read-outs are the larger part). */
        for (int k; (k = atomic_fetch_add_explicit(&next_chunk, 1, memory_order_relaxed)) < chunks;) {
            while (atomic_load_explicit(&done, memory_order_acquire) <= k)
                sched_yield();
            int t0, t1;
            pipe_chunk(T, chunks, k, &t0, &t1);
            pathint_readout_rows(m, s, t0 * B, t1 * B, train, key, wsum);
        }
    }
    cm_blas_release(blas);
}

/* The mirror of the pipelined forward, in reverse time: thread 1 computes
 * the row-wise part of the read-outs' backward (dz from the logit
 * gradients, the dropout mask, dhs) chunk by chunk from the last, publishing
 * each; thread 0 back-propagates the recurrence through a chunk as soon as
 * its dhs rows are final. Then the weight gradients over all T*B rows, each
 * one product whichever thread makes it: thread 0 those of the LSTM, the
 * read-outs' and the bottleneck's to whichever thread is free first. Same
 * products on the same rows as the plain backward: the same bits. */
void pathint_backward_pipelined(const cm_pathint *m, cm_pathint_state *s, float *grad, int chunks)
{
    const cm_pathint_config *c = &m->cfg;
    const pathint_tensors *ix = &m->ix;
    int B = s->B, T = s->T, H = c->hidden, I = c->input_size;
    cm_lstm_backward_begin(B, H, T, s->work);
    atomic_int ready = 0; /* chunks whose dhs rows are final, counted from the last */
    atomic_int next_job = 0;
    const int blas = cm_blas_hold();
#pragma omp parallel num_threads(2)
    {
        int tid = omp_get_thread_num(), alone = omp_get_num_threads() < 2;
        if (tid == 1 || alone)
            for (int k = chunks - 1; k >= 0; k--) {
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                pathint_readout_back_rows(m, s, t0 * B, t1 * B);
                atomic_store_explicit(&ready, chunks - k, memory_order_release);
            }
        if (tid == 0) {
            for (int k = chunks - 1; k >= 0; k--) {
                while (atomic_load_explicit(&ready, memory_order_acquire) < chunks - k)
                    sched_yield();
                int t0, t1;
                pipe_chunk(T, chunks, k, &t0, &t1);
                cm_lstm_backward_steps(t0, t1, s->dhs, s->cs, s->gates, P(ix->w_hh), T, B, H, s->work);
            }
            cm_lstm_backward_finish(NULL, s->dh0, s->dc0, G(ix->w_ih), G(ix->w_hh), G(ix->b_ih), G(ix->b_hh), s->hs,
                                    s->x, P(ix->w_ih), T, B, I, H, s->work);
        }
        /* Thread 0 comes to the read-out weights only after the LSTM, whose
         * dhs needs every chunk done, so thread 1's rows are all final by then. */
        for (int j; (j = atomic_fetch_add_explicit(&next_job, 1, memory_order_relaxed)) < PATHINT_READOUT_WEIGHT_JOBS;)
            pathint_readout_back_weights(m, s, grad, j);
    }
    cm_blas_release(blas);
}
