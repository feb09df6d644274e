/* cogmap/base.h — errors, logging, progress, random numbers, memory, threads, time.
 *
 * The lowest module: everything else includes it, it includes nothing of cogmap's.
 *
 * Errors. Every fallible function returns a cm_status. On failure it has also
 * written a message into a per-thread buffer (cm_errmsg), naming the file, the
 * field and what was expected. The library never prints and never exits on its
 * own; the CLI turns statuses into messages and exit codes (docs/cli.md).
 */
#ifndef COGMAP_BASE_H
#define COGMAP_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The shared library exports what the public headers declare, and nothing
 * else: it is built with hidden visibility (-fvisibility=hidden), and every
 * public declaration carries CM_API. */
#if defined(__GNUC__) || defined(__clang__)
#define CM_API __attribute__((visibility("default")))
#else
#define CM_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- version */

CM_API const char *cm_version(void); /* "MAJOR.MINOR.PATCH" */

/* ----------------------------------------------------------------- errors */

typedef enum cm_status {
    CM_OK = 0,
    CM_ERR_ARG = 1,         /* a parameter is out of range or inconsistent */
    CM_ERR_IO = 2,          /* the file system said no (open, read, write, rename) */
    CM_ERR_FORMAT = 3,      /* a file is malformed, truncated or of the wrong shape */
    CM_ERR_NOMEM = 4,       /* an allocation failed */
    CM_ERR_NUMERIC = 5,     /* a NaN or infinity appeared (training diverged) */
    CM_ERR_INTERRUPTED = 6, /* the user asked to stop (Ctrl-C); state was saved */
    CM_ERR_UNSUPPORTED = 7, /* valid input that cogmap does not handle (e.g. Fortran order) */
    CM_ERR_INTERNAL = 8     /* a bug in cogmap */
} cm_status;

/* Short stable name of a status: "ok", "bad argument", "format", ... */
CM_API const char *cm_status_name(cm_status status);

/* Records a printf-style message for this thread and returns `status`, so that
 * a failure reads:   return cm_error(CM_ERR_FORMAT, "%s: shape: expected ...", path); */
CM_API cm_status cm_error(cm_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends context to the current message ("loading checkpoint: " + old) and
 * returns `status`; for callers that add where the error happened. */
CM_API cm_status cm_error_context(cm_status status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The last message recorded on this thread ("" if none). */
CM_API const char *cm_errmsg(void);
CM_API void cm_error_clear(void);

/* ---------------------------------------------------------------- logging */

typedef enum cm_log_level { CM_LOG_DEBUG = 0, CM_LOG_INFO = 1, CM_LOG_WARN = 2, CM_LOG_ERROR = 3 } cm_log_level;
typedef void (*cm_log_sink)(cm_log_level level, const char *message, void *user);

/* No sink is installed by default: the library is silent unless the
 * application asks. cm_log_stderr is a ready-made sink ("cogmap: warning: ..."). */
CM_API void cm_log_set_sink(cm_log_sink sink, void *user);
CM_API void cm_log_set_level(cm_log_level min_level);
CM_API void cm_log(cm_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
CM_API void cm_log_stderr(cm_log_level level, const char *message, void *user);

/* --------------------------------------------------------------- progress */

/* A progress reporter for long loops. On a terminal it redraws one line with a
 * bar, the rate and the ETA (at most 10 times a second); otherwise it prints a
 * plain line every `interval` seconds (default 5, or $COGMAP_PROGRESS_INTERVAL),
 * which is what a log file wants. out == NULL makes it silent. */
typedef struct cm_progress {
    FILE *out;
    int is_tty;
    char label[48];
    int64_t total; /* 0 when unknown */
    int64_t done;
    double start_time;
    double last_print;
    double interval;
    double time_limit; /* seconds after start at which the work stops anyway (0: none) */
} cm_progress;

CM_API void cm_progress_start(cm_progress *p, FILE *out, const char *label, int64_t total);
/* Work that also stops after `seconds` (a training's --minutes): the ETA is
 * the nearer of the two ends, not the one the item count alone predicts. */
CM_API void cm_progress_time_limit(cm_progress *p, double seconds);
/* `extra` (printf-style, may be NULL) is appended to the line: "loss 1.23 err 0.4". */
CM_API void cm_progress_update(cm_progress *p, int64_t done, const char *extra_fmt, ...)
    __attribute__((format(printf, 3, 4)));
CM_API void cm_progress_finish(cm_progress *p, const char *extra_fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------- random: cogmap's own */

/* xoshiro256** seeded through splitmix64. cm_rng_seed(r, seed, stream) gives
 * independent streams for one seed: world k of a batch uses stream k, the
 * weight initialiser another, dropout another. Everything a run draws comes
 * from such streams, so the same seed gives the same bits. */
typedef struct cm_rng {
    uint64_t s[4];
    int has_normal;       /* Box–Muller yields pairs; the second is kept here */
    double cached_normal;
} cm_rng;

CM_API void cm_rng_seed(cm_rng *r, uint64_t seed, uint64_t stream);
CM_API uint64_t cm_rng_u64(cm_rng *r);
CM_API double cm_rng_double(cm_rng *r);                  /* [0, 1), 53 bits */
CM_API float cm_rng_float(cm_rng *r);                    /* [0, 1), 24 bits */
CM_API double cm_rng_uniform(cm_rng *r, double lo, double hi);
CM_API uint64_t cm_rng_below(cm_rng *r, uint64_t n);     /* uniform in [0, n), unbiased; n > 0 */
CM_API double cm_rng_normal(cm_rng *r);                  /* standard normal */
CM_API double cm_rng_rayleigh(cm_rng *r, double sigma);  /* Rayleigh with scale sigma */
CM_API void cm_rng_fill_uniform(cm_rng *r, float *x, size_t n, float lo, float hi);
CM_API void cm_rng_fill_normal(cm_rng *r, float *x, size_t n, float mean, float sd);

/* -------------------------------------- random: numpy's legacy RandomState */

/* MT19937 bit-compatible with numpy.random.RandomState(seed) for an integer
 * seed: the same uint32 stream, random_sample (53-bit doubles), uniform and
 * normal (the legacy polar method with its cached second value). Used to
 * reproduce published ensembles exactly (SSM-PC's place cells: seed 42). */
typedef struct cm_mt19937 {
    uint32_t key[624];
    int pos;
    int has_gauss;
    double gauss;
} cm_mt19937;

CM_API void cm_mt_seed(cm_mt19937 *mt, uint32_t seed);
CM_API uint32_t cm_mt_u32(cm_mt19937 *mt);
CM_API double cm_mt_random_sample(cm_mt19937 *mt);                   /* [0, 1) */
CM_API double cm_mt_uniform(cm_mt19937 *mt, double low, double high); /* low + (high-low)*random_sample */
CM_API double cm_mt_normal(cm_mt19937 *mt, double loc, double scale);

/* ----------------------------------------------------------------- memory */

/* 64-byte aligned allocations (whole cache lines, AVX-512 loads). NULL on
 * failure, no message: callers report CM_ERR_NOMEM with what they wanted.
 * A request above the memory limit (below) fails without trying. */
CM_API void *cm_alloc(size_t bytes);
CM_API void *cm_calloc(size_t count, size_t size); /* zeroed, overflow-checked */
CM_API void cm_free(void *p);
/* One zeroed allocation carved into n float buffers, as a model's state
 * keeps its activations: *slots[k] gets sizes[k] floats, every buffer on a
 * 64-byte boundary (sizes rounded up to 16 floats), NULL where sizes[k] is
 * 0. Returns the block (free it with cm_free; the slots point into it) or
 * NULL when out of memory; *total: the floats it holds. */
CM_API float *cm_alloc_slots(float **const *slots, const size_t *sizes, size_t n, size_t *total);

/* The memory limit: the most bytes one allocation, or one array, image or
 * document read from a file, may take. A declared size above it is refused
 * before anything is allocated (readers say the size and the limit), so a
 * hostile or corrupt header cannot make the process thrash or be killed.
 * Default: the machine's physical memory, or the cgroup's memory limit when
 * that is lower. cm_set_memory_limit(0) restores the default; tools that run
 * untrusted input in bulk (the fuzz harnesses) set a small one. */
CM_API void cm_set_memory_limit(uint64_t bytes);
CM_API uint64_t cm_memory_limit(void);
/* CM_OK when `bytes` fit under the limit, otherwise CM_ERR_NOMEM with
 * "<what>: needs N bytes (X GiB), more than the memory limit of M bytes (Y GiB)". */
CM_API cm_status cm_memory_check(uint64_t bytes, const char *what);

/* Peak resident memory of this process in bytes (getrusage), for benchmarks. */
CM_API size_t cm_peak_rss_bytes(void);

/* ---------------------------------------------------------------- strings */

/* Whether `v` is exactly one of `choices`, a list such as "a|b|c" (option
 * values and the names a table lists). */
CM_API int cm_is_choice(const char *v, const char *choices);

/* ---------------------------------------------------------------- numbers */

/* Whether `x` converts to a finite float (finite, |x| <= FLT_MAX): what a
 * reader asks of a number before storing it in a float. */
CM_API int cm_fits_float(double x);

/* ---------------------------------------------------------- threads, time */

/* One thread count for OpenMP regions and for the BLAS library. n <= 0 means
 * all cores. The two are never stacked: BLAS calls made inside cogmap's own
 * parallel regions run single-threaded. The library never sets it itself:
 * until the application calls cm_set_threads, cm_threads() is OpenMP's own
 * default (OMP_NUM_THREADS, else all cores), which the BLAS follows too. */
CM_API void cm_set_threads(int n);
CM_API int cm_threads(void);

/* What keeps that promise: cm_blas_hold() holds BLAS to one thread before a
 * parallel region whose threads call BLAS (returns the setting), and
 * cm_blas_release(held) gives the setting back after it. OpenBLAS's thread
 * pool is one for the process: two threads calling a multi-threaded BLAS at
 * once queue on it and yield the core away (cooperative search with vision
 * at 2 threads ran 20 times slower than at 1 before its regions held BLAS). */
CM_API int cm_blas_hold(void);
CM_API void cm_blas_release(int held);

CM_API double cm_now(void); /* monotonic seconds */

/* Stopping long jobs: trainers and evaluations poll a flag between steps,
 * save what they must and return CM_ERR_INTERRUPTED. The library installs
 * no signal handler: an application calls cm_interrupt_install (a SIGINT
 * handler that sets the flag; a second Ctrl-C exits 130), or sets the flag
 * itself with cm_interrupt_request (from its own handler or thread). */
CM_API void cm_interrupt_install(void);
CM_API void cm_interrupt_request(void);
CM_API int cm_interrupted(void);
CM_API void cm_interrupt_reset(void);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_BASE_H */
