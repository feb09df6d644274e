#!/usr/bin/env bash
# `cogmap train bev` and `cogmap eval` on a BEV run, on tiny sizes: a run on
# generated mazes, a bit-identical resume and a new stage, the held-out
# evaluation (summary.json beside the mean-map baseline, the sample figure),
# a run on dataset folders written by `cogmap maze --out`, and refused input:
# missing frames, wrong image sizes, a wrong schema, bad options -- each named,
# with no run folder left behind.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--preset bev-small --set batch=4 --set eval_frames=4 --set train_mazes=6 --set maze_steps=20
      --set ff=32 --set enc_layers=1 --set dec_layers=1)

check "train bev" 0 "$cogmap" train bev "${tiny[@]}" --out "$tmp/a" --steps 4 --eval-every 2 --quiet
for f in run.json evals.csv checkpoints/step_00000004/model.safetensors checkpoints/step_00000004/optimizer.safetensors \
         checkpoints/step_00000004/config.json checkpoints/step_00000004/job.json checkpoints/best/state.json; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: train bev wrote no $f"; fail=1; }
done
grep -q '"model":[[:space:]]*"bev"' "$tmp/a/run.json" || { echo "FAIL: run.json does not name the bev model"; fail=1; }
grep -q '"ff=32"' "$tmp/a/run.json" || { echo "FAIL: run.json does not keep the overrides as sets"; fail=1; }
head -1 "$tmp/a/evals.csv" | grep -q "alpha_iou" || { echo "FAIL: evals.csv has no alpha_iou column"; fail=1; }
[ "$(wc -l < "$tmp/a/evals.csv")" -eq 3 ] || { echo "FAIL: evals.csv: expected 2 evaluations"; fail=1; }
# checkpoints/best: the highest alpha_iou (in steps of 1e-4), ties (0 while nothing is predicted
# opaque) by the lowest eval_loss.
want=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    { iou = int($col["alpha_iou"] * 1e4 + 0.5); loss = $col["eval_loss"]
      if (NR == 2 || iou > biou || (iou == biou && loss < bloss)) { biou = iou; bloss = loss; step = $1 } }
    END { print step }' "$tmp/a/evals.csv")
grep -q "\"best_step\":[[:space:]]*$want," "$tmp/a/checkpoints/best/state.json" \
    || { echo "FAIL: checkpoints/best is not step $want (alpha_iou, then eval_loss)"; cat "$tmp/a/evals.csv"; fail=1; }
check "train bev refuses to overwrite a run" 2 "$cogmap" train bev "${tiny[@]}" --out "$tmp/a" --steps 4
expect_msg "overwrite" "already holds a run"

# The same run stopped at step 2 and resumed to 4 ends with the same bytes.
check "train bev to step 2" 0 "$cogmap" train bev "${tiny[@]}" --out "$tmp/b" --steps 2 --eval-every 2 --quiet
check "resume to step 4" 0 "$cogmap" train bev --resume "$tmp/b" --steps 4 --eval-every 2
expect_msg "resume" "resuming .*step_00000002 at step 2"
for f in model.safetensors optimizer.safetensors job.json; do
    cmp -s "$tmp/a/checkpoints/step_00000004/$f" "$tmp/b/checkpoints/step_00000004/$f" \
        || { echo "FAIL: resumed $f differs from the uninterrupted run's"; fail=1; }
done
# A new stage changes a training setting, and is recorded; the architecture cannot change.
check "resume with a new stage" 0 "$cogmap" train bev --resume "$tmp/b" --steps 5 --eval-every 5 --set lr=1e-4 --quiet
grep -q '"lr=1e-4"' "$tmp/b/run.json" || { echo "FAIL: run.json does not record the stage"; fail=1; }
grep -q '"stages"' "$tmp/b/run.json" || { echo "FAIL: run.json has no stages"; fail=1; }
check "a resumed run keeps its architecture" 2 "$cogmap" train bev --resume "$tmp/b" --steps 6 --set ff=64
expect_msg "architecture" "can change only lr"

check "eval bev" 0 "$cogmap" eval "$tmp/a" --frames 12 --baseline-frames 8 --samples 8
expect_msg "eval prints the IoU" "alpha_iou: [0-9.]* (baseline [0-9.]*)"
[ -s "$tmp/a/figures/bev_samples.png" ] || { echo "FAIL: eval bev drew no figure"; fail=1; }
if [ -n "${COGMAP_PYTHON:-}" ] && "$COGMAP_PYTHON" -c 'import json' 2>/dev/null; then
    "$COGMAP_PYTHON" - "$tmp/a/summary.json" "$want" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
for k in ("alpha_iou", "alpha_accuracy", "rgb_mse_visible", "baseline_alpha_iou", "baseline_alpha_accuracy",
          "baseline_rgb_mse_visible"):
    assert k in d, k
for k in ("alpha_iou", "alpha_accuracy", "baseline_alpha_iou", "baseline_alpha_accuracy"):
    assert 0 <= d[k] <= 1, (k, d[k])
assert d["frames"] == 12 and d["step"] == int(sys.argv[2]) and d["model"] == "bev" and d["split"] == "test", d
PY
fi
# A named checkpoint; with best gone, the newest step (its zero-padded folder name).
check "eval --checkpoint" 0 "$cogmap" eval "$tmp/a" --checkpoint step_00000002 --frames 4 --baseline-frames 4 --samples 0
expect_msg "named checkpoint" "step_00000002 (step 2)"
check "eval of a missing checkpoint" 1 "$cogmap" eval "$tmp/a" --checkpoint step_9 --frames 4
expect_msg "missing checkpoint" "no such checkpoint"
rm -r "$tmp/a/checkpoints/best"
check "eval without best" 0 "$cogmap" eval "$tmp/a" --frames 4 --baseline-frames 4 --samples 0
expect_msg "newest checkpoint" "step_00000004 (step 4)"
check "eval refuses --out" 2 "$cogmap" eval "$tmp/a" --out "$tmp/x"

# Dataset folders as `cogmap maze --out` writes them: three mazes (the split needs a held-out one).
for k in 1 2 3; do
    check "maze $k" 0 "$cogmap" maze --size 9 --seed $k --out "$tmp/ds/m$k" --steps 10 --quiet
done
check "train bev on dataset folders" 0 "$cogmap" train bev "${tiny[@]}" --data "$tmp/ds" --out "$tmp/d" --steps 2 --quiet
grep -q "$tmp/ds" "$tmp/d/run.json" || { echo "FAIL: run.json does not name the data"; fail=1; }
check "eval of a dataset run" 0 "$cogmap" eval "$tmp/d" --frames 4 --baseline-frames 4 --samples 2 --quiet

# Refused input: the message names the file (and frame); no run folder is left behind.
cp -r "$tmp/ds" "$tmp/miss" && rm "$tmp/miss/m2/fps_views/frame_000004.png"
check "missing frame" 1 "$cogmap" train bev "${tiny[@]}" --data "$tmp/miss" --out "$tmp/r1" --steps 2
expect_msg "missing frame named" "m2/fps_views/frame_000004.png"
[ ! -e "$tmp/r1" ] || { echo "FAIL: a refused run left $tmp/r1"; fail=1; }
cp -r "$tmp/ds" "$tmp/size" && cp "$tmp/size/m1/bev_views/frame_000003.png" "$tmp/size/m1/fps_views/frame_000003.png"
check "wrong image size" 1 "$cogmap" train bev "${tiny[@]}" --data "$tmp/size" --out "$tmp/r2" --steps 2
expect_msg "wrong size named" "m1/fps_views/frame_000003.png"
[ ! -e "$tmp/r2" ] || { echo "FAIL: a refused run left $tmp/r2"; fail=1; }
cp -r "$tmp/ds" "$tmp/schema" && echo '{"frames": "none"}' > "$tmp/schema/m3/frame_info.json"
check "wrong schema" 1 "$cogmap" train bev "${tiny[@]}" --data "$tmp/schema" --out "$tmp/r3" --steps 2
expect_msg "schema named" "m3/frame_info.json"
[ ! -e "$tmp/r3" ] || { echo "FAIL: a refused run left $tmp/r3"; fail=1; }

check "train bev needs --preset" 2 "$cogmap" train bev --out "$tmp/c" --steps 2
expect_msg "preset" "bev, bev-small"
check "unknown preset" 2 "$cogmap" train bev --preset huge --out "$tmp/c" --steps 2
expect_msg "unknown preset" "expected one of bev, bev-small"
check "train bev needs a limit" 2 "$cogmap" train bev --preset bev-small --out "$tmp/c"
check "bad setting" 2 "$cogmap" train bev --preset bev-small --out "$tmp/c" --steps 2 --set heads=5
expect_msg "bad setting named" "heads"
check "resume with --preset" 2 "$cogmap" train bev --resume "$tmp/a" --preset bev --steps 6
[ ! -e "$tmp/c" ] || { echo "FAIL: a refused run left $tmp/c"; fail=1; }
finish cli_bev
