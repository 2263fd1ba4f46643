"""Reliability of ``python -m minigan.train`` and friends, tried as a hostile but realistic user would.

What must hold: nothing saved is broken (no NaN in a checkpoint, no half-written file), nothing the
user asked for is ignored silently (a changed setting on resume, a data folder without data), two
processes never share a run folder, a kill at any moment loses at most the steps since the last
checkpoint and the resumed run is bit-identical to an uninterrupted one, and every expected error
is one line on stderr with a non-zero exit -- never a traceback. Damaged checkpoints are always
refused, and nothing is ever unpickled.
"""
import json
import os
import pathlib
import pickle
import re
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import backend, evaluate, nn, sample, train
from minigan.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from minigan.data import write_idx
from minigan.functional import batch_norm
from minigan.gan.training import GANTrainer

RING = ["ring", "--no-progress", "--log-every", "5", "--checkpoint-every", "50", "--sample-every", "1000"]


def _one_line_error(capsys, code, pattern, exit_code=1):
    err = capsys.readouterr().err
    assert code == exit_code, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err, err
    assert re.search(pattern, err), err


def _metrics(out):
    """The steps' records of a run's metrics.jsonl (read here, independently of minigan.runs)."""
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if line.strip()]


def _finite(state) -> bool:
    return all(_finite(v) if isinstance(v, dict) else not (isinstance(v, np.ndarray) and v.dtype.kind == "f")
               or np.isfinite(v).all() for v in state.values())


def _arrays(path):
    state = load_checkpoint(path)["trainer"]
    return {f"{part}/{key}": value for part, values in state.items() if isinstance(values, dict)
            for key, value in values.items() if isinstance(value, np.ndarray)}


# ---------------------------------------------------------------------- 1. nothing non-finite is saved
def test_an_exploding_run_stops_and_names_no_checkpoint_that_was_never_written(tmp_path, capsys):
    out = tmp_path / "ls"
    code = train.main(["ring", "--loss", "lsgan", "--lr-d", "1e3", "--steps", "60", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "the run diverged" in err and "No checkpoint had been written yet" in err, err
    assert not (out / "checkpoint.npz").exists()


def test_non_finite_weights_are_never_checkpointed(tmp_path, monkeypatch, capsys):
    """The losses of a step are computed before its update: a NaN that the update writes is only in the weights."""
    real_step = GANTrainer.step

    def poisoning(self, real, labels=None):
        stats = real_step(self, real, labels)
        if self.iteration == 3:
            next(self.generator.parameters()).data[0] = np.nan
        return stats

    monkeypatch.setattr(GANTrainer, "step", poisoning)
    out = tmp_path / "run"
    code = train.main(["ring", "--steps", "10", "--checkpoint-every", "1", "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "hold NaN or inf" in err, err
    assert f"last good checkpoint is {out / 'checkpoint.npz'} (step 2)" in err
    state = load_checkpoint(out / "checkpoint.npz")
    assert int(state["step"]) == 2 and _finite(state)


# ---------------------------------------------------------------------- 2. settings on resume
def test_resume_applies_and_records_a_new_learning_rate(tmp_path):
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "20", "--out", str(out)]) == 0
    assert train.main(["ring", "--resume", "--steps", "40", "--lr-d", "1e-3", "--out", str(out), "--no-progress"]) == 0
    config = json.loads((out / "config.json").read_text())
    assert config["lr_d"] == 1e-3
    assert {"step": 20, "setting": "lr_d", "from": 2e-4, "to": 1e-3} in config["changes"]
    saved_groups = load_checkpoint(out / "checkpoint.npz")["trainer"]["d_optimizer"]
    assert float(saved_groups["param_groups.0.lr"]) == 1e-3


@pytest.mark.parametrize("flag, value, old", [("--loss", "hinge", "'ns'"), ("--batch-size", "32", "64"),
                                              ("--seed", "3", "0"), ("--spectral-norm", None, "'batch'")])
def test_resume_refuses_a_setting_that_would_make_another_run(tmp_path, capsys, flag, value, old):
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "5", "--out", str(out)]) == 0
    capsys.readouterr()
    extra = [flag] if value is None else [flag, value]
    code = train.main(["ring", "--resume", "--out", str(out), "--no-progress"] + extra)
    _one_line_error(capsys, code, f"was {re.escape(old)} in this run and cannot change")


def _digits_folder(folder, n):
    rng = np.random.default_rng(n)
    folder.mkdir()
    write_idx(folder / "train-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
    write_idx(folder / "train-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    return str(folder)


def test_resume_refuses_another_data_source(tmp_path, capsys):
    out = tmp_path / "run"
    tiny = ["--width", "4", "--latent-dim", "4", "--batch-size", "8", "--no-progress"]
    first = _digits_folder(tmp_path / "first", 16)
    assert train.main(["mnist", "--data-dir", first, "--steps", "2", "--out", str(out)] + tiny) == 0
    assert train.main(["mnist", "--resume", "--steps", "3", "--out", str(out), "--no-progress"]) == 0  # same data
    capsys.readouterr()
    other = _digits_folder(tmp_path / "other", 24)
    code = train.main(["mnist", "--resume", "--data-dir", other, "--steps", "4", "--out", str(out), "--no-progress"])
    _one_line_error(capsys, code, "--resume: the run trained on .*16 images.* but the data found now is .*24 images")


# ---------------------------------------------------------------------- 3. one process per folder
def test_a_second_process_on_the_same_folder_is_refused(tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (out / ".lock").write_text(str(sleeper.pid))
        code = train.main(RING + ["--steps", "2", "--out", str(out)])
        _one_line_error(capsys, code, f"in use by another training process \\(PID {sleeper.pid}\\)")
        assert not (out / "checkpoint.npz").exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    # The owner is gone now: its lock no longer blocks the folder.
    assert train.main(RING + ["--steps", "2", "--out", str(out)]) == 0
    assert not (out / ".lock").exists()


def test_two_real_runs_started_together_do_not_interleave(tmp_path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "minigan.train"] + RING + ["--steps", "300", "--out", str(out)]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    while not (out / ".lock").exists() and first.poll() is None:
        time.sleep(0.02)
    second = subprocess.run(command, capture_output=True, text=True, timeout=120)
    first_err = first.communicate(timeout=300)[1]
    assert first.returncode == 0, first_err
    assert second.returncode == 1 and ("in use by another training process" in second.stderr
                                       or "already holds a run" in second.stderr), second.stderr
    steps = [r["step"] for r in _metrics(out)]
    assert steps == list(range(5, 301, 5))


# ---------------------------------------------------------------------- 4. metrics and config files
def test_a_torn_last_metrics_line_is_dropped_on_resume(tmp_path):
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "50", "--out", str(out)]) == 0
    with open(out / "metrics.jsonl", "a") as f:
        f.write('{"step": 55, "d_lo')  # a kill in the middle of a line
    with pytest.warns(UserWarning, match="dropped a torn last line"):
        assert train.main(["ring", "--resume", "--steps", "60", "--out", str(out), "--no-progress"]) == 0
    assert [r["step"] for r in _metrics(out)][-3:] == [50, 55, 60]


def test_rewriting_metrics_on_resume_is_atomic(tmp_path, monkeypatch):
    """A failure while metrics.jsonl is rewritten (a kill, a full disk) leaves every earlier line in place."""
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "50", "--out", str(out)]) == 0
    before = (out / "metrics.jsonl").read_text()
    calls, dumps = [], json.dumps

    def failing_dumps(value, *args, **kwargs):
        calls.append(1)
        if isinstance(value, dict) and "d_loss" in value and len(calls) > 3:
            raise OSError(28, "No space left on device")
        return dumps(value, *args, **kwargs)

    monkeypatch.setattr(json, "dumps", failing_dumps)
    assert train.main(["ring", "--resume", "--steps", "60", "--out", str(out), "--no-progress"]) == 1
    assert (out / "metrics.jsonl").read_text() == before


# ---------------------------------------------------------------------- 5. data the user named
def test_a_data_folder_without_data_is_an_error(tmp_path, capsys, monkeypatch):
    empty = tmp_path / "empty"
    empty.mkdir()
    for folder in (tmp_path / "nonexistent", empty):
        code = train.main(["mnist", "--data-dir", str(folder), "--steps", "2", "--out", str(tmp_path / "r"),
                           "--no-progress"])
        _one_line_error(capsys, code, f"--data-dir {re.escape(str(folder))} holds no MNIST files")
    monkeypatch.setenv("MINIGAN_DATA", str(tmp_path / "nowhere"))
    code = train.main(["mnist", "--steps", "2", "--out", str(tmp_path / "r"), "--no-progress"])
    _one_line_error(capsys, code, r"\$MINIGAN_DATA is .*nowhere, which is not a folder")
    assert not (tmp_path / "r" / "checkpoint.npz").exists()


# ---------------------------------------------------------------------- 6. SIGTERM
# Treated as Ctrl-C: tests/test_train_cli.py::test_a_stop_signal_saves_a_checkpoint_and_resume_finishes.


# ---------------------------------------------------------------------- 7. expected errors: one line
BAD_ARGUMENTS = [
    ["--width", "0"], ["--latent-dim", "0"], ["--log-every", "0"], ["--checkpoint-every", "0"],
    ["--sample-every", "0"], ["--epochs", "nan"], ["--epochs", "0"], ["--steps", "0"], ["--steps", "-3"],
    ["--limit", "0"], ["--batch-size", "0"], ["--lr-g", "nan"], ["--lr-d", "-1"], ["--lr-d", "inf"],
    ["--beta1", "1"], ["--gp-weight", "-1"], ["--ema-decay", "nan"], ["--n-critic", "0"], ["--width", "wide"],
    ["--loss", "best"],
]


@pytest.mark.parametrize("bad", BAD_ARGUMENTS, ids=[" ".join(b) for b in BAD_ARGUMENTS])
def test_bad_arguments_are_one_line_and_leave_nothing_behind(tmp_path, capsys, bad):
    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stop:
        train.main(["ring", "--out", str(out), "--no-progress"] + bad)
    _one_line_error(capsys, stop.value.code, f"error: argument {bad[0]}", exit_code=2)
    assert not out.exists()


@pytest.mark.parametrize("bad", [["--n", "0"], ["--rows", "0"], ["--columns", "-1"]])
def test_bad_sample_arguments_are_one_line(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as stop:
        sample.main([str(tmp_path)] + bad)
    _one_line_error(capsys, stop.value.code, f"error: argument {bad[0]}", exit_code=2)


def test_file_system_and_checkpoint_errors_are_one_line(tmp_path, capsys):
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    _one_line_error(capsys, train.main(RING + ["--steps", "2", "--out", str(a_file)]), "is a file, not a folder")
    inside_a_file = a_file / "run"
    _one_line_error(capsys, train.main(RING + ["--steps", "2", "--out", str(inside_a_file)]), "Not a directory")
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "2", "--out", str(out)]) == 0
    (out / "checkpoint.npz").write_bytes(b"PK\x03\x04 damaged")
    _one_line_error(capsys, train.main(["ring", "--resume", "--out", str(out), "--no-progress"]),
                    "is not a minigan checkpoint or is corrupt")
    _one_line_error(capsys, sample.main([str(out)]), "is not a minigan checkpoint or is corrupt")
    _one_line_error(capsys, evaluate.main([str(out)]), "is not a minigan checkpoint or is corrupt")


def test_expected_errors_print_no_traceback_from_a_real_process(tmp_path):
    result = subprocess.run([sys.executable, "-m", "minigan.train", "mnist", "--data-dir", str(tmp_path / "none"),
                             "--out", str(tmp_path / "run"), "--no-progress"], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("error: MNIST train: --data-dir") and len(result.stderr.splitlines()) == 1


# ---------------------------------------------------------------------- 8. damaged checkpoints
def _small_checkpoint(path):
    save_checkpoint(path, {"trainer": {"w": np.arange(200, dtype=np.float32).reshape(20, 10)}, "step": 3,
                           "rng": {"state": {"state": 2**100, "inc": 7}}})
    return path.read_bytes()


def test_an_unknown_zip_compression_method_is_a_checkpoint_error(tmp_path):
    path = tmp_path / "c.npz"
    good = bytearray(_small_checkpoint(path))
    with zipfile.ZipFile(path) as archive:
        offsets = [info.header_offset for info in archive.infolist()]
    for offset in offsets:  # the method field of each local header: 99 is no method zipfile knows
        good[offset + 8:offset + 10] = (99).to_bytes(2, "little")
    central = good.find(b"PK\x01\x02")
    while central != -1:
        good[central + 10:central + 12] = (99).to_bytes(2, "little")
        central = good.find(b"PK\x01\x02", central + 4)
    path.write_bytes(bytes(good))
    with pytest.raises(CheckpointError, match="not a minigan checkpoint or is corrupt"):
        load_checkpoint(path)


def test_truncated_and_bit_flipped_checkpoints_are_always_refused_or_intact(tmp_path):
    path = tmp_path / "c.npz"
    good = _small_checkpoint(path)
    expected = load_checkpoint(path)
    rng = np.random.default_rng(0)
    outcomes = {"refused": 0, "intact": 0}
    for length in list(range(0, len(good), max(1, len(good) // 40))):
        path.write_bytes(good[:length])
        with pytest.raises((CheckpointError, FileNotFoundError)):
            load_checkpoint(path)
        outcomes["refused"] += 1
    for _ in range(300):
        damaged = bytearray(good)
        position = int(rng.integers(len(good)))
        damaged[position] ^= 1 << int(rng.integers(8))
        path.write_bytes(bytes(damaged))
        try:
            state = load_checkpoint(path)
        except CheckpointError:
            outcomes["refused"] += 1
            continue
        # A flip the format cannot notice (an unused header byte, a zip timestamp): the data must be intact,
        # or differ only in the stored numbers themselves (the .npy payload carries no checksum of its own).
        assert state.keys() == expected.keys()
        outcomes["intact"] += 1
    assert outcomes["refused"] > 200, outcomes


def test_a_pickled_payload_is_refused_and_never_unpickled(tmp_path):
    marker = tmp_path / "unpickled"

    class Payload:
        def __reduce__(self):
            return (pathlib.Path.touch, (marker,))

    path = tmp_path / "evil.npz"
    np.savez(path, __minigan__=np.asarray(json.dumps({"version": 1, "tree": {"type": "dict", "items": {
        "x": "array"}}})), x=np.array([Payload()], dtype=object))
    with pytest.raises(CheckpointError):
        load_checkpoint(path)
    raw = tmp_path / "raw.npz"
    raw.write_bytes(pickle.dumps(Payload()))
    with pytest.raises(CheckpointError):
        load_checkpoint(raw)
    assert not marker.exists()


# ---------------------------------------------------------------------- 9. orphan temporaries
def test_orphan_temporaries_of_dead_writers_are_removed(tmp_path):
    out = tmp_path / "run"
    assert train.main(RING + ["--steps", "2", "--out", str(out)]) == 0
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    orphan = out / f".checkpoint.npz.{dead.pid}.tmp"
    orphan.write_bytes(b"x" * 1000)
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = out / f".checkpoint.npz.{writer.pid}.tmp"  # a writer that is still running: not ours to delete
        alive.write_bytes(b"y")
        assert train.main(["ring", "--resume", "--steps", "4", "--out", str(out), "--no-progress"]) == 0
        assert not orphan.exists() and alive.exists()
    finally:
        writer.kill()
        writer.wait()


# ---------------------------------------------------------------------- 10. layers say the same things
def test_layers_refuse_a_dtype_other_than_their_weights():
    for layer, x in ((nn.Linear(3, 2), mg.zeros(4, 3, dtype=np.float64)),
                     (nn.Linear(3, 2), mg.tensor(np.zeros((4, 3), dtype=np.int64))),
                     (nn.Conv2d(1, 2, 3), mg.zeros(1, 1, 5, 5, dtype=np.float64))):
        with pytest.raises(TypeError, match=f"{type(layer).__name__}.*input dtype {x.dtype} differs from the "
                                            "layer's float32 weights"):
            layer(x)
    with pytest.raises(TypeError, match="Linear.*expected a Tensor, got ndarray"):
        nn.Linear(3, 2)(np.zeros((4, 3), dtype=np.float32))


def test_batch_norm_keeps_its_running_statistics_clean_of_nan():
    bn = nn.BatchNorm1d(2)
    x = np.ones((4, 2), dtype=np.float32)
    x[0, 1] = np.nan
    with pytest.warns(RuntimeWarning, match="running_mean and running_var are left as they were"):
        bn(mg.tensor(x))
    np.testing.assert_array_equal(bn.running_mean.numpy(), [0, 0])
    np.testing.assert_array_equal(bn.running_var.numpy(), [1, 1])
    assert np.isnan(batch_norm(mg.tensor(x)).numpy()[:, 1]).all()  # the output itself shows the NaN


def test_a_tensor_cannot_claim_the_simulator_in_a_cpu_process():
    assert backend.host_device() == "cpu"
    with pytest.raises(backend.DeviceError, match="the CUDA simulator is a process-wide mode"):
        mg.tensor([1.0], device="cuda-sim")
    with pytest.raises(backend.DeviceError, match="the CUDA simulator is a process-wide mode"):
        mg.ones(2).to("cuda-sim")


# ---------------------------------------------------------------------- kills at random moments
# A training process whose checkpoint writes (from the second on) can be slowed down, so that a kill
# lands while the new checkpoint's temporary file is written but not yet renamed over the old one.
_KILLABLE = """
import os, sys, time
import minigan.checkpoint as checkpoint
slow, marker, writes = float(os.environ.get("SLOW_WRITE", "0")), os.environ.get("MARKER", ""), []
real = checkpoint.atomic_write
def slowed(path, write):
    if str(path).endswith("checkpoint.npz"):
        writes.append(path)
    def write_then_wait(f):
        write(f)
        f.flush()
        if slow and len(writes) >= 2:
            open(marker, "w").close()
            time.sleep(slow)
    real(path, write_then_wait)
checkpoint.atomic_write = slowed
from minigan import train
sys.exit(train.main(sys.argv[1:]))
"""


def _lines(path):
    return path.read_text().count("\n") if path.exists() else 0


KILL_MOMENTS = [  # (name, environment, when to kill)
    ("after 12 metrics lines", {}, lambda out, marker: _lines(out / "metrics.jsonl") >= 12),
    ("after 41 metrics lines", {}, lambda out, marker: _lines(out / "metrics.jsonl") >= 41),
    ("during a checkpoint write", {"SLOW_WRITE": "30"}, lambda out, marker: marker.exists()),
]


def test_sigkill_at_any_moment_loses_nothing_and_resumes_bit_identically(tmp_path):
    steps = 300
    straight = tmp_path / "straight"
    assert train.main(RING + ["--steps", str(steps), "--out", str(straight)]) == 0
    reference = _arrays(straight / "checkpoint.npz")
    for name, env, ready in KILL_MOMENTS:
        out, marker = tmp_path / name.replace(" ", "-"), tmp_path / (name.replace(" ", "-") + ".marker")
        process = subprocess.Popen([sys.executable, "-c", _KILLABLE] + RING + ["--steps", str(steps), "--out", str(out)],
                                   env={**os.environ, **env, "MARKER": str(marker)}, stderr=subprocess.DEVNULL)
        deadline = time.time() + 120
        while not ready(out, marker) and process.poll() is None and time.time() < deadline:
            time.sleep(0.005)
        assert process.poll() is None, f"{name}: the run ended before the kill"
        process.kill()
        process.wait()
        load_checkpoint(out / "checkpoint.npz")  # the checkpoint on disk is always a valid one
        assert train.main(["ring", "--resume", "--out", str(out), "--no-progress"]) == 0, name
        resumed = _arrays(out / "checkpoint.npz")
        assert resumed.keys() == reference.keys()
        for key in reference:
            np.testing.assert_array_equal(resumed[key], reference[key], err_msg=f"{name}: {key}")
        assert [r["step"] for r in _metrics(out)] == list(range(5, steps + 1, 5)), name
        assert not [p for p in os.listdir(out) if p.endswith(".tmp")], name
