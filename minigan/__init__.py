"""minigan: a from-scratch, teachable GAN library.

The top level re-exports the autograd engine, PyTorch-style: ``minigan.tensor``, ``minigan.randn``,
``minigan.grad``, ``minigan.no_grad``, and the basic operations (``minigan.exp``, ``minigan.matmul``,
...). Layers live in ``minigan.nn``, optimizers and learning-rate schedules in ``minigan.optim``,
differentiable building blocks (convolution, batch norm, activations) in ``minigan.functional``;
``minigan.save_weights`` / ``minigan.load_weights`` move a model's weights in and out of a
safetensors file (which PyTorch reads too).
"""
from .allocator import keep_freed_memory

keep_freed_memory()  # before the first big array: see minigan/allocator.py (a 118 ms step takes 97 ms)

from .autograd import *  # noqa: E402,F401,F403
from .autograd import Tensor, grad, no_grad  # noqa: E402,F401  (named explicitly for readers and linters)
from .backend import cuda_available, default_device, set_default_device  # noqa: E402,F401

__version__ = "0.1.0"

# Layers and optimizers (floor 4) import only the floors below, so importing them last makes no cycle.
from . import nn, optim  # noqa: E402,F401
from .weights import load_weights, save_weights  # noqa: E402,F401
