"""What a run's statistics say is wrong: the classic failures of GAN training, read from its logged numbers.

A GAN that fails rarely crashes. It goes on producing numbers, and the person watching has to know
which numbers mean what. :func:`diagnose` reads the records a run logs (``metrics.jsonl`` of
``python -m minigan.train``: one dict per logged step with the losses, D's mean outputs, the
gradient norms and, on live-evaluation steps, ``eval_*`` scores) and names each failure it sees, in
plain words, with the numbers that show it, the usual remedy and the tutorial that explains it:

* **diverged** -- a number became NaN or infinite (the trainer stops there and logs why);
* **D wins** -- D's loss stays far below its value at chance, the loss D has when it cannot tell
  real from fake (2 log 2 = 1.39 for the standard loss, 0.25 for LSGAN, 2 for hinge). D then
  separates real from fake almost perfectly. With the minimax loss this starves G: the gradient
  of log(1 - D(G(z))) vanishes where D is sure (tutorial 05);
* **G's gradient vanishes** -- G's gradient norm collapses to a small fraction of what it was
  earlier in the run *while D still tells real from fake* (near the end of a good run it shrinks
  too, because D can no longer tell): G is no longer told how to improve;
* **mode collapse** -- in the live evaluation, G's samples fall into few classes (fewer than
  ``MIN_CLASSES`` holding 2% of the samples each, or a class histogram far from the data's) or
  their coverage of held-out real digits falls well below its best (tutorial 06);
* **oscillation** -- repeated spikes: a gradient norm or loss jumping to many times its recent
  median, again and again, the sign of a game that circles instead of settling (tutorial 12).

Each detector looks at the **recent** part of the run (the last ``RECENT`` of its records, at
least ``MIN_RECORDS``, none from the first ``SETTLING_STEPS`` steps, in which D wins in every DCGAN
run), so a run that had a rough start and recovered is not blamed for it, and
the trainer can call :func:`diagnose` while training to warn as soon as something is seen. The
thresholds are deliberately far from what healthy runs show (the tests train healthy and broken
runs and check both): a diagnosis should be rare and right, not a worry on every run.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy

#: D's loss when it outputs the same on real and fake -- "chance" -- for the losses where that is a number.
#: The Wasserstein losses have none (the critic's output is unbounded), so "D wins" is not judged for them.
CHANCE_D_LOSS = {"ns": 2 * math.log(2), "minimax": 2 * math.log(2), "ragan": 2 * math.log(2),
                 "lsgan": 0.25, "hinge": 2.0, "rals": 2.0}
D_WINS_BELOW = 0.1  # median D loss under this fraction of chance: D tells real from fake almost perfectly
G_GRADIENT_FALLS_TO = 0.05  # G's recent gradient norm under this fraction of its earlier peak: it vanished
PEAK_WINDOW = 5  # records whose median is one value of the earlier gradient norm (the peak is their largest)
D_SURE_BELOW = 0.5  # ... provided D's loss is under this fraction of chance (D still tells real from fake)
MIN_CLASSES = 7  # of 10: fewer classes holding >= 2% of the samples is mode collapse
MAX_CLASS_KL = 0.5  # KL(h_fake || h_real) of the class histograms beyond this: the classes are badly skewed
COVERAGE_FALLS_TO = 0.5  # coverage under this fraction of its best so far: G has stopped covering the data
SPIKE_FACTOR = 10.0  # a value over this many times the median of the records before it is a spike
MIN_SPIKES = 3  # this many spikes in the recent records is oscillation, not a one-off bad batch
RECENT = 0.25  # the share of the records the detectors judge (the latest ones)
MIN_RECORDS = 10
SETTLING_STEPS = 500  # D wins the first few hundred steps of every DCGAN run: judge only what comes after


@dataclass(frozen=True)
class Finding:
    """One problem seen in a run: ``problem`` (a short key), the ``step`` it was seen at, what the numbers
    show (``evidence``), what usually helps (``remedy``) and where minigan's tutorials explain it."""

    problem: str
    step: int
    evidence: str
    remedy: str
    tutorial: str

    def __str__(self):
        return f"{TITLES[self.problem]} (step {self.step}): {self.evidence}\n  remedy: {self.remedy}\n  read: {self.tutorial}"


TITLES = {"diverged": "the run diverged", "d-wins": "D is winning", "vanishing-g-gradient": "G's gradient vanished",
          "mode-collapse": "mode collapse", "oscillation": "oscillation"}


def _values(records, key):
    """(steps, values) of the records that hold a finite number under ``key``."""
    pairs = [(r["step"], r[key]) for r in records if isinstance(r.get(key), (int, float)) and math.isfinite(r[key])]
    return (numpy.array([p[0] for p in pairs]), numpy.array([p[1] for p in pairs], dtype=float)) if pairs else \
        (numpy.zeros(0, int), numpy.zeros(0))


def _recent(records):
    """The latest ``RECENT`` share of the records (at least ``MIN_RECORDS``) after the first ``SETTLING_STEPS``
    steps, or None if the run is too short to judge."""
    settled = [r for r in records if r["step"] >= SETTLING_STEPS]
    if len(settled) < MIN_RECORDS:
        return None
    return settled[-max(MIN_RECORDS, int(len(records) * RECENT)):]


def _diverged(records, loss):
    last = records[-1] if records else {}
    if "diverged" in last:
        return Finding("diverged", last["step"], last["diverged"],
                       "lower the learning rates (--lr-d, --lr-g), add R1 (--r1-gamma 1) or spectral norm "
                       "(--spectral-norm), or clip gradients (--clip-grad-norm 10)",
                       "tutorial 05 (losses) and 13 (training tricks)")
    return None


def _d_wins(records, loss):
    chance, recent = CHANCE_D_LOSS.get(loss), _recent(records)
    if chance is None or recent is None:
        return None
    steps, d_loss = _values(recent, "d_loss")
    if not len(d_loss) or numpy.median(d_loss) >= D_WINS_BELOW * chance:
        return None
    evidence = (f"D's loss has a median of {numpy.median(d_loss):.3g} over steps {steps[0]}-{steps[-1]}, "
                f"under {D_WINS_BELOW:.0%} of its value at chance ({chance:.3g}): D separates real from fake "
                "almost perfectly")
    _, d_real = _values(recent, "d_real")
    _, d_fake = _values(recent, "d_fake")
    if loss in ("ns", "minimax") and len(d_real) and len(d_fake):
        evidence += (f" (it gives real digits p(real) = {_sigmoid(numpy.median(d_real)):.2f} "
                     f"and fakes {_sigmoid(numpy.median(d_fake)):.2f})")
    return Finding("d-wins", int(steps[-1]), evidence,
                   "slow D down (a lower --lr-d, or a higher --lr-g), regularise it (--r1-gamma, --spectral-norm, "
                   "--augment translation,cutout), give G more capacity, and use the non-saturating loss (--loss ns)",
                   "tutorial 05 (why the minimax loss saturates) and 13 (training tricks)")


def _sigmoid(x):
    return 1 / (1 + math.exp(-x))


def _vanishing_g_gradient(records, loss):
    chance, recent = CHANCE_D_LOSS.get(loss), _recent(records)
    if chance is None or recent is None:
        return None
    _, earlier = _values(records[:len(records) - len(recent)], "g_grad_norm")
    steps, now = _values(recent, "g_grad_norm")
    _, d_loss = _values(recent, "d_loss")
    # Near the end of a good run G's gradient shrinks too -- because D can no longer tell. It has *vanished*
    # only while D still tells real from fake well.
    if len(earlier) < PEAK_WINDOW or not len(now) or not len(d_loss) or numpy.median(d_loss) > D_SURE_BELOW * chance:
        return None
    peak = max(numpy.median(earlier[i:i + PEAK_WINDOW]) for i in range(len(earlier) - PEAK_WINDOW + 1))
    if numpy.median(now) >= G_GRADIENT_FALLS_TO * peak:
        return None
    return Finding("vanishing-g-gradient", int(steps[-1]),
                   f"G's gradient norm has a median of {numpy.median(now):.3g} over steps {steps[0]}-{steps[-1]}, "
                   f"{numpy.median(now) / peak:.1%} of its earlier peak ({peak:.3g}), while D's loss is "
                   f"{numpy.median(d_loss):.3g} (chance: {chance:.3g}): D is sure, and G barely learns from it",
                   "use the non-saturating loss (--loss ns) if this is minimax; otherwise slow D down or regularise "
                   "it (--lr-d, --r1-gamma, --augment)",
                   "tutorial 05 (saturating vs non-saturating gradients)")


def _mode_collapse(records, loss):
    evaluated = [r for r in records if isinstance(r.get("eval_classes"), (int, float))]
    if not evaluated or evaluated[-1]["step"] < SETTLING_STEPS:
        return None
    last = evaluated[-1]
    problems = []
    if last["eval_classes"] < MIN_CLASSES:
        problems.append(f"only {last['eval_classes']} of 10 classes hold at least 2% of the samples")
    kl = last.get("eval_class_kl")
    if kl is not None and kl > MAX_CLASS_KL:
        problems.append(f"the class histogram is far from the data's (KL {kl:.2f} > {MAX_CLASS_KL})")
    coverages = [r["eval_coverage"] for r in evaluated if "eval_coverage" in r]
    if len(coverages) >= 2 and coverages[-1] < COVERAGE_FALLS_TO * max(coverages[:-1]):
        problems.append(f"coverage of held-out digits fell to {coverages[-1]:.2f} from its best {max(coverages):.2f}")
    if not problems:
        return None
    histogram = last.get("eval_class_histogram")
    if histogram:
        top = numpy.argsort(histogram)[::-1][:3]
        problems.append("the most drawn: " + ", ".join(f"{c} ({histogram[c]:.0%})" for c in top))
    return Finding("mode-collapse", last["step"], "; ".join(problems),
                   "regularise D (--r1-gamma 1, --spectral-norm, --augment translation,cutout), lower the learning "
                   "rates, keep batch norm in G, and compare the samples/ grids of earlier steps",
                   "tutorial 06 (mode collapse) and 09 (evaluation: coverage, the class histogram)")


def _oscillation(records, loss):
    recent = _recent(records)
    if recent is None:
        return None
    start = len(records) - len(recent)
    spikes = []
    for key in ("d_grad_norm", "g_grad_norm", "d_loss", "g_loss"):
        steps, values = _values(records, key)
        for i in range(max(MIN_RECORDS, start), len(values)):
            before = numpy.median(numpy.abs(values[i - MIN_RECORDS:i]))
            if before > 0 and abs(values[i]) > SPIKE_FACTOR * before:
                spikes.append((int(steps[i]), key, abs(values[i]) / before))
    if len(spikes) < MIN_SPIKES:
        return None
    spikes.sort()
    shown = ", ".join(f"{key} x{factor:.0f} at step {step}" for step, key, factor in spikes[:4])
    return Finding("oscillation", spikes[-1][0],
                   f"{len(spikes)} spikes of more than {SPIKE_FACTOR:.0f}x the recent median ({shown}"
                   f"{', ...' if len(spikes) > 4 else ''})",
                   "lower the learning rates or beta1, add R1 (--r1-gamma) or clip gradients (--clip-grad-norm); "
                   "two time-scale rates (--lr-d 4e-4 --lr-g 1e-4) often calm the game",
                   "tutorial 12 (game dynamics) and 13 (training tricks)")


DETECTORS = (_diverged, _d_wins, _vanishing_g_gradient, _mode_collapse, _oscillation)


def diagnose(records, loss="ns") -> list:
    """The :class:`Finding` s that the logged ``records`` (dicts with a "step", in order) show for a run
    trained with the GAN loss called ``loss``; an empty list when nothing is wrong."""
    records = list(records)
    return [finding for detect in DETECTORS if (finding := detect(records, loss)) is not None]
