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
from .grad_mode import is_grad_enabled, no_grad
from .names import accepts_torch_names

DEFAULT_DTYPE = numpy.float32


def _to_array(data, dtype=None, device=None, copy=True):
    """Turn lists, scalars and arrays into an array of ``dtype`` on ``device`` (float32 for Python floats).

    ``device=None`` means the array's own device for a CuPy array, the default device otherwise.
    With ``copy=True`` the result never shares memory with ``data`` (``tensor()``); with
    ``copy=False`` it does whenever no conversion is needed (``as_tensor()``).
    """
    if isinstance(data, Tensor):
        data = data.data
    if device is None and backend.is_cupy_array(data):
        device = "cuda"
    elif device is not None:
        _check_host_device(device)
    device = backend.resolve_device(device)
    if not (isinstance(data, numpy.ndarray) or backend.is_cupy_array(data)):
        data = numpy.array(data)  # a new array: nothing left to share
        copy = False
        if dtype is None and data.dtype.kind == "f":
            dtype = DEFAULT_DTYPE  # Python floats become float32, like torch.tensor
    if dtype is not None and data.dtype != dtype:
        data, copy = data.astype(dtype), False
    moved = backend.to_device(data, device)
    if moved is not data:
        copy = False  # moving between devices made a copy already
    return moved.copy() if copy else moved


def _check_host_device(device) -> None:
    """Refuse the host device that NumPy arrays are *not* on in this process (see ``backend.host_device``)."""
    if device in ("cpu", "cuda-sim") and device != backend.host_device():
        raise backend.DeviceError(
            f"device {device!r} was asked for, but NumPy arrays are on {backend.host_device()!r} in this process: "
            "the CUDA simulator is a process-wide mode (MINIGAN_DEVICE=cuda-sim or set_default_device)")


class _VersionCounter:
    """How many times a tensor's values were changed in place. A view shares its base's counter."""

    __slots__ = ("value",)

    def __init__(self):
        self.value = 0


class Tensor:
    """An n-dimensional array with automatic differentiation.

    ``Tensor(data, dtype=None, device=None, requires_grad=False)``: ``data`` may be a list, a number,
    a NumPy/CuPy array or another Tensor, and is *copied*, like ``torch.tensor`` (``as_tensor``
    shares memory instead). Python floats become float32; NumPy arrays keep their dtype.

    ``.data`` is the array. Assigning ``t.data = ...`` (or ``t.data -= ...``) counts as an in-place
    change (see ``_version``); writing into it with ``t.data[...] = values`` does not -- use
    ``t.copy_(values)`` for that, so that a backward pass that saved ``t`` can notice.
    """

    __array_ufunc__ = None  # `ndarray + Tensor` calls Tensor.__radd__ instead of NumPy broadcasting
    _copies_data = True  # the constructor copies, like torch.tensor (nn.Parameter shares instead)

    def __init__(self, data, dtype=None, device=None, requires_grad=False):
        self._data = _to_array(data, dtype, device, copy=self._copies_data)
        self._version_counter = _VersionCounter()
        self.grad = None
        self._creator = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_()

    @classmethod
    def _from_data(cls, data, requires_grad=False, creator=None, version_counter=None):
        """Wrap an array produced by an operation (no conversion, no checks, no copy)."""
        tensor = cls.__new__(cls)
        if not (isinstance(data, numpy.ndarray) or backend.is_cupy_array(data)):
            data = numpy.asarray(data)  # NumPy reductions return scalars, not 0-d arrays
        tensor._data, tensor.grad, tensor._creator = data, None, creator
        tensor._version_counter = version_counter or _VersionCounter()
        tensor.requires_grad = requires_grad
        return tensor

    # ----------------------------------------------------------------- values and versions
    @property
    def data(self):
        """The values: a NumPy array (a CuPy array on the GPU)."""
        return self._data

    @data.setter
    def data(self, array):
        if not (isinstance(array, numpy.ndarray) or backend.is_cupy_array(array)):
            raise TypeError(f"Tensor.data must be a NumPy or CuPy array, got {type(array).__name__}")
        self._data = array
        self._bump_version()

    @property
    def _version(self) -> int:
        """How many in-place changes this tensor (or a view of the same memory) has had, as PyTorch's."""
        return self._version_counter.value

    def _bump_version(self) -> None:
        self._version_counter.value += 1

    def copy_(self, source) -> "Tensor":
        """Write ``source``'s values (a Tensor, array or number, broadcast to this shape) into this tensor in place.

        The one way to overwrite a tensor's values that a backward pass can notice (PyTorch's
        ``copy_``): optimizers, ``nn.init``, ``load_state_dict`` and batch norm's running
        statistics all write through it.
        """
        self._check_in_place("copy_", source)
        values = source.data if isinstance(source, Tensor) else source
        if not (isinstance(values, numpy.ndarray) or backend.is_cupy_array(values)):
            values = numpy.asarray(values)
        try:
            self._data[...] = backend.to_device(values, self.device)
        except ValueError:
            raise ValueError(f"copy_: values of shape {numpy.shape(values)} cannot be broadcast to the "
                             f"tensor's shape {self.shape}") from None
        self._bump_version()
        return self

    def zero_(self) -> "Tensor":
        """Set every value to 0, in place."""
        return self.copy_(0)

    def fill_(self, value) -> "Tensor":
        """Set every value to ``value``, in place."""
        return self.copy_(value)

    def _check_in_place(self, operation, other=None):
        """PyTorch's rules for in-place changes while a graph is recorded, as clear errors.

        A leaf that requires grad (a weight) may only change in place outside the graph: inside
        ``with no_grad():``, as an optimizer does. minigan does not rewrite a recorded graph after an
        in-place change of a tensor in it (PyTorch does); it refuses instead of computing wrong gradients.
        """
        if not is_grad_enabled():
            return
        if self.requires_grad and self.is_leaf:
            raise RuntimeError(
                f"a leaf Tensor that requires grad is being used in an in-place operation ({operation}): "
                "change weights inside `with minigan.no_grad():` (as an optimizer step does)"
            )
        if self.requires_grad or (isinstance(other, Tensor) and other.requires_grad):
            raise RuntimeError(
                f"in-place {operation} on a tensor that is part of a recorded graph: minigan does not "
                "rewrite the graph after an in-place change; write the out-of-place form (x = x + y) instead"
            )

    def _in_place(self, operation, other, compute):
        """``self <operation>= other``: compute ``compute(self, other)`` and write it into this tensor."""
        self._check_in_place(operation, other)
        with no_grad():
            result = compute(self, other)
        if result.shape != self.shape:
            raise ValueError(f"in-place {operation}: the result has shape {result.shape}, which does not fit "
                             f"the tensor's shape {self.shape}")
        if not numpy.can_cast(result.dtype, self.dtype, "same_kind"):
            raise TypeError(f"in-place {operation}: the result has dtype {result.dtype}, which cannot be stored "
                            f"in this {self.dtype} tensor")
        self._data[...] = result.data
        self._bump_version()
        return self

    def __iadd__(self, other):
        return self._in_place("+=", other, arithmetic.add)

    def __isub__(self, other):
        return self._in_place("-=", other, arithmetic.sub)

    def __imul__(self, other):
        return self._in_place("*=", other, arithmetic.mul)

    def __itruediv__(self, other):
        return self._in_place("/=", other, arithmetic.div)

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

    def size(self, dim: int | None = None):
        """The shape (a tuple), or the length of axis ``dim``: PyTorch's ``size()``. ``numel()`` counts elements."""
        return self.shape if dim is None else self.shape[dim]

    def numel(self) -> int:
        """The number of elements (NumPy's ``array.size``)."""
        return self.data.size

    def dim(self) -> int:
        """The number of axes, as PyTorch's ``dim()`` (also ``ndim``)."""
        return self.data.ndim

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
        """All axes in reverse order (the matrix transpose for 2-D tensors)."""
        return self.permute(*reversed(range(self.ndim)))

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
        return Tensor._from_data(self.data, version_counter=self._version_counter)

    def clone(self) -> "Tensor":
        """A copy with its own memory that stays in the graph (the gradient passes straight through)."""
        return shape.clone(self)

    def numpy(self) -> numpy.ndarray:
        """The values as a NumPy array (copied from the GPU if needed; shares memory on the CPU)."""
        return self.data.get() if backend.is_cupy_array(self.data) else self.data

    def __array__(self, dtype=None, copy=None):
        """``numpy.asarray(tensor)`` gives the values (not an object array of Tensors)."""
        values = self.numpy()
        return values if dtype is None else values.astype(dtype)

    def item(self):
        """The value of a one-element tensor as a Python number."""
        if self.numel() != 1:
            raise ValueError(f"item() needs a tensor with one element, got shape {self.shape}")
        return self.data.item()

    def tolist(self):
        return self.numpy().tolist()

    # ----------------------------------------------------------------- conversions
    def to(self, *args, device=None, dtype=None) -> "Tensor":
        """This tensor on another device and/or of another dtype, differentiably: ``t.to("cuda")``,
        ``t.to(numpy.float64)``, ``t.to("cpu", numpy.float32)``, ``t.to(dtype=..., device=...)``.

        Returns the tensor itself when nothing changes, as PyTorch does.
        """
        for arg in args:
            if isinstance(arg, str) and arg in backend.DEVICES:
                device = arg
            else:
                try:
                    dtype = numpy.dtype(arg)
                except TypeError:
                    raise TypeError(f"to(): {arg!r} is neither a device ({', '.join(backend.DEVICES)}) nor a dtype") from None
        result = self
        if dtype is not None:
            result = result.astype(dtype)
        if device is not None:
            _check_host_device(device)
        if device is not None and backend.resolve_device(device) != result.device:
            result = shape.to_device(result, device)
        return result

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
    # Every method with an ``axis``/``keepdims`` also takes PyTorch's ``dim``/``keepdim`` (names.py).
    @accepts_torch_names
    def sum(self, axis=None, keepdims=False):
        return reductions.sum(self, axis, keepdims)

    @accepts_torch_names
    def mean(self, axis=None, keepdims=False):
        return reductions.mean(self, axis, keepdims)

    @accepts_torch_names
    def max(self, axis=None, keepdims=False):
        return reductions.max(self, axis, keepdims)

    @accepts_torch_names
    def min(self, axis=None, keepdims=False):
        return reductions.min(self, axis, keepdims)

    @accepts_torch_names
    def var(self, axis=None, keepdims=False, correction=1, unbiased=None):
        """Variance with PyTorch's default ``correction=1`` (divide by n - 1); see ``minigan.var``."""
        return reductions.var(self, axis, keepdims, correction, unbiased)

    @accepts_torch_names
    def std(self, axis=None, keepdims=False, correction=1, unbiased=None):
        """Standard deviation with PyTorch's default ``correction=1``; see ``minigan.var``."""
        return reductions.std(self, axis, keepdims, correction, unbiased)

    @accepts_torch_names
    def norm(self, axis=None, keepdims=False):
        """Euclidean (Frobenius) norm: sqrt(sum(x**2)), with gradient 0 where the norm is 0."""
        return reductions.norm(self, axis, keepdims)

    @accepts_torch_names
    def argmax(self, axis=None, keepdims=False):
        return Tensor._from_data(self.data.argmax(axis=axis, keepdims=keepdims))

    # ----------------------------------------------------------------- shape
    def reshape(self, *shape_):
        return shape.reshape(self, shape_[0] if len(shape_) == 1 and not isinstance(shape_[0], int) else shape_)

    view = reshape

    def flatten(self, start_dim=0, end_dim=-1):
        """Merge axes ``start_dim`` to ``end_dim`` into one (``x.flatten(1)``: one row per sample)."""
        return shape.flatten(self, start_dim, end_dim)

    def transpose(self, dim0, dim1):
        """Swap two axes, as PyTorch's ``transpose`` (NumPy's full reordering is ``permute``)."""
        return shape.transpose(self, dim0, dim1)

    def permute(self, *dims):
        """Reorder all axes: ``x.permute(0, 2, 3, 1)`` (or a tuple); NumPy's ``transpose(axes)``."""
        return shape.permute(self, dims[0] if len(dims) == 1 and not isinstance(dims[0], int) else dims)

    @accepts_torch_names
    def squeeze(self, axis=None):
        """Remove length-1 axes: all of them, or only ``axis`` (left alone if its length is not 1, as in PyTorch)."""
        return shape.squeeze(self, axis)

    @accepts_torch_names
    def unsqueeze(self, axis):
        """Insert a length-1 axis at ``axis``."""
        return shape.unsqueeze(self, axis)

    def expand(self, *sizes):
        """Broadcast to ``sizes`` without copying; -1 keeps an axis's length (PyTorch's ``expand``)."""
        return shape.expand(self, sizes[0] if len(sizes) == 1 and not isinstance(sizes[0], int) else sizes)

    @accepts_torch_names
    def chunk(self, chunks, axis=0):
        """Split into ``chunks`` pieces along ``axis`` (the last may be smaller), as PyTorch's ``chunk``."""
        return shape.chunk(self, chunks, axis)

    def __getitem__(self, index):
        return shape.getitem(self, index)


def as_tensor(value, dtype=None, device=None, *, like: Tensor | None = None) -> Tensor:
    """``value`` as a Tensor, sharing its memory where it can, as ``torch.as_tensor``.

    A Tensor comes back as it is (converted if ``dtype``/``device`` ask for it); a NumPy array
    becomes a constant Tensor *on the same memory* (``tensor()`` copies instead). Inside minigan's
    operations ``like`` gives Python numbers the other operand's dtype and device: ``x * 2``.
    """
    if isinstance(value, Tensor):
        return value.to(*(arg for arg in (device, dtype) if arg is not None))
    if like is not None and dtype is None and device is None:
        if isinstance(value, (int, float)) and like.dtype.kind == "f":
            return Tensor._from_data(like.xp.asarray(value, dtype=like.dtype))
        device = like.device
    return Tensor._from_data(_to_array(value, dtype, device, copy=False))


# The operation modules import Tensor from this module, so they are imported after it is defined.
from . import activations, arithmetic, reductions, shape  # noqa: E402
