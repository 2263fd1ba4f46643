"""Differentiable building blocks for layers: convolution, normalisation, padding, pooling, resizing,
StyleGAN's modulation, activations, loss pieces.

Floor 3 of the house (see GUIDE): everything here takes and returns Tensors and is built from the
autograd engine and, for the heavy operations, the Numba kernels of ``minigan.kernels``.

| file               | contents                                                              |
|--------------------|-----------------------------------------------------------------------|
| ``conv.py``        | ``conv2d``, ``conv_transpose2d``                                      |
| ``batch_norm.py``  | ``batch_norm``                                                        |
| ``normalization.py`` | ``instance_norm``, ``group_norm``                                   |
| ``layers.py``      | ``linear``, ``dropout``, ``layer_norm``, ``embedding``                |
| ``padding.py``     | ``pad`` (constant and reflect)                                        |
| ``pooling.py``     | ``avg_pool2d``, ``max_pool2d``                                        |
| ``sampling.py``    | ``interpolate`` (nearest, bilinear)                                   |
| ``style.py``       | ``adaptive_instance_norm``, ``modulated_conv2d`` (StyleGAN)           |
| ``losses.py``      | ``binary_cross_entropy(_with_logits)``, ``mse_loss``, ``l1_loss``, ``cross_entropy``, ``nll_loss`` |
"""
from ..autograd.activations import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh  # noqa: F401
from .batch_norm import batch_norm  # noqa: F401
from .conv import conv2d, conv_transpose2d  # noqa: F401
from .layers import dropout, embedding, layer_norm, linear  # noqa: F401
from .losses import (  # noqa: F401
    binary_cross_entropy, binary_cross_entropy_with_logits, cross_entropy, l1_loss, mse_loss, nll_loss,
)
from .normalization import group_norm, instance_norm  # noqa: F401
from .padding import pad  # noqa: F401
from .pooling import avg_pool2d, max_pool2d  # noqa: F401
from .sampling import interpolate  # noqa: F401
from .style import adaptive_instance_norm, modulated_conv2d  # noqa: F401
