"""``python -m minigan.export RUN --to g.safetensors``: a run's generator as a safetensors file for PyTorch.

    python -m minigan.export runs/mnist-ns --to g.safetensors                 # the EMA generator
    python -m minigan.export runs/mnist-ns --to g.safetensors --no-ema        # the raw generator
    python -m minigan.export runs/mnist-ns --to g.safetensors --discriminator d.safetensors

The file holds the ``state_dict`` under PyTorch's names (see ``minigan.weights``), and in its
metadata the model's class and the run's settings (``config.json``), which say how to build the
model on the other side. For the default DCGAN, ``benchmarks/torch_reference.py``'s ``Generator``
loads it as it is::

    G = Generator(); G.load_state_dict(safetensors.torch.load_file("g.safetensors")); G.eval()

The run folder is read through ``minigan.runs``; problems (no such run, a damaged checkpoint, a
file that cannot be written) are one line on stderr and exit status 1 (``minigan.cli.run_cli``).
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from . import __version__
from .checkpoint import load_checkpoint
from .cli import OneLineErrorParser, run_cli
from .runs import CHECKPOINT, build_models, load_generator, read_config
from .weights import save_weights


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(
        prog="python -m minigan.export", allow_abbrev=False,
        description="Write the generator of a training run as a safetensors file (PyTorch's state_dict names).")
    parser.add_argument("run", help="the run folder (what python -m minigan.train wrote, e.g. runs/mnist-ns)")
    parser.add_argument("--to", required=True, metavar="PATH", help="the file to write, e.g. g.safetensors")
    parser.add_argument("--no-ema", action="store_true",
                        help="the generator as trained, not its exponential moving average (EMA) copy")
    parser.add_argument("--discriminator", metavar="PATH", help="also write the discriminator to PATH")
    return parser


def load_discriminator(folder):
    """The discriminator of the run in ``folder``, in eval mode."""
    _, discriminator = build_models(read_config(folder))
    discriminator.load_state_dict(load_checkpoint(os.path.join(folder, CHECKPOINT))["trainer"]["discriminator"])
    return discriminator.eval()


def export(module, path, role: str, settings: dict) -> str:
    """Write ``module``'s weights to ``path`` with the run's settings as metadata; returns a line to print."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    save_weights(module, path, metadata={"producer": f"minigan {__version__}", "model": type(module).__name__,
                                         "role": role, "config": json.dumps(settings)})
    return f"wrote {path}: the {role} ({type(module).__name__}, {module.num_parameters():,} parameters)"


def main(argv=None) -> int:
    return run_cli(_export, build_parser().parse_args(argv))


def _export(args) -> int:
    generator, settings = load_generator(args.run, ema=not args.no_ema)
    with_ema = not args.no_ema and bool(settings.get("ema_decay"))
    print(export(generator, args.to, "EMA generator" if with_ema else "generator", settings))
    if args.discriminator:
        print(export(load_discriminator(args.run), args.discriminator, "discriminator", settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
