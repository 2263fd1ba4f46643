"""PyTorch's argument names beside NumPy's: ``dim=`` for ``axis=`` and ``keepdim=`` for ``keepdims=``.

minigan's reductions and shape functions are written with NumPy's names, since they run on NumPy
arrays. A PyTorch user types ``x.sum(dim=1, keepdim=True)``; both spellings should work, and
giving both at once is an error rather than a silent choice.
"""
from __future__ import annotations

import functools

_TORCH_TO_NUMPY = {"dim": "axis", "keepdim": "keepdims"}


def accepts_torch_names(function):
    """Let ``function(..., axis=..., keepdims=...)`` also be called as ``function(..., dim=..., keepdim=...)``."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        for torch_name, numpy_name in _TORCH_TO_NUMPY.items():
            if torch_name in kwargs:
                if numpy_name in kwargs:
                    raise TypeError(f"{function.__name__}() got both {numpy_name}= and {torch_name}= (the same "
                                    "argument in NumPy's and in PyTorch's spelling): give one")
                kwargs[numpy_name] = kwargs.pop(torch_name)
        return function(*args, **kwargs)

    return wrapper
