"""``python -m minigan.evaluate RUN_DIR``: score a trained generator, next to rows that say what a score means.

    python -m minigan.evaluate runs/mnist-ns                    # N = 2,000 samples (500 offline), EMA generator
    python -m minigan.evaluate runs/mnist-ns/checkpoint.npz --n 1000 --no-ema
    python -m minigan.evaluate runs/mnist-ns --best              # best.npz -> eval_best.json

1. The *reference set* is the first N images of the dataset's **test** split, which neither the
   GAN nor the metrics' classifier saw in training. N is ``--n`` (default 2,000), or the size of
   the test split if that is smaller (500 offline MNIST digits).
2. The generator (the EMA copy, if the run kept one) draws N samples from latent vectors of a
   fixed seed (``--seed``); a conditional one draws every class equally often.
3. Every row -- the generator and the reference rows below, N images each -- goes through the
   dataset's classifier (:mod:`minigan.evaluation.classifier`) and is scored against the
   reference set with every metric of :mod:`minigan.metrics`.
4. A table is printed and everything is written to ``RUN_DIR/eval.json`` (``eval_best.json`` for
   ``--best``: the generator of ``best.npz``, the step with the lowest FD in the run's live evaluation).

The reference rows are what make the numbers readable. Every metric depends on N and on the
classifier, so an FD of 3.1 means nothing alone, but a lot next to rows computed the same way:
real training digits (what a perfect generator would score), blurred, noisy, a single class and
uniform noise (:mod:`minigan.evaluation.references` says what each one stands for), and

    untrained G          the run's generator as it was initialised, before step 1 (same architecture
                         and seed): what training started from

Read the metrics together. The untrained generator draws nearly the same grey blob every time;
its features land inside the ball of some odd real digit, so its precision (and density) can
be high -- its recall and coverage of 0 and its single class give it away.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

import numpy

from . import runs
from .cli import DefaultsHelpFormatter, OneLineErrorParser, positive_int, run_cli
from .evaluation.scores import score
from .runs import RunFolderError

DEFAULT_N = 2000
COLUMNS = (  # key in a row of scores, title, format
    ("fd", "FD", "{:.2f}"), ("kid", "KID", None), ("is", "IS", "{:.2f}"), ("class_kl", "class KL", "{:.3f}"),
    ("classes", "classes", "{:d}"), ("precision", "precision", "{:.3f}"), ("recall", "recall", "{:.3f}"),
    ("density", "density", "{:.3f}"), ("coverage", "coverage", "{:.3f}"),
)


def run_folder(path, best=False) -> tuple:
    """``(run folder, checkpoint file name)`` of ``path`` -- a run folder, or the checkpoint.npz or best.npz
    inside one -- or a clear error. ``best``: a folder's best.npz rather than its checkpoint.npz."""
    path = os.fspath(path)
    checkpoint = runs.BEST if best else runs.CHECKPOINT
    if os.path.isfile(path):
        if os.path.basename(path) not in (runs.CHECKPOINT, runs.BEST):
            raise RunFolderError(f"{path}: give a run folder or the {runs.CHECKPOINT} or {runs.BEST} inside one")
        path, checkpoint = os.path.dirname(path) or ".", os.path.basename(path)
    runs.read_config(path)  # a clear error if it is not a run folder
    return path, checkpoint  # runs.load_generator says so if the checkpoint is missing


def check_writable(path) -> None:
    """Fail now, not after minutes of scoring, if ``path`` cannot be written (a read-only folder, a directory)."""
    existed = os.path.exists(path)
    with open(path, "a"):
        pass
    if not existed:
        os.remove(path)


# ---------------------------------------------------------------------------------------------- the samples
def generate(generator, settings, n, seed, batch_size=500) -> numpy.ndarray:
    """N images (N, 1, 28, 28) from ``generator`` with latent vectors (and labels) drawn from ``seed``."""
    import minigan

    rng = numpy.random.default_rng(seed)
    z = rng.standard_normal((n, settings["latent_dim"])).astype(numpy.float32)
    labels = rng.permutation(numpy.arange(n) % 10) if settings["conditional"] else None
    images = []
    with minigan.no_grad():
        for start in range(0, n, batch_size):
            batch = [minigan.tensor(z[start:start + batch_size])]
            if labels is not None:
                batch.append(minigan.tensor(labels[start:start + batch_size]))
            images.append(generator(*batch).numpy())
    return numpy.concatenate(images)


# ---------------------------------------------------------------------------------------------- the table
def format_table(rows: dict) -> str:
    """The scores as a text table, one line per row: the first row (the generator), then a rule, then the rest."""
    def cell(scores, key, fmt):
        if key == "kid":
            return f"{scores['kid']:.1f} ± {scores['kid_std']:.1f}"
        return "inf" if scores[key] is None else fmt.format(scores[key])

    lines = [["row"] + [title for _, title, _ in COLUMNS]]
    lines += [[name] + [cell(scores, key, fmt) for key, _, fmt in COLUMNS] for name, scores in rows.items()]
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    text = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths)))
            for line in lines]
    return "\n".join(text[:2] + ["-" * len(text[0]) + " references"] + text[2:])


# ---------------------------------------------------------------------------------------------- the command
def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="python -m minigan.evaluate", description="Score a trained generator against held-out real data.",
        formatter_class=DefaultsHelpFormatter, allow_abbrev=False)
    parser.add_argument("run", help="a folder written by python -m minigan.train, or its checkpoint.npz")
    parser.add_argument("--n", type=positive_int, default=DEFAULT_N,
                        help="images per row (at most the test split's size)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors and the reference rows")
    parser.add_argument("--best", action="store_true",
                        help="score best.npz (the step with the lowest live-evaluation FD) instead of checkpoint.npz")
    parser.add_argument("--no-ema", action="store_true",
                        help="score the raw generator even if the run kept an EMA copy")
    parser.add_argument("--data-dir", default=None,
                        help="folder with the IDX files (default: $MINIGAN_DATA, then the cache)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    return parser


def untrained_generator(settings):
    """The run's generator as it was before its first step: same architecture, same seed as ``train.py`` used."""
    import minigan

    minigan.manual_seed(settings["seed"])
    return runs.build_models(settings)[0].eval()


def main(argv=None) -> int:
    return run_cli(_evaluate, build_parser().parse_args(argv))


def _evaluate(args) -> int:
    from tqdm import tqdm

    from . import data
    from .evaluation import classify, load_classifier, reference_sets, to_model_input
    from .evaluation.classifier import WEIGHTS

    folder, checkpoint = run_folder(args.run, best=args.best)
    generator, settings = runs.load_generator(folder, ema=not args.no_ema, checkpoint=checkpoint)
    path = os.path.join(folder, "eval_best.json" if checkpoint == runs.BEST else "eval.json")
    check_writable(path)
    dataset = settings["dataset"]
    if dataset not in WEIGHTS:
        raise RunFolderError(f"no classifier for the {dataset} run in {folder}: evaluation covers "
                             f"{', '.join(WEIGHTS)} (toy runs have their scatter plots in samples/)")
    if args.n < 10:
        raise RunFolderError(f"--n {args.n} is too small to estimate anything; use at least 10")
    classifier, classifier_info = load_classifier(dataset)
    load = data.load_mnist if dataset == "mnist" else data.load_fashion_mnist
    train_images, train_labels, _ = load("train", data_dir=args.data_dir, progress=False)
    test_images, _, test_source = load("test", data_dir=args.data_dir, progress=False)
    n = min(args.n, len(test_images), len(train_images))

    # load_generator took the EMA copy if the run kept one, which it does when ema_decay > 0.
    label = "generator (EMA)" if settings["ema_decay"] and not args.no_ema else "generator"
    generators = {label: generator, "untrained G": untrained_generator(settings)}
    data_rows = reference_sets(train_images, train_labels, n, numpy.random.default_rng([args.seed, 1]))
    rows = {}
    with tqdm(total=2 + len(data_rows) + 1, disable=args.no_progress, unit="set", dynamic_ncols=True) as bar:
        reference = classify(classifier, to_model_input(test_images[:n]))
        bar.update(1)
        for name in [label, *data_rows, "untrained G"]:
            bar.set_description(name)
            images = generate(generators[name], settings, n, args.seed) if name in generators else data_rows[name]
            rows[name] = score(*classify(classifier, images), reference)
            bar.update(1)

    references = list(rows)[1:]
    print(f"{dataset}: {n:,} images per row, each scored against the first {n:,} of {test_source}")
    print(f"features: the {dataset} classifier (test accuracy {classifier_info['test_accuracy']:.1%}); "
          "FD, KID, class KL: lower is better; the others: closer to the real row\n")
    print(format_table(rows))
    result = {"run": folder, "checkpoint": checkpoint, "dataset": dataset, "n": n, "seed": args.seed, "ema": label != "generator",
              "reference": test_source, "classifier": classifier_info,
              "generator": rows[label], "references": {name: rows[name] for name in references}}
    with open(path, "w") as f:
        json.dump(result, f, indent=2)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
