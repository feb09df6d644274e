#!/usr/bin/env python3
"""Vision-layer micro-benchmark: cogmap vs PyTorch (CPU), same shapes, one run.

Shapes are those of SSM-PC's BEV predictor (ssm-pc.md §6.2) at batch 8: an
encoder conv block, an upsampler transposed-conv block, the decoder's
cross-attention (64 queries over 4 memory tokens, batch 4B) and one encoder
Transformer layer. Each side times forward + backward of the layer alone
(PyTorch: autograd, float32; cogmap: `cogmap-nn-check LAYER DIR --repeat N`,
which runs the hand-written forward/backward on the same arrays).

usage: vision_layers.py path/to/cogmap-nn-check [--threads N] [--repeat N]
prints one line per layer: seconds per pass of each, and cogmap's speed-up.
"""
import argparse
import json
import os
import re
import subprocess
import tempfile
import time

import numpy as np
import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("nn_check")
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--repeat", type=int, default=10)
args = ap.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)
B = 8


def time_torch(fn, inputs, dy):
    leaves = {k: v.clone().requires_grad_(True) for k, v in inputs.items()}
    fn(leaves).backward(dy)  # warm-up
    t0 = time.perf_counter()
    for _ in range(args.repeat):
        fn(leaves).backward(dy)
    return (time.perf_counter() - t0) / args.repeat


def time_cogmap(layer, inputs, dy, config):
    with tempfile.TemporaryDirectory(prefix="cogmap-bench-") as d:
        for k, v in inputs.items():
            np.save(os.path.join(d, k + ".npy"), v.numpy())
        np.save(os.path.join(d, "dy.npy"), dy.numpy())
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        out = subprocess.run([args.nn_check, layer, d, "--repeat", str(args.repeat), "--threads",
                              str(args.threads)], check=True, capture_output=True, text=True).stdout
        return float(re.search(r": ([0-9.eE+-]+) s per", out).group(1))


def bench(name, layer, inputs, fn, config):
    with torch.no_grad():
        y = fn({k: v for k, v in inputs.items()})
    dy = torch.randn_like(y)
    tt = time_torch(fn, inputs, dy)
    tc = time_cogmap(layer, inputs, dy, config)
    print(f"{name:44s} torch {tt * 1e3:8.2f} ms   cogmap {tc * 1e3:8.2f} ms   speed-up {tt / tc:5.2f}x", flush=True)


def r(*s, sd=1.0):
    return torch.randn(*s) * sd


bench("conv2d 32->64 k3 s2 p1, [8, 32, 32, 32]", "conv2d",
      {"x": r(B, 32, 32, 32), "weight": r(64, 32, 3, 3, sd=0.05), "bias": r(64, sd=0.1)},
      lambda t: F.conv2d(t["x"], t["weight"], t["bias"], stride=2, padding=1),
      {"stride_h": 2, "stride_w": 2, "pad_h": 1, "pad_w": 1})
bench("conv_transpose2d 32->16 k4 s2 p1, [8, 32, 64, 64]", "conv_transpose2d",
      {"x": r(B, 32, 64, 64), "weight": r(32, 16, 4, 4, sd=0.05), "bias": r(16, sd=0.1)},
      lambda t: F.conv_transpose2d(t["x"], t["weight"], t["bias"], stride=2, padding=1),
      {"stride_h": 2, "stride_w": 2, "pad_h": 1, "pad_w": 1})
E, N = 256, 4 * B
bench("cross-attention 64 q x 4 k, N 32, E 256, 8 heads", "mha",
      {"query": r(64, N, E), "key": r(4, N, E), "value": r(4, N, E), "in_proj_weight": r(3 * E, E, sd=0.05),
       "in_proj_bias": r(3 * E, sd=0.01), "out_proj.weight": r(E, E, sd=0.05), "out_proj.bias": r(E, sd=0.01)},
      lambda t: F.multi_head_attention_forward(
          t["query"], t["key"], t["value"], E, 8, t["in_proj_weight"], t["in_proj_bias"], None, None, False, 0.0,
          t["out_proj.weight"], t["out_proj.bias"], training=False, need_weights=False)[0],
      {"heads": 8, "self": 0})
enc = torch.nn.TransformerEncoderLayer(E, 8, 2048, dropout=0.0)
params = {k: v.detach().clone() for k, v in enc.state_dict().items()}


def enc_fn(t):
    from torch.nn.utils import stateless
    return stateless.functional_call(enc, {k: t[k] for k in params}, (t["x"],))


bench("Transformer encoder layer, 4 tokens, N 32", "transformer_encoder", {"x": r(4, N, E), **params}, enc_fn,
      {"heads": 8})
