"""``Upsample``: resize images inside a ``Sequential`` (the formulas are in ``minigan.functional.sampling``).

``Upsample(scale_factor=2)`` followed by a 3x3 ``Conv2d`` is the generator's alternative to a
stride-2 ``ConvTranspose2d``: nearest-neighbour upsampling gives every output pixel the same number
of contributions, so it cannot draw the checkerboard pattern that a transposed conv whose kernel
does not divide by its stride does (Odena et al., "Deconvolution and Checkerboard Artifacts", 2016).
"""
from __future__ import annotations

from .. import functional as F
from .checks import check_input
from .module import Module


class Upsample(Module):
    """``Upsample(size=None, scale_factor=None, mode="nearest", align_corners=None)``: (N, C, H, W) -> (N, C, H', W')."""

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None):
        super().__init__()
        if mode not in F.sampling.MODES:
            raise ValueError(f"Upsample: mode must be one of {F.sampling.MODES}, got {mode!r}")
        if (size is None) == (scale_factor is None):
            raise ValueError(f"Upsample: give exactly one of size and scale_factor, got size={size!r}, "
                             f"scale_factor={scale_factor!r}")
        self.size, self.scale_factor, self.mode, self.align_corners = size, scale_factor, mode, align_corners

    def forward(self, x):
        check_input(self, x, ("N", "C", "H", "W"))
        return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners)

    def extra_repr(self) -> str:
        what = f"size={self.size}" if self.size is not None else f"scale_factor={self.scale_factor}"
        return f"{what}, mode={self.mode!r}" + ("" if self.align_corners is None else
                                                 f", align_corners={self.align_corners}")
