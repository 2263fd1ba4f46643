"""The reconstruction losses of CycleGAN (Zhu et al., "Unpaired Image-to-Image Translation using
Cycle-Consistent Adversarial Networks", ICCV 2017): thin helpers over ``F.l1_loss``.

CycleGAN trains two generators, G: X -> Y and F: Y -> X, with no paired examples. The adversarial
losses alone would let G map every x to *any* plausible y; the cycle asks that translating there and
back returns the input (the paper's eq. 2):

    L_cyc(G, F) = E_x[ ||F(G(x)) - x||_1 ] + E_y[ ||G(F(y)) - y||_1 ]

and the full objective is L_GAN(G, D_Y) + L_GAN(F, D_X) + lambda L_cyc(G, F), lambda = 10.

The identity loss (section 5.2, from Taigman et al. 2017) asks each generator to leave an image of its
*target* domain unchanged, which keeps colours and tones from drifting:

    L_identity(G, F) = E_y[ ||G(y) - y||_1 ] + E_x[ ||F(x) - x||_1 ]        weighted 0.5 lambda.

||.||_1 is the mean absolute difference over the pixels (``F.l1_loss`` with ``reduction="mean"``),
as in the authors' code. Each helper takes one direction's pair, or both directions' pairs.
"""
from __future__ import annotations

from ..functional.losses import l1_loss


def _l1_of_pairs(function, pairs):
    """The sum of ``l1_loss(result, real)`` over the (real, result) pairs; a pair of two Nones is skipped."""
    total = None
    for real, result in pairs:
        if real is None and result is None:
            continue
        if real is None or result is None or real.shape != result.shape:
            raise ValueError(f"{function}: each image batch needs its result of the same shape, got "
                             f"{getattr(real, 'shape', None)} and {getattr(result, 'shape', None)}")
        loss = l1_loss(result, real)
        total = loss if total is None else total + loss
    if total is None:
        raise ValueError(f"{function}: give at least the first pair of image batches")
    return total


def cycle_consistency_loss(real_x, reconstructed_x, real_y=None, reconstructed_y=None):
    """||F(G(x)) - x||_1 (+ ||G(F(y)) - y||_1 when the second pair is given): pass x and F(G(x)), then y and G(F(y))."""
    return _l1_of_pairs("cycle_consistency_loss", [(real_x, reconstructed_x), (real_y, reconstructed_y)])


def identity_loss(real_y, g_of_y, real_x=None, f_of_x=None):
    """||G(y) - y||_1 (+ ||F(x) - x||_1 when the second pair is given): pass y and G(y), then x and F(x)."""
    return _l1_of_pairs("identity_loss", [(real_y, g_of_y), (real_x, f_of_x)])
