"""``Function``: one differentiable operation, the node type of the computation graph.

A Function has two halves:

* ``forward(*arrays)`` computes the output from plain NumPy/CuPy arrays. No Tensors, no graph.
* ``backward(grad_output)`` receives dL/d(output) as a **Tensor** and returns dL/d(input) for every
  input, also as Tensors (or ``None`` where an input needs no gradient). It is written with
  differentiable Tensor operations, so the backward pass is itself a graph when the engine asks for
  one (``create_graph=True``). That is all it takes for gradients of gradients -- the gradient
  penalties of WGAN-GP and R1 differentiate through a backward pass.

Calling a Function on Tensors runs ``forward`` and, when recording is on and some input requires a
gradient, links the output to this Function (``output._creator``) and keeps the inputs for backward.
Every Function has exactly one output, which keeps the graph walk simple.
"""
from __future__ import annotations

from .grad_mode import is_grad_enabled


class Function:
    """Base class of every differentiable operation. Subclasses implement forward and backward.

    Parameters that are not Tensors (an axis, a shape, a slope) are given to the constructor:
    ``Sum(axis=1)(x)``. During ``backward`` these attributes are available:

    * ``self.inputs``           -- the input Tensors (differentiable, for use in backward formulas);
    * ``self.output()``         -- the output as a Tensor connected to this node (see its docstring);
    * ``self.needs_input_grad`` -- which inputs the engine wants a gradient for in this pass.
    """

    inputs: tuple | None = None
    needs_input_grad: tuple = ()
    _output_data = None
    _released = False

    def forward(self, *arrays):
        raise NotImplementedError

    def backward(self, grad_output):
        raise NotImplementedError

    @property
    def name(self) -> str:
        return type(self).__name__

    def __call__(self, *inputs):
        from .tensor import Tensor  # tensor.py imports this module, so import at call time

        devices = {t.device for t in inputs}
        if len(devices) > 1:
            from ..backend import DeviceError
            shapes = ", ".join(f"{t.device}:{t.shape}" for t in inputs)
            raise DeviceError(f"{self.name}: inputs are on different devices ({shapes}); move them with .to()")
        output_data = self.forward(*(t.data for t in inputs))
        record = is_grad_enabled() and any(t.requires_grad for t in inputs)
        if not record:
            return Tensor._from_data(output_data)
        self.inputs = inputs
        self.needs_input_grad = tuple(t.requires_grad for t in inputs)
        self._output_data = output_data
        return Tensor._from_data(output_data, requires_grad=True, creator=self)

    def output(self):
        """The output of this node as a Tensor that is part of the graph.

        Backward formulas often reuse the forward result: d exp(x)/dx = exp(x). Returning a fresh
        Tensor that shares the output array and points back to this Function means a second
        derivative flows through this very node again -- without the Function holding a reference
        to its own output (a reference cycle that would keep every activation alive).
        """
        from .tensor import Tensor
        return Tensor._from_data(self._output_data, requires_grad=True, creator=self)

    def release(self):
        """Drop the inputs and saved arrays once a backward pass no longer needs them."""
        self.inputs = None
        self._output_data = None
        self._released = True

    def __repr__(self):
        return f"<{self.name} function>"
