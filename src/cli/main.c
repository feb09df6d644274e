/* cogmap's entry point: global flags, then dispatch through cli_commands[].
 * Under mpirun every rank runs the same command (dist.h): rank 0 speaks for
 * the job (the other ranks' stdout goes to /dev/null, their error messages
 * are shown only when they differ from rank 0's), and a rank that fails
 * alone takes the job down rather than leave the others waiting. */
#include "cli/cli.h"
#include "cogmap/dist.h"

#include <signal.h>
#include <stdlib.h>
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

static int run(int argc, char **argv)
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
    fprintf(cli_err(), "cogmap: unknown command '%s' (see 'cogmap --help')\n", argv[1]);
    return CLI_EXIT_USAGE;
}

/* Open MPI's mpirun ends the job at once on Ctrl-C but forwards SIGUSR1 to
 * every rank: `kill -USR1 <mpirun>` is a job's Ctrl-C (the trainers save and
 * stop together). raise() is async-signal-safe; without a SIGINT handler
 * (commands that do not poll) the rank stops as Ctrl-C would stop it. */
static void on_usr1(int sig)
{
    (void)sig;
    raise(SIGINT);
}

int main(int argc, char **argv)
{
    if (cm_dist_init(&argc, &argv) != CM_OK) {
        fprintf(stderr, "cogmap: %s\n", cm_errmsg());
        return CLI_EXIT_FAILURE;
    }
    if (cm_dist_world_rank() != 0 && !freopen("/dev/null", "w", stdout))
        cm_dist_abort(CLI_EXIT_FAILURE, "cannot silence stdout");
    if (cm_dist_world_size() > 1) {
        struct sigaction sa = {0};
        sa.sa_handler = on_usr1;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
    const int rc = run(argc, argv);
    const int P = cm_dist_world_size();
    if (P > 1) {
        /* Every rank's exit code. A rank that failed waits a little for the
         * others: when they failed too (the same mistake, or a failure they
         * agreed on), the job ends normally; otherwise they are blocked in a
         * collective this rank will never join, and only an abort ends them.
         * A rank that succeeded waits for rank 0's figures and files. */
        int *codes = calloc((size_t)P, sizeof *codes);
        if (!codes || !cm_dist_join_exit(rc, rc == CLI_EXIT_OK ? -1.0 : 5.0, codes)) {
            cli_err_release(1);
            cm_dist_abort(rc ? rc : CLI_EXIT_FAILURE, "failed alone; ending the job");
        }
        /* Rank 0 said why; another rank speaks only of a different failure. */
        cli_err_release(rc != codes[0]);
        free(codes);
    }
    cm_dist_finalize();
    return rc;
}
