#!/usr/bin/env bash
# A run that cannot write its checkpoint: it reports the error with the path,
# exits 1, keeps the previous checkpoint intact, and leaves no zero-length or
# half-written file. Two ways to run out of room:
#   - a file-size limit (ulimit -f: any user; cogmap ignores SIGXFSZ, so the
#     write fails with EFBIG);
#   - a full file system: a 2 MiB tmpfs mounted for the test (root only;
#     skipped, saying so, where it cannot be mounted).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
py=${COGMAP_PYTHON:-/usr/bin/python3}
tiny=(--set hidden=8 --set bottleneck=8 --set batch=2 --set steps=4 --set eval_batches=1)
opts=(--eval-every 2 --threads 1 --quiet)

# Every file of a run: none empty (but the lock, empty once released), no
# temporary left, every checkpoint verifying its manifest.
run_intact() { # run folder, what
    local bad
    bad=$(find "$1" -type f -size 0 ! -name .lock; find "$1" -name '*.tmp-*' -o -name '.tmp-*' -o -name '.old-*')
    [ -z "$bad" ] || { echo "FAIL: $2: left behind: $bad"; fail=1; }
    "$py" - "$1" <<'PY' || { echo "FAIL: $2: a checkpoint does not verify"; fail=1; }
import json, os, sys, zlib
ck = os.path.join(sys.argv[1], "checkpoints")
for name in os.listdir(ck):
    d = os.path.join(ck, name)
    man = json.load(open(os.path.join(d, "manifest.json")))
    for f, e in man["files"].items():
        data = open(os.path.join(d, f), "rb").read()
        assert len(data) == e["bytes"] and "%08x" % zlib.crc32(data) == e["crc32"], f"{d}/{f}"
PY
}

# The run to step 4, a copy of it, then a resume that must fail to write.
# Args: run folder, the resume command's prefix (ulimit or nothing).
out_of_room() { # run, what, fill command
    local run=$1 what=$2 fill=$3
    check "$what: run to step 4" 0 "$cogmap" train grid --preset ssmpc --out "$run" --steps 4 "${tiny[@]}" "${opts[@]}"
    rm -rf "$tmp/before" && cp -a "$run" "$tmp/before"
    eval "$fill"
    ( eval "$LIMIT" ; exec "$cogmap" train grid --resume "$run" --steps 8 "${opts[@]}" ) > "$log" 2>&1
    local rc=$?
    [ $rc -eq 1 ] && echo "ok: $what: the resume exits 1" || { echo "FAIL: $what: exit $rc, expected 1"; cat "$log"; fail=1; }
    expect_msg "$what: the message names a path in the run" "$run/"
    expect_msg "$what: the message says why" "$4"
    echo "   ($what: $(grep -m1 "cogmap" "$log"))"
    # (evals.csv may have gained the row of the evaluation before the failed save: resumes
    # cut the history back to the checkpoint)
    for f in run.json checkpoints/step_00000004/model.safetensors checkpoints/step_00000004/optimizer.safetensors \
             checkpoints/step_00000004/state.json checkpoints/best/model.safetensors; do
        cmp -s "$run/$f" "$tmp/before/$f" || { echo "FAIL: $what: $f changed"; fail=1; }
    done
    run_intact "$run" "$what"
}

# 1. A file-size limit of 32 KiB: model.safetensors (about 40 KiB) no longer fits.
LIMIT="ulimit -f 32"
out_of_room "$tmp/limited" "ulimit -f" ":" "File too large"
LIMIT=":"

# 2. A full tmpfs (root).
mnt=$tmp/mnt
mkdir -p "$mnt"
if [ "$(id -u)" -eq 0 ] && mount -t tmpfs -o size=2m,mode=0755 cogmap-full-disk-test "$mnt" 2>/dev/null; then
    trap 'umount "$mnt" 2>/dev/null; rm -rf "$tmp"' EXIT
    # fill what step 4 left free but 4 KiB (evals.csv cannot be rewritten), then but 12 KiB
    # (it can; the checkpoint cannot): reading needs no room
    for free in 4 12; do
        out_of_room "$mnt/run$free" "full tmpfs, $free KiB free" \
            'dd if=/dev/zero of="$mnt/filler" bs=4k 2>/dev/null; truncate -s -$((free * 1024)) "$mnt/filler"' \
            "No space left on device"
        rm -f "$mnt/filler"
        check "full tmpfs, $free KiB free: with room again the run resumes" 0 "$cogmap" train grid --resume "$mnt/run$free" \
            --steps 8 "${opts[@]}"
        run_intact "$mnt/run$free" "full tmpfs, $free KiB free, resumed"
        rm -rf "$mnt/run$free"
    done
    umount "$mnt"
else
    echo "skipping the full-file-system part: mounting a tmpfs needs root"
fi
finish cli_full_disk
