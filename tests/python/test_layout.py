"""Every ctypes struct of cogmap._lib has the C struct's size and field offsets: a C program
built from the public headers prints them (a header change the bindings missed fails here)."""
import ctypes
import os
import shutil
import subprocess

import pytest

from cogmap import _lib


def test_struct_layouts_match_the_headers(repo, tmp_path):
    cc = shutil.which(os.environ.get("CC", "cc"))
    if not cc:
        pytest.skip("no C compiler")
    lines = ["#include <stddef.h>", "#include <stdio.h>", "#include \"cogmap/cogmap.h\"", "int main(void) {"]
    expect = []
    structs = [s for s in _lib.STRUCTS if _lib.has(getattr(s, "_since_", "cm_version"))]
    for s in structs:
        c = s._cname_
        lines.append(f'printf("{c} %zu\\n", sizeof({c}));')
        expect.append(f"{c} {ctypes.sizeof(s)}")
        for name, _ in s._fields_:
            lines.append(f'printf("{c}.{name} %zu\\n", offsetof({c}, {name}));')
            expect.append(f"{c}.{name} {getattr(s, name).offset}")
    lines += ["return 0;", "}"]
    src = tmp_path / "layout.c"
    src.write_text("\n".join(lines) + "\n")
    exe = tmp_path / "layout"
    env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}  # no sanitizer runtimes in cc
    subprocess.run([cc, "-std=gnu11", "-I", str(repo / "include"), str(src), "-o", str(exe)], check=True, env=env)
    got = subprocess.run([str(exe)], capture_output=True, text=True, check=True, env=env).stdout.split("\n")[:-1]
    assert len(structs) >= 20
    for g, e in zip(got, expect):  # the first difference names the struct and field
        assert g == e, f"C says {g}, the bindings {e}"
    assert len(got) == len(expect)


def test_every_bound_function_is_exported():
    """A C function the package binds but the library does not export (hidden visibility without
    CM_API, a rename) would only fail when called: list them all here instead. The run layer's
    may be absent from a library built before it."""
    import cogmap
    from cogmap import analysis, bench, evaluation, io, plot, runs, world
    run_layer = _lib.has("cm_train_run")
    missing = []
    for mod in (_lib, world, analysis, io, plot, runs, evaluation, bench):
        for name, v in vars(mod).items():
            if isinstance(v, _lib.Missing) and (run_layer or mod is not runs):
                missing.append(f"{mod.__name__}.{name}: {v.name}")
    assert not missing, "not exported: " + ", ".join(missing)
    if run_layer:
        for sym in ("cm_grid_job_ops", "cm_smp_job_ops", "cm_grid_net_forward", "cm_grid_goal_rank"):
            assert _lib.has(sym), sym
    assert cogmap.__version__.count(".") == 2
