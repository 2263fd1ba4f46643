"""Adam's update on the CPU, in one pass over each parameter and its two moment buffers.

The arithmetic of one element is ``kernels/adam_element.py``'s (shared with the CUDA kernel).

Written with NumPy (``minigan/optim/adam.py`` before this kernel), that is ten passes over memory
and eight temporary arrays per parameter: 4.1 ms of a DCGAN step for G's 778,305 weights. Here each
element is read and written once. The arithmetic is NumPy's to the bit: the scalars are rounded
to the array's dtype first (NumPy does the same with a Python float, NEP 50), every operation is
done in that dtype in the same order, and nothing is fused (no ``fastmath``, so no FMA).
Numba's default ``error_model="python"`` tests every division for a zero divisor (to raise
ZeroDivisionError), and that branch keeps the loop from vectorizing: with ``error_model="numpy"``
(IEEE division, as NumPy's) the kernel takes 0.47 ms for G's weights instead of 1.85 ms.
Arrays arrive flat and contiguous (``minigan.kernels``); p, m, v and v_max are updated in place;
v_max is an empty array without amsgrad.
"""
from __future__ import annotations

import math

from numba import njit

from ..adam_element import adam_element

_adam_element = njit(error_model="numpy")(adam_element)


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_correction2, eps):
    real = param.dtype.type
    _adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, real(-math.inf), real(beta1), real(1 - beta1),
                 real(beta2), real(1 - beta2), real(step_size), real(root_correction2), real(eps))


@njit(cache=True, nogil=True, error_model="numpy")  # IEEE division: no zero test, so the loop vectorizes
def _adam_update(p, g, m, v, v_max, minus_infinity, *hyperparameters):
    amsgrad = v_max.size != 0
    for i in range(p.size):
        m[i], v[i], v_max_i, delta = _adam_element(g[i], m[i], v[i], v_max[i] if amsgrad else minus_infinity,
                                                   *hyperparameters)
        if amsgrad:
            v_max[i] = v_max_i
        p[i] -= delta
