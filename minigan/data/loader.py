"""``BatchLoader``: mini-batches of a dataset as Tensors, shuffled deterministically, resumable mid-epoch.

    loader = BatchLoader(images, labels, batch_size=64, seed=0)
    for epoch in range(epochs):
        for images, labels in loader:      # one epoch; (B, 1, 28, 28) float32 in [-1, 1], (B,) int64
            ...

Each epoch's order is a permutation drawn from ``numpy.random.default_rng([seed, epoch])``: it
depends only on the seed and the epoch number, not on what ran before. So the loader's whole
state is two integers -- the epoch and the position (batches already handed out in it) -- and
``state_dict()`` / ``load_state_dict()`` let a resumed run receive exactly the batches the
uninterrupted run would have had. The position moves on as each batch is handed out, so a
``for`` loop that stops early picks up at the next batch when it starts again; ``forever()``
runs through epoch after epoch, for training loops counted in steps.

Images are converted batch by batch: uint8 images become float32 ``x / 127.5 - 1`` (the range of
a generator's tanh output), other dtypes become float32 unchanged; 3-D arrays (N, H, W) get a
channel axis, (B, 1, H, W). So the toy distributions' (N, D) points come out as (B, D).
"""
from __future__ import annotations

import numpy

from ..autograd import Tensor


class BatchLoader:
    def __init__(self, images, labels=None, batch_size: int = 64, shuffle: bool = True, seed: int = 0,
                 drop_last: bool = True):
        self.images = numpy.asarray(images)
        self.labels = None if labels is None else numpy.asarray(labels, dtype=numpy.int64)
        if self.labels is not None and len(self.labels) != len(self.images):
            raise ValueError(f"BatchLoader: {len(self.images)} images but {len(self.labels)} labels")
        if batch_size < 1:
            raise ValueError(f"BatchLoader: batch_size must be positive, got {batch_size}")
        self.batch_size, self.shuffle, self.seed, self.drop_last = batch_size, shuffle, seed, drop_last
        if len(self) == 0:
            raise ValueError(f"BatchLoader: {len(self.images)} samples make no batch of {batch_size} "
                             "(drop_last=True drops incomplete batches)")
        self.epoch, self.position = 0, 0

    def __len__(self) -> int:
        """Batches per epoch."""
        full, rest = divmod(len(self.images), self.batch_size)
        return full + (1 if rest and not self.drop_last else 0)

    def __iter__(self):
        """The rest of the current epoch: ``images`` batches, or ``(images, labels)`` if there are labels."""
        order = self._order(self.epoch)
        for index in range(self.position, len(self)):
            rows = order[index * self.batch_size:(index + 1) * self.batch_size]
            self.position += 1
            if self.position == len(self):
                self.epoch, self.position = self.epoch + 1, 0
            yield self._batch(rows)

    def forever(self):
        """Batches epoch after epoch, without end."""
        while True:
            yield from self

    def state_dict(self) -> dict:
        return {"epoch": self.epoch, "position": self.position}

    def load_state_dict(self, state: dict) -> None:
        epoch, position = int(state["epoch"]), int(state["position"])
        if epoch < 0 or not 0 <= position < len(self):
            raise ValueError(f"BatchLoader.load_state_dict: position {position} outside 0..{len(self) - 1} "
                             f"or negative epoch {epoch}")
        self.epoch, self.position = epoch, position

    def _order(self, epoch: int) -> numpy.ndarray:
        if not self.shuffle:
            return numpy.arange(len(self.images))
        return numpy.random.default_rng([self.seed, epoch]).permutation(len(self.images))

    def _batch(self, rows):
        images = self.images[rows]
        if images.dtype == numpy.uint8:
            images = images.astype(numpy.float32) / 127.5 - 1.0
        if images.ndim == 3:
            images = images[:, None]  # one channel
        images = Tensor(images.astype(numpy.float32, copy=False))
        return images if self.labels is None else (images, Tensor(self.labels[rows]))
