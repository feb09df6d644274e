#!/usr/bin/python3
"""scripts/pth-to-safetensors on checkpoints shaped exactly as SSM-PC's trainers save them
(issue 12 item 0), and `cogmap eval --from-checkpoint` handed a .pth. Exit 77 without torch.

The networks are rebuilt here from the spec (ssm-pc.md §4.2, §6.2, §7) so that their
state_dict() names and shapes are PyTorch's own; the optimiser and scheduler states come from the
real torch.optim classes after a step, the metrics from a defaultdict(list) of Python and numpy
floats, the processed chunks from a set, as train_grid_cells.py, train_multi_gpu.py and
train_target_detector.py write them.
"""
import collections
import importlib.machinery
import importlib.util
import math
import os
import stat
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
    import torch.nn as nn
except ImportError as e:
    print(f"skipping: {sys.executable} lacks {e.name} (scripts/install-deps.sh --torch)")
    sys.exit(77)

SRC = os.environ.get("COGMAP_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
BIN = os.environ.get("COGMAP_BIN")
CONVERTER = os.path.join(SRC, "scripts", "pth-to-safetensors")
torch.manual_seed(0)
failures = []


def check(cond, what):
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures.append(what)


def load_converter():
    loader = importlib.machinery.SourceFileLoader("pth_to_safetensors", CONVERTER)
    spec = importlib.util.spec_from_loader("pth_to_safetensors", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


CONV = None


def convert(src, dst, *extra, umask=None):
    """The converter's main() in this process (one torch import for the whole test)."""
    import contextlib
    import io
    import types

    old = os.umask(umask) if umask is not None else None
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            rc = CONV.main(["pth-to-safetensors", src, dst, *extra])
    finally:
        if old is not None:
            os.umask(old)
    return types.SimpleNamespace(returncode=rc, stdout=out.getvalue(), stderr=err.getvalue())


def read_safetensors(path):
    import json
    import struct

    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    dt = {"F32": np.float32, "I64": np.int64, "F64": np.float64}
    out = {}
    for k, e in header.items():
        a, b = e["data_offsets"]
        out[k] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype=dt[e["dtype"]]).reshape(e["shape"])
    return out, meta


# ----------------------------------------------------------------------- the networks


class GridCellNetwork(nn.Module):  # ssm-pc.md §4.2
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(3, 128)
        self.bottleneck = nn.Sequential(nn.Linear(128, 256, bias=False), nn.Dropout(0.5))
        self.place_predictor = nn.Linear(256, 256)
        self.hd_predictor = nn.Linear(256, 12)
        self.init_fc = nn.Linear(268, 256)
        self.h0_init = nn.Linear(268, 128)
        self.c0_init = nn.Linear(268, 128)


class PositionalEncoding(nn.Module):  # the fixed table of ssm-pc.md §6.2
    def __init__(self, d, max_len=5000):
        super().__init__()
        pe = torch.zeros(max_len, d)
        pos = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div = torch.exp(torch.arange(0, d, 2).float() * (-math.log(10000.0) / d))
        pe[:, 0::2] = torch.sin(pos * div)
        pe[:, 1::2] = torch.cos(pos * div)
        self.register_buffer("pe", pe.unsqueeze(1))


class Encoder(nn.Module):
    def __init__(self, d=256):
        super().__init__()
        c = [3, 32, 64, 128, d]
        layers = []
        for i in range(4):
            layers += [nn.Conv2d(c[i], c[i + 1], 3, 2, 1), nn.BatchNorm2d(c[i + 1]), nn.ReLU(True)]
        self.features = nn.Sequential(*layers)
        self.transformer = nn.TransformerEncoder(nn.TransformerEncoderLayer(d, 8, 2048, 0.1), 3)
        self.pos_encoder = PositionalEncoding(d)


class Decoder(nn.Module):
    def __init__(self, d=256):
        super().__init__()
        self.transformer = nn.TransformerDecoder(nn.TransformerDecoderLayer(d, 8, 2048, 0.1), 3)
        self.pos_encoder = PositionalEncoding(d)
        self.initial_proj = nn.Linear(4 * d, d)
        c = [d, 128, 64, 32, 16, 8]
        layers = []
        for i in range(5):
            layers += [nn.ConvTranspose2d(c[i], c[i + 1], 4, 2, 1), nn.BatchNorm2d(c[i + 1]), nn.ReLU(True)]
        self.decoder = nn.Sequential(*layers, nn.Conv2d(8, 4, 3, padding=1))


class BEVPredictor(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Encoder()
        self.decoder = Decoder()


class BasicBlock(nn.Module):  # torchvision's names
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))


class TargetDetector(nn.Module):  # ssm-pc.md §7
    def __init__(self, w=64):
        super().__init__()
        fe = nn.Module()
        fe.backbone = nn.Sequential(
            nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(True), nn.MaxPool2d(3, 2, 1),
            nn.Sequential(BasicBlock(w, w, 1), BasicBlock(w, w, 1)),
            nn.Sequential(BasicBlock(w, 2 * w, 2), BasicBlock(2 * w, 2 * w, 1)),
            nn.Sequential(BasicBlock(2 * w, 4 * w, 2), BasicBlock(4 * w, 4 * w, 1)))
        fe.spatial_conv = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 1), nn.BatchNorm2d(2 * w), nn.ReLU(True),
                                        nn.Conv2d(2 * w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU(True))
        self.feature_extractor = fe
        pp = nn.Module()
        pp.shared_attention = nn.Sequential(nn.Conv2d(w, w // 2, 1), nn.BatchNorm2d(w // 2), nn.ReLU(True),
                                            nn.Conv2d(w // 2, 6, 1))
        pp.position_decoder = nn.Sequential(nn.Linear(w + 2, 64), nn.LayerNorm(64), nn.ReLU(True), nn.Dropout(0.2),
                                            nn.Linear(64, 2))
        self.position_predictor = pp
        self.visibility_predictor = nn.Sequential(nn.Linear(w + 2, 64), nn.LayerNorm(64), nn.ReLU(True),
                                                  nn.Dropout(0.2), nn.Linear(64, 6), nn.Sigmoid())


class Evil:
    """Unpickling it would run a shell command."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.system, ("touch " + self.path,))


class Config:  # a trainer's own class: unpickling it needs the trainer's code; refused by name
    lr = 1e-3


def trainer_state(model, optimizer_cls, **opt):
    """optimizer and scheduler states after one step, as a trainer holds them."""
    params = [p for p in model.parameters()]
    optimizer = optimizer_cls(params, **opt)
    scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, mode="min", factor=0.5, patience=5)
    for p in params:
        p.grad = torch.randn_like(p) * 1e-3
    optimizer.step()
    scheduler.step(0.75)
    return optimizer.state_dict(), scheduler.state_dict()


def main():
    global CONV
    conv = CONV = load_converter()
    tmp = tempfile.mkdtemp(prefix="cogmap-pth-")
    p = lambda name: os.path.join(tmp, name)

    # --- grid cells: train_grid_cells.py's best_model.pth (DDP-wrapped names)
    grid = GridCellNetwork()
    opt, sched = trainer_state(grid, torch.optim.RMSprop, lr=1e-3, momentum=0.9, weight_decay=1e-4)
    metrics = collections.defaultdict(list)
    metrics["train_total"] += [1.5, float(np.float64(1.25))]
    metrics["val_place"].append(np.float64(0.5))  # numpy scalars, as np.mean returns them
    sd = {"module." + k: v for k, v in grid.state_dict().items()}
    torch.save({"epoch": 7, "model_state_dict": sd, "optimizer_state_dict": opt, "scheduler_state_dict": sched,
                "best_val_loss": 0.8125, "metrics_history": metrics, "processed_chunks": {0, 2, 5}},
               p("grid_best_model.pth"))
    r = convert(p("grid_best_model.pth"), p("grid.safetensors"), umask=0o027)
    check(r.returncode == 0, f"grid trainer checkpoint converts ({r.stdout.strip()}{r.stderr.strip()})")
    if r.returncode == 0:
        t, meta = read_safetensors(p("grid.safetensors"))
        same = all(np.array_equal(t[k], v.numpy()) for k, v in grid.state_dict().items())
        check(same and len(t) == 15, "grid tensors: names without module., values equal")
        check(meta.get("epoch") == "7" and meta.get("best_val_loss") == "0.8125", f"grid metadata {meta}")
        mode = stat.S_IMODE(os.stat(p("grid.safetensors")).st_mode)
        check(mode == 0o640, f"output mode follows umask 027: {oct(mode)}")
    # once as the program a user runs
    r = subprocess.run([sys.executable, CONVERTER, p("grid_best_model.pth"), p("grid2.safetensors")],
                       capture_output=True, text=True, preexec_fn=lambda: os.umask(0o002))
    mode = stat.S_IMODE(os.stat(p("grid2.safetensors")).st_mode) if r.returncode == 0 else 0
    check(mode == 0o664, f"output mode follows umask 002: {oct(mode)}")

    # --- BEV: train_multi_gpu.py's best_model.pth, with the two fixed pos_encoder.pe buffers
    bev = BEVPredictor()
    n_params = sum(x.numel() for x in bev.parameters())
    n_values = sum(v.numel() for k, v in bev.state_dict().items() if v.is_floating_point() and "running_" not in k)
    check(n_params == 10032652 and n_values == 12592652 and len(bev.state_dict()) == 159,
          f"rebuilt BEV: {n_params} parameters, {n_values} values, {len(bev.state_dict())} entries")
    check(set(bev.state_dict()) == set(conv.bev_shapes()) and
          all(tuple(v.shape) == conv.bev_shapes()[k] for k, v in bev.state_dict().items()),
          "converter's BEV table = PyTorch's state dict")
    opt, sched = trainer_state(bev, torch.optim.Adam, lr=3e-4)
    torch.save({"epoch": 12, "model_state_dict": bev.state_dict(), "optimizer_state_dict": opt,
                "scheduler_state_dict": sched, "val_loss": 0.3, "best_val_loss": 0.25}, p("bev_best_model.pth"))
    r = convert(p("bev_best_model.pth"), p("bev.safetensors"))
    check(r.returncode == 0 and "dropped the fixed buffers encoder.pos_encoder.pe, decoder.pos_encoder.pe" in r.stdout,
          f"BEV trainer checkpoint converts, pe dropped ({r.stdout.strip()}{r.stderr.strip()})")
    if r.returncode == 0:
        t, meta = read_safetensors(p("bev.safetensors"))
        kept = {k: v for k, v in bev.state_dict().items() if not k.endswith("pos_encoder.pe")}
        check(set(t) == set(kept) and all(np.array_equal(t[k], v.numpy()) for k, v in kept.items()),
              "BEV: 157 tensors kept with their values")
        check(meta.get("dropped") == "encoder.pos_encoder.pe,decoder.pos_encoder.pe", f"BEV metadata {meta}")
    # a pe that is not the fixed table is not the network cogmap implements; a BEV of another
    # architecture has its first offending tensor named (in-process: the checks behind the files)
    bad = dict(bev.state_dict())
    bad["decoder.pos_encoder.pe"] = bad["decoder.pos_encoder.pe"] + 0.1
    other = dict(bev.state_dict())
    other["decoder.initial_proj.weight"] = torch.zeros(256, 512)
    for sd, words in ((bad, ["decoder.pos_encoder.pe", "sinusoidal"]),
                      (other, ["decoder.initial_proj.weight", "[256, 1024]", "[256, 512]"])):
        try:
            conv.check(sd, "bev", "bev.pth")
            msg = "accepted"
        except conv.ConversionError as e:
            msg = str(e)
        check(all(w in msg for w in words), f"refused naming the tensor ({msg})")

    # --- target detector: train_target_detector.py's state (val_metrics from scikit-learn: numpy)
    det = TargetDetector()
    n_det = sum(x.numel() for x in det.parameters())
    check(n_det == 2901550, f"rebuilt detector: {n_det} parameters")
    check(set(det.state_dict()) == set(conv.detector_shapes()) and
          all(tuple(v.shape) == conv.detector_shapes()[k] for k, v in det.state_dict().items()),
          "converter's detector table = PyTorch's state dict")
    opt, sched = trainer_state(det, torch.optim.Adam, lr=3e-4)
    torch.save({"epoch": 3, "model_state_dict": det.state_dict(), "optimizer_state_dict": opt,
                "scheduler_state_dict": sched,
                "val_metrics": {"visibility_ap": np.float64(0.875), "position_error": 0.125},
                "best_val_loss": np.float64(0.5)}, p("det_best_model.pth"))
    r = convert(p("det_best_model.pth"), p("det.safetensors"))
    check(r.returncode == 0 and "(detector, 125 tensors)" in r.stdout,
          f"detector checkpoint converts ({r.stdout.strip()}{r.stderr.strip()})")

    # --- hostile and foreign objects: refused by name, nothing run, nothing written
    torch.save({"epoch": 1, "model_state_dict": grid.state_dict(), "config": Evil(p("pwned"))}, p("evil.pth"))
    r = convert(p("evil.pth"), p("evil.safetensors"))
    check(r.returncode == 1 and "refuses to construct" in r.stderr and "system" in r.stderr
          and not os.path.exists(p("pwned")) and not os.path.exists(p("evil.safetensors")),
          f"hostile pickle refused ({r.stderr.strip()})")

    torch.save({"model_state_dict": grid.state_dict(), "config": Config()}, p("config.pth"))
    r = convert(p("config.pth"), p("config.safetensors"))
    check(r.returncode == 1 and "Config" in r.stderr, f"trainer class refused ({r.stderr.strip()})")
    with open(p("truncated.pth"), "wb") as f:
        f.write(open(p("grid_best_model.pth"), "rb").read()[:300])
    r = convert(p("truncated.pth"), p("trunc.safetensors"))
    check(r.returncode == 1 and "truncated.pth" in r.stderr, f"truncated file named ({r.stderr.strip()})")
    legacy = p("legacy.pth")
    torch.save(grid.state_dict(), legacy, _use_new_zipfile_serialization=False)
    r = convert(legacy, p("legacy.safetensors"))
    check(r.returncode == 1 and "legacy (pre-1.6) format" in r.stderr, f"legacy format refused ({r.stderr.strip()})")
    left = [f for f in os.listdir(tmp) if f.startswith(".pth-to-safetensors.")]
    check(not left, f"no temporary files left: {left}")

    # --- the CLI handed a .pth: says what it is and what to run
    if BIN:
        for name in ("grid_best_model.pth",):
            r = subprocess.run([BIN, "eval", "--from-checkpoint", p(name), "--preset", "ssmpc", "--out",
                                p("eval-out")], capture_output=True, text=True)
            check(r.returncode != 0 and "this is a PyTorch .pth, convert it with scripts/pth-to-safetensors"
                  in r.stderr and not os.path.exists(p("eval-out")), f"eval --from-checkpoint .pth: {r.stderr.strip()}")
        legacy = p("legacy.pth")
        torch.save(grid.state_dict(), legacy, _use_new_zipfile_serialization=False)
        r = subprocess.run([BIN, "eval", "--from-checkpoint", legacy, "--preset", "ssmpc", "--out", p("eval-out")],
                           capture_output=True, text=True)
        check(r.returncode != 0 and "scripts/pth-to-safetensors" in r.stderr, f"legacy .pth named: {r.stderr.strip()}")
    else:
        print("note: COGMAP_BIN unset, the CLI checks are skipped")
    subprocess.run(["rm", "-rf", tmp])
    if failures:
        print(f"{len(failures)} failed")
        return 1
    print("py_pth_checkpoints: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
