"""The world module: arenas, motion models, batches of simulated agents, Memory-Maze mazes,
the egocentric renderer and bird's-eye views (include/cogmap/world.h).

Units and conventions are the library's: metres in open arenas, grid cells in mazes, x right,
y up, headings counter-clockwise from +x in (-pi, pi]; maze layouts are [y, x] with row 0 at
the BOTTOM.
"""

import ctypes
from ctypes import POINTER, byref, c_char_p, c_float, c_int, c_size_t, c_uint64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn, inp, ptr

_arena_preset = fn("cm_arena_preset", "status", POINTER(L.ArenaC), c_char_p)
_arena_polygon = fn("cm_arena_polygon", "status", POINTER(L.ArenaC), c_char_p, c_int, c_void_p)
_arena_preset_names = fn("cm_arena_preset_names", c_char_p)
_arena_free = fn("cm_arena_free", None, POINTER(L.ArenaC))
_arena_contains = fn("cm_arena_contains", c_int, POINTER(L.ArenaC), c_float, c_float)
_arena_nearest = fn("cm_arena_nearest_wall", c_float, POINTER(L.ArenaC), c_float, c_float, POINTER(c_float),
                    POINTER(c_float))
_arena_distances = fn("cm_arena_distances", None, POINTER(L.ArenaC), c_float, c_float, c_float, c_int, c_void_p)
_arena_cast = fn("cm_arena_cast", L.RayHit, POINTER(L.ArenaC), c_float, c_float, c_float, c_float)
_arena_from_maze = fn("cm_arena_from_maze", "status", POINTER(L.MazeC), POINTER(L.ArenaC))

_motion_preset = fn("cm_motion_preset", "status", POINTER(L.MotionC), c_char_p)
_motion_preset_names = fn("cm_motion_preset_names", c_char_p)
_motion_scale = fn("cm_motion_scale", "status", POINTER(L.MotionC), c_float)
_motion_check = fn("cm_motion_check", "status", POINTER(L.MotionC))

_worlds_create = fn("cm_worlds_create", "status", POINTER(L.WorldsC), POINTER(L.ArenaC), POINTER(L.MotionC), c_int,
                    c_int, c_int, c_uint64)
_worlds_reset = fn("cm_worlds_reset", "status", POINTER(L.WorldsC))
_worlds_run = fn("cm_worlds_run", "status", POINTER(L.WorldsC), c_int, POINTER(L.Traj))
_worlds_free = fn("cm_worlds_free", None, POINTER(L.WorldsC))

_maze_params_default = fn("cm_maze_params_default", "status", c_int, POINTER(L.MazeParams))
_maze_generate = fn("cm_maze_generate", "status", POINTER(L.MazeParams), c_uint64, POINTER(L.MazeC))
_maze_text = fn("cm_maze_text", "status", POINTER(L.MazeC), c_char_p, c_size_t)
_maze_block = fn("cm_maze_block", c_int, POINTER(L.MazeC), c_int, c_int)
_maze_free = fn("cm_maze_free", c_int, POINTER(L.MazeC), c_int, c_int)

_env_init = fn("cm_maze_env_init", "status", POINTER(L.MazeEnvC), POINTER(L.MazeC), c_int, c_uint64)
_env_free = fn("cm_maze_env_free", None, POINTER(L.MazeEnvC))
_env_step = fn("cm_maze_env_step", "status", POINTER(L.MazeEnvC), c_void_p, c_void_p)
_env_policy = fn("cm_maze_policy", c_int, POINTER(L.MazeEnvC), c_int, c_float)
_env_render = fn("cm_maze_env_render", "status", POINTER(L.MazeEnvC), c_void_p, c_int, c_void_p, c_void_p)

_render_config_maze = fn("cm_render_config_maze", None, POINTER(L.RenderConfig))
_render_config_arena = fn("cm_render_config_arena", None, POINTER(L.RenderConfig))
_renderer_create = fn("cm_renderer_create", "status", POINTER(c_void_p), POINTER(L.ArenaC), POINTER(L.MazeC),
                      POINTER(L.RenderConfig))
_renderer_free = fn("cm_renderer_free", None, c_void_p)
_render = fn("cm_render", "status", c_void_p, L.Pose, c_void_p, c_int, c_void_p, c_void_p)
_render_border = fn("cm_render_border", None, c_void_p, c_int, c_int, c_void_p)

_bev_config_default = fn("cm_bev_config_default", None, POINTER(L.BevConfig))
_bev_visible = fn("cm_bev_visible", None, c_void_p, c_int, L.Pose, POINTER(L.BevConfig), c_void_p)
_bev_draw = fn("cm_bev_draw", None, c_void_p, c_int, c_void_p, L.Pose, c_int, c_void_p, c_void_p, c_int, c_void_p)
_bev_rotate = fn("cm_bev_rotate", None, c_void_p, c_float, c_void_p)
_bev_accumulate = fn("cm_bev_accumulate", None, c_void_p, c_int, c_void_p, c_void_p)

ACTIONS = ("noop", "forward", "left", "right", "forward_left", "forward_right")
BEV_PIXELS = L.CM_BEV_PIXELS


def _pose(pose):
    x, y, theta = (float(v) for v in pose)
    return L.Pose(x, y, theta)


# ------------------------------------------------------------------ arenas


class Arena:
    """The walls of a world (cm_arena). Build one with Arena.preset, Arena.polygon or
    Maze.arena(); it frees itself."""

    def __init__(self, _c, _keep=None):
        self._c = _c
        self._keep = _keep

    @classmethod
    def preset(cls, name="box"):
        """"box" (2.2 m square centred on 0), "box15", "circle", "tworooms"."""
        c = L.ArenaC()
        _arena_preset(byref(c), name.encode())
        return cls(c)

    @classmethod
    def polygon(cls, xy, name="polygon"):
        """An open arena bounded by one closed simple polygon, xy [n, 2] vertices."""
        xy = inp(xy, np.float32, "xy", shape=(-1, 2))
        c = L.ArenaC()
        _arena_polygon(byref(c), name.encode(), xy.shape[0], ptr(xy))
        return cls(c)

    @staticmethod
    def preset_names():
        return [s.strip() for s in _arena_preset_names().decode().split(",")]

    def __del__(self):
        c = getattr(self, "_c", None)
        if c is not None and self._keep is None:  # arenas inside a maze env belong to the env
            _arena_free(byref(c))
            self._c = None

    @property
    def name(self):
        return L.text(self._c.name)

    @property
    def bounds(self):
        """(xmin, ymin, xmax, ymax) of the free space."""
        c = self._c
        return (c.xmin, c.ymin, c.xmax, c.ymax)

    @property
    def walls(self):
        """[W, 4] float32 segments x0, y0, x1, y1 (trajectory.npz's `walls`)."""
        return np.array([(w.x0, w.y0, w.x1, w.y1) for w in self._c.walls[:self._c.n_walls]],
                        dtype=np.float32).reshape(-1, 4)

    @property
    def wall_colors(self):
        """[W, 3] uint8 RGB (trajectory.npz's `wall_colors`)."""
        return np.array([tuple(w.rgb) for w in self._c.walls[:self._c.n_walls]], dtype=np.uint8).reshape(-1, 3)

    @property
    def grid(self):
        """A maze arena's occupancy [height, width] (1 free), None for open arenas."""
        c = self._c
        if not c.grid:
            return None
        return L.carray(c.grid, (c.grid_height, c.grid_width), np.uint8)

    def contains(self, x, y):
        """Whether each point is in free space (element-wise over arrays)."""
        xs, ys = np.broadcast_arrays(np.asarray(x, np.float32), np.asarray(y, np.float32))
        r = np.fromiter((_arena_contains(byref(self._c), a, b) for a, b in zip(xs.ravel(), ys.ravel())),
                        dtype=bool, count=xs.size)
        return r.reshape(xs.shape) if xs.ndim else bool(r[0])

    def nearest_wall(self, x, y):
        """(distance, nx, ny): the distance to the nearest wall and the unit vector toward it."""
        nx, ny = c_float(), c_float()
        d = _arena_nearest(byref(self._c), x, y, byref(nx), byref(ny))
        return d, nx.value, ny.value

    def distances(self, x, y, theta0=0.0, n=36):
        """float32 [n]: distance to a wall along ray k at theta0 - pi + 2 pi k / n."""
        o = np.empty(n, np.float32)
        _arena_distances(byref(self._c), x, y, theta0, n, ptr(o))
        return o

    def cast(self, ox, oy, dx, dy):
        """(distance, wall index, position along the wall) of the first wall a unit ray meets."""
        h = _arena_cast(byref(self._c), ox, oy, dx, dy)
        return h.distance, h.wall, h.u


def _arena(a):
    return a if isinstance(a, Arena) else Arena.preset(a)


# ------------------------------------------------------------------ motion


class Motion:
    """A motion model (cm_motion): preset "sorscher" (alias "rat"), "banino" or "ratinabox"
    (alias "ou"), lengths multiplied by `scale`, time step optionally replaced by `dt`."""

    def __init__(self, preset="sorscher", scale=1.0, dt=None):
        self._c = L.MotionC()
        _motion_preset(byref(self._c), preset.encode())
        _motion_scale(byref(self._c), scale)
        if dt is not None:
            self.params.dt = dt
        _motion_check(byref(self._c))
        self.preset = preset

    @staticmethod
    def preset_names():
        """The preset names (aliases left out)."""
        return [s.split("(")[0].strip() for s in _motion_preset_names().decode().split(",")]

    @property
    def kind(self):
        return "rat" if self._c.kind == L.CM_MOTION_RAT else "ou"

    @property
    def params(self):
        """The model's parameter struct (cm_rat_params or cm_ou_params), writable."""
        return self._c.rat if self._c.kind == L.CM_MOTION_RAT else self._c.ou

    @property
    def dt(self):
        return self.params.dt

    def check(self):
        _motion_check(byref(self._c))


def _motion(m, scale=1.0, dt=None):
    if isinstance(m, Motion):
        return m
    return Motion(m, scale, dt)


# ------------------------------------------------------------------ batches of worlds

# name in the result, cm_traj field, trailing shape (R = rays)
_TRAJ = [("position", "position", (2,)), ("heading", "heading", ()), ("velocity", "velocity", (2,)),
         ("speed", "speed", ()), ("angular_velocity", "ang_vel", ()), ("ego_velocity", "ego_banino", (3,)),
         ("smp_velocity", "ego_smp", (2,)), ("wall_distances", "wall_dist", ("R",)),
         ("ego_wall_distances", "ego_wall_dist", ("R",))]


class Worlds:
    """`batch` independent worlds of `agents` agents each (cm_worlds): one arena and motion
    model, world k drawing from random stream k of `seed`. run(steps) continues from where
    the agents are and returns numpy arrays."""

    def __init__(self, arena="box", motion="sorscher", batch=1, agents=1, rays=36, seed=1, substeps=1, scale=1.0,
                 dt=None):
        self.arena = _arena(arena)
        self.motion = _motion(motion, scale, dt)
        self._c = L.WorldsC()
        _worlds_create(byref(self._c), byref(self.arena._c), byref(self.motion._c), batch, agents, rays, seed)
        self._c.substeps = substeps
        self.batch, self.agents, self.rays, self.substeps = batch, agents, rays, substeps

    def __del__(self):
        if getattr(self, "_c", None) is not None:
            _worlds_free(byref(self._c))
            self._c = None

    def reset(self):
        """New random start poses (each world's stream continues)."""
        _worlds_reset(byref(self._c))

    @property
    def dt(self):
        """Seconds per recorded step."""
        return np.float32(self.substeps * self.motion.dt)

    def run(self, steps):
        """Runs `steps` steps. Returns a dict of float32 arrays [batch, steps, agents, ...]
        named as trajectory.npz (docs/formats.md): position, heading, velocity, speed,
        angular_velocity, ego_velocity, smp_velocity, wall_distances, ego_wall_distances (with
        rays), and init_position [batch, agents, 2], init_heading [batch, agents] (the poses
        before the first step)."""
        B, A, R = self.batch, self.agents, self.rays
        res, t = {}, L.Traj()
        for name, field, tail in _TRAJ:
            if "R" in tail and R == 0:
                continue
            a = np.empty((B, steps, A) + tuple(R if d == "R" else d for d in tail), np.float32)
            res[name] = a
            setattr(t, field, a.ctypes.data)
        res["init_position"] = np.empty((B, A, 2), np.float32)
        res["init_heading"] = np.empty((B, A), np.float32)
        t.init_position = res["init_position"].ctypes.data
        t.init_heading = res["init_heading"].ctypes.data
        _worlds_run(byref(self._c), steps, byref(t))
        return res


def simulate(arena="box", motion="sorscher", steps=1000, agents=1, batch=1, rays=36, scale=1.0, dt=None,
             substeps=1, seed=1):
    """What `cogmap simulate` writes to trajectory.npz, as a dict of numpy arrays with the same
    names and bits (same options, same seed): Worlds(...).run(steps) plus ray_angles, dt,
    walls and wall_colors."""
    w = Worlds(arena, motion, batch, agents, rays, seed, substeps, scale, dt)
    res = w.run(steps)
    if rays > 0:
        res["ray_angles"] = (-np.pi + 2 * np.pi * np.arange(rays, dtype=np.float64) / rays).astype(np.float32)
    res["dt"] = np.array(w.dt, dtype=np.float32)
    res["walls"] = w.arena.walls
    res["wall_colors"] = w.arena.wall_colors
    return res


# ------------------------------------------------------------------ mazes


class Maze:
    """A Memory-Maze layout (cm_maze) generated by labmaze's rules."""

    def __init__(self, _c):
        self._c = _c

    @classmethod
    def generate(cls, size=15, seed=1, targets=None, **params):
        """Memory-Maze's parameters for `size` (odd, 5..63), optionally another number of
        targets or any cm_maze_params field (max_rooms, room_min_size, ...)."""
        p = L.MazeParams()
        _maze_params_default(size, byref(p))
        if targets is not None:
            p.n_targets = targets
        for k, v in params.items():
            if not hasattr(p, k):
                raise TypeError(f"Maze.generate: unknown parameter {k!r}")
            setattr(p, k, v)
        c = L.MazeC()
        _maze_generate(byref(p), seed, byref(c))
        return cls(c)

    @property
    def size(self):
        return self._c.size

    @property
    def seed(self):
        return self._c.seed

    @property
    def layout(self):
        """uint8 [N, N], [y, x] with row 0 at the bottom, 1 free, 0 wall."""
        n = self._c.size
        return np.frombuffer(self._c.layout, np.uint8, n * n).reshape(n, n).copy()

    @property
    def room_of(self):
        n = self._c.size
        return np.frombuffer(self._c.room_of, np.int8, n * n).reshape(n, n).copy()

    @property
    def rooms(self):
        """[(x, y, w, h)] of every room, inner-grid cells."""
        return [(r.x, r.y, r.w, r.h) for r in self._c.rooms[:self._c.n_rooms]]

    @property
    def targets(self):
        """float32 [n_targets, 2] target centres."""
        return np.array([tuple(t) for t in self._c.targets[:self._c.n_targets]], np.float32).reshape(-1, 2)

    @property
    def target_rgb(self):
        return np.array([tuple(t) for t in self._c.target_rgb[:self._c.n_targets]], np.uint8).reshape(-1, 3)

    @property
    def spawns(self):
        return np.array([tuple(s) for s in self._c.spawn[:self._c.n_rooms]], np.int32).reshape(-1, 2)

    def text(self):
        """The layout as `cogmap maze` prints it, top row first."""
        n = self._c.size
        buf = ctypes.create_string_buffer((n + 2) * (n + 3) + 1)
        _maze_text(byref(self._c), buf, len(buf))
        return buf.value.decode()

    def is_free(self, x, y):
        return bool(_maze_free(byref(self._c), x, y))

    def block(self, x, y):
        return _maze_block(byref(self._c), x, y)

    def arena(self):
        """The maze's walls as an Arena (cm_arena_from_maze)."""
        c = L.ArenaC()
        _arena_from_maze(byref(self._c), byref(c))
        return Arena(c)


class MazeEnv:
    """Agents in one maze with Memory-Maze's discrete control (cm_maze_env). Actions are
    indices into ACTIONS."""

    def __init__(self, maze, agents=1, seed=None):
        self.maze = maze
        self._c = L.MazeEnvC()
        _env_init(byref(self._c), byref(maze._c), agents, maze.seed if seed is None else seed)
        self.n_agents = agents
        self._arena = Arena(self._c.arena, _keep=self)  # the env's own arena (freed with the env)

    def __del__(self):
        if getattr(self, "_c", None) is not None:
            _env_free(byref(self._c))
            self._c = None

    def renderer(self, **config):
        """A Renderer of this env's maze (Memory-Maze's camera, 64 x 64 unless overridden)."""
        return Renderer(self._arena, _env_maze=self, **config)

    def step(self, actions):
        """One action per agent; returns the float32 rewards."""
        a = np.ascontiguousarray(np.broadcast_to(np.asarray(actions, np.int32), (self.n_agents,)))
        rew = np.empty(self.n_agents, np.float32)
        _env_step(byref(self._c), ptr(a), ptr(rew))
        return rew

    def policy(self, agent=0, noise=0.1):
        """The scripted exploring policy's next action for `agent`."""
        if not 0 <= agent < self.n_agents:
            raise IndexError(f"agent {agent} of {self.n_agents}")
        return _env_policy(byref(self._c), agent, noise)

    def render(self, renderer, agent=0, depth=False):
        """Agent `agent`'s view: uint8 [h, w, 3] (and float32 depth [h, w] when asked)."""
        w, h = renderer.size
        rgb = np.empty((h, w, 3), np.uint8)
        d = np.empty((h, w), np.float32) if depth else None
        _env_render(byref(self._c), renderer._r, agent, ptr(rgb), ptr(d))
        return (rgb, d) if depth else rgb

    def agent(self, k=0):
        """A dict of agent k's state: pose (x, y, theta), velocity, omega, target, score."""
        a = self._c.agents[k]
        return {"pose": (a.pose.x, a.pose.y, a.pose.theta), "velocity": (a.vel[0], a.vel[1]), "omega": a.omega,
                "speed": a.speed, "target": a.target, "score": a.score, "touching": a.touching}

    @property
    def poses(self):
        """float32 [agents, 3]: x, y, theta."""
        return np.array([(a.pose.x, a.pose.y, a.pose.theta) for a in self._c.agents[:self.n_agents]], np.float32)


# ------------------------------------------------------------------ renderer


class Renderer:
    """Egocentric RGB frames (cm_renderer) of an open arena or a maze. Config fields
    (width, height, fov_deg, camera_height, wall_height, pitch_deg, fog) override the defaults:
    Memory-Maze's camera for a maze, cm_render_config_arena's otherwise."""

    def __init__(self, arena, maze=None, _env_maze=None, **config):
        c = L.RenderConfig()
        (_render_config_maze if (maze is not None or _env_maze is not None) else _render_config_arena)(byref(c))
        for k, v in config.items():
            if not hasattr(c, k):
                raise TypeError(f"Renderer: unknown config field {k!r}")
            setattr(c, k, v)
        self.arena = arena if isinstance(arena, Arena) else (maze.arena() if arena is None else _arena(arena))
        self._owner = _env_maze if _env_maze is not None else maze  # keeps the C maze alive
        mz = byref(_env_maze._c.maze) if _env_maze is not None else (byref(maze._c) if maze is not None else None)
        self._r = c_void_p()
        _renderer_create(byref(self._r), byref(self.arena._c), mz, byref(c))
        self.config = c

    @classmethod
    def for_maze(cls, maze, **config):
        return cls(maze.arena(), maze, **config)

    def __del__(self):
        if getattr(self, "_r", None):
            _renderer_free(self._r)
            self._r = None

    @property
    def size(self):
        return self.config.width, self.config.height

    def render(self, pose, sprites=None, depth=False):
        """One frame from pose (x, y, theta): uint8 [h, w, 3], rows top to bottom (and float32
        depth [h, w], inf for sky, when asked). sprites: [(x, y, z, radius, (r, g, b)), ...]."""
        w, h = self.size
        rgb = np.empty((h, w, 3), np.uint8)
        d = np.empty((h, w), np.float32) if depth else None
        sp, n = None, 0
        if sprites:
            n = len(sprites)
            sp = (L.Sprite * n)(*[L.Sprite(x, y, z, r, (ctypes.c_uint8 * 3)(*rgb_)) for x, y, z, r, rgb_ in sprites])
        _render(self._r, _pose(pose), ctypes.cast(sp, c_void_p) if sp is not None else None, n, ptr(rgb), ptr(d))
        return (rgb, d) if depth else rgb

    def render_path(self, positions, headings):
        """Frames along a path: positions [n, 2], headings [n] -> uint8 [n, h, w, 3]."""
        pos = np.asarray(positions, np.float32).reshape(-1, 2)
        hd = np.asarray(headings, np.float32).reshape(-1)
        w, h = self.size
        out = np.empty((len(pos), h, w, 3), np.uint8)
        for k in range(len(pos)):
            _render(self._r, L.Pose(pos[k, 0], pos[k, 1], hd[k]), None, 0, out[k].ctypes.data, None)
        return out


def render_border(rgb, target_rgb):
    """Memory-Maze's target cue drawn in place around an [h, w, 3] uint8 frame."""
    if rgb.dtype != np.uint8 or not rgb.flags.c_contiguous or rgb.ndim != 3 or rgb.shape[2] != 3:
        raise ValueError("render_border: expected a C-contiguous uint8 [h, w, 3] frame")
    c = inp(target_rgb, np.uint8, "target_rgb", shape=(3,))
    _render_border(ptr(rgb), rgb.shape[1], rgb.shape[0], ptr(c))
    return rgb


# ------------------------------------------------------------------ bird's-eye views


def _layout(maze_or_layout):
    if isinstance(maze_or_layout, Maze):
        return maze_or_layout.layout
    lay = inp(maze_or_layout, np.uint8, "layout", ndim=2)
    if lay.shape[0] != lay.shape[1]:
        raise ValueError(f"layout: expected a square [N, N] grid, got {lay.shape}")
    return lay


def bev_visible(maze, pose, fov_deg=None, n_rays=None, step=None, range=None):
    """uint8 [N, N]: 1 for the cells seen from pose (x, y, theta), SSM-PC's collector's cone
    (defaults: cm_bev_config_default, 75 degrees, 180 rays, step 0.2, range 10 cells)."""
    lay = _layout(maze)
    c = L.BevConfig()
    _bev_config_default(byref(c))
    for k, v in (("fov_deg", fov_deg), ("n_rays", n_rays), ("step", step), ("range", range)):
        if v is not None:
            setattr(c, k, v)
    vis = np.empty_like(lay)
    _bev_visible(ptr(lay), lay.shape[0], _pose(pose), byref(c), ptr(vis))
    return vis


def bev_draw(maze, visible, pose, targets=None, target_rgb=None, current=-1):
    """SSM-PC's agent-centred, world-aligned 250 x 250 RGBA BEV (uint8 [250, 250, 4]). With a
    Maze, targets and colours default to the maze's."""
    lay = _layout(maze)
    if targets is None and isinstance(maze, Maze):
        targets, target_rgb = maze.targets, maze.target_rgb
    t = inp(targets if targets is not None else np.zeros((0, 2)), np.float32, "targets", shape=(-1, 2))
    rgb = inp(target_rgb if target_rgb is not None else np.zeros((len(t), 3)), np.uint8, "target_rgb",
              shape=(len(t), 3))
    vis = inp(visible, np.uint8, "visible", shape=lay.shape)
    out = np.empty((BEV_PIXELS, BEV_PIXELS, 4), np.uint8)
    _bev_draw(ptr(lay), lay.shape[0], ptr(vis), _pose(pose), len(t), ptr(t), ptr(rgb), current, ptr(out))
    return out


def bev_rotate(rgba, theta):
    """Rotates a BEV so that the agent faces up (SSM-PC's _rotate_bev)."""
    src = inp(rgba, np.uint8, "rgba", shape=(BEV_PIXELS, BEV_PIXELS, 4))
    out = np.empty_like(src)
    _bev_rotate(ptr(src), theta, ptr(out))
    return out


def bev_accumulate(maze, visible, global_map=None):
    """Adds the cells seen to a global occupancy map (1 free, 2 wall, 0 unseen), in place when
    `global_map` is a C-contiguous uint8 [N, N] array; returns it."""
    lay = _layout(maze)
    vis = inp(visible, np.uint8, "visible", shape=lay.shape)
    if global_map is None:
        global_map = np.zeros_like(lay)
    elif global_map.dtype != np.uint8 or not global_map.flags.c_contiguous or global_map.shape != lay.shape:
        raise ValueError(f"global_map: expected a C-contiguous uint8 array of shape {lay.shape}")
    _bev_accumulate(ptr(lay), lay.shape[0], ptr(vis), ptr(global_map))
    return global_map


def explore(maze, steps=500, agents=1, seed=None, fov_deg=75.0, noise=0.1, bev=True):
    """What `cogmap maze --out` records, in memory: agents explore `maze` with the scripted
    policy (action noise `noise`); frame t is what they see before their t-th action.
    Returns a dict: rgb uint8 [steps, agents, 64, 64, 3], bev uint8 [steps, agents, 250, 250,
    4] (when bev), position float32 [steps, agents, 2], heading, velocity [.., 2],
    angular_velocity, visible uint8 [steps, agents, n_targets] (targets inside the BEV cone),
    rewards float32 [steps, agents]. The env's seed defaults to the maze's (as the CLI does)."""
    env = MazeEnv(maze, agents, seed)
    r = env.renderer()
    lay = maze.layout
    nt = maze._c.n_targets
    tcell = maze.targets.astype(np.int64)
    res = {"rgb": np.empty((steps, agents, 64, 64, 3), np.uint8),
           "position": np.empty((steps, agents, 2), np.float32), "heading": np.empty((steps, agents), np.float32),
           "velocity": np.empty((steps, agents, 2), np.float32),
           "angular_velocity": np.empty((steps, agents), np.float32),
           "visible": np.empty((steps, agents, nt), np.uint8), "rewards": np.empty((steps, agents), np.float32)}
    if bev:
        res["bev"] = np.empty((steps, agents, BEV_PIXELS, BEV_PIXELS, 4), np.uint8)
    for t in range(steps):
        for a in range(agents):
            _env_render(byref(env._c), r._r, a, res["rgb"][t, a].ctypes.data, None)
            ag = env._c.agents[a]
            vis = bev_visible(lay, (ag.pose.x, ag.pose.y, ag.pose.theta), fov_deg=fov_deg)
            if bev:
                res["bev"][t, a] = bev_draw(lay, vis, (ag.pose.x, ag.pose.y, ag.pose.theta), maze.targets,
                                            maze.target_rgb, ag.target)
            res["position"][t, a] = (ag.pose.x, ag.pose.y)
            res["heading"][t, a] = ag.pose.theta
            res["velocity"][t, a] = (ag.vel[0], ag.vel[1])
            res["angular_velocity"][t, a] = ag.omega
            res["visible"][t, a] = vis[tcell[:, 1], tcell[:, 0]] if nt else []
        acts = [env.policy(a, noise) for a in range(agents)]
        res["rewards"][t] = env.step(acts)
    return res
