"""``minigan.nn.utils``, as ``torch.nn.utils``: gradient clipping, and spectral norm under its PyTorch path.

**Clipping by norm.** One large gradient can throw a network far from where it was (a GAN's D on
a batch it suddenly finds easy, say). ``clip_grad_norm_`` treats the gradients of all parameters
as one long vector g and rescales it when it is longer than ``max_norm``:

    total = ||g||_p = (sum over parameters of ||g_i||_p^p)^(1/p)       (p = inf: the largest |entry|)
    g_i  <- g_i * min(1, max_norm / (total + 1e-6))                        for every parameter i

The direction of the step is kept; only its length is capped. It returns ``total``, the norm
*before* clipping -- worth logging: a total that keeps growing is a warning sign.

**Clipping by value** (``clip_grad_value_``) clamps every entry into [-clip_value, clip_value]
instead, which changes the direction too.

Call either between ``loss.backward()`` and ``optimizer.step()``. The gradients are changed in
place (their ``_version`` goes up), as in PyTorch; a parameter whose ``.grad`` is None is skipped.
"""
from __future__ import annotations

from ..autograd import Tensor, no_grad
from .spectral_norm import remove_spectral_norm, spectral_norm, spectral_norm_sigma  # noqa: F401  (torch's path)


def _gradients(parameters) -> list:
    """The ``.grad`` Tensors of ``parameters`` (one Tensor or an iterable of them) that have one."""
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in parameters if p.grad is not None]


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False) -> Tensor:
    """Rescale the gradients so that their total ``norm_type``-norm is at most ``max_norm``; returns that
    total before clipping, as a 0-d Tensor (see the module docstring).

    ``error_if_nonfinite=True`` raises instead of clipping when the total is NaN or infinite (a
    gradient that overflowed); by default such gradients are scaled by NaN or 0 and the step is lost.
    """
    grads, norm_type = _gradients(parameters), float(norm_type)
    if not grads:
        return Tensor(0.0)
    xp = grads[0].xp
    # The norm of the per-parameter norms is the norm of all entries together (ord=inf: the largest |entry|).
    total = xp.linalg.norm(xp.stack([xp.linalg.norm(g.data.ravel(), norm_type) for g in grads]), norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is {float(total)}, "
                           "so it cannot be clipped; pass error_if_nonfinite=False to scale them by it anyway")
    clip_coefficient = xp.minimum(max_norm / (total + 1e-6), 1.0)
    with no_grad():
        for g in grads:
            g.data *= clip_coefficient.astype(g.dtype)  # in place: .data assignment bumps the version
    return Tensor._from_data(total)


def clip_grad_value_(parameters, clip_value: float) -> None:
    """Clamp every gradient entry into [-clip_value, clip_value], in place."""
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be non-negative, got {clip_value}")
    with no_grad():
        for g in _gradients(parameters):
            g.copy_(g.xp.clip(g.data, -clip_value, clip_value))
