"""Padding, resizing and pooling: values against NumPy loops, first and second derivatives, the layers' errors."""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.gradcheck import gradcheck, gradgradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _distinct(shape, seed=0):
    """Well-separated values in random order: no ties inside any pooling window."""
    return _rng(seed).permutation(np.prod(shape)).reshape(shape) * 0.1 - 1.0


# --------------------------------------------------------------------- pad
def test_reflect_pad_mirrors_without_repeating_the_edge():
    row = mg.tensor(np.array([[[1.0, 2.0, 3.0, 4.0]]]))
    np.testing.assert_array_equal(F.pad(row, (2, 3), mode="reflect").numpy()[0, 0], [3, 2, 1, 2, 3, 4, 3, 2, 1])
    x = _rng().standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (1, 3, 2, 0), mode="reflect").numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (2, 0), (1, 3)), mode="reflect"))
    np.testing.assert_array_equal(F.pad(mg.tensor(x), (1, 1), value=-2.0).numpy(),
                                  np.pad(x, ((0, 0), (0, 0), (0, 0), (1, 1)), constant_values=-2.0))


def test_reflect_pad_gradient_folds_the_borders_back():
    """``a b c d`` padded by 2 is ``c b a b c d c b``: b and c appear three times each, a and d once."""
    x = mg.tensor(np.array([[1.0, 2.0, 3.0, 4.0]]), requires_grad=True)
    F.pad(x, (2, 2), mode="reflect").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 3, 3, 1]])


@pytest.mark.parametrize("mode, pad", [("reflect", (2, 1, 1, 3)), ("reflect", (0, 2)), ("constant", (1, 0, 2, 1))])
def test_pad_first_and_second_derivatives(mode, pad):
    x = _rng(1).standard_normal((1, 2, 4, 4))
    assert gradcheck(lambda t: F.pad(t, pad, mode=mode), [x])
    assert gradgradcheck(lambda t: F.pad(t, pad, mode=mode) ** 2, [x])


def test_pad_errors():
    x = mg.zeros(1, 1, 3, 3)
    with pytest.raises(ValueError, match=r"reflect padding must be smaller than the axis it pads: padding \(3, 3\) "
                                         r"of axis 3, which has 3 entries"):
        F.pad(x, (3, 3), mode="reflect")
    with pytest.raises(ValueError, match="mode must be one of .*got 'circular'"):
        F.pad(x, (1, 1), mode="circular")
    with pytest.raises(ValueError, match="expected an even number of ints"):
        F.pad(x, (1, 1, 1))


def test_conv2d_reflect_padding_is_reflect_pad_then_conv():
    mg.manual_seed(0)
    layer = nn.Conv2d(2, 3, 3, stride=2, padding=(1, 2), padding_mode="reflect").double()
    x = mg.tensor(_rng().standard_normal((2, 2, 6, 5)))
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (1, 1), (2, 2)), mode="reflect")
    expected = F.conv2d(mg.tensor(padded), layer.weight, layer.bias, stride=2)
    np.testing.assert_allclose(layer(x).numpy(), expected.numpy(), rtol=1e-12)
    assert repr(layer) == "Conv2d(2, 3, kernel_size=(3, 3), stride=(2, 2), padding=(1, 2), padding_mode=reflect)"
    w = layer.weight.numpy()
    # a penalty through a reflect-padded conv: second derivatives w.r.t. input and weight
    assert gradgradcheck(lambda t, w: F.conv2d(F.pad(t, (1, 1, 1, 1), mode="reflect"), w).tanh(),
                         [_rng(2).standard_normal((1, 2, 4, 4)), w])
    with pytest.raises(ValueError, match="padding_mode must be 'zeros' or 'reflect', got 'circular'"):
        nn.Conv2d(1, 1, 3, padding_mode="circular")


# --------------------------------------------------------------------- interpolate
def _bilinear_reference(x, out_h, out_w, align_corners):
    """Each output pixel from its four neighbours, with the source coordinate PyTorch's documentation states."""
    def source(o, n_in, n_out):
        if align_corners:
            return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        return max((o + 0.5) * n_in / n_out - 0.5, 0.0)

    _, _, h, w = x.shape
    y = np.zeros(x.shape[:2] + (out_h, out_w))
    for i in range(out_h):
        for j in range(out_w):
            r, c = source(i, h, out_h), source(j, w, out_w)
            r0, c0 = min(int(r), h - 1), min(int(c), w - 1)
            r1, c1 = min(r0 + 1, h - 1), min(c0 + 1, w - 1)
            tr, tc = r - r0, c - c0
            y[:, :, i, j] = ((1 - tr) * ((1 - tc) * x[:, :, r0, c0] + tc * x[:, :, r0, c1])
                             + tr * ((1 - tc) * x[:, :, r1, c0] + tc * x[:, :, r1, c1]))
    return y


def test_nearest_upsampling_copies_pixels():
    x = _rng().standard_normal((2, 3, 4, 5))
    np.testing.assert_array_equal(F.interpolate(mg.tensor(x), scale_factor=2).numpy(),
                                  x.repeat(2, axis=2).repeat(2, axis=3))
    # size (6, 3) from (4, 5): output o reads input floor(o * in / out)
    rows, cols = np.floor(np.arange(6) * 4 / 6).astype(int), np.floor(np.arange(3) * 5 / 3).astype(int)
    np.testing.assert_array_equal(F.interpolate(mg.tensor(x), size=(6, 3)).numpy(), x[:, :, rows][:, :, :, cols])


@pytest.mark.parametrize("size, align_corners", [((7, 9), False), ((7, 9), True), ((3, 2), False), ((2, 1), True)])
def test_bilinear_matches_the_four_neighbour_formula(size, align_corners):
    x = _rng().standard_normal((2, 2, 4, 5))
    out = F.interpolate(mg.tensor(x), size=size, mode="bilinear", align_corners=align_corners)
    np.testing.assert_allclose(out.numpy(), _bilinear_reference(x, *size, align_corners), rtol=1e-12, atol=1e-12)


def test_bilinear_upsampling_keeps_constants_and_the_mean_of_the_gradient():
    out = F.interpolate(mg.full((1, 1, 3, 3), 2.5), scale_factor=2, mode="bilinear")
    np.testing.assert_allclose(out.numpy(), 2.5, rtol=1e-6)
    x = mg.tensor(_rng().standard_normal((1, 1, 3, 3)), requires_grad=True)
    F.interpolate(x, scale_factor=2, mode="bilinear").sum().backward()
    assert x.grad.numpy().sum() == pytest.approx(36.0)  # every output's weights sum to 1: 36 outputs


@pytest.mark.parametrize("options", [dict(scale_factor=2), dict(size=(3, 7)),
                                     dict(scale_factor=2, mode="bilinear"),
                                     dict(size=(5, 3), mode="bilinear", align_corners=True)])
def test_interpolate_first_and_second_derivatives(options):
    x = _rng(3).standard_normal((1, 2, 3, 4))
    assert gradcheck(lambda t: F.interpolate(t, **options), [x])
    assert gradgradcheck(lambda t: F.interpolate(t, **options).tanh(), [x])


def test_upsample_module_and_errors():
    layer = nn.Upsample(scale_factor=2, mode="bilinear", align_corners=True)
    x = mg.tensor(_rng().standard_normal((1, 2, 3, 3)).astype(np.float32))
    np.testing.assert_array_equal(layer(x).numpy(), F.interpolate(x, scale_factor=2, mode="bilinear",
                                                                  align_corners=True).numpy())
    assert repr(layer) == "Upsample(scale_factor=2, mode='bilinear', align_corners=True)"
    with pytest.raises(ValueError, match=re.escape("Upsample(scale_factor=2, mode='bilinear', align_corners=True): "
                                                   "expected input (N, C, H, W), got shape (2, 3)")):
        layer(mg.zeros(2, 3))
    with pytest.raises(ValueError, match="Upsample: mode must be one of .*got 'bicubic'"):
        nn.Upsample(scale_factor=2, mode="bicubic")
    with pytest.raises(ValueError, match="give exactly one of size and scale_factor"):
        nn.Upsample(size=4, scale_factor=2)
    with pytest.raises(ValueError, match="align_corners can only be set with mode='bilinear'"):
        F.interpolate(x, scale_factor=2, align_corners=False)


# --------------------------------------------------------------------- pooling
def _pool_reference(x, kernel, stride, padding, reduce, fill):
    """Every window cut out of the padded image and reduced (mean or max)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    padded = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=fill)
    oh, ow = (padded.shape[2] - kh) // sh + 1, (padded.shape[3] - kw) // sw + 1
    y = np.zeros(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            y[:, :, i, j] = reduce(padded[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw], axis=(2, 3))
    return y


POOLS = [((2, 2), (2, 2), (0, 0)), ((3, 3), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 1))]


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
def test_pools_match_the_window_definition(kernel, stride, padding):
    x = _distinct((2, 3, 7, 6))
    np.testing.assert_allclose(F.avg_pool2d(mg.tensor(x), kernel, stride, padding).numpy(),
                               _pool_reference(x, kernel, stride, padding, np.mean, 0.0), rtol=1e-12)
    np.testing.assert_array_equal(F.max_pool2d(mg.tensor(x), kernel, stride, padding).numpy(),
                                  _pool_reference(x, kernel, stride, padding, np.max, -np.inf))
    counted = _pool_reference(np.ones_like(x), kernel, stride, padding, np.sum, 0.0)
    np.testing.assert_allclose(F.avg_pool2d(mg.tensor(x), kernel, stride, padding, count_include_pad=False).numpy(),
                               _pool_reference(x, kernel, stride, padding, np.sum, 0.0) / counted, rtol=1e-12)


@pytest.mark.parametrize("kernel, stride, padding", POOLS)
def test_pool_first_and_second_derivatives(kernel, stride, padding):
    x = _distinct((1, 2, 5, 5), seed=4)
    for pool in (F.avg_pool2d, F.max_pool2d):
        assert gradcheck(lambda t: pool(t, kernel, stride, padding), [x])
        assert gradgradcheck(lambda t: pool(t, kernel, stride, padding) ** 2, [x])
    assert gradcheck(lambda t: F.avg_pool2d(t, kernel, stride, padding, count_include_pad=False), [x])


def test_max_pool_gradient_goes_to_the_argmax_and_ties_to_the_first():
    x = mg.tensor(np.array([[[[1.0, 5.0, 2.0],
                              [5.0, 0.0, 3.0],
                              [4.0, 4.0, 4.0]]]]), requires_grad=True)
    out = F.max_pool2d(x, 2, stride=1)  # windows overlap; 5 ties with 5 in the first, 4 with 4 in the last
    np.testing.assert_array_equal(out.numpy(), [[[[5, 5], [5, 4]]]])
    out.backward(mg.tensor(np.array([[[[1.0, 10.0], [100.0, 1000.0]]]])))
    # window (0,0) ties 5 at (0,1) and (1,0): the first in row-major order, (0,1), gets it;
    # window (0,1) picks (0,1) too; window (1,0) picks (1,0); window (1,1) ties 4s: (2,1) comes first.
    np.testing.assert_array_equal(x.grad.numpy()[0, 0], [[0, 11, 0], [100, 0, 0], [0, 1000, 0]])


def test_pool_layers_and_errors():
    x = mg.tensor(_distinct((2, 3, 6, 6)).astype(np.float32))
    np.testing.assert_array_equal(nn.AvgPool2d(2)(x).numpy(), F.avg_pool2d(x, 2).numpy())
    np.testing.assert_array_equal(nn.MaxPool2d(3, 2, 1)(x).numpy(), F.max_pool2d(x, 3, 2, 1).numpy())
    assert nn.AvgPool2d(2)(x).shape == (2, 3, 3, 3) and nn.MaxPool2d(3, 2, 1)(x).shape == (2, 3, 3, 3)
    with pytest.raises(ValueError, match=re.escape("MaxPool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0)): "
                                                   "expected input (N, C, H, W), got shape (3, 6, 6)")):
        nn.MaxPool2d(2)(mg.zeros(3, 6, 6))
    with pytest.raises(TypeError, match=r"AvgPool2d\(.*\): expected a Tensor, got ndarray"):
        nn.AvgPool2d(2)(np.zeros((1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"max_pool2d: padding must be at most half the kernel size, got padding "
                                         r"\(2, 2\) for kernel_size \(3, 3\)"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: kernel_size \(7, 7\) is larger than the padded input"):
        F.avg_pool2d(x, 7)
