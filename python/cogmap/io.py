"""The io module: .npy / .npz, safetensors and PNG through the library's validating readers and
atomic writers (include/cogmap/io.h), and checkpoints and run folders read into numpy
(docs/formats.md)."""

import csv
import json
import os
from ctypes import POINTER, byref, c_char_p, c_int, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn

_npy_read = fn("cm_npy_read", "status", c_char_p, POINTER(L.Array))
_npy_write = fn("cm_npy_write", "status", c_char_p, POINTER(L.Array))
_array_free = fn("cm_array_free", None, POINTER(L.Array))
_npz_read = fn("cm_npz_read", "status", c_char_p, POINTER(L.Npz))
_npz_write = fn("cm_npz_write", "status", c_char_p, POINTER(L.Array), c_int, c_int)
_npz_free = fn("cm_npz_free", None, POINTER(L.Npz))
_st_read = fn("cm_safetensors_read", "status", c_char_p, POINTER(L.Safetensors))
_st_write = fn("cm_safetensors_write", "status", c_char_p, POINTER(L.Array), c_int, POINTER(c_char_p),
               POINTER(c_char_p), c_int)
_st_free = fn("cm_safetensors_free", None, POINTER(L.Safetensors))
_png_read = fn("cm_png_read", "status", c_char_p, POINTER(L.Image))
_png_write = fn("cm_png_write", "status", c_char_p, POINTER(L.Image))
_image_free = fn("cm_image_free", None, POINTER(L.Image))


def _views(arrays):
    keep = [np.ascontiguousarray(v) for v in arrays.values()]
    views = (L.Array * max(len(keep), 1))()
    for k, (name, a) in enumerate(zip(arrays, keep)):
        views[k] = L.array_view(name, a)
    return views, keep


def read_npy(path):
    """An .npy file (versions 1-3, C order) as a numpy array."""
    a = L.Array()
    _npy_read(L.cstr(path), byref(a))
    try:
        return L.array_to_numpy(a)
    finally:
        _array_free(byref(a))


def write_npy(path, array):
    """Writes an array as .npy (atomically: never a half-written file under the name)."""
    a = np.ascontiguousarray(array)
    v = L.array_view("", a)
    _npy_write(L.cstr(path), byref(v))


def read_npz(path):
    """An .npz file as a dict name -> array, in the file's order."""
    z = L.Npz()
    _npz_read(L.cstr(path), byref(z))
    try:
        return {L.text(z.arrays[k].name): L.array_to_numpy(z.arrays[k]) for k in range(z.count)}
    finally:
        _npz_free(byref(z))


def write_npz(path, arrays, compress=False):
    """Writes a dict of arrays as .npz (np.savez, or np.savez_compressed with compress)."""
    views, keep = _views(arrays)
    _npz_write(L.cstr(path), views, len(keep), int(bool(compress)))


def read_safetensors(path):
    """A safetensors file: (dict name -> array, dict of __metadata__ strings)."""
    st = L.Safetensors()
    _st_read(L.cstr(path), byref(st))
    try:
        tensors = {L.text(st.tensors[k].name): L.array_to_numpy(st.tensors[k]) for k in range(st.count)}
        meta = {st.meta_keys[k].decode(): st.meta_values[k].decode() for k in range(st.meta_count)}
        return tensors, meta
    finally:
        _st_free(byref(st))


def write_safetensors(path, tensors, metadata=None):
    """Writes a dict of arrays (float32, float64, int32, int64, uint8, bool) as safetensors."""
    views, keep = _views(tensors)
    meta = metadata or {}
    keys = (c_char_p * max(len(meta), 1))(*[k.encode() for k in meta])
    vals = (c_char_p * max(len(meta), 1))(*[str(v).encode() for v in meta.values()])
    _st_write(L.cstr(path), views, len(keep), keys, vals, len(meta))


def read_png(path):
    """A PNG as uint8 [h, w, channels] (1 gray, 2 gray+alpha, 3 RGB, 4 RGBA)."""
    img = L.Image()
    _png_read(L.cstr(path), byref(img))
    try:
        return L.carray(img.pixels, (img.height, img.width, img.channels), np.uint8)
    finally:
        _image_free(byref(img))


def write_png(path, pixels):
    """Writes uint8 [h, w] or [h, w, 1..4] as a PNG (atomically)."""
    a = L.inp(pixels, np.uint8, "pixels")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3 or not 1 <= a.shape[2] <= 4:
        raise ValueError(f"pixels: expected [h, w] or [h, w, 1..4], got {a.shape}")
    img = L.Image(a.shape[1], a.shape[0], a.shape[2], a.ctypes.data_as(POINTER(L.c_uint8)))
    _png_write(L.cstr(path), byref(img))


# ------------------------------------------------------------------ checkpoints and runs


def _json(path):
    with open(path) as f:
        return json.load(f)


def _checkpoint_dir(path, which="latest"):
    """The checkpoint folder meant by `path`: itself, or in a run folder the newest step_*
    (which="latest"), best/ (which="best") or step_<which> (an int)."""
    if os.path.exists(os.path.join(path, "model.safetensors")):
        return path
    ck = os.path.join(path, "checkpoints")
    if not os.path.isdir(ck):
        raise FileNotFoundError(f"{path}: neither a checkpoint folder (model.safetensors) nor a run folder "
                                f"(checkpoints/)")
    if which == "best":
        d = os.path.join(ck, "best")
    elif which == "latest":
        steps = sorted(int(n[5:]) for n in os.listdir(ck) if n.startswith("step_") and n[5:].isdigit())
        if not steps:
            raise FileNotFoundError(f"{ck}: no step_* checkpoints")
        d = os.path.join(ck, f"step_{steps[-1]:08d}")
    else:
        d = os.path.join(ck, f"step_{int(which):08d}")
    if not os.path.isdir(d):
        raise FileNotFoundError(f"{d}: no such checkpoint")
    return d


def load_checkpoint(path, which="latest"):
    """A model's parameters as a dict of numpy arrays with PyTorch state-dict names: from a
    .safetensors file, a checkpoint folder (its model.safetensors) or a run folder (its newest
    checkpoint, or which="best", or a step number)."""
    if os.path.isfile(path):
        return read_safetensors(path)[0]
    return read_safetensors(os.path.join(_checkpoint_dir(path, which), "model.safetensors"))[0]


def read_csv(path):
    """A CSV of numbers with a header line as a dict column -> float64 array (nan kept);
    non-numeric columns stay lists of strings."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty")
    cols = {}
    for k, name in enumerate(rows[0]):
        vals = [r[k] for r in rows[1:]]
        try:
            cols[name] = np.array([float(v) for v in vals], dtype=np.float64)
        except ValueError:
            cols[name] = vals
    return cols


class Run:
    """A run folder (`cogmap train grid|smp --out RUN`, docs/formats.md) read into Python:
    config (run.json), evals (evals.csv as columns), checkpoints (steps), and what
    `cogmap eval` added when present: summary (summary.json), gridness (gridness.csv),
    celltypes (celltypes.json)."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self.config = _json(os.path.join(self.path, "run.json"))
        self.model = self.config.get("model", "grid")

        def opt(name, reader):
            p = os.path.join(self.path, name)
            return reader(p) if os.path.exists(p) else None
        self.evals = opt("evals.csv", read_csv)
        self.summary = opt("summary.json", _json)
        self.gridness = opt("gridness.csv", read_csv)
        self.celltypes = opt("celltypes.json", _json)
        ck = os.path.join(self.path, "checkpoints")
        names = os.listdir(ck) if os.path.isdir(ck) else []
        self.checkpoints = sorted(int(n[5:]) for n in names if n.startswith("step_") and n[5:].isdigit())
        self.has_best = "best" in names

    def __repr__(self):
        return f"Run({self.path!r}, model={self.model!r}, checkpoints={self.checkpoints})"

    def checkpoint_dir(self, which="latest"):
        return _checkpoint_dir(self.path, which)

    def weights(self, which="latest"):
        """model.safetensors of a checkpoint ("latest", "best" or a step) as numpy arrays."""
        return load_checkpoint(self.path, which)

    def state(self, which="latest"):
        """state.json of a checkpoint."""
        return _json(os.path.join(self.checkpoint_dir(which), "state.json"))

    def checkpoint_files(self, which="latest"):
        """Every safetensors file of a checkpoint folder: {file stem: (tensors, metadata)}
        (model, optimizer or memory)."""
        d = self.checkpoint_dir(which)
        return {n[:-12]: read_safetensors(os.path.join(d, n)) for n in sorted(os.listdir(d))
                if n.endswith(".safetensors")}


def load_run(path):
    """Run(path): a run folder's configuration, evaluations, checkpoints and results."""
    return Run(path)
