"""cogmap.world against `cogmap simulate` and `cogmap maze` on the same options and seeds."""
import json

import numpy as np
import pytest

import cogmap
from cogmap import world


def test_simulate_equals_the_command(cli, tmp_path):
    cli("simulate", "--arena", "circle", "--motion", "ratinabox", "--steps", 300, "--batch", 3, "--agents", 2,
        "--rays", 8, "--substeps", 2, "--seed", 11, "--out", tmp_path, "--quiet")
    want = np.load(tmp_path / "trajectory.npz")
    got = cogmap.simulate("circle", "ratinabox", steps=300, batch=3, agents=2, rays=8, substeps=2, seed=11)
    assert sorted(got) == sorted(want.files)
    for k in want.files:
        assert got[k].dtype == want[k].dtype and got[k].shape == want[k].shape, k
        np.testing.assert_array_equal(got[k], want[k], err_msg=k)


def test_worlds_continue_and_stay_in_the_arena():
    w = cogmap.Worlds("box", "banino", batch=2, rays=0, seed=4)
    a = w.run(50)
    b = w.run(50)
    assert "wall_distances" not in a
    # the second run starts where the first ended (velocity = displacement / dt)
    step = b["position"][:, 0, 0] - a["position"][:, -1, 0]
    np.testing.assert_allclose(step / w.dt, b["velocity"][:, 0, 0], rtol=1e-4, atol=1e-4)
    assert w.arena.contains(b["position"][..., 0].ravel(), b["position"][..., 1].ravel()).all()
    w.reset()
    c = w.run(1)
    assert not np.array_equal(c["init_position"], b["position"][:, -1])


def test_arena_and_motion_errors():
    with pytest.raises(cogmap.ArgumentError, match="box, box15"):
        cogmap.Arena.preset("nope")
    with pytest.raises(cogmap.ArgumentError):
        cogmap.Motion("sorscher", scale=-1)
    with pytest.raises(cogmap.ArgumentError):
        cogmap.Arena.polygon([[0, 0], [1, 1], [2, 2]])  # zero area
    tri = cogmap.Arena.polygon([[0, 0], [2, 0], [0, 2]])
    assert tri.contains(0.5, 0.5) and not tri.contains(1.5, 1.5)
    d = tri.distances(0.5, 0.5, 0.0, 4)  # rays at -pi, -pi/2, 0, pi/2
    np.testing.assert_allclose(d, [0.5, 0.5, 1.0, 1.0], rtol=1e-6)
    assert "box" in cogmap.Arena.preset_names() and "ratinabox" in cogmap.Motion.preset_names()


def test_maze_text_equals_the_command(cli):
    want = cli("maze", "--size", 11, "--seed", 5).stdout
    m = cogmap.Maze.generate(11, seed=5)
    assert m.text() == want
    assert m.layout.shape == (11, 11) and len(m.targets) == 4
    with pytest.raises(cogmap.ArgumentError):
        cogmap.Maze.generate(10)


def test_explore_equals_the_command(cli, tmp_path):
    steps = 12
    cli("maze", "--size", 9, "--seed", 3, "--out", tmp_path, "--steps", steps, "--quiet")
    m = cogmap.Maze.generate(9, seed=3)
    e = world.explore(m, steps)
    info = json.loads((tmp_path / "frame_info.json").read_text())
    for t in range(steps):
        fps = cogmap.io.read_png(tmp_path / "fps_views" / f"frame_{t:06d}.png")
        bev = cogmap.io.read_png(tmp_path / "bev_views" / f"frame_{t:06d}.png")
        np.testing.assert_array_equal(fps, e["rgb"][t, 0], err_msg=f"frame {t}")
        np.testing.assert_array_equal(bev, e["bev"][t, 0], err_msg=f"bev {t}")
        f = info[f"frame_{t:06d}"]
        np.testing.assert_allclose(f["agent_state"]["position"], e["position"][t, 0], rtol=1e-6)


def test_renderer_bev_and_env():
    m = cogmap.Maze.generate(9, seed=3)
    env = cogmap.MazeEnv(m, agents=2, seed=1)
    r = env.renderer(width=32, height=24)
    rgb, depth = env.render(r, 1, depth=True)
    assert rgb.shape == (24, 32, 3) and depth.shape == (24, 32)
    assert env.step([world.ACTIONS.index("forward")] * 2).shape == (2,)
    assert env.poses.shape == (2, 3)
    with pytest.raises(IndexError):
        env.policy(2)
    box = cogmap.Renderer(cogmap.Arena.preset("box"))
    frames = box.render_path([[0, 0], [0.5, 0.5]], [0.0, 1.0])
    assert frames.shape == (2, 64, 64, 3) and frames[0].std() > 0
    np.testing.assert_array_equal(frames[1], box.render((0.5, 0.5, 1.0)))
    with pytest.raises(cogmap.ArgumentError):
        box.render((np.nan, 0, 0))
    x, y, th = env.poses[0]
    vis = world.bev_visible(m, (x, y, th))
    assert vis[int(y), int(x)] == 1
    glob = world.bev_accumulate(m, vis)
    assert set(np.unique(glob)) <= {0, 1, 2}
    b = world.bev_draw(m, vis, (x, y, th))
    assert b.shape == (250, 250, 4)
    assert world.bev_rotate(b, th).shape == (250, 250, 4)
