/* `cogmap-nn-check LAYER DIR [--threads N] [--repeat N]`: one layer or model's
 * forward and backward on the arrays of DIR, for bench/check_torch.py
 * (`make check-torch`). nncheck.h says how to add a handler. */
#include "nncheck.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Every table of handlers; a new area's table goes here. */
static const nc_layer *const tables[] = {
    nc_nn_layers,
    nc_social_layers,
    nc_coop_layers,
    nc_detector_layers,
    nc_bevnet_layers,
};

static const nc_layer *find_layer(const char *name)
{
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const nc_layer *l = tables[t]; l->name; l++)
            if (strcmp(l->name, name) == 0)
                return l;
    return NULL;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: cogmap-nn-check LAYER DIR [--threads N] [--repeat N]\n"
                 "Developer tool for `make check-torch`: runs LAYER's forward and backward on\n"
                 "DIR/<name>.npy with the settings of DIR/config.json and the upstream gradient\n"
                 "DIR/dy.npy, and writes outputs and gradients as DIR/c_<name>.npy.\n"
                 "--repeat N: time N forward+backward passes instead (layers with a timing loop),\n"
                 "print the time per pass, write nothing.\nlayers:");
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (const nc_layer *l = tables[t]; l->name; l++)
            fprintf(out, " %s", l->name);
    fprintf(out, "\n");
}

/* A whole decimal number in [lo, hi], or -1 after a message. */
static long long parse_count(const char *opt, const char *v, long long lo, long long hi)
{
    char *end;
    long long n = v ? strtoll(v, &end, 10) : 0;
    if (!v || *v == '\0' || *end != '\0' || n < lo || n > hi) {
        fprintf(stderr, "cogmap-nn-check: %s: expected a whole number in [%lld, %lld], got '%s'\n", opt, lo, hi,
                v ? v : "");
        return -1;
    }
    return n;
}

int main(int argc, char **argv)
{
    const char *pos[2] = {NULL, NULL};
    int npos = 0;
    long long repeat = 0, threads = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--repeat") == 0 || strcmp(argv[i], "--threads") == 0) {
            const int is_repeat = argv[i][2] == 'r';
            long long n = parse_count(argv[i], i + 1 < argc ? argv[i + 1] : NULL, 1, is_repeat ? 1000000 : 1024);
            if (n < 0)
                return 2;
            *(is_repeat ? &repeat : &threads) = n;
            i++;
            continue;
        }
        if (argv[i][0] == '-' || npos == 2) {
            fprintf(stderr, "cogmap-nn-check: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
        pos[npos++] = argv[i];
    }
    if (npos != 2) {
        usage(stderr);
        return 2;
    }
    const nc_layer *layer = find_layer(pos[0]);
    if (!layer) {
        fprintf(stderr, "cogmap-nn-check: unknown layer '%s' (see --help)\n", pos[0]);
        return 2;
    }
    cm_set_threads((int)threads);
    static nc_ctx ctx; /* large: keep it off the stack */
    memset(&ctx, 0, sizeof ctx);
    ctx.dir = pos[1];
    ctx.repeat = (int)repeat;
    snprintf(ctx.cfg_path, sizeof ctx.cfg_path, "%s/config.json", ctx.dir);
    cm_status st = CM_OK;
    if (access(ctx.cfg_path, F_OK) == 0)
        st = cm_json_read(ctx.cfg_path, &ctx.cfg);
    else
        ctx.cfg = cJSON_CreateObject();
    if (st == CM_OK)
        st = layer->run(&ctx);
    if (st == CM_OK)
        st = ctx.st;
    if (st == CM_OK && repeat > 0 && ctx.seconds <= 0.0)
        st = cm_error(CM_ERR_UNSUPPORTED, "--repeat: layer %s has no timing loop", pos[0]);
    if (st == CM_OK && repeat > 0)
        printf("nn-check %s: %.6f s per forward+backward (%lld passes, %d threads)\n", pos[0], ctx.seconds / repeat,
               repeat, cm_threads());
    else if (st == CM_OK)
        st = nc_save(&ctx);
    nc_free(&ctx);
    if (st != CM_OK) {
        fprintf(stderr, "cogmap-nn-check: error: %s\n", cm_errmsg());
        /* Usage-like failures (an impossible geometry) are exit 2, as before. */
        return st == CM_ERR_ARG ? 2 : 1;
    }
    return 0;
}
