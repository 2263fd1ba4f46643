"""SGD, Adam, AdamW and RMSprop against their formulas computed by hand in NumPy; parameter groups; checkpoints."""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim

# A fixed sequence of gradients, the second one large, so that Adam's second moment then shrinks
# (which is when amsgrad's maximum differs from plain Adam).
GRADIENTS = [np.array([[0.5, -1.0, 2.0], [0.1, 0.0, -0.3]]) * scale for scale in (1.0, 10.0, -0.5, 0.2, 1.5)]
START = np.array([[1.0, -2.0, 0.5], [0.0, 3.0, -1.0]])


def _run(optimizer_class, steps, **hyper):
    """Apply ``steps`` of the optimizer to a float64 parameter, feeding it GRADIENTS."""
    p = nn.Parameter(START.copy())
    optimizer = optimizer_class([p], **hyper)
    for g in GRADIENTS[:steps]:
        p.grad = mg.tensor(g)
        optimizer.step()
    return p.numpy()


def _sgd_by_hand(steps, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
    p, buf = START.copy(), None
    for g in GRADIENTS[:steps]:
        g = g + weight_decay * p
        if momentum:
            buf = g.copy() if buf is None else momentum * buf + (1 - dampening) * g
            g = g + momentum * buf if nesterov else buf
        p = p - lr * g
    return p


def _adam_by_hand(steps, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False, decoupled=False):
    p = START.copy()
    m, v, v_max = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for t, g in enumerate(GRADIENTS[:steps], start=1):
        if decoupled:  # AdamW: p shrinks by lr * weight_decay * p, g stays as it is
            p = p - lr * weight_decay * p
        else:
            g = g + weight_decay * p
        m = betas[0] * m + (1 - betas[0]) * g
        v = betas[1] * v + (1 - betas[1]) * g ** 2
        v_max = np.maximum(v_max, v)
        m_hat = m / (1 - betas[0] ** t)
        v_hat = (v_max if amsgrad else v) / (1 - betas[1] ** t)
        p = p - lr * m_hat / (np.sqrt(v_hat) + eps)
    return p


SGD_CASES = [
    dict(lr=0.1),
    dict(lr=0.1, weight_decay=0.01),
    dict(lr=0.05, momentum=0.9),
    dict(lr=0.05, momentum=0.9, dampening=0.3),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1),
]


@pytest.mark.parametrize("hyper", SGD_CASES, ids=[str(h) for h in SGD_CASES])
@pytest.mark.parametrize("steps", [1, 5])
def test_sgd_matches_the_formula(hyper, steps):
    np.testing.assert_allclose(_run(optim.SGD, steps, **hyper), _sgd_by_hand(steps, **hyper), rtol=1e-13, atol=1e-15)


ADAM_CASES = [
    dict(),
    dict(lr=0.01, betas=(0.5, 0.999)),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, amsgrad=True),
    dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.05, amsgrad=True),
]


@pytest.mark.parametrize("hyper", ADAM_CASES, ids=[str(h) for h in ADAM_CASES])
@pytest.mark.parametrize("steps", [1, 5])
def test_adam_matches_the_formula(hyper, steps):
    np.testing.assert_allclose(_run(optim.Adam, steps, **hyper), _adam_by_hand(steps, **hyper), rtol=1e-12, atol=1e-15)


ADAMW_CASES = [
    dict(),  # PyTorch's default weight_decay, 0.01
    dict(lr=0.01, weight_decay=0.5),
    dict(lr=0.01, betas=(0.5, 0.9), eps=1e-3, weight_decay=0.2, amsgrad=True),
]


@pytest.mark.parametrize("hyper", ADAMW_CASES, ids=[str(h) for h in ADAMW_CASES])
@pytest.mark.parametrize("steps", [1, 5])
def test_adamw_matches_the_formula(hyper, steps):
    expected = _adam_by_hand(steps, **{"weight_decay": 0.01, **hyper}, decoupled=True)
    np.testing.assert_allclose(_run(optim.AdamW, steps, **hyper), expected, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_run(optim.Adam, steps, **{"weight_decay": 0.01, **hyper}, decoupled_weight_decay=True),
                               expected, rtol=1e-12, atol=1e-15)


def _rmsprop_by_hand(steps, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
    p = START.copy()
    square_avg, grad_avg, buffer = np.zeros_like(p), np.zeros_like(p), np.zeros_like(p)
    for g in GRADIENTS[:steps]:
        g = g + weight_decay * p
        square_avg = alpha * square_avg + (1 - alpha) * g ** 2
        grad_avg = alpha * grad_avg + (1 - alpha) * g
        denominator = np.sqrt(square_avg - grad_avg ** 2 if centered else square_avg) + eps
        buffer = momentum * buffer + g / denominator
        p = p - lr * (buffer if momentum else g / denominator)
    return p


RMSPROP_CASES = [
    dict(),
    dict(lr=5e-5),  # the original WGAN's
    dict(lr=0.01, alpha=0.9, weight_decay=0.1),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, alpha=0.8, eps=1e-3, centered=True),
    dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.05),
]


@pytest.mark.parametrize("hyper", RMSPROP_CASES, ids=[str(h) for h in RMSPROP_CASES])
@pytest.mark.parametrize("steps", [1, 5])
def test_rmsprop_matches_the_formula(hyper, steps):
    np.testing.assert_allclose(_run(optim.RMSprop, steps, **hyper), _rmsprop_by_hand(steps, **hyper),
                               rtol=1e-12, atol=1e-15)


def test_the_variants_really_differ():
    """Guards the tests above: each option must change the result, or a test could pass by ignoring it."""
    assert not np.allclose(_adam_by_hand(5, lr=0.01, amsgrad=True), _adam_by_hand(5, lr=0.01))
    assert not np.allclose(_adam_by_hand(5, lr=0.01, weight_decay=0.5, decoupled=True),
                           _adam_by_hand(5, lr=0.01, weight_decay=0.5))
    assert not np.allclose(_rmsprop_by_hand(5, centered=True), _rmsprop_by_hand(5))
    assert not np.allclose(_rmsprop_by_hand(5, momentum=0.9), _rmsprop_by_hand(5))
    assert not np.allclose(_sgd_by_hand(5, 0.05, 0.9, nesterov=True), _sgd_by_hand(5, 0.05, 0.9))
    assert not np.allclose(_sgd_by_hand(5, 0.05, 0.9, dampening=0.3), _sgd_by_hand(5, 0.05, 0.9))


def test_first_adam_step_moves_each_entry_by_about_lr():
    """With bias correction, step 1 is lr * g / (|g| + eps): the size of lr, whatever the gradient's scale."""
    moved = _run(optim.Adam, 1, lr=0.01) - START
    nonzero = GRADIENTS[0] != 0
    np.testing.assert_allclose(np.abs(moved[nonzero]), 0.01, rtol=1e-6)
    assert moved[~nonzero] == 0


def test_float32_parameters_stay_float32():
    p = nn.Parameter(mg.tensor([1.0, 2.0]))
    optimizer = optim.Adam([p], lr=0.1)
    p.grad = mg.tensor([1.0, -1.0])
    optimizer.step()
    assert p.dtype == np.float32
    np.testing.assert_allclose(p.numpy(), [0.9, 2.1], rtol=1e-6)


def test_parameters_without_gradient_are_skipped_and_zero_grad_clears():
    a, b = nn.Parameter(mg.tensor([1.0])), nn.Parameter(mg.tensor([1.0]))
    optimizer = optim.Adam([a, b], lr=0.1)
    a.grad = mg.tensor([1.0])
    optimizer.step()
    assert b.numpy()[0] == 1.0 and b not in optimizer.state
    assert optimizer.state[a]["step"] == 1
    optimizer.zero_grad()
    assert a.grad is None


def test_parameter_groups_take_their_own_hyperparameters():
    a, b = nn.Parameter(mg.tensor([1.0])), nn.Parameter(mg.tensor([1.0]))
    optimizer = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1)
    a.grad, b.grad = mg.tensor([1.0]), mg.tensor([1.0])
    optimizer.step()
    np.testing.assert_allclose([a.item(), b.item()], [0.9, 0.5])
    assert optimizer.param_groups[1]["momentum"] == 0.0  # defaults fill what a group leaves out


def test_training_reduces_a_loss():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.Tanh(), nn.Linear(16, 1))
    x = mg.randn(64, 2)
    target = (x[:, 0:1] * x[:, 1:2]).detach()
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    losses = []
    for _ in range(200):
        optimizer.zero_grad()
        loss = ((model(x) - target) ** 2).mean()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    assert losses[-1] < 0.2 * losses[0]


def test_invalid_arguments():
    p = nn.Parameter(mg.zeros(2))
    with pytest.raises(TypeError, match="'lr' has no default"):
        optim.SGD([p])
    with pytest.raises(ValueError, match="nesterov momentum needs momentum > 0"):
        optim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas must be two numbers in"):
        optim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="appears more than once"):
        optim.Adam([p, p])
    with pytest.raises(ValueError, match="empty list of parameters"):
        optim.Adam([])
    with pytest.raises(TypeError, match="only optimize leaf Tensors that require grad"):
        optim.Adam([mg.zeros(2)])
    with pytest.raises(ValueError, match=re.escape("AdamW: lr, eps and weight_decay must be non-negative, got")):
        optim.AdamW([p], weight_decay=-0.1)
    with pytest.raises(ValueError, match=re.escape("RMSprop: alpha must be in [0, 1], got 1.5")):
        optim.RMSprop([p], alpha=1.5)
    with pytest.raises(ValueError, match=re.escape("RMSprop: momentum must be non-negative, got -0.9")):
        optim.RMSprop([p], momentum=-0.9)


# --------------------------------------------------------------------- checkpoints
def _model():
    return nn.Sequential(nn.Linear(3, 8), nn.BatchNorm1d(8), nn.LeakyReLU(0.2), nn.LayerNorm(8), nn.Linear(8, 2))


def _train(model, optimizer, batches):
    for x, y in batches:
        optimizer.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        optimizer.step()


OPTIMIZERS = [
    (optim.Adam, dict(lr=0.01, betas=(0.5, 0.999), weight_decay=0.01, amsgrad=True)),
    (optim.SGD, dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.001)),
    (optim.AdamW, dict(lr=0.01, weight_decay=0.1)),
    (optim.RMSprop, dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.01)),
]


@pytest.mark.parametrize("optimizer_class, hyper", OPTIMIZERS, ids=["Adam", "SGD", "AdamW", "RMSprop"])
def test_training_resumes_bit_identically_from_an_npz_checkpoint(tmp_path, optimizer_class, hyper):
    mg.manual_seed(0)
    batches = [(mg.randn(6, 3), mg.randn(6, 2)) for _ in range(6)]
    model = _model()
    optimizer = optimizer_class(model.parameters(), **hyper)
    _train(model, optimizer, batches[:3])
    checkpoint = {**{"model." + k: v for k, v in model.state_dict().items()},
                  **{"optim." + k: v for k, v in optimizer.state_dict().items()}}
    np.savez(tmp_path / "checkpoint.npz", **checkpoint)
    _train(model, optimizer, batches[3:])

    mg.manual_seed(123)  # a differently initialised model and a fresh optimizer
    resumed = _model()
    resumed_optimizer = optimizer_class(resumed.parameters(), lr=1.0)
    with np.load(tmp_path / "checkpoint.npz", allow_pickle=False) as saved:
        resumed.load_state_dict({k[6:]: saved[k] for k in saved.files if k.startswith("model.")})
        resumed_optimizer.load_state_dict({k[6:]: saved[k] for k in saved.files if k.startswith("optim.")})
    assert resumed_optimizer.param_groups[0]["lr"] == hyper["lr"]
    _train(resumed, resumed_optimizer, batches[3:])

    for (name, a), (_, b) in zip(model.state_dict().items(), resumed.state_dict().items()):
        assert np.array_equal(a, b), name
    final, again = optimizer.state_dict(), resumed_optimizer.state_dict()
    assert final.keys() == again.keys()
    for key in final:
        assert np.array_equal(final[key], again[key]), key


def test_optimizer_state_dict_format():
    a, b = nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3))
    optimizer = optim.Adam([{"params": [a]}, {"params": [b], "lr": 0.5}], betas=(0.5, 0.9))
    a.grad = mg.ones(2)
    optimizer.step()
    state = optimizer.state_dict()
    assert sorted(state) == sorted([
        "param_groups.0.lr", "param_groups.0.betas", "param_groups.0.eps", "param_groups.0.weight_decay",
        "param_groups.0.amsgrad", "param_groups.0.decoupled_weight_decay", "param_groups.0.params",
        "param_groups.1.lr", "param_groups.1.betas", "param_groups.1.eps", "param_groups.1.weight_decay",
        "param_groups.1.amsgrad", "param_groups.1.decoupled_weight_decay", "param_groups.1.params",
        "state.0.step", "state.0.exp_avg", "state.0.exp_avg_sq",
    ])
    assert state["param_groups.1.lr"] == 0.5 and state["state.0.step"] == 1
    np.testing.assert_array_equal(state["param_groups.1.params"], [1])
    np.testing.assert_array_equal(state["param_groups.0.betas"], [0.5, 0.9])
    state["state.0.exp_avg"][...] = 99  # a copy
    assert not np.any(optimizer.state[a]["exp_avg"] == 99)


def test_optimizer_load_errors():
    params = [nn.Parameter(mg.zeros(2)), nn.Parameter(mg.zeros(3))]
    optimizer = optim.Adam(params)
    for p in params:
        p.grad = mg.ones(*p.shape)
    optimizer.step()
    state = optimizer.state_dict()
    with pytest.raises(ValueError, match=re.escape("group 0 has 1 parameters, the state 2")):
        optim.Adam([nn.Parameter(mg.zeros(2))]).load_state_dict(state)
    swapped = optim.Adam([nn.Parameter(mg.zeros(3)), nn.Parameter(mg.zeros(2))])
    with pytest.raises(ValueError, match=re.escape("state.0.exp_avg: expected shape (3,), got (2,)")):
        swapped.load_state_dict(state)
    with pytest.raises(ValueError, match="unexpected key 'momentum'"):
        optimizer.load_state_dict({"momentum": 0.9})
