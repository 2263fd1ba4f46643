"""minigan.save_weights / load_weights (safetensors): round trips, strict loading, clear errors."""
import json
import re
import struct

import numpy as np
import pytest
import safetensors.numpy

import minigan as mg
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator
from minigan.weights import WeightsError, read_weights


def _trained_a_little(model, x):
    """One training-mode forward: batch norm's running statistics and spectral norm's u, v move off their start."""
    model(x)
    return model.eval()


@pytest.mark.parametrize("make, x", [
    (lambda: DCGANGenerator(latent_dim=8, width=4), lambda: mg.randn(4, 8)),
    (lambda: DCGANDiscriminator(width=4), lambda: mg.randn(4, 1, 28, 28)),
    (lambda: DCGANDiscriminator(width=4, norm="spectral"), lambda: mg.randn(4, 1, 28, 28)),
], ids=["generator", "discriminator", "spectral-discriminator"])
def test_a_model_round_trips_bit_identically(tmp_path, make, x):
    mg.manual_seed(0)
    inputs = x()
    saved = _trained_a_little(make(), inputs)
    mg.save_weights(saved, tmp_path / "model.safetensors")
    mg.manual_seed(1)
    loaded = make().eval()
    assert not np.array_equal(loaded(inputs).numpy(), saved(inputs).numpy())
    assert mg.load_weights(loaded, tmp_path / "model.safetensors") == ([], [])
    for name, value in saved.state_dict().items():
        assert np.array_equal(loaded.state_dict()[name], value) and loaded.state_dict()[name].dtype == value.dtype, name
    np.testing.assert_array_equal(loaded(inputs).numpy(), saved(inputs).numpy())


def test_the_file_is_plain_safetensors_with_the_state_dict_names_and_metadata(tmp_path):
    model = DCGANDiscriminator(width=4, norm="spectral")
    mg.save_weights(model, tmp_path / "d.safetensors", metadata={"model": "DCGANDiscriminator", "width": 4})
    arrays = safetensors.numpy.load_file(tmp_path / "d.safetensors")
    assert sorted(arrays) == sorted(model.state_dict())
    assert "conv1.weight_orig" in arrays and arrays["conv1.weight_u"].shape == (4,)
    with safetensors.safe_open(tmp_path / "d.safetensors", "np") as f:
        assert f.metadata() == {"model": "DCGANDiscriminator", "width": "4"}
    assert not list(tmp_path.glob(".*.tmp"))  # written atomically: no temporary left behind


def test_strict_loading_lists_every_problem(tmp_path):
    model = DCGANGenerator(latent_dim=8, width=4)
    state = model.state_dict()
    state["extra.weight"] = np.zeros(2, np.float32)
    del state["fc.bias"]
    state["bn1.weight"] = np.ones(5, np.float32)
    safetensors.numpy.save_file(state, tmp_path / "bad.safetensors")
    message = re.escape(f"loading {tmp_path / 'bad.safetensors'}: error loading state_dict into DCGANGenerator:")
    with pytest.raises(WeightsError, match=message) as error:
        mg.load_weights(model, tmp_path / "bad.safetensors")
    text = str(error.value)
    assert "missing keys: fc.bias" in text and "unexpected keys: extra.weight" in text
    assert "bn1.weight: expected shape (4,), got (5,)" in text
    del state["bn1.weight"]  # what is left fits, with strict=False
    safetensors.numpy.save_file(state, tmp_path / "partial.safetensors")
    missing, unexpected = mg.load_weights(model, tmp_path / "partial.safetensors", strict=False)
    assert missing == ["fc.bias", "bn1.weight"] and unexpected == ["extra.weight"]


def test_a_dtype_mismatch_is_an_error_not_a_silent_rounding(tmp_path):
    model = DCGANGenerator(latent_dim=8, width=4)
    safetensors.numpy.save_file(model.double().state_dict(), tmp_path / "float64.safetensors")
    model.float()
    with pytest.raises(WeightsError, match=re.escape("dtype mismatch with DCGANGenerator: fc.weight: the model has "
                                                     "float32, the file float64; fc.bias: ")):
        mg.load_weights(model, tmp_path / "float64.safetensors")
    mg.load_weights(model.double(), tmp_path / "float64.safetensors")  # cast the model instead: it loads


def _safetensors_bytes(header: dict, data: bytes) -> bytes:
    """A safetensors file by hand: 8 bytes of header length (little-endian), the JSON header, the data."""
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + data


def test_files_that_are_not_safetensors_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="weights file not found"):
        read_weights(tmp_path / "missing.safetensors")
    (tmp_path / "checkpoint.npz").write_bytes(b"PK\x03\x04 a zip archive, not safetensors")
    with pytest.raises(WeightsError, match="is not a safetensors file, or is damaged"):
        read_weights(tmp_path / "checkpoint.npz")
    good = _safetensors_bytes({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(8))
    assert read_weights(_write(tmp_path / "good.safetensors", good))["w"].tolist() == [0.0, 0.0]
    with pytest.raises(WeightsError, match="is not a safetensors file, or is damaged"):
        read_weights(_write(tmp_path / "truncated.safetensors", good[:-3]))
    bfloat16 = _safetensors_bytes({"w": {"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}}, bytes(4))
    with pytest.raises(WeightsError, match=re.escape("NumPy cannot represent")):
        read_weights(_write(tmp_path / "bf16.safetensors", bfloat16))


def _write(path, data: bytes):
    path.write_bytes(data)
    return path
