/* MT19937 as numpy's legacy RandomState draws it (see base.h).
 *
 * Matsumoto & Nishimura's generator with init_genrand seeding, which is what
 * RandomState(int) uses; random_sample combines two outputs into a 53-bit
 * double exactly as numpy does, and normal uses the legacy polar method whose
 * second value is cached in the state (so draw order matters, as in numpy). */
#include "cogmap/base.h"

#include <math.h>

#define MT_N 624
#define MT_M 397
#define MATRIX_A 0x9908b0dfu
#define UPPER_MASK 0x80000000u
#define LOWER_MASK 0x7fffffffu

void cm_mt_seed(cm_mt19937 *mt, uint32_t seed)
{
    mt->key[0] = seed;
    for (int i = 1; i < MT_N; i++)
        mt->key[i] = 1812433253u * (mt->key[i - 1] ^ (mt->key[i - 1] >> 30)) + (uint32_t)i;
    mt->pos = MT_N;
    mt->has_gauss = 0;
    mt->gauss = 0.0;
}

static void mt_regenerate(cm_mt19937 *mt)
{
    uint32_t *k = mt->key;
    int i;
    for (i = 0; i < MT_N - MT_M; i++) {
        uint32_t y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
        k[i] = k[i + MT_M] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    }
    for (; i < MT_N - 1; i++) {
        uint32_t y = (k[i] & UPPER_MASK) | (k[i + 1] & LOWER_MASK);
        k[i] = k[i + (MT_M - MT_N)] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    }
    uint32_t y = (k[MT_N - 1] & UPPER_MASK) | (k[0] & LOWER_MASK);
    k[MT_N - 1] = k[MT_M - 1] ^ (y >> 1) ^ (-(y & 1u) & MATRIX_A);
    mt->pos = 0;
}

uint32_t cm_mt_u32(cm_mt19937 *mt)
{
    if (mt->pos >= MT_N)
        mt_regenerate(mt);
    uint32_t y = mt->key[mt->pos++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

double cm_mt_random_sample(cm_mt19937 *mt)
{
    uint32_t a = cm_mt_u32(mt) >> 5;
    uint32_t b = cm_mt_u32(mt) >> 6;
    return ((double)a * 67108864.0 + (double)b) / 9007199254740992.0;
}

double cm_mt_uniform(cm_mt19937 *mt, double low, double high)
{
    return low + (high - low) * cm_mt_random_sample(mt);
}

double cm_mt_normal(cm_mt19937 *mt, double loc, double scale)
{
    double g;
    if (mt->has_gauss) {
        mt->has_gauss = 0;
        g = mt->gauss;
    } else {
        double x1, x2, r2;
        do {
            x1 = 2.0 * cm_mt_random_sample(mt) - 1.0;
            x2 = 2.0 * cm_mt_random_sample(mt) - 1.0;
            r2 = x1 * x1 + x2 * x2;
        } while (r2 >= 1.0 || r2 == 0.0);
        double f = sqrt(-2.0 * log(r2) / r2);
        mt->gauss = f * x1;
        mt->has_gauss = 1;
        g = f * x2;
    }
    return loc + scale * g;
}
