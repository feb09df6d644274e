/* Every fuzz target (tests/fuzz/fuzz.h) over its seed corpus
 * (tests/fuzz/corpus/<target>/) and over every input a fuzzer once crashed on
 * (tests/data/fuzz-regressions/<target>/, docs/reliability.md): in the
 * ordinary builds, so that the properties the fuzzers check hold in Release
 * and under ASan + UBSan here too, and no fixed crash comes back. */
#define _GNU_SOURCE
#include "test_util.h"

#include "fuzz.h"
#include "cogmap/io.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Runs every file of dir through the target; returns how many. */
static int run_folder(const cmf_target *t, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        void *data;
        size_t len;
        assert_int_equal(cm_read_file(path, &data, &len), CM_OK);
        t->run(data, len);
        cm_error_clear();
        cm_free(data);
        n++;
    }
    closedir(d);
    return n;
}

static void test_target(void **state)
{
    const cmf_target *t = *state;
    const char *src = getenv("COGMAP_SOURCE_DIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fuzz/corpus/%s", src ? src : ".", t->name);
    int seeds = run_folder(t, dir);
    if (seeds == 0) {
        fprintf(stderr, "%s: no seed corpus (tests/fuzz/make-corpus.sh writes it)\n", dir);
        fail();
    }
    snprintf(dir, sizeof dir, "%s/fuzz-regressions/%s", getenv("COGMAP_TEST_DATA") ? getenv("COGMAP_TEST_DATA") : "tests/data",
             t->name);
    int crashes = run_folder(t, dir);
    printf("%s: %d seeds, %d former crashes\n", t->name, seeds, crashes);
}

int main(void)
{
    cmf_init();
    int n = 0;
    while (cmf_targets[n].name)
        n++;
    struct CMUnitTest *tests = calloc((size_t)n, sizeof *tests);
    for (int i = 0; i < n; i++) {
        tests[i].name = cmf_targets[i].name;
        tests[i].test_func = test_target;
        tests[i].initial_state = (void *)&cmf_targets[i];
    }
    int rc = _cmocka_run_group_tests("fuzz regressions", tests, (size_t)n, NULL, NULL);
    free(tests);
    return rc;
}
