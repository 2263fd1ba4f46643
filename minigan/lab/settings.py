"""The lab's settings: what a person may choose, within which bounds, and the check every request passes.

Settings are a plain dict (JSON goes in and out of the page as it is). :func:`validated` is the one
gate: it refuses a key it does not know, a value of the wrong type, and a value outside its bounds
-- a learning rate of 1e9, zero hidden units, a drawing of one point -- with a message written for
the person who typed it, which the page shows as it is.

Some settings change a run as it trains (:data:`LIVE`: the loss, the learning rates, n_critic,
the penalties' weights): the networks stay, and the next update uses the new value. The others
(the data, the networks' sizes, the batch size, the seed) describe another run: changing one
starts the run again from step 0.
"""
from __future__ import annotations

from ..gan.losses import LOSS_NAMES

DISTRIBUTIONS = ("ring", "grid", "spiral", "gaussian", "two_moons", "drawn")

DEFAULTS = {
    "dataset": "ring",
    "points": [],            # the drawn distribution's points, [[x, y], ...], when dataset is "drawn"
    "loss": "ns",
    "spectral_norm": False,  # spectral normalisation in every layer of D (the partner of the hinge loss)
    "gp_weight": 10.0,       # lambda of the WGAN-GP gradient penalty (used by the wgan-gp loss)
    "r1_gamma": 0.0,         # gamma of the R1 penalty on real data, for any loss (0 = off)
    "lr_g": 1e-3,
    "lr_d": 1e-3,
    "beta1": 0.5,
    "beta2": 0.999,
    "hidden": 128,           # units per hidden layer, in G and in D
    "depth": 2,              # hidden layers, in G and in D
    "latent_dim": 2,
    "n_critic": 1,           # D updates per G update in a full step
    "batch_size": 256,
    "seed": 0,
}

# name: (type, smallest, largest, what the page calls it). Bounds are generous, but keep a run alive.
NUMBERS = {
    "gp_weight": (float, 0.0, 1000.0, "the gradient-penalty weight"),
    "r1_gamma": (float, 0.0, 1000.0, "the R1 weight gamma"),
    "lr_g": (float, 1e-6, 1.0, "G's learning rate"),
    "lr_d": (float, 1e-6, 1.0, "D's learning rate"),
    "beta1": (float, 0.0, 0.999, "Adam's beta1"),
    "beta2": (float, 0.0, 0.9999, "Adam's beta2"),
    "hidden": (int, 1, 512, "the hidden units per layer"),
    "depth": (int, 1, 6, "the number of hidden layers"),
    "latent_dim": (int, 1, 16, "the size of z"),
    "n_critic": (int, 1, 20, "n_critic (D updates per G update)"),
    "batch_size": (int, 2, 2048, "the batch size"),
    "seed": (int, 0, 2**31 - 1, "the seed"),
}
CHOICES = {"dataset": DISTRIBUTIONS, "loss": LOSS_NAMES}
MIN_POINTS, MAX_POINTS, POINT_RANGE = 3, 2000, 10.0  # a drawing: how many points, and |x|, |y| at most

LIVE = ("loss", "lr_g", "lr_d", "beta1", "beta2", "n_critic", "gp_weight", "r1_gamma")


class SettingsError(ValueError):
    """A setting the lab cannot use; the message says which and why, for the page to show."""


def validated(changes, current=None) -> dict:
    """``current`` (default: :data:`DEFAULTS`) with ``changes`` applied, after checking every one of them."""
    if not isinstance(changes, dict):
        raise SettingsError(f"settings must be a JSON object of name: value, got {type(changes).__name__}")
    settings = dict(DEFAULTS if current is None else current)
    for name, value in changes.items():
        settings[name] = _checked(name, value)
    if settings["dataset"] == "drawn" and len(settings["points"]) < MIN_POINTS:
        raise SettingsError(f"a drawn distribution needs at least {MIN_POINTS} points, and this one has "
                            f"{len(settings['points'])}: draw more on the plane (click and drag)")
    return settings


def _checked(name, value):
    if name in NUMBERS:
        return _number(name, value, *NUMBERS[name])
    if name in CHOICES:
        if value not in CHOICES[name]:
            raise SettingsError(f"{name} must be one of {', '.join(CHOICES[name])}, not {value!r}")
        return value
    if name == "spectral_norm":
        if not isinstance(value, bool):
            raise SettingsError(f"spectral_norm must be true or false, not {value!r}")
        return value
    if name == "points":
        return _points(value)
    raise SettingsError(f"unknown setting {name!r}; the settings are: {', '.join(DEFAULTS)}")


def _number(name, value, kind, smallest, largest, label):
    what = "a whole number" if kind is int else "a number"
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise SettingsError(f"{label} ({name}) must be {what}, not {value!r}")
    if not smallest <= value <= largest:  # false for NaN too; exact for JSON's integers of any size
        raise SettingsError(f"{label} ({name}) must be between {smallest:g} and {largest:g}, not {_shown(value)}")
    if kind is int and value != int(value):
        raise SettingsError(f"{label} ({name}) must be {what}, not {value!r}")
    return kind(value)


def _shown(value) -> str:
    try:
        return f"{float(value):g}"
    except OverflowError:
        return "a number with more digits than a float holds"


def _points(value):
    """A drawing as a list of [x, y] float pairs, each coordinate finite and within +-POINT_RANGE."""
    if not isinstance(value, list) or len(value) > MAX_POINTS:
        raise SettingsError(f"points must be a list of at most {MAX_POINTS} [x, y] pairs")
    points = []
    for point in value:
        if (not isinstance(point, list) or len(point) != 2
                or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)
                or not all(abs(c) <= POINT_RANGE for c in point)):  # NaN fails the comparison too
            raise SettingsError(f"each drawn point must be [x, y] with finite |x|, |y| <= {POINT_RANGE:g}, "
                                f"not {point!r}")
        points.append([float(point[0]), float(point[1])])
    return points


def describe() -> dict:
    """What the page needs to build its controls: defaults, choices, bounds, and which settings are live."""
    return {
        "defaults": DEFAULTS,
        "choices": {name: list(values) for name, values in CHOICES.items()},
        "bounds": {name: [smallest, largest] for name, (_, smallest, largest, _) in NUMBERS.items()},
        "live": list(LIVE),
        "min_points": MIN_POINTS,
    }
