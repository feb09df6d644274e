#!/usr/bin/python3
"""Python reference for SMP's unit classification (figure 2), written from
the spec (../shared/specs/smp.md §5, §10) with numpy/scipy, the way SMP's
scores.py / classify_units.py compute it. It is cogmap's yardstick for
exactness (tests/test_analysis_vs_python.c) and speed (bench/classify.sh).

  classify_ref.py generate --out DIR [--trajectories T --steps S --rays R --seed N]
      synthetic inputs (smp.md §10): DIR/activity.npz for cogmap, and raw
      little-endian files (meta.txt, pos.f64, hd.f64, dist.f32, act.f32)
  classify_ref.py classify --in DIR --out DIR [--shuffles S] [--seed N] [--hd-only]
      reads the raw files, writes one raw float64 file per result
      (hd_score.f64, ...) and prints timings.
"""
import argparse
import os
import sys
import time

import numpy as np
import scipy.stats


# ----------------------------------------------------------------- scores

def smp_edges(vmin, vmax, bin_size=0.14):
    rng = vmax - vmin
    n = int(np.ceil(rng / bin_size))
    pad = (n * bin_size - rng) / 2
    return np.linspace(vmin - pad / 2, vmax + pad / 2, n + 1)


def ratemap(pos, acts, bin_size=0.14):
    """SMP calculate_ratemap: mean per bin, x first, NaN when unvisited."""
    xe = smp_edges(pos[:, 0].min(), pos[:, 0].max(), bin_size)
    ye = smp_edges(pos[:, 1].min(), pos[:, 1].max(), bin_size)
    return scipy.stats.binned_statistic_2d(pos[:, 0], pos[:, 1], acts, bins=(xe, ye), statistic="mean")[0]


def octant_ratemap(pos, hd, acts, bin_size=0.14):
    xe = smp_edges(pos[:, 0].min(), pos[:, 0].max(), bin_size)
    ye = smp_edges(pos[:, 1].min(), pos[:, 1].max(), bin_size)
    octs = np.mod(np.round(hd / (np.pi / 4)), 8)
    return scipy.stats.binned_statistic_dd((pos[:, 0], pos[:, 1], octs), acts,
                                           bins=(xe, ye, np.linspace(-0.5, 7.5, 9)), statistic="mean")[0]


class RV:
    """Resultant vector over nbins equal bins of [-pi, pi]."""

    def __init__(self, nbins):
        self.edges = np.linspace(-np.pi, np.pi, nbins + 1)
        c = 0.5 * self.edges[:-1] + 0.5 * self.edges[1:]
        self.vec = np.stack([np.cos(c), np.sin(c)], axis=1)

    def hd_map(self, hd, acts):
        w = np.arctan2(np.sin(hd), np.cos(hd))
        return scipy.stats.binned_statistic(w, acts, bins=self.edges, statistic="mean",
                                            range=(-np.pi, np.pi))[0]

    def vector(self, maps):
        maps = np.atleast_2d(maps)
        return maps @ self.vec / (maps.sum(axis=1)[:, None] + 1e-5)

    def length(self, maps):
        v = self.vector(maps)
        return np.hypot(v[:, 0], v[:, 1])

    def angle(self, maps):
        v = self.vector(maps)
        return np.arctan2(v[:, 0], v[:, 1])


SHUFFLE_SECONDS = [0.0]


def shuffled_threshold(profiles, n_shuffles, percentile, rs):
    """profiles [nbins, U]; pooled bin permutations, unit i % U each time."""
    t0 = time.time()
    nbins, n_units = profiles.shape
    rv = RV(nbins)
    lens = np.array([rv.length(rs.permutation(profiles[:, i % n_units]))[0]
                     for i in range(n_units * n_shuffles)])
    SHUFFLE_SECONDS[0] += time.time() - t0
    return np.percentile(lens, percentile)


def distance_bins(max_d, step=0.025):
    c = np.arange(step, max_d, step)
    d = np.diff(c)
    return c, np.concatenate([[c[0] - d[0] / 2], c[:-1] + d / 2, [c[-1] + d[-1] / 2]])


def ego_rotate(dist, hd):
    n = dist.shape[1]
    shifts = np.mod(-np.round(n * hd / (2 * np.pi)).astype(int), n)
    r, c = np.ogrid[:dist.shape[0], :n]
    return dist[r, c - shifts[:, None]]


def bvc_maps(acts, dist, edges):
    """[n_dist, n_angles, U]: sum / (count + 1e-12) per (distance bin, angle)."""
    bins = np.digitize(dist, edges)
    nb = len(edges) + 1
    counts = np.apply_along_axis(np.bincount, 0, bins, weights=None, minlength=nb)
    maps = [np.apply_along_axis(np.bincount, 0, bins, weights=acts[:, u], minlength=nb) / (counts + 1e-12)
            for u in range(acts.shape[1])]
    return np.dstack(maps)[1:-1]


def bvc_params(centres, maps):
    _, n_angles, n_units = maps.shape
    angs = np.linspace(-np.pi, np.pi, n_angles + 1)[:-1]
    l = maps.sum(axis=0)
    y = np.sum(np.sin(angs)[:, None] * l, axis=0)
    x = np.sum(np.cos(angs)[:, None] * l, axis=0)
    angle = np.arctan2(x, y)
    col = np.digitize(np.arctan2(y, x), np.concatenate([angs, [np.pi]])) - 1
    col = np.minimum(col, n_angles - 1)
    pref = centres[np.argmax(maps[:, col, range(n_units)], axis=0)]
    rv = RV(n_angles)
    score = np.array([rv.length(maps[..., u].sum(axis=0))[0] for u in range(n_units)])
    return score, angle, pref


def stability(pos, acts, bin_size=0.14):
    h = pos.shape[0] // 2
    out = []
    for u in range(acts.shape[1]):
        a = ratemap(pos[:h], acts[:h, u], bin_size).reshape(-1)
        b = ratemap(pos[h:], acts[h:, u], bin_size).reshape(-1)
        ok = np.isfinite(a) & np.isfinite(b)
        out.append(np.corrcoef(a[ok], b[ok])[0, 1])
    return np.array(out)


def classify(pos, hd, dist, acts, n_shuffles, percentile=99, step=0.025, seed=1, hd_only=False):
    rs = np.random.RandomState(seed)
    res = {}
    t0 = time.time()
    rv = RV(20)
    hd_maps = np.array([rv.hd_map(hd, acts[:, u]) for u in range(acts.shape[1])]).T
    res["hd_threshold"] = shuffled_threshold(hd_maps, n_shuffles, percentile, rs)
    res["hd_score"] = rv.length(hd_maps.T)
    res["hd_angle"] = rv.angle(hd_maps.T)
    res["hd_maps"] = hd_maps.T
    if hd_only:
        return res
    centres, edges = distance_bins((pos[:, 0].max() - pos[:, 0].min()) / 2, step)
    for name, d in (("ego", ego_rotate(dist, hd)), ("allo", dist)):
        maps = bvc_maps(acts, d, edges)
        res[name + "_threshold"] = shuffled_threshold(maps.sum(axis=0), n_shuffles, percentile, rs)
        res[name + "_score"], res[name + "_angle"], res[name + "_dist"] = bvc_params(centres, maps)
        res[name + "_maps"] = np.transpose(maps, (2, 0, 1))
    res["stability"] = stability(pos, acts)
    res["maps"] = np.array([ratemap(pos, acts[:, u]) for u in range(acts.shape[1])])
    res["octants"] = np.array([octant_ratemap(pos, hd, acts[:, u]) for u in range(acts.shape[1])])
    res["seconds"] = time.time() - t0
    # DeepMind's GridScorer maps (20 x 20 over the fixed box range), for the
    # exactness test: the clipped walk puts samples exactly on the +1.1 edge.
    res["dm_maps"] = np.array([scipy.stats.binned_statistic_2d(
        pos[:, 0], pos[:, 1], acts[:, u], bins=20, statistic="mean", range=((-1.1, 1.1), (-1.1, 1.1)))[0]
        for u in range(min(acts.shape[1], 16))])
    res["shuffle_seconds"] = SHUFFLE_SECONDS[0]
    return res


# -------------------------------------------------------- synthetic data

def box_distances(pos, angles, half=1.1):
    """Distance from each position to the square box's wall along each angle."""
    c, s = np.cos(angles)[None, :], np.sin(angles)[None, :]
    x, y = pos[:, 0:1], pos[:, 1:2]
    with np.errstate(divide="ignore", invalid="ignore"):
        tx = np.where(c > 1e-12, (half - x) / c, np.where(c < -1e-12, (-half - x) / c, np.inf))
        ty = np.where(s > 1e-12, (half - y) / s, np.where(s < -1e-12, (-half - y) / s, np.inf))
    return np.minimum(tx, ty)


def trajectories(n_traj, steps, rs, half=1.1, dt=0.02, sigma_rot=5.76, b=0.13 * 2 * np.pi):
    """smp.md §2.1 (Sorscher-style wall turning), positions clipped to the box."""
    pos = np.zeros((n_traj, steps, 2))
    hds = np.zeros((n_traj, steps))
    p = rs.uniform(-half, half, (n_traj, 2))
    h = rs.uniform(-np.pi, np.pi, n_traj)
    normals = np.array([0.0, np.pi / 2, np.pi, -np.pi / 2])  # +x, +y, -x, -y walls
    for t in range(steps):
        pos[:, t], hds[:, t] = p, np.arctan2(np.sin(h), np.cos(h))
        omega = rs.normal(0, sigma_rot, n_traj)
        v = rs.rayleigh(b, n_traj)
        dw = np.stack([half - p[:, 0], half - p[:, 1], p[:, 0] + half, p[:, 1] + half], axis=1)
        k = np.argmin(dw, axis=1)
        a = np.mod(h - normals[k] + np.pi, 2 * np.pi) - np.pi
        near = (dw[np.arange(n_traj), k] < 0.03) & (np.abs(a) < np.pi / 2)
        turn = np.where(near, np.sign(a) * (np.pi / 2 - np.abs(a)), 0.0)
        v = np.where(near, v * 0.25, v)
        turn = turn + dt * omega
        p = np.clip(p + (v * dt)[:, None] * np.stack([np.cos(h), np.sin(h)], axis=1), -half, half)
        h = h + turn
    return pos.reshape(-1, 2), hds.reshape(-1)


def synthetic_units(pos, hd, dist, rays, rs):
    """smp.md §10: 32 HD, 64 ego-BVC + 64 place-like, 64 allo-BVC + 64 noise."""
    n = pos.shape[0]
    units = []
    for i in range(32):
        mu = -np.pi + 2 * np.pi * i / 32
        units.append(np.exp(4 * (np.cos(hd - mu) - 1)))
    ego = ego_rotate(dist, hd)
    angs = np.linspace(-np.pi, np.pi, rays + 1)[:-1]
    for i in range(64):
        a = -np.pi + 2 * np.pi * (i % 16) / 16
        col = int(np.argmin(np.abs(np.angle(np.exp(1j * (angs - a))))))
        d = 0.1 + 0.1 * (i // 16)
        units.append(np.exp(-(ego[:, col] - d) ** 2 / (2 * 0.08 ** 2)))
    centres = rs.uniform(-1.0, 1.0, (64, 2))
    for i in range(64):
        d2 = np.sum((pos - centres[i]) ** 2, axis=1)
        units.append(np.exp(-d2 / (2 * 0.2 ** 2)) + 0.05 * rs.uniform(0, 1, n))
    for i in range(64):
        col = (i * rays) // 64
        d = 0.1 + 0.1 * (i % 4)
        units.append(np.exp(-(dist[:, col] - d) ** 2 / (2 * 0.08 ** 2)))
    for i in range(64):
        units.append(rs.uniform(0, 1, n))
    return np.stack(units, axis=1).astype(np.float32)


def generate(out, n_traj, steps, rays, seed):
    rs = np.random.RandomState(seed)
    pos, hd = trajectories(n_traj, steps, rs)
    angles = np.linspace(-np.pi, np.pi, rays + 1)[:-1]
    dist = box_distances(pos, angles).astype(np.float32)
    acts = synthetic_units(pos, hd, dist, rays, rs)
    os.makedirs(out, exist_ok=True)
    np.savez(os.path.join(out, "activity.npz"), positions=pos.astype(np.float32), headings=hd.astype(np.float32),
             wall_distances=dist, ray_angles=angles.astype(np.float32), activations=acts,
             group_rnn1=np.array([0, 32]), group_rnn2=np.array([32, 160]), group_rnn3=np.array([160, 288]))
    # The raw files carry the same float32-rounded positions and headings, so
    # both implementations see identical inputs.
    write_raw(out, pos.astype(np.float32).astype(np.float64), hd.astype(np.float32).astype(np.float64), dist, acts)


def write_raw(d, pos, hd, dist, acts):
    with open(os.path.join(d, "meta.txt"), "w") as f:
        f.write("%d %d %d\n" % (acts.shape[0], acts.shape[1], dist.shape[1]))
    pos.astype("<f8").tofile(os.path.join(d, "pos.f64"))
    hd.astype("<f8").tofile(os.path.join(d, "hd.f64"))
    dist.astype("<f4").tofile(os.path.join(d, "dist.f32"))
    acts.astype("<f4").tofile(os.path.join(d, "act.f32"))


def read_raw(d):
    n, u, r = (int(v) for v in open(os.path.join(d, "meta.txt")).read().split())
    pos = np.fromfile(os.path.join(d, "pos.f64"), "<f8").reshape(n, 2)
    hd = np.fromfile(os.path.join(d, "hd.f64"), "<f8")
    dist = np.fromfile(os.path.join(d, "dist.f32"), "<f4").reshape(n, r)
    acts = np.fromfile(os.path.join(d, "act.f32"), "<f4").reshape(n, u)
    return pos, hd, dist, acts


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("--out", required=True)
    g.add_argument("--trajectories", type=int, default=200)
    g.add_argument("--steps", type=int, default=500)
    g.add_argument("--rays", type=int, default=36)
    g.add_argument("--seed", type=int, default=1)
    c = sub.add_parser("classify")
    c.add_argument("--in", dest="inp", required=True)
    c.add_argument("--out")
    c.add_argument("--shuffles", type=int, default=1000)
    c.add_argument("--samples", type=int, default=0, help="use only the first N samples")
    c.add_argument("--seed", type=int, default=1)
    c.add_argument("--hd-only", action="store_true")
    c.add_argument("--f32", action="store_true", help="positions and headings as float32 (as SMP's data)")
    a = ap.parse_args()
    if a.cmd == "generate":
        generate(a.out, a.trajectories, a.steps, a.rays, a.seed)
        return
    pos, hd, dist, acts = read_raw(a.inp)
    if a.samples:
        pos, hd, dist, acts = pos[:a.samples], hd[:a.samples], dist[:a.samples], acts[:a.samples]
    if a.f32:
        pos, hd = pos.astype(np.float32), hd.astype(np.float32)
    res = classify(pos, hd, dist, acts, a.shuffles, seed=a.seed, hd_only=a.hd_only)
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        for k, v in res.items():
            np.asarray(v, dtype="<f8").tofile(os.path.join(a.out, k + ".f64"))
    print("python: %d samples, %d units, %d shuffles: %.2f s (shuffles %.2f s)" % (
        acts.shape[0], acts.shape[1], a.shuffles, res.get("seconds", 0), res.get("shuffle_seconds", 0)))
    for k in ("hd", "ego", "allo"):
        if k + "_threshold" in res:
            print("  %s threshold %.4f, %d units above" % (k, res[k + "_threshold"],
                                                          int(np.sum(res[k + "_score"] > res[k + "_threshold"]))))


if __name__ == "__main__":
    sys.exit(main())
