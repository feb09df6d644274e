#!/usr/bin/env python3
"""Path-integration networks against PyTorch: same weights (a PyTorch state
dict handed to cogmap as safetensors), same inputs; compares the loss, the
place logits and every parameter gradient. Not part of CI (needs torch).
Usage: bench/check_pathint_torch.py [BUILD_DIR]   (default: build)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_torch as tt  # noqa: E402


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().contiguous().numpy().astype(np.float32).tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, d in header.items():
        if name == "__metadata__":
            continue
        a, b = d["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + a:8 + n + b], dtype=np.float32).reshape(d["shape"])
    return out


def check(build, preset, hidden, B, T):
    torch.manual_seed(3)
    mse = preset.endswith("-mse")  # the squared-error place loss (loss mse)
    base = preset[:-4] if mse else preset
    relu = base.endswith("-relu")  # the non-negative bottleneck (bottleneck_relu)
    base = base[:-5] if relu else base
    p = dict(tt.PRESETS[base], H=hidden, B=B, T=T, relu=relu)
    Np, Nh = p["Np"], p["Nh"]
    vel = 0.5 * torch.randn(B, T, p["I"])
    init_place, place = tt.soft((B, Np)), tt.soft((B, T, Np))
    init_hd, hd = (tt.soft((B, Nh)), tt.soft((B, T, Nh))) if Nh else (None, None)
    if p["cell"] == "lstm":
        model = tt.GridCellNetwork(p, unused_init_fc=(base == "ssmpc"))
        model.eval()  # dropout off: the same function on both sides
        pl, hl = model(vel, torch.cat([init_place, init_hd], -1))
        if mse:
            # Targets of any sign, as tuning curves are: a squared error needs no distribution.
            place = torch.randn(B, T, Np)
            loss = ((pl - place) ** 2).sum(-1).mean() - (hd * F.log_softmax(hl, -1)).sum(-1).mean()
        elif base == "ssmpc":
            loss = tt.ssmpc_loss(pl, hl, place, hd, T)
        else:
            loss = -(place * F.log_softmax(pl, -1)).sum(-1).mean() - (hd * F.log_softmax(hl, -1)).sum(-1).mean()
    else:
        model = tt.SorscherRNN(p)
        pred = model(vel.transpose(0, 1), init_place).transpose(0, 1)
        pl = pred
        loss = -(place * F.log_softmax(pred, -1)).sum(-1).mean() + 1e-4 * (model.RNN.weight_hh_l0 ** 2).sum()
    loss.backward()
    with tempfile.TemporaryDirectory() as d:
        write_safetensors(f"{d}/model.safetensors", model.state_dict())
        for name, t in [("vel", vel), ("init_place", init_place), ("place", place), ("init_hd", init_hd), ("hd", hd)]:
            if t is not None:
                np.save(f"{d}/{name}.npy", t.numpy().astype(np.float32))
        subprocess.run([f"{build}/pathint_check", preset, str(hidden), str(B), str(T), d], check=True,
                       stdout=subprocess.DEVNULL)
        out = read_safetensors(f"{d}/out.safetensors")
    worst = 0.0
    for name, prm in model.named_parameters():
        g = prm.grad.numpy() if prm.grad is not None else np.zeros(prm.shape, np.float32)
        e = np.abs(out["grad." + name] - g).max() / max(1e-3, np.abs(g).max())
        worst = max(worst, e)
    dl = abs(float(out["loss"][0]) - loss.item())
    dlog = np.abs(out["place_logits"] - pl.detach().numpy()).max()
    ok = dl < 1e-4 * max(1, abs(loss.item())) and dlog < 1e-4 and worst < 1e-3
    print(f"{preset:13s} loss torch {loss.item():.6f} cogmap {float(out['loss'][0]):.6f}  "
          f"max|dlogits| {dlog:.2e}  max rel grad err {worst:.2e}  {'ok' if ok else 'MISMATCH'}")
    return ok


def main():
    build = sys.argv[1] if len(sys.argv) > 1 else "build"
    src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    subprocess.run(["gcc", "-O2", "-I", f"{src}/include", f"{src}/bench/pathint_check.c", f"{build}/libcogmap.a",
                    "-o", f"{build}/pathint_check", "-fopenmp", "-lopenblas", "-lpng", "-lz", "-lcjson", "-lcairo",
                    "-lm"], check=True)
    ok = all([check(build, "ssmpc", 128, 4, 12), check(build, "ssmpc-relu", 128, 4, 12),
              check(build, "ssmpc-relu-mse", 128, 4, 12), check(build, "banino", 128, 3, 10),
              check(build, "sorscher-512", 64, 5, 8)])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
