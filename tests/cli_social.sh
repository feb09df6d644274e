#!/usr/bin/env bash
# `cogmap train social`, `train link`, `eval` of both run kinds and `bench
# link`, on small networks: runs, bit-identical resumes, the evaluation's
# summary.json (classes of every bottleneck unit) and figures, the bench
# table, and refused input.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
small=(--set hidden=12 --set bottleneck=16 --set relational_hidden=8 --set batch=4 --set seq_len=8 --set eval_batches=1)
social=("${small[@]}" --set probe_reps=2)
link=("${small[@]}" --set sender_hidden=8 --set decoder_hidden=16)

check "train social" 0 "$cogmap" train social --out "$tmp/s" --steps 6 --eval-every 3 "${social[@]}" --threads 1 --quiet
for f in run.json evals.csv checkpoints/step_00000006/model.safetensors checkpoints/step_00000006/optimizer.safetensors \
         checkpoints/best/state.json; do
    [ -s "$tmp/s/$f" ] || { echo "FAIL: train social wrote no $f"; fail=1; }
done
head -1 "$tmp/s/evals.csv" | grep -q 'spc_fraction,pure_place,pure_spc,special_spc,mixed,other,other_static' \
    || { echo "FAIL: evals.csv lacks the class counts"; fail=1; }
check "train social refuses to overwrite a run" 2 "$cogmap" train social --out "$tmp/s" --steps 6 "${social[@]}"
expect_msg "overwrite" "already holds a run"

# Stopped at step 3 and resumed to 6: the same bytes as the uninterrupted run.
check "train social to step 3" 0 "$cogmap" train social --out "$tmp/s2" --steps 3 --eval-every 3 "${social[@]}" --quiet
check "resume social to step 6" 0 "$cogmap" train social --resume "$tmp/s2" --steps 6 --eval-every 3
expect_msg "resume" "resuming .*step_00000003 at step 3"
for f in model.safetensors optimizer.safetensors; do
    cmp -s "$tmp/s/checkpoints/step_00000006/$f" "$tmp/s2/checkpoints/step_00000006/$f" \
        || { echo "FAIL: resumed social $f differs from the uninterrupted run's"; fail=1; }
done
check "a resumed run keeps its network" 2 "$cogmap" train social --resume "$tmp/s2" --steps 9 --set hidden=20
expect_msg "refused stage" "hidden=20"

check "eval social" 0 "$cogmap" eval "$tmp/s" --reps 2 --per-class 2 --batches 1 --threads 1
expect_msg "eval prints the classes" "classes of 16 bottleneck units"
for f in summary.json spc_units.csv figures/spc_growth.png; do
    [ -s "$tmp/s/$f" ] || { echo "FAIL: eval social wrote no $f"; fail=1; }
done
ls "$tmp/s/figures/"spc_*_*.png >/dev/null 2>&1 || ls "$tmp/s/figures/" | grep -q 'spc_\(pure\|special\|mixed\|other\)' \
    || { echo "FAIL: eval social drew no class figure"; fail=1; }
[ "$(($(wc -l <"$tmp/s/spc_units.csv") - 1))" -eq 16 ] || { echo "FAIL: spc_units.csv: expected 16 units"; fail=1; }
if [ -n "${COGMAP_PYTHON:-}" ] && "$COGMAP_PYTHON" -c 'import json' 2>/dev/null; then
    "$COGMAP_PYTHON" - "$tmp/s/summary.json" <<'PY' || fail=1
import json, sys
d = json.load(open(sys.argv[1]))
c = d["classes"]
assert set(c) == {"pure_place", "pure_spc", "special_spc", "mixed", "other", "other_static"}, c
assert sum(c.values()) == d["units"] == 16, d
assert abs(d["spc_fraction"] - (c["pure_spc"] + c["special_spc"]) / 16) < 1e-12
assert [r["step"] for r in d["classes_over_training"]] == [3, 6], d["classes_over_training"]
PY
fi
check "eval of a checkpoint that is not there" 1 "$cogmap" eval "$tmp/s" --checkpoint step_00000099 --reps 2
check "eval --per-class out of range" 2 "$cogmap" eval "$tmp/s" --per-class 17

check "train link" 0 "$cogmap" train link --bits 4 --out "$tmp/l" --steps 4 --eval-every 2 "${link[@]}" --quiet
head -1 "$tmp/l/evals.csv" | grep -q 'partner_error,bits_per_step,self_error' \
    || { echo "FAIL: link evals.csv lacks partner_error, bits_per_step, self_error"; fail=1; }
check "train link to step 2" 0 "$cogmap" train link --bits 4 --out "$tmp/l2" --steps 2 --eval-every 2 "${link[@]}" --quiet
check "resume link to step 4" 0 "$cogmap" train link --resume "$tmp/l2" --steps 4 --eval-every 2 --quiet
cmp -s "$tmp/l/checkpoints/step_00000004/model.safetensors" "$tmp/l2/checkpoints/step_00000004/model.safetensors" \
    || { echo "FAIL: resumed link differs from the uninterrupted run (sampled bits included)"; fail=1; }
check "a resumed link keeps its budget" 2 "$cogmap" train link --resume "$tmp/l2" --steps 6 --bits 8
check "eval link" 0 "$cogmap" eval "$tmp/l" --batches 1
expect_msg "eval link" "bits_per_step"
grep -q '"partner_error"' "$tmp/l/summary.json" || { echo "FAIL: link summary.json lacks partner_error"; fail=1; }
check "train link started from the social run" 0 "$cogmap" train link --bits 2 --out "$tmp/l3" --steps 1 "${link[@]}" \
    --set init_from="$tmp/s/checkpoints/step_00000006" --quiet
check "broadcast baseline" 0 "$cogmap" train link --bits 6 --out "$tmp/l4" --steps 1 "${link[@]}" \
    --set scheme=broadcast --quiet

check "train link --bits 0" 2 "$cogmap" train link --bits 0 --out "$tmp/x" --steps 1
check "train link --bits 1000" 2 "$cogmap" train link --bits 1000 --out "$tmp/x" --steps 1
check "unknown scheme" 2 "$cogmap" train link --bits 4 --out "$tmp/x" --steps 1 --set scheme=telepathy
expect_msg "scheme named" "scheme"
check "a social run of one agent" 2 "$cogmap" train social --out "$tmp/x" --steps 1 --set agents=1
expect_msg "agents named" "agents"
check "train social needs a limit" 2 "$cogmap" train social --out "$tmp/x"
check "train social --bits" 2 "$cogmap" train social --out "$tmp/x" --steps 1 --bits 4
check "init_from that is not there" 1 "$cogmap" train link --bits 4 --out "$tmp/y" --steps 1 "${link[@]}" \
    --set init_from="$tmp/nothing"
expect_msg "init_from named" "init_from"

check "bench link" 0 "$cogmap" bench link --out "$tmp/b" --bits 2,4 --steps-velocity 2 --steps-per-point 1 \
    --eval-batches 1 --minutes 0 "${social[@]}" --set sender_hidden=8 --set decoder_hidden=16 --threads 1 --quiet
head -1 "$tmp/b/table.csv" | grep -q '^scheme,bits,partner_error,bits_per_step' \
    || { echo "FAIL: table.csv header"; fail=1; }
[ "$(($(wc -l <"$tmp/b/table.csv") - 1))" -eq 8 ] || { echo "FAIL: table.csv: expected 8 rows"; cat "$tmp/b/table.csv"; fail=1; }
for s in velocity none learned broadcast broadcast_estimate; do
    grep -q "^$s," "$tmp/b/table.csv" || { echo "FAIL: table.csv lacks $s"; fail=1; }
done
[ -s "$tmp/b/partner_error_vs_bits.png" ] || { echo "FAIL: bench link drew no figure"; fail=1; }
check "bench link --bits bad" 2 "$cogmap" bench link --out "$tmp/b2" --bits 4,x
check "bench link needs --out" 2 "$cogmap" bench link --bits 4
check "bench link unknown --set" 2 "$cogmap" bench link --out "$tmp/b3" --bits 4 --set colour=red
expect_msg "key named" "colour"
finish cli_social
