#!/usr/bin/env bash
# The Python converters for the seeds' released artifacts (issue 8): SMP pickles -> npz and
# SSM-PC .pth -> safetensors, on synthetic files with the released keys, shapes and dtypes.
set -u
py=${COGMAP_PYTHON:-/usr/bin/python3}
src=${COGMAP_SOURCE_DIR:?set by ctest}
if ! "$py" -c 'import numpy' 2>/dev/null; then echo "skipping: $py has no numpy"; exit 77; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

# --- SMP pickles -------------------------------------------------------------------------------
"$py" - "$tmp/in" <<'PY'
import numpy as np, os, pickle, sys
d = sys.argv[1]; os.makedirs(d)
r = np.random.RandomState(0)
T, S, A, slots = 4, 25, 20, 16
traj = {
    "pos": r.uniform(-1.1, 1.1, (T, S, 2)).astype(np.float32),
    "hd": r.uniform(-np.pi, np.pi, (T, S, 1)).astype(np.float32),
    "world_distances": r.uniform(0, 2, (T, S, A)).astype(np.float32),
    "predicted_outputs": [r.rand(T, S, 32).astype(np.float32), r.rand(T, S, 128).astype(np.float32),
                          r.rand(T, S, 128).astype(np.float32), r.rand(T, S, 4).astype(np.float32)],
    "log_ps_given_y": [r.rand(T, S, slots), np.log(r.dirichlet(np.ones(slots), T * S)).reshape(T, S, slots)],
}
P = "integrator/multi_integrator_nets/"
params = {
    P + "prediction_rnn_0/w_gates": r.randn(34, 128).astype(np.float32),
    P + "prediction_rnn_0/b_gates": r.randn(128).astype(np.float32),
    P + "correction_rnn_0/w_gates": r.randn(64, 128).astype(np.float32),
    P + "correction_rnn_0/b_gates": r.randn(128).astype(np.float32),
    "integrator/memory_map_0/column_context_2": r.randn(slots, 8).astype(np.float32),
    "integrator/memory_map_0/column_context_3": r.rand(slots, 32).astype(np.float32),
    "integrator/memory_map_0/column_context_3_written": r.rand(slots, 32).astype(np.float32),
    P + "mmap_0_context_2_query_beta": np.float32(1.5),
}
vis = {"images": r.rand(slots, 8, 8, 3).astype(np.float32), "embeddings": r.randn(slots, 8)}
hd = {"rnn0_rv_angles": r.uniform(-np.pi, np.pi, 32), "rnn0_rv_lengths": r.rand(32)}
for name, obj in [("trajectories", traj), ("parameters", params), ("visual_inputs", vis), ("hd_stats", hd)]:
    with open(os.path.join(d, name + ".pickle"), "wb") as f:
        pickle.dump(obj, f, protocol=2 if name == "hd_stats" else 4)
np.save(os.path.join(d, "expect_pos.npy"), traj["pos"].reshape(-1, 2))
np.save(os.path.join(d, "expect_rnn2.npy"), traj["predicted_outputs"][1].reshape(-1, 128))
PY
if "$py" "$src/scripts/smp-data-to-npz" "$tmp/in" "$tmp/out" >/dev/null; then ok "converts all four pickles"; else bad "conversion failed"; fi
# Outputs follow the umask (0666 minus it), not the temporary file's 0600.
for um in 022 027; do
    rm -rf "$tmp/out-$um"
    (umask $um && "$py" "$src/scripts/smp-data-to-npz" "$tmp/in" "$tmp/out-$um" >/dev/null)
    want=$(printf '%o' $(( 0666 & ~0$um )))
    modes=$(stat -c '%a' "$tmp/out-$um"/*.npz | sort -u | tr '\n' ' ')
    [ "$modes" = "$want " ] && ok "umask $um: outputs mode $want" || bad "umask $um: modes $modes, expected $want"
    ls -A "$tmp/out-$um" | grep -q tmp && bad "umask $um: a temporary file is left" || true
done
"$py" - "$tmp" <<'PY' && ok "npz contents and shapes" || bad "npz contents"
import numpy as np, sys
t = sys.argv[1]
z = np.load(t + "/out/trajectories.npz")
assert z["pos"].shape == (100, 2) and z["pos"].dtype == np.float32
assert np.array_equal(z["pos"], np.load(t + "/in/expect_pos.npy"))
assert np.array_equal(z["rnn2"], np.load(t + "/in/expect_rnn2.npy"))
assert z["hd"].shape == (100,) and z["rnn1"].shape == (100, 32) and z["rnn3"].shape == (100, 128)
assert z["world_distances"].shape == (100, 20) and z["log_ps_given_y"].shape == (100, 16)
p = np.load(t + "/out/parameters.npz")
assert p["integrator.multi_integrator_nets.prediction_rnn_0.w_gates"].shape == (34, 128)
assert p["integrator.memory_map_0.column_context_3"].shape == (16, 32)
v = np.load(t + "/out/visual_inputs.npz")
assert v["images"].dtype == np.uint8 and v["images"].shape == (16, 8, 8, 3)
h = np.load(t + "/out/hd_stats.npz")
assert h["rnn0_rv_angles"].shape == (32,)
PY

# A hostile pickle: a reduce that would run a shell command. Nothing may run, nothing be written.
mkdir -p "$tmp/evil"
"$py" - "$tmp/evil/hd_stats.pickle" "$tmp/pwned" <<'PY'
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("touch " + sys.argv[2],))
with open(sys.argv[1], "wb") as f:
    pickle.dump({"rnn0_rv_angles": Evil(), "rnn0_rv_lengths": [1.0]}, f)
PY
out=$("$py" "$src/scripts/smp-data-to-npz" "$tmp/evil" "$tmp/evil-out" 2>&1); rc=$?
if [ $rc -ne 0 ] && [ ! -e "$tmp/pwned" ] && [ ! -e "$tmp/evil-out/hd_stats.npz" ] && echo "$out" | grep -q "refuses to construct"; then
    ok "hostile pickle refused ($out)"; else bad "hostile pickle: rc=$rc out=$out"; fi

# Unexpected key, wrong shape, truncated file: clear errors naming the key, nothing written.
mkdir -p "$tmp/odd"
"$py" -c "
import numpy as np, pickle
pickle.dump({'rnn0_rv_angles': np.zeros(32), 'rnn0_rv_lengths': np.zeros(32), 'surprise': np.zeros(1)}, open('$tmp/odd/hd_stats.pickle', 'wb'))"
out=$("$py" "$src/scripts/smp-data-to-npz" "$tmp/odd" "$tmp/odd-out" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "surprise" && [ ! -e "$tmp/odd-out/hd_stats.npz" ] && ok "unexpected key named" || bad "unexpected key: $out"
"$py" -c "
import numpy as np, pickle
pickle.dump({'rnn0_rv_angles': np.zeros(32), 'rnn0_rv_lengths': np.zeros(31)}, open('$tmp/odd/hd_stats.pickle', 'wb'))"
out=$("$py" "$src/scripts/smp-data-to-npz" "$tmp/odd" "$tmp/odd-out" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "rnn0_rv_lengths" && ok "shape mismatch named" || bad "shape mismatch: $out"
head -c 40 "$tmp/in/trajectories.pickle" > "$tmp/odd/trajectories.pickle"; rm "$tmp/odd/hd_stats.pickle"
out=$("$py" "$src/scripts/smp-data-to-npz" "$tmp/odd" "$tmp/odd-out" 2>&1)
[ $? -ne 0 ] && echo "$out" | grep -q "trajectories.pickle" && ok "truncated pickle named" || bad "truncated: $out"

# --- SSM-PC checkpoints (needs torch) ----------------------------------------------------------
if "$py" -c 'import torch' 2>/dev/null; then
    "$py" - "$tmp" <<'PY'
import sys, torch
t = sys.argv[1]
shapes = {"lstm.weight_ih_l0": (512, 3), "lstm.weight_hh_l0": (512, 128), "lstm.bias_ih_l0": (512,),
          "lstm.bias_hh_l0": (512,), "bottleneck.0.weight": (256, 128), "place_predictor.weight": (256, 256),
          "place_predictor.bias": (256,), "hd_predictor.weight": (12, 256), "hd_predictor.bias": (12,),
          "init_fc.weight": (256, 268), "init_fc.bias": (256,), "h0_init.weight": (128, 268),
          "h0_init.bias": (128,), "c0_init.weight": (128, 268), "c0_init.bias": (128,)}
g = torch.Generator().manual_seed(0)
sd = {"module." + k: torch.randn(s, generator=g) for k, s in shapes.items()}
torch.save({"epoch": 3, "model_state_dict": sd}, t + "/wrapped.pth")
bad = {k[7:]: v for k, v in sd.items() if "hd_predictor.bias" not in k}
torch.save(bad, t + "/missing.pth")
PY
    if "$py" "$src/scripts/pth-to-safetensors" "$tmp/wrapped.pth" "$tmp/grid.safetensors" >/dev/null; then ok "pth converted"; else bad "pth conversion"; fi
    for um in 022 027; do
        (umask $um && "$py" "$src/scripts/pth-to-safetensors" "$tmp/wrapped.pth" "$tmp/um-$um.safetensors" >/dev/null)
        want=$(printf '%o' $(( 0666 & ~0$um )))
        mode=$(stat -c '%a' "$tmp/um-$um.safetensors" 2>/dev/null)
        [ "$mode" = "$want" ] && ok "umask $um: safetensors mode $want" || bad "umask $um: mode $mode, expected $want"
    done
    ls -A "$tmp" | grep -q '\.tmp-' && bad "a temporary file is left" || true
    "$py" - "$tmp" <<'PY' && ok "safetensors names, shapes, values" || bad "safetensors contents"
import json, struct, sys, numpy as np, torch
t = sys.argv[1]
raw = open(t + "/grid.safetensors", "rb").read()
n = struct.unpack("<Q", raw[:8])[0]
assert n % 8 == 0
h = json.loads(raw[8:8 + n])
assert h["__metadata__"]["model"] == "gridcell"
sd = torch.load(t + "/wrapped.pth")["model_state_dict"]
for k, v in sd.items():
    e = h[k[7:]]
    a, b = e["data_offsets"]
    got = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=np.float32).reshape(e["shape"])
    assert np.array_equal(got, v.numpy()), k
PY
    out=$("$py" "$src/scripts/pth-to-safetensors" "$tmp/missing.pth" "$tmp/m.safetensors" 2>&1)
    [ $? -ne 0 ] && echo "$out" | grep -q "hd_predictor.bias" && [ ! -e "$tmp/m.safetensors" ] && ok "missing tensor named" || bad "missing tensor: $out"
else
    echo "skipping the .pth checks: $py has no torch (scripts/install-deps.sh --torch)"
fi

[ $fail -eq 0 ] && echo "cli_scripts: all passed"
exit $fail
