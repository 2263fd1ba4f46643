"""``SGD``: stochastic gradient descent with momentum, as ``torch.optim.SGD``."""
from __future__ import annotations

from .optimizer import _REQUIRED, Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, as ``torch.optim.SGD``. For each parameter p with gradient g:

        g <- g + weight_decay * p                        (L2 penalty, if weight_decay != 0)
        b <- g at the first step,  then  b <- momentum * b + (1 - dampening) * g      (if momentum != 0)
        g <- g + momentum * b   (nesterov)   or   g <- b   (classical momentum)
        p <- p - lr * g
    """

    def __init__(self, params, lr=_REQUIRED, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if lr is not _REQUIRED and lr < 0:
            raise ValueError(f"SGD: invalid learning rate {lr}")
        if momentum < 0 or weight_decay < 0:
            raise ValueError(f"SGD: momentum and weight_decay must be non-negative, got {momentum}, {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov))

    def _update(self, param, grad, state, group):
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * param.data
        momentum = group["momentum"]
        if momentum != 0:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()
            else:
                state["momentum_buffer"] = momentum * state["momentum_buffer"] + (1 - group["dampening"]) * grad
            buffer = state["momentum_buffer"]
            grad = grad + momentum * buffer if group["nesterov"] else buffer
        param.data -= group["lr"] * grad
