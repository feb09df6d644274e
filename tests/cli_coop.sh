#!/usr/bin/env bash
# `cogmap bench coop` as a user runs it: the folder it writes, reproducible
# tables at 1 and 2 threads, and the mistakes it refuses.
set -u
. "${COGMAP_SOURCE_DIR:?}/tests/support/cli_check.sh"

run() { # out dir, threads
    "$cogmap" bench coop --schemes broadcast,none,oracle --bits 4,32 --episodes 12 --set max_steps=80 \
        --seed 3 --threads "$2" --quiet --out "$1"
}
check "bench coop, 2 threads" 0 run "$tmp/a" 2
expect_msg "a row per budget" "^broadcast *32 *12 "
expect_msg "the oracle has no budget" "^oracle *inf"
expect_msg "throughput" "agent steps/s per core: [0-9]"
for f in table.csv success_vs_bits.png episode.gif; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: no $f"; fail=1; }
done
head -1 "$tmp/a/table.csv" | grep -qx "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step" ||
    { echo "FAIL: table.csv header"; fail=1; }
[ "$(wc -l <"$tmp/a/table.csv")" -eq 5 ] || { echo "FAIL: table.csv rows"; cat "$tmp/a/table.csv"; fail=1; }
head -c 6 "$tmp/a/episode.gif" | grep -q GIF89a || { echo "FAIL: episode.gif is not a GIF"; fail=1; }
# broadcast never sends more than its budget
awk -F, '$1 == "broadcast" && $8 > $2 + 1e-9 { bad = 1 } END { exit bad }' "$tmp/a/table.csv" ||
    { echo "FAIL: broadcast over budget"; cat "$tmp/a/table.csv"; fail=1; }
check "bench coop, 1 thread" 0 run "$tmp/b" 1
cmp -s "$tmp/a/table.csv" "$tmp/b/table.csv" || { echo "FAIL: 1 and 2 threads differ"; diff "$tmp/a/table.csv" "$tmp/b/table.csv"; fail=1; }

# Tables run apart, merged: rows sorted by scheme then budget, each row as its run wrote it.
check "bench coop, another budget" 0 "$cogmap" bench coop --schemes broadcast --bits 8 --episodes 12 \
    --set max_steps=80 --seed 3 --threads 1 --quiet --no-gif --out "$tmp/m"
check "bench coop --merge" 0 "$cogmap" bench coop --merge "$tmp/m,$tmp/a" --out "$tmp/mm"
expect_msg "bench coop --merge" "^broadcast *8 *12 "
[ "$(cut -d, -f1,2 "$tmp/mm/table.csv" | tr '\n' ' ')" = "scheme,bits broadcast,4 broadcast,8 broadcast,32 none,0 oracle,inf " ] ||
    { echo "FAIL: merged rows"; cat "$tmp/mm/table.csv"; fail=1; }
grep -qx "$(sed -n 2p "$tmp/m/table.csv")" "$tmp/mm/table.csv" || { echo "FAIL: merged row changed"; fail=1; }
[ -s "$tmp/mm/success_vs_bits.png" ] || { echo "FAIL: no merged figure"; fail=1; }
check "bench coop --merge: a row twice" 2 "$cogmap" bench coop --merge "$tmp/a,$tmp/a" --out "$tmp/mx"
expect_msg "bench coop --merge: a row twice" "already in the table"
check "bench coop --merge: no table" 1 "$cogmap" bench coop --merge "$tmp/nothing" --out "$tmp/mx"

# Mistakes: exit 2 with a message naming what was wrong, nothing written.
check "no --out" 2 "$cogmap" bench coop --schemes none --episodes 1
expect_msg "no --out" "--out"
check "learned without a link" 2 "$cogmap" bench coop --schemes learned --episodes 1 --out "$tmp/c"
expect_msg "learned without a link" "learned"
check "unknown scheme" 2 "$cogmap" bench coop --schemes shout --episodes 1 --out "$tmp/c"
expect_msg "unknown scheme" "shout"
check "bad budget" 2 "$cogmap" bench coop --bits 4,0 --out "$tmp/c"
check "bad detector threshold" 2 "$cogmap" bench coop --perception vision:bev-small,detector-small@1.5 \
    --schemes none --episodes 1 --out "$tmp/c"
expect_msg "bad detector threshold" "threshold"
check "bad --set" 2 "$cogmap" bench coop --set n_agents=99 --out "$tmp/c"
expect_msg "bad --set" "n_agents"
check "unknown policy" 2 "$cogmap" bench coop --policy random --out "$tmp/c"
expect_msg "unknown policy" "random"
check "--help" 0 "$cogmap" bench coop --help
expect_msg "--help" "usage: cogmap bench coop"
[ ! -e "$tmp/c/table.csv" ] || { echo "FAIL: a refused run wrote a table"; fail=1; }

# train coop: the link stage, then the meta-controller; a resumed run repeats the uninterrupted one.
small=(--set link_steps=2 --set episodes=2 --set rollouts=3 --set eval_episodes=6 --set max_steps=40)
check "train coop" 0 "$cogmap" train coop --out "$tmp/r1" --steps 4 --eval-every 2 "${small[@]}" --threads 1 --quiet
head -1 "$tmp/r1/evals.csv" | grep -q "^step,wall_seconds,train_loss,success,bits_per_step" ||
    { echo "FAIL: evals.csv header"; cat "$tmp/r1/evals.csv"; fail=1; }
for d in link policy icm; do
    [ -s "$tmp/r1/checkpoints/best/$d/model.safetensors" ] || { echo "FAIL: no $d in the best checkpoint"; fail=1; }
done
check "train coop --resume" 0 "$cogmap" train coop --resume "$tmp/r1" --steps 6 --eval-every 2 --threads 2 --quiet
check "train coop, uninterrupted" 0 "$cogmap" train coop --out "$tmp/r2" --steps 6 --eval-every 2 "${small[@]}" --threads 1 --quiet
for d in link policy icm; do
    cmp -s "$tmp/r1/checkpoints/step_00000006/$d/model.safetensors" "$tmp/r2/checkpoints/step_00000006/$d/model.safetensors" ||
        { echo "FAIL: resumed $d differs"; fail=1; }
done
cut -d, -f1,3- "$tmp/r1/evals.csv" >"$tmp/e1"; cut -d, -f1,3- "$tmp/r2/evals.csv" >"$tmp/e2"
cmp -s "$tmp/e1" "$tmp/e2" || { echo "FAIL: resumed evaluations differ"; diff "$tmp/e1" "$tmp/e2"; fail=1; }
check "train coop: bad budget" 2 "$cogmap" train coop --out "$tmp/r3" --steps 1 --set bits=1
expect_msg "train coop: bad budget" "bits"
check "train coop: --set on resume" 2 "$cogmap" train coop --resume "$tmp/r1" --steps 8 --set bits=8
# the trained run in the benchmark: its policy and its link
check "bench coop hrl-icm" 0 "$cogmap" bench coop --policy "hrl-icm:$tmp/r1" --learned "$tmp/r1" --schemes learned,none \
    --bits 4 --episodes 6 --set max_steps=40 --no-gif --quiet --threads 1 --out "$tmp/h"
expect_msg "bench coop hrl-icm" "^learned *4 *6 "
# the learned rows and their probe (probe.csv) at 2 threads: the same files as at 1
check "bench coop hrl-icm, 2 threads" 0 "$cogmap" bench coop --policy "hrl-icm:$tmp/r1" --learned "$tmp/r1" \
    --schemes learned,none --bits 4 --episodes 6 --set max_steps=40 --no-gif --quiet --threads 2 --out "$tmp/h2t"
for f in table.csv probe.csv; do
    cmp -s "$tmp/h/$f" "$tmp/h2t/$f" || { echo "FAIL: $f differs between 1 and 2 threads"; fail=1; }
done
check "bench coop: no link for 8 bits" 2 "$cogmap" bench coop --learned "$tmp/r1" --schemes learned --bits 8 \
    --episodes 2 --out "$tmp/h2"
expect_msg "bench coop: no link for 8 bits" "no trained link for 8"
check "bench coop: missing run" 1 "$cogmap" bench coop --policy "hrl-icm:$tmp/nothing" --schemes none --out "$tmp/h3"
finish cli_coop
