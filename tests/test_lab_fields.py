"""minigan.lab.fields: the heat map, G's gradient arrows, the gradient-norm field and the GP points, in numbers.

A linear D(x) = w.x + b gives closed forms to check against: its gradient is w everywhere, so each
G loss's gradient at a fake point is a known multiple of w.
"""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.gan import get_loss, r1_penalty
from minigan.gan.models import MLPDiscriminator
from minigan.lab import fields

W, B = np.array([0.7, -1.3], np.float32), np.float32(0.4)
POINTS = np.random.default_rng(0).uniform(-2, 2, (9, 2)).astype(np.float32)


def _linear_d():
    d = nn.Linear(2, 1)
    with mg.no_grad():
        d.weight.copy_(W[None, :])
        d.bias.copy_(np.array([B]))
    return d


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_the_plane_grid_is_cell_centres_row_by_row_from_the_top():
    grid = fields.plane_grid(3.0, 4)
    assert grid.shape == (16, 2) and grid.dtype == np.float32
    np.testing.assert_allclose(grid[:4], [[-2.25, 2.25], [-0.75, 2.25], [0.75, 2.25], [2.25, 2.25]])
    np.testing.assert_allclose(grid[-1], [2.25, -2.25])


def test_the_heat_map_is_d_on_the_grid():
    mg.manual_seed(0)
    d = MLPDiscriminator(hidden=16)
    grid = fields.plane_grid(3.0, 10)
    np.testing.assert_array_equal(fields.discriminator_values(d, grid), d(mg.tensor(grid)).numpy().ravel())
    np.testing.assert_allclose(fields.discriminator_values(_linear_d(), POINTS), POINTS @ W + B, rtol=1e-6)


@pytest.mark.parametrize("loss, per_point", [
    ("ns", lambda v: -_sigmoid(-v)),        # d/dv softplus(-v)
    ("minimax", lambda v: -_sigmoid(v)),    # d/dv -softplus(v)
    ("wgan-gp", lambda v: -np.ones_like(v)),
    ("hinge", lambda v: -np.ones_like(v)),
    ("lsgan", lambda v: v - 1),             # d/dv (v - 1)^2 / 2
])
def test_the_arrows_are_the_closed_form_gradient_of_g_loss_for_a_linear_d(loss, per_point):
    d_values = POINTS @ W + B
    expected = per_point(d_values)[:, None] * W[None, :] / len(POINTS)  # L_G is a mean over the points
    got = fields.generator_gradients(get_loss(loss), _linear_d(), POINTS)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("loss", ["ns", "ragan"])
def test_the_arrows_equal_minigan_grad_of_the_g_loss_at_the_fake_points(loss):
    mg.manual_seed(1)
    d = MLPDiscriminator(hidden=16)
    real = np.random.default_rng(1).standard_normal((9, 2)).astype(np.float32)
    pair = get_loss(loss)
    x = mg.tensor(POINTS, requires_grad=True)
    (expected,) = mg.grad(pair.g_loss(d(x), d(mg.tensor(real))), x)
    np.testing.assert_allclose(fields.generator_gradients(pair, d, POINTS, real), expected.numpy(), rtol=1e-6)


def test_the_gradient_norm_field_is_the_norm_of_d_s_input_gradient():
    np.testing.assert_allclose(fields.gradient_norms(_linear_d(), POINTS), np.full(9, np.linalg.norm(W)), rtol=1e-6)
    mg.manual_seed(2)
    d = MLPDiscriminator(hidden=16)
    _, norms = r1_penalty(d, mg.tensor(POINTS), return_norms=True)  # R1's own computation of the same norms
    np.testing.assert_allclose(fields.gradient_norms(d, POINTS), norms.numpy(), rtol=1e-5)


def test_interpolation_points_lie_between_their_real_and_fake_points():
    real, fake = POINTS, POINTS[::-1] + 5
    points = fields.interpolation_points(real, fake, np.random.default_rng(3))
    eps = np.random.default_rng(3).random((9, 1))   # the draw interpolate makes: one eps per pair
    np.testing.assert_allclose(points, eps * real + (1 - eps) * fake, rtol=1e-5)


def test_looking_at_a_spectral_norm_d_changes_nothing_and_keeps_its_mode():
    mg.manual_seed(4)
    d = MLPDiscriminator(hidden=16, norm="spectral")
    before = {k: v.copy() for k, v in d.state_dict().items()}
    fields.discriminator_values(d, POINTS)
    fields.generator_gradients(get_loss("hinge"), d, POINTS)
    fields.gradient_norms(d, POINTS)
    assert d.training
    for key, value in d.state_dict().items():
        np.testing.assert_array_equal(value, before[key], err_msg=key)   # no power iteration ran
    d(mg.tensor(POINTS))  # while a training-mode forward does run one
    assert any(not np.array_equal(v, before[k]) for k, v in d.state_dict().items())
