#!/usr/bin/env bash
# Crash safety of training runs: `cogmap train grid` killed with SIGKILL at
# random moments (a checkpoint every step, so many kills land while one is
# being written), then resumed, until the run reaches its last step.
# After every kill:
#   - the newest checkpoint verifies (manifest.json: sizes and CRC-32s) and
#     its model and optimiser are byte for byte those of an uninterrupted
#     run at the same step;
#   - the next --resume starts from it (a run killed before its first
#     checkpoint starts again from step 0).
# At the end the run's last checkpoint, best/ and evals.csv (but its
# wall-clock column) equal the uninterrupted run's.
# COGMAP_CRASH_KILLS (default 4) kills in all, over as many runs as it takes,
# and more until COGMAP_CRASH_RESUMES (default 0) resumes have started (a kill
# before run.json exists restarts the run instead of resuming it);
# docs/reliability.md records a long version (100 of each).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
py=${COGMAP_PYTHON:-/usr/bin/python3}
kills_wanted=${COGMAP_CRASH_KILLS:-4}
resumes_wanted=${COGMAP_CRASH_RESUMES:-0}
steps=${COGMAP_CRASH_STEPS:-24}
tiny=(--set hidden=8 --set bottleneck=8 --set batch=2 --set steps=4 --set eval_batches=1)
opts=(--eval-every 5 --checkpoint-every 1 --threads 1 --quiet)

t0=$(date +%s%N)
check "uninterrupted run" 0 "$cogmap" train grid --preset ssmpc --out "$tmp/ref" --steps "$steps" "${tiny[@]}" \
    "${opts[@]}" --keep 1000
ref_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ $fail -eq 0 ] || finish cli_crash

# The newest step_* of a run, verified against its manifest and compared
# with the reference's checkpoint of that step. Prints the step (0: none).
newest_ok() {
    "$py" - "$1" "$tmp/ref" <<'PY'
import json, os, sys, zlib
run, ref = sys.argv[1], sys.argv[2]
ck = os.path.join(run, "checkpoints")
steps = sorted(int(n[5:]) for n in (os.listdir(ck) if os.path.isdir(ck) else []) if n.startswith("step_"))
if not steps:
    print(0); sys.exit(0)
name = "step_%08d" % steps[-1]
d = os.path.join(ck, name)
man = json.load(open(os.path.join(d, "manifest.json")))
for f, e in man["files"].items():
    data = open(os.path.join(d, f), "rb").read()
    assert len(data) == e["bytes"] and "%08x" % zlib.crc32(data) == e["crc32"], f"{d}/{f} does not match its manifest"
for f in ("model.safetensors", "optimizer.safetensors"):
    a = open(os.path.join(d, f), "rb").read()
    b = open(os.path.join(ref, "checkpoints", name, f), "rb").read()
    assert a == b, f"{d}/{f} differs from the uninterrupted run's"
print(steps[-1])
PY
}

kills=0 mid_save=0 runs=0 resumes=0
more_kills() { [ $kills -lt "$kills_wanted" ] || [ $resumes -lt "$resumes_wanted" ]; }
while more_kills; do
    runs=$((runs + 1))
    run=$tmp/run$runs
    while :; do
        if [ -e "$run/run.json" ]; then
            args=(--resume "$run"); resumes=$((resumes + 1))
        else
            args=(--preset ssmpc --out "$run" "${tiny[@]}")
        fi
        "$cogmap" train grid "${args[@]}" --steps "$steps" "${opts[@]}" > "$log" 2>&1 &
        pid=$!
        if more_kills; then
            # a moment anywhere in the rest of the run: the reference's duration, uniformly
            delay=$(awk -v s="$RANDOM$RANDOM" -v ms="$ref_ms" 'BEGIN { srand(s); printf "%.3f", rand() * ms / 1000 }')
            sleep "$delay"
            if kill -KILL $pid 2>/dev/null; then
                wait $pid 2>/dev/null
                kills=$((kills + 1))
                ls -d "$run"/checkpoints/.tmp-* > /dev/null 2>&1 && mid_save=$((mid_save + 1))
                if ! at=$(newest_ok "$run" 2>&1); then
                    echo "FAIL: after kill $kills (at ${delay} s): $at"; fail=1; break
                fi
                continue
            fi
        fi
        wait $pid
        rc=$?
        if [ $rc -ne 0 ]; then
            echo "FAIL: run $runs: train grid ${args[*]} exited $rc:"; cat "$log"; fail=1
        fi
        break
    done
    [ $fail -eq 0 ] || break
    # the run as a whole: last checkpoint, best and history as uninterrupted
    last=$(printf 'step_%08d' "$steps")
    for f in "checkpoints/$last/model.safetensors" "checkpoints/$last/optimizer.safetensors" \
             checkpoints/best/model.safetensors checkpoints/best/optimizer.safetensors; do
        cmp -s "$run/$f" "$tmp/ref/$f" || { echo "FAIL: run $runs: $f differs from the uninterrupted run's"; fail=1; }
    done
    cut -d, -f1,3- "$run/evals.csv" > "$tmp/a.csv"; cut -d, -f1,3- "$tmp/ref/evals.csv" > "$tmp/b.csv"
    cmp -s "$tmp/a.csv" "$tmp/b.csv" || { echo "FAIL: run $runs: evals.csv differs"; diff "$tmp/a.csv" "$tmp/b.csv" | head; fail=1; }
    ls -a "$run/checkpoints" | grep -q '^\.\(tmp\|old\)-' && { echo "FAIL: run $runs: leftovers in checkpoints/"; fail=1; }
    [ $fail -eq 0 ] || break
    rm -rf "$run"
done
[ $fail -eq 0 ] && echo "ok: $kills SIGKILLs over $runs runs ($mid_save while a checkpoint was being written), $resumes resumes: every newest checkpoint verified and equal to the uninterrupted run's, every run ended with the same bits"
finish cli_crash
