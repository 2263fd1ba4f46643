"""StyleGAN's pieces: modulated convolution, AdaIN, noise inputs, equalized learning rate, the mapping network."""
import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.gan import MappingNetwork
from minigan.gradcheck import gradcheck, gradgradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _modulated_conv_reference(x, w, s, demodulate, padding, eps=1e-8):
    """The paper's formula literally: per-sample weights s[n, i] w[o, i], demodulated, and a direct convolution."""
    n, _, h, width = x.shape
    _, _, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    oh, ow = h + 2 * padding - kh + 1, width + 2 * padding - kw + 1
    y = np.zeros((n, w.shape[0], oh, ow))
    for sample in range(n):
        weights = w * s[sample][None, :, None, None]
        if demodulate:
            weights = weights / np.sqrt((weights ** 2).sum(axis=(1, 2, 3), keepdims=True) + eps)
        for i in range(oh):
            for j in range(ow):
                y[sample, :, i, j] = np.einsum("oikl,ikl->o", weights, xp[sample, :, i:i + kh, j:j + kw])
    return y


@pytest.mark.parametrize("demodulate", [True, False])
def test_modulated_conv2d_is_a_convolution_with_per_sample_weights(demodulate):
    x, w, s = _rng().standard_normal((3, 4, 5, 6)), _rng(1).standard_normal((2, 4, 3, 3)), _rng(2).uniform(0.2, 2, (3, 4))
    out = F.modulated_conv2d(mg.tensor(x), mg.tensor(w), mg.tensor(s), demodulate, padding=1).numpy()
    np.testing.assert_allclose(out, _modulated_conv_reference(x, w, s, demodulate, 1), rtol=1e-10, atol=1e-12)


def test_demodulation_gives_unit_variance_outputs_for_unit_variance_inputs():
    """sum_{i,k} w''^2 = 1 per output, so for i.i.d. N(0, 1) inputs each output is N(0, 1) (up to the borders)."""
    mg.manual_seed(0)
    x = mg.randn(64, 8, 12, 12, dtype=np.float64)
    w, s = mg.tensor(_rng(1).standard_normal((4, 8, 3, 3)) * 7.0), mg.tensor(_rng(2).uniform(0.1, 5.0, (64, 8)))
    y = F.modulated_conv2d(x, w, s).numpy()[:, :, 1:-1, 1:-1]
    assert y.std() == pytest.approx(1.0, abs=0.03)


def test_modulated_conv2d_first_and_second_derivatives():
    inputs = [_rng().standard_normal((2, 2, 4, 4)), _rng(1).standard_normal((3, 2, 3, 3)),
              _rng(2).uniform(0.5, 2, (2, 2))]
    for demodulate in (True, False):
        assert gradcheck(lambda x, w, s: F.modulated_conv2d(x, w, s, demodulate, padding=1), inputs)
        assert gradgradcheck(lambda x, w, s: F.modulated_conv2d(x, w, s, demodulate, padding=1), inputs)


def test_equalized_linear_scales_at_run_time():
    mg.manual_seed(0)
    layer = nn.EqualizedLinear(400, 300, lr_multiplier=0.01, bias_init=2.0).double()
    weight, bias = layer.weight.numpy(), layer.bias.numpy()
    assert weight.std() == pytest.approx(100.0, rel=0.01)  # stored as N(0, 1 / lr_multiplier^2)
    assert np.all(bias == 2.0)
    x = _rng().standard_normal((5, 400))
    expected = x @ (weight * 0.01 / math.sqrt(400)).T + 0.01 * bias
    np.testing.assert_allclose(layer(mg.tensor(x)).numpy(), expected, rtol=1e-10)
    layer(mg.tensor(x)).sum().backward()  # the stored weight's gradient carries the run-time scale
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.tile(x.sum(0), (300, 1)) * 0.01 / 20, rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad.numpy(), 5 * 0.01, rtol=1e-12)


def test_modulated_conv_layer_computes_its_functional_form():
    mg.manual_seed(0)
    layer = nn.ModulatedConv2d(3, 5, 3, style_dim=6).double()
    with mg.no_grad():
        layer.bias.copy_(_rng(3).standard_normal(5))
    x, w = mg.tensor(_rng().standard_normal((2, 3, 4, 4))), mg.tensor(_rng(1).standard_normal((2, 6)))
    styles = layer.affine(w)
    expected = _modulated_conv_reference(x.numpy(), layer.weight.numpy() / math.sqrt(27), styles.numpy(), True, 1)
    np.testing.assert_allclose(layer(x, w).numpy(), expected + layer.bias.numpy()[:, None, None], rtol=1e-9)
    np.testing.assert_allclose(nn.ModulatedConv2d(3, 5, 3, 6).affine.bias.numpy(), 1.0)  # styles start near 1


def test_adaptive_instance_norm_layer():
    mg.manual_seed(0)
    layer = nn.AdaptiveInstanceNorm2d(3, style_dim=4).double()
    x, w = mg.tensor(_rng().standard_normal((2, 3, 4, 4))), mg.tensor(_rng(1).standard_normal((2, 4)))
    expected = F.adaptive_instance_norm(x, layer.scale(w), layer.shift(w))
    np.testing.assert_array_equal(layer(x, w).numpy(), expected.numpy())
    with mg.no_grad():  # with zero style weights, the scale is its bias 1 and the shift 0: plain instance norm
        layer.scale.weight.zero_()
        layer.shift.weight.zero_()
    np.testing.assert_allclose(layer(x, w).numpy(), F.instance_norm(x).numpy(), rtol=1e-12)


def test_noise_injection():
    layer = nn.NoiseInjection(3).double()
    x = mg.tensor(_rng().standard_normal((2, 3, 4, 4)))
    np.testing.assert_array_equal(layer(x).numpy(), x.numpy())  # strength 0 at the start
    with mg.no_grad():
        layer.weight.copy_(np.array([0.5, -1.0, 2.0]))
    noise = _rng(1).standard_normal((2, 1, 4, 4))
    out = layer(x, mg.tensor(noise))
    np.testing.assert_allclose(out.numpy(), x.numpy() + layer.weight.numpy()[:, None, None] * noise, rtol=1e-12)
    out.sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), np.full(3, noise.sum()), rtol=1e-10)
    mg.manual_seed(4)
    drawn = layer(x).numpy()
    mg.manual_seed(4)
    np.testing.assert_array_equal(layer(x).numpy(), drawn)  # reproducible with minigan's generator
    per_pixel = (drawn - x.numpy()) / layer.weight.numpy()[:, None, None]
    np.testing.assert_allclose(per_pixel[:, 0], per_pixel[:, 2], rtol=1e-10)  # one noise image for all channels


def test_mapping_network():
    mg.manual_seed(0)
    mapping = MappingNetwork(6, 5, num_layers=3, hidden_dim=7, lr_multiplier=0.1, w_avg_beta=0.9).double()
    z = _rng().standard_normal((4, 6))
    h = z / np.sqrt((z ** 2).mean(axis=1, keepdims=True) + 1e-8)
    for layer in mapping.layers:
        a = h @ (layer.weight.numpy() * 0.1 / math.sqrt(layer.in_features)).T + 0.1 * layer.bias.numpy()
        h = np.where(a > 0, a, 0.2 * a) * math.sqrt(2)
    w = mapping(mg.tensor(z))
    np.testing.assert_allclose(w.numpy(), h, rtol=1e-10)
    np.testing.assert_allclose(mapping.w_avg.numpy(), 0.1 * h.mean(axis=0), rtol=1e-10)  # one step from 0
    mapping.eval()
    np.testing.assert_allclose(mapping(mg.tensor(z), truncation_psi=0.0).numpy(),
                               np.tile(0.1 * h.mean(axis=0), (4, 1)), rtol=1e-10)  # all at the average w
    psi = mapping(mg.tensor(z), truncation_psi=0.5).numpy()
    np.testing.assert_allclose(psi, 0.1 * h.mean(axis=0) + 0.5 * (h - 0.1 * h.mean(axis=0)), rtol=1e-10)
    np.testing.assert_allclose(mapping.w_avg.numpy(), 0.1 * h.mean(axis=0), rtol=1e-10)  # eval: no update
    assert list(mapping.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias",
                                          "layers.2.weight", "layers.2.bias", "w_avg"]


def test_style_layer_errors():
    layer = nn.ModulatedConv2d(3, 5, 3, style_dim=6)
    with pytest.raises(ValueError, match=re.escape("ModulatedConv2d(3, 5, kernel_size=3, style_dim=6, demodulate=True): "
                                                   "expected a style of shape (2, 6) for an input of shape "
                                                   "(2, 3, 4, 4), got (2, 5)")):
        layer(mg.zeros(2, 3, 4, 4), mg.zeros(2, 5))
    with pytest.raises(ValueError, match=re.escape("ModulatedConv2d(3, 5, kernel_size=3, style_dim=6, demodulate=True): "
                                                   "expected input (N, 3, H, W), got shape (2, 4, 4, 4)")):
        layer(mg.zeros(2, 4, 4, 4), mg.zeros(2, 6))
    with pytest.raises(TypeError, match=r"ModulatedConv2d\(.*input dtype float64 differs from the layer's float32"):
        layer(mg.zeros(2, 3, 4, 4, dtype=np.float64), mg.zeros(2, 6))
    with pytest.raises(ValueError, match="ModulatedConv2d: kernel_size must be odd"):
        nn.ModulatedConv2d(3, 5, 4, style_dim=6)
    with pytest.raises(ValueError, match=re.escape("NoiseInjection(3): expected noise of shape (2, 1, 4, 4) for an "
                                                   "input of shape (2, 3, 4, 4), got (2, 3, 4, 4)")):
        nn.NoiseInjection(3)(mg.zeros(2, 3, 4, 4), mg.zeros(2, 3, 4, 4))
    with pytest.raises(ValueError, match=re.escape("MappingNetwork(latent_dim=6, style_dim=5, num_layers=8): "
                                                   "expected input (N, 6), got shape (4, 5)")):
        MappingNetwork(6, 5)(mg.zeros(4, 5))
    with pytest.raises(ValueError, match=r"modulated_conv2d: input \(2, 3, 4, 4\) needs styles of shape \(2, 3\)"):
        F.modulated_conv2d(mg.zeros(2, 3, 4, 4), mg.zeros(5, 3, 3, 3), mg.zeros(2, 4))
