"""``Adam`` and ``AdamW``, as ``torch.optim.Adam`` and ``torch.optim.AdamW``."""
from __future__ import annotations

import math

from .. import backend, kernels
from .optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015), as ``torch.optim.Adam``. For each parameter p with gradient g, at step t = 1, 2, ...:

        g <- g + weight_decay * p                        (L2 penalty, if weight_decay != 0)
        m <- beta1 * m + (1 - beta1) * g                 (first moment: a running mean of g)
        s <- beta2 * s + (1 - beta2) * g^2               (second moment: a running mean of g^2)
        s_max <- max(s_max, s), and s_max is used instead of s below      (amsgrad only)
        p <- p - lr / (1 - beta1^t) * m / (sqrt(s) / sqrt(1 - beta2^t) + eps)

    m and s start at 0, so early on they underestimate; dividing by 1 - beta^t (the *bias
    correction*) undoes that. GANs usually take lr=2e-4, betas=(0.5, 0.999) (DCGAN).

    ``decoupled_weight_decay=True`` replaces the L2 penalty by AdamW's decay (see :class:`AdamW`).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, *,
                 decoupled_weight_decay=False):
        name = type(self).__name__
        if lr < 0 or eps < 0 or weight_decay < 0:
            raise ValueError(f"{name}: lr, eps and weight_decay must be non-negative, got {lr}, {eps}, {weight_decay}")
        if not all(0 <= beta < 1 for beta in betas) or len(betas) != 2:
            raise ValueError(f"{name}: betas must be two numbers in [0, 1), got {betas}")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                                      decoupled_weight_decay=decoupled_weight_decay))

    def _update(self, param, grad, state, group):
        xp, (beta1, beta2) = backend.array_module(grad), group["betas"]
        if group["weight_decay"] != 0 and group["decoupled_weight_decay"]:
            param.data *= 1 - group["lr"] * group["weight_decay"]  # AdamW: shrink p, leave g alone
        elif group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        if not state:
            state.update(step=0, exp_avg=xp.zeros_like(param.data), exp_avg_sq=xp.zeros_like(param.data))
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param.data)
        state["step"] += 1
        bias_correction1 = 1 - beta1 ** state["step"]
        bias_correction2 = 1 - beta2 ** state["step"]
        # The update above, all of it in one pass over p, m and s (kernels/cpu/optim.py): the NumPy
        # expressions took ten passes and eight temporaries per parameter, with the same result bit for bit.
        kernels.adam_update(param.data, grad, state["exp_avg"], state["exp_avg_sq"],
                            state.get("max_exp_avg_sq"), beta1, beta2,
                            group["lr"] / bias_correction1, math.sqrt(bias_correction2), group["eps"])
        param._bump_version()  # an in-place change of the parameter, as `param.data -= ...` would count


class AdamW(Adam):
    """AdamW (Loshchilov & Hutter 2019), as ``torch.optim.AdamW``: Adam with *decoupled* weight decay.

    Each step first shrinks every parameter by the same factor, then takes Adam's step with the
    plain gradient:

        p <- p - lr * weight_decay * p                   (= p * (1 - lr * weight_decay))
        p <- Adam's update of p with g                   (no weight_decay * p added to g)

    Why not Adam's ``weight_decay``? There the penalty's gradient weight_decay * p joins g and is
    divided by sqrt(s) like the rest of it, so a weight with large gradients is hardly decayed and
    one with small gradients a lot. Decoupled, the decay is the same for every weight, as weight
    decay is with SGD. The default weight_decay is 0.01, PyTorch's.
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, decoupled_weight_decay=True)
