#!/usr/bin/env bash
# Place-cell targets: cogmap's reference and vectorised paths against numpy
# and PyTorch (Debian python3-numpy, python3-torch) on the same work, one core
# each, in one run: the demo's 1,024 DoG cells of width 0.6 at temperature
# 0.0062, 3200 positions (one batch). Extra options go to both programs
# (--gaussian, --temperature T, --count N, --sigma S, --rows N).
# Usage: bench/targets.sh [path/to/cogmap] [options...]
set -euo pipefail
cogmap=${1:-build/cogmap}
shift $(( $# >= 1 ? 1 : 0 ))
here=$(cd "$(dirname "$0")" && pwd)
python=${COGMAP_PYTHON:-/usr/bin/python3}
c_out=$("$cogmap" bench targets --repeat 5 "$@")
echo "$c_out"
py_out=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$python" "$here/targets_peer.py" --repeat 5 "$@")
echo "$py_out"
get() { awk -F': ' -v k="$1" '$1 == k {print $2}'; }
fast=$(get "fast rows/s per core" <<<"$c_out")
ref=$(get "reference rows/s per core" <<<"$c_out")
np_rate=$(get "numpy rows/s per core" <<<"$py_out")
torch_rate=$(get "torch rows/s per core" <<<"$py_out")
awk -v f="$fast" -v r="$ref" -v n="$np_rate" 'BEGIN { printf "targets: cogmap fast / numpy = %.1fx, cogmap reference / numpy = %.1fx\n", f / n, r / n }'
[ -z "$torch_rate" ] || awk -v f="$fast" -v t="$torch_rate" 'BEGIN { printf "targets: cogmap fast / torch = %.1fx\n", f / t }'
