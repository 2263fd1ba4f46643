"""StyleGenerator: the small style-based generator (mapping network, constant input, modulated convolutions, noise,
one w per layer)."""
import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan.gan import StyleGenerator
from minigan.gradcheck import gradcheck, gradgradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _tiny(**kwargs):
    """8x8 images from a 4x4 constant: layers 0 (4x4), 1 and 2 (8x8), then to_rgb -- num_ws 4."""
    mg.manual_seed(0)
    options = dict(latent_dim=3, style_dim=4, width=2, image_size=8, start_size=4, mapping_layers=2)
    options.update(kwargs)
    G = StyleGenerator(**options).double()
    with mg.no_grad():  # noise strengths start at 0; give them values so that the noise path is exercised
        for i, inject in enumerate(G.noises):
            inject.weight.copy_(_rng(10 + i).standard_normal(inject.weight.shape))
    return G


def _noise(G, n, seed=1):
    return [mg.tensor(_rng(seed + i).standard_normal(shape)) for i, shape in enumerate(G.noise_shapes(n))]


@pytest.mark.parametrize("image_size, start_size, num_ws", [(28, 7, 6), (16, 4, 6), (8, 8, 2), (32, 4, 8)])
def test_shapes_and_number_of_styles(image_size, start_size, num_ws):
    mg.manual_seed(0)
    G = StyleGenerator(latent_dim=5, style_dim=6, width=4, image_size=image_size, start_size=start_size, channels=2)
    assert G.num_ws == num_ws and G.num_noise == num_ws - 1
    assert G(mg.randn(3, 5)).shape == (3, 2, image_size, image_size)
    sizes = [shape[2] for shape in G.noise_shapes(3)]
    assert sizes[0] == start_size and sizes[-1] == image_size and sizes == sorted(sizes)


def test_synthesis_is_the_documented_stack_of_layers():
    """Rebuild the image by hand from the layers: const -> (up) modconv -> noise -> lrelu * sqrt 2 -> to_rgb."""
    G = _tiny()
    G.eval()
    z = mg.tensor(_rng().standard_normal((2, 3)))
    noise = _noise(G, 2)
    w = G.mapping(z)
    x = G.const.expand(2, 2, 4, 4)
    for i, (conv, inject) in enumerate(zip(G.convs, G.noises)):
        if i == 1:
            x = F.interpolate(x, scale_factor=2, mode="bilinear")
        x = F.leaky_relu(inject(conv(x, w), noise[i]), 0.2) * math.sqrt(2)
    expected = G.to_rgb(x, w).numpy()
    np.testing.assert_allclose(G(z, noise=noise).numpy(), expected, rtol=1e-12)
    # one w for every layer, written three ways
    for ws in (w, [w] * G.num_ws, mg.stack([w] * G.num_ws, axis=1)):
        np.testing.assert_allclose(G.synthesis(ws, noise).numpy(), expected, rtol=1e-12)


def test_each_style_reaches_only_its_layers():
    """Mixing: the image depends on w_fine only from the crossover layer on, and on every layer's style."""
    G = _tiny()
    G.eval()
    w_a, w_b = (mg.tensor(_rng(s).standard_normal((2, 4))) for s in (1, 2))
    noise = _noise(G, 2)
    only_a = G.synthesis(w_a, noise).numpy()
    np.testing.assert_array_equal(G.synthesis(G.mix_styles(w_a, w_b, G.num_ws), noise).numpy(), only_a)
    np.testing.assert_array_equal(G.synthesis(G.mix_styles(w_b, w_a, 0), noise).numpy(), only_a)
    outputs = [G.synthesis(G.mix_styles(w_a, w_b, k), noise).numpy() for k in range(G.num_ws + 1)]
    for k in range(G.num_ws):  # moving the crossover by one layer changes the image
        assert np.abs(outputs[k] - outputs[k + 1]).max() > 1e-6


def test_noise_inputs():
    G = _tiny()
    G.eval()
    w = mg.tensor(_rng(1).standard_normal((3, 4)))
    zeros = [mg.zeros(*shape, dtype=np.float64) for shape in G.noise_shapes(3)]
    quiet = G.synthesis(w, zeros).numpy()
    np.testing.assert_array_equal(G.synthesis(w, zeros).numpy(), quiet)      # no randomness left
    assert np.abs(G.synthesis(w, _noise(G, 3)).numpy() - quiet).max() > 1e-6  # the noise path is live
    mg.manual_seed(5)
    drawn = G.synthesis(w).numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(G.synthesis(w).numpy(), drawn)  # fresh noise comes from minigan's generator
    fresh = G.synthesis(w).numpy()
    assert np.abs(fresh - drawn).max() > 1e-6
    mg.manual_seed(0)
    G = StyleGenerator(latent_dim=3, style_dim=4, width=2, image_size=8, start_size=4)
    w = mg.randn(3, 4)
    np.testing.assert_array_equal(G.synthesis(w).numpy(), G.synthesis(w).numpy())  # strengths start at 0


def test_truncation_psi_zero_gives_the_average_image():
    G = _tiny()
    G.train()
    G(mg.tensor(_rng().standard_normal((16, 3))))  # one training batch: w_avg moves off 0
    G.eval()
    z = mg.tensor(_rng(1).standard_normal((3, 3)))
    noise = [mg.tensor(np.repeat(n.numpy()[:1], 3, axis=0)) for n in _noise(G, 3)]  # the same noise for all three
    images = G(z, truncation_psi=0.0, noise=noise).numpy()
    np.testing.assert_allclose(images, np.repeat(images[:1], 3, axis=0), rtol=1e-12)
    average = G.synthesis(mg.stack([G.mapping.w_avg] * 3), noise).numpy()
    np.testing.assert_allclose(images, average, rtol=1e-12)


def test_style_mixing_regularisation_in_training_mode_only():
    G = _tiny(style_mixing_prob=1.0)
    z = mg.tensor(_rng().standard_normal((2, 3)))
    noise = _noise(G, 2)
    G.eval()
    plain = G(z, noise=noise).numpy()
    G.train()
    mg.manual_seed(3)
    mixed = G(z, noise=noise).numpy()
    assert np.abs(mixed - plain).max() > 1e-6  # some layers read the w of a second z
    rng = np.random.default_rng(3)  # what forward drew: the coin, the crossover, then the second z
    assert rng.random() < 1.0
    cutoff = int(rng.integers(1, G.num_ws))
    w, w2 = G.mapping(z), G.mapping(mg.tensor(rng.standard_normal((2, 3))))
    np.testing.assert_allclose(mixed, G.synthesis(G.mix_styles(w, w2, cutoff), noise).numpy(), rtol=1e-12)
    G.style_mixing_prob = 0.0
    np.testing.assert_allclose(G(z, noise=noise).numpy(), plain, rtol=1e-12)


def test_gradients_with_respect_to_z_and_styles():
    G = _tiny()
    G.eval()
    noise = _noise(G, 2)
    z = _rng().standard_normal((2, 3))
    assert gradcheck(lambda z: G(z, noise=noise), [z])
    ws = [_rng(s).standard_normal((2, 4)) for s in range(G.num_ws)]
    assert gradcheck(lambda *ws: G.synthesis(list(ws), noise), ws)
    assert gradgradcheck(lambda z: G(z, noise=noise), [z])  # a path-length penalty differentiates through G twice


def test_every_parameter_gets_its_gradient():
    """Backward reaches the mapping network, the constant, every conv, affine map and noise strength, and agrees
    with a finite difference along a random direction in all of them at once."""
    G = _tiny()
    z, noise = mg.tensor(_rng().standard_normal((2, 3))), _noise(G, 2)
    weights = _rng(7).standard_normal((2, 1, 8, 8))
    G.zero_grad()
    loss = (G(z, noise=noise) * mg.tensor(weights)).sum()
    loss.backward()
    params = list(G.parameters())
    assert all(p.grad is not None and np.abs(p.grad.numpy()).max() > 0 for p in params)
    directions = [_rng(100 + i).standard_normal(p.shape) for i, p in enumerate(params)]
    analytic = sum(float((p.grad.numpy() * d).sum()) for p, d in zip(params, directions))
    originals = [p.numpy().copy() for p in params]

    def loss_at(t):
        with mg.no_grad():
            for p, original, d in zip(params, originals, directions):
                p.copy_(original + t * d)
            return float((G(z, noise=noise).numpy() * weights).sum())

    numeric = (loss_at(1e-6) - loss_at(-1e-6)) / 2e-6
    loss_at(0.0)
    assert numeric == pytest.approx(analytic, rel=1e-5)


def test_trains_one_step_with_the_gan_trainer():
    from minigan import nn, optim
    from minigan.gan import GANTrainer
    mg.manual_seed(0)
    G = StyleGenerator(latent_dim=8, style_dim=8, width=4, image_size=8, start_size=4, style_mixing_prob=0.5)
    D = nn.Sequential(nn.Conv2d(1, 4, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten(), nn.Linear(64, 1))
    trainer = GANTrainer(G, D, optim.Adam(G.parameters(), lr=1e-3), optim.Adam(D.parameters(), lr=1e-3),
                         ema_decay=0.99)
    before = [p.numpy().copy() for p in G.parameters()]
    stats = trainer.step(mg.randn(4, 1, 8, 8))
    assert np.isfinite(stats["g_loss"]) and np.isfinite(stats["d_loss"])
    assert all(np.abs(p.numpy() - b).max() > 0 for p, b in zip(G.parameters(), before))
    np.testing.assert_array_equal(trainer.ema_generator.mapping.w_avg.numpy(), G.mapping.w_avg.numpy())
    assert np.abs(G.mapping.w_avg.numpy()).max() > 0


def test_state_dict_keys_and_errors():
    G = StyleGenerator(latent_dim=3, style_dim=4, width=2, image_size=8, start_size=4, mapping_layers=1)
    assert list(G.state_dict()) == [
        "const", "mapping.layers.0.weight", "mapping.layers.0.bias",
        *[f"convs.{i}.{name}" for i in range(3) for name in ("weight", "bias", "affine.weight", "affine.bias")],
        *[f"noises.{i}.weight" for i in range(3)],
        "to_rgb.weight", "to_rgb.bias", "to_rgb.affine.weight", "to_rgb.affine.bias", "mapping.w_avg"]
    with pytest.raises(ValueError, match=re.escape("StyleGenerator: image_size / start_size must be a power of 2, "
                                                   "got 28 / 5")):
        StyleGenerator(image_size=28, start_size=5)
    with pytest.raises(ValueError, match=re.escape("StyleGenerator: image_size / start_size must be a power of 2, "
                                                   "got 28 / 4")):
        StyleGenerator(image_size=28, start_size=4)  # 7 is not a power of 2
    with pytest.raises(ValueError, match="style_mixing_prob must be in"):
        StyleGenerator(style_mixing_prob=1.5)
    w = mg.zeros(2, 4)
    with pytest.raises(ValueError, match=r"StyleGenerator\(.*\): expected 4 styles, one per layer, got 3"):
        G.synthesis([w] * 3)
    with pytest.raises(ValueError, match=r"expected ws of shape \(N, 4\), \(N, 4, 4\)"):
        G.synthesis(mg.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"expected 3 noise inputs, one per layer, got 2"):
        G.synthesis(w, [None, None])
    with pytest.raises(ValueError, match=r"crossover must be in 0..4"):
        G.mix_styles(w, w, 5)
