"""The diagnosis on real training runs, broken on purpose and healthy: python -m minigan.train warns while it trains
and python -m minigan.diagnose names the problem afterwards -- or stays quiet.

The image runs are small (width 8, 400 steps, on the offline digits), so ``SETTLING_STEPS`` is lowered to 200 for
them: the detectors then judge steps 200-400 of a short run as they judge the steps after 500 of a long one."""
import pytest

from minigan import diagnose as diagnose_cli
from minigan import runs, train
from minigan.gan import diagnosis

SMALL_DCGAN = ["--recipe", "dcgan", "--width", "8", "--steps", "400", "--eval-every", "200", "--eval-n", "100", "--no-progress",
               "--sample-every", "1000", "--checkpoint-every", "1000"]


def _problems(out, loss):
    return {finding.problem for finding in diagnosis.diagnose(runs.read_metrics(str(out)), loss)}


@pytest.fixture
def short_runs_judged(monkeypatch):
    monkeypatch.setattr(diagnosis, "SETTLING_STEPS", 200)


def test_the_minimax_loss_starves_g_and_every_symptom_is_named(tmp_path, short_runs_judged, capsys):
    out = tmp_path / "minimax"
    assert train.main(["mnist", "--loss", "minimax", "--out", str(out)] + SMALL_DCGAN) == 0
    err = capsys.readouterr().err
    assert "warning: D is winning" in err and "warning: G's gradient vanished" in err
    assert _problems(out, "minimax") >= {"d-wins", "vanishing-g-gradient", "mode-collapse"}
    assert diagnose_cli.main([str(out)]) == diagnose_cli.PROBLEMS_FOUND
    assert "use the non-saturating loss (--loss ns)" in capsys.readouterr().out


def test_a_ten_times_faster_d_wins(tmp_path, short_runs_judged):
    out = tmp_path / "fast-d"
    assert train.main(["mnist", "--lr-d", "2e-3", "--out", str(out)] + SMALL_DCGAN) == 0
    assert "d-wins" in _problems(out, "ns")


@pytest.mark.parametrize("seed", [0, 1])
def test_a_healthy_run_raises_no_alarm(tmp_path, seed, capsys):
    out = tmp_path / "ring"
    assert train.main(["ring", "--steps", "2000", "--seed", str(seed), "--out", str(out), "--no-progress",
                       "--checkpoint-every", "5000", "--sample-every", "5000"]) == 0
    assert "warning" not in capsys.readouterr().err
    assert diagnose_cli.main([str(out)]) == 0
    assert "no problem found" in capsys.readouterr().out


def _train_by_hand(generator, discriminator, steps=400, eval_every=200):
    """The records python -m minigan.train would log (every 10 steps, live evaluation every ``eval_every``) for a
    pair the command line cannot build, trained on the offline digits with the DCGAN recipe."""
    from minigan import optim
    from minigan.data import BatchLoader, load_mnist
    from minigan.evaluation.live import LiveEvaluator
    from minigan.gan import GANTrainer

    trainer = GANTrainer(generator, discriminator, optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999)),
                         optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999)), ema_decay=0.999)
    images, _, _ = load_mnist("train", progress=False)
    batches = BatchLoader(images, None, batch_size=64, seed=0).forever()
    evaluator = LiveEvaluator("mnist", generator.latent_dim, n=100)
    records = []
    for step in range(1, steps + 1):
        stats = trainer.step(next(batches))
        if step % 10 == 0:
            records.append({"step": step, **stats})
        if step % eval_every == 0:
            records[-1].update({f"eval_{k}": v for k, v in evaluator(trainer.ema_generator).items()})
    return records


def test_a_generator_without_batch_norm_and_a_tiny_generator_are_caught(short_runs_judged):
    import minigan
    from minigan import nn
    from minigan.gan import DCGANDiscriminator, DCGANGenerator

    minigan.manual_seed(0)
    no_batch_norm = DCGANGenerator(latent_dim=100, width=8)
    no_batch_norm.bn0, no_batch_norm.bn1 = nn.Identity(), nn.Identity()
    assert {f.problem for f in diagnosis.diagnose(_train_by_hand(no_batch_norm, DCGANDiscriminator(width=8)))} & \
        {"d-wins", "mode-collapse"}
    minigan.manual_seed(0)
    tiny = DCGANGenerator(latent_dim=100, width=1)
    assert {f.problem for f in diagnosis.diagnose(_train_by_hand(tiny, DCGANDiscriminator(width=8)))} & \
        {"d-wins", "mode-collapse"}
