"""GANTrainer: what one step updates, n_critic, weight clipping, EMA, penalties, exact resume."""
import math

import numpy as np
import pytest

import minigan as mg
from minigan import optim
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator
from minigan.gan.penalties import r1_penalty
from minigan.gan.training import GANTrainer


def _toy_trainer(loss="ns", seed=0, **options):
    mg.manual_seed(seed)
    g = MLPGenerator(latent_dim=2, data_dim=2, hidden=8)
    d = MLPDiscriminator(data_dim=2, hidden=8)
    return GANTrainer(g, d, optim.Adam(g.parameters(), lr=1e-3, betas=(0.5, 0.999)),
                      optim.Adam(d.parameters(), lr=1e-3, betas=(0.5, 0.999)), loss=loss, **options)


def _copies(module):
    return [p.numpy().copy() for p in module.parameters()]


def _changed(before, module):
    return [not np.array_equal(b, p.numpy()) for b, p in zip(before, module.parameters())]


def _real(seed=0, n=16):
    return mg.tensor(np.random.default_rng(seed).standard_normal((n, 2)).astype(np.float32))


def test_one_step_updates_both_players_and_reports_numbers():
    trainer = _toy_trainer()
    g_before, d_before = _copies(trainer.generator), _copies(trainer.discriminator)
    stats = trainer.step(_real())
    assert all(_changed(g_before, trainer.generator)) and all(_changed(d_before, trainer.discriminator))
    assert set(stats) == {"d_loss", "g_loss", "d_real", "d_fake", "penalty", "d_grad_norm", "g_grad_norm"}  # a G step
    assert all(math.isfinite(v) for v in stats.values())
    assert all(p.requires_grad for p in trainer.discriminator.parameters())  # D unfrozen after the G step


def test_the_g_step_computes_no_gradient_for_d():
    trainer = _toy_trainer()
    trainer.step(_real())
    # D's gradients are those of the D step (zeroed before the G step would show up as None or changed).
    d_grads = [p.grad.numpy().copy() for p in trainer.discriminator.parameters()]
    trainer.d_optimizer.zero_grad()
    trainer._generator_step(trainer.discriminator, _real(), trainer.generator(trainer.sample_latent(16)))
    assert all(p.grad is None for p in trainer.discriminator.parameters())
    assert len(d_grads) == 6


def test_n_critic_steps_g_only_every_nth_call():
    trainer = _toy_trainer(loss="wgan-gp", n_critic=3)
    g_before = _copies(trainer.generator)
    for call in range(1, 4):
        stats = trainer.step(_real(call))
        assert stats["penalty"] > 0
        assert ("g_loss" in stats) == (call == 3)
        assert any(_changed(g_before, trainer.generator)) == (call == 3)


def test_wgan_clips_the_critic_weights():
    trainer = _toy_trainer(loss="wgan", clip_value=0.05)
    trainer.step(_real())
    assert max(np.abs(p.numpy()).max() for p in trainer.discriminator.parameters()) <= 0.05


def test_ema_follows_the_formula_with_warm_up():
    trainer = _toy_trainer(ema_decay=0.9)
    for step in range(1, 86):
        ema_before = _copies(trainer.ema_generator)
        trainer.step(_real(step))
        decay = min(0.9, (1 + step) / (10 + step))  # 2/11 after the first G step, 0.9 from step 80 on
        for before, ema, p in zip(ema_before, trainer.ema_generator.parameters(), trainer.generator.parameters()):
            np.testing.assert_allclose(ema.numpy(), decay * before + (1 - decay) * p.numpy(), rtol=1e-5, atol=1e-7)


def test_r1_penalty_is_added():
    stats = _toy_trainer(r1_gamma=10.0).step(_real())
    assert stats["penalty"] > 0


def test_lazy_r1_applies_on_every_kth_step_weighted_by_k():
    lazy = _toy_trainer(r1_gamma=10.0, r1_every=3)
    penalties = [lazy.step(_real(seed))["penalty"] for seed in range(6)]
    assert [p > 0 for p in penalties] == [False, False, True, False, False, True]  # steps 3 and 6
    probe = _toy_trainer(r1_gamma=10.0, r1_every=3)
    probe.iteration = 2  # the next step is the third: R1 applies, weighted 3
    expected = 3 * 10.0 / 2 * r1_penalty(probe.discriminator, _real(0)).item()
    assert probe.step(_real(0))["penalty"] == pytest.approx(expected, rel=1e-6)
    with pytest.raises(ValueError, match="r1_every must be a positive integer, got 0"):
        _toy_trainer(r1_every=0)


def test_one_sided_gradient_penalty_ignores_a_critic_flatter_than_one():
    def flat_critic_trainer(**options):
        trainer = _toy_trainer(loss="wgan-gp", **options)
        for p in trainer.discriminator.parameters():
            p.data *= 1e-3          # input gradients of norm << 1 everywhere
        return trainer

    two_sided = flat_critic_trainer().step(_real())["penalty"]
    one_sided = flat_critic_trainer(gp_one_sided=True).step(_real())["penalty"]
    assert two_sided == pytest.approx(10.0, rel=1e-3) and one_sided == 0.0


def test_resume_continues_bit_identically():
    trainer = _toy_trainer(loss="wgan-gp", n_critic=2, ema_decay=0.99, seed=3)
    for i in range(3):
        trainer.step(_real(i))
    saved, rng_state = trainer.state_dict(), mg.get_rng_state()
    for i in range(3, 6):
        trainer.step(_real(i))

    resumed = _toy_trainer(loss="wgan-gp", n_critic=2, ema_decay=0.99, seed=99)
    resumed.load_state_dict(saved)
    mg.set_rng_state(rng_state)
    for i in range(3, 6):
        resumed.step(_real(i))
    for a, b in zip(trainer.state_dict()["generator"].values(), resumed.state_dict()["generator"].values()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(trainer.ema_generator.parameters(), resumed.ema_generator.parameters()):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_conditional_dcgan_step():
    mg.manual_seed(0)
    g = DCGANGenerator(latent_dim=8, width=4, num_classes=10)
    d = DCGANDiscriminator(width=4, num_classes=10)
    trainer = GANTrainer(g, d, optim.Adam(g.parameters(), lr=2e-4), optim.Adam(d.parameters(), lr=2e-4),
                         conditional=True)
    stats = trainer.step(mg.randn(4, 1, 28, 28).tanh(), mg.tensor([1, 2, 3, 4]))
    assert math.isfinite(stats["g_loss"])
    with pytest.raises(ValueError, match="pass the labels"):
        trainer.step(mg.randn(4, 1, 28, 28))


def test_bad_arguments():
    with pytest.raises(ValueError, match="n_critic must be at least 1"):
        _toy_trainer(n_critic=0)
    with pytest.raises(ValueError, match="unknown GAN loss 'nope'"):
        _toy_trainer(loss="nope")


def _counting_steps(optimizer):
    """Count the calls of ``optimizer.step`` in ``optimizer.calls``."""
    optimizer.calls, step = 0, optimizer.step

    def counted():
        optimizer.calls += 1
        step()
    optimizer.step = counted
    return optimizer


@pytest.mark.parametrize("loss", ["ns", "wgan-gp", "ragan"])
def test_d_step_and_g_step_update_one_player_once_and_leave_the_step_count(loss):
    trainer = _toy_trainer(loss=loss)
    _counting_steps(trainer.d_optimizer), _counting_steps(trainer.g_optimizer)
    g_before, d_before = _copies(trainer.generator), _copies(trainer.discriminator)
    stats = trainer.d_step(_real())
    assert set(stats) == {"d_loss", "d_real", "d_fake", "penalty", "d_grad_norm"}
    assert (trainer.d_optimizer.calls, trainer.g_optimizer.calls) == (1, 0)
    # any, not all: a Wasserstein or relativistic D loss gives the last bias no gradient (it cancels out)
    assert any(_changed(d_before, trainer.discriminator)) and not any(_changed(g_before, trainer.generator))

    d_before = _copies(trainer.discriminator)
    stats = trainer.g_step(_real(1))
    assert set(stats) == {"g_loss", "g_grad_norm"}
    assert (trainer.d_optimizer.calls, trainer.g_optimizer.calls) == (1, 1)
    assert any(_changed(g_before, trainer.generator)) and not any(_changed(d_before, trainer.discriminator))
    assert trainer.iteration == 0 and all(p.requires_grad for p in trainer.discriminator.parameters())


def test_a_step_is_a_d_step_then_a_g_step_on_the_same_fake_batch():
    # By hand: draw z as step does, then d_step and g_step with that batch; the numbers must be step's, bit for bit.
    stepped, by_hand = _toy_trainer(loss="wgan-gp", seed=5), _toy_trainer(loss="wgan-gp", seed=5)
    mg.manual_seed(11)
    stats = stepped.step(_real())
    mg.manual_seed(11)
    fake = by_hand.generator(by_hand.sample_latent(16))
    by_hand_stats = {**by_hand.d_step(_real(), fake=fake), **by_hand.g_step(_real(), fake=fake)}
    assert stats == by_hand_stats
    for a, b in zip(_copies(stepped.generator) + _copies(stepped.discriminator),
                    _copies(by_hand.generator) + _copies(by_hand.discriminator)):
        np.testing.assert_array_equal(a, b)


def test_d_step_and_g_step_of_a_conditional_trainer_need_labels():
    mg.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=8, width=4, num_classes=10), DCGANDiscriminator(width=4, num_classes=10)
    trainer = GANTrainer(g, d, optim.Adam(g.parameters()), optim.Adam(d.parameters()), conditional=True)
    for method in (trainer.d_step, trainer.g_step):
        with pytest.raises(ValueError, match=f"GANTrainer.{method.__name__}: this trainer is conditional"):
            method(mg.randn(4, 1, 28, 28))


def test_clip_grad_norm_caps_both_networks_gradients_before_their_steps():
    mg.manual_seed(0)
    G, D = MLPGenerator(latent_dim=2, data_dim=2, hidden=16), MLPDiscriminator(data_dim=2, hidden=16)
    trainer = GANTrainer(G, D, optim.SGD(G.parameters(), lr=0.1), optim.SGD(D.parameters(), lr=0.1),
                         clip_grad_norm=1e-3)
    before = [p.numpy().copy() for p in D.parameters()]
    stats = trainer.step(mg.randn(32, 2) * 3)
    clipped = np.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in D.parameters()))
    assert stats["d_grad_norm"] > 1e-2 and clipped == pytest.approx(1e-3, rel=1e-3)  # logged: before clipping
    step = np.sqrt(sum(((p.numpy() - b) ** 2).sum() for p, b in zip(D.parameters(), before)))
    assert step == pytest.approx(0.1 * 1e-3, rel=1e-2)  # SGD moved D by lr * the clipped norm
    g_clipped = np.sqrt(sum(float((p.grad.numpy().astype(np.float64) ** 2).sum()) for p in G.parameters()))
    assert g_clipped <= 1e-3 * (1 + 1e-3)
    with pytest.raises(ValueError, match="clip_grad_norm must be positive"):
        GANTrainer(G, D, optim.SGD(G.parameters(), lr=0.1), optim.SGD(D.parameters(), lr=0.1), clip_grad_norm=0)
