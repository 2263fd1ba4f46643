"""Elementwise arithmetic and matrix multiplication, each with its derivative.

Broadcasting: ``a + b`` with shapes (4, 3) and (3,) copies ``b`` along the first axis. In the
backward pass every copy sends its gradient back, so the gradient for ``b`` is the sum over the
copied axes: ``sum_to(grad, b.shape)``. Every binary operation below does exactly that.

All backward formulas use Tensor operations (``grad * b``, not ``grad.data * b.data``), so a
backward pass recorded with ``create_graph=True`` can be differentiated again.
"""
from __future__ import annotations

import numpy

from ..backend import array_module
from .function import Function
from .reductions import sum_to
from .select import select
from .tensor import Tensor, as_tensor


def _operands(a, b, op_name):
    """Both operands as Tensors (numbers take the other's dtype) and a clear error if they can't broadcast."""
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        raise TypeError(f"{op_name}: at least one operand must be a Tensor")
    a = as_tensor(a, like=b if isinstance(b, Tensor) else None)
    b = as_tensor(b, like=a)
    try:
        numpy.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{op_name}: shapes {a.shape} and {b.shape} cannot be broadcast together") from None
    return a, b


class Add(Function):
    saved_inputs = ()  # the gradient only needs the shapes

    def forward(self, a, b):
        return a + b

    def backward(self, grad):
        a, b = self.inputs
        return sum_to(grad, a.shape), sum_to(grad, b.shape)


class Sub(Function):
    saved_inputs = ()

    def forward(self, a, b):
        return a - b

    def backward(self, grad):
        a, b = self.inputs
        return sum_to(grad, a.shape), sum_to(-grad, b.shape) if self.needs_input_grad[1] else None


class Mul(Function):
    def forward(self, a, b):
        return a * b

    def backward(self, grad):
        a, b = self.inputs
        da = sum_to(grad * b, a.shape) if self.needs_input_grad[0] else None
        db = sum_to(grad * a, b.shape) if self.needs_input_grad[1] else None
        return da, db


class Div(Function):
    """a / b: d/da = 1/b, d/db = -a/b^2."""

    def forward(self, a, b):
        return a / b

    def backward(self, grad):
        a, b = self.inputs
        da = sum_to(grad / b, a.shape) if self.needs_input_grad[0] else None
        db = sum_to(-grad * a / (b * b), b.shape) if self.needs_input_grad[1] else None
        return da, db


class Neg(Function):
    saved_inputs = ()

    def forward(self, a):
        return -a

    def backward(self, grad):
        return -grad


class Pow(Function):
    """a ** b: d/da = b * a^(b-1), d/db = log(a) * a^b."""

    saves_output = True

    def forward(self, a, b):
        return a ** b

    def backward(self, grad):
        a, b = self.inputs
        da = sum_to(grad * b * a ** (b - 1), a.shape) if self.needs_input_grad[0] else None
        db = sum_to(grad * log(a) * self.output(), b.shape) if self.needs_input_grad[1] else None
        return da, db


class Exp(Function):
    """d exp(a)/da = exp(a): the output itself."""

    saved_inputs = ()
    saves_output = True

    def forward(self, a):
        return array_module(a).exp(a)

    def backward(self, grad):
        return grad * self.output()


class Log(Function):
    def forward(self, a):
        return array_module(a).log(a)

    def backward(self, grad):
        return grad / self.inputs[0]


class Sqrt(Function):
    """d sqrt(a)/da = 1 / (2 sqrt(a))."""

    saved_inputs = ()
    saves_output = True

    def forward(self, a):
        return array_module(a).sqrt(a)

    def backward(self, grad):
        return grad / (2 * self.output())


class Abs(Function):
    """d|a|/da = sign(a) (0 at a = 0, the subgradient PyTorch also picks)."""

    def forward(self, a):
        return array_module(a).abs(a)

    def backward(self, grad):
        a = self.inputs[0]
        return grad * Tensor._from_data(a.xp.sign(a.data))


class Maximum(Function):
    """max(a, b) elementwise; at ties the gradient is split equally between a and b."""

    def forward(self, a, b):
        return array_module(a).maximum(a, b)

    def backward(self, grad):
        a, b = self.inputs
        share_of_a = (a.data > b.data) + 0.5 * (a.data == b.data)
        share_of_a = Tensor._from_data(share_of_a.astype(grad.dtype))
        da = sum_to(grad * share_of_a, a.shape) if self.needs_input_grad[0] else None
        db = sum_to(grad * (1 - share_of_a), b.shape) if self.needs_input_grad[1] else None
        return da, db


class Where(Function):
    """``condition ? a : b`` elementwise; the condition is a constant boolean array."""

    saved_inputs = ()

    def __init__(self, condition):
        self.condition = condition

    def forward(self, a, b):
        return select(self.condition, a, b)

    def backward(self, grad):
        a, b = self.inputs
        zero = as_tensor(0.0, like=grad)
        da = sum_to(where(self.condition, grad, zero), a.shape) if self.needs_input_grad[0] else None
        db = sum_to(where(self.condition, zero, grad), b.shape) if self.needs_input_grad[1] else None
        return da, db


class Clip(Function):
    """Clamp to [low, high]; the gradient passes where the input lies inside (bounds included)."""

    def __init__(self, low, high):
        self.low, self.high = low, high

    def forward(self, a):
        return array_module(a).clip(a, self.low, self.high)

    def backward(self, grad):
        a = self.inputs[0].data
        inside = array_module(a).ones_like(a, dtype=bool) if self.low is None else a >= self.low
        if self.high is not None:
            inside = inside & (a <= self.high)
        return where(inside, grad, as_tensor(0.0, like=grad))


class MatMul(Function):
    """a @ b for arrays of 2 or more dimensions (leading axes broadcast as a batch).

    With C = A B:  dL/dA = dL/dC B^T  and  dL/dB = A^T dL/dC, then summed over broadcast batch axes.

    An inner dimension of 1 makes C the outer product C[i, j] = A[i, 0] B[0, j]. NumPy's ``matmul``
    computes that in a plain loop instead of BLAS: 0.50 ms for the backward of D's last layer in a
    DCGAN, (64, 1) @ (1, 6272). The broadcast product gives the same numbers in 0.07 ms (0.27 inside a
    training step). The loop starts each sum at +0.0, so a product of -0.0 comes out +0.0; adding 0.0
    keeps those bits too.
    """

    def forward(self, a, b):
        if a.shape[-1] == 1:
            outer = a * b
            outer += 0.0
            return outer
        return a @ b

    def backward(self, grad):
        a, b = self.inputs
        da = sum_to(grad @ b.transpose(-1, -2), a.shape) if self.needs_input_grad[0] else None
        db = sum_to(a.transpose(-1, -2) @ grad, b.shape) if self.needs_input_grad[1] else None
        return da, db


class AsType(Function):
    """Change the dtype; the gradient is converted back to the input's dtype."""

    saved_inputs = ()

    def __init__(self, dtype):
        self.dtype = dtype

    def forward(self, a):
        return a.astype(self.dtype)

    def backward(self, grad):
        return astype(grad, self.inputs[0].dtype)


# ---------------------------------------------------------------------- public functions
def add(a, b):
    return Add()(*_operands(a, b, "add"))


def sub(a, b):
    return Sub()(*_operands(a, b, "sub"))


def mul(a, b):
    return Mul()(*_operands(a, b, "mul"))


def div(a, b):
    return Div()(*_operands(a, b, "div"))


def neg(a):
    return Neg()(as_tensor(a))


def pow(a, b):
    return Pow()(*_operands(a, b, "pow"))


def exp(a):
    return Exp()(as_tensor(a))


def log(a):
    return Log()(as_tensor(a))


def sqrt(a):
    return Sqrt()(as_tensor(a))


def abs(a):
    return Abs()(as_tensor(a))


def maximum(a, b):
    return Maximum()(*_operands(a, b, "maximum"))


def minimum(a, b):
    """min(a, b) = -max(-a, -b): one derivative rule serves both."""
    a, b = _operands(a, b, "minimum")
    return -maximum(-a, -b)


def where(condition, a, b):
    """Elementwise ``a`` where ``condition`` holds, else ``b`` (``condition``: boolean array or Tensor)."""
    if isinstance(condition, Tensor):
        condition = condition.data
    a, b = _operands(a, b, "where")
    try:
        numpy.broadcast_shapes(numpy.shape(condition), a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"where: condition shape {numpy.shape(condition)} cannot broadcast with {a.shape} and {b.shape}"
        ) from None
    return Where(condition)(a, b)


def clip(a, low=None, high=None):
    if low is None and high is None:
        raise ValueError("clip: give at least one of low and high")
    return Clip(low, high)(as_tensor(a))


def matmul(a, b):
    """Matrix product with NumPy's rules: 1-D operands are promoted to a row / column and squeezed back."""
    a, b = as_tensor(a, like=b if isinstance(b, Tensor) else None), as_tensor(b, like=a if isinstance(a, Tensor) else None)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: operands must have at least 1 dimension, got shapes {a.shape} and {b.shape}")
    a2 = a.reshape(1, -1) if a.ndim == 1 else a
    b2 = b.reshape(-1, 1) if b.ndim == 1 else b
    if a2.shape[-1] != b2.shape[-2]:
        raise ValueError(f"matmul: inner dimensions differ: shapes {a.shape} and {b.shape}")
    try:
        numpy.broadcast_shapes(a2.shape[:-2], b2.shape[:-2])
    except ValueError:
        raise ValueError(f"matmul: batch dimensions of {a.shape} and {b.shape} cannot be broadcast") from None
    out = MatMul()(a2, b2)
    if a.ndim == 1:
        out = out.reshape(out.shape[:-2] + out.shape[-1:])
    if b.ndim == 1:
        out = out.reshape(out.shape[:-1])
    return out


def astype(a, dtype):
    dtype = numpy.dtype(dtype)
    if a.dtype == dtype:
        return a
    if a.requires_grad and dtype.kind != "f":
        return Tensor._from_data(a.data.astype(dtype))  # integers carry no gradient
    return AsType(dtype)(a)

