"""``Tensor``: an array that remembers how it was made.

A Tensor wraps a NumPy array (or a CuPy array on a GPU) in ``.data``. When it was produced by an
operation while recording was on, ``._creator`` points to that operation's :class:`Function` node,
whose inputs point to their creators, and so on: that chain *is* the computation graph, and
``backward()`` walks it (see ``engine.py``). Tensors made directly by the user are *leaves*
(``_creator is None``); leaves with ``requires_grad=True`` receive gradients in ``.grad``.

The arithmetic methods below are thin: each one calls a function from ``arithmetic.py``,
``reductions.py``, ``shape.py`` or ``activations.py``, where the forward and backward formulas live.
"""
from __future__ import annotations

import numpy

from .. import backend

DEFAULT_DTYPE = numpy.float32


def _to_array(data, dtype=None, device=None):
    """Turn lists, scalars and arrays into an array of ``dtype`` on ``device`` (float32 by default)."""
    device = backend.resolve_device(device)
    if isinstance(data, Tensor):
        data = data.data
    if not (isinstance(data, numpy.ndarray) or backend.is_cupy_array(data)):
        data = numpy.asarray(data)
        if dtype is None and data.dtype.kind == "f":
            dtype = DEFAULT_DTYPE  # Python floats become float32, like torch.tensor
    if dtype is not None and data.dtype != dtype:
        data = data.astype(dtype)
    return backend.to_device(data, device)


class Tensor:
    """An n-dimensional array with automatic differentiation.

    ``Tensor(data, dtype=None, device=None, requires_grad=False)``: ``data`` may be a list, a number,
    a NumPy/CuPy array or another Tensor. Python floats become float32; NumPy arrays keep their dtype.
    """

    __array_ufunc__ = None  # `ndarray + Tensor` calls Tensor.__radd__ instead of NumPy broadcasting

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self.data = _to_array(data, dtype, device)
        self.grad = None
        self._creator = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _from_data(cls, data, requires_grad=False, creator=None):
        """Wrap an array produced by an operation (no conversion, no checks)."""
        tensor = cls.__new__(cls)
        if not (isinstance(data, numpy.ndarray) or backend.is_cupy_array(data)):
            data = numpy.asarray(data)  # NumPy reductions return scalars, not 0-d arrays
        tensor.data, tensor.grad, tensor._creator = data, None, creator
        tensor.requires_grad = requires_grad
        return tensor

    # ----------------------------------------------------------------- properties
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def device(self) -> str:
        return backend.device_of(self.data)

    @property
    def xp(self):
        """The array module of this tensor: ``numpy`` or ``cupy``."""
        return backend.array_module(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._creator is None

    @property
    def grad_fn(self):
        """The :class:`Function` node that made this tensor (None for a leaf), as in PyTorch.

        Its ``inputs`` are the tensors it was applied to, so following ``grad_fn`` and ``inputs``
        back from a loss walks the whole computation graph -- what ``backward()`` does.
        """
        return self._creator

    @property
    def T(self) -> "Tensor":
        return self.transpose()

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        body = numpy.array2string(self.numpy(), separator=", ", prefix="tensor(", precision=4)
        extras = [f"dtype={self.dtype}"] if self.dtype != DEFAULT_DTYPE else []
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._creator is not None:
            extras.append(f"grad_fn={self._creator.name}")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"

    # ----------------------------------------------------------------- autograd
    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Mark a leaf as a variable to differentiate with respect to (in place)."""
        if requires_grad and self.dtype.kind != "f":
            raise TypeError(f"only floating-point tensors can require gradients, not {self.dtype}")
        if not self.is_leaf and not requires_grad:
            raise RuntimeError("cannot turn off requires_grad of a non-leaf tensor; use .detach()")
        self.requires_grad = requires_grad
        return self

    def backward(self, grad=None, retain_graph=None, create_graph=False):
        """Accumulate d(self)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient."""
        from .engine import backward
        backward(self, grad, retain_graph=retain_graph, create_graph=create_graph)

    def detach(self) -> "Tensor":
        """The same values (shared memory) as a new leaf that is cut off from the graph."""
        return Tensor._from_data(self.data)

    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; shares memory on the CPU)."""
        return self.data.get() if backend.is_cupy_array(self.data) else self.data

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(tensor)`` gives the values (not an object array of Tensors)."""
        values = self.numpy()
        return values if dtype is None else values.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    # ----------------------------------------------------------------- conversions
    def to(self, device: str) -> "Tensor":
        """This tensor on ``device`` ("cpu", "cuda", "cuda-sim"); differentiable."""
        if backend.resolve_device(device) == self.device:
            return self
        return shape.to_device(self, device)

    def astype(self, dtype) -> "Tensor":
        """This tensor converted to ``dtype``; differentiable between floating types."""
        return arithmetic.astype(self, dtype)

    def float(self) -> "Tensor":
        return self.astype(numpy.float32)

    def double(self) -> "Tensor":
        return self.astype(numpy.float64)

    # ----------------------------------------------------------------- arithmetic
    def __add__(self, other):
        return arithmetic.add(self, other)

    def __radd__(self, other):
        return arithmetic.add(other, self)

    def __sub__(self, other):
        return arithmetic.sub(self, other)

    def __rsub__(self, other):
        return arithmetic.sub(other, self)

    def __mul__(self, other):
        return arithmetic.mul(self, other)

    def __rmul__(self, other):
        return arithmetic.mul(other, self)

    def __truediv__(self, other):
        return arithmetic.div(self, other)

    def __rtruediv__(self, other):
        return arithmetic.div(other, self)

    def __pow__(self, other):
        return arithmetic.pow(self, other)

    def __rpow__(self, other):
        return arithmetic.pow(other, self)

    def __matmul__(self, other):
        return arithmetic.matmul(self, other)

    def __rmatmul__(self, other):
        return arithmetic.matmul(other, self)

    def __neg__(self):
        return arithmetic.neg(self)

    def __abs__(self):
        return arithmetic.abs(self)

    # Comparisons give boolean tensors, outside the graph (they have no useful derivative).
    def _compare(self, other, op):
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._from_data(op(self.data, other))

    def __lt__(self, other):
        return self._compare(other, numpy.less)

    def __le__(self, other):
        return self._compare(other, numpy.less_equal)

    def __gt__(self, other):
        return self._compare(other, numpy.greater)

    def __ge__(self, other):
        return self._compare(other, numpy.greater_equal)

    def __eq__(self, other):
        return self._compare(other, numpy.equal)

    def __ne__(self, other):
        return self._compare(other, numpy.not_equal)

    # Tensors are hashed by identity, like PyTorch's. Since == is elementwise, `t in some_list`
    # raises "truth value is ambiguous": compare identities (`any(t is u for u in ...)`) instead.
    __hash__ = object.__hash__

    def __bool__(self):
        return bool(self.data)

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def exp(self):
        return arithmetic.exp(self)

    def log(self):
        return arithmetic.log(self)

    def sqrt(self):
        return arithmetic.sqrt(self)

    def abs(self):
        return arithmetic.abs(self)

    def clip(self, min=None, max=None):
        return arithmetic.clip(self, min, max)

    clamp = clip

    def sigmoid(self):
        return activations.sigmoid(self)

    def tanh(self):
        return activations.tanh(self)

    def relu(self):
        return activations.relu(self)

    # ----------------------------------------------------------------- reductions
    def sum(self, axis=None, keepdims=False):
        return reductions.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return reductions.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return reductions.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return reductions.min(self, axis, keepdims)

    def var(self, axis=None, keepdims=False, ddof=0):
        return reductions.var(self, axis, keepdims, ddof)

    def std(self, axis=None, keepdims=False, ddof=0):
        return reductions.std(self, axis, keepdims, ddof)

    def norm(self, axis=None, keepdims=False):
        """Euclidean (Frobenius) norm: sqrt(sum(x**2))."""
        return reductions.norm(self, axis, keepdims)

    def argmax(self, axis=None):
        return Tensor._from_data(self.data.argmax(axis=axis))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape_):
        return shape.reshape(self, shape_[0] if len(shape_) == 1 and not isinstance(shape_[0], int) else shape_)

    view = reshape

    def flatten(self, start_axis=0):
        """Merge the axes from ``start_axis`` on into one (``x.flatten(1)``: one row per sample)."""
        return shape.reshape(self, self.shape[:start_axis] + (-1,))

    def transpose(self, *axes):
        return shape.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None))

    def permute(self, *axes):
        return shape.transpose(self, axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes)

    def __getitem__(self, index):
        return shape.getitem(self, index)


def as_tensor(value, like: Tensor | None = None) -> Tensor:
    """``value`` if it is a Tensor; otherwise a constant Tensor (Python numbers take ``like``'s dtype)."""
    if isinstance(value, Tensor):
        return value
    if like is None:
        return Tensor(value)
    if isinstance(value, (int, float)) and like.dtype.kind == "f":
        return Tensor._from_data(like.xp.asarray(value, dtype=like.dtype))
    return Tensor(value, device=like.device)


# The operation modules import Tensor from this module, so they are imported after it is defined.
from . import activations, arithmetic, reductions, shape  # noqa: E402
