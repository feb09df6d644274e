"""cogmap.runs against `cogmap train` and `cogmap eval`: the same run folder and bits from
Python as from the command, and the same evaluation."""
import json
import os

import numpy as np
import pytest

import cogmap
from cogmap import _lib, runs

pytestmark = pytest.mark.skipif(not _lib.has("cm_train_run"),
                                reason="this libcogmap has no run layer (cm_train_run)")

GRID_SETS = ["batch=4", "steps=10", "eval_batches=1"]


def same_checkpoints(a, b):
    ra, rb = cogmap.load_run(a), cogmap.load_run(b)
    assert ra.checkpoints == rb.checkpoints
    for step in ra.checkpoints:
        for name, (ta, ma) in ra.checkpoint_files(step).items():
            tb, mb = rb.checkpoint_files(step)[name]
            assert ma == mb, (step, name)
            assert sorted(ta) == sorted(tb)
            for k in ta:
                np.testing.assert_array_equal(ta[k], tb[k], err_msg=f"step {step} {name} {k}")
    for col in ra.evals:
        if col != "wall_seconds":
            np.testing.assert_array_equal(ra.evals[col], rb.evals[col], err_msg=col)


def test_train_grid_equals_the_command_and_resumes(cli, tmp_path):
    cogmap.set_threads(1)
    py, cl = tmp_path / "py", tmp_path / "cli"
    r = runs.train("grid", py, preset="ssmpc", steps=4, eval_every=2, sets=GRID_SETS, seed=3)
    assert r.checkpoints == [2, 4] and r.config["preset"] == "ssmpc"
    args = sum((["--set", s] for s in GRID_SETS), [])
    cli("train", "grid", "--preset", "ssmpc", "--out", cl, "--steps", 4, "--eval-every", 2, "--seed", 3,
        "--threads", 1, "--quiet", *args)
    assert json.loads((py / "run.json").read_text()) == json.loads((cl / "run.json").read_text())
    same_checkpoints(py, cl)
    runs.train("grid", py, steps=6, eval_every=2, resume=True)
    cli("train", "grid", "--resume", cl, "--steps", 6, "--eval-every", 2, "--threads", 1, "--quiet")
    same_checkpoints(py, cl)
    with pytest.raises(FileExistsError):
        runs.train("grid", py, preset="ssmpc", steps=2)
    with pytest.raises(ValueError, match="steps and/or minutes"):
        runs.train("grid", tmp_path / "x", preset="ssmpc")
    with pytest.raises(cogmap.ArgumentError, match="nope"):
        runs.train("grid", tmp_path / "y", preset="nope", steps=2)
    with pytest.raises(cogmap.ArgumentError):
        runs.train("grid", tmp_path / "z", preset="ssmpc", steps=2, sets={"no_such_key": 1})


def test_evaluate_grid_equals_the_command(cli, tmp_path):
    cogmap.set_threads(1)
    run = tmp_path / "run"
    runs.train("grid", run, preset="banino", steps=3, eval_every=3, sets=GRID_SETS)
    cli("eval", run, "--samples", 2000, "--no-baseline", "--threads", 1, "--quiet")
    ev = runs.evaluate_grid(run, samples=2000)
    assert ev.gridness.to_csv() == (run / "gridness.csv").read_text()
    summary = json.loads((run / "summary.json").read_text())
    assert ev.step == summary["steps"] == 3 and ev.samples == summary["samples"]
    assert abs(ev.decoding_error - summary["decoding_error"]) <= 1e-15 * abs(ev.decoding_error)
    assert ev.maps.shape == (ev.units, 20, 20) and ev.true_paths.shape[2] == 2
    assert ev.decoding_error_by_step.tolist() == summary["decoding_error_by_step"]
    untrained = runs.evaluate_grid(run, samples=2000, checkpoint=None)
    assert untrained.step == 0 and untrained.checkpoint is None
    assert not np.array_equal(untrained.maps, ev.maps, equal_nan=True)


def test_train_smp_equals_the_command(cli, tmp_path):
    cogmap.set_threads(1)
    sets = {"batch": 2, "seq_len": 4, "ae_steps": 2, "eval_batches": 1, "slots": 16}
    py, cl = tmp_path / "py", tmp_path / "cli"
    r = runs.train("smp", py, steps=4, eval_every=2, sets=sets, seed=5)
    assert r.model == "smp" and r.checkpoints == [2, 4]
    args = sum((["--set", f"{k}={v}"] for k, v in sets.items()), [])
    cli("train", "smp", "--out", cl, "--steps", 4, "--eval-every", 2, "--seed", 5, "--threads", 1, "--quiet", *args)
    same_checkpoints(py, cl)
    with pytest.raises(ValueError, match="only training settings"):
        runs.train("smp", py, steps=6, resume=True, sets={"slots": 32})
