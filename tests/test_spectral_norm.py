"""Spectral normalisation: sigma against the SVD, power iteration only in training, u and v in
state_dict, and the gradient through sigma against finite differences."""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim


def _top_singular_value(weight, dim=0):
    matrix = np.moveaxis(weight, dim, 0).reshape(weight.shape[dim], -1)
    return np.linalg.svd(matrix, compute_uv=False)[0]


CASES = [
    ("linear", lambda: nn.Linear(20, 10), (4, 20), 0),
    ("conv2d", lambda: nn.Conv2d(3, 8, 3), (2, 3, 5, 5), 0),
    ("conv_transpose2d", lambda: nn.ConvTranspose2d(8, 3, 4, 2, 1), (2, 8, 3, 3), 1),
]


@pytest.mark.parametrize("name, make, shape, dim", CASES, ids=[c[0] for c in CASES])
def test_sigma_converges_to_the_largest_singular_value(name, make, shape, dim):
    mg.manual_seed(0)
    layer = nn.SpectralNorm(make())
    assert layer.dim == dim
    x = mg.randn(*shape)
    for _ in range(30):
        layer(x)
    expected = _top_singular_value(layer.module.weight.numpy(), dim)
    assert layer.sigma == pytest.approx(expected, rel=1e-3)
    # The layer computed with W / sigma: the same output as the plain layer with its weight divided by the SVD's sigma.
    plain = make()
    plain.load_state_dict(layer.module.state_dict())
    plain.weight.data /= expected
    if plain.bias is not None:
        plain.bias.data[...] = layer.module.bias.data
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=2e-3, atol=1e-5)


def test_one_power_iteration_per_training_forward_and_none_in_eval():
    mg.manual_seed(0)
    layer = nn.spectral_norm(nn.Linear(6, 5))
    u, v = layer.u.numpy().copy(), layer.v.numpy().copy()
    x = mg.randn(3, 6)
    layer.eval()
    layer(x)
    np.testing.assert_array_equal(layer.u.numpy(), u)
    np.testing.assert_array_equal(layer.v.numpy(), v)

    layer.train()
    layer(x)
    w = layer.module.weight.numpy()
    expected_v = w.T @ u / np.linalg.norm(w.T @ u)
    expected_u = w @ expected_v / np.linalg.norm(w @ expected_v)
    np.testing.assert_allclose(layer.v.numpy(), expected_v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.u.numpy(), expected_u, rtol=1e-5, atol=1e-6)
    assert layer.sigma == pytest.approx(float(expected_u @ w @ expected_v), rel=1e-5)


def test_u_and_v_are_saved_and_restored():
    mg.manual_seed(0)
    layer = nn.SpectralNorm(nn.Conv2d(2, 4, 3))
    x = mg.randn(2, 2, 5, 5)
    layer(x)
    state = layer.state_dict()
    assert list(state) == ["module.weight", "module.bias", "u", "v"]
    assert state["u"].shape == (4,) and state["v"].shape == (18,)
    mg.manual_seed(1)
    restored = nn.SpectralNorm(nn.Conv2d(2, 4, 3))
    assert not np.allclose(restored.u.numpy(), state["u"])
    restored.load_state_dict(state)
    layer.eval(), restored.eval()
    np.testing.assert_array_equal(restored(x).numpy(), layer(x).numpy())


def test_the_gradient_flows_through_sigma():
    """Finite differences of the loss in the raw weight (eval mode: u and v fixed), in float64."""
    rng = np.random.default_rng(0)
    linear = nn.Linear(4, 3)
    linear.weight = nn.Parameter(rng.standard_normal((3, 4)))
    linear.bias = nn.Parameter(rng.standard_normal(3))
    layer = nn.SpectralNorm(linear).eval()
    x, r = mg.tensor(rng.standard_normal((5, 4))), rng.standard_normal((5, 3))

    def loss():
        return (layer(x) * mg.tensor(r)).sum()

    loss().backward()
    analytic = linear.weight.grad.numpy()
    numeric = np.zeros_like(analytic)
    for index in np.ndindex(*analytic.shape):
        original = linear.weight.data[index]
        linear.weight.data[index] = original + 1e-6
        plus = loss().item()
        linear.weight.data[index] = original - 1e-6
        minus = loss().item()
        linear.weight.data[index] = original
        numeric[index] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # ... and it differs from the gradient that treats sigma as a constant:
    sigma = layer.sigma
    assert not np.allclose(analytic, r.T @ x.numpy() / sigma, rtol=1e-3)


def test_the_wrapped_layer_keeps_its_parameter_and_trains():
    mg.manual_seed(0)
    model = nn.Sequential(nn.spectral_norm(nn.Linear(4, 8)), nn.LeakyReLU(0.2), nn.spectral_norm(nn.Linear(8, 1)))
    weight = model[0].module.weight
    optimizer = optim.Adam(model.parameters(), lr=0.002)  # small steps: one iteration per step keeps up
    assert [name for name, _ in model.named_parameters()] == [
        "0.module.weight", "0.module.bias", "2.module.weight", "2.module.bias"]
    x = mg.randn(16, 4)
    first = weight.numpy().copy()
    for _ in range(3):
        used = weight.numpy().copy()
        optimizer.zero_grad()
        model(x).mean().backward()
        optimizer.step()
    assert model[0].module.weight is weight and isinstance(weight, nn.Parameter)
    assert not np.array_equal(weight.numpy(), first)
    assert model[0].sigma == pytest.approx(_top_singular_value(used), rel=1e-3)  # tracks the weight as it trains


def test_invalid_wrapping():
    with pytest.raises(TypeError, match=re.escape("SpectralNorm: ReLU has no matrix Parameter 'weight' to normalise")):
        nn.SpectralNorm(nn.ReLU())
    with pytest.raises(ValueError, match="n_power_iterations must be at least 1"):
        nn.SpectralNorm(nn.Linear(2, 2), n_power_iterations=0)
