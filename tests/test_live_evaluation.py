"""Live evaluation during training (python -m minigan.train --eval-every): scores in metrics.jsonl that equal the
evaluator's on the saved generator, best.npz at the lowest FD (kept across a resume), evaluate/sample --best,
and clear behaviour without a test split or on toy data."""
import json

import numpy as np
import pytest

from minigan import evaluate, runs, sample, train
from minigan.checkpoint import load_checkpoint
from minigan.data import write_idx
from minigan.evaluation.live import LOGGED, LiveEvaluator

TINY = ["--width", "4", "--latent-dim", "8", "--batch-size", "8", "--no-progress", "--sample-every", "100",
        "--log-every", "1", "--eval-n", "30"]


@pytest.fixture
def mnist_dir(tmp_path):
    """64 random training 'digits' and 40 test ones, in the standard MNIST file names."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "data"
    folder.mkdir()
    for prefix, n in (("train", 64), ("t10k", 40)):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", rng.integers(0, 10, n).astype(np.uint8))
    return str(folder)


def _records(out):
    return runs.read_metrics(str(out))


def _evaluated(out):
    return [r for r in _records(out) if "eval_fd" in r]


def test_scores_are_logged_every_eval_every_steps_and_best_npz_holds_the_lowest_fd(tmp_path, mnist_dir):
    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "6", "--eval-every", "2", "--out", str(out)]
                      + TINY) == 0
    evaluated = _evaluated(out)
    assert [r["step"] for r in evaluated] == [2, 4, 6]
    assert all(set(f"eval_{key}" for key in LOGGED) <= set(r) for r in evaluated)
    assert all(len(r["eval_class_histogram"]) == 10 for r in evaluated)
    best = min(evaluated, key=lambda r: r["eval_fd"])
    assert load_checkpoint(str(out / "best.npz"))["step"] == best["step"]
    # The logged FD is the evaluator's on best.npz's generator: same fixed latent batch, same reference images.
    generator, settings = runs.load_generator(str(out), checkpoint=runs.BEST)
    assert settings["conditional"]  # the default recipe's: the evaluator draws every class equally often
    evaluator = LiveEvaluator("mnist", settings["latent_dim"], n=30, conditional=True, data_dir=mnist_dir,
                              seed=settings["seed"])
    assert evaluator(generator)["fd"] == pytest.approx(best["eval_fd"], rel=1e-9)


def test_a_resumed_run_keeps_the_best_so_far(tmp_path, mnist_dir, monkeypatch):
    fds = iter([50.0, 10.0, 30.0, 20.0])  # the best is the second evaluation, before the resume

    def scripted(self, generator):
        return {"fd": next(fds), "kid": 0.0, "classes": 10, "class_kl": 0.0, "class_histogram": [0.1] * 10,
                "precision": 0.5, "recall": 0.5, "coverage": 0.5}

    monkeypatch.setattr(LiveEvaluator, "__call__", scripted)
    out = tmp_path / "run"
    common = ["mnist", "--data-dir", mnist_dir, "--eval-every", "1", "--checkpoint-every", "1", "--out", str(out)]
    assert train.main(common + ["--steps", "2"] + TINY) == 0
    assert train.main(["mnist", "--resume", "--steps", "4", "--out", str(out), "--no-progress"]) == 0
    assert [r["eval_fd"] for r in _evaluated(out)] == [50.0, 10.0, 30.0, 20.0]
    assert load_checkpoint(str(out / "best.npz"))["step"] == 2


def test_evaluate_and_sample_read_best_npz(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "2", "--eval-every", "1", "--out", str(out)]
                      + TINY) == 0
    assert evaluate.main([str(out), "--best", "--n", "30", "--no-progress", "--data-dir", mnist_dir]) == 0
    result = json.loads((out / "eval_best.json").read_text())
    assert result["checkpoint"] == "best.npz"
    assert evaluate.main([str(out / "best.npz"), "--n", "30", "--no-progress", "--data-dir", mnist_dir]) == 0
    assert sample.main([str(out), "--best", "--n", "4", "--out", str(tmp_path / "pictures")]) == 0
    assert (tmp_path / "pictures" / "grid.png").is_file()


def test_without_best_npz_the_commands_say_why(tmp_path, mnist_dir, capsys):
    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "2", "--eval-every", "0", "--out", str(out)]
                      + TINY) == 0
    assert not (out / "best.npz").exists()
    assert evaluate.main([str(out), "--best", "--no-progress"]) == 1
    assert "has no best.npz (was live evaluation on (--eval-every)?)" in capsys.readouterr().err


def test_a_data_folder_without_the_test_split_trains_without_live_evaluation_and_says_so(tmp_path, mnist_dir, capsys):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        (tmp_path / "data" / name).unlink()
    out = tmp_path / "run"
    assert train.main(["mnist", "--data-dir", mnist_dir, "--steps", "2", "--eval-every", "1", "--out", str(out)]
                      + TINY) == 0
    assert "live evaluation off: it scores against the test split, which is missing" in capsys.readouterr().err
    assert _evaluated(out) == [] and not (out / "best.npz").exists()


def test_live_evaluation_on_toy_data_is_a_clear_error(tmp_path, capsys):
    assert train.main(["ring", "--eval-every", "5", "--out", str(tmp_path / "run"), "--no-progress"]) == 1
    assert "--eval-every scores images with a digit classifier; ring is a toy dataset" in capsys.readouterr().err
    assert train.resolve_settings(train.build_parser().parse_args(["ring"]))["eval_every"] == 0
    assert train.resolve_settings(train.build_parser().parse_args(["mnist"]))["eval_every"] == 500
