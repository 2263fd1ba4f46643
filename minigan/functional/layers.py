"""The functional forms of the simple layers: ``linear``, ``dropout``, ``layer_norm``, ``embedding``.

Each is a few Tensor operations, so its gradient (and its gradient's gradient) comes from the
autograd engine with no backward formula of its own:

* ``linear``:     y = x W^T + b, with W of shape (out_features, in_features) as in PyTorch, so that
                  row o of W holds the weights of output unit o.
* ``dropout``:    *inverted* dropout. In training each entry is kept with probability 1 - p and
                  scaled by 1 / (1 - p), so E[y] = x and evaluation needs no rescaling at all.
* ``layer_norm``: normalise each sample over its last dimensions (Ba et al. 2016),
                  y = (x - mean) / sqrt(var + eps) * weight + bias, with the biased variance.
                  Unlike batch norm, no statistic crosses samples, so it is the same in training
                  and evaluation and it is safe inside a WGAN-GP critic.
* ``embedding``:  row lookup ``weight[indices]``; the gradient adds each output row back into the
                  row it came from (an index used twice gets both contributions).
"""
from __future__ import annotations

import numpy

from .. import backend
from ..autograd import Tensor, as_tensor
from ..autograd.creation import default_generator


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias for x of shape (*, in_features) and weight (out_features, in_features)."""
    x, weight = as_tensor(x), as_tensor(weight)
    if x.ndim == 0 or x.shape[-1] != weight.shape[-1]:
        raise ValueError(
            f"linear: input shape {x.shape} does not end in in_features={weight.shape[-1]} "
            f"(weight shape {weight.shape})"
        )
    if x.dtype != weight.dtype:
        raise TypeError(f"linear: input dtype {x.dtype} differs from weight dtype {weight.dtype}")
    y = x @ weight.T
    return y if bias is None else y + bias


def dropout(x, p=0.5, training=True):
    """Zero each entry with probability ``p`` and scale the rest by 1 / (1 - p); identity unless training.

    The mask is drawn from minigan's generator (``minigan.manual_seed`` makes it reproducible) on
    the host and moved to the input's device.
    """
    if not 0 <= p <= 1:
        raise ValueError(f"dropout: p must be in [0, 1], got {p}")
    x = as_tensor(x)
    if not training or p == 0:
        return x
    if p == 1:
        return x * 0.0
    keep = default_generator().random(x.shape) >= p
    scaled_mask = Tensor(keep.astype(x.dtype) / x.dtype.type(1 - p), device=x.device)
    return x * scaled_mask


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the trailing ``normalized_shape`` dimensions of ``x``, then scale and shift."""
    x = as_tensor(x)
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(normalized_shape)
    if x.ndim < k or x.shape[x.ndim - k:] != normalized_shape:
        raise ValueError(f"layer_norm: input shape {x.shape} does not end in normalized_shape {normalized_shape}")
    axes = tuple(range(x.ndim - k, x.ndim))
    centered = x - x.mean(axis=axes, keepdims=True)
    variance = (centered * centered).mean(axis=axes, keepdims=True)
    y = centered / (variance + eps).sqrt()
    if weight is not None:
        y = y * weight
    if bias is not None:
        y = y + bias
    return y


def embedding(indices, weight):
    """Rows of ``weight`` (num_embeddings, dim) picked by integer ``indices`` of any shape -> (*indices.shape, dim)."""
    indices = indices.data if isinstance(indices, Tensor) else numpy.asarray(indices)
    if indices.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be integers, got dtype {indices.dtype}")
    weight = as_tensor(weight)
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        raise IndexError(
            f"embedding: indices must lie in [0, {weight.shape[0]}), got values from {indices.min()} to {indices.max()}"
        )
    return weight[backend.to_device(indices, weight.device)]
