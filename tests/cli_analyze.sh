#!/usr/bin/env bash
# `cogmap analyze` as a user runs it: a small synthetic activity file (HD,
# ego/allo BVC, place-like and noise units) is classified, the report has the
# expected classes, the same seed gives the same report for 1 and 2 threads,
# and broken files fail with a message naming the array.
set -u
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
py=${COGMAP_PYTHON:-/usr/bin/python3}
src=${COGMAP_SOURCE_DIR:?}
"$py" -c 'import numpy, scipy' 2>/dev/null || { echo "skip: no numpy/scipy"; exit 77; }
# Figures render text through cairo, which loads fontconfig's process-wide
# caches and never frees them; LeakSanitizer is told to ignore exactly those.
export LSAN_OPTIONS="suppressions=$src/tests/data/lsan_fontconfig.supp:print_suppressions=0"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
"$py" "$src/bench/classify_ref.py" generate --out "$tmp/data" --trajectories 16 --steps 400 --seed 2 || exit 1

"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/a1" --shuffles 100 --seed 4 --threads 1 --quiet >/dev/null ||
    { echo "FAIL: analyze exit $?"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/a2" --shuffles 100 --seed 4 --threads 2 --quiet >/dev/null ||
    { echo "FAIL: analyze (2 threads)"; fail=1; }
[ -s "$tmp/a1/report.json" ] && [ -s "$tmp/a1/maps.npz" ] || { echo "FAIL: outputs missing"; fail=1; }
for f in hd_polar ratemaps_octants bvc_maps histograms hd_sticks ego_vs_allo; do
    head -c 8 "$tmp/a1/$f.png" 2>/dev/null | od -An -tx1 | grep -q "89 50 4e 47 0d 0a 1a 0a" ||
        { echo "FAIL: $f.png missing or not a PNG"; fail=1; }
done
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/svg" --shuffles 20 --format svg --quiet >/dev/null &&
    grep -q "<svg" "$tmp/svg/bvc_maps.svg" || { echo "FAIL: --format svg"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/ts" --shuffles 20 --hd-shuffle time --min-shift 500 \
    --no-figures --quiet >/dev/null && grep -q '"hd_shuffle":.*"time"' "$tmp/ts/report.json" ||
    { echo "FAIL: --hd-shuffle time"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/x" --hd-shuffle time --min-shift 999999 >/dev/null 2>&1
[ $? -eq 2 ] || { echo "FAIL: --min-shift beyond N/2"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/nofig" --shuffles 20 --no-figures --quiet >/dev/null &&
    [ -s "$tmp/nofig/report.json" ] && ! ls "$tmp/nofig"/*.png >/dev/null 2>&1 || { echo "FAIL: --no-figures"; fail=1; }
if ! diff <(grep -v '"threads"' "$tmp/a1/report.json") <(grep -v '"threads"' "$tmp/a2/report.json") >/dev/null; then
    echo "FAIL: reports differ between 1 and 2 threads"; fail=1
fi
"$py" - "$tmp/a1" <<'PY' || fail=1
import json, sys, numpy as np
r = json.load(open(sys.argv[1] + "/report.json"))
g = {x["name"]: x for x in r["groups"]}
assert r["units"] == 288 and set(g) == {"rnn1", "rnn2", "rnn3"}, g.keys()
assert g["rnn1"]["hd"] == 32 and g["rnn1"]["primary"]["hd"] == 32, g["rnn1"]
assert g["rnn2"]["ego_bvc"] >= 48 and g["rnn3"]["ego_bvc"] <= 4, (g["rnn2"], g["rnn3"])
assert g["rnn3"]["allo_bvc"] >= 48, g["rnn3"]
u = r["unit_scores"]
assert len(u) == 288 and u[0]["class"] == "hd" and u[0]["group"] == "rnn1"
assert all(x["hd_score"] > r["thresholds"]["hd"] for x in u[:32])
m = np.load(sys.argv[1] + "/maps.npz")
assert m["hd_maps"].shape == (288, 20) and m["ego_maps"].shape[0] == 288 and m["octant_maps"].shape[-1] == 8
print("ok: report classes and maps")
PY

# Broken inputs: exit 1 and a message naming the array.
"$py" - "$tmp/data/activity.npz" "$tmp" <<'PY'
import sys, numpy as np
z = dict(np.load(sys.argv[1])); d = sys.argv[2]
def save(name, **changes):
    a = dict(z); a.update(changes)
    for k, v in list(a.items()):
        if v is None: del a[k]
    np.savez(d + "/" + name + ".npz", **a)
save("no_act", activations=None)
save("bad_rank", wall_distances=z["wall_distances"][:, :, None])
save("short_hd", headings=z["headings"][:-5])
p = z["positions"].copy(); p[17, 1] = np.nan
save("nan_pos", positions=p)
save("bad_group", group_rnn3=np.array([160, 999]))
save("bad_rays", ray_angles=np.linspace(0, 6, z["ray_angles"].shape[0]).astype(np.float32))
save("one_spot", positions=np.zeros_like(z["positions"]))
PY
expect_fail() { # file, word the message must contain
    "$cogmap" analyze "$tmp/$1.npz" --out "$tmp/bad" --shuffles 10 --quiet >"$tmp/out" 2>&1
    local rc=$?
    if [ $rc -ne 1 ] || ! grep -q "$2" "$tmp/out"; then
        echo "FAIL: $1: exit $rc, expected 1 and a message naming '$2':"; cat "$tmp/out"; fail=1
    else
        echo "ok: $1: $(head -1 "$tmp/out")"
    fi
}
expect_fail no_act activations
expect_fail bad_rank wall_distances
expect_fail short_hd headings
expect_fail nan_pos positions
expect_fail bad_group group_rnn3
expect_fail bad_rays ray_angles
expect_fail one_spot positions
"$cogmap" analyze "$tmp/missing.npz" --out "$tmp/bad" --quiet >/dev/null 2>&1; [ $? -eq 1 ] || { echo "FAIL: missing file"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --quiet >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: no --out"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/x" --shuffles 0 >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: --shuffles 0"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/x" --hd-shuffle foo >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: --hd-shuffle foo"; fail=1; }
"$cogmap" analyze "$tmp/data/activity.npz" --out "$tmp/x" --format gif >/dev/null 2>&1; [ $? -eq 2 ] || { echo "FAIL: --format gif"; fail=1; }
[ ! -e "$tmp/bad/report.json" ] || { echo "FAIL: a failed run wrote a report"; fail=1; }
[ $fail -eq 0 ] && echo "cli_analyze: all passed"
exit $fail
