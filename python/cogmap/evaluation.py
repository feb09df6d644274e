"""Evaluating a run of any model as `cogmap eval` does, and `cogmap map`'s exploration, from
Python (include/cogmap/evaluate.h, maprun.h). The numbers come back under the names of the file
the command writes (summary.json; celltypes.json for an SMP run; nested names joined by "."),
the same bits, beside the lines the command prints."""

import ctypes
import os
from ctypes import POINTER, Structure, byref, c_char, c_char_p, c_double, c_float, c_int, c_int64, c_uint8, c_uint64, \
    c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn

CM_SUMMARY_MAX = 64


class SummaryValue(Structure):
    _cname_ = "cm_summary_value"
    _since_ = "cm_eval_run"
    _fields_ = [("key", c_char * 48), ("unit", c_char * 16), ("value", c_double)]


class SummaryC(Structure):
    _cname_ = "cm_summary"
    _since_ = "cm_eval_run"
    _fields_ = [("n", c_int), ("values", SummaryValue * CM_SUMMARY_MAX), ("text", c_char * 4096)]


class EvalOpts(Structure):
    _cname_ = "cm_eval_opts"
    _since_ = "cm_eval_run"
    _fields_ = [("checkpoint", c_char_p), ("samples", c_int64), ("baseline", c_int), ("stages", c_int),
                ("shuffles", c_int), ("file", c_char_p), ("preset", c_char_p), ("seed", c_uint64)] + \
               [(n, c_int) for n in ("trajectories", "steps", "correct_every", "smp_shuffles", "figure3", "images",
                                     "fig3_init", "frames", "baseline_frames", "keep", "reps", "per_class", "batches")]


class EvalResult(Structure):
    _cname_ = "cm_eval_result"
    _since_ = "cm_eval_run"
    _fields_ = [("model", c_char * 32), ("dir", c_char * 4096), ("summary", SummaryC)] + \
               [(n, c_void_p) for n in ("grid", "smp", "bev", "detector", "social")]


class BevFrame(Structure):
    _cname_ = "cm_bev_frame"
    _since_ = "cm_eval_run"
    _fields_ = [("width", c_int), ("height", c_int)] + [(n, c_float) for n in
                                                       ("px_per_cell", "pivot_u", "pivot_v", "fov_deg", "range")] + \
               [("pose_anchored", c_int)]


class MapConfig(Structure):
    _cname_ = "cm_map_config"
    _since_ = "cm_eval_run"
    _fields_ = [("size", c_int), ("border", c_int), ("px_per_cell", c_int)] + \
               [(n, c_float) for n in ("tau", "l_free", "l_occ", "l_clamp", "cell_threshold", "wall_cells")] + \
               [("frame", BevFrame)]


class MatchConfig(Structure):
    _cname_ = "cm_map_match_config"
    _since_ = "cm_eval_run"
    _fields_ = [("radius", c_int), ("dtheta", c_float), ("dtheta_step", c_float), ("subsample", c_int)] + \
               [(n, c_float) for n in ("shift_cost", "turn_cost", "wall_sure")]


class MapRunConfig(Structure):
    _cname_ = "cm_map_run_config"
    _since_ = "cm_eval_run"
    _fields_ = [("size", c_int), ("seed", c_uint64), ("steps", c_int), ("policy_noise", c_float),
                ("bev", L.BevConfig), ("map", MapConfig), ("detect_threshold", c_float), ("correct", c_int),
                ("heading_range", c_float), ("heading_step", c_float), ("heading_margin", c_float),
                ("accept_margin", c_float), ("correct_after", c_int), ("match", MatchConfig),
                ("snapshot_every", c_int), ("snapshot_scale", c_int)]


class MaprunOptions(Structure):
    _cname_ = "cm_maprun_options"
    _since_ = "cm_eval_run"
    _fields_ = [("bev_run", c_char_p), ("detector_run", c_char_p), ("pose", c_char_p), ("chunk", c_int),
                ("correct", c_int), ("run", MapRunConfig), ("gif_frames", c_int), ("scale", c_int)]


class MapScores(Structure):
    _cname_ = "cm_map_scores"
    _since_ = "cm_eval_run"
    _fields_ = [(n, c_double) for n in ("iou", "accuracy", "coverage", "precision", "recall")] + \
               [("scored", c_int), ("known", c_int), ("n_targets", c_int), ("target_error", c_double),
                ("iou_all_free", c_double)]


class MapRunResult(Structure):
    _cname_ = "cm_map_run_result"
    _since_ = "cm_eval_run"
    _fields_ = [("steps", c_int), ("size", c_int), ("layout", c_uint8 * L._MZ), ("seen", c_uint8 * L._MZ),
                ("n_targets", c_int), ("targets", (c_float * 2) * L.CM_MAZE_MAX_TARGETS), ("scores", MapScores),
                ("truth_scores", MapScores), ("drift_mean", c_double), ("drift_final", c_double),
                ("heading_drift_mean", c_double), ("corrections", c_int), ("heading_corrections", c_int),
                ("true_path", POINTER(c_float)), ("used_path", POINTER(c_float)), ("map", c_void_p),
                ("truth_map", c_void_p), ("n_snapshots", c_int), ("snapshot_width", c_int),
                ("snapshot_height", c_int), ("snapshots", POINTER(c_uint8))]


L.STRUCTS.extend([SummaryValue, SummaryC, EvalOpts, EvalResult, BevFrame, MapConfig, MatchConfig, MapRunConfig,
                  MaprunOptions, MapScores, MapRunResult])

_run_model = fn("cm_run_model", "status", c_char_p, c_char_p, ctypes.c_size_t)
_opts_default = fn("cm_eval_opts_default", None, POINTER(EvalOpts))
_eval_run = fn("cm_eval_run", "status", c_char_p, POINTER(EvalOpts), POINTER(L.Progress), POINTER(EvalResult))
_eval_free = fn("cm_eval_result_free", None, POINTER(EvalResult))
_eval_figures = fn("cm_eval_figures", "status", POINTER(EvalResult))
_release_caches = fn("cm_plot_release_caches", None)
_map_default = fn("cm_maprun_options_default", None, POINTER(MaprunOptions))
_map_check = fn("cm_maprun_options_check", "status", POINTER(MaprunOptions))
_maprun = fn("cm_maprun", "status", POINTER(MaprunOptions), c_char_p, POINTER(MapRunResult), c_void_p)
_map_summary = fn("cm_maprun_summary", "status", POINTER(MaprunOptions), POINTER(MapRunResult), c_char_p,
                  POINTER(SummaryC))
_map_free = fn("cm_map_run_result_free", None, POINTER(MapRunResult))
_logodds = fn("cm_map_logodds", POINTER(c_float), c_void_p, POINTER(c_int), POINTER(c_int))


class Summary:
    """Named numbers in order: `values` {name: float} (NaN where the file writes null), `units`
    {name: unit}, `text` (the lines the command prints); s["map_iou"] reads a value."""

    def __init__(self, s):
        vals = s.values[:s.n]
        self.values = {L.text(v.key): v.value for v in vals}
        self.units = {L.text(v.key): L.text(v.unit) for v in vals}
        self.text = s.text.decode(errors="replace")

    def __getitem__(self, key):
        return self.values[key]

    def __contains__(self, key):
        return key in self.values

    def __repr__(self):
        return self.text


class Evaluation(Summary):
    """A run evaluated (cogmap.evaluate): `model` (run.json's), `dir` (the folder written), and
    the Summary's values, units and text."""

    def __init__(self, r):
        super().__init__(r.summary)
        self.model, self.dir = L.text(r.model), L.text(r.dir)


_OPTION_NAMES = {f for f, _ in EvalOpts._fields_} - {"checkpoint", "file", "preset", "figure3"}


def evaluate(run=None, *, checkpoint=None, figures=False, file=None, preset=None, seed=1, progress=False,
             **options):
    """Evaluates run folder `run` as `cogmap eval RUN` does for its model (grid, smp, bev,
    detector, social, link), writing the same files (summary.json, ...), and returns an
    Evaluation: evaluation["alpha_iou"], .values (the file's numbers), .text (what the command
    prints). checkpoint: a name under RUN/checkpoints ("best", "step_00000200"; a detector run: a
    checkpoint folder), None the model's default. figures: also draw RUN/figures (SMP runs:
    figure 3's dynamics too); False is `--no-figures`. Options, by model, as the command's
    (docs/cli.md; underscores for dashes): grid samples, baseline, stages, shuffles; smp
    trajectories, steps, correct_every, shuffles, images, fig3_init; bev frames, baseline_frames,
    keep (`--samples`); detector frames; social / link reps, per_class, batches. file / preset /
    seed: a grid-cell checkpoint file trained elsewhere (`--from-checkpoint`), written to `run`
    (None: FILE without .safetensors, plus -eval)."""
    o = EvalOpts()
    _opts_default(byref(o))
    model = "grid"
    if file is None:
        if run is None:
            raise ValueError("evaluate: expected a run folder (or file= a checkpoint file)")
        buf = ctypes.create_string_buffer(32)
        _run_model(os.fsencode(run), buf, 32)
        model = buf.value.decode()
    if model == "smp" and "shuffles" in options:
        options["smp_shuffles"] = options.pop("shuffles")
    bad = sorted(set(options) - _OPTION_NAMES)
    if bad:
        raise TypeError(f"evaluate: unknown option {bad[0]!r} (options: {', '.join(sorted(_OPTION_NAMES))})")
    if not figures:  # as --no-figures: no figure data kept or computed
        o.figure3, o.per_class, o.keep = 0, 0, 0
    for k, v in options.items():
        setattr(o, k, int(v))
    o.checkpoint, o.file, o.preset = (L.cstr(x) for x in (checkpoint, file, preset))
    o.seed = seed
    r = EvalResult()
    prog = L.progress(progress)
    try:
        _eval_run(None if run is None else os.fsencode(run), byref(o), byref(prog) if prog is not None else None,
                  byref(r))
        if figures:
            _eval_figures(byref(r))
        return Evaluation(r)
    finally:
        _eval_free(byref(r))
        if figures:
            _release_caches()


class MapResult(Summary):
    """`cogmap map`'s exploration (cogmap.map): `map` the log-odds map (float32 [H, W], row 0 at
    world y = -border, as map.npy), `truth_map` the ceiling's (true views at true poses),
    `true_path` / `used_path` [steps, 3] (x, y, theta), `layout` / `seen` [size, size] (maze
    cells: 1 wall; cells the true views showed), and the Summary of summary.json's numbers."""

    def __init__(self, r, s):
        super().__init__(s)
        self.map, self.truth_map = (self._logodds(m) for m in (r.map, r.truth_map))
        n = r.size
        self.layout = np.ctypeslib.as_array(r.layout)[:n * n].reshape(n, n).copy()
        self.seen = np.ctypeslib.as_array(r.seen)[:n * n].reshape(n, n).copy()
        self.true_path = L.carray(r.true_path, (r.steps, 3), np.float32)
        self.used_path = L.carray(r.used_path, (r.steps, 3), np.float32)

    @staticmethod
    def _logodds(m):
        w, h = c_int(), c_int()
        p = _logodds(m, byref(w), byref(h))
        return L.carray(p, (h.value, w.value), np.float32)


def map(bev="truth", *, detector=None, pose="truth", correct=False, size=15, seed=1, steps=1000, chunk=0,
        gif_frames=60, out=None, progress=False):
    """One agent explores maze `seed` as `cogmap map` does (docs/cli.md): views from the BEV run
    `bev` ("truth": the true views), targets from the `detector` run, poses "truth", "deadreckon" or
    "pathint:GRIDRUN" (correct: scan matching). With `out`, the command's files are written there
    (map.npy, map.png, map.gif, summary.json); without, nothing is. Returns a MapResult."""
    o = MaprunOptions()
    _map_default(byref(o))
    o.bev_run, o.detector_run, o.pose = (L.cstr(x) for x in (bev, detector, pose))
    o.correct, o.chunk, o.gif_frames = int(correct), int(chunk), int(gif_frames)
    o.run.size, o.run.seed, o.run.steps = int(size), int(seed), int(steps)
    _map_check(byref(o))
    r, s = MapRunResult(), SummaryC()
    d = L.cstr(out)
    _maprun(byref(o), d, byref(r), L.stderr_file() if progress else None)
    try:
        _map_summary(byref(o), byref(r), d, byref(s))
        return MapResult(r, s)
    finally:
        _map_free(byref(r))
