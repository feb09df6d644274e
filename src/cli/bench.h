/* `cogmap bench <name>`: one entry per benchmark in cmd_bench.c's table.
 * Each prints a line "<unit> per core: X" that the bench scripts parse. */
#ifndef COGMAP_CLI_BENCH_H
#define COGMAP_CLI_BENCH_H

/* argv[0] is the benchmark's name. */
int bench_motion(int argc, char **argv);

#endif
