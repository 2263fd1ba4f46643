"""PyTorch's semantics where a user expects them: the same answer as PyTorch, or a clear error.

Each test here pins down one case that once gave a silently wrong number (spectral norm's gradient
over several forwards, a backward after ``optimizer.step()``, ``p -= lr * p.grad`` doing nothing,
``tensor()`` sharing memory, float64 gradients of float32 weights, grad-mode switches that did not
nest, ...) or one PyTorch habit that now works (``size()``, ``dim=``, ``transpose(0, 1)``, ...).
The comparisons with torch itself are in ``tests/parity/``.
"""
import re

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn, optim
from minigan.autograd.arithmetic import Mul
from minigan.functional import batch_norm, conv2d
from minigan.gan import clip_weights_


# ---------------------------------------------------------------------- 1. spectral norm, several forwards
def _spectral_linear_loss(weight, bias, xs, coefficients, us, vs):
    """sum_k <c_k, x_k (W / sigma_k)^T + b> with sigma_k = u_k^T W v_k: u_k, v_k the k-th forward's vectors."""
    total = 0.0
    for x, c, u, v in zip(xs, coefficients, us, vs):
        sigma = u @ weight @ v
        total += (c * (x @ (weight / sigma).T + bias)).sum()
    return total


@pytest.mark.parametrize("forwards", [2, 3])
def test_spectral_norm_gradient_over_several_forwards_matches_finite_differences(forwards):
    """D runs on real, fake (and penalty) batches before one backward: each forward's sigma uses its own u, v."""
    mg.manual_seed(0)
    layer = nn.spectral_norm(nn.Linear(5, 4)).double()
    rng = np.random.default_rng(1)
    xs = [rng.standard_normal((3, 5)) for _ in range(forwards)]
    coefficients = [rng.standard_normal((3, 4)) for _ in range(forwards)]
    us, vs, loss = [], [], 0
    for x, c in zip(xs, coefficients):
        loss = loss + (layer(mg.tensor(x)) * mg.tensor(c)).sum()
        us.append(layer.weight_u.numpy().copy())
        vs.append(layer.weight_v.numpy().copy())
    loss.backward()

    weight, bias = layer.weight_orig.numpy().copy(), layer.bias.numpy()
    numeric = np.zeros_like(weight)
    eps = 1e-6
    for index in np.ndindex(*weight.shape):
        step = np.zeros_like(weight)
        step[index] = eps
        numeric[index] = (_spectral_linear_loss(weight + step, bias, xs, coefficients, us, vs)
                          - _spectral_linear_loss(weight - step, bias, xs, coefficients, us, vs)) / (2 * eps)
    np.testing.assert_allclose(layer.weight_orig.grad.numpy(), numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------- 2. in-place changes of saved tensors
def _weight_and_input():
    w = nn.Parameter(mg.tensor([1.0, 2.0, 3.0], dtype=np.float64))
    x = mg.tensor([0.5, -1.0, 2.0], dtype=np.float64, requires_grad=True)
    return w, x


IN_PLACE_WRITERS = [
    ("optimizer.step", lambda w: (setattr(w, "grad", mg.ones_like(w)), optim.SGD([w], lr=0.1).step())),
    ("Adam.step", lambda w: (setattr(w, "grad", mg.ones_like(w)), optim.Adam([w], lr=0.1).step())),
    ("nn.init.normal_", lambda w: nn.init.normal_(w)),
    ("nn.init.zeros_", lambda w: nn.init.zeros_(w)),
    ("clip_weights_", lambda w: clip_weights_([w], 0.5)),
    ("copy_ under no_grad", lambda w: mg.no_grad()(lambda: w.copy_(np.zeros(3)))()),
    ("data assignment", lambda w: setattr(w, "data", w.data - 1)),
    ("-= under no_grad", lambda w: mg.no_grad()(lambda: w.__isub__(1.0))()),
]


@pytest.mark.parametrize("name, change", IN_PLACE_WRITERS, ids=[w[0] for w in IN_PLACE_WRITERS])
def test_backward_after_an_in_place_change_of_a_saved_tensor_is_an_error(name, change):
    w, x = _weight_and_input()
    y = (w * x).sum()  # Mul saves w: dy/dx = w
    change(w)
    message = re.escape("input 0 of Mul is at version 1; expected version 0")
    with pytest.raises(RuntimeError, match="modified by an in-place operation: " + message):
        y.backward()


def test_load_state_dict_counts_as_an_in_place_change():
    layer = nn.Linear(3, 2)
    x = mg.randn(4, 3, requires_grad=True)
    y = layer(x).sum()
    layer.load_state_dict(nn.Linear(3, 2).state_dict())
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_batch_norm_running_statistics_saved_by_an_eval_forward_are_checked():
    bn = nn.BatchNorm1d(3).eval()
    x = mg.randn(4, 3, requires_grad=True)
    y = bn(x).sum()  # eval mode: y uses running_mean and running_var
    bn.train()(mg.randn(4, 3))  # a training forward updates them in place
    with pytest.raises(RuntimeError, match="modified by an in-place operation"):
        y.backward()


def test_an_in_place_change_through_a_view_is_seen_by_the_viewed_tensor():
    a = mg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    b = a * 1.0
    row = b.reshape(1, 3)  # a view of b's memory: it shares b's version counter
    y = (b.exp()).sum()  # Exp saves its output, not b; b itself is saved by nothing here
    z = (b * a).sum()  # Mul saves b
    with mg.no_grad():
        row += 1.0
    y.backward(retain_graph=True)  # allowed: nothing that y's backward reads was changed
    with pytest.raises(RuntimeError, match="input 0 of Mul"):
        z.backward()


def test_in_place_changes_that_backward_does_not_read_are_allowed_as_in_pytorch():
    w, x = _weight_and_input()
    y = (w + x).sum()  # Add saves no values
    with mg.no_grad():
        w -= 1.0
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones(3))


def test_versions_count_in_place_changes():
    t = mg.zeros(3)
    assert t._version == 0
    t += 1
    t.copy_(np.ones(3))
    t.zero_()
    assert t._version == 3
    assert t.detach()._version == 3  # detach shares the memory and the counter


# ---------------------------------------------------------------------- 3. in-place operators
def test_hand_written_sgd_step_updates_the_parameters_in_place():
    model = nn.Linear(3, 1)
    before = [p.numpy().copy() for p in model.parameters()]
    model(mg.ones(2, 3)).sum().backward()
    with mg.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    for p, old in zip(model.parameters(), before):
        np.testing.assert_allclose(p.numpy(), old - 0.1 * p.grad.numpy(), rtol=1e-6)
    assert isinstance(model.weight, nn.Parameter)  # still the same registered object


@pytest.mark.parametrize("operator", ["+=", "-=", "*=", "/="])
def test_in_place_operators_keep_the_tensor_and_its_memory(operator):
    t = mg.tensor([2.0, 4.0])
    memory, other = t.data, mg.tensor([1.0, 2.0])
    expected = {"+=": [3.0, 6.0], "-=": [1.0, 2.0], "*=": [2.0, 8.0], "/=": [2.0, 2.0]}[operator]
    alias = t
    exec(f"t {operator} other", {}, {"t": t, "other": other})
    assert alias.data is memory
    np.testing.assert_array_equal(alias.numpy(), expected)


def test_in_place_on_a_leaf_that_requires_grad_while_recording_is_pytorchs_error():
    w = mg.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Tensor that requires grad is being used in an in-place operation"):
        w -= 1.0


def test_in_place_on_a_tensor_in_a_recorded_graph_is_a_clear_error():
    y = mg.ones(3, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match=r"in-place \*= on a tensor that is part of a recorded graph"):
        y *= 3


def test_in_place_result_that_does_not_fit_is_a_clear_error():
    t = mg.zeros(3)
    with pytest.raises(ValueError, match=r"result has shape \(2, 3\).*shape \(3,\)"):
        t += mg.zeros(2, 3)
    i = mg.tensor(np.array([1, 2]))
    with pytest.raises(TypeError, match="dtype float64, which cannot be stored in this int64 tensor"):
        i += 0.5 * mg.ones(2)


# ---------------------------------------------------------------------- 4. tensor copies, as_tensor shares
def test_tensor_copies_its_data_and_as_tensor_shares_it():
    array = np.zeros(3, dtype=np.float32)
    copied, shared = mg.tensor(array), mg.as_tensor(array)
    array[0] = 5
    assert copied.numpy()[0] == 0 and shared.numpy()[0] == 5
    assert not np.shares_memory(mg.Tensor(array).data, array)


def test_an_optimizer_step_leaves_the_users_array_alone():
    array = np.ones(3, dtype=np.float32)
    w = mg.tensor(array, requires_grad=True)
    (w * w).sum().backward()
    optim.SGD([w], lr=0.1).step()
    np.testing.assert_array_equal(array, np.ones(3))
    np.testing.assert_allclose(w.numpy(), 0.8 * np.ones(3))


def test_parameter_shares_the_memory_of_the_tensor_it_wraps():
    t = mg.zeros(3)
    p = nn.Parameter(t)
    assert p.data is t.data and p._version_counter is t._version_counter


# ---------------------------------------------------------------------- 5. gradient dtypes
def test_gradient_has_the_dtype_of_its_input():
    w = mg.ones(3, requires_grad=True)  # float32
    (w * np.array([1.0, 2.0, 3.0])).sum().backward()  # a float64 constant: the product is float64
    assert w.grad.dtype == np.float32
    optimizer = optim.Adam([w])
    optimizer.step()
    assert w.dtype == np.float32 and all(v.dtype == np.float32 for v in optimizer.state[w].values()
                                         if isinstance(v, np.ndarray))


def test_gradient_dtype_cast_keeps_second_derivatives():
    x = mg.tensor([1.5], requires_grad=True)
    (g,) = mg.grad((x * x * np.array([2.0])).sum(), x, create_graph=True)
    assert g.dtype == np.float32
    (gg,) = mg.grad(g.sum(), x)
    np.testing.assert_allclose(gg.numpy(), [4.0])


# ---------------------------------------------------------------------- 6. grad-mode switches
def test_set_grad_enabled_works_as_a_plain_call():
    try:
        mg.set_grad_enabled(False)
        assert not mg.is_grad_enabled()
        assert not (mg.ones(1, requires_grad=True) * 2).requires_grad
    finally:
        mg.set_grad_enabled(True)
    assert mg.is_grad_enabled()


def test_set_grad_enabled_as_a_context_restores_the_previous_state():
    with mg.no_grad():
        with mg.set_grad_enabled(True):
            assert mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_the_same_no_grad_object_entered_twice_nests():
    switch = mg.no_grad()
    with switch:
        with switch:
            assert not mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


def test_enable_grad_inside_no_grad_nests():
    with mg.no_grad():
        inner = mg.enable_grad()
        with inner:
            with inner:
                assert mg.is_grad_enabled()
            assert mg.is_grad_enabled()
        assert not mg.is_grad_enabled()
    assert mg.is_grad_enabled()


# ---------------------------------------------------------------------- 7. one Function, one call
def test_calling_one_function_object_twice_is_refused():
    a, b = mg.ones(2, requires_grad=True), mg.ones(2, requires_grad=True)
    mul = Mul()
    mul(a, b)
    with pytest.raises(RuntimeError, match="this Mul object was already called once"):
        mul(b, a)


# ---------------------------------------------------------------------- 8. devices
class _FakeCupyArray(np.ndarray):
    """Looks like a CuPy array to minigan (its class lives in a module named cupy...)."""


_FakeCupyArray.__module__ = "cupy._core.core"


def test_an_array_without_device_stays_on_its_own_device(monkeypatch):
    """A CuPy array given without device= belongs on "cuda", not on the default device (the host)."""
    fake = np.arange(3.0).view(_FakeCupyArray)
    asked = []
    monkeypatch.setattr(backend, "_check_device", lambda name: name)  # as if this machine had a GPU
    monkeypatch.setattr(backend, "to_device", lambda array, device: asked.append(device) or np.asarray(array))
    mg.tensor(fake)
    assert asked == ["cuda"]


def test_gan_trainer_draws_latent_vectors_on_the_generators_device(monkeypatch):
    from minigan.gan import GANTrainer, MLPDiscriminator, MLPGenerator, training
    G, D = MLPGenerator(latent_dim=2, data_dim=2, hidden=4), MLPDiscriminator(data_dim=2, hidden=4)
    trainer = GANTrainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()))
    devices = []
    real_randn = training.randn
    monkeypatch.setattr(training, "randn", lambda *shape, device=None, **kw: devices.append(device)
                        or real_randn(*shape, device=device, **kw))
    trainer.sample_latent(5)
    assert devices == [next(G.parameters()).device]


# ---------------------------------------------------------------------- 9. batch norm
def test_batch_norm_momentum_none_is_the_cumulative_average():
    bn = nn.BatchNorm2d(2, momentum=None)
    batches = [np.random.default_rng(i).standard_normal((4, 2, 3, 3)).astype(np.float32) for i in range(3)]
    for x in batches:
        bn(mg.tensor(x))
    means = [x.mean(axis=(0, 2, 3)) for x in batches]
    variances = [x.var(axis=(0, 2, 3), ddof=1) for x in batches]
    np.testing.assert_allclose(bn.running_mean.numpy(), np.mean(means, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.numpy(), np.mean(variances, axis=0), rtol=1e-5)
    assert int(bn.num_batches_tracked.item()) == 3


def test_batch_norm_1d_accepts_sequences():
    x = np.random.default_rng(0).standard_normal((4, 3, 5)).astype(np.float32)
    y = nn.BatchNorm1d(3)(mg.tensor(x)).numpy()
    mean, var = x.mean(axis=(0, 2), keepdims=True), x.var(axis=(0, 2), keepdims=True)
    np.testing.assert_allclose(y, (x - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)
    with pytest.raises(ValueError, match=r"expected input \(N, 3\), got shape \(4, 3, 5, 1\)"):
        nn.BatchNorm1d(3)(mg.zeros(4, 3, 5, 1))


# ---------------------------------------------------------------------- 10. memory
@pytest.mark.parametrize("make", [
    lambda x, w: conv2d(x, w, padding=1),
    lambda x, w: batch_norm(x, weight=w[:, 0, 0, 0]),
], ids=["conv2d", "batch_norm"])
def test_a_backward_pass_releases_everything_a_function_saved(make):
    x = mg.randn(2, 3, 4, 4, requires_grad=True)
    w = mg.randn(3, 3, 3, 3, requires_grad=True)
    y = make(x, w)
    node = y.grad_fn
    while node.inputs[0].grad_fn is not None:  # the conv or batch-norm node itself, below reshapes/adds
        node = node.inputs[0].grad_fn
    y.sum().backward()
    kept = {name: value for name, value in vars(node).items() if isinstance(value, (np.ndarray, mg.Tensor, tuple))}
    assert not kept, f"{node.name} still holds {sorted(kept)} after backward"


# ---------------------------------------------------------------------- PyTorch-shaped API
def test_size_numel_dim_and_T():
    t = mg.zeros(2, 3, 4)
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.size(-1) == 4
    assert t.numel() == 24 and t.dim() == 3
    assert t.T.shape == (4, 3, 2)


def test_transpose_swaps_two_axes_and_permute_reorders_all():
    t = mg.tensor(np.arange(24.0).reshape(2, 3, 4))
    np.testing.assert_array_equal(t.transpose(0, 2).numpy(), np.swapaxes(t.numpy(), 0, 2))
    np.testing.assert_array_equal(t.transpose(-1, 1).numpy(), np.swapaxes(t.numpy(), 1, 2))
    np.testing.assert_array_equal(t.permute(2, 0, 1).numpy(), t.numpy().transpose(2, 0, 1))
    np.testing.assert_array_equal(mg.transpose(t, 0, 1).numpy(), np.swapaxes(t.numpy(), 0, 1))
    with pytest.raises(IndexError, match="transpose: dimension 3 is out of range"):
        t.transpose(0, 3)


def test_dim_and_keepdim_are_accepted_beside_axis_and_keepdims():
    t = mg.tensor(np.arange(6.0).reshape(2, 3))
    for reduce in ("sum", "mean", "max", "min", "var", "std", "norm"):
        np.testing.assert_allclose(getattr(t, reduce)(dim=1, keepdim=True).numpy(),
                                   getattr(t, reduce)(axis=1, keepdims=True).numpy())
    np.testing.assert_array_equal(t.argmax(dim=1).numpy(), [2, 2])
    np.testing.assert_allclose(mg.softmax(t, dim=0).numpy(), mg.softmax(t, axis=0).numpy())
    assert mg.cat([t, t], dim=1).shape == (2, 6) and mg.stack([t, t], dim=0).shape == (2, 2, 3)
    with pytest.raises(TypeError, match="both axis= and dim="):
        t.sum(axis=0, dim=0)


def test_squeeze_unsqueeze_expand_chunk():
    t = mg.zeros(2, 1, 3)
    assert t.squeeze().shape == (2, 3) and t.squeeze(0).shape == (2, 1, 3) and t.squeeze(dim=1).shape == (2, 3)
    assert t.unsqueeze(0).shape == (1, 2, 1, 3)
    assert t.expand(4, 2, 5, 3).shape == (4, 2, 5, 3) and t.expand(-1, 6, -1).shape == (2, 6, 3)
    assert [c.shape for c in mg.zeros(7, 2).chunk(3)] == [(3, 2), (3, 2), (1, 2)]


def test_clone_copies_and_stays_in_the_graph():
    a = mg.tensor([1.0, 2.0], requires_grad=True)
    b = a.clone()
    assert not np.shares_memory(a.data, b.data) and b.grad_fn is not None
    (b * 3).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [3.0, 3.0])


def test_to_takes_a_dtype_a_device_or_both():
    t = mg.tensor([1.0, 2.0], requires_grad=True)
    assert t.to(np.float64).dtype == np.float64 and t.to("float64").dtype == np.float64
    assert t.to("cpu") is t and t.to("cpu", np.float64).dtype == np.float64
    assert t.to(dtype=np.float64, device="cpu").dtype == np.float64
    t.to(np.float64).sum().backward()
    assert t.grad.dtype == np.float32
    with pytest.raises(TypeError, match="neither a device"):
        t.to("gpu0")


def test_module_cpu_and_cuda():
    layer = nn.Linear(2, 2)
    assert layer.cpu() is layer
    if not mg.cuda_available():
        with pytest.raises(backend.DeviceError, match="device 'cuda' is not available"):
            layer.cuda()


@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_zero_grad_set_to_none_or_zeros(owner):
    layer = nn.Linear(2, 1)
    optimizer = optim.SGD(layer.parameters(), lr=0.1)
    zero_grad = layer.zero_grad if owner == "module" else optimizer.zero_grad
    layer(mg.ones(1, 2)).sum().backward()
    zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in layer.parameters())
    zero_grad()
    assert all(p.grad is None for p in layer.parameters())


def test_module_dict_registers_its_modules_by_name():
    heads = nn.ModuleDict({"mnist": nn.Linear(4, 10), "fashion": nn.Linear(4, 10)})
    heads["toy"] = nn.Linear(4, 2)
    assert list(heads) == ["mnist", "fashion", "toy"] and "toy" in heads and len(heads) == 3
    assert sorted(heads.state_dict()) == sorted(f"{n}.{p}" for n in heads for p in ("weight", "bias"))
    assert sum(1 for _ in heads.parameters()) == 6
    del heads["toy"]
    assert "toy" not in heads
    with pytest.raises(KeyError, match="ModuleDict has no module 'svhn'"):
        heads["svhn"]


def test_register_parameter():
    module = nn.Module()
    module.register_parameter("scale", nn.Parameter(mg.ones(3)))
    module.register_parameter("shift", None)
    assert [name for name, _ in module.named_parameters()] == ["scale"]
    assert list(module.state_dict()) == ["scale"]
    with pytest.raises(TypeError, match="must be a Parameter or None"):
        module.register_parameter("plain", mg.ones(3))


def test_var_and_std_default_to_pytorchs_correction():
    values = np.array([1.0, 2.0, 4.0, 7.0])
    t = mg.tensor(values)
    assert t.var().item() == pytest.approx(values.var(ddof=1))
    assert t.std().item() == pytest.approx(values.std(ddof=1))
    assert t.var(correction=0).item() == pytest.approx(values.var())
    assert t.std(unbiased=False).item() == pytest.approx(values.std())


def test_norm_gradient_at_zero_is_zero():
    x = mg.zeros(2, 3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros((2, 3)))
    rows = mg.tensor([[0.0, 0.0], [3.0, 4.0]], requires_grad=True)
    rows.norm(dim=1).sum().backward()
    np.testing.assert_allclose(rows.grad.numpy(), [[0.0, 0.0], [0.6, 0.8]])
