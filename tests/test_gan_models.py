"""GAN models: the reference DCGAN sizes, critic and conditional variants, and clear errors."""
import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator, MLPDiscriminator, MLPGenerator


def test_dcgan_matches_the_reference_parameter_counts():
    # The PyTorch reference, benchmarks/torch_reference.py: G 778,305 and D 138,817 parameters.
    assert DCGANGenerator().num_parameters() == 778_305
    assert DCGANDiscriminator().num_parameters() == 138_817


# The state_dict keys of benchmarks/torch_reference.py's Generator and Discriminator (torch 2.13), and of
# that Discriminator with torch.nn.utils.spectral_norm on conv1, conv2, fc and bn2 = nn.Identity().
TORCH_GENERATOR_KEYS = [
    "fc.weight", "fc.bias", "bn0.weight", "bn0.bias", "bn0.running_mean", "bn0.running_var", "bn0.num_batches_tracked",
    "deconv1.weight", "deconv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
    "bn1.num_batches_tracked", "deconv2.weight", "deconv2.bias"]
TORCH_DISCRIMINATOR_KEYS = [
    "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "bn2.weight", "bn2.bias", "bn2.running_mean",
    "bn2.running_var", "bn2.num_batches_tracked", "fc.weight", "fc.bias"]
TORCH_SPECTRAL_DISCRIMINATOR_KEYS = [
    f"{layer}.{name}" for layer in ("conv1", "conv2", "fc") for name in ("bias", "weight_orig", "weight_u", "weight_v")]


def test_dcgan_state_dict_keys_are_the_pytorch_references():
    assert sorted(DCGANGenerator().state_dict()) == sorted(TORCH_GENERATOR_KEYS)
    assert sorted(DCGANDiscriminator().state_dict()) == sorted(TORCH_DISCRIMINATOR_KEYS)
    assert sorted(DCGANDiscriminator(norm="spectral").state_dict()) == sorted(TORCH_SPECTRAL_DISCRIMINATOR_KEYS)


@pytest.mark.parametrize("norm", ["batch", "spectral"])
def test_a_discriminator_saved_under_the_old_names_loads(norm):
    """Checkpoints written before the renaming: D's norm layer was `norm2`, spectral norm a wrapper module."""
    mg.manual_seed(0)
    saved = DCGANDiscriminator(width=4, norm=norm)
    saved(mg.randn(4, 1, 28, 28))  # running statistics, power iterations
    old_names = {"bn2.": "norm2.", ".weight_orig": ".module.weight", ".weight_u": ".u", ".weight_v": ".v"}
    old_state = {}
    for key, value in saved.state_dict().items():
        for new, old in old_names.items():
            key = key.replace(new, old)
        if norm == "spectral" and key.endswith(".bias"):
            key = key.replace(".bias", ".module.bias")
        old_state[key] = value
    # The keys minigan wrote before (checked against a checkpoint of that version).
    expected_old = (["norm2.weight", "norm2.bias", "conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias",
                     "fc.weight", "fc.bias", "norm2.running_mean", "norm2.running_var", "norm2.num_batches_tracked"]
                    if norm == "batch" else
                    [f"{layer}.module.{name}" for layer in ("conv1", "conv2", "fc") for name in ("weight", "bias")]
                    + [f"{layer}.{name}" for layer in ("conv1", "conv2", "fc") for name in ("u", "v")])
    assert list(old_state) == expected_old
    mg.manual_seed(1)
    fresh = DCGANDiscriminator(width=4, norm=norm)
    fresh.load_state_dict(old_state)
    x = mg.randn(3, 1, 28, 28)
    saved.eval(), fresh.eval()
    np.testing.assert_array_equal(fresh(x).numpy(), saved(x).numpy())


def test_dcgan_shapes_and_output_range():
    mg.manual_seed(0)
    g, d = DCGANGenerator(latent_dim=16, width=8), DCGANDiscriminator(width=8)
    images = g(mg.randn(3, 16))
    assert images.shape == (3, 1, 28, 28)
    assert np.abs(images.numpy()).max() <= 1.0
    assert d(images).shape == (3, 1)


def test_dcgan_init_statistics():
    mg.manual_seed(0)
    g = DCGANGenerator()
    assert abs(g.fc.weight.numpy().std() - 0.02) < 1e-3
    assert abs(g.bn0.weight.numpy().mean() - 1.0) < 1e-3 and abs(g.bn0.weight.numpy().std() - 0.02) < 2e-3
    assert not g.fc.bias.numpy().any()


@pytest.mark.parametrize("norm", ["none", "layer", "spectral"])
def test_critic_variants_have_no_batch_norm(norm):
    d = DCGANDiscriminator(width=8, norm=norm)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in d.modules())
    assert any(hasattr(m, "weight_orig") for m in d.modules()) == (norm == "spectral")
    x = mg.randn(2, 1, 28, 28)
    d.eval()  # (spectral norm runs a power iteration per training forward, changing the weights)
    # With no batch norm each sample's score depends on that sample alone.
    np.testing.assert_allclose(d(x)[:1].numpy(), d(x[:1]).numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("conditioning", ["projection", "concat"])
def test_conditional_models(conditioning):
    mg.manual_seed(1)
    g = DCGANGenerator(latent_dim=8, width=8, num_classes=10)
    d = DCGANDiscriminator(width=8, num_classes=10, conditioning=conditioning)
    z, labels = mg.randn(4, 8), mg.tensor([0, 3, 3, 9])
    images = g(z, labels)
    assert images.shape == (4, 1, 28, 28)
    scores = d(images, labels)
    assert scores.shape == (4, 1)
    # The label matters: the same images scored as other classes get other scores.
    assert not np.allclose(scores.numpy(), d(images, mg.tensor([1, 1, 1, 1])).numpy())
    # Gradients reach the class embedding.
    d(images, labels).sum().backward()
    embedding = d.embed if conditioning == "projection" else d.conv1
    assert any(p.grad is not None and np.abs(p.grad.numpy()).sum() > 0 for p in embedding.parameters())


@pytest.mark.parametrize("norm", ["batch", "spectral"])
def test_projection_term_starts_on_the_scale_of_the_unconditional_logit(norm):
    # The class term <embed(y), h(x)> must not drown w^T h(x) at init (with N(0, 1) embeddings it was ~50x).
    mg.manual_seed(0)
    d = DCGANDiscriminator(width=32, norm=norm, num_classes=10)
    x, labels = mg.randn(64, 1, 28, 28), mg.tensor(np.arange(64) % 10)
    d.num_classes = 0
    unconditional = d(x).numpy()
    d.num_classes = 10
    class_term = d(x, labels).numpy() - unconditional
    assert np.abs(class_term).std() < 3 * np.abs(unconditional).std() + 1e-3


def test_conditional_models_need_labels():
    with pytest.raises(ValueError, match="conditional; call it as G\\(z, labels\\)"):
        DCGANGenerator(latent_dim=4, width=4, num_classes=10)(mg.randn(2, 4))
    with pytest.raises(ValueError, match="conditional; call it as D\\(x, labels\\)"):
        DCGANDiscriminator(width=4, num_classes=10)(mg.randn(2, 1, 28, 28))
    with pytest.raises(ValueError, match="norm must be"):
        DCGANDiscriminator(norm="group")


def test_mlp_models():
    g, d = MLPGenerator(latent_dim=3, data_dim=2, hidden=16), MLPDiscriminator(data_dim=2, hidden=16, norm="spectral")
    assert d(g(mg.randn(5, 3))).shape == (5, 1)


def test_spectral_norm_is_fitted_to_the_dcgan_initialised_weights():
    mg.manual_seed(0)
    d = DCGANDiscriminator(width=8, norm="spectral")
    for layer in (d.conv1, d.conv2, d.fc):
        weight = layer.weight_orig.numpy()
        largest = np.linalg.svd(weight.reshape(weight.shape[0], -1), compute_uv=False)[0]
        assert abs(weight.std() - 0.02) < 0.005  # DCGAN init, not the layer default
        assert abs(nn.spectral_norm_sigma(layer) - largest) < 0.05 * largest
