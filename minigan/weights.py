"""Weights in the safetensors format: ``save_weights(model, path)`` / ``load_weights(model, path)``.

A model's weights as one file that PyTorch reads too, and that runs no code when it is read:

    minigan.save_weights(G, "g.safetensors")
    minigan.load_weights(G, "g.safetensors")
    G_torch.load_state_dict(safetensors.torch.load_file("g.safetensors"))      # the same file, in PyTorch

**The format** (safetensors, by Hugging Face): a small JSON header -- each tensor's name, dtype,
shape and byte range, plus a free dict of strings, the *metadata* -- followed by the raw bytes of
every tensor. Reading it parses that header and copies bytes; unlike a pickle (what
``torch.save`` writes), it cannot run code. The names are the ``state_dict`` keys, and minigan's
are PyTorch's for the same model (``DCGANGenerator`` / ``DCGANDiscriminator`` and
``benchmarks/torch_reference.py``; spectral norm's ``weight_orig``, ``weight_u``, ``weight_v``).

**Loading is strict.** A file must hold exactly the model's names (``strict=False`` tolerates
missing and unexpected ones), with the model's shapes *and dtypes*: a float64 file is not rounded
into a float32 model silently -- cast one of the two (``model.double()``, or ``.float()`` on the
torch side). Every problem is listed at once, and nothing is loaded if there is one.

``python -m minigan.export RUN --to g.safetensors`` writes the generator of a training run this way.
"""
from __future__ import annotations

import errno
import os

import safetensors.numpy
from safetensors import SafetensorError

from .checkpoint import atomic_write


class WeightsError(ValueError):
    """A weights file that is not safetensors, or does not fit the model."""


def save_weights(module, path, metadata: dict | None = None) -> None:
    """Write ``module.state_dict()`` to ``path`` in the safetensors format, atomically.

    ``metadata``: strings to store in the header beside the tensors (what model this is, its settings).
    """
    if os.path.isdir(path):  # else the rename of the temporary file fails, naming the temporary
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), os.fspath(path))
    metadata = {str(key): str(value) for key, value in (metadata or {}).items()}
    arrays = module.state_dict()  # copies, in C order, as safetensors stores them
    atomic_write(path, lambda f: f.write(safetensors.numpy.save(arrays, metadata=metadata or None)))


def load_weights(module, path, strict: bool = True):
    """Copy the tensors of the safetensors file ``path`` into ``module``'s parameters and buffers, in place.

    Returns ``(missing_keys, unexpected_keys)`` as ``load_state_dict`` does; see the module docstring.
    """
    arrays = read_weights(path)
    own = module.state_dict()
    mismatched = [f"{name}: the model has {array.dtype}, the file {arrays[name].dtype}"
                  for name, array in own.items() if name in arrays and arrays[name].dtype != array.dtype]
    if mismatched:
        raise WeightsError(f"loading {path}: dtype mismatch with {type(module).__name__}: " + "; ".join(mismatched))
    try:
        return module.load_state_dict(arrays, strict=strict)
    except RuntimeError as error:
        raise WeightsError(f"loading {path}: {error}") from None


def read_weights(path) -> dict:
    """The tensors of the safetensors file ``path``, by name, as NumPy arrays."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"weights file not found: {path}")
    try:
        return safetensors.numpy.load_file(path)
    except SafetensorError as error:
        raise WeightsError(f"{path} is not a safetensors file, or is damaged: {error}") from None
    except TypeError as error:  # a dtype NumPy lacks, such as bfloat16
        raise WeightsError(f"{path} holds a tensor NumPy cannot represent ({error}); "
                           "convert it to float32 before saving (in torch: tensor.float())") from None
