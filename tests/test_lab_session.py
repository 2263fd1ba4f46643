"""minigan.lab's session, settings, code display, command line and export: one run, driven by hand.

The step buttons must make exactly one GANTrainer update of one player; what the page is shown must
be the network's own numbers; the exported command line must reproduce a run bit for bit.
"""
import shlex

import numpy as np
import pytest
from PIL import Image

import minigan as mg
from minigan.lab import distributions, fields
from minigan.lab.command import command_line
from minigan.lab.export import render_frame, save_run
from minigan.lab.session import LabSession, SessionError
from minigan.lab.settings import DEFAULTS, SettingsError, validated

SMALL = {"hidden": 16, "batch_size": 32}  # quick runs


def _parameters(module):
    return [p.numpy().copy() for p in module.parameters()]


def _count_optimizer_steps(session):
    """Wrap both optimizers' step() to count calls: {"d": n, "g": n}."""
    calls = {"d": 0, "g": 0}
    for player, optimizer in (("d", session.trainer.d_optimizer), ("g", session.trainer.g_optimizer)):
        def counted(step=optimizer.step, player=player):
            calls[player] += 1
            step()
        optimizer.step = counted
    return calls


@pytest.mark.parametrize("kind, updated, unchanged", [("d", "discriminator", "generator"),
                                                       ("g", "generator", "discriminator")])
def test_a_step_button_makes_exactly_one_update_of_one_player(kind, updated, unchanged):
    session = LabSession(SMALL)
    calls = _count_optimizer_steps(session)
    before = {name: _parameters(getattr(session.trainer, name)) for name in (updated, unchanged)}
    session.step(kind)
    assert calls == {"d": int(kind == "d"), "g": int(kind == "g")}
    after = {name: _parameters(getattr(session.trainer, name)) for name in (updated, unchanged)}
    assert all(not np.array_equal(a, b) for a, b in zip(before[updated], after[updated]))
    assert all(np.array_equal(a, b) for a, b in zip(before[unchanged], after[unchanged]))
    assert session.updates == {"d": int(kind == "d"), "g": int(kind == "g")} and session.trainer.iteration == 0
    assert [record["player"] for record in session.history] == [kind.upper()]


def test_full_steps_follow_n_critic():
    session = LabSession({**SMALL, "loss": "wgan-gp", "n_critic": 3})
    calls = _count_optimizer_steps(session)
    session.step("full", 6)
    assert calls == {"d": 6, "g": 2} and session.updates == {"d": 6, "g": 2} and session.trainer.iteration == 6
    assert [r["player"] for r in session.history] == ["D", "D", "D", "G", "D", "D", "D", "G"]


def test_the_state_shows_the_networks_own_numbers():
    session = LabSession({**SMALL, "loss": "ns"})
    session.step("full", 3)
    state = session.state()
    d, g = session.trainer.discriminator, session.trainer.generator
    grid = fields.plane_grid(state["extent"], state["resolution"])
    logits = d(mg.tensor(grid)).numpy().ravel().astype(np.float64)
    np.testing.assert_allclose(state["heat_map"]["values"], 1 / (1 + np.exp(-logits)), atol=1e-4)  # sigma(D)
    fake = g(session.z).numpy()
    np.testing.assert_allclose(state["fake"], fake, atol=1e-4)
    x = mg.tensor(fake, requires_grad=True)
    (gradient,) = mg.grad(session.trainer.loss.g_loss(d(x)), x)
    np.testing.assert_allclose(state["push"], -len(fake) * gradient.numpy(), atol=1e-5)
    assert state["coverage"]["modes"] == 8 and state["penalty_points"] is None
    assert [c["title"] for c in state["code"]] == ["GANTrainer.step", "GANTrainer.d_step", "minimax_d_loss",
                                                   "GANTrainer.g_step", "GANTrainer._generator_step",
                                                   "nonsaturating_g_loss"]
    assert "def d_step(self, real, labels=None, fake=None)" in state["code"][1]["source"]


def test_a_score_loss_shows_raw_d_and_wgan_gp_shows_its_points():
    session = LabSession({**SMALL, "loss": "wgan-gp"})
    state = session.state()
    grid = fields.plane_grid(state["extent"], state["resolution"])
    raw = session.trainer.discriminator(mg.tensor(grid)).numpy().ravel()
    np.testing.assert_allclose(state["heat_map"]["values"], raw, atol=1e-4)
    assert state["heat_map"]["centre"] == 0 and state["heat_map"]["span"] == pytest.approx(np.abs(raw).max(), 1e-4)
    assert len(state["penalty_points"]) == 128 and len(state["slope"]) == 40 * 40


def _trained(look):
    session = LabSession({**SMALL, "loss": "wgan-gp", "spectral_norm": True})  # random GP points, D's buffers
    for _ in range(3):
        if look:
            session.state()
        session.step("full")
    return session.trainer.discriminator.state_dict()


def test_looking_at_a_run_does_not_change_it():
    # One after the other: sessions share minigan's global random generator, as the CLI's runs do.
    looked_at, left_alone = _trained(look=True), _trained(look=False)
    for key in looked_at:
        np.testing.assert_array_equal(looked_at[key], left_alone[key], err_msg=key)


def test_live_settings_keep_the_networks_and_the_rest_restart_the_run():
    session = LabSession({**SMALL, "loss": "minimax"})
    session.step("full", 2)
    weights = _parameters(session.trainer.generator)
    assert session.change({"loss": "ns", "lr_g": 5e-4}) == "loss, lr_g changed: the networks keep training"
    assert session.trainer.loss.name == "ns" and session.trainer.g_optimizer.param_groups[0]["lr"] == 5e-4
    assert all(np.array_equal(a, b) for a, b in zip(weights, _parameters(session.trainer.generator)))
    assert session.updates == {"d": 2, "g": 2}
    assert session.command()["notes"][-1] == "loss, lr_g changed after update 4"
    assert session.change({"hidden": 8}) == "hidden changed: the run starts again"
    assert session.updates == {"d": 0, "g": 0} and session.trainer.generator.net[0].out_features == 8
    assert session.command()["notes"] == ["minigan.train's toy networks have 128 units x 2 layers; there is no flag "
                                          "for this run's 8 x 2", "no full step has run yet; the line trains one "
                                          "(the smallest run minigan.train makes)"]  # the changes went with the run


def test_a_diverged_run_refuses_to_step_until_reset():
    session = LabSession(SMALL)
    with mg.no_grad():
        next(session.trainer.discriminator.parameters()).fill_(float("nan"))
    session.step("full", 5)
    assert session.updates == {"d": 1, "g": 1}  # it stopped at once
    assert session.diverged.startswith("the run diverged at update 2: ")
    state = session.state()
    assert state["heat_map"] is None and state["history"][0]["d_loss"] is None  # NaN never reaches the JSON
    with pytest.raises(SessionError, match="press Reset"):
        session.step("d")
    session.restart()
    session.step("full")
    assert session.diverged is None and np.isfinite(session.history[-1]["g_loss"])


def test_a_drawn_distribution_trains_and_counts_its_points_as_modes():
    points = [[-1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.5, -0.5]]
    session = LabSession({**SMALL, "dataset": "drawn", "points": points})
    data = distributions.training_points(session.settings)
    nearest = np.linalg.norm(data[:, None] - np.array(points)[None], axis=2).min(axis=1)
    assert nearest.max() < 6 * distributions.DRAWN_STD
    assert session.state()["coverage"]["modes"] == 4


@pytest.mark.parametrize("changes, message", [
    ({"lr_g": 1e9}, r"G's learning rate \(lr_g\) must be between 1e-06 and 1, not 1e\+09"),
    ({"hidden": 0}, r"hidden units per layer \(hidden\) must be between 1 and 512, not 0"),
    ({"hidden": 2.5}, "must be a whole number, not 2.5"),
    ({"lr_d": float("nan")}, "must be between"),
    ({"spectral_norm": 1}, "spectral_norm must be true or false"),
    ({"loss": "best"}, "loss must be one of ns, minimax"),
    ({"dataset": "drawn", "points": [[0.0, 0.0]]}, "needs at least 3 points, and this one has 1"),
    ({"points": [[0, 0], [1, "a"]]}, "each drawn point must be"),
    ({"colour": "red"}, "unknown setting 'colour'"),
])
def test_absurd_settings_are_refused_with_a_message(changes, message):
    with pytest.raises(SettingsError, match=message):
        validated(changes)
    session = LabSession(SMALL)
    with pytest.raises(SettingsError):
        session.change(changes)
    assert session.settings == {**DEFAULTS, **SMALL}  # nothing half-applied


def test_the_lab_draws_the_toy_data_as_minigan_train_does():
    from minigan import train

    assert distributions.TOY_SAMPLES == train.TOY_SAMPLES
    for name in ("ring", "grid", "spiral"):
        settings = {**DEFAULTS, "dataset": name, "seed": 3}
        np.testing.assert_array_equal(distributions.training_points(settings), train.load_data(settings)[0])


def test_the_command_line_reproduces_a_run_of_full_steps_bit_for_bit():
    from minigan import train

    session = LabSession({"loss": "wgan-gp", "spectral_norm": True, "n_critic": 2, "batch_size": 64, "beta1": 0.6,
                          "lr_g": 2e-3, "beta2": 0.99, "seed": 7})
    session.step("full", 5)
    command = session.command()
    assert command["exact"] and command["notes"] == []
    words = shlex.split(command["line"])
    assert words[:4] == ["python", "-m", "minigan.train", "ring"]
    run = train.Run(train.resolve_settings(train.build_parser().parse_args(words[3:])))
    batches = run.loader.forever()
    for _ in range(run.total_steps):
        run.trainer.step(next(batches))
    for network in ("generator", "discriminator"):
        ours, theirs = getattr(session.trainer, network).state_dict(), getattr(run.trainer, network).state_dict()
        assert ours.keys() == theirs.keys()
        for key in ours:
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=f"{network}.{key}")


def test_what_the_command_line_cannot_say_is_said_in_words():
    settings = {**DEFAULTS, "dataset": "two_moons", "r1_gamma": 2.0}
    command = command_line(settings, 10, ["3 updates of D or G alone"])
    assert command["line"].startswith("python -m minigan.train ring --loss ns ")
    assert "--r1-gamma 2.0" in command["line"] and "--steps 10" in command["line"]
    assert not command["exact"] and command["notes"][0].startswith("minigan.train has no 'two_moons'")
    assert command["notes"][1] == "3 updates of D or G alone"


def test_export_writes_one_frame_per_snapshot_a_gif_and_the_command(tmp_path):
    session = LabSession(SMALL)
    session.step("full", 4)  # snapshots at updates 0..8
    saved = save_run(session.snapshots, session.real, session.extent, session.command(), tmp_path / "run")
    assert saved["frames"] == len(session.snapshots) == 9
    assert len(list((tmp_path / "run" / "frames").glob("frame_*.png"))) == 9
    with Image.open(saved["gif"]) as gif:
        assert gif.n_frames == 9 and gif.size == (320, 320)
    assert (tmp_path / "run" / "command.txt").read_text().startswith("python -m minigan.train ring ")


def test_a_frame_puts_points_where_the_plane_says():
    heat_map = {"values": [0.5] * 4, "centre": 0.5, "span": 0.5}  # all white
    frame = render_frame({"update": 0, "fake": [[1.5, 1.5]], "heat_map": heat_map}, np.zeros((0, 2)), 3.0, size=100)
    assert tuple(frame[25, 75]) == (90, 30, 130)  # (1.5, 1.5) is a quarter in from the top right
    assert tuple(frame[75, 25]) == (247, 247, 247)


def test_snapshots_thin_out_instead_of_growing_without_end():
    session = LabSession({**SMALL, "hidden": 4})
    session.step("full", 120)  # 240 updates
    assert len(session.snapshots) <= 100 and session.snapshot_every == 4
    assert [s["update"] for s in session.snapshots[:3]] == [0, 4, 8]


@pytest.mark.parametrize("dataset, extent, modes", [("ring", 3.0, 8), ("grid", 5.0, 25), ("spiral", 3.0, None),
                                                    ("gaussian", 4.0, 1), ("two_moons", 3.0, None)])
def test_every_distribution_has_its_plane_and_its_modes(dataset, extent, modes):
    state = LabSession({**SMALL, "dataset": dataset}).state()
    assert state["extent"] == extent and np.abs(state["real"]).max() < extent
    assert (state["coverage"] and state["coverage"]["modes"]) == modes


def test_weights_too_large_for_float32_outputs_mark_the_run_diverged():
    session = LabSession(SMALL)
    with mg.no_grad():
        for p in session.trainer.generator.parameters():
            p.copy_(p.numpy() * 1e30)  # finite weights, but G's points overflow to inf
    state = session.state()
    assert state["diverged"] == "the run diverged at update 0: G's points or D's outputs overflowed"
    assert state["fake"] == [] and state["heat_map"] is None
