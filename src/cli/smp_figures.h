/* SMP's figure 2 (place-slot panel; the unit panels come from analyze_figures)
 * and figure 3 (the head-direction RNN's dynamics, smp.md §7), computed from
 * plain arrays so that the same code serves a cogmap run and DeepMind's
 * released arrays converted by scripts/smp-data-to-npz (docs/formats.md,
 * "SMP released data"): the RNN-1 tensors carry the released names. */
#ifndef COGMAP_CLI_SMP_FIGURES_H
#define COGMAP_CLI_SMP_FIGURES_H

#include "cogmap/base.h"
#include "cogmap/smp.h"

/* RNN-1 and the memory as figure 3 needs them (not owned). */
typedef struct smp_hd_net {
    int H, S, D;
    const float *wp, *bp;   /* prediction_rnn_0 w_gates [2 + H, 4H], b_gates [4H] */
    const float *wc, *bc;   /* correction_rnn_0 w_gates [2H, 4H], b_gates [4H] */
    const float *mx;        /* column_context_3 [S, H] */
    const float *written;   /* column_context_3_written [S, H] */
    const float *my;        /* column_context_2 [S, D] */
    float gamma;            /* exp(mmap_0_context_2_query_beta) */
} smp_hd_net;

/* RNN-1 and the memory of a cogmap SMP model (smp_probe.c). */
void smp_hd_net_of_model(smp_hd_net *net, cm_smp *m);

/* Figure 3's probe views of a cogmap run: n frames rgb [n, image, image, 3]
 * rendered at random poses of the run's "PROBE" stream, and their embeddings
 * emb [n, embed] (smp_probe.c). */
cm_status smp_probe_views(cm_smp *m, uint64_t run_seed, int n, uint8_t *rgb, float *emb);

typedef struct smp_fig3_opts {
    int n_init;        /* random initial states (1000) */
    int settle;        /* steps they run at zero velocity (2000) */
    int max_attractor; /* attractor states kept for the correction runs (64) */
    int corr_steps;    /* steps per visual correction run (200) */
    uint64_t seed;
} smp_fig3_opts;

void smp_fig3_defaults(smp_fig3_opts *o);

/* Summary numbers of figure 3 (also written to DIR/figure3.json). */
typedef struct smp_fig3_summary {
    int n_hd_units;          /* units in hd_ordering (RV length > 0.56) */
    double ring_radius;      /* mean distance of the settled states from their PCA centre */
    double settle_step_norm; /* mean |x_{t+1} - x_t| over the last settle steps */
    int attractor_states;
    int images, converged_within_10, never_converged;
    double median_convergence; /* steps, over images that converge */
} smp_fig3_summary;

/* Figure 3 panels A-I as PNGs in dir, from RNN-1 (net), the probe images'
 * embeddings emb [n_img, D] (their frames rgb [n_img, side, side, 3] may be
 * NULL: no example strip) and RNN-1's resultant vectors (angle, length [H]). */
cm_status smp_figure3(const char *dir, const smp_hd_net *net, const float *emb, int n_img, const uint8_t *rgb,
                      int side, const double *rv_angle, const double *rv_len, const smp_fig3_opts *o,
                      smp_fig3_summary *sum, cm_progress *progress);

/* Figure 2 E: rate maps (nx x ny, NaN unvisited) of P(s|y) for the given slots. */
cm_status smp_figure2_places(const char *dir, const double *maps, int nx, int ny, const int *slots, int n_slots);

/* Slots ranked by how peaked their P(s|y) map is (max over mean of the
 * visited bins of maps [S, cells]): the k most place-like into out (smp_eval.c). */
void smp_pick_place_slots(const double *maps, int S, int cells, int *out, int k);

#endif
