#!/usr/bin/env bash
# `cogmap maze` and `cogmap bench render` as a user runs them.
set -u
cogmap=${COGMAP_BIN:?COGMAP_BIN is set by ctest}
py=${COGMAP_PYTHON:-/usr/bin/python3}
fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad() { echo "FAIL: $*"; fail=1; }
expect_exit() { # description, expected exit code, command...
    local what=$1 want=$2; shift 2
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    [ "$got" -eq "$want" ] || { bad "$what: exit $got, expected $want"; cat "$tmp/err"; }
}

# The layout: N+2 rows of N+2 characters, walled all round, only the documented characters.
for spec in "9 3" "11 4" "13 5" "15 6"; do
    set -- $spec
    n=$1 k=$2
    expect_exit "maze --size $n" 0 "$cogmap" maze --size "$n" --seed 5
    rows=$(wc -l <"$tmp/out")
    [ "$rows" -eq $((n + 2)) ] || bad "size $n: $rows rows"
    awk -v w=$((n + 2)) 'length($0) != w { exit 1 }' "$tmp/out" || bad "size $n: a row is not $((n + 2)) wide"
    head -1 "$tmp/out" | grep -Eq "^#{$((n + 2))}$" || bad "size $n: top row not all wall"
    tail -1 "$tmp/out" | grep -Eq "^#{$((n + 2))}$" || bad "size $n: bottom row not all wall"
    ! grep -Evq '^#.*#$' "$tmp/out" || bad "size $n: side walls"
    ! grep -q '[^#.a-zP1-9]' "$tmp/out" || bad "size $n: unexpected characters"
    targets=$(tr -cd '1-9' <"$tmp/out" | wc -c)
    [ "$targets" -eq "$k" ] || bad "size $n: $targets targets, expected $k"
done
"$cogmap" maze --size 13 --seed 7 >"$tmp/a"
"$cogmap" maze --size 13 --seed 7 >"$tmp/b"
"$cogmap" maze --size 13 --seed 8 >"$tmp/c"
cmp -s "$tmp/a" "$tmp/b" || bad "same seed, different layouts"
! cmp -s "$tmp/a" "$tmp/c" || bad "seeds 7 and 8 gave the same layout"
expect_exit "--targets 2" 0 "$cogmap" maze --size 11 --targets 2 --seed 1
[ "$(tr -cd '1-9' <"$tmp/out" | wc -c)" -eq 2 ] || bad "--targets 2"

# Impossible parameters: exit 2, a message naming the parameter, nothing written.
expect_exit "even size" 2 "$cogmap" maze --size 10 --out "$tmp/even"
grep -q "size" "$tmp/err" || bad "even size: message does not name the size"
expect_exit "tiny size" 2 "$cogmap" maze --size 3 --out "$tmp/tiny"
expect_exit "too many targets" 2 "$cogmap" maze --size 9 --targets 5 --out "$tmp/many"
grep -q "targets" "$tmp/err" || bad "too many targets: message does not name targets"
expect_exit "targets 7" 2 "$cogmap" maze --size 15 --targets 7 --out "$tmp/seven"
expect_exit "no size" 2 "$cogmap" maze
expect_exit "bad agents" 2 "$cogmap" maze --size 9 --out "$tmp/agents" --agents 0
expect_exit "bad steps" 2 "$cogmap" maze --size 9 --out "$tmp/steps" --steps -1
expect_exit "unknown option" 2 "$cogmap" maze --size 9 --frob
for d in even tiny many seven agents steps; do
    [ ! -e "$tmp/$d" ] || bad "$d: something was written"
done

# --out: a dataset folder per agent and a preview.
expect_exit "explore" 0 "$cogmap" maze --size 9 --seed 2 --out "$tmp/run" --steps 12 --agents 2 --quiet
for a in 0 1; do
    d="$tmp/run/agent_$a"
    for f in frame_info.json env_config.json fps_views/frame_000000.png fps_views/frame_000011.png \
             bev_views/frame_000011.png; do
        [ -s "$d/$f" ] || bad "missing $d/$f"
    done
done
[ -s "$tmp/run/preview.png" ] || bad "missing preview.png"
if "$py" -c 'import json' 2>/dev/null; then
    "$py" - "$tmp/run/agent_0" <<'PY' || bad "frame_info.json / env_config.json schema"
import json, sys
d = sys.argv[1]
fi = json.load(open(d + "/frame_info.json"))
assert len(fi) == 12, len(fi)
f = fi["frame_000005"]
assert f["frame_id"] == 5
s = f["agent_state"]
assert len(s["position"]) == 2 and len(s["velocity"]) == 2
assert isinstance(s["rotation"], float) or isinstance(s["rotation"], int)
assert "angular_velocity" in s
assert f["observations"]["fps_view"] == "fps_views/frame_000005.png"
cfg = json.load(open(d + "/env_config.json"))
assert cfg["maze_size"] == 9 and len(cfg["objects"]) == 3
assert all(0 <= c <= 1.01 for o in cfg["objects"] for c in o["color"])
PY
fi
# a single agent writes the folder itself
expect_exit "explore, one agent" 0 "$cogmap" maze --size 9 --out "$tmp/one" --steps 3 --quiet
[ -s "$tmp/one/frame_info.json" ] || bad "one agent: no frame_info.json in DIR"

# bench render
expect_exit "bench render" 0 "$cogmap" bench render --frames 3000 --quiet
grep -Eq '^frames/s per core: [0-9]+$' "$tmp/out" || { bad "bench render output"; cat "$tmp/out"; }
expect_exit "bench render --arena box" 0 "$cogmap" bench render --arena box --frames 2000 --quiet
grep -Eq '^frames/s per core: [0-9]+$' "$tmp/out" || bad "bench render --arena box output"
expect_exit "bench render --arena frob" 2 "$cogmap" bench render --arena frob
expect_exit "bench --help" 0 "$cogmap" bench --help
grep -q render "$tmp/out" || bad "bench --help does not list render"
expect_exit "bench unknown" 2 "$cogmap" bench frobnicate
expect_exit "bench render bad option" 2 "$cogmap" bench render --frames 0

[ $fail -eq 0 ] && echo "cli_maze: all passed"
exit $fail
