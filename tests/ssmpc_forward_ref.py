"""A synthetic SSM-PC grid-cell checkpoint (the released state-dict names and shapes, ssm-pc.md
§4.2) as safetensors, plus SSM-PC's forward pass on it computed independently in numpy (and,
when torch is importable, checked against torch.nn.LSTM). Used by test_models_released.c.

usage: ssmpc_forward_ref.py OUT_DIR B T
writes OUT_DIR/ckpt.safetensors and OUT_DIR/ref.npz (velocity, init_place, init_hd,
bottleneck, place_logits, hd_logits; float32, batch-major)."""
import json
import os
import struct
import sys

import numpy as np

out, B, T = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
H, NB, NP, NH, I = 128, 256, 256, 12, 3
shapes = {"lstm.weight_ih_l0": (4 * H, I), "lstm.weight_hh_l0": (4 * H, H), "lstm.bias_ih_l0": (4 * H,),
          "lstm.bias_hh_l0": (4 * H,), "bottleneck.0.weight": (NB, H), "place_predictor.weight": (NP, NB),
          "place_predictor.bias": (NP,), "hd_predictor.weight": (NH, NB), "hd_predictor.bias": (NH,),
          "init_fc.weight": (NB, NP + NH), "init_fc.bias": (NB,), "h0_init.weight": (H, NP + NH),
          "h0_init.bias": (H,), "c0_init.weight": (H, NP + NH), "c0_init.bias": (H,)}
r = np.random.RandomState(7)
# PyTorch's default scale, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), with a wider recurrent weight so
# that the dynamics are not trivially damped.
sd = {}
for k, s in shapes.items():
    fan = s[1] if len(s) == 2 else (H if k.startswith("lstm") else s[0])
    sd[k] = r.uniform(-1, 1, s).astype(np.float32) / np.float32(np.sqrt(fan)) * np.float32(2 if "hh" in k else 1)

hdr, off, blobs = {}, 0, []
for k in sorted(sd):
    b = sd[k].tobytes()
    hdr[k] = {"dtype": "F32", "shape": list(sd[k].shape), "data_offsets": [off, off + len(b)]}
    off += len(b)
    blobs.append(b)
hdr["__metadata__"] = {"format": "pt"}
h = json.dumps(hdr).encode()
h += b" " * (-len(h) % 8)
with open(os.path.join(out, "ckpt.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))

vel = np.concatenate([r.normal(0, 0.3, (B, T, 2)), r.normal(0, 0.2, (B, T, 1))], 2).astype(np.float32)
ip = r.dirichlet(np.ones(NP) * 0.3, B).astype(np.float32)
ih = r.dirichlet(np.ones(NH) * 0.3, B).astype(np.float32)

W = {k: v.astype(np.float64) for k, v in sd.items()}
sig = lambda x: 1 / (1 + np.exp(-x))
r0 = np.concatenate([ip, ih], 1).astype(np.float64)
hh = r0 @ W["h0_init.weight"].T + W["h0_init.bias"]
cc = r0 @ W["c0_init.weight"].T + W["c0_init.bias"]
hs = np.zeros((B, T, H))
for t in range(T):
    z = vel[:, t] @ W["lstm.weight_ih_l0"].T + W["lstm.bias_ih_l0"] + hh @ W["lstm.weight_hh_l0"].T + W["lstm.bias_hh_l0"]
    i, f, g, o = sig(z[:, :H]), sig(z[:, H:2 * H]), np.tanh(z[:, 2 * H:3 * H]), sig(z[:, 3 * H:])
    cc = f * cc + i * g
    hh = o * np.tanh(cc)
    hs[:, t] = hh
zb = hs @ W["bottleneck.0.weight"].T
pl = zb @ W["place_predictor.weight"].T + W["place_predictor.bias"]
hl = zb @ W["hd_predictor.weight"].T + W["hd_predictor.bias"]

try:
    import torch
except ImportError:
    torch = None
if torch is not None:  # the real nn.LSTM on the same weights must agree with the numpy pass
    lstm = torch.nn.LSTM(I, H, batch_first=True)
    with torch.no_grad():
        for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
            getattr(lstm, k).copy_(torch.from_numpy(sd["lstm." + k]))
        r0t = torch.from_numpy(r0.astype(np.float32))
        h0 = r0t @ torch.from_numpy(sd["h0_init.weight"]).T + torch.from_numpy(sd["h0_init.bias"])
        c0 = r0t @ torch.from_numpy(sd["c0_init.weight"]).T + torch.from_numpy(sd["c0_init.bias"])
        ht, _ = lstm(torch.from_numpy(vel), (h0[None], c0[None]))
        zt = (ht @ torch.from_numpy(sd["bottleneck.0.weight"]).T).numpy()
    assert np.max(np.abs(zt - zb)) < 1e-4, np.max(np.abs(zt - zb))

np.savez(os.path.join(out, "ref.npz"), velocity=vel, init_place=ip, init_hd=ih, bottleneck=zb.astype(np.float32),
         place_logits=pl.astype(np.float32), hd_logits=hl.astype(np.float32),
         torch_checked=np.array(torch is not None))
