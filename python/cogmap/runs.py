"""The run layer: training a run folder of any model through the library's cm_train_model
(include/cogmap/trainmodel.h), and evaluating a grid-cell run into numpy (include/cogmap/run.h;
docs/formats.md for the folder). A run trained here is the run `cogmap train` makes with the
same settings: same run.json, checkpoints and bits; `cogmap train --resume` and `cogmap eval` continue it.

These functions need a libcogmap with the run layer (cm_train_model); with an older one they raise
NotImplementedError naming the missing function.
"""

import ctypes
import os
import signal
import threading
from ctypes import POINTER, byref, c_char, c_char_p, c_int, c_int64, c_uint64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn
from .analysis import _RESULT, Gridness, gridness_config
from .io import Run, _checkpoint_dir

_grid_cfg_read = fn("cm_grid_run_config_read", "status", POINTER(L.GridRunConfig), c_char_p)
_grid_job_create = fn("cm_grid_job_create", "status", POINTER(L.GridRunConfig), POINTER(c_void_p))
_grid_job_free = fn("cm_grid_job_free", None, c_void_p)
_grid_job_net = fn("cm_grid_job_net", POINTER(L.GridNet), c_void_p)
_grid_job_eval_source = fn("cm_grid_job_eval_source", c_void_p, c_void_p)

_state_init = fn("cm_train_state_init", None, POINTER(L.TrainState))
_request_init = fn("cm_train_request_init", None, POINTER(L.TrainRequest))
_train_model = fn("cm_train_model", "status", POINTER(L.TrainRequest), POINTER(L.Progress), POINTER(L.TrainState),
                  c_char_p)
_model_at = fn("cm_train_model_at", POINTER(L.TrainModelInfo), c_int)
_checkpoint_load = fn("cm_train_checkpoint_load", "status", c_char_p, c_void_p, c_void_p, POINTER(L.TrainState),
                      POINTER(c_uint64), c_char_p)

_batch_alloc = fn("cm_grid_batch_alloc", "status", POINTER(L.GridBatch), c_int, c_int, c_int)
_batch_free = fn("cm_grid_batch_free", None, POINTER(L.GridBatch))
_bottleneck_size = fn("cm_pathint_bottleneck_size", c_int, c_void_p)
_grid_run_map = fn("cm_grid_run_map", None, POINTER(L.GridRunConfig), POINTER(L.GridMapSpec))
_grid_evaluate = fn("cm_grid_evaluate", "status", c_void_p, c_void_p, c_int, c_void_p, POINTER(L.GridBatch),
                    POINTER(L.GridMapSpec), c_int64, c_uint64, c_int, POINTER(L.GridEvaluation), POINTER(L.Progress))
_evaluation_free = fn("cm_grid_evaluation_free", None, POINTER(L.GridEvaluation))

# Batches of a final evaluation come from their own stream, never seen in training (0) or in
# periodic evaluations (1): `cogmap eval`'s.
FINAL_STREAM = 2


def _symbol(name):
    """The address of a library data object or function (job ops, callbacks)."""
    if not L.has(name):
        raise NotImplementedError(f"{name} is not exported by {L.path} (a libcogmap without the run layer?)")
    obj = getattr(L.lib, name)
    return ctypes.cast(obj, c_void_p).value if callable(obj) else ctypes.addressof(c_char.in_dll(L.lib, name))


def _sets(sets):
    if sets is None:
        return []
    if isinstance(sets, dict):
        return [f"{k}={v}" for k, v in sets.items()]
    return [str(s) for s in sets]


class _SigintForLibrary:
    """While a training runs in the main thread, Ctrl-C reaches the library's flag (which the
    trainer polls between steps: it saves and stops with Interrupted); Python's handler is
    restored afterwards."""

    def __enter__(self):
        self.old = None
        if threading.current_thread() is threading.main_thread() and L.has("cm_interrupt_install"):
            self.old = signal.getsignal(signal.SIGINT)
            L.cm_interrupt_reset()
            L.lib.cm_interrupt_install()
        return self

    def __exit__(self, *exc):
        if self.old is not None:
            signal.signal(signal.SIGINT, self.old)
        return False


def models():
    """The models `train` trains, {name: info}: presets (None: the model has none), stage_keys
    (what sets may change on resume; None: nothing), bests (the choices of best; None: the
    model's own rule), max_sets, max_data (dataset folders; 0: none)."""
    out, i = {}, 0
    while True:
        p = _model_at(i)
        if not p:
            return out
        m = p.contents
        dec = (lambda b: None if b is None else b.decode())
        out[m.name.decode()] = {"presets": dec(m.presets), "stage_keys": dec(m.stage_keys), "bests": dec(m.bests),
                                "max_sets": m.max_sets, "max_data": m.max_data}
        i += 1


def _strings(items):
    """A C array of char * (and the bytes it points to, kept alive by the caller)."""
    enc = [os.fsencode(x) for x in items]
    return (c_char_p * max(len(enc), 1))(*enc), len(enc)


def train(model, out, *, preset=None, steps=None, minutes=None, sets=None, seed=1, data=None, resume=False,
          eval_every=100, checkpoint_every=0, keep=3, best=None, progress=False):
    """Trains a run folder through cm_train_model, as `cogmap train MODEL` does, and returns it as
    a Run.

    model: one of models() -- "grid" (preset "ssmpc", "banino", "sorscher" or "sorscher-512";
    data: an SSM-PC dataset root instead of on-the-fly paths), "smp", "bev" (preset "bev" or
    "bev-small"; data: dataset folders), "detector" (preset "detector" or "detector-small"; data:
    folders), "coop", "social" or "link". steps / minutes: limits counted over the whole run (at
    least one). sets: {"key": value} or ["key=value"] overrides (docs/cli.md lists the keys).
    resume=True continues the run in `out` from its newest checkpoint, exactly; `sets` then start
    a new stage (the keys models()[model]["stage_keys"] names). best (grid runs): which
    evaluation checkpoints/best keeps: "loss" (default), "grid" (highest grid fraction) or "goal"
    (nearest to 20% grid units and the decoding goal). progress: a progress line on stderr.
    Ctrl-C (main thread) saves a checkpoint and raises Interrupted; a bad argument raises
    ArgumentError naming it."""
    if not steps and not minutes:
        raise ValueError("train: give steps and/or minutes (a limit counted over the whole run)")
    out = os.fspath(out)
    if not resume and os.path.exists(os.path.join(out, "run.json")):
        raise FileExistsError(f"{out} already holds a run; continue it with resume=True or choose another folder")
    if data is None:
        data = []
    elif isinstance(data, (str, bytes, os.PathLike)):
        data = [data]
    kv, n_sets = _strings(_sets(sets))
    dl, n_data = _strings(data)
    r = L.TrainRequest()
    _request_init(byref(r))
    r.model = str(model).encode()
    if resume:
        r.resume = out.encode()
    else:
        r.out = out.encode()
    r.preset = L.cstr(preset)
    r.sets, r.n_sets, r.data, r.n_data = kv, n_sets, dl, n_data
    r.seed, r.steps, r.minutes = seed, int(steps or 0), float(minutes or 0)
    r.eval_every, r.checkpoint_every, r.keep = eval_every, checkpoint_every, keep
    r.best = L.cstr(best)
    state = L.TrainState()
    prog = L.progress(progress)
    with _SigintForLibrary():
        _train_model(byref(r), byref(prog) if prog is not None else None, byref(state), None)
    return Run(out)


class GridEvaluation:
    """A grid-cell network evaluated on fresh trajectories (cm_grid_evaluation): maps [U, n, n]
    (x first, NaN unvisited), sacs [U, 2n-1, 2n-1], gridness (a Gridness: score60, ...; its
    to_csv() is `cogmap eval`'s gridness.csv), decoding_error (world units), decoding_error_by_step
    [T] (the mean error at each step along the paths: how fast the estimate drifts), grid_fraction
    (score60 > 0.3), lo, hi (the maps' range), samples, true_paths / decoded_paths [P, T+1, 2],
    step and checkpoint (what was evaluated; step 0 and None for the untrained network),
    grid_periods_across (median map width / spacing of the units above 0.3, NaN: none) and, with
    shuffles > 0, the shuffle test: shuffle95 / shuffle99 [U] (each unit's percentiles of its
    time-shifted null score60), grid_fraction_shuffle / grid_fraction_shuffle99 (shares above)."""

    def __init__(self, ev, cells, step, checkpoint):
        U, n, sn = ev.units, ev.nbins, ev.sac_size
        self.units, self.nbins, self.lo, self.hi, self.samples = U, n, ev.lo, ev.hi, ev.samples
        self.decoding_error, self.grid_fraction = ev.decoding_error, ev.grid_fraction
        self.decoding_error_by_step = L.carray(ev.decoding_error_by_step, (ev.steps,), np.float64)
        self.maps = L.carray(ev.maps, (U, n, n), np.float64)
        self.sacs = L.carray(ev.sacs, (U, sn, sn), np.float64)
        rec = L.carray(ctypes.cast(ev.results, c_void_p).value, (U,), _RESULT)
        self.gridness = Gridness(rec, gridness_config(n, "ssmpc" if cells == "ssmpc" else "deepmind"), self.sacs)
        self.true_paths = L.carray(ev.true_paths, (ev.n_paths, ev.steps + 1, 2), np.float32)
        self.decoded_paths = L.carray(ev.decoded_paths, (ev.n_paths, ev.steps + 1, 2), np.float32)
        self.step, self.checkpoint = step, checkpoint
        self.grid_periods_across = ev.grid_periods_across
        self.grid_fraction_shuffle, self.grid_fraction_shuffle99 = ev.grid_fraction_shuffle, ev.grid_fraction_shuffle99
        self.shuffle95 = L.carray(ev.shuffle95, (U,), np.float64) if ev.shuffles > 0 else None
        self.shuffle99 = L.carray(ev.shuffle99, (U,), np.float64) if ev.shuffles > 0 else None


def evaluate_grid(run, samples=None, checkpoint="latest", progress=False, shuffles=0):
    """Evaluates a grid-cell run's network as `cogmap eval` does, without writing anything:
    `samples` fresh samples (default: 192,000 for ssmpc cells, 100,000 otherwise) from the
    final-evaluation stream, rate maps and gridness of every bottleneck unit, decoding error.
    checkpoint: "latest", "best", a step number, or None for the untrained network (the run's
    initial weights, `cogmap eval`'s baseline). shuffles: time shifts per unit for the shuffle
    test (`cogmap eval --shuffles`; 0: none)."""
    run = os.fspath(run)
    cfg = L.GridRunConfig()
    _grid_cfg_read(byref(cfg), run.encode())
    cells = L.text(cfg.cells)
    if samples is None:
        samples = 192000 if cells == "ssmpc" else 100000
    job = c_void_p()
    _grid_job_create(byref(cfg), byref(job))
    b, ev = L.GridBatch(), L.GridEvaluation()
    have_batch = False
    try:
        state, loaded = L.TrainState(), None
        _state_init(byref(state))
        if checkpoint is not None:
            d = _checkpoint_dir(run, checkpoint)
            buf = ctypes.create_string_buffer(4096)
            _checkpoint_load(d.encode(), _symbol("cm_grid_job_ops"), job, byref(state), None, buf)
            loaded = buf.value.decode()
        _batch_alloc(byref(b), cfg.net.batch, cfg.net.seq_len, cfg.net.input_size)
        have_batch = True
        net = _grid_job_net(job)
        prog = L.progress(progress)
        spec = L.GridMapSpec()
        _grid_run_map(byref(cfg), byref(spec))
        _grid_evaluate(_symbol("cm_grid_net_forward"), ctypes.cast(net, c_void_p), _bottleneck_size(net.contents.m),
                       _grid_job_eval_source(job), byref(b), byref(spec), samples, FINAL_STREAM, shuffles, byref(ev),
                       byref(prog) if prog is not None else None)
        return GridEvaluation(ev, cells, state.step, loaded)
    finally:
        _evaluation_free(byref(ev))
        if have_batch:
            _batch_free(byref(b))
        _grid_job_free(job)
