"""GAN blocks beyond DCGAN: the residual block, minibatch standard deviation, the PatchGAN discriminator, and the
L1, cycle-consistency and identity losses."""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import functional as F
from minigan import nn
from minigan.gan import (
    MinibatchStdDev, PatchGANDiscriminator, ResidualBlock, cycle_consistency_loss, gradient_penalty, identity_loss,
)
from minigan.gradcheck import gradcheck, gradgradcheck


def _rng(seed=0):
    return np.random.default_rng(seed)


def _x(shape, seed=0):
    return mg.tensor(_rng(seed).standard_normal(shape))


# --------------------------------------------------------------------- residual block
@pytest.mark.parametrize("resample, shape_in, shape_out", [(None, (2, 4, 6, 6), (2, 4, 6, 6)),
                                                           ("up", (2, 4, 3, 3), (2, 6, 6, 6)),
                                                           ("down", (2, 4, 6, 6), (2, 6, 3, 3))])
def test_residual_block_is_main_path_plus_shortcut(resample, shape_in, shape_out):
    mg.manual_seed(0)
    block = ResidualBlock(4, shape_out[1], resample=resample, norm="batch").double()
    x = _x(shape_in)
    out = block(x)
    assert out.shape == shape_out
    up = (lambda t: F.interpolate(t, scale_factor=2)) if resample == "up" else (lambda t: t)
    down = (lambda t: F.avg_pool2d(t, 2)) if resample == "down" else (lambda t: t)
    main = down(block.conv2(block.norm2(block.conv1(up(block.norm1(x).relu()))).relu()))
    shortcut = x if block.shortcut is None else down(block.shortcut(up(x)))  # conv1x1 at full resolution
    np.testing.assert_allclose(out.numpy(), (main + shortcut).numpy(), rtol=1e-10, atol=1e-12)
    assert (block.shortcut is None) == (resample is None and shape_in[1] == shape_out[1])


def test_discriminator_block_passes_a_gradient_penalty():
    """norm="none", leaky ReLU, spectral norm, no activation on the raw image: D's first block, second derivatives."""
    mg.manual_seed(0)
    block = ResidualBlock(1, 2, resample="down", negative_slope=0.2, spectral_norm=True, activate_input=False).double()
    block.eval()  # fixed spectral-norm vectors, so the block is one function of its input
    x = _rng(1).standard_normal((2, 1, 4, 4))
    assert gradgradcheck(lambda t: block(t).sum(axis=(1, 2, 3)), [x])
    np.testing.assert_allclose(block(mg.tensor(x)).numpy(),
                               (F.avg_pool2d(block.conv2(F.leaky_relu(block.conv1(mg.tensor(x)), 0.2)), 2)
                                + block.shortcut(F.avg_pool2d(mg.tensor(x), 2))).numpy(), rtol=1e-10)
    penalty = gradient_penalty(lambda t: block(t).mean(axis=(1, 2, 3)), mg.tensor(x), _x((2, 1, 4, 4), seed=2))
    penalty.backward()
    assert block.conv1.weight_orig.grad is not None and np.abs(block.conv1.weight_orig.grad.numpy()).sum() > 0


def test_residual_block_errors():
    with pytest.raises(ValueError, match=re.escape("ResidualBlock(4, 8, resample='up'): expected input (N, 4, H, W), "
                                                   "got shape (2, 3, 5, 5)")):
        ResidualBlock(4, 8, "up")(mg.zeros(2, 3, 5, 5))
    with pytest.raises(ValueError, match="resample must be one of .*got 'left'"):
        ResidualBlock(4, 8, "left")
    with pytest.raises(ValueError, match="norm must be one of .*got 'weight'"):
        ResidualBlock(4, 8, norm="weight")


# --------------------------------------------------------------------- minibatch standard deviation
def _minibatch_std_reference(x, group):
    n = x.shape[0]
    m = n // group
    extra = np.empty((n, 1) + x.shape[2:])
    for j in range(m):
        members = x[j::m]  # sample n is in group n mod m
        value = np.sqrt(members.var(axis=0) + 1e-8).mean()
        extra[j::m] = value
    return np.concatenate([x, extra], axis=1)


@pytest.mark.parametrize("n, group_size", [(8, 4), (6, 3), (4, None), (2, 4)])
def test_minibatch_stddev_matches_numpy(n, group_size):
    x = _rng().standard_normal((n, 3, 2, 2))
    group = n if group_size is None else min(group_size, n)
    np.testing.assert_allclose(MinibatchStdDev(group_size)(mg.tensor(x)).numpy(), _minibatch_std_reference(x, group),
                               rtol=1e-12)


def test_minibatch_stddev_sees_a_collapsed_batch_and_differentiates():
    varied = MinibatchStdDev(4)(mg.randn(8, 2, 3, 3)).numpy()[:, -1]
    collapsed = MinibatchStdDev(4)(mg.randn(1, 2, 3, 3).expand(8, 2, 3, 3)).numpy()[:, -1]
    assert varied.min() > 0.5 and collapsed.max() < 1e-3  # sqrt(1e-8) = 1e-4 when all samples agree
    x = _rng(1).standard_normal((4, 2, 2, 2))
    assert gradcheck(MinibatchStdDev(2), [x])
    assert gradgradcheck(MinibatchStdDev(2), [x])
    with pytest.raises(ValueError, match=re.escape("MinibatchStdDev(group_size=4): the batch of 6 samples "
                                                   "(input shape (6, 2, 2, 2)) cannot be split into groups of 4")):
        MinibatchStdDev(4)(mg.zeros(6, 2, 2, 2))


# --------------------------------------------------------------------- PatchGAN
@pytest.mark.parametrize("n_layers, map_size, field", [(1, 12, 16), (2, 5, 34)])
def test_patchgan_map_and_receptive_field(n_layers, map_size, field):
    mg.manual_seed(0)
    D = PatchGANDiscriminator(in_channels=2, width=4, n_layers=n_layers, norm="none").double()
    x = _x((1, 1, 28, 28))
    logits = D(x, condition=_x((1, 1, 28, 28), seed=1))
    assert logits.shape == (1, 1, map_size, map_size) and D.receptive_field == field
    if field < 28:  # the pixels one interior logit depends on: a field x field square
        x = mg.tensor(x.numpy(), requires_grad=True)
        D(x, condition=mg.zeros(1, 1, 28, 28, dtype=np.float64))[0, 0, 5, 5].backward()
        rows, cols = np.nonzero(np.abs(x.grad.numpy()[0, 0]) > 0)
        assert rows.max() - rows.min() + 1 == field and cols.max() - cols.min() + 1 == field


def test_patchgan_norms_and_errors():
    for norm in ("instance", "batch", "spectral"):
        assert PatchGANDiscriminator(width=4, norm=norm)(mg.randn(2, 1, 28, 28)).shape == (2, 1, 12, 12)
    names = [name for name, _ in PatchGANDiscriminator(width=4).named_parameters()]
    assert names == ["net.0.weight", "net.0.bias", "net.2.weight", "net.3.weight", "net.3.bias", "net.5.weight",
                     "net.5.bias"]  # the normalised conv has no bias: its norm's shift replaces it
    with pytest.raises(ValueError, match=re.escape("PatchGANDiscriminator(in_channels=2, n_layers=1, receptive_field=16): "
                                                   "expected input (N, 2, H, W), got shape (2, 1, 28, 28)")):
        PatchGANDiscriminator(in_channels=2)(mg.zeros(2, 1, 28, 28))
    with pytest.raises(ValueError, match="norm must be one of .*got 'layer'"):
        PatchGANDiscriminator(norm="layer")


# --------------------------------------------------------------------- L1, cycle and identity losses
def test_l1_loss_values_and_gradient():
    a, b = _rng().standard_normal((3, 4)), _rng(1).standard_normal((3, 4))
    assert F.l1_loss(mg.tensor(a), mg.tensor(b)).item() == pytest.approx(np.abs(a - b).mean())
    assert F.l1_loss(mg.tensor(a), mg.tensor(b), reduction="sum").item() == pytest.approx(np.abs(a - b).sum())
    np.testing.assert_allclose(F.l1_loss(mg.tensor(a), 0.5, reduction="none").numpy(), np.abs(a - 0.5))
    assert gradcheck(lambda p, t: F.l1_loss(p, t), [a, b])
    p = mg.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
    F.l1_loss(p, mg.tensor(np.array([0.0, 2.0, 5.0])), reduction="sum").backward()
    np.testing.assert_array_equal(p.grad.numpy(), [1, 0, -1])  # sign(x - y), 0 where they agree
    with pytest.raises(ValueError, match=r"l1_loss: input has shape \(3,\) but target has shape \(2,\)"):
        F.l1_loss(p, mg.zeros(2))


def test_cycle_and_identity_losses_are_the_papers_sums_of_l1():
    x, fgx, y, gfy = (_rng(s).standard_normal((2, 1, 4, 4)) for s in range(4))
    t = [mg.tensor(a) for a in (x, fgx, y, gfy)]
    assert cycle_consistency_loss(*t).item() == pytest.approx(np.abs(fgx - x).mean() + np.abs(gfy - y).mean())
    assert cycle_consistency_loss(t[0], t[1]).item() == pytest.approx(np.abs(fgx - x).mean())
    assert identity_loss(t[2], t[3], t[0], t[1]).item() == pytest.approx(np.abs(gfy - y).mean() + np.abs(fgx - x).mean())
    with pytest.raises(ValueError, match="cycle_consistency_loss: each image batch needs its result of the same shape"):
        cycle_consistency_loss(t[0], t[1], t[2])
    with pytest.raises(ValueError, match=r"identity_loss: .* got \(2, 1, 4, 4\) and \(2, 4\)"):
        identity_loss(t[0], mg.zeros(2, 4))
