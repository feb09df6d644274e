#!/usr/bin/env python3
"""The path-integration presets of `cogmap bench train` in PyTorch, on random
inputs of the same shapes and the same thread count; prints `steps/s: X`.

This is the peer a user would otherwise run: SSM-PC's GridCellNetwork with its
InitialStateRegularizedLoss, RMSprop and clip_grad_norm_ (ssmpc); the same
network with TF1-style RMSProp and value clipping (banino); Sorscher's ReLU RNN
with DoG-style soft targets, Adam and weight decay on W_hh (sorscher*). Sorscher's
code calls the forward pass twice per step; this runs it once, like cogmap.
Usage: bench/train_torch.py --preset NAME [--threads N] [--steps N]
"""
import argparse
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "ssmpc": dict(cell="lstm", I=3, H=128, Nb=256, Np=256, Nh=12, B=32, T=100),
    "banino": dict(cell="lstm", I=3, H=128, Nb=256, Np=256, Nh=12, B=10, T=100),
    "sorscher-512": dict(cell="rnn", I=2, H=512, Nb=0, Np=512, Nh=0, B=200, T=20),
    "sorscher": dict(cell="rnn", I=2, H=4096, Nb=0, Np=512, Nh=0, B=200, T=20),
}


class GridCellNetwork(nn.Module):
    """SSM-PC's network (ssm-pc.md §4.2); banino uses the same shapes."""

    def __init__(self, p, unused_init_fc=True):
        super().__init__()
        self.relu = bool(p.get("relu"))
        R = p["Np"] + p["Nh"]
        self.lstm = nn.LSTM(p["I"], p["H"], batch_first=True)
        self.bottleneck = nn.Sequential(nn.Linear(p["H"], p["Nb"], bias=False))
        self.dropout = nn.Dropout(0.5)
        self.place_predictor = nn.Linear(p["Nb"], p["Np"])
        self.hd_predictor = nn.Linear(p["Nb"], p["Nh"])
        if unused_init_fc:
            self.init_fc = nn.Linear(R, p["Nb"])
        self.h0_init = nn.Linear(R, p["H"])
        self.c0_init = nn.Linear(R, p["H"])

    def forward(self, vel, init_code):
        h0 = self.h0_init(init_code).unsqueeze(0)
        c0 = self.c0_init(init_code).unsqueeze(0)
        out, _ = self.lstm(vel, (h0, c0))
        z = self.bottleneck(out)
        if self.relu:
            z = torch.relu(z)  # cogmap's bottleneck_relu
        z = self.dropout(z)
        return self.place_predictor(z), self.hd_predictor(z)


def ssmpc_loss(pl, hl, place, hd, T):
    """InitialStateRegularizedLoss (ssm-pc.md §4.3), vectorised over time (the
    fastest honest form of it in PyTorch: one kl_div per term, not one per step)."""
    w = torch.ones(T)
    w[0] = 10.0
    for t in range(1, min(5, T)):
        w[t] = 5.0 * 0.8 ** (t - 1)
    B = pl.shape[0]
    lp = F.log_softmax(pl, -1)
    lh = F.log_softmax(hl, -1)
    Lp = (F.kl_div(lp, place, reduction="none").sum(-1).sum(0) * w).sum() / B / w.sum()
    Lh = (F.kl_div(lh, hd, reduction="none").sum(-1).sum(0) * w).sum() / B / w.sum()
    Linit = 2.0 * F.kl_div(lp[:, 0], place[:, 0], reduction="batchmean")
    n = min(6, T)
    P = lp[:, :n].exp()
    u = torch.tensor([1 - 0.15 * (t - 1) for t in range(1, n)])
    kc = F.kl_div(torch.log(P[:, 1:] + 1e-10), P[:, :-1], reduction="none").sum(-1).sum(0) / B
    return Lp + Lh + Linit + 0.1 * (kc * u).sum()


class TFRMSProp(torch.optim.Optimizer):
    """TensorFlow 1's RMSPropOptimizer: ms starts at ones, eps inside the sqrt."""

    def __init__(self, params, lr=1e-5, decay=0.9, momentum=0.9, eps=1e-10):
        super().__init__(params, dict(lr=lr, decay=decay, momentum=momentum, eps=eps))

    @torch.no_grad()
    def step(self):
        for g in self.param_groups:
            for p in g["params"]:
                if p.grad is None:
                    continue
                st = self.state[p]
                if not st:
                    st["ms"] = torch.ones_like(p)
                    st["mom"] = torch.zeros_like(p)
                st["ms"].mul_(g["decay"]).addcmul_(p.grad, p.grad, value=1 - g["decay"])
                st["mom"].mul_(g["momentum"]).addcdiv_(p.grad, (st["ms"] + g["eps"]).sqrt(), value=g["lr"])
                p.sub_(st["mom"])


class SorscherRNN(nn.Module):
    def __init__(self, p):
        super().__init__()
        self.encoder = nn.Linear(p["Np"], p["H"], bias=False)
        self.RNN = nn.RNN(p["I"], p["H"], nonlinearity="relu", bias=False)
        self.decoder = nn.Linear(p["H"], p["Np"], bias=False)

    def forward(self, vel, init_place):  # vel [T, B, 2] (Sorscher's RNN is time-major)
        h0 = self.encoder(init_place)[None]
        g, _ = self.RNN(vel, h0)
        return self.decoder(g)


def soft(shape):
    return F.softmax(2.0 * torch.randn(shape), -1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--preset", default="ssmpc", choices=sorted(PRESETS))
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=0)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    p = PRESETS[a.preset]
    B, T, Np, Nh = p["B"], p["T"], p["Np"], p["Nh"]
    steps = a.steps or {"sorscher": 2, "sorscher-512": 6}.get(a.preset, 15)
    if p["cell"] == "lstm":
        model = GridCellNetwork(p, unused_init_fc=(a.preset == "ssmpc"))
        vel = 0.1 * torch.randn(B, T, p["I"])
        init = torch.cat([soft((B, Np)), soft((B, Nh))], -1)
        place, hd = soft((B, T, Np)), soft((B, T, Nh))
        if a.preset == "ssmpc":
            opt = torch.optim.RMSprop(model.parameters(), lr=1e-3, momentum=0.9, weight_decay=1e-4)
        else:
            opt = TFRMSProp(model.parameters())

        def step():
            opt.zero_grad()
            pl, hl = model(vel, init)
            if a.preset == "ssmpc":
                loss = ssmpc_loss(pl, hl, place, hd, T)
            else:
                loss = -(place * F.log_softmax(pl, -1)).sum(-1).mean() - (hd * F.log_softmax(hl, -1)).sum(-1).mean()
            loss.backward()
            if a.preset == "ssmpc":
                nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            else:
                for q in model.parameters():
                    q.grad.clamp_(-1e-5, 1e-5)
            opt.step()
            return loss.item()
    else:
        model = SorscherRNN(p)
        vel = 0.1 * torch.randn(T, B, p["I"])
        init = soft((B, Np))
        place = soft((T, B, Np))
        opt = torch.optim.Adam(model.parameters(), lr=1e-4)

        def step():
            opt.zero_grad()
            pred = model(vel, init)
            loss = -(place * F.log_softmax(pred, -1)).sum(-1).mean() + 1e-4 * (model.RNN.weight_hh_l0 ** 2).sum()
            loss.backward()
            opt.step()
            return loss.item()

    model.train()
    step()  # warm-up
    t0 = time.perf_counter()
    for _ in range(steps):
        loss = step()
    dt = time.perf_counter() - t0
    print(f"preset: {a.preset}")
    print(f"threads: {a.threads}")
    print(f"steps: {steps}")
    print(f"final loss: {loss:.6f}")
    print(f"steps/s: {steps / dt:.3f}")


if __name__ == "__main__":
    main()
