/* Place-cell target codes (see cells.h). */
#include "cogmap/cells.h"

#include <float.h>
#include <math.h>
#include <string.h>

cm_status cm_place_cells_create(cm_place_cells *pc, int n, float sigma, float lo, float hi, uint32_t seed,
                                cm_centre_order order)
{
    memset(pc, 0, sizeof *pc);
    if (n <= 0 || n > 1 << 20)
        return cm_error(CM_ERR_ARG, "place cells: count: expected 1..%d, got %d", 1 << 20, n);
    if (!(sigma > 0) || !isfinite(sigma))
        return cm_error(CM_ERR_ARG, "place cells: sigma: expected a positive number, got %g", sigma);
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return cm_error(CM_ERR_ARG, "place cells: range: expected lo < hi, got [%g, %g]", lo, hi);
    pc->centres = cm_alloc((size_t)n * 2 * sizeof(float));
    if (!pc->centres)
        return cm_error(CM_ERR_NOMEM, "place cells: cannot allocate %d centres", n);
    pc->n = n;
    pc->sigma = sigma;
    pc->surround_scale = 2.0f;
    cm_mt19937 mt;
    cm_mt_seed(&mt, seed);
    if (order == CM_CENTRES_PAIRS) {
        for (int i = 0; i < 2 * n; i++)
            pc->centres[i] = (float)cm_mt_uniform(&mt, lo, hi);
    } else {
        for (int axis = 0; axis < 2; axis++)
            for (int i = 0; i < n; i++)
                pc->centres[2 * i + axis] = (float)cm_mt_uniform(&mt, lo, hi);
    }
    return CM_OK;
}

cm_status cm_place_cells_preset(cm_place_cells *pc, const char *name)
{
    return cm_place_cells_preset_scaled(pc, name, 1.0f);
}

/* n cells over [lo, hi]^2 become round(n s^2) over [s lo, s hi]^2 (the same
 * density), or `count` of them; the draws stay numpy's from the preset's seed. */
static cm_status scaled(cm_place_cells *pc, int n, float sigma, float lo, float hi, uint32_t seed,
                        cm_centre_order order, float s, int count)
{
    const int ns = count > 0 ? count : s == 1.0f ? n : (int)lrint((double)n * s * s);
    return cm_place_cells_create(pc, ns, sigma, lo * s, hi * s, seed, order);
}

cm_status cm_place_cells_preset_scaled(cm_place_cells *pc, const char *name, float scale)
{
    return cm_place_cells_preset_sized(pc, name, scale, 0);
}

cm_status cm_place_cells_preset_sized(cm_place_cells *pc, const char *name, float scale, int count)
{
    cm_status st;
    if (!(scale >= 0.25f && scale <= 8.0f)) {
        memset(pc, 0, sizeof *pc);
        return cm_error(CM_ERR_ARG, "place cells: scale: expected 0.25..8, got %g", scale);
    }
    if (count < 0 || count > 1 << 20) {
        memset(pc, 0, sizeof *pc);
        return cm_error(CM_ERR_ARG, "place cells: count: expected 0 (the preset's density) or 1..%d, got %d", 1 << 20,
                        count);
    }
    if (strcmp(name, "ssmpc") == 0)
        return scaled(pc, 256, 0.5f, 0.0f, 15.0f, 42, CM_CENTRES_PAIRS, scale, count);
    if (strcmp(name, "banino") == 0)
        return scaled(pc, 256, 0.01f, -1.1f, 1.1f, 8341, CM_CENTRES_PAIRS, scale, count);
    if (strcmp(name, "sorscher") == 0) {
        st = scaled(pc, 512, 0.12f, -1.1f, 1.1f, 0, CM_CENTRES_X_THEN_Y, scale, count);
        if (st == CM_OK)
            pc->dog = 1;
        return st;
    }
    memset(pc, 0, sizeof *pc);
    return cm_error(CM_ERR_ARG, "place cells: preset: expected ssmpc, banino or sorscher, got '%s'", name);
}

void cm_place_cells_free(cm_place_cells *pc)
{
    if (!pc)
        return;
    cm_free(pc->centres);
    pc->centres = NULL;
    pc->n = 0;
}

/* expf(x), skipping the call where it underflows to 0 anyway: below
 * -103.97 glibc's expf returns 0 by way of its slow underflow path, which
 * took a twelfth of a DoG grid run's time (1,024 cells of width 0.6 in a
 * 15-unit box: most centres are far). The same bits either way. */
static inline float exp_or_zero(float x)
{
    return x < -104.0f ? 0.0f : expf(x);
}

/* out[i] = softmax_i(-d_i^2 * inv2s2), subtracting the max logit for stability. */
static void softmax_of_distances(const float *centres, int n, float x, float y, float inv2s2, float *out)
{
    float max_logit = -INFINITY;
    for (int i = 0; i < n; i++) {
        float dx = x - centres[2 * i], dy = y - centres[2 * i + 1];
        out[i] = -(dx * dx + dy * dy) * inv2s2;
        if (out[i] > max_logit)
            max_logit = out[i];
    }
    double sum = 0.0;
    for (int i = 0; i < n; i++) {
        out[i] = exp_or_zero(out[i] - max_logit);
        sum += out[i];
    }
    float inv = (float)(1.0 / sum);
    for (int i = 0; i < n; i++)
        out[i] *= inv;
}

/* The cells' tuning curves at (x, y) (cm_place_cells.tuning). */
static void tuning_curves(const cm_place_cells *pc, float x, float y, float inv2s2, float *out)
{
    const float s = pc->surround_scale, inv_s = 1.0f / s;
    for (int i = 0; i < pc->n; i++) {
        float dx = x - pc->centres[2 * i], dy = y - pc->centres[2 * i + 1];
        float d2 = (dx * dx + dy * dy) * inv2s2;
        out[i] = pc->dog ? expf(-d2) - expf(-d2 * inv_s) * inv_s : expf(-d2);
    }
}

void cm_place_cells_activate(const cm_place_cells *pc, const float *pos, int64_t count, float *out)
{
    const int n = pc->n;
    const float inv2s2 = 1.0f / (2.0f * pc->sigma * pc->sigma);
#pragma omp parallel for schedule(static) if (count * n > 100000)
    for (int64_t s = 0; s < count; s++) {
        float *row = out + s * n;
        if (pc->tuning) {
            tuning_curves(pc, pos[2 * s], pos[2 * s + 1], inv2s2, row);
            continue;
        }
        softmax_of_distances(pc->centres, n, pos[2 * s], pos[2 * s + 1], inv2s2, row);
        if (!pc->dog)
            continue;
        /* Sorscher's difference of softmaxes: subtract the wide surround, shift
         * so the minimum is zero, renormalise. The surround is computed into
         * the row's own values on the fly to avoid a scratch buffer. */
        const float inv_surround = inv2s2 / pc->surround_scale;
        float max_logit = -INFINITY;
        for (int i = 0; i < n; i++) {
            float dx = pos[2 * s] - pc->centres[2 * i], dy = pos[2 * s + 1] - pc->centres[2 * i + 1];
            float l = -(dx * dx + dy * dy) * inv_surround;
            if (l > max_logit)
                max_logit = l;
        }
        double sum = 0.0;
        for (int i = 0; i < n; i++) {
            float dx = pos[2 * s] - pc->centres[2 * i], dy = pos[2 * s + 1] - pc->centres[2 * i + 1];
            sum += exp_or_zero(-(dx * dx + dy * dy) * inv_surround - max_logit);
        }
        float min_v = INFINITY, max_v = -INFINITY;
        for (int i = 0; i < n; i++) {
            float dx = pos[2 * s] - pc->centres[2 * i], dy = pos[2 * s + 1] - pc->centres[2 * i + 1];
            row[i] -= (float)(exp_or_zero(-(dx * dx + dy * dy) * inv_surround - max_logit) / sum);
            if (row[i] < min_v)
                min_v = row[i];
            if (row[i] > max_v)
                max_v = row[i];
        }
        if (pc->dog_temperature > 0.0f) {
            /* The DoG as logits: a cross-entropy read-out then learns the DoG
             * itself (up to a constant), at a contrast this temperature sets. */
            const float inv_t = 1.0f / pc->dog_temperature;
            double z = 0.0;
            for (int i = 0; i < n; i++) {
                row[i] = exp_or_zero((row[i] - max_v) * inv_t);
                z += row[i];
            }
            const float inv_z = (float)(1.0 / z);
            for (int i = 0; i < n; i++)
                row[i] *= inv_z;
            continue;
        }
        double total = 0.0;
        for (int i = 0; i < n; i++) {
            row[i] += fabsf(min_v);
            total += row[i];
        }
        /* A DoG that vanishes up to denormals (both softmaxes one-hot on the
         * same cell: a width far below the cells' spacing) has no shape to
         * normalise; 1 / total would overflow to inf. The row stays zero. */
        float inv = total > FLT_MIN ? (float)(1.0 / total) : 0.0f;
        for (int i = 0; i < n; i++)
            row[i] *= inv;
    }
}

void cm_place_cells_decode(const cm_place_cells *pc, const float *logits, int64_t count, int top_k, float *pos)
{
    const int n = pc->n;
    for (int64_t s = 0; s < count; s++) {
        const float *l = logits + s * n;
        double x = 0.0, y = 0.0;
        if (top_k > 0) {
            /* Mean of the top_k centres: repeated selection, k is small (3). */
            int k = top_k < n ? top_k : n;
            int chosen[64];
            if (k > 64)
                k = 64;
            for (int j = 0; j < k; j++) {
                int best = -1;
                for (int i = 0; i < n; i++) {
                    int taken = 0;
                    for (int c = 0; c < j; c++)
                        taken |= chosen[c] == i;
                    if (!taken && (best < 0 || l[i] > l[best]))
                        best = i;
                }
                chosen[j] = best;
                x += pc->centres[2 * best];
                y += pc->centres[2 * best + 1];
            }
            x /= k;
            y /= k;
        } else {
            float m = -INFINITY;
            for (int i = 0; i < n; i++)
                if (l[i] > m)
                    m = l[i];
            double sum = 0.0;
            for (int i = 0; i < n; i++) {
                double w = exp((double)l[i] - m);
                sum += w;
                x += w * pc->centres[2 * i];
                y += w * pc->centres[2 * i + 1];
            }
            x /= sum;
            y /= sum;
        }
        pos[2 * s] = (float)x;
        pos[2 * s + 1] = (float)y;
    }
}
