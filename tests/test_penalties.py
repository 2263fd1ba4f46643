"""Gradient penalties (WGAN-GP, R1, R2) and weight clipping.

The critics are plain functions of Tensors with weights that require grad, so that these tests do
not depend on ``minigan.nn``. Three kinds, chosen for what can be known about them in closed form:

* linear     D(x) = flat(x) . w           grad_x D = w, the same for every sample;
* quadratic  D(x) = 1/2 ||flat(x)||^2      grad_x D = x;
* nonlinear  D(x) = tanh(flat(x) W1) . w2 the real case, checked against finite differences.
"""
import numpy as np
import pytest

import minigan as mg
from minigan import gan
from minigan.gan.penalties import NORM_EPS
from minigan.gradcheck import gradcheck

N, IMAGE = 3, (2, 2, 2)  # a batch of 3 tiny 2-channel 2x2 "images": 8 features per sample
FEATURES = int(np.prod(IMAGE))


def _flat(x):
    return x.reshape(x.shape[0], -1)


def linear_critic(w):
    return lambda x: _flat(x) @ w


def quadratic_critic(x):
    return 0.5 * (_flat(x) * _flat(x)).sum(axis=1)


def mlp_critic(w1, w2):
    return lambda x: mg.tanh(_flat(x) @ w1) @ w2


def _data(seed=0):
    rng = np.random.default_rng(seed)
    real, fake = rng.standard_normal((2, N) + IMAGE)
    weights = rng.standard_normal((FEATURES, 4)) * 0.5, rng.standard_normal(4)
    return real, fake, weights


def _eps(seed):
    """The interpolation coefficients gradient_penalty draws from numpy.random.default_rng(seed)."""
    return np.random.default_rng(seed).random((N,) + (1,) * len(IMAGE))


# ---------------------------------------------------------------- forward values against closed forms
@pytest.mark.parametrize("scale", [0.1, 2.0])  # ||w|| below and above the target 1
def test_gradient_penalty_of_a_linear_critic_is_the_distance_of_norm_w_from_1(scale):
    real, fake, _ = _data()
    w = np.random.default_rng(1).standard_normal(FEATURES)
    w *= scale / np.linalg.norm(w)
    critic = linear_critic(mg.tensor(w))
    gp, norms = gan.gradient_penalty(critic, mg.tensor(real), mg.tensor(fake), return_norms=True)
    np.testing.assert_allclose(norms.numpy(), [scale] * N, rtol=1e-9)
    np.testing.assert_allclose(gp.item(), (scale - 1) ** 2, rtol=1e-9)
    one_sided = gan.gradient_penalty(critic, mg.tensor(real), mg.tensor(fake), one_sided=True).item()
    np.testing.assert_allclose(one_sided, max(scale - 1, 0) ** 2, rtol=1e-9, atol=1e-15)
    np.testing.assert_allclose(gan.gradient_penalty(critic, mg.tensor(real), mg.tensor(fake), target=scale).item(),
                               0.0, atol=1e-12)


def test_gradient_penalty_interpolates_with_one_uniform_eps_per_sample():
    """Quadratic critic: the gradient at x_hat is x_hat itself, so the penalty reveals where it was taken."""
    real, fake, _ = _data()
    seen = []
    critic = lambda x: seen.append(x.numpy().copy()) or quadratic_critic(x)  # noqa: E731
    gp = gan.gradient_penalty(critic, mg.tensor(real), mg.tensor(fake), generator=np.random.default_rng(7))
    eps = _eps(7)
    x_hat = eps * real + (1 - eps) * fake
    np.testing.assert_allclose(seen[0], x_hat, rtol=1e-12)
    norms = np.linalg.norm(x_hat.reshape(N, -1), axis=1)
    np.testing.assert_allclose(gp.item(), ((np.sqrt(norms ** 2 + NORM_EPS) - 1) ** 2).mean(), rtol=1e-12)


def test_gradient_penalty_uses_minigans_seeded_generator():
    real, fake, _ = _data()
    values = []
    for _ in range(2):
        mg.manual_seed(123)
        values.append(gan.gradient_penalty(quadratic_critic, mg.tensor(real), mg.tensor(fake)).item())
    values.append(gan.gradient_penalty(quadratic_critic, mg.tensor(real), mg.tensor(fake)).item())
    assert values[0] == values[1] != values[2]


def test_r1_and_r2_against_closed_forms():
    real, fake, _ = _data()
    r1, norms = gan.r1_penalty(quadratic_critic, mg.tensor(real), return_norms=True)  # grad = x
    np.testing.assert_allclose(r1.item(), (real.reshape(N, -1) ** 2).sum(axis=1).mean(), rtol=1e-12)
    np.testing.assert_allclose(norms.numpy(), np.linalg.norm(real.reshape(N, -1), axis=1), rtol=1e-12)
    w = np.random.default_rng(2).standard_normal(FEATURES)
    np.testing.assert_allclose(gan.r2_penalty(linear_critic(mg.tensor(w)), mg.tensor(fake)).item(), w @ w, rtol=1e-12)


def test_float32_penalties_stay_float32():
    real, fake, (w1, w2) = _data()
    critic = mlp_critic(mg.tensor(w1, dtype=np.float32, requires_grad=True), mg.tensor(w2, dtype=np.float32))
    gp = gan.gradient_penalty(critic, mg.tensor(real, dtype=np.float32), mg.tensor(fake, dtype=np.float32))
    r1 = gan.r1_penalty(critic, mg.tensor(real, dtype=np.float32))
    assert gp.dtype == r1.dtype == np.float32


# ---------------------------------------------------------------- gradients w.r.t. the critic's weights
def _gp_of_weights(real, fake, **options):
    """The penalty as a function of the critic's weights, with the same eps at every evaluation."""
    def penalty(w1, w2):
        return gan.gradient_penalty(mlp_critic(w1, w2), mg.tensor(real), mg.tensor(fake),
                                    generator=np.random.default_rng(0), **options)
    return penalty


@pytest.mark.parametrize("options", [{}, {"one_sided": True, "target": 0.3}], ids=["two-sided", "one-sided"])
def test_gradient_penalty_gradcheck_wrt_the_critic_weights(options):
    """Differentiates through minigan.grad(create_graph=True): a second derivative of the critic."""
    real, fake, (w1, w2) = _data()
    assert gradcheck(_gp_of_weights(real, fake, **options), [w1, w2])


@pytest.mark.parametrize("penalty", [gan.r1_penalty, gan.r2_penalty])
def test_r1_r2_gradcheck_wrt_the_critic_weights(penalty):
    real, _, (w1, w2) = _data()
    assert gradcheck(lambda w1, w2: penalty(mlp_critic(w1, w2), mg.tensor(real)), [w1, w2])


def test_the_critic_step_gradient_includes_the_second_order_term():
    """The WGAN-GP critic loss, backpropagated as the training loop does, against finite differences.

    A penalty whose input gradient was computed without create_graph=True (or detached) is a
    constant to the weights: loss.backward() still runs, on the Wasserstein part alone, and only a
    comparison of numbers notices.
    """
    real, fake, (w1, w2) = _data()
    real_t, fake_t = mg.tensor(real), mg.tensor(fake)

    def critic_loss(w1, w2):
        critic = mlp_critic(w1, w2)
        gp = gan.gradient_penalty(critic, real_t, fake_t, generator=np.random.default_rng(0))
        return gan.wasserstein_d_loss(critic(real_t), critic(fake_t)) + 10 * gp

    weights = [mg.tensor(w1, requires_grad=True), mg.tensor(w2, requires_grad=True)]
    critic_loss(*weights).backward()
    step = 1e-6
    for weight in weights:
        for index in np.ndindex(*weight.shape):
            original = weight.data[index]
            weight.data[index] = original + step
            plus = critic_loss(*weights).item()
            weight.data[index] = original - step
            minus = critic_loss(*weights).item()
            weight.data[index] = original
            np.testing.assert_allclose(weight.grad.numpy()[index], (plus - minus) / (2 * step), rtol=1e-5, atol=1e-7)


def test_gradient_penalty_gradient_of_a_linear_critic_in_closed_form():
    """GP = (||w|| - 1)^2, so dGP/dw = 2 (||w|| - 1) w / ||w||: only the second-order path gives it."""
    real, fake, _ = _data()
    w = mg.tensor(np.random.default_rng(3).standard_normal(FEATURES) * 0.7, requires_grad=True)
    gan.gradient_penalty(linear_critic(w), mg.tensor(real), mg.tensor(fake)).backward()
    norm = np.sqrt((w.numpy() ** 2).sum() + NORM_EPS)
    np.testing.assert_allclose(w.grad.numpy(), 2 * (norm - 1) * w.numpy() / norm, rtol=1e-9)


def test_a_zero_input_gradient_gives_no_nan():
    """Without the epsilon in the norm, d sqrt(s)/ds = inf at s = 0 and the weights' gradient is NaN."""
    real, fake, _ = _data()
    w = mg.zeros(FEATURES, dtype=np.float32, requires_grad=True)
    gp = gan.gradient_penalty(linear_critic(w), mg.tensor(real, dtype=np.float32), mg.tensor(fake, dtype=np.float32))
    np.testing.assert_allclose(gp.item(), (np.sqrt(NORM_EPS) - 1) ** 2, rtol=1e-6)
    gp.backward()
    np.testing.assert_array_equal(w.grad.numpy(), 0.0)


def test_penalties_do_not_reach_the_generator():
    real, fake, (w1, w2) = _data()
    theta = mg.tensor(1.5, requires_grad=True)  # a one-parameter "generator": G(z) = theta z
    fake_t = mg.tensor(fake) * theta
    critic = mlp_critic(mg.tensor(w1, requires_grad=True), mg.tensor(w2))
    for penalty in [gan.gradient_penalty(critic, mg.tensor(real), fake_t), gan.r2_penalty(critic, fake_t)]:
        assert mg.grad(penalty, theta, allow_unused=True) == (None,)


def test_gradient_penalty_shape_mismatch():
    with pytest.raises(ValueError, match=r"gradient_penalty: real has shape \(3, 2\) but fake has shape \(4, 2\)"):
        gan.gradient_penalty(quadratic_critic, mg.zeros(3, 2), mg.zeros(4, 2))


# ---------------------------------------------------------------- weight clipping
def test_clip_weights_clamps_in_place():
    w = mg.tensor([[-0.5, 0.003], [0.02, -0.01]], requires_grad=True)
    b = mg.tensor([0.2, -0.004], requires_grad=True)
    arrays = [w.data, b.data]
    gan.clip_weights_([w, b], c=0.01)
    assert w.data is arrays[0] and b.data is arrays[1]  # the same arrays, changed in place
    np.testing.assert_array_equal(w.numpy(), np.array([[-0.01, 0.003], [0.01, -0.01]], dtype=np.float32))
    np.testing.assert_array_equal(b.numpy(), np.array([0.01, -0.004], dtype=np.float32))
    assert w.is_leaf and w.requires_grad
