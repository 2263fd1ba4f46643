"""Learning-rate schedules, as ``torch.optim.lr_scheduler``: StepLR, LinearLR, CosineAnnealingLR, LambdaLR.

A scheduler changes the ``lr`` of every parameter group of an optimizer as training goes on. Its
clock is ``last_epoch`` (PyTorch's name; an "epoch" is whatever you count, often a step): creating
the scheduler sets it to 0 and the rate to its value at 0, and each ``scheduler.step()`` -- called
*after* ``optimizer.step()`` -- adds 1 and sets the rate for the next step::

    optimizer = optim.Adam(model.parameters(), lr=2e-4)
    scheduler = optim.lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=steps)
    for step in range(steps):
        optimizer.zero_grad(); loss(model).backward(); optimizer.step()
        scheduler.step()

Each scheduler is a *closed form*: with t = ``last_epoch`` and base_lr the group's rate when the
scheduler was created (saved as the group's ``initial_lr``, as PyTorch does),

    StepLR             lr_t = base_lr * gamma ^ floor(t / step_size)
    LinearLR           lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)
    CosineAnnealingLR  lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2
    LambdaLR           lr_t = base_lr * lr_lambda(t)

PyTorch computes most of them recursively from the previous rate, which gives the same numbers up
to rounding; the closed form is the formula its documentation states, and it cannot drift. (One
difference follows: two schedulers on one optimizer do not multiply their effects as PyTorch's chained ones
do -- write the product as one ``LambdaLR``.) ``get_last_lr()`` is the list of rates set last.

**Resume.** ``state_dict()`` is a flat dict of numbers and 1-d arrays (``last_epoch``,
``base_lrs``, ``last_lr`` and the scheduler's settings), so it goes into a ``.npz`` checkpoint
without pickle beside the optimizer's. To resume, build the optimizer and the scheduler as before,
then load both states: the schedule continues exactly where it stopped. ``LambdaLR``'s function is
code and is not saved: pass the same one again.
"""
from __future__ import annotations

import math
import numbers

import numpy

from .optimizer import Optimizer


class LRScheduler:
    """Base class: the clock, ``step``, ``get_last_lr`` and checkpoints.

    A subclass lists its settings in ``_settings`` (saved by ``state_dict``) and implements
    ``_lr(base_lr, t)``, the closed-form rate at time t (``LambdaLR`` overrides ``get_lr`` instead).
    """

    _settings: tuple = ()

    def __init__(self, optimizer: Optimizer, last_epoch: int = -1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an Optimizer")
        self.optimizer = optimizer
        for g, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: param_groups[{g}] has no 'initial_lr' to resume from at "
                               f"last_epoch={last_epoch}; load the optimizer's state first, or start at last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()  # t = last_epoch + 1: 0 for a new schedule

    def _lr(self, base_lr: float, t: int) -> float:
        raise NotImplementedError

    def get_lr(self) -> list:
        """The rates of the groups at t = ``last_epoch``, from the closed form."""
        return [self._lr(base_lr, self.last_epoch) for base_lr in self.base_lrs]

    def step(self) -> None:
        """Advance the clock by one and set every group's ``lr``; call it after ``optimizer.step()``."""
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self) -> list:
        """The rates that the last ``step()`` (or the constructor) set, one per parameter group."""
        return list(self._last_lr)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self) -> dict:
        """The clock, the base rates and the settings, as numbers and 1-d float64 arrays."""
        return {"last_epoch": self.last_epoch, "base_lrs": numpy.array(self.base_lrs, dtype=numpy.float64),
                "last_lr": numpy.array(self._last_lr, dtype=numpy.float64),
                **{name: getattr(self, name) for name in self._settings}}

    def load_state_dict(self, state_dict) -> None:
        """Restore ``state_dict()`` (or what ``numpy.load`` gives back of it).

        Every group's ``lr`` is set to the saved ``last_lr`` too, so it does not matter whether the
        optimizer's state is loaded before or after (PyTorch leaves ``lr`` alone here).
        """
        expected = {"last_epoch", "base_lrs", "last_lr", *self._settings}
        problems = [f"missing key {key!r}" for key in sorted(expected - set(state_dict))]
        problems += [f"unexpected key {key!r}" for key in sorted(set(state_dict) - expected)]
        groups = len(self.optimizer.param_groups)
        problems += [f"{key} has {numpy.size(state_dict[key])} entries, the optimizer {groups} parameter groups"
                     for key in ("base_lrs", "last_lr") if key in state_dict and numpy.size(state_dict[key]) != groups]
        if problems:
            raise ValueError(f"error loading state_dict into {type(self).__name__}:\n  " + "\n  ".join(problems))
        self.last_epoch = int(state_dict["last_epoch"])
        self.base_lrs = numpy.asarray(state_dict["base_lrs"], dtype=numpy.float64).tolist()
        self._last_lr = numpy.asarray(state_dict["last_lr"], dtype=numpy.float64).tolist()
        for name in self._settings:
            setattr(self, name, numpy.asarray(state_dict[name]).item())
        for group, lr in zip(self.optimizer.param_groups, self._last_lr):
            group["lr"] = lr


def _check(scheduler: str, name: str, value, valid: bool, requirement: str) -> None:
    if not valid:
        raise ValueError(f"{scheduler}: {name} must be {requirement}, got {value!r}")


def _is_positive_integer(value) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


class StepLR(LRScheduler):
    """Multiply the rate by ``gamma`` every ``step_size`` steps: lr_t = base_lr * gamma ^ floor(t / step_size)."""

    _settings = ("step_size", "gamma")

    def __init__(self, optimizer, step_size: int, gamma: float = 0.1, last_epoch: int = -1):
        _check("StepLR", "step_size", step_size, _is_positive_integer(step_size), "a positive integer")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr, t):
        return base_lr * self.gamma ** (t // self.step_size)


class LinearLR(LRScheduler):
    """Move the rate's factor linearly from ``start_factor`` to ``end_factor`` in ``total_iters`` steps, then keep it:

        lr_t = base_lr * (start_factor + (end_factor - start_factor) * min(t, total_iters) / total_iters)

    ``LinearLR(opt, start_factor=1.0, end_factor=0.0, total_iters=steps)`` decays to 0 at the end
    of training; the defaults (1/3 -> 1 over 5 steps) are a warm-up, PyTorch's.
    """

    _settings = ("start_factor", "end_factor", "total_iters")

    def __init__(self, optimizer, start_factor: float = 1.0 / 3, end_factor: float = 1.0, total_iters: int = 5,
                 last_epoch: int = -1):
        _check("LinearLR", "start_factor", start_factor, 0 < start_factor <= 1, "in (0, 1]")
        _check("LinearLR", "end_factor", end_factor, 0 <= end_factor <= 1, "in [0, 1]")
        _check("LinearLR", "total_iters", total_iters, _is_positive_integer(total_iters), "a positive integer")
        self.start_factor, self.end_factor, self.total_iters = start_factor, end_factor, total_iters
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr, t):
        progress = (self.end_factor - self.start_factor) * min(t, self.total_iters) / self.total_iters
        return base_lr * (self.start_factor + progress)


class CosineAnnealingLR(LRScheduler):
    """Half a cosine from the base rate down to ``eta_min`` over ``T_max`` steps (SGDR without restarts):

        lr_t = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2

    After T_max steps the cosine goes on: the rate climbs back to base_lr at 2 T_max, as in PyTorch.
    """

    _settings = ("T_max", "eta_min")

    def __init__(self, optimizer, T_max: int, eta_min: float = 0.0, last_epoch: int = -1):  # noqa: N803 (torch's name)
        _check("CosineAnnealingLR", "T_max", T_max, _is_positive_integer(T_max), "a positive integer")
        self.T_max, self.eta_min = T_max, eta_min  # noqa: N815
        super().__init__(optimizer, last_epoch)

    def _lr(self, base_lr, t):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * t / self.T_max)) / 2


class LambdaLR(LRScheduler):
    """The rate is the base rate times a function of the step: lr_t = base_lr * lr_lambda(t).

    ``lr_lambda`` is one function for every group, or a list with one per group. It is code, so
    ``state_dict`` does not hold it: pass the same function again when resuming.
    """

    def __init__(self, optimizer, lr_lambda, last_epoch: int = -1):
        groups = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
        if len(lambdas) != groups or not all(callable(f) for f in lambdas):
            raise ValueError(f"LambdaLR: lr_lambda must be a function or a list of {groups} functions (one per "
                             f"parameter group), got {lr_lambda!r}")
        self.lr_lambdas = lambdas
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base_lr * f(self.last_epoch) for f, base_lr in zip(self.lr_lambdas, self.base_lrs)]
