"""Which device holds the arrays, which array module computes on them, which kernels run.

minigan knows three devices:

* ``"cpu"``      -- NumPy arrays; kernels are Numba ``@njit`` functions (``minigan.kernels.cpu``).
* ``"cuda"``     -- CuPy arrays on an NVIDIA GPU; kernels are Numba ``@cuda.jit`` functions
                    (``minigan.kernels.cuda``). Only available where a usable GPU exists.
* ``"cuda-sim"`` -- NumPy arrays, but kernels are the *CUDA* kernels run by Numba's CUDA simulator.
                    Slow, and only meant for tests: it runs the GPU code path, launch configuration
                    included, on machines without a GPU. The simulator must be switched on
                    (``NUMBA_ENABLE_CUDASIM=1``) before Numba is first imported.

The default device comes from the environment variable ``MINIGAN_DEVICE`` (``cpu`` when unset) and can
be changed with :func:`set_default_device`. GPU detection happens once, lazily and silently: a missing
CuPy, a missing driver and a machine without a GPU all simply mean "no GPU".
"""
from __future__ import annotations

import functools
import os
import sys

import numpy

DEVICES = ("cpu", "cuda", "cuda-sim")

_ENV_VAR = "MINIGAN_DEVICE"


class DeviceError(RuntimeError):
    """A device was asked for that this machine cannot provide, or two devices were mixed."""


@functools.lru_cache(maxsize=None)
def _cupy_or_reason():
    """Import CuPy and check that a GPU answers. Returns ``(cupy, None)`` or ``(None, why_not)``."""
    try:
        import cupy
    except Exception as error:  # ImportError, or a broken CUDA install raising anything at import
        return None, f"CuPy is not importable ({type(error).__name__}: {error}); install minigan[gpu]"
    try:
        if cupy.cuda.runtime.getDeviceCount() < 1:
            return None, "CuPy found no CUDA device"
        cupy.zeros(1).sum()  # a driver may list a device that cannot run anything
    except Exception as error:
        return None, f"CuPy could not use a GPU ({type(error).__name__}: {error})"
    return cupy, None


def cuda_available() -> bool:
    """True when CuPy is installed and a GPU really runs work. Checked once, never prints."""
    return _cupy_or_reason()[0] is not None


def cuda_unavailable_reason() -> str | None:
    """Why there is no usable GPU (CuPy missing, no device, a broken driver), or None when there is one."""
    return _cupy_or_reason()[1]


def _check_device(name: str) -> str:
    """Validate a device name and that this machine can provide it; return the name."""
    if name not in DEVICES:
        raise DeviceError(f"unknown device {name!r}; expected one of {', '.join(DEVICES)}")
    if name == "cuda" and not cuda_available():
        raise DeviceError(f"device 'cuda' is not available: {_cupy_or_reason()[1]}")
    if name == "cuda-sim":
        _enable_cuda_simulator()
    return name


def _enable_cuda_simulator() -> None:
    """Switch Numba's CUDA simulator on, which only works before Numba is imported."""
    if os.environ.get("NUMBA_ENABLE_CUDASIM") == "1":
        return
    if "numba" in sys.modules:
        raise DeviceError(
            "device 'cuda-sim' needs Numba's CUDA simulator, which must be enabled before Numba is "
            "imported: set NUMBA_ENABLE_CUDASIM=1 in the environment (or MINIGAN_DEVICE=cuda-sim "
            "before importing minigan)"
        )
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"


_default_device = _check_device(os.environ.get(_ENV_VAR, "cpu") or "cpu")


def default_device() -> str:
    """The device new tensors are created on."""
    return _default_device


def set_default_device(name: str) -> None:
    """Make ``name`` (``"cpu"``, ``"cuda"`` or ``"cuda-sim"``) the device new tensors are created on."""
    global _default_device
    _default_device = _check_device(name)


def resolve_device(name: str | None) -> str:
    """``None`` means the default device; anything else is validated."""
    return _default_device if name is None else _check_device(name)


def is_cupy_array(array) -> bool:
    """True for a CuPy array (checked without importing CuPy)."""
    return type(array).__module__.startswith("cupy")


def device_of(array) -> str:
    """The device an array lives on: ``"cuda"`` for CuPy arrays; for NumPy arrays the host device."""
    if is_cupy_array(array):
        return "cuda"
    return host_device()


def host_device() -> str:
    """The device NumPy arrays are on in this process: "cpu", or "cuda-sim" while the simulator is the default.

    A NumPy array cannot carry a device of its own, so the two host devices cannot be mixed in one
    process: the simulator is a process-wide mode.
    """
    return "cuda-sim" if _default_device == "cuda-sim" else "cpu"


def array_module(device_or_array):
    """The array module (``numpy`` or ``cupy``) for a device name or an array."""
    device = device_or_array if isinstance(device_or_array, str) else device_of(device_or_array)
    if device == "cuda":
        return _cupy_or_reason()[0] or _raise_no_cuda()
    return numpy


def _raise_no_cuda():
    raise DeviceError(f"device 'cuda' is not available: {_cupy_or_reason()[1]}")


def kernel_target(array) -> str:
    """Which kernel family runs on ``array``: ``"cpu"``, ``"cuda"`` or ``"cuda-sim"``."""
    return device_of(array)


def to_device(array, device: str):
    """Copy ``array`` to ``device`` (no copy when it is already there)."""
    device = resolve_device(device)
    if device == "cuda":
        return array_module("cuda").asarray(array)
    if is_cupy_array(array):
        return array.get()
    return numpy.asarray(array)
