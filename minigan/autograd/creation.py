"""Making tensors: from data, filled with a constant, or random from minigan's seeded generator.

Random numbers are always drawn with NumPy on the host and then moved to the device, so the same
seed gives the same numbers on every device -- results can be compared across CPU and GPU.
"""
from __future__ import annotations

import numpy

from .tensor import DEFAULT_DTYPE, Tensor

_generator = numpy.random.default_rng()


def manual_seed(seed: int) -> None:
    """Seed minigan's random generator (used by ``randn``, ``rand``, layer init, dropout, ...)."""
    global _generator
    _generator = numpy.random.default_rng(seed)


def get_rng_state() -> dict:
    """The generator's state as plain data (for checkpoints)."""
    return _generator.bit_generator.state


def set_rng_state(state: dict) -> None:
    _generator.bit_generator.state = state


def default_generator() -> numpy.random.Generator:
    return _generator


def tensor(data, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new leaf tensor from data (lists, numbers or arrays); Python floats become float32."""
    return Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)


def _shape(shape):
    return tuple(shape[0]) if len(shape) == 1 and not isinstance(shape[0], int) else tuple(shape)


def full(shape, value, dtype=DEFAULT_DTYPE, device=None, requires_grad=False) -> Tensor:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor(numpy.full(shape, value, dtype=dtype), device=device, requires_grad=requires_grad)


def zeros(*shape, dtype=DEFAULT_DTYPE, device=None, requires_grad=False) -> Tensor:
    return full(_shape(shape), 0, dtype, device, requires_grad)


def ones(*shape, dtype=DEFAULT_DTYPE, device=None, requires_grad=False) -> Tensor:
    return full(_shape(shape), 1, dtype, device, requires_grad)


def zeros_like(t: Tensor, requires_grad=False) -> Tensor:
    return full(t.shape, 0, t.dtype, t.device, requires_grad)


def ones_like(t: Tensor, requires_grad=False) -> Tensor:
    return full(t.shape, 1, t.dtype, t.device, requires_grad)


def randn(*shape, dtype=DEFAULT_DTYPE, device=None, requires_grad=False, generator=None) -> Tensor:
    """Standard normal samples N(0, 1)."""
    values = (generator or _generator).standard_normal(_shape(shape))
    return Tensor(values.astype(dtype), device=device, requires_grad=requires_grad)


def rand(*shape, dtype=DEFAULT_DTYPE, device=None, requires_grad=False, generator=None) -> Tensor:
    """Uniform samples in [0, 1)."""
    values = (generator or _generator).random(_shape(shape))
    return Tensor(values.astype(dtype), device=device, requires_grad=requires_grad)


def randint(low, high, shape, device=None, generator=None) -> Tensor:
    """Integers uniform in [low, high) (int64), e.g. random class labels."""
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    return Tensor((generator or _generator).integers(low, high, shape), device=device)


def arange(*args, dtype=None, device=None) -> Tensor:
    return Tensor(numpy.arange(*args, dtype=dtype), device=device)
