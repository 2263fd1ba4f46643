"""minigan's autograd engine: ``Tensor``, ``Function``, the graph walk and every basic operation.

Read in this order: ``tensor.py`` (the data structure), ``function.py`` (a graph node),
``engine.py`` (the backward walk), then the operations: ``arithmetic.py``, ``reductions.py``,
``shape.py``, ``activations.py``.
"""
from .activations import leaky_relu, log_sigmoid, log_softmax, relu, sigmoid, softmax, softplus, tanh
from .arithmetic import abs, add, astype, clip, div, exp, log, matmul, maximum, minimum, mul, neg, pow, sqrt, sub, where
from .creation import (
    arange, full, get_rng_state, manual_seed, ones, ones_like, rand, randint, randn, set_rng_state, tensor, zeros,
    zeros_like,
)
from .engine import backward, grad
from .function import Function
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .reductions import broadcast_to, max, mean, min, norm, std, sum, sum_to, var
from .shape import (
    cat, chunk, clone, concatenate, expand, flatten, getitem, pad, permute, reshape, squeeze, stack, to_device,
    transpose, unsqueeze,
)
from .tensor import Tensor, as_tensor

__all__ = [
    "Tensor", "Function", "as_tensor", "tensor", "zeros", "ones", "full", "zeros_like", "ones_like", "randn", "rand",
    "randint", "arange", "manual_seed", "get_rng_state", "set_rng_state",
    "backward", "grad", "no_grad", "enable_grad", "is_grad_enabled", "set_grad_enabled",
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "maximum", "minimum", "where", "clip",
    "matmul", "astype", "sum", "mean", "max", "min", "var", "std", "norm", "broadcast_to", "sum_to",
    "reshape", "transpose", "permute", "flatten", "getitem", "concatenate", "cat", "stack", "chunk", "squeeze",
    "unsqueeze", "expand", "clone", "pad", "to_device",
    "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "log_sigmoid", "log_softmax", "softmax",
]
