#!/usr/bin/env bash
# SMP's full unit classification (figure 2: 400,000 samples, 288 units, 1000
# shuffles per unit) in cogmap against the Python reference (numpy/scipy,
# bench/classify_ref.py) on the same synthetic inputs, in one run.
#
# Python runs on a reduced size (the first 100,000 samples, 200 shuffles);
# its time is extrapolated linearly to the full size: the map part scales with
# the samples (x4), the shuffle part with the shuffles (x5). cogmap runs the
# full size. Usage: bench/classify.sh [path/to/cogmap] [threads]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cogmap=${1:-$here/../build/cogmap}
threads=${2:-2}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "generating 800 x 500 samples, 288 synthetic units (smp.md §10)..."
"$py" "$here/classify_ref.py" generate --out "$tmp" --trajectories 800 --steps 500 --seed 1

t0=$(date +%s.%N)
"$cogmap" analyze "$tmp/activity.npz" --out "$tmp/out" --shuffles 1000 --threads "$threads" --no-figures --quiet >/dev/null
t1=$(date +%s.%N)
c=$(awk "BEGIN{print $t1 - $t0}")
# The classification alone (without reading the 500 MB npz), from the report's run.
"$cogmap" analyze "$tmp/activity.npz" --out "$tmp/out" --shuffles 1000 --threads "$threads" --no-figures 2>"$tmp/log" >/dev/null
ca=$(sed -n 's/.* in \([0-9.]*\) s;.*/\1/p' "$tmp/log")

pyout=$("$py" "$here/classify_ref.py" classify --in "$tmp" --samples 100000 --shuffles 200 --seed 1)
echo "$pyout"
pt=$(echo "$pyout" | sed -n 's/.*: \([0-9.]*\) s (shuffles \([0-9.]*\) s).*/\1/p')
ps=$(echo "$pyout" | sed -n 's/.*: \([0-9.]*\) s (shuffles \([0-9.]*\) s).*/\2/p')
pfull=$(awk "BEGIN{print ($pt - $ps) * 4 + $ps * 5}")
printf "cogmap analyze, 400000 samples x 288 units x 1000 shuffles, %s threads: %.2f s end to end (classification %.2f s)\n" "$threads" "$c" "$ca"
printf "python reference, 100000 samples x 200 shuffles: %.1f s (shuffles %.1f s); extrapolated to the full size: %.0f s\n" "$pt" "$ps" "$pfull"
printf "ratio (python extrapolated / cogmap end to end): %.0fx\n" "$(awk "BEGIN{print $pfull / $c}")"
