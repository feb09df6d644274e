"""cogmap from Python: the C library libcogmap.so through ctypes, arrays as numpy.

Modules follow the library's (include/cogmap/*.h): world (arenas, motion, mazes, renderer,
BEV), analysis (gridness, rate maps, cell scores, classification), io (npy/npz,
safetensors, PNG, checkpoints and run folders), runs (training any model's run: cogmap.train,
and a grid run's evaluation into numpy), evaluation (`cogmap eval` of any run and `cogmap map`,
their numbers as dicts).
docs/python.md has a worked example.
"""

from . import _lib
from ._lib import (ArgumentError, CogmapError, FileError, FormatError, Interrupted, NumericError, OutOfMemory,
                   Unsupported)

__version__ = _lib.cm_version().decode()
library_path = _lib.path


def set_threads(n):
    """Threads for OpenMP regions and BLAS together (n <= 0: all cores)."""
    _lib.cm_set_threads(int(n))


def threads():
    return _lib.cm_threads()


from . import world  # noqa: E402
from .world import Arena, Maze, MazeEnv, Motion, Renderer, Worlds, simulate  # noqa: E402
from . import analysis, io  # noqa: E402
from .analysis import analyze, classify, gridness, read_activity  # noqa: E402
from .io import load_checkpoint, load_run  # noqa: E402
from . import plot, runs  # noqa: E402
from .runs import train  # noqa: E402
from . import evaluation  # noqa: E402
from .evaluation import evaluate, map  # noqa: E402,A001
from . import bench  # noqa: E402
from .bench import (analyze_file, bench_coop, bench_link, bench_train, figure_smp2, figure_smp3, gridness_table)  # noqa: E402
