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
Every Function has exactly one output, which keeps the graph walk simple, and records exactly one
call: a second call of the same object would overwrite the inputs the first one's backward needs.

**Saved values and versions.** A backward formula reads the *values* of some inputs (``Mul`` needs
b to differentiate a * b) or of its output (``Exp``). If such a tensor is changed in place between
forward and backward -- ``optimizer.step()`` on a weight, ``x += 1`` -- the formula would silently
use the new values. So each Tensor counts its in-place changes (``tensor._version``), the Function
notes the count of everything it saved, and the engine calls :meth:`check_saved_versions` before
``backward``: a changed tensor is a clear error, as in PyTorch. A Function declares what it reads:
``saved_inputs`` (positions; ``None``, the default, means all) and ``saves_output``.
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

    #: Positions of the inputs whose values ``backward`` reads (None: all). Shape-only ops say ().
    saved_inputs: tuple | None = None
    #: True when ``backward`` reads the output's values (through ``self.output()``).
    saves_output = False

    inputs: tuple | None = None
    needs_input_grad: tuple = ()
    _output_data = None
    _called = False
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

        if self._called:
            raise RuntimeError(
                f"this {self.name} object was already called once: a Function records one call (its backward "
                f"needs that call's inputs), so make a new one for each call: {self.name}(...)(x)"
            )
        self._called = True
        devices = {t.device for t in inputs}
        if len(devices) > 1:
            from ..backend import DeviceError
            shapes = ", ".join(f"{t.device}:{t.shape}" for t in inputs)
            raise DeviceError(f"{self.name}: inputs are on different devices ({shapes}); move them with .to()")
        output_data = self.forward(*(t.data for t in inputs))
        output = Tensor._from_data(output_data, version_counter=_shared_counter(output_data, inputs))
        if not (is_grad_enabled() and any(t.requires_grad for t in inputs)):
            return output
        self.inputs = inputs
        self.needs_input_grad = tuple(t.requires_grad for t in inputs)
        self._output_data = output_data
        self._output_counter = output._version_counter
        saved = range(len(inputs)) if self.saved_inputs is None else self.saved_inputs
        self._saved_versions = [(f"input {i}", inputs[i]._version_counter, inputs[i]._version) for i in saved]
        if self.saves_output:
            self._saved_versions.append(("its output", output._version_counter, output._version))
        output.requires_grad, output._creator = True, self
        return output

    def output(self):
        """The output of this node as a Tensor that is part of the graph.

        Backward formulas often reuse the forward result: d exp(x)/dx = exp(x). Returning a fresh
        Tensor that shares the output array and points back to this Function means a second
        derivative flows through this very node again -- without the Function holding a reference
        to its own output (a reference cycle that would keep every activation alive).
        """
        from .tensor import Tensor
        return Tensor._from_data(self._output_data, requires_grad=True, creator=self,
                                 version_counter=self._output_counter)

    def check_saved_versions(self) -> None:
        """Raise if a tensor whose values ``backward`` reads was changed in place after the forward pass."""
        for which, counter, version in self._saved_versions:
            if counter.value != version:
                raise RuntimeError(
                    f"one of the variables needed for gradient computation has been modified by an in-place "
                    f"operation: {which} of {self.name} is at version {counter.value}; expected version {version}. "
                    "It was changed after the forward pass (optimizer.step(), an nn.init function, "
                    "load_state_dict, copy_() or an in-place operator such as +=): run the forward pass again "
                    "after the change, or change a copy (.clone()) instead."
                )

    def release(self):
        """Drop everything the forward pass kept -- inputs, output, saved arrays such as conv's im2col
        columns or batch norm's statistics -- once a backward pass no longer needs them."""
        self.__dict__.clear()
        self._called = True
        self._released = True

    def __repr__(self):
        return f"<{self.name} function>"


def _shared_counter(output_data, inputs):
    """The version counter of the input whose memory ``output_data`` views, if any (else None: a new one).

    ``x.reshape(...)``, ``x[0]`` and ``x.T`` return NumPy views of x's array. An in-place change
    through a view changes x too, so a view counts its changes on x's counter, as in PyTorch.
    """
    owner = getattr(output_data, "base", None)
    if owner is None:
        return None
    for t in inputs:
        data = t.data
        if owner is data or owner is data.base:
            return t._version_counter
    return None
