"""nn.utils.clip_grad_norm_ / clip_grad_value_ against their formulas: the total norm, in-place scaling, errors."""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn.utils import clip_grad_norm_, clip_grad_value_

GRADIENTS = [np.array([[3.0, -4.0], [1.0, 0.5]]), np.array([-2.0, 6.0, 0.25])]


def _parameters(scale=1.0, dtype=np.float64):
    """Parameters whose .grad are GRADIENTS * scale, plus one without a gradient (it must be skipped)."""
    parameters = [nn.Parameter(mg.zeros(*g.shape, dtype=dtype)) for g in GRADIENTS] + [nn.Parameter(mg.zeros(2))]
    for p, g in zip(parameters, GRADIENTS):
        p.grad = mg.tensor(g * scale, dtype=dtype)
    return parameters


def _total_norm(norm_type, scale=1.0):
    return np.linalg.norm(np.concatenate([g.ravel() for g in GRADIENTS]) * scale, norm_type)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, float("inf"), "inf"])
def test_clip_grad_norm_rescales_to_max_norm_and_returns_the_norm_before(norm_type):
    parameters = _parameters()
    arrays, versions = [p.grad.data for p in parameters[:2]], [p.grad._version for p in parameters[:2]]
    total = _total_norm(float(norm_type))
    returned = clip_grad_norm_(parameters, max_norm=2.0, norm_type=norm_type)
    assert isinstance(returned, mg.Tensor) and returned.shape == ()
    assert returned.item() == pytest.approx(total, rel=1e-14)
    for p, g in zip(parameters, GRADIENTS):
        np.testing.assert_allclose(p.grad.numpy(), g * 2.0 / (total + 1e-6), rtol=1e-14)
    assert all(p.grad.data is a for p, a in zip(parameters, arrays))  # the same arrays, changed in place
    assert [p.grad._version for p in parameters[:2]] == [v + 1 for v in versions]
    assert parameters[2].grad is None
    new_total = np.linalg.norm(np.concatenate([p.grad.numpy().ravel() for p in parameters[:2]]), float(norm_type))
    assert new_total == pytest.approx(2.0, rel=1e-6)


def test_gradients_within_max_norm_are_left_as_they_are():
    parameters = _parameters(scale=0.01, dtype=np.float32)
    returned = clip_grad_norm_(parameters, max_norm=1.0)
    assert returned.item() == pytest.approx(_total_norm(2, 0.01), rel=1e-6) and returned.dtype == np.float32
    for p, g in zip(parameters, GRADIENTS):
        np.testing.assert_array_equal(p.grad.numpy(), (g * 0.01).astype(np.float32))
        assert p.grad.dtype == np.float32


def test_a_single_tensor_and_no_gradients():
    p = nn.Parameter(mg.tensor([3.0, 4.0], dtype=np.float64))
    p.grad = mg.tensor([3.0, 4.0], dtype=np.float64)
    assert clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    np.testing.assert_allclose(p.grad.numpy(), np.array([3.0, 4.0]) / (5.0 + 1e-6), rtol=1e-14)
    assert clip_grad_norm_([nn.Parameter(mg.zeros(2))], 1.0).item() == 0.0


def test_a_non_finite_norm_is_an_error_only_when_asked():
    parameters = _parameters()
    parameters[1].grad.data[0] = np.nan
    with pytest.raises(RuntimeError, match=re.escape("the total norm of order 2.0 of the gradients is nan")):
        clip_grad_norm_(parameters, 1.0, error_if_nonfinite=True)
    assert np.isnan(clip_grad_norm_(parameters, 1.0).item())  # PyTorch's default: scaled by NaN
    assert np.isnan(parameters[0].grad.numpy()).all()


def test_clip_grad_value_clamps_every_entry_in_place():
    parameters = _parameters()
    arrays, versions = [p.grad.data for p in parameters[:2]], [p.grad._version for p in parameters[:2]]
    assert clip_grad_value_(parameters, 1.5) is None
    for p, g, a in zip(parameters, GRADIENTS, arrays):
        np.testing.assert_array_equal(p.grad.numpy(), np.clip(g, -1.5, 1.5))
        assert p.grad.data is a
    assert [p.grad._version for p in parameters[:2]] == [v + 1 for v in versions]
    with pytest.raises(ValueError, match=re.escape("clip_grad_value_: clip_value must be non-negative, got -1")):
        clip_grad_value_(parameters, -1)
