"""Activation functions and the numerically careful pieces of GAN losses.

Each one is computed in the form that cannot overflow: for a logit of 100, ``log(1 + exp(100))``
overflows float32, but ``max(x, 0) + log1p(exp(-|x|))`` is exact. GAN losses on confident
discriminators hit exactly these values.

| function       | forward                          | derivative                       |
|----------------|----------------------------------|----------------------------------|
| relu           | max(x, 0)                        | 1 where x > 0                    |
| leaky_relu     | x if x > 0 else s*x              | 1 or s                           |
| sigmoid        | 1 / (1 + exp(-x))                | sigmoid(x) (1 - sigmoid(x))      |
| tanh           | tanh(x)                          | 1 - tanh(x)^2                    |
| softplus       | log(1 + exp(x))                  | sigmoid(x)                       |
| log_sigmoid    | -softplus(-x)                    | sigmoid(-x)                      |
| log_softmax    | x - log(sum(exp(x)))             | g - softmax(x) sum(g)            |
"""
from __future__ import annotations

from .. import kernels
from ..backend import array_module
from .arithmetic import where
from .function import Function
from .grad_mode import is_grad_enabled
from .names import accepts_torch_names
from .reductions import _normalize_axis
from .select import select
from .tensor import Tensor, as_tensor


class ReLU(Function):
    """max(x, 0). The first backward is a one-pass kernel (``kernels/cpu/activation.py``); a recorded
    backward (``create_graph=True``) is the same formula in differentiable Tensor operations."""

    def forward(self, x):
        return array_module(x).maximum(x, 0)

    def backward(self, grad):
        x = self.inputs[0]
        if is_grad_enabled():
            return where(x.data > 0, grad, 0.0)
        return Tensor._from_data(kernels.relu_backward(grad.data, x.data))


class LeakyReLU(Function):
    """x if x > 0 else slope * x. Forward and first backward are one-pass kernels (``kernels/cpu/activation.py``);
    a recorded backward (``create_graph=True``) is the same formula in differentiable Tensor operations."""

    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        return kernels.leaky_relu(x, self.slope)

    def backward(self, grad):
        x = self.inputs[0]
        if is_grad_enabled():
            return where(x.data > 0, grad, grad * self.slope)
        return Tensor._from_data(kernels.leaky_relu_backward(grad.data, x.data, self.slope))


class Sigmoid(Function):
    saved_inputs = ()  # the derivative y (1 - y) needs only the output
    saves_output = True

    def forward(self, x):
        # exp of a negative number never overflows: use exp(-|x|) on both sides.
        xp = array_module(x)
        e = xp.exp(-abs(x))
        return select(x >= 0, 1 / (1 + e), e / (1 + e))

    def backward(self, grad):
        y = self.output()
        return grad * y * (1 - y)


class Tanh(Function):
    saved_inputs = ()
    saves_output = True

    def forward(self, x):
        return array_module(x).tanh(x)

    def backward(self, grad):
        y = self.output()
        return grad * (1 - y * y)


class Softplus(Function):
    def forward(self, x):
        xp = array_module(x)
        return xp.maximum(x, 0) + xp.log1p(xp.exp(-abs(x)))

    def backward(self, grad):
        return grad * sigmoid(self.inputs[0])


class LogSoftmax(Function):
    """log softmax(x) = x - logsumexp(x), with the max subtracted first so exp never overflows."""

    saved_inputs = ()
    saves_output = True

    def __init__(self, axis):
        self.axis = axis

    def forward(self, x):
        xp = array_module(x)
        shifted = x - x.max(axis=self.axis, keepdims=True)
        return shifted - xp.log(xp.exp(shifted).sum(axis=self.axis, keepdims=True))

    def backward(self, grad):
        softmax = self.output().exp()
        return grad - softmax * grad.sum(axis=self.axis, keepdims=True)


def relu(x):
    return ReLU()(as_tensor(x))


def leaky_relu(x, negative_slope=0.01):
    return LeakyReLU(negative_slope)(as_tensor(x))


def sigmoid(x):
    return Sigmoid()(as_tensor(x))


def tanh(x):
    return Tanh()(as_tensor(x))


def softplus(x):
    return Softplus()(as_tensor(x))


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for any x."""
    return -softplus(-as_tensor(x))


@accepts_torch_names
def log_softmax(x, axis=-1):
    x = as_tensor(x)
    (axis,) = _normalize_axis(axis, x.ndim)
    return LogSoftmax(axis)(x)


@accepts_torch_names
def softmax(x, axis=-1):
    return log_softmax(x, axis).exp()
