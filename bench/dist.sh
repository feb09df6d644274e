#!/usr/bin/env bash
# Data-parallel training over MPI ranks: steps/s of the generic trainer
# (cogmap bench dist) for 1 rank x 1 thread, 2 ranks x 1 thread and
# 1 rank x 2 threads on the same global batch; prints the speedups over
# 1 x 1 and the load average before and after (the machine may be shared).
#   bench/dist.sh [COGMAP_BIN] [REPEATS] [MODEL:PRESET...]
# Defaults: build/cogmap, 3 repeats (the best of each kept), grid:ssmpc smp.
# The peer here is the 1-rank run itself (PyTorch DDP on CPU is not among
# the installed packages' tested paths).
set -euo pipefail
cogmap=${1:-build/cogmap}
repeats=${2:-3}
shift $(( $# >= 2 ? 2 : $# )) || true
models=("$@")
[ ${#models[@]} -gt 0 ] || models=(grid:ssmpc smp)
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
mpirun=${COGMAP_MPIRUN:-mpirun -np 2 --allow-run-as-root --oversubscribe}
command -v "${mpirun%% *}" >/dev/null || { echo "dist.sh: needs mpirun (openmpi-bin)" >&2; exit 1; }
steps=${DIST_STEPS:-8}

best() { # command...: the best steps/s of $repeats runs
    local b=0 s
    for _ in $(seq 1 "$repeats"); do
        s=$("$@" | sed -n 's/^steps\/s: //p')
        b=$(awk -v a="$b" -v c="$s" 'BEGIN { print (c > a ? c : a) }')
    done
    echo "$b"
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-12s %10s %10s %10s %9s %9s\n" model 1x1 2x1 1x2 "2x1/1x1" "1x2/1x1"
for mp in "${models[@]}"; do
    model=${mp%%:*}
    args=(--model "$model" --steps "$steps")
    [ "$model" = "$mp" ] || args+=(--preset "${mp#*:}")
    one=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 best "$cogmap" bench dist "${args[@]}" --threads 1)
    two=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 best $mpirun "$cogmap" bench dist "${args[@]}" --threads 1)
    thr=$(OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 best "$cogmap" bench dist "${args[@]}" --threads 2)
    printf "%-12s %10s %10s %10s %8sx %8sx\n" "$mp" "$one" "$two" "$thr" \
        "$(awk -v a="$two" -v b="$one" 'BEGIN { printf "%.2f", a / b }')" \
        "$(awk -v a="$thr" -v b="$one" 'BEGIN { printf "%.2f", a / b }')"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
