"""The lab's run as a ``python -m minigan.train`` command line, and what of it the command line cannot say.

The lab builds its run the way ``minigan.train`` builds a toy run: the same data (see
``distributions``), the same MLPs, Adam for both players, the same seeding. So a run of full steps
with settings left as they were from step 0 is reproduced exactly, number for number, by the line.
What the training CLI has no flag for is listed in words instead -- the lab's own distributions
(two moons, a drawing, a 2-D Gaussian), other network sizes -- and so is what the line cannot
replay: updates of D or G alone, and settings changed during the run.
"""
from __future__ import annotations

import shlex

CLI_DATASETS = ("ring", "grid", "spiral")  # minigan.train's "gaussian" is 1-D: not the lab's
CLI_HIDDEN, CLI_DEPTH = 128, 2             # minigan.train's toy MLPs


def command_line(settings, steps: int, off_script=()) -> dict:
    """``{"line", "exact", "notes"}``: the command, whether it reproduces this run exactly, and why not.

    ``steps``: the full training steps taken (calls of ``GANTrainer.step``); ``off_script``: what
    happened during the run that the command line cannot replay, in words.
    """
    notes = []
    dataset = settings["dataset"]
    if dataset not in CLI_DATASETS:
        notes.append(f"minigan.train has no {dataset!r} distribution of 2-D points (it has "
                     f"{', '.join(CLI_DATASETS)}): this line trains on a ring instead")
        dataset = "ring"
    if (settings["hidden"], settings["depth"]) != (CLI_HIDDEN, CLI_DEPTH):
        notes.append(f"minigan.train's toy networks have {CLI_HIDDEN} units x {CLI_DEPTH} layers; there is no flag "
                     f"for this run's {settings['hidden']} x {settings['depth']}")
    words = ["python", "-m", "minigan.train", dataset, "--loss", settings["loss"]]
    if settings["spectral_norm"]:
        words.append("--spectral-norm")
    words += ["--n-critic", settings["n_critic"], "--latent-dim", settings["latent_dim"]]
    if settings["loss"] == "wgan-gp":
        words += ["--gp-weight", settings["gp_weight"]]
    if settings["r1_gamma"]:
        words += ["--r1-gamma", settings["r1_gamma"]]
    words += ["--lr-g", settings["lr_g"], "--lr-d", settings["lr_d"], "--beta1", settings["beta1"],
              "--beta2", settings["beta2"], "--batch-size", settings["batch_size"], "--seed", settings["seed"],
              "--ema-decay", 0, "--steps", max(1, steps)]
    if steps == 0:
        notes.append("no full step has run yet; the line trains one (the smallest run minigan.train makes)")
    notes += list(off_script)
    return {"line": shlex.join(str(word) for word in words), "exact": not notes, "notes": notes}
