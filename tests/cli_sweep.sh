#!/usr/bin/env bash
# `cogmap sweep` as a user runs it (one process; tests/mpi_sweep.sh spreads it
# over 2 ranks): one run folder per point, one table with the settings and
# the last evaluation, a failed point recorded with its reason, seed=...
# sweeping --seed, and the usage errors.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--set hidden=12 --set bottleneck=16 --set steps=10 --set eval_batches=2)

check "sweep" 0 "$cogmap" sweep --set batch=4,6 --set seed=1,2 -- train grid --preset ssmpc --steps 4 --eval-every 2 \
    "${tiny[@]}" --out "$tmp/sw" --threads 1
expect_msg "summary" "4 points over 1 rank, 0 failed"
head -1 "$tmp/sw/sweep.csv" | grep -qx 'point,run,batch,seed,status,step,wall_seconds,train_loss,eval_loss,decoding_error,grid_fraction' \
    || { echo "FAIL: sweep.csv header"; head -1 "$tmp/sw/sweep.csv"; fail=1; }
[ "$(wc -l < "$tmp/sw/sweep.csv")" -eq 5 ] || { echo "FAIL: expected 4 rows"; cat "$tmp/sw/sweep.csv"; fail=1; }
grep -q '^3,003-batch=6-seed=2,6,2,ok,4,' "$tmp/sw/sweep.csv" || { echo "FAIL: row 3"; cat "$tmp/sw/sweep.csv"; fail=1; }
grep -Eq '"seed":[[:space:]]*"2"' "$tmp/sw/001-batch=4-seed=2/run.json" || { echo "FAIL: seed=2 not the run's seed"; fail=1; }
# The point's run is the run `train grid` makes with those settings.
check "one run alone" 0 "$cogmap" train grid --preset ssmpc --steps 4 --eval-every 2 "${tiny[@]}" --set batch=6 --seed 2 \
    --out "$tmp/alone" --threads 1 --quiet
cmp -s "$tmp/alone/checkpoints/step_00000004/model.safetensors" \
    "$tmp/sw/003-batch=6-seed=2/checkpoints/step_00000004/model.safetensors" \
    || { echo "FAIL: the sweep's point differs from the same run alone"; fail=1; }

check "a failing point" 1 "$cogmap" sweep --set lr=1e-3,99 -- train grid --preset ssmpc --steps 2 "${tiny[@]}" \
    --set batch=4 --out "$tmp/bad" --quiet
grep -q '^1,001-lr=99,99,"--set lr: expected a number' "$tmp/bad/sweep.csv" || { echo "FAIL: failure row"; cat "$tmp/bad/sweep.csv"; fail=1; }
grep -q '^0,000-lr=1e-3,1e-3,ok,2,' "$tmp/bad/sweep.csv" || { echo "FAIL: the good point"; cat "$tmp/bad/sweep.csv"; fail=1; }

check "no --set" 2 "$cogmap" sweep -- train grid --preset ssmpc --steps 2 --out "$tmp/x"
check "no train command" 2 "$cogmap" sweep --set lr=1,2
check "no --out" 2 "$cogmap" sweep --set lr=1,2 -- train grid --preset ssmpc --steps 2
expect_msg "no --out" "needs --out DIR"
check "--resume" 2 "$cogmap" sweep --set lr=1,2 -- train grid --resume "$tmp/sw/000-batch=4-seed=1" --steps 2 --out "$tmp/x"
check "bad axis" 2 "$cogmap" sweep --set lr -- train grid --preset ssmpc --steps 2 --out "$tmp/x"
expect_msg "bad axis" "key=value1,value2"
check "--help" 0 "$cogmap" sweep --help
expect_msg "--help" "sweep.csv"
finish cli_sweep
