/* cm_place_cells_activate_fast (cells.h): place_cells.c's targets with the
 * exponentials vectorised. The reference calls glibc's expf once per cell
 * and pass, a scalar call the compiler cannot vectorise: with 1,024 DoG cells
 * at a temperature (four exponentials a cell) that was a third of a grid
 * training step on 2 cores. Here every pass over the cells is an `omp simd`
 * loop on cm_fexp (nn/fastmath.h, ~2 ulp), the logits are taken from the
 * smallest squared distance instead of the largest logit (the same number,
 * other rounding), and sums are float vector reductions. The targets agree
 * with the reference to within 4e-6 of a row's largest value when these
 * loops vectorise (16 partial sums of 64 terms for 1,024 cells on AVX-512),
 * and to within about 6e-5 in an unoptimised build, whose float sums add
 * 1,024 terms in order (the reference sums in double): the DoG is a difference of
 * two nearly equal softmaxes, divided by its temperature before it is
 * exponentiated, which magnifies the sums' rounding. Double sums would gain
 * a factor of two in the vectorised build for a quarter of the speed; float
 * is what PyTorch's softmax sums in. Tested in tests/test_cells_targets.c.
 * The bits differ from the reference's, and depend on the build's vector
 * width but not on the thread count (rows are independent). */
#include "cogmap/cells.h"
#include "nn/fastmath.h"

#include <float.h>
#include <math.h>

/* Squared distances from (x, y) to every centre into d2; returns the smallest. */
static float squared_distances(const float *restrict centres, int n, float x, float y, float *restrict d2)
{
#pragma omp simd
    for (int i = 0; i < n; i++) {
        float dx = x - centres[2 * i], dy = y - centres[2 * i + 1];
        d2[i] = dx * dx + dy * dy;
    }
    /* Compares, not fminf: fminf's NaN rules keep it a library call. */
    float least = INFINITY;
#pragma omp simd reduction(min : least)
    for (int i = 0; i < n; i++)
        least = d2[i] < least ? d2[i] : least;
    return least;
}

/* The normaliser of softmax_i(-d2_i * a): sum_i exp(-(d2_i - least) * a). */
static float softmax_sum(const float *restrict d2, int n, float least, float a)
{
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int i = 0; i < n; i++)
        sum += cm_fexp((least - d2[i]) * a);
    return sum;
}

/* One row of targets at (x, y). The row first holds the squared distances,
 * which every later pass reads before it overwrites them. */
static void activate_row(const cm_place_cells *pc, float x, float y, float *restrict row)
{
    const int n = pc->n;
    const float a = 1.0f / (2.0f * pc->sigma * pc->sigma), s = pc->surround_scale, b = a / s;
    const float least = squared_distances(pc->centres, n, x, y, row);
    if (pc->tuning) {
        const float inv_s = 1.0f / s, dog = pc->dog ? 1.0f : 0.0f;
#pragma omp simd
        for (int i = 0; i < n; i++)
            row[i] = cm_fexp(-row[i] * a) - dog * cm_fexp(-row[i] * b) * inv_s;
        return;
    }
    const float inv_c = 1.0f / softmax_sum(row, n, least, a);
    if (!pc->dog) {
#pragma omp simd
        for (int i = 0; i < n; i++)
            row[i] = cm_fexp((least - row[i]) * a) * inv_c;
        return;
    }
    /* Sorscher's difference of softmaxes, then either the shift to a zero
     * minimum and renormalisation, or its softmax at dog_temperature. */
    const float inv_surround = 1.0f / softmax_sum(row, n, least, b);
    float lo = INFINITY, hi = -INFINITY;
#pragma omp simd reduction(min : lo) reduction(max : hi)
    for (int i = 0; i < n; i++) {
        float u = least - row[i];
        row[i] = cm_fexp(u * a) * inv_c - cm_fexp(u * b) * inv_surround;
        lo = row[i] < lo ? row[i] : lo;
        hi = row[i] > hi ? row[i] : hi;
    }
    float total = 0.0f;
    if (pc->dog_temperature > 0.0f) {
        const float inv_t = 1.0f / pc->dog_temperature;
#pragma omp simd reduction(+ : total)
        for (int i = 0; i < n; i++) {
            row[i] = cm_fexp((row[i] - hi) * inv_t);
            total += row[i];
        }
    } else {
#pragma omp simd reduction(+ : total)
        for (int i = 0; i < n; i++) {
            row[i] -= lo;
            total += row[i];
        }
    }
    /* As in the reference: a DoG that vanishes up to denormals stays zero. */
    const float inv = total > FLT_MIN ? 1.0f / total : 0.0f;
#pragma omp simd
    for (int i = 0; i < n; i++)
        row[i] *= inv;
}

void cm_place_cells_activate_fast(const cm_place_cells *pc, const float *pos, int64_t count, float *out)
{
    const int n = pc->n;
#pragma omp parallel for schedule(static) if (count * n > 100000)
    for (int64_t s = 0; s < count; s++)
        activate_row(pc, pos[2 * s], pos[2 * s + 1], out + s * n);
}
