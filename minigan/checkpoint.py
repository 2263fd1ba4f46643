"""Checkpoints: a nested dict of arrays, numbers and strings saved to one ``.npz`` file, safely, and loaded back.

    save_checkpoint("run/last.npz", {"trainer": trainer.state_dict(), "rng": get_rng_state()})
    state = load_checkpoint("run/last.npz")

**The format.** A ``.npz`` file is a zip archive of ``.npy`` arrays, one per name, readable by any
NumPy (``numpy.load(path)["trainer/generator/net.0.weight"]``). The nested dict is flattened:
each leaf is stored under the path of keys leading to it, joined with ``/``. How a leaf is stored:

    a NumPy array (numeric, bool or string dtype)  -> itself
    a NumPy scalar (numpy.float32(1.5), ...)       -> a 0-d array, loaded back as that scalar
    a Python bool, int, float or str               -> a 0-d array (bool, int64, float64 or unicode),
                                                      loaded back as the Python value
    anything else JSON can write: None, lists,     -> a JSON string in a 0-d unicode array, loaded
      ints beyond int64 (the 128-bit numbers in       back with json.loads (so a tuple comes back
      the state of NumPy's PCG64 generator)           as a list)

One more entry, ``__minigan__``, holds a JSON *manifest*: a copy of the dict's shape in which
every leaf is replaced by how it was stored (``"array"``, ``"numpy"``, ``"python"``, ``"json"``)
and every dict records its type (``dict`` or ``OrderedDict``) and its key order. Loading follows
the manifest, so ints stay ints, floats stay floats, and a model's ``OrderedDict`` keeps its
order. An RNG state dict (``get_rng_state()``) is just a nested dict: its 128-bit integers go to JSON.

**Safety.** Loading uses ``numpy.load(allow_pickle=False)``: a checkpoint holds data, never code.
Saving writes a temporary file in the same folder, flushes and fsyncs it, then renames it over
``path`` with ``os.replace`` (atomic): a crash or an error midway leaves the previous checkpoint
intact. A missing file, a damaged one, and a value that cannot be stored are clear errors.
"""
from __future__ import annotations

import json
import os
import zipfile
import zlib
from collections import OrderedDict
from collections.abc import Mapping

import numpy

MANIFEST_KEY = "__minigan__"
FORMAT_VERSION = 1
# np.savez(file, allow_pickle=..., **arrays) takes these two names itself, so no entry may use them.
_RESERVED = {MANIFEST_KEY, "file", "allow_pickle"}


class CheckpointError(ValueError):
    """A file that is not a minigan checkpoint, or is damaged."""


def save_checkpoint(path, state: Mapping) -> None:
    """Write the nested dict ``state`` to ``path`` (exactly that name), atomically."""
    if not isinstance(state, Mapping):
        raise TypeError(f"save_checkpoint: state must be a dict, got {type(state).__name__}")
    arrays = {}
    tree = _flatten(state, "", arrays)
    arrays[MANIFEST_KEY] = numpy.asarray(json.dumps({"version": FORMAT_VERSION, "tree": tree}))
    atomic_write(path, lambda f: numpy.savez(f, allow_pickle=False, **arrays))


def atomic_write(path, write) -> None:
    """Call ``write(binary_file)`` on a temporary file beside ``path``, then rename it to ``path``.

    The temporary file (``.NAME.PID.tmp`` in the same folder, so the rename stays on one file
    system) is flushed and fsynced before ``os.replace`` swaps it in, atomically: whoever reads
    ``path`` -- or a crash at any moment -- sees the old file or the new one, never half of one.
    A temporary left by a killed process is removed by :func:`remove_orphan_temporaries`.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    partial = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        with open(partial, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())  # the bytes are on disk before the rename makes them the file
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def remove_orphan_temporaries(folder) -> list:
    """Delete the ``.NAME.PID.tmp`` files of :func:`atomic_write` whose process is gone; return their names.

    A process killed during a write (SIGKILL, a power cut) leaves its temporary behind -- up to the
    size of a checkpoint. A temporary whose process still runs is another writer's: left alone.
    """
    removed = []
    for entry in os.listdir(folder):
        parts = entry.split(".")
        if entry.startswith(".") and entry.endswith(".tmp") and len(parts) >= 4 and parts[-2].isdigit():
            if not process_is_alive(int(parts[-2])):
                os.remove(os.path.join(folder, entry))
                removed.append(entry)
    return removed


def process_is_alive(pid: int) -> bool:
    """True when a process with this PID exists (this machine, any user)."""
    if pid <= 0:
        return False  # 0 and negative numbers name process groups for os.kill, not a process
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: no signal sent, only the check that the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, it is just not ours
    return True


def load_checkpoint(path) -> dict:
    """The nested dict saved at ``path``, with the same types, shapes, dtypes and key order."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"checkpoint not found: {path}")
    try:
        _check_is_zip(path)
        with numpy.load(path, allow_pickle=False) as npz:
            if MANIFEST_KEY not in npz.files:
                raise ValueError(f"no {MANIFEST_KEY} manifest")
            manifest = json.loads(npz[MANIFEST_KEY].item())
            if manifest.get("version") != FORMAT_VERSION:
                raise ValueError(f"format version {manifest.get('version')}, this minigan reads {FORMAT_VERSION}")
            return _unflatten(manifest["tree"], "", npz)
    except (ValueError, KeyError, TypeError, OSError, EOFError, NotImplementedError, zipfile.BadZipFile,
            zlib.error) as err:  # NotImplementedError: a zip entry whose compression method was damaged
        raise CheckpointError(f"{path} is not a minigan checkpoint or is corrupt: {err}") from None


def _check_is_zip(path: str) -> None:
    """An ``.npz`` is a zip archive; a truncated one has lost the directory at its end."""
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            starts_like_zip = f.read(4) == b"PK\x03\x04"
        raise ValueError("damaged .npz (zip) archive, truncated?" if starts_like_zip else "not an .npz (zip) archive")


def _flatten(value, path: str, arrays: dict):
    """Put ``value``'s leaves into ``arrays`` by path; return its manifest entry."""
    if isinstance(value, Mapping):
        items = {}
        for key, child in value.items():
            if not isinstance(key, str) or not key or "/" in key:
                raise TypeError(f"save_checkpoint: keys must be non-empty strings without '/', got {key!r} in {path!r}")
            child_path = f"{path}/{key}" if path else key
            if child_path in _RESERVED:
                raise TypeError(f"save_checkpoint: the top-level key {key!r} is reserved")
            items[key] = _flatten(child, child_path, arrays)
        return {"type": "OrderedDict" if isinstance(value, OrderedDict) else "dict", "items": items}
    arrays[path], kind = _encode(value, path)
    return kind


def _encode(value, path: str):
    """A leaf as ``(array to store, how it was stored)``."""
    if isinstance(value, numpy.ndarray) and not value.dtype.hasobject:
        return value, "array"
    if isinstance(value, numpy.generic) and not isinstance(value, numpy.object_):
        return numpy.asarray(value), "numpy"
    if isinstance(value, (bool, int, float, str)) and (not isinstance(value, int) or -2**63 <= value < 2**63):
        return numpy.asarray(value), "python"
    try:
        return numpy.asarray(json.dumps(value)), "json"
    except (TypeError, ValueError):
        raise TypeError(f"save_checkpoint: cannot store {path!r}, a {type(value).__name__}: store NumPy arrays, "
                        "numbers, strings, or JSON values (None, lists)") from None


def _unflatten(tree, path: str, npz):
    if isinstance(tree, dict):
        kind = OrderedDict if tree["type"] == "OrderedDict" else dict
        items = tree["items"].items()
        return kind((key, _unflatten(child, f"{path}/{key}" if path else key, npz)) for key, child in items)
    stored = npz[path]
    if tree == "array":
        return stored
    if tree == "numpy":
        return stored[()]
    if tree == "python":
        return stored.item()
    if tree == "json":
        return json.loads(stored.item())
    raise ValueError(f"unknown kind of entry {tree!r} for {path!r}")
