"""The README's recipe table from run folders: each candidate's scores as mean +- standard deviation over its seeds.

A candidate is a set of run folders named ``NAME-sSEED`` (``runs/r1-s0``, ``runs/r1-s1``, ...), each
trained with ``python -m minigan.train mnist --seed SEED --out runs/NAME-sSEED FLAGS`` and scored with
``python -m minigan.evaluate runs/NAME-sSEED --n 500`` (which writes ``eval.json``):

    for seed in 0 1 2; do
        python -m minigan.train mnist --seed $seed --out runs/r1-s$seed --r1-gamma 1
        python -m minigan.evaluate runs/r1-s$seed --n 500
    done
    python scripts/recipe_table.py runs/*-s?

One Markdown row per candidate: FD, precision, recall and coverage of the EMA generator against the
held-out digits, the smallest and largest class share over all its seeds, the training time
(``seconds`` of the run's last logged step) and the seeds. A folder without ``eval.json`` is
skipped with a note on stderr.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys

from minigan import runs

SCORES = ("fd", "precision", "recall", "coverage")


def read_run(folder):
    """(name, seed, scores of eval.json's generator, training seconds), or None without eval.json."""
    match = re.fullmatch(r"(.+)-s(\d+)", os.path.basename(os.path.normpath(folder)))
    path = os.path.join(folder, "eval.json")
    if match is None or not os.path.exists(path):
        return None
    with open(path) as f:
        generator = json.load(f)["generator"]
    seconds = max((record.get("seconds", 0.0) for record in runs.read_metrics(folder)), default=0.0)
    return match.group(1), int(match.group(2)), generator, seconds


def mean_and_spread(values, digits):
    if len(values) == 1:
        return f"{values[0]:.{digits}f}"
    return f"{statistics.mean(values):.{digits}f} +- {statistics.stdev(values):.{digits}f}"


def table(folders):
    """The Markdown table (a list of lines) of the candidates in ``folders``, best mean FD first."""
    candidates = {}
    for folder in folders:
        run = read_run(folder)
        if run is None:
            print(f"recipe_table: {folder}: no eval.json (or not named NAME-sSEED), skipped", file=sys.stderr)
            continue
        candidates.setdefault(run[0], []).append(run[1:])
    lines = ["| candidate | seeds | FD | precision | recall | coverage | class shares | training |",
             "|---|---|---|---|---|---|---|---|"]
    for name, results in sorted(candidates.items(), key=lambda item: statistics.mean(r[1]["fd"] for r in item[1])):
        scores = [mean_and_spread([r[1][key] for r in results], 1 if key == "fd" else 3) for key in SCORES]
        shares = [share for r in results for share in r[1]["class_histogram"]]
        seconds = mean_and_spread([r[2] for r in results], 0)
        seeds = ", ".join(str(r[0]) for r in sorted(results, key=lambda r: r[0]))
        lines.append(f"| {name} | {seeds} | {' | '.join(scores)} | {min(shares):.1%}-{max(shares):.1%} | {seconds} s |")
    return lines


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("folders", nargs="+", help="run folders named NAME-sSEED, each with eval.json")
    args = parser.parse_args(argv)
    print("\n".join(table(args.folders)))


if __name__ == "__main__":
    main()
