"""The numbers `cogmap bench` (train, dist, motion, targets, render, coop, link), `figure`, `analyze`, `gridness` and `simulate` print or write, one
call each, returning dicts (include/cogmap/bench.h, plot.h, gridness_table.h, simulate.h,
socialrun.h).

The benchmarks time what they build (no timing is meaningful on a loaded machine; the rates are
the same numbers the command prints); they change the library's thread count as their C
functions say. The figure and analysis calls write the command's files into `out` and return
what it prints.
"""

import ctypes
import os
from ctypes import POINTER, Structure, byref, c_char, c_char_p, c_double, c_int, c_int64, c_uint64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn
from .analysis import _RESULT, CELL_CLASSES, _maps, classify_options

# ------------------------------------------------------------------ structs (checked by test_layout.py)


class BenchPathintResult(Structure):
    _cname_ = "cm_bench_pathint_result"
    _since_ = "cm_bench_pathint"
    _fields_ = [("batch", c_int), ("seq_len", c_int), ("hidden", c_int), ("threads", c_int), ("steps", c_int64),
                ("final_loss", c_double), ("seconds", c_double), ("steps_per_s", c_double),
                ("step_flops", c_double), ("gflops", c_double), ("sgemm_gflops", c_double),
                ("sgemm_share", c_double), ("param_bytes", ctypes.c_size_t), ("optim_bytes", ctypes.c_size_t),
                ("activation_bytes", ctypes.c_size_t), ("model_bytes", ctypes.c_size_t),
                ("peak_rss", ctypes.c_size_t), ("baseline_rss", ctypes.c_size_t)]


class BenchBevResult(Structure):
    _cname_ = "cm_bench_bev_result"
    _fields_ = [("batch", c_int), ("steps", c_int64), ("n_params", ctypes.c_size_t), ("final_loss", c_double),
                ("train_wall_s", c_double), ("train_cpu_s", c_double), ("infer_wall_s", c_double),
                ("infer_cpu_s", c_double), ("train_state_bytes", ctypes.c_size_t),
                ("infer_state_bytes", ctypes.c_size_t)]


class BenchTrainResult(Structure):
    _cname_ = "cm_bench_train_result"
    _fields_ = [("batch", c_int), ("n_params", ctypes.c_size_t), ("step_flops", c_double), ("seconds", c_double),
                ("final_loss", c_double), ("scratch_left", c_char * 64)]


class BenchMotionResult(Structure):
    _cname_ = "cm_bench_motion_result"
    _fields_ = [("wall", c_double), ("cpu", c_double), ("threads", c_int), ("threaded_wall", c_double)]


class BenchTargetsResult(Structure):
    _cname_ = "cm_bench_targets_result"
    _since_ = "cm_bench_targets"
    _fields_ = [("reference_rows_per_s", c_double), ("fast_rows_per_s", c_double), ("max_rel_diff", c_double)]


class BenchRenderResult(Structure):
    _cname_ = "cm_bench_render_result"
    _fields_ = [("wall_s", c_double), ("cpu_s", c_double), ("checksum", c_uint64), ("arena", c_char * 32)]


class ClassCounts(Structure):
    _cname_ = "cm_class_counts"
    _fields_ = [("units", c_int), ("hd", c_int), ("ego_bvc", c_int), ("allo_bvc", c_int), ("place", c_int),
                ("border", c_int), ("grid", c_int), ("ego_bvc_with_higher_allo_score", c_int),
                ("primary", c_int * len(CELL_CLASSES))]


class UnitGroup(Structure):
    _cname_ = "cm_unit_group"
    _fields_ = [("name", c_char * 120), ("start", c_int64), ("end", c_int64)]


class SmpFigureOpts(Structure):
    _cname_ = "cm_smp_figure_opts"
    _since_ = "cm_smp_figure2"
    _fields_ = [("shuffles", c_int), ("fig3_init", c_int), ("max_attractor", c_int), ("images", c_int),
                ("seed", c_uint64)]


class SmpFigure2Summary(Structure):
    _cname_ = "cm_smp_figure2_summary"
    _since_ = "cm_smp_figure2"
    _fields_ = [("file", c_char * 4096), ("source", c_char * 16), ("samples", c_int64), ("units", c_int),
                ("hd_threshold", c_double), ("ego_threshold", c_double), ("allo_threshold", c_double),
                ("groups", (c_char * 32) * 3), ("counts", ClassCounts * 3)]


class SmpFigure3Summary(Structure):
    _cname_ = "cm_smp_figure3_summary"
    _since_ = "cm_smp_figure3"
    _fields_ = [("step", c_int64), ("hidden", c_int), ("slots", c_int), ("gamma", c_double),
                ("n_hd_units", c_int), ("images", c_int), ("converged_within_10", c_int),
                ("never_converged", c_int), ("attractor_states", c_int), ("median_convergence", c_double)]


MAX_GROUPS = 64  # CM_ACTIVITY_MAX_GROUPS


class AnalyzeSummary(Structure):
    _cname_ = "cm_analyze_summary"
    _since_ = "cm_analyze_file"
    _fields_ = [("samples", c_int64), ("units", c_int), ("shuffles", c_int), ("seconds", c_double),
                ("hd_threshold", c_double), ("ego_threshold", c_double), ("allo_threshold", c_double),
                ("n_groups", c_int), ("groups", UnitGroup * MAX_GROUPS), ("counts", ClassCounts * MAX_GROUPS)]


class GridnessTableOpts(Structure):
    _cname_ = "cm_gridness_table_opts"
    _fields_ = [("ssmpc_masks", c_int), ("min_max", c_int), ("bnt", c_int), ("shuffles", c_int), ("seed", c_uint64),
                ("keep_sacs", c_int)]


class GridnessTable(Structure):
    _cname_ = "cm_gridness_table"
    _fields_ = [("count", c_int64), ("n", c_int), ("cfg", L.GridnessConfig), ("res", POINTER(L.GridnessResult)),
                ("sacs", POINTER(c_double)), ("bnt", POINTER(c_double)), ("p95", POINTER(c_double)),
                ("p99", POINTER(c_double)), ("seconds", c_double), ("cpu_seconds", c_double)]


class CoopRow(Structure):
    _cname_ = "cm_coop_row"
    _fields_ = [("scheme", c_char * 16), ("bits", c_int), ("episodes", c_int), ("successes", c_int),
                ("success", c_double), ("ci_low", c_double), ("ci_high", c_double), ("mean_steps", c_double),
                ("bits_per_step", c_double), ("agent_steps", c_double), ("seconds", c_double)]


class CoopTable(Structure):
    _cname_ = "cm_coop_table"
    _fields_ = [("n_rows", c_int), ("rows", CoopRow * 64), ("seconds", c_double), ("agent_steps", c_double),
                ("cpu_seconds", c_double), ("threads", c_int)]


class CoopBenchRequest(Structure):
    _cname_ = "cm_coop_bench_request"
    _since_ = "cm_coop_bench_run"
    _fields_ = [("perception", c_char_p), ("policy", c_char_p), ("learned", POINTER(c_char_p)), ("n_learned", c_int),
                ("merge", POINTER(c_char_p)), ("n_merge", c_int), ("schemes", c_char_p), ("bits", c_char_p),
                ("sets", POINTER(c_char_p)), ("n_sets", c_int), ("episodes", c_int), ("seed", c_uint64),
                ("gif_scheme", c_char_p), ("gif_bits", c_int), ("gif_episode", c_int64), ("no_gif", c_int)]


class LinkBenchConfig(Structure):
    _cname_ = "cm_link_bench_config"
    _since_ = "cm_link_bench"
    _fields_ = [("out", c_char_p), ("bits", POINTER(c_int)), ("n_bits", c_int), ("steps_velocity", c_int64),
                ("steps_per_point", c_int64), ("minutes", c_double), ("eval_batches", c_int),
                ("sets", POINTER(c_char_p)), ("n_sets", c_int), ("seed", c_uint64)]


class LinkBenchRow(Structure):
    _cname_ = "cm_link_bench_row"
    _since_ = "cm_link_bench"
    _fields_ = [("scheme", c_char * 24), ("bits", c_int), ("partner_error", c_double), ("bits_per_step", c_double),
                ("self_error", c_double), ("steps", c_int64), ("seconds", c_double)]


_FP = POINTER(ctypes.c_float)


class Simulation(Structure):
    _cname_ = "cm_simulation"
    _fields_ = [("batch", c_int), ("steps", c_int), ("agents", c_int), ("rays", c_int), ("dt", ctypes.c_float),
                ("seconds", c_double), ("position", _FP), ("heading", _FP), ("velocity", _FP), ("speed", _FP),
                ("ang_vel", _FP), ("ego_velocity", _FP), ("smp_velocity", _FP), ("wall_dist", _FP),
                ("ego_wall_dist", _FP), ("init_position", _FP), ("init_heading", _FP)]


class SweepAxis(Structure):
    _cname_ = "cm_sweep_axis"
    _since_ = "cm_sweep_run"
    _fields_ = [("key", c_char * 64), ("n_values", c_int), ("values", (c_char * 64) * 64)]


class Sweep(Structure):
    _cname_ = "cm_sweep"
    _since_ = "cm_sweep_run"
    _fields_ = [("n_axes", c_int), ("axes", SweepAxis * 8)]


L.STRUCTS += [Simulation, SweepAxis, Sweep]
L.STRUCTS += [CoopRow, CoopTable, CoopBenchRequest, LinkBenchConfig, LinkBenchRow]
L.STRUCTS += [BenchPathintResult, BenchBevResult, BenchTrainResult, BenchMotionResult, BenchTargetsResult,
              BenchRenderResult,
              ClassCounts, UnitGroup, SmpFigureOpts, SmpFigure2Summary, SmpFigure3Summary, AnalyzeSummary,
              GridnessTableOpts, GridnessTable]

# ------------------------------------------------------------------ functions

_bench_pathint = fn("cm_bench_pathint", "status", c_char_p, c_int, c_int, c_int, c_int64, c_uint64,
                    POINTER(BenchPathintResult))
_bench_bev = fn("cm_bench_bev", "status", c_char_p, c_int, c_int64, c_uint64, POINTER(BenchBevResult))
_bench_train = fn("cm_bench_train", "status", c_char_p, c_char_p, POINTER(c_char_p), c_int, c_int64, c_uint64,
                  POINTER(BenchTrainResult))
_bench_motion = fn("cm_bench_motion", "status", c_char_p, c_char_p, c_int, c_int, c_int, c_int, c_uint64,
                   POINTER(BenchMotionResult))
_bench_targets = fn("cm_bench_targets", "status", c_int, ctypes.c_float, c_int, ctypes.c_float, c_int, c_int, c_uint64,
                    POINTER(BenchTargetsResult))
_bench_render = fn("cm_bench_render", "status", c_char_p, c_int, c_int, ctypes.c_longlong, c_uint64,
                   POINTER(BenchRenderResult))
_figure_opts_default = fn("cm_smp_figure_opts_default", None, POINTER(SmpFigureOpts))
_smp_figure2 = fn("cm_smp_figure2", "status", c_char_p, c_char_p, POINTER(SmpFigureOpts), POINTER(L.Progress),
                  POINTER(SmpFigure2Summary))
_smp_figure3 = fn("cm_smp_figure3", "status", c_char_p, c_char_p, POINTER(SmpFigureOpts), POINTER(L.Progress),
                  POINTER(SmpFigure3Summary))
_analyze_file = fn("cm_analyze_file", "status", c_char_p, c_char_p, POINTER(L.ClassifyOpts), c_char_p,
                   POINTER(L.Progress), POINTER(AnalyzeSummary))
_table_compute = fn("cm_gridness_table_compute", "status", POINTER(L.Array), c_char_p, POINTER(GridnessTableOpts),
                    POINTER(GridnessTable))
_table_free = fn("cm_gridness_table_free", None, POINTER(GridnessTable))
_coop_bench_run = fn("cm_coop_bench_run", "status", POINTER(CoopBenchRequest), c_char_p, POINTER(L.Progress),
                     POINTER(CoopTable))
_link_bench = fn("cm_link_bench", "status", POINTER(LinkBenchConfig), POINTER(L.Progress),
                 POINTER(POINTER(LinkBenchRow)), POINTER(c_int))
_link_fig_bits = fn("cm_link_fig_bits", "status", c_char_p, POINTER(LinkBenchRow), c_int)
_free = fn("cm_free", None, c_void_p)
_simulate_motion = fn("cm_simulate_motion", "status", POINTER(L.MotionC), c_char_p, c_double, c_double)
_simulate = fn("cm_simulate", "status", POINTER(L.ArenaC), POINTER(L.MotionC), c_int, c_int, c_int, c_int, c_int,
               c_uint64, POINTER(Simulation))
_simulation_save = fn("cm_simulation_save", "status", c_char_p, POINTER(L.ArenaC), POINTER(Simulation))
_simulation_free = fn("cm_simulation_free", None, POINTER(Simulation))
_maze_explore = fn("cm_maze_explore", "status", POINTER(L.MazeC), c_char_p, c_int, c_int, ctypes.c_float, c_uint64,
                   POINTER(L.Progress))
_SWEEP_FN = ctypes.CFUNCTYPE(c_int, c_void_p, c_char_p, POINTER(c_char_p), c_int)
_sweep_add = fn("cm_sweep_add", "status", POINTER(Sweep), c_char_p)
_sweep_count = fn("cm_sweep_count", c_int64, POINTER(Sweep))
_sweep_run = fn("cm_sweep_run", "status", POINTER(Sweep), c_char_p, _SWEEP_FN, c_void_p, POINTER(c_int64))
_plot_release = fn("cm_plot_release_caches", None)


def _dict(s):
    out = {}
    for name, _ in s._fields_:
        v = getattr(s, name)
        out[name] = L.text(v) if isinstance(v, bytes) else v
    return out


def _counts(c):
    d = _dict(c)
    d["primary"] = dict(zip(CELL_CLASSES, list(c.primary)))
    return d


def bench_train(preset="ssmpc", steps=0, batch=0, seq_len=0, hidden=0, seed=1, threads=None):
    """`cogmap bench train --preset P` (cm_bench_pathint, or cm_bench_bev for presets bev and
    bev-small): steps 0 = the preset's default; batch, seq_len, hidden 0 = the preset's. Returns the
    result's fields as a dict; for the path-integration presets also "share_of_sgemm" (percent),
    "peak_per_model" and "peak_minus_baseline_per_model", as printed."""
    if threads is not None:
        L.cm_set_threads(int(threads))
    if preset.startswith("bev"):
        return bench_bev(preset, steps=steps or 3, batch=batch, seed=seed)
    r = BenchPathintResult()
    _bench_pathint(preset.encode(), batch, seq_len, hidden, steps, seed, byref(r))
    d = _dict(r)
    model = r.model_bytes
    d["share_of_sgemm"] = 100.0 * r.sgemm_share
    d["peak_per_model"] = r.peak_rss / model if model else 0.0
    d["peak_minus_baseline_per_model"] = (r.peak_rss - min(r.baseline_rss, r.peak_rss)) / model if model else 0.0
    return d


def bench_bev(preset="bev", steps=3, batch=0, seed=1):
    """`cogmap bench train --preset bev|bev-small` (cm_bench_bev): the fields, plus the rates the
    command prints (images_per_s, images_per_cpu_s, inference_images_per_s,
    inference_images_per_cpu_s)."""
    r = BenchBevResult()
    _bench_bev(preset.encode(), batch, steps, seed, byref(r))
    d = _dict(r)
    img = float(r.batch * steps)
    d.update(images_per_s=img / r.train_wall_s, images_per_cpu_s=img / r.train_cpu_s if r.train_cpu_s else 0.0,
             inference_images_per_s=img / r.infer_wall_s,
             inference_images_per_cpu_s=img / r.infer_cpu_s if r.infer_cpu_s else 0.0)
    return d


def bench_dist(model="grid", preset="ssmpc", steps=10, sets=(), seed=1):
    """`cogmap bench dist` (cm_bench_train): steps of the generic trainer; the fields plus
    steps_per_s and bytes_allreduced_per_step."""
    arr = (c_char_p * max(1, len(sets)))(*[s.encode() for s in sets])
    r = BenchTrainResult()
    _bench_train(model.encode(), preset.encode() if preset else None, arr, len(sets), steps, seed, byref(r))
    d = _dict(r)
    d.update(steps_per_s=steps / r.seconds if r.seconds > 0 else 0.0,
             bytes_allreduced_per_step=r.n_params * ctypes.sizeof(ctypes.c_float))
    return d


def bench_motion(batch=200, steps=1000, motion="sorscher", arena="box", repeat=5, threads=0, seed=1):
    """`cogmap bench motion` (cm_bench_motion): agent-steps per second, wall and per core."""
    r = BenchMotionResult()
    _bench_motion(arena.encode(), motion.encode(), batch, steps, repeat, threads, seed, byref(r))
    return _dict(r)


def bench_targets(count=1024, sigma=0.6, dog=True, temperature=0.0062, rows=3200, repeat=5, seed=1):
    """`cogmap bench targets` (cm_bench_targets): place-cell target rows per CPU second of the
    reference and the vectorised path on one thread, and their largest difference relative to a
    row's largest target. The demo's ensemble by default."""
    r = BenchTargetsResult()
    _bench_targets(count, sigma, int(dog), temperature, rows, repeat, seed, byref(r))
    return _dict(r)


def bench_render(frames=200000, size=64, maze=15, arena=None, seed=1):
    """`cogmap bench render` (cm_bench_render): the fields, plus frames_per_s (wall) and
    frames_per_s_per_core, as printed."""
    r = BenchRenderResult()
    _bench_render(arena.encode() if arena else None, maze, size, frames, seed, byref(r))
    d = _dict(r)
    d.update(frames_per_s=frames / r.wall_s, frames_per_s_per_core=frames / r.cpu_s if r.cpu_s else 0.0)
    return d


def _figure_opts(shuffles, fig3_init, max_attractor, images, seed):
    o = SmpFigureOpts()
    _figure_opts_default(byref(o))
    for k, v in dict(shuffles=shuffles, fig3_init=fig3_init, max_attractor=max_attractor, images=images,
                     seed=seed).items():
        if v is not None:
            setattr(o, k, v)
    return o


def figure_smp2(data, out, shuffles=None, seed=None, progress=False):
    """`cogmap figure smp2 --data DATA --out OUT` (cm_smp_figure2): writes figure2.json and the
    panels, returns the summary it prints (thresholds, per-RNN counts)."""
    s = SmpFigure2Summary()
    _smp_figure2(str(data).encode(), str(out).encode(), byref(_figure_opts(shuffles, None, None, None, seed)),
                 L.progress(progress), byref(s))
    d = _dict(s)
    d["groups"] = [g.value.decode() for g in s.groups]
    d["counts"] = [_counts(c) for c in s.counts]
    return d


def figure_smp3(data, out, fig3_init=None, max_attractor=None, images=None, seed=None, progress=False):
    """`cogmap figure smp3 --data DATA --out OUT` (cm_smp_figure3): writes figure3.json,
    rnn1_check.json and fig3_*.png, returns the summary it prints."""
    s = SmpFigure3Summary()
    _smp_figure3(str(data).encode(), str(out).encode(),
                 byref(_figure_opts(None, fig3_init, max_attractor, images, seed)), L.progress(progress), byref(s))
    return _dict(s)


def analyze_file(activity, out, figures="png", progress=False, **options):
    """`cogmap analyze ACTIVITY --out OUT` (cm_analyze_file): report.json, maps.npz and, unless
    figures is None, the panels in that format; options as analysis.classify_options. Returns the
    summary it prints (per group counts). cogmap.analyze gives the report itself as a dict."""
    o = classify_options(**options)
    s = AnalyzeSummary()
    _analyze_file(str(activity).encode(), str(out).encode(), byref(o), figures.encode() if figures else None,
                  L.progress(progress), byref(s))
    d = _dict(s)
    d["groups"] = [{"name": g.name.decode(), "start": g.start, "end": g.end, **_counts(c)}
                   for g, c in zip(s.groups[:s.n_groups], s.counts[:s.n_groups])]
    del d["counts"]
    return d


def gridness_table(maps, masks="deepmind", min_max=False, bnt=False, shuffles=0, seed=1):
    """What `cogmap gridness MAPS.npy [--bnt] [--shuffles N]` prints (cm_gridness_table_compute), as
    numpy columns: score60, score90, mask60_outer, mask90_outer, spacing, orientation, and bnt,
    shuffle95, shuffle99 when asked for; seconds and cpu_seconds of the scoring."""
    if masks not in ("deepmind", "ssmpc"):
        raise ValueError(f"masks: expected 'deepmind' or 'ssmpc', got {masks!r}")
    m = _maps(maps)
    arr = L.Array()
    arr.name = b"maps"
    arr.dtype = L.CM_F32 if m.dtype == np.float32 else L.CM_F64
    arr.ndim = 3
    for k in range(3):
        arr.shape[k] = m.shape[k]
    arr.data = m.ctypes.data
    o = GridnessTableOpts(int(masks == "ssmpc"), int(min_max), int(bnt), int(shuffles), seed, 0)
    t = GridnessTable()
    _table_compute(byref(arr), b"maps", byref(o), byref(t))
    try:
        n = t.count
        rec = np.ctypeslib.as_array(ctypes.cast(t.res, POINTER(ctypes.c_uint8)), (n * _RESULT.itemsize,))
        rec = rec.view(_RESULT).copy()
        radii = np.array([t.cfg.mask_max[i] for i in range(t.cfg.n_masks)])
        d = {"score60": rec["score60"], "score90": rec["score90"], "mask60_outer": radii[rec["mask60"]],
             "mask90_outer": radii[rec["mask90"]], "spacing": rec["spacing"], "orientation": rec["orientation"],
             "seconds": t.seconds, "cpu_seconds": t.cpu_seconds}
        for name in ("bnt", "p95", "p99"):
            p = getattr(t, name)
            if p:
                d[{"p95": "shuffle95", "p99": "shuffle99"}.get(name, name)] = np.ctypeslib.as_array(p, (n,)).copy()
        return d
    finally:
        _table_free(byref(t))


def _strings(items):
    items = [items] if isinstance(items, str) else list(items or ())
    return (c_char_p * max(1, len(items)))(*[str(i).encode() for i in items]), len(items)


def bench_coop(out, policy=None, perception=None, learned=(), schemes=None, bits=None, episodes=0, sets=(), seed=1,
               gif_scheme=None, gif_bits=-1, gif_episode=0, gif=True, merge=(), progress=False):
    """`cogmap bench coop --out OUT ...` (cm_coop_bench_run): writes table.csv, success_vs_bits.png
    and (gif) episode.gif; schemes and bits as the command's comma lists or Python lists; merge:
    report folders whose tables are merged instead of running episodes. Returns {"rows": [one dict
    per row], "seconds", "agent_steps", "cpu_seconds", "threads"}."""
    as_list = (lambda v: v if v is None or isinstance(v, str) else ",".join(map(str, v)))
    ls, nl = _strings(learned)
    ms, nm = _strings(merge)
    ss, ns = _strings(sets)
    enc = (lambda v: v.encode() if v else None)
    rq = CoopBenchRequest(enc(perception), enc(policy), ls, nl, ms, nm, enc(as_list(schemes)), enc(as_list(bits)), ss,
                          ns, episodes, seed, enc(gif_scheme), gif_bits, gif_episode, int(not gif))
    t = CoopTable()
    _coop_bench_run(byref(rq), str(out).encode(), L.progress(progress) if not nm else None, byref(t))
    rows = [_dict(t.rows[r]) for r in range(t.n_rows)]
    return {"rows": rows, "seconds": t.seconds, "agent_steps": t.agent_steps, "cpu_seconds": t.cpu_seconds,
            "threads": t.threads}


def bench_link(out, bits=(4, 8, 16, 32, 64, 128), steps_velocity=3000, steps_per_point=300, minutes=60,
               eval_batches=8, sets=(), seed=1, progress=False):
    """`cogmap bench link --out OUT ...` (cm_link_bench, then cm_link_fig_bits): trains and evaluates
    the velocity scheme, no link, and the learned link, broadcast and broadcast_estimate at every budget in `bits`,
    one run folder per point under `out` (points already there are resumed); writes table.csv and
    partner_error_vs_bits.png. minutes: the total budget that cuts the link points (0: none).
    Returns one dict per row: scheme, bits (0 for velocity and none), partner_error,
    bits_per_step, self_error, steps, seconds."""
    bits = [bits] if isinstance(bits, int) else list(bits)
    bs = (c_int * max(1, len(bits)))(*bits)
    ss, ns = _strings(sets)
    out = str(out)
    c = LinkBenchConfig(out.encode(), bs, len(bits), steps_velocity, steps_per_point, minutes, eval_batches, ss, ns,
                        seed)
    rows, n = POINTER(LinkBenchRow)(), c_int(0)
    _link_bench(byref(c), L.progress(progress), byref(rows), byref(n))
    try:
        _link_fig_bits(os.path.join(out, "partner_error_vs_bits.png").encode(), rows, n.value)
        return [_dict(rows[i]) for i in range(n.value)]
    finally:
        _free(rows)


def simulate_folder(out, arena="box", motion="sorscher", steps=1000, agents=1, batch=1, rays=36, scale=1.0, dt=0.0,
                    substeps=1, seed=1):
    """`cogmap simulate --out OUT ...`: OUT/trajectory.npz and OUT/preview.png, the same files
    (cm_simulate_motion, cm_simulate, cm_simulation_save). Returns {"agent_steps", "seconds",
    "dt"}; world.simulate gives the arrays themselves."""
    from .world import Arena
    a = Arena.preset(arena)
    m = L.MotionC()
    _simulate_motion(byref(m), motion.encode(), scale, dt or 0.0)
    sim = Simulation()
    _simulate(byref(a._c), byref(m), batch, agents, steps, rays, substeps, seed, byref(sim))
    try:
        _simulation_save(str(out).encode(), byref(a._c), byref(sim))
        return {"agent_steps": batch * steps * agents, "seconds": sim.seconds, "dt": sim.dt}
    finally:
        _simulation_free(byref(sim))


def maze_dataset(maze, out, steps=500, agents=1, fov=75.0, seed=None, progress=False):
    """`cogmap maze --size N --out OUT`: agents explore `maze` (a world.Maze) with the scripted
    policy and OUT gets SSM-PC's dataset folder and preview.png (cm_maze_explore); seed defaults
    to the maze's, as the command's --seed is both. world.explore gives the frames in memory."""
    _maze_explore(byref(maze._c), str(out).encode(), steps, agents, fov, maze.seed if seed is None else seed,
                  L.progress(progress))


def sweep(out, axes, run_point):
    """`cogmap sweep --set key=v1,v2 ... -- train ... --out OUT` with a Python trainer
    (cm_sweep_run): axes like ["lr=1e-3,1e-4", "seed=1,2"] (the first varies slowest); for every
    point run_point(run_folder, ["key=value", ...]) trains into its own folder (for instance
    lambda out, sets: cogmap.runs.train("grid", out, steps=100, sets=sets)), and OUT/sweep.csv
    gets one row per point: its settings, status and the run's last evaluation. A CogmapError a
    point raises is its row's status (the others go on). Returns {"points", "failed", "table"
    (sweep.csv's path)}."""
    s = Sweep()
    for kv in axes:
        _sweep_add(byref(s), kv.encode())

    def point(ctx, folder, sets, n):
        try:
            run_point(folder.decode(), [sets[i].decode() for i in range(n)])
            return L.CM_OK
        except KeyboardInterrupt:
            return L.lib.cm_error(L.CM_ERR_INTERRUPTED, b"%s", b"interrupted")
        except Exception as e:  # noqa: BLE001 -- a point's failure is its row, as the command's
            status = e.status if isinstance(e, L.CogmapError) else L.CM_ERR_IO
            return L.lib.cm_error(status, b"%s", str(e).encode(errors="replace"))  # variadic: no argtypes

    failed = c_int64()
    _sweep_run(byref(s), str(out).encode(), _SWEEP_FN(point), None, byref(failed))
    return {"points": _sweep_count(byref(s)), "failed": failed.value, "table": str(out) + "/sweep.csv"}
