/* cogmap's entry point: global flags, then dispatch through cli_commands[]. */
#include "cli/cli.h"

#include <signal.h>
#include <string.h>

static void print_help(FILE *out)
{
    fprintf(out,
            "cogmap %s — learned spatial memory: grid, head-direction, place and boundary-vector cells\n\n"
            "usage: cogmap <command> [options]\n"
            "       cogmap <command> --help\n\ncommands:\n",
            cm_version());
    for (const cli_command *c = cli_commands; c->name; c++)
        fprintf(out, "  %-10s %s\n", c->name, c->summary);
    fprintf(out, "\ncommon options: --seed N, --threads N, --out DIR, --quiet\n"
                 "exit codes: 0 ok, 1 failure, 2 usage error, 130 interrupted (docs/cli.md)\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
        print_help(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("cogmap %s\n", cm_version());
        return CLI_EXIT_OK;
    }
    cm_log_set_sink(cm_log_stderr, NULL);
    /* A file-size limit (ulimit -f) makes a write past it fail with EFBIG,
     * reported with the path like a full disk, rather than kill the process
     * in the middle of a file with SIGXFSZ. */
    signal(SIGXFSZ, SIG_IGN);
    for (const cli_command *c = cli_commands; c->name; c++)
        if (strcmp(argv[1], c->name) == 0)
            return c->run(argc - 1, argv + 1);
    fprintf(stderr, "cogmap: unknown command '%s' (see 'cogmap --help')\n", argv[1]);
    return CLI_EXIT_USAGE;
}
