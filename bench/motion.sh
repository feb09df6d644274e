#!/usr/bin/env bash
# Rat-model trajectories: cogmap against the vectorised numpy generator, same
# work (200 worlds x 1000 steps, Sorscher's preset, 2.2 m box), one core each,
# in one run. Usage: bench/motion.sh [path/to/cogmap]
set -euo pipefail
cogmap=${1:-build/cogmap}
here=$(cd "$(dirname "$0")" && pwd)
python=${COGMAP_PYTHON:-/usr/bin/python3}
c_out=$("$cogmap" bench motion --threads 1 --batch 200 --steps 1000 --repeat 5)
echo "$c_out"
py_out=$(OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$python" "$here/motion_numpy.py" --batch 200 --steps 1000 --repeat 3)
echo "$py_out"
c=$(echo "$c_out" | awk -F': ' '/^steps\/s per core/{print $2}')
p=$(echo "$py_out" | awk -F': ' '/^steps\/s per core/{print $2}')
awk -v c="$c" -v p="$p" 'BEGIN { printf "motion: cogmap / numpy = %.1fx (per core)\n", c / p }'
