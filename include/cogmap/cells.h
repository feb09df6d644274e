/* cogmap/cells.h — fixed target codes for path integration: place cells and
 * head-direction cells, as the published models draw and evaluate them.
 *
 * Ensembles are immutable after creation and not learned; they are not
 * stored in checkpoints (the published code does not store them either),
 * so they are recreated from their seed exactly as numpy would draw them. */
#ifndef COGMAP_CELLS_H
#define COGMAP_CELLS_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How a published generator lays out centre draws from its RNG. */
typedef enum cm_centre_order {
    CM_CENTRES_PAIRS = 0,  /* uniform(lo, hi, (n, 2)): x0 y0 x1 y1 ... (Banino, SSM-PC) */
    CM_CENTRES_X_THEN_Y = 1 /* uniform(lo, hi, (n,)) for x, then again for y (Sorscher) */
} cm_centre_order;

typedef struct cm_place_cells {
    int n;
    float sigma;          /* Gaussian width, world units */
    int dog;              /* Sorscher's difference of softmaxes */
    float surround_scale; /* DoG surround variance factor (2: sigma2^2 = 2 sigma^2) */
    /* DoG only. 0: Sorscher's code (the difference shifted to a zero minimum
     * and renormalised, nearly flat: most of its mass is the shift). > 0:
     * softmax_i(DoG_i / dog_temperature), the difference used as logits, so
     * that the ideal read-out logits are the DoG itself, at a contrast the
     * temperature sets. */
    float dog_temperature;
    /* 1: each cell's own tuning curve instead of a population code, the
     * targets of a squared-error read-out (Sorscher et al. 2019's theory):
     * g(d) = exp(-d^2 / (2 sigma^2)), or for DoG g(d) - g(d / sqrt(s)) / s
     * with s = surround_scale, whose spatial mean is zero. Away from the
     * walls Sorscher's difference of softmaxes is this curve up to a scale
     * (each softmax divides by a sum of about 2 pi sigma^2 rho); the curve
     * has no edge effects and no shift. Overrides dog_temperature. */
    int tuning;
    float *centres;       /* [n, 2] */
} cm_place_cells;

typedef struct cm_hd_cells {
    int n;
    float kappa;    /* von Mises concentration */
    float *centres; /* [n] radians */
} cm_hd_cells;

/* Centres uniform in [xmin, xmax] x [ymin, ymax] drawn by numpy's
 * RandomState(seed) (a fresh generator; lo + (hi - lo) * random_sample).
 * For a square the published codes draw uniform(lo, hi) for both axes. */
CM_API cm_status cm_place_cells_create(cm_place_cells *pc, int n, float sigma, float lo, float hi, uint32_t seed,
                                cm_centre_order order);
/* Presets: "ssmpc" (256, sigma 0.5, [0,15]^2, seed 42), "banino" (256, 0.01 m,
 * [-1.1,1.1]^2, seed 8341), "sorscher" (512, 0.12 m, DoG, seed 0, x then y). */
CM_API cm_status cm_place_cells_preset(cm_place_cells *pc, const char *name);
/* The preset's ensemble for an arena `scale` (0.25..8) times larger: centres
 * over the scaled square, round(n scale^2) of them (the same density), the
 * same width and seed. Scale 1 is the preset. */
CM_API cm_status cm_place_cells_preset_scaled(cm_place_cells *pc, const char *name, float scale);
/* The same with `count` cells instead (0: the scaled preset's number), drawn
 * from the preset's seed over the scaled square: a denser or sparser
 * ensemble of the same width. Centres drawn in pairs (ssmpc, banino) begin
 * with the preset's own cells. */
CM_API cm_status cm_place_cells_preset_sized(cm_place_cells *pc, const char *name, float scale, int count);
CM_API void cm_place_cells_free(cm_place_cells *pc);

/* Preferred directions uniform in [-pi, pi) from a fresh RandomState(seed). */
CM_API cm_status cm_hd_cells_create(cm_hd_cells *hd, int n, float kappa, uint32_t seed);
CM_API void cm_hd_cells_free(cm_hd_cells *hd);

/* Target distributions over cells, one row per sample:
 *   place: softmax_i(-|x - mu_i|^2 / (2 sigma^2)), or Sorscher's DoG (shifted
 *          and renormalised, or its softmax at dog_temperature), or with
 *          `tuning` the cells' own tuning curves (rows do not sum to 1);
 *   hd:    softmax_j(kappa cos(theta - mu_j)).
 * pos [count, 2], theta [count] -> out [count, n]. Rows sum to 1 but for
 * tuning curves. */
CM_API void cm_place_cells_activate(const cm_place_cells *pc, const float *pos, int64_t count, float *out);
/* The same targets with vectorised exponentials (src/cells/place_cells_fast.c):
 * within 4e-6 of a row's largest value of cm_place_cells_activate's where
 * its loops vectorise (6e-5 in an unoptimised build), other bits; 6-14x
 * faster (bench/targets.sh). The training and
 * evaluation of grid networks use it. */
CM_API void cm_place_cells_activate_fast(const cm_place_cells *pc, const float *pos, int64_t count, float *out);
CM_API void cm_hd_cells_activate(const cm_hd_cells *hd, const float *theta, int64_t count, float *out);

/* Decoding from logits [count, n]:
 *   position = sum_i softmax(logits)_i mu_i           (SSM-PC's decoder), or,
 *   with top_k > 0, the mean centre of the top_k logits (Sorscher's decoder);
 *   heading  = arg(sum_j softmax(logits)_j e^{i mu_j}). */
CM_API void cm_place_cells_decode(const cm_place_cells *pc, const float *logits, int64_t count, int top_k, float *pos);
CM_API void cm_hd_cells_decode(const cm_hd_cells *hd, const float *logits, int64_t count, float *theta);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_CELLS_H */
