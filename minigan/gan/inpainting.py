"""Inpainting (Pathak et al., "Context Encoders: Feature Learning by Inpainting", CVPR 2016): holes, the
context encoder, the reconstruction loss on the hole only, pasting a fill into its context, and the numbers that
score a fill.

A context encoder sees an image with a region removed -- the *hole*, given by a mask that is 1 there and 0 on the
*context* -- and predicts the missing pixels. Its reconstruction loss counts the hole only (the context is known;
asking the network to copy it would only dilute the loss), normalised by the number of hole pixels:

    L_rec = sum_i M_i (G(x)_i - y_i)^2 / sum_i M_i          x = (1 - M) * y + M * fill          (Pathak's eq. 1)

and the image shown, scored and judged by a discriminator is the fill pasted into the known context,
``M * G(x) + (1 - M) * y``. The joint loss is ``lambda_rec L_rec + lambda_adv L_adv`` (0.999 and 0.001 in the paper).

Masks are NumPy arrays of 0s and 1s, (1, 1, H, W) for one hole shared by a batch or (N, 1, H, W) for one per image;
they broadcast against (N, C, H, W) images. The loss helpers take Tensors (and a NumPy or Tensor mask); the scores
(:func:`hole_psnr`, :func:`gradient_energy`, :func:`nearest_context_indices`) take NumPy arrays.
"""
from __future__ import annotations

import numpy

from .. import nn
from ..autograd import Tensor, as_tensor
from ..nn.checks import check_input


# ---------------------------------------------------------------------------------------------- masks
def square_mask(size: int = 28, hole: int = 14, top: int | None = None, left: int | None = None) -> numpy.ndarray:
    """A (1, 1, size, size) float32 mask with one ``hole`` x ``hole`` square of 1s; centred unless ``top``/``left``."""
    if not 0 < hole <= size:
        raise ValueError(f"square_mask: hole must be in 1..{size}, got {hole}")
    top = (size - hole) // 2 if top is None else top
    left = (size - hole) // 2 if left is None else left
    if not (0 <= top <= size - hole and 0 <= left <= size - hole):
        raise ValueError(f"square_mask: a {hole}x{hole} hole at ({top}, {left}) does not fit in {size}x{size}")
    mask = numpy.zeros((1, 1, size, size), dtype=numpy.float32)
    mask[..., top:top + hole, left:left + hole] = 1
    return mask


def random_square_masks(n: int, size: int = 28, hole: int = 14, rng=None) -> numpy.ndarray:
    """(n, 1, size, size) float32 masks, each with a ``hole`` x ``hole`` square at a uniformly random position.

    ``rng``: a ``numpy.random.Generator`` (or a seed) for the positions.
    """
    rng = numpy.random.default_rng(rng)
    corners = rng.integers(0, size - hole + 1, size=(n, 2))
    return numpy.concatenate([square_mask(size, hole, top, left) for top, left in corners])


def mask_images(images, mask, fill: float = 0.0):
    """What the context encoder sees: ``(1 - mask) * images + mask * fill`` (NumPy arrays or Tensors).

    ``fill`` is the value written into the hole: 0 (mid-grey for images in [-1, 1]) marks it apart from the black
    background; Pathak et al. fill with the data set's mean.
    """
    return (1 - mask) * images + mask * fill


def paste(prediction, images, mask):
    """The completed image ``mask * prediction + (1 - mask) * images``: the fill in the hole, the true context
    around it. Differentiable in ``prediction`` when it is a Tensor (only the hole pixels get a gradient)."""
    return mask * prediction + (1 - mask) * images


# ---------------------------------------------------------------------------------------------- the model
class ContextEncoder(nn.Module):
    """Pathak's encoder-decoder, scaled from 128x128 images to 28x28: a masked image (N, channels, 28, 28) ->
    a full image of the same shape in [-1, 1], of which the hole is used (:func:`paste` puts it into the context).

        encoder: Conv2d(channels, w, 4, 2, 1) -> LeakyReLU(0.2)                          28 -> 14
                 Conv2d(w, 2w, 4, 2, 1) -> BatchNorm2d -> LeakyReLU(0.2)                 14 -> 7
                 Conv2d(2w, bottleneck, 7) -> BatchNorm2d -> LeakyReLU(0.2)               7 -> 1   (the code)
        decoder: ConvTranspose2d(bottleneck, 2w, 7) -> BatchNorm2d -> ReLU                1 -> 7
                 ConvTranspose2d(2w, w, 4, 2, 1) -> BatchNorm2d -> ReLU                   7 -> 14
                 ConvTranspose2d(w, channels, 4, 2, 1) -> Tanh                            14 -> 28

    The 7x7 convolution to a 1x1 code plays the part of the paper's channel-wise fully connected layer: it lets
    every output pixel depend on the whole context (a stack of 4x4 convolutions alone would see only a patch).
    The DCGAN init (weights N(0, 0.02)) as in the paper's code. With the defaults: 418,945 parameters.
    """

    def __init__(self, channels: int = 1, width: int = 16, bottleneck: int = 128):
        super().__init__()
        self.channels = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),
            nn.Conv2d(width, 2 * width, 4, 2, 1), nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2),
            nn.Conv2d(2 * width, bottleneck, 7), nn.BatchNorm2d(bottleneck), nn.LeakyReLU(0.2))
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(bottleneck, 2 * width, 7), nn.BatchNorm2d(2 * width), nn.ReLU(),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Tanh())
        self.apply(nn.init.dcgan_init)

    def forward(self, masked):
        check_input(self, masked, ("N", self.channels, 28, 28))
        return self.decoder(self.encoder(masked))

    def extra_repr(self) -> str:
        return f"channels={self.channels}"


# ---------------------------------------------------------------------------------------------- losses
def _hole_mean(function, errors, mask):
    """Sum of ``mask * errors`` over everything, divided by the number of hole entries (mask broadcast to errors)."""
    if not isinstance(errors, Tensor):
        raise TypeError(f"{function}: prediction and target must be Tensors (a loss needs the graph)")
    mask = as_tensor(mask, dtype=errors.dtype, device=errors.device)
    if mask.ndim != errors.ndim:
        raise ValueError(f"{function}: mask has {mask.ndim} dimensions, the images {errors.ndim}")
    count = float(numpy.broadcast_to(mask.numpy(), errors.shape).sum())
    if count == 0:
        raise ValueError(f"{function}: the mask has no hole (all zeros), so there is nothing to reconstruct")
    return (mask * errors).sum() / count


def masked_mse_loss(prediction, target, mask):
    """Pathak's reconstruction loss: the mean squared error over the hole pixels only (``mask`` = 1).

    ``sum(mask * (prediction - target)^2) / sum(mask)``, the mask broadcast to the images' shape. Its minimiser,
    pixel by pixel, is the conditional mean E[y_i | context]: blurry wherever several fillings are plausible.
    """
    if prediction.shape != target.shape:
        raise ValueError(f"masked_mse_loss: prediction {prediction.shape} and target {target.shape} differ")
    return _hole_mean("masked_mse_loss", (prediction - target) ** 2, mask)


def masked_l1_loss(prediction, target, mask):
    """The mean absolute error over the hole pixels only; its minimiser is the conditional *median* per pixel."""
    if prediction.shape != target.shape:
        raise ValueError(f"masked_l1_loss: prediction {prediction.shape} and target {target.shape} differ")
    return _hole_mean("masked_l1_loss", (prediction - target).abs(), mask)


# ---------------------------------------------------------------------------------------------- scores (NumPy)
def _hole_pixels(images, mask):
    """(N, K) array: each image's pixels where the (broadcast) mask is 1, in a fixed order."""
    images = numpy.asarray(images, dtype=numpy.float64)
    mask = numpy.broadcast_to(numpy.asarray(mask) > 0.5, images.shape)
    counts = mask.reshape(len(images), -1).sum(axis=1)
    if counts.min() == 0 or counts.min() != counts.max():
        raise ValueError("the mask must give every image a hole of the same (non-zero) number of pixels")
    return images[mask].reshape(len(images), -1)


def hole_psnr(images, truth, mask, peak: float = 2.0) -> numpy.ndarray:
    """Per-image PSNR (dB) on the hole pixels: ``10 log10(peak^2 / MSE_hole)``; ``peak`` = 2 for images in [-1, 1]
    (the same number as on the [0, 1] scale with peak 1). A perfect fill is capped at 100 dB."""
    mse = ((_hole_pixels(images, mask) - _hole_pixels(truth, mask)) ** 2).mean(axis=1)
    return 10 * numpy.log10(peak ** 2 / numpy.maximum(mse, peak ** 2 * 1e-10))


def gradient_energy(images, mask=None) -> numpy.ndarray:
    """Per-image sharpness: the mean squared difference of horizontally and vertically neighbouring pixels.

    With ``mask``, only the neighbour pairs with *both* pixels in the hole count -- the texture of the fill itself,
    not the seam to its context. A blurry fill (a conditional mean) has small differences; the true digits' value,
    on the same pixels, is the target.
    """
    images = numpy.asarray(images, dtype=numpy.float64)
    if images.ndim != 4:
        raise ValueError(f"gradient_energy: expected images (N, C, H, W), got shape {images.shape}")
    inside = numpy.ones((1, 1) + images.shape[2:], dtype=bool) if mask is None else numpy.asarray(mask) > 0.5
    inside = numpy.broadcast_to(inside, images.shape)
    dx, dy = numpy.diff(images, axis=3) ** 2, numpy.diff(images, axis=2) ** 2
    pairs_x, pairs_y = inside[..., :, 1:] & inside[..., :, :-1], inside[..., 1:, :] & inside[..., :-1, :]
    total = (dx * pairs_x).sum(axis=(1, 2, 3)) + (dy * pairs_y).sum(axis=(1, 2, 3))
    count = pairs_x.sum(axis=(1, 2, 3)) + pairs_y.sum(axis=(1, 2, 3))
    if count.min() == 0:
        raise ValueError("gradient_energy: the mask leaves an image without a pair of neighbouring pixels")
    return total / count


def nearest_context_indices(images, bank, mask, k: int = 10, batch_size: int = 256) -> numpy.ndarray:
    """(N, k) indices of the ``bank`` images whose *context* (the pixels where ``mask`` is 0) is nearest, in
    Euclidean distance, to each image's context; nearest first.

    Their holes are samples of the plausible fillings of that context (a nonparametric p(hole | context)); their
    mean estimates E[hole | context], the answer an L2 loss learns. One mask shared by all, shape (1, 1, H, W).
    """
    mask = numpy.asarray(mask)
    if mask.shape[0] != 1:
        raise ValueError("nearest_context_indices: give one mask (1, 1, H, W) shared by the images and the bank")
    context = numpy.broadcast_to(mask < 0.5, (1,) + numpy.shape(images)[1:]).reshape(-1)
    queries = numpy.asarray(images, dtype=numpy.float64).reshape(len(images), -1)[:, context]
    keys = numpy.asarray(bank, dtype=numpy.float64).reshape(len(bank), -1)[:, context]
    if not 0 < k <= len(keys):
        raise ValueError(f"nearest_context_indices: k must be in 1..{len(keys)}, got {k}")
    key_norms = (keys ** 2).sum(axis=1)
    found = []
    for start in range(0, len(queries), batch_size):
        q = queries[start:start + batch_size]
        distances = key_norms[None, :] - 2 * q @ keys.T          # + |q|^2, the same for every key of a row
        nearest = numpy.argpartition(distances, k - 1, axis=1)[:, :k]
        order = numpy.argsort(numpy.take_along_axis(distances, nearest, axis=1), axis=1, kind="stable")
        found.append(numpy.take_along_axis(nearest, order, axis=1))
    return numpy.concatenate(found)
