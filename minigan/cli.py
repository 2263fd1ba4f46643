"""What the command-line tools share: argument types that refuse nonsense, and one-line errors.

A user's mistake -- ``--width 0``, a data folder that holds no data, a damaged checkpoint, an
output folder that cannot be written -- deserves one line that says what is wrong, not a
traceback through minigan's internals. So:

* :class:`OneLineErrorParser` prints an argument error as ``prog: error: ...`` alone (argparse's
  default adds the whole usage text above it);
* the argument types below reject values that cannot work (``positive_int("0")``, ``nan``) while
  the arguments are parsed, before anything is created on disk;
* :func:`run_cli` runs a tool's body and turns the errors a user can cause into
  ``error: <message>`` on stderr and exit code 1. Anything else is a bug in minigan: its traceback
  is shown as usual, so that it can be reported.
"""
from __future__ import annotations

import argparse
import math
import sys


class OneLineErrorParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line: ``prog: error: message (see --help)``."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


class DefaultsHelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """``--help`` with each option's default, as ``ArgumentDefaultsHelpFormatter``, except where the help
    text already says its default in words ("default: 500 for images"), or there is none to say: None,
    or a flag (``store_true``: off unless given)."""

    def _get_help_string(self, action):
        if "default" in (action.help or "") or action.default is None or action.nargs == 0:
            return action.help
        return super()._get_help_string(action)


def _number(kind, accept, requirement):
    """An argparse ``type`` that parses ``kind`` and accepts only finite values for which ``accept`` holds."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {requirement}") from None
        if not (math.isfinite(value) and accept(value)):
            raise argparse.ArgumentTypeError(f"{text!r} is not {requirement}")
        return value
    parse.__name__ = requirement
    return parse


positive_int = _number(int, lambda v: v > 0, "a whole number > 0")
non_negative_int = _number(int, lambda v: v >= 0, "a whole number >= 0")
non_negative_float = _number(float, lambda v: v >= 0, "a finite number >= 0")
positive_float = _number(float, lambda v: v > 0, "a finite number > 0")
fraction_below_one = _number(float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def expected_errors() -> tuple:
    """The exception types a user's input or machine can cause (imported here, when a tool runs)."""
    from .backend import DeviceError
    from .checkpoint import CheckpointError
    from .data import DataUnavailableError, IDXError
    from .runs import RunFolderError

    return (CheckpointError, IDXError, DataUnavailableError, DeviceError, RunFolderError, OSError)


def describe(error: BaseException) -> str:
    """An expected error as one line; file-system errors name the path and the reason."""
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split()) or type(error).__name__


def run_cli(body, *args) -> int:
    """``body(*args)``'s exit code; an expected error becomes ``error: ...`` on stderr and exit code 1."""
    try:
        return body(*args)
    except expected_errors() as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 1
