"""One row of scores: every metric of :mod:`minigan.metrics` for a set of images against a reference set.

``python -m minigan.evaluate`` scores a generator and its reference rows with :func:`score`; the
trainer's live evaluation (:mod:`minigan.evaluation.live`) scores the same way every few steps, so
a number in ``metrics.jsonl`` and one in ``eval.json`` mean the same thing at the same N.
"""
from __future__ import annotations

import math


def score(features, probabilities, reference, kid_subsets=100) -> dict:
    """Every metric of one set (its classifier ``features`` and class ``probabilities``) against the
    reference set's ``(features, probabilities)``: fd, kid (+ kid_std over ``kid_subsets`` random
    halves), is, class_kl, classes, class_histogram, precision, recall, density, coverage."""
    from .. import metrics

    ref_features, ref_probabilities = reference
    n = len(features)
    kid, kid_std = metrics.kernel_inception_distance(ref_features, features, subsets=kid_subsets,
                                                     subset_size=min(1000, n // 2))
    histogram = metrics.class_histogram(probabilities, ref_probabilities)
    precision, recall = metrics.precision_recall(ref_features, features, k=3)
    density, coverage = metrics.density_coverage(ref_features, features, k=5)
    return {
        "fd": metrics.frechet_distance(ref_features, features),
        "kid": kid, "kid_std": kid_std,
        "is": metrics.inception_score(probabilities)[0],
        "class_kl": histogram["kl"] if math.isfinite(histogram["kl"]) else None,  # JSON has no infinity
        "classes": histogram["classes"], "class_histogram": histogram["fake"],
        "precision": precision, "recall": recall, "density": density, "coverage": coverage,
    }
