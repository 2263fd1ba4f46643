"""Drawing images from a trained generator: :func:`sample`.

Every notebook and script that looks at a generator's output needs the same few lines -- eval mode (batch norm
uses its running statistics), no graph, batches small enough for memory, NumPy out, and the generator's
train/eval mode put back afterwards. ``sample`` is those lines.
"""
from __future__ import annotations

import numpy as np

from ..autograd import Tensor, no_grad, tensor


def _as_tensor(values, dtype, device):
    if isinstance(values, Tensor):
        return values
    return tensor(np.asarray(values, dtype=dtype), device=device)


def sample(generator, z_or_n, labels=None, batch_size=500, rng=None, return_latent=False):
    """Images from ``generator`` as a NumPy array, with the generator in eval mode and no autograd graph.

    Args:
        generator: a generator module, e.g. ``DCGANGenerator`` or ``trainer.ema_generator``; called as
            ``generator(z)``, or ``generator(z, labels)`` when ``labels`` is given.
        z_or_n: the latent vectors, (N, latent_dim) as a NumPy array or a Tensor; or an int N, in which case
            N vectors z ~ N(0, I) of size ``generator.latent_dim`` are drawn with ``rng``.
        labels: class labels (N,) for a conditional generator (NumPy array, list or Tensor), or None.
        batch_size: how many images one forward pass makes (memory, not results: eval-mode batch norm treats
            every image alone, so the output does not depend on it).
        rng: only when ``z_or_n`` is an int: a ``numpy.random.Generator`` or an int seed (None: fresh entropy).
            ``sample(G, n, rng=seed)`` draws ``np.random.default_rng(seed).standard_normal((n, latent_dim))``.
        return_latent: also return the latent vectors used, as a float32 NumPy array.

    Returns:
        ``images`` (N, C, H, W), float32 NumPy (on the CPU even for a CUDA generator); with ``return_latent``,
        ``(images, z)``.

    The generator's mode is restored afterwards (a generator that was training is training again), so ``sample``
    can be called in the middle of a training loop.
    """
    params = list(generator.parameters())
    device = params[0].device if params else None
    if isinstance(z_or_n, (int, np.integer)):
        n = int(z_or_n)
        if n < 0:
            raise ValueError(f"sample: the number of images must be >= 0, got {n}")
        rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
        z = rng.standard_normal((n, generator.latent_dim)).astype(np.float32)
    else:
        if rng is not None:
            raise ValueError("sample: rng is only used when z_or_n is a number of images")
        z = z_or_n
    n = z.shape[0]
    if labels is not None and np.shape(labels)[0] != n:
        raise ValueError(f"sample: {np.shape(labels)[0]} labels for {n} latent vectors")
    if batch_size < 1:
        raise ValueError(f"sample: batch_size must be >= 1, got {batch_size}")
    was_training = generator.training
    generator.eval()
    try:
        out = []
        with no_grad():
            for i in range(0, n, batch_size):
                zb = _as_tensor(z[i:i + batch_size], np.float32, device)
                if labels is None:
                    images = generator(zb)
                else:
                    images = generator(zb, _as_tensor(labels[i:i + batch_size], np.int64, device))
                out.append(images.numpy())
    finally:
        generator.train(was_training)
    if out:
        images = np.concatenate(out)
    else:
        images = np.zeros((0,), dtype=np.float32)
    if return_latent:
        return images, (z.numpy() if isinstance(z, Tensor) else np.asarray(z, dtype=np.float32))
    return images
