"""Learning-rate schedulers against their closed forms; PyTorch's order of calls; resume from an .npz checkpoint."""
import math
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.optim import lr_scheduler

BASE_LRS = (0.1, 0.02)  # two parameter groups, so that each keeps its own base rate
STEPS = 25

# name -> (constructor arguments, lr_t as a function of (base_lr, t)), the formulas of the docstring.
SCHEDULES = {
    "StepLR": (dict(step_size=7, gamma=0.5), lambda lr, t: lr * 0.5 ** (t // 7)),
    "LinearLR-warmup": (dict(), lambda lr, t: lr * (1 / 3 + (1 - 1 / 3) * min(t, 5) / 5)),
    "LinearLR-decay": (dict(start_factor=1.0, end_factor=0.0, total_iters=20),
                       lambda lr, t: lr * (1 - min(t, 20) / 20)),
    "CosineAnnealingLR": (dict(T_max=10, eta_min=0.001),
                          lambda lr, t: 0.001 + (lr - 0.001) * (1 + math.cos(math.pi * t / 10)) / 2),
    "LambdaLR": (dict(lr_lambda=lambda t: 0.9 ** t + 0.01 * t), lambda lr, t: lr * (0.9 ** t + 0.01 * t)),
}


def _optimizer():
    a, b = nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3))
    return optim.SGD([{"params": [a], "lr": BASE_LRS[0]}, {"params": [b], "lr": BASE_LRS[1]}], lr=1.0)


def _scheduler(name, optimizer):
    kwargs, _ = SCHEDULES[name]
    return getattr(lr_scheduler, name.split("-")[0])(optimizer, **kwargs)


@pytest.mark.parametrize("name", SCHEDULES)
def test_each_schedule_follows_its_closed_form(name):
    optimizer = _optimizer()
    scheduler = _scheduler(name, optimizer)
    formula = SCHEDULES[name][1]
    for t in range(STEPS):
        assert scheduler.last_epoch == t
        expected = [formula(lr, t) for lr in BASE_LRS]
        np.testing.assert_allclose(scheduler.get_last_lr(), expected, rtol=1e-14, atol=0)
        assert [group["lr"] for group in optimizer.param_groups] == scheduler.get_last_lr()
        optimizer.step()
        scheduler.step()
    assert [group["initial_lr"] for group in optimizer.param_groups] == list(BASE_LRS)


def test_the_rate_of_step_k_is_the_schedules_value_at_k():
    """PyTorch's order, optimizer.step() then scheduler.step(): the first step already uses lr_0."""
    p = nn.Parameter(mg.tensor([0.0], dtype=np.float64))
    optimizer = optim.SGD([p], lr=1.0)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.1)
    moves = []
    for _ in range(5):
        p.grad = mg.tensor([-1.0], dtype=np.float64)  # SGD moves p by +lr
        before = p.item()
        optimizer.step()
        scheduler.step()
        moves.append(p.item() - before)
    np.testing.assert_allclose(moves, [1.0, 1.0, 0.1, 0.1, 0.01], rtol=1e-12)


def test_linear_decay_to_zero_gives_exactly_the_hand_written_rates():
    """What train_classifier.py wrote by hand, lr * (1 - step / total), bit for bit."""
    total, lr = 937, 1e-3
    optimizer = optim.Adam([nn.Parameter(mg.zeros(1))], lr=lr)
    scheduler = lr_scheduler.LinearLR(optimizer, start_factor=1.0, end_factor=0.0, total_iters=total)
    for step in range(total):
        assert optimizer.param_groups[0]["lr"] == lr * (1 - step / total), step
        scheduler.step()


def _load(saved, prefix, target):
    target.load_state_dict({key[len(prefix):]: saved[key] for key in saved.files if key.startswith(prefix)})


RESUME_ORDERS = ["optimizer state, scheduler state", "scheduler state, optimizer state",
                 "optimizer state, then build the scheduler"]  # the constructor sets lr_0: loading must undo that


@pytest.mark.parametrize("order", RESUME_ORDERS)
@pytest.mark.parametrize("name", SCHEDULES)
def test_resume_from_an_npz_checkpoint_continues_the_schedule_exactly(tmp_path, name, order):
    optimizer = _optimizer()
    scheduler = _scheduler(name, optimizer)
    for _ in range(9):
        optimizer.step()
        scheduler.step()
    at_checkpoint = scheduler.get_last_lr()
    np.savez(tmp_path / "checkpoint.npz", **{"optim." + k: v for k, v in optimizer.state_dict().items()},
             **{"sched." + k: v for k, v in scheduler.state_dict().items()})
    straight = []
    for _ in range(8):
        scheduler.step()
        straight.append(scheduler.get_last_lr())

    resumed_optimizer = _optimizer()  # built as before
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as saved:
        if order == RESUME_ORDERS[2]:
            _load(saved, "optim.", resumed_optimizer)
            resumed = _scheduler(name, resumed_optimizer)
            _load(saved, "sched.", resumed)
        else:
            resumed = _scheduler(name, resumed_optimizer)
            for prefix in ("optim.", "sched.") if order == RESUME_ORDERS[0] else ("sched.", "optim."):
                _load(saved, prefix, resumed_optimizer if prefix == "optim." else resumed)
    assert resumed.last_epoch == 9
    assert [group["lr"] for group in resumed_optimizer.param_groups] == at_checkpoint
    again = []
    for _ in range(8):
        resumed.step()
        again.append(resumed.get_last_lr())
    assert again == straight


def test_state_dict_is_flat_numbers_and_arrays():
    optimizer = _optimizer()
    scheduler = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10, eta_min=0.001)
    scheduler.step()
    state = scheduler.state_dict()
    assert sorted(state) == ["T_max", "base_lrs", "eta_min", "last_epoch", "last_lr"]
    assert state["last_epoch"] == 1 and state["T_max"] == 10 and state["eta_min"] == 0.001
    np.testing.assert_array_equal(state["base_lrs"], BASE_LRS)
    assert state["base_lrs"].dtype == np.float64 and state["last_lr"].shape == (2,)


def test_a_scheduler_can_start_at_a_later_step_from_a_loaded_optimizer():
    optimizer = _optimizer()
    lr_scheduler.StepLR(optimizer, step_size=3)  # writes initial_lr into the groups, as PyTorch
    later = lr_scheduler.StepLR(optimizer, step_size=3, last_epoch=5)
    assert later.last_epoch == 6
    np.testing.assert_allclose(later.get_last_lr(), [lr * 0.01 for lr in BASE_LRS], rtol=1e-14)
    with pytest.raises(KeyError, match=re.escape("param_groups[0] has no 'initial_lr' to resume from")):
        lr_scheduler.StepLR(_optimizer(), step_size=3, last_epoch=5)


def test_lambda_lr_takes_one_function_per_group():
    optimizer = _optimizer()
    scheduler = lr_scheduler.LambdaLR(optimizer, [lambda t: 1.0 / (t + 1), lambda t: 2.0])
    scheduler.step()
    np.testing.assert_allclose(scheduler.get_last_lr(), [BASE_LRS[0] / 2, BASE_LRS[1] * 2], rtol=1e-14)
    with pytest.raises(ValueError, match="lr_lambda must be a function or a list of 2 functions"):
        lr_scheduler.LambdaLR(optimizer, [lambda t: 1.0])


def test_invalid_arguments_and_states():
    optimizer = _optimizer()
    with pytest.raises(ValueError, match=re.escape("StepLR: step_size must be a positive integer, got 0")):
        lr_scheduler.StepLR(optimizer, step_size=0)
    with pytest.raises(ValueError, match=re.escape("LinearLR: start_factor must be in (0, 1], got 0.0")):
        lr_scheduler.LinearLR(optimizer, start_factor=0.0)
    with pytest.raises(ValueError, match=re.escape("CosineAnnealingLR: T_max must be a positive integer, got 2.5")):
        lr_scheduler.CosineAnnealingLR(optimizer, T_max=2.5)
    with pytest.raises(TypeError, match="StepLR: list is not an Optimizer"):
        lr_scheduler.StepLR([], step_size=1)
    scheduler = lr_scheduler.StepLR(optimizer, step_size=2)
    state = scheduler.state_dict()
    with pytest.raises(ValueError, match=re.escape("missing key 'gamma'")):
        scheduler.load_state_dict({k: v for k, v in state.items() if k != "gamma"})
    with pytest.raises(ValueError, match=re.escape("unexpected key 'T_max'")):
        scheduler.load_state_dict({**state, "T_max": 3})
    single = lr_scheduler.StepLR(optim.SGD([nn.Parameter(mg.zeros(1))], lr=0.1), step_size=2)
    with pytest.raises(ValueError, match="base_lrs has 2 entries, the optimizer 1 parameter groups"):
        single.load_state_dict(state)
