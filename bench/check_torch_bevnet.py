"""The whole BEV predictor against PyTorch (loaded by check_torch.py, which
defines case, randn, torch, F, np, RESULTS, TOL, NN_CHECK and ONLY).

SSM-PC's architecture is built in PyTorch from the spec (bevnet_torch.py) with
PyTorch's initialisation, its BatchNorm parameters and running statistics
perturbed so that they matter; its state dict (with the pos_encoder.pe and
num_batches_tracked buffers cogmap ignores) is saved as safetensors, and
`cogmap-nn-check bevnet DIR` loads it and runs the same frames and targets.
The reference runs in float64. Compared: the prediction and the loss; in
training mode (batch statistics, dropout 0) also the gradient of every
parameter and the running statistics after the step, each as the relative
error in the L2 norm against float64; a tensor passes below TOL or within 10x
the error of PyTorch's own float32 run. Cases: the full "bev" preset (batch 2)
in training and evaluation mode, and "bev-small".
"""
import copy
import json
import math
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bevnet_torch as bt  # noqa: E402

BEV_SMALL = dict(bt.BEV, preset="bev-small", enc_channels=[16, 32, 64, 64], heads=4, ff=256, enc_layers=2,
                 dec_layers=2, n_up=3, up_channels=[32, 16, 8], out=64, window=192)


def bevnet_error(got, ref):
    """Relative error in the L2 norm, ||got - ref|| / ||ref||: the model's gradients
    are 1e-6..1e-2 in size, below check_torch.py's absolute floor of 1e-2. Tensors
    whose gradient is 0 in exact arithmetic (the conv biases before a BatchNorm) are
    measured against an RMS of 1e-7 instead."""
    got, ref = got.double(), ref.double().reshape(got.shape)
    err = (got - ref).norm().item() / max(ref.norm().item(), 1e-7 * math.sqrt(ref.numel()))
    return err if err == err else math.inf


def near_kinks(model, rgb, margin):
    """ReLU inputs within `margin` of 0 in the encoder (BatchNorm outputs, feed-forward
    layers): there float32 and float64 may take different sides of the kink, and with
    few tokens one flipped unit changes a gradient row by percents. Seeds with such
    inputs are skipped (the decoder's and upsampler's ReLUs see hundreds of positions
    per unit, where one flip is far below the tolerance)."""
    found = []
    hooks = [mod.register_forward_hook(lambda m, i, o: found.append(o.detach().abs().min().item()))
             for mod in model.encoder.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
    hooks += [layer.linear1.register_forward_hook(lambda m, i, o: found.append(o.detach().abs().min().item()))
              for layer in model.encoder.transformer.layers]
    with torch.no_grad():
        model(bt.normalise(rgb, torch.float64))
    for h in hooks:
        h.remove()
    return min(found) < margin


def bevnet_inputs(cfg, n, seed):
    torch.manual_seed(seed)
    model = bt.BEVPredictor(cfg)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.uniform_(-0.2, 0.2)
                mod.running_mean.uniform_(-0.3, 0.3)
                mod.running_var.uniform_(0.5, 2.0)
                mod.num_batches_tracked.fill_(7)
    rng = np.random.default_rng(seed)
    rgb = rng.integers(0, 256, (n, cfg["image"], cfg["image"], 3), dtype=np.uint8)
    return model, rgb, rng


def bevnet_reference(model, rgb, tgt, mode, dtype):
    """Prediction, loss and (train) gradients and running statistics of a copy of model in dtype."""
    ref = copy.deepcopy(model).to(dtype).train(mode == "train")
    out = ref(bt.normalise(rgb, dtype))
    loss = bt.bev_loss(out, bt.target_tensor(tgt, dtype))
    r = {"out": out.detach(), "loss": loss.detach().reshape(1)}
    if mode == "train":
        loss.backward()
        r.update({"grad " + n: p.grad for n, p in ref.named_parameters()})
        r.update({n: t for n, t in ref.state_dict().items() if n.endswith("running_mean") or n.endswith("running_var")})
    return r


def bevnet_case(label, cfg, n, mode, seed):
    cfg = dict(cfg, dropout=0.0)  # dropout masks cannot be shared with PyTorch
    for seed in range(seed, seed + 1000, 1000 // 20):
        model, rgb, rng = bevnet_inputs(cfg, n, seed)
        if not near_kinks(copy.deepcopy(model).double().train(mode == "train"), rgb, 1e-5):
            break
    tgt = rng.integers(0, 256, (n, cfg["out"], cfg["out"], 4), dtype=np.uint8)
    # alpha mostly 0 or 255 as in real BEVs, some in between
    a = tgt[..., 3]
    tgt[..., 3] = np.where(a < 100, 0, np.where(a > 150, 255, a))
    ref = bevnet_reference(model, rgb, tgt, mode, torch.float64)
    f32 = bevnet_reference(model, rgb, tgt, mode, torch.float32)
    with tempfile.TemporaryDirectory(prefix="cogmap-check-bevnet-") as d:
        bt.save_safetensors(os.path.join(d, "model.safetensors"), model.state_dict())
        np.save(os.path.join(d, "rgb.npy"), rgb)
        np.save(os.path.join(d, "target.npy"), tgt)
        with open(os.path.join(d, "config.json"), "w") as f:
            json.dump({"bev": cfg, "mode": mode}, f)
        p = subprocess.run([NN_CHECK, "bevnet", d, "--threads", "1"], capture_output=True, text=True)
        if p.returncode != 0:
            RESULTS.append(("bevnet", label, "run", math.inf))
            print(f"FAIL bevnet [{label}]: cogmap-nn-check exited {p.returncode}: {p.stderr.strip()}")
            return
        got = {"out": torch.from_numpy(np.load(os.path.join(d, "c_out.npy"))),
               "loss": torch.from_numpy(np.load(os.path.join(d, "c_loss.npy")))}
        if mode == "train":
            grads = bt.load_safetensors(os.path.join(d, "c_grads.safetensors"))
            state = bt.load_safetensors(os.path.join(d, "c_state.safetensors"))
            got.update({"grad " + k: v for k, v in grads.items()})
            got.update({k: v for k, v in state.items() if k in ref})
    missing = sorted(set(ref) - set(got))
    if missing:
        RESULTS.append(("bevnet", label, "tensor names", math.inf))
        print(f"FAIL bevnet [{label}]: cogmap wrote no {missing[:3]}")
        return
    # A whole network in float32 is as exact as float32 allows: cogmap passes where
    # its error is below TOL or within 10x PyTorch's own float32 error.
    worst, worst_ratio = None, -1.0
    for k in ref:
        err, e32 = bevnet_error(got[k], ref[k]), bevnet_error(f32[k], ref[k])
        tol = max(TOL, 10.0 * e32)
        RESULTS.append(("bevnet", label, k, err / tol * TOL))
        if os.environ.get("BEV_VERBOSE"):
            print(f"    {k:64s} cogmap {err:.2e}  torch float32 {e32:.2e}")
        if err / tol > worst_ratio:
            worst, worst_ratio, worst_err, worst_e32 = k, err / tol, err, e32
        if not err < tol:
            print(f"FAIL bevnet [{label}] {k}: error {err:.2e} (torch float32 {e32:.2e})")
    status = "ok  " if worst_ratio < 1.0 else "FAIL"
    print(f"{status} {'bevnet':20s} [{label}] {len(ref)} tensors; closest to its tolerance: {worst}, "
          f"error {worst_err:.2e} (torch float32 {worst_e32:.2e})")


if not ONLY or "bevnet" in ONLY:
    bevnet_case("bev, batch 2, train", bt.BEV, 2, "train", 3)
    bevnet_case("bev, batch 2, eval", bt.BEV, 2, "eval", 4)
    bevnet_case("bev-small, batch 3, train", BEV_SMALL, 3, "train", 5)
