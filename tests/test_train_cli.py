"""python -m minigan.train end to end: output files, exact resume, NaN stop, Ctrl-C, clear errors."""
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from minigan import train
from minigan.checkpoint import load_checkpoint
from minigan.data import write_idx
from minigan.gan.training import GANTrainer

TINY_IMAGES = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--no-progress",
               "--sample-every", "2", "--checkpoint-every", "2", "--log-every", "1", "--eval-every", "0"]


@pytest.fixture
def mnist_dir(tmp_path):
    """A data folder with 64 small random 'digits' in the standard MNIST file names."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (64, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, 64).astype(np.uint8))
    return str(folder)


def _arrays(path):
    state = load_checkpoint(path)["trainer"]
    return {f"{part}/{k}": v for part in ("generator", "discriminator") for k, v in state[part].items()}


def test_cli_writes_every_output_file(tmp_path, mnist_dir):
    out = tmp_path / "run"
    code = train.main(["mnist", "--data-dir", mnist_dir, "--steps", "4", "--out", str(out), "--conditional"] + TINY_IMAGES)
    assert code == 0
    for name in ("config.json", "metrics.jsonl", "checkpoint.npz", "curves.png", "samples.gif", "final.png",
                 "samples/step_000002.png", "samples/step_000004.png"):
        assert (out / name).is_file(), name
    config = json.loads((out / "config.json").read_text())
    assert config["loss"] == "ns" and config["conditional"] and config["total_steps"] == 4
    assert "64 images" in config["data_source"] or "64" in config["data_source"]
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4]
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) for r in records)


def test_resume_continues_bit_identically(tmp_path, mnist_dir):
    common = ["mnist", "--data-dir", mnist_dir, "--loss", "wgan-gp", "--n-critic", "2"] + TINY_IMAGES
    assert train.main(common + ["--steps", "6", "--out", str(tmp_path / "straight")]) == 0
    assert train.main(common + ["--steps", "3", "--out", str(tmp_path / "resumed")]) == 0
    assert train.main(["mnist", "--resume", "--steps", "6", "--out", str(tmp_path / "resumed"), "--no-progress"]) == 0
    straight, resumed = _arrays(tmp_path / "straight" / "checkpoint.npz"), _arrays(tmp_path / "resumed" / "checkpoint.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    steps = [json.loads(line)["step"] for line in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()]
    assert steps == [1, 2, 3, 4, 5, 6]


def test_an_ada_run_logs_its_strength_and_resumes_bit_identically(tmp_path, mnist_dir, capsys):
    common = ["mnist", "--data-dir", mnist_dir, "--augment", "translation,cutout", "--ada"] + TINY_IMAGES
    assert train.main(common + ["--steps", "6", "--out", str(tmp_path / "straight")]) == 0
    assert train.main(common + ["--steps", "3", "--out", str(tmp_path / "resumed")]) == 0  # mid-interval (4)
    assert train.main(["mnist", "--resume", "--steps", "6", "--out", str(tmp_path / "resumed"), "--no-progress"]) == 0
    straight, resumed = _arrays(tmp_path / "straight" / "checkpoint.npz"), _arrays(tmp_path / "resumed" / "checkpoint.npz")
    assert straight.keys() == resumed.keys()
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    ada_states = [load_checkpoint(tmp_path / run / "checkpoint.npz")["trainer"]["augment"]
                  for run in ("straight", "resumed")]
    assert ada_states[0] == ada_states[1] and ada_states[0]["steps"] == 6 % 4
    records = [json.loads(line) for line in (tmp_path / "resumed" / "metrics.jsonl").read_text().splitlines()]
    assert [r["augment_p"] for r in records][:4] == [0.0] * 4  # p moves only after the first interval
    code = train.main(["mnist", "--resume", "--steps", "8", "--out", str(tmp_path / "resumed"), "--no-progress",
                       "--augment", "translation"])
    assert code == 1 and "--augment was 'translation,cutout' in this run and cannot change" in capsys.readouterr().err


@pytest.mark.parametrize("flags, message", [
    (["--ada"], "--ada adapts the strength of an augmentation: give it one"),
    (["--ada", "--augment", "translation", "--loss", "lsgan"], "--ada reads the sign of D's logits"),
])
def test_ada_needs_an_augmentation_and_a_loss_whose_logits_have_a_sign(tmp_path, capsys, flags, message):
    assert train.main(["mnist", "--out", str(tmp_path / "run")] + flags) == 1
    assert message in capsys.readouterr().err


def test_lazy_r1_reaches_the_trainer(tmp_path, mnist_dir):
    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "4", "--out", str(out), "--r1-gamma", "1",
                       "--r1-every", "2"] + TINY_IMAGES) == 0
    records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [r["penalty"] > 0 for r in records] == [False, True, False, True]


def test_nan_loss_stops_and_keeps_the_last_good_checkpoint(tmp_path, monkeypatch, capsys):
    real_step = GANTrainer.step

    def step_that_breaks(self, real, labels=None):
        stats = real_step(self, real, labels)
        if self.iteration == 3:
            stats["d_loss"] = float("nan")
        return stats

    monkeypatch.setattr(GANTrainer, "step", step_that_breaks)
    out = tmp_path / "run"
    code = train.main(["ring", "--steps", "10", "--out", str(out), "--no-progress", "--checkpoint-every", "2"])
    assert code == 1
    err = capsys.readouterr().err
    assert "stopped at step 3: the run diverged: d_loss became nan" in err
    assert f"the last good checkpoint is {out / 'checkpoint.npz'} (step 2)" in err.lower()
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 2


@pytest.fixture
def made(monkeypatch):
    """The GANTrainers that train.main builds in this test, in order."""
    trainers = []
    init = GANTrainer.__init__

    def recording(self, *args, **kwargs):
        init(self, *args, **kwargs)
        trainers.append(self)

    monkeypatch.setattr(GANTrainer, "__init__", recording)
    return trainers


def test_one_sided_gp_reaches_the_trainer_and_older_runs_resume_with_the_default(tmp_path, made):
    out = tmp_path / "run"
    common = ["ring", "--loss", "wgan-gp", "--n-critic", "1", "--out", str(out), "--no-progress"]
    assert train.main(common + ["--steps", "2", "--gp-one-sided"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["gp_one_sided"] and made[-1].gp_one_sided
    del config["gp_one_sided"]                              # a run saved before the option existed
    (out / "config.json").write_text(json.dumps(config))
    assert train.main(["ring", "--resume", "--steps", "4", "--out", str(out), "--no-progress"]) == 0
    assert made[-1].gp_one_sided is False and json.loads((out / "config.json").read_text())["gp_one_sided"] is False


def _settings(*argv):
    return train.resolve_settings(train.build_parser().parse_args(list(argv)))


def test_the_recipe_gives_the_defaults_of_width_r1_length_and_optimizer_and_flags_win():
    for name, expected in train.RECIPES.items():
        settings = _settings("mnist", "--recipe", name)
        assert {k: settings[k] for k in expected} == expected and settings["recipe"] == name
    assert _settings("mnist")["recipe"] == "minigan"
    assert _settings("mnist", "--recipe", "dcgan", "--r1-gamma", "5")["r1_gamma"] == 5.0
    assert (_settings("mnist")["width"], _settings("mnist", "--width", "64")["width"]) == (48, 64)
    assert (_settings("mnist")["conditional"], _settings("mnist", "--no-conditional")["conditional"]) == (True, False)
    flagged = _settings("mnist", "--lr-d", "1e-4", "--beta1", "0.5")
    assert (flagged["lr_d"], flagged["beta1"]) == (1e-4, 0.5)
    assert _settings("mnist", "--epochs", "2")["steps"] is None  # --epochs sets the length instead
    for loss in ("wgan", "wgan-gp"):  # their own constraint instead of R1: the dcgan recipe's values
        wasserstein = _settings("mnist", "--loss", loss)
        assert {k: wasserstein[k] for k in train.RECIPES["dcgan"]} == train.RECIPES["dcgan"]
    assert _settings("mnist", "--loss", "wgan-gp", "--r1-gamma", "1")["r1_gamma"] == 1.0
    toy = _settings("ring")
    assert toy["recipe"] == "dcgan" and toy["r1_gamma"] == 0.0
    with pytest.raises(train.runs.RunFolderError, match="--recipe minigan was measured on images"):
        _settings("ring", "--recipe", "minigan")


def test_a_run_saved_before_recipes_resumes_as_it_ran(tmp_path, mnist_dir, made, capsys):
    out = tmp_path / "run"
    common = ["mnist", "--data-dir", mnist_dir, "--out", str(out), "--recipe", "dcgan", "--r1-gamma", "2"] + TINY_IMAGES
    assert train.main(common + ["--steps", "2"]) == 0
    config = json.loads((out / "config.json").read_text())
    for name in ("recipe", "r1_every", "ada"):  # what a run of the previous version saved lacks
        del config[name]
    (out / "config.json").write_text(json.dumps(config))
    assert train.main(["mnist", "--resume", "--steps", "4", "--out", str(out), "--no-progress"]) == 0
    resumed = json.loads((out / "config.json").read_text())
    assert (resumed["recipe"], resumed["r1_every"], resumed["r1_gamma"]) == ("dcgan", 1, 2.0)
    assert (made[-1].r1_gamma, made[-1].r1_every) == (2.0, 1)
    assert train.main(["mnist", "--resume", "--recipe", "minigan", "--out", str(out), "--no-progress"]) == 1
    assert "--recipe was 'dcgan' in this run and cannot change to 'minigan'" in capsys.readouterr().err


@pytest.mark.parametrize("signal_name", ["SIGINT", "SIGTERM"])
def test_a_stop_signal_saves_a_checkpoint_and_resume_finishes(tmp_path, signal_name):
    """A real Ctrl-C (SIGINT) or SIGTERM (a job scheduler, docker stop) to a real process: it finishes its
    step, saves, exits 128 + the signal's number; --resume completes the run."""
    out = tmp_path / "run"
    script = (
        "import os, signal, sys\n"
        "from minigan import train\n"
        "from minigan.gan.training import GANTrainer\n"
        "step = GANTrainer.step\n"
        "def interrupting(self, *a, **k):\n"
        "    stats = step(self, *a, **k)\n"
        f"    if self.iteration == 5: os.kill(os.getpid(), signal.{signal_name})\n"
        "    return stats\n"
        "GANTrainer.step = interrupting\n"
        f"sys.exit(train.main(['ring', '--steps', '50', '--out', {str(out)!r}, '--no-progress']))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 128 + getattr(signal, signal_name), result.stderr
    assert f"stopped by {signal_name} at step 5: checkpoint saved" in result.stderr and "Traceback" not in result.stderr
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 5
    assert train.main(["ring", "--resume", "--out", str(out), "--no-progress"]) == 0
    assert int(load_checkpoint(out / "checkpoint.npz")["step"]) == 50


def _one_line_error(capsys, code, pattern):
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1 and re.search(pattern, err), err


def test_clear_errors(tmp_path, mnist_dir, capsys):
    _one_line_error(capsys, train.main(["ring", "--conditional", "--out", str(tmp_path / "a")]),
                    "error: --conditional needs an image dataset")
    _one_line_error(capsys, train.main(["ring", "--resume", "--out", str(tmp_path / "missing")]), "no checkpoint.npz")
    out = tmp_path / "done"
    assert train.main(["ring", "--steps", "2", "--out", str(out), "--no-progress"]) == 0
    _one_line_error(capsys, train.main(["ring", "--steps", "2", "--out", str(out), "--no-progress"]),
                    "already holds a run")
    (out / "checkpoint.npz").write_bytes(b"not a checkpoint")
    _one_line_error(capsys, train.main(["ring", "--resume", "--out", str(out), "--no-progress"]),
                    "not a minigan checkpoint or is corrupt")


def test_help_lists_the_options():
    result = subprocess.run([sys.executable, "-m", "minigan.train", "--help"], capture_output=True, text=True,
                            env={**os.environ}, timeout=120)
    assert result.returncode == 0
    for option in ("--loss", "--spectral-norm", "--conditional", "--steps", "--epochs", "--batch-size", "--lr-g",
                   "--beta1", "--n-critic", "--gp-one-sided", "--latent-dim", "--seed", "--device", "--out", "--resume"):
        assert option in result.stdout
    # Each default said once, and only where there is one: no "(default: 3000) (default: None)".
    text = " ".join(result.stdout.split())
    assert "(default: None)" not in text and "(default: False)" not in text
    assert "training steps (default: the recipe's) --epochs" in text
    assert "images per step (real and fake each) (default: the recipe's)" in text
    assert "minigan = the measured best for images, class-conditional, width 48, R1 gamma 1 once every 4 steps, " \
           "Adam(0.0004, (0, 0.99)), 10,000 steps of batch 32" in text
    assert "dcgan = the reference DCGAN recipe of tutorials 07 and 09, unconditional, width 64, no R1, " \
           "Adam(0.0002, (0.5, 0.999)), 3,000 steps of batch 64" in text


def test_sample_cli_draws_grids_interpolations_and_class_rows(tmp_path, mnist_dir, capsys):
    from PIL import Image

    from minigan import sample

    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "2", "--out", str(out), "--conditional"]
                      + TINY_IMAGES) == 0
    assert sample.main([str(out), "--n", "12", "--rows", "3", "--columns", "5"]) == 0
    for name in ("grid.png", "interpolation.png", "classes.png"):
        assert (out / name).is_file(), name
    # 3 rows x 5 columns of 28x28 images at scale 2 with 2-pixel padding (scaled too).
    assert Image.open(out / "interpolation.png").size == (2 * (5 * 30 + 2), 2 * (3 * 30 + 2))
    assert Image.open(out / "classes.png").size == (2 * (5 * 30 + 2), 2 * (10 * 30 + 2))
    _one_line_error(capsys, sample.main([str(tmp_path)]), "not a training run folder")


@pytest.mark.parametrize("decay", ["linear", "cosine"])
def test_lr_decay_follows_its_schedule_and_resume_continues_it_exactly(tmp_path, monkeypatch, decay):
    common = ["ring", "--lr-decay", decay, "--steps", "40", "--no-progress", "--checkpoint-every", "10"]
    assert train.main(common + ["--out", str(tmp_path / "straight")]) == 0
    real_step = GANTrainer.step

    def interrupted_at_15(self, real, labels=None):
        stats = real_step(self, real, labels)
        if self.iteration == 15:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C: the run saves at step 15 and stops
        return stats

    monkeypatch.setattr(GANTrainer, "step", interrupted_at_15)
    assert train.main(common + ["--out", str(tmp_path / "resumed")]) == 130
    monkeypatch.setattr(GANTrainer, "step", real_step)
    assert train.main(["ring", "--resume", "--out", str(tmp_path / "resumed"), "--no-progress"]) == 0
    straight, resumed = _arrays(tmp_path / "straight" / "checkpoint.npz"), _arrays(tmp_path / "resumed" / "checkpoint.npz")
    for key in straight:
        np.testing.assert_array_equal(straight[key], resumed[key], err_msg=key)
    # After 40 steps the rate is the schedule's value at t = 40 of 40: 0 for both (linear: 1 - t/T; cosine: (1 + cos(pi t/T))/2).
    state = load_checkpoint(tmp_path / "straight" / "checkpoint.npz")["trainer"]
    assert float(state["d_optimizer"]["param_groups.0.lr"]) == pytest.approx(0.0, abs=1e-12)
    assert float(state["d_optimizer"]["param_groups.0.initial_lr"]) == 2e-4


def test_clip_grad_norm_reaches_the_trainer_and_can_change_on_resume(tmp_path, made):
    out = tmp_path / "run"
    assert train.main(["ring", "--steps", "2", "--clip-grad-norm", "0.5", "--out", str(out), "--no-progress"]) == 0
    assert made[-1].clip_grad_norm == 0.5
    assert train.main(["ring", "--resume", "--steps", "4", "--clip-grad-norm", "2", "--out", str(out),
                       "--no-progress"]) == 0
    assert made[-1].clip_grad_norm == 2.0
    assert {"step": 2, "setting": "clip_grad_norm", "from": 0.5, "to": 2.0} in \
        json.loads((out / "config.json").read_text())["changes"]
