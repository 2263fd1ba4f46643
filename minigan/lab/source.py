""""What just ran": the source of the functions one lab update called, as the page shows it.

The lab runs minigan's own training step, so the code it shows is the code that ran -- read with
``inspect`` from the installed files, never a copy that could drift: :class:`GANTrainer`'s
``step``, ``d_step`` and ``g_step``, the loss functions of the chosen loss, and the penalties in use.
"""
from __future__ import annotations

import functools
import inspect
import os

from ..gan import penalties
from ..gan.training import GANTrainer

_PACKAGE_PARENT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def underlying(function):
    """The named function behind a ``functools.partial`` or a one-line adapter lambda (as
    :func:`minigan.gan.get_loss` builds them): the function whose code a reader wants to see."""
    while True:
        if isinstance(function, functools.partial):
            function = function.func
        elif function.__name__ == "<lambda>" and function.__closure__:
            function = function.__closure__[0].cell_contents
        else:
            return function


def snippet(function) -> dict:
    """``{"title", "file", "line", "source"}`` of one function, its file relative to the package's parent."""
    lines, first = inspect.getsourcelines(function)
    path = os.path.relpath(inspect.getsourcefile(function), _PACKAGE_PARENT)
    return {"title": function.__qualname__, "file": path, "line": first, "source": "".join(lines)}


def code_that_ran(kind: str, trainer, g_step_ran: bool) -> list:
    """The snippets of one update: ``kind`` is "d", "g" or "full" (a call of ``GANTrainer.step``, which
    updated G too when ``g_step_ran``)."""
    d_part = [GANTrainer.d_step, underlying(trainer.loss.d_loss)]
    if trainer.loss.critic_constraint == "gradient-penalty":
        d_part += [penalties.gradient_penalty, penalties.interpolate]
    if trainer.loss.critic_constraint == "weight-clipping":
        d_part.append(penalties.clip_weights_)
    if trainer.r1_gamma:
        d_part.append(penalties.r1_penalty)
    g_part = [GANTrainer.g_step, GANTrainer._generator_step, underlying(trainer.loss.g_loss)]
    functions = {"d": d_part, "g": g_part, "full": [GANTrainer.step] + d_part + (g_part if g_step_ran else [])}[kind]
    return [snippet(function) for function in functions]
