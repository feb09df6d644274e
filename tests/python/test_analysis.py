"""cogmap.analysis against `cogmap gridness` and `cogmap analyze` on the same inputs, and its
error paths."""
import json
import math

import numpy as np
import pytest

import cogmap
from cogmap import analysis


def hex_maps(n=20, count=12, seed=0):
    """Hexagonal maps of varied spacing and phase, noise, NaN holes and flat maps."""
    rng = np.random.RandomState(seed)
    c = (np.arange(n) + 0.5) / n * 2.2 - 1.1
    X, Y = np.meshgrid(c, c, indexing="ij")
    maps = []
    for k in range(count):
        lam, ori = 0.4 + 0.05 * k, 0.1 * k
        kk = 4 * np.pi / (np.sqrt(3) * lam)
        m = sum(np.cos(kk * (X * np.cos(ori + j * np.pi / 3) + Y * np.sin(ori + j * np.pi / 3))) for j in range(3))
        maps.append(m + 0.5 * rng.rand(n, n) * (k % 3))
    maps = np.stack(maps + [rng.rand(n, n), np.full((n, n), 0.1), np.full((n, n), np.nan)])
    maps[3, :4, :6] = np.nan
    return maps


@pytest.mark.parametrize("dtype,masks,minmax", [(np.float32, "deepmind", False), (np.float64, "ssmpc", True)])
def test_gridness_equals_the_command(cli, tmp_path, dtype, masks, minmax):
    maps = hex_maps().astype(dtype)
    np.save(tmp_path / "maps.npy", maps)
    args = ["gridness", tmp_path / "maps.npy", "--masks", masks, "--bnt", "--quiet"] + (["--minmax"] if minmax else [])
    want = cli(*args).stdout
    g = cogmap.gridness(maps, masks=masks, min_max=minmax)
    bnt = analysis.gridness_bnt(maps)[0]
    assert g.to_csv(bnt) == want
    # the same values again from any layout: a transposed (non-contiguous) copy of the same maps
    g2 = cogmap.gridness(np.ascontiguousarray(maps.transpose(0, 2, 1)).transpose(0, 2, 1), masks=masks, min_max=minmax)
    np.testing.assert_array_equal(g2.score60, g.score60)


def test_gridness_is_the_same_bits_for_any_thread_count_and_one_map():
    maps = hex_maps(count=6)
    cogmap.set_threads(1)
    a = cogmap.gridness(maps, sacs=True)
    cogmap.set_threads(2)
    b = cogmap.gridness(maps, sacs=True)
    np.testing.assert_array_equal(a.score60, b.score60)
    np.testing.assert_array_equal(a.sacs, b.sacs)
    one = cogmap.gridness(maps[0])
    assert one.score60[0] == a.score60[0]
    np.testing.assert_array_equal(analysis.sac(maps[0]), a.sacs[0])
    assert a.score60[0] > 0.3


def test_gridness_refuses_bad_maps():
    with pytest.raises(ValueError, match="square"):
        cogmap.gridness(np.zeros((2, 4, 5)))
    bad = hex_maps(count=2)
    bad[1, 3, 3] = np.inf
    with pytest.raises(cogmap.ArgumentError) as e:
        cogmap.gridness(bad)
    assert e.value.status == 1 and "inf" in str(e.value).lower()
    with pytest.raises(ValueError):
        analysis.gridness_config(20, masks="nope")


def synthetic_activity(path, n=3000, seed=3, f32=True):
    """A trajectory of the library's rat model with head-direction, boundary-like, place-like
    and noise units, saved as an activity file with two groups."""
    t = cogmap.simulate(steps=n, rays=16, seed=seed)
    pos = t["position"][0, :, 0].astype(np.float64)
    hd = t["heading"][0, :, 0].astype(np.float64)
    dist = t["wall_distances"][0, :, 0]
    rng = np.random.RandomState(seed)
    units = []
    for k in range(6):  # head direction
        units.append(np.exp(3 * np.cos(hd - k)))
    for k in range(4):  # allocentric boundary vector
        units.append(np.exp(-(dist[:, 4 * k] - 0.2) ** 2 / 0.01))
    for k in range(4):  # place
        c = rng.uniform(-0.8, 0.8, 2)
        units.append(np.exp(-((pos - c) ** 2).sum(1) / 0.05))
    for k in range(4):
        units.append(rng.rand(n))
    act = np.stack(units, 1)
    dt = np.float32 if f32 else np.float64
    np.savez(path, positions=pos.astype(dt), headings=hd.astype(dt), wall_distances=dist, activations=act.astype(dt),
             ray_angles=t["ray_angles"], group_hd=np.array([0, 6]), group_rest=np.array([6, 18]))


@pytest.mark.parametrize("f32,opts", [(True, []), (False, ["--hd-shuffle", "time", "--grid-bins", "0"])])
def test_analyze_equals_the_command(cli, tmp_path, f32, opts):
    f = tmp_path / "activity.npz"
    synthetic_activity(f, f32=f32)
    cli("analyze", f, "--out", tmp_path / "out", "--shuffles", 25, "--no-figures", "--quiet", "--threads", 2,
        "--seed", 7, *opts)
    want = json.loads((tmp_path / "out" / "report.json").read_text())
    kw = {"shuffles": 25, "seed": 7}
    if opts:
        kw.update(hd_shuffle="time", grid_bins=0)
    cogmap.set_threads(2)
    rep, res = cogmap.analyze(str(f), **kw)
    assert rep == want  # cm_json_write's numbers read back exactly
    assert rep["options"]["float32_positions_headings"] is f32
    assert rep["groups"][0]["name"] == "hd" and rep["groups"][0]["hd"] >= 4
    maps = cogmap.io.read_npz(tmp_path / "out" / "maps.npz")
    for name, arr in res.maps_npz().items():
        np.testing.assert_array_equal(arr.astype(np.float32), maps[name], err_msg=name)


def test_classify_from_arrays_and_the_pieces():
    t = cogmap.simulate(steps=2000, rays=16, seed=5)
    pos, hd, dist = t["position"][0, :, 0], t["heading"][0, :, 0], t["wall_distances"][0, :, 0]
    act = np.stack([np.exp(2 * np.cos(hd - 1)), np.exp(-((pos - 0.3) ** 2).sum(1) / 0.05)], 1).astype(np.float32)
    r = cogmap.classify(pos, hd, dist, act, shuffles=20)
    assert r.options.f32 == 1  # float32 positions and headings: SMP's float32 arithmetic
    assert r.classes[0] == "hd" and r.is_hd[0]
    # the pieces agree with the classification's maps
    hdm = analysis.hd_ratemaps(hd, act, 20)
    np.testing.assert_array_equal(hdm, r.hd_maps)
    xe = analysis.smp_edges(pos[:, 0].min(), pos[:, 0].max(), 0.14, f32=True)
    ye = analysis.smp_edges(pos[:, 1].min(), pos[:, 1].max(), 0.14, f32=True)
    maps, occ = analysis.ratemaps(pos, act, xe, ye, occupancy=True)
    np.testing.assert_array_equal(maps, r.maps)
    np.testing.assert_array_equal(occ, r.occupancy)
    length, angle = analysis.resultant_vector(hdm)
    np.testing.assert_array_equal(length, r.hd_score)
    with pytest.raises(TypeError, match="unknown option"):
        cogmap.classify(pos, hd, dist, act, shufles=20)
    with pytest.raises(ValueError, match="activations"):
        cogmap.classify(pos, hd, dist, act[:10])
    with pytest.raises(cogmap.ArgumentError, match="shuffles"):
        cogmap.classify(pos, hd, dist, act, shuffles=0)


def test_read_activity_refuses_bad_files(tmp_path):
    f = tmp_path / "a.npz"
    synthetic_activity(f, n=200)
    z = dict(np.load(f))
    bad = dict(z, activations=z["activations"][:10])
    np.savez(tmp_path / "b.npz", **bad)
    with pytest.raises(cogmap.FormatError, match="activations: expected shape"):
        cogmap.read_activity(tmp_path / "b.npz")
    bad = dict(z)
    del bad["headings"]
    np.savez(tmp_path / "c.npz", **bad)
    with pytest.raises(cogmap.FormatError, match="headings: missing"):
        cogmap.read_activity(tmp_path / "c.npz")
    with pytest.raises(cogmap.FileError):
        cogmap.read_activity(tmp_path / "missing.npz")


def test_arrays_in_the_library_layout_are_passed_without_a_copy():
    from cogmap import _lib
    a = np.zeros((10, 3), np.float32)
    assert _lib.inp(a, np.float32, "a") is a
    assert _lib.inp(a.T, np.float32, "a") is not a  # Fortran order: a C-ordered copy
    assert _lib.inp(a, np.float64, "a").dtype == np.float64
    with pytest.raises(ValueError, match=r"a: expected shape \[\*, 2\]"):
        _lib.inp(a, np.float32, "a", shape=(-1, 2))


def test_gridness_figure_equals_the_command(cli, tmp_path):
    from cogmap import plot
    maps = hex_maps(count=6).astype(np.float32)
    np.save(tmp_path / "maps.npy", maps)
    name = str(tmp_path / "maps.npy")
    cli("gridness", name, "--figure", tmp_path / "cli.png", "--top", 4, "--quiet")
    title = f"{name}: best 4 of {len(maps)} units by score60 (DeepMind scorer, deepmind masks)"
    plot.gridness_figure(tmp_path / "py.png", maps, top=4, title=title)
    np.testing.assert_array_equal(cogmap.io.read_png(tmp_path / "py.png"), cogmap.io.read_png(tmp_path / "cli.png"))
