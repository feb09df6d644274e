#!/usr/bin/env bash
# `cogmap bench train` as a user runs it: the lines it promises, and bad options.
set -u
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
fail=0
out=$("$cogmap" bench train --preset ssmpc --steps 2 --batch 2 --seq-len 6 --hidden 16 --threads 1 2>&1)
rc=$?
[ $rc -eq 0 ] || { echo "FAIL: bench train exit $rc"; echo "$out"; fail=1; }
for key in "steps/s" "GFLOP/s" "sgemm GFLOP/s" "share of sgemm" "peak RSS MB" "peak/model"; do
    grep -Eq "^$key: [0-9.]+" <<<"$out" || { echo "FAIL: no '$key: N' line"; echo "$out"; fail=1; }
done
out=$("$cogmap" bench train --preset sorscher-512 --steps 1 --batch 2 --seq-len 3 --hidden 32 2>&1) ||
    { echo "FAIL: sorscher-512 small"; echo "$out"; fail=1; }
out=$("$cogmap" bench train --preset bev-small --steps 1 --batch 2 --threads 1 2>&1) ||
    { echo "FAIL: bench train --preset bev-small"; echo "$out"; fail=1; }
for key in "images/s" "inference images/cpu-s" "peak RSS MB"; do
    grep -Eq "^$key: [0-9.]+" <<<"$out" || { echo "FAIL: bev-small: no '$key: N' line"; echo "$out"; fail=1; }
done
"$cogmap" bench train --preset bev-small --batch 0 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: bev-small --batch 0: exit $rc, expected 2"; fail=1; }
"$cogmap" bench train --preset nope >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: unknown preset: exit $rc, expected 2"; fail=1; }
msg=$("$cogmap" bench train --preset nope 2>&1)
grep -q "nope" <<<"$msg" || { echo "FAIL: message does not name the preset: $msg"; fail=1; }
"$cogmap" bench train --steps 0 >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: --steps 0: exit $rc, expected 2"; fail=1; }
"$cogmap" bench train --frob >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: unknown option: exit $rc, expected 2"; fail=1; }
"$cogmap" bench frob >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || { echo "FAIL: unknown benchmark: exit $rc, expected 2"; fail=1; }
"$cogmap" bench train --help | grep -q "usage: cogmap bench train" || { echo "FAIL: --help"; fail=1; }
[ $fail -eq 0 ] && echo "ok: bench train"
exit $fail
