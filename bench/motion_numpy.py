#!/usr/bin/env python3
"""The numpy peer of `cogmap bench motion`: Sorscher et al.'s rat-model
trajectory generator, vectorised over the batch and looping over time as
the original does (grid-cells.md §2.4), written here from the spec.

Prints "steps/s per core: X" (per CPU second) for a batch of trajectories (default 200
worlds x 1000 steps, the published batch size), best of --repeat runs."""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def generate(rng, batch, steps, box=2.2, dt=0.02, sigma=5.76 * 2, b=0.13 * 2 * np.pi, border=0.03):
    """Positions [batch, steps+1, 2], headings [batch, steps+1], ego speed*dt [batch, steps]."""
    pos = np.zeros((batch, steps + 1, 2))
    hd = np.zeros((batch, steps + 1))
    ego = np.zeros((batch, steps))
    pos[:, 0] = rng.uniform(-box / 2, box / 2, (batch, 2))
    hd[:, 0] = rng.uniform(0, 2 * np.pi, batch)
    turns = rng.normal(0.0, sigma, (batch, steps))
    speeds = rng.rayleigh(b, (batch, steps))
    wall_angles = np.arange(4) * np.pi / 2  # east, north, west, south
    for t in range(steps):
        v = speeds[:, t]
        x, y = pos[:, t, 0], pos[:, t, 1]
        dists = np.stack([box / 2 - x, box / 2 - y, box / 2 + x, box / 2 + y])
        nearest = np.argmin(dists, axis=0)
        d_wall = dists[nearest, np.arange(batch)]
        a_wall = np.mod(hd[:, t] - wall_angles[nearest] + np.pi, 2 * np.pi) - np.pi
        near = (d_wall < border) & (np.abs(a_wall) < np.pi / 2)
        turn = np.where(near, np.sign(a_wall) * (np.pi / 2 - np.abs(a_wall)), 0.0)
        v = np.where(near, v * 0.25, v)
        turn = turn + dt * turns[:, t]
        step = v * dt
        ego[:, t] = step
        pos[:, t + 1, 0] = x + step * np.cos(hd[:, t])
        pos[:, t + 1, 1] = y + step * np.sin(hd[:, t])
        hd[:, t + 1] = hd[:, t] + turn
    hd = np.mod(hd + np.pi, 2 * np.pi) - np.pi
    return pos, hd, ego


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--batch", type=int, default=200)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    best = best_wall = 0.0
    n = args.batch * args.steps
    for _ in range(args.repeat):
        # CPU time of this (single-threaded) process, as cogmap reports it:
        # on a shared machine the wall clock also counts others' turns.
        c0, t0 = time.process_time(), time.perf_counter()
        pos, hd, ego = generate(rng, args.batch, args.steps)
        best = max(best, n / (time.process_time() - c0))
        best_wall = max(best_wall, n / (time.perf_counter() - t0))
    # Sanity: the box holds them (up to the generator's known overshoot).
    inside = np.mean(np.abs(pos) <= 1.1)
    print(f"motion (numpy {np.__version__}): sorscher model, box arena, {args.batch} worlds x {args.steps} steps, "
          f"best of {args.repeat}; fraction of coordinates inside the box {inside:.5f}")
    print(f"steps/s wall: {best_wall:.4g}")
    print(f"steps/s per core: {best:.4g}")


if __name__ == "__main__":
    main()
