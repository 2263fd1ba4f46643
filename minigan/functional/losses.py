"""Loss functions: binary cross-entropy (on logits or on probabilities), mean squared and mean
absolute (L1) error, cross-entropy over classes and the negative log-likelihood.

Each loss compares a prediction with a target elementwise and then reduces with ``reduction``:
``"mean"`` (the default), ``"sum"``, or ``"none"`` (one loss per element, nothing reduced).

Targets for the elementwise losses are either a Tensor of exactly the prediction's shape or a
Python number, which stands for "this value everywhere" -- how GAN losses say "all real" (1.0).
A Tensor of another shape is an error rather than a silent broadcast: a (N, 1) prediction against
a (N,) target would otherwise broadcast to (N, N) and give a wrong loss without any warning.

The GAN losses of ``minigan.gan.losses`` are built from these.
"""
from __future__ import annotations

from ..autograd import Tensor, as_tensor, clip, log, log_sigmoid, log_softmax, where

REDUCTIONS = ("mean", "sum", "none")


def _reduce(fn_name, loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{fn_name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _target(fn_name, prediction, target):
    """``target`` as a Tensor: a number stays a number (broadcast), anything else must match the shape."""
    if isinstance(target, (int, float)):
        return as_tensor(float(target), like=prediction)
    if not isinstance(target, Tensor):
        target = Tensor(target, dtype=prediction.dtype, device=prediction.device)
    if target.shape != prediction.shape:
        raise ValueError(
            f"{fn_name}: input has shape {prediction.shape} but target has shape {target.shape}; "
            "they must be equal (a Python number is used for every element)"
        )
    return target


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    """Binary cross-entropy of ``sigmoid(logits)`` against ``targets`` in [0, 1], computed from the logits.

        loss = -[ y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)) ]
             = -[ y log_sigmoid(x) + (1 - y) log_sigmoid(-x) ]          since 1 - sigmoid(x) = sigmoid(-x)

    d loss / dx = sigmoid(x) - y.

    Why from logits: a confident discriminator outputs logits like 100. In float32 sigmoid(100) is
    exactly 1.0, so ``log(1 - sigmoid(100))`` is log(0) = -inf and its gradient NaN. ``log_sigmoid``
    (= -softplus(-x), see ``minigan.autograd.activations``) never forms sigmoid(x) and is exact for
    every x: the loss at x = 100, y = 0 is 100, with gradient 1. This is the form every GAN loss here uses.
    """
    targets = _target("binary_cross_entropy_with_logits", logits, targets)
    loss = -(targets * log_sigmoid(logits) + (1 - targets) * log_sigmoid(-logits))
    return _reduce("binary_cross_entropy_with_logits", loss, reduction)


def _clamped_log(p):
    """log(p), but never below -100 (PyTorch's rule for ``binary_cross_entropy``).

    The clamp keeps 0 * log(0) at 0 instead of NaN, and the loss finite when p is exactly 0 or 1
    (which float32 sigmoids produce). Where p = 0 the log is not evaluated at all: p is swapped for
    1 *before* the log (the "double where"). Clamping only after the log would still send
    0 / 0 = NaN back through log's derivative 1/p.
    """
    positive = p.data > 0
    log_p = log(where(positive, p, 1.0))
    return where(positive, clip(log_p, low=-100.0), -100.0)


def binary_cross_entropy(probs, targets, reduction="mean"):
    """Binary cross-entropy of probabilities ``probs`` in [0, 1] against ``targets`` in [0, 1].

        loss = -[ y log(p) + (1 - y) log(1 - p) ]      with each log clamped at -100 (as PyTorch)

    So a completely wrong, fully confident prediction costs 100, not infinity, and its gradient is
    0 (the clamp is flat). Prefer :func:`binary_cross_entropy_with_logits` whenever the logits are
    at hand: there the loss keeps a useful gradient at any confidence.
    """
    targets = _target("binary_cross_entropy", probs, targets)
    if bool(((probs.data < 0) | (probs.data > 1)).any()):
        raise ValueError("binary_cross_entropy: probs must lie in [0, 1] (pass logits to "
                         "binary_cross_entropy_with_logits instead)")
    loss = -(targets * _clamped_log(probs) + (1 - targets) * _clamped_log(1 - probs))
    return _reduce("binary_cross_entropy", loss, reduction)


def mse_loss(prediction, target, reduction="mean"):
    """Mean squared error: loss = (x - y)^2 elementwise, then reduced (mean by default)."""
    difference = prediction - _target("mse_loss", prediction, target)
    return _reduce("mse_loss", difference * difference, reduction)


def l1_loss(prediction, target, reduction="mean"):
    """Mean absolute error: loss = |x - y| elementwise, then reduced (mean by default).

    The pixel loss of image-to-image GANs (pix2pix, CycleGAN's cycle and identity terms): unlike the
    squared error it does not let a few large errors dominate, so it blurs less. Its gradient is
    sign(x - y) -- and 0 where x = y, the subgradient PyTorch takes too.
    """
    difference = prediction - _target("l1_loss", prediction, target)
    return _reduce("l1_loss", difference.abs(), reduction)


def _class_labels(fn_name, scores, labels):
    """Check (N, C) scores against N integer labels in [0, C); return the labels as an array."""
    if scores.ndim != 2:
        raise ValueError(f"{fn_name}: input must have shape (N, C), got {scores.shape}")
    labels = labels.data if isinstance(labels, Tensor) else scores.xp.asarray(labels)
    if labels.dtype.kind not in "iu":
        raise TypeError(f"{fn_name}: labels must be integers (class indices), got dtype {labels.dtype}")
    if labels.shape != scores.shape[:1]:
        raise ValueError(f"{fn_name}: input has shape {scores.shape} but labels have shape {labels.shape}; "
                         f"expected labels of shape {scores.shape[:1]}")
    if labels.size and (int(labels.min()) < 0 or int(labels.max()) >= scores.shape[1]):
        raise ValueError(f"{fn_name}: labels must lie in [0, {scores.shape[1]}), "
                         f"got values from {int(labels.min())} to {int(labels.max())}")
    return labels


def _picked(log_probs, labels):
    """log_probs[i, labels[i]] for every row i: integer-array indexing, whose gradient scatters back."""
    rows = log_probs.xp.arange(log_probs.shape[0])
    return log_probs[rows, labels]


def nll_loss(log_probs, labels, reduction="mean"):
    """Negative log-likelihood of integer class ``labels`` under (N, C) log-probabilities.

        loss_i = -log_probs[i, labels[i]]

    The input must already be log-probabilities (e.g. from ``log_softmax``); for raw scores use
    :func:`cross_entropy`.
    """
    labels = _class_labels("nll_loss", log_probs, labels)
    return _reduce("nll_loss", -_picked(log_probs, labels), reduction)


def cross_entropy(logits, labels, reduction="mean"):
    """Cross-entropy of integer class ``labels`` under the softmax of (N, C) ``logits``.

        loss_i = -log softmax(x_i)[labels[i]] = logsumexp(x_i) - x_i[labels[i]]

    Computed as ``nll_loss(log_softmax(logits, axis=1), labels)``: log_softmax subtracts the row
    maximum before exponentiating, so large logits cannot overflow. Used by the auxiliary
    classifier of conditional GANs (AC-GAN) and by the classifier behind the Inception Score.
    """
    labels = _class_labels("cross_entropy", logits, labels)
    return _reduce("cross_entropy", -_picked(log_softmax(logits, axis=1), labels), reduction)
