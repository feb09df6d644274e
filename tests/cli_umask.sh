#!/usr/bin/env bash
# Every file and folder the commands write follows the umask: under umask 022
# and 027, files are 0666 and folders 0777 minus it (none keeps a temporary
# file's 0600), for a dataset (maze --out), trajectories (simulate), a
# training run with its checkpoints and its evaluation (train grid, eval).
set -u
. "$(dirname "${BASH_SOURCE[0]}")/support/cli_check.sh"
tiny=(--set hidden=8 --set bottleneck=8 --set batch=2 --set steps=6 --set eval_batches=1)
for um in 022 027; do
    out=$tmp/u$um
    mkdir -p "$out"
    (
        umask $um
        "$cogmap" maze --size 9 --seed 2 --out "$out/maze" --steps 4 --quiet > /dev/null &&
        "$cogmap" simulate --steps 50 --out "$out/sim" --quiet > /dev/null &&
        "$cogmap" train grid --preset ssmpc --out "$out/run" --steps 4 --eval-every 2 "${tiny[@]}" --quiet &&
        "$cogmap" eval "$out/run" --quiet > /dev/null
    ) > "$log" 2>&1 || { echo "FAIL: umask $um: a command failed:"; cat "$log"; fail=1; continue; }
    fmode=$(printf '%o' $(( 0666 & ~0$um ))); dmode=$(printf '%o' $(( 0777 & ~0$um )))
    nfiles=$(find "$out" -mindepth 1 -type f | wc -l)
    badf=$(find "$out" -mindepth 1 -type f ! -perm "$fmode" -printf '%m %p\n')
    badd=$(find "$out" -mindepth 1 -type d ! -perm "$dmode" -printf '%m %p\n')
    if [ -z "$badf" ] && [ -z "$badd" ] && [ "$nfiles" -gt 10 ]; then
        echo "ok: umask $um: $nfiles files $fmode, folders $dmode"
    else
        echo "FAIL: umask $um: expected files $fmode and folders $dmode ($nfiles files):"; echo "$badf$badd" | head -20; fail=1
    fi
done
finish cli_umask
