"""The backward pass: walk the graph from the outputs back to the leaves, applying the chain rule.

For every Function node, the engine first collects dL/d(its output) -- summed over every place the
output was used -- and then calls ``node.backward`` once to turn it into dL/d(each input). Doing
nodes in *topological order* (every consumer before the node that produced its input) guarantees
that each node's output gradient is complete when its turn comes. The order is computed with an
explicit stack, not recursion, so a chain of 10,000 operations is no problem.

Two entry points share this walk:

* :func:`backward` (``loss.backward()``) adds gradients into the ``.grad`` of every leaf Tensor
  that requires one -- what an optimizer reads;
* :func:`grad` (``minigan.grad(outputs, inputs)``) returns the gradients for the given inputs only
  and touches no ``.grad``; with ``create_graph=True`` the result can be differentiated again.
"""
from __future__ import annotations

from .grad_mode import set_grad_enabled
from .tensor import Tensor


def _as_tuple(value):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,)


def _topological_order(roots):
    """All Functions reachable from ``roots``, every consumer listed before its producers."""
    postorder, visited = [], set()
    stack = [(fn, False) for fn in roots]
    while stack:
        fn, children_done = stack.pop()
        if children_done:
            postorder.append(fn)
            continue
        if id(fn) in visited:
            continue
        visited.add(id(fn))
        if fn._released:
            raise RuntimeError(
                f"trying to backward through the graph a second time (at {fn.name}): its saved "
                "values were freed by the first backward. Pass retain_graph=True to the first "
                "backward() if you need to go through the graph twice."
            )
        stack.append((fn, True))
        for tensor in fn.inputs:
            if tensor._creator is not None and id(tensor._creator) not in visited:
                stack.append((tensor._creator, False))
    return postorder[::-1]


def _default_grad_outputs(outputs, grad_outputs):
    """``grad_outputs`` as Tensors; ones for scalar outputs when none are given."""
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    grad_outputs = list(_as_tuple(grad_outputs))
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"got {len(grad_outputs)} grad_outputs for {len(outputs)} outputs")
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(
                f"output {i} (shape {out.shape}) does not require grad and has no graph: nothing in "
                "it came from a Tensor with requires_grad=True (or it was computed under no_grad())"
            )
        if g is None:
            if out.numel() != 1:
                raise RuntimeError(
                    f"backward of a non-scalar output (shape {out.shape}) needs an explicit gradient: "
                    "call out.backward(grad) with grad of the same shape, or reduce it first (e.g. .sum())"
                )
            g = Tensor._from_data(out.xp.ones_like(out.data))
        elif not isinstance(g, Tensor):
            g = Tensor(g, dtype=out.dtype, device=out.device)
        if g.shape != out.shape:
            raise ValueError(f"grad_output {i} has shape {g.shape} but the output has shape {out.shape}")
        grad_outputs[i] = g
    return grad_outputs


def _needed_nodes(order, targets):
    """The nodes of ``order`` through which some target tensor can be reached.

    ``minigan.grad(D(x).sum(), x)`` needs no gradient for D's weights: skipping every node and
    input that does not lead to ``x`` saves most of the work of a gradient penalty.
    """
    target_ids = {id(t) for t in targets}
    target_creators = {id(t._creator) for t in targets if t._creator is not None}
    needed = set()
    for fn in reversed(order):  # producers before consumers
        if id(fn) in target_creators or any(
            id(t) in target_ids or id(t._creator) in needed for t in fn.inputs
        ):
            needed.add(id(fn))
    return needed


def _own_array(grad, leaf_buffers):
    """``grad``, copied if its memory is read-only or already some other leaf's ``.grad``.

    Backward formulas pass arrays along without copying (``a + b`` hands the same gradient to
    both), so two leaves could end up sharing one array, and an in-place change to one ``.grad``
    (gradient clipping, say) would silently change the other. Copying only in those cases keeps
    the common case free.
    """
    array = grad.data
    owner = array.base if array.base is not None else array
    if not getattr(array.flags, "writeable", True) or id(owner) in leaf_buffers:
        array = array.copy()
        owner = array
    leaf_buffers.add(id(owner))
    return Tensor._from_data(array)


def _check_gradient_shape(fn, index, tensor, grad):
    """A clear error if ``fn.backward`` returned a gradient whose shape is not its input's.

    dL/dx has the shape of x, always. A backward that forgets to sum a broadcast gradient back
    (``sum_to``) returns the *output's* shape instead; caught here, the error names the Function,
    while left alone it would surface much later, deep inside an optimizer step.
    """
    if grad.shape != tensor.shape:
        raise RuntimeError(
            f"{fn.name}.backward returned a gradient of shape {grad.shape} for input {index}, which has shape "
            f"{tensor.shape}: each gradient must have its input's shape (sum a broadcast one back with sum_to)"
        )


def _matching_dtype(tensor, grad):
    """``grad`` in ``tensor``'s dtype: dL/dx has x's dtype, as in PyTorch.

    NumPy promotes float32 * float64 to float64, so the gradient flowing back to a float32 weight
    through a float64 constant arrives as float64. Left alone, ``.grad`` -- and then Adam's state
    -- would silently turn float64; the cast is differentiable, so second derivatives still flow.
    """
    return grad if grad.dtype == tensor.dtype else grad.astype(tensor.dtype)


def _run(outputs, grad_outputs, retain_graph, create_graph, targets=None):
    """The shared walk. Leaves' gradients go to ``.grad``, or, with ``targets``, into the returned dict."""
    node_grads = {}  # id(Function) -> gradient of its output, summed over all uses
    leaf_buffers = set()  # memory already handed to a leaf's .grad in this pass
    target_grads = {}  # id(target Tensor) -> its gradient (only with targets)
    target_ids = None if targets is None else {id(t) for t in targets}

    def deliver(tensor, grad):
        if tensor._creator is not None:
            key = id(tensor._creator)
            node_grads[key] = grad if key not in node_grads else node_grads[key] + grad
        elif target_ids is None:
            if not create_graph and tensor.grad is None:
                grad = _own_array(grad, leaf_buffers)
            tensor.grad = grad if tensor.grad is None else tensor.grad + grad
        if target_ids is not None and tensor._creator is None and id(tensor) in target_ids:
            key = id(tensor)
            target_grads[key] = grad if key not in target_grads else target_grads[key] + grad

    with set_grad_enabled(create_graph):
        order = _topological_order([o._creator for o in outputs if o._creator is not None])
        needed = None if targets is None else _needed_nodes(order, targets)
        for out, g in zip(outputs, grad_outputs):
            deliver(out, g)
        for fn in order:
            grad_output = node_grads.pop(id(fn), None)
            if targets is not None:
                for t in targets:  # a non-leaf target: its gradient is complete now
                    if t._creator is fn and grad_output is not None:
                        target_grads[id(t)] = grad_output
            if grad_output is None or (needed is not None and id(fn) not in needed):
                continue
            wanted = tuple(
                t.requires_grad and (needed is None or id(t) in target_ids or id(t._creator) in needed)
                for t in fn.inputs
            )
            fn.needs_input_grad = wanted
            fn.check_saved_versions()
            input_grads = _as_tuple(fn.backward(grad_output))
            if len(input_grads) != len(fn.inputs):
                raise RuntimeError(f"{fn.name}.backward returned {len(input_grads)} gradients for {len(fn.inputs)} inputs")
            for i, (tensor, g, want) in enumerate(zip(fn.inputs, input_grads, wanted)):
                if want and g is not None:
                    _check_gradient_shape(fn, i, tensor, g)
                    deliver(tensor, _matching_dtype(tensor, g))
            if not retain_graph:
                fn.release()
    return target_grads


def backward(outputs, grad_outputs=None, retain_graph=None, create_graph=False):
    """Accumulate d(outputs)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient.

    ``retain_graph`` (default: ``create_graph``) keeps the graph for another backward pass;
    ``create_graph=True`` records the backward pass itself, so the gradients can be differentiated.
    """
    outputs = _as_tuple(outputs)
    grad_outputs = _default_grad_outputs(outputs, grad_outputs)
    _run(outputs, grad_outputs, create_graph if retain_graph is None else retain_graph, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False, allow_unused=False):
    """Return d(outputs)/d(inputs) as a tuple of Tensors, without touching any ``.grad``.

    This is the tool for gradient penalties: ``g, = grad(D(x).sum(), x, create_graph=True)`` gives
    dD/dx as a Tensor that is itself part of the graph, so ``((g.norm() - 1) ** 2).backward()``
    reaches D's weights through the second derivative.

    An input the outputs do not depend on is an error, unless ``allow_unused=True`` (then ``None``).
    """
    outputs, inputs = _as_tuple(outputs), _as_tuple(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"input {i} (shape {t.shape}) does not require grad; call .requires_grad_() on it first")
    grad_outputs = _default_grad_outputs(outputs, grad_outputs)
    found = _run(outputs, grad_outputs, create_graph if retain_graph is None else retain_graph, create_graph, inputs)
    result = tuple(found.get(id(t)) for t in inputs)
    for i, g in enumerate(result):
        if g is None and not allow_unused:
            raise RuntimeError(
                f"input {i} (shape {inputs[i].shape}) was not used to compute the outputs; "
                "pass allow_unused=True to get None for it"
            )
    return result
