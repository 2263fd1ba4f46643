"""minigan.gan.sample: eval mode, no graph, NumPy out, batch-size independent, mode restored."""
import numpy as np
import pytest

import minigan
from minigan.gan import DCGANGenerator, MLPGenerator, sample
from minigan.viz import smooth


def _by_hand(G, z, labels=None):
    G.eval()
    with minigan.no_grad():
        zt = minigan.tensor(z)
        out = (G(zt) if labels is None else G(zt, minigan.tensor(labels))).numpy().copy()
    G.train()
    return out


def test_sample_matches_a_hand_written_eval_forward_and_restores_train_mode():
    minigan.manual_seed(0)
    G = DCGANGenerator(latent_dim=8, width=4)
    z = np.random.default_rng(0).standard_normal((7, 8)).astype(np.float32)
    images = sample(G, z, batch_size=3)
    assert isinstance(images, np.ndarray) and images.shape == (7, 1, 28, 28) and images.dtype == np.float32
    assert G.training
    np.testing.assert_allclose(images, _by_hand(G, z), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(sample(G, minigan.tensor(z), batch_size=500), images, rtol=1e-6, atol=1e-6)


def test_sample_keeps_eval_mode_and_draws_z_from_a_seed():
    minigan.manual_seed(0)
    G = MLPGenerator(latent_dim=3, data_dim=2)
    G.eval()
    out, z = sample(G, 5, rng=4, return_latent=True)
    assert not G.training
    np.testing.assert_array_equal(z, np.random.default_rng(4).standard_normal((5, 3)).astype(np.float32))
    np.testing.assert_array_equal(sample(G, 5, rng=np.random.default_rng(4)), out)
    assert out.shape == (5, 2)


def test_sample_conditional_and_no_graph():
    minigan.manual_seed(1)
    G = DCGANGenerator(latent_dim=6, width=4, num_classes=10)
    z = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32)
    labels = np.array([0, 3, 3, 9])
    np.testing.assert_allclose(sample(G, z, labels, batch_size=2), _by_hand(G, z, labels), rtol=1e-6, atol=1e-6)
    assert all(p.grad is None for p in G.parameters())
    with pytest.raises(ValueError):
        sample(G, z, labels[:3])
    with pytest.raises(ValueError):
        sample(G, z, rng=0)


def test_sample_restores_mode_when_the_generator_fails():
    minigan.manual_seed(0)
    G = DCGANGenerator(latent_dim=6, width=4, num_classes=10)
    with pytest.raises(ValueError):
        sample(G, 2)                       # a conditional generator called without labels
    assert G.training


def test_smooth_clips_the_window():
    means, w = smooth([1, 2, 3, 4], 2)
    assert w == 2 and np.allclose(means, [1.5, 2.5, 3.5])
    means, w = smooth([1, 2, 3], 50)
    assert w == 3 and np.allclose(means, [2.0])
    means, w = smooth([5.0], 0)
    assert w == 1 and np.allclose(means, [5.0])
