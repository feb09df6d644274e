"""SSM-PC's BEV predictor built in PyTorch from the spec (ssm-pc.md §6.2-6.3),
with the state-dict names of the original's bev_net.py, for comparing cogmap
against PyTorch (bench/check_torch_bevnet.py) and timing it (bench/bev_torch.py).

The sizes come from a cogmap BEV configuration (the dict cm_bevnet_config_to_json
writes; "bev" is SSM-PC's model). Also here: BEVLoss (§6.3), ImageNet
normalisation, and a minimal safetensors reader/writer (the Debian python has
no safetensors package).
"""
import json
import math
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

BEV = {"preset": "bev", "image": 64, "enc_channels": [32, 64, 128, 256], "heads": 8, "ff": 2048,
       "enc_layers": 3, "dec_layers": 3, "dropout": 0.1, "grid": 8, "n_up": 5,
       "up_channels": [128, 64, 32, 16, 8], "out": 250, "window": 250}
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


def sinusoid(positions, d):
    """PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d)), float32 as PyTorch builds it."""
    import os
    dt = torch.float64 if os.environ.get("BEV_PE64") else torch.float32
    pe = torch.zeros(positions, d, dtype=dt)
    p = torch.arange(positions, dtype=dt)[:, None]
    freq = torch.exp(torch.arange(0, d, 2, dtype=dt) * (-math.log(10000.0) / d))
    pe[:, 0::2] = torch.sin(p * freq)
    pe[:, 1::2] = torch.cos(p * freq)
    return pe.float()


class Positions(nn.Module):
    """Holds the fixed table as a buffer named `pe` [5000, 1, d], as the original does."""

    def __init__(self, d, rows=5000):
        super().__init__()
        self.register_buffer("pe", sinusoid(rows, d)[:, None, :])


def conv_bn_relu(cin, cout, transposed):
    conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1) if transposed else nn.Conv2d(cin, cout, 3, 2, 1)
    return [conv, nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        layers, cin = [], 3
        for cout in c["enc_channels"]:
            layers += conv_bn_relu(cin, cout, False)
            cin = cout
        self.features = nn.Sequential(*layers)
        layer = nn.TransformerEncoderLayer(cin, c["heads"], c["ff"], c["dropout"])
        self.transformer = nn.TransformerEncoder(layer, c["enc_layers"], enable_nested_tensor=False)
        self.pos_encoder = Positions(cin)

    def forward(self, x):
        f = self.features(x)
        B, C, H, W = f.shape
        # tokens along a row: sequence = the W columns, batch = (b, h)
        tok = f.permute(3, 0, 2, 1).reshape(W, B * H, C) + self.pos_encoder.pe[:W].to(f.dtype)
        return self.transformer(tok)  # [W, B*H, C]: the decoder's memory as is


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d, self.grid, self.hf, self.out = c["enc_channels"][-1], c["grid"], c["image"] // 16, c["out"]
        layer = nn.TransformerDecoderLayer(d, c["heads"], c["ff"], c["dropout"])
        self.transformer = nn.TransformerDecoder(layer, c["dec_layers"])
        self.pos_encoder = Positions(d)
        self.initial_proj = nn.Linear(self.hf * d, d)
        layers, cin = [], d
        for cout in c["up_channels"][:c["n_up"]]:
            layers += conv_bn_relu(cin, cout, True)
            cin = cout
        layers.append(nn.Conv2d(cin, 4, 3, padding=1))
        self.decoder = nn.Sequential(*layers)

    def forward(self, mem):
        W, N, d = mem.shape
        B, q = N // self.hf, self.grid * self.grid
        queries = self.pos_encoder.pe[:q].to(mem.dtype).expand(q, N, d)  # zero content + PE
        y = self.transformer(queries, mem)  # [q, B*hf, d]
        y = y.permute(1, 2, 0).reshape(B, self.hf * d, self.grid, self.grid)
        y = self.initial_proj(y.permute(0, 2, 3, 1)).permute(0, 3, 1, 2)
        x = self.decoder(y)
        rgb, alpha = torch.sigmoid(x[:, :3]), torch.sigmoid(x[:, 3:])
        size = (self.out, self.out)
        rgb = F.interpolate(rgb, size=size, mode="bilinear", align_corners=False)
        alpha = F.interpolate(alpha, size=size, mode="bilinear", align_corners=False)
        return torch.cat([rgb, alpha], 1)


class BEVPredictor(nn.Module):
    def __init__(self, c=BEV):
        super().__init__()
        self.encoder = Encoder(c)
        self.decoder = Decoder(c)

    def forward(self, x):
        return self.decoder(self.encoder(x))


def normalise(rgb_u8, dtype=torch.float32):
    """uint8 [n, S, S, 3] -> ImageNet-normalised [n, 3, S, S]."""
    x = torch.from_numpy(np.ascontiguousarray(rgb_u8)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(IMAGENET_MEAN)[None, :, None, None]
    sd = torch.tensor(IMAGENET_STD)[None, :, None, None]
    return ((x - mean) / sd).to(dtype)


def target_tensor(target_u8, dtype=torch.float32):
    """uint8 RGBA [n, O, O, 4] -> [n, 4, O, O] in [0, 1] (ToTensor)."""
    return (torch.from_numpy(np.ascontiguousarray(target_u8)).permute(0, 3, 1, 2).float() / 255.0).to(dtype)


def bev_loss(pred, target, alpha_w=1.0, rgb_w=0.5, smooth_w=0.1):
    """SSM-PC's BEVLoss (ssm-pc.md §6.3)."""
    a_hat, a = pred[:, 3], target[:, 3]
    l_alpha = F.binary_cross_entropy(a_hat, a)
    m = (a > 0.5).to(pred.dtype)[:, None]
    l_rgb = F.mse_loss(pred[:, :3] * m, target[:, :3] * m)
    l_smooth = ((a_hat[..., :, :-1] - a_hat[..., :, 1:]).abs().mean() +
                (a_hat[..., :-1, :] - a_hat[..., 1:, :]).abs().mean()) / 2
    return alpha_w * l_alpha + rgb_w * l_rgb + smooth_w * l_smooth


ST_DTYPES = {torch.float32: ("F32", 4), torch.float64: ("F64", 8), torch.int64: ("I64", 8)}
NP_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64}


def save_safetensors(path, tensors):
    header, blobs, at = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().contiguous().cpu()
        code, _ = ST_DTYPES[t.dtype]
        raw = t.numpy().tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [at, at + len(raw)]}
        blobs.append(raw)
        at += len(raw)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, h in header.items():
        if name == "__metadata__":
            continue
        a, b = h["data_offsets"]
        out[name] = torch.from_numpy(np.frombuffer(data[a:b], dtype=NP_DTYPES[h["dtype"]]).reshape(h["shape"]).copy())
    return out
