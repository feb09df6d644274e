"""cogmap.train for every model the library trains (cm_train_model): a tiny run of each kind
(a few steps at tiny --set sizes) makes the run folder `cogmap train` makes, a resumed run
continues it, a stage is recorded, and a bad argument is refused naming it."""
import json

import pytest

import cogmap
from cogmap import _lib, runs

pytestmark = pytest.mark.skipif(not _lib.has("cm_train_model"),
                                reason="this libcogmap has no cm_train_model")

# The CLI tests' tiny sizes (tests/cli_bev.sh, cli_detector.sh, cli_social.sh, cli_coop.sh).
SMALL = {"hidden": 12, "bottleneck": 16, "relational_hidden": 8, "batch": 4, "seq_len": 8, "eval_batches": 1}
TINY = {
    "bev": dict(preset="bev-small", sets={"batch": 4, "eval_frames": 4, "train_mazes": 6, "maze_steps": 20,
                                          "ff": 32, "enc_layers": 1, "dec_layers": 1}),
    "detector": dict(preset="detector-small",
                     sets={"width": 4, "hidden": 4, "blocks": 1, "batch": 4, "train_mazes": 2, "eval_mazes": 1,
                           "maze_steps": 30, "eval_frames": 8}),
    "social": dict(sets={**SMALL, "probe_reps": 2}),
    "link": dict(sets={**SMALL, "sender_hidden": 8, "decoder_hidden": 16, "bits": 4}),
    "coop": dict(sets={"link_steps": 2, "episodes": 2, "rollouts": 3, "eval_episodes": 6, "max_steps": 40}),
}
# A training setting each model may change on resume (its stage keys).
STAGE = {"bev": "lr=0.0001", "detector": "lr=0.0002", "social": "lr=0.0005", "link": "lr=0.0005"}
# The first metric evals.csv holds after step, wall_seconds, train_loss.
FIRST_METRIC = {"bev": "alpha_iou", "detector": "eval_loss", "social": "eval_loss", "link": "eval_loss",
                "coop": "success"}


def test_the_library_lists_every_model():
    m = runs.models()
    assert list(m) == ["grid", "smp", "bev", "detector", "coop", "social", "link"]
    assert m["bev"]["presets"] == "bev, bev-small" and m["smp"]["presets"] is None
    assert m["grid"]["bests"] == "loss|grid|goal" and m["coop"]["stage_keys"] is None
    assert cogmap.train is runs.train


@pytest.mark.parametrize("model", list(TINY))
def test_train_resume_and_stage(model, tmp_path, cli):
    cogmap.set_threads(1)
    out = tmp_path / model
    r = cogmap.train(model, out, steps=2, eval_every=2, seed=3, **TINY[model])
    assert r.model == model and r.checkpoints == [2]
    cfg = json.loads((out / "run.json").read_text())
    assert cfg["model"] == model and int(cfg["seed"]) == 3  # a u64, stored as a string
    assert list(r.evals)[:4] == ["step", "wall_seconds", "train_loss", FIRST_METRIC[model]]
    assert list(r.evals["step"]) == [2]
    # The same run from the command: the same run.json.
    args = sum((["--set", f"{k}={v}"] for k, v in TINY[model]["sets"].items()), [])
    if "preset" in TINY[model]:
        args += ["--preset", TINY[model]["preset"]]
    cli("train", model, "--out", tmp_path / "cli", "--steps", 2, "--eval-every", 2, "--seed", 3, "--threads", 1,
        "--quiet", *args)
    assert json.loads((tmp_path / "cli" / "run.json").read_text()) == cfg
    # Resumed (with a stage where the model has them) to step 3.
    stage = [STAGE[model]] if model in STAGE else None
    r = cogmap.train(model, out, steps=3, eval_every=3, resume=True, sets=stage)
    assert r.checkpoints == [2, 3] and list(r.evals["step"]) == [2, 3]
    cfg = json.loads((out / "run.json").read_text())
    if stage:
        assert cfg["stages"][-1]["step"] == 2 and cfg["stages"][-1]["sets"] == stage
    else:
        with pytest.raises(cogmap.ArgumentError, match="keeps its settings"):
            cogmap.train(model, out, steps=4, resume=True, sets=["max_steps=50"])


def test_bad_arguments_are_named(tmp_path):
    with pytest.raises(cogmap.ArgumentError, match=r"^preset: .*bev, bev-small"):
        cogmap.train("bev", tmp_path / "a", steps=1)
    with pytest.raises(cogmap.ArgumentError, match=r"^model: unknown model 'lstm'"):
        cogmap.train("lstm", tmp_path / "b", steps=1)
    with pytest.raises(cogmap.ArgumentError, match=r"^data: social runs take no dataset folders"):
        cogmap.train("social", tmp_path / "c", steps=1, data="/nowhere")
    with pytest.raises(cogmap.ArgumentError, match=r"^best: "):
        cogmap.train("coop", tmp_path / "d", steps=1, best="loss")
    with pytest.raises(cogmap.ArgumentError, match="hidden"):
        cogmap.train("detector", tmp_path / "e", preset="detector-small", steps=1, sets={"hidden": 0})
    assert not any(tmp_path.iterdir())
