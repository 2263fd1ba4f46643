"""minigan against PyTorch: the same weights and the same data must give the same numbers.

The rest of the suite checks minigan against finite differences and slow NumPy references: that
shows each gradient is the derivative of what minigan computes. These tests check that what it
computes is what PyTorch computes -- the library whose API minigan copies, and whose numbers a
reader of the tutorials will compare with. Each test builds both sides from the same NumPy
arrays, or copies minigan's weights into the torch module, and compares in float64 (float32
where it says so) with tolerances that leave room for rounding only. A missing factor, a biased
variance, a flipped kernel or a gradient taken with the wrong vectors fails by orders of magnitude.

Compared, one section each:

1. ``conv2d`` and ``conv_transpose2d`` (strides, paddings, output paddings, dilations, bias):
   outputs and the gradients of input, weight and bias; ``BatchNorm1d``/``BatchNorm2d``: training
   steps (outputs, gradients, running statistics), then eval mode.
2. Spectral norm over several training forwards before one backward, against
   ``torch.nn.utils.spectral_norm`` started from the same u and v.
3. Every GAN loss of ``minigan.gan.get_loss``, for D and for G, against the textbook formulas
   written with ``torch.nn.functional``; the gradient penalties (WGAN-GP, R1, R2) and their
   gradients w.r.t. the critic's weights, which need a double backward.
4. ``optim.SGD``, ``Adam``, ``AdamW`` and ``RMSprop`` over ten steps on the same loss; the four
   learning-rate schedulers over 30 steps; ``nn.utils.clip_grad_norm_`` / ``clip_grad_value_``.
5. Ten whole DCGAN training steps: minigan's ``GANTrainer`` against PyTorch's DCGAN recipe.

Needs PyTorch (``pip install -e ".[parity]"``); without it the module is skipped.
"""
from collections import OrderedDict

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import torch.nn.functional as TF  # noqa: E402  (only after the skip: torch may be missing)
from parity_helpers import (  # noqa: E402  (tests/parity/parity_helpers.py; it imports torch too)
    assert_close,
    assert_same_parameter_gradients,
    assert_same_state,
    check_against_torch,
    copy_weights,
)

import minigan as mg  # noqa: E402
from minigan import functional as F  # noqa: E402
from minigan import nn, optim  # noqa: E402
from minigan.gan import models  # noqa: E402
from minigan.gan.losses import LOSS_NAMES, get_loss  # noqa: E402
from minigan.gan.penalties import gradient_penalty, r1_penalty, r2_penalty  # noqa: E402
from minigan.gan.training import GANTrainer  # noqa: E402

torch.set_num_threads(1)  # the tests are small; one thread is as fast and leaves the other cores alone


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


# =============================================================================== 1. layers
# conv2d: input shape, weight shape (O, C, kh, kw), stride, padding, dilation.
CONV2D_CASES = {
    "plain": ((2, 3, 7, 7), (4, 3, 3, 3), 1, 0, 1),
    "dcgan-down": ((2, 3, 8, 8), (5, 3, 4, 4), 2, 1, 1),
    "asymmetric": ((1, 2, 9, 7), (3, 2, 3, 2), (2, 1), (1, 2), 1),
    "dilated": ((2, 2, 9, 9), (3, 2, 3, 3), 1, 2, 2),
    "stride-3-leftover": ((2, 3, 10, 9), (4, 3, 3, 3), 3, 1, (2, 1)),
}
# conv_transpose2d: input shape, weight shape (C_in, C_out, kh, kw), stride, padding, output_padding, dilation.
CONV_TRANSPOSE2D_CASES = {
    "dcgan-up": ((2, 4, 4, 4), (4, 3, 4, 4), 2, 1, 0, 1),
    "output-padding": ((2, 3, 5, 5), (3, 2, 3, 3), 2, 1, 1, 1),
    "asymmetric": ((1, 2, 4, 3), (2, 3, 3, 2), (3, 2), (1, 0), (2, 1), 1),
    "dilated": ((2, 2, 4, 4), (2, 2, 3, 3), 1, 1, 0, 2),
    "dilated-strided": ((2, 2, 3, 3), (2, 3, 3, 3), 2, 0, 1, 2),
}
DTYPES = [np.float64, np.float32]


def _conv_arrays(rng, x_shape, w_shape, bias_size, dtype):
    return [rng.standard_normal(shape).astype(dtype) for shape in (x_shape, w_shape, (bias_size,))]


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("case", CONV2D_CASES)
def test_conv2d(case, dtype, rng):
    x_shape, w_shape, stride, padding, dilation = CONV2D_CASES[case]
    geometry = dict(stride=stride, padding=padding, dilation=dilation)
    check_against_torch(lambda x, w, b: F.conv2d(x, w, b, **geometry),
                        lambda x, w, b: TF.conv2d(x, w, b, **geometry),
                        _conv_arrays(rng, x_shape, w_shape, w_shape[0], dtype), rng)


@pytest.mark.parametrize("dtype", DTYPES, ids=["float64", "float32"])
@pytest.mark.parametrize("case", CONV_TRANSPOSE2D_CASES)
def test_conv_transpose2d(case, dtype, rng):
    x_shape, w_shape, stride, padding, output_padding, dilation = CONV_TRANSPOSE2D_CASES[case]
    geometry = dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation)
    check_against_torch(lambda x, w, b: F.conv_transpose2d(x, w, b, **geometry),
                        lambda x, w, b: TF.conv_transpose2d(x, w, b, **geometry),
                        _conv_arrays(rng, x_shape, w_shape, w_shape[1], dtype), rng)


@pytest.mark.parametrize("momentum", [0.1, None], ids=["momentum=0.1", "cumulative"])
@pytest.mark.parametrize("layer, shape", [("BatchNorm1d", (16, 5)), ("BatchNorm2d", (4, 3, 5, 5))])
def test_batch_norm_layer(layer, shape, momentum, rng):
    """Three training steps (output, input and parameter gradients each), the running statistics, then eval."""
    channels = shape[1]
    mine = getattr(nn, layer)(channels, momentum=momentum).double()
    theirs = getattr(torch.nn, layer)(channels, momentum=momentum).double()
    mine.weight.data[...] = rng.uniform(0.5, 2.0, channels)  # not the initial 1 and 0: the affine part counts too
    mine.bias.data[...] = rng.standard_normal(channels)
    copy_weights(mine, theirs)

    for _ in range(3):
        batch = 0.5 + 2.0 * rng.standard_normal(shape)  # mean and variance far from the initial 0 and 1
        check_against_torch(mine, theirs, [batch], rng)
        assert_same_parameter_gradients(mine, theirs)
        mine.zero_grad()
        theirs.zero_grad()
    assert_same_state(mine, theirs)  # running_mean, running_var (unbiased), num_batches_tracked

    mine.eval()
    theirs.eval()
    check_against_torch(mine, theirs, [rng.standard_normal(shape)], rng)
    assert_same_parameter_gradients(mine, theirs)


# =============================================================================== 2. spectral norm
# (the layer, built from minigan.nn or torch.nn, input shape); ConvTranspose2d normalises along its
# weight's axis 1 in both libraries.
SPECTRAL_NORM_CASES = {
    "linear": (lambda lib: lib.Linear(6, 4), (5, 6)),
    "conv2d": (lambda lib: lib.Conv2d(2, 3, 3, stride=2, padding=1), (2, 2, 6, 6)),
    "conv_transpose2d": (lambda lib: lib.ConvTranspose2d(3, 2, 4, stride=2, padding=1), (2, 3, 3, 3)),
}


@pytest.mark.parametrize("forwards", [1, 3], ids=["1-forward", "3-forwards"])
@pytest.mark.parametrize("case", SPECTRAL_NORM_CASES)
def test_spectral_norm_over_several_forwards(case, forwards, rng):
    """D(x1), D(x2), D(x3), then one backward of the sum, as a GAN's D step does with real and fake batches
    (and a penalty's points); a single forward is the control case.

    Each training forward does one power iteration, so each forward divides by its own sigma,
    computed from its own u and v; its backward must use those same vectors,
    dL/dW = (G - <G, W/sigma> u v^T) / sigma. PyTorch keeps a copy of u and v per forward.
    Both start from the same u and v, so the power iterations are the same. They start from random
    unit vectors rather than from the 15 iterations minigan does at construction: near convergence
    u and v hardly change from one forward to the next, and using the wrong forward's vectors can
    shift the gradient by as little as 1e-7 -- from random ones each iteration moves them visibly.
    """
    make, shape = SPECTRAL_NORM_CASES[case]
    mg.manual_seed(0)
    mine = nn.spectral_norm(make(nn)).double()
    for vector in (mine.weight_u, mine.weight_v):
        start = rng.standard_normal(vector.shape)
        vector.data[...] = start / np.linalg.norm(start)
    theirs = torch.nn.utils.spectral_norm(make(torch.nn).double())  # n_power_iterations=1, eps=1e-12, as minigan
    copy_weights(mine, theirs)  # the same names: weight_orig, bias, weight_u, weight_v

    mine_total = theirs_total = 0.0
    for i in range(forwards):
        x = rng.standard_normal(shape)
        mine_out, theirs_out = mine(mg.tensor(x)), theirs(torch.from_numpy(x))
        assert_close(mine_out, theirs_out, f"output of forward {i + 1}")
        upstream = rng.standard_normal(mine_out.shape)
        mine_total = mine_total + (mine_out * mg.tensor(upstream)).sum()
        theirs_total = theirs_total + (theirs_out * torch.from_numpy(upstream)).sum()
    assert_close(mine.weight_u, theirs.weight_u, "u after the power iterations")
    assert_close(mine.weight_v, theirs.weight_v, "v after the power iterations")

    mine_total.backward()
    theirs_total.backward()
    assert_same_parameter_gradients(mine, theirs)  # the bias and the raw weight


# =============================================================================== 3. GAN losses and penalties
def _bce(logits, target):
    """-[t log sigma(x) + (1 - t) log(1 - sigma(x))], averaged: PyTorch's numerically stable form."""
    return TF.binary_cross_entropy_with_logits(logits, torch.full_like(logits, target))


def _mse(prediction, target):
    return TF.mse_loss(prediction, torch.full_like(prediction, target))


# name -> (real logits, fake logits, options) -> (D loss, G loss), the standard definitions in torch.
TORCH_GAN_LOSSES = {
    "ns": lambda r, f, real_target=1.0: (_bce(r, real_target) + _bce(f, 0.0), _bce(f, 1.0)),
    "minimax": lambda r, f, real_target=1.0: (_bce(r, real_target) + _bce(f, 0.0), -_bce(f, 0.0)),
    "lsgan": lambda r, f, a=0.0, b=1.0, c=1.0: (0.5 * _mse(r, b) + 0.5 * _mse(f, a), 0.5 * _mse(f, c)),
    "wgan": lambda r, f: (f.mean() - r.mean(), -f.mean()),
    "wgan-gp": lambda r, f: (f.mean() - r.mean(), -f.mean()),
    "hinge": lambda r, f: (TF.relu(1 - r).mean() + TF.relu(1 + f).mean(), -f.mean()),
    "ragan": lambda r, f, real_target=1.0: (
        _bce(r - f.mean(), real_target) + _bce(f - r.mean(), 0.0),
        _bce(f - r.mean(), 1.0) + _bce(r - f.mean(), 0.0)),
    "rals": lambda r, f: (
        _mse(r - f.mean(), 1.0) + _mse(f - r.mean(), -1.0),
        _mse(f - r.mean(), 1.0) + _mse(r - f.mean(), -1.0)),
}
# Every registered loss with its defaults (a new loss without a torch formula above fails with a
# KeyError), and the options: one-sided label smoothing and LSGAN's other coding.
LOSS_CASES = [(name, {}) for name in LOSS_NAMES] + [
    ("ns", dict(real_target=0.9)), ("minimax", dict(real_target=0.9)), ("ragan", dict(real_target=0.9)),
    ("lsgan", dict(a=-1.0, b=1.0, c=0.0)),
]


@pytest.mark.parametrize("logit_shape", [(8, 1), (2, 1, 3, 3)], ids=["(N,1)", "patch"])
@pytest.mark.parametrize("player", ["D", "G"])
@pytest.mark.parametrize("name, options", LOSS_CASES,
                         ids=[name + "".join(f"-{k}={v}" for k, v in o.items()) for name, o in LOSS_CASES])
def test_gan_loss(name, options, player, logit_shape, rng):
    """Value and gradients w.r.t. D's outputs on real and fake samples (None where a loss ignores them)."""
    loss = get_loss(name, **options)
    which = 0 if player == "D" else 1
    if player == "D":
        mine_fn = loss.d_loss
    else:  # the training loop's call: D's outputs on real samples only for the losses that need them
        def mine_fn(real, fake):
            return loss.g_loss(fake, real if loss.g_needs_real else None)
    # Logits up to about +-15: a confident D, where a naive log(1 - sigmoid) would lose most digits.
    logits = [5.0 * rng.standard_normal(logit_shape) for _ in ("real", "fake")]
    check_against_torch(mine_fn, lambda real, fake: TORCH_GAN_LOSSES[name](real, fake, **options)[which], logits, rng)


def _mlp_critic(lib):
    return lib.Sequential(lib.Linear(3, 16), lib.Tanh(), lib.Linear(16, 16), lib.LeakyReLU(0.2), lib.Linear(16, 1))


def _conv_critic(lib):
    return lib.Sequential(lib.Conv2d(2, 4, 3, stride=2, padding=1), lib.Tanh(), lib.Conv2d(4, 4, 3, padding=1),
                          lib.LeakyReLU(0.2), lib.Flatten(), lib.Linear(4 * 3 * 3, 1))


# critic builder, sample shape
CRITICS = {"mlp": (_mlp_critic, (6, 3)), "conv": (_conv_critic, (6, 2, 5, 5))}
OUTPUT_GAIN = 14.0  # on the last layer's weight: brings the critics' gradient norms from ~0.1 to around 1


def _torch_input_gradients(critic, x):
    """grad_x sum(critic(x)), recorded (create_graph) so that the penalty can be differentiated again."""
    x = x.detach().requires_grad_()
    (gradients,) = torch.autograd.grad(critic(x).sum(), x, create_graph=True)
    return gradients.flatten(1)


EPS_SEED = 7  # WGAN-GP's interpolation weights: minigan draws them from the generator it is given


def _torch_gradient_penalty(critic, real, fake, one_sided):
    """Gulrajani et al. 2017: E[(||grad D(x_hat)|| - 1)^2] on x_hat = eps x + (1 - eps) G(z).

    eps is minigan's draw: one uniform number per sample from ``default_rng(EPS_SEED).random``.
    (minigan takes the norm as sqrt(sum g^2 + 1e-12), against a 0 / 0 at a zero gradient; at norms
    near 1 that changes the result by about 5e-13, far inside the tolerance.)
    """
    per_sample = (real.shape[0],) + (1,) * (real.ndim - 1)
    eps = torch.from_numpy(np.random.default_rng(EPS_SEED).random(per_sample))
    norms = _torch_input_gradients(critic, eps * real + (1 - eps) * fake).norm(2, dim=1)
    excess = TF.relu(norms - 1) if one_sided else norms - 1
    return (excess ** 2).mean(), norms


def _torch_zero_centered_penalty(critic, x):
    """Mescheder et al. 2018: E[||grad D(x)||^2] (R1 on real samples, R2 on fakes)."""
    squared = (_torch_input_gradients(critic, x) ** 2).sum(dim=1)
    return squared.mean(), squared.sqrt()


def _minigan_gradient_penalty(critic, real, fake, one_sided):
    return gradient_penalty(critic, real, fake, one_sided=one_sided, generator=np.random.default_rng(EPS_SEED),
                            return_norms=True)


# name -> (minigan, torch): functions of (critic, real, fake) that return (penalty, per-sample gradient norms).
PENALTIES = {
    "wgan-gp": (lambda D, r, f: _minigan_gradient_penalty(D, r, f, one_sided=False),
                lambda D, r, f: _torch_gradient_penalty(D, r, f, one_sided=False)),
    "wgan-gp-one-sided": (lambda D, r, f: _minigan_gradient_penalty(D, r, f, one_sided=True),
                          lambda D, r, f: _torch_gradient_penalty(D, r, f, one_sided=True)),
    "r1": (lambda D, r, f: r1_penalty(D, r, return_norms=True), lambda D, r, f: _torch_zero_centered_penalty(D, r)),
    "r2": (lambda D, r, f: r2_penalty(D, f, return_norms=True), lambda D, r, f: _torch_zero_centered_penalty(D, f)),
}


@pytest.mark.parametrize("penalty", PENALTIES)
@pytest.mark.parametrize("critic", CRITICS)
def test_gradient_penalty(critic, penalty, rng):
    """The penalty, the per-sample gradient norms, and the penalty's gradient w.r.t. every critic weight."""
    build, shape = CRITICS[critic]
    mg.manual_seed(0)
    mine = build(nn).double()
    mine[-1].weight.data *= OUTPUT_GAIN
    theirs = build(torch.nn).double()
    copy_weights(mine, theirs)
    real, fake = rng.standard_normal(shape), rng.standard_normal(shape) + 0.5
    mine_fn, torch_fn = PENALTIES[penalty]

    mine_penalty, mine_norms = mine_fn(mine, mg.tensor(real), mg.tensor(fake))
    theirs_penalty, theirs_norms = torch_fn(theirs, torch.from_numpy(real), torch.from_numpy(fake))
    assert_close(mine_norms, theirs_norms, "per-sample gradient norms")
    if penalty == "wgan-gp-one-sided":  # only norms above 1 count: make sure there are some, and some below
        assert (theirs_norms > 1).any() and (theirs_norms < 1).any(), f"norms {theirs_norms} do not straddle 1"
    assert_close(mine_penalty, theirs_penalty, "penalty")

    mine_penalty.backward()
    theirs_penalty.backward()
    # The bias before the leaky ReLU moves only the activation's kink, so its penalty gradient is 0:
    # None in minigan, zeros in torch (see assert_same_gradient).
    assert_same_parameter_gradients(mine, theirs, none_is_zero=True)


# =============================================================================== 4. optimizers, schedules, clipping
OPTIMIZER_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9)),
    ("SGD", dict(lr=0.05, momentum=0.5, dampening=0.3, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.999))),
    ("Adam", dict(lr=0.05, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.05, betas=(0.5, 0.99), eps=1e-6, weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, weight_decay=0.1, decoupled_weight_decay=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, betas=(0.5, 0.999), weight_decay=0.5)),
    ("AdamW", dict(lr=0.05, eps=1e-6, weight_decay=0.2, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=5e-3, alpha=0.9, weight_decay=0.1)),
    ("RMSprop", dict(lr=5e-3, momentum=0.9)),
    ("RMSprop", dict(lr=5e-3, centered=True)),
    ("RMSprop", dict(lr=5e-3, alpha=0.8, eps=1e-4, momentum=0.5, centered=True, weight_decay=0.05)),
]


def _fit_loss(weight, bias, x, y):
    """A least-squares fit plus a quartic term, so that the curvature changes as the weights move.

    Written once for both libraries: minigan Tensors and torch tensors share these operators.
    """
    residual = x @ weight + bias - y
    return (residual * residual).mean() + 0.1 * (weight * weight * weight * weight).sum()


@pytest.mark.parametrize("name, hyper", OPTIMIZER_CASES,
                         ids=[name + "".join(f"-{k}={v}" for k, v in h.items()) for name, h in OPTIMIZER_CASES])
def test_optimizer(name, hyper, rng):
    """Ten steps on the same loss: the loss before every step and the parameters after every step."""
    x, y = rng.standard_normal((8, 3)), rng.standard_normal((8, 2))
    starts = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    mine_params = [nn.Parameter(a.copy()) for a in starts]
    theirs_params = [torch.nn.Parameter(torch.tensor(a)) for a in starts]
    mine_opt = getattr(optim, name)(mine_params, **hyper)
    theirs_opt = getattr(torch.optim, name)(theirs_params, **hyper)
    for step in range(10):
        mine_opt.zero_grad()
        theirs_opt.zero_grad()
        mine_loss = _fit_loss(*mine_params, mg.tensor(x), mg.tensor(y))
        theirs_loss = _fit_loss(*theirs_params, torch.from_numpy(x), torch.from_numpy(y))
        assert_close(mine_loss, theirs_loss, f"loss before step {step + 1}")
        mine_loss.backward()
        theirs_loss.backward()
        mine_opt.step()
        theirs_opt.step()
        for i, (mine, theirs) in enumerate(zip(mine_params, theirs_params)):
            assert_close(mine, theirs, f"parameter {i} after step {step + 1}")


SCHEDULER_CASES = {
    "StepLR": dict(step_size=4, gamma=0.5),
    "LinearLR-warmup": dict(),
    "LinearLR-decay": dict(start_factor=1.0, end_factor=0.0, total_iters=17),
    "CosineAnnealingLR": dict(T_max=8, eta_min=0.001),  # 30 steps: past T_max the rate climbs again, in both
    "LambdaLR": dict(lr_lambda=lambda t: 1.0 / (1.0 + 0.3 * t)),
}


@pytest.mark.parametrize("case", SCHEDULER_CASES)
def test_lr_scheduler(case):
    """30 steps of each schedule on two parameter groups: the rates set at every step, then a resume.

    PyTorch computes most rates recursively from the previous one, minigan from the closed form:
    the same numbers up to rounding (rtol 1e-12).
    """
    name, kwargs = case.split("-")[0], SCHEDULER_CASES[case]
    groups = [(0.1, (2,)), (0.03, (3,))]
    mine_opt = optim.SGD([{"params": [nn.Parameter(mg.zeros(*shape))], "lr": lr} for lr, shape in groups], lr=1.0)
    theirs_opt = torch.optim.SGD([{"params": [torch.nn.Parameter(torch.zeros(shape))], "lr": lr}
                                  for lr, shape in groups], lr=1.0)
    mine = getattr(optim.lr_scheduler, name)(mine_opt, **kwargs)
    theirs = getattr(torch.optim.lr_scheduler, name)(theirs_opt, **kwargs)
    for step in range(30):
        assert mine.last_epoch == theirs.last_epoch == step
        np.testing.assert_allclose(mine.get_last_lr(), theirs.get_last_lr(), rtol=1e-12, atol=0,
                                   err_msg=f"rates at step {step}")
        mine_opt.step()
        theirs_opt.step()
        mine.step()
        theirs.step()
    assert [g["initial_lr"] for g in mine_opt.param_groups] == [g["initial_lr"] for g in theirs_opt.param_groups]


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
@pytest.mark.parametrize("max_norm", [0.5, 100.0], ids=["clipped", "unclipped"])
def test_clip_grad_norm(max_norm, norm_type, rng):
    """The returned total norm and the clipped gradients, float32 as in training."""
    arrays = [rng.standard_normal(shape).astype(np.float32) for shape in ((3, 4), (4,), (2, 2, 3))]
    mine = [nn.Parameter(mg.zeros(*a.shape)) for a in arrays]
    theirs = [torch.nn.Parameter(torch.zeros(a.shape)) for a in arrays]
    for m, t, a in zip(mine, theirs, arrays):
        m.grad, t.grad = mg.tensor(a), torch.from_numpy(a.copy())
    assert_close(nn.utils.clip_grad_norm_(mine, max_norm, norm_type),
                 torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type), "total norm")
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert_close(m.grad, t.grad, f"clipped gradient {i}")


def test_clip_grad_value(rng):
    arrays = [rng.standard_normal(shape) for shape in ((3, 4), (5,))]
    mine = [nn.Parameter(mg.zeros(*a.shape, dtype=np.float64)) for a in arrays]
    theirs = [torch.nn.Parameter(torch.zeros(a.shape, dtype=torch.float64)) for a in arrays]
    for m, t, a in zip(mine, theirs, arrays):
        m.grad, t.grad = mg.tensor(a), torch.from_numpy(a.copy())
    nn.utils.clip_grad_value_(mine, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for i, (m, t) in enumerate(zip(mine, theirs)):
        assert_close(m.grad, t.grad, f"clipped gradient {i}")


# =============================================================================== 5. DCGAN training
LATENT_DIM, WIDTH, BATCH, STEPS = 16, 8, 8, 10


def _torch_dcgan_generator(latent_dim, width, channels=1):
    """``models.DCGANGenerator`` in torch, with its attribute names (so the state_dicts match)."""
    tnn = torch.nn
    return tnn.Sequential(OrderedDict(
        fc=tnn.Linear(latent_dim, 2 * width * 7 * 7), bn0=tnn.BatchNorm1d(2 * width * 7 * 7), relu0=tnn.ReLU(),
        unflatten=tnn.Unflatten(1, (2 * width, 7, 7)),
        deconv1=tnn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1), bn1=tnn.BatchNorm2d(width),
        relu1=tnn.ReLU(),
        deconv2=tnn.ConvTranspose2d(width, channels, 4, stride=2, padding=1), tanh=tnn.Tanh(),
    ))


def _torch_dcgan_discriminator(width, channels=1):
    """``models.DCGANDiscriminator`` (norm="batch") in torch, with its attribute names."""
    tnn = torch.nn
    return tnn.Sequential(OrderedDict(
        conv1=tnn.Conv2d(channels, width, 4, stride=2, padding=1), act1=tnn.LeakyReLU(0.2),
        conv2=tnn.Conv2d(width, 2 * width, 4, stride=2, padding=1), bn2=tnn.BatchNorm2d(2 * width),
        act2=tnn.LeakyReLU(0.2), flatten=tnn.Flatten(), fc=tnn.Linear(2 * width * 7 * 7, 1),
    ))


def _torch_dcgan_step(G, D, g_opt, d_opt, real, z):
    """One step of PyTorch's DCGAN example (non-saturating loss): D on real + detached fake, then G."""
    fake = G(z)
    real_logits, fake_logits = D(real), D(fake.detach())
    d_loss = _bce(real_logits, 1.0) + _bce(fake_logits, 0.0)
    d_opt.zero_grad()
    d_loss.backward()
    d_opt.step()
    g_loss = _bce(D(fake), 1.0)  # the updated D judges the same fakes
    g_opt.zero_grad()
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def test_dcgan_training_steps(rng):
    """Ten steps of ``GANTrainer`` ("ns" loss, Adam(2e-4, (0.5, 0.999))) against the same steps in torch.

    minigan's side is the training loop the command line and the tutorials use; it draws z itself,
    so it is handed the same NumPy latents as torch. Compared: both losses at every step, then every
    weight and running statistic of G and D.

    Tolerance. Both losses agree to ~1e-16 at every step, and every weight and running statistic
    ends within ~1e-12 relative of torch's, except three biases: those of fc and deconv1 in G and
    of conv2 in D, each right before a batch norm, which subtracts them again. Their exact gradient
    is 0; what each library computes is rounding noise (~1e-14), and Adam, which divides by
    sqrt(second moment) + eps, turns it into steps of up to lr * 1e-14 / (1e-14 + eps) ~ 2e-10. So
    after ten steps these biases are meaningless numbers of ~1e-10 that differ between the two
    libraries (by up to 6e-10 here), and the following batch norm's running mean inherits the
    difference. Hence rtol=1e-8 (room for another BLAS or thread count) with an absolute floor of
    1e-8 -- weights are ~1e-2 to 1, so a real difference (a misplaced eps, a wrong bias
    correction, one running-statistics update too many) still fails by orders of magnitude.
    """
    tolerance = dict(rtol=1e-8, atol=1e-8)
    mg.manual_seed(0)
    G = models.DCGANGenerator(latent_dim=LATENT_DIM, width=WIDTH).double()
    D = models.DCGANDiscriminator(width=WIDTH).double()
    G_torch, D_torch = _torch_dcgan_generator(LATENT_DIM, WIDTH).double(), _torch_dcgan_discriminator(WIDTH).double()
    copy_weights(G, G_torch)
    copy_weights(D, D_torch)
    adam = dict(lr=2e-4, betas=(0.5, 0.999))
    trainer = GANTrainer(G, D, optim.Adam(G.parameters(), **adam), optim.Adam(D.parameters(), **adam), loss="ns")
    g_opt_torch, d_opt_torch = torch.optim.Adam(G_torch.parameters(), **adam), torch.optim.Adam(D_torch.parameters(), **adam)

    real = rng.uniform(-1.0, 1.0, (BATCH, 1, 28, 28))  # a fixed "real" batch in tanh's range
    latents = rng.standard_normal((STEPS, BATCH, LATENT_DIM))
    for step, z in enumerate(latents, start=1):
        trainer.sample_latent = lambda n, generator=None, z=z: mg.tensor(z)
        stats = trainer.step(mg.tensor(real))
        d_loss, g_loss = _torch_dcgan_step(G_torch, D_torch, g_opt_torch, d_opt_torch,
                                           torch.from_numpy(real), torch.from_numpy(z))
        assert_close(stats["d_loss"], d_loss, f"D loss at step {step}", **tolerance)
        assert_close(stats["g_loss"], g_loss, f"G loss at step {step}", **tolerance)
    assert_same_state(G, G_torch, **tolerance)
    assert_same_state(D, D_torch, **tolerance)
