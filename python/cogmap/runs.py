"""The run layer: training a grid-cell or SMP run folder through the library's generic trainer,
and evaluating a grid-cell run into numpy (include/cogmap/run.h; docs/formats.md for the
folder). A run trained here is the run `cogmap train` makes with the same settings: same
run.json, checkpoints and bits; `cogmap train --resume` and `cogmap eval` continue it.

These functions need a libcogmap with the run layer (cm_train_run); with an older one they raise
NotImplementedError naming the missing function.
"""

import ctypes
import os
import signal
import threading
from ctypes import POINTER, byref, c_char, c_char_p, c_double, c_int, c_int64, c_uint64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn
from .analysis import _RESULT, Gridness, gridness_config
from .io import Run, _checkpoint_dir

_mkdir_p = fn("cm_mkdir_p", "status", c_char_p)

_grid_cfg_init = fn("cm_grid_run_config_init", "status", POINTER(L.GridRunConfig), c_char_p, c_uint64)
_grid_cfg_set = fn("cm_grid_run_config_set", "status", POINTER(L.GridRunConfig), c_char_p)
_grid_cfg_write = fn("cm_grid_run_config_write", "status", POINTER(L.GridRunConfig), c_char_p)
_grid_cfg_read = fn("cm_grid_run_config_read", "status", POINTER(L.GridRunConfig), c_char_p)
_pathint_check = fn("cm_pathint_config_check", "status", POINTER(L.PathintConfig))
_grid_job_create = fn("cm_grid_job_create", "status", POINTER(L.GridRunConfig), POINTER(c_void_p))
_grid_job_free = fn("cm_grid_job_free", None, c_void_p)
_grid_job_net = fn("cm_grid_job_net", POINTER(L.GridNet), c_void_p)
_grid_job_eval_source = fn("cm_grid_job_eval_source", c_void_p, c_void_p)

_smp_cfg_init = fn("cm_smp_run_config_init", None, POINTER(L.SmpRunConfig), c_uint64)
_smp_cfg_set = fn("cm_smp_run_config_set", "status", POINTER(L.SmpRunConfig), c_char_p)
_smp_cfg_write = fn("cm_smp_run_config_write", "status", POINTER(L.SmpRunConfig), c_char_p)
_smp_cfg_read = fn("cm_smp_run_config_read", "status", POINTER(L.SmpRunConfig), c_char_p)
_smp_cfg_check = fn("cm_smp_config_check", "status", POINTER(L.SmpConfig))
_smp_key_can_change = fn("cm_smp_run_key_can_change", c_int, c_char_p)
_smp_restage = fn("cm_smp_run_config_restage", "status", POINTER(L.SmpRunConfig), c_char_p, c_int64,
                  POINTER(c_char_p), c_int)
_smp_job_create = fn("cm_smp_job_create", "status", POINTER(L.SmpRunConfig), POINTER(c_void_p))
_smp_job_free = fn("cm_smp_job_free", None, c_void_p)

_state_init = fn("cm_train_state_init", None, POINTER(L.TrainState))
_train_resume = fn("cm_train_resume", "status", c_char_p, c_void_p, c_void_p, c_uint64, POINTER(L.TrainState),
                   c_char_p)
_train_run = fn("cm_train_run", "status", POINTER(L.TrainConfig), c_void_p, c_void_p, POINTER(L.TrainState),
                POINTER(L.Progress))
_checkpoint_load = fn("cm_train_checkpoint_load", "status", c_char_p, c_void_p, c_void_p, POINTER(L.TrainState),
                      POINTER(c_uint64), c_char_p)

_batch_alloc = fn("cm_grid_batch_alloc", "status", POINTER(L.GridBatch), c_int, c_int, c_int)
_batch_free = fn("cm_grid_batch_free", None, POINTER(L.GridBatch))
_bottleneck_size = fn("cm_pathint_bottleneck_size", c_int, c_void_p)
_grid_evaluate = fn("cm_grid_evaluate", "status", c_void_p, c_void_p, c_int, c_void_p, POINTER(L.GridBatch), c_char_p,
                    c_int64, c_uint64, POINTER(L.GridEvaluation), POINTER(L.Progress))
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


def train(model, out, *, preset=None, steps=None, minutes=None, sets=None, seed=1, data=None, resume=False,
          eval_every=100, checkpoint_every=0, keep=3, best=None, progress=False):
    """Trains a run folder, as `cogmap train grid|smp` does, and returns it as a Run.

    model: "grid" (preset "ssmpc", "banino", "sorscher" or "sorscher-512"; data: an SSM-PC
    dataset root instead of on-the-fly paths) or "smp". steps / minutes: limits counted over the
    whole run (at least one). sets: {"key": value} or ["key=value"] overrides (docs/cli.md
    lists the keys). resume=True continues the run in `out` from its newest checkpoint, exactly
    (for smp, `sets` then start a new stage). best: which evaluation checkpoints/best keeps:
    "loss" (default), "grid" (grid runs: highest grid fraction) or "goal" (grid runs: nearest
    to 20% grid units and the decoding goal). progress: a progress line on stderr. Ctrl-C
    (main thread) saves a checkpoint and raises Interrupted."""
    if model not in ("grid", "smp"):
        raise ValueError(f"model: expected 'grid' or 'smp', got {model!r}")
    if not steps and not minutes:
        raise ValueError("train: give steps and/or minutes (a limit counted over the whole run)")
    kv = _sets(sets)
    out = os.fspath(out)
    if not resume and os.path.exists(os.path.join(out, "run.json")):
        raise FileExistsError(f"{out} already holds a run; continue it with resume=True or choose another folder")
    if model == "grid":
        if resume and (preset or kv or data):
            raise ValueError("train: a resumed grid run takes preset, sets and data from its run.json")
        if not resume and not preset:
            raise ValueError("train: grid runs need a preset (ssmpc, banino, sorscher, sorscher-512)")
        if best not in (None, "loss", "grid", "goal"):
            raise ValueError(f"best: expected 'loss', 'grid' or 'goal', got {best!r}")
        cfg = L.GridRunConfig()
        if resume:
            _grid_cfg_read(byref(cfg), out.encode())
        else:
            _grid_cfg_init(byref(cfg), preset.encode(), seed)
            for s in kv:
                _grid_cfg_set(byref(cfg), s.encode())
            if data:
                cfg.data = os.fsencode(data)
            _pathint_check(byref(cfg.net))
        job = c_void_p()
        _grid_job_create(byref(cfg), byref(job))
        ops, free, write = _symbol("cm_grid_job_ops"), _grid_job_free, _grid_cfg_write
    else:
        if preset or data or best not in (None, "loss"):
            raise ValueError("train: smp runs take no preset, data or best")
        cfg = L.SmpRunConfig()
        if resume:
            _smp_cfg_read(byref(cfg), out.encode())
            bad = [s for s in kv if not _smp_key_can_change(s.encode())]
            if bad:
                raise ValueError(f"train: a resumed smp run may change only training settings, not {bad[0]!r}")
        else:
            _smp_cfg_init(byref(cfg), seed)
        for s in kv:
            _smp_cfg_set(byref(cfg), s.encode())
        _smp_cfg_check(byref(cfg.model))
        job = c_void_p()
        _smp_job_create(byref(cfg), byref(job))
        ops, free, write = _symbol("cm_smp_job_ops"), _smp_job_free, _smp_cfg_write
    try:
        state = L.TrainState()
        _state_init(byref(state))
        if resume:
            loaded = ctypes.create_string_buffer(4096)
            _train_resume(out.encode(), ops, job, cfg.seed, byref(state), loaded)
            if model == "smp" and kv:
                arr = (c_char_p * len(kv))(*[s.encode() for s in kv])
                _smp_restage(byref(cfg), out.encode(), state.step, arr, len(kv))
        else:
            _mkdir_p(out.encode())
            write(byref(cfg), out.encode())
        tc = L.TrainConfig(out=out.encode(), steps=int(steps or 0), minutes=float(minutes or 0),
                           eval_every=eval_every, checkpoint_every=checkpoint_every, keep=keep, seed=cfg.seed)
        goal = None
        if best == "grid":
            tc.best = b"grid_fraction"
        elif best == "goal":  # `cogmap train grid --best goal`: 20% grid units, 0.5 grid units or 10 cm
            goal = L.GridGoal(0.2, 0.5 if L.text(cfg.cells) == "ssmpc" else 0.1)
            tc.rank = _symbol("cm_grid_goal_rank")
            tc.rank_ctx = ctypes.addressof(goal)
        prog = L.progress(progress)
        with _SigintForLibrary():
            _train_run(byref(tc), ops, job, byref(state), byref(prog) if prog is not None else None)
    finally:
        free(job)
    return Run(out)


class GridEvaluation:
    """A grid-cell network evaluated on fresh trajectories (cm_grid_evaluation): maps [U, n, n]
    (x first, NaN unvisited), sacs [U, 2n-1, 2n-1], gridness (a Gridness: score60, ...; its
    to_csv() is `cogmap eval`'s gridness.csv), decoding_error (world units), grid_fraction
    (score60 > 0.3), lo, hi (the maps' range), samples, true_paths / decoded_paths [P, T+1, 2],
    step and checkpoint (what was evaluated; step 0 and None for the untrained network)."""

    def __init__(self, ev, cells, step, checkpoint):
        U, n, sn = ev.units, ev.nbins, ev.sac_size
        self.units, self.nbins, self.lo, self.hi, self.samples = U, n, ev.lo, ev.hi, ev.samples
        self.decoding_error, self.grid_fraction = ev.decoding_error, ev.grid_fraction
        self.maps = L.carray(ev.maps, (U, n, n), np.float64)
        self.sacs = L.carray(ev.sacs, (U, sn, sn), np.float64)
        rec = L.carray(ctypes.cast(ev.results, c_void_p).value, (U,), _RESULT)
        self.gridness = Gridness(rec, gridness_config(n, "ssmpc" if cells == "ssmpc" else "deepmind"), self.sacs)
        self.true_paths = L.carray(ev.true_paths, (ev.n_paths, ev.steps + 1, 2), np.float32)
        self.decoded_paths = L.carray(ev.decoded_paths, (ev.n_paths, ev.steps + 1, 2), np.float32)
        self.step, self.checkpoint = step, checkpoint


def evaluate_grid(run, samples=None, checkpoint="latest", progress=False):
    """Evaluates a grid-cell run's network as `cogmap eval` does, without writing anything:
    `samples` fresh samples (default: 192,000 for ssmpc cells, 100,000 otherwise) from the
    final-evaluation stream, rate maps and gridness of every bottleneck unit, decoding error.
    checkpoint: "latest", "best", a step number, or None for the untrained network (the run's
    initial weights, `cogmap eval`'s baseline)."""
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
        _grid_evaluate(_symbol("cm_grid_net_forward"), ctypes.cast(net, c_void_p), _bottleneck_size(net.contents.m),
                       _grid_job_eval_source(job), byref(b), cells.encode(), samples, FINAL_STREAM, byref(ev),
                       byref(prog) if prog is not None else None)
        return GridEvaluation(ev, cells, state.step, loaded)
    finally:
        _evaluation_free(byref(ev))
        if have_batch:
            _batch_free(byref(b))
        _grid_job_free(job)
