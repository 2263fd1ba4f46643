"""python -m minigan.export: a trained run's generator (EMA or raw) and discriminator as safetensors; clear errors."""
import json
import subprocess
import sys

import numpy as np
import pytest
import safetensors

import minigan as mg
from minigan import export, runs
from minigan.checkpoint import load_checkpoint
from minigan.weights import read_weights


@pytest.fixture(scope="module")
def run_folder(train_run):
    """A two-step unconditional DCGAN run (tiny widths) with spectral norm in D and an EMA generator."""
    return train_run("export", "--no-conditional", "--steps", "2", "--width", "4", "--latent-dim", "8",
                     "--batch-size", "8", "--d-norm", "spectral")


def _images(generator):
    mg.manual_seed(7)
    with mg.no_grad():
        return generator(mg.randn(5, generator.latent_dim)).numpy()


@pytest.mark.parametrize("ema", [True, False], ids=["ema", "no-ema"])
def test_the_exported_generator_is_the_runs_generator(tmp_path, run_folder, ema, capsys):
    path = tmp_path / "g.safetensors"
    assert export.main([run_folder, "--to", str(path)] + ([] if ema else ["--no-ema"])) == 0
    role = "EMA generator" if ema else "generator"
    assert capsys.readouterr().out == f"wrote {path}: the {role} (DCGANGenerator, 4,901 parameters)\n"
    expected, settings = runs.load_generator(run_folder, ema=ema)
    fresh, _ = runs.build_models(settings)
    mg.load_weights(fresh, path)
    np.testing.assert_array_equal(_images(fresh.eval()), _images(expected))
    with safetensors.safe_open(path, "np") as f:
        metadata = f.metadata()
    assert metadata["model"] == "DCGANGenerator" and metadata["role"] == role
    assert json.loads(metadata["config"]) == runs.read_config(run_folder)


def test_ema_and_raw_generators_differ(tmp_path, run_folder):
    for name, flags in (("ema", []), ("raw", ["--no-ema"])):
        assert export.main([run_folder, "--to", str(tmp_path / f"{name}.safetensors")] + flags) == 0
    ema, raw = (read_weights(tmp_path / f"{name}.safetensors") for name in ("ema", "raw"))
    assert not np.array_equal(ema["fc.weight"], raw["fc.weight"])


def test_the_discriminator_travels_too_under_spectral_norms_names(tmp_path, run_folder):
    g_path, d_path = tmp_path / "g.safetensors", tmp_path / "d.safetensors"
    assert export.main([run_folder, "--to", str(g_path), "--discriminator", str(d_path)]) == 0
    arrays = read_weights(d_path)
    assert sorted(arrays) == sorted(f"{layer}.{name}" for layer in ("conv1", "conv2", "fc")
                                    for name in ("bias", "weight_orig", "weight_u", "weight_v"))
    _, discriminator = runs.build_models(runs.read_config(run_folder))
    mg.load_weights(discriminator, d_path)
    saved = load_checkpoint(f"{run_folder}/checkpoint.npz")["trainer"]["discriminator"]
    for name, value in discriminator.state_dict().items():
        np.testing.assert_array_equal(value, saved[name], err_msg=name)


def test_errors_are_one_line_and_exit_1(tmp_path, run_folder, capsys):
    assert export.main([str(tmp_path), "--to", str(tmp_path / "g.safetensors")]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path} is not a training run folder (no config.json)\n"
    (tmp_path / "taken").mkdir()
    assert export.main([run_folder, "--to", str(tmp_path / "taken")]) == 1  # a folder where the file should go
    err = capsys.readouterr().err
    assert err == f"error: {tmp_path / 'taken'}: Is a directory\n"
    assert not (tmp_path / "g.safetensors").exists()


def test_help_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "minigan.export", "--help"], capture_output=True, text=True)
    assert result.returncode == 0 and "--no-ema" in result.stdout and "--discriminator" in result.stdout
