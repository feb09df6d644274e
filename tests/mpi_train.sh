#!/usr/bin/env bash
# `mpirun -np 2 cogmap train grid` and `cogmap eval` as a user runs them
# (ctest sets COGMAP_MPIRUN to mpirun -np 2 ...): repeated 2-rank runs give
# the same bits, and equal the 1-process run within float rounding; rank 0
# alone writes; a rank killed mid-run takes the job down, the newest
# checkpoint loads and --resume continues (with 2 ranks, or 1); SIGUSR1 to
# mpirun saves and stops every rank; a 2-rank evaluation writes the serial
# evaluation's numbers.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
mpirun=${COGMAP_MPIRUN:?COGMAP_MPIRUN is set by ctest}
export OMP_NUM_THREADS=1
tiny=(--set hidden=12 --set bottleneck=16 --set batch=4 --set steps=10 --set eval_batches=2)

check "2 ranks" 0 $mpirun "$cogmap" train grid --preset ssmpc --out "$tmp/a" --steps 12 --eval-every 4 "${tiny[@]}"
expect_msg "one progress report" "train grid: 12 steps"
[ "$(grep -c 'train grid: 12 steps' "$log")" -eq 1 ] || { echo "FAIL: rank 1 spoke"; cat "$log"; fail=1; }
check "2 ranks again" 0 $mpirun "$cogmap" train grid --preset ssmpc --out "$tmp/b" --steps 12 --eval-every 4 "${tiny[@]}" --quiet
for f in model.safetensors optimizer.safetensors; do
    cmp -s "$tmp/a/checkpoints/step_00000012/$f" "$tmp/b/checkpoints/step_00000012/$f" \
        || { echo "FAIL: two 2-rank runs differ in $f"; fail=1; }
done
cmp -s <(cut -d, -f1,3- "$tmp/a/evals.csv") <(cut -d, -f1,3- "$tmp/b/evals.csv") \
    || { echo "FAIL: two 2-rank runs' evals.csv differ"; fail=1; }

# The 1-process run of the same global batch: within rounding (the order of
# the gradient sums differs). 1e-5 of the largest weight after 12 steps.
check "1 process" 0 "$cogmap" train grid --preset ssmpc --out "$tmp/s" --steps 12 --eval-every 4 "${tiny[@]}" --quiet --threads 1
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$tmp/s/checkpoints/step_00000012/model.safetensors" \
        "$tmp/a/checkpoints/step_00000012/model.safetensors" <<'PY' || { echo "FAIL: 2 ranks vs 1 process"; fail=1; }
import json, struct, sys
import numpy as np
def load(p):
    b = open(p, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    h = json.loads(b[8:8 + n])
    return {k: np.frombuffer(b[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], np.float32)
            for k, v in h.items() if k != "__metadata__"}
a, b = load(sys.argv[1]), load(sys.argv[2])
assert a.keys() == b.keys()
d = max(float(np.abs(a[k] - b[k]).max()) for k in a if a[k].size)
m = max(float(np.abs(a[k]).max()) for k in a if a[k].size)
print("2 ranks vs 1 process: max |dw| %.3g of max |w| %.3g" % (d, m))
assert d <= 1e-5 * m
PY
fi

# A rank killed mid-run: mpirun ends the job with a non-zero status and says
# which rank died; the checkpoints written so far are whole.
$mpirun "$cogmap" train grid --preset ssmpc --out "$tmp/k" --steps 100000 --eval-every 10 "${tiny[@]}" --quiet \
    >"$tmp/klog" 2>&1 &
job=$!
for _ in $(seq 1 300); do [ -d "$tmp/k/checkpoints/step_00000020" ] && break; sleep 0.1; done
killed=0
for p in $(pgrep -P "$job"); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=1; then
        kill -9 "$p" && killed=1
    fi
done
wait "$job"
rc=$?
[ "$killed" -eq 1 ] || { echo "FAIL: found no rank 1 to kill"; fail=1; }
[ "$rc" -ne 0 ] || { echo "FAIL: mpirun exited 0 after a rank was killed"; fail=1; }
grep -q "rank 1" "$tmp/klog" || { echo "FAIL: no word of rank 1's death"; cat "$tmp/klog"; fail=1; }
echo "ok: killed rank 1, mpirun exited $rc"
newest=$(ls "$tmp/k/checkpoints" | grep '^step_' | sort | tail -1)
check "the newest checkpoint loads" 0 "$cogmap" eval "$tmp/k" --samples 400 --no-baseline --stages 1 --quiet
step=$((10#${newest#step_}))
check "resume with 2 ranks" 0 $mpirun "$cogmap" train grid --resume "$tmp/k" --steps $((step + 10)) --eval-every 10
expect_msg "resume" "resuming .*$newest at step $step"
[ -s "$tmp/k/checkpoints/step_$(printf %08d $((step + 10)))/state.json" ] || { echo "FAIL: resume saved nothing"; fail=1; }
check "resume with 1 process" 0 "$cogmap" train grid --resume "$tmp/k" --steps $((step + 20)) --eval-every 10 --quiet

# SIGUSR1 to mpirun (forwarded to every rank) is the job's Ctrl-C: all ranks
# save the step they reached and exit 130.
$mpirun "$cogmap" train grid --resume "$tmp/k" --steps 100000 --eval-every 10 >"$tmp/ulog" 2>&1 &
job=$!
for _ in $(seq 1 300); do [ -d "$tmp/k/checkpoints/step_$(printf %08d $((step + 30)))" ] && break; sleep 0.1; done
kill -USR1 "$job"
wait "$job"
rc=$?
[ "$rc" -eq 130 ] || { echo "FAIL: SIGUSR1: mpirun exited $rc, expected 130"; cat "$tmp/ulog"; fail=1; }
grep -Eq "interrupted (during the evaluation )?at step [0-9]+; saved" "$tmp/ulog" || { echo "FAIL: SIGUSR1 saved nothing"; cat "$tmp/ulog"; fail=1; }
echo "ok: SIGUSR1 stopped every rank, exit $rc"

# Evaluation: 2 ranks write the 1-process numbers (the same folder, so the
# checkpoint path in summary.json is the same too).
check "eval, 1 process" 0 "$cogmap" eval "$tmp/a" --samples 1200 --stages 2 --threads 1 --quiet
cp "$tmp/a/summary.json" "$tmp/summary1.json"
cp "$tmp/a/gridness.csv" "$tmp/gridness1.csv"
check "eval, 2 ranks" 0 $mpirun "$cogmap" eval "$tmp/a" --samples 1200 --stages 2
expect_msg "rank 0 prints the summary" "grid-like units"
[ "$(grep -c 'grid-like units' "$log")" -eq 1 ] || { echo "FAIL: the summary printed twice"; cat "$log"; fail=1; }
cmp -s "$tmp/summary1.json" "$tmp/a/summary.json" || { echo "FAIL: summary.json differs"; diff "$tmp/summary1.json" "$tmp/a/summary.json"; fail=1; }
cmp -s "$tmp/gridness1.csv" "$tmp/a/gridness.csv" || { echo "FAIL: gridness.csv differs"; fail=1; }

# A failure every rank meets is reported once, by rank 0.
check "resume of nothing" 1 $mpirun "$cogmap" train grid --resume "$tmp/none" --steps 3
[ "$(grep -c 'none/run.json' "$log")" -eq 1 ] || { echo "FAIL: the message came more than once"; cat "$log"; fail=1; }
# A rank that fails alone (here rank 1's own bad option; rank 0 waits in a
# collective) ends the job with its message.
one=$(sed -E 's/(-np?) 2( |$)/\1 1\2/' <<<"$mpirun")
check "rank 1 fails alone" 2 $one "$cogmap" train grid --preset ssmpc --out "$tmp/c" --steps 3 "${tiny[@]}" : \
    -np 1 "$cogmap" train grid --preset ssmpc --out "$tmp/c" --steps 3 "${tiny[@]}" --set colour=red
expect_msg "rank 1's message" "rank 1: --set: unknown key 'colour'"
# The BEV predictor's job is data-parallel too (bench dist times it; BatchNorm
# statistics are per shard, as in PyTorch's DDP without SyncBatchNorm).
check "bench dist bev, 2 ranks" 0 $mpirun "$cogmap" bench dist --model bev --preset bev-small --steps 1 --set batch=4 --threads 1
expect_msg "2 ranks" "ranks: 2"
finish mpi_train
