"""Runs bench/gridness_ref.py on the maps test_analysis_gridness writes (not a test on its own).

argv: source dir, work dir. The work dir holds manifest.txt, one line per group:
  name n masks(deepmind|ssmpc) minmax count
and <name>.bin (count*n*n float64). Writes <name>.out (score60 score90 mask60 mask90 per map),
sac20.bin (the SACs of group 'dm20'), and rot.out (rotations listed in rot.txt)."""
import os
import sys

import numpy as np
import scipy.ndimage

src, work = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(src, "bench"))
import gridness_ref  # noqa: E402

with open(os.path.join(work, "manifest.txt")) as f:
    for line in f:
        name, n, masks, minmax, count = line.split()
        n, count = int(n), int(count)
        maps = np.fromfile(os.path.join(work, name + ".bin"), dtype=np.float64).reshape(count, n, n)
        scorer = gridness_ref.Scorer(n, masks, minmax == "1")
        sacs = []
        with open(os.path.join(work, name + ".out"), "w") as out:
            for m in maps:
                s60, s90, i60, i90, sac = scorer.scores(m)
                out.write("%.17g %.17g %d %d\n" % (s60, s90, i60, i90))
                sacs.append(sac)
        if name == "dm20":
            np.asarray(sacs, dtype=np.float64).tofile(os.path.join(work, "sac20.bin"))

# rot.txt: h w angle, one array per line, arrays in rot_in.bin one after another
with open(os.path.join(work, "rot.txt")) as f, open(os.path.join(work, "rot_out.bin"), "wb") as out:
    data = np.fromfile(os.path.join(work, "rot_in.bin"), dtype=np.float64)
    at = 0
    for line in f:
        h, w, angle = line.split()
        h, w, angle = int(h), int(w), float(angle)
        a = data[at:at + h * w].reshape(h, w)
        at += h * w
        scipy.ndimage.rotate(a, angle, reshape=False).astype(np.float64).tofile(out)
