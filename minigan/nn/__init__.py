"""Neural-network layers and models, PyTorch-style: ``from minigan import nn``.

Floor 4 of the house (README, Layout). Read ``module.py`` first (how a model is a tree of Modules with
Parameters and buffers), then the layers, each in a small file by topic:

| file                 | contents                                                             |
|----------------------|----------------------------------------------------------------------|
| ``parameter.py``     | ``Parameter``                                                        |
| ``module.py``        | ``Module``: registration, ``state_dict``, ``train``/``eval``, ``to`` |
| ``containers.py``    | ``Sequential``, ``ModuleList``, ``ModuleDict``                       |
| ``linear.py``        | ``Linear``                                                           |
| ``conv.py``          | ``Conv2d`` (zero or reflect padding), ``ConvTranspose2d``            |
| ``normalization.py`` | ``BatchNorm1d/2d``, ``LayerNorm``, ``InstanceNorm2d``, ``GroupNorm`` |
| ``pooling.py``       | ``AvgPool2d``, ``MaxPool2d``                                         |
| ``sampling.py``      | ``Upsample`` (nearest, bilinear)                                     |
| ``style.py``         | ``EqualizedLinear``, ``AdaptiveInstanceNorm2d``, ``ModulatedConv2d``, ``NoiseInjection`` |
| ``embedding.py``     | ``Embedding``                                                        |
| ``activation.py``    | ``ReLU``, ``LeakyReLU``, ``Tanh``, ``Sigmoid``, ``Identity``         |
| ``dropout.py``       | ``Dropout``                                                          |
| ``reshape.py``       | ``Flatten``, ``Unflatten``                                           |
| ``spectral_norm.py`` | ``spectral_norm`` (a ``SpectralNorm`` forward pre-hook)              |
| ``utils.py``         | ``utils.clip_grad_norm_``, ``clip_grad_value_``                      |
| ``init.py``          | ``nn.init.normal_``, ``kaiming_uniform_``, ..., ``dcgan_init``       |
| ``checks.py``        | the input-shape checks behind the layers' error messages             |
"""
from . import init, utils
from .activation import Identity, LeakyReLU, ReLU, Sigmoid, Tanh
from .containers import ModuleDict, ModuleList, Sequential
from .conv import Conv2d, ConvTranspose2d
from .dropout import Dropout
from .embedding import Embedding
from .linear import Linear
from .module import Module
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm
from .parameter import Parameter
from .pooling import AvgPool2d, MaxPool2d
from .reshape import Flatten, Unflatten
from .sampling import Upsample
from .spectral_norm import SpectralNorm, remove_spectral_norm, spectral_norm, spectral_norm_sigma
from .style import AdaptiveInstanceNorm2d, EqualizedLinear, ModulatedConv2d, NoiseInjection

__all__ = [
    "init", "utils", "Module", "Parameter", "Sequential", "ModuleList", "ModuleDict",
    "Linear", "Conv2d", "ConvTranspose2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm", "InstanceNorm2d", "GroupNorm",
    "AvgPool2d", "MaxPool2d", "Upsample", "Embedding", "Dropout", "Flatten", "Unflatten",
    "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Identity",
    "EqualizedLinear", "AdaptiveInstanceNorm2d", "ModulatedConv2d", "NoiseInjection",
    "SpectralNorm", "spectral_norm", "remove_spectral_norm", "spectral_norm_sigma",
]
