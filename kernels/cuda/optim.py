"""Adam's update on the GPU: ``kernels/adam_element.py``'s arithmetic, one thread per element
(``launch.blocks_for``). Arrays arrive flat and contiguous; p, m, v and v_max are updated in place;
v_max is an empty array without amsgrad."""
from __future__ import annotations

import math

from numba import cuda

from ..adam_element import adam_element
from .launch import blocks_for, launch

_adam_element = cuda.jit(device=True)(adam_element)


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_correction2, eps):
    real = param.dtype.type
    launch(_adam_update, blocks_for(param.size), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, real(-math.inf),
           real(beta1), real(1 - beta1), real(beta2), real(1 - beta2), real(step_size), real(root_correction2),
           real(eps))


@cuda.jit
def _adam_update(p, g, m, v, v_max, minus_infinity, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size,
                 root_correction2, eps):
    i = cuda.grid(1)
    if i < p.size:
        amsgrad = v_max.size != 0
        m[i], v[i], v_max_i, delta = _adam_element(g[i], m[i], v[i], v_max[i] if amsgrad else minus_infinity, beta1,
                                                   one_minus_beta1, beta2, one_minus_beta2, step_size,
                                                   root_correction2, eps)
        if amsgrad:
            v_max[i] = v_max_i
        p[i] -= delta
