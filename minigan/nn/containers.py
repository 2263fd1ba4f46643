"""Containers: ``ModuleList`` holds sub-modules in order, ``Sequential`` also runs them in order,
``ModuleDict`` holds them by name.

A plain Python list of layers would be invisible to ``parameters()`` and ``state_dict()``: only
attributes that *are* Modules get registered. A container registers each element under its
position ("0", "1", ...), so ``Sequential(Linear(2, 3), ReLU())[0].weight`` is saved as ``"0.weight"``.
``Sequential`` also accepts an ordered dict of named layers, which gives readable names instead.
"""
from __future__ import annotations

from .module import Module


class ModuleList(Module):
    """``ModuleList(modules)``: an indexable, iterable list of registered sub-modules (no forward)."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def append(self, module: Module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for module in modules:
            self.append(module)
        return self

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        """A module by position (negative counts from the end); a slice gives a container of the same kind."""
        modules = list(self._modules.values())
        if isinstance(index, slice):
            return self._of(modules[index])
        if not -len(modules) <= index < len(modules):
            raise IndexError(f"index {index} is out of range for a {type(self).__name__} of length {len(modules)}")
        return modules[index]

    def _of(self, modules):
        return ModuleList(modules)


class Sequential(ModuleList):
    """``Sequential(layer, layer, ...)`` or ``Sequential(OrderedDict(name=layer, ...))``: forward feeds
    each module's output to the next."""

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], dict):
            super().__init__()
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            super().__init__(modules)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x

    def _of(self, modules):
        return Sequential(*modules)


class ModuleDict(Module):
    """``ModuleDict({"name": module, ...})``: registered sub-modules by name, used like a dict (no forward).

    For models that pick a part by a key at run time -- one head per dataset, one block per
    resolution -- and still want every part in ``parameters()`` and ``state_dict()``.
    """

    def __init__(self, modules=None):
        super().__init__()
        self.update(modules or {})

    def __getitem__(self, name: str) -> Module:
        if name not in self._modules:
            raise KeyError(f"ModuleDict has no module {name!r}; it has {', '.join(self._modules) or 'none'}")
        return self._modules[name]

    def __setitem__(self, name: str, module: Module) -> None:
        self.add_module(name, module)

    def __delitem__(self, name: str) -> None:
        delattr(self, name)

    def __contains__(self, name) -> bool:
        return name in self._modules

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules) -> None:
        """Add the modules of a dict (or of (name, module) pairs)."""
        for name, module in (modules.items() if hasattr(modules, "items") else modules):
            self[name] = module
