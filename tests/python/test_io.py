"""cogmap.io: the library's readers and writers against numpy's, and a run folder the CLI
trained, read into numpy."""
import json

import numpy as np
import pytest

import cogmap
from cogmap import io


def test_npy_npz_png_round_trips(tmp_path):
    a = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    np.save(tmp_path / "a.npy", a)
    np.testing.assert_array_equal(io.read_npy(tmp_path / "a.npy"), a)
    io.write_npy(tmp_path / "b.npy", a[:, 1:])  # a non-contiguous view is written as its values
    np.testing.assert_array_equal(np.load(tmp_path / "b.npy"), a[:, 1:])
    arrays = {"x": np.arange(5, dtype=np.int64), "y": np.ones((2, 2)), "flags": np.array([True, False])}
    for compress in (False, True):
        io.write_npz(tmp_path / "c.npz", arrays, compress=compress)
        z = np.load(tmp_path / "c.npz")
        assert sorted(z.files) == sorted(arrays)
        for k, v in arrays.items():
            np.testing.assert_array_equal(z[k], v)
            np.testing.assert_array_equal(io.read_npz(tmp_path / "c.npz")[k], v)
    img = np.random.RandomState(0).randint(0, 256, (5, 7, 4)).astype(np.uint8)
    io.write_png(tmp_path / "i.png", img)
    np.testing.assert_array_equal(io.read_png(tmp_path / "i.png"), img)


def test_safetensors_round_trip_and_errors(tmp_path):
    t = {"lstm.weight_ih_l0": np.random.RandomState(1).randn(8, 3).astype(np.float32),
         "step": np.array([7], dtype=np.int64)}
    io.write_safetensors(tmp_path / "m.safetensors", t, {"note": "hello"})
    got, meta = io.read_safetensors(tmp_path / "m.safetensors")
    assert meta == {"note": "hello"}
    for k in t:
        np.testing.assert_array_equal(got[k], t[k])
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{\"a\":")
    with pytest.raises(cogmap.FormatError, match="bad.safetensors"):
        io.read_safetensors(tmp_path / "bad.safetensors")
    with pytest.raises(cogmap.FileError):
        io.read_npy(tmp_path / "missing.npy")
    with pytest.raises(ValueError, match="no cogmap equivalent"):
        io.write_npz(tmp_path / "s.npz", {"s": np.array(["text"])})


def test_run_folder_and_checkpoints(cli, tmp_path):
    run = tmp_path / "run"
    cli("train", "grid", "--preset", "ssmpc", "--out", run, "--steps", 4, "--eval-every", 2, "--set", "batch=4",
        "--set", "steps=10", "--set", "eval_batches=1", "--threads", 1, "--quiet")
    r = cogmap.load_run(run)
    assert r.model == "grid" and r.config["preset"] == "ssmpc"
    assert r.checkpoints == [2, 4] and r.has_best
    np.testing.assert_array_equal(r.evals["step"], [2, 4])
    assert set(r.evals) >= {"train_loss", "eval_loss", "decoding_error", "grid_fraction"}
    w = r.weights()
    assert w["lstm.weight_ih_l0"].shape == (512, 3) and w["lstm.weight_ih_l0"].dtype == np.float32
    same = cogmap.load_checkpoint(run / "checkpoints" / "step_00000004" / "model.safetensors")
    for k in w:
        np.testing.assert_array_equal(w[k], same[k])
    assert r.state()["step"] == 4 and r.state(2)["step"] == 2
    files = r.checkpoint_files("best")
    assert set(files) == {"model", "optimizer"}
    with pytest.raises(FileNotFoundError):
        r.weights(3)
    with pytest.raises(FileNotFoundError):
        cogmap.load_checkpoint(tmp_path)
