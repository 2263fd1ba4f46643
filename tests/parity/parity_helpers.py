"""What the PyTorch parity tests share: arrays and weights from one library to the other, and comparisons.

Imported by ``test_torch_parity.py`` only after ``pytest.importorskip("torch")`` has succeeded, so it
may import torch at the top.

Both libraries compute the same formulas, but not always in the same order -- a matrix product
blocks its sums differently, a mean may be summed pairwise or in one pass -- so equal results
differ by rounding: a few units in the last place per operation, more after a long computation.
:data:`TOLERANCE` is what one layer or loss is allowed; longer computations pass their own.
"""
from __future__ import annotations

import numpy as np
import torch

import minigan as mg

TOLERANCE = {
    np.dtype(np.float64): dict(rtol=1e-10, atol=1e-12),
    np.dtype(np.float32): dict(rtol=1e-5, atol=1e-6),
}


def as_numpy(value) -> np.ndarray:
    """A minigan Tensor, a torch tensor or an array (or a number) as a NumPy array."""
    if isinstance(value, mg.Tensor):
        return value.numpy()
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


def assert_close(mine, theirs, what: str, rtol=None, atol=None) -> None:
    """Assert that minigan's ``mine`` equals torch's ``theirs`` up to the tolerance of theirs' dtype."""
    mine, theirs = as_numpy(mine), as_numpy(theirs)
    assert mine.shape == theirs.shape, f"{what}: minigan has shape {mine.shape}, torch {theirs.shape}"
    assert mine.dtype == theirs.dtype, f"{what}: minigan has dtype {mine.dtype}, torch {theirs.dtype}"
    if theirs.dtype.kind != "f":  # counters such as batch norm's num_batches_tracked: exactly equal
        np.testing.assert_array_equal(mine, theirs, err_msg=f"{what}: minigan vs torch")
        return
    tolerance = dict(TOLERANCE[theirs.dtype])
    tolerance.update({k: v for k, v in dict(rtol=rtol, atol=atol).items() if v is not None})
    np.testing.assert_allclose(mine, theirs, err_msg=f"{what}: minigan vs torch", **tolerance)


def assert_same_gradient(mine, theirs, what: str, none_is_zero=False, **tolerance) -> None:
    """Gradients of one leaf in each library: both None (the leaf was not used), or equal.

    ``none_is_zero=True`` accepts None from minigan where torch's gradient is exactly zero: minigan
    treats the mask of a piecewise-linear activation (leaky ReLU in these tests) as a constant of
    the graph, torch connects it with a zero derivative. So a weight that reaches a gradient penalty only
    through such a mask -- the bias just before a leaky ReLU -- gets no gradient in minigan and
    zeros in torch: the same number, told apart only by an optimizer (which skips a None).
    """
    if none_is_zero and mine is None and theirs is not None:
        assert not as_numpy(theirs).any(), f"{what}: minigan's gradient is None, torch's is not zero"
        return
    assert (mine is None) == (theirs is None), (
        f"{what}: minigan's gradient is {'None' if mine is None else 'set'}, torch's {'None' if theirs is None else 'set'}"
    )
    if mine is not None:
        assert_close(mine, theirs, what, **tolerance)


def check_against_torch(mine_fn, torch_fn, arrays, rng, **tolerance) -> None:
    """Run ``mine_fn`` on minigan leaves and ``torch_fn`` on torch leaves made from the same ``arrays``.

    Compares the outputs, then backpropagates the same random output gradient g through both --
    the backward of sum(output * g), so that every output entry gets its own weight -- and compares
    the gradients of every input. Module parameters used inside the functions receive gradients
    too; compare those with :func:`assert_same_parameter_gradients`.
    """
    mine_inputs = [mg.tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs_inputs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    mine_out, theirs_out = mine_fn(*mine_inputs), torch_fn(*theirs_inputs)
    assert_close(mine_out, theirs_out, "output", **tolerance)

    upstream = np.asarray(rng.standard_normal(mine_out.shape), dtype=mine_out.dtype)
    (mine_out * mg.tensor(upstream)).sum().backward()
    (theirs_out * torch.from_numpy(upstream)).sum().backward()
    for i, (mine, theirs) in enumerate(zip(mine_inputs, theirs_inputs)):
        assert_same_gradient(mine.grad, theirs.grad, f"gradient of input {i}", **tolerance)


def copy_weights(mine, theirs) -> None:
    """Load minigan module ``mine``'s parameters and buffers into torch module ``theirs`` (same names)."""
    theirs.load_state_dict({name: torch.from_numpy(array) for name, array in mine.state_dict().items()})


def assert_same_state(mine, theirs, **tolerance) -> None:
    """Every parameter and buffer (running statistics included) of the two modules, by name."""
    mine_state, theirs_state = mine.state_dict(), theirs.state_dict()
    assert sorted(mine_state) == sorted(theirs_state)
    for name, value in mine_state.items():
        assert_close(value, theirs_state[name], name, **tolerance)


def assert_same_parameter_gradients(mine, theirs, none_is_zero=False, **tolerance) -> None:
    """The ``.grad`` of every parameter of the two modules, by name (``none_is_zero``: see :func:`assert_same_gradient`)."""
    theirs_parameters = dict(theirs.named_parameters())
    mine_parameters = dict(mine.named_parameters())
    assert sorted(mine_parameters) == sorted(theirs_parameters)
    for name, parameter in mine_parameters.items():
        assert_same_gradient(parameter.grad, theirs_parameters[name].grad, f"gradient of {name}", none_is_zero,
                             **tolerance)
