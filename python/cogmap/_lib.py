"""Loading libcogmap.so, its status codes as exceptions, and the C structs the bindings pass.

Every struct here mirrors one in include/cogmap/*.h field for field; its C name is in
`_cname_` so that tests/python/test_layout.py can compile a C program that prints sizeof and
offsetof of each and compare them with ctypes' (a header change the bindings missed fails
there, not as garbage in a notebook).

Array arguments go through `inp` (no copy when the array already has the dtype and C layout
the function reads) and `out` (a new C-ordered array the function writes).
"""

import ctypes
import ctypes.util
import os
import pathlib

import numpy as np

from ctypes import (POINTER, Structure, c_char, c_char_p, c_double, c_float, c_int, c_int8, c_int16, c_int64,
                    c_size_t, c_uint8, c_uint32, c_uint64, c_void_p)

# ------------------------------------------------------------------ finding the library


def _candidates():
    env = os.environ.get("COGMAP_LIB")
    if env:
        return [env]  # asked for explicitly: no silent fallback to another build
    repo = pathlib.Path(__file__).resolve().parents[2]
    out = [str(repo / "build" / "libcogmap.so")]
    found = ctypes.util.find_library("cogmap")
    out.append(found or "libcogmap.so.0")
    return out


def _load():
    errors = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            errors.append(f"{path}: no such file")
            continue
        try:
            return ctypes.CDLL(path), path
        except OSError as e:
            errors.append(str(e))
    raise ImportError("cogmap: cannot load libcogmap.so (set COGMAP_LIB, or run `make build`): " + "; ".join(errors))


lib, path = _load()

# ------------------------------------------------------------------ errors

CM_OK, CM_ERR_ARG, CM_ERR_IO, CM_ERR_FORMAT, CM_ERR_NOMEM, CM_ERR_NUMERIC, CM_ERR_INTERRUPTED, \
    CM_ERR_UNSUPPORTED, CM_ERR_INTERNAL = range(9)


class CogmapError(RuntimeError):
    """A cm_status other than CM_OK; the message is cm_errmsg() of the failed call.

    `status` is the number, `status_name` the library's short name ("format", ...)."""

    def __init__(self, status, message):
        self.status = status
        self.status_name = lib.cm_status_name(status).decode()
        super().__init__(message or self.status_name)


class ArgumentError(CogmapError, ValueError):
    """CM_ERR_ARG: a parameter out of range or inconsistent."""


class FileError(CogmapError, OSError):
    """CM_ERR_IO: the file system refused (open, read, write, rename)."""


class FormatError(CogmapError, ValueError):
    """CM_ERR_FORMAT: a malformed, truncated or misshapen file or array."""


class OutOfMemory(CogmapError, MemoryError):
    """CM_ERR_NOMEM: an allocation failed."""


class NumericError(CogmapError, ArithmeticError):
    """CM_ERR_NUMERIC: a NaN or infinity appeared (training diverged)."""


class Interrupted(CogmapError):
    """CM_ERR_INTERRUPTED: a long job stopped on request; its state was saved."""


class Unsupported(CogmapError):
    """CM_ERR_UNSUPPORTED: valid input that cogmap does not handle."""


_ERRORS = {CM_ERR_ARG: ArgumentError, CM_ERR_IO: FileError, CM_ERR_FORMAT: FormatError,
           CM_ERR_NOMEM: OutOfMemory, CM_ERR_NUMERIC: NumericError, CM_ERR_INTERRUPTED: Interrupted,
           CM_ERR_UNSUPPORTED: Unsupported}


def error(status):
    """The exception for a failed status, carrying this thread's cm_errmsg()."""
    msg = lib.cm_errmsg().decode(errors="replace")
    return _ERRORS.get(status, CogmapError)(status, msg)


def _check(status, func, args):
    if status != CM_OK:
        raise error(status)
    return status


class Missing:
    """Stands in for a C function this build does not export: calling it says so."""

    def __init__(self, name):
        self.name = name

    def __call__(self, *args):
        raise NotImplementedError(f"{self.name} is not exported by {path} (an older or newer libcogmap?)")


def fn(name, restype, *argtypes):
    """Declares C function `name`; restype "status" raises on failure. Returns the function,
    or a Missing stand-in when the library lacks the symbol."""
    try:
        f = getattr(lib, name)
    except AttributeError:
        return Missing(name)
    if restype == "status":
        f.restype = c_int
        f.errcheck = _check
    else:
        f.restype = restype
    f.argtypes = list(argtypes)
    return f


def has(name):
    return hasattr(lib, name)


lib.cm_status_name.restype = c_char_p
lib.cm_status_name.argtypes = [c_int]
lib.cm_errmsg.restype = c_char_p
lib.cm_errmsg.argtypes = []

# ------------------------------------------------------------------ arrays


def inp(a, dtype, name, ndim=None, shape=None):
    """`a` as a C-contiguous array of `dtype` for the library to read: the array itself when it
    already is one (no copy), else a converted copy. ndim / shape (None or -1 entries: any)
    are checked, with `name` in the message."""
    arr = np.asarray(a)
    if arr.dtype != dtype or not arr.flags.c_contiguous or not arr.flags.aligned:
        arr = np.ascontiguousarray(arr, dtype=dtype)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name}: expected {ndim} dimensions, got shape {arr.shape}")
    if shape is not None:
        if arr.ndim != len(shape) or any(s not in (None, -1) and s != d for s, d in zip(shape, arr.shape)):
            want = "[" + ", ".join("*" if s in (None, -1) else str(s) for s in shape) + "]"
            raise ValueError(f"{name}: expected shape {want}, got {list(arr.shape)}")
    return arr


def ptr(a):
    """The data pointer of an array (None for None) for a c_void_p argument."""
    return None if a is None else a.ctypes.data


def out(shape, dtype):
    return np.empty(shape, dtype=dtype)


def carray(p, shape, dtype):
    """A numpy COPY of `shape` elements at C pointer p (the library keeps ownership of p)."""
    count = int(np.prod(shape)) if len(shape) else 1
    if count == 0:
        return np.empty(shape, dtype=dtype)
    if not p:
        raise ValueError("cogmap: NULL array from the library")
    buf = (ctypes.c_char * (count * np.dtype(dtype).itemsize)).from_address(ctypes.cast(p, c_void_p).value)
    return np.frombuffer(buf, dtype=dtype).reshape(shape).copy()


def cstr(s):
    return None if s is None else os.fsencode(s)


def text(b):
    """A C char array field as str."""
    return bytes(b).split(b"\0", 1)[0].decode(errors="replace")


def stderr_file():
    """libc's stderr FILE * (for progress lines), or None."""
    try:
        return c_void_p.in_dll(ctypes.CDLL(None), "stderr").value
    except (OSError, ValueError):
        return None


# ------------------------------------------------------------------ base

class Rng(Structure):
    _cname_ = "cm_rng"
    _fields_ = [("s", c_uint64 * 4), ("has_normal", c_int), ("cached_normal", c_double)]


class Progress(Structure):
    _cname_ = "cm_progress"
    _fields_ = [("out", c_void_p), ("is_tty", c_int), ("label", c_char * 48), ("total", c_int64),
                ("done", c_int64), ("start_time", c_double), ("last_print", c_double), ("interval", c_double),
                ("time_limit", c_double)]


def progress(enabled):
    """A cm_progress writing to stderr when enabled, else None (the library stays silent)."""
    if not enabled:
        return None
    p = Progress()
    p.out = stderr_file()
    return p if p.out else None


# ------------------------------------------------------------------ io

CM_MAX_DIMS = 8
CM_F32, CM_F64, CM_I32, CM_I64, CM_U8, CM_BOOL = range(6)
DTYPES = {CM_F32: np.float32, CM_F64: np.float64, CM_I32: np.int32, CM_I64: np.int64, CM_U8: np.uint8,
          CM_BOOL: np.bool_}
CM_DTYPE_OF = {np.dtype(v): k for k, v in DTYPES.items()}


class Array(Structure):
    _cname_ = "cm_array"
    _fields_ = [("name", c_char * 128), ("dtype", c_int), ("ndim", c_int), ("shape", c_int64 * CM_MAX_DIMS),
                ("data", c_void_p), ("owns_data", c_int)]


class Npz(Structure):
    _cname_ = "cm_npz"
    _fields_ = [("count", c_int), ("arrays", POINTER(Array))]


class Safetensors(Structure):
    _cname_ = "cm_safetensors"
    _fields_ = [("count", c_int), ("tensors", POINTER(Array)), ("meta_count", c_int),
                ("meta_keys", POINTER(c_char_p)), ("meta_values", POINTER(c_char_p))]


class Image(Structure):
    _cname_ = "cm_image"
    _fields_ = [("width", c_int), ("height", c_int), ("channels", c_int), ("pixels", POINTER(c_uint8))]


def array_to_numpy(a):
    """A numpy copy of a library cm_array."""
    shape = tuple(a.shape[k] for k in range(a.ndim))
    return carray(a.data, shape, DTYPES[a.dtype])


def array_view(name, arr):
    """A cm_array viewing a C-contiguous numpy array (which must outlive the view)."""
    if arr.dtype not in CM_DTYPE_OF:
        raise ValueError(f"{name}: dtype {arr.dtype} has no cogmap equivalent")
    if arr.ndim > CM_MAX_DIMS:
        raise ValueError(f"{name}: at most {CM_MAX_DIMS} dimensions, got {arr.ndim}")
    v = Array()
    v.name = os.fsencode(name)[:127]
    v.dtype = CM_DTYPE_OF[arr.dtype]
    v.ndim = arr.ndim
    for k, s in enumerate(arr.shape):
        v.shape[k] = s
    v.data = arr.ctypes.data
    v.owns_data = 0
    return v


# ------------------------------------------------------------------ world

class Pose(Structure):
    _cname_ = "cm_pose"
    _fields_ = [("x", c_float), ("y", c_float), ("theta", c_float)]


class Wall(Structure):
    _cname_ = "cm_wall"
    _fields_ = [("x0", c_float), ("y0", c_float), ("x1", c_float), ("y1", c_float), ("rgb", c_uint8 * 3),
                ("texture", c_uint8)]


class RayHit(Structure):
    _cname_ = "cm_ray_hit"
    _fields_ = [("distance", c_float), ("wall", c_int), ("u", c_float)]


class ArenaC(Structure):
    _cname_ = "cm_arena"
    _fields_ = [("name", c_char * 32), ("n_walls", c_int), ("walls", POINTER(Wall)), ("xmin", c_float),
                ("ymin", c_float), ("xmax", c_float), ("ymax", c_float), ("grid_width", c_int),
                ("grid_height", c_int), ("grid", POINTER(c_uint8))]


class RatParams(Structure):
    _cname_ = "cm_rat_params"
    _fields_ = [("dt", c_float), ("turn_sd", c_float), ("turn_mean", c_float), ("speed_scale", c_float),
                ("border", c_float), ("wall_slow", c_float)]


class OuParams(Structure):
    _cname_ = "cm_ou_params"
    _fields_ = [("dt", c_float), ("speed_mean", c_float), ("speed_coherence", c_float), ("rot_sd", c_float),
                ("rot_coherence", c_float), ("hd_smoothing", c_float), ("thigmotaxis", c_float),
                ("wall_repel_distance", c_float), ("wall_repel_strength", c_float)]


CM_MOTION_RAT, CM_MOTION_OU = 0, 1


class MotionC(Structure):
    _cname_ = "cm_motion"
    _fields_ = [("kind", c_int), ("rat", RatParams), ("ou", OuParams)]


class Agent(Structure):
    _cname_ = "cm_agent"
    _fields_ = [("pose", Pose), ("vx", c_float), ("vy", c_float), ("omega", c_float), ("hx", c_float),
                ("hy", c_float), ("dx", c_float), ("dy", c_float), ("dtheta", c_float), ("collisions", c_int64)]


class Traj(Structure):
    _cname_ = "cm_traj"
    _fields_ = [(n, c_void_p) for n in ("position", "heading", "velocity", "speed", "ang_vel", "ego_banino",
                                        "ego_smp", "wall_dist", "ego_wall_dist", "init_position",
                                        "init_heading")]


class WorldsC(Structure):
    _cname_ = "cm_worlds"
    _fields_ = [("arena", POINTER(ArenaC)), ("motion", MotionC), ("batch", c_int), ("n_agents", c_int),
                ("n_rays", c_int), ("seed", c_uint64), ("rng", POINTER(Rng)), ("agents", POINTER(Agent)),
                ("substeps", c_int)]


CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE, CM_MAZE_MAX_ROOMS, CM_MAZE_MAX_TARGETS, CM_MAZE_BLOCKS = 5, 63, 32, 6, 9
CM_MAZE_MAX_AGENTS = 16
CM_N_ACTIONS = 6
CM_BEV_PIXELS = 250


class MazeParams(Structure):
    _cname_ = "cm_maze_params"
    _fields_ = [("size", c_int), ("n_targets", c_int), ("max_rooms", c_int), ("room_min_size", c_int),
                ("room_max_size", c_int), ("episode_steps", c_int)]


class MazeRoom(Structure):
    _cname_ = "cm_maze_room"
    _fields_ = [("x", c_int), ("y", c_int), ("w", c_int), ("h", c_int)]


_MZ = CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE


class MazeC(Structure):
    _cname_ = "cm_maze"
    _fields_ = [("params", MazeParams), ("size", c_int), ("layout", c_uint8 * _MZ), ("room_of", c_int8 * _MZ),
                ("n_rooms", c_int), ("rooms", MazeRoom * CM_MAZE_MAX_ROOMS),
                ("spawn", (c_int * 2) * CM_MAZE_MAX_ROOMS), ("object", (c_int * 2) * CM_MAZE_MAX_ROOMS),
                ("n_targets", c_int), ("targets", (c_float * 2) * CM_MAZE_MAX_TARGETS),
                ("target_rgb", (c_uint8 * 3) * CM_MAZE_MAX_TARGETS), ("block_rgb", (c_uint8 * 3) * CM_MAZE_BLOCKS),
                ("floor_room_rgb", c_uint8 * 3), ("floor_corridor_rgb", c_uint8 * 3), ("seed", c_uint64),
                ("attempts", c_int)]


class MazePhysics(Structure):
    _cname_ = "cm_maze_physics"
    _fields_ = [("speed", c_float), ("accel", c_float), ("coast", c_float), ("turn", c_float), ("radius", c_float),
                ("touch_radius", c_float)]


class MazeAgent(Structure):
    _cname_ = "cm_maze_agent"
    _fields_ = [("pose", Pose), ("speed", c_float), ("vel", c_float * 2), ("omega", c_float), ("target", c_int),
                ("score", c_int), ("touching", c_uint32), ("goal", c_int * 2), ("goal_steps", c_int), ("rng", Rng)]


class MazeEnvC(Structure):
    _cname_ = "cm_maze_env"
    _fields_ = [("maze", MazeC), ("arena", ArenaC), ("physics", MazePhysics), ("n_agents", c_int),
                ("agents", MazeAgent * CM_MAZE_MAX_AGENTS), ("rng", Rng), ("dist", POINTER(c_int16)),
                ("queue", POINTER(c_int16)), ("steps", c_int64)]


class RenderConfig(Structure):
    _cname_ = "cm_render_config"
    _fields_ = [("width", c_int), ("height", c_int), ("fov_deg", c_float), ("camera_height", c_float),
                ("wall_height", c_float), ("pitch_deg", c_float), ("fog", c_float), ("sky_top", c_uint8 * 3),
                ("sky_horizon", c_uint8 * 3), ("floor_rgb", c_uint8 * 3)]


class Sprite(Structure):
    _cname_ = "cm_sprite"
    _fields_ = [("x", c_float), ("y", c_float), ("z", c_float), ("radius", c_float), ("rgb", c_uint8 * 3)]


class BevConfig(Structure):
    _cname_ = "cm_bev_config"
    _fields_ = [("fov_deg", c_float), ("n_rays", c_int), ("step", c_float), ("range", c_float)]


# ------------------------------------------------------------------ analysis

CM_GRID_MAX_MASKS = 64


class GridnessConfig(Structure):
    _cname_ = "cm_gridness_config"
    _fields_ = [("nbins", c_int), ("n_masks", c_int), ("mask_min", c_double * CM_GRID_MAX_MASKS),
                ("mask_max", c_double * CM_GRID_MAX_MASKS), ("min_max", c_int)]


class GridnessResult(Structure):
    _cname_ = "cm_gridness_result"
    _fields_ = [("score60", c_double), ("score90", c_double), ("mask60", c_int), ("mask90", c_int),
                ("spacing", c_double), ("orientation", c_double)]


class BntGridness(Structure):
    _cname_ = "cm_bnt_gridness"
    _fields_ = [("score", c_double), ("spacing", c_double), ("orientation", c_double), ("central_radius", c_int)]


class Grid2(Structure):
    _cname_ = "cm_grid2"
    _fields_ = [("nx", c_int), ("ny", c_int), ("xedges", c_void_p), ("yedges", c_void_p)]


class SpatialInfo(Structure):
    _cname_ = "cm_spatial_info"
    _fields_ = [("bits_per_spike", c_double), ("bits_per_second", c_double), ("sparsity", c_double),
                ("selectivity", c_double), ("mean_rate", c_double)]


class ClassifyOpts(Structure):
    _cname_ = "cm_classify_opts"
    _fields_ = [("n_shuffles", c_int), ("percentile", c_double), ("hd_bins", c_int), ("distance_step", c_double),
                ("ratemap_bin", c_double), ("hd_timeshift", c_int), ("min_shift", c_int64), ("box", c_double),
                ("dt", c_double), ("place_info", c_double), ("min_stability", c_double),
                ("border_thresh", c_double), ("grid_bins", c_int), ("grid_thresh", c_double), ("f32", c_int),
                ("seed", c_uint64)]


_DP = POINTER(c_double)
_BP = POINTER(c_uint8)


class ClassifyResult(Structure):
    _cname_ = "cm_classify_result"
    _fields_ = ([(n, c_int) for n in ("units", "n_dist", "rays", "hd_bins", "nx", "ny")]
                + [(n, c_double) for n in ("hd_threshold", "ego_threshold", "allo_threshold")]
                + [(n, _DP) for n in ("hd_score", "hd_angle", "ego_score", "ego_angle", "ego_dist", "allo_score",
                                      "allo_angle", "allo_dist", "stability", "info_bits_spike", "info_bits_s",
                                      "sparsity", "selectivity", "border", "grid60", "grid90")]
                + [("n_fields", POINTER(c_int))]
                + [(n, _BP) for n in ("is_hd", "is_ego", "is_allo", "is_place", "is_border", "is_grid")]
                + [("cls", POINTER(c_int))]
                + [(n, _DP) for n in ("hd_maps", "ego_maps", "allo_maps", "maps", "octants", "dcentres",
                                      "occupancy")])


# ------------------------------------------------------------------ nn, cells, models (run layer)
#
# The structs from here on come with the run layer (include/cogmap/run.h, issue 15). `_since_`
# names a function that exists from then on: the layout test skips a struct whose library lacks it.

class OptimConfig(Structure):
    _cname_ = "cm_optim_config"
    _fields_ = [("kind", c_int), ("lr", c_double), ("momentum", c_double), ("alpha", c_double), ("beta1", c_double),
                ("beta2", c_double), ("eps", c_double), ("weight_decay", c_double)]


class PathintConfig(Structure):
    _cname_ = "cm_pathint_config"
    _fields_ = ([("preset", c_char * 32)]
                + [(n, c_int) for n in ("cell", "rnn_activation", "rnn_bias", "input_size", "hidden", "bottleneck",
                                        "bottleneck_bias", "bottleneck_relu")]
                + [("dropout", c_float)]
                + [(n, c_int) for n in ("n_place", "n_hd", "readout_bias", "init_bias", "unused_init_fc",
                                        "readout_truncnormal", "batch", "seq_len", "loss")]
                + [(n, c_float) for n in ("frame0_weight", "initial_frames_weight", "decay_factor")]
                + [("initial_frames", c_int), ("init_loss_weight", c_float), ("continuity_weight", c_float),
                   ("continuity_frames", c_int), ("continuity_step", c_float), ("l2_recurrent", c_float),
                   ("optim", OptimConfig), ("clip_norm", c_float), ("clip_value", c_float)])


class PlaceCells(Structure):
    _cname_ = "cm_place_cells"
    _fields_ = [("n", c_int), ("sigma", c_float), ("dog", c_int), ("surround_scale", c_float),
                ("dog_temperature", c_float), ("tuning", c_int), ("centres", POINTER(c_float))]


class HdCells(Structure):
    _cname_ = "cm_hd_cells"
    _fields_ = [("n", c_int), ("kappa", c_float), ("centres", POINTER(c_float))]


class GridBatch(Structure):
    _cname_ = "cm_grid_batch"
    _since_ = "cm_train_run"
    _fields_ = [("batch", c_int), ("steps", c_int), ("in_dim", c_int)] + [
        (n, POINTER(c_float)) for n in ("init_pos", "init_theta", "inputs", "pos", "theta")]


CM_SMP_RNNS = 3


class SmpConfig(Structure):
    _cname_ = "cm_smp_config"
    _since_ = "cm_train_run"  # cogmap.h includes smp.h from then
    _fields_ = [("slots", c_int), ("embed", c_int), ("hidden", c_int * CM_SMP_RNNS), ("enc_channels", c_int * 4),
                ("image", c_int), ("batch", c_int), ("seq_len", c_int), ("ae_steps", c_int)] + [
        (n, c_double) for n in ("ae_lr", "lr", "clip", "p_correct", "p_write", "entropy_target", "beta_rate",
                                "init_beta", "init_gamma", "init_pi", "dropout")]


# ------------------------------------------------------------------ run

CM_METRICS_MAX, CM_METRIC_NAME, CM_GRID_MAX_SETS = 24, 32, 32


class TrainConfig(Structure):
    _cname_ = "cm_train_config"
    _since_ = "cm_train_run"
    _fields_ = [("out", c_char_p), ("steps", c_int64), ("minutes", c_double), ("eval_every", c_int64),
                ("checkpoint_every", c_int64), ("keep", c_int), ("n_shards", c_int), ("seed", c_uint64),
                ("best", c_char_p), ("rank", c_void_p), ("rank_ctx", c_void_p)]


class TrainState(Structure):
    _cname_ = "cm_train_state"
    _since_ = "cm_train_run"
    _fields_ = [("step", c_int64), ("wall_seconds", c_double), ("last_loss", c_double), ("best_value", c_double),
                ("best_step", c_int64), ("loss_sum", c_double), ("loss_count", c_int64)]


class TrainModelInfo(Structure):
    _cname_ = "cm_train_model_info"
    _since_ = "cm_train_model"
    _fields_ = [("name", c_char_p), ("presets", c_char_p), ("stage_keys", c_char_p), ("bests", c_char_p),
                ("max_sets", c_int), ("max_data", c_int)]


class TrainRequest(Structure):
    _cname_ = "cm_train_request"
    _since_ = "cm_train_model"
    _fields_ = [("model", c_char_p), ("out", c_char_p), ("resume", c_char_p), ("preset", c_char_p),
                ("sets", POINTER(c_char_p)), ("n_sets", c_int), ("data", POINTER(c_char_p)), ("n_data", c_int),
                ("seed", c_uint64), ("steps", c_int64), ("minutes", c_double), ("eval_every", c_int64),
                ("checkpoint_every", c_int64), ("keep", c_int), ("best", c_char_p), ("started", c_void_p),
                ("started_ctx", c_void_p)]


class Evals(Structure):
    _cname_ = "cm_evals"
    _since_ = "cm_train_run"
    _fields_ = [("n_cols", c_int), ("n_rows", c_int), ("cap_rows", c_int),
                ("names", POINTER(c_char * CM_METRIC_NAME)), ("values", POINTER(c_double))]


class GridMapSpec(Structure):
    _cname_ = "cm_grid_map_spec"
    _since_ = "cm_grid_run_map"
    _fields_ = [("nbins", c_int), ("lo", c_double), ("hi", c_double), ("ssmpc_masks", c_int)]


class GridRunConfig(Structure):
    _cname_ = "cm_grid_run_config"
    _since_ = "cm_train_run"
    _fields_ = [("preset", c_char * 32), ("net", PathintConfig), ("cells", c_char * 32), ("arena", c_char * 32),
                ("motion", c_char * 32), ("motion_scale", c_float), ("data", c_char * 4096),
                ("eval_batches", c_int), ("place_sigma", c_float), ("place_dog", c_int),
                ("surround_scale", c_float), ("dog_temperature", c_float), ("place_count", c_int),
                ("arena_scale", c_float), ("maze_count", c_int),
                ("lr_schedule", c_int), ("lr_decay_start", c_int64), ("lr_decay_steps", c_int64),
                ("lr_min", c_double), ("lr_gamma", c_double), ("seed", c_uint64), ("n_sets", c_int),
                ("sets", (c_char * 128) * CM_GRID_MAX_SETS)]


class GridGoal(Structure):
    _cname_ = "cm_grid_goal"
    _since_ = "cm_train_run"
    _fields_ = [("fraction", c_double), ("error", c_double)]


class Optim(Structure):
    _cname_ = "cm_optim"
    _since_ = "cm_train_run"
    _fields_ = [("cfg", OptimConfig), ("n", c_size_t), ("t", c_int64), ("state", POINTER(c_float)),
                ("buf1", POINTER(c_float)), ("buf2", POINTER(c_float))]


class GridNet(Structure):
    _cname_ = "cm_grid_net"
    _since_ = "cm_train_run"
    _fields_ = [("m", c_void_p), ("s", c_void_p), ("shards", c_void_p), ("n_shards", c_int), ("optim", Optim),
                ("dropout", Rng), ("dropout_next", Rng), ("pc", PlaceCells), ("hd", HdCells), ("top_k", c_int),
                ("batch", c_int), ("steps", c_int)] + [(n, POINTER(c_float)) for n in ("init_place", "init_hd",
                                                                                       "place", "hd_t", "logits")]


class GridEvaluation(Structure):
    _cname_ = "cm_grid_evaluation"
    _since_ = "cm_train_run"
    _fields_ = [("units", c_int), ("nbins", c_int), ("sac_size", c_int), ("lo", c_double), ("hi", c_double),
                ("samples", c_int64), ("decoding_error", c_double), ("decoding_error_by_step", POINTER(c_double)),
                ("grid_fraction", c_double),
                ("maps", POINTER(c_double)), ("sacs", POINTER(c_double)), ("results", POINTER(GridnessResult)),
                ("n_paths", c_int), ("steps", c_int), ("true_paths", POINTER(c_float)),
                ("decoded_paths", POINTER(c_float)), ("ssmpc_masks", c_int), ("grid_periods_across", c_double),
                ("shuffles", c_int), ("min_shift", c_int64), ("shuffle95", POINTER(c_double)),
                ("shuffle99", POINTER(c_double)), ("grid_fraction_shuffle", c_double),
                ("grid_fraction_shuffle99", c_double)]


class SmpRunConfig(Structure):
    _cname_ = "cm_smp_run_config"
    _since_ = "cm_train_run"
    _fields_ = [("model", SmpConfig), ("motion", c_char * 32), ("eval_batches", c_int), ("seed", c_uint64)]


# Every struct above, for the layout test.
STRUCTS = [v for v in list(globals().values()) if isinstance(v, type) and issubclass(v, Structure)
           and hasattr(v, "_cname_")]

# ------------------------------------------------------------------ base functions

cm_version = fn("cm_version", c_char_p)
cm_set_threads = fn("cm_set_threads", None, c_int)
cm_threads = fn("cm_threads", c_int)
cm_error_clear = fn("cm_error_clear", None)
cm_interrupt_reset = fn("cm_interrupt_reset", None)
