"""Adam's update of one element, the arithmetic both kernel families share.

``kernels/cpu/optim.py`` compiles it with ``numba.njit`` and calls it in a loop over the elements;
``kernels/cuda/optim.py`` compiles it with ``numba.cuda.jit(device=True)`` and calls it once per
thread. With ``step_size = lr / (1 - beta1^t)`` and ``root_correction2 = sqrt(1 - beta2^t)``:

    m     <- beta1 * m + (1 - beta1) * g
    v     <- beta2 * v + (1 - beta2) * g * g
    v_max <- max(v_max, v)               (amsgrad keeps v_max; without it v_max = -inf, so v_max = v)
    p     <- p - step_size * (m / (sqrt(v_max) / root_correction2 + eps))

It takes and returns scalars, not arrays: a function that indexes the arrays itself keeps Numba's
CPU loop from vectorizing (2.5 ms instead of 0.7 ms for G's 778,305 weights).
"""
from __future__ import annotations

import math


def adam_element(g, m, v, v_max, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, root_correction2, eps):
    """The new ``(m, v, v_max)`` of one element and the amount to subtract from its parameter."""
    m = beta1 * m + one_minus_beta1 * g
    v = beta2 * v + one_minus_beta2 * g * g
    if not v_max >= v:  # np.maximum: a NaN in v wins
        v_max = v
    return m, v, v_max, step_size * (m / (math.sqrt(v_max) / root_correction2 + eps))
