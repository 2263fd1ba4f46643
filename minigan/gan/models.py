"""GAN models: small MLPs for toy data, the DCGAN pair for 28x28 images, and conditional variants.

**MLPs** (``MLPGenerator``, ``MLPDiscriminator``) are for the 1-D and 2-D toy distributions of the
tutorials, where a GAN trains in seconds and every sample can be plotted.

**DCGAN** (Radford et al. 2016), sized for 28x28 MNIST exactly as ``benchmarks/torch_reference.py``::

    G: z(100) -> Linear(100, 6272) -> BatchNorm1d -> ReLU -> reshape (128, 7, 7)
       -> ConvTranspose2d(128, 64, 4, 2, 1) -> BatchNorm2d -> ReLU
       -> ConvTranspose2d(64, 1, 4, 2, 1) -> Tanh                               778,305 parameters
    D: Conv2d(1, 64, 4, 2, 1) -> LeakyReLU(0.2)
       -> Conv2d(64, 128, 4, 2, 1) -> BatchNorm2d -> LeakyReLU(0.2)
       -> flatten -> Linear(6272, 1)                                           138,817 parameters

with the DCGAN init (weights N(0, 0.02), batch-norm weights N(1, 0.02), biases 0). ``width`` scales
the channel counts (64 above) and ``latent_dim`` the size of z. The layers carry the reference's
names (G: ``fc``, ``bn0``, ``deconv1``, ``bn1``, ``deconv2``; D: ``conv1``, ``conv2``, ``bn2``,
``fc``), so the ``state_dict`` keys are PyTorch's and weights move between the two libraries
(``minigan.save_weights``, ``python -m minigan.export``).

**Critics.** A gradient penalty treats every sample on its own, but batch norm mixes the samples of
a batch; so a WGAN-GP critic uses ``norm="none"``, ``"layer"`` or ``"spectral"`` instead of the
default ``"batch"``. ``"spectral"`` wraps every layer of D in spectral normalisation (Miyato et
al. 2018), the usual partner of the hinge loss.

**Conditional GANs** (Mirza & Osindero 2014) get a class label y too. The generator concatenates
a learned class embedding to z. The discriminator either concatenates one-hot label planes to the
image (``"concat"``) or uses the projection discriminator of Miyato & Koyama (2018):
D(x, y) = w^T h(x) + b + <embed(y), h(x)>, which scores how well the features h(x) match class y.
"""
from __future__ import annotations

from .. import nn
from ..autograd import Tensor, concatenate, leaky_relu
from ..nn.module import prefix_renames, rename_keys


def _normalized(layer, norm):
    """``layer``, wrapped in spectral normalisation when ``norm == "spectral"``."""
    return nn.spectral_norm(layer) if norm == "spectral" else layer


def _check_norm(norm):
    if norm not in ("batch", "layer", "spectral", "none"):
        raise ValueError(f"norm must be 'batch', 'layer', 'spectral' or 'none', got {norm!r}")


class MLPGenerator(nn.Module):
    """z (N, latent_dim) -> samples (N, data_dim) through ``depth`` hidden ReLU layers."""

    def __init__(self, latent_dim=2, data_dim=2, hidden=128, depth=2):
        super().__init__()
        layers, width = [], latent_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        self.latent_dim = latent_dim
        self.net = nn.Sequential(*layers, nn.Linear(width, data_dim))

    def forward(self, z):
        return self.net(z)


class MLPDiscriminator(nn.Module):
    """samples (N, data_dim) -> logits (N, 1) through ``depth`` hidden LeakyReLU(0.2) layers."""

    def __init__(self, data_dim=2, hidden=128, depth=2, norm="none"):
        super().__init__()
        if norm not in ("none", "spectral"):
            raise ValueError(f"MLPDiscriminator: norm must be 'none' or 'spectral', got {norm!r}")
        layers, width = [], data_dim
        for _ in range(depth):
            layers += [_normalized(nn.Linear(width, hidden), norm), nn.LeakyReLU(0.2)]
            width = hidden
        self.net = nn.Sequential(*layers, _normalized(nn.Linear(width, 1), norm))

    def forward(self, x):
        return self.net(x)


class DCGANGenerator(nn.Module):
    """z (N, latent_dim) -> images (N, channels, 28, 28) in [-1, 1] (see the module docstring)."""

    def __init__(self, latent_dim=100, width=64, channels=1, num_classes=0, embed_dim=10):
        super().__init__()
        self.latent_dim, self.num_classes = latent_dim, num_classes
        if num_classes:
            self.embed = nn.Embedding(num_classes, embed_dim)
        in_features = latent_dim + (embed_dim if num_classes else 0)
        self.fc = nn.Linear(in_features, 2 * width * 7 * 7)
        self.bn0 = nn.BatchNorm1d(2 * width * 7 * 7)
        self.unflatten = nn.Unflatten(1, (2 * width, 7, 7))
        self.deconv1 = nn.ConvTranspose2d(2 * width, width, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(width)
        self.deconv2 = nn.ConvTranspose2d(width, channels, 4, stride=2, padding=1)
        self.apply(nn.init.dcgan_init)

    def forward(self, z, labels=None):
        if self.num_classes:
            if labels is None:
                raise ValueError("DCGANGenerator: this generator is conditional; call it as G(z, labels)")
            z = concatenate([z, self.embed(labels)], axis=1)
        h = self.unflatten(self.bn0(self.fc(z)).relu())
        h = self.bn1(self.deconv1(h)).relu()
        return self.deconv2(h).tanh()


class DCGANDiscriminator(nn.Module):
    """images (N, channels, 28, 28) -> logits (N, 1) (see the module docstring).

    ``norm``: ``"batch"`` (DCGAN), ``"layer"``, ``"spectral"`` or ``"none"`` (critics).
    ``num_classes`` > 0 makes it conditional, with ``conditioning`` ``"projection"`` or ``"concat"``.
    """

    def __init__(self, width=64, channels=1, norm="batch", num_classes=0, conditioning="projection"):
        super().__init__()
        _check_norm(norm)
        if conditioning not in ("projection", "concat"):
            raise ValueError(f"conditioning must be 'projection' or 'concat', got {conditioning!r}")
        self.num_classes, self.conditioning = num_classes, conditioning
        extra_channels = num_classes if num_classes and conditioning == "concat" else 0
        conv1 = nn.Conv2d(channels + extra_channels, width, 4, stride=2, padding=1)
        conv2 = nn.Conv2d(width, 2 * width, 4, stride=2, padding=1)
        fc = nn.Linear(2 * width * 7 * 7, 1)
        # "bn2" whatever the normalisation, so that the default D has the PyTorch reference's names.
        self.bn2 = {
            "batch": lambda: nn.BatchNorm2d(2 * width),
            "layer": lambda: nn.LayerNorm((2 * width, 7, 7)),
        }.get(norm, nn.Identity)()
        # Initialise before wrapping: spectral norm fits its power-iteration vectors to the weights it sees.
        for layer in (conv1, conv2, fc, self.bn2):
            nn.init.dcgan_init(layer)
        self.conv1, self.conv2, self.fc = (_normalized(layer, norm) for layer in (conv1, conv2, fc))
        if num_classes and conditioning == "projection":
            # The embedding is the weight of a linear layer on one-hot labels, so it gets fc's N(0, 0.02):
            # Embedding's default N(0, 1) would make <embed(y), h(x)> ~50x larger than w^T h(x) at the start.
            embed = nn.Embedding(num_classes, 2 * width * 7 * 7)
            nn.init.normal_(embed.weight, 0.0, 0.02)
            self.embed = _normalized(embed, norm)

    def forward(self, x, labels=None):
        if self.num_classes and labels is None:
            raise ValueError("DCGANDiscriminator: this discriminator is conditional; call it as D(x, labels)")
        if self.num_classes and self.conditioning == "concat":
            x = concatenate([x, self.label_planes(labels, x)], axis=1)
        h = leaky_relu(self.conv1(x), 0.2)
        h = leaky_relu(self.bn2(self.conv2(h)), 0.2).flatten(1)
        logits = self.fc(h)
        if self.num_classes and self.conditioning == "projection":
            logits = logits + (self.embed(labels) * h).sum(axis=1, keepdims=True)
        return logits

    def _upgrade_state_dict(self, state_dict, prefix):
        """Checkpoints of an older minigan name the normalisation layer ``norm2``; it is ``bn2`` now."""
        rename_keys(state_dict, prefix_renames(state_dict, prefix + "norm2.", prefix + "bn2."))
        super()._upgrade_state_dict(state_dict, prefix)

    def label_planes(self, labels, x):
        """What ``conditioning="concat"`` stacks onto images x (N, C, H, W): (N, num_classes, H, W) planes.

        One constant plane per class: all ones on the plane of each sample's label, zeros elsewhere.
        """
        n, _, height, width = x.shape
        planes = x.xp.zeros((n, self.num_classes, height, width), dtype=x.dtype)
        planes[x.xp.arange(n), labels.data] = 1
        return Tensor(planes)
