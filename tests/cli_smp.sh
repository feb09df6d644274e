#!/usr/bin/env bash
# `cogmap train smp` and `cogmap eval` on an SMP run, on tiny sizes: a run,
# a bit-identical resume, the evaluation outputs (celltypes.json, activity
# file that `cogmap analyze` reads, figure 2 and 3 panels), and user errors.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--set slots=24 --set batch=3 --set seq_len=8 --set ae_steps=2 --set image=32 --set p_write=0.3
      --set hidden2=16 --set hidden3=16 --set embed=16)

check "train smp" 0 "$cogmap" train smp --out "$tmp/a" --steps 6 --eval-every 3 "${tiny[@]}" --quiet
for f in run.json evals.csv checkpoints/step_00000006/model.safetensors checkpoints/step_00000006/memory.safetensors \
         checkpoints/step_00000006/state.json checkpoints/best/state.json; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: train smp wrote no $f"; fail=1; }
done
grep -q '"model":[[:space:]]*"smp"' "$tmp/a/run.json" || { echo "FAIL: run.json does not name the smp model"; fail=1; }
check "train smp refuses to overwrite a run" 2 "$cogmap" train smp --out "$tmp/a" --steps 6 "${tiny[@]}"
expect_msg "overwrite" "already holds a run"

# The same run stopped at step 3 and resumed to 6 ends with the same bytes.
check "train smp to step 3" 0 "$cogmap" train smp --out "$tmp/b" --steps 3 --eval-every 3 "${tiny[@]}" --quiet
# --steps with --minutes: the first limit reached (here the steps) stops it.
check "resume to step 6 (--steps and --minutes)" 0 "$cogmap" train smp --resume "$tmp/b" --steps 6 --minutes 60 --eval-every 3
expect_msg "stops at --steps" "train smp: 6 steps in"
expect_msg "resume" "resuming .*step_00000003 at step 3"
for f in model.safetensors memory.safetensors; do
    cmp -s "$tmp/a/checkpoints/step_00000006/$f" "$tmp/b/checkpoints/step_00000006/$f" \
        || { echo "FAIL: resumed $f differs from the uninterrupted run's"; fail=1; }
done

check "eval smp" 0 "$cogmap" eval "$tmp/a" --trajectories 6 --steps 60 --shuffles 20 --images 16 --fig3-init 20
expect_msg "eval prints the counts" "rnn1: 32 units, hd"
for f in celltypes.json activity.npz figures/hd_polar.png figures/ratemaps_octants.png figures/bvc_maps.png \
         figures/histograms.png figures/hd_sticks.png figures/ego_vs_allo.png figures/fig2e_place_slots.png \
         figures/fig3_ab_integration.png figures/fig3_cd_convergence.png figures/fig3_ef_rotation.png \
         figures/fig3_gi_correction.png figures/figure3.json; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: eval smp wrote no $f"; fail=1; }
done
if [ -n "${COGMAP_PYTHON:-}" ] && "$COGMAP_PYTHON" -c 'import json' 2>/dev/null; then
    "$COGMAP_PYTHON" - "$tmp/a/celltypes.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
for name, units in (("rnn1", 32), ("rnn2", 16), ("rnn3", 16)):
    r = d[name]
    assert r["units"] == units, (name, r)
    for k in ("hd", "ego_bvc", "allo_bvc"):
        assert 0 <= r[k] <= units, (name, k, r)
    for k in ("hd", "ego_bvc", "allo_bvc"):
        assert r["thresholds"][k] > 0, (name, k)
assert d["samples"] == 6 * 60
PY
fi
check "analyze reads the activity file" 0 "$cogmap" analyze "$tmp/a/activity.npz" --out "$tmp/an" --shuffles 10 \
    --grid-bins 0 --no-figures --quiet
grep -q '"rnn3"' "$tmp/an/report.json" || { echo "FAIL: analyze report lacks the rnn3 group"; fail=1; }

check "train smp needs --out" 2 "$cogmap" train smp --steps 3
check "train smp needs a limit" 2 "$cogmap" train smp --out "$tmp/c"
expect_msg "no limit" "give a limit"
check "unknown setting" 2 "$cogmap" train smp --out "$tmp/c" --steps 3 --set bogus=1
expect_msg "unknown setting" "unknown key 'bogus'"
check "bad setting value" 2 "$cogmap" train smp --out "$tmp/c" --steps 3 --set image=50
expect_msg "bad image size" "image"
check "resume of a folder without a run" 1 "$cogmap" train smp --resume "$tmp/nothing" --steps 3
# --set on a resumed run starts a stage: training settings only, recorded in run.json.
check "--set of a shape with --resume" 2 "$cogmap" train smp --resume "$tmp/b" --steps 9 --set hidden1=8
expect_msg "shape stage refused" "can change only"
cp -r "$tmp/b" "$tmp/s"
check "resume with a new stage" 0 "$cogmap" train smp --resume "$tmp/s" --steps 8 --eval-every 2 \
    --set seq_len=12 --set p_correct=0.5 --quiet
grep -q '"seq_len=12"' "$tmp/s/run.json" || { echo "FAIL: run.json does not hold the stage's seq_len"; fail=1; }
grep -q '"step":[[:space:]]*6' "$tmp/s/run.json" || { echo "FAIL: run.json does not record the stage's step"; fail=1; }
[ -s "$tmp/s/checkpoints/step_00000008/model.safetensors" ] || { echo "FAIL: the staged run wrote no step 8"; fail=1; }
check "resume a staged run" 0 "$cogmap" train smp --resume "$tmp/s" --steps 10 --eval-every 2 --quiet
grep -q '"seq_len=12"' "$tmp/s/run.json" || { echo "FAIL: a plain resume lost the stage"; fail=1; }
# The limits every trainer shares (src/cli/cmd_train.c, cm_train_request_check).
check "--minutes 0" 2 "$cogmap" train smp --out "$tmp/c" --minutes 0
expect_msg "--minutes 0" "expected a positive number"
check "--steps 0" 2 "$cogmap" train smp --out "$tmp/c" --steps 0
check "--out with --resume elsewhere" 2 "$cogmap" train smp --resume "$tmp/a" --out "$tmp/c" --steps 9
expect_msg "--resume folder" "drop --out"
[ ! -e "$tmp/c" ] || { echo "FAIL: a refused command created $tmp/c"; fail=1; }
mkdir -p "$tmp/d" && cp "$tmp/a/run.json" "$tmp/d/"
check "eval of an smp run without checkpoints" 1 "$cogmap" eval "$tmp/d" --trajectories 2 --steps 10
check "train smp --help" 0 "$cogmap" train smp --help
expect_msg "help" "usage: cogmap train smp"
finish cli_smp
