"""Loss functions (minigan.functional.losses) and GAN losses (minigan.gan.losses): values against
NumPy formulas, gradients and double gradients against finite differences, stability at extreme
logits, the registry."""
import numpy as np
import pytest

import minigan as mg
import minigan.functional as F
from minigan import gan
from minigan.gradcheck import gradcheck, gradgradcheck


# ---------------------------------------------------------------- NumPy references
def np_log_sigmoid(x):
    return -np.logaddexp(0.0, -x)  # log(1 / (1 + exp(-x))), exact for large |x|


def np_bce_logits(x, y):
    return -(y * np_log_sigmoid(x) + (1 - y) * np_log_sigmoid(-x))


def np_log_softmax(x):
    shifted = x - x.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def np_relativistic(r, f):
    return r - f.mean(), f - r.mean()


def np_ragan_d(r, f, real_target=1.0):
    rf, fr = np_relativistic(r, f)
    return np_bce_logits(rf, real_target).mean() + np_bce_logits(fr, 0.0).mean()


def np_rals_d(r, f):
    rf, fr = np_relativistic(r, f)
    return ((rf - 1) ** 2).mean() + ((fr + 1) ** 2).mean()


def _logits(shape, seed):
    """Logits whose distance to the hinge kinks (+-1) and to 0 is at least 0.2: every loss is smooth there."""
    rng = np.random.default_rng(seed)
    centers = rng.choice([-2.0, -0.5, 0.5, 2.0], shape)
    return centers + rng.uniform(-0.3, 0.3, shape)


# ---------------------------------------------------------------- minigan.functional.losses
def test_bce_with_logits_matches_numpy_for_every_reduction():
    x, y = _logits((4, 3), 0), np.random.default_rng(1).uniform(0, 1, (4, 3))
    expected = np_bce_logits(x, y)
    for reduction, reduce in [("mean", np.mean), ("sum", np.sum), ("none", lambda a: a)]:
        out = F.binary_cross_entropy_with_logits(mg.tensor(x), mg.tensor(y), reduction=reduction)
        np.testing.assert_allclose(out.numpy(), reduce(expected), rtol=1e-12)
    number_target = F.binary_cross_entropy_with_logits(mg.tensor(x), 0.9)
    np.testing.assert_allclose(number_target.item(), np_bce_logits(x, 0.9).mean(), rtol=1e-12)


def test_bce_with_logits_is_exact_at_logits_of_plus_minus_100_in_float32():
    x = mg.tensor([-100.0, -100.0, 100.0, 100.0, 0.0], requires_grad=True)
    y = mg.tensor([0.0, 1.0, 0.0, 1.0, 1.0])
    loss = F.binary_cross_entropy_with_logits(x, y, reduction="none")
    assert loss.dtype == np.float32
    np.testing.assert_allclose(loss.numpy(), [0.0, 100.0, 100.0, 0.0, np.log(2)], rtol=1e-6, atol=1e-30)
    (g,) = mg.grad(loss.sum(), x)
    np.testing.assert_allclose(g.numpy(), [0.0, -1.0, 1.0, 0.0, -0.5], rtol=1e-6, atol=1e-30)  # sigmoid(x) - y


def test_bce_with_logits_gradients():
    x, y = _logits((3, 2), 2), np.random.default_rng(3).uniform(0, 1, (3, 2))
    assert gradcheck(F.binary_cross_entropy_with_logits, [x, y])
    assert gradgradcheck(F.binary_cross_entropy_with_logits, [x, y])


def test_bce_on_probabilities_matches_numpy_and_clamps_the_log_at_minus_100():
    p, y = np.array([0.1, 0.5, 0.8, 0.0, 1.0, 0.0]), np.array([0.0, 1.0, 0.3, 0.0, 1.0, 1.0])
    expected = -(y * np.log(np.maximum(p, 1e-300)).clip(-100) + (1 - y) * np.log(np.maximum(1 - p, 1e-300)).clip(-100))
    probs = mg.tensor(p, requires_grad=True)
    out = F.binary_cross_entropy(probs, mg.tensor(y), reduction="none")
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert out.numpy()[-1] == 100.0  # p = 0 for a real sample: clamped, not infinite
    (g,) = mg.grad(out.sum(), probs)
    inside = (p[:3] - y[:3]) / (p[:3] * (1 - p[:3]))  # dL/dp away from 0 and 1
    # p = 0, y = 0 and p = 1, y = 1: only the unclamped log(1 - p) or log(p) counts, slope +-1;
    # p = 0, y = 1: the clamp is flat, so 0 -- not NaN, not infinity.
    np.testing.assert_allclose(g.numpy(), np.concatenate([inside, [1.0, -1.0, 0.0]]), rtol=1e-12)
    assert gradcheck(F.binary_cross_entropy, [p[:3], y[:3]])


def test_bce_on_probabilities_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="binary_cross_entropy: probs must lie in"):
        F.binary_cross_entropy(mg.tensor([0.5, 1.5]), mg.tensor([1.0, 0.0]))


def test_mse_loss():
    a, b = np.random.default_rng(4).standard_normal((2, 3, 2))
    np.testing.assert_allclose(F.mse_loss(mg.tensor(a), mg.tensor(b)).item(), ((a - b) ** 2).mean(), rtol=1e-12)
    np.testing.assert_allclose(F.mse_loss(mg.tensor(a), 1.0, reduction="sum").item(), ((a - 1) ** 2).sum(), rtol=1e-12)
    assert gradcheck(F.mse_loss, [a, b]) and gradgradcheck(F.mse_loss, [a, b])


def test_cross_entropy_and_nll_loss():
    x, labels = np.random.default_rng(5).standard_normal((4, 3)) * 3, np.array([2, 0, 0, 1])
    expected = -np_log_softmax(x)[np.arange(4), labels]
    np.testing.assert_allclose(F.cross_entropy(mg.tensor(x), labels, reduction="none").numpy(), expected, rtol=1e-12)
    np.testing.assert_allclose(F.cross_entropy(mg.tensor(x), mg.tensor(labels)).item(), expected.mean(), rtol=1e-12)
    log_probs = np_log_softmax(x)
    nll = F.nll_loss(mg.tensor(log_probs), labels, reduction="sum")
    np.testing.assert_allclose(nll.item(), expected.sum(), rtol=1e-12)
    assert gradcheck(F.cross_entropy, [x, labels]) and gradgradcheck(F.cross_entropy, [x, labels])
    assert gradcheck(F.nll_loss, [log_probs, labels])


def test_cross_entropy_at_huge_logits_is_finite():
    logits = mg.tensor([[1000.0, -1000.0], [0.0, 1000.0]], requires_grad=True)
    loss = F.cross_entropy(logits, [1, 1])
    np.testing.assert_allclose(loss.item(), 1000.0, rtol=1e-6)  # (2000 + 0) / 2
    (g,) = mg.grad(loss, logits)
    np.testing.assert_allclose(g.numpy(), [[0.5, -0.5], [0.0, 0.0]], atol=1e-6)  # (softmax - onehot) / N


@pytest.mark.parametrize("call, message", [
    (lambda: F.binary_cross_entropy_with_logits(mg.zeros(4, 1), mg.zeros(4)),
     r"binary_cross_entropy_with_logits: input has shape \(4, 1\) but target has shape \(4,\)"),
    (lambda: F.mse_loss(mg.zeros(3), mg.zeros(2)), r"mse_loss: input has shape \(3,\) but target has shape \(2,\)"),
    (lambda: F.binary_cross_entropy(mg.zeros(2), mg.zeros(2, 2)), r"binary_cross_entropy: input has shape \(2,\)"),
    (lambda: F.cross_entropy(mg.zeros(4, 3), [0, 1]),
     r"cross_entropy: input has shape \(4, 3\) but labels have shape \(2,\)"),
    (lambda: F.cross_entropy(mg.zeros(3), [0]), r"cross_entropy: input must have shape \(N, C\), got \(3,\)"),
    (lambda: F.nll_loss(mg.zeros(2, 3), [0, 3]), r"nll_loss: labels must lie in \[0, 3\), got values from 0 to 3"),
    (lambda: F.nll_loss(mg.zeros(2, 3), [0.0, 1.0]), r"nll_loss: labels must be integers"),
    (lambda: F.mse_loss(mg.zeros(2), mg.zeros(2), reduction="avg"), r"mse_loss: reduction must be one of"),
])
def test_clear_errors(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


# ---------------------------------------------------------------- GAN losses: value, gradient, double gradient
# name, loss of (real, fake) or of fake only, NumPy reference, arguments
GAN_LOSSES = [
    ("minimax_d", gan.minimax_d_loss, lambda r, f: np_bce_logits(r, 1).mean() + np_bce_logits(f, 0).mean(), 2),
    ("minimax_d_smoothed", lambda r, f: gan.minimax_d_loss(r, f, real_target=0.9),
     lambda r, f: np_bce_logits(r, 0.9).mean() + np_bce_logits(f, 0).mean(), 2),
    ("minimax_g", gan.minimax_g_loss, lambda f: np.log(1 - 1 / (1 + np.exp(-f))).mean(), 1),
    ("nonsaturating_g", gan.nonsaturating_g_loss, lambda f: -np.log(1 / (1 + np.exp(-f))).mean(), 1),
    ("lsgan_d", gan.lsgan_d_loss, lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f ** 2).mean(), 2),
    ("lsgan_d_abc", lambda r, f: gan.lsgan_d_loss(r, f, a=-1.0, b=1.0),
     lambda r, f: 0.5 * ((r - 1) ** 2).mean() + 0.5 * ((f + 1) ** 2).mean(), 2),
    ("lsgan_g", gan.lsgan_g_loss, lambda f: 0.5 * ((f - 1) ** 2).mean(), 1),
    ("lsgan_g_c0", lambda f: gan.lsgan_g_loss(f, c=0.0), lambda f: 0.5 * (f ** 2).mean(), 1),
    ("wasserstein_d", gan.wasserstein_d_loss, lambda r, f: f.mean() - r.mean(), 2),
    ("wasserstein_g", gan.wasserstein_g_loss, lambda f: -f.mean(), 1),
    ("hinge_d", gan.hinge_d_loss, lambda r, f: np.maximum(1 - r, 0).mean() + np.maximum(1 + f, 0).mean(), 2),
    ("hinge_g", gan.hinge_g_loss, lambda f: -f.mean(), 1),
    ("relativistic_d", gan.relativistic_d_loss, np_ragan_d, 2),
    ("relativistic_d_smoothed", lambda r, f: gan.relativistic_d_loss(r, f, real_target=0.9),
     lambda r, f: np_ragan_d(r, f, 0.9), 2),
    ("relativistic_g", lambda r, f: gan.relativistic_g_loss(f, r),
     lambda r, f: np_bce_logits(f - r.mean(), 1).mean() + np_bce_logits(r - f.mean(), 0).mean(), 2),
    ("relativistic_lsgan_d", gan.relativistic_lsgan_d_loss, np_rals_d, 2),
    ("relativistic_lsgan_g", lambda r, f: gan.relativistic_lsgan_g_loss(f, r),
     lambda r, f: ((f - r.mean() - 1) ** 2).mean() + ((r - f.mean() + 1) ** 2).mean(), 2),
]
SHAPES = [(5,), (4, 1)]  # D outputs come as (N,) or (N, 1); real and fake batches may differ in size


def _gan_inputs(n_args, shape):
    real, fake = _logits(shape, 10), _logits((shape[0] + 1,) + shape[1:], 11)
    return [real, fake] if n_args == 2 else [fake]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, loss, reference, n_args", GAN_LOSSES, ids=[case[0] for case in GAN_LOSSES])
def test_gan_loss_value(name, loss, reference, n_args, shape):
    arrays = _gan_inputs(n_args, shape)
    out = loss(*[mg.tensor(a) for a in arrays])
    assert out.shape == ()
    np.testing.assert_allclose(out.item(), reference(*arrays), rtol=1e-12)


@pytest.mark.parametrize("name, loss, reference, n_args", GAN_LOSSES, ids=[case[0] for case in GAN_LOSSES])
def test_gan_loss_gradients(name, loss, reference, n_args):
    arrays = _gan_inputs(n_args, (4, 1))
    assert gradcheck(loss, arrays)
    assert gradgradcheck(loss, arrays)


def test_float32_losses_are_finite_and_exact_for_a_confident_discriminator():
    """D sure of itself (logits +-100), the case where log(sigmoid(x)) overflows to -inf in float32."""
    real = mg.tensor([100.0, 100.0], requires_grad=True)
    fake = mg.tensor([-100.0, -100.0], requires_grad=True)
    # 2 softplus(-100): a subnormal float32, but not 0
    np.testing.assert_allclose(gan.minimax_d_loss(real, fake).item(), 2 * np.exp(-100.0), rtol=0.05)
    assert gan.nonsaturating_g_loss(fake).item() == pytest.approx(100.0, rel=1e-6)
    assert gan.minimax_g_loss(fake).item() == pytest.approx(0.0, abs=1e-30)
    np.testing.assert_allclose(gan.minimax_d_loss(real, fake, real_target=0.9).item(), 0.1 * 100, rtol=1e-6)
    for value in [gan.relativistic_d_loss(real, fake), gan.relativistic_g_loss(fake, real)]:
        assert np.isfinite(value.item())
    (g_real, g_fake) = mg.grad(gan.relativistic_g_loss(fake, real), [real, fake])
    assert np.isfinite(g_real.numpy()).all() and np.isfinite(g_fake.numpy()).all()


def test_minimax_g_loss_saturates_and_the_nonsaturating_one_does_not():
    """Where D rejects a fake with logit -10, the minimax loss hands G almost no gradient."""
    fake = mg.tensor([-10.0], dtype=np.float64, requires_grad=True)
    (g_minimax,) = mg.grad(gan.minimax_g_loss(fake), fake)
    (g_ns,) = mg.grad(gan.nonsaturating_g_loss(fake), fake)
    np.testing.assert_allclose(g_minimax.numpy(), [-1 / (1 + np.exp(10))], rtol=1e-12)  # -sigmoid(-10) ~ -4.5e-5
    np.testing.assert_allclose(g_ns.numpy(), [-1 / (1 + np.exp(-10))], rtol=1e-12)  # -(1 - sigmoid(-10)) ~ -1


def test_label_smoothing_value():
    """With real target 0.9 a perfect real logit costs 0.1 * logit: D is no longer paid to grow it."""
    real, fake = mg.tensor([3.0]), mg.tensor([-3.0])
    smoothed = gan.minimax_d_loss(real, fake, real_target=0.9).item()
    plain = gan.minimax_d_loss(real, fake).item()
    np.testing.assert_allclose(smoothed, 0.1 * 3 + np.log1p(np.exp(-3)) + np.log1p(np.exp(-3)), rtol=1e-6)
    np.testing.assert_allclose(smoothed - plain, 0.1 * 3, rtol=1e-5)
    # The smoothed loss is smallest where sigmoid(D(x)) = 0.9, at D(x) = log(9), not at infinity.
    r = mg.tensor([np.log(9.0)], dtype=np.float64, requires_grad=True)
    (g,) = mg.grad(gan.minimax_d_loss(r, mg.tensor([0.0], dtype=np.float64), real_target=0.9), r)
    assert abs(g.item()) < 1e-12


def test_relativistic_losses_at_a_hand_computed_point():
    """real = [1, 3] (mean 2), fake = [0, -2] (mean -1): real - mean(fake) = [2, 4], fake - mean(real) = [-2, -4]."""
    real, fake = mg.tensor([1.0, 3.0], dtype=np.float64), mg.tensor([0.0, -2.0], dtype=np.float64)
    softplus = lambda t: np.log1p(np.exp(t))  # noqa: E731
    d = softplus(-np.array([2.0, 4.0])).mean() + softplus(np.array([-2.0, -4.0])).mean()
    g = softplus(-np.array([-2.0, -4.0])).mean() + softplus(np.array([2.0, 4.0])).mean()
    np.testing.assert_allclose(gan.relativistic_d_loss(real, fake).item(), d, rtol=1e-12)
    np.testing.assert_allclose(gan.relativistic_g_loss(fake, real).item(), g, rtol=1e-12)
    np.testing.assert_allclose(gan.relativistic_lsgan_d_loss(real, fake).item(), (1 + 9) / 2 + (1 + 9) / 2, rtol=1e-12)
    np.testing.assert_allclose(gan.relativistic_lsgan_g_loss(fake, real).item(), 34 / 2 + 34 / 2, rtol=1e-12)
    with pytest.raises(ValueError, match="relativistic_g_loss needs real_logits"):
        gan.relativistic_g_loss(fake, None)


# ---------------------------------------------------------------- the registry
REGISTRY = {  # name: (d_loss, g_loss, g_needs_real, critic_constraint)
    "ns": (gan.minimax_d_loss, gan.nonsaturating_g_loss, False, None),
    "minimax": (gan.minimax_d_loss, gan.minimax_g_loss, False, None),
    "lsgan": (gan.lsgan_d_loss, gan.lsgan_g_loss, False, None),
    "wgan": (gan.wasserstein_d_loss, gan.wasserstein_g_loss, False, "weight-clipping"),
    "wgan-gp": (gan.wasserstein_d_loss, gan.wasserstein_g_loss, False, "gradient-penalty"),
    "hinge": (gan.hinge_d_loss, gan.hinge_g_loss, False, None),
    "ragan": (gan.relativistic_d_loss, gan.relativistic_g_loss, True, None),
    "rals": (gan.relativistic_lsgan_d_loss, gan.relativistic_lsgan_g_loss, True, None),
}


def test_registry_names():
    assert set(gan.LOSS_NAMES) == set(REGISTRY)


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_registry_pairs_compute_the_named_losses(name):
    d_loss, g_loss, g_needs_real, constraint = REGISTRY[name]
    real, fake = mg.tensor(_logits((6, 1), 20)), mg.tensor(_logits((6, 1), 21))
    pair = gan.get_loss(name)
    assert (pair.name, pair.g_needs_real, pair.critic_constraint) == (name, g_needs_real, constraint)
    assert pair.d_loss(real, fake).item() == d_loss(real, fake).item()
    expected_g = g_loss(fake, real) if g_needs_real else g_loss(fake)
    assert pair.g_loss(fake, real).item() == expected_g.item()
    if not g_needs_real:
        assert pair.g_loss(fake).item() == expected_g.item()


def test_registry_options_reach_the_losses():
    real, fake = mg.tensor([0.5, 2.0]), mg.tensor([-1.0, 0.3])
    smoothed = gan.get_loss("ns", real_target=0.9)
    assert smoothed.d_loss(real, fake).item() == gan.minimax_d_loss(real, fake, real_target=0.9).item()
    lsgan = gan.get_loss("lsgan", a=-1.0, b=1.0, c=0.0)
    assert lsgan.d_loss(real, fake).item() == gan.lsgan_d_loss(real, fake, a=-1.0, b=1.0).item()
    assert lsgan.g_loss(fake).item() == gan.lsgan_g_loss(fake, c=0.0).item()
    with pytest.raises(TypeError, match="GAN loss 'hinge' does not take the options"):
        gan.get_loss("hinge", real_target=0.9)


def test_unknown_loss_name_lists_the_valid_ones():
    with pytest.raises(ValueError, match="unknown GAN loss 'wgangp'; choose one of: ns, minimax, lsgan, wgan, "
                                         "wgan-gp, hinge, ragan, rals"):
        gan.get_loss("wgangp")


def test_relativistic_g_loss_from_the_registry_needs_the_real_logits():
    with pytest.raises(ValueError, match="relativistic_lsgan_g_loss needs real_logits"):
        gan.get_loss("rals").g_loss(mg.tensor([0.0]))
