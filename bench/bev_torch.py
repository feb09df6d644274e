#!/usr/bin/env python3
"""PyTorch peer of `cogmap bench train --preset bev`: SSM-PC's BEV predictor
(bevnet_torch.py, the spec's architecture) trained on random frames and
targets -- forward, BEVLoss, backward, Adam -- and run for inference, at the
same batch and thread count. Prints the lines bench/bev.sh reads:

    train images/s: X      (wall clock)
    train images/cpu-s: X  (per second of this process's CPU time)
    infer images/s: X
    infer images/cpu-s: X

usage: bev_torch.py [--preset bev|bev-small] [--threads N] [--batch N] [--steps N]
"""
import argparse
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bevnet_torch as bt  # noqa: E402

SMALL = dict(bt.BEV, preset="bev-small", enc_channels=[16, 32, 64, 64], heads=4, ff=256, enc_layers=2, dec_layers=2,
             n_up=3, up_channels=[32, 16, 8], out=64, window=192)

ap = argparse.ArgumentParser()
ap.add_argument("--preset", default="bev", choices=["bev", "bev-small"])
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--steps", type=int, default=3)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
cfg = bt.BEV if args.preset == "bev" else SMALL
model = bt.BEVPredictor(cfg)
opt = torch.optim.Adam(model.parameters(), lr=3e-4)
rng = np.random.default_rng(0)
B, S, O = args.batch, cfg["image"], cfg["out"]
x = bt.normalise(rng.integers(0, 256, (B, S, S, 3), dtype=np.uint8))
t = bt.target_tensor(np.where(rng.random((B, O, O, 4)) < 0.1, 255, 0).astype(np.uint8))


def train_step():
    opt.zero_grad(set_to_none=True)
    loss = bt.bev_loss(model(x), t)
    loss.backward()
    opt.step()


def infer_step():
    with torch.no_grad():
        model(x)


def timed(fn):
    fn()  # warm-up (allocator, kernels)
    w0, c0 = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        fn()
    return (time.perf_counter() - w0) / args.steps, (time.process_time() - c0) / args.steps


model.train()
w, c = timed(train_step)
print(f"train images/s: {B / w:.2f}")
print(f"train images/cpu-s: {B / c:.2f}")
model.eval()
w, c = timed(infer_step)
print(f"infer images/s: {B / w:.2f}")
print(f"infer images/cpu-s: {B / c:.2f}")
