"""``Parameter``: a Tensor that a Module learns.

A Parameter is an ordinary leaf Tensor with ``requires_grad=True``, plus one piece of meaning:
assigning it to an attribute of a :class:`~minigan.nn.Module` registers it, so that
``module.parameters()`` finds it for the optimizer and ``module.state_dict()`` saves it. A plain
Tensor attribute is neither trained nor saved; a *buffer* (``register_buffer``) is saved but not
trained -- batch norm's running mean is the classic example.
"""
from __future__ import annotations

from ..autograd import Tensor


class Parameter(Tensor):
    """``Parameter(data, requires_grad=True)``: ``data`` is a Tensor (whose array is shared, not copied),
    an array, a list or a number."""

    _copies_data = False  # nn.Parameter(t) is t's memory made trainable, as in PyTorch

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)
        if isinstance(data, Tensor):
            self._version_counter = data._version_counter  # the same memory counts its changes once

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
