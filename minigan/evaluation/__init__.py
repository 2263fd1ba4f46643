"""Offline evaluation of generated images: the classifiers the metrics look through.

``classifier.py`` holds the small CNN and loads its shipped, checksummed weights;
``train_classifier.py`` is the command that trained them; ``references.py`` makes the reference
image sets (real, blurred, noisy, one class, noise) that give a score its meaning. The metrics
themselves (Fréchet distance, Inception Score, KID, precision/recall, ...) are in
:mod:`minigan.metrics`, and ``python -m minigan.evaluate RUN_DIR`` puts it all together for a
training run.
"""
from .classifier import ChecksumError, Classifier, classify, load_classifier, to_model_input  # noqa: F401
from .references import gaussian_blur, reference_sets  # noqa: F401
