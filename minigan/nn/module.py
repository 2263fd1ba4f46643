"""``Module``: the base class of every layer and model, as ``torch.nn.Module``.

A model is a tree of Modules. Each Module keeps three registries, filled automatically by plain
attribute assignment in ``__init__`` (that is what ``__setattr__`` below is for):

* ``_parameters`` -- the :class:`Parameter` attributes: the weights an optimizer trains;
* ``_buffers``    -- Tensors registered with ``register_buffer``: state that is saved but not
                     trained, such as batch norm's running mean;
* ``_modules``    -- the sub-Module attributes: the branches of the tree.

Everything else walks that tree: ``parameters()`` for the optimizer, ``state_dict()`` /
``load_state_dict()`` for checkpoints (names are dotted paths, ``"net.0.weight"``), ``train()`` /
``eval()`` for layers that behave differently in training (dropout, batch norm), ``to(device)``,
``apply(fn)`` for custom initialisation, and ``repr`` for a readable summary of the model.

A *forward pre-hook* (``register_forward_pre_hook``) runs before every ``forward``, as in PyTorch:
spectral normalisation is one, recomputing the layer's weight before each call.

A subclass calls ``super().__init__()`` first, assigns its layers and weights, and defines
``forward``; calling the module (``model(x)``) runs ``forward``.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import NamedTuple

import numpy

from .. import backend
from ..autograd import Tensor, no_grad
from .parameter import Parameter

_REGISTRIES = ("_parameters", "_buffers", "_modules")


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped: names the model has but the state lacks, and the reverse."""

    missing_keys: list
    unexpected_keys: list


class RemovableHandle:
    """What ``register_forward_pre_hook`` returns: ``handle.remove()`` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks: OrderedDict, hook):
        self.hooks, self.id = hooks, RemovableHandle._next_id
        RemovableHandle._next_id += 1
        hooks[self.id] = hook

    def remove(self) -> None:
        self.hooks.pop(self.id, None)


def rename_keys(state_dict: dict, renames) -> None:
    """Rename entries of ``state_dict`` in place: each ``(old, new)`` pair whose old key is there and new one not."""
    for old, new in renames:
        if old in state_dict and new not in state_dict:
            state_dict[new] = state_dict.pop(old)


def prefix_renames(state_dict: dict, old_prefix: str, new_prefix: str) -> list:
    """The ``(old, new)`` pairs that move every key starting with ``old_prefix`` to ``new_prefix``."""
    return [(key, new_prefix + key[len(old_prefix):]) for key in state_dict if key.startswith(old_prefix)]


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _zero_gradients(tensors, set_to_none: bool) -> None:
    """Set each tensor's ``.grad`` to None, or zero it in place (``set_to_none=False``); Module and
    Optimizer share this."""
    for tensor in tensors:
        if set_to_none:
            tensor.grad = None
        elif tensor.grad is not None:
            with no_grad():
                tensor.grad = tensor.grad.detach().zero_()  # detached: a create_graph gradient keeps no graph


def _indent(text, spaces=2):
    return text.replace("\n", "\n" + " " * spaces)


class Module:
    """Base class for layers and models: subclasses set attributes in ``__init__`` and define ``forward``."""

    training: bool

    def __init__(self):
        # object.__setattr__, because our own __setattr__ needs these registries to exist already.
        for registry in _REGISTRIES:
            object.__setattr__(self, registry, OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        for hook in self._forward_pre_hooks.values():
            result = hook(self, args)
            if result is not None:  # a hook may replace the positional inputs
                args = result if isinstance(result, tuple) else (result,)
        return self.forward(*args, **kwargs)

    def register_forward_pre_hook(self, hook) -> RemovableHandle:
        """Call ``hook(module, args)`` before every ``forward``; it returns None or new positional inputs.

        Returns a handle whose ``remove()`` takes the hook off again (PyTorch's API).
        """
        return RemovableHandle(self._forward_pre_hooks, hook)

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__ and isinstance(value, (Parameter, Module)):
            raise AttributeError(
                f"cannot assign {type(value).__name__} {name!r} before Module.__init__(): "
                f"call super().__init__() first in {type(self).__name__}.__init__"
            )
        if isinstance(value, Parameter):
            self._forget(name)
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._forget(name)
            self._modules[name] = value
        elif name in self.__dict__.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"buffer {name!r} must be a Tensor or None, got {type(value).__name__}")
            self._buffers[name] = value
        elif name in self.__dict__.get("_parameters", ()) or name in self.__dict__.get("_modules", ()):
            raise TypeError(
                f"cannot assign a {type(value).__name__} to {name!r}, which holds a "
                f"{type(getattr(self, name)).__name__}: assign a new one of that kind, change the values "
                "in place through .data, or `del` the attribute first"
            )
        else:
            object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Called only when normal lookup fails: registered members live in the registries, not in __dict__.
        for registry in _REGISTRIES:
            members = self.__dict__.get(registry, {})
            if name in members:
                return members[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __delattr__(self, name):
        if any(name in self.__dict__.get(registry, ()) for registry in _REGISTRIES):
            self._forget(name)
        else:
            object.__delattr__(self, name)

    def _forget(self, name) -> None:
        """Remove ``name`` from ``__dict__`` and from every registry (before it is registered anew)."""
        self.__dict__.pop(name, None)
        for registry in _REGISTRIES:
            self.__dict__[registry].pop(name, None)

    def register_buffer(self, name: str, tensor: Tensor | None) -> None:
        """Add a Tensor that is saved in ``state_dict`` and moved by ``to()``, but not trained."""
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"register_buffer: {name!r} must be a Tensor or None, got {type(tensor).__name__}")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        self._buffers[name] = tensor

    def register_parameter(self, name: str, parameter: Parameter | None) -> None:
        """Add ``parameter`` under ``name`` (a name that is not an identifier, or chosen at run time).

        ``None`` registers the name with no parameter (an optional bias, say): it is then skipped by
        ``parameters()`` and ``state_dict()``, as in PyTorch.
        """
        if parameter is not None and not isinstance(parameter, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, got {type(parameter).__name__}")
        if "." in name or not name:
            raise KeyError(f"register_parameter: a parameter name must be non-empty and contain no '.', got {name!r}")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"register_parameter: attribute {name!r} already exists")
        self._forget(name)
        self._parameters[name] = parameter

    def add_module(self, name: str, module: Module) -> None:
        """Register ``module`` as a child under ``name`` (for names that are not identifiers, like "0")."""
        if not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module, got {type(module).__name__}")
        setattr(self, name, module)

    # ------------------------------------------------------------------ walking the tree
    def named_children(self):
        """(name, module) for each direct sub-Module."""
        yield from self._modules.items()

    def children(self):
        for _, module in self.named_children():
            yield module

    def named_modules(self, prefix: str = "", _seen=None):
        """(dotted name, module) for this module (name ``prefix``) and every module below it, each once."""
        seen = set() if _seen is None else _seen
        if id(self) in seen:
            return
        seen.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(_join(prefix, name), seen)

    def modules(self):
        for _, module in self.named_modules():
            yield module

    def _named_members(self, registry, recurse):
        """(dotted name, tensor) from one registry of every module; a tensor shared by two modules once."""
        seen = set()
        for prefix, module in self.named_modules() if recurse else [("", self)]:
            for name, tensor in module.__dict__[registry].items():
                if tensor is not None and id(tensor) not in seen:
                    seen.add(id(tensor))
                    yield _join(prefix, name), tensor

    def named_parameters(self, recurse: bool = True):
        """(dotted name, Parameter) for every parameter of this module and (by default) its sub-modules."""
        return self._named_members("_parameters", recurse)

    def parameters(self, recurse: bool = True):
        for _, parameter in self.named_parameters(recurse):
            yield parameter

    def named_buffers(self, recurse: bool = True):
        return self._named_members("_buffers", recurse)

    def buffers(self, recurse: bool = True):
        for _, buffer in self.named_buffers(recurse):
            yield buffer

    def num_parameters(self) -> int:
        """The number of learnable values, e.g. to print the size of a model."""
        return sum(p.numel() for p in self.parameters())

    def apply(self, fn):
        """Call ``fn(module)`` on every sub-module (children first) and then on this one; returns self.

        ``model.apply(nn.init.dcgan_init)`` re-initialises every layer of a model.
        """
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ------------------------------------------------------------------ modes and devices
    def train(self, mode: bool = True):
        """Put this module and all below it in training mode (or evaluation mode with ``mode=False``)."""
        for module in self.modules():
            module.training = mode
        return self

    def eval(self):
        """Evaluation mode: dropout is off and batch norm uses its running statistics."""
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True):
        """Switch gradients of all parameters on or off, e.g. to freeze D while G is trained."""
        for parameter in self.parameters():
            parameter.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget the gradients of all parameters: set ``.grad`` to None (PyTorch's default), or to zeros
        in place with ``set_to_none=False``."""
        _zero_gradients(self.parameters(), set_to_none)

    def to(self, device: str):
        """Move every parameter and buffer to ``device`` in place (the Tensors keep their identity); returns self.

        Create the optimizer after moving the model: its state lives on the device of the parameters.
        """
        return self._convert_tensors(lambda array: backend.to_device(array, device))

    def cuda(self):
        """``to("cuda")``: every parameter and buffer onto the GPU; returns self."""
        return self.to("cuda")

    def cpu(self):
        """``to("cpu")``: every parameter and buffer into host memory; returns self."""
        return self.to("cpu")

    def double(self):
        """Cast every floating-point parameter and buffer to float64 in place; returns self.

        For checking gradients of a whole model against finite differences, which need float64
        (``minigan.gradcheck``). Integer buffers (a step counter, say) keep their dtype.
        """
        return self._convert_tensors(lambda array: array.astype(numpy.float64, copy=False), floats_only=True)

    def float(self):
        """Cast every floating-point parameter and buffer to float32 (minigan's default) in place; returns self."""
        return self._convert_tensors(lambda array: array.astype(numpy.float32, copy=False), floats_only=True)

    def _convert_tensors(self, convert, floats_only=False):
        """Replace the array of every parameter and buffer, and of its ``.grad``, by ``convert(array)``."""
        for tensor in list(self.parameters()) + list(self.buffers()):
            if floats_only and tensor.dtype.kind != "f":
                continue
            tensor.data = convert(tensor.data)
            if tensor.grad is not None:
                tensor.grad = Tensor._from_data(convert(tensor.grad.data))
        return self

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> OrderedDict:
        """Every parameter and buffer as a NumPy array *copy*, by dotted name: ready for ``numpy.savez``."""
        members = list(self.named_parameters()) + list(self.named_buffers())
        return OrderedDict((name, tensor.numpy().copy()) for name, tensor in members)

    def load_state_dict(self, state_dict, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` into the parameters and buffers, in place.

        Every problem is reported at once, and nothing is loaded if there is one: names the model
        has but the state lacks (missing), names the model does not have (unexpected; both are
        tolerated with ``strict=False``), and arrays whose shape differs from the model's (always an error).
        Names an older minigan saved are renamed first (see ``_upgrade_state_dict``).
        """
        state_dict = dict(state_dict)  # a copy: the upgrade renames entries
        for prefix, module in self.named_modules():
            module._upgrade_state_dict(state_dict, _join(prefix, ""))
        own = OrderedDict(list(self.named_parameters()) + list(self.named_buffers()))
        missing = [name for name in own if name not in state_dict]
        unexpected = [name for name in state_dict if name not in own]
        mismatched = [
            f"{name}: expected shape {own[name].shape}, got {tuple(numpy.shape(value))}"
            for name, value in state_dict.items()
            if name in own and tuple(numpy.shape(value)) != own[name].shape
        ]
        problems = (["missing keys: " + ", ".join(missing)] if strict and missing else []) + (
            ["unexpected keys: " + ", ".join(unexpected)] if strict and unexpected else []
        ) + (["shape mismatch: " + "; ".join(mismatched)] if mismatched else [])
        if problems:
            raise RuntimeError(f"error loading state_dict into {type(self).__name__}:\n  " + "\n  ".join(problems))
        with no_grad():
            for name, value in state_dict.items():
                if name in own:
                    own[name].copy_(value.numpy() if isinstance(value, Tensor) else numpy.asarray(value))
        return IncompatibleKeys(missing, unexpected)

    def _upgrade_state_dict(self, state_dict: dict, prefix: str) -> None:
        """Rename, in place, the entries that an older minigan saved for this module under other names.

        ``prefix`` is this module's dotted path followed by a dot (``"conv1."``; ``""`` for the model
        itself). The default asks the forward pre-hooks (spectral norm's keys moved); a module whose
        attributes were renamed overrides it, calling ``super()._upgrade_state_dict`` too.
        """
        for hook in self._forward_pre_hooks.values():
            if hasattr(hook, "upgrade_state_dict"):
                hook.upgrade_state_dict(state_dict, prefix)

    # ------------------------------------------------------------------ printing
    def extra_repr(self) -> str:
        """The layer's settings for ``repr``, e.g. ``in_features=2, out_features=3``; override in layers."""
        return ""

    def __repr__(self):
        lines = self.extra_repr().split("\n") if self.extra_repr() else []
        children = [f"({name}): {_indent(repr(child))}" for name, child in self._modules.items()]
        if len(lines) == 1 and not children:
            return f"{type(self).__name__}({lines[0]})"
        body = "".join("\n  " + line for line in lines + children)
        return f"{type(self).__name__}({body}\n)" if body else f"{type(self).__name__}()"
