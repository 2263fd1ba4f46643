"""Differentiable building blocks for layers: convolution, batch norm, activations, loss pieces.

Floor 3 of the house (see GUIDE): everything here takes and returns Tensors and is built from the
autograd engine and, for the heavy operations, the Numba kernels of ``minigan.kernels``.
"""
from ..autograd.activations import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh  # noqa: F401
