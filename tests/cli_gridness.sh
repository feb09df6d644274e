#!/usr/bin/env bash
# `cogmap gridness` as a user runs it: CSV header and rows, figure, bad input and exit codes.
set -u
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
python=${COGMAP_PYTHON:-/usr/bin/python3}
if ! "$python" -c 'import numpy' 2>/dev/null; then
    echo "skipping: $python has no numpy"; exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
check() { # description, expected exit code, command...
    local what=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -ne "$want" ]; then
        echo "FAIL: $what: exit $got, expected $want"; cat "$tmp/out" "$tmp/err"; fail=1
    else
        echo "ok: $what"
    fi
}
"$python" - "$tmp" <<'PY'
import sys
import numpy as np
d = sys.argv[1]
n = 20
c = (np.arange(n) + 0.5) / n * 2.2 - 1.1
X, Y = np.meshgrid(c, c, indexing="ij")
k = 4 * np.pi / (np.sqrt(3) * 0.6)
hexm = sum(np.cos(k * (X * np.cos(0.3 + j * np.pi / 3) + Y * np.sin(0.3 + j * np.pi / 3))) for j in range(3))
maps = np.stack([hexm, np.random.RandomState(0).rand(n, n), np.full((n, n), np.nan), hexm * 0 + 0.1, hexm])
maps[4, :5, :5] = np.nan
np.save(d + "/maps32.npy", maps.astype(np.float32))
np.save(d + "/maps64.npy", maps.astype(np.float32).astype(np.float64))  # the same values
np.save(d + "/rank2.npy", np.zeros((4, 4), np.float32))
np.save(d + "/nonsquare.npy", np.zeros((2, 4, 5), np.float32))
np.save(d + "/ints.npy", np.zeros((2, 4, 4), np.int32))
np.save(d + "/empty.npy", np.zeros((0, 20, 20), np.float32))
bad = maps.copy(); bad[1, 3, 3] = np.inf
np.save(d + "/inf.npy", bad)
open(d + "/garbage.npy", "wb").write(b"\x93NUMPY not really")
PY

check "gridness float32" 0 "$cogmap" gridness "$tmp/maps32.npy"
head -1 "$tmp/out" | grep -q '^unit,score60,score90,' || { echo "FAIL: header"; cat "$tmp/out"; fail=1; }
[ "$(wc -l <"$tmp/out")" -eq 6 ] || { echo "FAIL: expected 1 header + 5 rows"; fail=1; }
# the hexagonal map scores high, the noise map low, the all-NaN map exactly 0
awk -F, 'NR==2 && !($2 > 1.0) {exit 1} NR==3 && !($2 < 0.5) {exit 1} NR==4 && ($2 != 0 || $3 != 0) {exit 1}' \
    "$tmp/out" || { echo "FAIL: scores"; cat "$tmp/out"; fail=1; }
cp "$tmp/out" "$tmp/out32"
check "gridness float64, ssmpc masks, min-max, 1 thread" 0 "$cogmap" gridness "$tmp/maps64.npy" --masks ssmpc --minmax --threads 1
[ "$(wc -l <"$tmp/out")" -eq 6 ] || { echo "FAIL: ssmpc rows"; fail=1; }
check "same CSV for float64 and float32 of the same values" 0 "$cogmap" gridness "$tmp/maps64.npy" --threads 2
cmp -s "$tmp/out" "$tmp/out32" || { echo "FAIL: float64 vs float32 CSV differ"; diff "$tmp/out" "$tmp/out32"; fail=1; }
check "--bnt column" 0 "$cogmap" gridness "$tmp/maps32.npy" --bnt
head -1 "$tmp/out" | grep -q ',bnt$' || { echo "FAIL: bnt header"; fail=1; }
check "--figure" 0 "$cogmap" gridness "$tmp/maps32.npy" --figure "$tmp/fig.png" --top 3
[ "$(head -c 8 "$tmp/fig.png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "FAIL: figure is not a PNG"; fail=1; }
check "--figure svg" 0 "$cogmap" gridness "$tmp/maps32.npy" --figure "$tmp/fig.svg"
grep -q "<svg" "$tmp/fig.svg" || { echo "FAIL: figure is not an SVG"; fail=1; }
check "no maps: header only" 0 "$cogmap" gridness "$tmp/empty.npy"
[ "$(wc -l <"$tmp/out")" -eq 1 ] || { echo "FAIL: empty input rows"; fail=1; }

check "rank 2" 1 "$cogmap" gridness "$tmp/rank2.npy"
grep -q "rank2.npy" "$tmp/err" && grep -q "expected shape \[N, n, n\]" "$tmp/err" || { echo "FAIL: rank message"; cat "$tmp/err"; fail=1; }
check "not square" 1 "$cogmap" gridness "$tmp/nonsquare.npy"
check "int32" 1 "$cogmap" gridness "$tmp/ints.npy"
grep -q "ints.npy: expected dtype float32 or float64, got int32" "$tmp/err" || { echo "FAIL: dtype message"; cat "$tmp/err"; fail=1; }
check "infinity" 1 "$cogmap" gridness "$tmp/inf.npy"
grep -q "map 1" "$tmp/err" || { echo "FAIL: infinity message names the map"; cat "$tmp/err"; fail=1; }
check "corrupt file" 1 "$cogmap" gridness "$tmp/garbage.npy"
check "missing file" 1 "$cogmap" gridness "$tmp/nothere.npy"
check "no file" 2 "$cogmap" gridness
check "two files" 2 "$cogmap" gridness "$tmp/maps32.npy" "$tmp/maps64.npy"
check "bad --masks" 2 "$cogmap" gridness "$tmp/maps32.npy" --masks hexagons
check "bad --top" 2 "$cogmap" gridness "$tmp/maps32.npy" --top 0
# the shuffle test: two more columns, the hexagonal map above its own 99th percentile, the
# same thresholds for the same seed at any thread count, others for another seed
check "--shuffles" 0 "$cogmap" gridness "$tmp/maps32.npy" --shuffles 30 --seed 4 --threads 1
head -1 "$tmp/out" | grep -q ',orientation,shuffle95,shuffle99$' || { echo "FAIL: shuffle header"; cat "$tmp/out"; fail=1; }
awk -F, 'NR==2 && !($2 > $9) {exit 1}' "$tmp/out" || { echo "FAIL: hex map vs its shuffles"; cat "$tmp/out"; fail=1; }
grep -q 'above their own 95th percentile' "$tmp/err" || { echo "FAIL: shuffle share on stderr"; cat "$tmp/err"; fail=1; }
cp "$tmp/out" "$tmp/shuf1"
check "--shuffles, 2 threads" 0 "$cogmap" gridness "$tmp/maps32.npy" --shuffles 30 --seed 4 --threads 2
cmp -s "$tmp/out" "$tmp/shuf1" || { echo "FAIL: shuffles differ with the thread count"; fail=1; }
check "--shuffles, another seed" 0 "$cogmap" gridness "$tmp/maps32.npy" --shuffles 30 --seed 5
cmp -s "$tmp/out" "$tmp/shuf1" && { echo "FAIL: another seed, the same shuffles"; fail=1; }
check "bad --shuffles" 2 "$cogmap" gridness "$tmp/maps32.npy" --shuffles 0
check "bad --threads" 2 "$cogmap" gridness "$tmp/maps32.npy" --threads -1
check "unknown option" 2 "$cogmap" gridness "$tmp/maps32.npy" --frob
check "unwritable figure" 1 "$cogmap" gridness "$tmp/maps32.npy" --figure "$tmp/no/dir/fig.png"
if [ $fail -eq 0 ]; then echo "cli_gridness: all passed"; fi
exit $fail
