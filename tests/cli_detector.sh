#!/usr/bin/env bash
# `cogmap train detector` and `cogmap eval` on a detector run, at tiny sizes: a run, a bit-identical
# resume, a stage, the held-out evaluation's summary.json, dataset folders, and user errors.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--set width=4 --set hidden=4 --set blocks=1 --set batch=4 --set train_mazes=2 --set eval_mazes=1
      --set maze_steps=30 --set eval_frames=8)

check "train detector" 0 "$cogmap" train detector --preset detector-small --out "$tmp/a" --steps 4 --eval-every 2 "${tiny[@]}" --quiet
for f in run.json evals.csv checkpoints/step_00000004/model.safetensors checkpoints/step_00000004/optimizer.safetensors \
         checkpoints/step_00000004/config.json checkpoints/step_00000004/job.json checkpoints/best/state.json; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: train detector wrote no $f"; fail=1; }
done
grep -q '"model":[[:space:]]*"detector"' "$tmp/a/run.json" || { echo "FAIL: run.json does not name the detector"; fail=1; }
head -1 "$tmp/a/evals.csv" | grep -q "eval_loss,visibility_ap,position_error" \
    || { echo "FAIL: evals.csv columns: $(head -1 "$tmp/a/evals.csv")"; fail=1; }
check "train detector refuses to overwrite a run" 2 "$cogmap" train detector --preset detector-small --out "$tmp/a" --steps 4 "${tiny[@]}"
expect_msg "overwrite" "already holds a run"

# Stopped at step 2 and resumed to 4: the same bytes (data, dropout and Adam are pure in the step).
check "train detector to step 2" 0 "$cogmap" train detector --preset detector-small --out "$tmp/b" --steps 2 --eval-every 2 "${tiny[@]}" --quiet
check "resume to step 4" 0 "$cogmap" train detector --resume "$tmp/b" --steps 4 --eval-every 2
expect_msg "resume" "resuming .*step_00000002 at step 2"
for f in model.safetensors optimizer.safetensors; do
    cmp -s "$tmp/a/checkpoints/step_00000004/$f" "$tmp/b/checkpoints/step_00000004/$f" \
        || { echo "FAIL: resumed $f differs from the uninterrupted run's"; fail=1; }
done
check "a stage: a new learning rate" 0 "$cogmap" train detector --resume "$tmp/b" --steps 6 --eval-every 2 --set lr=0.0002 --quiet
grep -q '"lr=0.0002"' "$tmp/b/run.json" || { echo "FAIL: the stage is not in run.json"; fail=1; }
check "a stage cannot change the architecture" 2 "$cogmap" train detector --resume "$tmp/b" --steps 8 --set width=8
expect_msg "stage keys" "can change only"

check "eval detector" 0 "$cogmap" eval "$tmp/a" --frames 16
expect_msg "eval prints AP" "visibility AP"
"${COGMAP_PYTHON:-/usr/bin/python3}" - "$tmp/a/summary.json" <<'PY' || { echo "FAIL: summary.json"; fail=1; }
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("visibility_ap", "position_error_cells", "visibility_accuracy", "baseline_visibility_ap", "frames", "mazes"):
    assert k in s, k
assert s["frames"] == 16 and s["split"] == "test" and 0 <= s["visibility_ap"] <= 1, s
PY

# Dataset folders (what `cogmap maze --out` writes), split by maze.
for i in 1 2 3; do
    check "maze $i" 0 "$cogmap" maze --size 15 --seed $i --out "$tmp/data/m$i" --steps 12 --quiet
done
check "train on folders" 0 "$cogmap" train detector --preset detector-small --out "$tmp/c" --data "$tmp/data" --steps 2 --eval-every 2 "${tiny[@]}" --quiet
grep -q "$tmp/data" "$tmp/c/run.json" || { echo "FAIL: run.json does not list the data"; fail=1; }
rm "$tmp/data/m2/fps_views/frame_000005.png"
check "a missing frame" 1 "$cogmap" train detector --preset detector-small --out "$tmp/d" --data "$tmp/data" --steps 2 "${tiny[@]}"
expect_msg "the missing frame is named" "m2/fps_views/frame_000005.png"
[ ! -e "$tmp/d/run.json" ] || { echo "FAIL: a refused run left run.json"; fail=1; }

check "unknown preset" 2 "$cogmap" train detector --preset resnet --out "$tmp/e" --steps 2
check "a bad setting" 2 "$cogmap" train detector --preset detector-small --out "$tmp/e" --steps 2 --set width=3
expect_msg "the field is named" "width"
check "--resume with --preset" 2 "$cogmap" train detector --resume "$tmp/a" --preset detector --steps 8
finish cli_detector
