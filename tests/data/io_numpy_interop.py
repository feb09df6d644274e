"""numpy side of tests/test_io_numpy.c.

  make DIR   write .npy/.npz files with numpy for cogmap to read
  check DIR  load what cogmap wrote into DIR and compare with the same values

Both sides build every array from the same formula (values(dtype, shape)),
so neither needs the other's files to know what to expect.
"""
import io
import os
import sys
import zipfile

import numpy as np

DTYPES = ["float32", "float64", "int32", "int64", "uint8", "bool"]
SHAPES = {"scalar": (), "empty": (0, 3), "vec": (7,), "mat": (3, 5), "cube": (2, 3, 4)}


def values(dtype, shape):
    n = int(np.prod(shape)) if shape else 1
    k = np.arange(n, dtype=np.int64)
    if dtype in ("float32", "float64"):
        v = k * 0.5 - 3.25
    elif dtype == "int32":
        v = k * 7 - 100
    elif dtype == "int64":
        v = k * (1 << 40) - 5
    elif dtype == "uint8":
        v = (k * 37) % 256
    else:
        v = k % 3 == 0
    return np.asarray(v).astype(dtype).reshape(shape)


def all_arrays():
    return {f"{d}_{s}": values(d, shp) for d in DTYPES for s, shp in SHAPES.items()}


def fail(msg):
    print("numpy check failed:", msg)
    sys.exit(1)


def same(name, got, want):
    if got.dtype != want.dtype or got.shape != want.shape or not np.array_equal(got, want):
        fail(f"{name}: got {got.dtype} {got.shape} {got.ravel()[:6]}, want {want.dtype} {want.shape} {want.ravel()[:6]}")


def check(d):
    arrays = all_arrays()
    for name, want in arrays.items():
        same(name + ".npy", np.load(os.path.join(d, name + ".npy")), want)
    for f in ("stored.npz", "deflated.npz", "zip64.npz"):
        with np.load(os.path.join(d, f)) as z:
            if sorted(z.files) != sorted(arrays):
                fail(f"{f}: members {sorted(z.files)}")
            for name, want in arrays.items():
                same(f + ":" + name, z[name], want)
        with zipfile.ZipFile(os.path.join(d, f)) as zf:
            if zf.testzip() is not None:
                fail(f"{f}: bad CRC")
            kind = zipfile.ZIP_DEFLATED if f != "stored.npz" else zipfile.ZIP_STORED
            if any(i.compress_type != kind for i in zf.infolist()):
                fail(f"{f}: wrong compression method")


class Unseekable(io.RawIOBase):
    """A write-only stream that cannot seek, so zipfile writes data descriptors."""

    def __init__(self, f):
        self.f = f

    def writable(self):
        return True

    def write(self, b):
        return self.f.write(b)


def make(d):
    arrays = all_arrays()
    for name, a in arrays.items():
        np.save(os.path.join(d, name + ".npy"), a)
    np.savez(os.path.join(d, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(d, "deflated.npz"), **arrays)
    # version 2.0 and 3.0 headers
    with open(os.path.join(d, "v2.npy"), "wb") as f:
        np.lib.format.write_array(f, values("float64", (3, 5)), version=(2, 0))
    with open(os.path.join(d, "v3.npy"), "wb") as f:
        np.lib.format.write_array(f, values("int32", (3, 5)), version=(3, 0))
    # a streamed zip: local headers without sizes, data descriptors after the data
    with open(os.path.join(d, "streamed.npz"), "wb") as raw:
        with zipfile.ZipFile(Unseekable(raw), "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for name, version in (("float32_mat", None), ("bool_vec", (2, 0))):
                with zf.open(name + ".npy", "w") as m:  # bool_vec with a 2.0 header
                    np.lib.format.write_array(m, arrays[name], version=version)
    # what cogmap must refuse
    np.save(os.path.join(d, "fortran.npy"), np.asfortranarray(values("float64", (3, 5))))
    np.save(os.path.join(d, "bigendian.npy"), values("float64", (3, 5)).astype(">f8"))
    np.save(os.path.join(d, "float16.npy"), values("float32", (3, 5)).astype("float16"))
    np.save(os.path.join(d, "object.npy"), np.array([1, "a", None], dtype=object), allow_pickle=True)
    np.save(os.path.join(d, "structured.npy"), np.zeros(3, dtype=[("x", "<f4"), ("y", "<i4")]))


if __name__ == "__main__":
    {"make": make, "check": check}[sys.argv[1]](sys.argv[2])
