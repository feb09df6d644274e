/* Fuzz targets of cogmap's readers and parsers (docs/reliability.md).
 *
 * A target is a plain function over bytes that feeds them to one reader or
 * parser and checks what must hold whatever the bytes: no crash, no leak, no
 * undefined behaviour (the sanitizers), a failure leaves the output empty
 * with a message naming the file, and what reads back writes and reads again
 * to the same thing. A broken property aborts (cmf_check), which libFuzzer
 * reports as a crash.
 *
 * The same targets run in two ways: tests/fuzz/fuzz_main.c makes one libFuzzer
 * executable per target in the fuzz build (make fuzz, build-fuzz/), and
 * tests/test_fuzz_regressions.c runs every seed of tests/fuzz/corpus/<target>/
 * and every input of tests/data/fuzz-regressions/<target>/ through them in the
 * ordinary builds (Release, ASan).
 *
 * Adding a target: a function cmf_run_<name> in a targets_*.c (declared in
 * targets.h), a line in table.c, the name in CMakeLists.txt's
 * COGMAP_FUZZ_TARGETS, seeds written by make_seeds.c (then
 * tests/fuzz/make-corpus.sh build). */
#ifndef COGMAP_FUZZ_H
#define COGMAP_FUZZ_H

#include <stddef.h>
#include <stdint.h>

typedef struct cmf_target {
    const char *name; /* corpus folder, executable fuzz_<name> */
    const char *what; /* the reader it drives */
    void (*run)(const uint8_t *data, size_t size);
} cmf_target;

extern const cmf_target cmf_targets[]; /* ends with {NULL} */
const cmf_target *cmf_find(const char *name);

/* What every target process sets once: one thread, and a 64 MiB memory
 * limit (base.h) so that a declared size is refused rather than allocated
 * (libFuzzer reports a malloc over its -malloc_limit_mb as a crash). */
#define CMF_MEMORY_LIMIT ((uint64_t)64 << 20)
void cmf_init(void);

/* A private folder for this process (on tmpfs where /dev/shm exists),
 * created on first use and removed at exit. */
const char *cmf_workdir(void);

/* Writes data as the file `name` in the work folder; returns its path (a
 * static buffer per name slot: valid until the next call with that slot). */
const char *cmf_write_file(int slot, const char *name, const uint8_t *data, size_t size);

/* A folder of files packed in one input, for the readers of folders
 * (datasets, checkpoints, runs). The input is a list of sections, each
 * starting with a line "@@<relative path>\n" (at the start of the input or
 * after a newline) and holding the bytes up to the next "\n@@" or the end.
 * Paths are relative, of [A-Za-z0-9_.+/-], without "..", at most 200 bytes;
 * other sections and bytes before the first are skipped. Unpacks into a
 * fresh empty folder (slot as above) and returns it, or NULL when nothing
 * could be unpacked. */
const char *cmf_unpack(int slot, const uint8_t *data, size_t size);

/* Empties and recreates folder `slot` of the work folder; returns its path. */
const char *cmf_fresh_dir(int slot);

/* Aborts with a message when `cond` is false: a broken property. */
#define cmf_check(cond, ...) ((cond) ? (void)0 : cmf_fail(__FILE__, __LINE__, #cond, __VA_ARGS__))
void cmf_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* Files dir_a/name and dir_b/name hold the same bytes. */
void cmf_check_same_files(const char *dir_a, const char *dir_b, const char *name);

/* A failed read: the message must name `path` (or the folder it is in).
 * With CMF_VERBOSE set in the environment, every status is printed. */
void cmf_check_failure(int status, const char *path);

/* Runs f(ctx) with stderr sent to /dev/null (the CLI's parsers print). */
void cmf_quiet(void (*f)(void *ctx), void *ctx);

#endif
