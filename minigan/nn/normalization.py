"""Normalisation layers: ``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``, ``InstanceNorm2d`` and ``GroupNorm``.

**Batch norm** (Ioffe & Szegedy 2015) normalises each channel with the mean and variance of the
current batch, then applies a learnable scale (``weight``, starts at 1) and shift (``bias``, 0).
In training it also keeps exponential moving averages of those statistics in two *buffers*,

    running_mean <- (1 - momentum) * running_mean + momentum * batch_mean       (likewise running_var),

which ``eval()`` mode uses instead of the batch: a generator then maps each z to the same image,
whatever else is in the batch. With ``momentum=None`` the average is cumulative instead
(momentum = 1 / number of batches seen, counted in the buffer ``num_batches_tracked``). The
formulas, and the unbiased variance in ``running_var``, are in ``minigan.functional.batch_norm``.

**Layer norm** (Ba et al. 2016) normalises each sample over its own last dimensions: no running
statistics, no train/eval difference, no coupling between the samples of a batch -- which is why
WGAN-GP critics use it (or nothing) instead of batch norm. ``LayerNorm((C, H, W))`` normalises each
image over all its channels and pixels.

**Instance norm** and **group norm** normalise each sample over H, W -- per channel, or per group of
channels -- (see ``minigan.functional.normalization`` for the table of which axes each uses).
``InstanceNorm2d`` has PyTorch's defaults: no affine transform and no running statistics
(``affine=True``, ``track_running_stats=True`` add them, under the names batch norm uses).
"""
from __future__ import annotations

import numpy

from .. import functional as F
from ..autograd import ones, tensor, zeros
from .checks import check_input
from .module import Module
from .parameter import Parameter


class _BatchNorm(Module):
    """Parameters, buffers and forward shared by BatchNorm1d and BatchNorm2d; they differ in the input shape."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = True,
                 track_running_stats: bool = True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.weight = Parameter(ones(num_features)) if affine else None
        self.bias = Parameter(zeros(num_features)) if affine else None
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features))
            self.register_buffer("running_var", ones(num_features))
            self.register_buffer("num_batches_tracked", tensor(0, dtype=numpy.int64))
        else:
            self.running_mean = self.running_var = self.num_batches_tracked = None

    def _input_dims(self, x) -> tuple:
        raise NotImplementedError

    def forward(self, x):
        check_input(self, x, self._input_dims(x))
        momentum = self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data += 1
            if momentum is None:
                momentum = 1.0 / int(self.num_batches_tracked.data)
        # Batch statistics in training, and always when there are no running statistics to use.
        use_batch_statistics = self.training or not self.track_running_stats
        return F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            training=use_batch_statistics, momentum=momentum, eps=self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, affine={self.affine}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch norm of feature vectors (N, num_features), statistics over the batch axis, or of sequences
    (N, num_features, L), statistics over N and L -- PyTorch's two shapes."""

    def _input_dims(self, x):
        return ("N", self.num_features, "L") if getattr(x, "ndim", 0) == 3 else ("N", self.num_features)


class BatchNorm2d(_BatchNorm):
    """Batch norm of images: input (N, num_features, H, W), statistics per channel over N, H and W."""

    def _input_dims(self, x):
        return ("N", self.num_features, "H", "W")


class InstanceNorm2d(_BatchNorm):
    """``InstanceNorm2d(num_features, eps=1e-5, momentum=0.1, affine=False, track_running_stats=False)``:
    (N, num_features, H, W), statistics per sample and channel over H and W.

    With running statistics, training updates them (PyTorch's rule: ``momentum=None`` leaves them as
    they are, and ``num_batches_tracked`` is kept but not counted) and eval mode normalises with them.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1, affine: bool = False,
                 track_running_stats: bool = False):
        super().__init__(num_features, eps, momentum, affine, track_running_stats)

    def forward(self, x):
        check_input(self, x, ("N", self.num_features, "H", "W"))
        return F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                               use_input_stats=self.training or not self.track_running_stats,
                               momentum=0.0 if self.momentum is None else self.momentum, eps=self.eps)


class GroupNorm(Module):
    """``GroupNorm(num_groups, num_channels, eps=1e-5, affine=True)``: (N, num_channels), (N, num_channels, L) or
    (N, num_channels, H, W), statistics per sample over each group of num_channels / num_groups channels."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5, affine: bool = True):
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = num_groups, num_channels, eps, affine
        self.weight = Parameter(ones(num_channels)) if affine else None
        self.bias = Parameter(zeros(num_channels)) if affine else None

    def forward(self, x):
        spatial = {2: (), 3: ("L",)}.get(getattr(x, "ndim", 4), ("H", "W"))
        check_input(self, x, ("N", self.num_channels) + spatial)
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"


class LayerNorm(Module):
    """``LayerNorm(normalized_shape, eps=1e-5, elementwise_affine=True)``: normalise over the trailing
    ``normalized_shape`` dimensions of an input (*, *normalized_shape)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True):
        super().__init__()
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = shape, eps, elementwise_affine
        self.weight = Parameter(ones(shape)) if elementwise_affine else None
        self.bias = Parameter(zeros(shape)) if elementwise_affine else None

    def forward(self, x):
        check_input(self, x, ("*",) + self.normalized_shape)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
