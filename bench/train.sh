#!/usr/bin/env bash
# Path-integration training speed: cogmap against PyTorch (Debian python3-torch)
# on the same preset, shapes and thread count, in one run; prints the ratio.
#   bench/train.sh [COGMAP_BIN] [THREADS] [PRESET...]
# Defaults: build/cogmap, 2 threads, all four presets. Needs python3-torch
# (scripts/install-deps.sh --torch).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cogmap=${1:-build/cogmap}
threads=${2:-2}
shift $(( $# >= 2 ? 2 : $# )) || true
presets=("$@")
[ ${#presets[@]} -gt 0 ] || presets=(ssmpc banino sorscher-512 sorscher)
py=/usr/bin/python3
# Idle OpenMP threads spin by default (GOMP_SPINCOUNT); on a machine shared with
# other jobs that spinning steals the cores the other thread needs (measured: banino
# 8 steps/s spinning vs 60 passive at load 12). Both programs get the same setting;
# override it by exporting OMP_WAIT_POLICY yourself.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-passive}
# torch.set_num_threads bounds PyTorch's own pool but not the BLAS library's
# pthreads: without these, "1 thread" PyTorch used 1.5 cores (sorscher-512 10.2
# steps/s vs 6.8 when really on one). cogmap sets its BLAS threads itself.
export OPENBLAS_NUM_THREADS=$threads OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
"$py" -c "import torch" 2>/dev/null || { echo "train.sh: needs python3-torch (scripts/install-deps.sh --torch)" >&2; exit 1; }

printf "%-13s %10s %10s %8s %10s %10s %9s %11s\n" preset cogmap torch ratio "GFLOP/s" sgemm share peak/model
for p in "${presets[@]}"; do
    c=$("$cogmap" bench train --preset "$p" --threads "$threads")
    t=$("$py" "$here/train_torch.py" --preset "$p" --threads "$threads")
    cs=$(sed -n 's/^steps\/s: //p' <<<"$c")
    ts=$(sed -n 's/^steps\/s: //p' <<<"$t")
    gf=$(sed -n 's/^GFLOP\/s: //p' <<<"$c")
    sg=$(sed -n 's/^sgemm GFLOP\/s: //p' <<<"$c")
    sh=$(sed -n 's/^share of sgemm: //p' <<<"$c")
    pm=$(sed -n 's/^peak\/model: //p' <<<"$c")
    ratio=$(awk -v a="$cs" -v b="$ts" 'BEGIN { printf "%.2f", a / b }')
    printf "%-13s %10s %10s %7sx %10s %10s %9s %11s\n" "$p" "$cs" "$ts" "$ratio" "$gf" "$sg" "$sh" "$pm"
done
