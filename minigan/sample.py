"""``python -m minigan.sample RUN_DIR``: pictures from a trained generator.

    python -m minigan.sample runs/mnist-ns                  # grid.png, interpolation.png (+ classes.png)
    python -m minigan.sample runs/mnist-ns --n 64 --seed 3 --no-ema

Writes into the run folder (or ``--out``):

* ``grid.png``           -- ``--n`` samples from fresh latent vectors;
* ``interpolation.png``  -- rows that walk in a straight line from one latent vector z0 to
  another z1, G((1 - t) z0 + t z1) for t from 0 to 1: a smooth change between two digits shows that
  G learned a continuous map, not a lookup table of training images;
* ``classes.png``        -- for a conditional model, one row per class with the same latent
  vectors in every row: the label sets *what* is drawn, z sets *how* (style, thickness, slant).

The generator is the EMA copy when the run kept one (usually the better sampler).
"""
from __future__ import annotations

import argparse
import os
import sys

import numpy as np

from .cli import DefaultsHelpFormatter, OneLineErrorParser, positive_int, run_cli
from .runs import BEST, CHECKPOINT, IMAGE_DATASETS, RunFolderError, load_generator


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="python -m minigan.sample", description="Sample pictures from a trained run.",
                                formatter_class=DefaultsHelpFormatter, allow_abbrev=False)
    parser.add_argument("run_dir", help="a folder written by python -m minigan.train")
    parser.add_argument("--n", type=positive_int, default=100, help="samples in grid.png")
    parser.add_argument("--rows", type=positive_int, default=8, help="rows of interpolation.png")
    parser.add_argument("--columns", type=positive_int, default=10, help="steps from z0 to z1 in each interpolation row")
    parser.add_argument("--seed", type=int, default=0, help="seed of the latent vectors")
    parser.add_argument("--no-ema", action="store_true", help="use the raw generator even if the run kept an EMA copy")
    parser.add_argument("--best", action="store_true",
                        help="draw from best.npz (the step with the lowest live-evaluation FD) instead of checkpoint.npz")
    parser.add_argument("--out", default=None, help="folder for the pictures (default: the run folder)")
    return parser


def main(argv=None) -> int:
    return run_cli(_sample, build_parser().parse_args(argv))


def _sample(args) -> int:
    import minigan
    from .viz import save_image_grid

    generator, settings = load_generator(args.run_dir, ema=not args.no_ema,
                                         checkpoint=BEST if args.best else CHECKPOINT)
    if settings["dataset"] not in IMAGE_DATASETS:
        raise RunFolderError("minigan.sample draws image grids; toy runs have their scatter plots in samples/")
    out = args.out or args.run_dir
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(args.seed)
    latent = settings["latent_dim"]
    conditional = settings["conditional"]

    def generate(z, labels=None):
        with minigan.no_grad():
            z = minigan.tensor(z.astype(np.float32))
            return generator(z, minigan.tensor(labels)) if conditional else generator(z)

    labels = rng.integers(0, 10, args.n) if conditional else None
    save_image_grid(generate(rng.standard_normal((args.n, latent)), labels), os.path.join(out, "grid.png"))

    z0, z1 = rng.standard_normal((2, args.rows, 1, latent))
    t = np.linspace(0, 1, args.columns).reshape(1, -1, 1)
    path = ((1 - t) * z0 + t * z1).reshape(-1, latent)
    row_labels = np.repeat(rng.integers(0, 10, args.rows), args.columns) if conditional else None
    save_image_grid(generate(path, row_labels), os.path.join(out, "interpolation.png"), nrow=args.columns)
    written = ["grid.png", "interpolation.png"]

    if conditional:
        z = np.tile(rng.standard_normal((args.columns, latent)), (10, 1))
        save_image_grid(generate(z, np.repeat(np.arange(10), args.columns)), os.path.join(out, "classes.png"),
                        nrow=args.columns)
        written.append("classes.png")
    print("wrote " + ", ".join(os.path.join(out, name) for name in written))
    return 0


if __name__ == "__main__":
    sys.exit(main())
