"""``Embedding``: a learnable table of vectors, one row per class (for conditional GANs' labels).

``Embedding(10, 50)(labels)`` turns integer labels of shape (N,) into vectors of shape (N, 50):
the same as multiplying one-hot vectors by the table, without building the one-hot matrix. Rows
start as N(0, 1), as in PyTorch.
"""
from __future__ import annotations

from .. import functional as F
from ..autograd import Tensor, zeros
from . import init
from .checks import describe
from .module import Module
from .parameter import Parameter


class Embedding(Module):
    """``Embedding(num_embeddings, embedding_dim)``: integer indices of any shape (*) -> (*, embedding_dim)."""

    def __init__(self, num_embeddings: int, embedding_dim: int):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(zeros(num_embeddings, embedding_dim))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.normal_(self.weight)

    def forward(self, indices):
        if not isinstance(indices, Tensor) or indices.dtype.kind not in "iu":
            got = indices.dtype if isinstance(indices, Tensor) else type(indices).__name__
            raise TypeError(f"{describe(self)}: expected a Tensor of integer indices, got {got}")
        return F.embedding(indices, self.weight)

    def extra_repr(self) -> str:
        return f"{self.num_embeddings}, {self.embedding_dim}"
