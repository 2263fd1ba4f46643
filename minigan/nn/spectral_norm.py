"""Spectral normalisation (Miyato et al. 2018): use a layer's weight divided by its largest singular value.

**Why.** A function D is K-Lipschitz when |D(x) - D(y)| <= K |x - y|. For a linear map W the best
K is its spectral norm sigma(W) = max_{|h| = 1} |W h|, the largest singular value; a network of such
layers and 1-Lipschitz activations (ReLU, leaky ReLU) has K <= the product of the layers' sigmas.
Replacing every W by W / sigma(W) therefore keeps a discriminator 1-Lipschitz: its gradients stay
bounded and GAN training becomes much more stable, at the cost of one matrix-vector pair per layer.

**Power iteration.** An SVD per step would be too expensive. Two unit vectors u (one entry per
output) and v (one per input) are kept from step to step, and each training-mode forward does

    v <- W^T u / |W^T u|,   u <- W v / |W v|,   sigma = u^T W v.

The weight moves little per optimizer step, so one iteration keeps the estimate tight; 15 at
construction get it there to begin with. No iteration happens in eval mode. u and v are buffers:
saved in ``state_dict``, so a resumed run continues with the same estimate.

**One copy of u and v per forward.** A GAN step runs D several times before one backward: on the
real batch, on the fake batch, on the penalty's points. Each forward updates the buffers in place,
so the graph of the first forward must not hold the buffers themselves -- by the time backward
runs they hold the vectors of the *last* forward, and the first forward's gradient would be
computed with the wrong sigma (about 9% off on a small case). Each forward therefore divides by
sigma built from its own copies of u and v, as PyTorch does.

**Gradient.** As in the paper, u and v are constants of the graph, while sigma = u^T W v is built
from Tensor operations, so the gradient flows through sigma too. With G = dL/d(W / sigma):

    dL/dW = (G - <G, W / sigma> u v^T) / sigma

**Conv weights** are viewed as matrices with one row per output channel: a Conv2d weight
(out, in, kh, kw) as (out, in*kh*kw), a ConvTranspose2d weight (in, out, kh, kw) with axis 1 moved
first (``dim=1``). This bounds the norm of that matrix, not of the convolution operator -- the
paper's choice.
"""
from __future__ import annotations

from ..autograd import Tensor
from ..autograd.creation import default_generator
from ..backend import array_module
from .conv import ConvTranspose2d
from .module import Module
from .parameter import Parameter


def _as_matrix(weight, dim):
    """``weight`` (a Tensor or an array) as a matrix with axis ``dim`` as its rows."""
    order = (dim,) + tuple(axis for axis in range(weight.ndim) if axis != dim)
    moved = weight.permute(order) if isinstance(weight, Tensor) else weight.transpose(order)
    return moved.reshape(weight.shape[dim], -1)


def _normalize(vector, eps):
    """vector / max(|vector|, eps), on the vector's own device (no copy to the host)."""
    xp = array_module(vector)
    return vector / xp.maximum(xp.linalg.norm(vector), eps)


def _divide_by_sigma(weight, u, v, dim):
    """(W / sigma, sigma) with sigma = u^T W v: differentiable in W, with u and v constant."""
    sigma = u @ (_as_matrix(weight, dim) @ v)
    return weight / sigma, sigma


class SpectralNorm(Module):
    """``SpectralNorm(layer)``: ``layer`` computing with ``layer.weight / sigma`` (see the module docstring).

    The wrapped layer keeps its raw weight as its Parameter (what the optimizer trains and
    ``state_dict`` saves as ``"module.weight"``); only during the wrapper's forward does the
    layer see the normalised weight. ``sigma`` is the latest estimate, as a float, for plots.
    ``dim`` is the weight axis of the outputs: 0, or 1 for ConvTranspose2d (the default picks it).
    Initialise the layer before wrapping it: u and v are fitted to the weight it has at that moment.
    """

    def __init__(self, module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                 dim: int | None = None):
        super().__init__()
        weight = getattr(module, name, None)
        if not isinstance(weight, Parameter) or weight.ndim < 2:
            raise TypeError(f"SpectralNorm: {type(module).__name__} has no matrix Parameter {name!r} to normalise")
        if n_power_iterations < 1:
            raise ValueError(f"SpectralNorm: n_power_iterations must be at least 1, got {n_power_iterations}")
        self.module, self.name = module, name
        self.n_power_iterations, self.eps = n_power_iterations, eps
        self.dim = (1 if isinstance(module, ConvTranspose2d) else 0) if dim is None else dim
        rows, columns = _as_matrix(weight.data, self.dim).shape
        for buffer, size in (("u", rows), ("v", columns)):
            start = _normalize(default_generator().standard_normal(size), eps)
            self.register_buffer(buffer, Tensor(start, dtype=weight.dtype, device=weight.device))
        self._power_iteration(weight.data, 15)
        self._sigma = _divide_by_sigma(weight.detach(), self.u.clone(), self.v.clone(), self.dim)[1]

    @property
    def sigma(self) -> float:
        """The latest estimate of the largest singular value of the raw weight."""
        return float(self._sigma.item())

    def _power_iteration(self, weight, steps):
        """Update the buffers u and v in place with ``steps`` power iterations on the weight array."""
        matrix, u, v = _as_matrix(weight, self.dim), self.u.data, self.v.data
        for _ in range(steps):
            v = _normalize(matrix.T @ u, self.eps)
            u = _normalize(matrix @ v, self.eps)
        self.u.copy_(u)
        self.v.copy_(v)

    def forward(self, *args, **kwargs):
        weight = getattr(self.module, self.name)
        if self.training:
            self._power_iteration(weight.data, self.n_power_iterations)
        # Copies: the next forward's power iteration must not change the vectors this graph uses.
        normalized, sigma = _divide_by_sigma(weight, self.u.clone(), self.v.clone(), self.dim)
        self._sigma = sigma.detach()
        # An entry in the layer's __dict__ is found before Module.__getattr__ looks in the registry of
        # Parameters, so for this one call `self.module.weight` is W / sigma; then the Parameter shows again.
        self.module.__dict__[self.name] = normalized
        try:
            return self.module(*args, **kwargs)
        finally:
            del self.module.__dict__[self.name]

    def extra_repr(self) -> str:
        return f"name={self.name!r}, n_power_iterations={self.n_power_iterations}, dim={self.dim}"


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> SpectralNorm:
    """PyTorch's spelling, ``spectral_norm(nn.Conv2d(...))``: returns ``SpectralNorm(module, ...)``."""
    return SpectralNorm(module, name, n_power_iterations, eps, dim)
