#!/usr/bin/env bash
# `cogmap map`: one agent mapping a maze from ground-truth views at true and dead-reckoned
# poses, with a detector run's targets; its outputs and the refused inputs.
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"

check "map from true views" 0 "$cogmap" map --bev truth --size 15 --seed 3 --steps 150 --gif-frames 5 --out "$tmp/a"
expect_msg "prints map_iou" "map_iou"
for f in map.npy map.png map.gif summary.json; do
    [ -s "$tmp/a/$f" ] || { echo "FAIL: cogmap map wrote no $f"; fail=1; }
done
"${COGMAP_PYTHON:-/usr/bin/python3}" - "$tmp/a" <<'PY' || { echo "FAIL: map outputs"; fail=1; }
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
assert s["map_iou"] == s["map_iou_truth_bev"] and s["map_iou"] > 0.95, s
assert s["pose_drift"]["mean"] == 0 and 0 < s["coverage"] <= 1, s
assert 0 < s["map_iou_all_free"] < s["map_iou"], s  # true views beat a map of blobs
try:
    import numpy as np
    m = np.load(sys.argv[1] + "/map.npy")
    assert m.dtype == np.float32 and m.shape == (136, 136) and m.min() < 0 < m.max(), (m.dtype, m.shape)
except ImportError:
    pass
PY

# A tiny detector run for the targets; dead reckoning with corrections.
check "a detector run" 0 "$cogmap" train detector --preset detector-small --out "$tmp/det" --steps 2 --eval-every 2 \
    --set width=4 --set hidden=4 --set blocks=1 --set batch=4 --set train_mazes=2 --set eval_mazes=1 --set maze_steps=20 \
    --set eval_frames=8 --quiet
# Exact odometry and true views: the scan matcher must find nothing to correct (a rotated view's
# pixels straddling a wall's edge once moved it a cell on maze 3 at step 122).
check "map with targets, dead reckoning, corrections" 0 "$cogmap" map --bev truth --detector "$tmp/det" --pose deadreckon \
    --correct --seed 3 --steps 300 --gif-frames 0 --out "$tmp/b" --quiet
grep -q '"pose":[[:space:]]*"deadreckon"' "$tmp/b/summary.json" || { echo "FAIL: summary.json pose"; fail=1; }
grep -q '"corrections":[[:space:]]*0,' "$tmp/b/summary.json" || { echo "FAIL: exact odometry was 'corrected'"; fail=1; }
[ ! -e "$tmp/b/map.gif" ] || { echo "FAIL: --gif-frames 0 wrote a GIF"; fail=1; }

# A grid-cell run as odometry, from the shell: poses drift, the summary says whence they came.
check "a grid-cell run" 0 "$cogmap" train grid --preset ssmpc --out "$tmp/grid" --steps 2 --eval-every 2 \
    --set batch=2 --set eval_batches=1 --quiet
check "map with pathint poses, corrected" 0 "$cogmap" map --bev truth --pose "pathint:$tmp/grid" --correct --steps 40 \
    --gif-frames 0 --out "$tmp/p" --quiet
"${COGMAP_PYTHON:-/usr/bin/python3}" - "$tmp/p" "$tmp/grid" <<'PY' || { echo "FAIL: pathint summary"; fail=1; }
import json, sys
s = json.load(open(sys.argv[1] + "/summary.json"))
assert s["pose"] == "pathint:" + sys.argv[2] and s["correct"] == 1, s
assert s["pose_drift"]["mean"] > 0 and 0 <= s["map_iou"] <= 1, s
PY

check "--bev is required" 2 "$cogmap" map --out "$tmp/c"
check "an unknown pose source" 2 "$cogmap" map --bev truth --pose compass --out "$tmp/c"
check "--correct needs estimated poses" 2 "$cogmap" map --bev truth --correct --out "$tmp/c"
check "a missing BEV run" 1 "$cogmap" map --bev "$tmp/nothing" --out "$tmp/c"
expect_msg "the run is named" "$tmp/nothing"
check "a missing grid run" 1 "$cogmap" map --bev truth --pose "pathint:$tmp/nogrid" --out "$tmp/c"
expect_msg "the grid run is named" "$tmp/nogrid"
[ ! -e "$tmp/c" ] || { echo "FAIL: a refused map left $tmp/c"; fail=1; }
finish cli_map
