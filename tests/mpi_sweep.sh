#!/usr/bin/env bash
# `mpirun -np 2 cogmap sweep`: the points spread over the 2 ranks give the
# table one process gives (but for wall_seconds), and one summary line.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
mpirun=${COGMAP_MPIRUN:?COGMAP_MPIRUN is set by ctest}
export OMP_NUM_THREADS=1
tiny=(--set hidden=12 --set bottleneck=16 --set steps=10 --set eval_batches=2)
args=(--set batch=4,6 --set lr=1e-3,2e-3,99 -- train grid --preset ssmpc --steps 4 --eval-every 2 "${tiny[@]}" --threads 1)

check "1 process" 1 "$cogmap" sweep --quiet "${args[@]}" --out "$tmp/one"
check "2 ranks" 1 $mpirun "$cogmap" sweep "${args[@]}" --out "$tmp/two"
[ "$(grep -c '6 points over 2 ranks, 2 failed' "$log")" -eq 1 ] || { echo "FAIL: summary"; cat "$log"; fail=1; }
# Both ranks trained (point i on rank i mod 2) and the table is the same but for the clock.
grep -q "rank 1: --set lr" "$log" || { echo "FAIL: rank 1 ran no point"; cat "$log"; fail=1; }
cmp -s <(cut -d, -f1-6,8- "$tmp/one/sweep.csv") <(cut -d, -f1-6,8- "$tmp/two/sweep.csv") \
    || { echo "FAIL: tables differ"; diff "$tmp/one/sweep.csv" "$tmp/two/sweep.csv"; fail=1; }
finish mpi_sweep
