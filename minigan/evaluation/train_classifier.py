"""``python -m minigan.evaluation.train_classifier DATASET --out PATH``: train the classifier the metrics use.

    python -m minigan.evaluation.train_classifier mnist --out minigan/evaluation/weights/mnist_classifier.npz
    python -m minigan.evaluation.train_classifier fashion-mnist \\
        --out minigan/evaluation/weights/fashion_mnist_classifier.npz

The recipe: the :class:`~minigan.evaluation.classifier.Classifier` CNN, cross-entropy, Adam
(lr 1e-3, betas (0.9, 0.999)) with the learning rate falling linearly to 0 over training, batches
of 32, on the dataset's train split; then the test split gives the accuracy. MNIST offline has
only 4,500 training digits, so it takes 50 epochs, and every image is shifted at random by up to
2 pixels in each direction (data augmentation: a digit moved a little is still the same digit,
and the network learns not to care where exactly the strokes are). Fashion-MNIST's 60,000
images need no help in 3 epochs.

At the end the weights are rounded to float16 (half the file size) and *then* the test accuracy
is measured, so the recorded accuracy is that of the shipped network. The file is a minigan
checkpoint, ``{"model": state_dict, "info": {...}}``; the command prints its size and SHA-256, to
be pasted into ``WEIGHTS`` in ``classifier.py``. The same seed on the same data and machine gives
the same weights (another BLAS may differ in the last bits; the file's bytes also hold zip
timestamps, so its checksum changes on every save).
"""
from __future__ import annotations

import argparse
import math
import os
import sys
import time

import numpy

DEFAULTS = {"mnist": dict(epochs=50, shift=2), "fashion-mnist": dict(epochs=3, shift=0)}


def random_shift(images: numpy.ndarray, max_shift: int, rng) -> numpy.ndarray:
    """Move each image (N, C, H, W) by up to ``max_shift`` pixels along each axis, filling with background (-1)."""
    if max_shift == 0:
        return images
    n, _, height, width = images.shape
    padded = numpy.pad(images, ((0, 0), (0, 0), (max_shift, max_shift), (max_shift, max_shift)), constant_values=-1.0)
    top, left = rng.integers(0, 2 * max_shift + 1, size=(2, n))
    return numpy.stack([padded[i, :, top[i]:top[i] + height, left[i]:left[i] + width] for i in range(n)])


def accuracy(model, images, labels) -> float:
    """The fraction of uint8 ``images`` whose predicted class is their label."""
    from .classifier import classify, to_model_input

    _, probabilities = classify(model, to_model_input(images))
    return float((probabilities.argmax(axis=1) == labels).mean())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m minigan.evaluation.train_classifier",
        description="Train the classifier whose features and predictions the metrics use.")
    parser.add_argument("dataset", choices=sorted(DEFAULTS), help="what to classify")
    parser.add_argument("--out", required=True, help="the weights file to write (.npz)")
    parser.add_argument("--epochs", type=int, default=None,
                        help="passes over the train split (default: 50 for mnist, 3 for fashion-mnist)")
    parser.add_argument("--shift", type=int, default=None,
                        help="random shifts of up to this many pixels (default: 2 for mnist, 0 for fashion-mnist)")
    parser.add_argument("--batch-size", type=int, default=32, help="images per step (default: %(default)s)")
    parser.add_argument("--lr", type=float, default=1e-3, help="Adam's initial learning rate (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the weights, batches and shifts (default: 0)")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the IDX files (default: $MINIGAN_DATA, then the cache)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def train(settings: dict) -> tuple:
    """Train a classifier; returns ``(state_dict in float16, info)``."""
    from tqdm import tqdm

    import minigan
    from .. import data, optim
    from ..functional import cross_entropy
    from .classifier import Classifier

    loader_fn = data.load_mnist if settings["dataset"] == "mnist" else data.load_fashion_mnist
    progress = not settings["no_progress"]
    train_images, train_labels, train_source = loader_fn("train", data_dir=settings["data_dir"], progress=progress)
    test_images, test_labels, test_source = loader_fn("test", data_dir=settings["data_dir"], progress=progress)

    minigan.manual_seed(settings["seed"])
    model = Classifier()
    optimizer = optim.Adam(model.parameters(), lr=settings["lr"])
    loader = data.BatchLoader(train_images, train_labels, batch_size=settings["batch_size"], seed=settings["seed"])
    shifts = numpy.random.default_rng([settings["seed"], 1])
    total_steps = settings["epochs"] * len(loader)
    # The rate falls linearly to 0: lr * (1 - step / total_steps) at step 0, 1, ..., total_steps - 1.
    scheduler = optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=total_steps)
    batches = loader.forever()
    start = time.perf_counter()
    with tqdm(total=total_steps, disable=not progress, unit="step", dynamic_ncols=True) as bar:
        for _ in range(total_steps):
            images, labels = next(batches)
            images = minigan.tensor(random_shift(images.numpy(), settings["shift"], shifts))
            loss = cross_entropy(model(images), labels)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")

    seconds = time.perf_counter() - start
    model.eval()
    state = {name: value.astype(numpy.float16) for name, value in model.state_dict().items()}
    model.load_state_dict(state)  # from here on the network computes with the rounded weights
    info = {
        "dataset": settings["dataset"], "test_accuracy": accuracy(model, test_images, test_labels),
        "test_images": len(test_images), "test_source": test_source, "train_source": train_source,
        "train_seconds": round(seconds, 1),
        **{key: settings[key] for key in ("epochs", "shift", "batch_size", "lr", "seed")},
    }
    return state, info


def main(argv=None) -> int:
    from ..checkpoint import save_checkpoint
    from .classifier import sha256_of

    args = build_parser().parse_args(argv)
    settings = {**vars(args), **{key: value for key, value in DEFAULTS[args.dataset].items()
                                 if getattr(args, key) is None}}
    state, info = train(settings)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    save_checkpoint(args.out, {"model": state, "info": info})
    print(f"{args.dataset}: test accuracy {info['test_accuracy']:.2%} on {info['test_images']:,} images "
          f"({info['test_source']}); trained in {math.ceil(info['train_seconds'])} s")
    print(f"wrote {args.out}: {os.path.getsize(args.out):,} bytes, sha256 {sha256_of(args.out)}")
    print("(to ship it, put that checksum into WEIGHTS in minigan/evaluation/classifier.py)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
