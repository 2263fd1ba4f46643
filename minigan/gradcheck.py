"""Checking gradients against finite differences: ``gradcheck`` and ``gradgradcheck``.

A backward formula is a claim; a finite difference is the evidence. For a function ``f`` of an
input ``x`` we reduce the outputs to one number with fixed random weights ``v``,

    L(x) = sum_k <v_k, f_k(x)>,

so that the analytic gradient is exactly what the engine computes from ``grad_outputs = v``, and
compare it with the central difference

    dL/dx_i  ~  (L(x + eps e_i) - L(x - eps e_i)) / (2 eps)        error O(eps^2).

Inputs up to ``max_elementwise`` entries are checked entry by entry. Larger ones are checked along
a few random unit directions ``d`` (as Chainer's ``check_backward`` does): <dL/dx, d> must equal
(L(x + eps d) - L(x - eps d)) / (2 eps), which tests every entry at once at the price of one
pair of evaluations per direction.

Everything runs in float64: in float32 the rounding error of L, divided by 2 eps, would drown the
comparison. ``gradgradcheck`` applies the same test to the *backward pass*: it checks the gradient
of ``x, v -> dL/dx``, i.e. second derivatives, which is what a gradient penalty relies on.
"""
from __future__ import annotations

import numpy

from .autograd import Tensor, enable_grad, grad


class GradcheckError(AssertionError):
    """An analytic gradient disagreed with its finite-difference estimate."""


def _prepare(inputs):
    """Float inputs become float64 leaves requiring grad; others (integer labels, ...) stay constant."""
    prepared = []
    for x in inputs:
        array = x.numpy() if isinstance(x, Tensor) else numpy.asarray(x)
        if array.dtype.kind == "f":
            prepared.append(Tensor(array.astype(numpy.float64), requires_grad=True))
        else:
            prepared.append(Tensor(array))
    return prepared


def _outputs(fn, tensors):
    out = fn(*tensors)
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


def _weighted_sum(fn, arrays, weights):
    """L = sum_k <v_k, f_k(x)> for plain input arrays (graph recording on: fn may call grad)."""
    tensors = [Tensor(a, requires_grad=a.dtype.kind == "f") for a in arrays]
    with enable_grad():
        outs = _outputs(fn, tensors)
    return sum(float((o.numpy() * w).sum()) for o, w in zip(outs, weights))


def _central_difference(fn, arrays, weights, k, direction, eps):
    plus = [a.copy() for a in arrays]
    minus = [a.copy() for a in arrays]
    plus[k] += eps * direction
    minus[k] -= eps * direction
    return (_weighted_sum(fn, plus, weights) - _weighted_sum(fn, minus, weights)) / (2 * eps)


def _fail(message, raise_exception):
    if raise_exception:
        raise GradcheckError(message)
    return False


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, max_elementwise=512, n_directions=3,
              seed=0, raise_exception=True) -> bool:
    """Check the gradients of ``fn(*inputs)`` against central finite differences, in float64.

    ``fn`` returns a Tensor or a tuple of Tensors. Returns True, or raises :class:`GradcheckError`
    naming the input, the index, the analytic and the numeric value (or returns False when
    ``raise_exception=False``). Inputs with more than ``max_elementwise`` entries are checked along
    ``n_directions`` random directions instead of entry by entry.
    """
    rng = numpy.random.default_rng(seed)
    tensors = _prepare(inputs)
    differentiable = [t for t in tensors if t.requires_grad]
    with enable_grad():
        outs = _outputs(fn, tensors)
        weights = [rng.standard_normal(o.shape) for o in outs]
        analytic = grad(list(outs), differentiable, grad_outputs=[Tensor(w) for w in weights], allow_unused=True)
    analytic = {id(t): (numpy.zeros(t.shape) if g is None else g.numpy()) for t, g in zip(differentiable, analytic)}
    arrays = [t.numpy().copy() for t in tensors]

    for k, tensor in enumerate(tensors):
        if not tensor.requires_grad:
            continue
        expected = analytic[id(tensor)]  # its shape is the input's: the engine checks every backward's shapes
        if tensor.numel() <= max_elementwise:
            for index in numpy.ndindex(*tensor.shape):
                direction = numpy.zeros(tensor.shape)
                direction[index] = 1.0
                numeric = _central_difference(fn, arrays, weights, k, direction, eps)
                if not abs(expected[index] - numeric) <= atol + rtol * abs(numeric):
                    return _fail(
                        f"gradcheck failed for input {k} (shape {tensor.shape}) at index {index}: "
                        f"analytic {expected[index]:.10g}, numeric {numeric:.10g}", raise_exception)
        else:
            for d in range(n_directions):
                direction = rng.standard_normal(tensor.shape)
                direction /= numpy.linalg.norm(direction)
                numeric = _central_difference(fn, arrays, weights, k, direction, eps)
                projected = float((expected * direction).sum())
                if not abs(projected - numeric) <= atol + rtol * abs(numeric):
                    return _fail(
                        f"gradcheck failed for input {k} (shape {tensor.shape}) along random direction {d}: "
                        f"analytic {projected:.10g}, numeric {numeric:.10g}", raise_exception)
    return True


def gradgradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, **kwargs) -> bool:
    """Check second derivatives: ``gradcheck`` of the backward pass ``(x, v) -> d<v, fn(x)>/dx``.

    The backward pass is recorded with ``create_graph=True`` and treated as a function of both the
    inputs ``x`` and the output weights ``v``, so every term of the double backward is covered.
    """
    rng = numpy.random.default_rng(seed + 1)
    tensors = _prepare(inputs)
    n = len(tensors)
    is_float = [t.requires_grad for t in tensors]
    with enable_grad():
        output_shapes = [o.shape for o in _outputs(fn, tensors)]
    weights = [rng.standard_normal(shape) for shape in output_shapes]

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        outs = _outputs(fn, xs)
        wrt = [x for x, f in zip(xs, is_float) if f]
        grads = grad(list(outs), wrt, grad_outputs=list(vs), create_graph=True, allow_unused=True)
        used = tuple(g for g in grads if g is not None)
        if not used:
            raise GradcheckError("gradgradcheck: fn depends on none of its inputs")
        return used

    return gradcheck(first_derivative, list(tensors) + weights, eps=eps, atol=atol, rtol=rtol, seed=seed, **kwargs)
