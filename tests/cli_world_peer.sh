#!/usr/bin/env bash
# The rat model against its reference: `cogmap simulate --motion sorscher`
# and the numpy generator of bench/motion_numpy.py (grid-cells.md §2.4) must
# give the same statistics: step length (with the wall slow-down), heading
# change, time spent in the border region and the distribution of distances
# to the walls. Exit 77 (skipped) without numpy.
set -u
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
python=${COGMAP_PYTHON:-/usr/bin/python3}
src=${COGMAP_SOURCE_DIR:-$(cd "$(dirname "$0")/.." && pwd)}
"$python" -c 'import numpy' 2>/dev/null || { echo "skipping: $python cannot import numpy"; exit 77; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$cogmap" simulate --motion sorscher --arena box --batch 400 --steps 1000 --rays 0 --seed 4 --out "$tmp" --quiet \
    || { echo "FAIL: simulate"; exit 1; }
"$python" - "$tmp/trajectory.npz" "$src/bench" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[2])
from motion_numpy import generate

z = np.load(sys.argv[1])
pos_c = z["position"][:, :, 0]
step_c = z["ego_velocity"][:, :, 0, 0]
turn_c = np.arctan2(z["ego_velocity"][:, :, 0, 2], z["ego_velocity"][:, :, 0, 1])
pos_p, hd_p, step_p = generate(np.random.default_rng(4), 400, 1000)
turn_p = np.mod(np.diff(hd_p, axis=1) + np.pi, 2 * np.pi) - np.pi


def stats(pos, step, turn):
    d = 1.1 - np.max(np.abs(pos), axis=-1)  # distance to the nearest wall
    return {"mean step": step.mean(), "mean |turn|": np.abs(turn).mean(), "in border": (d < 0.03).mean(),
            "mean wall distance": d.mean(), "wall distance q10": np.quantile(d, 0.1),
            "wall distance q50": np.quantile(d, 0.5), "wall distance q90": np.quantile(d, 0.9)}


c, p = stats(pos_c, step_c, turn_c), stats(pos_p[:, 1:], step_p, turn_p)
bad = 0
for k in c:
    ratio = c[k] / p[k]
    ok = abs(ratio - 1) < 0.04
    bad += not ok
    print(f"{'ok' if ok else 'FAIL'}: {k}: cogmap {c[k]:.5f}, numpy {p[k]:.5f} (ratio {ratio:.4f})")
sys.exit(1 if bad else 0)
PY
