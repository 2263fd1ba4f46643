"""Adam's update on the GPU: the formulas of ``kernels/cpu/optim.py``, one thread per element
(``launch.blocks_for``). Arrays arrive flat and contiguous; p, m, v and v_max are updated in place;
v_max is an empty array without amsgrad."""
from __future__ import annotations

import math

from numba import cuda

from .launch import blocks_for, launch


def adam_update(param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, beta1, beta2, step_size, root_correction2, eps):
    real = param.dtype.type
    launch(_adam_update, blocks_for(param.size), param, grad, exp_avg, exp_avg_sq, max_exp_avg_sq, real(beta1),
           real(1 - beta1), real(beta2), real(1 - beta2), real(step_size), real(root_correction2), real(eps))


@cuda.jit
def _adam_update(p, g, m, v, v_max, beta1, one_minus_beta1, beta2, one_minus_beta2, step_size, root_correction2, eps):
    i = cuda.grid(1)
    if i < p.size:
        gi = g[i]
        mi = beta1 * m[i] + one_minus_beta1 * gi
        vi = beta2 * v[i] + one_minus_beta2 * gi * gi
        m[i] = mi
        v[i] = vi
        if v_max.size != 0:  # amsgrad
            if not v_max[i] >= vi:  # np.maximum: a NaN in v wins
                v_max[i] = vi
            vi = v_max[i]
        p[i] -= step_size * (mi / (math.sqrt(vi) / root_correction2 + eps))
