"""``Optimizer``: the base class of every optimizer -- parameter groups, state, ``step`` and checkpoints.

An optimizer holds the Parameters to train, in *parameter groups* (each a dict with its own
hyper-parameters, such as ``lr``), and a *state* per parameter (momentum buffers, Adam's moment
estimates). One training step is

    optimizer.zero_grad(); loss.backward(); optimizer.step()

``step()`` reads every ``param.grad`` and changes ``param.data`` in place, without recording a
graph. Assigning ``param.data`` (``param.data -= ...``) counts as an in-place change of the
parameter (its ``_version`` goes up), so a backward pass through a graph recorded *before* the step
is refused with a clear error instead of silently using the new weights, as in PyTorch. A
parameter whose ``grad`` is None took no part in the loss: it is skipped, and its state (Adam's
step count included) does not advance.

**Checkpoints without pickle.** ``state_dict()`` returns a *flat* dict whose values are NumPy
arrays and Python numbers, so ``numpy.savez(path, **state)`` writes it and
``numpy.load(path, allow_pickle=False)`` reads it back -- a checkpoint file cannot run code. Keys:

    param_groups.{g}.{hyper-parameter}   param_groups.0.lr -> 0.0002, param_groups.0.betas -> array([0.5, 0.999])
    param_groups.{g}.params              the numbers of the group's parameters (an int array)
    state.{i}.{name}                     state.3.exp_avg -> array, state.3.step -> 12

Parameters are numbered 0, 1, 2, ... through the groups in order (PyTorch's convention), so a
checkpoint loads into a new optimizer built the same way on a new model. Loading turns 0-d
arrays back into numbers (integers in the state are counters such as ``step``) and 1-d
hyper-parameters back into tuples (``betas``).
"""
from __future__ import annotations

import numpy

from .. import backend
from ..autograd import Tensor, no_grad
from ..nn.module import _zero_gradients

_REQUIRED = object()  # marks a hyper-parameter without a default (SGD's lr)


class Optimizer:
    """Base class: parameter groups, state, ``zero_grad``, ``step`` and checkpoints.

    A subclass passes its default hyper-parameters to ``__init__`` and implements
    ``_update(param, grad, state, group)``: the update of one parameter, on arrays.
    """

    def __init__(self, params, defaults: dict):
        self.defaults = defaults
        self.param_groups = []
        self.state = {}  # Parameter -> dict of its state, filled at its first update
        groups = [params] if isinstance(params, Tensor) else list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty list of parameters")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group: dict) -> None:
        """Add ``{"params": [...], "lr": ..., ...}``; hyper-parameters not given take the defaults."""
        params = [group["params"]] if isinstance(group["params"], Tensor) else list(group["params"])
        for p in params:
            if not isinstance(p, Tensor) or not p.is_leaf or not p.requires_grad:
                raise TypeError(f"{type(self).__name__} can only optimize leaf Tensors that require grad, got {p!r}")
        known = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or known & {id(p) for p in params}:
            raise ValueError(f"{type(self).__name__}: a parameter appears more than once")
        full = {**self.defaults, **group, "params": params}
        for name, value in full.items():
            if value is _REQUIRED:
                raise TypeError(f"{type(self).__name__}: hyper-parameter {name!r} has no default; pass it")
        self.param_groups.append(full)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget all gradients before the next ``backward()``: set them to None (PyTorch's default), or
        to zeros in place with ``set_to_none=False``."""
        _zero_gradients(self._all_params(), set_to_none)

    @no_grad()
    def step(self) -> None:
        """Update every parameter that has a gradient, in place."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad.data, self.state.setdefault(p, {}), group)

    def _update(self, param, grad, state: dict, group: dict) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ checkpoints
    def _all_params(self):
        return [p for group in self.param_groups for p in group["params"]]

    def state_dict(self) -> dict:
        """The hyper-parameters and state as a flat dict of NumPy arrays and numbers (see the module docstring)."""
        flat, first = {}, 0
        for g, group in enumerate(self.param_groups):
            for name, value in group.items():
                if name != "params":
                    flat[f"param_groups.{g}.{name}"] = numpy.array(value) if isinstance(value, tuple) else value
            flat[f"param_groups.{g}.params"] = numpy.arange(first, first + len(group["params"]))
            first += len(group["params"])
        for i, p in enumerate(self._all_params()):
            for name, value in self.state.get(p, {}).items():
                is_array = not isinstance(value, (int, float))
                flat[f"state.{i}.{name}"] = backend.to_device(value, "cpu").copy() if is_array else value
        return flat

    def load_state_dict(self, state_dict) -> None:
        """Restore hyper-parameters and state from ``state_dict()`` (or what ``numpy.load`` returns of it).

        The optimizer must have been built like the saved one: same number of groups and of parameters
        per group, same parameter shapes. Problems are reported all at once and nothing is loaded.
        """
        groups, states = {}, {}
        for key in state_dict.keys():
            section, index, name = (key.split(".", 2) + ["", ""])[:3]
            if section not in ("param_groups", "state") or not index.isdigit() or not name:
                raise ValueError(f"load_state_dict: unexpected key {key!r} in an optimizer state")
            (groups if section == "param_groups" else states).setdefault(int(index), {})[name] = state_dict[key]
        params = self._all_params()
        problems = self._mismatches(groups, states, params)
        if problems:
            raise ValueError(f"error loading state_dict into {type(self).__name__}:\n  " + "\n  ".join(problems))
        for g, group in enumerate(self.param_groups):
            group.update({name: _hyperparameter(value) for name, value in groups[g].items() if name != "params"})
        self.state = {
            params[i]: {name: _state_value(value, params[i]) for name, value in entries.items()}
            for i, entries in states.items()
        }

    def _mismatches(self, groups, states, params) -> list:
        """What keeps a saved state from fitting this optimizer, as readable lines."""
        if sorted(groups) != list(range(len(self.param_groups))):
            return [f"the state has {len(groups)} parameter groups, this optimizer {len(self.param_groups)}"]
        problems = [
            f"group {g} has {len(group['params'])} parameters, the state {len(groups[g].get('params', ()))}"
            for g, group in enumerate(self.param_groups)
            if len(group["params"]) != len(groups[g].get("params", ()))
        ]
        for i, entries in states.items():
            if i >= len(params):
                problems.append(f"state for parameter {i}, but there are only {len(params)} parameters")
                continue
            problems += [
                f"state.{i}.{name}: expected shape {params[i].shape}, got {numpy.shape(value)}"
                for name, value in entries.items()
                if numpy.ndim(value) > 0 and numpy.shape(value) != params[i].shape
            ]
        return problems


def _hyperparameter(value):
    """A saved hyper-parameter as a Python number, or a tuple of numbers (e.g. betas)."""
    value = numpy.asarray(value)
    return value.item() if value.ndim == 0 else tuple(value.tolist())


def _state_value(value, param):
    """A saved state entry: integer scalars become ints (counters), arrays are copied to the parameter's device."""
    value = numpy.asarray(value)
    if value.ndim == 0 and value.dtype.kind in "iu":
        return int(value)
    return backend.to_device(value.copy(), param.device)
