/* Helpers shared by cogmap's tests (cmocka). */
#ifndef COGMAP_TEST_UTIL_H
#define COGMAP_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "cogmap/base.h"

/* Path of a file in tests/data ($COGMAP_TEST_DATA); static buffer. */
const char *cmt_data_path(const char *name);

/* A fresh empty folder under $TMPDIR (or /tmp), removed with everything in
 * it by cmt_tmpdir_remove, which also frees the returned string. */
const char *cmt_tmpdir(void);
void cmt_tmpdir_remove(const char *dir);

/* The Debian python3 ($COGMAP_PYTHON) if it can import every module named in
 * `modules` (space separated, e.g. "numpy scipy"); NULL otherwise, after
 * printing why the caller will skip. */
const char *cmt_python_with(const char *modules);

/* Reference values from python: runs `code` with `python` (from
 * cmt_python_with), sys.argv[1] naming a file in `dir` where the code writes
 * them as text, and returns that file opened for reading (close it);
 * asserts that python succeeded. */
FILE *cmt_python_output(const char *python, const char *dir, const char *code);

/* Runs a shell command; returns its exit status (-1 if it could not run). */
int cmt_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Gradient check by central differences.
 *
 * `loss` evaluates a scalar loss that depends on x[0..n) (it reads x through
 * its context). The check perturbs up to `max_checks` entries of x (all when 0,
 * otherwise a spread-out subset), each by +-eps, and compares
 *   (loss(x+eps) - loss(x-eps)) / (2 eps)
 * with analytic[i]. Returns the largest error, measured as
 *   |num - ana| / max(1, |num|, |ana|)     (absolute near zero, relative above one).
 * With float32 layers, eps = 1e-2 to 1e-3 and a tolerance of 1e-2 work; a wrong
 * gradient is off by O(1). x is restored on return. */
typedef double (*cmt_loss_fn)(void *ctx);
double cmt_gradcheck(float *x, const float *analytic, size_t n, cmt_loss_fn loss, void *ctx, float eps,
                     size_t max_checks);

/* Fills x with N(0, sd) from a fixed-seed stream; a convenience for tests. */
void cmt_randn(float *x, size_t n, float sd, uint64_t seed);

/* Largest |a - b| over n entries. */
double cmt_max_abs_diff(const float *a, const float *b, size_t n);

#endif
