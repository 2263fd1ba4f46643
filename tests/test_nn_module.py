"""nn.Module: registration, tree walks, train/eval, state_dict round trips and errors, containers, repr."""
import copy
import re
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import nn


class Block(nn.Module):
    """A Parameter, a buffer, a plain Tensor attribute and two sub-modules."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(mg.ones(3))
        self.register_buffer("count", mg.zeros(1))
        self.not_registered = mg.zeros(2)
        self.fc = nn.Linear(3, 2)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.fc(x * self.scale))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.block = Block()
        self.head = nn.Linear(2, 1, bias=False)

    def forward(self, x):
        return self.head(self.block(x))


def test_parameters_buffers_and_modules_are_registered_by_assignment():
    model = Model()
    assert [name for name, _ in model.named_parameters()] == [
        "block.scale", "block.fc.weight", "block.fc.bias", "head.weight"]
    assert [name for name, _ in model.named_buffers()] == ["block.count"]
    assert [name for name, _ in model.named_children()] == ["block", "head"]
    assert [name for name, _ in model.named_modules()] == ["", "block", "block.fc", "block.act", "head"]
    assert list(model.parameters())[0] is model.block.scale
    assert [name for name, _ in model.block.named_parameters(recurse=False)] == ["scale"]
    assert model.num_parameters() == 3 + 6 + 2 + 2
    assert "not_registered" not in model.block.state_dict()


def test_a_shared_module_is_listed_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert list(model.state_dict()) == ["0.weight", "0.bias"]


def test_assignment_rules():
    class Forgetful(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"before Module.__init__\(\).*super\(\).__init__\(\)"):
        Forgetful()
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="cannot assign a Tensor to 'weight', which holds a Parameter"):
        layer.weight = mg.zeros(2, 2)
    with pytest.raises(TypeError, match="buffer 'count' must be a Tensor"):
        Block().count = 3
    layer.weight = nn.Parameter(mg.zeros(2, 2))  # replacing a Parameter by a Parameter is fine
    assert np.array_equal(dict(layer.named_parameters())["weight"].numpy(), np.zeros((2, 2)))
    del layer.bias
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'bias'"):
        layer.bias
    layer.note = "plain attributes are plain"
    del layer.note
    assert not hasattr(layer, "note")
    unbiased = nn.Linear(2, 2, bias=False)
    unbiased.bias = nn.Parameter(mg.ones(2))  # replaces the plain None
    assert unbiased.bias is dict(unbiased.named_parameters())["bias"]


def test_parameter_wraps_data_and_requires_grad():
    t = mg.tensor([1.0, 2.0])
    p = nn.Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, mg.Tensor)
    assert p.data is t.data  # shares memory, like torch.nn.Parameter(tensor)
    assert repr(p).startswith("Parameter containing:\ntensor([1., 2.], requires_grad=True)")
    assert not isinstance(p * 2, nn.Parameter)  # results of operations are plain Tensors


def test_train_eval_and_apply_reach_every_module():
    model = Model()
    assert model.training and model.block.fc.training
    model.eval()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    visited = []
    model.apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Block", "Linear", "Model"]  # children first


def test_zero_grad_and_requires_grad():
    model = Model()
    model(mg.randn(4, 3)).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())
    model.requires_grad_(False)
    assert not any(p.requires_grad for p in model.parameters())


def test_to_moves_in_place():
    model = Model()
    weight = model.head.weight
    assert model.to("cpu") is model and model.head.weight is weight
    with pytest.raises(mg.backend.DeviceError):
        model.to("no-such-device")


def test_double_and_float_cast_floating_tensors_in_place():
    mg.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model.register_buffer("steps", mg.tensor(np.array([7])))
    x = mg.randn(5, 3)
    model(x).sum().backward()
    weight, before = model[0].weight, model[0].weight.numpy().copy()
    assert model.double() is model and model[0].weight is weight
    integers = (model.steps, model[1].num_batches_tracked)
    floats = [t for t in list(model.parameters()) + list(model.buffers()) if all(t is not i for i in integers)]
    assert len(floats) == 6 and all(t.dtype == np.float64 for t in floats)   # 4 parameters, 2 running stats
    assert all(p.grad.dtype == np.float64 for p in model.parameters())
    assert all(i.dtype.kind == "i" for i in integers)
    np.testing.assert_array_equal(weight.numpy(), before)
    assert model(x.double()).dtype == np.float64
    assert model.float() is model and all(t.dtype == np.float32 for t in floats)


def test_state_dict_holds_copies_and_round_trips():
    mg.manual_seed(0)
    source = Model()
    source.block.count.data[...] = 7
    state = source.state_dict()
    assert isinstance(state, OrderedDict)
    assert list(state) == ["block.scale", "block.fc.weight", "block.fc.bias", "head.weight", "block.count"]
    state["head.weight"][...] = 123.0  # a copy: the model is untouched
    assert not np.any(source.head.weight.numpy() == 123.0)

    target = Model()
    weight = target.block.fc.weight
    result = target.load_state_dict(source.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert target.block.fc.weight is weight  # loaded in place: an optimizer holding it sees the new values
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        assert np.array_equal(a, b), name
    x = mg.randn(5, 3)
    assert np.array_equal(source(x).numpy(), target(x).numpy())


def test_load_state_dict_reports_every_problem_at_once_and_loads_nothing():
    model = Model()
    before = model.state_dict()
    state = model.state_dict()
    del state["head.weight"]
    state["block.extra"] = np.zeros(1)
    state["block.fc.weight"] = np.zeros((4, 4))
    state["block.scale"] = np.full(3, 5.0)
    expected = (
        "error loading state_dict into Model:\n"
        "  missing keys: head.weight\n"
        "  unexpected keys: block.extra\n"
        "  shape mismatch: block.fc.weight: expected shape (2, 3), got (4, 4)"
    )
    with pytest.raises(RuntimeError, match=re.escape(expected)):
        model.load_state_dict(state)
    assert np.array_equal(model.block.scale.numpy(), before["block.scale"])

    del state["block.fc.weight"]
    result = model.load_state_dict(state, strict=False)
    assert result.missing_keys == ["block.fc.weight", "head.weight"] and result.unexpected_keys == ["block.extra"]
    np.testing.assert_array_equal(model.block.scale.numpy(), np.full(3, 5.0))


def test_state_dict_survives_npz_without_pickle(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    model(mg.randn(6, 3))  # updates the running statistics and num_batches_tracked
    np.savez(tmp_path / "model.npz", **model.state_dict())
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    with np.load(tmp_path / "model.npz", allow_pickle=False) as saved:
        fresh.load_state_dict(dict(saved))
    assert int(fresh[1].num_batches_tracked.item()) == 1
    for (name, a), (_, b) in zip(model.state_dict().items(), fresh.state_dict().items()):
        assert np.array_equal(a, b) and a.dtype == b.dtype, name


def test_deepcopy_gives_an_independent_model():
    """What an exponential moving average of a generator's weights starts from."""
    model = nn.Sequential(nn.spectral_norm(nn.Linear(3, 4)), nn.BatchNorm1d(4))
    twin = copy.deepcopy(model)
    assert twin[0].weight_orig is not model[0].weight_orig and isinstance(twin[0].weight_orig, nn.Parameter)
    x = mg.randn(5, 3)
    np.testing.assert_array_equal(twin(x).numpy(), model(x).numpy())
    twin[0].weight_orig.data += 1
    assert not np.array_equal(twin[0].weight_orig.numpy(), model[0].weight_orig.numpy())
    assert not np.array_equal(twin(x).numpy(), model(x).numpy())  # the twin's hook normalises the twin's weight


def test_sequential_and_module_list():
    layers = [nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1)]
    seq = nn.Sequential(*layers)
    assert len(seq) == 3 and list(seq) == layers and seq[-1] is layers[2]
    head = seq[:2]
    assert isinstance(head, nn.Sequential) and list(head) == layers[:2]
    x = mg.randn(4, 2)
    expected = layers[2](layers[1](layers[0](x)))
    assert np.array_equal(seq(x).numpy(), expected.numpy())
    with pytest.raises(IndexError, match="index 3 is out of range for a Sequential of length 3"):
        seq[3]

    named = nn.Sequential(OrderedDict(fc=nn.Linear(2, 2), act=nn.ReLU()))
    assert list(named.state_dict()) == ["fc.weight", "fc.bias"] and isinstance(named[1], nn.ReLU)

    blocks = nn.ModuleList([nn.Linear(2, 2)]).append(nn.Linear(2, 2))
    assert len(blocks) == 2 and list(blocks.state_dict())[2] == "1.weight"
    with pytest.raises(NotImplementedError, match="ModuleList must define forward"):
        blocks(x)


def test_repr_of_a_nested_model():
    model = nn.Sequential(
        nn.Conv2d(1, 8, 4, stride=2, padding=1, bias=False),
        nn.LeakyReLU(0.2),
        nn.Sequential(nn.Flatten(), nn.Linear(8 * 14 * 14, 1)),
        nn.spectral_norm(nn.Linear(3, 3)),
        nn.Identity(),
    )
    assert repr(model) == """Sequential(
  (0): Conv2d(1, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
  (1): LeakyReLU(negative_slope=0.2)
  (2): Sequential(
    (0): Flatten(start_dim=1, end_dim=-1)
    (1): Linear(in_features=1568, out_features=1, bias=True)
  )
  (3): Linear(in_features=3, out_features=3, bias=True)
  (4): Identity()
)"""


def test_forward_pre_hooks_run_before_forward_and_can_be_removed():
    layer = nn.Linear(2, 1)
    seen = []

    def double_the_input(module, args):
        seen.append(module)
        return args[0] * 2

    handle = layer.register_forward_pre_hook(double_the_input)
    x = mg.tensor([[1.0, -3.0]])
    np.testing.assert_allclose(layer(x).numpy(), layer.forward(x * 2).numpy())
    assert seen == [layer]
    handle.remove()
    np.testing.assert_allclose(layer(x).numpy(), layer.forward(x).numpy())
    assert seen == [layer]


def test_load_state_dict_lets_a_module_rename_its_old_keys():
    class Renamed(nn.Module):
        def __init__(self):
            super().__init__()
            self.new = nn.Linear(2, 2)

        def _upgrade_state_dict(self, state_dict, prefix):
            nn.module.rename_keys(state_dict, nn.module.prefix_renames(state_dict, prefix + "old.", prefix + "new."))

    saved, model = nn.Sequential(Renamed()), nn.Sequential(Renamed())
    old_state = {key.replace(".new.", ".old."): value for key, value in saved.state_dict().items()}
    assert list(old_state) == ["0.old.weight", "0.old.bias"]
    model.load_state_dict(old_state)
    np.testing.assert_array_equal(model[0].new.weight.numpy(), saved[0].new.weight.numpy())
    assert list(old_state) == ["0.old.weight", "0.old.bias"]  # the caller's dict is left alone
    with pytest.raises(RuntimeError, match="unexpected keys: 0.other.weight"):
        model.load_state_dict({**saved.state_dict(), "0.other.weight": np.zeros((2, 2))})
