"""Numba CUDA kernels (``@cuda.jit``), for CuPy arrays and for NumPy arrays under Numba's simulator.

Importing this package imports ``numba.cuda``; ``minigan.kernels`` does so only when an array asks
for a CUDA target. Call the kernels through ``minigan.kernels``, which validates arguments.
"""
from .activation import leaky_relu, leaky_relu_backward, relu_backward
from .batch_norm import add_channel_bias, batch_norm_backward, batch_norm_forward, batch_norm_stats, channel_sum
from .conv import col2im, conv_rows_to_nchw, im2col
from .optim import adam_update
