#!/usr/bin/env bash
# The seeds' released artifacts end to end (issue 8): synthetic pickles with DeepMind's released
# keys, shapes and dtypes -> scripts/smp-data-to-npz -> `cogmap figure smp2|smp3`, checked against
# an independent numpy/scipy implementation of the notebook's scores and against smp.md §10's test
# vectors; an SSM-PC grid-cell checkpoint -> `cogmap eval --from-checkpoint`; bad inputs named.
set -u
py=${COGMAP_PYTHON:-/usr/bin/python3}
src=${COGMAP_SOURCE_DIR:?set by ctest}
bin=${COGMAP_BIN:?set by ctest}
if ! "$py" -c 'import numpy' 2>/dev/null; then echo "skipping: $py has no numpy"; exit 77; fi
have_scipy=0; "$py" -c 'import scipy.stats' 2>/dev/null && have_scipy=1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
fail=0
ok() { echo "ok: $1"; }
bad() { echo "FAIL: $1"; fail=1; }

# --- released-shape pickles ---------------------------------------------------------------------
"$py" - "$tmp/in" "$src/bench" "$src/tests/support" <<'PY'
import sys
import numpy as np
d = sys.argv[1]; sys.path[:0] = sys.argv[2:4]
import classify_ref as ref  # smp.md §10's synthetic rat, wall distances and cell types
import released_smp  # the released files' layout
rs = np.random.RandomState(11)
NT, ST, A, S, H, D = 16, 250, 36, 512, 32, 64
pos, hd = ref.trajectories(NT, ST, rs)
angles = np.linspace(-np.pi, np.pi, A + 1)[:-1]
dist = ref.box_distances(pos, angles).astype(np.float32)
acts = ref.synthetic_units(pos, hd, dist, A, rs)
cent = rs.uniform(-1.1, 1.1, (S, 2))
lg = -((pos[:, None, :] - cent) ** 2).sum(-1) / (2 * 0.15 ** 2)
lg -= lg.max(1, keepdims=True); lg -= np.log(np.exp(lg).sum(1, keepdims=True))
sh = lambda a: a.reshape((NT, ST) + a.shape[1:])
f = np.float32
traj = {"pos": sh(pos).astype(f), "hd": sh(hd)[..., None].astype(f), "world_distances": sh(dist),
        "predicted_outputs": [sh(acts[:, :32]), sh(acts[:, 32:160]), sh(acts[:, 160:]), sh(acts[:, :8])],
        "log_ps_given_y": [sh(lg[:, :4]).astype(f), sh(lg).astype(f)]}
released_smp.write(d, rs, traj, S, H, D)
PY
"$py" "$src/scripts/smp-data-to-npz" "$tmp/in" "$tmp/npz" >/dev/null && ok "released-shape pickles converted" || bad "conversion"

# float64 positions and headings keep their precision (numpy bins them differently from float32).
mkdir -p "$tmp/f64"
"$py" -c "
import numpy as np, pickle
r = np.random.RandomState(0)
pickle.dump({'pos': r.uniform(-1, 1, (2, 5, 2)), 'hd': r.uniform(-3, 3, (2, 5, 1)), 'world_distances': r.rand(2, 5, 8),
             'predicted_outputs': [r.rand(2, 5, 32), r.rand(2, 5, 128), r.rand(2, 5, 128)],
             'log_ps_given_y': [r.rand(2, 5, 3), r.rand(2, 5, 3)]}, open('$tmp/f64/trajectories.pickle', 'wb'))"
"$py" "$src/scripts/smp-data-to-npz" "$tmp/f64" "$tmp/f64-npz" >/dev/null && "$py" -c "
import numpy as np; z = np.load('$tmp/f64-npz/trajectories.npz')
assert z['pos'].dtype == np.float64 and z['hd'].dtype == np.float64 and z['rnn1'].dtype == np.float32" \
    && ok "float64 positions and headings kept" || bad "float64 positions"

# --- figure 2 -------------------------------------------------------------------------------
if "$bin" figure smp2 --data "$tmp/npz" --out "$tmp/f2" --shuffles 100 --seed 3 --quiet; then
    ok "figure smp2 ran"; else bad "figure smp2 failed"; fi
for f in figure2.json fig2_notebook_units.png fig2e_place_slots.png hd_polar.png ratemaps_octants.png bvc_maps.png histograms.png hd_sticks.png ego_vs_allo.png; do
    [ -s "$tmp/f2/$f" ] || bad "figure smp2: $f missing"
done
"$py" - "$tmp" <<'PY' && ok "figure2.json counts (per RNN) and place slots" || bad "figure2.json counts"
import json, sys
j = json.load(open(sys.argv[1] + "/f2/figure2.json"))
r = j["rnns"]
assert j["source"] == "released" and j["samples"] == 4000 and j["units"] == 288, j
assert [r[k]["units"] for k in ("rnn1", "rnn2", "rnn3")] == [32, 128, 128]
assert r["rnn1"]["hd"] == 32 and r["rnn1"]["hd_share"] == 1.0, r["rnn1"]      # 32 HD units by construction
assert r["rnn3"]["ego_bvc"] == 0 and r["rnn3"]["allo_bvc"] >= 40, r["rnn3"]    # 64 allocentric BVCs + noise
assert r["rnn2"]["ego_bvc"] >= 40, r["rnn2"]                                   # 64 egocentric BVCs
assert j["place_slots"] == [43, 45, 96, 508, 510]
for k in r:  # counts agree with the per-unit scores and the thresholds in the file
    for c, s, t in (("hd", "hd_length", "hd"), ("ego_bvc", "ego_bvc", "ego_bvc"), ("allo_bvc", "allo_bvc", "allo_bvc")):
        assert r[k][c] == sum(1 for v in r[k]["scores"][s] if v is not None and v > j["thresholds"][t]), (k, c)
PY
if [ $have_scipy = 1 ]; then
    "$py" - "$tmp" "$src/bench" <<'PY' && ok "scores equal the notebook's (numpy/scipy reference); thresholds within sampling spread" || bad "scores differ from the reference"
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[2])
import classify_ref as ref
z = np.load(sys.argv[1] + "/npz/trajectories.npz")
acts = np.concatenate([z["rnn1"], z["rnn2"], z["rnn3"]], 1)
res = ref.classify(z["pos"], z["hd"], z["world_distances"], acts, 100, seed=5)
j = json.load(open(sys.argv[1] + "/f2/figure2.json"))
for key, name in (("hd_length", "hd_score"), ("ego_bvc", "ego_score"), ("allo_bvc", "allo_score"), ("stability", "stability")):
    ours = np.array([v if v is not None else np.nan for k in ("rnn1", "rnn2", "rnn3") for v in j["rnns"][k]["scores"][key]])
    theirs = res[name]
    same = (np.isnan(ours) & np.isnan(theirs)) | (np.abs(ours - theirs) <= 1e-9 * np.maximum(1, np.abs(theirs)))
    assert same.all(), (key, np.nanmax(np.abs(ours - theirs)))
for t in ("hd", "ego_bvc", "allo_bvc"):  # random shuffles on both sides: close, not equal
    a, b = j["thresholds"][t], res[t.replace("_bvc", "") + "_threshold"]
    assert abs(a - b) < 0.1 * b, (t, a, b)
PY
else
    echo "skipping the scipy comparison: no scipy"
fi

# The same command on a cogmap SMP run's activity file (what `cogmap eval DIR` writes).
"$py" "$src/bench/classify_ref.py" generate --out "$tmp/run" --trajectories 8 --steps 250 --seed 2 >/dev/null
if "$bin" figure smp2 --data "$tmp/run" --out "$tmp/f2run" --shuffles 50 --quiet && \
   "$py" -c "import json,sys; j=json.load(open('$tmp/f2run/figure2.json')); assert j['source']=='cogmap' and j['rnns']['rnn1']['hd']==32" ; then
    ok "figure smp2 on a cogmap activity file"; else bad "figure smp2 on activity.npz"; fi

# --- figure 3 -------------------------------------------------------------------------------
if "$bin" figure smp3 --data "$tmp/npz" --out "$tmp/f3" --fig3-init 40 --max-attractor 4 --images 32 --quiet; then
    ok "figure smp3 ran"; else bad "figure smp3 failed"; fi
for f in figure3.json rnn1_check.json fig3_ab_integration.png fig3_cd_convergence.png fig3_ef_rotation.png fig3_gi_correction.png; do
    [ -s "$tmp/f3/$f" ] || bad "figure smp3: $f missing"
done
"$py" - "$tmp" <<'PY' && ok "loaded RNN-1 step and correction equal numpy's" || bad "RNN-1 differs from numpy"
import json, sys
import numpy as np
t = sys.argv[1]
p = np.load(t + "/npz/parameters.npz"); v = np.load(t + "/npz/visual_inputs.npz")
k = lambda s: p["integrator.multi_integrator_nets." + s].astype(np.float64)
m = lambda s: p["integrator.memory_map_0." + s].astype(np.float64)
j = json.load(open(t + "/f3/rnn1_check.json"))
sig = lambda x: 1 / (1 + np.exp(-x))
H = 32
s0 = m("column_context_3_written")[8]
u = 10 * np.array([np.cos(np.pi / 20), np.sin(np.pi / 20)])
z = np.concatenate([u, s0]) @ k("prediction_rnn_0.w_gates") + k("prediction_rnn_0.b_gates")
i, g, f, o = z[:H], z[H:2 * H], z[2 * H:3 * H], z[3 * H:]
c = sig(f + 1) * s0 + sig(i) * np.tanh(g)
h = sig(c) * sig(o)
assert np.allclose(j["prediction_step_c"], c, atol=2e-5) and np.allclose(j["prediction_step_h"], h, atol=2e-5)
gamma = np.exp(float(k("mmap_0_context_2_query_beta")))
a = gamma * (m("column_context_2") @ v["embeddings"][0].astype(np.float64))
w = np.exp(a - a.max()); w /= w.sum()
assert np.allclose(j["correction_weights_image0"], w, atol=1e-6)
assert np.allclose(j["correction_code_image0"], w @ m("column_context_3"), atol=1e-5)
f3 = json.load(open(t + "/f3/figure3.json"))
assert f3["images"] == 32 and f3["hd_units_over_0.56"] == int(np.sum(np.load(t + "/npz/hd_stats.npz")["rnn0_rv_lengths"] > 0.56))
PY

# smp.md §10's vectors through the whole path (pickle -> npz -> figure smp3): the LSTM step with
# W[k, g] = 0.1 sin(7k + 3g), b[g] = 0.05 cos g, h0 = c0 = [.2 .4 .6 .8] at omega = pi/20, and the
# correction with My = [[1,0],[0,1],[-1,0]], Mx = [[1,2],[3,4],[5,6]] (padded to 4 units), y = [.5 .2], gamma = e.
"$py" - "$tmp/vec" <<'PY'
import os, pickle, sys
import numpy as np
d = sys.argv[1]; os.makedirs(d)
f = np.float32
W = np.array([[0.1 * np.sin(7 * k + 3 * g) for g in range(16)] for k in range(6)], f)
b = np.array([0.05 * np.cos(g) for g in range(16)], f)
P = "integrator/multi_integrator_nets/"
written = np.zeros((3, 4), f); written[2] = [.2, .4, .6, .8]   # fewer than 9 slots: the last one starts panel A
params = {P + "prediction_rnn_0/w_gates": W, P + "prediction_rnn_0/b_gates": b,
          P + "correction_rnn_0/w_gates": np.full((8, 16), 0.05, f), P + "correction_rnn_0/b_gates": np.zeros(16, f),
          "integrator/memory_map_0/column_context_2": np.array([[1, 0], [0, 1], [-1, 0]], f),
          "integrator/memory_map_0/column_context_3": np.array([[1, 2, 0, 0], [3, 4, 0, 0], [5, 6, 0, 0]], f),
          "integrator/memory_map_0/column_context_3_written": written,
          P + "mmap_0_context_2_query_beta": f(1.0)}
vis = {"images": np.zeros((2, 4, 4, 3), np.uint8), "embeddings": np.array([[.5, .2], [0, 1]], f)}
hds = {"rnn0_rv_angles": np.array([0, 1.5, 3, -1.5], f), "rnn0_rv_lengths": np.array([.9, .9, .9, .1], f)}
for name, obj in [("parameters", params), ("visual_inputs", vis), ("hd_stats", hds)]:
    pickle.dump(obj, open(os.path.join(d, name + ".pickle"), "wb"))
PY
"$py" "$src/scripts/smp-data-to-npz" "$tmp/vec" "$tmp/vec-npz" >/dev/null || bad "test-vector conversion"
"$bin" figure smp3 --data "$tmp/vec-npz" --out "$tmp/vec-f3" --fig3-init 10 --max-attractor 2 --quiet || bad "figure smp3 on the test vectors"
"$py" - "$tmp/vec-f3/rnn1_check.json" <<'PY' && ok "smp.md §10 LSTM step and correction vectors" || bad "§10 vectors"
import json, sys
import numpy as np
j = json.load(open(sys.argv[1]))
assert np.allclose(j["prediction_step_h"], [0.1341136, 0.47098666, 0.1465468, 0.51964147], atol=2e-6), j["prediction_step_h"]
assert np.allclose(j["prediction_step_c"], [-0.11213574, 0.59088821, 0.06441107, 1.05697885], atol=2e-6), j["prediction_step_c"]
assert np.allclose(j["correction_weights_image0"], [0.66294844, 0.2933049, 0.04374667], atol=1e-6)
assert np.allclose(j["correction_code_image0"][:2], [1.76159645, 2.76159645], atol=1e-5)
PY

# Both figures on a cogmap SMP run (tiny training, then eval's activity file).
tiny=(--set slots=24 --set batch=3 --set seq_len=8 --set ae_steps=2 --set image=32 --set p_write=0.3
      --set hidden2=16 --set hidden3=16 --set embed=16)
"$bin" train smp --out "$tmp/smp" --steps 3 --eval-every 3 "${tiny[@]}" --quiet >/dev/null 2>&1 || bad "train smp"
out=$("$bin" figure smp3 --data "$tmp/smp" --out "$tmp/smp-f3" --quiet 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "activity.npz" && [ ! -e "$tmp/smp-f3" ] && ok "smp3 of a run before eval asks for eval" || bad "smp3 before eval: rc=$rc $out"
"$bin" eval "$tmp/smp" --trajectories 4 --steps 60 --shuffles 10 --no-figures --quiet >/dev/null 2>&1 || bad "eval smp"
if "$bin" figure smp3 --data "$tmp/smp" --out "$tmp/smp-f3" --fig3-init 10 --images 8 --quiet && [ -s "$tmp/smp-f3/fig3_gi_correction.png" ] \
   && "$bin" figure smp2 --data "$tmp/smp" --out "$tmp/smp-f2" --shuffles 10 --quiet && [ -s "$tmp/smp-f2/figure2.json" ]; then
    ok "figure smp2 and smp3 on a cogmap SMP run"; else bad "figures of a cogmap run"; fi

# --- bad input: named, nothing written ----------------------------------------------------------
mkdir -p "$tmp/bad1" "$tmp/bad2"
"$py" -c "
import numpy as np
z = dict(np.load('$tmp/npz/trajectories.npz')); del z['rnn2']; np.savez('$tmp/bad1/trajectories.npz', **z)
p = dict(np.load('$tmp/npz/parameters.npz')); k = 'integrator.multi_integrator_nets.correction_rnn_0.w_gates'
p[k] = p[k][:-1]; np.savez('$tmp/bad2/parameters.npz', **p)
import shutil; [shutil.copy('$tmp/npz/' + f, '$tmp/bad2/' + f) for f in ('visual_inputs.npz', 'hd_stats.npz')]"
out=$("$bin" figure smp2 --data "$tmp/bad1" --out "$tmp/bad1-out" --quiet 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "rnn2" && [ ! -e "$tmp/bad1-out" ] && ok "missing rnn2 named ($out)" || bad "missing rnn2: rc=$rc $out"
out=$("$bin" figure smp3 --data "$tmp/bad2" --out "$tmp/bad2-out" --quiet 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "correction_rnn_0.w_gates" && [ ! -e "$tmp/bad2-out" ] && ok "misshapen w_gates named ($out)" || bad "misshapen w_gates: rc=$rc $out"
rm "$tmp/bad2/hd_stats.npz"
out=$("$bin" figure smp3 --data "$tmp/bad2" --out "$tmp/bad2-out" --quiet 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "hd_stats.npz" && [ ! -e "$tmp/bad2-out" ] && ok "missing hd_stats.npz named" || bad "missing hd_stats: rc=$rc $out"
out=$("$bin" figure smp4 --data "$tmp/npz" --out "$tmp/x" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q "smp4" && ok "unknown figure is a usage error" || bad "unknown figure: rc=$rc $out"

# --- SSM-PC checkpoint: eval --from-checkpoint -----------------------------------------------
"$py" "$src/tests/ssmpc_forward_ref.py" "$tmp" 2 5 >/dev/null || bad "checkpoint generation"
if "$bin" eval --from-checkpoint "$tmp/ckpt.safetensors" --preset ssmpc --samples 3200 --no-baseline --out "$tmp/ev" --quiet; then
    ok "eval --from-checkpoint ran"; else bad "eval --from-checkpoint failed"; fi
"$py" - "$tmp/ev" <<'PY' && ok "eval outputs: summary.json, gridness.csv (256 units), figures" || bad "eval outputs"
import json, os, sys
d = sys.argv[1]
s = json.load(open(d + "/summary.json"))
assert s["preset"] == "ssmpc" and s["units"] == 256 and s["samples"] >= 3200 and s["checkpoint"].endswith("ckpt.safetensors"), s
rows = open(d + "/gridness.csv").read().strip().split("\n")
assert rows[0].startswith("unit,score60") and len(rows) == 257
for f in ("top_units.png", "gridness_histogram.png", "paths.png"):
    assert os.path.getsize(os.path.join(d, "figures", f)) > 0
PY
"$py" - "$tmp" <<'PY'
import json, struct, sys
import numpy as np
t = sys.argv[1]
raw = open(t + "/ckpt.safetensors", "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n]); h.pop("__metadata__", None)
sd = {k: np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]], np.float32).reshape(v["shape"])
      for k, v in h.items()}
sd["place_predictor.weight"] = sd["place_predictor.weight"][:, :255].copy()   # one input column short
hdr, off, blobs = {}, 0, []
for k in sorted(sd):
    b = np.ascontiguousarray(sd[k]).tobytes()
    hdr[k] = {"dtype": "F32", "shape": list(sd[k].shape), "data_offsets": [off, off + len(b)]}
    off += len(b); blobs.append(b)
hb = json.dumps(hdr).encode(); hb += b" " * (-len(hb) % 8)
open(t + "/bad.safetensors", "wb").write(struct.pack("<Q", len(hb)) + hb + b"".join(blobs))
PY
out=$("$bin" eval --from-checkpoint "$tmp/bad.safetensors" --preset ssmpc --samples 3200 --out "$tmp/ev-bad" --quiet 2>&1); rc=$?
[ $rc -eq 1 ] && echo "$out" | grep -q "place_predictor.weight" && [ ! -e "$tmp/ev-bad" ] && ok "misshapen tensor named, nothing written ($out)" || bad "bad checkpoint: rc=$rc $out"
out=$("$bin" eval --from-checkpoint "$tmp/ckpt.safetensors" --out "$tmp/ev-bad" 2>&1); rc=$?
[ $rc -eq 2 ] && echo "$out" | grep -q -- "--preset" && ok "--preset required" || bad "no preset: rc=$rc $out"

# With torch: a wrapped PyTorch checkpoint through scripts/pth-to-safetensors into eval gives the
# very same scores as the safetensors it was made from.
if "$py" -c 'import torch' 2>/dev/null; then
    "$py" - "$tmp" <<'PY'
import json, struct, sys
import numpy as np, torch
t = sys.argv[1]
raw = open(t + "/ckpt.safetensors", "rb").read(); n = struct.unpack("<Q", raw[:8])[0]
h = json.loads(raw[8:8 + n])
sd = {"module." + k: torch.from_numpy(np.frombuffer(raw[8 + n + v["data_offsets"][0]:8 + n + v["data_offsets"][1]],
      np.float32).reshape(v["shape"]).copy()) for k, v in h.items() if k != "__metadata__"}
torch.save({"epoch": 150, "model_state_dict": sd}, t + "/grid.pth")
PY
    "$py" "$src/scripts/pth-to-safetensors" "$tmp/grid.pth" "$tmp/grid.safetensors" >/dev/null || bad "pth-to-safetensors"
    "$bin" eval --from-checkpoint "$tmp/grid.safetensors" --preset ssmpc --samples 3200 --no-baseline --out "$tmp/ev-pth" --quiet || bad "eval of the converted .pth"
    cmp -s "$tmp/ev/gridness.csv" "$tmp/ev-pth/gridness.csv" && ok "converted .pth scores as its safetensors" || bad "converted .pth scores differ"
else
    echo "skipping the .pth round trip: no torch"
fi
exit $fail
