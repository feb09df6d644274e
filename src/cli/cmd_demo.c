/* `cogmap demo`: the main job on the built-in default.
 *
 * Until the grid-cell trainer lands this is a small end-to-end run of what
 * exists: it draws SSM-PC's place- and head-direction-cell centres exactly as
 * numpy's RandomState(42) does and writes them to the output folder. */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

static const char demo_usage[] = "usage: cogmap demo [--out DIR] [--seed N] [--threads N] [--quiet]\n"
                                 "Runs the main job on the built-in default and writes its outputs to DIR\n"
                                 "(default: demo-out).\n";

static cm_status write_centres(const char *dir)
{
    char path[4096];
    cm_mt19937 mt;

    snprintf(path, sizeof path, "%s/place_cell_centres.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "# SSM-PC place-cell centres: RandomState(42).uniform(0, 15, (256, 2))\n");
    cm_mt_seed(&mt, 42);
    for (int i = 0; i < 256; i++) {
        double x = cm_mt_uniform(&mt, 0.0, 15.0);
        double y = cm_mt_uniform(&mt, 0.0, 15.0);
        fprintf(f, "%.8f %.8f\n", (float)x, (float)y);
    }
    if (fclose(f) != 0)
        return cm_error(CM_ERR_IO, "%s: write failed", path);

    snprintf(path, sizeof path, "%s/hd_cell_centres.txt", dir);
    f = fopen(path, "w");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fprintf(f, "# SSM-PC head-direction centres: RandomState(42).uniform(-pi, pi, (12,))\n");
    cm_mt_seed(&mt, 42);
    for (int i = 0; i < 12; i++)
        fprintf(f, "%.8f\n", (float)cm_mt_uniform(&mt, -M_PI, M_PI));
    if (fclose(f) != 0)
        return cm_error(CM_ERR_IO, "%s: write failed", path);
    return CM_OK;
}

int cmd_demo(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    common.out = "demo-out";
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(demo_usage, stdout);
            return CLI_EXIT_OK;
        }
        int r = cli_common_option(&common, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r == 0)
            return cli_usage_error("demo", "unknown option '%s'", argv[i]);
    }
    if (mkdir(common.out, 0777) != 0 && errno != EEXIST)
        return cli_fail("demo", cm_error(CM_ERR_IO, "%s: cannot create folder: %s", common.out, strerror(errno)));
    cm_status st = write_centres(common.out);
    if (st != CM_OK)
        return cli_fail("demo", st);
    printf("demo: wrote %s/place_cell_centres.txt and %s/hd_cell_centres.txt\n", common.out, common.out);
    return CLI_EXIT_OK;
}
