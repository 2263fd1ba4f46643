"""Live evaluation: scoring the generator every few steps *while* it trains, against held-out real images.

A loss curve does not say whether the digits are getting better -- in a GAN both losses hover
around a balance however good G is -- and the last step is not always the best one. So the
trainer (``python -m minigan.train --eval-every``) asks a :class:`LiveEvaluator` for scores every
few steps, logs them to ``metrics.jsonl`` and keeps the best generator by FD (``best.npz``).

What makes the numbers of different steps comparable: the evaluator fixes, once, the latent
vectors (and labels) it feeds G and the reference set -- the first N images of the **test** split,
which G never trains on -- and scores with :func:`minigan.evaluation.scores.score`, the same
function as ``python -m minigan.evaluate``: an FD in ``metrics.jsonl`` at N = 500 is the FD that
``python -m minigan.evaluate RUN --n 500`` would print for that generator, up to the difference of two
samples: the evaluate command draws its own latent vectors, and at N = 500 two samples of one
generator differ by tens of FD points (242 live vs 276 evaluated for one default run).

Cost at N = 500: G's forward on 500 vectors, the classifier on 500 images, and the metrics
(a 128 x 128 matrix square root, 500 x 500 distances, KID on 10 random halves instead of evaluate's
100) -- about a second on 2 cores, so evaluating six times in a 3,000-step run adds well under 1% to it.
"""
from __future__ import annotations

import numpy

from .classifier import classify, load_classifier, to_model_input
from .scores import score

KID_SUBSETS = 10  # python -m minigan.evaluate averages 100: same mean in expectation, a noisier std, 10x cheaper
#: The scores a live evaluation logs (a subset of :func:`score`'s: the cheap ones that track progress).
LOGGED = ("fd", "kid", "classes", "class_kl", "class_histogram", "precision", "recall", "coverage")


class LiveEvaluator:
    """Scores a generator against the first ``n`` test images of ``dataset`` ("mnist" or "fashion-mnist").

    ``latent_dim``: size of G's input; ``conditional``: G takes labels (every class drawn equally
    often); ``seed``: of the fixed latent vectors. Calling the evaluator with a generator returns
    the :data:`LOGGED` scores as a dict (the class histogram as a list of 10 shares). G's
    train/eval mode is put back afterwards, so it can be called in the middle of training.
    """

    def __init__(self, dataset, latent_dim, n=500, conditional=False, data_dir=None, seed=0):
        from .. import data

        load = {"mnist": data.load_mnist, "fashion-mnist": data.load_fashion_mnist}.get(dataset)
        if load is None:
            raise ValueError(f"LiveEvaluator: no classifier for {dataset!r} (evaluation covers mnist, fashion-mnist)")
        if n < 10:
            raise ValueError(f"LiveEvaluator: n = {n} is too small to estimate anything; use at least 10")
        self.classifier, _ = load_classifier(dataset)
        test_images, _, self.source = load("test", data_dir=data_dir, progress=False)
        self.n = min(n, len(test_images))
        self.reference = classify(self.classifier, to_model_input(test_images[:self.n]))
        rng = numpy.random.default_rng([seed, 2])
        self.z = rng.standard_normal((self.n, latent_dim)).astype(numpy.float32)
        self.labels = numpy.arange(self.n) % 10 if conditional else None

    def __call__(self, generator) -> dict:
        from ..gan.sampling import sample

        images = sample(generator, self.z, labels=self.labels)
        scores = score(*classify(self.classifier, images), self.reference, kid_subsets=KID_SUBSETS)
        return {key: scores[key] for key in LOGGED}
