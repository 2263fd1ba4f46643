"""The metrics' classifiers (checksums, accuracy, training command) and python -m minigan.evaluate end to end."""
import json
import os
import re
import shutil

import numpy as np
import pytest

from minigan import evaluate, train
from minigan.checkpoint import load_checkpoint
from minigan.data import write_idx
from minigan.data.offline_digits import read_offline_digits
from minigan.evaluation import ChecksumError, classify, gaussian_blur, load_classifier, reference_sets, to_model_input
from minigan.evaluation import train_classifier
from minigan.evaluation.classifier import weights_path

REFERENCE_ROWS = ("real (train split)", "real, blurred", "real + noise", "one class", "uniform noise", "untrained G")


# ---------------------------------------------------------------------------------------------- classifiers
@pytest.mark.parametrize("dataset", ["mnist", "fashion-mnist"])
def test_shipped_weights_load_small_and_checked(dataset):
    model, info = load_classifier(dataset)
    assert info["dataset"] == dataset and not model.training
    assert os.path.getsize(weights_path(dataset)) < 500_000
    features, probabilities = classify(model, np.zeros((3, 1, 28, 28), np.float32))
    assert features.shape == (3, 128) and probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0)


def test_a_tampered_weights_file_fails_the_checksum(tmp_path):
    tampered = tmp_path / "mnist_classifier.npz"
    shutil.copy(weights_path("mnist"), tampered)
    data = bytearray(tampered.read_bytes())
    data[len(data) // 2] ^= 1  # one bit somewhere in the weights
    tampered.write_bytes(bytes(data))
    with pytest.raises(ChecksumError, match="differs from the recorded"):
        load_classifier("mnist", path=tampered)


def test_a_dataset_without_classifier_is_a_clear_error():
    with pytest.raises(ValueError, match="no classifier for 'ring'"):
        load_classifier("ring")


def test_mnist_classifier_reaches_its_recorded_accuracy_on_the_offline_test_digits():
    model, info = load_classifier("mnist")
    images, labels = read_offline_digits("test")
    accuracy = train_classifier.accuracy(model, images, labels)
    assert info["test_images"] == len(images) == 500 and "offline" in info["test_source"]
    assert accuracy == pytest.approx(info["test_accuracy"], abs=0.0021)  # one digit may flip on another BLAS
    assert accuracy >= 0.97


def test_classify_refuses_a_model_in_training_mode():
    model, _ = load_classifier("mnist")
    with pytest.raises(ValueError, match="eval"):
        classify(model.train(), np.zeros((1, 1, 28, 28), np.float32))


def test_random_shift_moves_images_and_fills_with_background():
    image = -np.ones((1, 1, 28, 28), np.float32)
    image[0, 0, 10, 12] = 1.0
    shifted = train_classifier.random_shift(np.repeat(image, 50, axis=0), 2, np.random.default_rng(0))
    rows, cols = np.nonzero(shifted[:, 0] == 1.0)[1:]
    assert shifted.shape == (50, 1, 28, 28) and len(rows) == 50 and (shifted != 1).sum() == 50 * (28 * 28 - 1)
    assert set(rows - 10) == set(cols - 12) == {-2, -1, 0, 1, 2}


def test_train_classifier_command_is_reproducible(tmp_path, capsys):
    rng = np.random.default_rng(0)
    for split, prefix, n in (("train", "train", 64), ("test", "t10k", 16)):
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    outs = [tmp_path / "a.npz", tmp_path / "b.npz"]
    for out in outs:
        assert train_classifier.main(["mnist", "--data-dir", str(tmp_path), "--epochs", "1", "--no-progress",
                                      "--out", str(out)]) == 0
    first, second = (load_checkpoint(out) for out in outs)
    assert first["info"]["test_images"] == 16 and first["info"]["epochs"] == 1
    for name, value in first["model"].items():
        assert value.dtype == np.float16
        np.testing.assert_array_equal(value, second["model"][name], err_msg=name)
    assert "sha256" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------- evaluate
@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """A 2-step MNIST run on the offline digits (the mirrors point nowhere, so nothing is downloaded)."""
    run = tmp_path_factory.mktemp("evaluate") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MINIGAN_MIRRORS", "http://127.0.0.1:9/")
        assert train.main(["mnist", "--steps", "2", "--width", "4", "--latent-dim", "8", "--batch-size", "8",
                           "--no-progress", "--out", str(run)]) == 0
        yield run


def test_evaluate_writes_eval_json_and_prints_the_reference_rows(tiny_run, capsys):
    assert evaluate.main([str(tiny_run), "--n", "200", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    for row in ("generator (EMA)",) + REFERENCE_ROWS:
        assert row in printed, row
    result = json.loads((tiny_run / "eval.json").read_text())
    assert result["n"] == 200 and result["dataset"] == "mnist" and result["ema"]
    assert set(result) >= {"run", "seed", "reference", "classifier", "generator", "references"}
    metric_keys = {"fd", "kid", "kid_std", "is", "class_kl", "classes", "class_histogram", "precision", "recall",
                   "density", "coverage"}
    assert set(result["generator"]) == metric_keys
    references = result["references"]
    assert len(references) == len(REFERENCE_ROWS)
    assert all(any(name.startswith(row) for name in references) for row in REFERENCE_ROWS)
    assert all(set(scores) == metric_keys for scores in references.values())
    real, noise = references["real (train split)"], references["uniform noise"]
    one_class = next(scores for name, scores in references.items() if name.startswith("one class"))
    assert real["fd"] < references["real, blurred"]["fd"] < noise["fd"]
    assert real["is"] > 8 and real["classes"] == 10 and real["recall"] > 0.7
    assert one_class["classes"] == 1 and one_class["class_kl"] > 1.5 and noise["recall"] < 0.1


def test_evaluate_accepts_the_checkpoint_path(tiny_run, capsys):
    assert evaluate.main([str(tiny_run / "checkpoint.npz"), "--n", "50", "--no-ema", "--no-progress"]) == 0
    assert "generator  " in capsys.readouterr().out
    assert json.loads((tiny_run / "eval.json").read_text())["n"] == 50


def _one_line_error(capsys, code, pattern):
    err = capsys.readouterr().err
    assert code == 1 and len(err.splitlines()) == 1 and re.search(pattern, err), err


def test_evaluate_errors_are_clear(tmp_path, capsys):
    _one_line_error(capsys, evaluate.main([str(tmp_path)]), "error: .* is not a training run folder")
    (tmp_path / "config.json").write_text('{"dataset": "mnist"}')
    _one_line_error(capsys, evaluate.main([str(tmp_path)]), "no checkpoint.npz")
    toy = tmp_path / "ring"
    assert train.main(["ring", "--steps", "1", "--no-progress", "--out", str(toy)]) == 0
    _one_line_error(capsys, evaluate.main([str(toy)]), "no classifier for the ring run")
    (toy / "eval.json").mkdir()  # cannot be written: refused before any work, not after
    _one_line_error(capsys, evaluate.main([str(toy)]), "eval.json: Is a directory")


def test_gaussian_blur_of_a_dot_is_the_separable_gaussian_and_keeps_constants():
    dot = np.zeros((1, 1, 15, 15))
    dot[0, 0, 7, 7] = 1.0
    blurred = gaussian_blur(dot, 1.0)[0, 0]
    profile = np.exp(-np.arange(-3, 4) ** 2 / 2)
    profile /= profile.sum()
    np.testing.assert_allclose(blurred[4:11, 4:11], np.outer(profile, profile))
    np.testing.assert_allclose(gaussian_blur(np.full((2, 1, 8, 8), -0.5), 1.5), -0.5)


def test_reference_sets_are_n_images_each_in_the_generator_range():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    labels = np.repeat(np.arange(4), 10)[::-1].copy()           # the first image is of class 3
    sets = reference_sets(images, labels, 30, np.random.default_rng(1))
    assert list(sets) == ["real (train split)", "real, blurred", "real + noise", "one class (3)", "uniform noise"]
    for name, x in sets.items():
        assert x.shape == (30, 1, 28, 28) and x.min() >= -1 and x.max() <= 1, name
    real = sets["real (train split)"]
    assert len({row.tobytes() for row in real}) == 30                # drawn without replacement
    class_3 = {row.tobytes() for row in to_model_input(images[labels == 3])}
    assert {row.tobytes() for row in sets["one class (3)"]} <= class_3  # 10 digits drawn 30 times
    np.testing.assert_array_equal(sets["real, blurred"], gaussian_blur(real, 1.0))


def test_to_model_input_scales_to_the_generator_range():
    images = np.array([[[0, 255]]], np.uint8)
    np.testing.assert_allclose(to_model_input(images), [[[[-1.0, 1.0]]]])
