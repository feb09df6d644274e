/* Helpers shared by cogmap's tests. */
#define _GNU_SOURCE
#include "test_util.h"

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *cmt_data_path(const char *name)
{
    static char buf[4096];
    const char *dir = getenv("COGMAP_TEST_DATA");
    snprintf(buf, sizeof buf, "%s/%s", dir ? dir : "tests/data", name);
    return buf;
}

const char *cmt_tmpdir(void)
{
    const char *base = getenv("TMPDIR");
    char templ[4096];
    snprintf(templ, sizeof templ, "%s/cogmap-test-XXXXXX", base && base[0] ? base : "/tmp");
    char *dir = mkdtemp(templ);
    if (!dir)
        return NULL;
    return strdup(dir); /* freed by cmt_tmpdir_remove */
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void cmt_tmpdir_remove(const char *dir)
{
    if (dir && strncmp(dir, "/", 1) == 0 && strstr(dir, "cogmap-test-"))
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    free((void *)dir);
}

const char *cmt_python_with(const char *modules)
{
    static char python[4096];
    const char *p = getenv("COGMAP_PYTHON");
    snprintf(python, sizeof python, "%s", p && p[0] ? p : "/usr/bin/python3");
    if (access(python, X_OK) != 0) {
        printf("skipping: %s not found\n", python);
        return NULL;
    }
    char imports[1024] = "";
    char list[512];
    snprintf(list, sizeof list, "%s", modules);
    for (char *save = NULL, *m = strtok_r(list, " ", &save); m; m = strtok_r(NULL, " ", &save)) {
        strncat(imports, "import ", sizeof imports - strlen(imports) - 1);
        strncat(imports, m, sizeof imports - strlen(imports) - 1);
        strncat(imports, ";", sizeof imports - strlen(imports) - 1);
    }
    if (cmt_system("%s -c '%s' >/dev/null 2>&1", python, imports) != 0) {
        printf("skipping: %s cannot import %s\n", python, modules);
        return NULL;
    }
    return python;
}

FILE *cmt_python_output(const char *python, const char *dir, const char *code)
{
    char script[4096], out[4096];
    snprintf(script, sizeof script, "%s/reference.py", dir);
    snprintf(out, sizeof out, "%s/reference.txt", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    assert_true(fputs(code, f) >= 0);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(cmt_system("'%s' '%s' '%s'", python, script, out), 0);
    f = fopen(out, "r");
    assert_non_null(f);
    return f;
}

int cmt_system(const char *fmt, ...)
{
    char cmd[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    if (status == -1)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

double cmt_gradcheck(float *x, const float *analytic, size_t n, cmt_loss_fn loss, void *ctx, float eps,
                     size_t max_checks)
{
    double worst = 0.0;
    size_t stride = 1;
    if (max_checks && n > max_checks)
        stride = n / max_checks;
    for (size_t i = 0; i < n; i += stride) {
        float saved = x[i];
        x[i] = saved + eps;
        double up = loss(ctx);
        x[i] = saved - eps;
        double down = loss(ctx);
        x[i] = saved;
        double numeric = (up - down) / (2.0 * (double)eps);
        double a = analytic[i];
        double scale = fmax(1.0, fmax(fabs(numeric), fabs(a)));
        double err = fabs(numeric - a) / scale;
        if (!(err <= worst)) /* also catches NaN */
            worst = isnan(err) ? INFINITY : err;
    }
    return worst;
}

void cmt_randn(float *x, size_t n, float sd, uint64_t seed)
{
    cm_rng r;
    cm_rng_seed(&r, seed, 0x7e57);
    cm_rng_fill_normal(&r, x, n, 0.0f, sd);
}

double cmt_max_abs_diff(const float *a, const float *b, size_t n)
{
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (!(d <= m))
            m = isnan(d) ? INFINITY : d;
    }
    return m;
}
