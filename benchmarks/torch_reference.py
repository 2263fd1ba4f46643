"""The PyTorch reference for minigan's benchmarks: the 28x28 DCGAN, its training step, its FLOP count.

``bench_dcgan_step.py`` times minigan's ``GANTrainer.step`` against :func:`time_step` below; the
comparison is fair only if both sides compute the same thing, so this module fixes every part of it
(and ``minigan.gan.models`` builds the same networks, with the same attribute names):

* **the networks** (float32, NCHW, every layer with a bias, as PyTorch creates them)::

      G: z (100) -> Linear(100, 6272) -> BatchNorm1d(6272) -> ReLU -> reshape (128, 7, 7)
         -> ConvTranspose2d(128, 64, 4, stride 2, pad 1) -> BatchNorm2d(64) -> ReLU
         -> ConvTranspose2d(64, 1, 4, stride 2, pad 1) -> Tanh                  (1, 28, 28)   778,305 parameters
      D: Conv2d(1, 64, 4, stride 2, pad 1) -> LeakyReLU(0.2)
         -> Conv2d(64, 128, 4, stride 2, pad 1) -> BatchNorm2d(128) -> LeakyReLU(0.2)
         -> flatten -> Linear(6272, 1)                                          (a logit)     138,817 parameters

* **the DCGAN init** instead of PyTorch's default: linear and convolution weights from N(0, 0.02),
  batch-norm weights from N(1, 0.02), every bias 0;
* **the loss and optimizer**: binary cross-entropy on logits, the non-saturating generator loss,
  Adam(lr 2e-4, betas (0.5, 0.999)) for each network;
* **the step**, the classic DCGAN loop on a fixed random "real" batch in [-1, 1]:
  D step -- fake = G(z); loss_D = bce(D(real), 1) + bce(D(fake.detach()), 0); backward; Adam on D;
  G step -- loss_G = bce(D(fake), 1) through the *updated* D; backward; Adam on G.
  So one step runs G forward and backward once, D forward and backward three times.

**Counting FLOPs** (in ``dcgan_flops.py``, which needs no PyTorch). A multiply-add is 2 FLOPs. Per sample, a forward pass costs ``in * out``
multiply-adds in a Linear layer, ``C_out * H_out * W_out * C_in * k * k`` in a Conv2d and
``C_in * H_in * W_in * C_out * k * k`` in a ConvTranspose2d; batch norm and the activations are
counted as 0 (they are limited by memory, not arithmetic). :func:`step_flops` gives two totals:

* *rule*: each backward pass costs twice its forward (one product for the input's gradient, one
  for the weights'), so G costs 3 forwards and D 3 x 3 = 9 forwards -- the number to quote;
* *exact*: what autograd really runs, which skips the input gradient of a first layer whose input
  needs none: G.fc on z, and D.conv1 on the real and on the detached fake batch of the D step.
  (In the G step the gradient flows through D to G, and D's weight gradients are computed too.)

    python benchmarks/bench_dcgan_step.py      # minigan beside this module (pip install torch==2.13.0)
"""
from __future__ import annotations

import statistics
import time

import torch
import torch.nn.functional as F
from torch import nn

from dcgan_flops import FORWARD_MACS, LATENT_DIM, step_flops  # noqa: F401  (the FLOP count, torch-free)

class Generator(nn.Module):
    """z (N, 100) -> images (N, 1, 28, 28) in [-1, 1]."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(LATENT_DIM, 128 * 7 * 7)
        self.bn0 = nn.BatchNorm1d(128 * 7 * 7)
        self.deconv1 = nn.ConvTranspose2d(128, 64, 4, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(64)
        self.deconv2 = nn.ConvTranspose2d(64, 1, 4, stride=2, padding=1)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z))).view(-1, 128, 7, 7)
        h = F.relu(self.bn1(self.deconv1(h)))
        return torch.tanh(self.deconv2(h))


class Discriminator(nn.Module):
    """images (N, 1, 28, 28) -> logits (N, 1): large for real, small for fake."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 64, 4, stride=2, padding=1)
        self.conv2 = nn.Conv2d(64, 128, 4, stride=2, padding=1)
        self.bn2 = nn.BatchNorm2d(128)
        self.fc = nn.Linear(128 * 7 * 7, 1)

    def forward(self, x):
        h = F.leaky_relu(self.conv1(x), 0.2)
        h = F.leaky_relu(self.bn2(self.conv2(h)), 0.2)
        return self.fc(h.flatten(1))


def dcgan_init_(module: nn.Module) -> None:
    """The DCGAN init for one module (use with ``model.apply``): N(0, 0.02) weights, N(1, 0.02) batch norm."""
    if isinstance(module, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm1d, nn.BatchNorm2d)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


def make_models(seed: int = 0) -> tuple[Generator, Discriminator]:
    """G and D with the DCGAN init, in training mode, drawn from ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    g, d = Generator(), Discriminator()
    g.apply(dcgan_init_)
    d.apply(dcgan_init_)
    return g.train(), d.train()


def make_train_step(batch: int, seed: int = 0):
    """A function running one training step (the module docstring's), returning (loss_D, loss_G)."""
    g, d = make_models(seed)
    adam_g = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    adam_d = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = nn.BCEWithLogitsLoss()
    real = torch.rand(batch, 1, 28, 28) * 2 - 1  # the same "real" batch at every step
    ones, zeros = torch.ones(batch, 1), torch.zeros(batch, 1)

    def train_step():
        fake = g(torch.randn(batch, LATENT_DIM))
        adam_d.zero_grad(set_to_none=True)
        loss_d = bce(d(real), ones) + bce(d(fake.detach()), zeros)  # detached: no gradient into G
        loss_d.backward()
        adam_d.step()

        adam_g.zero_grad(set_to_none=True)
        loss_g = bce(d(fake), ones)  # non-saturating: G wants D to say "real"; D is the updated one
        loss_g.backward()
        adam_g.step()
        return loss_d, loss_g

    return train_step


def time_step(batch: int, steps: int, warmup: int, threads: int) -> float:
    """Median wall time in seconds of ``steps`` training steps, after ``warmup`` untimed ones."""
    torch.set_num_threads(threads)
    train_step = make_train_step(batch)
    for _ in range(warmup):
        train_step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss_d, loss_g = train_step()
        times.append(time.perf_counter() - start)
    if not (torch.isfinite(loss_d) and torch.isfinite(loss_g)):
        raise RuntimeError(f"the PyTorch reference diverged: loss_D {loss_d.item()}, loss_G {loss_g.item()}")
    return statistics.median(times)
