"""minigan.gan.diagnosis and python -m minigan.diagnose: each failure is named from the numbers that show it,
and healthy numbers raise no alarm. Records are built here with the shape of each failure; the training runs
that produce them for real are in tests/test_diagnosis_runs.py."""
import json

import numpy as np
import pytest

from minigan import diagnose as diagnose_cli
from minigan.gan import diagnosis
from minigan.gan.diagnosis import (
    CHANCE_D_LOSS, MIN_CLASSES, SETTLING_STEPS, Finding, diagnose,
)


def _healthy(steps=2000, every=10, seed=0):
    """Records of a balanced run: D's loss near 1, both gradient norms noisy but steady, live evaluation improving."""
    rng = np.random.default_rng(seed)
    records = []
    for step in range(every, steps + 1, every):
        record = {"step": step, "d_loss": 1.0 + 0.2 * rng.standard_normal(), "g_loss": 1.5 + 0.3 * rng.standard_normal(),
                  "d_real": 0.8, "d_fake": -0.8, "d_grad_norm": abs(5 + 2 * rng.standard_normal()),
                  "g_grad_norm": abs(4 + rng.standard_normal()), "penalty": 0.0}
        if step % 500 == 0:
            record.update(eval_fd=400 * 500 / step, eval_classes=10, eval_class_kl=0.05, eval_coverage=0.3 + step / 1e4,
                          eval_class_histogram=[0.1] * 10)
        records.append(record)
    return records


def _problems(records, loss="ns"):
    return [finding.problem for finding in diagnose(records, loss)]


def test_healthy_records_raise_no_alarm_for_any_seed():
    for seed in range(5):
        assert _problems(_healthy(seed=seed)) == []


def test_too_short_a_run_is_not_judged():
    records = _healthy(steps=SETTLING_STEPS - 10)
    for r in records:
        r["d_loss"] = 0.001
    assert _problems(records) == []


def test_d_winning_is_named_with_its_probabilities():
    records = _healthy()
    for r in records[len(records) // 2:]:
        r.update(d_loss=0.01, d_real=6.0, d_fake=-6.0)
    [finding] = diagnose(records, "ns")
    assert finding.problem == "d-wins" and finding.step == 2000
    assert "p(real) = 1.00" in finding.evidence and "fakes 0.00" in finding.evidence
    assert "--lr-d" in finding.remedy and "tutorial 05" in finding.tutorial


@pytest.mark.parametrize("loss", sorted(CHANCE_D_LOSS))
def test_d_winning_is_judged_against_each_losss_chance_value(loss):
    records = _healthy()
    for r in records:
        r["d_loss"] = 0.5 * CHANCE_D_LOSS[loss]  # half of chance: D is better than chance, not winning
    assert "d-wins" not in _problems(records, loss)
    for r in records[-50:]:
        r["d_loss"] = 0.05 * CHANCE_D_LOSS[loss]
    assert "d-wins" in _problems(records, loss)


def test_the_wasserstein_critics_loss_is_never_called_winning():
    records = _healthy()
    for r in records:
        r["d_loss"] = -50.0
    assert "d-wins" not in _problems(records, "wgan-gp")


def test_a_vanishing_g_gradient_is_measured_against_its_earlier_peak_while_d_is_sure():
    records = _healthy()
    for r in records[-60:]:
        r.update(g_grad_norm=0.04, d_loss=0.3)  # D better than chance (1.39), not yet "winning" (< 0.139)
    [finding] = diagnose(records)
    assert finding.problem == "vanishing-g-gradient"
    assert "of its earlier peak" in finding.evidence and "while D's loss is 0.3" in finding.evidence
    peak = float(finding.evidence.split("earlier peak (")[1].split(")")[0])
    assert 4.5 < peak < 6  # the largest median of 5 records of |4 + N(0, 1)|
    assert "--loss ns" in finding.remedy


def test_a_shrinking_g_gradient_at_equilibrium_is_no_problem():
    records = _healthy()
    for r in records[-60:]:
        r.update(g_grad_norm=0.04, d_loss=CHANCE_D_LOSS["ns"])  # D cannot tell: G has nothing left to learn
    assert _problems(records) == []


def test_mode_collapse_from_the_class_histogram_and_from_falling_coverage():
    few = _healthy()
    few[-1].update(eval_classes=MIN_CLASSES - 1, eval_class_histogram=[0.5, 0.3] + [0.025] * 8)
    [finding] = diagnose(few)
    assert finding.problem == "mode-collapse" and "only 6 of 10 classes" in finding.evidence
    assert "0 (50%), 1 (30%)" in finding.evidence
    falling = _healthy()
    falling[-1]["eval_coverage"] = 0.1
    [finding] = diagnose(falling)
    assert finding.problem == "mode-collapse" and "coverage of held-out digits fell to 0.10" in finding.evidence
    skewed = _healthy()
    skewed[-1]["eval_class_kl"] = 0.9
    assert _problems(skewed) == ["mode-collapse"]


def test_repeated_spikes_are_oscillation_and_one_spike_is_not():
    records = _healthy()
    records[-20]["d_grad_norm"] = 500.0
    assert _problems(records) == []
    for i in (-30, -20, -10):
        records[i]["g_grad_norm"] = 400.0
    [finding] = diagnose(records)
    assert finding.problem == "oscillation" and "g_grad_norm" in finding.evidence


def test_divergence_is_read_from_the_record_the_trainer_leaves():
    records = _healthy(steps=300) + [{"step": 301, "diverged": "d_loss became nan"}]
    [finding] = diagnose(records)
    assert finding == Finding("diverged", 301, "d_loss became nan", finding.remedy, finding.tutorial)
    assert "the run diverged (step 301): d_loss became nan" in str(finding)


def _run_folder(tmp_path, records, loss="ns"):
    (tmp_path / "config.json").write_text(json.dumps({"dataset": "mnist", "loss": loss}))
    (tmp_path / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))
    return str(tmp_path)


def test_the_command_says_no_problem_with_a_summary_and_exits_0(tmp_path, capsys):
    assert diagnose_cli.main([_run_folder(tmp_path, _healthy())]) == 0
    out = capsys.readouterr().out
    assert "no problem found" in out and "FD 100.0 at step 2000 (best 100.0 at step 2000), 10 classes" in out


def test_the_command_explains_each_problem_and_exits_3(tmp_path, capsys):
    records = _healthy()
    for r in records[-60:]:
        r.update(d_loss=0.01, g_grad_norm=0.01)
    assert diagnose_cli.main([_run_folder(tmp_path, records)]) == diagnose_cli.PROBLEMS_FOUND
    out = capsys.readouterr().out
    assert "D is winning (step 2000)" in out and "G's gradient vanished" in out and "remedy:" in out


def test_the_command_on_a_folder_that_is_no_run_is_one_line(tmp_path, capsys):
    assert diagnose_cli.main([str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "not a training run folder" in err[0]


def test_the_trainer_warns_once_when_it_sees_a_problem(tmp_path, monkeypatch, capsys):
    from minigan import train
    from minigan.gan.training import GANTrainer

    real_step = GANTrainer.step

    def d_that_wins(self, real, labels=None):
        return {**real_step(self, real, labels), "d_loss": 0.001}

    monkeypatch.setattr(GANTrainer, "step", d_that_wins)
    monkeypatch.setattr(diagnosis, "SETTLING_STEPS", 50)  # a short run, judged as a long one would be
    out = tmp_path / "run"
    assert train.main(["ring", "--steps", "250", "--out", str(out), "--no-progress", "--checkpoint-every", "1000"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning: D is winning") == 1
    assert f"python -m minigan.diagnose {out} reads the run again" in err
    assert diagnose_cli.main([str(out)]) == diagnose_cli.PROBLEMS_FOUND
