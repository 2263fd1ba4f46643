"""minigan's image-to-image and style layers against PyTorch: the same arrays and weights, the same numbers.

1. ``F.interpolate`` (nearest, bilinear with both ``align_corners``), ``F.pad`` and ``Conv2d(padding_mode="reflect")``.
2. ``F.avg_pool2d`` and ``F.max_pool2d`` (ties included: both give the gradient to the first maximum).
3. ``F.instance_norm`` / ``nn.InstanceNorm2d`` (running statistics too), ``F.group_norm`` / ``nn.GroupNorm``,
   ``nn.LayerNorm`` over (C, H, W).
4. StyleGAN2's modulated convolution against a torch reference written here as the paper states it --
   a grouped convolution with per-sample weights -- AdaIN, and the minibatch standard deviation
   against StyleGAN2's torch formula.
5. ``F.l1_loss`` with every reduction.

Outputs and the gradients of every input are compared (``check_against_torch``) in float64, and
float32 where the case says so. Needs PyTorch; without it the module is skipped.
"""
import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402
from parity_helpers import (  # noqa: E402
    assert_same_parameter_gradients,
    assert_same_state,
    check_against_torch,
    copy_weights,
)

from minigan import functional as F  # noqa: E402
from minigan import nn  # noqa: E402
from minigan.gan import MinibatchStdDev  # noqa: E402

torch.set_num_threads(1)


@pytest.fixture
def rng():
    return np.random.default_rng(15)


def _distinct(rng, shape, dtype=np.float64):
    """A random permutation of well-separated values: no ties, so max pooling's choice is the same in both."""
    return (rng.permutation(np.prod(shape)).reshape(shape) * 0.1 - 1.0).astype(dtype)


# =============================================================================== 1. resizing and padding
INTERPOLATE_CASES = {
    "nearest-x2": ((2, 3, 4, 5), dict(scale_factor=2, mode="nearest")),
    "nearest-size": ((1, 2, 4, 6), dict(size=(7, 9), mode="nearest")),
    "nearest-x1.5": ((1, 2, 5, 4), dict(scale_factor=1.5, mode="nearest")),
    "nearest-down": ((1, 2, 7, 7), dict(size=3, mode="nearest")),
    "bilinear-x2": ((2, 3, 4, 5), dict(scale_factor=2, mode="bilinear")),
    "bilinear-size": ((1, 2, 4, 6), dict(size=(7, 9), mode="bilinear")),
    "bilinear-x1.7": ((1, 2, 5, 4), dict(scale_factor=(1.7, 2.5), mode="bilinear")),
    "bilinear-down": ((1, 2, 8, 7), dict(scale_factor=0.5, mode="bilinear")),
    "bilinear-corners": ((2, 2, 4, 5), dict(size=(7, 9), mode="bilinear", align_corners=True)),
    "bilinear-corners-down": ((1, 2, 9, 7), dict(size=(4, 1), mode="bilinear", align_corners=True)),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", INTERPOLATE_CASES)
def test_interpolate(case, dtype, rng):
    shape, options = INTERPOLATE_CASES[case]
    check_against_torch(lambda x: F.interpolate(x, **options), lambda x: TF.interpolate(x, **options),
                        [rng.standard_normal(shape).astype(dtype)], rng)


def test_upsample_module(rng):
    x = rng.standard_normal((2, 3, 4, 4))
    check_against_torch(nn.Upsample(scale_factor=2, mode="bilinear"),
                        torch.nn.Upsample(scale_factor=2, mode="bilinear"), [x], rng)


@pytest.mark.parametrize("mode, pad, shape", [("reflect", (2, 1, 3, 0), (2, 3, 4, 5)), ("reflect", (4, 4), (2, 3, 5)),
                                              ("constant", (1, 2, 0, 3), (2, 3, 4, 5))])
def test_pad(mode, pad, shape, rng):
    x = rng.standard_normal(shape)
    options = dict(mode=mode, value=0.5) if mode == "constant" else dict(mode=mode)
    check_against_torch(lambda t: F.pad(t, pad, **options), lambda t: TF.pad(t, pad, **options), [x], rng)


@pytest.mark.parametrize("stride, padding", [(1, 1), (2, (2, 1))])
def test_conv2d_reflect_padding(stride, padding, rng):
    mine = nn.Conv2d(3, 4, 3, stride=stride, padding=padding, padding_mode="reflect").double()
    theirs = torch.nn.Conv2d(3, 4, 3, stride=stride, padding=padding, padding_mode="reflect").double()
    copy_weights(mine, theirs)
    check_against_torch(mine, theirs, [rng.standard_normal((2, 3, 6, 5))], rng)
    assert_same_parameter_gradients(mine, theirs)


# =============================================================================== 2. pooling
POOL_CASES = {
    "2x2": (2, None, 0),
    "3x3-stride-1-padded": (3, 1, 1),
    "3x2-stride-2-leftover": ((3, 2), 2, (1, 0)),
}


@pytest.mark.parametrize("count_include_pad", [True, False])
@pytest.mark.parametrize("case", POOL_CASES)
def test_avg_pool2d(case, count_include_pad, rng):
    kernel, stride, padding = POOL_CASES[case]
    options = dict(kernel_size=kernel, stride=stride, padding=padding, count_include_pad=count_include_pad)
    check_against_torch(lambda x: F.avg_pool2d(x, **options), lambda x: TF.avg_pool2d(x, **options),
                        [rng.standard_normal((2, 3, 7, 6))], rng)


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("case", POOL_CASES)
def test_max_pool2d(case, dtype, rng):
    kernel, stride, padding = POOL_CASES[case]
    options = dict(kernel_size=kernel, stride=stride, padding=padding)
    check_against_torch(lambda x: F.max_pool2d(x, **options), lambda x: TF.max_pool2d(x, **options),
                        [_distinct(rng, (2, 3, 7, 6), dtype)], rng)


def test_max_pool2d_ties_go_to_the_first_maximum(rng):
    """Values from {0, 1, 2}: most windows hold ties; both libraries pick the first maximum of each window."""
    x = rng.integers(0, 3, (2, 2, 6, 6)).astype(np.float64)
    check_against_torch(lambda t: F.max_pool2d(t, 3, 1, 1), lambda t: TF.max_pool2d(t, 3, 1, 1), [x], rng)
    check_against_torch(nn.MaxPool2d(2), torch.nn.MaxPool2d(2), [x], rng)


# =============================================================================== 3. normalisation
def test_instance_norm_functional(rng):
    x = 1.0 + 3.0 * rng.standard_normal((3, 4, 5, 6))
    weight, bias = rng.uniform(0.5, 2.0, 4), rng.standard_normal(4)
    check_against_torch(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                        lambda x, w, b: TF.instance_norm(x, weight=w, bias=b), [x, weight, bias], rng)


@pytest.mark.parametrize("affine, track", [(False, False), (True, True)])
def test_instance_norm_layer(affine, track, rng):
    """Three training steps, the running statistics (if tracked), then eval mode."""
    mine = nn.InstanceNorm2d(3, momentum=0.2, affine=affine, track_running_stats=track).double()
    theirs = torch.nn.InstanceNorm2d(3, momentum=0.2, affine=affine, track_running_stats=track).double()
    if affine:
        mine.weight.data[...] = rng.uniform(0.5, 2.0, 3)
        mine.bias.data[...] = rng.standard_normal(3)
    copy_weights(mine, theirs)
    for _ in range(3):
        check_against_torch(mine, theirs, [0.5 + 2.0 * rng.standard_normal((4, 3, 5, 5))], rng)
        if affine:
            assert_same_parameter_gradients(mine, theirs)
    assert_same_state(mine, theirs)
    mine.eval()
    theirs.eval()
    check_against_torch(mine, theirs, [rng.standard_normal((2, 3, 5, 5))], rng)


@pytest.mark.parametrize("groups", [1, 2, 6])
def test_group_norm(groups, rng):
    x = 0.5 + 2.0 * rng.standard_normal((3, 6, 4, 5))
    weight, bias = rng.uniform(0.5, 2.0, 6), rng.standard_normal(6)
    check_against_torch(lambda x, w, b: F.group_norm(x, groups, w, b),
                        lambda x, w, b: TF.group_norm(x, groups, w, b), [x, weight, bias], rng)
    mine, theirs = nn.GroupNorm(groups, 6).double(), torch.nn.GroupNorm(groups, 6).double()
    check_against_torch(mine, theirs, [x], rng)
    assert_same_parameter_gradients(mine, theirs)


def test_layer_norm_over_channels_and_pixels(rng):
    mine, theirs = nn.LayerNorm((3, 4, 5)).double(), torch.nn.LayerNorm((3, 4, 5)).double()
    mine.weight.data[...] = rng.uniform(0.5, 2.0, (3, 4, 5))
    mine.bias.data[...] = rng.standard_normal((3, 4, 5))
    copy_weights(mine, theirs)
    check_against_torch(mine, theirs, [1.0 + 2.0 * rng.standard_normal((2, 3, 4, 5))], rng)
    assert_same_parameter_gradients(mine, theirs)


# =============================================================================== 4. StyleGAN and ProGAN pieces
def _torch_modulated_conv2d(x, weight, styles, demodulate, padding, eps=1e-8):
    """The paper's formula literally: per-sample weights w' = s w, demodulated, as one grouped convolution."""
    n, in_channels, h, w = x.shape
    out_channels = weight.shape[0]
    per_sample = weight.unsqueeze(0) * styles.reshape(n, 1, in_channels, 1, 1)  # (N, O, I, kh, kw)
    if demodulate:
        per_sample = per_sample / (per_sample.square().sum(dim=(2, 3, 4), keepdim=True) + eps).sqrt()
    y = TF.conv2d(x.reshape(1, n * in_channels, h, w), per_sample.reshape(n * out_channels, in_channels,
                                                                          *weight.shape[2:]),
                  padding=padding, groups=n)
    return y.reshape(n, out_channels, *y.shape[2:])


@pytest.mark.parametrize("dtype", [np.float64, np.float32], ids=["float64", "float32"])
@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv2d(demodulate, dtype, rng):
    arrays = [rng.standard_normal(shape).astype(dtype) for shape in ((3, 4, 6, 5), (5, 4, 3, 3))]
    arrays.append(rng.uniform(0.3, 2.0, (3, 4)).astype(dtype))
    check_against_torch(lambda x, w, s: F.modulated_conv2d(x, w, s, demodulate, padding=1),
                        lambda x, w, s: _torch_modulated_conv2d(x, w, s, demodulate, padding=1), arrays, rng,
                        **(dict(rtol=1e-4, atol=1e-5) if dtype == np.float32 else {}))


def test_adaptive_instance_norm(rng):
    arrays = [1.0 + 2.0 * rng.standard_normal((3, 4, 5, 5)), rng.standard_normal((3, 4)), rng.standard_normal((3, 4))]
    check_against_torch(F.adaptive_instance_norm,
                        lambda x, s, b: TF.instance_norm(x) * s[:, :, None, None] + b[:, :, None, None], arrays, rng)


def _torch_minibatch_std(x, group_size):
    """StyleGAN2's ``MinibatchStdLayer`` (training/networks.py) with num_channels=1."""
    n, c, h, w = x.shape
    g = min(group_size, n)
    y = x.reshape(g, -1, 1, c, h, w)
    y = y - y.mean(dim=0)
    y = y.square().mean(dim=0)
    y = (y + 1e-8).sqrt()
    y = y.mean(dim=[2, 3, 4])
    y = y.reshape(-1, 1, 1, 1)
    y = y.repeat(g, 1, h, w)
    return torch.cat([x, y], dim=1)


@pytest.mark.parametrize("n, group_size", [(8, 4), (6, 2), (3, 4)])
def test_minibatch_stddev(n, group_size, rng):
    check_against_torch(MinibatchStdDev(group_size), lambda x: _torch_minibatch_std(x, group_size),
                        [rng.standard_normal((n, 3, 4, 4))], rng)


# =============================================================================== 5. L1
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_l1_loss(reduction, rng):
    check_against_torch(lambda a, b: F.l1_loss(a, b, reduction=reduction),
                        lambda a, b: TF.l1_loss(a, b, reduction=reduction),
                        [rng.standard_normal((4, 1, 3, 3)), rng.standard_normal((4, 1, 3, 3))], rng)
