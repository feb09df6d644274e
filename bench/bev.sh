#!/usr/bin/env bash
# BEV predictor speed: cogmap against PyTorch (Debian python3-torch) on SSM-PC's
# model (preset bev, or bev-small), same batch and thread count, in one run;
# prints images/s of training steps (forward, BEVLoss, backward, Adam) and of
# inference forwards for both, and the ratios. Images per CPU-second are
# printed too: on a machine shared with other jobs they are the stable figure.
#   bench/bev.sh [COGMAP_BIN] [THREADS] [PRESET] [BATCH] [STEPS]
# Defaults: build/cogmap, 2 threads, bev, batch 32, 3 timed steps (after a warm-up).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cogmap=${1:-build/cogmap}
threads=${2:-2}
preset=${3:-bev}
batch=${4:-32}
steps=${5:-3}
py=/usr/bin/python3
# Same OpenMP and BLAS settings for both programs (see bench/train.sh): passive
# waiting, and BLAS pools bounded by the thread count.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
"$py" -c "import torch" 2>/dev/null || { echo "bev.sh: needs python3-torch (scripts/install-deps.sh --torch)" >&2; exit 1; }
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
c=$("$cogmap" bench train --preset "$preset" --threads "$threads" --batch "$batch" --steps "$steps")
t=$("$py" "$here/bev_torch.py" --preset "$preset" --threads "$threads" --batch "$batch" --steps "$steps")
echo "load average after:  $(cut -d' ' -f1-3 /proc/loadavg)"
get() { sed -n "s/^$1: //p" <<<"$2"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
printf "%-28s %10s %10s %7s\n" "$preset, batch $batch, $threads thr" cogmap torch ratio
for row in "training images/s|images/s|train images/s" "training images/cpu-s|images/cpu-s|train images/cpu-s" \
           "inference images/s|inference images/s|infer images/s" \
           "inference images/cpu-s|inference images/cpu-s|infer images/cpu-s"; do
    IFS='|' read -r label ckey tkey <<<"$row"
    cv=$(get "$ckey" "$c")
    tv=$(get "$tkey" "$t")
    printf "%-28s %10s %10s %6sx\n" "$label" "$cv" "$tv" "$(ratio "$cv" "$tv")"
done
