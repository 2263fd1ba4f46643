"""batch_norm: values, running statistics, eval mode, fused first derivatives and composite second derivatives."""
import numpy as np
import pytest

import minigan as mg
from minigan.functional import batch_norm
from minigan.gradcheck import gradcheck, gradgradcheck

SHAPES = [(5, 3), (4, 2, 3, 3), (1, 4, 2, 5)]


def _axes(shape):
    return (0,) + tuple(range(2, len(shape)))


def _per_channel(v, ndim):
    return v.reshape((1, -1) + (1,) * (ndim - 2))


@pytest.mark.parametrize("shape", SHAPES)
def test_training_forward_normalises_each_channel(shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape) * 3 + 2
    w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
    y = batch_norm(mg.tensor(x), weight=mg.tensor(w), bias=mg.tensor(b), eps=1e-5).numpy()
    axes = _axes(shape)
    xhat = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, xhat * _per_channel(w, x.ndim) + _per_channel(b, x.ndim), rtol=1e-10, atol=1e-10)


def test_running_statistics_follow_the_formula_and_eval_uses_them():
    rng = np.random.default_rng(1)
    shape, momentum = (6, 3, 2, 2), 0.2
    running_mean, running_var = mg.zeros(3, dtype=np.float64), mg.ones(3, dtype=np.float64)
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.standard_normal(shape) * 2 + 1
        batch_norm(mg.tensor(x), running_mean, running_var, training=True, momentum=momentum)
        expected_mean = (1 - momentum) * expected_mean + momentum * x.mean(axis=(0, 2, 3))
        expected_var = (1 - momentum) * expected_var + momentum * x.var(axis=(0, 2, 3), ddof=1)
    np.testing.assert_allclose(running_mean.numpy(), expected_mean, rtol=1e-12)
    np.testing.assert_allclose(running_var.numpy(), expected_var, rtol=1e-12)

    x = rng.standard_normal(shape)
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    y = batch_norm(mg.tensor(x), running_mean, running_var, mg.tensor(w), mg.tensor(b), training=False, eps=1e-5)
    expected = (x - _per_channel(expected_mean, 4)) / np.sqrt(_per_channel(expected_var, 4) + 1e-5)
    np.testing.assert_allclose(y.numpy(), expected * _per_channel(w, 4) + _per_channel(b, 4), rtol=1e-10)
    np.testing.assert_allclose(running_mean.numpy(), expected_mean)  # eval mode changes nothing


@pytest.mark.parametrize("shape", SHAPES)
def test_training_gradients_with_the_fused_kernel(shape):
    rng = np.random.default_rng(2)
    inputs = [rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.standard_normal(shape[1])]
    assert gradcheck(lambda x, w, b: batch_norm(x, weight=w, bias=b), inputs)


@pytest.mark.parametrize("shape", SHAPES[:2])
def test_training_second_derivatives_with_the_composite_fallback(shape):
    rng = np.random.default_rng(3)
    inputs = [rng.standard_normal(shape), rng.standard_normal(shape[1]), rng.standard_normal(shape[1])]
    assert gradgradcheck(lambda x, w, b: batch_norm(x, weight=w, bias=b), inputs, max_elementwise=40)


def test_fused_and_composite_backward_agree():
    rng = np.random.default_rng(4)
    x = mg.tensor(rng.standard_normal((4, 3, 2, 2)), requires_grad=True)
    w = mg.tensor(rng.standard_normal(3), requires_grad=True)
    b = mg.tensor(rng.standard_normal(3), requires_grad=True)
    g = mg.tensor(rng.standard_normal((4, 3, 2, 2)))
    fused = mg.grad(batch_norm(x, weight=w, bias=b), [x, w, b], g)
    composite = mg.grad(batch_norm(x, weight=w, bias=b), [x, w, b], g, create_graph=True)
    for f, c in zip(fused, composite):
        np.testing.assert_allclose(f.numpy(), c.numpy(), rtol=1e-10, atol=1e-12)


def test_eval_mode_gradients():
    rng = np.random.default_rng(5)
    mean, var = mg.tensor(rng.standard_normal(3)), mg.tensor(rng.uniform(0.5, 2, 3))
    inputs = [rng.standard_normal((4, 3)), rng.standard_normal(3), rng.standard_normal(3)]
    f = lambda x, w, b: batch_norm(x, mean, var, w, b, training=False)  # noqa: E731
    assert gradcheck(f, inputs) and gradgradcheck(f, inputs)


def test_float32_stays_float32_and_large_offsets_are_stable():
    x = mg.tensor(np.random.default_rng(6).standard_normal((64, 8)) + 1e4, dtype=np.float32)
    y = batch_norm(x)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y.numpy().std(axis=0), np.ones(8), rtol=1e-2)


@pytest.mark.parametrize("call, message", [
    (lambda: batch_norm(mg.zeros(6)), r"batch_norm: expected input of shape \(N, C\), \(N, C, L\) or \(N, C, H, W\), got \(6,\)"),
    (lambda: batch_norm(mg.zeros(2, 3), mg.zeros(3), mg.ones(3), momentum=None), r"momentum=None .* nn.BatchNorm1d/2d"),
    (lambda: batch_norm(mg.zeros(2, 3), weight=mg.ones(4)), r"batch_norm: input \(2, 3\) has 3 channels, but weight has shape \(4,\)"),
    (lambda: batch_norm(mg.zeros(1, 3)), r"more than one value per channel, got input shape \(1, 3\)"),
    (lambda: batch_norm(mg.zeros(2, 3), training=False), r"eval mode .* needs running_mean and running_var"),
])
def test_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
