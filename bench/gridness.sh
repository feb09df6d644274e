#!/usr/bin/env bash
# Gridness of 512 rate maps of 20 x 20 bins: cogmap against the Python reference of DeepMind's
# scorer (bench/gridness_ref.py: numpy + scipy, the same algorithm), in one run on the same maps.
#   bench/gridness.sh [path/to/cogmap] [threads]     (threads: default all cores; one core is run too)
# Python's time covers scoring only (np.load excluded). cogmap's is given twice: scoring only (the
# time `cogmap gridness` prints on stderr) and the whole command (start-up, reading the .npy,
# scoring, printing the CSV). On a loaded machine the wall ratios drift with the share of the cores
# each process gets; the ratio of CPU seconds (per core) is printed beside them. It also checks
# that both give the same scores (within 1e-3).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cogmap=${1:-$here/../build/cogmap}
threads=${2:-$(nproc)}
python=${COGMAP_PYTHON:-/usr/bin/python3}
# Neither side uses BLAS for this work; one BLAS thread keeps OpenBLAS's idle pool from spinning
# (sched_yield) on the second core while the scorers run, for both processes alike.
export OPENBLAS_NUM_THREADS=1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$python" - "$tmp/maps.npy" <<'PY'
import sys
import numpy as np
rs = np.random.RandomState(0)
n = 20
c = (np.arange(n) + 0.5) / n * 2.2 - 1.1
X, Y = np.meshgrid(c, c, indexing="ij")
maps = []
for i in range(512):
    lam, ph = rs.uniform(0.3, 1.0), rs.uniform(0, np.pi)
    k = 4 * np.pi / (np.sqrt(3) * lam)
    m = sum(np.cos(k * ((X - rs.uniform(-1, 1)) * np.cos(ph + j * np.pi / 3)
                        + (Y - rs.uniform(-1, 1)) * np.sin(ph + j * np.pi / 3))) for j in range(3))
    m = np.maximum(m, 0) + rs.rand(n, n) * (i % 4) * 0.5
    m[rs.rand(n, n) < 0.05 * (i % 3)] = np.nan
    maps.append(m)
np.save(sys.argv[1], np.asarray(maps, dtype=np.float64))
PY

read -r py_s py_cpu < <("$python" "$here/gridness_ref.py" "$tmp/maps.npy" --time)
"$python" "$here/gridness_ref.py" "$tmp/maps.npy" >"$tmp/ref.csv"
"$cogmap" gridness "$tmp/maps.npy" --quiet >"$tmp/cogmap.csv"
# cogmap on one core (like for like with Python's one thread), then on `threads` cores
run_cogmap() { # threads -> sets c_s (whole command), score_s, score_cpu
    local start end
    start=$(date +%s.%N)
    "$cogmap" gridness "$tmp/maps.npy" --threads "$1" >"$tmp/cogmap.csv" 2>"$tmp/cogmap.err"
    end=$(date +%s.%N)
    c_s=$(echo "$end - $start" | bc -l)
    # "gridness: 512 maps of 20 x 20 scored in 0.0213 s (0.0401 s of CPU, 2 threads)"
    score_s=$(sed -n 's/.* scored in \([0-9.]*\) s.*/\1/p' "$tmp/cogmap.err")
    score_cpu=$(sed -n 's/.* (\([0-9.]*\) s of CPU.*/\1/p' "$tmp/cogmap.err")
}
report() { # threads
    printf 'cogmap gridness, %s thread(s): scoring %.4f s (%.3f ms/map, %.4f s of CPU), whole command %.4f s\n' \
        "$1" "$score_s" "$(echo "$score_s * 1000 / 512" | bc -l)" "$score_cpu" "$c_s"
    printf '  speed-up: %.0fx scoring (wall), %.0fx whole command (wall), %.0fx per core (CPU seconds)\n' \
        "$(echo "$py_s / $score_s" | bc -l)" "$(echo "$py_s / $c_s" | bc -l)" "$(echo "$py_cpu / $score_cpu" | bc -l)"
}

"$python" - "$tmp/ref.csv" "$tmp/cogmap.csv" <<'PY'
import sys
import numpy as np
ref = np.genfromtxt(sys.argv[1], delimiter=",", names=True)
got = np.genfromtxt(sys.argv[2], delimiter=",", names=True)
worst = max(np.nanmax(np.abs(ref["score60"] - got["score60"])), np.nanmax(np.abs(ref["score90"] - got["score90"])))
print("max |difference| in score60/score90 over %d maps: %.2e (cogmap prints 6 decimals)" % (len(ref), worst))
if not worst <= 1e-3:
    sys.exit("gridness bench: cogmap and the reference disagree")
PY
printf 'python reference (numpy %s, scipy %s): %.3f s for 512 maps (%.2f ms/map), %.3f s of CPU\n' \
    "$("$python" -c 'import numpy; print(numpy.__version__)')" "$("$python" -c 'import scipy; print(scipy.__version__)')" \
    "$py_s" "$(echo "$py_s * 1000 / 512" | bc -l)" "$py_cpu"
run_cogmap 1
report 1
if [ "$threads" -gt 1 ]; then
    run_cogmap "$threads"
    report "$threads"
fi
