"""The analysis module: gridness, rate maps, head-direction, boundary-vector, place, border and
stability scores, and SMP's cell classification, on numpy arrays (include/cogmap/analysis.h;
docs/analysis.md says what each score is).

Conventions are the library's: activations float32 [N samples, U units], positions [N, 2],
headings [N] radians, rate maps [U, nx, ny] with x first and NaN for unvisited bins. Inputs of
the dtype and layout the C function reads are passed without a copy. Positions and headings
given as float32 make the scores do SMP's float32 arithmetic (the library's `f32` flag),
exactly as `cogmap analyze` does for an activity file holding float32 arrays.
"""

import ctypes
import math
import os
from ctypes import POINTER, byref, c_char_p, c_double, c_float, c_int, c_int64, c_uint64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn, inp, ptr

# ------------------------------------------------------------------ gridness

_cfg_deepmind = fn("cm_gridness_config_deepmind", None, POINTER(L.GridnessConfig), c_int)
_cfg_ssmpc = fn("cm_gridness_config_ssmpc", None, POINTER(L.GridnessConfig), c_int)
_scorer_create = fn("cm_gridness_scorer_create", "status", POINTER(L.GridnessConfig), POINTER(c_void_p))
_scorer_free = fn("cm_gridness_scorer_free", None, c_void_p)
_score_batch = fn("cm_gridness_score_batch", "status", c_void_p, c_void_p, c_int, c_int64, c_void_p, c_void_p)
_gridness_sac = fn("cm_gridness_sac", "status", c_void_p, c_int, c_int, c_void_p)
_spline_rotate = fn("cm_spline_rotate", "status", c_void_p, c_int, c_int, c_double, c_void_p, c_void_p)
_gridness_bnt = fn("cm_gridness_bnt", "status", c_void_p, c_int, c_int, POINTER(L.BntGridness))

# cm_gridness_result as a numpy record, so that a batch's results land in one array.
_RESULT = np.dtype([("score60", "f8"), ("score90", "f8"), ("mask60", "i4"), ("mask90", "i4"), ("spacing", "f8"),
                    ("orientation", "f8")], align=True)
assert _RESULT.itemsize == ctypes.sizeof(L.GridnessResult)
assert all(_RESULT.fields[n][1] == getattr(L.GridnessResult, n).offset for n in _RESULT.names)


def gridness_config(nbins, masks="deepmind", min_max=False):
    """The scorer's configuration (cm_gridness_config): DeepMind's rings (inner 0.2, outer
    0.4..1.0 in 10 steps) or SSM-PC's ("ssmpc": 0.1, 0.2..0.85 in 15), Sargolini's min-max
    score with min_max."""
    c = L.GridnessConfig()
    if masks == "deepmind":
        _cfg_deepmind(byref(c), nbins)
    elif masks == "ssmpc":
        _cfg_ssmpc(byref(c), nbins)
    else:
        raise ValueError(f"masks: expected 'deepmind' or 'ssmpc', got {masks!r}")
    c.min_max = int(bool(min_max))
    return c


class Gridness:
    """Gridness of a batch of maps; arrays of length N: score60, score90, mask60, mask90 (the
    best rings' indices), mask60_outer, mask90_outer (their outer radii as fractions of the map
    size), spacing (bins), orientation (degrees); sacs [N, 2n-1, 2n-1] when asked for."""

    def __init__(self, rec, cfg, sacs):
        self.config = cfg
        for name in _RESULT.names:
            setattr(self, name, np.array(rec[name]))
        outer = np.frombuffer(cfg.mask_max, np.float64)
        self.mask60_outer = outer[self.mask60]
        self.mask90_outer = outer[self.mask90]
        self.sacs = sacs

    def __len__(self):
        return len(self.score60)

    def to_csv(self, bnt=None):
        """The CSV `cogmap gridness` prints for the same maps (bnt: the --bnt column)."""
        def num(v):
            return "nan" if math.isnan(v) else f"{v:.6f}"
        lines = ["unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation" + (",bnt" if bnt is not None
                                                                                         else "")]
        for u in range(len(self)):
            row = (f"{u},{num(self.score60[u])},{num(self.score90[u])},{self.mask60_outer[u]:.4f},"
                   f"{self.mask90_outer[u]:.4f},{num(self.spacing[u])},{num(self.orientation[u])}")
            if bnt is not None:
                row += "," + num(bnt[u])
            lines.append(row)
        return "\n".join(lines) + "\n"


def _maps(maps):
    m = np.asarray(maps)
    if m.dtype not in (np.float32, np.float64):
        m = m.astype(np.float64)
    m = np.ascontiguousarray(m)
    if m.ndim == 2:
        m = m[None]
    if m.ndim != 3 or m.shape[1] != m.shape[2] or m.shape[1] < 1:
        raise ValueError(f"maps: expected square rate maps [N, n, n] or [n, n], got {np.shape(maps)}")
    return m


def gridness(maps, masks="deepmind", min_max=False, sacs=False):
    """DeepMind's gridness scorer (cm_gridness_score_batch) on rate maps [N, n, n] (or one
    [n, n]; float32 or float64, NaN = unvisited), in parallel over maps with the library's
    threads. Bit for bit what `cogmap gridness` computes; Gridness.to_csv() prints its CSV."""
    m = _maps(maps)
    cfg = gridness_config(m.shape[1], masks, min_max)
    sc = c_void_p()
    _scorer_create(byref(cfg), byref(sc))
    try:
        rec = np.zeros(m.shape[0], _RESULT)
        sn = 2 * m.shape[1] - 1
        s = np.empty((m.shape[0], sn, sn), np.float64) if sacs else None
        _score_batch(sc, ptr(m), int(m.dtype == np.float32), m.shape[0], ptr(rec), ptr(s))
    finally:
        _scorer_free(sc)
    return Gridness(rec, cfg, s)


def gridness_bnt(maps):
    """The BNT / opexebo grid score of each map: (score, spacing, orientation, central_radius)
    arrays."""
    m = _maps(maps).astype(np.float64)
    res = np.empty((m.shape[0], 4))
    for k in range(m.shape[0]):
        g = L.BntGridness()
        _gridness_bnt(ptr(m[k]), m.shape[1], m.shape[2], byref(g))
        res[k] = (g.score, g.spacing, g.orientation, g.central_radius)
    return res[:, 0], res[:, 1], res[:, 2], res[:, 3].astype(np.int32)


def sac(rate_map):
    """DeepMind's spatial autocorrelogram of an h x w map: (2h-1) x (2w-1)."""
    m = inp(rate_map, np.float64, "map", ndim=2)
    o = np.empty((2 * m.shape[0] - 1, 2 * m.shape[1] - 1))
    _gridness_sac(ptr(m), m.shape[0], m.shape[1], ptr(o))
    return o


def spline_rotate(a, angle_deg):
    """scipy.ndimage.rotate(a, angle, reshape=False) as scipy 1.10 computes it."""
    m = inp(a, np.float64, "array", ndim=2)
    o = np.empty_like(m)
    _spline_rotate(ptr(m), m.shape[0], m.shape[1], angle_deg, ptr(o), None)
    return o


# ------------------------------------------------------------------ bins and rate maps

_linspace = fn("cm_linspace", None, c_double, c_double, c_int, c_void_p)
_smp_edges = fn("cm_smp_edges", c_int, c_double, c_double, c_double, c_void_p, c_int, c_int)
_ratemaps = fn("cm_ratemaps", "status", POINTER(L.Grid2), c_void_p, c_void_p, c_void_p, c_int64, c_int, c_void_p,
               c_void_p, c_void_p, c_int)
_hd_ratemaps = fn("cm_hd_ratemaps", "status", c_void_p, c_void_p, c_int64, c_int, c_int, c_void_p, c_int)
_rv_centres = fn("cm_rv_centres", None, c_int, c_void_p, c_void_p)
_resultant = fn("cm_resultant_vector", c_double, c_void_p, c_int, c_void_p, c_void_p, POINTER(c_double))
_rv_shuffle = fn("cm_rv_shuffle_threshold", "status", c_void_p, c_int, c_int, c_int, c_double, c_uint64, c_uint64,
                 POINTER(c_double), c_void_p)
_hd_timeshift = fn("cm_hd_timeshift_threshold", "status", c_void_p, c_void_p, c_int64, c_int, c_int, c_int,
                   c_int64, c_double, c_uint64, c_uint64, POINTER(c_double), c_int)
_percentile = fn("cm_percentile", c_double, c_void_p, c_int64, c_double)


def _is_f32(*arrays):
    return all(isinstance(a, np.ndarray) and a.dtype == np.float32 for a in arrays)


def linspace(lo, hi, n_edges):
    """numpy.linspace as the library computes it (the last edge exactly hi)."""
    e = np.empty(n_edges)
    _linspace(lo, hi, n_edges, ptr(e))
    return e


def smp_edges(vmin, vmax, bin_size, f32=False):
    """SMP's calculate_ratemap edges for one axis (float64 [n + 1])."""
    n = _smp_edges(vmin, vmax, bin_size, None, 0, int(f32))
    if n < 0:
        raise ValueError(f"smp_edges: the range [{vmin}, {vmax}] gives no bins")
    e = np.empty(n + 1)
    _smp_edges(vmin, vmax, bin_size, ptr(e), n + 1, int(f32))
    return e


def _activity(positions, activations, headings=None):
    f32 = _is_f32(positions) and (headings is None or _is_f32(headings))
    pos = inp(positions, np.float64, "positions", shape=(-1, 2))
    act = inp(activations, np.float32, "activations", ndim=2)
    if act.shape[0] != pos.shape[0]:
        raise ValueError(f"activations: expected {pos.shape[0]} samples to match positions, got {act.shape[0]}")
    hd = None
    if headings is not None:
        hd = inp(np.asarray(headings).reshape(-1), np.float64, "headings", shape=(pos.shape[0],))
    return pos, act, hd, f32


def ratemaps(positions, activations, xedges, yedges, headings=None, octants=False, occupancy=False, f32=None):
    """Mean activation per spatial bin (cm_ratemaps): maps float64 [U, nx, ny], NaN where
    unvisited. With octants (needs headings) also [U, nx, ny, 8] per heading octant, with
    occupancy the sample counts [nx, ny]; returns (maps, octants?, occupancy?) then."""
    pos, act, hd, auto = _activity(positions, activations, headings)
    xe = inp(xedges, np.float64, "xedges", ndim=1)
    ye = inp(yedges, np.float64, "yedges", ndim=1)
    nx, ny, U = len(xe) - 1, len(ye) - 1, act.shape[1]
    if octants and hd is None:
        raise ValueError("ratemaps: octants need headings")
    g = L.Grid2(nx, ny, xe.ctypes.data, ye.ctypes.data)
    maps = np.empty((U, nx, ny))
    octs = np.empty((U, nx, ny, 8)) if octants else None
    occ = np.empty((nx, ny)) if occupancy else None
    _ratemaps(byref(g), ptr(pos), ptr(hd), ptr(act), pos.shape[0], U, ptr(maps), ptr(octs), ptr(occ),
              int(auto if f32 is None else f32))
    if not octants and not occupancy:
        return maps
    return (maps,) + ((octs,) if octants else ()) + ((occ,) if occupancy else ())


def hd_ratemaps(headings, activations, nbins=20, f32=None):
    """Mean activation per heading bin over [-pi, pi]: float64 [U, nbins], NaN when empty."""
    auto = _is_f32(headings)
    hd = inp(np.asarray(headings).reshape(-1), np.float64, "headings", ndim=1)
    act = inp(activations, np.float32, "activations", shape=(hd.shape[0], -1))
    maps = np.empty((act.shape[1], nbins))
    _hd_ratemaps(ptr(hd), ptr(act), hd.shape[0], act.shape[1], nbins, ptr(maps), int(auto if f32 is None else f32))
    return maps


def resultant_vector(profiles):
    """SMP's resultant-vector length and angle (atan2(Rx, Ry)) of angular profiles [..., nbins]
    over [-pi, pi]."""
    p = np.asarray(profiles, np.float64)
    flat = np.ascontiguousarray(p.reshape(-1, p.shape[-1]))
    nb = flat.shape[1]
    c, s = np.empty(nb), np.empty(nb)
    _rv_centres(nb, ptr(c), ptr(s))
    length, angle = np.empty(len(flat)), np.empty(len(flat))
    a = c_double()
    for k in range(len(flat)):
        length[k] = _resultant(flat[k].ctypes.data, nb, ptr(c), ptr(s), byref(a))
        angle[k] = a.value
    return length.reshape(p.shape[:-1]), angle.reshape(p.shape[:-1])


def rv_shuffle_threshold(profiles, n_shuffles=1000, percentile=99.0, seed=1, stream=0, null=False):
    """SMP's pooled bin-permutation threshold of resultant-vector lengths (profiles [U, nbins])."""
    p = inp(profiles, np.float64, "profiles", ndim=2)
    th = c_double()
    nul = np.empty(p.shape[0] * n_shuffles) if null else None
    _rv_shuffle(ptr(p), p.shape[0], p.shape[1], n_shuffles, percentile, seed, stream, byref(th), ptr(nul))
    return (th.value, nul) if null else th.value


def hd_timeshift_threshold(headings, activations, nbins=20, n_shuffles=1000, min_shift=None, percentile=99.0,
                           seed=1, stream=0, f32=None):
    """Pooled circular time-shift threshold of head-direction resultant vectors."""
    auto = _is_f32(headings)
    hd = inp(np.asarray(headings).reshape(-1), np.float64, "headings", ndim=1)
    act = inp(activations, np.float32, "activations", shape=(hd.shape[0], -1))
    th = c_double()
    _hd_timeshift(ptr(hd), ptr(act), hd.shape[0], act.shape[1], nbins, n_shuffles,
                  hd.shape[0] // 20 if min_shift is None else min_shift, percentile, seed, stream, byref(th),
                  int(auto if f32 is None else f32))
    return th.value


def percentile(values, q):
    """numpy.percentile with linear interpolation (NaN if any value is NaN)."""
    v = np.array(values, dtype=np.float64).ravel()
    return _percentile(ptr(v), len(v), q)


# ------------------------------------------------------------------ boundary vectors

_bvc_bins = fn("cm_bvc_distance_bins", c_int, c_double, c_double, c_void_p, c_void_p, c_int)
_bvc_maps = fn("cm_bvc_maps", "status", c_void_p, c_void_p, c_void_p, c_int64, c_int, c_int, c_void_p, c_int,
               c_void_p, c_void_p, c_int)
_bvc_score = fn("cm_bvc_score", c_double, c_void_p, c_int, c_int, c_void_p, POINTER(c_double), POINTER(c_double),
                c_void_p)


def bvc_distance_bins(max_distance, step=0.025):
    """SMP's distance bins: (centres [n], edges [n + 1])."""
    cap = int(max_distance / step) + 4
    c, e = np.empty(cap), np.empty(cap + 1)
    n = _bvc_bins(max_distance, step, ptr(c), ptr(e), cap)
    if n < 0:
        raise ValueError(f"bvc_distance_bins: no bins for max distance {max_distance}, step {step}")
    return c[:n].copy(), e[:n + 1].copy()


def bvc_maps(wall_distances, activations, distance_edges, headings=None, allo=True, ego=True, f32=None):
    """SMP's allocentric and egocentric distance x angle maps [U, n_dist, R] (ego needs
    headings); returns (allo, ego), None for the one not asked for."""
    dist = inp(wall_distances, np.float32, "wall_distances", ndim=2)
    act = inp(activations, np.float32, "activations", shape=(dist.shape[0], -1))
    de = inp(distance_edges, np.float64, "distance_edges", ndim=1)
    hd = None
    if ego:
        if headings is None:
            raise ValueError("bvc_maps: egocentric maps need headings")
        hd = inp(np.asarray(headings).reshape(-1), np.float64, "headings", shape=(dist.shape[0],))
    auto = headings is not None and _is_f32(headings)
    U, R, nd = act.shape[1], dist.shape[1], len(de) - 1
    a = np.empty((U, nd, R)) if allo else None
    e = np.empty((U, nd, R)) if ego else None
    _bvc_maps(ptr(dist), ptr(hd), ptr(act), dist.shape[0], R, U, ptr(de), nd, ptr(a), ptr(e),
              int(auto if f32 is None else f32))
    return a, e


def bvc_score(bvc_map, distance_centres):
    """Score of one [n_dist, R] map: (resultant length, angle, preferred distance)."""
    m = inp(bvc_map, np.float64, "map", ndim=2)
    dc = inp(distance_centres, np.float64, "distance_centres", shape=(m.shape[0],))
    a, d = c_double(), c_double()
    s = _bvc_score(ptr(m), m.shape[0], m.shape[1], ptr(dc), byref(a), byref(d), None)
    return s, a.value, d.value


# ------------------------------------------------------------------ place, border, information

_spatial_info = fn("cm_spatial_info_compute", None, c_void_p, c_void_p, c_int, c_double, POINTER(L.SpatialInfo))
_border = fn("cm_border_score", c_double, c_void_p, c_int, c_int, c_double, c_int, POINTER(c_double),
             POINTER(c_double))
_place_fields = fn("cm_place_fields", c_int, c_void_p, c_int, c_int, c_double, c_int, c_double, POINTER(c_int),
                   POINTER(c_double), POINTER(c_double))
_stability = fn("cm_split_half_stability", "status", c_void_p, c_void_p, c_int64, c_int, c_double, c_void_p, c_int)


def spatial_info(rate_map, occupancy, dt=0.02):
    """Skaggs information etc. of one map: dict bits_per_spike, bits_per_second, sparsity,
    selectivity, mean_rate."""
    m = inp(rate_map, np.float64, "map")
    occ = inp(occupancy, np.float64, "occupancy", shape=m.shape)
    r = L.SpatialInfo()
    _spatial_info(ptr(m), ptr(occ), m.size, dt, byref(r))
    return {n: getattr(r, n) for n, _ in L.SpatialInfo._fields_}


def border_score(rate_map, box, sorscher=False):
    """Solstad's border score of an nx x ny map over a box of side `box`: (score, CM, DM)."""
    m = inp(rate_map, np.float64, "map", ndim=2)
    cm_, dm = c_double(), c_double()
    s = _border(ptr(m), m.shape[0], m.shape[1], box, int(sorscher), byref(cm_), byref(dm))
    return s, cm_.value, dm.value


def place_fields(rate_map, frac=0.5, min_bins=3, max_share=0.5):
    """Place fields of one map: (count, largest field's bins, its centroid (x, y) in bins)."""
    m = inp(rate_map, np.float64, "map", ndim=2)
    big, cx, cy = c_int(), c_double(), c_double()
    n = _place_fields(ptr(m), m.shape[0], m.shape[1], frac, min_bins, max_share, byref(big), byref(cx), byref(cy))
    return n, big.value, (cx.value, cy.value)


def split_half_stability(positions, activations, bin_size=0.14, f32=None):
    """SMP's positional_correlations: Pearson r [U] between the two halves' rate maps."""
    pos, act, _, auto = _activity(positions, activations)
    r = np.empty(act.shape[1])
    _stability(ptr(pos), ptr(act), pos.shape[0], act.shape[1], bin_size, ptr(r), int(auto if f32 is None else f32))
    return r


# ------------------------------------------------------------------ classification

_classify_defaults = fn("cm_classify_defaults", None, POINTER(L.ClassifyOpts))
_classify_units = fn("cm_classify_units", "status", c_void_p, c_void_p, c_void_p, c_int, c_void_p, c_int64, c_int,
                     POINTER(L.ClassifyOpts), POINTER(L.Progress), POINTER(L.ClassifyResult))
_classify_free = fn("cm_classify_free", None, POINTER(L.ClassifyResult))
_cell_class_name = fn("cm_cell_class_name", c_char_p, c_int)

CELL_CLASSES = tuple(_cell_class_name(k).decode() for k in range(7))

# Python keyword -> cm_classify_opts field, with `cogmap analyze`'s option beside it.
_OPTS = {"shuffles": "n_shuffles", "percentile": "percentile", "hd_bins": "hd_bins",
         "distance_step": "distance_step", "ratemap_bin": "ratemap_bin", "min_shift": "min_shift", "box": "box",
         "dt": "dt", "place_info": "place_info", "min_stability": "min_stability",
         "border_threshold": "border_thresh", "grid_bins": "grid_bins", "grid_threshold": "grid_thresh",
         "seed": "seed"}


def classify_options(**kw):
    """cm_classify_opts from the library's defaults (SMP's: 1000 shuffles, 99th percentile...)
    and keywords: shuffles, percentile, hd_bins, distance_step, ratemap_bin, hd_shuffle
    ("bins" or "time"), min_shift, box, dt, place_info, min_stability, border_threshold,
    grid_bins, grid_threshold, seed (the CLI's default seed is 1, as here)."""
    o = L.ClassifyOpts()
    _classify_defaults(byref(o))
    for k, v in kw.items():
        if k == "hd_shuffle":
            if v not in ("bins", "time"):
                raise ValueError(f"hd_shuffle: expected 'bins' or 'time', got {v!r}")
            o.hd_timeshift = int(v == "time")
        elif k in _OPTS:
            setattr(o, _OPTS[k], v)
        else:
            raise TypeError(f"classify: unknown option {k!r}")
    return o


class Classification:
    """Every unit's scores and classes (cm_classify_result) as numpy arrays: hd_score,
    hd_angle, ego_score, ego_angle, ego_dist, allo_score, allo_angle, allo_dist, stability,
    info_bits_spike, info_bits_s, sparsity, selectivity, border, grid60, grid90 (float64 [U]);
    n_fields (int32); is_hd, is_ego, is_allo, is_place, is_border, is_grid (bool [U]); cls
    (int32 [U], names in CELL_CLASSES; `classes` gives the names); thresholds hd_threshold,
    ego_threshold, allo_threshold; maps hd_maps [U, hd_bins], ego_maps, allo_maps
    [U, n_dist, R], maps [U, nx, ny], octants [U, nx, ny, 8], dcentres [n_dist], occupancy
    [nx, ny]; options (the cm_classify_opts used)."""

    _VECS = ("hd_score", "hd_angle", "ego_score", "ego_angle", "ego_dist", "allo_score", "allo_angle", "allo_dist",
             "stability", "info_bits_spike", "info_bits_s", "sparsity", "selectivity", "border", "grid60", "grid90")
    _FLAGS = ("is_hd", "is_ego", "is_allo", "is_place", "is_border", "is_grid")

    def __init__(self, r, opts):
        U = r.units
        for n in ("units", "n_dist", "rays", "hd_bins", "nx", "ny", "hd_threshold", "ego_threshold",
                  "allo_threshold"):
            setattr(self, n, getattr(r, n))
        for n in self._VECS:
            setattr(self, n, L.carray(getattr(r, n), (U,), np.float64))
        self.n_fields = L.carray(r.n_fields, (U,), np.int32)
        for n in self._FLAGS:
            setattr(self, n, L.carray(getattr(r, n), (U,), np.uint8).astype(bool))
        self.cls = L.carray(r.cls, (U,), np.int32)
        self.hd_maps = L.carray(r.hd_maps, (U, r.hd_bins), np.float64)
        self.ego_maps = L.carray(r.ego_maps, (U, r.n_dist, r.rays), np.float64)
        self.allo_maps = L.carray(r.allo_maps, (U, r.n_dist, r.rays), np.float64)
        self.maps = L.carray(r.maps, (U, r.nx, r.ny), np.float64)
        self.octants = L.carray(r.octants, (U, r.nx, r.ny, 8), np.float64)
        self.dcentres = L.carray(r.dcentres, (r.n_dist,), np.float64)
        self.occupancy = L.carray(r.occupancy, (r.nx, r.ny), np.float64)
        self.options = opts

    @property
    def classes(self):
        return [CELL_CLASSES[c] for c in self.cls]

    def counts(self, start=0, end=None):
        """Counts of every flag and primary class over units [start, end), as `cogmap analyze`
        writes them into report.json."""
        s = slice(start, self.units if end is None else end)
        n = len(range(*s.indices(self.units)))
        c = {"units": n, "hd": int(self.is_hd[s].sum()), "ego_bvc": int(self.is_ego[s].sum()),
             "allo_bvc": int(self.is_allo[s].sum()), "place": int(self.is_place[s].sum()),
             "border": int(self.is_border[s].sum()), "grid": int(self.is_grid[s].sum()),
             "ego_bvc_with_allo_score_greater": int((self.is_ego[s] & (self.allo_score[s] > self.ego_score[s])).sum())}
        c["hd_share"] = c["hd"] / n
        c["ego_bvc_share"] = c["ego_bvc"] / n
        c["allo_bvc_share"] = c["allo_bvc"] / n
        c["primary"] = {CELL_CLASSES[k]: int((self.cls[s] == k).sum()) for k in range(len(CELL_CLASSES))}
        return c

    def maps_npz(self):
        """The arrays `cogmap analyze` writes to maps.npz (float32)."""
        return {"hd_maps": self.hd_maps, "ego_maps": self.ego_maps, "allo_maps": self.allo_maps,
                "ratemaps": self.maps, "octant_maps": self.octants, "distance_centres": self.dcentres,
                "occupancy": self.occupancy}


def classify(positions, headings, wall_distances, activations, progress=False, f32=None, **options):
    """SMP's classification of every unit plus place, border, grid and stability scores
    (cm_classify_units). positions [N, 2], headings [N], wall_distances [N, R] (ray k at
    -pi + 2 pi k / R), activations [N, U]. Options as classify_options; f32 defaults to
    whether positions and headings are both float32 arrays (as `cogmap analyze` decides).
    progress: a progress line on stderr."""
    auto = _is_f32(positions, headings)
    pos = inp(positions, np.float64, "positions", shape=(-1, 2))
    n = pos.shape[0]
    hd = inp(np.asarray(headings).reshape(n, -1)[:, 0] if np.ndim(headings) == 2 else headings, np.float64,
             "headings", shape=(n,))
    dist = inp(wall_distances, np.float32, "wall_distances", shape=(n, -1))
    act = inp(activations, np.float32, "activations", shape=(n, -1))
    o = classify_options(**options)
    o.f32 = int(auto if f32 is None else f32)
    r = L.ClassifyResult()
    prog = L.progress(progress)
    try:
        _classify_units(ptr(pos), ptr(hd), ptr(dist), dist.shape[1], ptr(act), n, act.shape[1], byref(o),
                        byref(prog) if prog is not None else None, byref(r))
        return Classification(r, o)
    finally:
        _classify_free(byref(r))


# ------------------------------------------------------------------ activity files


class Activity:
    """An activity file (docs/formats.md, "Activity files") read and checked as `cogmap analyze`
    reads it: positions float64 [N, 2] and headings float64 [N] (converted from the file's
    dtype; f32 says both were float32), wall_distances and activations float32, groups
    [(name, start, end)] (one "all" group when the file names none)."""

    def __init__(self, positions, headings, wall_distances, activations, groups=None, f32=None, path=None):
        self.path = path
        self.f32 = _is_f32(positions, headings) if f32 is None else bool(f32)
        self.positions = np.asarray(positions, np.float64)
        self.headings = np.asarray(headings, np.float64).reshape(-1)
        self.wall_distances = np.ascontiguousarray(wall_distances, np.float32)
        self.activations = np.ascontiguousarray(activations, np.float32)
        self.groups = list(groups) if groups else [("all", 0, self.activations.shape[1])]

    @property
    def samples(self):
        return self.positions.shape[0]

    @property
    def units(self):
        return self.activations.shape[1]

    @property
    def rays(self):
        return self.wall_distances.shape[1]


def read_activity(path):
    """Reads an activity file with the checks `cogmap analyze` makes (shapes, dtypes, finite
    values, ray angles, group ranges); a bad file raises FormatError naming the array."""
    from .io import read_npz
    z = read_npz(path)

    def bad(msg):
        return L.FormatError(L.CM_ERR_FORMAT, f"{path}: {msg}")

    def need(name, lo, hi):
        if name not in z:
            raise bad(f"{name}: missing array (docs/formats.md, Activity files)")
        a = z[name]
        if a.dtype not in (np.float32, np.float64):
            raise bad(f"{name}: expected float32 or float64, got {a.dtype}")
        if not lo <= a.ndim <= hi:
            raise bad(f"{name}: expected rank {lo}{' (or [N,1])' if hi > lo else ''}, got rank {a.ndim}")
        return a
    pos, hd = need("positions", 2, 2), need("headings", 1, 2)
    dist, act = need("wall_distances", 2, 2), need("activations", 2, 2)
    n = pos.shape[0]
    if pos.shape[1] != 2:
        raise bad(f"positions: expected shape [N, 2], got {list(pos.shape)}")
    if hd.shape[0] != n or (hd.ndim == 2 and hd.shape[1] != 1):
        raise bad(f"headings: expected shape [{n}] or [{n}, 1] to match positions, got {list(hd.shape)}")
    if dist.shape[0] != n or not 2 <= dist.shape[1] <= 4096:
        raise bad(f"wall_distances: expected shape [{n}, R] with 2 <= R <= 4096, got {list(dist.shape)}")
    if act.shape[0] != n or act.shape[1] < 1:
        raise bad(f"activations: expected shape [{n}, U >= 1], got {list(act.shape)}")
    if n < 4:
        raise bad(f"positions: expected at least 4 samples, got {n}")
    R, U = dist.shape[1], act.shape[1]
    if "ray_angles" in z:
        ra = z["ray_angles"]
        if ra.dtype not in (np.float32, np.float64) or ra.shape != (R,):
            raise bad(f"ray_angles: expected float [{R}] to match wall_distances")
        want = -np.pi + 2 * np.pi * np.arange(R) / R
        if not np.all(np.abs(np.remainder(ra.astype(np.float64) - want + np.pi, 2 * np.pi) - np.pi) < 1e-4):
            raise bad(f"ray_angles: expected equispaced angles -pi + 2 pi k / {R} (SMP's sensor)")
    if not np.all(np.isfinite(pos)):
        raise bad("positions: expected finite values")
    if not np.all(np.isfinite(hd)):
        raise bad("headings: expected finite values")
    if not np.all(np.isfinite(act.astype(np.float32))):
        raise bad("activations: expected finite values")
    groups = []
    for name, g in z.items():
        if not name.startswith("group_"):
            continue
        if g.dtype not in (np.int32, np.int64) or g.shape != (2,):
            raise bad(f"{name}: expected 2 integers [start, end), got {g.dtype} of rank {g.ndim}")
        s, e = int(g[0]), int(g[1])
        if s < 0 or e > U or s >= e:
            raise bad(f"{name}: expected 0 <= start < end <= {U} units, got [{s}, {e})")
        groups.append((name[6:], s, e))
    if len(groups) > 64:
        raise bad("more than 64 groups")
    return Activity(pos, hd.reshape(-1), dist, act, groups, pos.dtype == np.float32 and hd.dtype == np.float32,
                    os.fspath(path))


def _num(v):
    return float(v) if math.isfinite(v) else None


def report(activity, result, input_name=None, threads=None):
    """The report.json `cogmap analyze` writes, as a dict: options, thresholds, counts overall
    and per group, and every unit's scores (non-finite numbers as None, JSON's null)."""
    from . import _lib
    o, r, a = result.options, result, activity
    rep = {"cogmap": _lib.cm_version().decode(), "input": input_name if input_name is not None else a.path,
           "samples": a.samples, "units": a.units, "rays": a.rays,
           "options": {"shuffles": o.n_shuffles, "percentile": o.percentile,
                       "hd_shuffle": "time" if o.hd_timeshift else "bins", "hd_bins": o.hd_bins,
                       "distance_step": o.distance_step, "ratemap_bin": o.ratemap_bin, "dt": o.dt,
                       "grid_bins": o.grid_bins, "float32_positions_headings": bool(o.f32), "seed": o.seed,
                       "threads": _lib.cm_threads() if threads is None else threads},
           "thresholds": {"hd": _num(r.hd_threshold), "ego_bvc": _num(r.ego_threshold),
                          "allo_bvc": _num(r.allo_threshold), "place_bits_per_spike": o.place_info,
                          "stability": o.min_stability, "border": o.border_thresh, "grid_score60": o.grid_thresh},
           "counts": r.counts()}
    groups = []
    for name, s, e in a.groups:
        c = r.counts(s, e)
        c.update(name=name, start=s, end=e)
        groups.append(c)
    rep["groups"] = groups
    units = []
    for u in range(a.units):
        gname = next((name for name, s, e in a.groups if s <= u < e), "")
        x = {"unit": u, "group": gname, "class": CELL_CLASSES[r.cls[u]]}
        for key, flag in (("is_hd", "is_hd"), ("is_ego_bvc", "is_ego"), ("is_allo_bvc", "is_allo"),
                          ("is_place", "is_place"), ("is_border", "is_border"), ("is_grid", "is_grid")):
            x[key] = bool(getattr(r, flag)[u])
        for key, arr in (("hd_score", "hd_score"), ("hd_angle", "hd_angle"), ("ego_score", "ego_score"),
                         ("ego_angle", "ego_angle"), ("ego_distance", "ego_dist"), ("allo_score", "allo_score"),
                         ("allo_angle", "allo_angle"), ("allo_distance", "allo_dist"), ("stability", "stability"),
                         ("info_bits_per_spike", "info_bits_spike"), ("info_bits_per_second", "info_bits_s"),
                         ("sparsity", "sparsity"), ("selectivity", "selectivity"), ("border_score", "border"),
                         ("grid_score60", "grid60"), ("grid_score90", "grid90")):
            x[key] = _num(getattr(r, arr)[u])
        x["place_fields"] = int(r.n_fields[u])
        units.append(x)
    rep["unit_scores"] = units
    return rep


def analyze(activity, progress=False, **options):
    """`cogmap analyze` without the files: reads an activity file (a path, or an Activity),
    classifies every unit (options as classify_options; hd_shuffle "time" with min_shift
    checked as the CLI does) and returns (report dict, Classification). The report equals the
    command's report.json for the same file and options."""
    a = activity if isinstance(activity, Activity) else read_activity(activity)
    if options.get("hd_shuffle") == "time" and options.get("min_shift", 0) > 0 and 2 * options["min_shift"] > a.samples:
        raise ValueError(f"min_shift: expected at most N/2 = {a.samples // 2}, got {options['min_shift']}")
    try:
        r = classify(a.positions, a.headings, a.wall_distances, a.activations, progress=progress, f32=a.f32, **options)
    except L.ArgumentError as e:  # as the CLI: what the library refuses here is the data
        raise L.FormatError(L.CM_ERR_FORMAT, str(e)) from None
    return report(a, r), r
