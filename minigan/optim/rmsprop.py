"""``RMSprop``, as ``torch.optim.RMSprop``: the optimizer of the original WGAN."""
from __future__ import annotations

from .. import backend
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton's lecture notes, 2012), as ``torch.optim.RMSprop``. For each parameter p with gradient g:

        g <- g + weight_decay * p                        (L2 penalty, if weight_decay != 0)
        s <- alpha * s + (1 - alpha) * g^2               (a running mean of g^2, from s = 0)
        a <- alpha * a + (1 - alpha) * g                 (centered only: a running mean of g, from a = 0)
        d <- sqrt(s - a^2) + eps    (centered: the gradient's standard deviation)   or   sqrt(s) + eps
        b <- momentum * b + g / d,   p <- p - lr * b     (if momentum != 0, from b = 0)
        p <- p - lr * g / d                              (otherwise)

    Like Adam it divides each entry of the step by a running root-mean-square of its gradient, so
    every weight moves at about the same pace; unlike Adam it keeps no running mean of the
    gradient itself (no momentum, by default) and no bias correction. The original WGAN (Arjovsky
    et al. 2017) trained with RMSprop(lr=5e-5): momentum-based optimizers made its weight-clipped
    critic unstable.
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        for name, value in (("lr", lr), ("eps", eps), ("weight_decay", weight_decay), ("momentum", momentum)):
            if value < 0:
                raise ValueError(f"RMSprop: {name} must be non-negative, got {value}")
        if not 0 <= alpha <= 1:
            raise ValueError(f"RMSprop: alpha must be in [0, 1], got {alpha}")
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered))

    def _update(self, param, grad, state, group):
        xp, alpha = backend.array_module(grad), group["alpha"]
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        if not state:
            state.update(step=0, square_avg=xp.zeros_like(param.data))
            if group["momentum"] != 0:
                state["momentum_buffer"] = xp.zeros_like(param.data)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param.data)
        state["step"] += 1
        state["square_avg"] = alpha * state["square_avg"] + (1 - alpha) * grad * grad
        if group["centered"]:
            state["grad_avg"] = alpha * state["grad_avg"] + (1 - alpha) * grad
            denominator = xp.sqrt(state["square_avg"] - state["grad_avg"] ** 2) + group["eps"]
        else:
            denominator = xp.sqrt(state["square_avg"]) + group["eps"]
        if group["momentum"] != 0:
            state["momentum_buffer"] = group["momentum"] * state["momentum_buffer"] + grad / denominator
            param.data -= group["lr"] * state["momentum_buffer"]
        else:
            param.data -= group["lr"] * (grad / denominator)
