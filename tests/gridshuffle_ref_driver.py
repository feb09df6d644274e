"""Reference for test_analysis_gridshuffle (not a test on its own): the time-shift shuffle
test of gridness in numpy/scipy. argv: source dir, work dir holding meta.txt
("n units shuffles nbins lo hi"), pos.bin (float64 [n, 2]), act.bin (float32 [n, units]) and
offsets.bin (int64 [units, shuffles], the offsets cogmap drew). Each shuffle is
numpy.roll(act[:, u], off): sample j keeps its position and takes the activity of sample
j - off; the map is scipy's binned_statistic_2d mean over numpy.linspace(lo, hi, nbins + 1)
edges per axis, scored by bench/gridness_ref.py (DeepMind masks). Writes null.bin (float64
[units, shuffles]) and pct.bin (float64 [units, 2]: numpy.percentile 95 and 99 of the
non-NaN null scores)."""
import os
import sys

import numpy as np
import scipy.stats

src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "bench"))
import gridness_ref  # noqa: E402

with open(os.path.join(work, "meta.txt")) as f:
    n, units, shuffles, nbins, lo, hi = f.read().split()
n, units, shuffles, nbins, lo, hi = int(n), int(units), int(shuffles), int(nbins), float(lo), float(hi)
pos = np.fromfile(os.path.join(work, "pos.bin"), dtype=np.float64).reshape(n, 2)
act = np.fromfile(os.path.join(work, "act.bin"), dtype=np.float32).reshape(n, units)
offsets = np.fromfile(os.path.join(work, "offsets.bin"), dtype=np.int64).reshape(units, shuffles)
edges = np.linspace(lo, hi, nbins + 1)
scorer = gridness_ref.Scorer(nbins, "deepmind")
null = np.zeros((units, shuffles))
pct = np.zeros((units, 2))
for u in range(units):
    for k in range(shuffles):
        shifted = np.roll(act[:, u].astype(np.float64), offsets[u, k])
        m = scipy.stats.binned_statistic_2d(pos[:, 0], pos[:, 1], shifted, "mean", bins=[edges, edges]).statistic
        null[u, k] = scorer.scores(m)[0]
    v = null[u][~np.isnan(null[u])]
    pct[u] = np.percentile(v, [95, 99])
null.tofile(os.path.join(work, "null.bin"))
pct.tofile(os.path.join(work, "pct.bin"))
