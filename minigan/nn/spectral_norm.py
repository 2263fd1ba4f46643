"""Spectral normalisation (Miyato et al. 2018): use a layer's weight divided by its largest singular value.

**Why.** A function D is K-Lipschitz when |D(x) - D(y)| <= K |x - y|. For a linear map W the best
K is its spectral norm sigma(W) = max_{|h| = 1} |W h|, the largest singular value; a network of such
layers and 1-Lipschitz activations (ReLU, leaky ReLU) has K <= the product of the layers' sigmas.
Replacing every W by W / sigma(W) therefore keeps a discriminator 1-Lipschitz: its gradients stay
bounded and GAN training becomes much more stable, at the cost of one matrix-vector pair per layer.

**How it attaches to a layer** -- PyTorch's design (``torch.nn.utils.spectral_norm``), so that a
layer has the same names in both libraries and its weights load into either::

    layer = nn.spectral_norm(nn.Conv2d(64, 128, 4, 2, 1))
    layer.weight_orig    the raw weight W: the Parameter that the optimizer trains
    layer.weight_u       u, a buffer (one entry per output)   } saved in state_dict, so a resumed
    layer.weight_v       v, a buffer (one entry per input)    } run continues with the same estimate
    layer.weight         W / sigma, recomputed before every forward (a plain attribute, not saved)

``state_dict()`` holds ``weight_orig``, ``bias``, ``weight_u``, ``weight_v``, the keys of PyTorch.
The recomputation is a *forward pre-hook* (:class:`SpectralNorm`), which ``Module.__call__`` runs
before ``forward``; the layer's own code is untouched and simply reads ``self.weight``.

**Power iteration.** An SVD per step would be too expensive. The two unit vectors u and v are kept
from step to step, and each training-mode forward does

    v <- W^T u / |W^T u|,   u <- W v / |W v|,   sigma = u^T W v.

The weight moves little per optimizer step, so one iteration keeps the estimate tight; 15 at
construction get it there to begin with. No iteration happens in eval mode.

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

**Older checkpoints.** minigan used to wrap the layer in a module of its own and saved
``module.weight``, ``module.bias``, ``u`` and ``v``; ``load_state_dict`` renames those entries
(:meth:`SpectralNorm.upgrade_state_dict`), so old run folders still load.
"""
from __future__ import annotations

from ..autograd import Tensor, no_grad
from ..autograd.creation import default_generator
from ..backend import array_module
from .conv import ConvTranspose2d
from .module import Module, prefix_renames, rename_keys
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


class SpectralNorm:
    """The forward pre-hook that :func:`spectral_norm` attaches to a layer (PyTorch's class of that name).

    Before each forward of the layer it runs one power iteration (training mode only) and sets
    ``layer.<name>`` to ``layer.<name>_orig / sigma``. ``sigma`` is the latest estimate, as a float,
    for plots (read it with :func:`spectral_norm_sigma`). ``dim`` is the weight axis of the outputs.
    """

    def __init__(self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12):
        if not isinstance(name, str):
            raise TypeError(f"SpectralNorm(name, ...) is the hook itself, got a {type(name).__name__} as its name: "
                            "normalise a layer with nn.spectral_norm(layer)")
        if n_power_iterations < 1:
            raise ValueError(f"SpectralNorm: n_power_iterations must be at least 1, got {n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = name, n_power_iterations, dim, eps
        self._sigma = None  # a 0-d Tensor, set by every compute_weight (read as a float only when asked)

    @property
    def sigma(self) -> float:
        """The latest estimate of the largest singular value of the raw weight."""
        return float(self._sigma.item())

    def _tensors(self, module):
        """(W, u, v): the layer's raw weight Parameter and its two buffers."""
        return tuple(getattr(module, self.name + suffix) for suffix in ("_orig", "_u", "_v"))

    def power_iteration(self, module, steps: int) -> None:
        """Update the buffers u and v in place with ``steps`` power iterations on the raw weight."""
        weight, u_buffer, v_buffer = self._tensors(module)
        matrix, u, v = _as_matrix(weight.data, self.dim), u_buffer.data, v_buffer.data
        for _ in range(steps):
            v = _normalize(matrix.T @ u, self.eps)
            u = _normalize(matrix @ v, self.eps)
        u_buffer.copy_(u)
        v_buffer.copy_(v)

    def compute_weight(self, module) -> Tensor:
        """W / sigma with sigma = u^T W v: differentiable in W, with u and v constant *copies*."""
        weight, u, v = self._tensors(module)
        # Copies: the next forward's power iteration must not change the vectors this graph uses.
        sigma = u.clone() @ (_as_matrix(weight, self.dim) @ v.clone())
        self._sigma = sigma.detach()
        return weight / sigma

    def __call__(self, module, args) -> None:
        if module.training:
            self.power_iteration(module, self.n_power_iterations)
        # A plain attribute: `self.weight` in the layer's forward finds it in the instance's __dict__.
        module.__dict__[self.name] = self.compute_weight(module)

    @staticmethod
    def apply(module: Module, name: str, n_power_iterations: int, dim: int | None, eps: float) -> SpectralNorm:
        """Turn ``module.<name>`` into ``<name>_orig`` (same Parameter, same place) plus the u and v buffers."""
        if _hook_of(module, name) is not None:
            raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is already spectrally normalised")
        weight = module._parameters.get(name)
        if not isinstance(weight, Parameter) or weight.ndim < 2:
            raise TypeError(f"spectral_norm: {type(module).__name__} has no matrix Parameter {name!r} to normalise")
        dim = (1 if isinstance(module, ConvTranspose2d) else 0) if dim is None else dim
        hook = SpectralNorm(name, n_power_iterations, dim, eps)
        # Rebuild the registry with weight_orig where weight was: parameters() keeps its order, so the
        # numbering of an optimizer's state (and old checkpoints of it) does not change.
        entries = [(name + "_orig" if key == name else key, value) for key, value in module._parameters.items()]
        module._parameters.clear()
        module._parameters.update(entries)
        rows, columns = _as_matrix(weight.data, dim).shape
        for suffix, size in (("_u", rows), ("_v", columns)):
            start = _normalize(default_generator().standard_normal(size), eps)
            module.register_buffer(name + suffix, Tensor(start, dtype=weight.dtype, device=weight.device))
        hook.power_iteration(module, 15)
        with no_grad():
            module.__dict__[name] = hook.compute_weight(module)
        hook.handle = module.register_forward_pre_hook(hook)
        return hook

    def remove(self, module: Module) -> None:
        """Make ``module.<name>`` an ordinary Parameter again, holding W / sigma; drop ``_orig``, ``_u``, ``_v``."""
        with no_grad():
            weight = self.compute_weight(module)
        for suffix in ("_orig", "_u", "_v"):
            delattr(module, self.name + suffix)
        module.__dict__.pop(self.name, None)
        module.register_parameter(self.name, Parameter(weight.detach()))
        self.handle.remove()

    def upgrade_state_dict(self, state_dict: dict, prefix: str) -> None:
        """Rename the entries of minigan's older wrapper module (``module.weight``, ``u``, ...) to today's."""
        rename_keys(state_dict, prefix_renames(state_dict, prefix + "module.", prefix))  # module.bias -> bias, ...
        name = prefix + self.name
        rename_keys(state_dict, [(name, name + "_orig"), (prefix + "u", name + "_u"), (prefix + "v", name + "_v")])


def _hook_of(module: Module, name: str) -> SpectralNorm | None:
    """The SpectralNorm hook on ``module.<name>``, or None."""
    return next((hook for hook in module._forward_pre_hooks.values()
                 if isinstance(hook, SpectralNorm) and hook.name == name), None)


def _existing_hook(module: Module, name: str) -> SpectralNorm:
    hook = _hook_of(module, name)
    if hook is None:
        raise ValueError(f"{type(module).__name__}.{name} is not spectrally normalised")
    return hook


def spectral_norm(module: Module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> Module:
    """``torch.nn.utils.spectral_norm``: normalise ``module.<name>`` before every forward; returns ``module``.

    ``dim`` is the weight axis of the outputs: 0, or 1 for ConvTranspose2d (the default picks it).
    Initialise the layer before: u and v are fitted to the weight it has at that moment.
    """
    SpectralNorm.apply(module, name, n_power_iterations, dim, eps)
    return module


def remove_spectral_norm(module: Module, name: str = "weight") -> Module:
    """``torch.nn.utils.remove_spectral_norm``: freeze W / sigma into an ordinary Parameter; returns ``module``."""
    _existing_hook(module, name).remove(module)
    return module


def spectral_norm_sigma(module: Module, name: str = "weight") -> float:
    """The sigma that the latest forward of a spectrally normalised ``module`` divided its weight by."""
    return _existing_hook(module, name).sigma
