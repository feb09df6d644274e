#!/usr/bin/env bash
# `cogmap-nn-check` (the harness behind make check-torch) without torch: a
# layer run on .npy files checked against numpy, and bad input refused with
# messages that name the file.
set -u
nncheck=${COGMAP_NN_CHECK:?COGMAP_NN_CHECK is set by ctest}
py=${COGMAP_PYTHON:-/usr/bin/python3}
"$py" -c 'import numpy' 2>/dev/null || { echo "skipping: no numpy"; exit 77; }
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# A 3x3 conv with stride 2, pad 1 and bias against a direct numpy sum.
"$py" - "$tmp/conv" <<'PY'
import json, os, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d)
r = np.random.RandomState(3)
np.save(f"{d}/x.npy", r.randn(2, 3, 7, 6).astype(np.float32))
np.save(f"{d}/weight.npy", r.randn(4, 3, 3, 3).astype(np.float32))
np.save(f"{d}/bias.npy", r.randn(4).astype(np.float32))
np.save(f"{d}/dy.npy", r.randn(2, 4, 4, 3).astype(np.float32))
json.dump({"stride_h": 2, "stride_w": 2, "pad_h": 1, "pad_w": 1}, open(f"{d}/config.json", "w"))
PY
if ! "$nncheck" conv2d "$tmp/conv" >"$tmp/out" 2>&1; then
    echo "FAIL: cogmap-nn-check conv2d"; cat "$tmp/out"; fail=1
fi
"$py" - "$tmp/conv" <<'PY' || fail=1
import sys
import numpy as np
d = sys.argv[1]
x, w, b, dy = (np.load(f"{d}/{n}.npy").astype(np.float64) for n in ("x", "weight", "bias", "dy"))
xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
y = np.zeros((2, 4, 4, 3)); gw = np.zeros_like(w); gx = np.zeros_like(xp)
for i in range(4):
    for j in range(3):
        patch = xp[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3]
        y[:, :, i, j] = np.einsum("nckl,ockl->no", patch, w) + b
        gw += np.einsum("no,nckl->ockl", dy[:, :, i, j], patch)
        gx[:, :, 2 * i:2 * i + 3, 2 * j:2 * j + 3] += np.einsum("no,ockl->nckl", dy[:, :, i, j], w)
checks = {"y": y, "grad_weight": gw, "grad_x": gx[:, :, 1:-1, 1:-1], "grad_bias": dy.sum(axis=(0, 2, 3))}
bad = 0
for name, ref in checks.items():
    got = np.load(f"{d}/c_{name}.npy")
    err = np.abs(got - ref).max() / max(np.abs(ref).max(), 1e-2)
    print(f"{'ok' if err < 1e-5 else 'FAIL'}: conv2d {name} vs numpy, error {err:.1e}")
    bad |= not err < 1e-5
sys.exit(bad)
PY

# --repeat: a timing run prints the time per pass and writes nothing.
cp -r "$tmp/conv" "$tmp/timed"
rm -f "$tmp/timed"/c_*.npy
if "$nncheck" conv2d "$tmp/timed" --repeat 2 >"$tmp/out" 2>&1 &&
    grep -Eq 's per forward\+backward \(2 passes' "$tmp/out" && ! ls "$tmp/timed"/c_*.npy >/dev/null 2>&1; then
    echo "ok: --repeat timing run"
else
    echo "FAIL: --repeat timing run"; cat "$tmp/out"; fail=1
fi

check() { # description, expected exit code, text the message must contain, command...
    local what=$1 want=$2 text=$3; shift 3
    "$@" >"$tmp/out" 2>&1
    local got=$?
    if [ "$got" -ne "$want" ] || ! grep -q -- "$text" "$tmp/out"; then
        echo "FAIL: $what: exit $got (expected $want), output:"; cat "$tmp/out"; fail=1
    else
        echo "ok: $what"
    fi
}
check "unknown layer" 2 "unknown layer" "$nncheck" frobnicate "$tmp/conv"
check "missing folder argument" 2 "usage" "$nncheck" conv2d
check "missing input file" 1 "nope/x.npy" "$nncheck" conv2d "$tmp/nope"
cp -r "$tmp/conv" "$tmp/badshape"
"$py" -c "import numpy as np; np.save('$tmp/badshape/weight.npy', np.zeros((4, 5, 3, 3), np.float32))"
check "wrong channel count" 1 "weight.npy" "$nncheck" conv2d "$tmp/badshape"
cp -r "$tmp/conv" "$tmp/baddtype"
"$py" -c "import numpy as np; np.save('$tmp/baddtype/x.npy', np.zeros((2, 3, 7, 6), np.float64))"
check "float64 input" 1 "x.npy" "$nncheck" conv2d "$tmp/baddtype"
cp -r "$tmp/conv" "$tmp/badcfg"
echo '{"stride_h": 0}' >"$tmp/badcfg/config.json"
check "zero stride" 2 "stride" "$nncheck" conv2d "$tmp/badcfg"
echo '{"stride_h": "two"}' >"$tmp/badcfg/config.json"
check "non-numeric stride" 1 "stride_h" "$nncheck" conv2d "$tmp/badcfg"
check "bad --repeat" 2 "repeat" "$nncheck" conv2d "$tmp/conv" --repeat 0
mkdir "$tmp/relu"
"$py" -c "import numpy as np; [np.save('$tmp/relu/' + n, np.ones((3, 4), np.float32)) for n in ('x', 'dy')]"
check "--repeat on a layer without a timing loop" 1 "timing loop" "$nncheck" relu "$tmp/relu" --repeat 2
if [ $fail -eq 0 ]; then echo "cli_nn_check: all passed"; fi
exit $fail
