#!/usr/bin/env bash
# `cogmap train grid` and `cogmap eval` as a user runs them, on tiny sizes:
# a run, its resume, its evaluation outputs, and the errors users meet.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--set hidden=12 --set bottleneck=16 --set batch=4 --set steps=10 --set eval_batches=2)

check "train grid" 0 "$cogmap" train grid --preset ssmpc --out "$tmp/run" --steps 6 --eval-every 3 "${tiny[@]}" --quiet
for f in run.json evals.csv checkpoints/step_00000006/model.safetensors checkpoints/step_00000006/optimizer.safetensors \
         checkpoints/step_00000006/state.json checkpoints/best/state.json; do
    [ -s "$tmp/run/$f" ] || { echo "FAIL: train grid wrote no $f"; fail=1; }
done
[ "$(wc -l < "$tmp/run/evals.csv")" -eq 3 ] || { echo "FAIL: evals.csv: expected header + 2 rows"; cat "$tmp/run/evals.csv"; fail=1; }
check "train grid refuses to overwrite a run" 2 "$cogmap" train grid --preset ssmpc --out "$tmp/run" --steps 6 "${tiny[@]}"
expect_msg "overwrite" "already holds a run"
# --steps with --minutes: the first limit reached (here the steps) stops it.
check "resume to 9 steps (--steps and --minutes)" 0 "$cogmap" train grid --resume "$tmp/run" --steps 9 --minutes 60 --eval-every 3
expect_msg "resume" "resuming .*step_00000006 at step 6"
[ -s "$tmp/run/checkpoints/step_00000009/state.json" ] || { echo "FAIL: resume wrote no step 9"; fail=1; }

check "eval" 0 "$cogmap" eval "$tmp/run" --samples 4000 --stages 3
expect_msg "eval prints the summary" "grid-like units"
head -1 "$tmp/run/gridness.csv" | grep -qx 'unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation' \
    || { echo "FAIL: gridness.csv header"; head -2 "$tmp/run/gridness.csv"; fail=1; }
[ "$(wc -l < "$tmp/run/gridness.csv")" -eq 17 ] || { echo "FAIL: gridness.csv: expected 16 unit rows"; fail=1; }
for k in steps wall_seconds decoding_error grid_fraction untrained_grid_fraction top_units; do
    grep -q "\"$k\":" "$tmp/run/summary.json" || { echo "FAIL: summary.json lacks $k"; fail=1; }
done
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$tmp/run/summary.json" <<'PY' || { echo "FAIL: summary.json values"; fail=1; }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["steps"] == 9, s["steps"]
assert 0 <= s["grid_fraction"] <= 1 and 0 <= s["untrained_grid_fraction"] <= 1
assert s["decoding_error"] > 0 and s["units"] == 16
# the drift along the paths: one mean per step, whose mean over t >= 1 is decoding_error
e = s["decoding_error_by_step"]
assert len(e) >= 2 and all(v >= 0 for v in e), e
assert abs(sum(e[1:]) / (len(e) - 1) - s["decoding_error"]) < 1e-9 * max(1, s["decoding_error"]), e
PY
fi
for f in top_units.png gridness_histogram.png paths.png training.png emergence.png emergence.gif; do
    [ -s "$tmp/run/figures/$f" ] || { echo "FAIL: eval drew no $f"; fail=1; }
done
grep -Eq '"grid_fraction_shuffle":[[:space:]]*null' "$tmp/run/summary.json" || { echo "FAIL: no shuffle test asked, none reported"; fail=1; }

# the shuffle test: two more gridness.csv columns, the shares in summary.json and on stdout
check "eval --shuffles" 0 "$cogmap" eval "$tmp/run" --samples 4000 --stages 2 --shuffles 10 --no-baseline
expect_msg "eval --shuffles prints the share" "shuffle test"
head -1 "$tmp/run/gridness.csv" | grep -q ',shuffle95,shuffle99$' || { echo "FAIL: gridness.csv shuffle columns"; fail=1; }
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$tmp/run/summary.json" <<'PY' || { echo "FAIL: summary.json shuffle values"; fail=1; }
import json, sys
s = json.load(open(sys.argv[1]))
assert 0 <= s["grid_fraction_shuffle"] <= 1 and 0 <= s["grid_fraction_shuffle99"] <= s["grid_fraction_shuffle"]
assert s["shuffle"]["kind"] == "timeshift" and s["shuffle"]["shuffles"] == 10 and s["shuffle"]["min_shift"] >= 10
assert "grid_periods_across" in s and isinstance(s["grid_modules"], list)
PY
fi
check "eval --shuffles -1" 2 "$cogmap" eval "$tmp/run" --shuffles -1

# An SSM-PC dataset folder (new frame_info schema): 7 mazes of 30 frames (4 train, 1 validation).
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - "$tmp/ds" <<'PY'
import json, math, os, sys
for m in range(7):
    d = os.path.join(sys.argv[1], "D%06d_P1" % m, "000000")
    os.makedirs(d)
    frames = {}
    for i in range(30):
        t = 0.3 * i + m
        frames["frame_%06d" % i] = {"frame_id": i, "timestamp": i,
            "agent_state": {"position": [7.5 + 4 * math.cos(t), 7.5 + 4 * math.sin(t)], "rotation": t + math.pi / 2,
                            "velocity": [0, 0], "angular_velocity": 0.3}, "observations": {}}
    json.dump(frames, open(os.path.join(d, "frame_info.json"), "w"))
PY
    check "train grid on a dataset" 0 "$cogmap" train grid --preset ssmpc --out "$tmp/dsrun" --steps 3 --data "$tmp/ds" \
        --set hidden=12 --set bottleneck=16 --set batch=2 --set steps=10 --set eval_batches=1 --quiet
    grep -q '"data":.*ds' "$tmp/dsrun/run.json" || { echo "FAIL: run.json does not record the dataset"; fail=1; }
fi

# Errors users meet.
check "train grid without a limit" 2 "$cogmap" train grid --preset ssmpc --out "$tmp/x"
check "unknown preset" 2 "$cogmap" train grid --preset lstm --out "$tmp/x" --steps 1
check "unknown --set key" 2 "$cogmap" train grid --preset ssmpc --out "$tmp/x" --steps 1 --set colour=red
expect_msg "unknown key" "known keys"
check "--resume with --preset" 2 "$cogmap" train grid --resume "$tmp/run" --preset ssmpc --steps 12
check "resume of nothing" 1 "$cogmap" train grid --resume "$tmp/none" --steps 3
check "eval of nothing" 1 "$cogmap" eval "$tmp/none"
expect_msg "eval of nothing" "run.json"
for d in D000001_P1 D000002_P1 D000003_P1; do
    mkdir -p "$tmp/data/$d/000000"
    echo '{"frame_000001": {"frame_id": 1, "rotation_angle": 0, "agent_position": [1, 2]}}' \
        > "$tmp/data/$d/000000/frame_info.json"
done
check "legacy dataset" 1 "$cogmap" train grid --preset ssmpc --out "$tmp/y" --steps 1 --data "$tmp/data" "${tiny[@]}"
expect_msg "legacy dataset" "legacy schema"
echo 'garbage' > "$tmp/run/checkpoints/step_00000009/state.json"
check "damaged checkpoint" 1 "$cogmap" train grid --resume "$tmp/run" --steps 12
expect_msg "damaged checkpoint" "state.json"

finish cli_grid
