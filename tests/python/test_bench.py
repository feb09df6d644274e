"""cogmap.bench: the numbers of `cogmap bench`, `figure`, `analyze` and `gridness` from Python,
against the command on the same inputs where it writes files or prints values that do not
depend on the clock, and its refusals."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import cogmap
from cogmap import bench


def test_bench_train_path_integration():
    cogmap.set_threads(1)
    a = cogmap.bench_train("ssmpc", steps=2, batch=2, seq_len=5, hidden=12, seed=3)
    b = cogmap.bench_train("ssmpc", steps=2, batch=2, seq_len=5, hidden=12, seed=3)
    assert (a["batch"], a["seq_len"], a["hidden"], a["steps"], a["threads"]) == (2, 5, 12, 2, 1)
    assert a["final_loss"] == b["final_loss"] > 0  # same seed, same bits
    assert a["steps_per_s"] > 0 and a["gflops"] > 0 and a["sgemm_gflops"] > 0
    assert a["model_bytes"] == a["param_bytes"] + a["optim_bytes"] + a["activation_bytes"]
    assert a["share_of_sgemm"] == pytest.approx(100 * a["gflops"] / a["sgemm_gflops"])
    assert a["peak_per_model"] >= a["peak_minus_baseline_per_model"] >= 0
    with pytest.raises(cogmap.ArgumentError, match="nope"):
        cogmap.bench_train("nope")
    with pytest.raises(cogmap.ArgumentError):
        cogmap.bench_train("ssmpc", batch=-1)


def test_bench_train_loss_equals_the_command(cli):
    out = cli("bench", "train", "--preset", "ssmpc", "--steps", 2, "--batch", 2, "--seq-len", 5, "--hidden", 12,
              "--seed", 4, "--threads", 1).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("final loss: "))
    r = cogmap.bench_train("ssmpc", steps=2, batch=2, seq_len=5, hidden=12, seed=4, threads=1)
    assert line == "final loss: %.6f" % r["final_loss"]


def test_bench_bev_dist_motion_render():
    cogmap.set_threads(1)
    b = cogmap.bench_train("bev-small", steps=1, batch=2)
    assert b["batch"] == 2 and b["n_params"] > 0 and b["images_per_s"] > 0
    assert b["train_state_bytes"] > b["infer_state_bytes"] > 0
    with pytest.raises(cogmap.ArgumentError):
        bench.bench_bev("bev-small", steps=0)
    d = bench.bench_dist("grid", "ssmpc", steps=2, sets=["hidden=12", "bottleneck=16", "batch=4", "steps=10"])
    assert d["batch"] == 4 and d["n_params"] > 0 and d["steps_per_s"] > 0
    assert d["bytes_allreduced_per_step"] == 4 * d["n_params"] and d["scratch_left"] == ""
    with pytest.raises(cogmap.ArgumentError):
        bench.bench_dist("policy")
    m = bench.bench_motion(batch=4, steps=50, repeat=1, threads=1)
    assert m["wall"] > 0 and m["cpu"] > 0 and m["threads"] == 1
    t = bench.bench_targets(rows=32, repeat=1)
    assert t["fast_rows_per_s"] > 0 and t["reference_rows_per_s"] > 0 and 0 < t["max_rel_diff"] < 1e-4  # 5.5e-5 unoptimised
    with pytest.raises(cogmap.ArgumentError):
        bench.bench_targets(temperature=-1)
    r1, r2 = bench.bench_render(frames=200, size=16, maze=9, seed=5), bench.bench_render(frames=200, size=16, maze=9,
                                                                                        seed=5)
    assert r1["checksum"] == r2["checksum"] > 0 and r1["arena"] and r1["frames_per_s_per_core"] > 0
    assert bench.bench_render(frames=200, size=16, arena="box")["arena"] == "box"
    with pytest.raises(cogmap.ArgumentError):
        bench.bench_render(frames=10, size=16, arena="nowhere")


def test_gridness_table_equals_the_command(cli, tmp_path):
    rng = np.random.RandomState(1)
    c = np.arange(16)
    X, Y = np.meshgrid(c, c, indexing="ij")
    maps = np.stack([sum(np.cos(1.3 * (X * np.cos(j * np.pi / 3) + Y * np.sin(j * np.pi / 3))) for j in range(3)),
                     rng.rand(16, 16), rng.rand(16, 16)])
    maps[2, :3, :3] = np.nan
    np.save(tmp_path / "maps.npy", maps)
    want = cli("gridness", tmp_path / "maps.npy", "--bnt", "--shuffles", 20, "--seed", 3, "--quiet").stdout
    t = cogmap.gridness_table(maps, bnt=True, shuffles=20, seed=3)
    rows = [ln.split(",") for ln in want.splitlines()]
    assert rows[0][-3:] == ["bnt", "shuffle95", "shuffle99"]
    cols = {name: k for k, name in enumerate(rows[0])}
    for u, row in enumerate(rows[1:]):
        for name, k in cols.items():
            if name == "unit":
                continue
            v = t[name][u]
            assert row[k] == ("nan" if np.isnan(v) else ("%.4f" if name.startswith("mask") else "%.6f") % v), name
    assert np.array_equal(t["score60"], cogmap.gridness(maps).score60, equal_nan=True)
    assert "bnt" not in cogmap.gridness_table(maps) and t["shuffle99"][0] >= t["shuffle95"][0]
    with pytest.raises(ValueError):
        cogmap.gridness_table(maps, masks="round")


def test_analyze_file_equals_the_command(cli, tmp_path):
    sys.path.insert(0, os.path.dirname(__file__))
    from test_analysis import synthetic_activity
    f = tmp_path / "activity.npz"
    synthetic_activity(f, n=1500)
    p = cli("analyze", f, "--out", tmp_path / "cli", "--shuffles", 20, "--no-figures", "--seed", 5, "--threads", 1)
    cogmap.set_threads(1)
    s = cogmap.analyze_file(f, tmp_path / "py", figures=None, shuffles=20, seed=5)
    assert (tmp_path / "py" / "report.json").read_text() == (tmp_path / "cli" / "report.json").read_text()
    assert (s["samples"], s["units"], s["shuffles"], s["n_groups"]) == (1500, 18, 20, 2)
    g = s["groups"][0]
    assert g["name"] == "hd" and g["units"] == 6
    assert f"  hd          6 units: hd {g['hd']}, ego_bvc {g['ego_bvc']}, allo_bvc {g['allo_bvc']}" in p.stderr
    assert "thresholds hd %.4f" % s["hd_threshold"] in p.stderr
    with pytest.raises(cogmap.ArgumentError, match="min_shift"):
        cogmap.analyze_file(f, tmp_path / "x", figures=None, shuffles=5, hd_shuffle="time", min_shift=1000)
    with pytest.raises(cogmap.FileError):
        cogmap.analyze_file(tmp_path / "none.npz", tmp_path / "x", figures=None)


def released_shape_data(d, repo):
    """Small arrays in the layout of DeepMind's released pickles, converted as a user does."""
    rs = np.random.RandomState(2)
    NT, ST, A, S, H, D = 2, 150, 36, 64, 32, 16
    f = np.float32
    pos = rs.uniform(-1.1, 1.1, (NT, ST, 2)).astype(f)
    hd = rs.uniform(-np.pi, np.pi, (NT, ST, 1)).astype(f)
    traj = {"pos": pos, "hd": hd, "world_distances": rs.uniform(0.1, 2, (NT, ST, A)).astype(f),
            "predicted_outputs": [rs.rand(NT, ST, 32).astype(f), rs.rand(NT, ST, 128).astype(f),
                                  rs.rand(NT, ST, 128).astype(f), rs.rand(NT, ST, 8).astype(f)],
            "log_ps_given_y": [np.log(rs.dirichlet(np.ones(4), (NT, ST))).astype(f),
                               np.log(rs.dirichlet(np.ones(S), (NT, ST))).astype(f)]}
    sys.path.insert(0, str(repo / "tests" / "support"))
    import released_smp
    released_smp.write(d / "in", rs, traj, S, H, D)
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
    subprocess.run([sys.executable, str(repo / "scripts" / "smp-data-to-npz"), str(d / "in"), str(d / "npz")],
                   check=True, capture_output=True, env=env)
    return d / "npz"


def test_figures_equal_the_command(cli, tmp_path, repo):
    data = released_shape_data(tmp_path, repo)
    cogmap.set_threads(1)
    out2 = cli("figure", "smp2", "--data", data, "--out", tmp_path / "c2", "--shuffles", 10, "--seed", 3,
               "--threads", 1).stdout
    s2 = cogmap.figure_smp2(data, tmp_path / "p2", shuffles=10, seed=3)
    assert (tmp_path / "p2" / "figure2.json").read_text() == (tmp_path / "c2" / "figure2.json").read_text()
    assert s2["source"] == "released" and s2["groups"] == ["rnn1", "rnn2", "rnn3"] and s2["units"] == 288
    assert "thresholds: hd %.4f, ego %.4f, allo %.4f" % (s2["hd_threshold"], s2["ego_threshold"],
                                                         s2["allo_threshold"]) in out2
    c = s2["counts"][1]
    assert f"rnn2: 128 units, HD {c['hd']} (" in out2 and sum(c["primary"].values()) == 128
    out3 = cli("figure", "smp3", "--data", data, "--out", tmp_path / "c3", "--fig3-init", 8, "--max-attractor", 4,
               "--images", 8, "--threads", 1).stdout
    s3 = cogmap.figure_smp3(data, tmp_path / "p3", fig3_init=8, max_attractor=4, images=8)
    assert json.loads((tmp_path / "p3" / "figure3.json").read_text()) == \
        json.loads((tmp_path / "c3" / "figure3.json").read_text())
    assert s3["step"] == -1 and s3["hidden"] == 32 and s3["slots"] == 64 and s3["images"] == 8
    assert f"RNN-1 of 32 units, 64 memory slots, gamma {s3['gamma']:.4g}; {s3['n_hd_units']} HD units" in out3
    with pytest.raises(cogmap.ArgumentError):
        cogmap.figure_smp2(data, tmp_path / "x", shuffles=0)
    with pytest.raises(cogmap.CogmapError, match="nowhere"):
        cogmap.figure_smp3(tmp_path / "nowhere", tmp_path / "x")


def test_bench_coop_equals_the_command(cli, tmp_path):
    cli("bench", "coop", "--schemes", "broadcast,none", "--bits", "4,8", "--episodes", 4, "--set", "max_steps=30",
        "--seed", 2, "--threads", 1, "--no-gif", "--quiet", "--out", tmp_path / "cli")
    cogmap.set_threads(1)
    t = cogmap.bench_coop(tmp_path / "py", schemes=["broadcast", "none"], bits=[4, 8], episodes=4,
                          sets=["max_steps=30"], seed=2, gif=False)
    assert (tmp_path / "py" / "table.csv").read_text() == (tmp_path / "cli" / "table.csv").read_text()
    assert [(r["scheme"], r["bits"]) for r in t["rows"]] == [("broadcast", 4), ("broadcast", 8), ("none", 0)]
    assert t["agent_steps"] > 0 and not (tmp_path / "py" / "episode.gif").exists()
    m = cogmap.bench_coop(tmp_path / "m", merge=[tmp_path / "py"])
    assert [r["success"] for r in m["rows"]] == [r["success"] for r in t["rows"]]
    with pytest.raises(cogmap.ArgumentError, match="shout"):
        cogmap.bench_coop(tmp_path / "x", schemes="shout")
    with pytest.raises(cogmap.ArgumentError, match="bits"):
        cogmap.bench_coop(tmp_path / "x", bits="4,0")


def test_bench_link_equals_the_command(cli, tmp_path):
    small = {"hidden": 12, "bottleneck": 16, "relational_hidden": 8, "batch": 4, "seq_len": 8, "eval_batches": 1,
             "probe_reps": 2, "sender_hidden": 8, "decoder_hidden": 16}
    sets = [f"{k}={v}" for k, v in small.items()]
    cli("bench", "link", "--bits", "2,4", "--steps-velocity", 2, "--steps-per-point", 1, "--eval-batches", 1,
        "--minutes", 0, *sum((["--set", s] for s in sets), []), "--seed", 3, "--threads", 1, "--quiet",
        "--out", tmp_path / "cli")
    cogmap.set_threads(1)
    rows = cogmap.bench_link(tmp_path / "py", bits=[2, 4], steps_velocity=2, steps_per_point=1, minutes=0,
                             eval_batches=1, sets=sets, seed=3)
    assert [(r["scheme"], r["bits"]) for r in rows] == [("velocity", 0), ("none", 0), ("learned", 2),
                                                         ("broadcast", 2), ("broadcast_estimate", 2), ("learned", 4),
                                                         ("broadcast", 4), ("broadcast_estimate", 4)]
    assert (tmp_path / "py" / "partner_error_vs_bits.png").stat().st_size > 0

    def table(d):  # every column but the wall time
        return [line.rsplit(",", 1)[0] for line in (d / "table.csv").read_text().splitlines()]
    assert table(tmp_path / "py") == table(tmp_path / "cli")
    with pytest.raises(cogmap.ArgumentError, match="colour"):
        cogmap.bench_link(tmp_path / "x", bits=[4], sets=["colour=red"], minutes=0)


def test_simulate_folder_and_maze_dataset_equal_the_command(cli, tmp_path):
    cli("simulate", "--steps", 60, "--batch", 2, "--rays", 8, "--scale", 2, "--dt", 0.05, "--seed", 4, "--quiet",
        "--out", tmp_path / "cs")
    r = cogmap.bench.simulate_folder(tmp_path / "ps", steps=60, batch=2, rays=8, scale=2, dt=0.05, seed=4)
    assert r["agent_steps"] == 120 and r["seconds"] >= 0 and r["dt"] == pytest.approx(0.05)
    for f in ("trajectory.npz", "preview.png"):
        assert (tmp_path / "ps" / f).read_bytes() == (tmp_path / "cs" / f).read_bytes(), f
    with pytest.raises(cogmap.ArgumentError):
        cogmap.bench.simulate_folder(tmp_path / "x", motion="nobody")
    cli("maze", "--size", 9, "--seed", 3, "--out", tmp_path / "cm", "--steps", 20, "--quiet")
    cogmap.bench.maze_dataset(cogmap.Maze.generate(9, seed=3), tmp_path / "pm", steps=20)
    for f in ("frame_info.json", "preview.png"):
        assert (tmp_path / "pm" / f).read_bytes() == (tmp_path / "cm" / f).read_bytes(), f
    assert sorted(p.name for p in (tmp_path / "pm" / "fps_views").iterdir()) == \
        sorted(p.name for p in (tmp_path / "cm" / "fps_views").iterdir())


def test_sweep_with_a_python_trainer(tmp_path):
    def trainer(out, sets):
        if "lr=99" in sets:
            raise cogmap.ArgumentError(1, "lr: expected at most 1, got 99")
        os.makedirs(out)
        with open(os.path.join(out, "evals.csv"), "w") as f:
            f.write("step,wall_seconds,train_loss,score\n2,0.5,1.25,%s\n" % sets[1].split("=")[1])
    r = cogmap.bench.sweep(tmp_path / "sw", ["lr=0.1,99", "seed=3,4"], trainer)
    assert r["points"] == 4 and r["failed"] == 2
    lines = open(r["table"]).read().splitlines()
    assert lines[0] == "point,run,lr,seed,status,step,wall_seconds,train_loss,score"
    assert lines[1] == "0,000-lr=0.1-seed=3,0.1,3,ok,2,0.5,1.25,3"
    assert lines[4].startswith("3,003-lr=99-seed=4,99,4,") and "lr: expected at most 1" in lines[4]
    with pytest.raises(cogmap.ArgumentError):
        cogmap.bench.sweep(tmp_path / "x", ["lr"], trainer)
