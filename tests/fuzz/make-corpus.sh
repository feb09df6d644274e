#!/usr/bin/env bash
# Rewrites the seed corpora tests/fuzz/corpus/<target>/ (committed; the fuzz
# runs and test_fuzz_regressions read them):
#   tests/fuzz/make-corpus.sh BUILD
# BUILD/cogmap-fuzz-seeds writes what cogmap's writers produce (make_seeds.c);
# numpy (the Debian python3) adds the .npy and .npz variants numpy writes and
# cogmap refuses or reads differently: version 2.0 and 3.0 headers, Fortran
# order, big-endian and structured dtypes, numpy's zip members (ZIP64 local
# extras, deflated and stored), and the tests' data files.
set -euo pipefail
build=${1:?usage: make-corpus.sh BUILD}
src=$(cd "$(dirname "$0")/../.." && pwd)
out=$src/tests/fuzz/corpus
rm -rf "$out"
"$build/cogmap-fuzz-seeds" "$out"
python=${COGMAP_PYTHON:-/usr/bin/python3}
"$python" - "$out" <<'PY'
import io, os, sys
import numpy as np
from numpy.lib import format as npf
out = sys.argv[1]
def put(target, name, data):
    with open(os.path.join(out, target, name), "wb") as f:
        f.write(data)
def npy(a, version=None):
    b = io.BytesIO()
    npf.write_array(b, a, version=version, allow_pickle=False)
    return b.getvalue()
a = np.arange(12, dtype=np.float32).reshape(3, 4)
put("npy", "numpy-v1.npy", npy(a))
put("npy", "numpy-v2.npy", npy(a, (2, 0)))
put("npy", "numpy-v3.npy", npy(np.arange(3, dtype=np.int64), (3, 0)))
put("npy", "numpy-fortran.npy", npy(np.asfortranarray(a)))
put("npy", "numpy-bigendian.npy", npy(a.astype(">f4")))
put("npy", "numpy-float16.npy", npy(a.astype(np.float16)))
put("npy", "numpy-structured.npy", npy(np.zeros(2, dtype=[("x", "<f4"), ("y", "<i4")])))
put("npy", "numpy-bool-scalar.npy", npy(np.array(True)))
for name, saver in (("savez", np.savez), ("savez_compressed", np.savez_compressed)):
    b = io.BytesIO()
    saver(b, positions=a, ids=np.arange(5, dtype=np.int32), flag=np.array(False))
    put("npz", "numpy-%s.npz" % name, b.getvalue())
PY
for f in hd_cell_centres_seed42.txt place_cell_centres_seed42.txt; do
  cp "$src/tests/data/$f" "$out/json/data-$f"   # text that is not JSON
done
echo "make-corpus.sh: $(find "$out" -type f | wc -l) seeds in $out ($(du -sh "$out" | cut -f1))"
