"""Instance norm, group norm and layer norm over (C, H, W): values against NumPy, running statistics,
first and second derivatives, and the layers' errors."""
import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.gradcheck import gradcheck, gradgradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _normalized(x, axes, eps=1e-5):
    return (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)


def _batch(shape=(3, 4, 5, 5), seed=0):
    return 1.0 + 3.0 * _rng(seed).standard_normal(shape)


def test_instance_norm_normalizes_each_map_of_each_sample():
    x, w, b = _batch(), _rng(1).uniform(0.5, 2, 4), _rng(2).standard_normal(4)
    out = F.instance_norm(mg.tensor(x), weight=mg.tensor(w), bias=mg.tensor(b)).numpy()
    np.testing.assert_allclose(out, _normalized(x, (2, 3)) * w[:, None, None] + b[:, None, None], rtol=1e-10)
    plain = nn.InstanceNorm2d(4).double()(mg.tensor(x)).numpy()
    np.testing.assert_allclose(plain.mean(axis=(2, 3)), 0, atol=1e-12)
    np.testing.assert_allclose(plain.var(axis=(2, 3)), 1, rtol=1e-4)  # eps takes a little


@pytest.mark.parametrize("groups", [1, 2, 4])
def test_group_norm_matches_numpy(groups):
    x, w, b = _batch(), _rng(1).uniform(0.5, 2, 4), _rng(2).standard_normal(4)
    grouped = _normalized(x.reshape(3, groups, -1), (2,)).reshape(x.shape)
    out = F.group_norm(mg.tensor(x), groups, mg.tensor(w), mg.tensor(b)).numpy()
    np.testing.assert_allclose(out, grouped * w[:, None, None] + b[:, None, None], rtol=1e-10)


def test_group_norm_between_layer_norm_and_instance_norm():
    x = mg.tensor(_batch())
    np.testing.assert_allclose(F.group_norm(x, 1).numpy(), F.layer_norm(x, (4, 5, 5)).numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(), rtol=1e-12)
    vectors = mg.tensor(_batch((6, 4)))  # GroupNorm takes (N, C) too
    np.testing.assert_allclose(nn.GroupNorm(2, 4).double()(vectors).numpy(),
                               _normalized(vectors.numpy().reshape(6, 2, 2), (2,)).reshape(6, 4), rtol=1e-10)


def test_layer_norm_over_channels_and_pixels():
    layer = nn.LayerNorm((4, 5, 5)).double()
    with mg.no_grad():
        layer.weight.copy_(_rng(1).uniform(0.5, 2, (4, 5, 5)))
        layer.bias.copy_(_rng(2).standard_normal((4, 5, 5)))
    x = _batch()
    expected = _normalized(x, (1, 2, 3)) * layer.weight.numpy() + layer.bias.numpy()
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), expected, rtol=1e-10)
    assert gradgradcheck(lambda t, w, b: F.layer_norm(t, (2, 3, 3), w, b),
                         [_batch((2, 2, 3, 3)), _rng(3).uniform(0.5, 2, (2, 3, 3)), _rng(4).standard_normal((2, 3, 3))])


def test_instance_norm_running_statistics_and_eval():
    layer = nn.InstanceNorm2d(4, momentum=0.3, track_running_stats=True).double()
    batches = [_batch(seed=s) for s in range(2)]
    for x in batches:
        layer(mg.tensor(x))
    mean = [x.mean(axis=(2, 3)).mean(axis=0) for x in batches]  # the batch mean of the per-instance means
    var = [x.var(axis=(2, 3), ddof=1).mean(axis=0) for x in batches]  # ... of the unbiased variances
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.7 * 0.3 * mean[0] + 0.3 * mean[1], rtol=1e-10)
    np.testing.assert_allclose(layer.running_var.numpy(), 0.49 + 0.7 * 0.3 * var[0] + 0.3 * var[1], rtol=1e-10)
    assert layer.num_batches_tracked.item() == 0  # PyTorch's InstanceNorm does not count batches
    layer.eval()
    x = _batch(seed=5)
    rm, rv = layer.running_mean.numpy()[:, None, None], layer.running_var.numpy()[:, None, None]
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), (x - rm) / np.sqrt(rv + 1e-5), rtol=1e-10)
    untracked = nn.InstanceNorm2d(4).double().eval()  # no running statistics: the instance's own, even in eval
    assert list(untracked.state_dict()) == []
    np.testing.assert_allclose(untracked(mg.tensor(x)).numpy(), _normalized(x, (2, 3)), rtol=1e-10)


@pytest.mark.parametrize("name", ["instance", "group"])
def test_first_and_second_derivatives(name):
    def norm(t, w, b):
        return F.instance_norm(t, weight=w, bias=b) if name == "instance" else F.group_norm(t, 2, w, b)

    inputs = [_batch((2, 4, 3, 3), seed=6), _rng(1).uniform(0.5, 2, 4), _rng(2).standard_normal(4)]
    assert gradcheck(norm, inputs)
    assert gradgradcheck(norm, inputs)


def test_adaptive_instance_norm_is_instance_norm_with_per_sample_affine():
    x, s, b = _batch(), _rng(1).standard_normal((3, 4)), _rng(2).standard_normal((3, 4))
    out = F.adaptive_instance_norm(mg.tensor(x), mg.tensor(s), mg.tensor(b)).numpy()
    np.testing.assert_allclose(out, _normalized(x, (2, 3)) * s[:, :, None, None] + b[:, :, None, None], rtol=1e-10)
    assert gradgradcheck(F.adaptive_instance_norm, [_batch((2, 3, 3, 3), seed=7), _rng(3).standard_normal((2, 3)),
                                                    _rng(4).standard_normal((2, 3))])


def test_errors():
    with pytest.raises(TypeError, match=r"GroupNorm\(2, 4.*input dtype float64 differs from the layer's float32"):
        nn.GroupNorm(2, 4)(mg.zeros(1, 4, 2, 2, dtype=np.float64))
    with pytest.raises(ValueError, match=r"GroupNorm: num_channels \(6\) must be divisible by num_groups \(4\)"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="group_norm: the 6 channels of input shape .* cannot be split into "
                                         "num_groups=4 equal groups"):
        F.group_norm(mg.zeros(1, 6, 2, 2), 4)
    with pytest.raises(ValueError, match=r"instance_norm: expected more than one spatial element per channel, "
                                         r"got input shape \(2, 3, 1, 1\)"):
        F.instance_norm(mg.zeros(2, 3, 1, 1))
    with pytest.raises(ValueError, match=r"instance_norm: input \(2, 3, 4, 4\) has 3 channels, but weight has shape"):
        F.instance_norm(mg.zeros(2, 3, 4, 4), weight=mg.ones(4))
    with pytest.raises(ValueError, match=r"adaptive_instance_norm: input \(2, 3, 4, 4\) needs style_scale of shape "
                                         r"\(2, 3\) \(one row per sample\), got \(3,\)"):
        F.adaptive_instance_norm(mg.zeros(2, 3, 4, 4), mg.ones(3), mg.zeros(2, 3))
