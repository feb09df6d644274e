"""The plot module's ready-made figures (include/cogmap/plot.h), written as PNG, or SVG / PDF by
the file name, atomically."""

from ctypes import POINTER, byref, c_char_p, c_int, c_int64, c_void_p

import numpy as np

from . import _lib as L
from ._lib import fn, ptr
from .analysis import _RESULT, _maps, gridness

_plot_gridness = fn("cm_plot_gridness", "status", c_char_p, c_void_p, c_int, c_void_p, c_void_p, c_int64,
                    POINTER(L.GridnessConfig), c_int, c_int, c_char_p)
_release_caches = fn("cm_plot_release_caches", None)


def gridness_figure(path, maps, masks="deepmind", min_max=False, top=16, per_row=8, title=None):
    """Rate maps and autocorrelograms of the `top` units with the highest score60, as
    `cogmap gridness MAPS --figure PATH --top K` draws them (same title, same pixels). Returns
    the Gridness of all maps."""
    m = _maps(maps)
    g = gridness(m, masks=masks, min_max=min_max, sacs=True)
    rec = np.zeros(len(g), _RESULT)  # the results as cm_gridness_result records
    for n in _RESULT.names:
        rec[n] = getattr(g, n)
    if title is None:
        title = (f"best {min(top, len(g))} of {len(g)} units by score60 (DeepMind scorer, {masks} masks"
                 f"{', min-max' if min_max else ''})")
    _plot_gridness(L.cstr(path), ptr(m), int(m.dtype == np.float32), ptr(g.sacs), ptr(rec), len(g),
                   byref(g.config), top, per_row, title.encode())
    return g


def release_caches():
    """Frees cairo's and fontconfig's process-wide caches (for leak checkers); draw nothing after."""
    _release_caches()
