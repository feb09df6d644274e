#!/usr/bin/env python3
"""cogmap's nn layers against PyTorch (run by `make check-torch`).

For every case: random float32 inputs drawn with torch, the same layer run in
PyTorch in float64 (the reference: no float32 rounding of its own), and
`cogmap-nn-check LAYER DIR` (the build folder's harness, tests/nncheck/) run on
the same inputs saved as .npy. Forward
outputs and the gradients of <outputs, dy> (dy random; a loss's own value for
losses) with respect to every input and parameter are compared:

    error = max |cogmap - torch| / max(max |torch|, 1e-2)   must be < 1e-4

(relative to the tensor's scale, absolute for tensors that are all near 0).

Adding a layer: a handler in tests/nncheck/ (nncheck.h) and a `case(...)`
below whose reference function returns the same outputs from the same named
inputs. A model's cases go in bench/check_torch_<model>.py, run after these
with case, randn, torch, F and np already defined.

usage: check_torch.py path/to/cogmap-nn-check [LAYER...]    (no LAYER: all cases)
"""
import glob
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn.functional as F
from torch.nn.utils import stateless

TOL = 1e-4
NN_CHECK = sys.argv[1]
ONLY = set(sys.argv[2:])
torch.manual_seed(1234)
CASES = []
RESULTS = []


def case(layer, label, inputs, reference, config=None, grads=None, loss=False):
    """inputs: name -> float32 tensor; reference(t) gets float64 leaf tensors and
    returns name -> output tensor; grads: input names to differentiate (default all)."""
    CASES.append((layer, label, inputs, reference, config or {}, grads, loss))


def randn(*shape, sd=1.0):
    return (torch.randn(*shape) * sd).float()


def run_case(layer, label, inputs, reference, config, grads, loss):
    grads = list(inputs) if grads is None else grads
    with tempfile.TemporaryDirectory(prefix="cogmap-check-torch-") as d:
        t = {}
        for name, v in inputs.items():
            np.save(os.path.join(d, name + ".npy"), v.numpy().astype(np.float32))
            t[name] = v.double().requires_grad_(name in grads)
        outs = reference(t)
        if loss:
            total = outs["loss"]
        else:
            dy = randn(*outs["y"].shape)
            np.save(os.path.join(d, "dy.npy"), dy.numpy())
            total = (outs["y"] * dy.double()).sum()
        total.backward()
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump(config, f)
        p = subprocess.run([NN_CHECK, layer, d, "--threads", "1"], capture_output=True, text=True)
        if p.returncode != 0:
            RESULTS.append((layer, label, "run", math.inf))
            print(f"FAIL {layer} [{label}]: cogmap-nn-check exited {p.returncode}: {p.stderr.strip()}")
            return
        compare = {k: v.detach() for k, v in outs.items()}
        for name in grads:
            g = t[name].grad
            compare["grad_" + name] = torch.zeros_like(t[name]) if g is None else g
        for name, ref in compare.items():
            path = os.path.join(d, "c_" + name + ".npy")
            if not os.path.exists(path):
                RESULTS.append((layer, label, name, math.inf))
                print(f"FAIL {layer} [{label}] {name}: cogmap wrote no c_{name}.npy")
                continue
            got = torch.from_numpy(np.load(path)).double()
            ref = ref.reshape(got.shape) if ref.numel() == got.numel() else ref
            if got.shape != ref.shape:
                RESULTS.append((layer, label, name, math.inf))
                print(f"FAIL {layer} [{label}] {name}: shape {tuple(got.shape)}, torch {tuple(ref.shape)}")
                continue
            scale = max(ref.abs().max().item() if ref.numel() else 0.0, 1e-2)
            err = (got - ref).abs().max().item() / scale if ref.numel() else 0.0
            if not math.isfinite(err):
                err = math.inf
            RESULTS.append((layer, label, name, err))
            status = "ok  " if err < TOL else "FAIL"
            print(f"{status} {layer:20s} [{label}] {name:32s} error {err:.2e}")


# ------------------------------------------------------------------ recurrent

def ref_smp_lstm(t):
    x, w, b, h, c = t["x"], t["w"], t["b"], t["h0"], t["c0"]
    H = h.shape[1]
    hs, cs = [], []
    for step in range(x.shape[0]):
        z = torch.cat([x[step], h], dim=1) @ w + b
        i, j, f, o = z[:, :H], z[:, H:2 * H], z[:, 2 * H:3 * H], z[:, 3 * H:]
        c = torch.sigmoid(f + 1.0) * c + torch.sigmoid(i) * torch.tanh(j)
        h = torch.sigmoid(c) * torch.sigmoid(o)
        hs.append(h)
        cs.append(c)
    return {"y": torch.stack(hs), "c": torch.stack(cs)}


T, B, I, H = 5, 3, 4, 6
case("smp_lstm", "T5 B3 I4 H6", {"x": randn(T, B, I), "w": randn(I + H, 4 * H, sd=0.4), "b": randn(4 * H, sd=0.3),
                                 "h0": torch.rand(B, H), "c0": randn(B, H)}, ref_smp_lstm)


def gru_manual(x, h, w_ih, w_hh, b_ih, b_hh):
    H = h.shape[1]
    ys = []
    for step in range(x.shape[0]):
        gi, gh = x[step] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r = torch.sigmoid(gi[:, :H] + gh[:, :H])
        z = torch.sigmoid(gi[:, H:2 * H] + gh[:, H:2 * H])
        n = torch.tanh(gi[:, 2 * H:] + r * gh[:, 2 * H:])
        h = (1 - z) * n + z * h
        ys.append(h)
    return torch.stack(ys)


def ref_gru(t):
    # nn.GRU caches its flat weights, so functional_call cannot swap them in;
    # the formula is checked against nn.GRU itself first, then differentiated.
    In, Hh = t["weight_ih_l0"].shape[1], t["weight_hh_l0"].shape[1]
    m = torch.nn.GRU(In, Hh).double()
    with torch.no_grad():
        for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(m, k).copy_(t[k])
        want, _ = m(t["x"], t["h0"].unsqueeze(0))
        got = gru_manual(t["x"], t["h0"], *(t[k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0",
                                                              "bias_hh_l0")))
        assert (want - got).abs().max().item() < 1e-12, "the GRU formula disagrees with nn.GRU"
    return {"y": gru_manual(t["x"], t["h0"], t["weight_ih_l0"], t["weight_hh_l0"], t["bias_ih_l0"],
                            t["bias_hh_l0"])}


case("gru", "T4 B3 I5 H6", {"x": randn(4, 3, 5), "weight_ih_l0": randn(18, 5, sd=0.4),
                            "weight_hh_l0": randn(18, 6, sd=0.4), "bias_ih_l0": randn(18, sd=0.3),
                            "bias_hh_l0": randn(18, sd=0.3), "h0": randn(3, 6, sd=0.5)}, ref_gru)

# ---------------------------------------------------------------- convolutions


def conv_cfg(s, p, d, op=(0, 0)):
    return {"stride_h": s[0], "stride_w": s[1], "pad_h": p[0], "pad_w": p[1], "dilation_h": d[0],
            "dilation_w": d[1], "output_padding_h": op[0], "output_padding_w": op[1]}


for label, shape, wshape, s, p, d, bias in [
        ("3x3", (2, 3, 9, 8), (4, 3, 3, 3), (1, 1), (0, 0), (1, 1), True),
        ("BEV encoder k3 s2 p1", (2, 3, 16, 16), (8, 3, 3, 3), (2, 2), (1, 1), (1, 1), True),
        ("dilation 2 pad 2", (1, 2, 10, 9), (3, 2, 3, 3), (1, 1), (2, 2), (2, 2), True),
        ("mixed per-axis, no bias", (2, 3, 11, 7), (5, 3, 2, 3), (2, 1), (1, 0), (1, 2), False),
        ("1x1", (2, 6, 5, 5), (4, 6, 1, 1), (1, 1), (0, 0), (1, 1), True)]:
    inputs = {"x": randn(*shape), "weight": randn(*wshape, sd=0.3)}
    if bias:
        inputs["bias"] = randn(wshape[0], sd=0.3)

    def ref(t, s=s, p=p, d=d):
        return {"y": F.conv2d(t["x"], t["weight"], t.get("bias"), stride=s, padding=p, dilation=d)}
    case("conv2d", label, inputs, ref, conv_cfg(s, p, d))

for label, shape, wshape, s, p, op, d in [
        ("BEV upsampler k4 s2 p1", (2, 8, 4, 4), (8, 4, 4, 4), (2, 2), (1, 1), (0, 0), (1, 1)),
        ("k3 s2 p1 output_padding 1", (2, 3, 5, 4), (3, 2, 3, 3), (2, 2), (1, 1), (1, 1), (1, 1)),
        ("dilation 2", (1, 3, 4, 5), (3, 2, 3, 3), (1, 1), (0, 0), (0, 0), (2, 2)),
        ("mixed per-axis", (2, 2, 3, 4), (2, 3, 2, 3), (3, 2), (0, 1), (2, 1), (1, 1))]:
    inputs = {"x": randn(*shape), "weight": randn(*wshape, sd=0.3), "bias": randn(wshape[1], sd=0.3)}

    def ref(t, s=s, p=p, op=op, d=d):
        return {"y": F.conv_transpose2d(t["x"], t["weight"], t["bias"], stride=s, padding=p, output_padding=op,
                                        dilation=d)}
    case("conv_transpose2d", label, inputs, ref, conv_cfg(s, p, d, op))

# --------------------------------------------------------------- normalisation

for train in (1, 0):
    # cogmap takes [N, C, S]: a BatchNorm2d input travels with H, W flattened.
    for label, shape, image in (("2d [4, 3, 5, 6]", (4, 3, 30), (4, 3, 5, 6)), ("1d [8, 5]", (8, 5, 1), (8, 5))):
        C = shape[1]
        inputs = {"x": randn(*shape, sd=2.0) + 0.5, "weight": randn(C) + 1.0, "bias": randn(C),
                  "running_mean": randn(C, sd=0.3), "running_var": torch.rand(C) + 0.5}

        def ref(t, train=train, image=image):
            rm, rv = t["running_mean"].detach().clone(), t["running_var"].detach().clone()
            y = F.batch_norm(t["x"].reshape(image), rm, rv, t["weight"], t["bias"], training=bool(train), momentum=0.1, eps=1e-5)
            return {"y": y.reshape(t["x"].shape), "running_mean": rm, "running_var": rv}
        case("batchnorm", ("train " if train else "eval ") + label, inputs, ref, {"train": train},
             grads=["x", "weight", "bias"])

case("layernorm", "[12, 16]", {"x": randn(12, 16, sd=2.0), "weight": randn(16) + 1, "bias": randn(16)},
     lambda t: {"y": F.layer_norm(t["x"], (16,), t["weight"], t["bias"], 1e-5)})

# --------------------------------------------------------------------- pooling

case("maxpool2d", "ResNet k3 s2 p1", {"x": randn(2, 3, 9, 8)},
     lambda t: {"y": F.max_pool2d(t["x"], 3, 2, 1)}, {"kernel": 3, "stride": 2, "pad": 1})
case("avgpool2d", "k3 s2 p1 count_include_pad", {"x": randn(2, 3, 9, 8)},
     lambda t: {"y": F.avg_pool2d(t["x"], 3, 2, 1)}, {"kernel": 3, "stride": 2, "pad": 1})
case("global_avgpool", "[2, 4, 5, 3]", {"x": randn(2, 4, 5, 3)},
     lambda t: {"y": F.adaptive_avg_pool2d(t["x"], 1)})

# ------------------------------------------------------------------- attention


def mha_inputs(Lq, Lk, N, E, cross):
    d = {"query": randn(Lq, N, E)}
    if cross:
        d["key"] = randn(Lk, N, E)
        d["value"] = randn(Lk, N, E)
    d.update({"in_proj_weight": randn(3 * E, E, sd=0.3), "in_proj_bias": randn(3 * E, sd=0.1),
              "out_proj.weight": randn(E, E, sd=0.3), "out_proj.bias": randn(E, sd=0.1)})
    return d


def ref_mha(heads, causal=False, masks=False):
    def ref(t):
        q = t["query"]
        k, v = t.get("key", q), t.get("value", q)
        Lq, Lk = q.shape[0], k.shape[0]
        mask = t.get("attn_mask")
        if causal:
            c = torch.triu(torch.full((Lq, Lk), float("-inf"), dtype=torch.float64), diagonal=1)
            mask = c if mask is None else mask + c
        kpm = t["key_padding_mask"].bool() if "key_padding_mask" in t else None
        y, w = F.multi_head_attention_forward(
            q, k, v, q.shape[2], heads, t["in_proj_weight"], t["in_proj_bias"], None, None, False, 0.0,
            t["out_proj.weight"], t["out_proj.bias"], training=False, key_padding_mask=kpm, need_weights=True,
            attn_mask=mask)
        return {"y": y, "attn": w}
    return ref


case("mha", "self, 8 heads, E 32", mha_inputs(6, 6, 3, 32, False), ref_mha(8), {"heads": 8, "self": 1},
     grads=["query", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
inp = mha_inputs(5, 5, 2, 16, False)
inp["attn_mask"] = randn(5, 5, sd=0.5)
kpm = torch.zeros(2, 5)
kpm[1, 3] = 1.0
inp["key_padding_mask"] = kpm
case("mha", "self, causal + additive + key padding", inp, ref_mha(4, causal=True),
     {"heads": 4, "self": 1, "causal": 1},
     grads=["query", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
inp = mha_inputs(4, 7, 3, 16, True)
kpm = torch.zeros(3, 7)
kpm[0, 6] = kpm[2, 0] = 1.0
inp["key_padding_mask"] = kpm
case("mha", "cross Lq 4 Lk 7 + key padding", inp, ref_mha(2), {"heads": 2, "self": 0},
     grads=["query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])


def transformer_inputs(L, Lm, N, E, Fd, decoder):
    d = {"x": randn(L, N, E)}
    if decoder:
        d["memory"] = randn(Lm, N, E)
    attn = ["self_attn."] + (["multihead_attn."] if decoder else [])
    for a in attn:
        d[a + "in_proj_weight"] = randn(3 * E, E, sd=0.2)
        d[a + "in_proj_bias"] = randn(3 * E, sd=0.1)
        d[a + "out_proj.weight"] = randn(E, E, sd=0.2)
        d[a + "out_proj.bias"] = randn(E, sd=0.1)
    d["linear1.weight"] = randn(Fd, E, sd=0.2)
    d["linear1.bias"] = randn(Fd, sd=0.1)
    d["linear2.weight"] = randn(E, Fd, sd=0.2)
    d["linear2.bias"] = randn(E, sd=0.1)
    for k in range(1, 4 if decoder else 3):
        d[f"norm{k}.weight"] = randn(E, sd=0.2) + 1
        d[f"norm{k}.bias"] = randn(E, sd=0.1)
    return d


def ref_transformer(E, heads, Fd, decoder, causal=False):
    def ref(t):
        if decoder:
            m = torch.nn.TransformerDecoderLayer(E, heads, Fd, dropout=0.0).double()
        else:
            m = torch.nn.TransformerEncoderLayer(E, heads, Fd, dropout=0.0).double()
        masks = ("attn_mask", "key_padding_mask")
        params = {k: v for k, v in t.items() if k not in ("x", "memory") + masks}
        mask = t.get("attn_mask")
        kpm = t["key_padding_mask"].bool() if "key_padding_mask" in t else None
        if decoder:
            if causal:
                c = torch.nn.Transformer.generate_square_subsequent_mask(t["x"].shape[0]).double()
                mask = c if mask is None else mask + c
            y = stateless.functional_call(m, params, (t["x"], t["memory"]),
                                          {"tgt_mask": mask, "memory_key_padding_mask": kpm})
        else:
            y = stateless.functional_call(m, params, (t["x"],), {"src_mask": mask, "src_key_padding_mask": kpm})
        return {"y": y}
    return ref


def without_masks(d):
    return [k for k in d if k not in ("attn_mask", "key_padding_mask")]


case("transformer_encoder", "BEV-like E 32 8 heads ff 64, 4 tokens", transformer_inputs(4, 0, 6, 32, 64, False),
     ref_transformer(32, 8, 64, False), {"heads": 8})
case("transformer_decoder", "BEV-like 8 queries, 4 memory tokens", transformer_inputs(8, 4, 3, 32, 64, True),
     ref_transformer(32, 8, 64, True), {"heads": 8})
# The fast path (cm_sgemm products, the BEV predictor's): shapes large enough for its kernels.
case("transformer_encoder", "fast path, E 64 ff 256, 4 tokens x 64", transformer_inputs(4, 0, 64, 64, 256, False),
     ref_transformer(64, 8, 256, False), {"heads": 8, "fast": 1})
case("transformer_decoder", "fast path, 64 queries x 16, 4 memory tokens", transformer_inputs(64, 4, 16, 64, 256, True),
     ref_transformer(64, 8, 256, True), {"heads": 8, "fast": 1})
case("mha", "fast path, cross Lq 64 Lk 4, N 16, E 64", mha_inputs(64, 4, 16, 64, True), ref_mha(8),
     {"heads": 8, "self": 0, "fast": 1},
     grads=["query", "key", "value", "in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"])
case("transformer_decoder", "causal self-attention", transformer_inputs(5, 3, 2, 16, 24, True),
     ref_transformer(16, 4, 24, True, causal=True), {"heads": 4, "causal": 1})
inp = transformer_inputs(5, 0, 3, 16, 24, False)
inp["attn_mask"] = randn(5, 5, sd=0.5)
kpm = torch.zeros(3, 5)
kpm[1, 4] = kpm[2, 0] = 1.0
inp["key_padding_mask"] = kpm
case("transformer_encoder", "additive mask + key padding", inp, ref_transformer(16, 4, 24, False), {"heads": 4},
     grads=without_masks(inp))
inp = transformer_inputs(4, 6, 2, 16, 24, True)
kpm = torch.zeros(2, 6)
kpm[0, 5] = kpm[1, 1] = 1.0
inp["key_padding_mask"] = kpm
case("transformer_decoder", "memory key padding", inp, ref_transformer(16, 4, 24, True), {"heads": 4},
     grads=without_masks(inp))

case("resize_bilinear", "BEV head 256 -> 250, as 32 -> 31", {"x": randn(2, 4, 32, 32)},
     lambda t: {"y": F.interpolate(t["x"], size=(31, 31), mode="bilinear", align_corners=False)},
     {"out_h": 31, "out_w": 31})
case("resize_bilinear", "up 5x6 -> 9x13", {"x": randn(1, 3, 5, 6)},
     lambda t: {"y": F.interpolate(t["x"], size=(9, 13), mode="bilinear", align_corners=False)},
     {"out_h": 9, "out_w": 13})

# ---------------------------------------------------------------------- losses

shape = (2, 6, 7)
n = 2 * 6 * 7
p_in = torch.rand(*shape) * 0.9 + 0.05
case("bce", "mean, soft targets", {"x": p_in, "t": torch.rand(*shape)},
     lambda t: {"loss": F.binary_cross_entropy(t["x"], t["t"])}, {"scale": 1.0 / n}, grads=["x"], loss=True)
p_edge = torch.rand(*shape) * 0.9 + 0.05
p_edge[0, 0, :3] = torch.tensor([0.0, 1.0, 1e-30])
case("bce", "clamped logs at 0 and 1", {"x": p_edge, "t": (torch.rand(*shape) > 0.5).float()},
     lambda t: {"loss": F.binary_cross_entropy(t["x"], t["t"])}, {"scale": 1.0 / n}, grads=["x"], loss=True)
case("bce_logits", "mean", {"x": randn(*shape, sd=3.0), "t": torch.rand(*shape)},
     lambda t: {"loss": F.binary_cross_entropy_with_logits(t["x"], t["t"])}, {"scale": 1.0 / n}, grads=["x"],
     loss=True)
case("l1", "mean", {"x": randn(*shape), "t": randn(*shape)},
     lambda t: {"loss": F.l1_loss(t["x"], t["t"])}, {"scale": 1.0 / n}, grads=["x"], loss=True)


def ref_tv(t):
    a = t["x"]
    return {"loss": ((a[..., :, :-1] - a[..., :, 1:]).abs().mean() + (a[..., :-1, :] - a[..., 1:, :]).abs().mean()) / 2}


case("tv", "BEVLoss smoothness [2, 6, 7]", {"x": randn(*shape)}, ref_tv, grads=["x"], loss=True)

# ------------------------------------------------ the engine core (branch nn)

case("linear", "[7, 5] -> 4", {"x": randn(7, 5), "weight": randn(4, 5, sd=0.4), "bias": randn(4, sd=0.3)},
     lambda t: {"y": F.linear(t["x"], t["weight"], t["bias"])})
case("linear", "no bias", {"x": randn(6, 3), "weight": randn(5, 3, sd=0.4)},
     lambda t: {"y": F.linear(t["x"], t["weight"])})
case("relu", "[6, 7]", {"x": randn(6, 7)}, lambda t: {"y": F.relu(t["x"])})
case("tanh", "[6, 7]", {"x": randn(6, 7, sd=2.0)}, lambda t: {"y": torch.tanh(t["x"])})
case("sigmoid", "[6, 7]", {"x": randn(6, 7, sd=2.0)}, lambda t: {"y": torch.sigmoid(t["x"])})


def rnn_manual(kind, x, h, c, w_ih, w_hh, b_ih, b_hh):
    ys = []
    for step in range(x.shape[0]):
        g = x[step] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        if kind == "lstm":
            i, f, gg, o = g.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            h = torch.relu(g) if kind == "relu" else torch.tanh(g)
        ys.append(h)
    return torch.stack(ys)


def ref_recurrent(kind):
    # As for the GRU: the formula is checked against nn.RNN / nn.LSTM, then differentiated.
    names = ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")

    def ref(t):
        In, Hh = t["weight_ih_l0"].shape[1], t["weight_hh_l0"].shape[1]
        c0 = t.get("c0")
        m = (torch.nn.LSTM(In, Hh) if kind == "lstm" else torch.nn.RNN(In, Hh, nonlinearity=kind)).double()
        with torch.no_grad():
            for k in names:
                getattr(m, k).copy_(t[k])
            h0 = t["h0"].unsqueeze(0)
            want, _ = m(t["x"], (h0, c0.unsqueeze(0)) if kind == "lstm" else h0)
            got = rnn_manual(kind, t["x"], t["h0"], c0, *(t[k] for k in names))
            assert (want - got).abs().max().item() < 1e-12, f"the {kind} formula disagrees with torch.nn"
        return {"y": rnn_manual(kind, t["x"], t["h0"], c0, *(t[k] for k in names))}
    return ref


def rnn_inputs(T, B, In, H, gates, cell):
    d = {"x": randn(T, B, In), "weight_ih_l0": randn(gates * H, In, sd=0.4),
         "weight_hh_l0": randn(gates * H, H, sd=0.4), "bias_ih_l0": randn(gates * H, sd=0.2),
         "bias_hh_l0": randn(gates * H, sd=0.2), "h0": randn(B, H, sd=0.5)}
    if cell:
        d["c0"] = randn(B, H, sd=0.5)
    return d


case("rnn", "relu T5 B3 I4 H6", rnn_inputs(5, 3, 4, 6, 1, False), ref_recurrent("relu"), {"nonlinearity": 0})
case("rnn", "tanh T5 B3 I4 H6", rnn_inputs(5, 3, 4, 6, 1, False), ref_recurrent("tanh"), {"nonlinearity": 1})
case("lstm", "T5 B3 I4 H6", rnn_inputs(5, 3, 4, 6, 4, True), ref_recurrent("lstm"))
case("log_softmax", "[5, 9]", {"x": randn(5, 9, sd=3.0)}, lambda t: {"y": F.log_softmax(t["x"], dim=1)})
q = torch.softmax(randn(5, 9), dim=1)
case("softmax_xent", "soft targets, scale 1/N", {"x": randn(5, 9, sd=2.0), "t": q},
     lambda t: {"loss": -(t["t"] * F.log_softmax(t["x"], dim=1)).sum() / 5}, {"scale": 0.2}, grads=["x"],
     loss=True)
case("kl_div", "sum, scale 1/N", {"x": F.log_softmax(randn(5, 9), dim=1), "t": q},
     lambda t: {"loss": F.kl_div(t["x"], t["t"], reduction="sum") / 5}, {"scale": 0.2}, loss=True)
case("mse", "mean", {"x": randn(5, 9), "t": randn(5, 9)}, lambda t: {"loss": F.mse_loss(t["x"], t["t"])},
     grads=["x"], loss=True)

# ------------------------------------------------- the models' case files

HERE = os.path.dirname(os.path.abspath(__file__))
for extra in sorted(glob.glob(os.path.join(HERE, "check_torch_*.py"))):
    with open(extra) as f:
        exec(compile(f.read(), extra, "exec"), globals())

# ------------------------------------------------------------------------ run

for c in CASES:
    if not ONLY or c[0] in ONLY:
        run_case(*c)
failed = [r for r in RESULTS if not r[3] < TOL]
layers = sorted({r[0] for r in RESULTS})
print(f"\ncheck-torch: {len(RESULTS)} tensors over {len(layers)} layers ({', '.join(layers)}); "
      f"worst error {max((r[3] for r in RESULTS), default=0):.2e}; {len(failed)} failed (tolerance {TOL:g})")
sys.exit(1 if failed or not RESULTS else 0)
