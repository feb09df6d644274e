"""cogmap.evaluate and cogmap.map against `cogmap eval` and `cogmap map`: for a tiny run of every
model, the numbers Python returns are the command's summary.json (celltypes.json for SMP) bit for
bit, and its text is what the command prints."""
import json
import math

import numpy as np
import pytest

import cogmap
from cogmap import _lib

pytestmark = pytest.mark.skipif(not _lib.has("cm_eval_run"), reason="this libcogmap has no cm_eval_run")

SMALL = ["hidden=12", "bottleneck=16", "relational_hidden=8", "batch=4", "seq_len=8", "eval_batches=1"]
TRAIN = {  # model: the `cogmap train` words of a tiny run
    "grid": ["grid", "--preset", "banino", "--steps", 2, "--eval-every", 2, "--set", "batch=4", "--set", "steps=10",
             "--set", "eval_batches=1"],
    "smp": ["smp", "--steps", 4, "--eval-every", 2] + sum((["--set", s] for s in (
        "slots=24", "batch=3", "seq_len=8", "ae_steps=2", "image=32", "p_write=0.3", "hidden2=16", "hidden3=16",
        "embed=16")), []),
    "bev": ["bev", "--preset", "bev-small", "--steps", 2, "--eval-every", 2] + sum((["--set", s] for s in (
        "batch=4", "eval_frames=4", "train_mazes=6", "maze_steps=20", "ff=32", "enc_layers=1", "dec_layers=1")), []),
    "detector": ["detector", "--preset", "detector-small", "--steps", 2, "--eval-every", 2] + sum((["--set", s] for s in (
        "width=4", "hidden=4", "blocks=1", "batch=4", "train_mazes=2", "eval_mazes=1", "maze_steps=30",
        "eval_frames=8")), []),
    "social": ["social", "--steps", 2, "--eval-every", 2] + sum((["--set", s] for s in SMALL + ["probe_reps=2"]), []),
    "link": ["link", "--bits", 4, "--steps", 2, "--eval-every", 2] + sum((["--set", s] for s in SMALL + [
        "sender_hidden=8", "decoder_hidden=16"]), []),
}
# model: (the command's options, the same as keyword arguments, the file of the numbers)
EVAL = {
    "grid": (["--samples", 1000, "--stages", 1, "--shuffles", 2], dict(samples=1000, stages=1, shuffles=2),
             "summary.json"),
    "smp": (["--trajectories", 3, "--steps", 40, "--shuffles", 10, "--no-figures"],
            dict(trajectories=3, steps=40, shuffles=10), "celltypes.json"),
    "bev": (["--frames", 8, "--baseline-frames", 6, "--samples", 0], dict(frames=8, baseline_frames=6), "summary.json"),
    "detector": (["--frames", 12], dict(frames=12), "summary.json"),
    "social": (["--reps", 2, "--batches", 1, "--no-figures"], dict(reps=2, batches=1), "summary.json"),
    "link": (["--batches", 1], dict(batches=1), "summary.json"),
}


def flat(d, prefix=""):
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def same_numbers(values, path):
    """Every value is the file's number of the same name, bit for bit (null: NaN)."""
    doc = flat(json.loads(path.read_text()))
    assert len(values) >= 5
    for k, v in values.items():
        assert k in doc, f"{path.name} has no {k}"
        if doc[k] is None:
            assert math.isnan(v), k
        else:
            assert float(doc[k]) == v, f"{k}: {path.name} {doc[k]!r}, Python {v!r}"


@pytest.mark.parametrize("model", list(TRAIN))
def test_evaluate_equals_the_command(cli, tmp_path, model):
    cogmap.set_threads(1)
    run = tmp_path / model
    cli("train", *TRAIN[model], "--out", run, "--threads", 1, "--quiet")
    args, kwargs, name = EVAL[model]
    printed = cli("eval", run, *args, "--threads", 1).stdout
    written = (run / name).read_text()
    ev = cogmap.evaluate(run, **kwargs)
    assert ev.model == model and ev.dir == str(run)
    assert ev.text == printed
    same_numbers(ev.values, run / name)
    assert (run / name).read_text() == written  # Python rewrote the same file
    if model in ("bev", "social"):  # figures=True draws the command's figures
        cogmap.evaluate(run, figures=True, **kwargs)
        assert any(f.stat().st_size > 0 for f in (run / "figures").glob("*_*.png"))


def test_evaluate_refusals(tmp_path):
    with pytest.raises(cogmap.CogmapError, match="run.json"):
        cogmap.evaluate(tmp_path / "nothing")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "run.json").write_text('{"model": "coop"}')
    with pytest.raises(cogmap.Unsupported, match="coop"):
        cogmap.evaluate(tmp_path / "c")
    (tmp_path / "g").mkdir()
    (tmp_path / "g" / "run.json").write_text("{}")  # a grid run, as far as the dispatch goes
    with pytest.raises(TypeError, match="trajectorys"):
        cogmap.evaluate(tmp_path / "g", trajectorys=3)
    with pytest.raises(cogmap.ArgumentError, match="preset"):
        cogmap.evaluate(file=tmp_path / "net.safetensors")


def test_map_equals_the_command(cli, tmp_path):
    cogmap.set_threads(1)
    printed = cli("map", "--bev", "truth", "--pose", "deadreckon", "--correct", "--size", 9, "--seed", 3,
                  "--steps", 60, "--gif-frames", 0, "--out", tmp_path / "m", "--threads", 1).stdout
    m = cogmap.map("truth", pose="deadreckon", correct=True, size=9, seed=3, steps=60)
    same_numbers(m.values, tmp_path / "m" / "summary.json")
    np.testing.assert_array_equal(m.map, np.load(tmp_path / "m" / "map.npy"))
    assert m.map.dtype == np.float32 and m.map.shape == (11 * 8, 11 * 8)
    assert printed.startswith(m.text)  # the command adds its outputs line
    assert m["map_iou"] > 0.9 and m.units["pose_drift.mean"] == "cells"
    assert m.layout.shape == (9, 9) and m.true_path.shape == (60, 3) and m.seen.any()
    assert not any(tmp_path.glob("*.npy"))  # nothing written without out
    with pytest.raises(cogmap.ArgumentError, match="--pose"):
        cogmap.map("truth", pose="compass")
    with pytest.raises(cogmap.ArgumentError, match="--correct"):
        cogmap.map("truth", correct=True)
