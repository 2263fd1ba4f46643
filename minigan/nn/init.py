"""Weight initialisation, in place, with random numbers from minigan's seeded generator.

**Why the scale matters.** A layer y = W x with n inputs of unit variance and weights of variance
s^2 gives outputs of variance n s^2. Over many layers that factor compounds: activations (and
gradients) explode or vanish unless n s^2 stays near 1. The classic recipes pick s from the
*fans* of a weight -- fan_in = inputs per output unit, fan_out = outputs per input unit; for a
conv weight (out, in, kh, kw) each counts the kh*kw taps: fan_in = in*kh*kw, fan_out = out*kh*kw.

* **Xavier / Glorot** (2010), for tanh and sigmoid: Var(W) = gain^2 * 2 / (fan_in + fan_out).
* **Kaiming / He** (2015), for ReLU-like units: Var(W) = gain^2 / fan, fan = fan_in (keeps the
  forward pass steady) or fan_out (keeps the backward pass steady). ReLU zeroes half its inputs,
  hence gain^2 = 2; leaky ReLU with slope a keeps more: gain^2 = 2 / (1 + a^2).

A uniform U(-b, b) has variance b^2 / 3, so the uniform versions use b = sqrt(3) * std.

**PyTorch's default** for Linear and conv layers is ``kaiming_uniform_(w, a=sqrt(5))``: gain^2 =
2 / 6, so b = sqrt(3) * sqrt(1/3) / sqrt(fan_in) = 1 / sqrt(fan_in), the same bound as its bias.

**DCGAN** (Radford et al. 2016) instead draws every conv and linear weight from N(0, 0.02) and batch
norm scales from N(1, 0.02), with zero shifts: ``model.apply(nn.init.dcgan_init)``.

Every function changes ``tensor.data`` in place (so an optimizer holding the tensor sees the new
values) and returns the tensor. ``minigan.manual_seed(s)`` makes the draws reproducible.
"""
from __future__ import annotations

import math

import numpy

from ..autograd import no_grad
from ..autograd.creation import default_generator

GAINS = {
    "linear": 1.0,
    "conv2d": 1.0,
    "conv_transpose2d": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "selu": 3.0 / 4.0,
}


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The gain of ``nonlinearity`` (see the table ``GAINS``); leaky_relu's depends on its slope ``param`` (0.01)."""
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else param
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity not in GAINS:
        known = ", ".join(["leaky_relu", *GAINS])
        raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; known: {known}")
    return GAINS[nonlinearity]


def calculate_fan_in_and_fan_out(tensor) -> tuple[int, int]:
    """(fan_in, fan_out) of a weight of shape (out, in, *kernel): (in * taps, out * taps)."""
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a weight with at least 2 dimensions, got shape {tensor.shape}")
    taps = math.prod(tensor.shape[2:])
    return tensor.shape[1] * taps, tensor.shape[0] * taps


def _fill(tensor, values):
    """Write host ``values`` into ``tensor`` in place (``copy_``: its version counts the change).

    Outside the graph, like every initialisation: a weight that requires grad may only change in
    place where nothing is recorded.
    """
    with no_grad():
        return tensor.copy_(numpy.asarray(values, dtype=tensor.dtype))


def uniform_(tensor, a: float = 0.0, b: float = 1.0):
    """Fill with samples of U(a, b)."""
    return _fill(tensor, default_generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean: float = 0.0, std: float = 1.0):
    """Fill with samples of N(mean, std^2)."""
    return _fill(tensor, default_generator().normal(mean, std, tensor.shape))


def constant_(tensor, value: float):
    return _fill(tensor, numpy.full(tensor.shape, value))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def xavier_uniform_(tensor, gain: float = 1.0):
    """U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -math.sqrt(3.0) * std, math.sqrt(3.0) * std)


def xavier_normal_(tensor, gain: float = 1.0):
    """N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    """std = gain / sqrt(fan), the fan chosen by ``mode`` ("fan_in" or "fan_out")."""
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"kaiming init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(tensor)
    fan = fan_in if mode == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """U(-b, b) with b = sqrt(3) * gain / sqrt(fan); ``a`` is the leaky ReLU slope that sets the gain."""
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound)


def kaiming_normal_(tensor, a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan)."""
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity))


def default_init_(weight, bias=None):
    """PyTorch's initialisation of Linear and conv layers: weight and bias both U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    kaiming_uniform_(weight, a=math.sqrt(5.0))
    if bias is not None:
        fan_in, _ = calculate_fan_in_and_fan_out(weight)
        bound = 1.0 / math.sqrt(fan_in)
        uniform_(bias, -bound, bound)


def dcgan_init(module) -> None:
    """The DCGAN recipe for one module, meant for ``model.apply(dcgan_init)``.

    Conv, transposed conv and linear weights ~ N(0, 0.02), batch norm weights ~ N(1, 0.02), their
    biases 0. Other modules are left alone.
    """
    # Imported here, not at the top: the layer modules import this module for their default init.
    from .conv import Conv2d, ConvTranspose2d
    from .linear import Linear
    from .normalization import BatchNorm1d, BatchNorm2d

    if isinstance(module, (Conv2d, ConvTranspose2d, Linear)):
        normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, (BatchNorm1d, BatchNorm2d)) and module.weight is not None:
        normal_(module.weight, 1.0, 0.02)
    else:
        return
    if module.bias is not None:
        zeros_(module.bias)
