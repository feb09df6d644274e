/* cogmap's own generator: xoshiro256** (Blackman & Vigna) seeded by splitmix64.
 *
 * Why not MT19937 everywhere: xoshiro is several times faster, has a 32-byte
 * state that is cheap to keep per world and per thread, and streams are made
 * by hashing (seed, stream) through splitmix64, which is how its authors
 * recommend seeding it. MT19937 is kept only for numpy compatibility. */
#include "cogmap/base.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void cm_rng_seed(cm_rng *r, uint64_t seed, uint64_t stream)
{
    /* Mix the stream in through a full splitmix round so that neighbouring
     * (seed, stream) pairs land far apart. */
    uint64_t x = seed;
    uint64_t s = stream;
    x ^= splitmix64(&s);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1; /* the all-zero state is a fixed point */
    r->has_normal = 0;
    r->cached_normal = 0.0;
}

uint64_t cm_rng_u64(cm_rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double cm_rng_double(cm_rng *r) { return (double)(cm_rng_u64(r) >> 11) * 0x1.0p-53; }

float cm_rng_float(cm_rng *r) { return (float)(cm_rng_u64(r) >> 40) * 0x1.0p-24f; }

double cm_rng_uniform(cm_rng *r, double lo, double hi) { return lo + (hi - lo) * cm_rng_double(r); }

uint64_t cm_rng_below(cm_rng *r, uint64_t n)
{
    /* Lemire's multiply-and-reject: no modulo bias, rarely a second draw. */
    uint64_t x = cm_rng_u64(r);
    __uint128_t m = (__uint128_t)x * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            x = cm_rng_u64(r);
            m = (__uint128_t)x * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

double cm_rng_normal(cm_rng *r)
{
    /* Marsaglia's polar method: exact, no tables, pairs cached. */
    if (r->has_normal) {
        r->has_normal = 0;
        return r->cached_normal;
    }
    double u, v, s;
    do {
        u = 2.0 * cm_rng_double(r) - 1.0;
        v = 2.0 * cm_rng_double(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * log(s) / s);
    r->cached_normal = u * f;
    r->has_normal = 1;
    return v * f;
}

double cm_rng_rayleigh(cm_rng *r, double sigma)
{
    /* Inverse CDF; 1 - U lies in (0, 1] so the log is finite. */
    return sigma * sqrt(-2.0 * log(1.0 - cm_rng_double(r)));
}

void cm_rng_fill_uniform(cm_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * cm_rng_float(r);
}

void cm_rng_fill_normal(cm_rng *r, float *x, size_t n, float mean, float sd)
{
    for (size_t i = 0; i < n; i++)
        x[i] = mean + sd * (float)cm_rng_normal(r);
}
