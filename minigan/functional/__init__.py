"""Differentiable building blocks for layers: convolution, batch norm, activations, loss pieces.

Floor 3 of the house (README, Layout): everything here takes and returns Tensors and is built from the
autograd engine and, for the heavy operations, the Numba kernels of ``minigan.kernels``.
"""
from ..autograd.activations import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh  # noqa: F401
from .batch_norm import batch_norm  # noqa: F401
from .conv import conv2d, conv_transpose2d  # noqa: F401
from .layers import dropout, embedding, layer_norm, linear  # noqa: F401
from .losses import binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, mse_loss, nll_loss  # noqa: F401
