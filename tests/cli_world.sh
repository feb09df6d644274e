#!/usr/bin/env bash
# `cogmap simulate` as a user runs it: outputs, a numpy round trip,
# determinism across thread counts, and bad input (exit 2, nothing written).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
python=${COGMAP_PYTHON:-/usr/bin/python3}

check "simulate --help" 0 "$cogmap" simulate --help
check "simulate runs" 0 "$cogmap" simulate --arena tworooms --motion sorscher --steps 400 --agents 2 --batch 3 \
    --rays 8 --seed 5 --threads 1 --out "$tmp/a" --quiet
[ -s "$tmp/a/trajectory.npz" ] || { echo "FAIL: no trajectory.npz"; fail=1; }
[ -s "$tmp/a/preview.png" ] || { echo "FAIL: no preview.png"; fail=1; }
head -c 8 "$tmp/a/preview.png" | od -An -c | grep -q 'P   N   G' || { echo "FAIL: preview.png is not a PNG"; fail=1; }
check "same seed, two threads" 0 "$cogmap" simulate --arena tworooms --steps 400 --agents 2 --batch 3 --rays 8 \
    --seed 5 --threads 2 --out "$tmp/b" --quiet
check "other seed" 0 "$cogmap" simulate --arena tworooms --steps 400 --agents 2 --batch 3 --rays 8 --seed 6 \
    --out "$tmp/c" --quiet
check "ou in the circle, no rays" 0 "$cogmap" simulate --arena circle --motion ou --steps 300 --rays 0 \
    --out "$tmp/d" --quiet
check "banino in box15, scaled, sub-sampled" 0 "$cogmap" simulate --arena box15 --motion banino --scale 6.82 \
    --dt 0.04 --substeps 8 --steps 100 --out "$tmp/e" --quiet

"$cogmap" bench motion --batch 10 --steps 200 --repeat 1 --threads 1 >"$tmp/bench" 2>&1
grep -Eq '^steps/s per core: [0-9.e+]+$' "$tmp/bench" || { echo "FAIL: bench motion output"; cat "$tmp/bench"; fail=1; }
"$cogmap" bench targets --rows 50 --repeat 1 >"$tmp/bench" 2>&1
grep -Eq '^fast rows/s per core: [0-9.e+]+$' "$tmp/bench" || { echo "FAIL: bench targets output"; cat "$tmp/bench"; fail=1; }
check "bench unknown" 2 "$cogmap" bench frobnicate
check "bench motion bad option" 2 "$cogmap" bench motion --steps 0

if "$python" -c 'import numpy' 2>/dev/null; then
    "$python" - "$tmp" <<'PY' || fail=1
import sys, numpy as np
tmp = sys.argv[1]
a = np.load(f"{tmp}/a/trajectory.npz")
b = np.load(f"{tmp}/b/trajectory.npz")
c = np.load(f"{tmp}/c/trajectory.npz")
B, T, A, R = 3, 400, 2, 8
shapes = {"position": (B, T, A, 2), "heading": (B, T, A), "velocity": (B, T, A, 2), "speed": (B, T, A),
          "angular_velocity": (B, T, A), "ego_velocity": (B, T, A, 3), "smp_velocity": (B, T, A, 2),
          "wall_distances": (B, T, A, R), "ego_wall_distances": (B, T, A, R), "ray_angles": (R,),
          "init_position": (B, A, 2), "init_heading": (B, A), "dt": (), "walls": (12, 4), "wall_colors": (12, 3)}
errors = []
for k, s in shapes.items():
    if k not in a.files:
        errors.append(f"missing {k}")
    elif a[k].shape != s:
        errors.append(f"{k}: shape {a[k].shape}, expected {s}")
for k in a.files:
    if not np.array_equal(a[k], b[k]):
        errors.append(f"{k} differs between 1 and 2 threads")
if np.array_equal(a["position"], c["position"]):
    errors.append("another seed gave the same positions")
dt = float(a["dt"])
pos = np.concatenate([a["init_position"][:, None], a["position"]], axis=1)
disp = np.diff(pos, axis=1)
if not np.allclose(disp, a["velocity"] * dt, atol=1e-5):
    errors.append("velocity * dt is not the displacement")
if not np.allclose(np.linalg.norm(disp, axis=-1), a["ego_velocity"][..., 0], atol=1e-5):
    errors.append("ego_velocity[0] is not the step length")
x, y = a["position"][..., 0], a["position"][..., 1]
if not (np.all(np.abs(x) < 2.2) and np.all(np.abs(y) < 1.1)):
    errors.append("positions outside the two rooms' box")
if np.any((np.abs(x) < 0.05) & (np.abs(y) > 0.25)):
    errors.append("positions inside the partition")
if not (np.all(a["wall_distances"] > 0) and np.all(np.isfinite(a["wall_distances"]))):
    errors.append("wall distances not positive and finite")
if not np.allclose(a["ray_angles"], -np.pi + 2 * np.pi * np.arange(R) / R, atol=1e-6):
    errors.append("ray_angles")
if a["wall_colors"].dtype != np.uint8 or len({tuple(r) for r in a["wall_colors"]}) < 6:
    errors.append("wall colours")
e = np.load(f"{tmp}/e/trajectory.npz")
if abs(float(e["dt"]) - 0.32) > 1e-6 or e["position"].shape != (1, 100, 1, 2):
    errors.append("--substeps 8 --dt 0.04: expected dt 0.32 and 100 records")
for e in errors:
    print("FAIL:", e)
if not errors:
    print("ok: numpy round trip")
sys.exit(1 if errors else 0)
PY
else
    echo "skipping the numpy round trip: $python cannot import numpy"
fi

# Bad input: exit 2 and nothing written.
bad() {
    local what=$1; shift
    check "$what" 2 "$cogmap" simulate "$@" --out "$tmp/bad" --quiet
    if [ -e "$tmp/bad" ]; then echo "FAIL: $what wrote $tmp/bad"; fail=1; rm -rf "$tmp/bad"; fi
    grep -q "simulate\|--" "$tmp/log" || { echo "FAIL: $what: no message naming the problem"; fail=1; }
}
bad "unknown arena" --arena hexagon
grep -q hexagon "$tmp/log" || { echo "FAIL: the message does not name the arena"; fail=1; }
bad "unknown motion" --motion brownian
bad "zero steps" --steps 0
bad "negative steps" --steps -5
bad "zero agents" --agents 0
bad "zero batch" --batch 0
bad "negative rays" --rays -1
bad "nan dt" --dt nan
bad "negative dt" --dt -0.02
bad "zero scale" --scale 0
bad "zero substeps" --substeps 0
bad "infinite scale" --scale inf
bad "dt too large for OU" --motion ou --dt 1
bad "unknown option" --frobnicate 3
bad "missing value" --steps
bad "absurd size" --steps 2000000000 --batch 1000000

finish cli_world
