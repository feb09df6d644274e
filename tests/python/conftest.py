"""Shared setup of the Python package's tests: the package from python/ of this source tree,
the library under test from $COGMAP_LIB (set by CMake to the build's libcogmap.so), and the CLI
from $COGMAP_BIN for the tests that compare the two."""
import os
import pathlib
import subprocess
import sys

import pytest

REPO = pathlib.Path(os.environ.get("COGMAP_SOURCE_DIR", pathlib.Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(REPO / "python"))
if "COGMAP_LIB" not in os.environ and (REPO / "build" / "libcogmap.so").exists():
    os.environ["COGMAP_LIB"] = str(REPO / "build" / "libcogmap.so")


@pytest.fixture(scope="session")
def repo():
    return REPO


@pytest.fixture(scope="session")
def cli():
    """Runs the cogmap command; returns its CompletedProcess (stdout as text)."""
    exe = os.environ.get("COGMAP_BIN") or str(REPO / "build" / "cogmap")
    if not os.path.exists(exe):
        pytest.skip(f"no cogmap executable at {exe}")

    # The sanitizer runtimes ctest preloads into python (CMakeLists.txt) are linked into an ASan
    # build's executable already; other programs should not get them.
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}

    def run(*args, check=True):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True, env=env)
        if check and p.returncode != 0:
            raise AssertionError(f"cogmap {' '.join(map(str, args))}: exit {p.returncode}\n{p.stderr}")
        return p
    return run
