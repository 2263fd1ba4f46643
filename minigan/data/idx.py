"""Reading and writing IDX files, the simple binary format MNIST and Fashion-MNIST are shipped in.

An IDX file is a header followed by the raw numbers of one n-dimensional array:

    bytes 0-1   two zero bytes                        (the "magic number" begins 0x00 0x00)
    byte  2     the element type: 0x08 = uint8, ...   (see IDX_DTYPES)
    byte  3     the number of dimensions, n
    then        n sizes, each a big-endian 32-bit unsigned integer
    then        the elements, big-endian, row-major (the last dimension varies fastest)

So ``train-images-idx3-ubyte`` (magic 0x00000803) holds a (60000, 28, 28) uint8 array and
``train-labels-idx1-ubyte`` (magic 0x00000801) a (60000,) one. The files are usually gzipped;
``read_idx`` recognises gzip by its first two bytes, whatever the file is called. The format was
published with MNIST by LeCun, Cortes and Burges (http://yann.lecun.com/exdb/mnist/).

Every check names the file: a truncated download, a file that is not IDX at all, or an images
file whose labels file holds a different count are the mistakes worth a clear message.
"""
from __future__ import annotations

import gzip
import os
import struct
import zlib

import numpy

# IDX element type codes and the NumPy types they stand for (stored big-endian in the file).
IDX_DTYPES = {0x08: "u1", 0x09: "i1", 0x0B: "i2", 0x0C: "i4", 0x0D: "f4", 0x0E: "f8"}
_GZIP_MAGIC = b"\x1f\x8b"


class IDXError(ValueError):
    """An IDX file that cannot be read: truncated, not IDX, or inconsistent with its partner."""


def read_idx(path) -> numpy.ndarray:
    """The array stored in the IDX file at ``path`` (gzipped or plain), in native byte order."""
    raw = _read_bytes(path)
    if len(raw) < 4:
        raise IDXError(f"{path}: truncated IDX file ({len(raw)} bytes, shorter than the 4-byte magic number)")
    zero, code, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0:
        raise IDXError(f"{path}: not an IDX file (magic number {raw[:4].hex()} does not begin with two zero bytes)")
    if code not in IDX_DTYPES:
        known = ", ".join(f"0x{c:02x}" for c in IDX_DTYPES)
        raise IDXError(f"{path}: unknown IDX element type 0x{code:02x} (known: {known})")
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise IDXError(f"{path}: truncated IDX file (a {ndim}-d header needs {header} bytes, found {len(raw)})")
    shape = struct.unpack(f">{ndim}I", raw[4:header])
    dtype = numpy.dtype(">" + IDX_DTYPES[code])
    expected = int(numpy.prod(shape, dtype=numpy.int64)) * dtype.itemsize
    found = len(raw) - header
    if found < expected:
        raise IDXError(f"{path}: truncated IDX file (shape {shape} needs {expected:,} bytes of data, found {found:,})")
    if found > expected:
        raise IDXError(f"{path}: {found - expected:,} unexpected bytes after the data of shape {shape}")
    array = numpy.frombuffer(raw, dtype=dtype, offset=header).reshape(shape)
    return array.astype(IDX_DTYPES[code])  # a native-order, writable copy


def read_images_and_labels(images_path, labels_path) -> tuple[numpy.ndarray, numpy.ndarray]:
    """An images file and its labels file, checked to hold one label per image."""
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3:
        raise IDXError(f"{images_path}: expected images of shape (N, height, width), found shape {images.shape}")
    if labels.ndim != 1:
        raise IDXError(f"{labels_path}: expected labels of shape (N,), found shape {labels.shape}")
    if len(images) != len(labels):
        raise IDXError(f"{images_path} holds {len(images):,} images but {labels_path} holds {len(labels):,} labels")
    return images, labels.astype(numpy.int64)


def write_idx(path, array) -> None:
    """Write ``array`` as an IDX file, gzipped when ``path`` ends in ``.gz``.

    minigan itself only reads IDX files; this is here so that tests and tutorials can make small
    ones (and so that the format is shown in both directions).
    """
    array = numpy.asarray(array)
    codes = {name: code for code, name in IDX_DTYPES.items()}
    name = f"{array.dtype.kind}{array.dtype.itemsize}"  # "u1" for uint8, "f4" for float32, ...
    if name not in codes:
        raise TypeError(f"write_idx: IDX cannot store dtype {array.dtype}")
    header = struct.pack(f">HBB{array.ndim}I", 0, codes[name], array.ndim, *array.shape)
    data = header + array.astype(">" + name).tobytes()
    with (gzip.open if str(path).endswith(".gz") else open)(path, "wb") as f:
        f.write(data)


def _read_bytes(path) -> bytes:
    """The file's bytes, un-gzipped if they are gzip; a damaged gzip stream is an IDXError."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"IDX file not found: {path}")
    with open(path, "rb") as f:
        raw = f.read()
    if not raw.startswith(_GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (EOFError, OSError, zlib.error) as err:  # EOFError: cut short; BadGzipFile is an OSError
        raise IDXError(f"{path}: damaged or truncated gzip file ({err})") from None
