"""``python -m minigan.diagnose RUN_DIR``: what a run's logged statistics say is wrong with it, in plain words.

    python -m minigan.diagnose runs/mnist-ns          # a finished run, or one still training

It reads the run's ``config.json`` and ``metrics.jsonl`` (never the checkpoint, so it is safe to run
beside a training process) and prints, for each problem :func:`minigan.gan.diagnosis.diagnose`
finds -- divergence, D winning, G's gradient vanishing, mode collapse, oscillation -- the numbers
that show it, the usual remedy and the tutorial to read. A run with no problem gets a short summary
of its last logged numbers instead. Exit code: 0 when nothing is wrong, 3 when something is (so a
script can tell), 1 for an unreadable run folder.
"""
from __future__ import annotations

import argparse
import sys

from . import runs
from .cli import OneLineErrorParser, run_cli

PROBLEMS_FOUND = 3


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineErrorParser(prog="python -m minigan.diagnose", allow_abbrev=False,
                                description="Say what is wrong with a training run, from the statistics it logged.")
    parser.add_argument("run", help="a folder written by python -m minigan.train")
    return parser


def summary(records) -> str:
    """The last logged numbers of a healthy run, one line each."""
    last = records[-1]
    lines = [f"step {last['step']}: " + ", ".join(f"{key} {last[key]:.3g}" for key in
                                                  ("d_loss", "g_loss", "d_real", "d_fake") if key in last)]
    evaluated = [r for r in records if "eval_fd" in r]
    if evaluated:
        best = min(evaluated, key=lambda r: r["eval_fd"])
        lines.append(f"live evaluation: FD {evaluated[-1]['eval_fd']:.1f} at step {evaluated[-1]['step']} "
                     f"(best {best['eval_fd']:.1f} at step {best['step']}), {evaluated[-1]['eval_classes']} classes, "
                     f"coverage {evaluated[-1]['eval_coverage']:.2f}")
    return "\n".join(lines)


def main(argv=None) -> int:
    return run_cli(_diagnose, build_parser().parse_args(argv))


def _diagnose(args) -> int:
    from .gan.diagnosis import diagnose

    settings = runs.read_config(args.run)
    records = runs.read_metrics(args.run)
    if not records:
        raise runs.RunFolderError(f"{args.run}: metrics.jsonl holds no logged step yet")
    findings = diagnose(records, loss=settings["loss"])
    print(f"{args.run}: {settings['dataset']}, {settings['loss']} loss, {len(records)} logged steps "
          f"(up to step {records[-1]['step']})")
    if not findings:
        print("no problem found\n" + summary(records))
        return 0
    for finding in findings:
        print(f"\n{finding}")
    return PROBLEMS_FOUND


if __name__ == "__main__":
    sys.exit(main())
