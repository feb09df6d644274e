#!/usr/bin/env python3
"""The numpy and PyTorch peers of `cogmap bench targets`: place-cell targets
for random positions in the 15-unit box, written here from the specs
(ssm-pc.md's softmax place code; Sorscher's difference of softmaxes,
grid-cells.md; as logits at a temperature, docs/grid-cells.md round 4),
vectorised over the batch as a PyTorch trainer computes them.

Prints "numpy rows/s per core: X" and "torch rows/s per core: X" (per CPU
second of the process), best of --repeat runs."""
import argparse
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
import numpy as np  # noqa: E402


def targets(xp, softmax, pos, centres, sigma, dog, temperature):
    """pos [R, 2], centres [N, 2] -> targets [R, N]."""
    d2 = ((pos[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    out = softmax(-d2 / (2 * sigma * sigma))
    if not dog:
        return out
    out = out - softmax(-d2 / (2 * 2 * sigma * sigma))
    if temperature > 0:
        return softmax(out / temperature)
    out = out - out.min(-1, keepdims=True) if xp is np else out - out.min(-1, keepdim=True).values
    return out / out.sum(-1, keepdims=True) if xp is np else out / out.sum(-1, keepdim=True)


def np_softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def best_rate(fn, rows, repeat):
    best = 0.0
    for _ in range(repeat):
        c0 = time.process_time()
        fn()
        el = time.process_time() - c0
        best = max(best, rows / max(el, 1e-9))
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--count", type=int, default=1024)
    ap.add_argument("--sigma", type=float, default=0.6)
    ap.add_argument("--gaussian", action="store_true")
    ap.add_argument("--temperature", type=float, default=0.0062)
    ap.add_argument("--rows", type=int, default=3200)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    rng = np.random.RandomState(42)
    centres = rng.uniform(0, 15, (a.count, 2)).astype(np.float32)
    pos = rng.uniform(0, 15, (a.rows, 2)).astype(np.float32)
    dog, t = not a.gaussian, 0.0 if a.gaussian else a.temperature
    print(f"numpy rows/s per core: {best_rate(lambda: targets(np, np_softmax, pos, centres, a.sigma, dog, t), a.rows, a.repeat):.4g}")
    try:
        import torch
    except ImportError:
        print("torch: not installed")
        return
    torch.set_num_threads(1)
    tp, tc = torch.from_numpy(pos), torch.from_numpy(centres)
    with torch.no_grad():
        rate = best_rate(lambda: targets(torch, lambda l: torch.softmax(l, -1), tp, tc, a.sigma, dog, t), a.rows, a.repeat)
    print(f"torch rows/s per core: {rate:.4g}")


if __name__ == "__main__":
    main()
