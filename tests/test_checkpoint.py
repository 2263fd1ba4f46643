"""minigan.checkpoint: exact round trips of nested state, atomic saving, and clear errors for bad files and values."""
import json
import os
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import nn, optim
from minigan.checkpoint import MANIFEST_KEY, CheckpointError, load_checkpoint, save_checkpoint


def _state():
    rng = np.random.default_rng(7)
    rng.standard_normal(3)  # move the generator off its seeded state
    return {
        "generator": OrderedDict([  # deliberately not in sorted order
            ("net.2.weight", rng.standard_normal((3, 4)).astype(np.float32)),
            ("net.0.bias", np.arange(5, dtype=np.float64)),
            ("bn.num_batches_tracked", np.array(12, dtype=np.int64)),
        ]),
        "arrays": {
            "int8": np.array([-128, 0, 127], dtype=np.int8),
            "uint8": np.arange(6, dtype=np.uint8).reshape(2, 3),
            "int32": np.array([[1], [2]], dtype=np.int32),
            "float16": np.array([0.5, np.inf, np.nan], dtype=np.float16),
            "bool": np.array([True, False]),
            "complex": np.array([1 + 2j]),
            "empty": np.zeros((0, 3), dtype=np.float32),
            "text": np.array(["a", "bc"]),
            "fortran": np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        },
        "iteration": 1234,
        "lr": 2e-4,
        "whole_float": 3.0,
        "amsgrad": False,
        "loss": "hinge",
        "scalar": np.float32(0.25),
        "nothing": None,
        "history": [1, 2.5, "x", None, [True]],
        "rng": rng.bit_generator.state,
        "empty_dict": {},
    }


def _assert_same(got, expected, where="state"):
    """Equal values *and* types: dtypes, shapes, int vs float, dict vs OrderedDict, key order."""
    assert type(got) is type(expected), f"{where}: {type(got)} != {type(expected)}"
    if isinstance(expected, dict):
        assert list(got) == list(expected), f"{where}: keys {list(got)} != {list(expected)}"
        for key in expected:
            _assert_same(got[key], expected[key], f"{where}/{key}")
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert got.dtype == expected.dtype and got.shape == expected.shape, where
        np.testing.assert_array_equal(got, expected, err_msg=where)
    else:
        assert got == expected, where


def test_round_trip_is_exact(tmp_path):
    state = _state()
    save_checkpoint(tmp_path / "ckpt.npz", state)
    _assert_same(load_checkpoint(tmp_path / "ckpt.npz"), state)


def test_the_file_is_a_plain_npz_with_slash_joined_keys(tmp_path):
    save_checkpoint(tmp_path / "ckpt", _state())  # saved under exactly the name given
    with np.load(tmp_path / "ckpt", allow_pickle=False) as npz:
        assert npz.files[:3] == ["generator/net.2.weight", "generator/net.0.bias", "generator/bn.num_batches_tracked"]
        assert npz["iteration"].shape == () and npz["iteration"].dtype == np.int64
        assert npz["lr"].dtype == np.float64 and npz["loss"].item() == "hinge"
        assert json.loads(npz["rng/state/state"].item()) > 2**64  # a 128-bit integer, kept exactly as JSON
        manifest = json.loads(npz[MANIFEST_KEY].item())
    assert manifest["version"] == 1
    assert manifest["tree"]["items"]["generator"]["type"] == "OrderedDict"
    assert manifest["tree"]["items"]["iteration"] == "python"


def test_a_restored_rng_state_draws_the_same_numbers(tmp_path):
    mg.manual_seed(3)
    mg.randn(5)
    save_checkpoint(tmp_path / "rng.npz", {"rng": mg.autograd.creation.get_rng_state()})
    expected = mg.randn(4).numpy()
    mg.manual_seed(99)
    mg.autograd.creation.set_rng_state(load_checkpoint(tmp_path / "rng.npz")["rng"])
    np.testing.assert_array_equal(mg.randn(4).numpy(), expected)


def test_a_model_and_its_optimizer_resume_from_a_checkpoint(tmp_path):
    def build():
        mg.manual_seed(0)
        model = nn.Linear(3, 2)
        return model, optim.Adam(model.parameters(), lr=1e-3, betas=(0.5, 0.999))

    def step(model, opt):
        opt.zero_grad()
        (model(mg.tensor(np.ones((4, 3), np.float32))) ** 2).sum().backward()
        opt.step()

    model, opt = build()
    step(model, opt)
    save_checkpoint(tmp_path / "run.npz", {"model": model.state_dict(), "optimizer": opt.state_dict()})
    step(model, opt)

    resumed_model, resumed_opt = build()
    state = load_checkpoint(tmp_path / "run.npz")
    resumed_model.load_state_dict(state["model"])
    resumed_opt.load_state_dict(state["optimizer"])
    step(resumed_model, resumed_opt)
    np.testing.assert_array_equal(resumed_model.weight.numpy(), model.weight.numpy())
    _assert_same(resumed_opt.state_dict(), opt.state_dict())


def test_a_failed_save_leaves_the_old_checkpoint_intact(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    save_checkpoint(path, {"iteration": 1})

    def half_written_then_crash(file, *args, **kwargs):
        file.write(b"PK\x03\x04 half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", half_written_then_crash)
    with pytest.raises(OSError, match="disk full"):
        save_checkpoint(path, {"iteration": 2})
    assert load_checkpoint(path) == {"iteration": 1}
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # no temporary file left behind


def test_saving_over_a_checkpoint_replaces_it(tmp_path):
    save_checkpoint(tmp_path / "c.npz", {"a": np.zeros(3)})
    save_checkpoint(tmp_path / "c.npz", {"b": 2})
    assert load_checkpoint(tmp_path / "c.npz") == {"b": 2}
    assert os.listdir(tmp_path) == ["c.npz"]


def test_a_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*nope.npz"):
        load_checkpoint(tmp_path / "nope.npz")


def _damaged_files(tmp_path):
    state = _state()
    save_checkpoint(tmp_path / "good.npz", state)
    good = (tmp_path / "good.npz").read_bytes()
    flipped = bytearray(good)
    flipped[good.index(state["generator"]["net.2.weight"].tobytes()) + 5] ^= 0xFF  # inside an array's data
    np.save(tmp_path / "a.npy", np.zeros(3))
    np.savez(tmp_path / "plain.npz", x=np.zeros(2))
    return {
        "truncated": (good[: len(good) // 2], "damaged .npz"),
        "garbage": (bytes(range(256)) * 4, "not an .npz"),
        "empty": (b"", "not an .npz"),
        "npy": ((tmp_path / "a.npy").read_bytes(), "not an .npz"),
        "bit flip": (bytes(flipped), "Bad CRC-32 for file 'generator/net.2.weight.npy'"),
        "no manifest": ((tmp_path / "plain.npz").read_bytes(), "no __minigan__ manifest"),
    }


@pytest.mark.parametrize("kind", ["truncated", "garbage", "empty", "npy", "bit flip", "no manifest"])
def test_damaged_files_are_clear_errors(tmp_path, kind):
    content, reason = _damaged_files(tmp_path)[kind]
    path = tmp_path / "bad.npz"
    path.write_bytes(content)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    assert str(info.value).startswith(f"{path} is not a minigan checkpoint or is corrupt: ")
    assert reason in str(info.value)


@pytest.mark.parametrize("state, message", [
    ({"w": np.array([object()])}, "cannot store 'w', a ndarray"),
    ({"model": {"w": mg.tensor([1.0])}}, "cannot store 'model/w', a Tensor"),
    ({"s": {1, 2}}, "cannot store 's', a set"),
    ({"a": {3: np.zeros(1)}}, "keys must be non-empty strings without '/', got 3 in 'a'"),
    ({"a/b": 1}, "without '/', got 'a/b'"),
    ({"file": 1}, "'file' is reserved"),
    ([1, 2], "state must be a dict"),
])
def test_values_it_cannot_store_are_clear_errors(tmp_path, state, message):
    with pytest.raises(TypeError, match=message):
        save_checkpoint(tmp_path / "c.npz", state)
    assert os.listdir(tmp_path) == []
