"""Weights that travel: minigan's safetensors files load into PyTorch's DCGAN, and PyTorch's into minigan.

The PyTorch side is ``benchmarks/torch_reference.py`` itself -- the reference whose layer names
minigan's ``DCGANGenerator`` / ``DCGANDiscriminator`` carry -- loaded with PyTorch's own tools,
``safetensors.torch.load_file`` and a strict ``load_state_dict``. The same latents (or images) must
then give the same images (or logits) in both libraries, to float32 rounding, in eval mode (the
saved running statistics and u, v are used) and for one training-mode forward (batch statistics,
one power iteration). The spectral-norm discriminator is PyTorch's reference D with
``torch.nn.utils.spectral_norm`` on conv1, conv2 and fc and no batch norm, as minigan's
``norm="spectral"``: its keys are ``weight_orig``, ``weight_u``, ``weight_v``.

Needs PyTorch (``pip install -e ".[parity]"``); without it the module is skipped.
"""
import importlib
import pathlib
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import safetensors.torch  # noqa: E402  (only after the skip: torch may be missing)
from parity_helpers import assert_close, assert_same_state  # noqa: E402

import minigan as mg  # noqa: E402
from minigan import export, runs  # noqa: E402
from minigan.gan.models import DCGANDiscriminator, DCGANGenerator  # noqa: E402

torch.set_num_threads(1)
BENCHMARKS = pathlib.Path(__file__).resolve().parents[2] / "benchmarks"
# float32 through a few layers of sums over thousands of terms, summed in another order by each library.
FLOAT32 = dict(rtol=1e-5, atol=1e-6)


def _torch_reference():
    """benchmarks/torch_reference.py as a module (the benchmarks folder is not a package; its scripts
    import each other, as they do when run from it)."""
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    return importlib.import_module("torch_reference")


reference = _torch_reference()


def _torch_discriminator(norm):
    """The reference D with the DCGAN init; for ``norm="spectral"`` with PyTorch's spectral norm and no batch norm."""
    d = reference.Discriminator().apply(reference.dcgan_init_)
    if norm == "spectral":
        d.bn2 = torch.nn.Identity()
        for name in ("conv1", "conv2", "fc"):
            torch.nn.utils.spectral_norm(getattr(d, name))
    return d


@pytest.fixture(scope="module")
def run_folders(train_run):
    """Two short minigan training runs of the reference DCGAN (unconditional, latent 100, width 64): batch-norm D
    and spectral-norm D."""
    return {norm: train_run(f"travel-{norm}", "--no-conditional", "--width", "64", "--steps", "3", "--batch-size", "8",
                            "--d-norm", norm)
            for norm in ("batch", "spectral")}


def _latents():
    return np.random.default_rng(1).standard_normal((6, 100)).astype(np.float32)


def _images():
    return np.random.default_rng(2).uniform(-1, 1, (6, 1, 28, 28)).astype(np.float32)


def _compare(mine, theirs, inputs, what):
    """Outputs of the two models on the same inputs: eval mode, then one training-mode forward, then the state."""
    for mode in ("eval", "train"):
        getattr(mine, mode)(), getattr(theirs, mode)()
        with mg.no_grad(), torch.no_grad():
            assert_close(mine(mg.tensor(inputs)), theirs(torch.from_numpy(inputs)), f"{what} in {mode} mode", **FLOAT32)
    assert_same_state(mine, theirs, **FLOAT32)  # the training forward moved batch norm's statistics, or u and v


@pytest.mark.parametrize("ema", [True, False], ids=["ema", "no-ema"])
def test_an_exported_generator_draws_the_same_images_in_pytorch(run_folders, tmp_path, ema):
    path = tmp_path / "g.safetensors"
    assert export.main([run_folders["batch"], "--to", str(path)] + ([] if ema else ["--no-ema"])) == 0
    mine = runs.load_generator(run_folders["batch"], ema=ema)[0]
    theirs = reference.Generator()
    theirs.load_state_dict(safetensors.torch.load_file(path))  # strict: exactly the reference's names
    _compare(mine, theirs, _latents(), "images")


@pytest.mark.parametrize("norm", ["batch", "spectral"])
def test_an_exported_discriminator_gives_the_same_logits_in_pytorch(run_folders, tmp_path, norm):
    run, path = run_folders[norm], tmp_path / "d.safetensors"
    assert export.main([run, "--to", str(tmp_path / "g.safetensors"), "--discriminator", str(path)]) == 0
    theirs = _torch_discriminator(norm)
    theirs.load_state_dict(safetensors.torch.load_file(path))
    _compare(export.load_discriminator(run), theirs, _images(), "logits")


def _trained_a_little(model, inputs):
    """Two training-mode forwards in torch: running statistics (and u, v) away from their initial values."""
    with torch.no_grad():
        for _ in range(2):
            model(torch.from_numpy(inputs))
    return model


# name -> (the torch model, the empty minigan model, inputs)
FROM_TORCH = {
    "generator": (lambda: reference.Generator().apply(reference.dcgan_init_), DCGANGenerator, _latents),
    "discriminator": (lambda: _torch_discriminator("batch"), DCGANDiscriminator, _images),
    "spectral-discriminator": (lambda: _torch_discriminator("spectral"), lambda: DCGANDiscriminator(norm="spectral"),
                               _images),
}


@pytest.mark.parametrize("which", FROM_TORCH)
def test_pytorch_weights_load_into_minigan_with_load_weights(tmp_path, which):
    make_theirs, make_mine, inputs = FROM_TORCH[which]
    torch.manual_seed(3)
    theirs, mine = _trained_a_little(make_theirs(), inputs()), make_mine()
    path = tmp_path / "torch.safetensors"
    safetensors.torch.save_file(theirs.state_dict(), path)
    assert mg.load_weights(mine, path) == ([], [])
    _compare(mine, theirs, inputs(), which)
