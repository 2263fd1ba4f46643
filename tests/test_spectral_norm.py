"""Spectral normalisation: sigma against the SVD, power iteration only in training, PyTorch's names in
state_dict (and old checkpoints renamed), and the gradient through sigma against finite differences."""
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
    layer = nn.spectral_norm(make())
    x = mg.randn(*shape)
    for _ in range(30):
        layer(x)
    expected = _top_singular_value(layer.weight_orig.numpy(), dim)  # along dim: ConvTranspose2d's outputs are axis 1
    sigma = nn.spectral_norm_sigma(layer)
    assert sigma == pytest.approx(expected, rel=1e-3)
    np.testing.assert_allclose(layer.weight.numpy(), layer.weight_orig.numpy() / sigma, rtol=1e-6)  # what forward used
    # The layer computed with W / sigma: the same output as the plain layer with its weight divided by the SVD's sigma.
    plain = make()
    with mg.no_grad():
        plain.weight.copy_(layer.weight_orig.numpy() / expected)
        plain.bias.copy_(layer.bias.numpy())
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), rtol=2e-3, atol=1e-5)


def test_one_power_iteration_per_training_forward_and_none_in_eval():
    mg.manual_seed(0)
    layer = nn.spectral_norm(nn.Linear(6, 5))
    u, v = layer.weight_u.numpy().copy(), layer.weight_v.numpy().copy()
    x = mg.randn(3, 6)
    layer.eval()
    layer(x)
    np.testing.assert_array_equal(layer.weight_u.numpy(), u)
    np.testing.assert_array_equal(layer.weight_v.numpy(), v)

    layer.train()
    layer(x)
    w = layer.weight_orig.numpy()
    expected_v = w.T @ u / np.linalg.norm(w.T @ u)
    expected_u = w @ expected_v / np.linalg.norm(w @ expected_v)
    np.testing.assert_allclose(layer.weight_v.numpy(), expected_v, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.weight_u.numpy(), expected_u, rtol=1e-5, atol=1e-6)
    assert nn.spectral_norm_sigma(layer) == pytest.approx(float(expected_u @ w @ expected_v), rel=1e-5)


def test_u_and_v_are_saved_and_restored_under_pytorchs_names():
    mg.manual_seed(0)
    layer = nn.spectral_norm(nn.Conv2d(2, 4, 3))
    x = mg.randn(2, 2, 5, 5)
    layer(x)
    state = layer.state_dict()
    assert list(state) == ["weight_orig", "bias", "weight_u", "weight_v"]  # torch.nn.utils.spectral_norm's
    assert state["weight_u"].shape == (4,) and state["weight_v"].shape == (18,)
    mg.manual_seed(1)
    restored = nn.spectral_norm(nn.Conv2d(2, 4, 3))
    assert not np.allclose(restored.weight_u.numpy(), state["weight_u"])
    restored.load_state_dict(state)
    layer.eval(), restored.eval()
    np.testing.assert_array_equal(restored(x).numpy(), layer(x).numpy())


def test_the_gradient_flows_through_sigma():
    """Finite differences of the loss in the raw weight (eval mode: u and v fixed), in float64."""
    rng = np.random.default_rng(0)
    linear = nn.Linear(4, 3)
    linear.weight = nn.Parameter(rng.standard_normal((3, 4)))
    linear.bias = nn.Parameter(rng.standard_normal(3))
    layer = nn.spectral_norm(linear).eval()
    x, r = mg.tensor(rng.standard_normal((5, 4))), rng.standard_normal((5, 3))

    def loss():
        return (layer(x) * mg.tensor(r)).sum()

    loss().backward()
    analytic = linear.weight_orig.grad.numpy()
    numeric = np.zeros_like(analytic)
    for index in np.ndindex(*analytic.shape):
        original = linear.weight_orig.data[index]
        linear.weight_orig.data[index] = original + 1e-6
        plus = loss().item()
        linear.weight_orig.data[index] = original - 1e-6
        minus = loss().item()
        linear.weight_orig.data[index] = original
        numeric[index] = (plus - minus) / 2e-6
    np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)
    # ... and it differs from the gradient that treats sigma as a constant:
    sigma = nn.spectral_norm_sigma(layer)
    assert not np.allclose(analytic, r.T @ x.numpy() / sigma, rtol=1e-3)


def test_the_wrapped_layer_keeps_its_parameter_and_trains():
    mg.manual_seed(0)
    model = nn.Sequential(nn.spectral_norm(nn.Linear(4, 8)), nn.LeakyReLU(0.2), nn.spectral_norm(nn.Linear(8, 1)))
    weight = model[0].weight_orig
    optimizer = optim.Adam(model.parameters(), lr=0.002)  # small steps: one iteration per step keeps up
    assert [name for name, _ in model.named_parameters()] == [  # weight_orig where weight was: the same order
        "0.weight_orig", "0.bias", "2.weight_orig", "2.bias"]
    x = mg.randn(16, 4)
    first = weight.numpy().copy()
    for _ in range(3):
        used = weight.numpy().copy()
        optimizer.zero_grad()
        model(x).mean().backward()
        optimizer.step()
    assert model[0].weight_orig is weight and isinstance(weight, nn.Parameter)
    assert not np.array_equal(weight.numpy(), first)
    assert nn.spectral_norm_sigma(model[0]) == pytest.approx(_top_singular_value(used), rel=1e-3)  # tracks the weight


def test_invalid_wrapping():
    with pytest.raises(TypeError, match=re.escape("spectral_norm: ReLU has no matrix Parameter 'weight' to normalise")):
        nn.spectral_norm(nn.ReLU())
    with pytest.raises(ValueError, match="n_power_iterations must be at least 1, got 0"):
        nn.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)
    with pytest.raises(RuntimeError, match=re.escape("Linear.weight is already spectrally normalised")):
        nn.spectral_norm(nn.spectral_norm(nn.Linear(2, 2)))
    with pytest.raises(ValueError, match=re.escape("Linear.weight is not spectrally normalised")):
        nn.remove_spectral_norm(nn.Linear(2, 2))


def test_remove_spectral_norm_freezes_the_normalised_weight():
    mg.manual_seed(0)
    layer = nn.spectral_norm(nn.Linear(4, 3)).eval()
    x = mg.randn(2, 4)
    expected = layer(x).numpy()
    raw, sigma = layer.weight_orig.numpy().copy(), nn.spectral_norm_sigma(layer)
    nn.remove_spectral_norm(layer)
    assert list(layer.state_dict()) == ["bias", "weight"] and isinstance(layer.weight, nn.Parameter)
    assert not layer._forward_pre_hooks
    np.testing.assert_allclose(layer.weight.numpy(), raw / sigma, rtol=1e-6)
    np.testing.assert_allclose(layer(x).numpy(), expected, rtol=1e-6)


# Keys of minigan before spectral norm took PyTorch's names: a wrapper module around the layer.
OLD_KEYS = {"module.weight": "weight_orig", "module.bias": "bias", "u": "weight_u", "v": "weight_v"}


def test_a_state_dict_with_the_old_wrapper_keys_still_loads():
    mg.manual_seed(0)
    saved = nn.Sequential(nn.spectral_norm(nn.Linear(4, 3)), nn.LeakyReLU(0.2))
    saved(mg.randn(2, 4))
    old_state = {f"0.{old}": saved.state_dict()[f"0.{new}"] for old, new in OLD_KEYS.items()}
    mg.manual_seed(1)
    fresh = nn.Sequential(nn.spectral_norm(nn.Linear(4, 3)), nn.LeakyReLU(0.2))
    fresh.load_state_dict(old_state)
    for name, value in saved.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[name], value, err_msg=name)


def test_the_old_wrapper_spelling_is_a_clear_error():
    with pytest.raises(TypeError, match=re.escape("normalise a layer with nn.spectral_norm(layer)")):
        nn.SpectralNorm(nn.Linear(2, 2))
