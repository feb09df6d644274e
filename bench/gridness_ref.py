#!/usr/bin/env python3
"""Reference gridness: DeepMind's GridScorer (deepmind/grid-cells, scores.py) rewritten from
the spec (../shared/specs/grid-cells.md §1.5), numpy + scipy only, for cogmap's tests and bench.

It keeps every quirk of the original on purpose, because cogmap must agree with it:
  * NaN bins are replaced by 0 *before* the "observed" masks are built, so the masks are all
    ones and unvisited bins count as observed zeros;
  * the SAC is a ratio of full 2-D convolutions (scipy.signal.convolve2d), NaN and inf of the
    ratio replaced by numpy.nan_to_num (0 and +-DBL_MAX);
  * rotations are scipy.ndimage.rotate(sac, angle, reshape=False): cubic B-spline with prefilter,
    mode 'constant', cval 0;
  * the ring correlation uses the unrotated SAC's ring mean and variance (+1e-5);
  * the best mask is numpy.argmax over the masks (the first NaN wins, as argmax does).

Usage as a tool:  gridness_ref.py MAPS.npy [--masks deepmind|ssmpc] [--minmax] [--time]
prints  unit,score60,score90,mask60,mask90  (CSV, like `cogmap gridness`), or with --time
only the wall and CPU seconds spent scoring (file loading excluded) on stdout.
"""
import argparse
import sys
import time
import warnings

import numpy as np
import scipy.ndimage
import scipy.signal

ANGLES = [30, 45, 60, 90, 120, 135, 150]


def mask_parameters(kind):
    if kind == "deepmind":
        return [(0.2, m) for m in np.linspace(0.4, 1.0, num=10)]
    if kind == "ssmpc":
        return [(0.1, m) for m in np.linspace(0.2, 0.85, num=15)]
    raise ValueError(kind)


def circle_mask(size, radius, in_val=1.0, out_val=0.0):
    # Same coordinates as the original: linspace(-floor(size0/2), floor(size1/2), size1).
    sz = [np.floor(size[0] / 2), np.floor(size[1] / 2)]
    x = np.linspace(-sz[0], sz[1], size[1])[None, :].repeat(size[0], 0)
    y = np.linspace(-sz[0], sz[1], size[1])[:, None].repeat(size[1], 1)
    inside = np.sqrt(x ** 2 + y ** 2) <= radius
    return np.where(inside, in_val, out_val)


class Scorer:
    def __init__(self, nbins, masks="deepmind", min_max=False):
        self.nbins = nbins
        self.min_max = min_max
        self.params = mask_parameters(masks) if isinstance(masks, str) else list(masks)
        n = [2 * nbins - 1, 2 * nbins - 1]
        self.masks = [circle_mask(n, hi * nbins) * (1 - circle_mask(n, lo * nbins)) for lo, hi in self.params]

    @staticmethod
    def sac(rate_map):
        def filter2(b, x):
            return scipy.signal.convolve2d(x, np.rot90(b, 2), mode="full")

        seq1 = np.nan_to_num(rate_map)
        seq2 = seq1
        ones1 = np.ones(seq1.shape)
        ones1[np.isnan(seq1)] = 0  # never true any more: the quirk
        ones2 = np.ones(seq2.shape)
        ones2[np.isnan(seq2)] = 0
        s12 = filter2(seq1, seq2)
        s1 = filter2(seq1, ones2)
        s2 = filter2(ones1, seq2)
        s11 = filter2(np.square(seq1), ones2)
        s22 = filter2(ones1, np.square(seq2))
        nb = filter2(ones1, ones2)
        nb2 = np.square(nb)
        std1 = np.power(np.subtract(np.divide(s11, nb), np.divide(np.square(s1), nb2)), 0.5)
        std2 = np.power(np.subtract(np.divide(s22, nb), np.divide(np.square(s2), nb2)), 0.5)
        cov = np.subtract(np.divide(s12, nb), np.divide(np.multiply(s1, s2), nb2))
        return np.nan_to_num(np.real(np.divide(cov, np.multiply(std1, std2))))

    def score60(self, c):
        if self.min_max:
            return np.minimum(c[60], c[120]) - np.maximum(c[30], np.maximum(c[90], c[150]))
        return (c[60] + c[120]) / 2 - (c[30] + c[90] + c[150]) / 3

    @staticmethod
    def score90(c):
        return c[90] - (c[45] + c[135]) / 2

    def scores(self, rate_map):
        """(score60, score90, best mask index 60, best mask index 90, sac)."""
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            sac = self.sac(rate_map)
            rots = [scipy.ndimage.rotate(sac, a, reshape=False) for a in ANGLES]
            s60, s90 = [], []
            for mask in self.masks:
                area = np.sum(mask)
                masked = sac * mask
                mean = np.sum(masked) / area
                centred = (masked - mean) * mask
                var = np.sum(centred ** 2) / area + 1e-5
                c = {a: np.sum(centred * ((r - mean) * mask)) / area / var for a, r in zip(ANGLES, rots)}
                s60.append(self.score60(c))
                s90.append(self.score90(c))
            s60 = np.asarray(s60)
            s90 = np.asarray(s90)
            i60 = int(np.argmax(s60))
            i90 = int(np.argmax(s90))
        return s60[i60], s90[i90], i60, i90, sac


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("maps")
    ap.add_argument("--masks", default="deepmind", choices=["deepmind", "ssmpc"])
    ap.add_argument("--minmax", action="store_true")
    ap.add_argument("--time", action="store_true")
    a = ap.parse_args()
    maps = np.load(a.maps).astype(np.float64)
    if maps.ndim != 3 or maps.shape[1] != maps.shape[2]:
        sys.exit("gridness_ref: %s: expected [N, n, n], got %s" % (a.maps, list(maps.shape)))
    scorer = Scorer(maps.shape[1], a.masks, a.minmax)
    t0, c0 = time.perf_counter(), time.process_time()
    rows = [scorer.scores(m)[:4] for m in maps]
    dt, dc = time.perf_counter() - t0, time.process_time() - c0
    if a.time:
        print("%.6f %.6f" % (dt, dc))
        return
    print("unit,score60,score90,mask60,mask90")
    for i, (s60, s90, i60, i90) in enumerate(rows):
        print("%d,%.17g,%.17g,%d,%d" % (i, s60, s90, i60, i90))


if __name__ == "__main__":
    main()
