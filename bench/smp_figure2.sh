#!/usr/bin/env bash
# `cogmap figure smp2` on released-size data: DeepMind's figure-2 analysis set is 800 trajectories x
# 500 steps = 400,000 samples of 288 RNN units, 36 wall-distance angles and 512 memory slots
# (smp.md §4). The arrays are synthetic (smp.md §10's units, bench/classify_ref.py) under the
# converted names of scripts/smp-data-to-npz (docs/formats.md, SMP released data).
#
# cogmap runs the whole figure (read the 1.3 GB npz, classify with 1000 shuffles per unit, draw the
# panels, P(s|y) maps, figure2.json). The Python peer (the notebook's scores in numpy/scipy,
# bench/classify_ref.py) runs on a reduced size, 100,000 samples and 200 shuffles, extrapolated
# linearly as bench/classify.sh does; the notebook itself says "~15 minutes".
# Usage: bench/smp_figure2.sh [path/to/cogmap] [threads]
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cogmap=${1:-$here/../build/cogmap}
threads=${2:-2}
py=/usr/bin/python3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "generating 800 x 500 samples, 288 synthetic units, 512 slots..."
"$py" "$here/classify_ref.py" generate --out "$tmp/raw" --trajectories 800 --steps 500 --seed 1
"$py" - "$tmp" <<'PY'
import sys
import numpy as np
t = sys.argv[1]
z = np.load(t + "/raw/activity.npz")
pos, act = z["positions"], z["activations"]
rs = np.random.RandomState(2)
cent = rs.uniform(-1.1, 1.1, (512, 2)).astype(np.float32)
lg = np.empty((pos.shape[0], 512), np.float32)
for i in range(0, pos.shape[0], 50000):  # log-softmax place code per slot, in chunks
    l = -((pos[i:i + 50000, None, :] - cent) ** 2).sum(-1) / np.float32(2 * 0.15 ** 2)
    l -= l.max(1, keepdims=True)
    lg[i:i + 50000] = l - np.log(np.exp(l).sum(1, keepdims=True))
np.savez(t + "/trajectories.npz", pos=pos, hd=z["headings"], world_distances=z["wall_distances"],
         rnn1=act[:, :32], rnn2=act[:, 32:160], rnn3=act[:, 160:], log_ps_given_y=lg)
PY
t0=$(date +%s.%N)
"$cogmap" figure smp2 --data "$tmp" --out "$tmp/out" --shuffles 1000 --threads "$threads" 2>"$tmp/log" | tail -4
t1=$(date +%s.%N)
c=$(awk "BEGIN{print $t1 - $t0}")
pyout=$("$py" "$here/classify_ref.py" classify --in "$tmp/raw" --samples 100000 --shuffles 200 --seed 1 --f32)
echo "$pyout"
pt=$(echo "$pyout" | sed -n 's/.*: \([0-9.]*\) s (shuffles \([0-9.]*\) s).*/\1/p')
ps=$(echo "$pyout" | sed -n 's/.*: \([0-9.]*\) s (shuffles \([0-9.]*\) s).*/\2/p')
pfull=$(awk "BEGIN{print ($pt - $ps) * 4 + $ps * 5}")
printf "cogmap figure smp2, 400000 samples x 288 units x 1000 shuffles + panels, %s threads: %.2f s end to end\n" "$threads" "$c"
printf "python reference, 100000 samples x 200 shuffles: %.1f s (shuffles %.1f s); extrapolated to the full size: %.0f s\n" "$pt" "$ps" "$pfull"
printf "ratio (python extrapolated / cogmap end to end): %.0fx\n" "$(awk "BEGIN{print $pfull / $c}")"
